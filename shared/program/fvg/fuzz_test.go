package fvg

import (
	"testing"

	"sportello/shared/clock"
	pt "sportello/shared/program/programtest"
)

func FuzzDecode(f *testing.F) {
	pt.FuzzDecode(f, New(), "fvg-udine.json", clock.InRome(2025, 7, 15, 10, 0), map[string]string{"referenceContributionPerChild": "1500.00"})
}
