package piemonte

import "sportello/shared/program"

// Fields describes the scheda SERVIZI 03: the contact, one row per
// service (pre-loaded or added), notes.
func (Program) Fields() []program.Field {
	return []program.Field{
		{Name: "contactEmail", Label: "E-mail di contatto del Comune", Kind: program.KindEmail, Required: true},
		{Name: "services", Label: "Servizi", Kind: program.KindList, Required: true,
			Help: "Uno per ogni servizio pre-caricato dalla Regione, più quelli aggiunti.", Fields: []program.Field{
				{Name: "id", Label: "Codice del servizio pre-caricato", Kind: program.KindText, Help: "Vuoto per un servizio aggiunto."},
				{Name: "added", Label: "Servizio aggiunto dal Comune", Kind: program.KindBoolean},
				{Name: "name", Label: "Denominazione del servizio", Kind: program.KindText, Required: true},
				{Name: "type", Label: "Tipologia", Kind: program.KindChoice, Required: true,
					Options: program.Options(ServiceTypes, "nido", "micronido", "sezione_primavera", "spazio_gioco", "centro_bambini_famiglie", "servizio_domiciliare")},
				{Name: "address", Label: "Indirizzo", Kind: program.KindText, Required: true},
				{Name: "operator", Label: "Gestore", Kind: program.KindText, Required: true},
				{Name: "places", Label: "Posti autorizzati", Kind: program.KindInteger, Required: true},
				{Name: "authorisationAct", Label: "Estremi dell'ultimo atto di autorizzazione", Kind: program.KindText, Required: true},
				{Name: "authorisedOn", Label: "Data dell'atto di autorizzazione", Kind: program.KindDate, Required: true},
				{Name: "activeFrom", Label: "Attivo dal", Kind: program.KindDate},
				{Name: "status", Label: "Stato alla data di riferimento", Kind: program.KindChoice, Required: true,
					Options: []program.Option{{Value: Active, Label: "Attivo"}, {Value: Suspended, Label: "Sospeso"}, {Value: NotReached, Label: "Non raggiunto"}, {Value: Ceased, Label: "Cessato"}}},
				{Name: "reason", Label: "Motivazione", Kind: program.KindText, Help: "Obbligatoria per i servizi non raggiunti, facoltativa per quelli sospesi."},
				{Name: "ceasedAct", Label: "Provvedimento di cessazione", Kind: program.KindText, Help: "Solo per i servizi cessati."},
				{Name: "ceasedOn", Label: "Data di cessazione", Kind: program.KindDate, Help: "Solo per i servizi cessati."},
				{Name: "averageAttendance", Label: "Frequenza media", Kind: program.KindDecimal},
				{Name: "averagingPeriod", Label: "Periodo su cui si calcola la media (calcolato)", Kind: program.KindGroup,
					Help: "Calcolato dal sistema per i servizi attivi: un valore inviato è ignorato.", Fields: []program.Field{
						{Name: "from", Label: "Dal", Kind: program.KindDate},
						{Name: "to", Label: "Al", Kind: program.KindDate},
					}},
			}},
		{Name: "notes", Label: "Note", Kind: program.KindText},
	}
}
