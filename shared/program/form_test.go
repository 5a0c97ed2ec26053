package program_test

import (
	"testing"

	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/program/lombardia"
)

// A field error's path finds its field's label, item indexes or not; a
// declaration's path finds the declaration's own text.
func TestFieldErrorsCarryTheLabelsOfTheForm(t *testing.T) {
	fields := lombardia.New().Fields()
	errs := problem.Fields{
		{Field: "entity.pec", Code: problem.FieldInvalid},
		{Field: "facilities[1].fees[0].isee20000.familyShare", Code: problem.FieldRequired},
		{Field: "declarations.cofundsServices", Code: program.FieldMustBeTrue},
		{Field: "org", Code: problem.FieldInvalid},
	}
	program.LabelErrors(fields, errs)
	want := []string{
		"Indirizzo di Posta Elettronica Certificata (PEC)",
		"Retta a carico della famiglia (comprensiva del Bonus INPS, al netto del contributo comunale)",
		lombardia.NatureDeclarations[1].Text,
		"", // not a field of the form
	}
	for i, e := range errs {
		if e.Label != want[i] {
			t.Errorf("%s: label %q, want %q", e.Field, e.Label, want[i])
		}
	}
	if got := len(program.Leaves(fields)); got < 80 {
		t.Errorf("the A1 describes %d values", got)
	}
}
