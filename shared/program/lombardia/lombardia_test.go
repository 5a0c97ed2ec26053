package lombardia

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
	pt "sportello/shared/program/programtest"
)

var filing = clock.InRome(2025, 7, 20, 10, 0)

var to, changes = pt.To, pt.Changes

func TestRules(t *testing.T) {
	ex := pt.Load(t, "lombardia-milano.json")
	pt.Run(t, New(), ex, filing, nil, []pt.Case{
		{Name: "the Milano example is complete"},

		// Entity.
		{Name: "the PEC must be confirmed identically", Change: to("entity.pecConfirmation", "altro@pec.it"), Field: "entity.pecConfirmation", Code: problem.FieldMismatch},
		{Name: "the PEC is required", Change: changes(to("entity.pec", ""), to("entity.pecConfirmation", "")), Field: "entity.pec", Code: problem.FieldInvalid},
		{Name: "the entity's fiscal code has 11 digits", Change: to("entity.fiscalCode", "VRDGPP70C10L219Q"), Field: "entity.fiscalCode", Code: problem.FieldInvalid},
		{Name: "the entity's fiscal code has its check digit", Change: to("entity.fiscalCode", "01199250159"), Field: "entity.fiscalCode", Code: problem.FieldInvalid},
		{Name: "the CAP has five digits", Change: to("entity.postCode", "2012"), Field: "entity.postCode", Code: problem.FieldInvalid},
		{Name: "the province is the Comune's", Change: to("entity.province", "BG"), Field: "entity.province", Code: problem.FieldMismatch},
		{Name: "the e-mail for official communications is required", Change: to("entity.email", ""), Field: "entity.email", Code: problem.FieldInvalid},
		{Name: "the office is required", Change: to("entity.office", ""), Field: "entity.office", Code: problem.FieldRequired},

		// Declarations and delibera.
		{Name: "every obligation must be Sì", Change: to("declarations.trackAttendance", false), Field: "declarations.trackAttendance", Code: program.FieldMustBeTrue},
		{Name: "a missing obligation is not Sì", Change: to("declarations.allowControls", nil), Field: "declarations.allowControls", Code: program.FieldMustBeTrue},
		{Name: "the nature declarations must be Sì", Change: to("declarations.cofundsServices", false), Field: "declarations.cofundsServices", Code: program.FieldMustBeTrue},
		{Name: "an unknown declaration is refused", Change: to("declarations.somethingElse", true), Field: "declarations.somethingElse", Code: problem.FieldUnknown},
		{Name: "the resolution number is required", Change: to("resolution.number", ""), Field: "resolution.number", Code: problem.FieldRequired},
		{Name: "the resolution date is required", Change: to("resolution.date", nil), Field: "resolution.date", Code: problem.FieldRequired},
		{Name: "a resolution dated after the filing day is refused", Change: to("resolution.date", "2025-07-21"), Field: "resolution.date", Code: problem.FieldInvalid},
		{Name: "a resolution of the filing day is accepted", Change: to("resolution.date", "2025-07-20")},
		{Name: "a resolution of today in Rome is accepted at 00:30 (still yesterday in UTC)", Change: to("resolution.date", "2025-07-20"), At: clock.InRome(2025, 7, 20, 0, 30)},

		// People.
		{Name: "the referent's phone has digits", Change: to("contact.phone", "ufficio"), Field: "contact.phone", Code: problem.FieldInvalid},
		{Name: "the referent's e-mail is required", Change: to("contact.email", ""), Field: "contact.email", Code: problem.FieldInvalid},
		{Name: "the referent has no fiscal code in the A1", Change: to("contact.fiscalCode", "VRDGPP70C10L219Q"), Field: "contact.fiscalCode", Code: problem.FieldNotAllowed},
		{Name: "the legal representative's code is personal", Change: to("legalRepresentative.fiscalCode", "01199250158"), Field: "legalRepresentative.fiscalCode", Code: problem.FieldInvalid},
		{Name: "the legal representative's surname is required", Change: to("legalRepresentative.surname", ""), Field: "legalRepresentative.surname", Code: problem.FieldRequired},
		{Name: "a signatory other than the legal representative must be named", Change: to("signatoryIsLegalRepresentative", false), Field: "signatory", Code: problem.FieldRequired},
		{Name: "no signatory when the legal representative signs", Change: to("signatory", map[string]any{"surname": "X"}), Field: "signatory", Code: problem.FieldNotAllowed},

		// Non-residents, fee method.
		{Name: "special cases need a description", Change: to("specialCasesDescription", ""), Field: "specialCasesDescription", Code: problem.FieldRequired},
		{Name: "some Comuni need their list", Change: changes(to("nonResidentReductions", "some_comuni"), to("specialCasesDescription", nil)), Field: "comuniWithReducedFees", Code: problem.FieldRequired},
		{Name: "a description without special cases is refused", Change: to("nonResidentReductions", "region_wide"), Field: "specialCasesDescription", Code: problem.FieldNotAllowed},
		{Name: "the non-resident answer is one of four", Change: to("nonResidentReductions", "maybe"), Field: "nonResidentReductions", Code: problem.FieldInvalid, Others: true},
		{Name: "Comuni in agreement are real Comuni", Change: to("comuniInAgreement", []any{"999999"}), Field: "comuniInAgreement[0]", Code: problem.FieldInvalid},
		{Name: "a Comune in agreement twice is refused", Change: to("comuniInAgreement", []any{"015002", "015002"}), Field: "comuniInAgreement[1]", Code: program.FieldDuplicate},
		{Name: "a linear fee method needs its formula", Change: to("feeMethod", "linear"), Field: "linearFormula", Code: problem.FieldRequired},
		{Name: "a formula with bands is refused", Change: to("linearFormula", "x"), Field: "linearFormula", Code: problem.FieldNotAllowed},
		{Name: "the fee method is required", Change: to("feeMethod", nil), Field: "feeMethod", Code: problem.FieldRequired},

		// A.4.4: fee increases.
		{Name: "condizioni invariate need a pre-loaded 2024/25 adhesion", Change: to("unchangedConditions", true), Field: "unchangedConditions", Code: problem.FieldNotAllowed},
		{Name: "an increase above 7 % for a returning Comune is refused", Change: to("increasePercent", "7.01"), Field: "increasePercent", Code: program.FieldIncreaseOverLimit},
		{Name: "7.00 % exactly is allowed", Change: to("increasePercent", "7.00")},
		{Name: "a Comune new to the measure has no 7 % limit", Change: changes(to("participatedLastEdition", false), to("increasePercent", "12.00"))},
		{Name: "above 7 % with a change of management is allowed (and flagged)", Change: changes(to("increasePercent", "12.00"), to("increaseReason", "management_change"))},
		{Name: "an increase needs its percentage", Change: to("increasePercent", nil), Field: "increasePercent", Code: problem.FieldRequired},
		{Name: "an increase needs its reason", Change: to("increaseReason", nil), Field: "increaseReason", Code: problem.FieldInvalid},
		{Name: "no percentage without an increase", Change: changes(to("feesIncreased", false), to("increaseReason", nil), to("facilities.0.fees.0.isee20000.familyShare2024", nil), to("facilities.0.fees.0.isee25000.familyShare2024", nil)), Field: "increasePercent", Code: problem.FieldNotAllowed},
		{Name: "a family share above last year's contradicts 'no increase'", Change: changes(to("feesIncreased", false), to("increaseReason", nil), to("increasePercent", nil)), Field: "feesIncreased", Code: problem.FieldMismatch},
		{Name: "a family share 7 % above 2024/25 is allowed (435.00 → 465.45)", Change: changes(to("facilities.0.fees.0.isee20000.familyShare", "465.45"), to("facilities.0.fees.0.isee20000.comuneShare", "134.55"))},
		{Name: "a family share 1 cent over 7 % is refused", Change: changes(to("facilities.0.fees.0.isee20000.familyShare", "465.46"), to("facilities.0.fees.0.isee20000.comuneShare", "134.54")),
			Field: "facilities[0].fees[0].isee20000.familyShare", Code: program.FieldIncreaseOverLimit},
		{Name: "a family share over 7 % with a change of method is allowed (and flagged)", Change: changes(to("facilities.0.fees.0.isee20000.familyShare", "500.00"), to("facilities.0.fees.0.isee20000.comuneShare", "100.00"), to("increaseReason", "method_change"))},

		// Facilities.
		{Name: "at least one facility", Change: to("facilities", []any{}), Field: "facilities", Code: problem.FieldRequired},
		{Name: "an unknown AFAM_UDOS code is refused", Change: to("facilities.0.afamUdos", "AFAM-XXX"), Field: "facilities[0].afamUdos", Code: problem.FieldInvalid},
		{Name: "an inactive facility is refused", Change: changes(to("facilities.1.afamUdos", "AFAM-015146-003"), to("facilities.1.authorisedPlaces", 30), to("facilities.1.placesBought", 10)), Field: "facilities[1].afamUdos", Code: problem.FieldInvalid},
		{Name: "a facility given twice is refused", Change: changes(to("facilities.1.afamUdos", "AFAM-015146-001")), Field: "facilities[1].afamUdos", Code: program.FieldDuplicate, Others: true},
		{Name: "public or private as in the registry", Change: to("facilities.0.public", false), Field: "facilities[0].public", Code: problem.FieldMismatch, Others: true},
		{Name: "authorised places cannot exceed the registry's", Change: to("facilities.0.authorisedPlaces", 61), Field: "facilities[0].authorisedPlaces", Code: problem.FieldInvalid},
		{Name: "authorised places are required", Change: to("facilities.0.authorisedPlaces", 0), Field: "facilities[0].authorisedPlaces", Code: problem.FieldRequired},
		{Name: "a private facility takes part only in agreement", Change: to("facilities.1.inAgreement", false), Field: "facilities[1].inAgreement", Code: program.FieldMustBeTrue, Others: true},
		{Name: "a public facility has no agreement", Change: to("facilities.0.inAgreement", true), Field: "facilities[0].inAgreement", Code: problem.FieldNotAllowed},
		{Name: "agreement data are only for private facilities", Change: to("facilities.0.placesBought", 10), Field: "facilities[0].placesBought", Code: problem.FieldNotAllowed},
		{Name: "a private concessionaire runs only a municipal facility", Change: to("facilities.1.privateConcessionaire", true), Field: "facilities[1].privateConcessionaire", Code: problem.FieldNotAllowed},
		{Name: "the agreement protocol is required", Change: to("facilities.1.agreementProtocol", ""), Field: "facilities[1].agreementProtocol", Code: problem.FieldRequired},
		{Name: "the agreement expiry is required", Change: to("facilities.1.agreementExpiry", nil), Field: "facilities[1].agreementExpiry", Code: problem.FieldRequired},
		{Name: "an agreement expired before filing is refused", Change: to("facilities.1.agreementExpiry", "2025-07-19"), Field: "facilities[1].agreementExpiry", Code: problem.FieldInvalid},
		{Name: "an agreement expiring before 31/07/2026 needs the renewal commitment", Change: to("facilities.1.renewalCommitment", false), Field: "facilities[1].renewalCommitment", Code: program.FieldMustBeTrue},
		{Name: "an agreement expiring on 31/07/2026 needs no renewal", Change: changes(to("facilities.1.agreementExpiry", "2026-07-31"), to("facilities.1.renewalCommitment", false))},
		{Name: "places bought are required", Change: to("facilities.1.placesBought", 0), Field: "facilities[1].placesBought", Code: problem.FieldRequired},
		{Name: "places bought cannot exceed authorised places", Change: to("facilities.1.placesBought", 41), Field: "facilities[1].placesBought", Code: problem.FieldInvalid},
		{Name: "fees are required", Change: to("facilities.0.fees", []any{}), Field: "facilities[0].fees", Code: problem.FieldRequired},
		{Name: "the attendance mode is one of the list", Change: to("facilities.0.fees.0.mode", "weekend"), Field: "facilities[0].fees[0].mode", Code: problem.FieldInvalid},
		{Name: "an other mode is described", Change: to("facilities.0.fees.0.mode", "other"), Field: "facilities[0].fees[0].modeDescription", Code: problem.FieldRequired},
		{Name: "a mode given twice is refused", Change: to("facilities.1.fees.1.mode", "full_time"), Field: "facilities[1].fees[1].mode", Code: program.FieldDuplicate},
		{Name: "the total fee is required", Change: to("facilities.0.fees.0.isee25000.total", nil), Field: "facilities[0].fees[0].isee25000.total", Code: problem.FieldRequired},
		{Name: "the family share is required", Change: to("facilities.0.fees.0.isee25000.familyShare", nil), Field: "facilities[0].fees[0].isee25000.familyShare", Code: problem.FieldRequired},
		{Name: "the family share cannot exceed the total", Change: changes(to("facilities.0.fees.0.isee20000.familyShare", "700.00"), to("facilities.0.fees.0.isee20000.familyShare2024", nil)),
			Field: "facilities[0].fees[0].isee20000.familyShare", Code: problem.FieldInvalid},
		{Name: "the Comune share is required for private facilities in agreement", Change: to("facilities.1.fees.0.isee25000.comuneShare", nil), Field: "facilities[1].fees[0].isee25000.comuneShare", Code: problem.FieldRequired},
		{Name: "the Comune share is optional for public facilities", Change: changes(to("facilities.0.fees.0.isee25000.comuneShare", nil))},
		{Name: "family and Comune shares must add up to the total", Change: to("facilities.1.fees.0.isee25000.comuneShare", "149.99"), Field: "facilities[1].fees[0].isee25000.comuneShare", Code: problem.FieldMismatch},

		// Who files, strict decoding.
		{Name: "a Comune outside Lombardy cannot file", Org: "comune:001272", Field: "org", Code: problem.FieldInvalid, Others: true},
		{Name: "amounts are strings with a dot", Change: to("facilities.0.fees.0.isee20000.total", "1e3"), Field: "facilities[0].fees[0].isee20000.total", Code: problem.FieldInvalid},
		{Name: "amounts are not numbers", Change: to("facilities.0.fees.0.isee20000.total", 600), Field: "facilities[0].fees[0].isee20000.total", Code: problem.FieldInvalid},
		{Name: "the increase is a decimal string", Change: to("increasePercent", 3.5), Field: "increasePercent", Code: problem.FieldInvalid},
		{Name: "dates are YYYY-MM-DD", Change: to("resolution.date", "20/06/2025"), Field: "resolution.date", Code: problem.FieldInvalid},
		{Name: "declarations are booleans", Change: to("declarations.cooperate", "Sì"), Field: "declarations.cooperate", Code: problem.FieldInvalid},
		{Name: "an unknown field is refused", Change: to("entity.vat", "x"), Field: "entity.vat", Code: problem.FieldUnknown},
	})
}

