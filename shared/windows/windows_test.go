package windows_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/dynamo"
	"sportello/shared/dynamo/dynamotest"
	"sportello/shared/ident"
	"sportello/shared/submission"
	"sportello/shared/windows"
)

var ctx = context.Background()

type nopScheduler struct{ put map[string]time.Time }

func (n *nopScheduler) Put(_ context.Context, name string, at time.Time, _ []byte) error {
	n.put[name] = at
	return nil
}
func (n *nopScheduler) Delete(context.Context, string) error { return nil }

func setup(t *testing.T) (*windows.Service, *dynamo.Store, *clock.Manual, call.Call) {
	s, _ := dynamotest.New(t)
	clk := clock.NewManual(clock.InRome(2026, 4, 1, 9, 0))
	c, err := call.New("pie", "PIE", call.Spec{Program: "piemonte-rilevazione-2026", Title: "R", Windows: []call.WindowSpec{
		{ID: "w1", OpensAt: "2026-04-27T12:00:00+02:00", ClosesAt: "2026-05-18T12:00:00+02:00"},
	}}, "o", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCall(ctx, c); err != nil {
		t.Fatal(err)
	}
	// The reconcile finds calls through the index (gsi1), which lists a
	// new call a few hundred milliseconds late, as on AWS (in the cloud it
	// runs every 30 s): wait until it lists this one, up to 5 s.
	waitFor(t, func() bool { calls, err := s.Calls(ctx); return err == nil && len(calls) == 1 })
	return &windows.Service{Store: s, Clock: clk, Scheduler: &nopScheduler{put: map[string]time.Time{}}, Log: slog.New(slog.DiscardHandler)}, s, clk, c
}

// waitFor polls cond for up to 5 s (an index read that lags, see callers).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the index never showed the write")
		}
	}
}

func TestScheduleEveryFutureInstant(t *testing.T) {
	svc, _, _, c := setup(t)
	if err := svc.Schedule(ctx, c); err != nil {
		t.Fatal(err)
	}
	put := svc.Scheduler.(*nopScheduler).put
	closeName, finalName := windows.ScheduleName("pie", "w1", windows.KindClose), windows.ScheduleName("pie", "w1", windows.KindFinalize)
	if got := put[closeName].UTC().Format(time.RFC3339); got != "2026-05-18T10:00:00Z" {
		t.Fatalf("close scheduled at %s (%v)", got, put)
	}
	if got := put[finalName].Sub(put[closeName]); got != windows.FinalizeGrace {
		t.Fatalf("finalize %v after close", got)
	}
}

func TestCloseIsRecordedOnceEvenIfInvokedTwice(t *testing.T) {
	svc, s, clk, c := setup(t)
	clk.Set(c.Windows[0].ClosesAt)
	for i := 0; i < 2; i++ {
		if err := svc.Handle(ctx, windows.Event{Kind: windows.KindClose, CallID: "pie", WindowID: "w1"}); err != nil {
			t.Fatal(err)
		}
	}
	evs := must(s.WindowEvents(ctx, "pie")).in(t)
	if len(evs) != 1 || evs[0].RanAt.UTC().Format(time.RFC3339) != "2026-05-18T10:00:00Z" {
		t.Fatalf("events %+v", evs)
	}
	trail := must(s.CallAudit(ctx, "pie")).in(t)
	if len(trail) != 1 || trail[0].Action != "window.CLOSED" {
		t.Fatalf("audit %+v", trail)
	}
}

func TestAStaleCloseAfterAProrogaDoesNothing(t *testing.T) {
	svc, s, clk, c := setup(t)
	clk.Set(clock.InRome(2026, 5, 10, 9, 0))
	if _, err := s.UpdateCall(ctx, "pie", func(cc *call.Call) error {
		next, _, err := cc.Extend("w1", clock.InRome(2026, 5, 25, 12, 0), clk.Now())
		*cc = next
		return err
	}); err != nil {
		t.Fatal(err)
	}
	clk.Set(c.Windows[0].ClosesAt) // the old schedule fires
	if err := svc.Handle(ctx, windows.Event{Kind: windows.KindClose, CallID: "pie", WindowID: "w1"}); err != nil {
		t.Fatal(err)
	}
	if evs, _ := s.WindowEvents(ctx, "pie"); len(evs) != 0 {
		t.Fatalf("closed early: %+v", evs)
	}
}

