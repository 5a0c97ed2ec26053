package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"sportello/shared/apidoc"
)

// reporter is where contract violations go: the test (t.Errorf), or a
// recorder in the tests of the checker itself.
type reporter interface {
	Errorf(format string, args ...any)
}

// contract is the validating middleware of the end-to-end client: every
// request to the API and every response is checked against the OpenAPI
// document served at /v1/openapi.json (kin-openapi openapi3filter).
//   - A response must be documented for its operation and status, and match
//     its schema (a problem's code must be one of its status).
//   - A request the document refuses (a deliberately bad body, a missing
//     token) must be refused by the API with a 4xx; one the document accepts
//     is sent as is and its answer checked like any other.
//   - A request outside the document must get 404 or 405.
//
// Requests to other hosts (the pre-signed S3 URLs) pass through unchecked.
type contract struct {
	report reporter
	next   http.RoundTripper
	host   string
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*openapi3.T, error) {
	// The API's CSV is an Italian spreadsheet export (BOM, ';', a header
	// block), documented as a string: check it as text, not as records.
	// The reference page and its assets are text too.
	for _, ct := range []string{"text/csv", "text/html", "text/javascript", "text/css"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	doc, err := openapi3.NewLoader().LoadFromData(apidoc.OpenAPI)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	doc.Servers = nil // match any host: the runtime listens on a random port
	return doc, nil
})

func newContract(report reporter, host string, next http.RoundTripper) (*contract, error) {
	doc, err := loadContract()
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI document: %w", err)
	}
	return &contract{report: report, next: next, host: host, router: router}, nil
}

// bearer is what API Gateway checks before the function runs: a bearer
// token is present (its validity is the API's to judge, and a bad one must
// get 401, which the response check enforces).
func bearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return fmt.Errorf("no bearer token")
	}
	return nil
}

func (c *contract) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != c.host {
		return c.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	fresh := func() *http.Request {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		return r
	}
	what := req.Method + " " + req.URL.Path
	route, params, findErr := c.router.FindRoute(fresh())
	var in *openapi3filter.RequestValidationInput
	var reqErr error
	if findErr == nil {
		in = &openapi3filter.RequestValidationInput{Request: fresh(), PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: bearer, MultiError: true}}
		reqErr = openapi3filter.ValidateRequest(req.Context(), in)
	}
	resp, err := c.next.RoundTrip(fresh())
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	switch {
	case findErr != nil:
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			c.report.Errorf("contract: %s is not in the OpenAPI document (%v) but the API answered %d: describe it in shared/apidoc/openapi.yaml", what, findErr, resp.StatusCode)
		} else if !isProblem(resp, out) {
			c.report.Errorf("contract: %s answered %d without a problem+json body: %.200s", what, resp.StatusCode, out)
		}
		return resp, nil
	case reqErr != nil && (resp.StatusCode < 400 || resp.StatusCode > 499):
		c.report.Errorf("contract: the document refuses %s (%v) but the API answered %d", what, short(reqErr), resp.StatusCode)
	}
	in.Request = fresh() // the response check reads the request again
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	rin.SetBodyBytes(out)
	if err := openapi3filter.ValidateResponse(req.Context(), rin); err != nil {
		c.report.Errorf("contract: %s answered %d outside the document: %v\nbody: %.500s", what, resp.StatusCode, short(err), out)
	}
	return resp, nil
}

func isProblem(resp *http.Response, body []byte) bool {
	var p struct {
		Code   string `json:"code"`
		Status int    `json:"status"`
	}
	return resp.Header.Get("Content-Type") == "application/problem+json" && json.Unmarshal(body, &p) == nil &&
		p.Code != "" && p.Status == resp.StatusCode
}

// short keeps a validation error readable: kin-openapi prints the whole
// schema after each failure.
func short(err error) string {
	s := err.Error()
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "Schema:") || strings.HasPrefix(line, "Value:") {
			break
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
	return strings.TrimSpace(b.String())
}

// recorder collects what the checker reports, for the tests of the checker.
type recorder struct {
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// double answers one canned response: a handler that broke the contract.
type double struct {
	status int
	ctype  string
	body   string
}

func (d double) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body) //nolint:errcheck // a test double drains what it is sent
		req.Body.Close()
	}
	h := http.Header{}
	h.Set("Content-Type", d.ctype)
	return &http.Response{StatusCode: d.status, Header: h, Body: io.NopCloser(strings.NewReader(d.body)), Request: req}, nil
}

