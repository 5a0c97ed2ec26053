package program

import (
	"strings"
	"testing"
	"time"

	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/problem"
)

func TestFiscalCodes(t *testing.T) {
	tests := []struct {
		name           string
		in             string
		entity, person bool
	}{
		{"the Comune di Milano's numeric code is valid", "01199250158", true, false},
		{"a numeric code with a wrong check digit is refused", "01199250159", false, false},
		{"eleven zeros pass the check digit but are refused", "00000000000", false, false},
		{"letters in a numeric code are refused", "0119925015A", false, false},
		{"ten digits are refused", "0119925015", false, false},
		{"a valid personal code is accepted", "RSSMRA85T10A562S", false, true},
		{"a woman's code (day + 40) is accepted", "BNCLRA80A41F205G", false, true},
		{"an omocodia code (digits replaced by letters) is accepted", "RSSMRA85T10A56NH", false, true},
		{"a personal code with a wrong check letter is refused", "RSSMRA85T10A562T", false, false},
		{"a personal code in lower case is refused", "rssmra85t10a562s", false, false},
		{"a month letter outside ABCDEHLMPRST is refused", "RSSMRA85F10A562S", false, false},
		{"day 32 is refused even with a matching check letter", withCheck("RSSMRA85T32A562"), false, false},
		{"a digit among the name letters is refused", withCheck("RSSMR185T10A562"), false, false},
		{"the wrong length is refused", "RSSMRA85T10A562", false, false},
		{"multi-byte characters are refused", "ÀÀÀÀÀÀÀÀ", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidEntityCode(tt.in); got != tt.entity {
				t.Errorf("ValidEntityCode(%q) = %v", tt.in, got)
			}
			if got := ValidPersonCode(tt.in); got != tt.person {
				t.Errorf("ValidPersonCode(%q) = %v", tt.in, got)
			}
			if got := ValidFiscalCode(tt.in); got != (tt.entity || tt.person) {
				t.Errorf("ValidFiscalCode(%q) = %v", tt.in, got)
			}
		})
	}
}

// withCheck appends the check letter, so that a case tests the structure
// rule rather than the check letter.
func withCheck(s15 string) string { return CompletePersonCode(s15) }

func TestValidISTAT(t *testing.T) {
	for in, want := range map[string]bool{"001272": true, "015146": true, "1272": false, "0012720": false, "00127A": false, "": false, "٠٠١٢٧٢": false} {
		if got := ValidISTAT(in); got != want {
			t.Errorf("ValidISTAT(%q) = %v, want %v", in, got, want)
		}
	}
}

type inner struct {
	Amount Decimal      `json:"amount"`
	Day    Date         `json:"day"`
	Count  int          `json:"count"`
	Flag   bool         `json:"flag"`
	Fee    *money.Cents `json:"fee"`
}

type outer struct {
	Name  string          `json:"name"`
	Items []inner         `json:"items"`
	Map   map[string]bool `json:"map"`
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != problem.CodeBadRequest {
		t.Fatalf("want a bad_request problem, got %v", err)
	}
	out := map[string]string{}
	for _, fe := range p.Fields {
		if fe.Message == "" {
			t.Fatalf("%s has no message", fe.Field)
		}
		out[fe.Field] = fe.Code
	}
	return out
}

func TestStrictNamesEveryFieldAtOnce(t *testing.T) {
	var v outer
	err := Strict([]byte(`{"name":1,"items":[{"amount":"12,5","day":"2025-03-03T00:00:00Z","count":"3","flag":"yes","fee":"1e3","extra":1}],"x":true,"map":{"a":"s"}}`), &v)
	got := fieldsOf(t, err)
	want := map[string]string{"name": problem.FieldInvalid, "items[0].amount": problem.FieldInvalid, "items[0].day": problem.FieldInvalid,
		"items[0].count": problem.FieldInvalid, "items[0].flag": problem.FieldInvalid, "items[0].fee": problem.FieldInvalid,
		"items[0].extra": problem.FieldUnknown, "x": problem.FieldUnknown, "map.a": problem.FieldInvalid}
	for f, code := range want {
		if got[f] != code {
			t.Errorf("%s: got %q, want %q", f, got[f], code)
		}
	}
	if len(got) != len(want) {
		t.Errorf("extra problems: %v", got)
	}
}