func TestFinalizeExpiresDraftsAndFreezesParticipants(t *testing.T) {
	svc, s, clk, c := setup(t)
	now := time.Now()
	mk := func(id, org string, filed bool) {
		sub := submission.Submission{ID: id, CallID: "pie", Org: org, Region: "PIE", State: submission.Draft, Version: 1, Data: json.RawMessage(`{}`), CreatedAt: now}
		if filed {
			sub.State, sub.Protocol = submission.Submitted, &submission.Protocol{Number: "PIE-2026-0000001", Seq: 1, At: now}
		}
		if _, _, err := s.CreateSubmission(ctx, sub, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	mk("sub_a", "comune:001272", true)
	mk("sub_b", "comune:001001", false)
	// The final close runs a minute after the last filing (FinalizeGrace),
	// far beyond the index lag with which it learns which applications
	// exist; here they were written a moment ago, so wait until the index
	// lists them, up to 5 s.
	waitFor(t, func() bool { subs, err := s.Submissions(ctx, "pie", ""); return err == nil && len(subs) == 2 })
	clk.Set(c.Windows[0].ClosesAt.Add(windows.FinalizeGrace - time.Millisecond))
	if err := svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, done, _ := s.Participation(ctx, "pie"); done {
		t.Fatal("finalized before the grace period")
	}
	clk.Set(c.Windows[0].ClosesAt.Add(windows.FinalizeGrace))
	for i := 0; i < 2; i++ {
		if err := svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	p, done, _ := s.Participation(ctx, "pie")
	if !done || len(p.Orgs) != 1 || p.Orgs[0] != "comune:001272" || p.Expired != 1 {
		t.Fatalf("participation %+v", p)
	}
	b := must(s.Submission(ctx, "sub_b")).in(t)
	if b.State != submission.Expired {
		t.Fatalf("draft is %s", b.State)
	}
	evs := must(s.WindowEvents(ctx, "pie")).in(t)
	if len(evs) != 2 {
		t.Fatalf("reconcile must record the missed open and close: %+v", evs)
	}
	for _, e := range evs {
		if e.Trigger != "reconcile" {
			t.Fatalf("trigger %s", e.Trigger)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{`{"kind":"close","callId":"c","windowId":"w1"}`, `{"kind":"reconcile"}`, `{"kind":"x"}`, `{`, `{"kind":"open","extra":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := windows.DecodeEvent(b)
		if err == nil && ev.Kind != windows.KindReconcile && (ev.CallID == "" || ev.WindowID == "") {
			t.Fatalf("accepted %q without ids", b)
		}
	})
}

var schedulerName = regexp.MustCompile(`^[0-9A-Za-z_.-]{1,64}$`)

func TestScheduleNamesFitTheScheduler(t *testing.T) {
	longest := strings.Repeat("w", 40) // the longest window id a call accepts
	cases := []struct {
		name                   string
		call, window, kind     string
		otherWindow, otherKind string
	}{
		{"a 40-character window id with finalize stays within 64 characters", ident.New("call"), longest, windows.KindFinalize, longest[:39] + "x", windows.KindFinalize},
		{"two windows sharing their first 39 characters get different names", ident.New("call"), longest, windows.KindClose, longest[:39] + "v", windows.KindClose},
		{"open and close of one window get different names", ident.New("call"), "w1", windows.KindOpen, "w1", windows.KindClose},
		{"characters the Scheduler refuses never reach the name", "call/ä b", "w:1", windows.KindClose, "w:2", windows.KindClose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := windows.ScheduleName(c.call, c.window, c.kind), windows.ScheduleName(c.call, c.otherWindow, c.otherKind)
			for _, n := range []string{a, b} {
				if !schedulerName.MatchString(n) || len(n) > windows.MaxScheduleName {
					t.Errorf("%q (%d characters) is not a schedule name EventBridge Scheduler accepts", n, len(n))
				}
			}
			if a == b {
				t.Errorf("two instants share the schedule name %q", a)
			}
			if !strings.HasPrefix(a, scheduleSafePrefix(c.call)) {
				t.Errorf("%q does not start with the call id, which an operator looks for", a)
			}
		})
	}
}

func scheduleSafePrefix(id string) string {
	if schedulerName.MatchString(id) {
		return id
	}
	return ""
}

// failingScheduler refuses one schedule name.
type failingScheduler struct {
	nopScheduler
	refuse string
}

func (f *failingScheduler) Put(ctx context.Context, name string, at time.Time, p []byte) error {
	if name == f.refuse {
		return errors.New("ValidationException")
	}
	return f.nopScheduler.Put(ctx, name, at, p)
}

func TestAFailedScheduleLeavesTheOthersAndTheReconcileDoesItsWork(t *testing.T) {
	svc, s, clk, c := setup(t)
	fs := &failingScheduler{nopScheduler: nopScheduler{put: map[string]time.Time{}}, refuse: windows.ScheduleName("pie", "w1", windows.KindClose)}
	svc.Scheduler = fs
	if err := svc.Schedule(ctx, c); err == nil {
		t.Fatal("a refused schedule was not reported")
	}
	if _, ok := fs.put[windows.ScheduleName("pie", "w1", windows.KindFinalize)]; !ok {
		t.Fatalf("the instants after the refused one were not scheduled: %v", fs.put)
	}
	// The close never fires; the reconcile after the deadline records it.
	clk.Set(c.Windows[0].ClosesAt.Add(5 * time.Minute))
	if err := svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	evs := must(s.WindowEvents(ctx, "pie")).in(t)
	closed := false
	for _, e := range evs {
		closed = closed || e.Kind == "CLOSED"
	}
	if !closed {
		t.Fatalf("the reconcile did not record the close: %+v", evs)
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
