package nidigratis

import (
	"testing"

	"sportello/shared/money"
	"sportello/shared/problem"
)

func eur(s string) money.Cents {
	c, err := money.Parse(s)
	if err != nil {
		panic(err)
	}
	return c
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name                          string
		fee, isee                     string
		born2024                      bool
		month                         int
		eligible                      bool
		bonus, excess, region, family string
	}{
		{"fee 800, ISEE 15,000: the Region pays 527.27", "800.00", "15000.00", false, 1, true, "272.73", "527.27", "527.27", "0.00"},
		{"same, born after 1 January 2024: 472.73", "800.00", "15000.00", true, 1, true, "327.27", "472.73", "472.73", "0.00"},
		{"ISEE 23,000: 100, the family pays 427.27", "800.00", "23000.00", false, 1, true, "272.73", "527.27", "100.00", "427.27"},
		{"ISEE 23,000 born 2024: 100, the family pays 372.73", "800.00", "23000.00", true, 1, true, "327.27", "472.73", "100.00", "372.73"},
		{"the 11th month uses the 272.70 bonus", "800.00", "15000.00", false, 11, true, "272.70", "527.30", "527.30", "0.00"},
		{"the 11th month born 2024 uses 327.30", "800.00", "15000.00", true, 11, true, "327.30", "472.70", "472.70", "0.00"},
		{"ISEE 20,000.00 is still fully covered", "800.00", "20000.00", false, 3, true, "272.73", "527.27", "527.27", "0.00"},
		{"ISEE 20,000.01 is capped at 100 a month", "800.00", "20000.01", false, 3, true, "272.73", "527.27", "100.00", "427.27"},
		{"ISEE 25,000.00 is still capped at 100", "800.00", "25000.00", false, 3, true, "272.73", "527.27", "100.00", "427.27"},
		{"ISEE 25,000.01 is not eligible", "800.00", "25000.01", false, 3, false, "272.73", "527.27", "0.00", "527.27"},
		{"a fee below the bonus leaves no excess", "200.00", "10000.00", false, 1, true, "200.00", "0.00", "0.00", "0.00"},
		{"an excess under 100 is paid in full in the middle band", "350.00", "22000.00", false, 1, true, "272.73", "77.27", "77.27", "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Compute(Input{Fee: eur(tt.fee), ISEE: eur(tt.isee), BornFrom2024: tt.born2024, Month: tt.month})
			got := [4]string{r.INPSBonus.String(), r.Excess.String(), r.RegionShare.String(), r.FamilyShare.String()}
			if want := [4]string{tt.bonus, tt.excess, tt.region, tt.family}; got != want || r.Eligible != tt.eligible {
				t.Fatalf("got %v eligible=%v", got, r.Eligible)
			}
		})
	}
}

func TestElevenMonthsAddUpToTheAnnualBonus(t *testing.T) {
	var std, inc money.Cents
	for m := 1; m <= 11; m++ {
		std += Compute(Input{Fee: eur("1000.00"), Month: m}).INPSBonus
		inc += Compute(Input{Fee: eur("1000.00"), Month: m, BornFrom2024: true}).INPSBonus
	}
	if std != eur("3000.00") || inc != eur("3600.00") {
		t.Fatalf("%s %s", std, inc)
	}
}

func TestDecodeRequest(t *testing.T) {
	in, err := DecodeRequest([]byte(`{"fee":"800.00","isee":"15000.00","bornFrom2024":false,"month":1}`))
	if err != nil || in.Fee != eur("800.00") || in.Month != 1 {
		t.Fatalf("%+v %v", in, err)
	}
	for name, body := range map[string]string{
		"month 0 is refused":          `{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":0}`,
		"month 12 is refused":         `{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":12}`,
		"a negative fee is refused":   `{"fee":"-1.00","isee":"1.00","bornFrom2024":false,"month":1}`,
		"a comma amount is refused":   `{"fee":"800,00","isee":"1.00","bornFrom2024":false,"month":1}`,
		"a number amount is refused":  `{"fee":800,"isee":"1.00","bornFrom2024":false,"month":1}`,
		"a missing field is refused":  `{"fee":"800.00","isee":"1.00","month":1}`,
		"an unknown field is refused": `{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":1,"x":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeRequest([]byte(body)); err == nil {
				t.Fatal("accepted")
			} else if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
		})
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"fee":"800.00","isee":"15000.00","bornFrom2024":false,"month":1}`))
	f.Add([]byte(`{"fee":"1e3"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := DecodeRequest(b)
		if err != nil {
			return
		}
		r := Compute(in)
		if r.INPSBonus+r.RegionShare+r.FamilyShare != in.Fee || r.Excess < 0 || r.RegionShare > r.Excess {
			t.Fatalf("%+v does not add up for %+v", r, in)
		}
	})
}
