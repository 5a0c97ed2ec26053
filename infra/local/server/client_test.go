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

	openapi_types "github.com/oapi-codegen/runtime/types"

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

// decode reads a response body into the generated type T, failing the test
// (never panicking) when it does not fit. Tests read answers through the
// types generated from the OpenAPI document, never by type-asserting a
// map[string]any (see TestEndToEndTestsReadJSONThroughTypes).
func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("%d %.300s: not a %T: %v", r.Status, r.Body, v, err)
	}
	return v
}

// editForm is an example's form data with edit applied to it as the
// program's form type F generated from the document (apiclient.FvgForm,
// apiclient.LombardiaForm, apiclient.PiemonteForm); data that does not fit
// F fails the test.
func editForm[F any](t *testing.T, data json.RawMessage, edit func(f *F)) json.RawMessage {
	t.Helper()
	f := formOf[F](t, data)
	edit(&f)
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// day is an optional calendar day of an answer as YYYY-MM-DD ("" when
// absent).
func day(d *openapi_types.Date) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

// formOf is form data read as the program's form type F.
func formOf[F any](t *testing.T, data json.RawMessage) F {
	t.Helper()
	var f F
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("form data is not a %T: %v", f, err)
	}
	return f
}

// formData is form data as the document's ApplicationData (one of the
// program forms), for the bodies of creating and updating a draft.
func formData(t *testing.T, data json.RawMessage) apiclient.ApplicationData {
	t.Helper()
	var d apiclient.ApplicationData
	if err := d.UnmarshalJSON(data); err != nil {
		t.Fatalf("form data %.100s: %v", data, err)
	}
	return d
}

