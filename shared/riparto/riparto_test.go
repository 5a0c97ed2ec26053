package riparto

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"pgregory.net/rapid"

	"sportello/shared/money"
	"sportello/shared/problem"
)

func c(v int64) *money.Cents { x := money.Cents(v); return &x }

func b(id string, w int64, cap *money.Cents) Beneficiary {
	return Beneficiary{ID: id, Weight: big.NewRat(w, 1), Cap: cap}
}

func amounts(r Result) string {
	var parts []string
	for _, l := range r.Lines {
		parts = append(parts, fmt.Sprintf("%s=%d", l.ID, l.Amount))
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
		{"equal weights split evenly", 300, []Beneficiary{b("a", 1, nil), b("b", 1, nil), b("c", 1, nil)}, "a=100 b=100 c=100", 0},
		{"a cent left over goes to the largest remainder", 100, []Beneficiary{b("a", 1, nil), b("b", 1, nil), b("c", 1, nil)}, "a=34 b=33 c=33", 0},
		{"ties on remainder and weight go by id", 2, []Beneficiary{b("z", 1, nil), b("y", 1, nil), b("x", 1, nil)}, "x=1 y=1 z=0", 0},
		{"a larger weight wins a tied remainder", 1, []Beneficiary{b("a", 1, nil), b("b", 2, nil), b("c", 3, nil)}, "a=0 b=0 c=1", 0},
		{"proportional to weights", 1000, []Beneficiary{b("a", 1, nil), b("b", 3, nil)}, "a=250 b=750", 0},
		{"zero weight gets zero", 1000, []Beneficiary{b("a", 0, nil), b("b", 3, nil)}, "a=0 b=1000", 0},
		{"a binding cap frees money for the others", 1000, []Beneficiary{b("a", 1, c(100)), b("b", 1, nil), b("c", 2, nil)}, "a=100 b=300 c=600", 0},
		{"caps cascade", 1000, []Beneficiary{b("a", 1, c(100)), b("b", 1, c(200)), b("c", 1, nil)}, "a=100 b=200 c=700", 0},
		{"a cap exactly equal to the share binds", 900, []Beneficiary{b("a", 1, c(300)), b("b", 2, nil)}, "a=300 b=600", 0},
		{"when every cap binds the rest is unallocated", 1000, []Beneficiary{b("a", 1, c(100)), b("b", 1, c(200))}, "a=100 b=200", 700},
		{"a zero cap gets nothing", 1000, []Beneficiary{b("a", 1, c(0)), b("b", 1, nil)}, "a=0 b=1000", 0},
		{"a zero fund gives zero", 0, []Beneficiary{b("a", 1, nil)}, "a=0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Allocate(money.Cents(tt.fund), tt.bs)
			if err != nil {
				t.Fatal(err)
			}
			if got := amounts(r); got != tt.want || int64(r.Unallocated) != tt.unallocated || r.Allocated+r.Unallocated != r.Fund {
				t.Fatalf("got %s (unallocated %d)", got, r.Unallocated)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name string
		fund int64
		bs   []Beneficiary
	}{
		{"no beneficiaries", 100, nil},
		{"all weights zero", 100, []Beneficiary{b("a", 0, nil), b("b", 0, nil)}},
		{"a negative weight", 100, []Beneficiary{b("a", -1, nil)}},
		{"a negative fund", -1, []Beneficiary{b("a", 1, nil)}},
		{"a repeated id", 100, []Beneficiary{b("a", 1, nil), b("a", 1, nil)}},
		{"a negative cap", 100, []Beneficiary{b("a", 1, c(-1))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Allocate(money.Cents(tt.fund), tt.bs); problem.CodeOf(err) != problem.CodeValidation {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestRationalWeights(t *testing.T) {
	// Weights 52.40 and 14.5 (Piemonte averages) share 1000.00 euro.
	r, _ := Allocate(100000, []Beneficiary{{ID: "torino", Weight: big.NewRat(5240, 100)}, {ID: "asti", Weight: big.NewRat(145, 10)}})
	// 100000 × 52.4/66.9 = 78325.85…, 100000 × 14.5/66.9 = 21674.15…
	if got := amounts(r); got != "asti=21674 torino=78326" {
		t.Fatal(got)
	}
	if e := r.Lines[1].Explanation(); !strings.Contains(e, "52.4") || !strings.Contains(e, "783.2586") {
		t.Fatal(e)
	}
}

func genBeneficiaries(t *rapid.T) (money.Cents, []Beneficiary) {
	n := rapid.IntRange(1, 40).Draw(t, "n")
	bs := make([]Beneficiary, n)
	for i := range bs {
		num := rapid.Int64Range(0, 100000).Draw(t, "num")
		den := rapid.Int64Range(1, 200).Draw(t, "den")
		bs[i] = Beneficiary{ID: fmt.Sprintf("b%03d", i), Weight: big.NewRat(num, den)}
		if rapid.Bool().Draw(t, "capped") {
			bs[i].Cap = c(rapid.Int64Range(0, 1_000_000).Draw(t, "cap"))
		}
	}
	bs[0].Weight = big.NewRat(rapid.Int64Range(1, 1000).Draw(t, "w0"), 1)
	return money.Cents(rapid.Int64Range(0, 1_000_000_000).Draw(t, "fund")), bs
}

func TestProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fund, bs := genBeneficiaries(t)
		r, err := Allocate(fund, bs)
		if err != nil {
			t.Fatal(err)
		}
		var sum, capSum money.Cents
		allCapped := true
		for _, l := range r.Lines {
			sum += l.Amount
			if l.Cap != nil && l.Amount > *l.Cap {
				t.Fatalf("%s above its cap: %d > %d", l.ID, l.Amount, *l.Cap)
			}
			if l.Weight.Sign() == 0 && l.Amount != 0 {
				t.Fatalf("zero weight got %d", l.Amount)
			}
			if l.Amount < 0 {
				t.Fatal("negative amount")
			}
			if l.Cap != nil {
				capSum += *l.Cap
			}
			if l.Weight.Sign() > 0 && !l.Capped {
				allCapped = false
			}
		}
		if sum != r.Allocated || r.Allocated+r.Unallocated != fund {
			t.Fatalf("sum %d allocated %d unallocated %d fund %d", sum, r.Allocated, r.Unallocated, fund)
		}
		if r.Unallocated != 0 && !allCapped {
			t.Fatal("money left unallocated while someone was below its cap")
		}
		// Proportionality within one cent among uncapped beneficiaries:
		// amount/weight ratios differ by less than 1 cent per unit of weight.
		for _, a := range r.Lines {
			for _, bb := range r.Lines {
				if a.Capped || bb.Capped || a.Weight.Sign() == 0 || bb.Weight.Sign() == 0 {
					continue
				}
				// |a.Amount − bb.Amount·wa/wb| < 1 + wa/wb
				lhs := new(big.Rat).Sub(new(big.Rat).SetInt64(int64(a.Amount)), new(big.Rat).Mul(new(big.Rat).SetInt64(int64(bb.Amount)), new(big.Rat).Quo(a.Weight, bb.Weight)))
				bound := new(big.Rat).Add(big.NewRat(1, 1), new(big.Rat).Quo(a.Weight, bb.Weight))
				if lhs.Abs(lhs).Cmp(bound) >= 0 {
					t.Fatalf("%s and %s are not proportional", a.ID, bb.ID)
				}
			}
		}
		// Order independence.
		rev := make([]Beneficiary, len(bs))
		for i := range bs {
			rev[len(bs)-1-i] = bs[i]
		}
		r2, _ := Allocate(fund, rev)
		if amounts(r) != amounts(r2) {
			t.Fatalf("order changed the result:\n%s\n%s", amounts(r), amounts(r2))
		}
	})
}

func TestDecodeRequest(t *testing.T) {
	req, err := DecodeRequest([]byte(`{"fund":"1000.00","beneficiaries":[{"id":"a","weight":"12.5","cap":"300.00"},{"id":"b","weight":"1"}]}`))
	if err != nil || req.Fund != 100000 || *req.Beneficiaries[0].Cap != 30000 || req.Beneficiaries[0].Weight.FloatString(1) != "12.5" {
		t.Fatalf("%+v %v", req, err)
	}
	for name, body := range map[string]string{
		"a weight as a number": `{"fund":"1.00","beneficiaries":[{"id":"a","weight":12.5}]}`,
		"a fund with a comma":  `{"fund":"1,00","beneficiaries":[{"id":"a","weight":"1"}]}`,
		"a negative weight":    `{"fund":"1.00","beneficiaries":[{"id":"a","weight":"-1"}]}`,
		"an unknown field":     `{"fund":"1.00","beneficiaries":[{"id":"a","weight":"1","bonus":1}]}`,
		"no beneficiaries":     `{"fund":"1.00","beneficiaries":[]}`,
		"a missing fund":       `{"beneficiaries":[{"id":"a","weight":"1"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeRequest([]byte(body)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"fund":"1000.00","beneficiaries":[{"id":"a","weight":"12.5","cap":"300.00"}]}`))
	f.Add([]byte(`{"fund":"1e3"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeRequest(b)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		if r, err := Allocate(req.Fund, req.Beneficiaries); err == nil && r.Allocated+r.Unallocated != req.Fund {
			t.Fatal("sum broken")
		}
	})
}

func TestExports(t *testing.T) {
	r, _ := Allocate(100000, []Beneficiary{b("comune:001272", 2, nil), {ID: "comune:006003", Weight: big.NewRat(1, 1), Cap: c(20000), CapReason: "tetto di prova"}})
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r, map[string]string{"comune:001272": "Torino"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Fatal("no BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if err != nil || len(rows) != 4 || rows[1][1] != "Torino" || rows[1][7] != "800.00" || rows[2][7] != "200.00" || rows[3][7] != "1000.00" {
		t.Fatalf("%v %v", rows, err)
	}
	buf.Reset()
	if err := WriteXLSX(&buf, r, nil); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := x.GetCellValue("Riparto", "H2")
	total, _ := x.GetCellValue("Riparto", "H4")
	if v != "800.00" || total != "1,000.00" {
		t.Fatalf("xlsx %q %q", v, total)
	}
}

func benchmarkN(bn *testing.B, n int) {
	bs := make([]Beneficiary, n)
	for i := range bs {
		bs[i] = Beneficiary{ID: fmt.Sprintf("b%07d", i), Weight: big.NewRat(int64(i%997+1), int64(i%7+1))}
		if i%10 == 0 {
			bs[i].Cap = c(int64(i%5000 + 100))
		}
	}
	bn.ResetTimer()
	for bn.Loop() {
		if _, err := Allocate(1_000_000_000_00, bs); err != nil {
			bn.Fatal(err)
		}
	}
}

func BenchmarkAllocate1e4(b *testing.B) { benchmarkN(b, 10_000) }
func BenchmarkAllocate1e5(b *testing.B) { benchmarkN(b, 100_000) }
func BenchmarkAllocate1e6(b *testing.B) { benchmarkN(b, 1_000_000) }
