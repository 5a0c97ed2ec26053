package lombardia

import (
	"fmt"
	"strconv"
	"strings"

	"sportello/shared/money"
	"sportello/shared/program"
)

// Sections renders the Allegato A1 facsimile ("Scheda riassuntiva
// Adesione") from the form data, in the order and with the labels of the
// Region's facsimile, for the generated application the Comune downloads,
// signs and uploads back (allegato_a1_signed). Values a draft lacks are
// left empty: the document shows what was declared, never a guess.
func (f *Form) Sections() []program.Section {
	e := f.Entity
	s := []program.Section{
		{Title: "Dati generali", Rows: [][2]string{
			{"Nome bando", "Avviso per l'adesione dei Comuni alla Misura Nidi Gratis Plus – 2025/2026"},
			{"Descrizione bando", "Manifestazione di interesse da parte dei Comuni e indicazione delle relative strutture presso cui le famiglie potranno accedere all'agevolazione prevista dalla Misura Nidi Gratis Plus – 2025/2026"},
			{"Fase", "Adesione"},
		}},
		{Title: "Adesione 1-4 Requisiti di accesso – Dati generali dell'Ente richiedente", Rows: [][2]string{
			{"Natura giuridica", "Comune"},
			{"Denominazione", e.Name},
			{"Codice fiscale", e.FiscalCode},
			{"Indirizzo della sede legale", e.Address},
			{"CAP", e.PostCode},
			{"Provincia", e.Province},
			{"Indirizzo e-mail (per le comunicazioni ufficiali)", e.Email},
			{"Indirizzo di Posta Elettronica Certificata (PEC)", e.PEC},
			{"Confermi di aver inserito correttamente l'indirizzo PEC?", yes(e.PEC != "" && e.PEC == e.PECConfirmation)},
			{"Denominazione ufficio", e.Office},
		}},
	}

	obligations := program.Section{Title: "Dichiarazioni e obblighi del Comune per l'adesione alla Misura «Nidi Gratis Plus 2025/2026»"}
	for _, d := range Obligations {
		obligations.Rows = append(obligations.Rows, [2]string{d.Text, yes(f.Declarations[d.Key])})
	}
	obligations.Rows = append(obligations.Rows,
		[2]string{"Data della Delibera", f.Resolution.Date.Italian()},
		[2]string{"Numero della Delibera", f.Resolution.Number})
	s = append(s, obligations)

	r, l := f.Referent, f.LegalRepresentative
	request := program.Section{Title: "Adesione 2-4 Dati della domanda", Rows: [][2]string{
		{"Referente – Cognome", r.Surname}, {"Referente – Nome", r.Name}, {"Referente – Telefono", r.Phone}, {"Referente – E-mail", r.Email},
		{"Rappresentante legale – Codice fiscale", l.FiscalCode}, {"Rappresentante legale – Cognome", l.Surname}, {"Rappresentante legale – Nome", l.Name},
		{"Il firmatario coincide col rappresentante legale?", yes(f.SignatoryIsLegalRepresentative)},
	}}
	if !f.SignatoryIsLegalRepresentative && f.Signatory != nil {
		g := f.Signatory
		request.Rows = append(request.Rows,
			[2]string{"Firmatario – Codice fiscale", g.FiscalCode}, [2]string{"Firmatario – Cognome", g.Surname}, [2]string{"Firmatario – Nome", g.Name},
			[2]string{"Firmatario – Data di nascita", g.BirthDate.Italian()}, [2]string{"Firmatario – Provincia di nascita (EE per Stato estero)", g.BirthProvince},
			[2]string{"Firmatario – Comune/Stato estero di nascita", g.BirthPlace})
	}
	s = append(s, request)

	project := program.Section{Title: "Adesione 3-4 Dati del progetto – Dichiarazioni sulla natura dell'ente"}
	for _, d := range NatureDeclarations {
		project.Rows = append(project.Rows, [2]string{d.Text, yes(f.Declarations[d.Key])})
	}
	form := "Singola"
	if f.ApplicationType == "associated" {
		form = "Forma associata – " + AssociationKinds[f.AssociationKind]
	} else if f.ApplicationType == "" {
		form = ""
	}
	project.Rows = append(project.Rows,
		[2]string{"Forma di partecipazione", form},
		[2]string{"Comuni in forma associata (codici ISTAT)", strings.Join(f.Members, ", ")},
		[2]string{"Adotta agevolazioni tariffarie ISEE in favore di famiglie non residenti", NonResidentReductions[f.NonResidentReductions]},
		[2]string{"Comuni con agevolazioni tariffarie (codici ISTAT)", strings.Join(f.ComuniWithReducedFees, ", ")},
		[2]string{"Particolari casistiche per cui si adottano agevolazioni tariffarie", f.SpecialCasesDescription},
		[2]string{"Il Comune ha convenzioni con altri Comuni che prevedono di applicare anche ai non residenti le fasce ISEE?", yes(len(f.ComuniInAgreement) > 0)},
		[2]string{"Comuni in convenzione (codici ISTAT)", strings.Join(f.ComuniInAgreement, ", ")},
		[2]string{"Calcolo retta 2025 – modalità", FeeMethods[f.FeeMethod]},
		[2]string{"Formula della funzione lineare", f.LinearFormula},
		[2]string{"Comune aderente alla Misura 2024/2025", yes(f.ParticipatedLastEdition)},
		[2]string{"Le tariffe per le fasce ISEE entro 20.000 ed entro 25.000 euro hanno subito variazioni in aumento rispetto al 2024-2025", yes(f.FeesIncreased)},
	)
	if f.FeesIncreased {
		project.Rows = append(project.Rows,
			[2]string{"Aumento percentuale", percent(f.IncreasePercent)},
			[2]string{"Fattispecie a cui è riconducibile la variazione", IncreaseReasons[f.IncreaseReason]})
	}
	s = append(s, project)

	public, private := 0, 0
	for _, fac := range f.Facilities {
		var sec program.Section
		if fac.Public {
			public++
			sec.Title = fmt.Sprintf("Strutture comunali – %d – %s", public, fac.AFAMUDOS)
		} else {
			private++
			sec.Title = fmt.Sprintf("Strutture private in convenzione – %d – %s", private, fac.AFAMUDOS)
		}
		sec.Rows = [][2]string{
			{"Asilo nido e micronido (codice AFAM_UDOS – nome)", fac.AFAMUDOS + " – " + fac.Name},
			{"Si tratta di una struttura comunale in concessione a privati?", yes(fac.PrivateConcessionaire)},
			{"Numero posti autorizzati", count(fac.AuthorisedPlaces)},
			{"Nome struttura", fac.Name},
			{"Indirizzo struttura", fac.Address},
		}
		if !fac.Public {
			sec.Rows = append(sec.Rows,
				[2]string{"Protocollo convenzione", fac.AgreementProtocol},
				[2]string{"Data scadenza della convenzione", fac.AgreementExpiry.Italian()},
				[2]string{"N. posti convenzionati anno 2025/2026", count(fac.PlacesBought)},
				[2]string{"È previsto il rinnovo in grado di garantire la copertura dell'anno 2025/2026?", yes(fac.RenewalCommitment)})
		}
		for _, fee := range fac.Fees {
			mode := Modes[fee.Mode]
			if fee.ModeDescription != "" {
				mode += " (" + fee.ModeDescription + ")"
			}
			for _, band := range []struct {
				label string
				a     Amounts
			}{{"20.000,00", fee.ISEE20000}, {"25.000,00", fee.ISEE25000}} {
				sec.Rows = append(sec.Rows,
					[2]string{mode + " – Retta complessiva (famiglia comprensiva del Bonus INPS + contributo comunale) per ISEE pari a " + band.label + " euro", euro(band.a.Total)},
					[2]string{mode + " – Retta a carico della famiglia (comprensiva del Bonus INPS, al netto del contributo comunale) per ISEE pari a " + band.label + " euro", euro(band.a.FamilyShare)},
					[2]string{mode + " – Retta a carico del Comune per ISEE pari a " + band.label + " euro", euro(band.a.ComuneShare)})
			}
		}
		s = append(s, sec)
	}
	return s
}

func yes(b bool) string {
	if b {
		return "Sì"
	}
	return "No"
}

func count(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// euro writes an amount as Italian readers expect: "€ 1.234,56" ("" when
// not given).
func euro(c *money.Cents) string {
	if c == nil {
		return ""
	}
	return c.Italian()
}

func percent(d program.Decimal) string {
	if !d.Set {
		return ""
	}
	return strings.Replace(d.String(), ".", ",", 1) + "%"
}
