package submission_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/dynamo"
	"sportello/shared/dynamo/dynamotest"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/submission"
)

var ctx = context.Background()

// testProgram is a minimal real program: a form with one required field
// and one required document; the Comune is the claim.
type testProgram struct{}

func (testProgram) ID() string { return "test-program" }
func (testProgram) Region() program.Region {
	return program.Region{Code: "PIE", Name: "Piemonte", ISTAT: "01"}
}

// ReviewModel: like Piemonte, the Region validates or rejects.
func (testProgram) ReviewModel() program.ReviewModel      { return program.Validation }
func (testProgram) ApplicantKinds() []string              { return []string{program.KindComune} }
func (testProgram) DocumentKinds() []program.DocumentKind { return nil }
func (testProgram) Decode(raw json.RawMessage) (program.Form, error) {
	var f testForm
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, &problem.Error{Code: problem.CodeBadRequest, Detail: "bad", Fields: []problem.FieldError{{Field: "name", Code: "invalid", Message: err.Error()}}}
	}
	return f, nil
}

type testForm struct {
	Name    string `json:"name"`
	NeedDoc bool   `json:"needDoc"`
}

func (f testForm) Check(program.Context) problem.Fields {
	var fs problem.Fields
	if f.Name == "" {
		fs.Add("name", problem.FieldRequired, "Campo obbligatorio.")
	}
	return fs
}
func (f testForm) RequiredDocuments(program.Context) []program.DocumentNeed {
	if f.NeedDoc {
		return []program.DocumentNeed{{Kind: "delibera", Count: 1, Reason: "delibera di Giunta"}}
	}
	return nil
}
func (f testForm) Claims(org string) []string { return []string{org} }
func (f testForm) ClaimConflictCode() string  { return problem.CodeDuplicate }
func (f testForm) Contact() string            { return "" }
func (f testForm) Summary() string            { return f.Name }

type fixture struct {
	svc   *submission.Service
	store *dynamo.Store
	clk   *clock.Manual
	close time.Time
}

func setup(t *testing.T) fixture {
	s, _ := dynamotest.New(t)
	clk := clock.NewManual(clock.InRome(2026, 5, 18, 11, 0))
	c, err := call.New("c1", "PIE", call.Spec{Program: "test-program", Title: "T", Windows: []call.WindowSpec{
		{ID: "w1", OpensAt: "2026-04-27T12:00:00+02:00", ClosesAt: "2026-05-18T12:00:00+02:00"}}}, "o", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCall(ctx, c); err != nil {
		t.Fatal(err)
	}
	svc := &submission.Service{Store: s, Programs: map[string]program.Program{"test-program": testProgram{}}, Clock: clk,
		Registries: &dynamo.RegistrySource{Store: s, Comuni: func() []program.Comune { return nil }, TTL: time.Minute},
		Log:        slog.New(slog.DiscardHandler)}
	return fixture{svc: svc, store: s, clk: clk, close: c.Windows[0].ClosesAt}
}

func clerk(orgs ...string) *auth.Principal {
	return &auth.Principal{Subject: "clerk-" + orgs[0], Role: auth.RoleApplicant, Orgs: orgs}
}

var officer = &auth.Principal{Subject: "officer", Role: auth.RoleOfficer, Region: "PIE"}

func (f fixture) draft(t *testing.T, org, data string) submission.Submission {
	t.Helper()
	sub, _, err := f.svc.Create(ctx, clerk(org), "c1", org, json.RawMessage(data), "", "")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestFilingIsHalfOpenAtNoon(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name    string
		arrival time.Time
		code    string
	}{
		{"arriving 11:59:59.999 is filed", f.close.Add(-time.Millisecond), ""},
		{"arriving 12:00:00.000 is late", f.close, problem.CodeWindowClosed},
		{"arriving 12:00:00.001 is late", f.close.Add(time.Millisecond), problem.CodeWindowClosed},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := f.draft(t, fmt.Sprintf("comune:00100%d", i), `{"name":"x"}`)
			got, err := f.svc.Submit(ctx, clerk(sub.Org), sub.ID, tt.arrival)
			if tt.code == "" {
				if err != nil || got.Protocol == nil || !got.Protocol.At.Equal(tt.arrival) {
					t.Fatalf("got %+v %v", got.Protocol, err)
				}
				return
			}
			if problem.CodeOf(err) != tt.code {
				t.Fatalf("got %v", err)
			}
			p, _ := problem.As(err)
			if !strings.Contains(p.Detail, "18/05/2026 alle 12:00:00") {
				t.Fatalf("the refusal must state the deadline in Italian: %s", p.Detail)
			}
		})
	}
}