// The checker catches a handler that breaks the contract, and lets a
// faithful exchange through (so a clean run of the suite means something).
func TestContractCheckerCatchesABrokenResponse(t *testing.T) {
	const host = "api.test"
	call := `{"id":"call_1","program":"fvg-rette-2024","region":"FVG","title":"t","state":"open","protocolPrefix":"FVG-2025",` +
		`"windows":[{"id":"w1","opensAt":"2025-06-16T12:00:00+02:00","closesAt":"2025-07-22T00:00:00+02:00","closesOn":"2025-07-21","deadline":"entro il 21/07/2025","state":"open"}],"version":1,"now":"2025-07-15T10:00:00+02:00"}`
	problem := func(status int, code string) string {
		return fmt.Sprintf(`{"type":"https://sportello.regione.example/problems/%s","title":"x","status":%d,"code":%q,"detail":"d"}`, code, status, code)
	}
	tests := []struct {
		name, method, path, token, body string
		answer                          double
		caught                          bool
	}{
		{"a faithful call passes", "GET", "/v1/calls/call_1", "Bearer t", "", double{200, "application/json", call}, false},
		{"a faithful problem passes", "GET", "/v1/calls/call_1", "Bearer t", "", double{404, "application/problem+json", problem(404, "not_found")}, false},
		{"a field of the wrong type is caught", "GET", "/v1/calls/call_1", "Bearer t", "", double{200, "application/json", strings.Replace(call, `"version":1`, `"version":"1"`, 1)}, true},
		{"a required field missing is caught", "GET", "/v1/calls/call_1", "Bearer t", "", double{200, "application/json", strings.Replace(call, `"state":"open",`, ``, 1)}, true},
		{"an undocumented field is caught", "GET", "/v1/calls/call_1", "Bearer t", "", double{200, "application/json", strings.Replace(call, `"version":1`, `"version":1,"secret":"x"`, 1)}, true},
		{"an undocumented status is caught", "GET", "/v1/calls/call_1", "Bearer t", "", double{418, "application/problem+json", problem(418, "internal")}, true},
		{"a problem code of another status is caught", "POST", "/v1/submissions/sub_1/submit", "Bearer t", "", double{409, "application/problem+json", problem(409, "bad_request")}, true},
		{"a problem as plain JSON is caught", "GET", "/v1/calls/call_1", "Bearer t", "", double{404, "application/json", problem(404, "not_found")}, true},
		{"a request the document refuses, accepted, is caught", "POST", "/v1/calculators/riparto", "", `{"fund":"1,00","beneficiaries":[]}`,
			double{200, "application/json", `{"fund":"1.00","allocated":"0.00","unallocated":"1.00","engineVersion":"1","lines":[]}`}, true},
		{"a request without a token, answered 200, is caught", "GET", "/v1/calls", "", "", double{200, "application/json", `{"calls":[]}`}, true},
		{"an undocumented route, answered, is caught", "GET", "/v1/secret", "Bearer t", "", double{200, "application/json", `{}`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			c, err := newContract(rec, host, tt.answer)
			if err != nil {
				t.Fatal(err)
			}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, "http://"+host+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.token != "" {
				req.Header.Set("Authorization", tt.token)
			}
			resp, err := (&http.Client{Transport: c}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if caught := len(rec.errs) > 0; caught != tt.caught {
				t.Fatalf("caught=%v, want %v: %v", caught, tt.caught, rec.errs)
			}
		})
	}
}

// The local runtime serves the contract (the document byte for byte, and
// the reference page with its CSP), and its router has exactly the
// document's routes: the same set the stack deploys (infra/stack:
// TestOpenAPIDocumentDescribesExactlyTheDeployedRoutes).
func TestTheContractIsServedAndCoversTheRouter(t *testing.T) {
	e := newEnv(t, time.Date(2026, 5, 18, 10, 0, 0, 0, time.UTC))
	r := e.do("GET", "/v1/openapi.json", "", nil)
	if r.Status != 200 || !bytes.Equal(r.Body, apidoc.OpenAPI) {
		t.Fatalf("GET /v1/openapi.json: %d, %d bytes", r.Status, len(r.Body))
	}
	page := e.do("GET", "/v1/docs", "", nil)
	if page.Status != 200 || !strings.Contains(string(page.Body), "swagger-ui") || page.Header.Get("Content-Security-Policy") != apidoc.CSP {
		t.Fatalf("GET /v1/docs: %d %q", page.Status, page.Header.Get("Content-Security-Policy"))
	}
	doc, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, route := range e.rt.Router.Routes() {
		k := route.Method + " " + route.Pattern
		if !documented[k] {
			t.Errorf("%s is served but not documented", k)
		}
		delete(documented, k)
	}
	for k := range documented {
		t.Errorf("%s is documented but not served", k)
	}
}
