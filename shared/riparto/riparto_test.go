package riparto

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"sportello/shared/money"
	"sportello/shared/problem"
)

func cents(v int64) *money.Cents { x := money.Cents(v); return &x }

func ben(id string, w int64, capped *money.Cents) Beneficiary {
	return Beneficiary{ID: id, Weight: big.NewRat(w, 1), Cap: capped}
}

func amounts(r Result) string {
	parts := make([]string, len(r.Lines))
	for i, l := range r.Lines {
		parts[i] = fmt.Sprintf("%s=%d", l.ID, l.Amount)
	}
	return strings.Join(parts, " ")
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		name        string
		fund        int64
		bs          []Beneficiary
		want        string
		unallocated int64
	}{
		{"equal weights split evenly", 300, []Beneficiary{ben("a", 1, nil), ben("b", 1, nil), ben("c", 1, nil)}, "a=100 b=100 c=100", 0},
		{"a cent left over goes to the largest remainder", 200, []Beneficiary{ben("a", 1, nil), ben("b", 2, nil)}, "a=67 b=133", 0},
		{"ties on remainder and weight go by id", 2, []Beneficiary{ben("z", 1, nil), ben("y", 1, nil), ben("x", 1, nil)}, "x=1 y=1 z=0", 0},
		{"the largest remainder wins the cent", 1, []Beneficiary{ben("a", 1, nil), ben("b", 2, nil), ben("c", 3, nil)}, "a=0 b=0 c=1", 0},
		{"a larger weight wins a tied remainder", 2, []Beneficiary{ben("a", 1, nil), ben("b", 3, nil)}, "a=0 b=2", 0},
		{"ids compare by bytes: upper case before lower case", 1, []Beneficiary{ben("a", 1, nil), ben("B", 1, nil)}, "B=1 a=0", 0},
		{"proportional to weights", 1000, []Beneficiary{ben("a", 1, nil), ben("b", 3, nil)}, "a=250 b=750", 0},
		{"zero weight gets zero", 1000, []Beneficiary{ben("a", 0, nil), ben("b", 3, nil)}, "a=0 b=1000", 0},
		{"zero weight gets zero even with a cap", 1000, []Beneficiary{ben("a", 0, cents(50)), ben("b", 3, nil)}, "a=0 b=1000", 0},
		{"a binding cap frees money for the others", 1000, []Beneficiary{ben("a", 1, cents(100)), ben("b", 1, nil), ben("c", 2, nil)}, "a=100 b=300 c=600", 0},
		{"two caps bind and the rest goes to the uncapped", 1000, []Beneficiary{ben("a", 1, cents(100)), ben("b", 1, cents(200)), ben("c", 1, nil)}, "a=100 b=200 c=700", 0},
		{"caps cascade: money freed by one cap pushes another over its cap", 1000, []Beneficiary{ben("a", 1, cents(100)), ben("b", 1, cents(400)), ben("c", 1, nil)}, "a=100 b=400 c=500", 0},
		{"a cap exactly equal to the share binds", 900, []Beneficiary{ben("a", 1, cents(300)), ben("b", 2, nil)}, "a=300 b=600", 0},
		{"a cap above the share does not bind", 900, []Beneficiary{ben("a", 1, cents(301)), ben("b", 2, nil)}, "a=300 b=600", 0},
		{"rounding up may reach a cap but never passes it", 1000, []Beneficiary{ben("a", 1, cents(334)), ben("b", 1, nil), ben("c", 1, nil)}, "a=334 b=333 c=333", 0},
		{"a cap just below the share binds before rounding", 1000, []Beneficiary{ben("a", 1, cents(333)), ben("b", 1, nil), ben("c", 1, nil)}, "a=333 b=334 c=333", 0},
		{"when every cap binds the rest is unallocated", 1000, []Beneficiary{ben("a", 1, cents(100)), ben("b", 1, cents(200))}, "a=100 b=200", 700},
		{"zero weights do not absorb what caps leave", 1000, []Beneficiary{ben("a", 1, cents(100)), ben("z", 0, nil)}, "a=100 z=0", 900},
		{"a zero cap gets nothing", 1000, []Beneficiary{ben("a", 1, cents(0)), ben("b", 1, nil)}, "a=0 b=1000", 0},
		{"a zero fund gives zero", 0, []Beneficiary{ben("a", 1, nil), ben("b", 1, cents(5))}, "a=0 b=0", 0},
		{"one beneficiary takes the whole fund", 12345, []Beneficiary{ben("solo", 7, nil)}, "solo=12345", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Allocate(money.Cents(tt.fund), tt.bs)
			if err != nil {
				t.Fatal(err)
			}
			if got := amounts(r); got != tt.want || int64(r.Unallocated) != tt.unallocated || r.Allocated+r.Unallocated != r.Fund {
				t.Fatalf("got %s (unallocated %d), want %s (unallocated %d)", got, r.Unallocated, tt.want, tt.unallocated)
			}
			if r.EngineVersion != EngineVersion || r.Fund != money.Cents(tt.fund) {
				t.Fatalf("header %+v", r)
			}
			checkAgainstOracle(t, money.Cents(tt.fund), tt.bs, r)
		})
	}
}

