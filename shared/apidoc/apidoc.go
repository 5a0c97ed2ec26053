// Package apidoc holds the API's contract, the OpenAPI document generated
// from openapi.yaml, and serves it.
package apidoc

import (
	"context"
	_ "embed"
	"net/http"

	"sportello/shared/apigw"
)

//go:generate go run ./cmd/genapidoc -in openapi.yaml -out openapi.json

// OpenAPI is the document, as served at GET /v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// Serve answers GET /v1/openapi.json. The route is public: integrators read
// the contract before they have an account.
func Serve(context.Context, *apigw.Request) (*apigw.Response, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	// Short: a deployment changes the document.
	h.Set("Cache-Control", "public, max-age=300")
	return &apigw.Response{Status: http.StatusOK, Header: h, Body: OpenAPI}, nil
}
