// Command ripartobench times the riparto engine on 10^4, 10^5 and 10^6
// beneficiaries in one run and prints the ratio between successive sizes,
// next to what O(n) and O(n log n) would give. It never compares with an
// absolute threshold: machines differ, ratios measured together do not
// (much). `make bench` runs it; -runs sets how many timings each median
// takes, -max the largest size.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"time"

	"sportello/shared/riparto"
	"sportello/shared/riparto/internal/workload"
)

func main() {
	runs := flag.Int("runs", 3, "timings per size (the median is printed)")
	maxN := flag.Int("max", 1_000_000, "largest number of beneficiaries")
	flag.Parse()

	fmt.Printf("Riparto engine %s, %s, GOMAXPROCS=%d; median of %d runs\n",
		riparto.EngineVersion, runtime.Version(), runtime.GOMAXPROCS(0), *runs)
	fmt.Printf("%14s %12s %10s %14s %14s\n", "beneficiaries", "time", "ratio", "O(n) would be", "O(n log n)")
	var prevN int
	var prev time.Duration
	for n := 10_000; n <= *maxN; n *= 10 {
		bs := workload.Beneficiaries(n)
		times := make([]time.Duration, 0, *runs)
		var capped int
		for range *runs {
			runtime.GC() // each run starts from the same heap
			start := time.Now()
			r, err := riparto.Allocate(workload.Fund, bs)
			elapsed := time.Since(start)
			if err != nil || r.Allocated+r.Unallocated != r.Fund || len(r.Lines) != n {
				fmt.Fprintln(os.Stderr, "riparto failed:", err)
				os.Exit(1)
			}
			capped = 0
			for _, l := range r.Lines {
				if l.Capped {
					capped++
				}
			}
			times = append(times, elapsed)
		}
		slices.Sort(times)
		med := times[len(times)/2]
		ratio, linear, nlogn := "—", "—", "—"
		if prevN > 0 {
			k := float64(n) / float64(prevN)
			ratio = fmt.Sprintf("×%.1f", float64(med)/float64(prev))
			linear = fmt.Sprintf("×%.1f", k)
			nlogn = fmt.Sprintf("×%.1f", k*math.Log(float64(n))/math.Log(float64(prevN)))
		}
		fmt.Printf("%14d %12s %10s %14s %14s   (%d capped)\n", n, med.Round(time.Millisecond), ratio, linear, nlogn, capped)
		prevN, prev = n, med
	}
}
