package lombardia

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// Returning Comuni (Avviso C.1): "I Comuni che hanno già aderito alla
// misura 2024/2025 troveranno pre-caricate tutte le informazioni
// dell'anagrafica, le modalità di partecipazione, il dettaglio delle
// strutture … e le tariffe approvate … a condizione che il codice
// struttura risulti presente nella banca dati AFAM_UDOS [attive]"; those
// that change nothing "dovranno dichiarare che tali condizioni di
// partecipazione rimangono invariate". The officers import the 2024/25
// adhesions (program.ListAdhesions); a new draft is pre-loaded from them
// (Prefill), and the 7 % rule (A.4.4) compares with the fees they carry.

// adhesion is a Comune's 2024/25 adhesion, one line per facility and mode
// (none: the Comune did not adhere, or the list was not imported).
func adhesion(reg program.Registry, istat string) []program.AdhesionLine {
	return program.Find[program.AdhesionLine](reg, program.ListAdhesions, istat)
}

// Prefill gives a new draft of a returning Comune what it finds pre-loaded,
// in the top-level fields its data leave out: its entity's name and
// province, its participation, and each facility of 2024/25 still active in
// AFAM_UDOS with its approved fees (as this year's and as last year's,
// familyShare2024). The agreements of 2025/26 are the Comune's to enter.
func (Program) Prefill(data json.RawMessage, org string, reg program.Registry) (json.RawMessage, error) {
	istat := program.OrgID(org)
	lines := adhesion(reg, istat)
	if len(lines) == 0 {
		return data, nil
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return data, nil //nolint:nilerr // not an object: the form's decoder says so
	}
	set := func(key string, v any) {
		if _, given := m[key]; !given {
			m[key] = v
		}
	}
	if c, ok := reg.Comune(istat); ok {
		set("entity", map[string]any{"name": "Comune di " + c.Name, "province": c.Province})
	}
	first := lines[0]
	set("participatedLastEdition", true)
	set("applicationType", first.ApplicationType)
	if first.ApplicationType == "associated" {
		set("associationKind", first.AssociationKind)
		set("members", first.Members)
	}
	var facilities []any
	byFacility := map[string]map[string]any{}
	for _, l := range lines {
		known, ok := facility(reg, l.Facility)
		if !ok || !known.Active {
			continue // pre-loaded only while active in AFAM_UDOS (C.1)
		}
		fac, seen := byFacility[l.Facility]
		if !seen {
			fac = map[string]any{"afamUdos": known.Code, "name": known.Name, "address": known.Address, "authorisedPlaces": known.Places,
				"public": known.Public, "inAgreement": !known.Public, "fees": []any{}}
			byFacility[l.Facility] = fac
			facilities = append(facilities, fac)
		}
		fee := map[string]any{"mode": l.Mode, "isee20000": preloadedAmounts(l.ISEE20000), "isee25000": preloadedAmounts(l.ISEE25000)}
		if l.ModeDescription != "" {
			fee["modeDescription"] = l.ModeDescription
		}
		fac["fees"] = append(fac["fees"].([]any), fee)
	}
	if facilities != nil {
		set("facilities", facilities)
	}
	out, err := json.Marshal(m)
	if err != nil {
		return data, fmt.Errorf("prefill %s: %w", org, err)
	}
	return out, nil
}

func preloadedAmounts(f program.Fees) map[string]any {
	a := map[string]any{"total": f.Total, "familyShare": f.FamilyShare, "familyShare2024": f.FamilyShare}
	if f.ComuneShare != nil {
		a["comuneShare"] = *f.ComuneShare
	}
	return a
}

// checkReturning checks a form against the Comune's 2024/25 adhesion and
// returns the facilities the fee rules then check: each fee line that was
// pre-loaded carries, as last year's family share, the one the Region
// approved. A returning Comune declares it took part; last year's shares
// are the approved ones (mismatch otherwise); "condizioni invariate" holds
// only if participation, facilities and fees are those pre-loaded.
func (f *Form) checkReturning(out *problem.Fields, reg program.Registry, istat string) []Facility {
	lines := adhesion(reg, istat)
	if len(lines) == 0 {
		if f.UnchangedConditions {
			out.Add("unchangedConditions", problem.FieldNotAllowed, "Per il Comune non risultano dati 2024/2025 pre-caricati: le condizioni di partecipazione vanno indicate.")
		}
		return f.Facilities
	}
	if !f.ParticipatedLastEdition {
		out.Add("participatedLastEdition", problem.FieldMismatch, "Il Comune ha aderito alla Misura 2024/2025: i suoi dati sono pre-caricati dalla Regione.")
	}
	approved := map[string]program.AdhesionLine{}
	for _, l := range lines {
		approved[program.LineKey(l.Facility, l.Mode, l.ModeDescription)] = l
	}
	facilities := slices.Clone(f.Facilities)
	for i := range facilities {
		facilities[i].Fees = slices.Clone(facilities[i].Fees)
		for j, fee := range facilities[i].Fees {
			l, ok := approved[program.LineKey(facilities[i].AFAMUDOS, fee.Mode, fee.ModeDescription)]
			if !ok {
				continue
			}
			p := fmt.Sprintf("facilities[%d].fees[%d]", i, j)
			for _, side := range []struct {
				path string
				a    *Amounts
				fees program.Fees
			}{{p + ".isee20000", &facilities[i].Fees[j].ISEE20000, l.ISEE20000}, {p + ".isee25000", &facilities[i].Fees[j].ISEE25000, l.ISEE25000}} {
				if side.a.FamilyShare2024 == nil || *side.a.FamilyShare2024 != side.fees.FamilyShare {
					out.Add(side.path+".familyShare2024", problem.FieldMismatch, "La quota a carico della famiglia approvata per il 2024/2025 è di %s euro (dato pre-caricato dalla Regione).", side.fees.FamilyShare)
				}
				approvedShare := side.fees.FamilyShare
				side.a.FamilyShare2024 = &approvedShare
			}
		}
	}
	if f.UnchangedConditions {
		f.checkUnchanged(out, reg, lines, approved)
	}
	return facilities
}

