package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sportello/infra/apiclient"
	"sportello/shared/allocation"
	"sportello/shared/clock"
	"sportello/shared/notify"
	txoutbox "sportello/shared/outbox"
)

// flaky is a consumer that fails its first `fail` deliveries, as an
// unreachable SES or EventBridge does, then hands them to next.
type flaky struct {
	mu       sync.Mutex
	fail     int
	attempts int
	next     txoutbox.Mail
}

func (f *flaky) Deliver(ctx context.Context, m txoutbox.Message) error {
	f.mu.Lock()
	f.attempts++
	failing := f.attempts <= f.fail
	f.mu.Unlock()
	if failing {
		return errors.New("service unavailable")
	}
	return f.next.Deliver(ctx, m)
}

func (f *flaky) tries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

// drainUntil drives the relay (besides its own timer) until done holds.
func (e *env) drainUntil(what string, done func() bool) {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not done after 10 s", what)
		}
		e.rt.Relay.Drain(context.Background()) //nolint:errcheck // the failures are the point; done() says when it worked
	}
}

// Issue #11 item 6: Announce wrote the run, then called PutEvents; a
// failure left the run pending for ever. The run and its FundsAnnounced
// are now one transaction: while EventBridge fails the event waits in the
// outbox beside the pending run, and the relay publishes it once it can;
// the run then completes, announced once.
func TestAFailingPutEventsNoLongerLeavesARunPending(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ids := e.fileFVG(threeOperators)
	e.clk.Set(clock.InRome(2025, 8, 20, 10, 0))
	off := e.officer("FVG")
	for _, id := range ids {
		e.review(id, off, apiclient.Decision{Decision: "admit"})
	}
	bus := &flaky{fail: 3, next: localBus{e.rt}}
	e.rt.Relay.SetEvents(bus)

	r := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00"}, "")
	if r.Status != 202 {
		t.Fatalf("announce: %d %s", r.Status, r.Body)
	}
	runID := decode[apiclient.AllocationAccepted](t, r).AllocationId
	// PutEvents failed (the request's own drain): the run is pending and
	// its event is in the outbox, pending, with the failure recorded.
	ctx := context.Background()
	key := txoutbox.ID(runID, 1, "announced")
	m, found, err := e.rt.Store.Message(ctx, key)
	if err != nil || !found || m.Kind != txoutbox.Event || m.Event != allocation.FundsAnnouncedEvent || m.Detail["allocationId"] != runID {
		t.Fatalf("the announcement's event is an outbox item of the run's transaction: %+v %v %v", m, found, err)
	}
	if run := e.allocation(FVGCall, runID, off); run.Status != "pending" || bus.tries() == 0 || (m.Status == txoutbox.Pending && m.LastError == "") {
		t.Fatalf("while PutEvents fails: run %s, %d attempts, message %+v", run.Status, bus.tries(), m)
	}
	e.drainUntil("FundsAnnounced published", func() bool { m, _, _ := e.rt.Store.Message(ctx, key); return m.Status == txoutbox.Sent })
	e.rt.WaitAllocations()
	if run := e.allocation(FVGCall, runID, off); run.Status != "done" {
		t.Fatalf("after PutEvents recovered the run is %s, want done", run.Status)
	}
	if got := bus.tries(); got != 4 {
		t.Fatalf("%d attempts, want 3 failures then one publication", got)
	}
	// Redelivering the event (a relay that died before marking it sent)
	// changes nothing: the run is taken once.
	m, _, _ = e.rt.Store.Message(ctx, key)
	m.Status = txoutbox.Pending
	if err := e.rt.Relay.Handle(ctx, m); err != nil {
		t.Fatal(err)
	}
	e.rt.WaitAllocations()
	if run, err := e.rt.Store.Run(ctx, runID); err != nil || run.Status != allocation.Done || run.Attempt != 1 {
		t.Fatalf("a redelivered FundsAnnounced ran the riparto again: %+v %v", run, err)
	}
	if n := len(e.auditActions(FVGCall, off)["funds.announced"]); n != 1 {
		t.Fatalf("%d funds.announced audit lines, want 1", n)
	}
}