func TestFilingTimeIsArrivalNotProcessing(t *testing.T) {
	f := setup(t)
	sub := f.draft(t, "comune:001272", `{"name":"x"}`)
	f.clk.Set(f.close.Add(3 * time.Second)) // the function runs after noon
	got, err := f.svc.Submit(ctx, clerk(sub.Org), sub.ID, f.close.Add(-time.Second))
	if err != nil || !got.Protocol.At.Equal(f.close.Add(-time.Second)) {
		t.Fatalf("a request that arrived in time is filed at its arrival: %+v %v", got.Protocol, err)
	}
}

func TestIncompleteListsEverythingAtOnce(t *testing.T) {
	f := setup(t)
	sub := f.draft(t, "comune:001272", `{"needDoc":true}`)
	_, err := f.svc.Submit(ctx, clerk(sub.Org), sub.ID, f.clk.Now())
	p, _ := problem.As(err)
	if p == nil || p.Code != problem.CodeIncomplete || len(p.Fields) != 2 ||
		p.Fields[0].Field != "data.name" || p.Fields[1].Field != "documents.delibera" {
		t.Fatalf("got %+v", p)
	}
	if n, _ := f.store.ProtocolCounter(ctx, "PIE-2026"); n != 0 {
		t.Fatal("a refused filing must not use a number")
	}
}

func TestStaleIfMatchIs412AndChangesNothing(t *testing.T) {
	f := setup(t)
	sub := f.draft(t, "comune:001272", `{"name":"a"}`)
	p := clerk(sub.Org)
	if _, err := f.svc.Update(ctx, p, sub.ID, 1, json.RawMessage(`{"name":"b"}`), ""); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Update(ctx, p, sub.ID, 1, json.RawMessage(`{"name":"c"}`), "")
	if problem.CodeOf(err) != problem.CodeVersionMismatch {
		t.Fatalf("got %v", err)
	}
	got := must(f.svc.Get(ctx, p, sub.ID)).in(t)
	if string(got.Data) != `{"name":"b"}` || got.Version != 2 {
		t.Fatalf("got %s v%d", got.Data, got.Version)
	}
}

func TestFiledIsImmutableAndRepeatSubmitAnswersTheSame(t *testing.T) {
	f := setup(t)
	sub := f.draft(t, "comune:001272", `{"name":"a"}`)
	p := clerk(sub.Org)
	first, err := f.svc.Submit(ctx, p, sub.ID, f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.Submit(ctx, p, sub.ID, f.close.Add(time.Hour))
	if err != nil || again.Protocol.Number != first.Protocol.Number || !again.Protocol.At.Equal(first.Protocol.At) {
		t.Fatalf("repeat: %+v %v", again.Protocol, err)
	}
	if _, err := f.svc.Update(ctx, p, sub.ID, first.Version, json.RawMessage(`{"name":"z"}`), ""); problem.CodeOf(err) != problem.CodeNotEditable {
		t.Fatalf("update after filing: %v", err)
	}
}

func TestOthersApplicationsAreNotFound(t *testing.T) {
	f := setup(t)
	sub := f.draft(t, "comune:001272", `{"name":"a"}`)
	other := clerk("comune:001001")
	lom := &auth.Principal{Subject: "o", Role: auth.RoleOfficer, Region: "LOM"}
	for name, p := range map[string]*auth.Principal{"another Comune": other, "an officer of another region": lom} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.svc.Get(ctx, p, sub.ID); problem.CodeOf(err) != problem.CodeNotFound {
				t.Fatalf("get: %v", err)
			}
			if _, err := f.svc.Submit(ctx, p, sub.ID, f.clk.Now()); problem.CodeOf(err) != problem.CodeNotFound {
				t.Fatalf("submit: %v", err)
			}
		})
	}
	if _, _, err := f.svc.Create(ctx, other, "c1", "comune:001272", nil, "", ""); problem.CodeOf(err) != problem.CodeForbidden {
		t.Fatalf("creating for another org: %v", err)
	}
}

