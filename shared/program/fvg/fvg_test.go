package fvg

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
	pt "sportello/shared/program/programtest"
)

var filing = time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)

func set(path string, v any) func(map[string]any) {
	return func(d map[string]any) { pt.Set(d, path, v) }
}

func TestRules(t *testing.T) {
	ex := pt.Load(t, "fvg-udine.json")
	pt.Run(t, New(), ex, filing, nil, []pt.Case{
		{Name: "the Udine example is eligible"},
		{Name: "an increase of exactly 7.6 % is allowed", Change: set("monthlyFee2025", "538.00")},
		{Name: "an increase of 7.6 % plus one cent is refused", Change: set("monthlyFee2025", "538.01"), Field: "monthlyFee2025", Code: "increase_over_limit"},
		{Name: "a sezione primavera is excluded", Change: set("sezionePrimavera", true), Field: "sezionePrimavera", Code: "not_eligible"},
		{Name: "a revoked accreditation is excluded", Change: set("banOrRevokedAccreditation", true), Field: "banOrRevokedAccreditation", Code: "not_eligible"},
		{Name: "a service that does not continue is not eligible", Change: set("continuesNextYear", false), Field: "continuesNextYear", Code: "not_eligible"},
		{Name: "without the tariff plans the application is archived", Change: set("tariffPlansCommunicated", false), Field: "tariffPlansCommunicated", Code: "not_eligible"},
		{Name: "operator since 28 October 2024 has four months by 28 February", Change: set("operatorSince", "2024-10-28")},
		{Name: "operator since 29 October 2024 has fewer than four months", Change: set("operatorSince", "2024-10-29"), Field: "operatorSince", Code: "not_eligible"},
		{Name: "a mean of one child (0 and 2) is enough", Change: func(d map[string]any) { pt.Set(d, "childrenOn20241001", 0); pt.Set(d, "childrenOn20250131", 2) }},
		{Name: "a mean of half a child is not", Change: func(d map[string]any) { pt.Set(d, "childrenOn20241001", 0); pt.Set(d, "childrenOn20250131", 1) }, Field: "childrenOn20250131", Code: "not_eligible"},
		{Name: "a facility outside FVG is refused", Change: set("facility.comune", "015146"), Field: "facility.comune", Code: problem.FieldInvalid},
		{Name: "a non-accredited nido is refused", Change: set("facility.accredited", false), Field: "facility.accredited", Code: "not_eligible"},
		{Name: "the operator's code must be the filing org's", Change: set("operator.fiscalCode", "02468135799"), Field: "operator.fiscalCode", Code: problem.FieldMismatch},
		{Name: "a bad fiscal code is refused", Change: set("operator.fiscalCode", "01234567890"), Field: "operator.fiscalCode", Code: problem.FieldInvalid},
		{Name: "months of operation go from 1 to 12", Change: set("monthsOfOperation", 13), Field: "monthsOfOperation", Code: problem.FieldInvalid},
		{Name: "fees are money strings, not numbers", Change: set("monthlyFee2024", 500), Field: "monthlyFee2024", Code: problem.FieldInvalid},
		{Name: "fees with a comma are refused", Change: set("monthlyFee2024", "500,00"), Field: "monthlyFee2024", Code: problem.FieldInvalid},
		{Name: "expenses are required", Change: set("expenses2024", nil), Field: "expenses2024", Code: problem.FieldRequired},
	})
}

func decode(t *testing.T, change func(map[string]any)) *Form {
	ex := pt.Load(t, "fvg-udine.json")
	if change != nil {
		change(ex.Data)
	}
	raw, _ := json.Marshal(ex.Data)
	f, err := New().Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return f.(*Form)
}

func TestRequiredDocuments(t *testing.T) {
	kinds := func(f *Form) map[string]bool {
		out := map[string]bool{}
		for _, n := range f.RequiredDocuments(program.Context{}) {
			out[n.Kind] = true
		}
		return out
	}
	if k := kinds(decode(t, nil)); !k["tariff_plan_2024"] || !k["tariff_plan_2025"] || !k["tariff_detail"] || k["stamp_duty_receipt"] || k["procura"] {
		t.Fatalf("legal representative, exempt: %v", k)
	}
	if k := kinds(decode(t, set("filerRole", "proxy"))); !k["procura"] || !k["id_document"] {
		t.Fatalf("a proxy needs the procura and the ID document: %v", k)
	}
	if k := kinds(decode(t, set("stampDutyExempt", false))); !k["stamp_duty_receipt"] {
		t.Fatalf("stamp duty: %v", k)
	}
}

func TestAllocationCapsByHand(t *testing.T) {
	params := map[string]string{Param: "1500.00"}
	tests := []struct {
		name      string
		change    func(map[string]any)
		weight    string
		cap       money.Cents
		capReason string
	}{
		// mean (20+22)/2 = 21; weight 21 × 11 = 231; caps: 70 % × 1500 × 21 = 22050.00,
		// 2000 × 21 = 42000.00, 250000 − 180000 = 70000.00 → 22050.00.
		{"the 70 % reference cap binds first", nil, "231.0000", money.Euros(22050), "70%"},
		{"inner areas get +1 point and no per-child cap", set("innerArea", true), "233.3100", money.Euros(22050), "70%"},
		{"expenses − income binds when smaller", set("income2024", "240000.00"), "231.0000", money.Euros(10000), "spese"},
		{"income above expenses caps at zero", set("income2024", "260000.00"), "231.0000", 0, "spese"},
		{"€2,000 per child binds with a high reference", nil, "231.0000", money.Euros(42000), "2.000"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := params
			if i == 4 {
				p = map[string]string{Param: "5000.00"}
			}
			a, err := decode(t, tt.change).Allocation(p)
			if err != nil {
				t.Fatal(err)
			}
			if a.Weight.FloatString(4) != tt.weight || a.Cap == nil || *a.Cap != tt.cap || !strings.Contains(a.CapReason, tt.capReason) {
				t.Fatalf("weight %s cap %v (%s)", a.Weight.FloatString(4), a.Cap, a.CapReason)
			}
		})
	}
}