// A review decision's e-mail is written with the decision; the mail server
// failing three times delays it, and it is sent exactly once.
func TestReviewDecisionEmailIsSentExactlyOnceWhenTheSenderFailsThreeTimes(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 10, 9, 0))
	ex := loadExample(t, "piemonte-torino.json")
	tok := e.applicant(ex.Org)
	id := e.draft(PiemonteCall, tok, ex.Org, ex.Data)
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2026, 5, 25, 10, 0))
	off := e.officer("PIE")
	mail := &flaky{fail: 3, next: notify.Courier{Sender: notify.Outbox{Dir: e.rt.OutboxDir, Clock: e.clk, Log: e.rt.Relay.Log}}}
	e.rt.Relay.SetMail(mail)
	r := e.decide(id, off, apiclient.Decision{Decision: "reject", Notes: ptr("Correggere la media dei frequentanti."),
		Deadline: ptr(clock.InRome(2026, 6, 5, 12, 0).Format(time.RFC3339))})
	if r.Status != 200 {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	version := decode[apiclient.Submission](t, r).Version
	key := txoutbox.ID(id, version, "decision")
	ctx := context.Background()
	if m, found, _ := e.rt.Store.Message(ctx, key); !found || m.To != "servizi.educativi@comune.torino.it" {
		t.Fatalf("the decision e-mail is an outbox item of the decision's transaction: %+v %v", m, found)
	}
	mails := func() []string {
		got, _ := filepath.Glob(filepath.Join(e.rt.OutboxDir, "*esito*"))
		return got
	}
	e.drainUntil("decision e-mail sent", func() bool { return len(mails()) > 0 })
	for range 3 { // more rounds find nothing to send
		if _, err := e.rt.Relay.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := mails()
	if len(got) != 1 || !strings.HasPrefix(filepath.Base(got[0]), key+"-") || mail.tries() != 4 {
		t.Fatalf("e-mails %v after %d attempts: want one, named by %s, after 3 failures", got, mail.tries(), key)
	}
	if b, _ := os.ReadFile(got[0]); !strings.Contains(string(b), "Correggere la media dei frequentanti.") {
		t.Fatalf("decision e-mail:\n%s", b)
	}
	m, _, _ := e.rt.Store.Message(ctx, key)
	if m.Status != txoutbox.Sent || m.Attempts != 3 || m.LastError == "" || !m.CreatedAt.Equal(e.clk.Now()) {
		t.Fatalf("the message records its failed attempts and ends sent: %+v", m)
	}
}

// A filing acknowledged while the mail server is down, then SIGKILL: its
// receipt was pending in the outbox (written in the filing transaction),
// and the restarted runtime's relay sends it, once; a further restart
// sends nothing again.
func TestReceiptPendingAtSIGKILLIsSentOnceAfterRestart(t *testing.T) {
	if os.Getenv(envCrashChild) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	start := clock.InRome(2026, 5, 18, 11, 0)
	apps := crashDrafts(t, dir, start, 3)
	// The child's mail sink is a path that cannot be a directory: every
	// delivery fails, so the receipts are pending when it is killed.
	blocked := filepath.Join(dir, "no-mail-server")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	child := startCrashChild(t, dir, start, envCrashOutbox+"="+blocked)
	numbers := map[string]string{}
	for _, a := range apps {
		req, _ := http.NewRequest("POST", child.url+"/v1/submissions/"+a.id+"/submit", nil)
		req.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Protocol struct {
				Number string `json:"number"`
			} `json:"protocol"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || body.Protocol.Number == "" {
			t.Fatalf("%s: %d %v", a.id, resp.StatusCode, err)
		}
		numbers[a.id] = body.Protocol.Number
	}
	child.kill(t)
	if files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml")); len(files) != 0 {
		t.Fatalf("e-mails sent while the mail server was down: %v", files)
	}

	for restart := range 2 {
		rt, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", DataDir: dir, Clock: clock.NewManual(start), Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		e := &env{t: t, rt: rt}
		ctx := context.Background()
		for id, number := range numbers {
			sub, err := rt.Store.Submission(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			key := txoutbox.ID(id, sub.Version, "receipt")
			if restart == 0 {
				if m, found, _ := rt.Store.Message(ctx, key); !found || (m.Status == txoutbox.Pending && m.Attempts == 0) {
					t.Fatalf("receipt %s: the killed process tried and failed to send it: %+v %v", key, m, found)
				}
			}
			e.drainUntil("receipt "+number, func() bool { m, _, _ := rt.Store.Message(ctx, key); return m.Status == txoutbox.Sent })
			files, _ := filepath.Glob(filepath.Join(dir, "outbox", key+"-*.eml"))
			if len(files) != 1 {
				t.Fatalf("restart %d: receipt of %s: %v, want exactly one e-mail", restart, number, files)
			}
			if b, _ := os.ReadFile(files[0]); !strings.Contains(string(b), number) {
				t.Fatalf("receipt %s does not name %s", files[0], number)
			}
		}
		all, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		if len(all) != len(numbers) {
			t.Fatalf("restart %d: %d e-mails for %d filings", restart, len(all), len(numbers))
		}
		if err := rt.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