func TestTwoHundredConcurrentSubmitsOfOneDraftYieldOneProtocol(t *testing.T) {
	f := setup(t)
	sub := f.draft(t, "comune:001272", `{"name":"a"}`)
	p := clerk(sub.Org)
	var wg sync.WaitGroup
	got := make(chan string, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := f.svc.Submit(ctx, p, sub.ID, f.clk.Now())
			if err != nil {
				t.Error(err)
				return
			}
			got <- s.Protocol.Number
		}()
	}
	wg.Wait()
	close(got)
	seen := map[string]int{}
	for n := range got {
		seen[n]++
	}
	if len(seen) != 1 || seen["PIE-2026-0000001"] != 200 {
		t.Fatalf("got %v", seen)
	}
}

func TestSecondApplicationForTheSameComuneIsRefused(t *testing.T) {
	f := setup(t)
	a := f.draft(t, "comune:001272", `{"name":"a"}`)
	b := f.draft(t, "comune:001272", `{"name":"b"}`)
	p := clerk("comune:001272")
	if _, err := f.svc.Submit(ctx, p, a.ID, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Submit(ctx, p, b.ID, f.clk.Now())
	pr, _ := problem.As(err)
	if pr == nil || pr.Code != problem.CodeDuplicate || pr.Extra["conflictingSubmission"] != a.ID || pr.Extra["conflictingProtocol"] != "PIE-2026-0000001" {
		t.Fatalf("got %+v", pr)
	}
}

func TestRejectEditResendValidate(t *testing.T) {
	f := setup(t)
	sub := f.draft(t, "comune:001272", `{"name":"a"}`)
	p := clerk(sub.Org)
	f.clk.Advance(time.Second)
	filed := must(f.svc.Submit(ctx, p, sub.ID, f.clk.Now())).in(t)
	f.clk.Set(f.close.Add(24 * time.Hour)) // review happens after the window
	deadline := f.close.Add(10 * 24 * time.Hour)
	rej, err := f.svc.Review(ctx, officer, sub.ID, submission.Decision{Decision: "reject", Notes: "Media frequentanti mancante", Deadline: &deadline})
	if err != nil || rej.State != submission.Rejected {
		t.Fatalf("reject: %v", err)
	}
	f.clk.Advance(time.Second)
	edited, err := f.svc.Update(ctx, p, sub.ID, rej.Version, json.RawMessage(`{"name":"corrected"}`), "")
	if err != nil {
		t.Fatalf("a rejected form is editable: %v", err)
	}
	f.clk.Advance(time.Second)
	resent, err := f.svc.Submit(ctx, p, sub.ID, f.clk.Now())
	if err != nil || resent.State != submission.Submitted || resent.Protocol.Number != filed.Protocol.Number || len(resent.Resubmitted) != 1 {
		t.Fatalf("resend after the window, before the correction deadline: %+v %v", resent, err)
	}
	_ = edited
	f.clk.Advance(time.Second)
	val, err := f.svc.Review(ctx, officer, sub.ID, submission.Decision{Decision: "validate"})
	if err != nil || val.State != submission.Validated {
		t.Fatalf("validate: %v", err)
	}
	if _, err := f.svc.Review(ctx, officer, sub.ID, submission.Decision{Decision: "admit"}); problem.CodeOf(err) != problem.CodeValidation {
		t.Fatalf("admit is not a Piemonte decision: %v", err)
	}
	// An application's audit trail is read through the index (gsi1), which
	// shows a line a few hundred milliseconds late, as on AWS: wait for the
	// last one, up to 5 s.
	want, got := "submission.created,submission.filed,submission.reviewed,submission.updated,submission.resubmitted,submission.reviewed", ""
	for deadline := time.Now().Add(5 * time.Second); got != want && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		trail := must(f.store.SubmissionAudit(ctx, sub.ID)).in(t)
		var actions []string
		for _, e := range trail {
			actions = append(actions, e.Action)
		}
		got = strings.Join(actions, ",")
	}
	if got != want {
		t.Fatalf("audit trail %s", got)
	}
}

// must holds a call's result until in(t) stops the test on its error: a
// test never asserts on the zero value of a failed setup or read.
func must[T any](v T, err error) result[T] { return result[T]{v, err} }

type result[T any] struct {
	v   T
	err error
}

func (r result[T]) in(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}
