package server

import (
	"strings"
	"testing"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
	"sportello/shared/scheduler"
)

// A window id may have 40 characters; with the call id and the kind that
// made a schedule name of 71, which EventBridge Scheduler refuses after the
// call is stored. Names are bounded now, the call is created with its audit
// line, and every instant is scheduled.
func TestACallWithA40CharacterWindowIdIsCreatedScheduledAndAudited(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 1, 9, 0))
	officer := e.officer("FVG")
	long := strings.Repeat("w", 40)
	r := e.createCall(officer, apiclient.CallSpec{Program: "fvg-rette-2024", Title: "Rette 2024/25",
		Windows: []apiclient.WindowSpec{{Id: ptr(long), OpensAt: "2025-08-01T12:00:00+02:00", ClosesAt: ptr("2025-09-01T12:00:00+02:00")}}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	callID := decode[apiclient.Call](t, r).Id
	names := 0
	for name := range e.rt.Scheduler.Pending() {
		if !strings.HasPrefix(name, callID) {
			continue
		}
		names++
		if err := scheduler.CheckName(name); err != nil {
			t.Error(err)
		}
	}
	if names != 3 {
		t.Errorf("%d schedules for the call, want open, close and finalize", names)
	}
	trail := e.callAudit(callID, officer)
	if trail.Status != 200 || !strings.Contains(string(trail.Body), "call.created") {
		t.Fatalf("audit: %d %s", trail.Status, trail.Body)
	}
}
