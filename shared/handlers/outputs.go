package handlers

import (
	"context"
	"net/http"

	"sportello/shared/apigw"
	"sportello/shared/export"
	"sportello/shared/ident"
	"sportello/shared/outputs"
	"sportello/shared/problem"
)

// OutputRoutes are the lists, decree data and deadlines the Region
// downloads (served by the calls function). Each negotiates its format:
// ?format= first, then Accept.
func OutputRoutes(svc *outputs.Service) []apigw.Route {
	h := &outputsAPI{svc: svc}
	return []apigw.Route{
		{Method: "GET", Pattern: "/v1/calls/{callId}/outcomes", Handler: h.elenco},
		{Method: "GET", Pattern: "/v1/calls/{callId}/allocations/{allocationId}/decree", Handler: h.decree},
		{Method: "GET", Pattern: "/v1/calls/{callId}/service-registry", Handler: h.registry},
		{Method: "GET", Pattern: "/v1/calls/{callId}/milestones", Handler: h.milestones},
	}
}

type outputsAPI struct{ svc *outputs.Service }

func negotiate(r *apigw.Request, offered ...export.Format) (export.Format, error) {
	return export.Negotiate(r.Query.Get("format"), r.Header.Get("Accept"), offered...)
}

func download(f outputs.File) *apigw.Response {
	resp := apigw.Bytes(http.StatusOK, f.ContentType, f.Name, f.Body)
	resp.Header.Set("Vary", "Accept")
	return resp
}

func (h *outputsAPI) elenco(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	format, err := negotiate(r, export.JSON, export.CSV, export.XLSX, export.PDF)
	if err != nil {
		return nil, err
	}
	f, err := h.svc.Elenco(ctx, r.Principal, r.Params["callId"], format)
	if err != nil {
		return nil, err
	}
	return download(f), nil
}

func (h *outputsAPI) decree(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	format, err := negotiate(r, export.JSON, export.CSV, export.XLSX, export.PDF)
	if err != nil {
		return nil, err
	}
	if !ident.Valid("alloc", r.Params["allocationId"]) {
		return nil, problem.New(problem.CodeNotFound, "Riparto non trovato.")
	}
	f, err := h.svc.Decree(ctx, r.Principal, r.Params["callId"], r.Params["allocationId"], format)
	if err != nil {
		return nil, err
	}
	return download(f), nil
}

func (h *outputsAPI) registry(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	format, err := negotiate(r, export.JSON, export.CSV, export.XLSX)
	if err != nil {
		return nil, err
	}
	f, err := h.svc.ServiceRegistry(ctx, r.Principal, r.Params["callId"], format)
	if err != nil {
		return nil, err
	}
	return download(f), nil
}

func (h *outputsAPI) milestones(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	ms, err := h.svc.Milestones(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"milestones": ms})
}
