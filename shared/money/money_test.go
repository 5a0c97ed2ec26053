package money

import (
	"encoding/json"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Cents
		ok   bool
	}{
		{"two decimals", "800.00", 80000, true},
		{"one decimal means tens of cents", "272.7", 27270, true},
		{"whole euros", "20000", 2000000, true},
		{"zero", "0", 0, true},
		{"negative", "-12.34", -1234, true},
		{"comma decimal separator is refused", "800,00", 0, false},
		{"exponent is refused", "1e3", 0, false},
		{"three decimals are refused", "800.001", 0, false},
		{"trailing dot is refused", "800.", 0, false},
		{"leading dot is refused", ".50", 0, false},
		{"plus sign is refused", "+5", 0, false},
		{"spaces are refused", " 5", 0, false},
		{"thousands separator is refused", "1.000.000", 0, false},
		{"leading zeros are refused", "007", 0, false},
		{"empty is refused", "", 0, false},
		{"over a trillion euros is refused", "1000000000001", 0, false},
		{"NaN is refused", "NaN", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("Parse(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, c := range []Cents{0, 1, 99, 100, 27273, -5, -1234, 123456789} {
		got, err := Parse(c.String())
		if err != nil || got != c {
			t.Fatalf("round trip of %d gave %v, %v", c, got, err)
		}
	}
	if s := Cents(-5).String(); s != "-0.05" {
		t.Fatalf("got %s", s)
	}
}

func TestJSON(t *testing.T) {
	var v struct{ A Cents }
	if err := json.Unmarshal([]byte(`{"A":"527.27"}`), &v); err != nil || v.A != 52727 {
		t.Fatalf("got %v %v", v.A, err)
	}
	if err := json.Unmarshal([]byte(`{"A":527.27}`), &v); err == nil {
		t.Fatal("a bare JSON number must be refused")
	}
	b, _ := json.Marshal(struct{ A Cents }{52727})
	if string(b) != `{"A":"527.27"}` {
		t.Fatalf("got %s", b)
	}
}

func TestMulDivFloor(t *testing.T) {
	if got := Cents(1000).MulDivFloor(76, 1000); got != 76 {
		t.Fatal(got)
	}
	if got := Cents(-1).MulDivFloor(1, 2); got != -1 {
		t.Fatal(got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"800.00", "800,00", "1e3", "-0.01", "99999999999999999999", "0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(c.String())
		if err != nil || back != c {
			t.Fatalf("%q parsed to %d but its string %q does not round-trip", s, c, c.String())
		}
	})
}

func TestItalianGroupsThousandsWithDotsAndCentsWithAComma(t *testing.T) {
	for c, want := range map[Cents]string{0: "€ 0,00", 123456: "€ 1.234,56", 123456789: "€ 1.234.567,89", -5: "€ -0,05", 100000: "€ 1.000,00"} {
		if got := c.Italian(); got != want {
			t.Errorf("%d: %q, want %q", c, got, want)
		}
	}
}
