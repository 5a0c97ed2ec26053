package nidigratis

import (
	"encoding/json"
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
		// The seed's worked examples (Avviso, "a titolo di esempio", a–d).
		{"example a: fee 800, ISEE 15,000, the Region pays 527.27", "800.00", "15000.00", false, 1, true, "272.73", "527.27", "527.27", "0.00"},
		{"example b: born after 1 January 2024, the Region pays 472.73", "800.00", "15000.00", true, 1, true, "327.27", "472.73", "472.73", "0.00"},
		{"example c: ISEE 23,000, the Region pays 100 and the family 427.27", "800.00", "23000.00", false, 1, true, "272.73", "527.27", "100.00", "427.27"},
		{"example d: ISEE 23,000 born 2024, the Region pays 100 and the family 372.73", "800.00", "23000.00", true, 1, true, "327.27", "472.73", "100.00", "372.73"},
		// Months.
		{"months 1 to 10 use the 272.73 bonus", "800.00", "15000.00", false, 10, true, "272.73", "527.27", "527.27", "0.00"},
		{"the 11th month uses the 272.70 bonus", "800.00", "15000.00", false, 11, true, "272.70", "527.30", "527.30", "0.00"},
		{"the 11th month born 2024 uses the 327.30 bonus", "800.00", "15000.00", true, 11, true, "327.30", "472.70", "472.70", "0.00"},
		// ISEE band edges.
		{"ISEE 0 is fully covered", "800.00", "0.00", false, 3, true, "272.73", "527.27", "527.27", "0.00"},
		{"ISEE 20,000.00 is still fully covered", "800.00", "20000.00", false, 3, true, "272.73", "527.27", "527.27", "0.00"},
		{"ISEE 20,000.01 is capped at 100 a month", "800.00", "20000.01", false, 3, true, "272.73", "527.27", "100.00", "427.27"},
		{"ISEE 25,000.00 is still capped at 100 a month", "800.00", "25000.00", false, 3, true, "272.73", "527.27", "100.00", "427.27"},
		{"ISEE 25,000.01 is not eligible: the family pays the whole excess", "800.00", "25000.01", false, 3, false, "272.73", "527.27", "0.00", "527.27"},
		// Fees near the bonus.
		{"an excess under 100 is paid in full in the 100-a-month band", "350.00", "22000.00", false, 1, true, "272.73", "77.27", "77.27", "0.00"},
		{"an excess of exactly 100 is paid in full in the 100-a-month band", "372.73", "22000.00", false, 1, true, "272.73", "100.00", "100.00", "0.00"},
		{"a fee one cent above the bonus leaves one cent to the Region", "272.74", "10000.00", false, 1, true, "272.73", "0.01", "0.01", "0.00"},
		{"a fee equal to the bonus is not eligible: nothing above it", "272.73", "10000.00", false, 1, false, "272.73", "0.00", "0.00", "0.00"},
		{"a fee below the bonus: INPS reimburses only the fee, not eligible", "200.00", "10000.00", false, 1, false, "200.00", "0.00", "0.00", "0.00"},
		{"a zero fee gives zero everywhere", "0.00", "10000.00", true, 11, false, "0.00", "0.00", "0.00", "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Fee: eur(tt.fee), ISEE: eur(tt.isee), BornFrom2024: tt.born2024, Month: tt.month}
			r := Compute(in)
			got := [4]string{r.INPSBonus.String(), r.Excess.String(), r.RegionShare.String(), r.FamilyShare.String()}
			if want := [4]string{tt.bonus, tt.excess, tt.region, tt.family}; got != want || r.Eligible != tt.eligible {
				t.Fatalf("got bonus/excess/region/family %v eligible=%v, want %v eligible=%v", got, r.Eligible, want, tt.eligible)
			}
			if r.INPSBonus+r.RegionShare+r.FamilyShare != in.Fee || r.Excess != in.Fee-r.INPSBonus {
				t.Fatalf("%+v does not add up to the fee %s", r, in.Fee)
			}
			if c, err := Calculate(in); err != nil || c != r {
				t.Fatalf("Calculate gave %+v, %v", c, err)
			}
		})
	}
}

func TestElevenMonthsAddUpToTheAnnualBonus(t *testing.T) {
	var std, inc money.Cents
	for m := 1; m <= Months; m++ {
		std += Compute(Input{Fee: eur("1000.00"), Month: m}).INPSBonus
		inc += Compute(Input{Fee: eur("1000.00"), Month: m, BornFrom2024: true}).INPSBonus
	}
	if std != eur("3000.00") || inc != eur("3600.00") {
		t.Fatalf("a year of bonus is %s and %s", std, inc)
	}
}

func TestInvalidInputs(t *testing.T) {
	tests := []struct {
		name  string
		in    Input
		field string
	}{
		{"month 0 is refused", Input{Fee: 1, Month: 0}, "month"},
		{"month 12 is refused", Input{Fee: 1, Month: 12}, "month"},
		{"a negative fee is refused", Input{Fee: -1, Month: 1}, "fee"},
		{"a negative ISEE is refused", Input{ISEE: -1, Month: 1}, "isee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Calculate(tt.in)
			if p, ok := problem.As(err); !ok || p.Code != problem.CodeValidation || len(p.Fields) != 1 || p.Fields[0].Field != tt.field {
				t.Fatalf("got %v", err)
			}
			defer func() {
				if recover() == nil {
					t.Fatal("Compute accepted an invalid input")
				}
			}()
			Compute(tt.in)
		})
	}
}

