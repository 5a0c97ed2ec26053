package riparto

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"

	"sportello/shared/money"
)

// The math/big path: the same three steps as allocateWords, for weights
// whose common denominator or total does not fit in 64 bits (arbitrary
// rationals). It is slower but has no size limit.

func bigWeights(bs []Beneficiary) ([]big.Int, *big.Int) {
	den := big.NewInt(1)
	var g, q big.Int
	for _, b := range bs {
		d := b.Weight.Denom()
		if new(big.Int).Rem(den, d).Sign() != 0 { // den = lcm(den, d)
			g.GCD(nil, nil, den, d)
			den.Mul(den, q.Quo(d, &g))
		}
	}
	w := make([]big.Int, len(bs))
	total := new(big.Int)
	for i, b := range bs {
		w[i].Mul(b.Weight.Num(), q.Quo(den, b.Weight.Denom()))
		total.Add(total, &w[i])
	}
	return w, total
}

func allocateBig(fund money.Cents, bs []Beneficiary, byID, rank []int32, w []big.Int, total *big.Int) ([]Line, error) {
	n := len(bs)
	var l, r big.Int
	cmpMul := func(a, b, c, d *big.Int) int { return l.Mul(a, b).Cmp(r.Mul(c, d)) }
	caps := make([]big.Int, n)
	order := make([]int32, 0, n/8)
	for i := range bs {
		if bs[i].Cap != nil {
			caps[i].SetInt64(int64(*bs[i].Cap))
			if w[i].Sign() > 0 {
				order = append(order, int32(i))
			}
		}
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmpMul(&caps[a], &w[b], &caps[b], &w[a]); c != 0 {
			return c
		}
		return cmp.Compare(rank[a], rank[b])
	})
	capped := make([]bool, n)
	left := big.NewInt(int64(fund))
	weight := new(big.Int).Set(total)
	for _, i := range order {
		if cmpMul(&caps[i], weight, left, &w[i]) > 0 {
			break
		}
		capped[i] = true
		left.Sub(left, &caps[i])
		weight.Sub(weight, &w[i])
	}

	type rem struct {
		r    *big.Int
		i    int32
		rank int32
	}
	var rems []rem
	amount := make([]uint64, n)
	remOf := make([]*big.Int, n)
	var floors uint64
	if weight.Sign() > 0 {
		for i := range bs {
			if capped[i] || w[i].Sign() == 0 {
				continue
			}
			q, rr := new(big.Int).QuoRem(new(big.Int).Mul(left, &w[i]), weight, new(big.Int))
			amount[i], remOf[i] = q.Uint64(), rr // q ≤ left < 2^63
			floors += amount[i]
			if rr.Sign() > 0 {
				rems = append(rems, rem{r: rr, i: int32(i), rank: rank[i]})
			}
		}
		left.Sub(left, new(big.Int).SetUint64(floors))
	}
	extra := make([]bool, n)
	if weight.Sign() > 0 {
		if err := checkLeftover(left.Uint64(), len(rems)); err != nil {
			return nil, err
		}
		slices.SortFunc(rems, func(a, b rem) int {
			if c := b.r.Cmp(a.r); c != 0 {
				return c
			}
			if c := w[b.i].Cmp(&w[a.i]); c != 0 {
				return c
			}
			return cmp.Compare(a.rank, b.rank)
		})
		for _, x := range rems[:left.Uint64()] {
			extra[x.i] = true
		}
	}

	lines := make([]Line, n)
	for k, i := range byID {
		b := bs[i]
		if capped[i] || w[i].Sign() == 0 || weight.Sign() == 0 {
			lines[k] = fixedLine(b, capped[i])
			continue
		}
		ln := Line{ID: b.ID, Weight: b.Weight, Cap: b.Cap, CapReason: b.CapReason, Amount: money.Cents(amount[i])}
		if extra[i] {
			ln.Amount++
			ln.Rounding = 1
		}
		num := new(big.Int).Mul(new(big.Int).SetUint64(amount[i]), weight)
		ln.RawShare = new(big.Rat).SetFrac(num.Add(num, remOf[i]), weight)
		if ln.Cap != nil && ln.Amount > *ln.Cap {
			return nil, fmt.Errorf("riparto: line %q above its cap", b.ID)
		}
		lines[k] = ln
	}
	return lines, nil
}
