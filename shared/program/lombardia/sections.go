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
			{label("entity.name"), e.Name},
			{label("entity.fiscalCode"), e.FiscalCode},
			{label("entity.address"), e.Address},
			{label("entity.postCode"), e.PostCode},
			{label("entity.province"), e.Province},
			{label("entity.email"), e.Email},
			{label("entity.pec"), e.PEC},
			{"Confermi di aver inserito correttamente l'indirizzo PEC?", yes(e.PEC != "" && e.PEC == e.PECConfirmation)},
			{label("entity.office"), e.Office},
		}},
	}

	obligations := program.Section{Title: "Dichiarazioni e obblighi del Comune per l'adesione alla Misura «Nidi Gratis Plus 2025/2026»"}
	for _, d := range Obligations {
		obligations.Rows = append(obligations.Rows, [2]string{d.Text, yes(f.Declarations[d.Key])})
	}
	obligations.Rows = append(obligations.Rows,
		[2]string{label("resolution.date"), f.Resolution.Date.Italian()},
		[2]string{label("resolution.number"), f.Resolution.Number})
	s = append(s, obligations)

	r, l := f.Referent, f.LegalRepresentative
	request := program.Section{Title: "Adesione 2-4 Dati della domanda", Rows: [][2]string{
		{labels("contact", "surname"), r.Surname}, {labels("contact", "name"), r.Name}, {labels("contact", "phone"), r.Phone}, {labels("contact", "email"), r.Email},
		{labels("legalRepresentative", "fiscalCode"), l.FiscalCode}, {labels("legalRepresentative", "surname"), l.Surname}, {labels("legalRepresentative", "name"), l.Name},
		{label("signatoryIsLegalRepresentative"), yes(f.SignatoryIsLegalRepresentative)},
	}}
	if !f.SignatoryIsLegalRepresentative && f.Signatory != nil {
		g := f.Signatory
		request.Rows = append(request.Rows,
			[2]string{labels("signatory", "fiscalCode"), g.FiscalCode}, [2]string{labels("signatory", "surname"), g.Surname}, [2]string{labels("signatory", "name"), g.Name},
			[2]string{labels("signatory", "birthDate"), g.BirthDate.Italian()}, [2]string{labels("signatory", "birthProvince"), g.BirthProvince},
			[2]string{labels("signatory", "birthPlace"), g.BirthPlace})
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
		[2]string{label("applicationType"), form},
		[2]string{label("members"), strings.Join(f.Members, ", ")},
		[2]string{label("nonResidentReductions"), NonResidentReductions[f.NonResidentReductions]},
		[2]string{label("comuniWithReducedFees"), strings.Join(f.ComuniWithReducedFees, ", ")},
		[2]string{label("specialCasesDescription"), f.SpecialCasesDescription},
		[2]string{"Il Comune ha convenzioni con altri Comuni che prevedono di applicare anche ai non residenti le fasce ISEE?", yes(len(f.ComuniInAgreement) > 0)},
		[2]string{label("comuniInAgreement"), strings.Join(f.ComuniInAgreement, ", ")},
		[2]string{label("feeMethod"), FeeMethods[f.FeeMethod]},
		[2]string{label("linearFormula"), f.LinearFormula},
		[2]string{label("participatedLastEdition"), yes(f.ParticipatedLastEdition)},
		[2]string{label("unchangedConditions"), yes(f.UnchangedConditions)},
		[2]string{label("feesIncreased"), yes(f.FeesIncreased)},
	)
	if f.FeesIncreased {
		project.Rows = append(project.Rows,
			[2]string{label("increasePercent"), percent(f.IncreasePercent)},
			[2]string{label("increaseReason"), IncreaseReasons[f.IncreaseReason]})
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
			{label("facilities.privateConcessionaire"), yes(fac.PrivateConcessionaire)},
			{label("facilities.authorisedPlaces"), count(fac.AuthorisedPlaces)},
			{label("facilities.name"), fac.Name},
			{label("facilities.address"), fac.Address},
		}
		if !fac.Public {
			sec.Rows = append(sec.Rows,
				[2]string{label("facilities.agreementProtocol"), fac.AgreementProtocol},
				[2]string{label("facilities.agreementExpiry"), fac.AgreementExpiry.Italian()},
				[2]string{label("facilities.placesBought"), count(fac.PlacesBought)},
				[2]string{label("facilities.renewalCommitment"), yes(fac.RenewalCommitment)})
		}
		for _, fee := range fac.Fees {
			mode := Modes[fee.Mode]
			if fee.ModeDescription != "" {
				mode += " (" + fee.ModeDescription + ")"
			}
			for _, band := range []struct {
				path string
				a    Amounts
			}{{"facilities.fees.isee20000", fee.ISEE20000}, {"facilities.fees.isee25000", fee.ISEE25000}} {
				row := func(part string) string {
					return mode + " – " + label(band.path+"."+part) + " per " + label(band.path)
				}
				sec.Rows = append(sec.Rows,
					[2]string{row("total"), euro(band.a.Total)},
					[2]string{row("familyShare"), euro(band.a.FamilyShare)},
					[2]string{row("comuneShare"), euro(band.a.ComuneShare)})
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
