// Package lombardia is Regione Lombardia's "Nidi Gratis Plus 2025/2026 –
// adesione dei Comuni": Comuni, alone or associated through a capofila,
// join the measure with the facilities (public, or private in agreement)
// where families will have the fee above the INPS bonus paid by the Region.
// The form is the facsimile Allegato A1.
package lombardia

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// ID of the program.
const ID = "lombardia-ngp-2025"

var (
	// AgreementCover: an agreement expiring before this day needs the
	// Comune's commitment to renew it (the educational year's end).
	AgreementCover = program.MustDate("2026-07-31")
	// MaxIncrease is the 7 % limit on fee increases for returning Comuni.
	MaxIncrease = program.Decimal{Hundredths: 700, Set: true}
)

// Declarations are the obligations of the Allegato A1; every one must be
// "Sì". The first three are the declarations on the nature of the entity.
var Declarations = []struct{ Key, Text string }{
	{"ownsOrContractsNidi", "È titolare di asili nido o micronidi pubblici e/o ha sottoscritto convenzioni per posti in strutture private"},
	{"cofundsServices", "Compartecipa alla spesa per i servizi per la prima infanzia"},
	{"iseeReductionsResidents", "Adotta agevolazioni tariffarie differenziate in base all'ISEE a favore delle famiglie residenti"},
	{"deliberatedAdhesion", "Ha deliberato l'adesione alla Misura Nidi Gratis Plus 2025/2026"},
	{"communicateChanges", "Comunicare tempestivamente qualsiasi variazione rispetto a quanto deliberato e dichiarato"},
	{"cooperate", "Cooperare con Regione Lombardia e rispettare le scadenze di rendicontazione e controllo"},
	{"supportFamilies", "Dare supporto alle famiglie negli adempimenti per la domanda"},
	{"confirmApplications", "Confermare che le domande delle famiglie riguardano bambini iscritti in nidi ammessi"},
	{"noPaymentUntilReview", "Non richiedere alle famiglie la quota aggiuntiva fino al completamento dell'istruttoria"},
	{"informNonAdmitted", "Comunicare senza ritardo alle famiglie non ammesse l'obbligo di pagamento"},
	{"trackAttendance", "Assicurare che i nidi ammessi traccino presenze e assenze"},
	{"provideIntegrations", "Fornire le integrazioni documentali richieste nei tempi indicati"},
	{"keepDocumentation", "Conservare la documentazione ai sensi dell'art. 82 del Reg. (UE) 2021/1060"},
	{"allowControls", "Consentire e facilitare i controlli documentali e in loco"},
	{"informESF", "Informare i destinatari del contributo del Fondo Sociale Europeo Plus"},
	{"publicizeRegion", "Evidenziare nella pubblicità il concorso di risorse di Regione Lombardia"},
	{"requestReimbursement", "Richiedere il rimborso delle rette maturate dalle famiglie ammesse secondo le modalità indicate"},
	{"communicateAccessChanges", "Informare tempestivamente di variazioni nell'accesso e fruizione del servizio"},
	{"noReimbursementOfFamilyPaid", "Non richiedere il rimborso della quota pagata dalle famiglie"},
	{"noChangesToDeclared", "Non modificare quanto deliberato e dichiarato"},
}

// Program implements program.Program.
type Program struct{}

// New returns the program.
func New() Program { return Program{} }

// ID is the program id.
func (Program) ID() string { return ID }

// Region is Lombardia.
func (Program) Region() string { return "LOM" }

// ApplicantKinds: Comuni (an association files through its capofila).
func (Program) ApplicantKinds() []string { return []string{program.KindComune} }

var signed = []string{"application/pdf", "application/pkcs7-mime"}

