package lombardia

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"sportello/shared/problem"
	"sportello/shared/program"
	pt "sportello/shared/program/programtest"
)

var filing = time.Date(2025, 7, 20, 10, 0, 0, 0, time.UTC)

func set(path string, v any) func(map[string]any) {
	return func(d map[string]any) { pt.Set(d, path, v) }
}

func TestRules(t *testing.T) {
	ex := pt.Load(t, "lombardia-milano.json")
	pt.Run(t, New(), ex, filing, nil, []pt.Case{
		{Name: "the Milano example is complete"},
		{Name: "the PEC must be confirmed identically", Change: set("entity.pecConfirmation", "altro@pec.it"), Field: "entity.pecConfirmation", Code: problem.FieldMismatch},
		{Name: "every declaration must be Sì", Change: set("declarations.trackAttendance", false), Field: "declarations.trackAttendance", Code: "must_be_true"},
		{Name: "a missing declaration is not Sì", Change: func(d map[string]any) { delete(d["declarations"].(map[string]any), "allowControls") }, Field: "declarations.allowControls", Code: "must_be_true"},
		{Name: "an unknown declaration is refused", Change: set("declarations.somethingElse", true), Field: "declarations.somethingElse", Code: problem.FieldUnknown},
		{Name: "the resolution number is required", Change: set("resolution.number", ""), Field: "resolution.number", Code: problem.FieldRequired},
		{Name: "a resolution in the future is refused", Change: set("resolution.date", "2025-12-01"), Field: "resolution.date", Code: problem.FieldInvalid},
		{Name: "an unknown AFAM_UDOS code is refused", Change: set("facilities.0.afamUdos", "AFAM-XXX"), Field: "facilities[0].afamUdos", Code: problem.FieldInvalid},
		{Name: "an inactive facility is refused", Change: set("facilities.1.afamUdos", "AFAM-015146-003"), Field: "facilities[1].afamUdos", Code: problem.FieldInvalid},
		{Name: "the family share cannot exceed the total", Change: set("facilities.0.fees.0.isee20000.familyShare", "700.00"), Field: "facilities[0].fees[0].isee20000.familyShare", Code: problem.FieldInvalid},
		{Name: "the Comune share is required for private facilities in agreement", Change: set("facilities.1.fees.0.isee25000.comuneShare", nil), Field: "facilities[1].fees[0].isee25000.comuneShare", Code: problem.FieldRequired},
		{Name: "family and Comune shares must add up to the total", Change: set("facilities.1.fees.0.isee25000.comuneShare", "149.99"), Field: "facilities[1].fees[0].isee25000.comuneShare", Code: problem.FieldMismatch},
		{Name: "places bought cannot exceed authorised places", Change: set("facilities.1.placesBought", 41), Field: "facilities[1].placesBought", Code: problem.FieldInvalid},
		{Name: "an agreement expiring before 31/07/2026 needs the renewal commitment", Change: set("facilities.1.renewalCommitment", false), Field: "facilities[1].renewalCommitment", Code: "must_be_true"},
		{Name: "an agreement expiring on 31/07/2026 needs no renewal", Change: func(d map[string]any) {
			pt.Set(d, "facilities.1.agreementExpiry", "2026-07-31")
			pt.Set(d, "facilities.1.renewalCommitment", false)
		}},
		{Name: "a private facility takes part only in agreement", Change: set("facilities.1.inAgreement", false), Field: "facilities[1].inAgreement", Code: problem.FieldRequired},
		{Name: "an increase above 7 % for a returning Comune is refused", Change: set("increasePercent", "7.01"), Field: "increasePercent", Code: "increase_over_limit"},
		{Name: "7.00 % exactly is allowed", Change: set("increasePercent", "7.00")},
		{Name: "above 7 % with a change of management is allowed (and flagged)", Change: func(d map[string]any) {
			pt.Set(d, "increasePercent", "12.00")
			pt.Set(d, "increaseReason", "management_change")
		}},
		{Name: "a linear fee method needs its formula", Change: set("feeMethod", "linear"), Field: "linearFormula", Code: problem.FieldRequired},
		{Name: "special cases need a description", Change: set("specialCasesDescription", ""), Field: "specialCasesDescription", Code: problem.FieldRequired},
		{Name: "a signatory other than the legal representative must be named", Change: set("signatoryIsLegalRepresentative", false), Field: "signatory", Code: problem.FieldRequired},
		{Name: "amounts are strings with a dot", Change: set("facilities.0.fees.0.isee20000.total", "1e3"), Field: "facilities[0].fees[0].isee20000.total", Code: problem.FieldInvalid},
	})
}

func TestAssociation(t *testing.T) {
	ex := pt.Load(t, "lombardia-bergamo-associated.json")
	pt.Run(t, New(), ex, filing, nil, []pt.Case{
		{Name: "the Bergamo association example is complete"},
		{Name: "an association needs another Comune", Change: set("members", []any{"016024"}), Field: "members", Code: problem.FieldRequired},
		{Name: "members must be Lombard Comuni", Change: set("members", []any{"016024", "001272"}), Field: "members[1]", Code: problem.FieldInvalid},
		{Name: "the association kind is required", Change: set("associationKind", ""), Field: "associationKind", Code: problem.FieldInvalid},
	})
	raw, _ := json.Marshal(ex.Data)
	form, _ := New().Decode(raw)
	if got := form.Claims(ex.Org); !slices.Equal(got, []string{"comune:016001", "comune:016024"}) {
		t.Fatalf("claims %v", got)
	}
	if form.ClaimConflictCode() != problem.CodeMemberConflict {
		t.Fatal("an association clash is a member conflict")
	}
}

func TestRequiredDocumentsCountConvenzioni(t *testing.T) {
	ex := pt.Load(t, "lombardia-milano.json")
	raw, _ := json.Marshal(ex.Data)
	form, _ := New().Decode(raw)
	needs := form.RequiredDocuments(program.Context{})
	i := slices.IndexFunc(needs, func(n program.DocumentNeed) bool { return n.Kind == "convenzione" })
	if i < 0 || needs[i].Count != 1 || len(needs) != 6 {
		t.Fatalf("one convenzione for one private facility in agreement, plus five documents: %+v", needs)
	}
	for _, k := range New().DocumentKinds() {
		if k.Kind != "id_document" && !k.MustBeSigned {
			t.Fatalf("%s must be signed", k.Kind)
		}
	}
}

func TestFlags(t *testing.T) {
	ex := pt.Load(t, "lombardia-milano.json")
	pt.Set(ex.Data, "increasePercent", "12.00")
	pt.Set(ex.Data, "increaseReason", "method_change")
	raw, _ := json.Marshal(ex.Data)
	form, _ := New().Decode(raw)
	if got := form.(*Form).Flags(); len(got) != 1 || got[0] != "fee_increase_over_7_percent:method_change" {
		t.Fatalf("flags %v", got)
	}
}
