package lombardia

import "sportello/shared/program"

// Applicant is the Comune or the capofila of the association.
func (f *Form) Applicant() (name, fiscalCode string) { return f.Entity.Name, f.Entity.FiscalCode }

// Covers lists the facilities of the application by AFAM_UDOS code and
// name (the Comuni covered are the claims).
func (f *Form) Covers() []string {
	out := make([]string, len(f.Facilities))
	for i, fac := range f.Facilities {
		out[i] = fac.AFAMUDOS + " " + fac.Name
	}
	return out
}

// ExclusionReasons are the avviso's grounds for inadmissibility (A.4, C.2).
func (Program) ExclusionReasons() []program.Reason {
	return []program.Reason{
		{Code: "documents_missing", Title: "Documenti obbligatori mancanti (inammissibile)"},
		{Code: "signature_invalid", Title: "Documenti non firmati elettronicamente"},
		{Code: "requirements_not_met", Title: "Requisiti A.4 non soddisfatti"},
		{Code: "fee_increase_over_7_percent", Title: "Aumento delle rette oltre il 7% non giustificato"},
		{Code: "agreements_invalid", Title: "Convenzioni mancanti o non conformi"},
		{Code: "member_conflict", Title: "Comune presente anche in altra domanda"},
		{Code: "integration_not_received", Title: "Integrazione documentale non pervenuta entro il termine"},
		{Code: "other", Title: "Altro motivo (indicato nelle note)"},
	}
}

// ReviewDays is the istruttoria's term: 60 calendar days from the closing
// of the window (avviso, C3.a).
const ReviewDays = 60

// Deadlines: the istruttoria of each window within 60 days of its close.
func (Program) Deadlines() []program.Deadline {
	return []program.Deadline{{ID: "istruttoria", Title: "Conclusione dell'istruttoria (avviso: «entro 60 giorni di calendario decorrenti dalla data di chiusura» della finestra, salvo integrazioni)",
		DaysAfterClose: ReviewDays, Needs: program.NeedsDecisions}}
}