// checkUnchanged: "condizioni invariate" are the participation, the
// facilities (those still active) and the fees pre-loaded, and no increase.
func (f *Form) checkUnchanged(out *problem.Fields, reg program.Registry, lines []program.AdhesionLine, approved map[string]program.AdhesionLine) {
	before := len(*out)
	differs := func(path, format string, args ...any) {
		out.Add(path, problem.FieldMismatch, "Condizioni dichiarate invariate: "+format, args...)
	}
	first := lines[0]
	if f.ApplicationType != first.ApplicationType {
		differs("applicationType", "la forma di partecipazione 2024/2025 era %s.", first.ApplicationType)
	}
	if first.ApplicationType == "associated" && f.ApplicationType == "associated" {
		if f.AssociationKind != first.AssociationKind {
			differs("associationKind", "la forma associata 2024/2025 era %s.", first.AssociationKind)
		}
		have, want := slices.Sorted(slices.Values(f.Members)), slices.Sorted(slices.Values(first.Members))
		if !slices.Equal(have, want) {
			differs("members", "i Comuni associati 2024/2025 erano %s.", strings.Join(want, ", "))
		}
	}
	if f.FeesIncreased {
		differs("feesIncreased", "le tariffe non possono essere aumentate.")
	}
	inForm := map[string]bool{}
	for i, fac := range f.Facilities {
		inForm[fac.AFAMUDOS] = true
		for j, fee := range fac.Fees {
			p := fmt.Sprintf("facilities[%d].fees[%d]", i, j)
			l, ok := approved[program.LineKey(fac.AFAMUDOS, fee.Mode, fee.ModeDescription)]
			if !ok {
				differs(p+".mode", "la struttura %s non aveva questa modalità di frequenza nel 2024/2025.", fac.AFAMUDOS)
				continue
			}
			sameFees(differs, p+".isee20000", fee.ISEE20000, l.ISEE20000)
			sameFees(differs, p+".isee25000", fee.ISEE25000, l.ISEE25000)
		}
	}
	for i, fac := range f.Facilities {
		if !slices.ContainsFunc(lines, func(l program.AdhesionLine) bool { return l.Facility == fac.AFAMUDOS }) {
			differs(fmt.Sprintf("facilities[%d].afamUdos", i), "la struttura %s non era tra quelle del 2024/2025.", fac.AFAMUDOS)
		}
	}
	missing := map[string]bool{}
	for _, l := range lines {
		known, ok := facility(reg, l.Facility)
		if ok && known.Active && !missing[l.Facility] && (!inForm[l.Facility] || !f.hasLine(l)) {
			missing[l.Facility] = true
			differs("facilities", "manca la struttura %s con le rette 2024/2025 di ogni modalità di frequenza.", l.Facility)
		}
	}
	if len(*out) > before {
		out.Add("unchangedConditions", problem.FieldMismatch, "I dati indicati differiscono da quelli 2024/2025 pre-caricati (campi segnalati): ripristinarli, oppure togliere la dichiarazione di condizioni invariate e indicare le modifiche.")
	}
}

func (f *Form) hasLine(l program.AdhesionLine) bool {
	for _, fac := range f.Facilities {
		for _, fee := range fac.Fees {
			if fac.AFAMUDOS == l.Facility && program.LineKey(fac.AFAMUDOS, fee.Mode, fee.ModeDescription) == program.LineKey(l.Facility, l.Mode, l.ModeDescription) {
				return true
			}
		}
	}
	return false
}

// sameFees reports each amount that differs from the approved one.
func sameFees(differs func(path, format string, args ...any), p string, a Amounts, want program.Fees) {
	check := func(field string, got *money.Cents, want money.Cents) {
		if got == nil || *got != want {
			differs(p+"."+field, "l'importo approvato per il 2024/2025 è di %s euro.", want)
		}
	}
	check("total", a.Total, want.Total)
	check("familyShare", a.FamilyShare, want.FamilyShare)
	if want.ComuneShare != nil {
		check("comuneShare", a.ComuneShare, *want.ComuneShare)
	}
}
