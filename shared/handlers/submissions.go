package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"sportello/shared/apigw"
	"sportello/shared/clock"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// SubmissionsRoutes are the routes of the submissions function.
func SubmissionsRoutes(d *Deps, svc *submission.Service) []apigw.Route {
	h := &submissionsAPI{Deps: d, svc: svc}
	return []apigw.Route{
		{Method: "POST", Pattern: "/v1/calls/{callId}/submissions", Handler: h.create},
		{Method: "GET", Pattern: "/v1/calls/{callId}/submissions", Handler: h.list},
		{Method: "GET", Pattern: "/v1/submissions/{id}", Handler: h.get},
		{Method: "PUT", Pattern: "/v1/submissions/{id}", Handler: h.update},
		{Method: "POST", Pattern: "/v1/submissions/{id}/submit", Handler: h.submit},
		{Method: "POST", Pattern: "/v1/submissions/{id}/review", Handler: h.review},
		{Method: "POST", Pattern: "/v1/submissions/{id}/integration", Handler: h.integrate},
		{Method: "POST", Pattern: "/v1/submissions/{id}/withdraw", Handler: h.withdraw},
		{Method: "GET", Pattern: "/v1/submissions/{id}/audit", Handler: h.audit},
		{Method: "GET", Pattern: "/v1/submissions/{id}/receipt", Handler: h.receipt},
		{Method: "GET", Pattern: "/v1/submissions/{id}/summary", Handler: h.summary},
	}
}

type submissionsAPI struct {
	*Deps
	svc *submission.Service
}

type protocolView struct {
	Number string `json:"number"`
	At     string `json:"at"`
}

type submissionView struct {
	ID          string             `json:"id"`
	CallID      string             `json:"callId"`
	Program     string             `json:"program"`
	Org         string             `json:"org"`
	State       submission.State   `json:"state"`
	Version     int64              `json:"version"`
	Protocol    *protocolView      `json:"protocol,omitempty"`
	Resubmitted []string           `json:"resubmittedAt,omitempty"`
	Review      *submission.Review `json:"review,omitempty"`
	Flags       []string           `json:"flags,omitempty"`
	// SealedDocuments are the documents the filing sealed into the record.
	SealedDocuments []submission.SealedDocument `json:"sealedDocuments,omitempty"`
	Integrations    []integrationView           `json:"integrations,omitempty"`
	Withdrawal      *withdrawalView             `json:"withdrawal,omitempty"`
	Summary         string                      `json:"summary,omitempty"`
	CreatedAt       string                      `json:"createdAt"`
	UpdatedAt       string                      `json:"updatedAt"`
	Data            json.RawMessage             `json:"data,omitempty"`
	Derived         any                         `json:"derived,omitempty"`
}

type integrationView struct {
	Protocol  protocolView                `json:"protocol"`
	Deadline  string                      `json:"deadline,omitempty"`
	Documents []submission.SealedDocument `json:"documents"`
}

type withdrawalView struct {
	By string `json:"by"`
	At string `json:"at"`
}

func viewSubmission(s submission.Submission, withData bool) submissionView {
	v := submissionView{ID: s.ID, CallID: s.CallID, Program: s.Program, Org: s.Org, State: s.State, Version: s.Version,
		Review: s.Review, Flags: s.Flags, Summary: s.Summary, CreatedAt: Rome(s.CreatedAt), UpdatedAt: Rome(s.UpdatedAt)}
	if s.Protocol != nil {
		v.Protocol = &protocolView{Number: s.Protocol.Number, At: Rome(s.Protocol.At)}
	}
	v.SealedDocuments = s.Sealed
	for _, in := range s.Integrations {
		iv := integrationView{Protocol: protocolView{Number: in.Protocol.Number, At: Rome(in.Protocol.At)}, Documents: in.Documents}
		if !in.Deadline.IsZero() {
			iv.Deadline = Rome(in.Deadline)
		}
		v.Integrations = append(v.Integrations, iv)
	}
	if s.Withdrawal != nil {
		v.Withdrawal = &withdrawalView{By: s.Withdrawal.By, At: Rome(s.Withdrawal.At)}
	}
	for _, t := range s.Resubmitted {
		v.Resubmitted = append(v.Resubmitted, Rome(t))
	}
	if withData {
		v.Data = s.Data
	}
	return v
}

func (h *submissionsAPI) respondSubmission(status int, s submission.Submission) (*apigw.Response, error) {
	v := viewSubmission(s, true)
	if prog, ok := h.Programs[s.Program]; ok {
		if form, err := prog.Decode(s.Data); err == nil {
			if d, ok := form.(program.Deriver); ok {
				v.Derived = d.Derived()
			}
		}
	}
	resp, err := apigw.JSON(status, v)
	if err == nil {
		resp.Header.Set("ETag", strconv.Quote(strconv.FormatInt(s.Version, 10)))
	}
	return resp, err
}

func annotateSubmission(ctx context.Context, s submission.Submission) {
	apigw.Annotate(ctx, slog.String("call", s.CallID), slog.String("submission", s.ID), slog.String("state", string(s.State)))
}

