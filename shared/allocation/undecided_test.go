package allocation

import (
	"testing"
	"time"

	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/submission"
)

func TestUndecided(t *testing.T) {
	closes := clock.InRome(2026, 5, 18, 12, 0)
	c := call.Call{Windows: []call.Window{{ID: "w1", OpensAt: clock.InRome(2026, 4, 27, 12, 0), ClosesAt: closes}}}
	now := clock.InRome(2026, 6, 1, 10, 0)
	later, earlier := now.Add(24*time.Hour), now.Add(-time.Hour)
	tests := []struct {
		name   string
		state  submission.State
		review *submission.Review
		want   bool
	}{
		{"a filed application never reviewed is undecided", submission.Submitted, nil, true},
		{"documents requested is undecided", submission.IntegrationRequested, &submission.Review{Deadline: &later}, true},
		{"a scheda sent back whose correction deadline is ahead is undecided", submission.Rejected, &submission.Review{Deadline: &later}, true},
		{"a scheda sent back whose correction deadline passed is decided (it takes no share)", submission.Rejected, &submission.Review{Deadline: &earlier}, false},
		{"a scheda sent back without a deadline is decided once the call closed", submission.Rejected, &submission.Review{}, false},
		{"admitted is decided", submission.Admitted, &submission.Review{}, false},
		{"excluded is decided", submission.Excluded, &submission.Review{}, false},
		{"validated is decided", submission.Validated, &submission.Review{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := submission.Submission{State: tt.state, Review: tt.review, Protocol: &submission.Protocol{Number: "PIE-2026-0000001"}}
			if got := Undecided(sub, c, now); got != tt.want {
				t.Fatalf("got %v", got)
			}
		})
	}
	if !Undecided(submission.Submission{State: submission.Rejected, Review: &submission.Review{}}, c, closes.Add(-time.Minute)) {
		t.Fatal("before the close, a scheda sent back without a deadline may still be sent again")
	}
}
