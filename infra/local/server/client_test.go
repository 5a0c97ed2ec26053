package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	samples "sportello/events"
	"sportello/events/files/fixtures"
	"sportello/infra/apiclient"
	"sportello/shared/auth"
	"sportello/shared/clock"
)

// env is the one end-to-end harness: a local runtime on a random port, and
// a client whose every exchange with the API is checked against the OpenAPI
// document (see contract). By default the clock is manual, for tests that
// must stand exactly on an instant; options change the runtime's config.
type env struct {
	t    *testing.T
	rt   *Runtime
	clk  *clock.Manual // nil with liveClock
	http *http.Client
}

// option adjusts the runtime's configuration; at is the starting instant.
type option func(c *Config, at time.Time)

// liveClock runs the clock from the starting instant in real time (the
// scheduler fires on its own), instead of the manual clock.
func liveClock(c *Config, at time.Time) { c.Clock = clock.StartAt(at) }

// logTo sends the runtime's JSON logs to w.
func logTo(w io.Writer) option {
	return func(c *Config, _ time.Time) { c.Log = slog.New(slog.NewJSONHandler(w, nil)) }
}

func newEnv(t *testing.T, at time.Time, opts ...option) *env {
	t.Helper()
	clk := clock.NewManual(at)
	cfg := Config{Addr: "127.0.0.1:0", Clock: clk, Log: slog.New(slog.DiscardHandler), OutboxDir: t.TempDir()}
	for _, o := range opts {
		o(&cfg, at)
	}
	rt, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Errorf("close the runtime: %v", err)
		}
	})
	e := &env{t: t, rt: rt}
	if cfg.Clock == clock.Clock(clk) {
		e.clk = clk
	}
	u, err := url.Parse(rt.URL)
	if err != nil {
		t.Fatal(err)
	}
	check, err := newContract(t, u.Host, http.DefaultTransport)
	if err != nil {
		t.Fatal(err)
	}
	e.http = &http.Client{Transport: check}
	return e
}

func (e *env) applicant(orgs ...string) string {
	return e.rt.Token(auth.Principal{Subject: "clerk-" + orgs[0], Role: auth.RoleApplicant, Orgs: orgs})
}

func (e *env) officer(region string) string {
	return e.rt.Token(auth.Principal{Subject: "officer-" + region, Role: auth.RoleOfficer, Region: region})
}

// listingLag bounds how long a test waits for an eventually consistent
// listing (docs/performance.md, "Reads: current or eventual"): the index
// shows a change a few hundred milliseconds late on AWS and on the
// AWS-faithful emulator; 5 s is far beyond that, even on a loaded machine.
const listingLag = 5 * time.Second

// eventually asks again, as a client of an eventually consistent listing
// would, until ok says the answer shows what the test wrote, for at most
// listingLag; then it fails with the last answer. It returns the answer
// that satisfied ok.
func (e *env) eventually(what string, ask func() response, ok func(response) bool) response {
	e.t.Helper()
	deadline := time.Now().Add(listingLag)
	for {
		r := ask()
		if r.Status == http.StatusOK && ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not shown within %s: %d %s", what, listingLag, r.Status, r.Body)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// response is a raw exchange, for the requests a test sends on purpose
// outside the typed client's types (bad bodies, stray headers).
type response struct {
	Status int
	Body   []byte
	Header http.Header
}

// json decodes a JSON object body (a test failure, never a panic).
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("not a JSON object (%d): %.300s", r.Status, r.Body)
	}
	return m
}

// decode reads a response body into the generated type T, failing the test
// (never panicking) when it does not fit.
func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("%d %.300s: not a %T: %v", r.Status, r.Body, v, err)
	}
	return v
}

// protocolOf is the protocol of a filed application's answer.
func protocolOf(t *testing.T, r response) apiclient.Protocol {
	t.Helper()
	s := decode[apiclient.Submission](t, r)
	if r.Status != http.StatusOK || s.Protocol == nil {
		t.Fatalf("not filed: %d %.300s", r.Status, r.Body)
	}
	return *s.Protocol
}

// numberOf is the protocol number of a filed application's answer, for
// goroutines (which may not stop the test).
func numberOf(r response) (string, error) {
	var s apiclient.Submission
	if err := json.Unmarshal(r.Body, &s); err != nil || s.Protocol == nil {
		return "", fmt.Errorf("not filed: %d %.300s", r.Status, r.Body)
	}
	return s.Protocol.Number, nil
}

