package lombardia

import "sportello/shared/program"

// a1 is the description, read once: Sections labels the summary's rows
// with it, so the form and the generated A1 say the same words.
var a1 = Program{}.Fields()

// label is a field's label in the A1 (path as in program.Lookup).
func label(path string) string {
	l := program.Label(a1, path)
	if l == "" {
		panic("lombardia: no field " + path) // a typo in Sections, caught by its tests
	}
	return l
}

// labels joins a group's label and a field's: "Referente – Cognome".
func labels(group, field string) string { return label(group) + " – " + label(group+"."+field) }

func person(name, label string, required bool, birth bool) program.Field {
	fs := []program.Field{
		{Name: "fiscalCode", Label: "Codice fiscale", Kind: program.KindText},
		{Name: "surname", Label: "Cognome", Kind: program.KindText, Required: required},
		{Name: "name", Label: "Nome", Kind: program.KindText, Required: required},
		{Name: "phone", Label: "Telefono", Kind: program.KindText},
		{Name: "email", Label: "E-mail", Kind: program.KindEmail},
		{Name: "birthDate", Label: "Data di nascita", Kind: program.KindDate},
		{Name: "birthProvince", Label: "Provincia di nascita (EE per Stato estero)", Kind: program.KindText},
		{Name: "birthPlace", Label: "Comune/Stato estero di nascita", Kind: program.KindText},
	}
	help := "I dati di nascita servono solo per il firmatario."
	if birth {
		help = "Solo se il firmatario non è il rappresentante legale."
	}
	return program.Field{Name: name, Label: label, Kind: program.KindGroup, Required: required, Help: help, Fields: fs}
}

func amounts(name, label string) program.Field {
	return program.Field{Name: name, Label: label, Kind: program.KindGroup, Fields: []program.Field{
		{Name: "total", Label: "Retta complessiva (famiglia comprensiva del Bonus INPS + contributo comunale)", Kind: program.KindMoney, Required: true},
		{Name: "familyShare", Label: "Retta a carico della famiglia (comprensiva del Bonus INPS, al netto del contributo comunale)", Kind: program.KindMoney, Required: true},
		{Name: "comuneShare", Label: "Retta a carico del Comune", Kind: program.KindMoney, Required: true},
		{Name: "familyShare2024", Label: "Retta a carico della famiglia approvata per il 2024/2025", Kind: program.KindMoney,
			Help: "Per i Comuni aderenti alla Misura 2024/2025: il limite del 7% si verifica su questo valore."},
	}}
}

func declarations() []program.Option {
	var out []program.Option
	for _, list := range [][]Declaration{NatureDeclarations, Obligations} {
		for _, d := range list {
			out = append(out, program.Option{Value: d.Key, Label: d.Text})
		}
	}
	return out
}

