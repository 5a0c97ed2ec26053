package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"sportello/events"
	"sportello/shared/auth"
	"sportello/shared/clock"
)

// env is a runtime on a manual clock, for tests that must stand exactly
// on an instant.
type env struct {
	t   *testing.T
	rt  *Runtime
	clk *clock.Manual
}

func newEnv(t *testing.T, at time.Time) *env {
	t.Helper()
	clk := clock.NewManual(at)
	rt, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Clock: clk, Log: slog.New(slog.DiscardHandler), OutboxDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return &env{t: t, rt: rt, clk: clk}
}

func (e *env) applicant(orgs ...string) string {
	return e.rt.Token(auth.Principal{Subject: "clerk-" + orgs[0], Role: auth.RoleApplicant, Orgs: orgs})
}

func (e *env) officer(region string) string {
	return e.rt.Token(auth.Principal{Subject: "officer-" + region, Role: auth.RoleOfficer, Region: region})
}

type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}

func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rdr = bytes.NewReader([]byte(b))
	case []byte:
		rdr = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rdr = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.rt.URL+path, rdr)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// example is one file of events/submissions.
type example struct {
	Org       string          `json:"org"`
	Data      json.RawMessage `json:"data"`
	Documents []struct {
		Kind        string `json:"kind"`
		File        string `json:"file"`
		ContentType string `json:"contentType"`
	} `json:"documents"`
}

func loadExample(t *testing.T, name string) example {
	b, err := events.FS.ReadFile("submissions/" + name)
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
	r := e.do("POST", "/v1/calls/"+callID+"/submissions", token, map[string]any{"org": org, "data": data})
	if r.Status != 201 {
		e.t.Fatalf("create draft: %d %s", r.Status, r.Body)
	}
	return r.json(e.t)["id"].(string)
}

// upload declares a fixture, PUTs it to the pre-signed URL as a browser
// would, and waits for the documents function.
func (e *env) upload(subID, token, kind, file, contentType string) map[string]any {
	e.t.Helper()
	body, err := events.FS.ReadFile("files/" + file)
	if err != nil {
		e.t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	r := e.do("POST", "/v1/submissions/"+subID+"/documents", token, map[string]any{
		"kind": kind, "filename": file, "contentType": contentType, "size": len(body), "sha256": hex.EncodeToString(sum[:])})
	if r.Status != 201 {
		e.t.Fatalf("declare %s: %d %s", kind, r.Status, r.Body)
	}
	up := r.json(e.t)
	req, _ := http.NewRequest(up["method"].(string), up["uploadUrl"].(string), bytes.NewReader(body))
	for k, v := range up["headers"].(map[string]any) {
		if k != "Content-Length" {
			req.Header.Set(k, v.(string))
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("PUT %s: %d", file, resp.StatusCode)
	}
	e.rt.WaitDocuments()
	return up
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
