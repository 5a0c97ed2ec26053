package fvg

import "sportello/shared/program"

// Applicant is the operator (gestore), the beneficiary of the contribution.
func (f *Form) Applicant() (name, fiscalCode string) { return f.Operator.Name, f.Operator.FiscalCode }

// Covers is the one nido of the application.
func (f *Form) Covers() []string {
	return []string{f.Facility.Code + " " + f.Facility.Name}
}

// ExclusionReasons are the seed's grounds for exclusion (art. 3–5 of the
// avviso): the requirements not met, lateness, missing documents.
func (Program) ExclusionReasons() []program.Reason {
	return []program.Reason{
		{Code: "tariff_plans_missing", Title: "Piani tariffari 2024/2025 e 2025/2026 non comunicati"},
		{Code: "service_not_continuing", Title: "Servizio non proseguito nell'anno educativo successivo"},
		{Code: "fee_increase_over_limit", Title: "Aumento delle rette oltre il 7,6%"},
		{Code: "operator_too_recent", Title: "Gestione inferiore a 4 mesi al 28/02/2025"},
		{Code: "no_children_hosted", Title: "Media dei bambini accolti inferiore a 1"},
		{Code: "sezione_primavera", Title: "Sezione primavera (esclusa dal contributo)"},
		{Code: "ban_or_revoked_accreditation", Title: "Divieto di prosecuzione o revoca dell'accreditamento"},
		{Code: "not_accredited", Title: "Nido non avviato con SCIA o non accreditato"},
		{Code: "signature_invalid", Title: "Procura o delega non sottoscritta validamente"},
		{Code: "documents_missing", Title: "Documentazione obbligatoria mancante"},
		{Code: "other", Title: "Altro motivo (indicato nelle note)"},
	}
}

// DecreeDeadline is the seed's "I contributi straordinari sono concessi
// con decreto … entro il termine del 30 novembre 2025".
var DecreeDeadline = program.MustDate("2025-11-30")

// Deadlines: the concession decree by 30/11/2025.
func (Program) Deadlines() []program.Deadline {
	return []program.Deadline{{ID: "decree", Title: "Decreto di concessione dei contributi (avviso: «entro il termine del 30 novembre 2025»)",
		On: DecreeDeadline, Needs: program.NeedsDecree}}
}
