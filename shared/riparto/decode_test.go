package riparto

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sportello/shared/money"
	"sportello/shared/problem"
)

func TestParseWeight(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // RatString, "" when refused
	}{
		{"a whole number", "12", "12"},
		{"one decimal", "12.5", "25/2"},
		{"trailing zeros are the same weight", "12.50", "25/2"},
		{"twelve decimals are exact", "0.333333333333", "333333333333/1000000000000"},
		{"zero", "0", "0"},
		{"zero with decimals", "0.00", "0"},
		{"thirteen decimals are refused", "0.3333333333333", ""},
		{"a comma is refused", "12,5", ""},
		{"an exponent is refused", "1e3", ""},
		{"a sign is refused", "+1", ""},
		{"a minus is refused", "-1", ""},
		{"leading zeros are refused", "007", ""},
		{"a bare dot is refused", ".5", ""},
		{"a trailing dot is refused", "5.", ""},
		{"spaces are refused", " 5", ""},
		{"empty is refused", "", ""},
		{"sixteen integer digits are refused", "1234567890123456", ""},
		{"NaN is refused", "NaN", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ParseWeight(tt.in)
			switch {
			case tt.want == "" && err == nil:
				t.Fatalf("accepted %q as %s", tt.in, w.RatString())
			case tt.want != "" && (err != nil || w.RatString() != tt.want):
				t.Fatalf("ParseWeight(%q) = %v, %v; want %s", tt.in, w, err, tt.want)
			}
		})
	}
}

