package server

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"sportello/infra/apiclient"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/windows"
)

// get reads path as token into out (when not nil) and returns the status.
func (e *env) get(path, token string, out any) int {
	e.t.Helper()
	r := e.do("GET", path, token, nil)
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			e.t.Fatalf("%s: %v in %s", path, err, r.Body)
		}
	}
	return r.Status
}

// The Piemonte window closes at 12:00 Rome on 18 May 2026 on its own: no
// request changes the state, the in-process scheduler runs the windows
// function at 10:00:00Z, and a second invocation records nothing new. The
// runtime starts at 11:59:50; once it is up the clock jumps to 11:59:59
// and the schedules are armed again, as a restart at that instant would
// (the local scheduler arms real timers), so the test waits about one
// second of real time, only until the close is recorded.
func TestPiemonteClosesAtNoonOnItsOwn(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 18, 11, 59).Add(50*time.Second), liveClock)
	rt := e.rt
	clk := rt.Clock.(*clock.Started)
	clerk := rt.Token(auth.Principal{Subject: "clerk", Role: auth.RoleApplicant, Orgs: []string{"comune:001272"}})
	var before apiclient.Call
	if code := e.get("/v1/calls/"+PiemonteCall, clerk, &before); code != 200 || before.State != "open" || len(before.Windows) == 0 {
		t.Fatalf("before noon want open, got %d %+v", code, before)
	}
	if at := before.Windows[0].ClosesAt.Format(time.RFC3339); at != "2026-05-18T12:00:00+02:00" {
		t.Fatalf("closesAt %s", at)
	}
	clk.Jump(clock.InRome(2026, 5, 18, 11, 59).Add(59 * time.Second))
	c, err := rt.Store.Call(context.Background(), PiemonteCall)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.App.Windows.Schedule(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		evs, err := rt.Store.WindowEvents(context.Background(), PiemonteCall)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(evs, func(e call.WindowEvent) bool { return e.Kind == "CLOSED" }) || time.Now().After(deadline) {
			break
		}
	}
	var after apiclient.Call
	e.get("/v1/calls/"+PiemonteCall, clerk, &after)
	if after.State != "closed" || len(after.Windows) == 0 || after.Windows[0].State != "closed" {
		t.Fatalf("at 12:00:01 want closed, got %+v", after)
	}
	evs, err := rt.Store.WindowEvents(context.Background(), PiemonteCall)
	if err != nil {
		t.Fatal(err)
	}
	var closed []time.Time
	for _, e := range evs {
		if e.Kind == "CLOSED" {
			closed = append(closed, e.RanAt)
			if e.Trigger != "schedule" || e.At.UTC().Format(time.RFC3339) != "2026-05-18T10:00:00Z" {
				t.Fatalf("close event %+v", e)
			}
		}
	}
	if len(closed) != 1 {
		t.Fatalf("want one close record, got %d", len(closed))
	}
	if d := closed[0].Sub(time.Date(2026, 5, 18, 10, 0, 0, 0, time.UTC)); d < 0 || d > time.Second {
		t.Fatalf("the windows function ran at %v", closed[0].UTC())
	}
	// A duplicate delivery of the same schedule changes nothing.
	payload, _ := json.Marshal(windows.Event{Kind: windows.KindClose, CallID: PiemonteCall, WindowID: "w1"})
	if err := rt.fireWindows(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	evs, _ = rt.Store.WindowEvents(context.Background(), PiemonteCall)
	n := 0
	for _, e := range evs {
		if e.Kind == "CLOSED" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("after a duplicate invocation: %d close records", n)
	}
	officer := rt.Token(auth.Principal{Subject: "off", Role: auth.RoleOfficer, Region: "PIE"})
	var trail apiclient.CallAudit
	e.get("/v1/calls/"+PiemonteCall+"/audit", officer, &trail)
	closes := 0
	for _, e := range trail.Entries {
		if e.Action == "window.CLOSED" {
			closes++
		}
	}
	if closes != 1 {
		t.Fatalf("audit has %d close entries", closes)
	}
}

func TestHealthAndAuth(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 31, 11, 0), liveClock)
	rt := e.rt
	var h apiclient.Health
	if code := e.get("/v1/health", "", &h); code != 200 || h.Status != "ok" || !strings.HasPrefix(h.Time.Format(time.RFC3339), "2025-07-31T11:00") {
		t.Fatalf("health %d %+v", code, h)
	}
	if code := e.get("/v1/calls", "", nil); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code := e.get("/v1/calls", "garbage", nil); code != 401 {
		t.Fatalf("bad token: %d", code)
	}
	lom := rt.Token(auth.Principal{Subject: "o", Role: auth.RoleOfficer, Region: "LOM"})
	if code := e.get("/v1/calls/"+PiemonteCall, lom, nil); code != 404 {
		t.Fatalf("an officer of another region must not see the call: %d", code)
	}
	var list apiclient.CallList
	e.get("/v1/calls", lom, &list)
	if len(list.Calls) != 1 || list.Calls[0].State != "open" {
		t.Fatalf("LOM officer sees %+v", list)
	}
}
