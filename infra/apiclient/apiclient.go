// Package apiclient is a small client of the v1 HTTP API, as a browser or
// a Comune's system would use it: the end-to-end tests and the benchmarks
// drive the local runtime through it.
package apiclient

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Client talks to one base URL.
type Client struct {
	Base string
	HTTP *http.Client
}

// New returns a client with connection reuse sized for load tests.
func New(base string) *Client {
	return &Client{Base: base, HTTP: &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}}
}

// Response is a status, headers and body.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// JSON decodes the body as an object.
func (r Response) JSON() (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return nil, fmt.Errorf("not JSON (%d): %.200s", r.Status, r.Body)
	}
	return m, nil
}

// Do sends a request; body may be nil, a string, bytes or a value to
// encode as JSON; headers are name, value pairs.
func (c *Client) Do(method, path, token string, body any, headers ...string) (Response, error) {
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rdr = bytes.NewReader([]byte(b))
	case []byte:
		rdr = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rdr = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.Base+path, rdr)
	if err != nil {
		return Response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Body: b, Header: resp.Header}, err
}

// Draft creates an application and returns its id.
func (c *Client) Draft(callID, token, org string, data json.RawMessage) (string, error) {
	r, err := c.Do("POST", "/v1/calls/"+callID+"/submissions", token, map[string]any{"org": org, "data": data})
	if err != nil {
		return "", err
	}
	if r.Status != http.StatusCreated {
		return "", fmt.Errorf("create draft: %d %.300s", r.Status, r.Body)
	}
	m, err := r.JSON()
	if err != nil {
		return "", err
	}
	return m["id"].(string), nil
}

// Upload declares a document and PUTs body to the pre-signed URL with the
// headers the API returned; it returns the document id.
func (c *Client) Upload(subID, token, kind, filename, contentType string, body io.ReadSeeker, size int64) (string, error) {
	return c.UploadFor(subID, token, kind, "", filename, contentType, body, size)
}

// UploadFor is Upload of a per-item document (a facility's convenzione):
// ref names the item.
func (c *Client) UploadFor(subID, token, kind, ref, filename, contentType string, body io.ReadSeeker, size int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, body); err != nil {
		return "", err
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	decl := map[string]any{"kind": kind, "filename": filename, "contentType": contentType, "size": size, "sha256": hex.EncodeToString(h.Sum(nil))}
	if ref != "" {
		decl["ref"] = ref
	}
	r, err := c.Do("POST", "/v1/submissions/"+subID+"/documents", token, decl)
	if err != nil {
		return "", err
	}
	if r.Status != http.StatusCreated {
		return "", fmt.Errorf("declare %s: %d %.300s", kind, r.Status, r.Body)
	}
	up, err := r.JSON()
	if err != nil {
		return "", err
	}
	req, err := http.NewRequest(up["method"].(string), up["uploadUrl"].(string), body)
	if err != nil {
		return "", err
	}
	req.ContentLength = size
	for k, v := range up["headers"].(map[string]any) {
		if k != "Content-Length" {
			req.Header.Set(k, v.(string))
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("PUT %s: %d", filename, resp.StatusCode)
	}
	return up["id"].(string), nil
}
