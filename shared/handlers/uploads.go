package handlers

import (
	"context"
	"log/slog"
	"net/http"

	"sportello/shared/apigw"
	"sportello/shared/document"
)

// declareDocument declares a document and answers a pre-signed PUT URL
// bound to the declared length, type and checksum.
func (h api) declareDocument(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var in document.Declaration
	if err := apigw.Decode(r, &in); err != nil {
		return nil, err
	}
	doc, up, err := h.Documents.Declare(ctx, r.Principal, r.Params["id"], in)
	if err != nil {
		return nil, err
	}
	apigw.Annotate(ctx, slog.String("call", doc.CallID), slog.String("submission", doc.SubmissionID), slog.String("document", doc.ID))
	return apigw.JSON(http.StatusCreated, map[string]any{
		"id": doc.ID, "uploadUrl": up.URL, "method": up.Method, "headers": up.Headers, "expiresAt": Rome(up.ExpiresAt),
	})
}

func (h api) listDocuments(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	docs, err := h.Documents.List(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"documents": docs})
}

// download answers a short-lived URL for a document the caller may see.
func (h api) download(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	doc, link, err := h.Documents.Download(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	apigw.Annotate(ctx, slog.String("document", doc.ID))
	return ok(map[string]string{"url": link.URL, "expiresAt": Rome(link.ExpiresAt)})
}
