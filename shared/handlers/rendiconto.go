package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"sportello/shared/apigw"
	"sportello/shared/export"
	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/rendiconto"
)

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

func respondClaim(ctx context.Context, status int, c rendiconto.Claim, err error) (*apigw.Response, error) {
	if err != nil {
		return nil, err
	}
	apigw.Annotate(ctx, slog.String("call", c.Call), slog.String("claim", c.ID), slog.String("state", string(c.State)))
	return apigw.JSON(status, viewClaim(c))
}

func (h api) setAdvances(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body rendiconto.AdvanceRequest
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	adv, err := h.Rendiconto.SetAdvances(ctx, r.Principal, r.Params["callId"], body)
	if err != nil {
		return nil, err
	}
	return apigw.JSON(http.StatusCreated, map[string]any{"advances": adv})
}

func (h api) advances(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	format, err := negotiate(r, export.JSON, export.CSV, export.XLSX)
	if err != nil {
		return nil, err
	}
	if format != export.JSON { // the payment order, in the outputs' conventions
		f, err := h.Outputs.Advances(ctx, r.Principal, r.Params["callId"], format)
		if err != nil {
			return nil, err
		}
		return download(f), nil
	}
	adv, err := h.Rendiconto.Advances(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"advances": adv})
}

func (h api) budget(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	b, err := h.Rendiconto.Budget(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	return ok(b)
}

func (h api) listClaims(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	cs, err := h.Rendiconto.List(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	out := make([]claimView, len(cs))
	for i, c := range cs {
		out[i] = viewClaim(c)
	}
	return ok(map[string]any{"rendicontazioni": out})
}

func (h api) fileClaim(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body rendiconto.ClaimRequest
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.Rendiconto.File(ctx, r.Principal, r.Params["id"], body)
	return respondClaim(ctx, http.StatusCreated, c, err)
}

func (h api) getClaim(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	c, err := h.Rendiconto.Get(ctx, r.Principal, r.Params["id"])
	return respondClaim(ctx, http.StatusOK, c, err)
}

func (h api) claimDocument(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	kind := strings.TrimSuffix(r.Params["kind"], ".pdf")
	pdf, err := h.Rendiconto.Document(ctx, r.Principal, r.Params["id"], kind)
	if err != nil {
		return nil, err
	}
	return apigw.Bytes(http.StatusOK, "application/pdf", r.Params["id"]+"-"+kind+".pdf", pdf), nil
}

func (h api) uploadSigned(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	c, err := h.Rendiconto.UploadSigned(ctx, r.Principal, r.Params["id"], r.Params["kind"], r.Header.Get("Content-Type"), r.Body)
	return respondClaim(ctx, http.StatusOK, c, err)
}

func (h api) transmitClaim(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if b := strings.TrimSpace(string(r.Body)); b != "" && b != "{}" {
		return nil, problem.New(problem.CodeBadRequest, "La trasmissione non prevede un corpo.")
	}
	c, err := h.Rendiconto.Transmit(ctx, r.Principal, r.Params["id"], r.Arrival)
	return respondClaim(ctx, http.StatusOK, c, err)
}

func (h api) reviewClaim(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body rendiconto.ReviewRequest
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.Rendiconto.Review(ctx, r.Principal, r.Params["id"], body)
	return respondClaim(ctx, http.StatusOK, c, err)
}

func (h api) answerClaim(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Notes string `json:"notes"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.Rendiconto.Answer(ctx, r.Principal, r.Params["id"], body.Notes)
	return respondClaim(ctx, http.StatusOK, c, err)
}

func (h api) payClaim(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Amount    money.Cents `json:"amount"`
		Reference string      `json:"reference"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.Rendiconto.Pay(ctx, r.Principal, r.Params["id"], rendiconto.Payment{Amount: body.Amount, Reference: body.Reference})
	return respondClaim(ctx, http.StatusOK, c, err)
}

func (h api) recoverClaim(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		Amount money.Cents `json:"amount"`
		Code   string      `json:"code"`
		Note   string      `json:"note"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	c, err := h.Rendiconto.Recover(ctx, r.Principal, r.Params["id"], rendiconto.Recovery{Amount: body.Amount, Code: body.Code, Note: body.Note})
	return respondClaim(ctx, http.StatusOK, c, err)
}
