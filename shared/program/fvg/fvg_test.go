package fvg

import (
	"math/big"
	"strings"
	"testing"

	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
	pt "sportello/shared/program/programtest"
)

var filing = clock.InRome(2025, 7, 15, 10, 0)

var to, changes = pt.To, pt.Changes

// comuneRun turns the example into a Comune-run service measured on its
// highest fees.
var comuneRun = changes(to("comuneRunOrRegulated", true), to("monthlyFee2024", nil), to("monthlyFee2025", nil), to("otherFees", nil),
	to("highestMonthlyFee2024", "620.00"), to("highestMonthlyFee2025", "667.12"))

func TestRules(t *testing.T) {
	ex := pt.Load(t, "fvg-udine.json")
	pt.Run(t, New(), ex, filing, nil, []pt.Case{
		{Name: "the Udine example is eligible"},

		// Rule 3: at most 7.6 %, exactly.
		{Name: "an increase of exactly 7.6 % is allowed (500.00 → 538.00)", Change: to("monthlyFee2025", "538.00")},
		{Name: "an increase of 7.6 % plus one cent is refused", Change: to("monthlyFee2025", "538.01"), Field: "monthlyFee2025", Code: program.FieldIncreaseOverLimit},
		{Name: "a lower fee is allowed", Change: to("monthlyFee2025", "480.00")},
		{Name: "a tariff 1 cent over 7.6 % among the others is refused", Change: to("otherFees.0.fee2025", "376.61"), Field: "otherFees[0].fee2025", Code: program.FieldIncreaseOverLimit},
		{Name: "every other tariff needs its description", Change: to("otherFees.0.description", ""), Field: "otherFees[0].description", Code: problem.FieldRequired},
		{Name: "every other tariff needs its 2024/25 fee", Change: to("otherFees.0.fee2024", nil), Field: "otherFees[0].fee2024", Code: problem.FieldRequired},
		{Name: "the 2024/25 fee is required", Change: to("monthlyFee2024", nil), Field: "monthlyFee2024", Code: problem.FieldRequired},
		{Name: "a 2024/25 fee of zero cannot measure an increase", Change: to("monthlyFee2024", "0.00"), Field: "monthlyFee2024", Code: problem.FieldRequired},
		{Name: "the 2025/26 fee is required", Change: to("monthlyFee2025", nil), Field: "monthlyFee2025", Code: problem.FieldRequired},
		{Name: "a Comune-run service is measured on the highest fee (620.00 → 667.12 is 7.6 %)", Change: comuneRun},
		{Name: "a Comune-run service 1 cent over is refused", Change: changes(comuneRun, to("highestMonthlyFee2025", "667.13")), Field: "highestMonthlyFee2025", Code: program.FieldIncreaseOverLimit},
		{Name: "a Comune-run service needs its highest 2024/25 fee", Change: changes(comuneRun, to("highestMonthlyFee2024", nil)), Field: "highestMonthlyFee2024", Code: problem.FieldRequired},
		{Name: "a Comune-run service does not give the full-time fee", Change: changes(comuneRun, to("monthlyFee2024", "500.00")), Field: "monthlyFee2024", Code: problem.FieldNotAllowed},
		{Name: "the highest fee is only for Comune-run services", Change: to("highestMonthlyFee2024", "600.00"), Field: "highestMonthlyFee2024", Code: problem.FieldNotAllowed},

		// Exclusions, requirements 1-2.
		{Name: "a sezione primavera is excluded", Change: to("sezionePrimavera", true), Field: "sezionePrimavera", Code: program.FieldNotEligible},
		{Name: "a ban or revoked accreditation excludes", Change: to("banOrRevokedAccreditation", true), Field: "banOrRevokedAccreditation", Code: program.FieldNotEligible},
		{Name: "a service that does not continue in 2025/26 is not eligible", Change: to("continuesNextYear", false), Field: "continuesNextYear", Code: program.FieldNotEligible},
		{Name: "without both tariff plans the application is archived", Change: to("tariffPlansCommunicated", false), Field: "tariffPlansCommunicated", Code: program.FieldNotEligible},

		// Requirement 4.
		{Name: "operator since 28 October 2024 has four months by 28 February", Change: changes(to("operatorSince", "2024-10-28"), to("monthsOfOperation", 10))},
		{Name: "operator since 29 October 2024 has fewer than four months", Change: changes(to("operatorSince", "2024-10-29"), to("monthsOfOperation", 10)), Field: "operatorSince", Code: program.FieldNotEligible},
		{Name: "operator since 31 October 2024 has fewer than four months (no month-end clamping)", Change: changes(to("operatorSince", "2024-10-31"), to("monthsOfOperation", 10)), Field: "operatorSince", Code: program.FieldNotEligible},
		{Name: "the operator start date is required", Change: to("operatorSince", nil), Field: "operatorSince", Code: problem.FieldRequired},
		{Name: "the operator start date cannot be in the future", Change: to("operatorSince", "2025-07-16"), Field: "operatorSince", Code: problem.FieldInvalid, Others: true},
		{Name: "a mean of one child (0 and 2) is enough", Change: changes(to("childrenOn20241001", 0), to("childrenOn20250131", 2))},
		{Name: "a mean of half a child (0 and 1) is not", Change: changes(to("childrenOn20241001", 0), to("childrenOn20250131", 1)), Field: "childrenOn20250131", Code: program.FieldNotEligible},
		{Name: "the children of 1 October 2024 are required", Change: to("childrenOn20241001", nil), Field: "childrenOn20241001", Code: problem.FieldRequired},
		{Name: "children cannot be negative", Change: to("childrenOn20250131", -1), Field: "childrenOn20250131", Code: problem.FieldInvalid},
		{Name: "months of operation go from 1 to 12", Change: to("monthsOfOperation", 13), Field: "monthsOfOperation", Code: problem.FieldInvalid},
		{Name: "an operator since 29 October 2024 cannot declare 11 months of 2024/25", Change: changes(to("operatorSince", "2024-10-29"), to("monthsOfOperation", 11)), Field: "monthsOfOperation", Code: problem.FieldInvalid, Others: true},
		{Name: "an operator since 28 October 2024 may declare 10 months (28/08/2025)", Change: changes(to("operatorSince", "2024-10-28"), to("monthsOfOperation", 10))},
		{Name: "an operator since 28 October 2024 cannot declare 11 months", Change: changes(to("operatorSince", "2024-10-28"), to("monthsOfOperation", 11)), Field: "monthsOfOperation", Code: problem.FieldInvalid},
		{Name: "an operator since 1 September 2024 may declare all 12 months", Change: changes(to("operatorSince", "2024-09-01"), to("monthsOfOperation", 12))},
		{Name: "an operator since 2 September 2024 has 11 whole months", Change: changes(to("operatorSince", "2024-09-02"), to("monthsOfOperation", 12)), Field: "monthsOfOperation", Code: problem.FieldInvalid},
		{Name: "months of operation are required", Change: to("monthsOfOperation", nil), Field: "monthsOfOperation", Code: problem.FieldInvalid},

		// The operator and who files.
		{Name: "the operator's code must be the filing org's", Change: to("operator.fiscalCode", "02468135799"), Field: "operator.fiscalCode", Code: problem.FieldMismatch},
		{Name: "a bad fiscal code is refused", Change: to("operator.fiscalCode", "01234567890"), Field: "operator.fiscalCode", Code: problem.FieldInvalid},
		{Name: "an operator filing with a personal code", Org: "gestore:RSSMRA85T10A562S", Change: to("operator.fiscalCode", "RSSMRA85T10A562S")},
		{Name: "the legal nature is one of three", Change: to("operator.legalNature", "cooperative"), Field: "operator.legalNature", Code: problem.FieldInvalid},
		{Name: "the operator's e-mail receives the receipt", Change: to("operator.email", "x"), Field: "operator.email", Code: problem.FieldInvalid},
		{Name: "the filer role is one of three", Change: to("filerRole", "friend"), Field: "filerRole", Code: problem.FieldInvalid},
		{Name: "the filer role is required", Change: to("filerRole", nil), Field: "filerRole", Code: problem.FieldRequired},
		{Name: "a delegate names the delegator", Change: to("filerRole", "delegate"), Field: "delegator", Code: problem.FieldRequired},
		{Name: "a delegate's delegator is complete", Change: changes(to("filerRole", "delegate"), to("delegator", map[string]any{"name": "Comune di Udine", "fiscalCode": "00168650307"}))},
		{Name: "the delegator is another subject", Change: changes(to("filerRole", "delegate"), to("delegator", map[string]any{"name": "X", "fiscalCode": "01234567897"})), Field: "delegator.fiscalCode", Code: problem.FieldInvalid},
		{Name: "no delegator without a delega", Change: to("delegator", map[string]any{"name": "X", "fiscalCode": "00168650307"}), Field: "delegator", Code: problem.FieldNotAllowed},

		// The facility.
		{Name: "a facility outside FVG is refused", Change: to("facility.comune", "015146"), Field: "facility.comune", Code: problem.FieldInvalid},
		{Name: "an unknown Comune is refused", Change: to("facility.comune", "999999"), Field: "facility.comune", Code: problem.FieldInvalid},
		{Name: "a nido without valid accreditation is refused", Change: to("facility.accredited", false), Field: "facility.accredited", Code: program.FieldNotEligible},
		{Name: "the accreditation act is required", Change: to("facility.accreditationAct", ""), Field: "facility.accreditationAct", Code: problem.FieldRequired},
		{Name: "the SCIA date is required", Change: to("facility.startedBySCIA", nil), Field: "facility.startedBySCIA", Code: problem.FieldRequired},
		{Name: "the SCIA date cannot be in the future", Change: to("facility.startedBySCIA", "2025-08-01"), Field: "facility.startedBySCIA", Code: problem.FieldInvalid},
		{Name: "the facility code is required", Change: to("facility.code", ""), Field: "facility.code", Code: problem.FieldRequired},

		// Money and stamp duty.
		{Name: "expenses are required", Change: to("expenses2024", nil), Field: "expenses2024", Code: problem.FieldRequired},
		{Name: "income cannot be negative", Change: to("income2024", "-1.00"), Field: "income2024", Code: problem.FieldInvalid},
		{Name: "an exemption from stamp duty names its legal basis", Change: to("stampDutyExemptionBasis", ""), Field: "stampDutyExemptionBasis", Code: problem.FieldRequired},
		{Name: "no legal basis without exemption", Change: to("stampDutyExempt", false), Field: "stampDutyExemptionBasis", Code: problem.FieldNotAllowed},

		// Strict decoding.
		{Name: "fees are money strings, not numbers", Change: to("monthlyFee2024", 500), Field: "monthlyFee2024", Code: problem.FieldInvalid},
		{Name: "fees with a comma are refused", Change: to("monthlyFee2024", "500,00"), Field: "monthlyFee2024", Code: problem.FieldInvalid},
		{Name: "fees in exponent form are refused", Change: to("monthlyFee2024", "5e2"), Field: "monthlyFee2024", Code: problem.FieldInvalid},
		{Name: "children are integers", Change: to("childrenOn20241001", 20.5), Field: "childrenOn20241001", Code: problem.FieldInvalid},
		{Name: "flags are booleans", Change: to("innerArea", "no"), Field: "innerArea", Code: problem.FieldInvalid},
		{Name: "an unknown field is refused", Change: to("facility.colour", "red"), Field: "facility.colour", Code: problem.FieldUnknown},
	})
}

