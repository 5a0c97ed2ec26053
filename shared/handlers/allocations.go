package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"

	"sportello/shared/allocation"
	"sportello/shared/apigw"
	"sportello/shared/money"
	"sportello/shared/nidigratis"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/riparto"
)

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

func (h api) announce(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	amount, note, err := decodeFunds(r)
	if err != nil {
		return nil, err
	}
	run, err := h.Allocation.AnnounceFunds(ctx, r.Principal, r.Params["callId"], amount, note)
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, run.CallID)
	apigw.Annotate(ctx, slog.String("allocation", run.ID))
	return apigw.JSON(http.StatusAccepted, map[string]string{"allocationId": run.ID, "status": run.Status})
}

func (h api) allocation(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	out, err := h.Allocation.Get(ctx, r.Principal, r.Params["callId"], r.Params["allocationId"])
	if err != nil {
		return nil, err
	}
	run, res := out.Run, out.Result
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

func (h api) simulate(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	amount, _, err := decodeFunds(r)
	if err != nil {
		return nil, err
	}
	res, err := h.Allocation.SimulateFunds(ctx, r.Principal, r.Params["callId"], amount)
	if err != nil {
		return nil, err
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