func TestResultJSON(t *testing.T) {
	b, err := json.Marshal(Compute(Input{Fee: eur("800.00"), ISEE: eur("23000.00"), Month: 1}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"eligible":true,"inpsBonus":"272.73","excess":"527.27","regionShare":"100.00","familyShare":"427.27"}`
	if string(b) != want {
		t.Fatalf("got %s", b)
	}
}

func TestDecodeRequest(t *testing.T) {
	in, err := DecodeRequest([]byte(`{"fee":"800.00","isee":"15000.00","bornFrom2024":true,"month":11}`))
	if err != nil || in != (Input{Fee: eur("800.00"), ISEE: eur("15000.00"), BornFrom2024: true, Month: 11}) {
		t.Fatalf("%+v %v", in, err)
	}
	tests := []struct {
		name   string
		body   string
		code   string
		fields []string
	}{
		{"month 0 is refused", `{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":0}`, problem.CodeValidation, []string{"month"}},
		{"month 12 is refused", `{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":12}`, problem.CodeValidation, []string{"month"}},
		{"a fractional month is refused", `{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":1.5}`, problem.CodeBadRequest, []string{"month"}},
		{"a month as text is refused", `{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":"1"}`, problem.CodeBadRequest, []string{"month"}},
		{"a negative fee is refused", `{"fee":"-1.00","isee":"1.00","bornFrom2024":false,"month":1}`, problem.CodeValidation, []string{"fee"}},
		{"a negative ISEE is refused", `{"fee":"1.00","isee":"-0.01","bornFrom2024":false,"month":1}`, problem.CodeValidation, []string{"isee"}},
		{"a comma amount is refused", `{"fee":"800,00","isee":"1.00","bornFrom2024":false,"month":1}`, problem.CodeBadRequest, []string{"fee"}},
		{"an exponent amount is refused", `{"fee":"800.00","isee":"1e3","bornFrom2024":false,"month":1}`, problem.CodeBadRequest, []string{"isee"}},
		{"an amount as a JSON number is refused", `{"fee":800,"isee":"1.00","bornFrom2024":false,"month":1}`, problem.CodeBadRequest, []string{"fee"}},
		{"a boolean as text is refused", `{"fee":"800.00","isee":"1.00","bornFrom2024":"false","month":1}`, problem.CodeBadRequest, []string{"bornFrom2024"}},
		{"a missing field is refused", `{"fee":"800.00","isee":"1.00","month":1}`, problem.CodeValidation, []string{"bornFrom2024"}},
		{"a null field is refused as missing", `{"fee":null,"isee":"1.00","bornFrom2024":false,"month":1}`, problem.CodeValidation, []string{"fee"}},
		{"every missing field is named at once", `{}`, problem.CodeValidation, []string{"fee", "isee", "bornFrom2024", "month"}},
		{"missing and out-of-range fields are named together", `{"isee":"1.00","bornFrom2024":false,"month":13}`, problem.CodeValidation, []string{"fee", "month"}},
		{"an unknown field is refused", `{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":1,"x":1}`, problem.CodeBadRequest, []string{"x"}},
		{"malformed JSON is refused", `{"fee":`, problem.CodeBadRequest, nil},
		{"data after the object is refused", `{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":1}{}`, problem.CodeBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tt.body))
			p, ok := problem.As(err)
			if !ok || p.Code != tt.code || len(p.Fields) != len(tt.fields) {
				t.Fatalf("got %v, want %s on %v", err, tt.code, tt.fields)
			}
			for i, f := range tt.fields {
				if p.Fields[i].Field != f || p.Fields[i].Message == "" {
					t.Fatalf("fields %+v, want %v", p.Fields, tt.fields)
				}
			}
		})
	}
	if _, err := DecodeRequest(make([]byte, maxBody+1)); problem.CodeOf(err) != problem.CodeTooLarge {
		t.Fatalf("an oversized body: %v", err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"fee":"800.00","isee":"15000.00","bornFrom2024":false,"month":1}`,
		`{"fee":"272.73","isee":"25000.00","bornFrom2024":true,"month":11}`,
		`{"fee":"1e3"}`, `{"month":-1}`, `{"fee":"0","isee":"0","bornFrom2024":false,"month":1,"fee":"1"}`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := DecodeRequest(b)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		r := Compute(in) // must not panic: a decoded input is valid
		if r.INPSBonus+r.RegionShare+r.FamilyShare != in.Fee || r.Excess != in.Fee-r.INPSBonus ||
			r.INPSBonus < 0 || r.RegionShare < 0 || r.FamilyShare < 0 || r.RegionShare > r.Excess ||
			(in.ISEE > FullCoverMaxISEE && r.RegionShare > PartCoverMonthly) || (in.ISEE > PartCoverMaxISEE && r.Eligible) {
			t.Fatalf("%+v breaks a rule for %+v", r, in)
		}
	})
}
