// Command riparto times the allocation engine for 10^4, 10^5 and 10^6
// beneficiaries (a tenth of them capped) in one run, and prints the ratio
// between successive sizes: ×10 beneficiaries should cost about ×10–×13
// (O(n log n)).
package main

import (
	"fmt"
	"math/big"
	"time"

	"sportello/shared/money"
	"sportello/shared/riparto"
)

func main() {
	fmt.Println("Riparto engine (median of 3 runs; ratio to the previous size)")
	fmt.Printf("%12s %12s %8s\n", "beneficiaries", "time", "ratio")
	var prev time.Duration
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		bs := make([]riparto.Beneficiary, n)
		for i := range bs {
			bs[i] = riparto.Beneficiary{ID: fmt.Sprintf("b%07d", i), Weight: big.NewRat(int64(i%997+1), int64(i%7+1))}
			if i%10 == 0 {
				c := money.Cents(i%5000 + 100)
				bs[i].Cap = &c
			}
		}
		var runs []time.Duration
		for range 3 {
			start := time.Now()
			r, err := riparto.Allocate(money.Euros(100_000_000), bs)
			if err != nil || r.Allocated+r.Unallocated != r.Fund {
				panic(fmt.Sprint("riparto failed: ", err))
			}
			runs = append(runs, time.Since(start))
		}
		med := median(runs)
		ratio := "—"
		if prev > 0 {
			ratio = fmt.Sprintf("%.1f", float64(med)/float64(prev))
		}
		fmt.Printf("%12d %12s %8s\n", n, med.Round(time.Millisecond), ratio)
		prev = med
	}
}

func median(d []time.Duration) time.Duration {
	for i := range d {
		for j := i + 1; j < len(d); j++ {
			if d[j] < d[i] {
				d[i], d[j] = d[j], d[i]
			}
		}
	}
	return d[len(d)/2]
}