func TestInnerAreaListFromTheCall(t *testing.T) {
	ex := pt.Load(t, "fvg-udine.json")
	vajont := changes(to("facility.comune", "093052"), to("innerArea", true))
	params := map[string]string{ParamInnerAreas: "093052, 093001 030001"}
	pt.Run(t, New(), ex, filing, params, []pt.Case{
		{Name: "Vajont is on the call's list and declared", Change: vajont},
		{Name: "Udine is not on the list but declared", Change: to("innerArea", true), Field: "innerArea", Code: problem.FieldMismatch},
		{Name: "Vajont is on the list but not declared", Change: changes(vajont, to("innerArea", false)), Field: "innerArea", Code: problem.FieldMismatch},
	})
	pt.Run(t, New(), ex, filing, nil, []pt.Case{
		{Name: "without a list the declaration stands (and is flagged)", Change: to("innerArea", true)},
	})
	if _, _, err := InnerAreaComuni(map[string]string{ParamInnerAreas: "93052"}); err == nil {
		t.Fatal("a malformed list is an error")
	}
}

func TestOperatorLongEnough(t *testing.T) {
	for since, want := range map[string]bool{"2024-09-01": true, "2024-10-28": true, "2024-10-29": false, "2024-10-31": false, "2024-11-01": false, "2025-02-28": false} {
		if got := OperatorLongEnough(program.MustDate(since)); got != want {
			t.Errorf("%s: %v", since, got)
		}
	}
	if !OperatorLongEnough(LatestOperatorSince) || OperatorLongEnough(program.Date{Time: LatestOperatorSince.AddDate(0, 0, 1)}) {
		t.Error("LatestOperatorSince is the boundary")
	}
}

