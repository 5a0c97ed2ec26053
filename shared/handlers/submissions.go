package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sportello/shared/apigw"
	"sportello/shared/clock"
	"sportello/shared/problem"
	"sportello/shared/submission"
)

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
	Istruttoria     *istruttoriaView            `json:"istruttoria,omitempty"`
	// PrivacyNotice is which version of the call's privacy notice the
	// applicant acknowledged, and when (officers read it here).
	PrivacyNotice *privacyView `json:"privacyNotice,omitempty"`
}

type privacyView struct {
	Version        string `json:"version"`
	AcknowledgedAt string `json:"acknowledgedAt"`
	By             string `json:"by"`
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

// istruttoriaView is the review clock (Lombardy C.3) as of the request.
type istruttoriaView struct {
	Due       string `json:"due"`       // the due date as of now
	Suspended bool   `json:"suspended"` // an integration is awaited: the clock stands still
	Overdue   bool   `json:"overdue"`   // undecided and past due
}

func viewClock(s submission.Submission, now time.Time) *istruttoriaView {
	rc, ok := s.Clock(now)
	if !ok {
		return nil
	}
	return &istruttoriaView{Due: Rome(rc.Due), Suspended: rc.Suspended, Overdue: rc.Overdue}
}

func viewSubmission(s submission.Submission, withData bool) submissionView {
	v := submissionView{ID: s.ID, CallID: s.CallID, Program: s.Program, Org: s.Org, State: s.State, Version: s.Version,
		Review: s.Review, Flags: s.Flags, Summary: s.Summary, CreatedAt: Rome(s.CreatedAt), UpdatedAt: Rome(s.UpdatedAt)}
	if s.Protocol != nil {
		v.Protocol = &protocolView{Number: s.Protocol.Number, At: Rome(s.Protocol.At)}
	}
	for _, t := range s.Resubmitted {
		v.Resubmitted = append(v.Resubmitted, Rome(t))
	}
	if s.Privacy != nil {
		v.PrivacyNotice = &privacyView{Version: s.Privacy.Version, AcknowledgedAt: Rome(s.Privacy.At), By: s.Privacy.By}
	}
	if !withData {
		return v // a listing: the record's details are on the application itself
	}
	v.SealedDocuments = s.Sealed
	for _, in := range s.Integrations {
		iv := integrationView{Protocol: protocolView{Number: in.Protocol.Number, At: Rome(in.Protocol.At)}, Documents: in.Documents}
		if iv.Documents == nil {
			iv.Documents = []submission.SealedDocument{} // a corrected scheda may add none
		}
		if !in.Deadline.IsZero() {
			iv.Deadline = Rome(in.Deadline)
		}
		v.Integrations = append(v.Integrations, iv)
	}
	if s.Withdrawal != nil {
		v.Withdrawal = &withdrawalView{By: s.Withdrawal.By, At: Rome(s.Withdrawal.At)}
	}
	v.Data = s.Data
	return v
}

func (h api) respondSubmission(status int, s submission.Submission) (*apigw.Response, error) {
	v := viewSubmission(s, true)
	v.Derived = h.Submissions.Derived(s)
	v.Istruttoria = viewClock(s, h.Clock.Now())
	resp, err := apigw.JSON(status, v)
	if err == nil {
		resp.Header.Set("ETag", strconv.Quote(strconv.FormatInt(s.Version, 10)))
	}
	return resp, err
}

func annotateSubmission(ctx context.Context, s submission.Submission) {
	apigw.Annotate(ctx, slog.String("call", s.CallID), slog.String("submission", s.ID), slog.String("state", string(s.State)))
}

func (h api) createSubmission(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Org  string          `json:"org"`
		Data json.RawMessage `json:"data"`
		// PrivacyNoticeVersion: the version of the call's privacy notice
		// the applicant read and acknowledges.
		PrivacyNoticeVersion string `json:"privacyNoticeVersion"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > submission.MaxIdempotencyKey {
		return nil, problem.New(problem.CodeBadRequest, "Idempotency-Key troppo lunga (massimo 128 caratteri).")
	}
	sub, created, err := h.Submissions.Create(ctx, r.Principal, r.Params["callId"], body.Org, body.Data, key, body.PrivacyNoticeVersion)
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

func (h api) listSubmissions(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	subs, err := h.Submissions.List(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	now := h.Clock.Now()
	switch sort := r.Query.Get("sort"); sort {
	case "":
	case "reviewDue":
		// Officers work the list by due date: soonest first, those
		// without a review clock last.
		slices.SortStableFunc(subs, func(a, b submission.Submission) int {
			ca, oka := a.Clock(now)
			cb, okb := b.Clock(now)
			switch {
			case oka && okb:
				return ca.Due.Compare(cb.Due)
			case oka:
				return -1
			case okb:
				return 1
			}
			return 0
		})
	default:
		return nil, &problem.Error{Code: problem.CodeValidation, Detail: "Ordinamento non previsto.",
			Fields: []problem.FieldError{{Field: "sort", Code: problem.FieldInvalid, Message: "Usare sort=reviewDue (scadenza dell'istruttoria)."}}}
	}
	out := make([]submissionView, 0, len(subs))
	for _, s := range subs {
		v := viewSubmission(s, false)
		v.Istruttoria = viewClock(s, now)
		out = append(out, v)
	}
	apigw.Annotate(ctx, slog.String("call", r.Params["callId"]), slog.Int("count", len(out)))
	return ok(map[string]any{"submissions": out})
}

func (h api) getSubmission(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	sub, err := h.Submissions.Get(ctx, r.Principal, r.Params["id"])
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

func (h api) updateSubmission(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Data                 json.RawMessage `json:"data"`
		PrivacyNoticeVersion string          `json:"privacyNoticeVersion"`
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
	sub, err := h.Submissions.Update(ctx, r.Principal, r.Params["id"], version, body.Data, body.PrivacyNoticeVersion)
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	return h.respondSubmission(http.StatusOK, sub)
}

func (h api) submit(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if len(strings.TrimSpace(string(r.Body))) > 0 && strings.TrimSpace(string(r.Body)) != "{}" {
		return nil, problem.New(problem.CodeBadRequest, "L'invio non prevede un corpo.")
	}
	sub, arrival, err := h.Submissions.SubmitRetry(ctx, r.Principal, r.Params["id"], r.Arrival, r.Header.Get("Idempotency-Key"))
	apigw.Annotate(ctx, slog.String("submission", r.Params["id"]), slog.String("arrival", arrival.UTC().Format("2006-01-02T15:04:05.000Z")))
	if err != nil {
		apigw.Annotate(ctx, slog.String("outcome", problem.CodeOf(err)))
		return nil, err
	}
	annotateSubmission(ctx, sub)
	apigw.Annotate(ctx, slog.String("outcome", "filed"), slog.String("protocol", sub.Protocol.Number))
	return h.respondSubmission(http.StatusOK, sub)
}

func (h api) review(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Decision string   `json:"decision"`
		Notes    string   `json:"notes"`
		Deadline string   `json:"deadline"`
		Admitted []string `json:"admittedFacilities"`
		Reasons  []string `json:"reasons"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	d := submission.Decision{Decision: body.Decision, Notes: body.Notes, Admitted: body.Admitted, Reasons: body.Reasons}
	if body.Deadline != "" {
		at, err := clock.ParseInstant(body.Deadline)
		if err != nil {
			return nil, &problem.Error{Code: problem.CodeValidation, Detail: "La decisione non è valida.",
				Fields: []problem.FieldError{{Field: "deadline", Code: problem.FieldInvalid, Message: err.Error()}}}
		}
		d.Deadline = &at
	}
	sub, err := h.Submissions.Review(ctx, r.Principal, r.Params["id"], d)
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	return h.respondSubmission(http.StatusOK, sub)
}

// integrate sends the documents of an integration request, as of the
// request's arrival.
func (h api) integrate(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if b := strings.TrimSpace(string(r.Body)); b != "" && b != "{}" {
		return nil, problem.New(problem.CodeBadRequest, "L'invio dell'integrazione non prevede un corpo.")
	}
	sub, err := h.Submissions.Integrate(ctx, r.Principal, r.Params["id"], r.Arrival)
	if err != nil {
		apigw.Annotate(ctx, slog.String("submission", r.Params["id"]), slog.String("outcome", problem.CodeOf(err)))
		return nil, err
	}
	annotateSubmission(ctx, sub)
	apigw.Annotate(ctx, slog.String("outcome", "integrated"))
	return h.respondSubmission(http.StatusOK, sub)
}

// withdraw records the applicant's rinuncia.
func (h api) withdraw(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if b := strings.TrimSpace(string(r.Body)); b != "" && b != "{}" {
		return nil, problem.New(problem.CodeBadRequest, "La rinuncia non prevede un corpo.")
	}
	sub, err := h.Submissions.Withdraw(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	apigw.Annotate(ctx, slog.String("outcome", "withdrawn"))
	return h.respondSubmission(http.StatusOK, sub)
}

func (h api) submissionAudit(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	trail, err := h.Submissions.Audit(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"entries": trail})
}

// receipt renders the protocol receipt of a filed application.
func (h api) receipt(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	f, err := h.Documents.Receipt(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, f.Submission)
	return apigw.Bytes(http.StatusOK, f.ContentType, f.Name, f.Body), nil
}

// summary renders the generated application (Lombardy A1) from the draft.
func (h api) summary(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	f, err := h.Documents.Summary(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, f.Submission)
	return apigw.Bytes(http.StatusOK, f.ContentType, f.Name, f.Body), nil
}