func TestStrictRules(t *testing.T) {
	tests := []struct {
		name, body, field, code string
	}{
		{"a key given twice is refused, not resolved to the last", `{"name":"a","name":"b"}`, "name", FieldDuplicate},
		{"keys match exactly: Name is not name", `{"Name":"a"}`, "Name", problem.FieldUnknown},
		{"an amount as a JSON number is refused", `{"items":[{"fee":800}]}`, "items[0].fee", problem.FieldInvalid},
		{"an amount with a comma is refused", `{"items":[{"fee":"800,00"}]}`, "items[0].fee", problem.FieldInvalid},
		{"an amount with three decimals is refused", `{"items":[{"fee":"800.001"}]}`, "items[0].fee", problem.FieldInvalid},
		{"30 February is not a date", `{"items":[{"day":"2025-02-30"}]}`, "items[0].day", problem.FieldInvalid},
		{"a two-digit year typo is refused", `{"items":[{"day":"0025-02-03"}]}`, "items[0].day", problem.FieldInvalid},
		{"a decimal count is refused", `{"items":[{"count":3.0}]}`, "items[0].count", problem.FieldInvalid},
		{"an integer beyond 32 bits is refused", `{"items":[{"count":99999999999}]}`, "items[0].count", problem.FieldInvalid},
		{"a list where an object goes is refused", `{"items":[[]]}`, "items[0]", problem.FieldInvalid},
		{"too many items are refused", `{"items":[` + strings.TrimSuffix(strings.Repeat(`{},`, maxItems+1), ",") + `]}`, "items", problem.FieldTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v outer
			if got := fieldsOf(t, Strict([]byte(tt.body), &v)); got[tt.field] != tt.code {
				t.Fatalf("%s: got %v", tt.field, got)
			}
		})
	}
}

func TestStrictRefusesWhatIsNotOneObject(t *testing.T) {
	for _, body := range []string{`{"name":"a"} {}`, `{"name":`, ``, `[]`, `"x"`, `12`, strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		var v outer
		err := Strict([]byte(body), &v)
		if p, ok := problem.As(err); !ok || p.Code != problem.CodeBadRequest || len(p.Fields) != 0 || p.Detail == "" {
			t.Errorf("%.20q: got %v", body, err)
		}
	}
}

func TestStrictAnswersInInputOrder(t *testing.T) {
	body := []byte(`{"z":1,"a":1,"m":1,"items":[{"q":1,"b":1}]}`)
	var first []string
	for i := 0; i < 20; i++ {
		var v outer
		p, _ := problem.As(Strict(body, &v))
		var got []string
		for _, f := range p.Fields {
			got = append(got, f.Field)
		}
		if strings.Join(got, ",") != "z,a,m,items[0].q,items[0].b" {
			t.Fatalf("order %v", got)
		}
		if first == nil {
			first = got
		}
	}
}