func TestCappedAndRoundingFlags(t *testing.T) {
	r, err := Allocate(1000, []Beneficiary{
		{ID: "a", Weight: big.NewRat(1, 1), Cap: cents(100), CapReason: "2.000 euro per bambino"},
		ben("b", 1, nil), ben("c", 1, nil), ben("d", 1, cents(10_000)),
	})
	if err != nil {
		t.Fatal(err)
	}
	// a capped at 100; 900 among b, c, d: 300 each exactly.
	a, b, d := r.Lines[0], r.Lines[1], r.Lines[3]
	if !a.Capped || a.Amount != 100 || a.RawShare.Cmp(big.NewRat(100, 1)) != 0 || a.Rounding != 0 {
		t.Fatalf("a: %+v", a)
	}
	if b.Capped || b.Amount != 300 || b.Rounding != 0 || d.Capped {
		t.Fatalf("b: %+v d: %+v", b, d)
	}
	r, _ = Allocate(100, []Beneficiary{ben("a", 1, nil), ben("b", 1, nil), ben("c", 1, nil)})
	if r.Lines[0].Rounding != 1 || r.Lines[1].Rounding != 0 || r.Lines[0].RawShare.RatString() != "100/3" {
		t.Fatalf("%+v", r.Lines)
	}
}

