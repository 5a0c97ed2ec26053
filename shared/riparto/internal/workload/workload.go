// Package workload builds the synthetic riparto used by the benchmark and
// by cmd/ripartobench, so both measure the same thing: Comuni with average
// attendances of two decimals (as in the Piemonte rilevazione), one in ten
// with a cap spread around the average share so that the water-filling
// really caps some of them and redistributes. It is deterministic.
package workload

import (
	"fmt"
	"math/big"

	"sportello/shared/money"
	"sportello/shared/riparto"
)

// Fund is the fund the workload shares: 100 million euro.
const Fund = money.Cents(100_000_000_00)

// Beneficiaries returns n beneficiaries in a scrambled (not id) order.
func Beneficiaries(n int) []riparto.Beneficiary {
	bs := make([]riparto.Beneficiary, n)
	x := uint64(0x9E3779B97F4A7C15)
	next := func() uint64 { // xorshift64: reproducible without math/rand seeding
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return x
	}
	avgShare := int64(Fund) / int64(n)
	for i := range bs {
		hundredths := int64(next()%5000 + 1) // 0.01 … 50.00 children
		bs[i] = riparto.Beneficiary{ID: fmt.Sprintf("comune:%07d", i),
			Weight: big.NewRat(hundredths, 100)}
		if i%10 == 0 {
			c := money.Cents(avgShare/5 + int64(next()%uint64(3*avgShare+1)))
			bs[i].Cap, bs[i].CapReason = &c, "tetto di prova"
		}
	}
	// Scramble so that the engine's own sort by id does real work.
	for i := len(bs) - 1; i > 0; i-- {
		j := int(next() % uint64(i+1))
		bs[i], bs[j] = bs[j], bs[i]
	}
	return bs
}
