package riparto

import (
	"cmp"
	"fmt"
	"math/big"
	"math/bits"
	"slices"

	"sportello/shared/money"
)

// The machine-word path. Every quantity is a uint64: the fund and the caps
// in cents (below 2^47, see money), the scaled weights and their total
// (below 2^64 or this path is not taken). Products of two of them are
// 128-bit (bits.Mul64), and a share R·w/W is one bits.Div64, whose
// precondition (high word < W) holds because w ≤ W makes the quotient at
// most R.

// wordWeights scales the weights to integers over their common
// denominator, or reports that they do not fit in 64 bits.
func wordWeights(bs []Beneficiary) (w []uint64, total uint64, ok bool) {
	// First pass: numerators and denominators as words, and their lcm.
	w = make([]uint64, len(bs))
	dens := make([]uint64, len(bs))
	den := uint64(1)
	for i, b := range bs {
		n := b.Weight.Num()
		if !n.IsUint64() {
			return nil, 0, false
		}
		w[i], dens[i] = n.Uint64(), 1
		if b.Weight.IsInt() {
			continue
		}
		d := b.Weight.Denom()
		if !d.IsUint64() {
			return nil, 0, false
		}
		dens[i] = d.Uint64()
		if den%dens[i] == 0 {
			continue
		}
		hi, lo := bits.Mul64(den/gcd(den, dens[i]), dens[i]) // lcm
		if hi != 0 {
			return nil, 0, false
		}
		den = lo
	}
	// Second pass: scale every numerator to the common denominator.
	for i := range w {
		hi, lo := bits.Mul64(w[i], den/dens[i])
		if hi != 0 {
			return nil, 0, false
		}
		var carry uint64
		total, carry = bits.Add64(total, lo, 0)
		if carry != 0 {
			return nil, 0, false
		}
		w[i] = lo
	}
	return w, total, true
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// cmpMul compares a·b with c·d exactly.
func cmpMul(a, b, c, d uint64) int {
	h1, l1 := bits.Mul64(a, b)
	h2, l2 := bits.Mul64(c, d)
	if h1 != h2 {
		return cmp.Compare(h1, h2)
	}
	return cmp.Compare(l1, l2)
}

func allocateWords(fund money.Cents, bs []Beneficiary, byID, rank []int32, w []uint64, total uint64) ([]Line, error) {
	n := len(bs)

	// 1. Water-filling, in ascending cap/weight (cross-multiplied), ties by
	// id. The candidates are copied into one array so the sort reads
	// contiguous memory.
	type candidate struct {
		cap, w uint64
		rank   int32
		i      int32
	}
	var order []candidate
	for i := range bs {
		if bs[i].Cap != nil && w[i] > 0 {
			order = append(order, candidate{cap: uint64(*bs[i].Cap), w: w[i], rank: rank[i], i: int32(i)})
		}
	}
	slices.SortFunc(order, func(a, b candidate) int {
		if c := cmpMul(a.cap, b.w, b.cap, a.w); c != 0 {
			return c
		}
		return cmp.Compare(a.rank, b.rank)
	})
	capped := make([]bool, n)
	left, weight := uint64(fund), total // what is still to share, among which weight
	for _, c := range order {
		// c binds when its share of what is left reaches its cap:
		// cap·W ≤ R·w. Then cap ≤ R (as w ≤ W), so R stays ≥ 0.
		if cmpMul(c.cap, weight, left, c.w) > 0 {
			break // every later one has a larger cap/weight: none binds
		}
		capped[c.i] = true
		left -= c.cap
		weight -= c.w
	}

	// 2. Floors and remainders of the exact shares left·w/weight.
	type rem struct {
		r, w uint64
		rank int32
		i    int32
	}
	var rems []rem
	amount := make([]uint64, n)
	remOf := make([]uint64, n)
	var floors uint64
	if weight > 0 {
		rems = make([]rem, 0, n)
		for i := range bs {
			if capped[i] || w[i] == 0 {
				continue
			}
			hi, lo := bits.Mul64(left, w[i])
			q, r := bits.Div64(hi, lo, weight)
			amount[i], remOf[i] = q, r
			floors += q
			if r > 0 {
				rems = append(rems, rem{r: r, w: w[i], rank: rank[i], i: int32(i)})
			}
		}
		left -= floors
	}
	// What is left now are whole cents: fewer than the fractional shares
	// (their fractions sum to it, each below one), or, with no uncapped
	// positive weight, the unallocated rest.
	extra := make([]bool, n)
	if weight > 0 {
		if err := checkLeftover(left, len(rems)); err != nil {
			return nil, err
		}
		// 3. Largest remainders: remainder desc, weight desc, id asc.
		slices.SortFunc(rems, func(a, b rem) int {
			if c := cmp.Compare(b.r, a.r); c != 0 {
				return c
			}
			if c := cmp.Compare(b.w, a.w); c != 0 {
				return c
			}
			return cmp.Compare(a.rank, b.rank)
		})
		for _, x := range rems[:left] {
			extra[x.i] = true
		}
	}

	// Lines in id order. The loop runs in input order and writes each line
	// to its rank: sequential reads of the input, which is the larger side.
	lines := make([]Line, n)
	rats := make([]big.Rat, n) // one allocation for every RawShare header
	var scratch big.Int
	for i := range bs {
		b := &bs[i]
		l := &lines[rank[i]]
		*l = Line{ID: b.ID, Weight: b.Weight, Cap: b.Cap, CapReason: b.CapReason, RawShare: &rats[i]}
		switch {
		case capped[i]:
			l.Capped, l.Amount = true, *b.Cap
			l.RawShare.SetInt64(int64(l.Amount))
		case w[i] == 0 || weight == 0:
			// no share: zero weight (or every positive weight was capped)
		default:
			l.Amount = money.Cents(amount[i])
			if extra[i] {
				l.Amount++
				l.Rounding = 1
			}
			wordShare(l.RawShare, amount[i], remOf[i], weight, &scratch)
			if l.Cap != nil && l.Amount > *l.Cap {
				return nil, fmt.Errorf("riparto: line %q above its cap", b.ID)
			}
		}
	}
	return lines, nil
}

// wordShare sets z to the exact share q + r/W. The fraction is reduced
// here with a machine-word gcd g of r and W: then (q·W/g + r/g) / (W/g) is
// already in lowest terms, because gcd(q·W' + r', W') = gcd(r', W') = 1.
// So the numerator and denominator are written through Num and Denom
// (documented as references to z's own), which skips the big-number gcd
// that SetFrac would repeat; the tests compare every RawShare, in its
// reduced RatString form, with an independent big.Rat computation.
func wordShare(z *big.Rat, q, r, w uint64, scratch *big.Int) {
	if r == 0 {
		z.SetUint64(q)
		return
	}
	g := gcd(w, r)
	r, w = r/g, w/g
	hi, lo := bits.Mul64(q, w)
	lo, carry := bits.Add64(lo, r, 0)
	hi += carry
	z.SetUint64(1) // initialised, so Denom is a reference
	num := z.Num()
	if hi == 0 {
		num.SetUint64(lo)
	} else {
		num.SetUint64(hi)
		num.Lsh(num, 64)
		num.Or(num, scratch.SetUint64(lo))
	}
	z.Denom().SetUint64(w)
}
