package fvg

import "sportello/shared/program"

// Fields describes the application for the contribution (contenimento
// rette, a.e. 2024/2025).
func (Program) Fields() []program.Field {
	money := func(name, label, help string) program.Field {
		return program.Field{Name: name, Label: label, Kind: program.KindMoney, Help: help}
	}
	return []program.Field{
		{Name: "operator", Label: "Gestore", Kind: program.KindGroup, Required: true, Fields: []program.Field{
			{Name: "name", Label: "Denominazione", Kind: program.KindText, Required: true},
			{Name: "fiscalCode", Label: "Codice fiscale o partita IVA", Kind: program.KindText, Required: true},
			{Name: "legalNature", Label: "Natura giuridica", Kind: program.KindChoice, Required: true,
				Options: []program.Option{{Value: "public", Label: "Pubblico"}, {Value: "private", Label: "Privato"}, {Value: "third_sector", Label: "Privato sociale"}}},
			{Name: "legalRepresentative", Label: "Legale rappresentante", Kind: program.KindText, Required: true},
			{Name: "email", Label: "E-mail (per la ricevuta)", Kind: program.KindEmail, Required: true},
		}},
		{Name: "filerRole", Label: "Chi presenta la domanda", Kind: program.KindChoice, Required: true,
			Options: []program.Option{{Value: LegalRepresentative, Label: "Il legale rappresentante"},
				{Value: Proxy, Label: "Un procuratore (procura o atto di nomina)"}, {Value: Delegate, Label: "Un delegato del titolare (delega)"}}},
		{Name: "delegator", Label: "Titolare della SCIA e dell'accreditamento che ha delegato", Kind: program.KindGroup,
			Help: "Solo se chi presenta è un delegato.", Fields: []program.Field{
				{Name: "name", Label: "Denominazione", Kind: program.KindText},
				{Name: "fiscalCode", Label: "Codice fiscale", Kind: program.KindText},
			}},
		{Name: "facility", Label: "Nido d'infanzia", Kind: program.KindGroup, Required: true, Fields: []program.Field{
			{Name: "code", Label: "Codice regionale del nido", Kind: program.KindText, Required: true},
			{Name: "name", Label: "Denominazione", Kind: program.KindText, Required: true},
			{Name: "comune", Label: "Comune (codice ISTAT)", Kind: program.KindText, Required: true},
			{Name: "address", Label: "Indirizzo", Kind: program.KindText, Required: true},
			{Name: "startedBySCIA", Label: "Data di avvio con SCIA", Kind: program.KindDate, Required: true},
			{Name: "accredited", Label: "Accreditato alla data della domanda", Kind: program.KindBoolean},
			{Name: "accreditationAct", Label: "Estremi dell'atto di accreditamento", Kind: program.KindText},
		}},
		{Name: "sezionePrimavera", Label: "Il servizio è una sezione primavera", Kind: program.KindBoolean},
		{Name: "banOrRevokedAccreditation", Label: "Il gestore è soggetto a divieto o a revoca dell'accreditamento", Kind: program.KindBoolean},
		{Name: "continuesNextYear", Label: "Il servizio prosegue nell'anno educativo 2025/2026", Kind: program.KindBoolean},
		{Name: "tariffPlansCommunicated", Label: "I piani tariffari sono stati comunicati", Kind: program.KindBoolean},
		{Name: "comuneRunOrRegulated", Label: "Nido comunale o con tariffe stabilite dal Comune", Kind: program.KindBoolean},
		money("monthlyFee2024", "Retta mensile a tempo pieno 2024/2025", "Per i nidi non comunali."),
		money("monthlyFee2025", "Retta mensile a tempo pieno 2025/2026", "Per i nidi non comunali."),
		money("highestMonthlyFee2024", "Retta mensile più alta 2024/2025", "Per i nidi comunali o con tariffe comunali."),
		money("highestMonthlyFee2025", "Retta mensile più alta 2025/2026", "Per i nidi comunali o con tariffe comunali."),
		{Name: "otherFees", Label: "Altre tariffe", Kind: program.KindList, Help: "Ogni ulteriore tariffa del piano, per la verifica dell'aumento.", Fields: []program.Field{
			{Name: "description", Label: "Descrizione", Kind: program.KindText, Required: true},
			money("fee2024", "Tariffa 2024/2025", ""),
			money("fee2025", "Tariffa 2025/2026", ""),
		}},
		{Name: "operatorSince", Label: "Gestore del nido dal", Kind: program.KindDate, Required: true},
		{Name: "childrenOn20241001", Label: "Bambini iscritti al 1° ottobre 2024", Kind: program.KindInteger},
		{Name: "childrenOn20250131", Label: "Bambini iscritti al 31 gennaio 2025", Kind: program.KindInteger},
		{Name: "monthsOfOperation", Label: "Mesi di effettivo funzionamento nel 2024/2025", Kind: program.KindInteger, Required: true},
		{Name: "innerArea", Label: "Il nido si trova in un'area interna", Kind: program.KindBoolean},
		money("expenses2024", "Spese sostenute 2024/2025", ""),
		money("income2024", "Entrate 2024/2025", ""),
		{Name: "stampDutyExempt", Label: "Esente dall'imposta di bollo", Kind: program.KindBoolean},
		{Name: "stampDutyExemptionBasis", Label: "Norma di esenzione dall'imposta di bollo", Kind: program.KindText},
	}
}
