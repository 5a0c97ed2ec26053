package lombardia

import (
	"testing"

	"sportello/shared/clock"
	pt "sportello/shared/program/programtest"
)

func FuzzDecode(f *testing.F) {
	pt.FuzzDecode(f, New(), "lombardia-milano.json", clock.InRome(2025, 7, 20, 10, 0), nil)
}
