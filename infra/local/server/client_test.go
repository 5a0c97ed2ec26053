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

type response struct{ apiclient.Response }

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	m, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (e *env) client() *apiclient.Client {
	return &apiclient.Client{Base: e.rt.URL, HTTP: e.http}
}

func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	r, err := e.client().Do(method, path, token, body, headers...)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{r}
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
	id, err := e.client().Draft(callID, token, org, data)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
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
	id, err := e.client().UploadFor(subID, token, kind, ref, filename, contentType, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.rt.WaitDocuments()
	return map[string]any{"id": id}
}

func (e *env) documentStatus(subID, token, docID string) (string, string) {
	r := e.do("GET", "/v1/submissions/"+subID+"/documents", token, nil)
	for _, d := range r.json(e.t)["documents"].([]any) {
		m := d.(map[string]any)
		if m["id"] == docID {
			reason, _ := m["reason"].(string)
			return m["status"].(string), reason
		}
	}
	return "", ""
}

func problemCode(t *testing.T, r response) string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("want problem+json, got %q (%d): %s", ct, r.Status, r.Body)
	}
	code, _ := r.json(t)["code"].(string)
	return code
}

func fieldsOf(t *testing.T, r response) []string {
	var out []string
	errs, _ := r.json(t)["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out = append(out, fmt.Sprintf("%s:%s", m["field"], m["code"]))
	}
	return out
}
