package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"strings"
	"sync"
	"testing"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
	txoutbox "sportello/shared/outbox"
)

// fvgOperator is one FVG application of the end-to-end tests.
type fvgOperator struct {
	cf, name, facility, comune string
	change                     func(f *apiclient.FvgForm) // nil: the example's data as they are
}

// threeOperators: every line ends capped with €1,000,000.00 (35,550.00
// allocated, 964,450.00 left), checkable by hand (see TestFVGRipartoEndToEnd).
var threeOperators = []fvgOperator{
	{"01234567897", "Cooperativa Sociale Il Nido", "FVG-NIDO-0042", "030129", nil},
	{"02468135799", "Nidi della Carnia S.r.l.", "FVG-NIDO-0077", "093052", func(f *apiclient.FvgForm) {
		f.InnerArea, f.ChildrenOn20241001, f.ChildrenOn20250131, f.MonthsOfOperation = ptr(true), ptr(10), ptr(10), ptr(10)
	}},
	{"03000000012", "Asilo Bimbi Felici APS", "FVG-NIDO-0099", "031007", func(f *apiclient.FvgForm) {
		f.ChildrenOn20241001, f.ChildrenOn20250131, f.MonthsOfOperation, f.Income2024 = ptr(4), ptr(6), ptr(11), ptr("247000.00")
	}},
}

// fileFVG files one application per operator (clock inside the FVG
// window) and returns their ids.
func (e *env) fileFVG(ops []fvgOperator) []string {
	e.t.Helper()
	ex := loadExample(e.t, "fvg-udine.json")
	var ids []string
	for _, c := range ops {
		raw := editForm(e.t, ex.Data, func(f *apiclient.FvgForm) {
			f.Operator.FiscalCode, f.Operator.Name = ptr(c.cf), ptr(c.name)
			f.Facility.Code, f.Facility.Comune = ptr(c.facility), ptr(c.comune)
			if c.change != nil {
				c.change(f)
			}
		})
		org := "gestore:" + c.cf
		tok := e.applicant(org)
		id := e.draft(FVGCall, tok, org, raw)
		e.uploadExamples(id, tok, ex.Documents)
		if r := e.submit(id, tok); r.Status != 200 {
			e.t.Fatalf("%s: %d %s", c.facility, r.Status, r.Body)
		}
		ids = append(ids, id)
	}
	return ids
}

// review records an officer's decision, which must be taken.
func (e *env) review(id, token string, decision apiclient.Decision) {
	e.t.Helper()
	r, err := e.api().ReviewSubmissionWithResponse(context.Background(), id, decision, apiclient.Bearer(token))
	if err != nil {
		e.t.Fatal(err)
	}
	if r.JSON200 == nil {
		e.t.Fatalf("review %+v: %d %s", decision, r.StatusCode(), r.Body)
	}
}

// auditActions is a call's audit entries by action.
func (e *env) auditActions(callID, token string) map[string][]apiclient.AuditEntry {
	e.t.Helper()
	r := e.callAudit(callID, token)
	if r.Status != 200 {
		e.t.Fatalf("audit: %d %.300s", r.Status, r.Body)
	}
	out := map[string][]apiclient.AuditEntry{}
	for _, en := range decode[apiclient.CallAudit](e.t, r).Entries {
		out[en.Action] = append(out[en.Action], en)
	}
	return out
}

