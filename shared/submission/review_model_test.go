package submission_test

import (
	"errors"
	"testing"
	"time"

	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// The decisions the API shows with each call (program.ReviewModel's
// Decisions, which the officers' pages offer) are exactly those the review
// accepts, each with what it says it needs, and no other.
func TestDecisionsShownAreTheDecisionsAccepted(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	later := now.Add(72 * time.Hour)
	all := []string{"validate", "reject", "admit", "exclude", "request_integration"}
	for _, m := range []program.ReviewModel{program.Validation, program.Admission} {
		shown := map[string]program.DecisionKind{}
		for _, d := range m.Decisions() {
			shown[d.Decision] = d
		}
		for _, name := range all {
			d, offered := shown[name]
			full := submission.Decision{Decision: name, Notes: "note", Deadline: &later}
			if !offered {
				full.Deadline = nil
				if _, err := (submission.Submission{State: submission.Submitted}).ApplyReview(m, full, "officer", now); err == nil {
					t.Errorf("%s: %s accepted but not shown", m.Name(), name)
				}
				continue
			}
			if d.Label == "" {
				t.Errorf("%s: %s has no label", m.Name(), name)
			}
			if d.Deadline == "" {
				full.Deadline = nil
			}
			if _, err := (submission.Submission{State: submission.Submitted}).ApplyReview(m, full, "officer", now); err != nil {
				t.Errorf("%s: %s with notes and deadline refused: %v", m.Name(), name, err)
			}
			bare := submission.Decision{Decision: name}
			_, err := (submission.Submission{State: submission.Submitted}).ApplyReview(m, bare, "officer", now)
			var p *problem.Error
			needs := d.Notes == "required" || d.Deadline == "required"
			if needs != errors.As(err, &p) {
				t.Errorf("%s: %s without notes or deadline: %v (shown notes %q, deadline %q)", m.Name(), name, err, d.Notes, d.Deadline)
			}
		}
	}
}