func TestAssociation(t *testing.T) {
	ex := pt.Load(t, "lombardia-bergamo-associated.json")
	pt.Run(t, New(), ex, filing, nil, []pt.Case{
		{Name: "the Bergamo association example is complete"},
		{Name: "the capofila may also be listed among the members", Change: to("members", []any{"016024", "016001", "016002"})},
		{Name: "an association needs another Comune", Change: to("members", []any{"016024"}), Field: "members", Code: problem.FieldRequired},
		{Name: "members must be Lombard Comuni", Change: to("members", []any{"016001", "001272"}), Field: "members[1]", Code: problem.FieldInvalid},
		{Name: "members must exist", Change: to("members", []any{"016001", "016999"}), Field: "members[1]", Code: problem.FieldInvalid},
		{Name: "a member listed twice is refused", Change: to("members", []any{"016001", "016001"}), Field: "members[1]", Code: program.FieldDuplicate},
		{Name: "the association kind is one of four", Change: to("associationKind", "club"), Field: "associationKind", Code: problem.FieldInvalid},
		{Name: "a single application has no members", Change: changes(to("applicationType", "single"), to("associationKind", nil)), Field: "members", Code: problem.FieldNotAllowed},
		{Name: "a single application has no association kind", Change: changes(to("applicationType", "single"), to("members", nil)), Field: "associationKind", Code: problem.FieldNotAllowed},
		{Name: "the application type is required", Change: to("applicationType", nil), Field: "applicationType", Code: problem.FieldRequired, Others: true},
		{Name: "the signatory's birth date matches the fiscal code", Change: to("signatory.birthDate", "1975-03-13"), Field: "signatory.birthDate", Code: problem.FieldMismatch},
		{Name: "the signatory's birth province is a plate or EE", Change: to("signatory.birthProvince", "Bergamo"), Field: "signatory.birthProvince", Code: problem.FieldInvalid},
		{Name: "the signatory is not the legal representative", Change: to("signatory.fiscalCode", "BNCLRA80A41F205G"), Field: "signatory.fiscalCode", Code: problem.FieldInvalid, Others: true},
		{Name: "a signatory born abroad", Change: changes(to("signatory.birthProvince", "EE"), to("signatory.birthPlace", "Svizzera"))},
		{Name: "another mode needs no Comune share in a municipal facility", Change: to("facilities.0.fees.1.isee20000.comuneShare", nil)},
	})
	form := pt.Decode(t, New(), ex, nil)
	if got := form.Claims(ex.Org); !slices.Equal(got, []string{"comune:016001", "comune:016002", "comune:016024"}) {
		t.Fatalf("every Comune covered is claimed, the capofila included: %v", got)
	}
	if form.ClaimConflictCode() != problem.CodeMemberConflict {
		t.Fatal("an association clash is a member conflict")
	}
	single := pt.Decode(t, New(), pt.Load(t, "lombardia-milano.json"), nil)
	if got := single.Claims("comune:015146"); !slices.Equal(got, []string{"comune:015146"}) {
		t.Fatalf("a single Comune claims itself: %v", got)
	}
}