// Item 9 of issue #10: the riparto never silently drops an application
// still under review.
func TestAnnouncingWhileApplicationsAreUndecidedIs409ListingThem(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ids := e.fileFVG(threeOperators)
	e.clk.Set(clock.InRome(2025, 8, 20, 10, 0))
	off := e.officer("FVG")
	e.review(ids[0], off, apiclient.Decision{Decision: "admit"})
	e.review(ids[1], off, apiclient.Decision{Decision: "request_integration", Notes: ptr("Inviare il dettaglio tariffe firmato."), Deadline: ptr("2025-09-10T12:00:00+02:00")})
	// ids[2] is still submitted, never reviewed.

	r := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00"}, "")
	if r.Status != 409 || problemCode(t, r) != "undecided_applications" {
		t.Fatalf("want 409 undecided_applications, got %d %s", r.Status, r.Body)
	}
	var listed []string
	for _, u := range deref(problemOf(t, r).Undecided) {
		listed = append(listed, u.Id+":"+string(u.State))
		if !strings.HasPrefix(u.Protocol, "FVG-") {
			t.Fatalf("each undecided application names its protocol: %+v", u)
		}
	}
	if strings.Join(listed, ",") != ids[1]+":integration_requested,"+ids[2]+":submitted" &&
		strings.Join(listed, ",") != ids[2]+":submitted,"+ids[1]+":integration_requested" {
		t.Fatalf("listed %v", listed)
	}
	if got := e.auditActions(FVGCall, off)["funds.announced"]; len(got) != 0 {
		t.Fatalf("a refused announcement made a run: %v", got)
	}
	// The override must be explicit and say why.
	if r := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00", OnlyDecided: ptr(true)}, ""); r.Status != 422 || !strings.Contains(strings.Join(fieldsOf(t, r), ","), "reason:required") {
		t.Fatalf("override without reason: %d %s", r.Status, r.Body)
	}
	r = e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00", OnlyDecided: ptr(true), Reason: ptr("Decreto entro il 30/11/2025: le istruttorie aperte seguiranno con fondi residui.")}, "")
	if r.Status != 202 {
		t.Fatalf("override: %d %s", r.Status, r.Body)
	}
	allocID := decode[apiclient.AllocationAccepted](t, r).AllocationId
	e.rt.WaitAllocations()
	run := e.allocation(FVGCall, allocID, off)
	lines := deref(run.Result.Lines)
	if run.Status != "done" || !deref(run.OnlyDecided) || len(lines) != 1 || lines[0].Id != "facility:FVG-NIDO-0042" {
		t.Fatalf("only the decided application takes part: %s", shown(run))
	}
	if lo := deref(run.LeftOut); len(lo) != 2 {
		t.Fatalf("the run records who was left out: %v", lo)
	}
	ann := e.auditActions(FVGCall, off)["funds.announced"]
	if len(ann) != 1 {
		t.Fatalf("announcements audited: %v", ann)
	}
	d := deref(ann[0].Detail)
	if ann[0].Actor != "officer-FVG" || d["onlyDecided"] != "true" || !strings.Contains(d["reason"], "30/11/2025") ||
		!strings.Contains(d["leftOut"], ids[1]) || !strings.Contains(d["leftOut"], ids[2]) {
		t.Fatalf("the override is audited with who, why and whom it left out: %s", shown(ann[0]))
	}
}

// heldAnnouncer delays FundsAnnounced deliveries until released, as a
// slow EventBridge would: the runs stay pending meanwhile.
type heldAnnouncer struct {
	rt      *Runtime
	mu      sync.Mutex
	pending [][2]string
}

// Deliver is the relay's consumer of events: it keeps them.
func (h *heldAnnouncer) Deliver(_ context.Context, m txoutbox.Message) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending = append(h.pending, [2]string{m.Detail["callId"], m.Detail["allocationId"]})
	return nil
}

func (h *heldAnnouncer) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.pending {
		_ = h.rt.FundsAnnounced(context.Background(), p[0], p[1]) // the local announcer only starts a goroutine: never an error
	}
	h.pending = nil
	h.rt.WaitAllocations()
}

// Item 9 of issue #10: five concurrent announcements make one run; a
// retried Idempotency-Key gives the same run; a deliberate second
// announcement makes a new run and keeps the old.
func TestConcurrentAnnouncementsMakeOneRun(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ids := e.fileFVG(threeOperators)
	e.clk.Set(clock.InRome(2025, 8, 20, 10, 0))
	off := e.officer("FVG")
	for _, id := range ids {
		e.review(id, off, apiclient.Decision{Decision: "admit"})
	}
	held := &heldAnnouncer{rt: e.rt}
	e.rt.Relay.SetEvents(held)

	announce := func(n int, body string, headers ...string) []string {
		out := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				editors := []apiclient.RequestEditorFn{apiclient.Bearer(off)}
				for j := 0; j+1 < len(headers); j += 2 {
					editors = append(editors, apiclient.Header(headers[j], headers[j+1]))
				}
				r, err := e.api().AnnounceFundsWithBodyWithResponse(context.Background(), FVGCall, &apiclient.AnnounceFundsParams{},
					"application/json", strings.NewReader(body), editors...)
				if err != nil || r.JSON202 == nil {
					t.Errorf("announce: %v %+v", err, r)
					return
				}
				out[i] = r.JSON202.AllocationId
			}()
		}
		wg.Wait()
		return out
	}
	distinct := func(ids []string) map[string]bool {
		m := map[string]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}

	// Five concurrent double-clicks, no key: one run.
	first := announce(5, `{"amount":"1000000.00"}`)
	if d := distinct(first); len(d) != 1 {
		t.Fatalf("five concurrent announcements made %d runs: %v", len(d), first)
	}
	// A client retrying under one Idempotency-Key: the same run.
	if again := announce(5, `{"amount":"1000000.00"}`, "Idempotency-Key", "decreto-2025-123"); len(distinct(again)) != 1 || again[0] != first[0] {
		t.Fatalf("retries under one key: %v (first %s)", again, first[0])
	}
	// Another amount while the run is pending: 409, naming the run.
	r := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "900000.00"}, "")
	if r.Status != 409 || problemCode(t, r) != "allocation_in_progress" || deref(problemOf(t, r).AllocationId) != first[0] {
		t.Fatalf("another amount during a run: %d %s", r.Status, r.Body)
	}
	held.release()
	if n := len(e.auditActions(FVGCall, off)["funds.announced"]); n != 1 {
		t.Fatalf("%d announcements recorded, want 1", n)
	}
	// The key stays bound to its request: reused for another amount, 422.
	if r := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "5.00"}, "decreto-2025-123"); r.Status != 422 || problemCode(t, r) != "idempotency_mismatch" {
		t.Fatalf("key reused for another request: %d %s", r.Status, r.Body)
	}
	if r := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00"}, "decreto-2025-123"); r.Status != 202 || decode[apiclient.AllocationAccepted](t, r).AllocationId != first[0] {
		t.Fatalf("a late retry under the key: %d %s", r.Status, r.Body)
	}
	// A deliberate second announcement after the first ended: a new run,
	// the old one kept, both done with the same inputs.
	second := announce(1, `{"amount":"1000000.00","note":"Rideterminazione"}`)[0]
	held.release()
	if second == first[0] {
		t.Fatal("a deliberate announcement must make a new run")
	}
	a := e.allocation(FVGCall, first[0], off)
	b := e.allocation(FVGCall, second, off)
	if a.Status != "done" || b.Status != "done" || deref(a.InputSha256) != deref(b.InputSha256) {
		t.Fatalf("runs: %s / %s", shown(a), shown(b))
	}
	if n := len(e.auditActions(FVGCall, off)["funds.announced"]); n != 2 {
		t.Fatalf("%d announcements recorded, want 2", n)
	}
}