func TestIncreaseWithinLimitIsExact(t *testing.T) {
	tests := []struct {
		name       string
		fee24, fee mmoney
		ok         bool
	}{
		{"7.6 % of 500.00 is 38.00", "500.00", "538.00", true},
		{"one cent more is over", "500.00", "538.01", false},
		{"7.6 % of 0.01 would be 0.00076: 0.01 stays allowed", "0.01", "0.01", true},
		{"and 0.02 is over", "0.01", "0.02", false},
		{"7.6 % of 333.33 is 25.33308: 358.66 is allowed", "333.33", "358.66", true},
		{"358.67 is over", "333.33", "358.67", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IncreaseWithinLimit(tt.fee24.c(t), tt.fee.c(t)); got != tt.ok {
				t.Fatalf("got %v", got)
			}
		})
	}
}

type mmoney string

func (m mmoney) c(t *testing.T) money.Cents {
	c, err := money.Parse(string(m))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRequiredDocuments(t *testing.T) {
	ex := pt.Load(t, "fvg-udine.json")
	base := map[string]int{DocTariffPlan2024: 1, DocTariffPlan2025: 1, DocTariffDetail: 1}
	with := func(extra ...string) map[string]int {
		out := map[string]int{}
		for k, v := range base {
			out[k] = v
		}
		for _, k := range extra {
			out[k]++
		}
		return out
	}
	signed := func(kind string) []program.Document {
		return []program.Document{{Kind: kind, Signed: true, Signers: []string{"X"}}}
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		want   map[string]int
		docs   []program.Document
	}{
		{"the legal representative of an exempt operator: the tariff plans and detail", nil, base, nil},
		{"stamp duty is due unless an exemption is declared", changes(to("stampDutyExempt", false), to("stampDutyExemptionBasis", nil)), with(DocStampDuty), nil},
		{"a private operator's proxy brings the procura and, signed by hand, the representative's ID", to("filerRole", "proxy"), with(DocProcura, DocIdentityDocument), nil},
		{"a digitally signed procura needs no ID document", to("filerRole", "proxy"), with(DocProcura), signed(DocProcura)},
		{"a public operator's proxy brings the atto di nomina", changes(to("filerRole", "proxy"), to("operator.legalNature", "public")), with(DocAppointmentAct), nil},
		{"a delegate brings the delega and, signed by hand, the delegator's ID", to("filerRole", "delegate"), with(DocDelega, DocIdentityDocument), nil},
		{"a digitally signed delega needs no ID document", to("filerRole", "delegate"), with(DocDelega), signed(DocDelega)},
		{"a signed procura does not free a delega from its ID", to("filerRole", "delegate"), with(DocDelega, DocIdentityDocument), signed(DocProcura)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pt.Kinds(pt.Decode(t, New(), ex, tt.change).RequiredDocuments(program.Context{Documents: tt.docs}))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, n := range tt.want {
				if got[k] != n {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	kinds := map[string]program.DocumentKind{}
	for _, k := range New().DocumentKinds() {
		kinds[k.Kind] = k
		if k.MustBeSigned {
			t.Errorf("%s: no FVG upload must carry a digital signature", k.Kind)
		}
	}
	if d := kinds[DocTariffDetail]; len(d.ContentTypes) != 1 || !strings.Contains(d.ContentTypes[0], "spreadsheetml") || d.MaxBytes != 20<<20 {
		t.Errorf("tariff detail: %+v", d)
	}
	if p := kinds[DocTariffPlan2024]; p.ContentTypes[0] != "application/pdf" || p.MaxBytes != 50<<20 {
		t.Errorf("tariff plan: %+v", p)
	}
	form := pt.Decode(t, New(), ex, nil)
	pt.CheckExampleDocuments(t, New(), ex, form, program.Context{})
	if c := form.Claims(ex.Org); len(c) != 1 || c[0] != "facility:FVG-NIDO-0042" || form.ClaimConflictCode() != problem.CodeDuplicate {
		t.Fatalf("one application per facility: %v", c)
	}
	if form.Contact() != "ilnido@pec.example.it" || !strings.Contains(form.Summary(), "FVG-NIDO-0042") || strings.Contains(form.Summary(), "01234567897") {
		t.Fatalf("contact %q summary %q", form.Contact(), form.Summary())
	}
}

func TestAllocationWeightsAndCapsByHand(t *testing.T) {
	ex := pt.Load(t, "fvg-udine.json")
	ref := map[string]string{Param: "1500.00"}
	tests := []struct {
		name      string
		change    func(map[string]any)
		params    map[string]string
		weight    *big.Rat
		cap       money.Cents
		capReason string
	}{
		// mean (20+22)/2 = 21; weight 21 × 11 = 231; caps: 2000 × 21 = 42000.00,
		// 70 % × 1500 × 21 = 22050.00, 250000 − 180000 = 70000.00 → 22050.00.
		{"the 70 % reference cap binds first", nil, ref, big.NewRat(231, 1), money.Euros(22050), "70%"},
		// 231 × 1.01 = 233.31; the €2,000 cap does not apply.
		{"an inner area gets +1 % and no per-child cap", to("innerArea", true), ref, big.NewRat(23331, 100), money.Euros(22050), "70%"},
		{"the call's list decides inner-area status", changes(to("facility.comune", "093052"), to("innerArea", false)),
			map[string]string{Param: "1500.00", ParamInnerAreas: "093052"}, big.NewRat(23331, 100), money.Euros(22050), "70%"},
		{"expenses − income binds when smaller (250000 − 240000)", to("income2024", "240000.00"), ref, big.NewRat(231, 1), money.Euros(10000), "spese"},
		{"income above expenses caps at zero", to("income2024", "260000.00"), ref, big.NewRat(231, 1), 0, "spese"},
		// reference 5000: 70 % × 5000 × 21 = 73500 > 2000 × 21 = 42000 < 70000.
		{"€2,000 per child binds with a high reference", nil, map[string]string{Param: "5000.00"}, big.NewRat(231, 1), money.Euros(42000), "2.000 euro"},
		// mean (1+2)/2 = 1.5; weight 1.5 × 7 = 10.5; 70 % × 1234.57 × 1.5 = 1296.2985 → 1296.29 (down).
		{"a half child and a reference in cents round the cap down", changes(to("childrenOn20241001", 1), to("childrenOn20250131", 2), to("monthsOfOperation", 7)),
			map[string]string{Param: "1234.57"}, big.NewRat(21, 2), 129629, "70%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := pt.Decode(t, New(), ex, tt.change).(program.Allocator).Allocation(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if a.Weight.Cmp(tt.weight) != 0 || a.Cap == nil || *a.Cap != tt.cap || !strings.Contains(a.CapReason, tt.capReason) || a.Explanation == "" {
				t.Fatalf("weight %s cap %v (%s), want %s %v", a.Weight.RatString(), a.Cap, a.CapReason, tt.weight.RatString(), tt.cap)
			}
		})
	}
	form := pt.Decode(t, New(), ex, nil).(program.Allocator)
	for _, bad := range []map[string]string{nil, {Param: "1500,00"}, {Param: "-1.00"}, {Param: "1500.00", ParamInnerAreas: "x"}} {
		if _, err := form.Allocation(bad); err == nil {
			t.Errorf("params %v: no error", bad)
		}
	}
	a, _ := form.Allocation(ref)
	if !strings.Contains(a.Explanation, "(20 + 22) / 2 = 21 × 11 mesi") || !strings.Contains(a.Explanation, "= 231.") {
		t.Errorf("explanation %q", a.Explanation)
	}
}

func TestFlags(t *testing.T) {
	ex := pt.Load(t, "fvg-udine.json")
	got := pt.Decode(t, New(), ex, to("innerArea", true)).(*Form).Flags()
	if len(got) != 2 || got[0] != "inner_area_declared:030129" || got[1] != "stamp_duty_exempt" {
		t.Fatalf("flags %v", got)
	}
}

func TestAnEmptyDraftDecodes(t *testing.T) {
	for _, raw := range []string{`{}`, `{"operator":{},"facility":{},"otherFees":[{}]}`} {
		if _, err := New().Decode([]byte(raw)); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

// The application's description names exactly the fields the decoder accepts.
func TestFormIsDescribed(t *testing.T) { pt.FormIsDescribed(t, New()) }