func TestRequiredDocuments(t *testing.T) {
	milano := pt.Load(t, "lombardia-milano.json")
	ctx := program.Context{Org: milano.Org, Now: filing, Registry: pt.Registry(t)}
	base := map[string]int{DocDeliberaGiunta: 1, DocDeliberaTariffe: 1, DocRegolamentoOrCarta: 1, DocAllegatoA3: 1, DocAllegatoA1Signed: 1}
	with := func(extra map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] += v
		}
		return out
	}
	zeroShares := func(d map[string]any) {
		for _, f := range []string{"0", "1"} {
			for _, band := range []string{"isee20000", "isee25000"} {
				total := d["facilities"].([]any)[1].(map[string]any)["fees"].([]any)
				amounts := total[mustAtoi(f)].(map[string]any)[band].(map[string]any)
				amounts["familyShare"] = amounts["total"]
				amounts["comuneShare"] = "0.00"
			}
		}
	}
	tests := []struct {
		name   string
		ex     pt.Example
		org    string
		change func(map[string]any)
		want   map[string]int
	}{
		{"Milano: the five documents and one convenzione for its private nido", milano, "", nil, with(map[string]int{DocConvenzione: 1})},
		{"a municipal nido alone needs no convenzione", milano, "", func(d map[string]any) { d["facilities"] = d["facilities"].([]any)[:1] }, base},
		{"agreements with other Comuni need their convenzioni", milano, "", to("comuniInAgreement", []any{"015002"}), with(map[string]int{DocConvenzione: 1, DocConvenzioneComuni: 1})},
		{"a private facility without a Comune share needs evidence of other co-funding", milano, "", zeroShares, with(map[string]int{DocConvenzione: 1, DocCofunding: 1})},
		{"a signatory other than the legal representative needs the delega and two ID documents", milano, "", changes(to("signatoryIsLegalRepresentative", false)),
			with(map[string]int{DocConvenzione: 1, DocDelega: 1, DocIdentityDocument: 2})},
		{"a municipal nido in another Comune needs an agreement between the Comuni", milano, "", to("facilities.0.afamUdos", "AFAM-016024-001"),
			with(map[string]int{DocConvenzione: 1, DocAccordoComuni: 1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pt.Kinds(pt.Decode(t, New(), tt.ex, tt.change).RequiredDocuments(ctx))
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
	for _, k := range New().DocumentKinds() {
		if (k.Kind != DocIdentityDocument && k.Kind != DocAllegatoA3) != k.MustBeSigned {
			t.Errorf("%s: MustBeSigned %v", k.Kind, k.MustBeSigned)
		}
		if k.MaxBytes != 50<<20 || !slices.Equal(k.ContentTypes, []string{"application/pdf", "application/pkcs7-mime"}) {
			t.Errorf("%s: %+v", k.Kind, k)
		}
	}
	for _, name := range []string{"lombardia-milano.json", "lombardia-bergamo-associated.json"} {
		ex := pt.Load(t, name)
		pt.CheckExampleDocuments(t, New(), ex, pt.Decode(t, New(), ex, nil), program.Context{Org: ex.Org, Now: filing, Registry: pt.Registry(t)})
	}
}

// C.1: an Allegato A3 signed by hand is accepted with the signer's
// identity document; digitally signed it needs none.
func TestAllegatoA3SignedByHandNeedsTheIdentityDocument(t *testing.T) {
	ex := pt.Load(t, "lombardia-milano.json")
	form := pt.Decode(t, New(), ex, nil)
	for _, tt := range []struct {
		name string
		a3   []program.Document
		ids  int
	}{
		{"no A3 yet: it is asked for, no ID", nil, 0},
		{"A3 signed digitally: no ID", []program.Document{{Kind: DocAllegatoA3, Signed: true, Signers: []string{"X"}}}, 0},
		{"A3 signed by hand: the signer's ID", []program.Document{{Kind: DocAllegatoA3}}, 1},
		{"one of two A3 signed digitally: no ID", []program.Document{{Kind: DocAllegatoA3}, {Kind: DocAllegatoA3, Signed: true}}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := program.Context{Org: ex.Org, Now: filing, Registry: pt.Registry(t), Documents: tt.a3}
			if got := pt.Kinds(form.RequiredDocuments(ctx))[DocIdentityDocument]; got != tt.ids {
				t.Fatalf("id_document %d, want %d", got, tt.ids)
			}
		})
	}
}

// A.4.3: each private facility in agreement has its own convenzione,
// signed by both parties, named by the facility's code.
func TestEachPrivateFacilityHasItsOwnConvenzione(t *testing.T) {
	ex := pt.Load(t, "lombardia-milano.json")
	second := map[string]any{}
	b, _ := json.Marshal(ex.Data["facilities"].([]any)[1])
	_ = json.Unmarshal(b, &second)
	second["afamUdos"] = "AFAM-016001-001"
	form := pt.Decode(t, New(), ex, func(d map[string]any) { d["facilities"] = append(d["facilities"].([]any), second) })
	var refs []string
	for _, n := range form.RequiredDocuments(program.Context{Org: ex.Org, Now: filing, Registry: pt.Registry(t)}) {
		if n.Kind == DocConvenzione {
			if n.Count != 1 {
				t.Fatalf("one convenzione per facility: %+v", n)
			}
			refs = append(refs, n.Ref)
		}
	}
	if !slices.Equal(refs, []string{"AFAM-015146-002", "AFAM-016001-001"}) {
		t.Fatalf("convenzioni for %v", refs)
	}
	for _, k := range New().DocumentKinds() {
		if k.Kind == DocConvenzione && (k.MinSigners != 2 || k.PerItem == "") {
			t.Fatalf("convenzione: %+v", k)
		}
	}
}

func mustAtoi(s string) int { return int(s[0] - '0') }

func TestFlags(t *testing.T) {
	ex := pt.Load(t, "lombardia-milano.json")
	tests := []struct {
		name   string
		change func(map[string]any)
		want   []string
	}{
		{"an increase within 7 % is not flagged", nil, nil},
		{"a returning Comune's 12 % for a change of method is flagged", changes(to("increasePercent", "12.00"), to("increaseReason", "method_change")),
			[]string{"fee_increase_over_7_percent:method_change"}},
		{"a family share over 7 % for a change of management is flagged", changes(to("increaseReason", "management_change"),
			to("facilities.0.fees.0.isee20000.familyShare", "500.00"), to("facilities.0.fees.0.isee20000.comuneShare", "100.00")),
			[]string{"fee_increase_over_7_percent:management_change"}},
		{"a Comune new to the measure is not flagged", changes(to("participatedLastEdition", false), to("increasePercent", "12.00"), to("increaseReason", "method_change")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pt.Decode(t, New(), ex, tt.change).(*Form).Flags(); !slices.Equal(got, tt.want) {
				t.Fatalf("flags %v", got)
			}
		})
	}
}

func TestSectionsRenderTheA1(t *testing.T) {
	ex := pt.Load(t, "lombardia-bergamo-associated.json")
	secs := pt.Decode(t, New(), ex, nil).(program.Summarizer).Sections()
	var titles []string
	rows := map[string]string{}
	for _, s := range secs {
		titles = append(titles, s.Title)
		for _, r := range s.Rows {
			if _, dup := rows[r[0]]; !dup { // the first facility's rows win over the second's
				rows[r[0]] = r[1]
			}
		}
	}
	wantTitles := []string{"Dati generali", "Adesione 1-4 Requisiti di accesso", "Dichiarazioni e obblighi", "Adesione 2-4 Dati della domanda",
		"Adesione 3-4 Dati del progetto", "Strutture comunali – 1 – AFAM-016024-001", "Strutture private in convenzione – 1 – AFAM-016001-001"}
	if len(titles) != len(wantTitles) {
		t.Fatalf("titles %v", titles)
	}
	for i, w := range wantTitles {
		if !strings.HasPrefix(titles[i], w) {
			t.Errorf("section %d: %q, want %q…", i, titles[i], w)
		}
	}
	for label, want := range map[string]string{
		"Indirizzo di Posta Elettronica Certificata (PEC)":         "protocollo@cert.comune.bergamo.it",
		"Confermi di aver inserito correttamente l'indirizzo PEC?": "Sì",
		"Data della Delibera":                               "10/07/2025",
		"Il firmatario coincide col rappresentante legale?": "No",
		"Firmatario – Data di nascita":                      "12/03/1975",
		"Forma di partecipazione":                           "Forma associata – Ufficio di Piano (Ambito)",
		"Comuni in forma associata (codici ISTAT)":          "016001, 016002",
		"Calcolo retta 2025 – modalità":                     "Funzione lineare",
		"N. posti convenzionati anno 2025/2026":             "6",
		"Tempo pieno – Retta complessiva (famiglia comprensiva del Bonus INPS + contributo comunale) per ISEE pari a 20.000,00 euro": "€ 550,00",
		"Altra modalità (Tempo pieno con uscita alle 18) – Retta a carico del Comune per ISEE pari a 25.000,00 euro":                 "",
	} {
		if got, ok := rows[label]; !ok || got != want {
			t.Errorf("%q = %q (present %v), want %q", label, got, ok, want)
		}
	}
	obligations := 0
	for _, r := range secs[2].Rows {
		if r[1] == "Sì" {
			obligations++
		}
	}
	if obligations != len(Obligations) || len(Obligations) != 17 {
		t.Errorf("%d obligations rendered as Sì, %d defined", obligations, len(Obligations))
	}
	// A half-filled draft renders without inventing values.
	empty, err := New().Decode([]byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range empty.(program.Summarizer).Sections() {
		for _, r := range s.Rows {
			if strings.Contains(r[1], "0001") || strings.Contains(r[1], "€ 0") {
				t.Errorf("empty draft shows %q for %q", r[1], r[0])
			}
		}
	}
}

func TestEuroFormatting(t *testing.T) {
	for cents, want := range map[int64]string{0: "€ 0,00", 5: "€ 0,05", 123456: "€ 1.234,56", 100000000: "€ 1.000.000,00", -123456: "€ -1.234,56"} {
		c := moneyOf(cents)
		if got := euro(&c); got != want {
			t.Errorf("%d: %q, want %q", cents, got, want)
		}
	}
}

func TestAnEmptyDraftDecodes(t *testing.T) {
	for _, raw := range []string{`{}`, `{"facilities":[{"fees":[{}]}],"signatory":{}}`} {
		if _, err := New().Decode([]byte(raw)); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

func moneyOf(c int64) money.Cents { return money.Cents(c) }

// The A1's description names exactly the fields the decoder accepts.
func TestFormIsDescribed(t *testing.T) { pt.FormIsDescribed(t, New()) }
