package handlers

import (
	"net/http"
	"strings"
	"testing"

	"sportello/shared/apigw"
	"sportello/shared/auth"
	"sportello/shared/problem"
)

func fundsRequest(body, key string) *apigw.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	return &apigw.Request{Header: h, Body: []byte(body), Principal: &auth.Principal{Subject: "officer-FVG", Role: auth.RoleOfficer, Region: "FVG"}}
}

func TestDecodeFunds(t *testing.T) {
	tests := []struct {
		name, body, key string
		code, field     string
	}{
		{"an amount and a note", `{"amount":"1000000.00","note":"Decreto 2025/123"}`, "k1", "", ""},
		{"the override with its reason", `{"amount":"1.00","onlyDecided":true,"reason":"Termine del decreto"}`, "", "", ""},
		{"the override needs a reason", `{"amount":"1.00","onlyDecided":true}`, "", problem.CodeValidation, "reason"},
		{"a reason without the override is refused", `{"amount":"1.00","reason":"x"}`, "", problem.CodeValidation, "reason"},
		{"no amount", `{}`, "", problem.CodeValidation, "amount"},
		{"zero is not a fund", `{"amount":"0.00"}`, "", problem.CodeValidation, "amount"},
		{"a decimal comma is refused", `{"amount":"1000,00"}`, "", problem.CodeBadRequest, ""},
		{"an unknown field is refused", `{"amount":"1.00","fund":"2.00"}`, "", problem.CodeBadRequest, ""},
		{"an Idempotency-Key over 128 characters", `{"amount":"1.00"}`, strings.Repeat("k", 129), problem.CodeBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := decodeFunds(fundsRequest(tt.body, tt.key))
			if tt.code == "" {
				if err != nil || a.Fund <= 0 || a.By != "officer-FVG" || a.IdemKey != tt.key {
					t.Fatalf("%+v %v", a, err)
				}
				return
			}
			p, ok := problem.As(err)
			if !ok || p.Code != tt.code {
				t.Fatalf("want %s, got %v", tt.code, err)
			}
			if tt.field != "" && (len(p.Fields) == 0 || p.Fields[0].Field != tt.field) {
				t.Fatalf("want field %s, got %+v", tt.field, p.Fields)
			}
		})
	}
}

func FuzzDecodeFunds(f *testing.F) {
	for _, s := range []string{`{"amount":"1.00"}`, `{"amount":"1.00","onlyDecided":true,"reason":"r"}`, `{"amount":1}`, `{`, `{"note":"` + strings.Repeat("x", 2001) + `"}`, `{"amount":"5.00","act":"D.D. n. 412 del 10/06/2026"}`} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, body, key string) {
		a, err := decodeFunds(fundsRequest(body, key))
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		if a.Fund <= 0 || len(a.Note) > 2000 || len(a.Reason) > 2000 || (a.OnlyDecided && strings.TrimSpace(a.Reason) == "") || len(a.IdemKey) > 128 || len(a.Act) > 300 {
			t.Fatalf("accepted %+v", a)
		}
	})
}
