package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"sportello/shared/allocation"
	"sportello/shared/apigw"
	"sportello/shared/bidi"
	"sportello/shared/export"
	"sportello/shared/money"
	"sportello/shared/nidigratis"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/riparto"
)

type fundsBody struct {
	Amount      *money.Cents `json:"amount"`
	Note        string       `json:"note"`
	OnlyDecided bool         `json:"onlyDecided"`
	Reason      string       `json:"reason"`
	// Act is the reference of the act that set the fund, published with it.
	Act string `json:"act"`
}

func decodeFunds(r *apigw.Request) (allocation.Announcement, error) {
	if err := apigw.RequireJSON(r); err != nil {
		return allocation.Announcement{}, err
	}
	var body fundsBody
	if err := program.Strict(r.Body, &body); err != nil {
		return allocation.Announcement{}, err
	}
	var f problem.Fields
	switch {
	case body.Amount == nil:
		f.Add("amount", problem.FieldRequired, "Indicare l'importo del fondo (es. \"1234567.89\").")
	case *body.Amount <= 0:
		f.Add("amount", problem.FieldInvalid, "L'importo deve essere positivo.")
	}
	if len(body.Note) > 2000 {
		f.Add("note", problem.FieldTooLarge, "Al massimo 2000 caratteri.")
	}
	if len(body.Act) > 300 || bidi.Has(body.Act) {
		f.Add("act", problem.FieldInvalid, "Indicare il riferimento dell'atto (al massimo 300 caratteri, senza caratteri di controllo).")
	}
	switch {
	case body.OnlyDecided && strings.TrimSpace(body.Reason) == "":
		f.Add("reason", problem.FieldRequired, "Indicare perché si ripartisce tra le sole domande decise.")
	case !body.OnlyDecided && body.Reason != "":
		f.Add("reason", problem.FieldNotAllowed, "Il motivo si indica solo con \"onlyDecided\": true.")
	case len(body.Reason) > 2000:
		f.Add("reason", problem.FieldTooLarge, "Al massimo 2000 caratteri.")
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 128 {
		return allocation.Announcement{}, problem.New(problem.CodeBadRequest, "Idempotency-Key troppo lunga (massimo 128 caratteri).")
	}
	if err := f.Err(problem.CodeValidation, "L'annuncio del fondo non è valido."); err != nil {
		return allocation.Announcement{}, err
	}
	return allocation.Announcement{Fund: *body.Amount, Note: body.Note, Act: strings.TrimSpace(body.Act), OnlyDecided: body.OnlyDecided, Reason: body.Reason,
		IdemKey: key, By: r.Principal.Subject}, nil
}

func (h api) announce(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	a, err := decodeFunds(r)
	if err != nil {
		return nil, err
	}
	run, created, err := h.Allocation.AnnounceFunds(ctx, r.Principal, r.Params["callId"], a)
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, run.CallID)
	apigw.Annotate(ctx, slog.String("allocation", run.ID), slog.Bool("created", created))
	return apigw.JSON(http.StatusAccepted, map[string]any{"allocationId": run.ID, "status": run.Status, "created": created})
}

func (h api) allocation(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	format, err := negotiate(r, export.JSON, export.CSV, export.XLSX)
	if err != nil {
		return nil, err
	}
	if format != export.JSON {
		// The files are outputs: audited downloads (package outputs).
		f, err := h.Outputs.Riparto(ctx, r.Principal, r.Params["callId"], r.Params["allocationId"], format)
		if err != nil {
			return nil, err
		}
		return download(f), nil
	}
	run, lines, err := h.Allocation.Get(ctx, r.Principal, r.Params["callId"], r.Params["allocationId"])
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"id": run.ID, "status": run.Status, "fund": run.Fund, "note": run.Note,
		"announcedAt": Rome(run.AnnouncedAt), "inputSha256": run.InputSHA256, "engineVersion": run.EngineVersion,
		"onlyDecided": run.OnlyDecided, "overrideReason": run.OverrideReason, "leftOut": run.LeftOut,
		"allocated": run.Allocated, "unallocated": run.Unallocated, "error": run.Error, "result": allocation.Result(run, lines)})
}

func (h api) simulate(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	a, err := decodeFunds(r)
	if err != nil {
		return nil, err
	}
	res, snap, err := h.Allocation.SimulateFunds(ctx, r.Principal, r.Params["callId"], a.Fund)
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"simulated": true, "result": res, "leftOut": snap.LeftOut})
}

func calculateNidiGratis(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if err := apigw.RequireJSON(r); err != nil {
		return nil, err
	}
	in, err := nidigratis.DecodeRequest(r.Body)
	if err != nil {
		return nil, err
	}
	return ok(nidigratis.Compute(in))
}

func calculateRiparto(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if err := apigw.RequireJSON(r); err != nil {
		return nil, err
	}
	req, err := riparto.DecodeRequest(r.Body)
	if err != nil {
		return nil, err
	}
	res, err := riparto.Allocate(req.Fund, req.Beneficiaries)
	if err != nil {
		return nil, err
	}
	return ok(res)
}