func TestStrictAcceptsAGoodFormAndAHalfFilledOne(t *testing.T) {
	var v outer
	if err := Strict([]byte(`{"name":"x","items":[{"amount":"12.50","day":"2025-03-03","count":3,"flag":true,"fee":"800.00"}],"map":{"a":true}}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Items[0].Amount.Hundredths != 1250 || v.Items[0].Day.String() != "2025-03-03" || *v.Items[0].Fee != 80000 || !v.Map["a"] {
		t.Fatalf("got %+v", v)
	}
	var empty outer
	if err := Strict([]byte(`{"items":[{"day":null,"fee":null}]}`), &empty); err != nil || empty.Items[0].Day.Set() || empty.Items[0].Fee != nil {
		t.Fatalf("nulls leave fields unset: %v %+v", err, empty)
	}
}

func TestAddMonthsClampsToMonthEnd(t *testing.T) {
	for from, want := range map[string]string{"2024-10-31": "2025-02-28", "2024-10-28": "2025-02-28", "2023-10-31": "2024-02-29", "2025-01-15": "2025-05-15"} {
		if got := MustDate(from).AddMonths(4).String(); got != want {
			t.Errorf("%s + 4 months = %s, want %s", from, got, want)
		}
	}
}

func TestTodayIsTheDayInRome(t *testing.T) {
	// 00:30 on 20 July in Rome is still 19 July in UTC.
	at := clock.InRome(2025, 7, 20, 0, 30)
	if got := Today(at).String(); got != "2025-07-20" {
		t.Fatalf("got %s", got)
	}
	if got := Today(time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)).String(); got != "2026-01-01" {
		t.Fatalf("winter: got %s", got)
	}
}

func TestDecimal(t *testing.T) {
	for in, want := range map[string]int64{"12": 1200, "12.5": 1250, "12.50": 1250, "0": 0, "0.01": 1} {
		d, err := ParseDecimal(in)
		if err != nil || d.Hundredths != want {
			t.Errorf("%q: %v %v", in, d, err)
		}
	}
	for _, in := range []string{"12,5", "1e3", "-1", "007", "12.", ".5", "12.345", " 12", "+1", ""} {
		if _, err := ParseDecimal(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzStrict(f *testing.F) {
	for _, s := range []string{`{"name":"x","items":[{"amount":"1.5"}]}`, `{"items":[{"day":"2025-02-30"}]}`, `[]`, `{"items":{}}`, `{`,
		`{"name":"a","name":"b"}`, `{"map":{"a":true,"a":false}}`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`} {
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
	for _, s := range []string{"01199250158", "RSSMRA85T10A562S", "RSSMRA85T10A56NH", "", "ÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀ", "00000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, p := ValidEntityCode(s), ValidPersonCode(s)
		if e && p {
			t.Fatalf("%q is both kinds", s)
		}
		if p && s[15] != personalCheckLetter(s) {
			t.Fatalf("%q accepted with a wrong check letter", s)
		}
		_ = ValidISTAT(s) // must not panic on any input
	})
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

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2025-03-03", "2025-02-30", "0001-01-01", "2025-3-3", "2025-03-03T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err == nil && (d.String() != s || !d.Set()) {
			t.Fatalf("%q parsed as %s", s, d)
		}
	})
}

func TestPersonCodeBirth(t *testing.T) {
	for cf, want := range map[string][3]int{"RSSMRA85T10A562S": {85, 12, 10}, "BNCLRA80A41F205G": {80, 1, 1}, "RSSMRA85T10A56NH": {85, 12, 10}} {
		yy, m, d, ok := PersonCodeBirth(cf)
		if !ok || [3]int{yy, m, d} != want {
			t.Errorf("%s: %d %d %d %v", cf, yy, m, d, ok)
		}
	}
	if _, _, _, ok := PersonCodeBirth("01199250158"); ok {
		t.Error("a numeric code has no birth date")
	}
}

func TestStrictRefusesBidiControlsWithTheirField(t *testing.T) {
	var v struct {
		Entity struct {
			Name string `json:"name"`
		} `json:"entity"`
		Notes []string `json:"notes"`
	}
	err := Strict([]byte(`{"entity":{"name":"Comune di \u202eonaliM"},"notes":["ok","a\u2067b"]}`), &v)
	p, ok := problem.As(err)
	if !ok || p.Code != problem.CodeValidation || len(p.Fields) != 2 || p.Fields[0].Field != "entity.name" || p.Fields[1].Field != "notes[1]" {
		t.Fatalf("got %v", err)
	}
}

// The privacy notice is the program's; the officer's call parameter gives
// a newer version; a program without a notice asks for none.
func TestPrivacyNoticeIsTheProgramsAtTheCallsVersion(t *testing.T) {
	n, ok := NoticeOf(noticed{}, nil)
	if !ok || n.Version != "2025-06-24" {
		t.Fatalf("program's notice: %+v %v", n, ok)
	}
	n, _ = NoticeOf(noticed{}, map[string]string{ParamPrivacyNoticeVersion: "2025-09-01"})
	if n.Version != "2025-09-01" || n.Title != "A2" {
		t.Fatalf("the call's version: %+v", n)
	}
	if _, ok := NoticeOf(nil, nil); ok {
		t.Fatal("no program, a notice")
	}
}

type noticed struct{ Program }

func (noticed) PrivacyNotice() PrivacyNotice {
	return PrivacyNotice{Version: "2025-06-24", Title: "A2"}
}
