package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"

	"sportello/shared/allocation"
	"sportello/shared/apigw"
	"sportello/shared/dynamo"
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
	Amount *money.Cents `json:"amount"`
	Note   string       `json:"note"`
}

func decodeFunds(r *apigw.Request) (money.Cents, string, error) {
	if err := apigw.RequireJSON(r); err != nil {
		return 0, "", err
	}
	var body fundsBody
	if err := program.Strict(r.Body, &body); err != nil {
		return 0, "", err
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
	if err := f.Err(problem.CodeValidation, "L'annuncio del fondo non è valido."); err != nil {
		return 0, "", err
	}
	return *body.Amount, body.Note, nil
}

func (h *allocationAPI) announce(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	amount, note, err := decodeFunds(r)
	if err != nil {
		return nil, err
	}
	c, err := h.officerCall(ctx, r)
	if err != nil {
		return nil, err
	}
	run, err := h.svc.Announce(ctx, c, ident.New("alloc"), amount, note, r.Principal.Subject)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	apigw.Annotate(ctx, slog.String("allocation", run.ID))
	return apigw.JSON(http.StatusAccepted, map[string]string{"allocationId": run.ID, "status": run.Status})
}

func (h *allocationAPI) get(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
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
	res := riparto.Result{Fund: run.Fund, Allocated: run.Allocated, Unallocated: run.Unallocated, Lines: lines, EngineVersion: run.EngineVersion}
	if strings.Contains(r.Header.Get("Accept"), "text/csv") {
		if run.Status != allocation.Done {
			return nil, problem.New(problem.CodeConflict, "Il riparto non è ancora concluso (stato %s).", run.Status)
		}
		var b bytes.Buffer
		if err := riparto.WriteCSV(&b, res, nil); err != nil {
			return nil, err
		}
		resp := apigw.Bytes(http.StatusOK, "text/csv; charset=utf-8", "riparto-"+run.ID+".csv", b.Bytes())
		resp.Binary = false
		return resp, nil
	}
	return ok(map[string]any{"id": run.ID, "status": run.Status, "fund": run.Fund, "note": run.Note,
		"announcedAt": Rome(run.AnnouncedAt), "inputSha256": run.InputSHA256, "engineVersion": run.EngineVersion,
		"allocated": run.Allocated, "unallocated": run.Unallocated, "error": run.Error, "result": res})
}

func (h *allocationAPI) simulate(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	amount, _, err := decodeFunds(r)
	if err != nil {
		return nil, err
	}
	c, err := h.officerCall(ctx, r)
	if err != nil {
		return nil, err
	}
	res, _, err := h.svc.Simulate(ctx, c, amount)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	return ok(map[string]any{"simulated": true, "result": res})
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