func TestRationalWeights(t *testing.T) {
	// Weights 52.40 and 14.5 (Piemonte averages) share 1000.00 euro.
	r, err := Allocate(100000, []Beneficiary{{ID: "torino", Weight: big.NewRat(5240, 100)}, {ID: "asti", Weight: big.NewRat(145, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	// 100000 × 52.4/66.9 = 78325.85…, 100000 × 14.5/66.9 = 21674.14…
	if got := amounts(r); got != "asti=21674 torino=78326" {
		t.Fatal(got)
	}
	if got := r.Lines[1].RawShare.RatString(); got != "52400000/669" { // 100000 × 524/669
		t.Fatal(got)
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name  string
		fund  int64
		bs    []Beneficiary
		field string
	}{
		{"no beneficiaries is refused", 100, nil, "beneficiaries"},
		{"all weights zero is refused", 100, []Beneficiary{ben("a", 0, nil), ben("b", 0, nil)}, ""},
		{"a negative weight is refused", 100, []Beneficiary{ben("a", 1, nil), ben("b", -1, nil)}, "beneficiaries[1].weight"},
		{"a missing weight is refused", 100, []Beneficiary{{ID: "a"}}, "beneficiaries[0].weight"},
		{"a negative fund is refused", -1, []Beneficiary{ben("a", 1, nil)}, "fund"},
		{"a repeated id is refused at its second place", 100, []Beneficiary{ben("a", 1, nil), ben("b", 1, nil), ben("a", 1, nil)}, "beneficiaries[2].id"},
		{"an empty id is refused", 100, []Beneficiary{ben("", 1, nil)}, "beneficiaries[0].id"},
		{"a negative cap is refused", 100, []Beneficiary{ben("a", 1, cents(-1))}, "beneficiaries[0].cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Allocate(money.Cents(tt.fund), tt.bs)
			p, ok := problem.As(err)
			if !ok || p.Code != problem.CodeValidation || p.Detail == "" {
				t.Fatalf("got %v", err)
			}
			if tt.field != "" && (len(p.Fields) != 1 || p.Fields[0].Field != tt.field) {
				t.Fatalf("fields %+v, want %s", p.Fields, tt.field)
			}
		})
	}
}

func TestManyErrorsAreBounded(t *testing.T) {
	bs := make([]Beneficiary, 1000)
	for i := range bs {
		bs[i] = ben("x", -1, nil)
	}
	_, err := Allocate(100, bs)
	if p, ok := problem.As(err); !ok || len(p.Fields) != maxFieldErrors {
		t.Fatalf("%v", err)
	}
}

func TestHugeDenominatorsTakeTheBigPath(t *testing.T) {
	two70 := new(big.Int).Lsh(big.NewInt(1), 70)
	bs := []Beneficiary{
		{ID: "a", Weight: new(big.Rat).SetFrac(big.NewInt(1), two70)},
		{ID: "b", Weight: new(big.Rat).SetFrac(big.NewInt(3), two70), Cap: cents(500)},
		{ID: "c", Weight: big.NewRat(0, 1)},
	}
	if _, _, ok := wordWeights(bs); ok {
		t.Fatal("2^70 denominators should not fit the word path")
	}
	r, err := Allocate(1001, bs)
	if err != nil {
		t.Fatal(err)
	}
	if got := amounts(r); got != "a=501 b=500 c=0" {
		t.Fatal(got)
	}
	checkAgainstOracle(t, 1001, bs, r)
}

// oracle recomputes a riparto the slow, obvious way, with big.Rat: cap
// every beneficiary whose share of what is left reaches its cap, share
// again, until nothing changes; then floors and the largest remainders.
func oracle(fund money.Cents, bs []Beneficiary) map[string]Line {
	capped := map[string]bool{}
	var left, weight *big.Rat
	for {
		left, weight = new(big.Rat).SetInt64(int64(fund)), new(big.Rat)
		for _, b := range bs {
			if capped[b.ID] {
				left.Sub(left, new(big.Rat).SetInt64(int64(*b.Cap)))
			} else {
				weight.Add(weight, b.Weight)
			}
		}
		changed := false
		for _, b := range bs {
			if capped[b.ID] || b.Cap == nil || b.Weight.Sign() == 0 {
				continue
			}
			share := new(big.Rat).Quo(new(big.Rat).Mul(left, b.Weight), weight)
			if share.Cmp(new(big.Rat).SetInt64(int64(*b.Cap))) >= 0 {
				capped[b.ID], changed = true, true
			}
		}
		if !changed {
			break
		}
	}
	out := map[string]Line{}
	type rem struct {
		id string
		w  *big.Rat
		r  *big.Rat
	}
	var rems []rem
	var floors int64
	for _, b := range bs {
		l := Line{ID: b.ID, Capped: capped[b.ID], RawShare: new(big.Rat)}
		switch {
		case capped[b.ID]:
			l.Amount = *b.Cap
			l.RawShare.SetInt64(int64(l.Amount))
		case b.Weight.Sign() > 0:
			l.RawShare.Quo(new(big.Rat).Mul(left, b.Weight), weight)
			fl := new(big.Int).Quo(l.RawShare.Num(), l.RawShare.Denom())
			l.Amount = money.Cents(fl.Int64())
			floors += fl.Int64()
			rems = append(rems, rem{b.ID, b.Weight, new(big.Rat).Sub(l.RawShare, new(big.Rat).SetInt(fl))})
		}
		out[b.ID] = l
	}
	if len(rems) > 0 {
		slices.SortFunc(rems, func(a, b rem) int {
			if c := b.r.Cmp(a.r); c != 0 {
				return c
			}
			if c := b.w.Cmp(a.w); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
		leftCents := new(big.Int).Quo(left.Num(), left.Denom()).Int64() - floors
		for _, x := range rems[:leftCents] {
			l := out[x.id]
			l.Amount++
			l.Rounding = 1
			out[x.id] = l
		}
	}
	return out
}

type fataler interface {
	Fatalf(format string, args ...any)
}

func checkAgainstOracle(t fataler, fund money.Cents, bs []Beneficiary, r Result) {
	want := oracle(fund, bs)
	for _, l := range r.Lines {
		o := want[l.ID]
		if l.Amount != o.Amount || l.Capped != o.Capped || l.Rounding != o.Rounding || l.RawShare.RatString() != o.RawShare.RatString() {
			t.Fatalf("%s: engine amount=%d capped=%v rounding=%d raw=%s; oracle amount=%d capped=%v rounding=%d raw=%s",
				l.ID, l.Amount, l.Capped, l.Rounding, l.RawShare.RatString(), o.Amount, o.Capped, o.Rounding, o.RawShare.RatString())
		}
	}
}

// genWeight draws weights that make ties likely (small integers), typical
// decimals, awkward fractions, and now and then a denominator too large
// for the word path.
func genWeight(t *rapid.T, label string, huge bool) *big.Rat {
	kinds := 8
	if huge {
		kinds = 9
	}
	switch rapid.IntRange(0, kinds).Draw(t, label+"kind") {
	case 0:
		return new(big.Rat)
	case 1, 2, 3:
		return big.NewRat(rapid.Int64Range(1, 4).Draw(t, label+"small"), 1)
	case 4, 5, 6:
		return big.NewRat(rapid.Int64Range(0, 100_000).Draw(t, label+"hundredths"), 100)
	case 7, 8:
		// Awkward denominators; with huge, any up to 997, whose lcm over
		// thirty beneficiaries can itself overflow 64 bits.
		den := rapid.SampledFrom([]int64{3, 7, 12, 1000, 997}).Draw(t, label+"den")
		if huge {
			den = rapid.Int64Range(1, 997).Draw(t, label+"anyden")
		}
		return big.NewRat(rapid.Int64Range(0, 1_000_000).Draw(t, label+"num"), den)
	default:
		den := new(big.Int).Lsh(big.NewInt(rapid.Int64Range(1, 1000).Draw(t, label+"odd")*2+1), 64)
		return new(big.Rat).SetFrac(big.NewInt(rapid.Int64Range(1, 1<<40).Draw(t, label+"bignum")), den)
	}
}

func genInput(t *rapid.T, huge bool) (money.Cents, []Beneficiary) {
	n := rapid.IntRange(1, 30).Draw(t, "n")
	fund := money.Cents(rapid.OneOf(rapid.Int64Range(0, 1000), rapid.Int64Range(0, 1_000_000_000_00)).Draw(t, "fund"))
	bs := make([]Beneficiary, n)
	for i := range bs {
		bs[i] = Beneficiary{ID: fmt.Sprintf("b%02d", i), Weight: genWeight(t, "w", huge)}
		if rapid.IntRange(0, 2).Draw(t, "capped") == 0 {
			// Caps around the average share, so they bind about half the time.
			avg := int64(fund)/int64(n) + 1
			bs[i].Cap = cents(rapid.Int64Range(0, 2*avg).Draw(t, "cap"))
		}
	}
	if rapid.Bool().Draw(t, "onePositive") || allZeroWeights(bs) {
		bs[0].Weight = big.NewRat(rapid.Int64Range(1, 1000).Draw(t, "w0"), 1)
	}
	return fund, bs
}

func allZeroWeights(bs []Beneficiary) bool {
	for _, b := range bs {
		if b.Weight.Sign() != 0 {
			return false
		}
	}
	return true
}

func TestProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fund, bs := genInput(t, true)
		r, err := Allocate(fund, bs)
		if err != nil {
			t.Fatal(err)
		}
		var sum money.Cents
		allCapped := true
		for _, l := range r.Lines {
			sum += l.Amount
			if l.Amount < 0 {
				t.Fatalf("%s: negative amount %d", l.ID, l.Amount)
			}
			if l.Cap != nil && l.Amount > *l.Cap {
				t.Fatalf("%s above its cap: %d > %d", l.ID, l.Amount, *l.Cap)
			}
			if l.Weight.Sign() == 0 && l.Amount != 0 {
				t.Fatalf("%s: zero weight got %d", l.ID, l.Amount)
			}
			if l.Weight.Sign() > 0 && !l.Capped {
				allCapped = false
				// Within one cent of the exact share, and only rounded up by
				// the one cent the rounding step reports.
				diff := new(big.Rat).Sub(new(big.Rat).SetInt64(int64(l.Amount-l.Rounding)), l.RawShare)
				if diff.Sign() > 0 || diff.Cmp(big.NewRat(-1, 1)) <= 0 {
					t.Fatalf("%s: amount %d not within a cent of %s", l.ID, l.Amount, l.RawShare.RatString())
				}
			}
		}
		if sum != r.Allocated || r.Allocated+r.Unallocated != fund {
			t.Fatalf("sum %d allocated %d unallocated %d fund %d", sum, r.Allocated, r.Unallocated, fund)
		}
		if r.Unallocated != 0 && !allCapped {
			t.Fatal("money left unallocated while someone was below its cap")
		}
		if !slices.IsSortedFunc(r.Lines, func(a, b Line) int { return strings.Compare(a.ID, b.ID) }) {
			t.Fatal("lines not sorted by id")
		}
		checkAgainstOracle(t, fund, bs, r)

		// Order independence: any permutation gives the same lines.
		perm := rapid.Permutation(bs).Draw(t, "perm")
		r2, err := Allocate(fund, perm)
		if err != nil || amounts(r) != amounts(r2) {
			t.Fatalf("order changed the result:\n%s\n%s", amounts(r), amounts(r2))
		}
	})
}

// The word path and the big path must agree on every input the word path
// takes.
func TestWordAndBigPathsAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fund, bs := genInput(t, false)
		w, total, ok := wordWeights(bs)
		if !ok {
			t.Fatal("generated weights should fit the word path")
		}
		byID, err := validate(fund, bs)
		if err != nil {
			t.Fatal(err)
		}
		rank := make([]int32, len(bs))
		for r, i := range byID {
			rank[i] = int32(r)
		}
		words, err := allocateWords(fund, bs, byID, rank, w, total)
		if err != nil {
			t.Fatal(err)
		}
		bw, btotal := bigWeights(bs)
		bigs, err := allocateBig(fund, bs, byID, rank, bw, btotal)
		if err != nil {
			t.Fatal(err)
		}
		for k := range words {
			a, b := words[k], bigs[k]
			if a.ID != b.ID || a.Amount != b.Amount || a.Capped != b.Capped || a.Rounding != b.Rounding || a.RawShare.RatString() != b.RawShare.RatString() {
				t.Fatalf("word %+v big %+v", a, b)
			}
		}
	})
}

func TestInputIsNotModified(t *testing.T) {
	bs := []Beneficiary{ben("b", 2, cents(10)), ben("a", 1, nil)}
	if _, err := Allocate(1000, bs); err != nil {
		t.Fatal(err)
	}
	if bs[0].ID != "b" || bs[0].Weight.Cmp(big.NewRat(2, 1)) != 0 || *bs[0].Cap != 10 {
		t.Fatalf("%+v", bs)
	}
}
