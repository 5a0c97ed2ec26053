package piemonte

import (
	"testing"

	"sportello/shared/clock"
	pt "sportello/shared/program/programtest"
)

func FuzzDecode(f *testing.F) {
	pt.FuzzDecode(f, New(), "piemonte-torino.json", clock.InRome(2026, 5, 4, 10, 0), nil)
}
