// Package apiclient is the typed client of the v1 HTTP API, generated from
// the OpenAPI document (shared/apidoc/openapi.json) by oapi-codegen
// (client.gen.go, committed), plus the steps a client does around it: the
// bearer token, and the PUT of a file to its pre-signed URL. The end-to-end
// tests and the benchmarks drive the local runtime through it.
package apiclient

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../shared/apidoc/openapi.json

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// API is the generated client with its HTTP client (the pre-signed PUT of
// an upload goes through the same one).
type API struct {
	*ClientWithResponses
	HTTP *http.Client
}

// New returns a client of the API at base over hc; nil hc is a client with
// connection reuse sized for load tests.
func New(base string, hc *http.Client) (*API, error) {
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	}
	c, err := NewClientWithResponses(base, WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("api client for %s: %w", base, err)
	}
	return &API{ClientWithResponses: c, HTTP: hc}, nil
}

// Bearer sends token as the request's bearer token ("" sends none).
func Bearer(token string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return nil
	}
}

// Header sets one request header.
func Header(name, value string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set(name, value)
		return nil
	}
}

// unexpected is the error for an answer other than the one expected.
func unexpected(what string, status int, body []byte) error {
	return fmt.Errorf("%s: %d %.300s", what, status, body)
}

// Draft creates an application with the form data and returns it. As a
// portal does, it reads the call first and acknowledges the privacy notice
// the call publishes (the applicant has been shown it).
func (a *API) Draft(ctx context.Context, callID, token, org string, data json.RawMessage) (Submission, error) {
	c, err := a.GetCallWithResponse(ctx, callID, Bearer(token))
	if err != nil {
		return Submission{}, err
	}
	if c.JSON200 == nil {
		return Submission{}, unexpected("read the call", c.StatusCode(), c.Body)
	}
	req := map[string]any{"org": org, "data": data}
	if n := c.JSON200.PrivacyNotice; n != nil {
		req["privacyNoticeVersion"] = n.Version
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Submission{}, err
	}
	r, err := a.CreateSubmissionWithBodyWithResponse(ctx, callID, &CreateSubmissionParams{}, "application/json", bytes.NewReader(body), Bearer(token))
	if err != nil {
		return Submission{}, err
	}
	if r.JSON201 == nil {
		return Submission{}, unexpected("create draft", r.StatusCode(), r.Body)
	}
	return *r.JSON201, nil
}

// Upload declares a document, PUTs body to the pre-signed URL with the
// headers the API returned, and returns the document's id. ref names the
// item of the form a per-item kind is for ("" for the others).
func (a *API) Upload(ctx context.Context, subID, token, kind, ref, filename, contentType string, body io.ReadSeeker, size int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, body); err != nil {
		return "", err
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	decl := DocumentDeclaration{Kind: kind, Filename: filename, ContentType: contentType, Size: size, Sha256: hex.EncodeToString(h.Sum(nil))}
	if ref != "" {
		decl.Ref = &ref
	}
	r, err := a.DeclareDocumentWithResponse(ctx, subID, decl, Bearer(token))
	if err != nil {
		return "", err
	}
	if r.JSON201 == nil {
		return "", unexpected("declare "+kind, r.StatusCode(), r.Body)
	}
	up := r.JSON201
	req, err := http.NewRequestWithContext(ctx, string(up.Method), up.UploadUrl, body)
	if err != nil {
		return "", err
	}
	req.ContentLength = size
	for k, v := range up.Headers {
		if k != "Content-Length" {
			req.Header.Set(k, v)
		}
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("PUT %s: %d", filename, resp.StatusCode)
	}
	return up.Id, nil
}