// cappedRun files and admits threeOperators, announces €1,000,000.00 and
// returns the finished run's id and the officer's token.
func cappedRun(t *testing.T) (*env, string, string) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ids := e.fileFVG(threeOperators)
	e.clk.Set(clock.InRome(2025, 8, 20, 10, 0))
	off := e.officer("FVG")
	for _, id := range ids {
		e.review(id, off, apiclient.Decision{Decision: "admit"})
	}
	r := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00"}, "")
	if r.Status != 202 {
		t.Fatalf("announce: %d %s", r.Status, r.Body)
	}
	allocID := decode[apiclient.AllocationAccepted](t, r).AllocationId
	e.rt.WaitAllocations()
	return e, off, allocID
}

// Item 10 of issue #10: when every line is capped no explanation says the
// excess went to the others; each says how much stays unallocated.
func TestEveryLineCappedExplanationsTellTheTruth(t *testing.T) {
	e, off, allocID := cappedRun(t)
	run := e.allocation(FVGCall, allocID, off)
	if run.Unallocated != "964450.00" {
		t.Fatalf("unallocated %v", run.Unallocated)
	}
	lines := deref(run.Result.Lines)
	if len(lines) == 0 {
		t.Fatalf("no lines: %s", shown(run))
	}
	for _, l := range lines {
		ex := l.Explanation
		if strings.Contains(ex, "ripartita tra gli altri") || !strings.Contains(ex, "964450.00 euro del fondo restano non ripartiti") {
			t.Fatalf("the explanation lies: %q", ex)
		}
	}
}

// Item 10 of issue #10: the CSV served over HTTP names every beneficiary
// (denominazione) and is the very file the run stored.
func TestHTTPCSVNamesEveryBeneficiary(t *testing.T) {
	e, off, allocID := cappedRun(t)
	csvResp := e.do("GET", "/v1/calls/"+FVGCall+"/allocations/"+allocID, off, nil, "Accept", "text/csv")
	if csvResp.Status != 200 || !strings.HasPrefix(csvResp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", csvResp.Status, csvResp.Header.Get("Content-Type"))
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvResp.Body, []byte("\ufeff"))))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, row := range rows[1 : len(rows)-1] {
		names[row[0]] = row[1]
		if strings.Contains(row[9], "ripartita tra gli altri") {
			t.Fatalf("the CSV explanation lies: %q", row[9])
		}
	}
	for _, op := range threeOperators {
		if names["facility:"+op.facility] != op.name {
			t.Fatalf("denominazione of %s = %q, want %q", op.facility, names["facility:"+op.facility], op.name)
		}
	}
	stored, _, err := e.rt.Exports.Open(context.Background(), "exports/"+FVGCall+"/"+allocID+"/riparto.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer stored.Close()
	b, _ := io.ReadAll(stored)
	if !bytes.Equal(b, csvResp.Body) {
		t.Fatalf("the CSV over HTTP differs from the one stored by the run:\n%s\n---\n%s", csvResp.Body, b)
	}
}