// api is the typed client generated from the OpenAPI document, over the
// validating transport.
func (e *env) api() *apiclient.API {
	e.t.Helper()
	a, err := apiclient.New(e.rt.URL, e.http)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// do sends one raw request; body may be nil, a string, bytes or a value to
// encode as JSON; headers are name, value pairs. The validating transport
// checks it like every other exchange.
func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rdr = strings.NewReader(b)
	case []byte:
		rdr = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rdr = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.rt.URL+path, rdr)
	if err != nil {
		e.t.Fatal(err)
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
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// example is one file of events/submissions.
type example struct {
	Org       string          `json:"org"`
	Data      json.RawMessage `json:"data"`
	Documents []exampleDoc    `json:"documents"`
}

// exampleDoc is one upload of an example: a fixture of events/files, or
// "@summary" (the A1 generated from the draft, signed here).
type exampleDoc struct {
	Kind        string `json:"kind"`
	File        string `json:"file"`
	ContentType string `json:"contentType"`
	Ref         string `json:"ref"`
}

// uploadExample uploads one document of an example.
func (e *env) uploadExample(subID, token string, d exampleDoc) map[string]any {
	e.t.Helper()
	return e.uploadFor(subID, token, d.Kind, d.Ref, d.File, d.ContentType)
}

func loadExample(t *testing.T, name string) example {
	b, err := samples.FS.ReadFile("submissions/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ex example
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex
}

// draft creates an application and returns its id.
func (e *env) draft(callID, token, org string, data json.RawMessage) string {
	e.t.Helper()
	sub, err := e.api().Draft(context.Background(), callID, token, org, data)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub.Id
}

// upload declares a fixture, PUTs it to the pre-signed URL as a browser
// would, and waits for the documents function.
func (e *env) upload(subID, token, kind, file, contentType string) map[string]any {
	e.t.Helper()
	return e.uploadFor(subID, token, kind, "", file, contentType)
}

// uploadFor is upload of a per-item document (ref: the facility's code).
// The file "@summary" is the application generated from the draft as it
// is now, signed (CAdES) by the legal representative.
func (e *env) uploadFor(subID, token, kind, ref, file, contentType string) map[string]any {
	e.t.Helper()
	var body []byte
	var err error
	if file == "@summary" {
		r := e.do("GET", "/v1/submissions/"+subID+"/summary", token, nil)
		if r.Status != 200 {
			e.t.Fatalf("summary: %d %s", r.Status, r.Body)
		}
		body, err = fixtures.SignCAdES(r.Body, fixtures.ECDSASigner)
		file = "allegato-a1.pdf.p7m"
	} else {
		body, err = samples.FS.ReadFile("files/" + file)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return e.uploadBytes(subID, token, kind, ref, file, contentType, body)
}

// uploadBytes uploads body as a document and waits for its verification.
func (e *env) uploadBytes(subID, token, kind, ref, filename, contentType string, body []byte) map[string]any {
	e.t.Helper()
	id, err := e.api().Upload(context.Background(), subID, token, kind, ref, filename, contentType, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.rt.WaitDocuments()
	return map[string]any{"id": id}
}

func (e *env) documentStatus(subID, token, docID string) (string, string) {
	e.t.Helper()
	r, err := e.api().ListDocumentsWithResponse(context.Background(), subID, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	if r.JSON200 == nil {
		e.t.Fatalf("documents: %d %.300s", r.StatusCode(), r.Body)
	}
	for _, d := range r.JSON200.Documents {
		if d.Id == docID {
			reason := ""
			if d.Reason != nil {
				reason = *d.Reason
			}
			return string(d.Status), reason
		}
	}
	return "", ""
}

func problemCode(t *testing.T, r response) string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("want problem+json, got %q (%d): %s", ct, r.Status, r.Body)
	}
	return string(decode[apiclient.Problem](t, r).Code)
}

func fieldsOf(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	if p := decode[apiclient.Problem](t, r); p.Errors != nil {
		for _, f := range *p.Errors {
			out = append(out, fmt.Sprintf("%s:%s", f.Field, f.Code))
		}
	}
	return out
}