// Fields describes the Allegato A1, in the facsimile's order and words.
func (Program) Fields() []program.Field {
	return []program.Field{
		{Name: "entity", Label: "Dati generali dell'Ente richiedente", Kind: program.KindGroup, Required: true, Fields: []program.Field{
			{Name: "name", Label: "Denominazione", Kind: program.KindText, Required: true},
			{Name: "fiscalCode", Label: "Codice fiscale", Kind: program.KindText, Required: true, Help: "11 cifre."},
			{Name: "address", Label: "Indirizzo della sede legale", Kind: program.KindText, Required: true},
			{Name: "postCode", Label: "CAP", Kind: program.KindText, Required: true},
			{Name: "province", Label: "Provincia", Kind: program.KindText, Required: true, Help: "Sigla, ad esempio MI."},
			{Name: "email", Label: "Indirizzo e-mail (per le comunicazioni ufficiali)", Kind: program.KindEmail, Required: true},
			{Name: "pec", Label: "Indirizzo di Posta Elettronica Certificata (PEC)", Kind: program.KindEmail, Required: true},
			{Name: "pecConfirmation", Label: "Conferma dell'indirizzo PEC", Kind: program.KindEmail, Required: true},
			{Name: "office", Label: "Denominazione ufficio", Kind: program.KindText, Required: true},
		}},
		{Name: "declarations", Label: "Dichiarazioni e obblighi del Comune", Kind: program.KindDeclarations, Required: true,
			Help: "Tutte le dichiarazioni sono obbligatorie.", Options: declarations()},
		{Name: "resolution", Label: "Delibera di Giunta di adesione", Kind: program.KindGroup, Required: true, Fields: []program.Field{
			{Name: "date", Label: "Data della Delibera", Kind: program.KindDate, Required: true},
			{Name: "number", Label: "Numero della Delibera", Kind: program.KindText, Required: true},
		}},
		person("contact", "Referente", true, false),
		person("legalRepresentative", "Rappresentante legale", true, false),
		{Name: "signatoryIsLegalRepresentative", Label: "Il firmatario coincide col rappresentante legale?", Kind: program.KindBoolean},
		person("signatory", "Firmatario", false, true),
		{Name: "applicationType", Label: "Forma di partecipazione", Kind: program.KindChoice, Required: true,
			Options: []program.Option{{Value: "single", Label: "Singola"}, {Value: "associated", Label: "Forma associata"}}},
		{Name: "associationKind", Label: "Forma associativa", Kind: program.KindChoice,
			Options: program.Options(AssociationKinds, "consortium", "union", "mountain_community", "ufficio_di_piano")},
		{Name: "members", Label: "Comuni in forma associata (codici ISTAT)", Kind: program.KindCodes, Help: "Il capofila è implicito."},
		{Name: "nonResidentReductions", Label: "Adotta agevolazioni tariffarie ISEE in favore di famiglie non residenti", Kind: program.KindChoice, Required: true,
			Options: program.Options(NonResidentReductions, "none", "region_wide", "some_comuni", "special_cases")},
		{Name: "comuniWithReducedFees", Label: "Comuni con agevolazioni tariffarie (codici ISTAT)", Kind: program.KindCodes},
		{Name: "specialCasesDescription", Label: "Particolari casistiche per cui si adottano agevolazioni tariffarie", Kind: program.KindText},
		{Name: "comuniInAgreement", Label: "Comuni in convenzione (codici ISTAT)", Kind: program.KindCodes,
			Help: "Comuni con cui una convenzione prevede di applicare anche ai non residenti le fasce ISEE."},
		{Name: "feeMethod", Label: "Calcolo retta 2025 – modalità", Kind: program.KindChoice, Required: true,
			Options: program.Options(FeeMethods, "bands", "linear")},
		{Name: "linearFormula", Label: "Formula della funzione lineare", Kind: program.KindText},
		{Name: "participatedLastEdition", Label: "Comune aderente alla Misura 2024/2025", Kind: program.KindBoolean},
		{Name: "unchangedConditions", Label: "Le condizioni di partecipazione (modalità di partecipazione, strutture e tariffe confermate per il 2024/2025) rimangono invariate per il 2025/2026", Kind: program.KindBoolean,
			Help: "Solo per i Comuni aderenti alla Misura 2024/2025, i cui dati sono pre-caricati: dichiararlo invece di reinserirli."},
		{Name: "feesIncreased", Label: "Le tariffe per le fasce ISEE entro 20.000 ed entro 25.000 euro hanno subito variazioni in aumento rispetto al 2024-2025", Kind: program.KindBoolean},
		{Name: "increasePercent", Label: "Aumento percentuale", Kind: program.KindDecimal, Help: "Ad esempio 3.50."},
		{Name: "increaseReason", Label: "Fattispecie a cui è riconducibile la variazione", Kind: program.KindChoice,
			Options: program.Options(IncreaseReasons, "none", "management_change", "method_change")},
		{Name: "facilities", Label: "Strutture", Kind: program.KindList, Required: true,
			Help: "Le strutture comunali e quelle private in convenzione presso cui le famiglie accedono alla Misura.", Fields: []program.Field{
				{Name: "afamUdos", Label: "Codice AFAM_UDOS", Kind: program.KindText, Required: true},
				{Name: "name", Label: "Nome struttura", Kind: program.KindText, Required: true},
				{Name: "address", Label: "Indirizzo struttura", Kind: program.KindText, Required: true},
				{Name: "authorisedPlaces", Label: "Numero posti autorizzati", Kind: program.KindInteger, Required: true},
				{Name: "public", Label: "Struttura comunale", Kind: program.KindBoolean},
				{Name: "privateConcessionaire", Label: "Si tratta di una struttura comunale in concessione a privati?", Kind: program.KindBoolean},
				{Name: "inAgreement", Label: "Struttura privata in convenzione", Kind: program.KindBoolean},
				{Name: "agreementProtocol", Label: "Protocollo convenzione", Kind: program.KindText},
				{Name: "agreementExpiry", Label: "Data scadenza della convenzione", Kind: program.KindDate},
				{Name: "renewalCommitment", Label: "È previsto il rinnovo in grado di garantire la copertura dell'anno 2025/2026?", Kind: program.KindBoolean},
				{Name: "placesBought", Label: "N. posti convenzionati anno 2025/2026", Kind: program.KindInteger},
				{Name: "fees", Label: "Rette", Kind: program.KindList, Required: true, Fields: []program.Field{
					{Name: "mode", Label: "Modalità di frequenza", Kind: program.KindChoice, Required: true,
						Options: program.Options(Modes, "part_time", "full_time", "extended_time", "other")},
					{Name: "modeDescription", Label: "Descrizione della modalità", Kind: program.KindText},
					amounts("isee20000", "ISEE pari a 20.000,00 euro"),
					amounts("isee25000", "ISEE pari a 25.000,00 euro"),
				}},
			}},
	}
}
