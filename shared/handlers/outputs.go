package handlers

import (
	"context"
	"net/http"

	"sportello/shared/apigw"
	"sportello/shared/export"
	"sportello/shared/outputs"
)

// The lists, decree data and deadlines the Region downloads. Each
// negotiates its format: ?format= first, then Accept.

func negotiate(r *apigw.Request, offered ...export.Format) (export.Format, error) {
	return export.Negotiate(r.Query.Get("format"), r.Header.Get("Accept"), offered...)
}

func download(f outputs.File) *apigw.Response {
	resp := apigw.Bytes(http.StatusOK, f.ContentType, f.Name, f.Body)
	resp.Header.Set("Vary", "Accept")
	return resp
}

func (h api) elenco(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	format, err := negotiate(r, export.JSON, export.CSV, export.XLSX, export.PDF)
	if err != nil {
		return nil, err
	}
	f, err := h.Outputs.Elenco(ctx, r.Principal, r.Params["callId"], format)
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, r.Params["callId"])
	return download(f), nil
}

func (h api) decree(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	format, err := negotiate(r, export.JSON, export.CSV, export.XLSX, export.PDF)
	if err != nil {
		return nil, err
	}
	f, err := h.Outputs.Decree(ctx, r.Principal, r.Params["callId"], r.Params["allocationId"], format)
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, r.Params["callId"])
	return download(f), nil
}

func (h api) serviceRegistry(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	format, err := negotiate(r, export.JSON, export.CSV, export.XLSX)
	if err != nil {
		return nil, err
	}
	f, err := h.Outputs.ServiceRegistry(ctx, r.Principal, r.Params["callId"], format)
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, r.Params["callId"])
	return download(f), nil
}

func (h api) milestones(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	ms, err := h.Outputs.Milestones(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"milestones": ms})
}
