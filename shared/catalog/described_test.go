package catalog

import (
	"testing"

	"sportello/shared/program"
	"sportello/shared/program/programtest"
)

// Every program of the catalog describes its form, and the description
// matches its decoder: the web form, the validation labels and the
// summary's labels exist for every call.
func TestEveryProgramDescribesItsForm(t *testing.T) {
	for id, p := range All() {
		t.Run(id, func(t *testing.T) {
			if _, ok := p.(program.Described); !ok {
				t.Fatalf("%s does not describe its form", id)
			}
			programtest.FormIsDescribed(t, p)
		})
	}
}
