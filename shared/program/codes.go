package program

import (
	"time"

	"sportello/shared/clock"
)

// Field codes the three programs add to problem's generic ones
// (problem.FieldRequired, FieldInvalid, …). They are part of the API: a
// client may branch on them, so they never change meaning.
const (
	// FieldNotEligible: the value is well formed but excludes the
	// application (a sezione primavera, a fee increase above the limit, …).
	FieldNotEligible = "not_eligible"
	// FieldMustBeTrue: a declaration or commitment the call makes mandatory
	// was not given.
	FieldMustBeTrue = "must_be_true"
	// FieldIncreaseOverLimit: a fee increase above the call's limit.
	FieldIncreaseOverLimit = "increase_over_limit"
	// FieldMissingItem: something the Region's registry lists (a
	// pre-loaded service) is missing from the form.
	FieldMissingItem = "missing_item"
	// FieldDuplicate: the same item appears twice in a list.
	FieldDuplicate = "duplicate"
)

// Today is the calendar day of an instant in Europe/Rome: "not in the
// future" and "expired before filing" compare days as the applicant sees
// them, not UTC days (at 00:30 in Rome it is still yesterday in UTC).
func Today(t time.Time) Date {
	y, m, d := t.In(clock.Rome).Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}