func (h *submissionsAPI) create(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Org  string          `json:"org"`
		Data json.RawMessage `json:"data"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 128 {
		return nil, problem.New(problem.CodeBadRequest, "Idempotency-Key troppo lunga (massimo 128 caratteri).")
	}
	sub, created, err := h.svc.Create(ctx, r.Principal, r.Params["callId"], body.Org, body.Data, key)
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return h.respondSubmission(status, sub)
}

func (h *submissionsAPI) list(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	subs, err := h.svc.List(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	out := make([]submissionView, 0, len(subs))
	for _, s := range subs {
		out = append(out, viewSubmission(s, false))
	}
	apigw.Annotate(ctx, slog.String("call", r.Params["callId"]), slog.Int("count", len(out)))
	return ok(map[string]any{"submissions": out})
}

func (h *submissionsAPI) get(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	sub, err := h.svc.Get(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	return h.respondSubmission(http.StatusOK, sub)
}

// ifMatch reads the version an update is based on: `3`, `"3"` or W/"3".
func ifMatch(r *apigw.Request) (int64, error) {
	raw := strings.TrimSpace(r.Header.Get("If-Match"))
	if raw == "" {
		return 0, problem.New(problem.CodePrecondition, "Indicare nell'intestazione If-Match la versione della domanda su cui si basa la modifica.")
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(raw, "W/"), `"`), 10, 64)
	if err != nil || v < 1 {
		return 0, problem.New(problem.CodeBadRequest, "If-Match non valido: indicare il numero di versione.")
	}
	return v, nil
}

func (h *submissionsAPI) update(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Data json.RawMessage `json:"data"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	if len(body.Data) == 0 {
		return nil, &problem.Error{Code: problem.CodeValidation, Detail: "Manca il modulo.",
			Fields: []problem.FieldError{{Field: "data", Code: problem.FieldRequired, Message: "Campo obbligatorio."}}}
	}
	version, err := ifMatch(r)
	if err != nil {
		return nil, err
	}
	sub, err := h.svc.Update(ctx, r.Principal, r.Params["id"], version, body.Data)
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	return h.respondSubmission(http.StatusOK, sub)
}

func (h *submissionsAPI) submit(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if len(strings.TrimSpace(string(r.Body))) > 0 && strings.TrimSpace(string(r.Body)) != "{}" {
		return nil, problem.New(problem.CodeBadRequest, "L'invio non prevede un corpo.")
	}
	arrival, scope := r.Arrival, ""
	if key := r.Header.Get("Idempotency-Key"); key != "" && len(key) <= 128 {
		scope = r.Principal.Subject + "#" + r.Params["id"] + "#" + key
		if first, found, err := h.Store.FirstArrival(ctx, scope); err == nil && found && first.Before(arrival) {
			arrival = first // the retry of a submit that failed retryably
		}
	}
	sub, err := h.svc.Submit(ctx, r.Principal, r.Params["id"], arrival)
	apigw.Annotate(ctx, slog.String("submission", r.Params["id"]), slog.String("arrival", arrival.UTC().Format("2006-01-02T15:04:05.000Z")))
	if problem.CodeOf(err) == problem.CodeUnavailable && scope != "" {
		if rerr := h.Store.RecordArrival(ctx, scope, arrival); rerr != nil {
			h.Log.Warn("could not keep the arrival of a failed submit", "submission", r.Params["id"], "error", rerr.Error())
		}
	}
	if err != nil {
		apigw.Annotate(ctx, slog.String("outcome", problem.CodeOf(err)))
		return nil, err
	}
	annotateSubmission(ctx, sub)
	apigw.Annotate(ctx, slog.String("outcome", "filed"), slog.String("protocol", sub.Protocol.Number))
	return h.respondSubmission(http.StatusOK, sub)
}

func (h *submissionsAPI) review(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Decision string   `json:"decision"`
		Notes    string   `json:"notes"`
		Deadline string   `json:"deadline"`
		Admitted []string `json:"admittedFacilities"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	d := submission.Decision{Decision: body.Decision, Notes: body.Notes, Admitted: body.Admitted}
	if body.Deadline != "" {
		at, err := clock.ParseInstant(body.Deadline)
		if err != nil {
			return nil, &problem.Error{Code: problem.CodeValidation, Detail: "La decisione non è valida.",
				Fields: []problem.FieldError{{Field: "deadline", Code: problem.FieldInvalid, Message: err.Error()}}}
		}
		d.Deadline = &at
	}
	sub, err := h.svc.Review(ctx, r.Principal, r.Params["id"], d)
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	return h.respondSubmission(http.StatusOK, sub)
}

// integrate sends the documents of an integration request, as of the
// request's arrival.
func (h *submissionsAPI) integrate(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if b := strings.TrimSpace(string(r.Body)); b != "" && b != "{}" {
		return nil, problem.New(problem.CodeBadRequest, "L'invio dell'integrazione non prevede un corpo.")
	}
	sub, err := h.svc.Integrate(ctx, r.Principal, r.Params["id"], r.Arrival)
	if err != nil {
		apigw.Annotate(ctx, slog.String("submission", r.Params["id"]), slog.String("outcome", problem.CodeOf(err)))
		return nil, err
	}
	annotateSubmission(ctx, sub)
	apigw.Annotate(ctx, slog.String("outcome", "integrated"))
	return h.respondSubmission(http.StatusOK, sub)
}

// withdraw records the applicant's rinuncia.
func (h *submissionsAPI) withdraw(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if b := strings.TrimSpace(string(r.Body)); b != "" && b != "{}" {
		return nil, problem.New(problem.CodeBadRequest, "La rinuncia non prevede un corpo.")
	}
	sub, err := h.svc.Withdraw(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	apigw.Annotate(ctx, slog.String("outcome", "withdrawn"))
	return h.respondSubmission(http.StatusOK, sub)
}

func (h *submissionsAPI) audit(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	sub, err := h.svc.Get(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	if !r.Principal.OfficerOf(sub.Region) {
		return nil, problem.New(problem.CodeForbidden, "Il registro delle operazioni è consultabile dai funzionari regionali.")
	}
	trail, err := h.Store.SubmissionAudit(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"entries": trail})
}