// shown is v as JSON, for failure messages: the optional fields of the
// generated types are pointers, which %+v prints as addresses.
func shown(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// ptr is a pointer to v, for the optional fields of the generated types.
func ptr[T any](v T) *T { return &v }

// deref is *p, or the zero value when the optional field is absent.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
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

// typed is the expected answer of a typed-client call (v is the response's
// JSON200, JSON201, …), failing the test with the status and body when the
// API answered anything else.
func typed[T any](t *testing.T, status int, body []byte, v *T) T {
	t.Helper()
	if v == nil {
		t.Fatalf("unexpected answer: %d %.300s", status, body)
	}
	return *v
}

// allocation is a riparto run as its officer reads it.
func (e *env) allocation(callID, allocID, token string) apiclient.Allocation {
	e.t.Helper()
	r, err := e.api().GetAllocationWithResponse(context.Background(), callID, allocID, nil, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return typed(e.t, r.StatusCode(), r.Body, r.JSON200)
}

// call is a call as token sees it.
func (e *env) call(callID, token string) apiclient.Call {
	e.t.Helper()
	r, err := e.api().GetCallWithResponse(context.Background(), callID, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return typed(e.t, r.StatusCode(), r.Body, r.JSON200)
}

// milestones are a call's deadlines as its officers see them.
func (e *env) milestones(callID, token string) []apiclient.Milestone {
	e.t.Helper()
	r, err := e.api().GetMilestonesWithResponse(context.Background(), callID, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return typed(e.t, r.StatusCode(), r.Body, r.JSON200).Milestones
}

// cell is the text of a cell of an exported list as JSON (ExportTable's
// rows are objects keyed by the column headers), failing the test when it
// is absent or not text.
func cell(t *testing.T, row map[string]any, column string) string {
	t.Helper()
	switch v := row[column].(type) {
	case string:
		return v
	default:
		t.Fatalf("column %q is %T %v, not text, in %v", column, v, v, row)
		return ""
	}
}

// answered is a typed-client exchange as a response, for the tests that
// check refusals as well as successes.
func answered(hr *http.Response, body []byte) response {
	return response{Status: hr.StatusCode, Body: body, Header: hr.Header}
}

// submit files an application (POST …/submit) through the typed client.
func (e *env) submit(id, token string) response {
	e.t.Helper()
	r, err := e.api().SubmitSubmissionWithResponse(context.Background(), id, &apiclient.SubmitSubmissionParams{}, apiclient.SubmitSubmissionJSONRequestBody{}, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// decide sends an officer's decision through the typed client (e.review
// is the decision that must be taken).
func (e *env) decide(id, token string, d apiclient.Decision) response {
	e.t.Helper()
	r, err := e.api().ReviewSubmissionWithResponse(context.Background(), id, d, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// sendIntegration sends the documents an officer asked for.
func (e *env) sendIntegration(id, token string) response {
	e.t.Helper()
	r, err := e.api().SendIntegrationWithResponse(context.Background(), id, apiclient.SendIntegrationJSONRequestBody{}, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// withdraw is the applicant's rinuncia.
func (e *env) withdraw(id, token string) response {
	e.t.Helper()
	r, err := e.api().WithdrawSubmissionWithResponse(context.Background(), id, apiclient.WithdrawSubmissionJSONRequestBody{}, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// submission reads an application as token sees it.
func (e *env) submission(id, token string) response {
	e.t.Helper()
	r, err := e.api().GetSubmissionWithResponse(context.Background(), id, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// submitKeyed is submit under an Idempotency-Key.
func (e *env) submitKeyed(id, token, key string) response {
	e.t.Helper()
	r, err := e.api().SubmitSubmissionWithResponse(context.Background(), id, &apiclient.SubmitSubmissionParams{IdempotencyKey: &key}, apiclient.SubmitSubmissionJSONRequestBody{}, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// announce announces a call's funds (key: the Idempotency-Key, "" for
// none) through the typed client.
func (e *env) announce(callID, token string, f apiclient.FundsAnnouncement, key string) response {
	e.t.Helper()
	params := &apiclient.AnnounceFundsParams{}
	if key != "" {
		params.IdempotencyKey = &key
	}
	r, err := e.api().AnnounceFundsWithResponse(context.Background(), callID, params, f, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// transmit sends a signed rendicontazione to the Region.
func (e *env) transmit(claimID, token string) response {
	e.t.Helper()
	r, err := e.api().TransmitClaimWithResponse(context.Background(), claimID, apiclient.TransmitClaimJSONRequestBody{}, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// reviewClaim is an officer's review of a rendicontazione (typed client).
func (e *env) reviewClaim(id, token string, body apiclient.ClaimReview) response {
	e.t.Helper()
	r, err := e.api().ReviewClaimWithResponse(context.Background(), id, body, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// answerClaim is the Comune's answer to a clarification (typed client).
func (e *env) answerClaim(id, token string, body apiclient.ClaimAnswer) response {
	e.t.Helper()
	r, err := e.api().AnswerClaimWithResponse(context.Background(), id, body, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// pay records the payment of an approved rendicontazione (typed client).
func (e *env) pay(id, token string, body apiclient.PaymentInput) response {
	e.t.Helper()
	r, err := e.api().PayClaimWithResponse(context.Background(), id, body, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// setAdvances sets a call's advances (typed client).
func (e *env) setAdvances(callID, token string, body apiclient.AdvanceRequest) response {
	e.t.Helper()
	r, err := e.api().SetAdvancesWithResponse(context.Background(), callID, body, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// createCall creates a call (typed client).
func (e *env) createCall(token string, body apiclient.CallSpec) response {
	e.t.Helper()
	r, err := e.api().CreateCallWithResponse(context.Background(), body, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// createDraft creates an application (typed client).
func (e *env) createDraft(callID, token string, body apiclient.SubmissionCreate) response {
	e.t.Helper()
	r, err := e.api().CreateSubmissionWithResponse(context.Background(), callID, &apiclient.CreateSubmissionParams{}, body, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// update saves an application's data under If-Match (typed client).
func (e *env) update(id, token, ifMatch string, body apiclient.SubmissionUpdate) response {
	e.t.Helper()
	r, err := e.api().UpdateSubmissionWithResponse(context.Background(), id, &apiclient.UpdateSubmissionParams{IfMatch: ifMatch}, body, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// submissionAudit is an application's audit trail (typed client).
func (e *env) submissionAudit(id, token string) response {
	e.t.Helper()
	r, err := e.api().GetSubmissionAuditWithResponse(context.Background(), id, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// listSubmissions is a call's list of applications (typed client).
func (e *env) listSubmissions(callID, token string, params *apiclient.ListSubmissionsParams) response {
	e.t.Helper()
	r, err := e.api().ListSubmissionsWithResponse(context.Background(), callID, params, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// fileClaimRequest files a rendicontazione (typed client).
func (e *env) fileClaimRequest(subID, token string, body apiclient.ClaimRequest) response {
	e.t.Helper()
	r, err := e.api().FileClaimWithResponse(context.Background(), subID, body, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// claim is a rendicontazione as token sees it (typed client).
func (e *env) claim(id, token string) response {
	e.t.Helper()
	r, err := e.api().GetClaimWithResponse(context.Background(), id, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// callAudit is a call's audit trail (typed client).
func (e *env) callAudit(callID, token string) response {
	e.t.Helper()
	r, err := e.api().GetCallAuditWithResponse(context.Background(), callID, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// preloaded are the services the Region pre-loaded for a Comune (typed client).
func (e *env) preloaded(callID, token, comune string) response {
	e.t.Helper()
	r, err := e.api().ListPreloadedWithResponse(context.Background(), callID, &apiclient.ListPreloadedParams{Comune: comune}, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// budget is a call's budget (typed client).
func (e *env) budget(callID, token string) response {
	e.t.Helper()
	r, err := e.api().GetBudgetWithResponse(context.Background(), callID, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// simulate is a riparto simulated on the call's applications (typed client).
func (e *env) simulate(callID, token string, body apiclient.FundsAnnouncement) response {
	e.t.Helper()
	r, err := e.api().SimulateAllocationWithResponse(context.Background(), callID, body, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// declareDocument asks for an upload URL (typed client); the answer tells whether
// it was given.
func (e *env) declareDocument(subID, token string, d apiclient.DocumentDeclaration) response {
	e.t.Helper()
	r, err := e.api().DeclareDocumentWithResponse(context.Background(), subID, d, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
}

// nidiGratis is the public Nidi Gratis Plus calculator (typed client, no
// token).
func (e *env) nidiGratis(in apiclient.NidiGratisRequest) response {
	e.t.Helper()
	r, err := e.api().CalculateNidiGratisWithResponse(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return answered(r.HTTPResponse, r.Body)
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

// uploadExample uploads one document of an example and returns its id.
func (e *env) uploadExample(subID, token string, d exampleDoc) string {
	e.t.Helper()
	return e.uploadFor(subID, token, d.Kind, d.Ref, d.File, d.ContentType)
}

// uploadExamples uploads every document of an example to the application.
func (e *env) uploadExamples(subID, token string, docs []exampleDoc) {
	e.t.Helper()
	for _, d := range docs {
		e.uploadExample(subID, token, d)
	}
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
// would, waits for the documents function, and returns the document's id.
func (e *env) upload(subID, token, kind, file, contentType string) string {
	e.t.Helper()
	return e.uploadFor(subID, token, kind, "", file, contentType)
}

// uploadFor is upload of a per-item document (ref: the facility's code).
// The file "@summary" is the application generated from the draft as it
// is now, signed (CAdES) by the legal representative.
func (e *env) uploadFor(subID, token, kind, ref, file, contentType string) string {
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

// uploadBytes uploads body as a document, waits for its verification and
// returns its id.
func (e *env) uploadBytes(subID, token, kind, ref, filename, contentType string, body []byte) string {
	e.t.Helper()
	id, err := e.api().Upload(context.Background(), subID, token, kind, ref, filename, contentType, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.rt.WaitDocuments()
	return id
}

// documents are an application's documents as token lists them.
func (e *env) documents(subID, token string) []apiclient.Document {
	e.t.Helper()
	r, err := e.api().ListDocumentsWithResponse(context.Background(), subID, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return typed(e.t, r.StatusCode(), r.Body, r.JSON200).Documents
}

// findDocument is an application's document as token lists it.
func (e *env) findDocument(subID, token, docID string) (apiclient.Document, bool) {
	e.t.Helper()
	for _, d := range e.documents(subID, token) {
		if d.Id == docID {
			return d, true
		}
	}
	return apiclient.Document{}, false
}

// document is findDocument of a document that must be listed.
func (e *env) document(subID, token, docID string) apiclient.Document {
	e.t.Helper()
	d, ok := e.findDocument(subID, token, docID)
	if !ok {
		e.t.Fatalf("document %s not listed", docID)
	}
	return d
}

// documentStatus is a document's status and the reason of a rejection
// ("", "" when it is not listed).
func (e *env) documentStatus(subID, token, docID string) (string, string) {
	e.t.Helper()
	d, _ := e.findDocument(subID, token, docID)
	return string(d.Status), deref(d.Reason)
}

// problemOf is the RFC 9457 problem document of an answer.
func problemOf(t *testing.T, r response) apiclient.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("want problem+json, got %q (%d): %s", ct, r.Status, r.Body)
	}
	return decode[apiclient.Problem](t, r)
}

func problemCode(t *testing.T, r response) string {
	t.Helper()
	return string(problemOf(t, r).Code)
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
