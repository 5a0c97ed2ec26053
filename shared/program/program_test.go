package program

import (
	"testing"

	"sportello/shared/problem"
)

func TestValidFiscalCode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"the Comune di Milano's numeric code is valid", "01199250158", true},
		{"a wrong check digit is refused", "01199250159", false},
		{"a valid personal code is accepted", "RSSMRA85T10A562S", true},
		{"a personal code with a wrong check letter is refused", "RSSMRA85T10A562T", false},
		{"letters in a numeric code are refused", "0119925015A", false},
		{"the wrong length is refused", "0119925015", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidFiscalCode(tt.in); got != tt.want {
				t.Fatalf("ValidFiscalCode(%q) = %v", tt.in, got)
			}
		})
	}
}

type inner struct {
	Amount Decimal `json:"amount"`
	Day    Date    `json:"day"`
	Count  int     `json:"count"`
	Flag   bool    `json:"flag"`
}

type outer struct {
	Name  string  `json:"name"`
	Items []inner `json:"items"`
}

func TestStrictNamesEveryFieldAtOnce(t *testing.T) {
	var v outer
	err := Strict([]byte(`{"name":1,"items":[{"amount":"12,5","day":"2025-03-03T00:00:00Z","count":"3","flag":"yes","extra":1}],"x":true}`), &v)
	p, ok := problem.As(err)
	if !ok || p.Code != problem.CodeBadRequest {
		t.Fatalf("got %v", err)
	}
	want := map[string]bool{"name": true, "items[0].amount": true, "items[0].day": true, "items[0].count": true,
		"items[0].flag": true, "items[0].extra": true, "x": true}
	for _, fe := range p.Fields {
		delete(want, fe.Field)
	}
	if len(want) != 0 {
		t.Fatalf("not reported: %v (got %+v)", want, p.Fields)
	}
}

func TestStrictAcceptsAGoodForm(t *testing.T) {
	var v outer
	if err := Strict([]byte(`{"name":"x","items":[{"amount":"12.50","day":"2025-03-03","count":3,"flag":true}]}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Items[0].Amount.Hundredths != 1250 || v.Items[0].Day.String() != "2025-03-03" {
		t.Fatalf("got %+v", v)
	}
}

func TestAddMonthsClampsToMonthEnd(t *testing.T) {
	if got := MustDate("2024-10-31").AddMonths(4).String(); got != "2025-02-28" {
		t.Fatal(got)
	}
	if got := MustDate("2024-10-28").AddMonths(4).String(); got != "2025-02-28" {
		t.Fatal(got)
	}
}

func FuzzStrict(f *testing.F) {
	for _, s := range []string{`{"name":"x","items":[{"amount":"1.5"}]}`, `{"items":[{"day":"2025-02-30"}]}`, `[]`, `{"items":{}}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v outer
		if err := Strict(b, &v); err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
		}
	})
}

func FuzzFiscalCode(f *testing.F) {
	for _, s := range []string{"01199250158", "RSSMRA85T10A562S", "", "ÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { ValidFiscalCode(s) })
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"12.5", "0", "1e3", "-1", "007", "999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDecimal(s)
		if err == nil {
			if back, err := ParseDecimal(d.String()); err != nil || back != d {
				t.Fatalf("%q does not round-trip", s)
			}
		}
	})
}