// DocumentKinds: every upload must be signed electronically (CAdES .p7m
// or PAdES PDF), except the identity documents that go with a delega.
func (Program) DocumentKinds() []program.DocumentKind {
	k := func(kind, title string, mustSign bool) program.DocumentKind {
		return program.DocumentKind{Kind: kind, Title: title, ContentTypes: signed, MaxBytes: 50 << 20, MustBeSigned: mustSign}
	}
	return []program.DocumentKind{
		k("delibera_giunta", "Delibera di Giunta di adesione", true),
		k("convenzione", "Convenzione con struttura privata", true),
		k("delibera_tariffe", "Deliberazione di approvazione delle tariffe", true),
		k("regolamento_or_carta", "Regolamento del nido o Carta dei servizi", true),
		k("allegato_a3", "Allegato A3 – nomina a Responsabile del trattamento", true),
		k("allegato_a1_signed", "Domanda di adesione (Allegato A1) firmata", true),
		k("delega", "Delega alla presentazione", true),
		k("id_document", "Documento di identità (delegante e delegato)", false),
	}
}

// Person is a contact, representative or signatory.
type Person struct {
	FiscalCode string       `json:"fiscalCode"`
	Surname    string       `json:"surname"`
	Name       string       `json:"name"`
	Phone      string       `json:"phone"`
	Email      string       `json:"email"`
	BirthDate  program.Date `json:"birthDate"`
	BirthPlace string       `json:"birthPlace"`
}

// Entity is the applicant Comune (or capofila).
type Entity struct {
	Name            string `json:"name"`
	FiscalCode      string `json:"fiscalCode"`
	Address         string `json:"address"`
	PostCode        string `json:"postCode"`
	Province        string `json:"province"`
	Email           string `json:"email"`
	PEC             string `json:"pec"`
	PECConfirmation string `json:"pecConfirmation"`
	Office          string `json:"office"`
}

// Resolution is the Delibera di Giunta.
type Resolution struct {
	Date   program.Date `json:"date"`
	Number string       `json:"number"`
}

// Amounts are a monthly fee's parts for one ISEE value.
type Amounts struct {
	Total       *money.Cents `json:"total"`       // family (incl. INPS bonus) + Comune
	FamilyShare *money.Cents `json:"familyShare"` // including the INPS bonus, net of the Comune's contribution
	ComuneShare *money.Cents `json:"comuneShare"`
}

// Fee is one attendance mode's fees.
type Fee struct {
	Mode      string  `json:"mode"` // full_time, part_time, …
	ISEE20000 Amounts `json:"isee20000"`
	ISEE25000 Amounts `json:"isee25000"`
}

// Facility is one nido of the application.
type Facility struct {
	AFAMUDOS              string       `json:"afamUdos"`
	Name                  string       `json:"name"`
	Address               string       `json:"address"`
	AuthorisedPlaces      int          `json:"authorisedPlaces"`
	Public                bool         `json:"public"`
	PrivateConcessionaire bool         `json:"privateConcessionaire"`
	InAgreement           bool         `json:"inAgreement"`
	AgreementProtocol     string       `json:"agreementProtocol"`
	AgreementExpiry       program.Date `json:"agreementExpiry"`
	RenewalCommitment     bool         `json:"renewalCommitment"`
	PlacesBought          int          `json:"placesBought"`
	Fees                  []Fee        `json:"fees"`
}

// Form is the Allegato A1.
type Form struct {
	Entity                         Entity          `json:"entity"`
	Declarations                   map[string]bool `json:"declarations"`
	Resolution                     Resolution      `json:"resolution"`
	Referent                       Person          `json:"contact"`
	LegalRepresentative            Person          `json:"legalRepresentative"`
	SignatoryIsLegalRepresentative bool            `json:"signatoryIsLegalRepresentative"`
	Signatory                      *Person         `json:"signatory"`
	ApplicationType                string          `json:"applicationType"` // single | associated
	AssociationKind                string          `json:"associationKind"` // consortium | union | mountain_community | ufficio_di_piano
	Members                        []string        `json:"members"`         // ISTAT codes, capofila included or implied
	NonResidentReductions          string          `json:"nonResidentReductions"`
	NonResidentComuni              []string        `json:"nonResidentComuni"`
	SpecialCasesDescription        string          `json:"specialCasesDescription"`
	ComuniWithReducedFees          []string        `json:"comuniWithReducedFees"`
	ComuniInAgreement              []string        `json:"comuniInAgreement"`
	FeeMethod                      string          `json:"feeMethod"` // bands | linear
	LinearFormula                  string          `json:"linearFormula"`
	ParticipatedLastEdition        bool            `json:"participatedLastEdition"`
	FeesIncreased                  bool            `json:"feesIncreased"`
	IncreasePercent                program.Decimal `json:"increasePercent"`
	IncreaseReason                 string          `json:"increaseReason"` // none | management_change | method_change
	Facilities                     []Facility      `json:"facilities"`
}