func TestDecodeRequest(t *testing.T) {
	req, err := DecodeRequest([]byte(`{"fund":"1000.00","beneficiaries":[{"id":"a","weight":"12.5","cap":"300.00"},{"id":"b","weight":"1","cap":null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Fund != 100000 || len(req.Beneficiaries) != 2 || *req.Beneficiaries[0].Cap != 30000 ||
		req.Beneficiaries[0].Weight.RatString() != "25/2" || req.Beneficiaries[1].Cap != nil || req.Beneficiaries[1].ID != "b" {
		t.Fatalf("%+v", req)
	}
}

func TestDecodeRequestRefusals(t *testing.T) {
	ok := `{"id":"a","weight":"1"}`
	tests := []struct {
		name  string
		body  string
		code  string
		field string // the first field error, "" for none
	}{
		{"a weight as a JSON number is refused", `{"fund":"1.00","beneficiaries":[` + ok + `,{"id":"b","weight":12.5}]}`, problem.CodeBadRequest, "beneficiaries[1].weight"},
		{"a weight with a comma is refused", `{"fund":"1.00","beneficiaries":[{"id":"a","weight":"12,5"}]}`, problem.CodeBadRequest, "beneficiaries[0].weight"},
		{"a negative weight is invalid", `{"fund":"1.00","beneficiaries":[{"id":"a","weight":"-1"}]}`, problem.CodeValidation, "beneficiaries[0].weight"},
		{"a fund with a comma is refused", `{"fund":"1,00","beneficiaries":[` + ok + `]}`, problem.CodeBadRequest, "fund"},
		{"a fund as a JSON number is refused", `{"fund":1000,"beneficiaries":[` + ok + `]}`, problem.CodeBadRequest, "fund"},
		{"a fund in exponent form is refused", `{"fund":"1e3","beneficiaries":[` + ok + `]}`, problem.CodeBadRequest, "fund"},
		{"a negative fund is invalid", `{"fund":"-1.00","beneficiaries":[` + ok + `]}`, problem.CodeValidation, "fund"},
		{"a missing fund is required", `{"beneficiaries":[` + ok + `]}`, problem.CodeValidation, "fund"},
		{"a null fund is required", `{"fund":null,"beneficiaries":[` + ok + `]}`, problem.CodeValidation, "fund"},
		{"a negative cap is invalid", `{"fund":"1.00","beneficiaries":[{"id":"a","weight":"1","cap":"-5.00"}]}`, problem.CodeValidation, "beneficiaries[0].cap"},
		{"a cap with three decimals is refused", `{"fund":"1.00","beneficiaries":[{"id":"a","weight":"1","cap":"5.001"}]}`, problem.CodeBadRequest, "beneficiaries[0].cap"},
		{"an unknown field is refused with its path", `{"fund":"1.00","beneficiaries":[{"id":"a","weight":"1","bonus":1}]}`, problem.CodeBadRequest, "beneficiaries[0].bonus"},
		{"an unknown top-level field is refused", `{"fund":"1.00","beneficiaries":[` + ok + `],"x":{"y":[1]}}`, problem.CodeBadRequest, "x"},
		{"a repeated key is refused", `{"fund":"1.00","fund":"2.00","beneficiaries":[` + ok + `]}`, problem.CodeBadRequest, "fund"},
		{"an empty list is refused", `{"fund":"1.00","beneficiaries":[]}`, problem.CodeValidation, "beneficiaries"},
		{"a missing list is refused", `{"fund":"1.00"}`, problem.CodeValidation, "beneficiaries"},
		{"a list that is an object is refused", `{"fund":"1.00","beneficiaries":{}}`, problem.CodeBadRequest, "beneficiaries"},
		{"a beneficiary that is a string is refused", `{"fund":"1.00","beneficiaries":["a"]}`, problem.CodeBadRequest, "beneficiaries[0]"},
		{"a null beneficiary is refused", `{"fund":"1.00","beneficiaries":[null]}`, problem.CodeValidation, "beneficiaries[0]"},
		{"a missing weight is required", `{"fund":"1.00","beneficiaries":[{"id":"a"}]}`, problem.CodeValidation, "beneficiaries[0].weight"},
		{"a missing id is required", `{"fund":"1.00","beneficiaries":[{"weight":"1"}]}`, problem.CodeValidation, "beneficiaries[0].id"},
		{"an empty id is refused", `{"fund":"1.00","beneficiaries":[{"id":"","weight":"1"}]}`, problem.CodeValidation, "beneficiaries[0].id"},
		{"an id as a number is refused", `{"fund":"1.00","beneficiaries":[{"id":7,"weight":"1"}]}`, problem.CodeBadRequest, "beneficiaries[0].id"},
		{"an id with a control character is refused", `{"fund":"1.00","beneficiaries":[{"id":"a\u0007","weight":"1"}]}`, problem.CodeBadRequest, "beneficiaries[0].id"},
		{"a repeated id is refused", `{"fund":"1.00","beneficiaries":[` + ok + `,` + ok + `]}`, problem.CodeValidation, "beneficiaries[1].id"},
		{"malformed JSON is refused", `{"fund":"1.00",`, problem.CodeBadRequest, ""},
		{"an empty body is refused", ``, problem.CodeBadRequest, ""},
		{"an array body is refused", `[]`, problem.CodeBadRequest, ""},
		{"data after the object is refused", `{"fund":"1.00","beneficiaries":[` + ok + `]} {}`, problem.CodeBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tt.body))
			p, isProblem := problem.As(err)
			if !isProblem || p.Code != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
			if tt.field != "" && (len(p.Fields) == 0 || p.Fields[0].Field != tt.field) {
				t.Fatalf("fields %+v, want %s first", p.Fields, tt.field)
			}
			if tt.field == "" && len(p.Fields) != 0 {
				t.Fatalf("unexpected fields %+v", p.Fields)
			}
			for _, f := range p.Fields {
				if f.Message == "" {
					t.Fatalf("field %s without a message", f.Field)
				}
			}
		})
	}
}

func TestDecodeRequestReportsEveryFieldAtOnce(t *testing.T) {
	_, err := DecodeRequest([]byte(`{"fund":"1,00","beneficiaries":[{"id":"a","weight":"x"},{"id":"b","weight":"1","cap":"-1.00"}]}`))
	p, _ := problem.As(err)
	if p == nil || p.Code != problem.CodeBadRequest || len(p.Fields) != 3 {
		t.Fatalf("%v", err)
	}
	got := []string{p.Fields[0].Field, p.Fields[1].Field, p.Fields[2].Field}
	if strings.Join(got, " ") != "fund beneficiaries[0].weight beneficiaries[1].cap" {
		t.Fatal(got)
	}
}

func TestDecodeRequestSizeLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"fund":"1.00","beneficiaries":[`)
	for i := range MaxBeneficiaries + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%d","weight":"1"}`, i)
	}
	b.WriteString(`]}`)
	_, err := DecodeRequest([]byte(b.String()))
	if p, _ := problem.As(err); p == nil || p.Code != problem.CodeValidation || len(p.Fields) != 1 || p.Fields[0].Code != problem.FieldTooLarge {
		t.Fatalf("%v", err)
	}
	if _, err := DecodeRequest(make([]byte, MaxRequestBytes+1)); problem.CodeOf(err) != problem.CodeTooLarge {
		t.Fatalf("%v", err)
	}
}

// encodeRequest writes a Request back as the wire body.
func encodeRequest(req Request) []byte {
	type wb struct {
		ID     string       `json:"id"`
		Weight string       `json:"weight"`
		Cap    *money.Cents `json:"cap,omitempty"`
	}
	list := make([]wb, len(req.Beneficiaries))
	for i, b := range req.Beneficiaries {
		list[i] = wb{b.ID, WeightString(b.Weight), b.Cap}
	}
	out, _ := json.Marshal(struct {
		Fund          money.Cents `json:"fund"`
		Beneficiaries []wb        `json:"beneficiaries"`
	}{req.Fund, list})
	return out
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"fund":"1000.00","beneficiaries":[{"id":"a","weight":"12.5","cap":"300.00"}]}`,
		`{"fund":"0","beneficiaries":[{"id":"a","weight":"0"},{"id":"b","weight":"0.000000000001","cap":null}]}`,
		`{"fund":"1e3"}`,
		`{"fund":"1.00","beneficiaries":[{"id":"a","weight":"1","id":"b"}]}`,
		`{"fund":"1.00","beneficiaries":[[[[{}]]]]}`,
		`{"fund":"1.00","beneficiaries":[{"id":"\u00e8","weight":"999999999999999.999999999999"}]}`,
		`{"fund":"-0.01","beneficiaries":[{"id":"a","weight":"-0"}]}`,
		`nul`, `{}`, `[`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequest(body)
		if err != nil {
			p, ok := problem.As(err)
			if !ok || (p.Code != problem.CodeBadRequest && p.Code != problem.CodeValidation && p.Code != problem.CodeTooLarge) {
				t.Fatalf("not a client problem: %v", err)
			}
			return
		}
		// What was accepted reads back the same, and allocates exactly.
		again, err := DecodeRequest(encodeRequest(req))
		if err != nil || again.Fund != req.Fund || len(again.Beneficiaries) != len(req.Beneficiaries) {
			t.Fatalf("round trip: %v", err)
		}
		for i, b := range req.Beneficiaries {
			a := again.Beneficiaries[i]
			if a.ID != b.ID || a.Weight.Cmp(b.Weight) != 0 || (a.Cap == nil) != (b.Cap == nil) || (a.Cap != nil && *a.Cap != *b.Cap) {
				t.Fatalf("round trip changed %+v into %+v", b, a)
			}
		}
		r, err := Allocate(req.Fund, req.Beneficiaries)
		if err != nil {
			if problem.CodeOf(err) != problem.CodeValidation {
				t.Fatalf("allocate: %v", err)
			}
			return
		}
		if r.Allocated+r.Unallocated != req.Fund {
			t.Fatal("sum broken")
		}
	})
}

func FuzzParseWeight(f *testing.F) {
	for _, s := range []string{"12.5", "0", "007", "1e3", "0.000000000001", "999999999999999", "-1", "1.", ".1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWeight(s)
		if err != nil {
			return
		}
		if w.Sign() < 0 {
			t.Fatalf("%q gave a negative weight", s)
		}
		back, err := ParseWeight(WeightString(w))
		if err != nil || back.Cmp(w) != 0 {
			t.Fatalf("%q → %s does not read back: %v", s, WeightString(w), err)
		}
		if !strings.Contains(s, ".") && WeightString(w) != s {
			t.Fatalf("whole number %q written as %s", s, WeightString(w))
		}
	})
}
