package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"sportello/shared/apigw"
	"sportello/shared/problem"
	"sportello/shared/rendiconto"
)

// RendicontoRoutes are the routes of Nidi Gratis Plus after admission
// (docs/rendicontazione.md): advances, claims, their generated and signed
// documents, transmission, review, payments, recoveries, budget.
func RendicontoRoutes(svc *rendiconto.Service) []apigw.Route {
	h := &rendicontoAPI{svc: svc}
	return []apigw.Route{
		{Method: "PUT", Pattern: "/v1/calls/{callId}/advances", Handler: h.setAdvances},
		{Method: "GET", Pattern: "/v1/calls/{callId}/advances", Handler: h.advances},
		{Method: "GET", Pattern: "/v1/calls/{callId}/budget", Handler: h.budget},
		{Method: "GET", Pattern: "/v1/calls/{callId}/rendicontazioni", Handler: h.list},
		{Method: "POST", Pattern: "/v1/submissions/{id}/rendicontazioni", Handler: h.file},
		{Method: "GET", Pattern: "/v1/rendicontazioni/{id}", Handler: h.get},
		{Method: "GET", Pattern: "/v1/rendicontazioni/{id}/documents/{kind}", Handler: h.document},
		{Method: "PUT", Pattern: "/v1/rendicontazioni/{id}/signed/{kind}", Handler: h.uploadSigned},
		{Method: "POST", Pattern: "/v1/rendicontazioni/{id}/transmit", Handler: h.transmit},
		{Method: "POST", Pattern: "/v1/rendicontazioni/{id}/review", Handler: h.review},
		{Method: "POST", Pattern: "/v1/rendicontazioni/{id}/answer", Handler: h.answer},
		{Method: "POST", Pattern: "/v1/rendicontazioni/{id}/payments", Handler: h.pay},
		{Method: "POST", Pattern: "/v1/rendicontazioni/{id}/recoveries", Handler: h.recover},
	}
}

type rendicontoAPI struct{ svc *rendiconto.Service }

// claimView is a claim with its instants in Rome and its due date.
type claimView struct {
	rendiconto.Claim
	DueDate string `json:"dueDate,omitempty"` // last day (Rome) of the 60 days, once known
}

func viewClaim(c rendiconto.Claim) claimView {
	v := claimView{Claim: c}
	if due, ok := c.DueDate(); ok {
		v.DueDate = due.Format("2006-01-02")
	}
	return v
}

func (h *rendicontoAPI) respond(ctx context.Context, status int, c rendiconto.Claim, err error) (*apigw.Response, error) {
	if err != nil {
		return nil, err
	}
	apigw.Annotate(ctx, slog.String("call", c.Call), slog.String("claim", c.ID), slog.String("state", string(c.State)))
	return apigw.JSON(status, viewClaim(c))
}

func (h *rendicontoAPI) setAdvances(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body rendiconto.AdvanceRequest
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	adv, err := h.svc.SetAdvances(ctx, r.Principal, r.Params["callId"], body)
	if err != nil {
		return nil, err
	}
	return apigw.JSON(http.StatusCreated, map[string]any{"advances": adv})
}

func (h *rendicontoAPI) advances(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	adv, err := h.svc.Advances(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"advances": adv})
}

func (h *rendicontoAPI) budget(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	b, err := h.svc.Budget(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	return ok(b)
}

func (h *rendicontoAPI) list(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	cs, err := h.svc.List(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	out := make([]claimView, len(cs))
	for i, c := range cs {
		out[i] = viewClaim(c)
	}
	return ok(map[string]any{"rendicontazioni": out})
}

func (h *rendicontoAPI) file(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body rendiconto.ClaimRequest
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.svc.File(ctx, r.Principal, r.Params["id"], body)
	return h.respond(ctx, http.StatusCreated, c, err)
}

func (h *rendicontoAPI) get(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	c, err := h.svc.Get(ctx, r.Principal, r.Params["id"])
	return h.respond(ctx, http.StatusOK, c, err)
}

func (h *rendicontoAPI) document(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	kind := strings.TrimSuffix(r.Params["kind"], ".pdf")
	pdf, err := h.svc.Document(ctx, r.Principal, r.Params["id"], kind)
	if err != nil {
		return nil, err
	}
	return apigw.Bytes(http.StatusOK, "application/pdf", r.Params["id"]+"-"+kind+".pdf", pdf), nil
}

func (h *rendicontoAPI) uploadSigned(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	c, err := h.svc.UploadSigned(ctx, r.Principal, r.Params["id"], r.Params["kind"], r.Header.Get("Content-Type"), r.Body)
	return h.respond(ctx, http.StatusOK, c, err)
}

func (h *rendicontoAPI) transmit(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if b := strings.TrimSpace(string(r.Body)); b != "" && b != "{}" {
		return nil, problem.New(problem.CodeBadRequest, "La trasmissione non prevede un corpo.")
	}
	c, err := h.svc.Transmit(ctx, r.Principal, r.Params["id"], r.Arrival)
	return h.respond(ctx, http.StatusOK, c, err)
}

func (h *rendicontoAPI) review(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body rendiconto.ReviewRequest
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.svc.Review(ctx, r.Principal, r.Params["id"], body)
	return h.respond(ctx, http.StatusOK, c, err)
}

func (h *rendicontoAPI) answer(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Notes string `json:"notes"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.svc.Answer(ctx, r.Principal, r.Params["id"], body.Notes)
	return h.respond(ctx, http.StatusOK, c, err)
}

func (h *rendicontoAPI) pay(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body rendiconto.Payment
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.svc.Pay(ctx, r.Principal, r.Params["id"], body)
	return h.respond(ctx, http.StatusOK, c, err)
}

func (h *rendicontoAPI) recover(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body rendiconto.Recovery
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.svc.Recover(ctx, r.Principal, r.Params["id"], body)
	return h.respond(ctx, http.StatusOK, c, err)
}
