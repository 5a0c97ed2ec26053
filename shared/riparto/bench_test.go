package riparto_test

import (
	"fmt"
	"testing"

	"sportello/shared/riparto"
	"sportello/shared/riparto/internal/workload"
)

// BenchmarkAllocate measures the engine at 10^4, 10^5 and 10^6
// beneficiaries (see cmd/ripartobench for the ratios in one run).
func BenchmarkAllocate(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		bs := workload.Beneficiaries(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := riparto.Allocate(workload.Fund, bs)
				if err != nil || r.Allocated+r.Unallocated != r.Fund {
					b.Fatal(err)
				}
			}
		})
	}
}
