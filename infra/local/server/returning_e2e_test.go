package server

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	samples "sportello/events"
	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// Issue #18 item 1 (Avviso C.1, A.4.4): a Comune that adhered to 2024/25
// finds its participation, facilities and approved fees pre-loaded from
// the adhesions the officer imported (as the registries are), may declare
// "condizioni invariate" instead of entering them again, and the 7 % rule
// compares this year's family shares with the pre-loaded ones — not with
// what the form says last year's were.
func TestLombardyReturningComuneFindsItsDataPreloadedAndTheSevenPercentRuleComparesWithIt(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 10, 10, 0))
	off := e.officer("LOM")
	csv, err := samples.FS.ReadFile("submissions/demo-adhesions-2024.csv")
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/v1/calls/"+LombardiaCall+"/registry?kind=adhesion2024", off, csv, "Content-Type", "text/csv")
	if r.Status != 200 || decode[apiclient.RegistryImport](t, r).Imported != 2 {
		t.Fatalf("import the 2024/25 adhesions: %d %s", r.Status, r.Body)
	}

	// The draft of Como, which declares "condizioni invariate" and enters
	// neither its participation nor its facilities nor its fees.
	ex := loadExample(t, "lombardia-como-invariate.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	draft := decode[struct {
		Data    json.RawMessage `json:"data"`
		Version int64           `json:"version"`
	}](t, e.submission(id, tok))
	pre := decode[apiclient.LombardiaForm](t, response{Body: draft.Data})
	facs := deref(pre.Facilities)
	if !deref(pre.ParticipatedLastEdition) || deref(pre.ApplicationType) != "single" || len(facs) != 1 || deref(facs[0].AfamUdos) != "AFAM-013075-DEMO" ||
		len(deref(facs[0].Fees)) != 2 || deref(deref(facs[0].Fees)[0].Mode) != "full_time" ||
		deref(deref(deref(facs[0].Fees)[0].Isee20000).FamilyShare2024) != "435.00" || deref(deref(deref(facs[0].Fees)[0].Isee20000).FamilyShare) != "435.00" ||
		deref(deref(pre.Entity).Email) != "servizi.infanzia@comune.como.it" {
		t.Fatalf("the draft is not pre-loaded with the 2024/25 adhesion: %s", draft.Data)
	}

	version := draft.Version
	save := func(data json.RawMessage) {
		t.Helper()
		r := e.do("PUT", "/v1/submissions/"+id, tok, map[string]any{"data": data}, "If-Match", strconv.FormatInt(version, 10))
		if r.Status != 200 {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		version++
	}
	submit := func() response { return e.do("POST", "/v1/submissions/"+id+"/submit", tok, nil) }
	fullTime20000 := "data.facilities[0].fees[0].isee20000."
	raise := func(share2024 *string, unchanged bool) json.RawMessage {
		return editForm(t, draft.Data, func(f *apiclient.LombardiaForm) {
			a := deref((*f.Facilities)[0].Fees)[0].Isee20000
			a.FamilyShare, a.Total = ptr("465.46"), ptr("650.46") // 435.00 × 1.07 = 465.45
			if share2024 != nil {
				a.FamilyShare2024 = share2024
			}
			f.UnchangedConditions = ptr(unchanged)
			f.FeesIncreased, f.IncreasePercent, f.IncreaseReason = ptr(true), ptr("7.00"), ptr("none")
		})
	}

	// A family share 1 cent above 7 % over the approved 435.00 is refused.
	save(raise(nil, false))
	r = submit()
	if code, msg := fieldError(t, r, fullTime20000+"familyShare"); r.Status != 422 || code != "increase_over_limit" ||
		!strings.Contains(msg, "Rispetto al 2024/2025 (435.00 euro) la quota della famiglia aumenta più del 7%: al massimo 465.45 euro") {
		t.Fatalf("7 %% over the pre-loaded fee: %d %s", r.Status, r.Body)
	}
	// Saying last year's share was higher changes nothing: the rule
	// compares with the pre-loaded share, and the form's is refused.
	save(raise(ptr("500.00"), false))
	r = submit()
	if code, _ := fieldError(t, r, fullTime20000+"familyShare"); code != "increase_over_limit" {
		t.Fatalf("a higher last-year share lifted the limit: %s", r.Body)
	}
	if code, msg := fieldError(t, r, fullTime20000+"familyShare2024"); code != "mismatch" ||
		!strings.Contains(msg, "La quota a carico della famiglia approvata per il 2024/2025 è di 435.00 euro (dato pre-caricato dalla Regione).") {
		t.Fatalf("last year's share is the pre-loaded one: %s", r.Body)
	}
	// "Condizioni invariate" with a changed fee is a contradiction.
	save(raise(nil, true))
	r = submit()
	if code, msg := fieldError(t, r, "data.unchangedConditions"); code != "mismatch" || !strings.Contains(msg, "differiscono da quelli 2024/2025 pre-caricati") {
		t.Fatalf("unchanged conditions with a changed fee: %s", r.Body)
	}
	if code, msg := fieldError(t, r, fullTime20000+"familyShare"); code != "mismatch" || !strings.Contains(msg, "Condizioni dichiarate invariate: l'importo approvato per il 2024/2025 è di 435.00 euro.") {
		t.Fatalf("the changed fee is named: %s", r.Body)
	}

	// The pre-loaded data as they were, declared unchanged: filed.
	save(draft.Data)
	e.uploadAll(id, tok, ex)
	r = submit()
	if p := protocolOf(t, r); p.Number != "LOM-2025-0000001" {
		t.Fatalf("the returning Comune's application: %+v", p)
	}
}
