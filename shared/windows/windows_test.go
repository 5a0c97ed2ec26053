package windows_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/dynamo"
	"sportello/shared/dynamo/dynamotest"
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
	return &windows.Service{Store: s, Clock: clk, Scheduler: &nopScheduler{put: map[string]time.Time{}}, Log: slog.New(slog.DiscardHandler)}, s, clk, c
}

func TestScheduleEveryFutureInstant(t *testing.T) {
	svc, _, _, c := setup(t)
	if err := svc.Schedule(ctx, c); err != nil {
		t.Fatal(err)
	}
	put := svc.Scheduler.(*nopScheduler).put
	if got := put["pie-w1-close"].UTC().Format(time.RFC3339); got != "2026-05-18T10:00:00Z" {
		t.Fatalf("close scheduled at %s", got)
	}
	if got := put["pie-w1-finalize"].Sub(put["pie-w1-close"]); got != windows.FinalizeGrace {
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
	evs, _ := s.WindowEvents(ctx, "pie")
	if len(evs) != 1 || evs[0].RanAt.UTC().Format(time.RFC3339) != "2026-05-18T10:00:00Z" {
		t.Fatalf("events %+v", evs)
	}
	trail, _ := s.CallAudit(ctx, "pie")
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
	svc.Handle(ctx, windows.Event{Kind: windows.KindClose, CallID: "pie", WindowID: "w1"})
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
	clk.Set(c.Windows[0].ClosesAt.Add(windows.FinalizeGrace - time.Millisecond))
	svc.Reconcile(ctx)
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
	b, _ := s.Submission(ctx, "sub_b")
	if b.State != submission.Expired {
		t.Fatalf("draft is %s", b.State)
	}
	evs, _ := s.WindowEvents(ctx, "pie")
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
