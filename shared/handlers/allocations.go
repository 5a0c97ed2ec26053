package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"sportello/shared/allocation"
	"sportello/shared/apigw"
	"sportello/shared/dynamo"
	"sportello/shared/export"
	"sportello/shared/ident"
	"sportello/shared/money"
	"sportello/shared/nidigratis"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/riparto"
)

// AllocationRoutes are the riparto and calculator routes (served by the
// calls function).
func AllocationRoutes(d *Deps, svc *allocation.Service) []apigw.Route {
	h := &allocationAPI{Deps: d, svc: svc}
	return []apigw.Route{
		{Method: "POST", Pattern: "/v1/calls/{callId}/funds", Handler: h.announce},
		{Method: "GET", Pattern: "/v1/calls/{callId}/allocations/{allocationId}", Handler: h.get},
		{Method: "POST", Pattern: "/v1/calls/{callId}/allocations:simulate", Handler: h.simulate},
		{Method: "POST", Pattern: "/v1/calculators/nidi-gratis-plus", Public: true, Handler: calculateNidiGratis},
		{Method: "POST", Pattern: "/v1/calculators/riparto", Public: true, Handler: calculateRiparto},
	}
}

type allocationAPI struct {
	*Deps
	svc *allocation.Service
}

type fundsBody struct {
	Amount      *money.Cents `json:"amount"`
	Note        string       `json:"note"`
	OnlyDecided bool         `json:"onlyDecided"`
	Reason      string       `json:"reason"`
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
	return allocation.Announcement{Fund: *body.Amount, Note: body.Note, OnlyDecided: body.OnlyDecided, Reason: body.Reason,
		IdemKey: key, By: r.Principal.Subject}, nil
}

func (h *allocationAPI) announce(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	a, err := decodeFunds(r)
	if err != nil {
		return nil, err
	}
	c, err := h.officerCall(ctx, r)
	if err != nil {
		return nil, err
	}
	run, created, err := h.svc.Announce(ctx, c, ident.New("alloc"), a)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	apigw.Annotate(ctx, slog.String("allocation", run.ID), slog.Bool("created", created))
	return apigw.JSON(http.StatusAccepted, map[string]any{"allocationId": run.ID, "status": run.Status, "created": created})
}

func (h *allocationAPI) get(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	format, err := export.Negotiate(r.Query.Get("format"), r.Header.Get("Accept"), export.JSON, export.CSV, export.XLSX)
	if err != nil {
		return nil, err
	}
	c, err := h.officerCall(ctx, r)
	if err != nil {
		return nil, err
	}
	id := r.Params["allocationId"]
	if !ident.Valid("alloc", id) {
		return nil, problem.New(problem.CodeNotFound, "Riparto non trovato.")
	}
	run, err := h.Store.Run(ctx, id)
	if err != nil || run.CallID != c.ID {
		return nil, problem.New(problem.CodeNotFound, "Riparto non trovato.")
	}
	lines, err := h.Store.RunLines(ctx, id)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	if format != export.JSON {
		if run.Status != allocation.Done {
			return nil, problem.New(problem.CodeConflict, "Il riparto non è ancora concluso (stato %s).", run.Status)
		}
		table := allocation.RipartoTable(run, lines)
		var b []byte
		if format == export.CSV {
			b, err = table.CSV()
		} else {
			b, err = table.XLSX()
		}
		if err != nil {
			return nil, err
		}
		return apigw.Bytes(http.StatusOK, format.ContentType(), "riparto-"+run.ID+"."+string(format), b), nil
	}
	return ok(map[string]any{"id": run.ID, "status": run.Status, "fund": run.Fund, "note": run.Note,
		"announcedAt": Rome(run.AnnouncedAt), "inputSha256": run.InputSHA256, "engineVersion": run.EngineVersion,
		"onlyDecided": run.OnlyDecided, "overrideReason": run.OverrideReason, "leftOut": run.LeftOut,
		"allocated": run.Allocated, "unallocated": run.Unallocated, "error": run.Error, "result": allocation.Result(run, lines)})
}

func (h *allocationAPI) simulate(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	a, err := decodeFunds(r)
	if err != nil {
		return nil, err
	}
	c, err := h.officerCall(ctx, r)
	if err != nil {
		return nil, err
	}
	res, snap, err := h.svc.Simulate(ctx, c, a.Fund)
	if err != nil {
		return nil, dynamo.Public(err)
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