// Decode reads the A1 strictly.
func (Program) Decode(raw json.RawMessage) (program.Form, error) {
	var f Form
	if err := program.Strict(raw, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

func checkComuni(out *problem.Fields, reg program.Registry, path string, codes []string, lombardyOnly bool) {
	seen := map[string]bool{}
	for i, code := range codes {
		p := fmt.Sprintf("%s[%d]", path, i)
		c, ok := reg.Comune(code)
		switch {
		case !ok:
			out.Add(p, problem.FieldInvalid, "Codice ISTAT %q sconosciuto.", code)
		case lombardyOnly && c.RegionCode != "03":
			out.Add(p, problem.FieldInvalid, "%s non è un Comune lombardo.", c.Name)
		case seen[code]:
			out.Add(p, problem.FieldInvalid, "Comune ripetuto.")
		}
		seen[code] = true
	}
}

// Check returns every problem of the A1.
func (f *Form) Check(ctx program.Context) problem.Fields {
	var out problem.Fields
	reg := ctx.Registry
	istat := program.OrgID(ctx.Org)
	if c, ok := reg.Comune(istat); !ok || c.RegionCode != "03" {
		out.Add("org", problem.FieldInvalid, "Il Comune %s non è un Comune lombardo.", istat)
	}
	e := f.Entity
	program.Text(&out, "entity.name", e.Name, 300)
	if !program.ValidFiscalCode(e.FiscalCode) || len(e.FiscalCode) != 11 {
		out.Add("entity.fiscalCode", problem.FieldInvalid, "Codice fiscale dell'ente non valido (11 cifre).")
	}
	program.Text(&out, "entity.address", e.Address, 300)
	if len(e.PostCode) != 5 || strings.Trim(e.PostCode, "0123456789") != "" {
		out.Add("entity.postCode", problem.FieldInvalid, "CAP di 5 cifre.")
	}
	program.Text(&out, "entity.province", e.Province, 2)
	if !program.ValidEmail(e.Email) {
		out.Add("entity.email", problem.FieldInvalid, "Indicare l'e-mail per le comunicazioni ufficiali.")
	}
	if !program.ValidEmail(e.PEC) {
		out.Add("entity.pec", problem.FieldInvalid, "Indicare un indirizzo PEC valido.")
	} else if e.PECConfirmation != e.PEC {
		out.Add("entity.pecConfirmation", problem.FieldMismatch, "La conferma non coincide con l'indirizzo PEC.")
	}
	program.Text(&out, "entity.office", e.Office, 200)

	for k := range f.Declarations {
		if !slices.ContainsFunc(Declarations, func(d struct{ Key, Text string }) bool { return d.Key == k }) {
			out.Add("declarations."+k, problem.FieldUnknown, "Dichiarazione non prevista.")
		}
	}
	for _, d := range Declarations {
		if !f.Declarations[d.Key] {
			out.Add("declarations."+d.Key, "must_be_true", "Dichiarazione obbligatoria: %s.", d.Text)
		}
	}
	if f.Resolution.Date.IsZero() {
		out.Add("resolution.date", problem.FieldRequired, "Indicare la data della Delibera di Giunta.")
	} else if f.Resolution.Date.After(program.Date{Time: ctx.Now.UTC()}) {
		out.Add("resolution.date", problem.FieldInvalid, "La delibera non può avere una data futura.")
	}
	program.Text(&out, "resolution.number", f.Resolution.Number, 50)

	program.Text(&out, "contact.surname", f.Referent.Surname, 100)
	program.Text(&out, "contact.name", f.Referent.Name, 100)
	program.Text(&out, "contact.phone", f.Referent.Phone, 30)
	if !program.ValidEmail(f.Referent.Email) {
		out.Add("contact.email", problem.FieldInvalid, "E-mail del referente non valida.")
	}
	checkPerson(&out, "legalRepresentative", f.LegalRepresentative, false)
	switch {
	case !f.SignatoryIsLegalRepresentative && f.Signatory == nil:
		out.Add("signatory", problem.FieldRequired, "Indicare il firmatario, se diverso dal legale rappresentante.")
	case !f.SignatoryIsLegalRepresentative:
		checkPerson(&out, "signatory", *f.Signatory, true)
	case f.Signatory != nil:
		out.Add("signatory", problem.FieldNotAllowed, "Il firmatario coincide con il legale rappresentante: non va indicato.")
	}

	switch f.ApplicationType {
	case "single":
		if len(f.Members) > 0 || f.AssociationKind != "" {
			out.Add("members", problem.FieldNotAllowed, "Una domanda singola non ha Comuni associati.")
		}
	case "associated":
		switch f.AssociationKind {
		case "consortium", "union", "mountain_community", "ufficio_di_piano":
		default:
			out.Add("associationKind", problem.FieldInvalid, "Forma associata: consortium, union, mountain_community o ufficio_di_piano.")
		}
		checkComuni(&out, reg, "members", f.Members, true)
		if len(f.members(ctx.Org)) < 2 {
			out.Add("members", problem.FieldRequired, "Una domanda associata indica almeno un altro Comune oltre al capofila.")
		}
	default:
		out.Add("applicationType", problem.FieldInvalid, "Forma di partecipazione: single o associated.")
	}
	switch f.NonResidentReductions {
	case "none", "region_wide":
	case "some_comuni":
		if len(f.NonResidentComuni) == 0 {
			out.Add("nonResidentComuni", problem.FieldRequired, "Indicare i Comuni i cui residenti hanno agevolazioni.")
		}
		checkComuni(&out, reg, "nonResidentComuni", f.NonResidentComuni, false)
	case "special_cases":
		program.Text(&out, "specialCasesDescription", f.SpecialCasesDescription, 2000)
	default:
		out.Add("nonResidentReductions", problem.FieldInvalid, "Agevolazioni ai non residenti: none, region_wide, some_comuni o special_cases.")
	}
	checkComuni(&out, reg, "comuniWithReducedFees", f.ComuniWithReducedFees, false)
	checkComuni(&out, reg, "comuniInAgreement", f.ComuniInAgreement, false)
	switch f.FeeMethod {
	case "bands":
	case "linear":
		program.Text(&out, "linearFormula", f.LinearFormula, 2000)
	default:
		out.Add("feeMethod", problem.FieldInvalid, "Calcolo delle rette: bands (fasce ISEE) o linear (funzione lineare).")
	}
	if f.FeesIncreased {
		switch {
		case !f.IncreasePercent.Set:
			out.Add("increasePercent", problem.FieldRequired, "Indicare l'aumento percentuale rispetto al 2024/2025.")
		case f.ParticipatedLastEdition && f.IncreasePercent.Hundredths > MaxIncrease.Hundredths && f.IncreaseReason == "none":
			out.Add("increasePercent", "increase_over_limit", "Per i Comuni aderenti nel 2024/2025 l'aumento per le fasce ISEE fino a 25.000 euro non può superare il 7%%, salvo cambio di gestione o di modalità di calcolo.")
		}
		switch f.IncreaseReason {
		case "none", "management_change", "method_change":
		default:
			out.Add("increaseReason", problem.FieldInvalid, "Motivo dell'aumento: none, management_change o method_change.")
		}
	}
	if len(f.Facilities) == 0 {
		out.Add("facilities", problem.FieldRequired, "Indicare almeno una struttura (pubblica o privata in convenzione).")
	}
	seen := map[string]bool{}
	for i, fac := range f.Facilities {
		p := fmt.Sprintf("facilities[%d]", i)
		if seen[fac.AFAMUDOS] {
			out.Add(p+".afamUdos", problem.FieldInvalid, "Struttura ripetuta.")
		}
		seen[fac.AFAMUDOS] = true
		checkFacility(&out, p, fac, reg)
	}
	return out
}

func checkPerson(out *problem.Fields, path string, p Person, birth bool) {
	if !program.ValidFiscalCode(p.FiscalCode) || len(p.FiscalCode) != 16 {
		out.Add(path+".fiscalCode", problem.FieldInvalid, "Codice fiscale personale non valido.")
	}
	program.Text(out, path+".surname", p.Surname, 100)
	program.Text(out, path+".name", p.Name, 100)
	if birth {
		if p.BirthDate.IsZero() {
			out.Add(path+".birthDate", problem.FieldRequired, "Indicare la data di nascita.")
		}
		program.Text(out, path+".birthPlace", p.BirthPlace, 100)
	}
}

func checkFacility(out *problem.Fields, p string, fac Facility, reg program.Registry) {
	reg0, ok := reg.Facility(fac.AFAMUDOS)
	switch {
	case fac.AFAMUDOS == "":
		out.Add(p+".afamUdos", problem.FieldRequired, "Indicare il codice AFAM_UDOS della struttura.")
	case !ok:
		out.Add(p+".afamUdos", problem.FieldInvalid, "Codice AFAM_UDOS %q inesistente.", fac.AFAMUDOS)
	case !reg0.Active:
		out.Add(p+".afamUdos", problem.FieldInvalid, "La struttura %q non risulta attiva in AFAM.", fac.AFAMUDOS)
	case reg0.Public != fac.Public:
		out.Add(p+".public", problem.FieldMismatch, "La natura pubblica/privata non corrisponde al registro AFAM.")
	}
	program.Text(out, p+".name", fac.Name, 300)
	program.Text(out, p+".address", fac.Address, 300)
	if fac.AuthorisedPlaces <= 0 {
		out.Add(p+".authorisedPlaces", problem.FieldRequired, "Indicare i posti autorizzati.")
	} else if ok && reg0.Places > 0 && fac.AuthorisedPlaces > reg0.Places {
		out.Add(p+".authorisedPlaces", problem.FieldInvalid, "I posti autorizzati superano quelli del registro AFAM (%d).", reg0.Places)
	}
	private := !fac.Public
	if private && !fac.InAgreement {
		out.Add(p+".inAgreement", problem.FieldRequired, "Una struttura privata partecipa solo se convenzionata con il Comune.")
	}
	if fac.InAgreement {
		program.Text(out, p+".agreementProtocol", fac.AgreementProtocol, 100)
		switch {
		case fac.AgreementExpiry.IsZero():
			out.Add(p+".agreementExpiry", problem.FieldRequired, "Indicare la scadenza della convenzione.")
		case fac.AgreementExpiry.Before(AgreementCover) && !fac.RenewalCommitment:
			out.Add(p+".renewalCommitment", "must_be_true", "La convenzione scade prima del 31/07/2026: il Comune deve impegnarsi a rinnovarla.")
		}
		if fac.PlacesBought <= 0 {
			out.Add(p+".placesBought", problem.FieldRequired, "Indicare i posti acquistati in convenzione per il 2025/2026.")
		} else if fac.PlacesBought > fac.AuthorisedPlaces {
			out.Add(p+".placesBought", problem.FieldInvalid, "I posti in convenzione (%d) superano quelli autorizzati (%d).", fac.PlacesBought, fac.AuthorisedPlaces)
		}
	}
	if len(fac.Fees) == 0 {
		out.Add(p+".fees", problem.FieldRequired, "Indicare le rette per almeno una modalità di frequenza.")
	}
	modes := map[string]bool{}
	for j, fee := range fac.Fees {
		fp := fmt.Sprintf("%s.fees[%d]", p, j)
		program.Text(out, fp+".mode", fee.Mode, 50)
		if modes[fee.Mode] {
			out.Add(fp+".mode", problem.FieldInvalid, "Modalità di frequenza ripetuta.")
		}
		modes[fee.Mode] = true
		checkAmounts(out, fp+".isee20000", fee.ISEE20000, private && fac.InAgreement)
		checkAmounts(out, fp+".isee25000", fee.ISEE25000, private && fac.InAgreement)
	}
}

func checkAmounts(out *problem.Fields, p string, a Amounts, comuneShareRequired bool) {
	if a.Total == nil || *a.Total <= 0 {
		out.Add(p+".total", problem.FieldRequired, "Indicare la retta complessiva.")
		return
	}
	if a.FamilyShare == nil || *a.FamilyShare < 0 {
		out.Add(p+".familyShare", problem.FieldRequired, "Indicare la quota a carico della famiglia (comprensiva del Bonus INPS).")
		return
	}
	if *a.FamilyShare > *a.Total {
		out.Add(p+".familyShare", problem.FieldInvalid, "La quota della famiglia (%s) supera la retta complessiva (%s).", a.FamilyShare, a.Total)
	}
	if a.ComuneShare == nil {
		if comuneShareRequired {
			out.Add(p+".comuneShare", problem.FieldRequired, "Per le strutture private in convenzione indicare la quota a carico del Comune.")
		}
		return
	}
	if *a.ComuneShare < 0 || *a.FamilyShare+*a.ComuneShare != *a.Total {
		out.Add(p+".comuneShare", problem.FieldMismatch, "Quota famiglia (%s) + quota Comune (%s) deve essere uguale alla retta complessiva (%s).", a.FamilyShare, a.ComuneShare, a.Total)
	}
}

// members are the Comuni the application covers: the capofila and the
// associated ones.
func (f *Form) members(org string) []string {
	set := map[string]bool{program.OrgID(org): true}
	if f.ApplicationType == "associated" {
		for _, m := range f.Members {
			set[m] = true
		}
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// RequiredDocuments of the A1 (seed §C.1): missing mandatory ones make the
// application inadmissible.
func (f *Form) RequiredDocuments(program.Context) []program.DocumentNeed {
	needs := []program.DocumentNeed{
		{Kind: "delibera_giunta", Count: 1, Reason: "Delibera di Giunta di adesione"},
		{Kind: "delibera_tariffe", Count: 1, Reason: "deliberazione di approvazione delle tariffe"},
		{Kind: "regolamento_or_carta", Count: 1, Reason: "regolamento del nido o Carta dei servizi"},
		{Kind: "allegato_a3", Count: 1, Reason: "Allegato A3 firmato"},
		{Kind: "allegato_a1_signed", Count: 1, Reason: "domanda generata (Allegato A1) firmata"},
	}
	n := 0
	for _, fac := range f.Facilities {
		if !fac.Public && fac.InAgreement {
			n++
		}
	}
	if n > 0 {
		needs = append(needs, program.DocumentNeed{Kind: "convenzione", Count: n, Reason: fmt.Sprintf("una convenzione per ciascuna delle %d strutture private", n)})
	}
	return needs
}

// Claims: every Comune covered; a Comune in a filed association cannot
// file alone, and vice versa.
func (f *Form) Claims(org string) []string {
	var out []string
	for _, m := range f.members(org) {
		out = append(out, "comune:"+m)
	}
	return out
}

// ClaimConflictCode is member_conflict.
func (f *Form) ClaimConflictCode() string { return problem.CodeMemberConflict }

// Contact is the e-mail for official communications.
func (f *Form) Contact() string { return f.Entity.Email }

// Summary names the entity and counts facilities.
func (f *Form) Summary() string {
	kind := "singola"
	if f.ApplicationType == "associated" {
		kind = fmt.Sprintf("associata (%d Comuni)", len(f.Members))
	}
	return fmt.Sprintf("%s – domanda %s, %d strutture", f.Entity.Name, kind, len(f.Facilities))
}

// Flags are what the officer must assess: a fee increase above 7 %
// justified by a change of management or of fee method.
func (f *Form) Flags() []string {
	if f.FeesIncreased && f.IncreasePercent.Hundredths > MaxIncrease.Hundredths && f.IncreaseReason != "none" && f.IncreaseReason != "" {
		return []string{"fee_increase_over_7_percent:" + f.IncreaseReason}
	}
	return nil
}

func yes(b bool) string {
	if b {
		return "Sì"
	}
	return "No"
}

func amount(c *money.Cents) string {
	if c == nil {
		return "—"
	}
	return "€ " + c.String()
}

// Sections renders the A1 facsimile from the draft data, in the order of
// the Region's form.
func (f *Form) Sections() []program.Section {
	e := f.Entity
	s := []program.Section{{Title: "Dati generali dell'Ente richiedente", Rows: [][2]string{
		{"Natura giuridica", "Comune"}, {"Denominazione", e.Name}, {"Codice fiscale", e.FiscalCode},
		{"Sede legale", strings.TrimSpace(e.Address + " " + e.PostCode + " " + e.Province)},
		{"E-mail per le comunicazioni ufficiali", e.Email}, {"PEC", e.PEC}, {"PEC confermata", yes(e.PEC != "" && e.PEC == e.PECConfirmation)},
		{"Ufficio", e.Office},
	}}}
	decl := program.Section{Title: "Dichiarazioni e obblighi del Comune"}
	for _, d := range Declarations {
		decl.Rows = append(decl.Rows, [2]string{d.Text, yes(f.Declarations[d.Key])})
	}
	decl.Rows = append(decl.Rows, [2]string{"Data della Delibera", f.Resolution.Date.Italian()}, [2]string{"Numero della Delibera", f.Resolution.Number})
	s = append(s, decl)
	signatory := "Coincide con il rappresentante legale"
	if !f.SignatoryIsLegalRepresentative && f.Signatory != nil {
		signatory = f.Signatory.Surname + " " + f.Signatory.Name + " (" + f.Signatory.FiscalCode + ")"
	}
	s = append(s, program.Section{Title: "Dati della domanda", Rows: [][2]string{
		{"Referente", f.Referent.Surname + " " + f.Referent.Name + ", tel. " + f.Referent.Phone + ", " + f.Referent.Email},
		{"Rappresentante legale", f.LegalRepresentative.Surname + " " + f.LegalRepresentative.Name + " (" + f.LegalRepresentative.FiscalCode + ")"},
		{"Firmatario", signatory},
		{"Forma di partecipazione", map[string]string{"single": "Singola", "associated": "Associata (" + f.AssociationKind + ")"}[f.ApplicationType]},
		{"Comuni associati", strings.Join(f.Members, ", ")},
		{"Agevolazioni ai non residenti", f.NonResidentReductions + " " + f.SpecialCasesDescription},
		{"Calcolo delle rette", map[string]string{"bands": "Su base di fasce", "linear": "Funzione lineare: " + f.LinearFormula}[f.FeeMethod]},
		{"Aumento rispetto al 2024/2025", yes(f.FeesIncreased) + " " + f.IncreasePercent.String() + "% " + f.IncreaseReason},
	}})
	for i, fac := range f.Facilities {
		sec := program.Section{Title: fmt.Sprintf("Struttura %d – %s", i+1, fac.AFAMUDOS), Rows: [][2]string{
			{"Nome", fac.Name}, {"Indirizzo", fac.Address}, {"Posti autorizzati", fmt.Sprint(fac.AuthorisedPlaces)},
			{"Pubblica", yes(fac.Public)}, {"Comunale in concessione a privati", yes(fac.PrivateConcessionaire)},
		}}
		if fac.InAgreement {
			sec.Rows = append(sec.Rows, [2]string{"Protocollo convenzione", fac.AgreementProtocol},
				[2]string{"Scadenza convenzione", fac.AgreementExpiry.Italian()}, [2]string{"Posti convenzionati 2025/2026", fmt.Sprint(fac.PlacesBought)},
				[2]string{"Rinnovo previsto", yes(fac.RenewalCommitment)})
		}
		for _, fee := range fac.Fees {
			sec.Rows = append(sec.Rows,
				[2]string{fee.Mode + " – ISEE 20.000", "retta " + amount(fee.ISEE20000.Total) + ", famiglia " + amount(fee.ISEE20000.FamilyShare) + ", Comune " + amount(fee.ISEE20000.ComuneShare)},
				[2]string{fee.Mode + " – ISEE 25.000", "retta " + amount(fee.ISEE25000.Total) + ", famiglia " + amount(fee.ISEE25000.FamilyShare) + ", Comune " + amount(fee.ISEE25000.ComuneShare)})
		}
		s = append(s, sec)
	}
	return s
}
