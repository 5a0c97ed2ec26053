// Package lombardia is Regione Lombardia's "Nidi Gratis Plus 2025/2026 –
// adesione dei Comuni" (d.d.u.o. 26 giugno 2025 n. 9137): Comuni, alone or
// associated through a capofila, join the measure with the facilities
// (public, or private in agreement) where families will have the fee
// above the INPS bonus paid by the Region. The form is the facsimile
// Allegato A1.
package lombardia

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// ID of the program.
const ID = "lombardia-ngp-2025"

var (
	// AgreementCover: an agreement expiring before this day must come with
	// the Comune's commitment to renew it (A.4.3: "prima del 31 luglio 2026").
	AgreementCover = program.MustDate("2026-07-31")
	// MaxIncrease is the 7 % limit on fee increases for Comuni of the
	// 2024/25 edition (A.4.4), in hundredths of a percentage point.
	MaxIncrease = program.Decimal{Hundredths: 700, Set: true}
)

// Declaration is one "Sì" of the Allegato A1.
type Declaration struct{ Key, Text string }

// NatureDeclarations are the "Dichiarazioni sulla natura dell'ente" of
// section 3-4 of the A1 (requirements A.4.1-3).
var NatureDeclarations = []Declaration{
	{"ownsOrContractsNidi", "È titolare di asili nido o micronidi pubblici e/o ha sottoscritto convenzioni per l'utilizzo di posti in strutture private, in forma singola o associata"},
	{"cofundsServices", "Compartecipa alla spesa per i servizi per la prima infanzia (asili nido/micronidi)"},
	{"iseeReductionsResidents", "Adotta agevolazioni tariffarie, differenziate in base all'ISEE, a favore delle famiglie residenti"},
}

// Obligations are the 17 "Dichiarazioni e obblighi del Comune" of section
// 1-4 of the A1, in its order.
var Obligations = []Declaration{
	{"deliberatedAdhesion", "Il Comune, ritenuta la misura coerente con le proprie funzioni istituzionali, si è reso disponibile a garantire il necessario supporto e ha deliberato l'adesione alla Misura Nidi Gratis Plus 2025/2026"},
	{"communicateChanges", "Comunicare tempestivamente a Regione Lombardia qualsiasi variazione rispetto a quanto deliberato e dichiarato"},
	{"cooperate", "Cooperare con Regione Lombardia in ottica di leale collaborazione e rispettare le scadenze di rendicontazione e controllo"},
	{"supportFamilies", "Dare supporto, qualora richiesto, alle famiglie negli adempimenti per la domanda di partecipazione"},
	{"confirmApplications", "Confermare che le domande delle famiglie riguardano bambini iscritti presso nidi ammessi, in posti per cui il Comune compartecipa alla spesa e applica tariffe commisurate all'ISEE"},
	{"noPaymentUntilReview", "Non richiedere alle famiglie la quota di retta aggiuntiva rispetto al rimborso INPS fino al completamento dell'istruttoria, e verificarlo presso tutte le strutture ammesse"},
	{"informNonAdmitted", "Verificare l'esito dell'istruttoria delle famiglie e comunicare senza ritardo alle non ammesse l'obbligo di pagamento"},
	{"trackAttendance", "Assicurarsi che i nidi e micronidi ammessi adottino strumenti per tracciare presenze e assenze dei bambini"},
	{"provideIntegrations", "Fornire le informazioni e le integrazioni documentali richieste nei tempi indicati"},
	{"keepDocumentation", "Assicurarsi che la documentazione sia conservata presso le strutture ai sensi dell'art. 82 del Reg. (UE) 2021/1060"},
	{"allowControls", "Consentire e facilitare approfondimenti e controlli, documentali e in loco"},
	{"informESF", "Collaborare alle azioni di informazione sul contributo del Fondo Sociale Europeo Plus"},
	{"publicizeRegion", "Evidenziare in ogni forma di pubblicizzazione il concorso di risorse di Regione Lombardia"},
	{"requestReimbursement", "Richiedere il rimborso delle rette maturate dalle famiglie ammesse, entro i massimali, secondo modalità e tempi di rendicontazione"},
	{"communicateAccessChanges", "Dare tempestiva informazione sulle variazioni nell'accesso e nella fruizione del servizio rilevanti per la Misura"},
	{"noReimbursementOfFamilyPaid", "Non richiedere il rimborso della quota di retta pagata dalle famiglie, neppure se poi rimborsata"},
	{"noChangesToDeclared", "Non modificare quanto deliberato e quanto precedentemente dichiarato"},
}

// Enumerations of the A1, with their Italian labels.
var (
	AssociationKinds = map[string]string{"consortium": "Consorzio di Comuni", "union": "Unione di Comuni",
		"mountain_community": "Comunità montana", "ufficio_di_piano": "Ufficio di Piano (Ambito)"}
	NonResidentReductions = map[string]string{"none": "No, solo residenti", "region_wide": "Sì – in tutta la Regione",
		"some_comuni": "Sì – solo in alcuni Comuni", "special_cases": "Sì – per particolari casistiche"}
	FeeMethods      = map[string]string{"bands": "Su base di fasce ISEE", "linear": "Funzione lineare"}
	IncreaseReasons = map[string]string{"none": "Adeguamento entro il 7%", "management_change": "Cambio delle modalità di gestione del servizio",
		"method_change": "Cambio delle modalità di calcolo delle rette"}
	Modes = map[string]string{"part_time": "Part time", "full_time": "Tempo pieno", "extended_time": "Tempo prolungato", "other": "Altra modalità"}
)

// Document kinds (A1 section C.1, A.4).
const (
	DocDeliberaGiunta     = "delibera_giunta"
	DocConvenzione        = "convenzione"
	DocDeliberaTariffe    = "delibera_tariffe"
	DocRegolamentoOrCarta = "regolamento_or_carta"
	DocAllegatoA3         = "allegato_a3"
	DocAllegatoA1Signed   = "allegato_a1_signed"
	DocConvenzioneComuni  = "convenzione_comuni"
	DocAccordoComuni      = "accordo_comuni"
	DocCofunding          = "cofunding_evidence"
	DocDelega             = "delega"
	DocIdentityDocument   = "id_document"
)

// Program implements program.Program.
type Program struct{}

// New returns the program.
func New() Program { return Program{} }

// ID is the program id.
func (Program) ID() string { return ID }

// Region is Lombardia's.
func (Program) Region() program.Region { return Region }

// Region is Lombardia.
var Region = program.Region{Code: "LOM", Name: "Lombardia", ISTAT: "03"}

// ApplicantKinds: Comuni (an association files through its capofila).
func (Program) ApplicantKinds() []string { return []string{program.KindComune} }

var pdfOrP7M = []string{"application/pdf", "application/pkcs7-mime"}

// DocumentKinds: every upload must be signed electronically, CAdES .p7m or
// PAdES PDF (C.1, eIDAS), except the identity documents and the Allegato
// A3, which C.1 also accepts signed by hand with the signer's identity
// document ("sarà accettata la firma autografa solo se corredato da
// documento di identità"). A convenzione carries both parties' signatures
// (A.4.3) and, like the other documents about one facility, is uploaded
// for that facility (ref: its AFAM_UDOS code). Up to 50 MB each.
func (Program) DocumentKinds() []program.DocumentKind {
	k := func(kind, title string, mustSign bool) program.DocumentKind {
		return program.DocumentKind{Kind: kind, Title: title, ContentTypes: pdfOrP7M, MaxBytes: 50 << 20, MustBeSigned: mustSign}
	}
	perFacility := func(d program.DocumentKind) program.DocumentKind {
		d.PerItem = "struttura"
		return d
	}
	convenzione := perFacility(k(DocConvenzione, "Convenzione con struttura privata autorizzata (firmata da entrambe le parti)", true))
	convenzione.MinSigners = 2
	return []program.DocumentKind{
		k(DocDeliberaGiunta, "Delibera di Giunta comunale di adesione", true),
		convenzione,
		k(DocDeliberaTariffe, "Deliberazione di approvazione delle tariffe o documento equivalente", true),
		k(DocRegolamentoOrCarta, "Regolamento comunale del nido o Carta dei servizi", true),
		k(DocAllegatoA3, "Allegato A3 – atto di nomina a Responsabile del trattamento (firma digitale, o autografa con documento d'identità)", false),
		k(DocAllegatoA1Signed, "Domanda di adesione generata (Allegato A1) firmata", true),
		k(DocConvenzioneComuni, "Convenzioni con altri Comuni per le agevolazioni ai non residenti", true),
		perFacility(k(DocAccordoComuni, "Accordo tra Comuni per una struttura comunale in altro Comune", true)),
		perFacility(k(DocCofunding, "Documentazione di altre forme di compartecipazione del Comune", true)),
		k(DocDelega, "Delega del rappresentante legale", true),
		k(DocIdentityDocument, "Documento d'identità (delegante e delegato; firmatario dell'Allegato A3 firmato a mano)", false),
	}
}

// Person is a contact, representative or signatory.
type Person struct {
	FiscalCode    string       `json:"fiscalCode"`
	Surname       string       `json:"surname"`
	Name          string       `json:"name"`
	Phone         string       `json:"phone"`
	Email         string       `json:"email"`
	BirthDate     program.Date `json:"birthDate"`
	BirthProvince string       `json:"birthProvince"` // plate code, EE abroad
	BirthPlace    string       `json:"birthPlace"`    // Comune or foreign State
}

// Entity is the applicant Comune (or capofila).
type Entity struct {
	Name            string `json:"name"`
	FiscalCode      string `json:"fiscalCode"`
	Address         string `json:"address"`
	PostCode        string `json:"postCode"`
	Province        string `json:"province"`
	Email           string `json:"email"` // for official communications and the receipt
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
	// FamilyShare2024 is the family share approved for 2024/25 (returning
	// Comuni find it pre-loaded): when given, the 7 % rule is checked on it
	// exactly.
	FamilyShare2024 *money.Cents `json:"familyShare2024"`
}

// Fee is one attendance mode's fees.
type Fee struct {
	Mode            string  `json:"mode"`            // a key of Modes
	ModeDescription string  `json:"modeDescription"` // for "other", and optionally for any
	ISEE20000       Amounts `json:"isee20000"`
	ISEE25000       Amounts `json:"isee25000"`
}

// Facility is one nido of the application.
type Facility struct {
	AFAMUDOS              string       `json:"afamUdos"`
	Name                  string       `json:"name"`
	Address               string       `json:"address"`
	AuthorisedPlaces      int          `json:"authorisedPlaces"`
	Public                bool         `json:"public"`
	PrivateConcessionaire bool         `json:"privateConcessionaire"` // a municipal nido run by a private concessionaire
	InAgreement           bool         `json:"inAgreement"`
	AgreementProtocol     string       `json:"agreementProtocol"`
	AgreementExpiry       program.Date `json:"agreementExpiry"`
	RenewalCommitment     bool         `json:"renewalCommitment"`
	PlacesBought          int          `json:"placesBought"`
	Fees                  []Fee        `json:"fees"`
}

// privateInAgreement: a private authorised nido whose places the Comune buys.
func (fac Facility) privateInAgreement() bool { return !fac.Public && fac.InAgreement }

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
	AssociationKind                string          `json:"associationKind"` // a key of AssociationKinds
	Members                        []string        `json:"members"`         // ISTAT codes; the capofila is implied
	NonResidentReductions          string          `json:"nonResidentReductions"`
	ComuniWithReducedFees          []string        `json:"comuniWithReducedFees"` // for some_comuni
	SpecialCasesDescription        string          `json:"specialCasesDescription"`
	ComuniInAgreement              []string        `json:"comuniInAgreement"` // agreements extending ISEE fees to their residents
	FeeMethod                      string          `json:"feeMethod"`         // bands | linear
	LinearFormula                  string          `json:"linearFormula"`
	ParticipatedLastEdition        bool            `json:"participatedLastEdition"`
	// UnchangedConditions: a returning Comune declares that its
	// participation, facilities and fees are those pre-loaded from 2024/25
	// (C.1, "condizioni invariate").
	UnchangedConditions bool            `json:"unchangedConditions"`
	FeesIncreased       bool            `json:"feesIncreased"`
	IncreasePercent     program.Decimal `json:"increasePercent"`
	IncreaseReason      string          `json:"increaseReason"` // a key of IncreaseReasons
	Facilities          []Facility      `json:"facilities"`
}

// Decode reads the A1 strictly.
func (Program) Decode(raw json.RawMessage) (program.Form, error) {
	var f Form
	if err := program.Strict(raw, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// Check returns every problem of the A1 at once.
func (f *Form) Check(ctx program.Context) problem.Fields {
	var out problem.Fields
	reg := ctx.Registry
	today := program.Today(ctx.Now)
	istat := program.OrgID(ctx.Org)
	capofila, ok := reg.Comune(istat)
	if !ok || capofila.RegionCode != Region.ISTAT {
		out.Add("org", problem.FieldInvalid, "Il Comune %s non è un Comune lombardo.", istat)
	}
	f.checkEntity(&out, capofila)
	f.checkDeclarations(&out, today)
	f.checkPeople(&out)
	f.checkParticipation(&out, reg, istat)
	f.checkFeePolicy(&out)
	if len(f.Facilities) == 0 {
		out.Add("facilities", problem.FieldRequired, "Indicare almeno una struttura (pubblica o privata in convenzione).")
	}
	// A returning Comune's fee lines are checked against the fees the
	// Region approved for 2024/25 (its pre-loaded adhesion), whatever the
	// form says last year's were.
	facilities := f.checkReturning(&out, reg, istat)
	seen := map[string]int{}
	for i, fac := range facilities {
		p := fmt.Sprintf("facilities[%d]", i)
		if fac.AFAMUDOS != "" && seen[fac.AFAMUDOS] > 0 {
			out.Add(p+".afamUdos", program.FieldDuplicate, "La struttura compare già in facilities[%d].", seen[fac.AFAMUDOS]-1)
		}
		seen[fac.AFAMUDOS] = i + 1
		f.checkFacility(&out, p, fac, reg, today)
	}
	return out
}

func (f *Form) checkEntity(out *problem.Fields, capofila program.Comune) {
	e := f.Entity
	program.Text(out, "entity.name", e.Name, 300)
	if !program.ValidEntityCode(e.FiscalCode) {
		out.Add("entity.fiscalCode", problem.FieldInvalid, "Codice fiscale dell'ente non valido (11 cifre con cifra di controllo).")
	}
	program.Text(out, "entity.address", e.Address, 300)
	if len(e.PostCode) != 5 || strings.Trim(e.PostCode, "0123456789") != "" {
		out.Add("entity.postCode", problem.FieldInvalid, "CAP di 5 cifre.")
	}
	switch {
	case e.Province == "":
		out.Add("entity.province", problem.FieldRequired, "Indicare la sigla della provincia.")
	case capofila.Province != "" && e.Province != capofila.Province:
		out.Add("entity.province", problem.FieldMismatch, "La provincia della sede (%s) non è quella del Comune %s (%s).", e.Province, capofila.Name, capofila.Province)
	}
	if !program.ValidEmail(e.Email) {
		out.Add("entity.email", problem.FieldInvalid, "Indicare l'indirizzo e-mail che Regione Lombardia userà per le comunicazioni ufficiali.")
	}
	switch {
	case !program.ValidEmail(e.PEC):
		out.Add("entity.pec", problem.FieldInvalid, "Indicare un indirizzo PEC valido.")
	case e.PECConfirmation != e.PEC:
		out.Add("entity.pecConfirmation", problem.FieldMismatch, "La conferma non coincide con l'indirizzo PEC.")
	}
	program.Text(out, "entity.office", e.Office, 200)
}

func (f *Form) checkDeclarations(out *problem.Fields, today program.Date) {
	known := map[string]bool{}
	for _, list := range [][]Declaration{NatureDeclarations, Obligations} {
		for _, d := range list {
			known[d.Key] = true
			if !f.Declarations[d.Key] {
				out.Add("declarations."+d.Key, program.FieldMustBeTrue, "Dichiarazione obbligatoria: %s.", d.Text)
			}
		}
	}
	keys := make([]string, 0, len(f.Declarations))
	for k := range f.Declarations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			out.Add("declarations."+k, problem.FieldUnknown, "Dichiarazione non prevista dall'Allegato A1.")
		}
	}
	switch {
	case !f.Resolution.Date.Set():
		out.Add("resolution.date", problem.FieldRequired, "Indicare la data della Delibera di Giunta.")
	case f.Resolution.Date.After(today):
		out.Add("resolution.date", problem.FieldInvalid, "La Delibera di Giunta deve essere già adottata: la data non può essere futura.")
	}
	program.Text(out, "resolution.number", f.Resolution.Number, 50)
}

func (f *Form) checkPeople(out *problem.Fields) {
	r := f.Referent
	program.Text(out, "contact.surname", r.Surname, 100)
	program.Text(out, "contact.name", r.Name, 100)
	if !validPhone(r.Phone) {
		out.Add("contact.phone", problem.FieldInvalid, "Telefono: da 6 a 20 cifre, con eventuali spazi, +, trattini o punti.")
	}
	if !program.ValidEmail(r.Email) {
		out.Add("contact.email", problem.FieldInvalid, "E-mail del referente non valida.")
	}
	notAllowed := func(field string, set bool) {
		if set {
			out.Add(field, problem.FieldNotAllowed, "Dato non previsto per questa persona nell'Allegato A1.")
		}
	}
	if r.FiscalCode != "" || r.BirthDate.Set() || r.BirthPlace != "" || r.BirthProvince != "" {
		notAllowed("contact.fiscalCode", r.FiscalCode != "")
		notAllowed("contact.birthDate", r.BirthDate.Set())
		notAllowed("contact.birthProvince", r.BirthProvince != "")
		notAllowed("contact.birthPlace", r.BirthPlace != "")
	}
	checkPerson(out, "legalRepresentative", f.LegalRepresentative, false)
	switch {
	case !f.SignatoryIsLegalRepresentative && f.Signatory == nil:
		out.Add("signatory", problem.FieldRequired, "Indicare il firmatario, se diverso dal rappresentante legale.")
	case !f.SignatoryIsLegalRepresentative:
		checkPerson(out, "signatory", *f.Signatory, true)
		if f.Signatory.FiscalCode != "" && f.Signatory.FiscalCode == f.LegalRepresentative.FiscalCode {
			out.Add("signatory.fiscalCode", problem.FieldInvalid, "Il firmatario indicato è il rappresentante legale: segnare che coincide.")
		}
	case f.Signatory != nil:
		out.Add("signatory", problem.FieldNotAllowed, "Il firmatario coincide con il rappresentante legale: non va indicato.")
	}
}

func checkPerson(out *problem.Fields, path string, p Person, birth bool) {
	if !program.ValidPersonCode(p.FiscalCode) {
		out.Add(path+".fiscalCode", problem.FieldInvalid, "Codice fiscale personale non valido (16 caratteri in maiuscolo).")
	}
	program.Text(out, path+".surname", p.Surname, 100)
	program.Text(out, path+".name", p.Name, 100)
	if !birth {
		return
	}
	switch {
	case !p.BirthDate.Set():
		out.Add(path+".birthDate", problem.FieldRequired, "Indicare la data di nascita.")
	default:
		if yy, m, d, ok := program.PersonCodeBirth(p.FiscalCode); ok && (yy != p.BirthDate.Year()%100 || m != int(p.BirthDate.Month()) || d != p.BirthDate.Day()) {
			out.Add(path+".birthDate", problem.FieldMismatch, "La data di nascita non corrisponde al codice fiscale.")
		}
	}
	if len(p.BirthProvince) != 2 || strings.Trim(p.BirthProvince, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		out.Add(path+".birthProvince", problem.FieldInvalid, "Sigla della provincia di nascita (EE per Stato estero).")
	}
	program.Text(out, path+".birthPlace", p.BirthPlace, 100)
}

func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-./()", r):
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 20
}

func (f *Form) checkParticipation(out *problem.Fields, reg program.Registry, capofila string) {
	switch f.ApplicationType {
	case "single":
		if len(f.Members) > 0 {
			out.Add("members", problem.FieldNotAllowed, "Una domanda singola non ha Comuni associati.")
		}
		if f.AssociationKind != "" {
			out.Add("associationKind", problem.FieldNotAllowed, "Una domanda singola non ha forma associata.")
		}
	case "associated":
		if _, ok := AssociationKinds[f.AssociationKind]; !ok {
			out.Add("associationKind", problem.FieldInvalid, "Forma associata: consortium, union, mountain_community o ufficio_di_piano.")
		}
		checkComuni(out, reg, "members", f.Members, true)
		if len(f.members(capofila)) < 2 {
			out.Add("members", problem.FieldRequired, "Una domanda associata indica almeno un altro Comune oltre al capofila.")
		}
	case "":
		out.Add("applicationType", problem.FieldRequired, "Indicare la forma di partecipazione: single o associated.")
	default:
		out.Add("applicationType", problem.FieldInvalid, "Forma di partecipazione: single o associated.")
	}
	switch f.NonResidentReductions {
	case "none", "region_wide", "some_comuni", "special_cases":
	case "":
		out.Add("nonResidentReductions", problem.FieldRequired, "Indicare se le agevolazioni ISEE valgono anche per i non residenti.")
	default:
		out.Add("nonResidentReductions", problem.FieldInvalid, "Agevolazioni ai non residenti: none, region_wide, some_comuni o special_cases.")
	}
	if f.NonResidentReductions == "some_comuni" {
		if len(f.ComuniWithReducedFees) == 0 {
			out.Add("comuniWithReducedFees", problem.FieldRequired, "Indicare i Comuni i cui residenti hanno le agevolazioni.")
		}
		checkComuni(out, reg, "comuniWithReducedFees", f.ComuniWithReducedFees, false)
	} else if len(f.ComuniWithReducedFees) > 0 {
		out.Add("comuniWithReducedFees", problem.FieldNotAllowed, "L'elenco dei Comuni si indica solo con agevolazioni «solo in alcuni Comuni» (some_comuni).")
	}
	if f.NonResidentReductions == "special_cases" {
		program.Text(out, "specialCasesDescription", f.SpecialCasesDescription, 2000)
	} else if f.SpecialCasesDescription != "" {
		out.Add("specialCasesDescription", problem.FieldNotAllowed, "Le particolari casistiche si descrivono solo con special_cases.")
	}
	checkComuni(out, reg, "comuniInAgreement", f.ComuniInAgreement, false)
}

func checkComuni(out *problem.Fields, reg program.Registry, path string, codes []string, lombardyOnly bool) {
	seen := map[string]bool{}
	for i, code := range codes {
		p := fmt.Sprintf("%s[%d]", path, i)
		c, ok := reg.Comune(code)
		switch {
		case !ok:
			out.Add(p, problem.FieldInvalid, "Codice ISTAT %q sconosciuto.", code)
		case lombardyOnly && c.RegionCode != Region.ISTAT:
			out.Add(p, problem.FieldInvalid, "%s non è un Comune lombardo.", c.Name)
		case seen[code]:
			out.Add(p, program.FieldDuplicate, "Comune ripetuto.")
		}
		seen[code] = true
	}
}

// checkFeePolicy is the fee method and requirement A.4.4: for Comuni of
// the 2024/25 edition no increase above 7 % for ISEE up to 25,000, unless
// due to a change of management or of fee method (then allowed, and
// flagged for the Region's assessment).
func (f *Form) checkFeePolicy(out *problem.Fields) {
	switch f.FeeMethod {
	case "bands":
		if f.LinearFormula != "" {
			out.Add("linearFormula", problem.FieldNotAllowed, "La formula si indica solo per il calcolo con funzione lineare.")
		}
	case "linear":
		program.Text(out, "linearFormula", f.LinearFormula, 2000)
	case "":
		out.Add("feeMethod", problem.FieldRequired, "Indicare come sono calcolate le rette: bands (fasce ISEE) o linear (funzione lineare).")
	default:
		out.Add("feeMethod", problem.FieldInvalid, "Calcolo delle rette: bands (fasce ISEE) o linear (funzione lineare).")
	}
	if !f.FeesIncreased {
		if f.IncreasePercent.Set {
			out.Add("increasePercent", problem.FieldNotAllowed, "L'aumento si indica solo se le rette sono aumentate (feesIncreased).")
		}
		if f.IncreaseReason != "" {
			out.Add("increaseReason", problem.FieldNotAllowed, "Il motivo si indica solo se le rette sono aumentate (feesIncreased).")
		}
		if f.anyLineIncreased() {
			out.Add("feesIncreased", problem.FieldMismatch, "Le quote a carico delle famiglie risultano aumentate rispetto al 2024/2025 in almeno una struttura.")
		}
		return
	}
	switch {
	case !f.IncreasePercent.Set || f.IncreasePercent.Hundredths == 0:
		out.Add("increasePercent", problem.FieldRequired, "Indicare l'aumento percentuale rispetto al 2024/2025.")
	case f.ParticipatedLastEdition && f.IncreaseReason == "none" && f.IncreasePercent.Hundredths > MaxIncrease.Hundredths:
		out.Add("increasePercent", program.FieldIncreaseOverLimit, "Per i Comuni aderenti nel 2024/2025 l'aumento per le fasce ISEE fino a 25.000 euro non può superare il 7%%, salvo cambio di gestione o di modalità di calcolo delle rette.")
	}
	if _, ok := IncreaseReasons[f.IncreaseReason]; !ok {
		out.Add("increaseReason", problem.FieldInvalid, "Motivo dell'aumento: none (adeguamento entro il 7%%), management_change o method_change.")
	}
}

// lineIncrease reports whether a family share rose over 2024/25 and
// whether above 7 % (exactly: share × 100 > share2024 × 107).
func lineIncrease(a Amounts) (rose, over bool) {
	if a.FamilyShare == nil || a.FamilyShare2024 == nil {
		return false, false
	}
	now, before := int64(*a.FamilyShare), int64(*a.FamilyShare2024)
	return now > before, now*10000 > before*(10000+MaxIncrease.Hundredths)
}

func (f *Form) anyLineIncreased() bool {
	for _, fac := range f.Facilities {
		for _, fee := range fac.Fees {
			for _, a := range []Amounts{fee.ISEE20000, fee.ISEE25000} {
				if rose, _ := lineIncrease(a); rose {
					return true
				}
			}
		}
	}
	return false
}

func (f *Form) checkFacility(out *problem.Fields, p string, fac Facility, reg program.Registry, today program.Date) {
	known, ok := facility(reg, fac.AFAMUDOS)
	switch {
	case fac.AFAMUDOS == "":
		out.Add(p+".afamUdos", problem.FieldRequired, "Indicare il codice AFAM_UDOS della struttura.")
	case !ok:
		out.Add(p+".afamUdos", problem.FieldInvalid, "Codice AFAM_UDOS %q inesistente: chiedere l'aggiornamento della banca dati all'Ufficio di Piano.", fac.AFAMUDOS)
	case !known.Active:
		out.Add(p+".afamUdos", problem.FieldInvalid, "La struttura %q non risulta attiva in AFAM_UDOS (cessata, revocata o sospesa).", fac.AFAMUDOS)
	case known.Public != fac.Public:
		out.Add(p+".public", problem.FieldMismatch, "La titolarità pubblica o privata non corrisponde alla banca dati AFAM_UDOS.")
	}
	program.Text(out, p+".name", fac.Name, 300)
	program.Text(out, p+".address", fac.Address, 300)
	switch {
	case fac.AuthorisedPlaces <= 0:
		out.Add(p+".authorisedPlaces", problem.FieldRequired, "Indicare i posti autorizzati.")
	case ok && known.Places > 0 && fac.AuthorisedPlaces > known.Places:
		out.Add(p+".authorisedPlaces", problem.FieldInvalid, "I posti autorizzati superano quelli della banca dati AFAM_UDOS (%d).", known.Places)
	}
	if fac.PrivateConcessionaire && !fac.Public {
		out.Add(p+".privateConcessionaire", problem.FieldNotAllowed, "La concessione a privati riguarda solo le strutture comunali.")
	}
	switch {
	case fac.Public && fac.InAgreement:
		out.Add(p+".inAgreement", problem.FieldNotAllowed, "Le convenzioni per l'acquisto di posti riguardano le strutture private.")
	case !fac.Public && !fac.InAgreement:
		out.Add(p+".inAgreement", program.FieldMustBeTrue, "Una struttura privata partecipa solo con posti acquistati in convenzione dal Comune.")
	}
	if fac.privateInAgreement() {
		program.Text(out, p+".agreementProtocol", fac.AgreementProtocol, 100)
		switch {
		case !fac.AgreementExpiry.Set():
			out.Add(p+".agreementExpiry", problem.FieldRequired, "Indicare la scadenza della convenzione.")
		case fac.AgreementExpiry.Before(today):
			out.Add(p+".agreementExpiry", problem.FieldInvalid, "La convenzione è scaduta: deve essere in essere alla presentazione della domanda.")
		case fac.AgreementExpiry.Before(AgreementCover) && !fac.RenewalCommitment:
			out.Add(p+".renewalCommitment", program.FieldMustBeTrue, "La convenzione scade prima del %s: il Comune deve impegnarsi a rinnovarla alle medesime condizioni.", AgreementCover.Italian())
		}
		switch {
		case fac.PlacesBought <= 0:
			out.Add(p+".placesBought", problem.FieldRequired, "Indicare i posti acquistati in convenzione per il 2025/2026.")
		case fac.AuthorisedPlaces > 0 && fac.PlacesBought > fac.AuthorisedPlaces:
			out.Add(p+".placesBought", problem.FieldInvalid, "I posti in convenzione (%d) superano quelli autorizzati (%d).", fac.PlacesBought, fac.AuthorisedPlaces)
		}
	} else {
		for _, c := range []struct {
			field string
			set   bool
		}{{"agreementProtocol", fac.AgreementProtocol != ""}, {"agreementExpiry", fac.AgreementExpiry.Set()},
			{"renewalCommitment", fac.RenewalCommitment}, {"placesBought", fac.PlacesBought != 0}} {
			if c.set {
				out.Add(p+"."+c.field, problem.FieldNotAllowed, "Protocollo, scadenza, rinnovo e posti della convenzione si indicano solo per le strutture private in convenzione.")
			}
		}
	}
	if len(fac.Fees) == 0 {
		out.Add(p+".fees", problem.FieldRequired, "Indicare le rette per almeno una modalità di frequenza.")
	}
	modes := map[string]int{}
	for j, fee := range fac.Fees {
		fp := fmt.Sprintf("%s.fees[%d]", p, j)
		switch _, known := Modes[fee.Mode]; {
		case fee.Mode == "":
			out.Add(fp+".mode", problem.FieldRequired, "Indicare la modalità di frequenza.")
		case !known:
			out.Add(fp+".mode", problem.FieldInvalid, "Modalità di frequenza: part_time, full_time, extended_time o other (con descrizione).")
		}
		if fee.Mode == "other" {
			program.Text(out, fp+".modeDescription", fee.ModeDescription, 100)
		} else if len(fee.ModeDescription) > 100 {
			out.Add(fp+".modeDescription", problem.FieldTooLarge, "Al massimo 100 caratteri.")
		}
		key := fee.Mode + "\x00" + strings.ToLower(strings.TrimSpace(fee.ModeDescription))
		if modes[key] > 0 {
			out.Add(fp+".mode", program.FieldDuplicate, "La modalità di frequenza compare già in fees[%d].", modes[key]-1)
		}
		modes[key] = j + 1
		f.checkAmounts(out, fp+".isee20000", fee.ISEE20000, fac.privateInAgreement())
		f.checkAmounts(out, fp+".isee25000", fee.ISEE25000, fac.privateInAgreement())
	}
}

func (f *Form) checkAmounts(out *problem.Fields, p string, a Amounts, comuneShareRequired bool) {
	switch {
	case a.Total == nil:
		out.Add(p+".total", problem.FieldRequired, "Indicare la retta complessiva mensile (quota famiglia comprensiva del Bonus INPS + quota Comune).")
	case *a.Total <= 0:
		out.Add(p+".total", problem.FieldInvalid, "La retta complessiva deve essere maggiore di zero.")
	}
	switch {
	case a.FamilyShare == nil:
		out.Add(p+".familyShare", problem.FieldRequired, "Indicare la quota a carico della famiglia (comprensiva del Bonus INPS, al netto del contributo comunale).")
	case *a.FamilyShare < 0:
		out.Add(p+".familyShare", problem.FieldInvalid, "La quota della famiglia non può essere negativa.")
	case a.Total != nil && *a.FamilyShare > *a.Total:
		out.Add(p+".familyShare", problem.FieldInvalid, "La quota della famiglia (%s) supera la retta complessiva (%s).", a.FamilyShare, a.Total)
	}
	switch {
	case a.ComuneShare == nil:
		if comuneShareRequired {
			out.Add(p+".comuneShare", problem.FieldRequired, "Per le strutture private in convenzione indicare la quota a carico del Comune.")
		}
	case *a.ComuneShare < 0:
		out.Add(p+".comuneShare", problem.FieldInvalid, "La quota del Comune non può essere negativa.")
	case a.Total != nil && a.FamilyShare != nil && *a.FamilyShare >= 0 && *a.FamilyShare <= *a.Total && *a.FamilyShare+*a.ComuneShare != *a.Total:
		out.Add(p+".comuneShare", problem.FieldMismatch, "Quota famiglia (%s) + quota Comune (%s) deve essere uguale alla retta complessiva (%s).", a.FamilyShare, a.ComuneShare, a.Total)
	}
	if a.FamilyShare2024 != nil && *a.FamilyShare2024 <= 0 {
		out.Add(p+".familyShare2024", problem.FieldInvalid, "La quota famiglia 2024/2025 deve essere maggiore di zero.")
		return
	}
	if _, over := lineIncrease(a); over && f.ParticipatedLastEdition && f.IncreaseReason != "management_change" && f.IncreaseReason != "method_change" {
		out.Add(p+".familyShare", program.FieldIncreaseOverLimit, "Rispetto al 2024/2025 (%s euro) la quota della famiglia aumenta più del 7%%: al massimo %s euro, salvo cambio di gestione o di modalità di calcolo.",
			a.FamilyShare2024, a.FamilyShare2024.MulDivFloor(10000+MaxIncrease.Hundredths, 10000))
	}
}

// members are the Comuni the application covers: the capofila and, for an
// associated application, the members, in ISTAT order.
func (f *Form) members(capofila string) []string {
	set := map[string]bool{capofila: true}
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

// RequiredDocuments of the A1 (C.1: missing mandatory ones make the
// application inadmissible; A.4.1-3 for the conditional ones).
func (f *Form) RequiredDocuments(ctx program.Context) []program.DocumentNeed {
	needs := []program.DocumentNeed{
		{Kind: DocDeliberaGiunta, Count: 1, Reason: "Delibera di Giunta di adesione"},
		{Kind: DocDeliberaTariffe, Count: 1, Reason: "deliberazione di approvazione delle tariffe o documento equivalente"},
		{Kind: DocRegolamentoOrCarta, Count: 1, Reason: "regolamento del nido o Carta dei servizi"},
		{Kind: DocAllegatoA3, Count: 1, Reason: "Allegato A3 firmato"},
		{Kind: DocAllegatoA1Signed, Count: 1, Reason: "domanda generata (Allegato A1) firmata"},
	}
	add := func(kind string, n int, reason string) {
		if n > 0 {
			needs = append(needs, program.DocumentNeed{Kind: kind, Count: n, Reason: reason})
		}
	}
	// Documents about one facility are one per facility, named by its
	// AFAM_UDOS code.
	forFacility := func(kind, code, reason string) {
		needs = append(needs, program.DocumentNeed{Kind: kind, Count: 1, Ref: code, Reason: reason + " " + code})
	}
	covered := map[string]bool{}
	for _, m := range f.members(program.OrgID(ctx.Org)) {
		covered[m] = true
	}
	for _, fac := range f.Facilities {
		if fac.privateInAgreement() {
			forFacility(DocConvenzione, fac.AFAMUDOS, "convenzione firmata da entrambe le parti con la struttura privata")
			if fac.comuneSharesZero() {
				forFacility(DocCofunding, fac.AFAMUDOS, "documentazione delle altre forme di compartecipazione per la struttura privata senza quota comunale")
			}
		}
		if fac.Public && ctx.Registry != nil {
			if known, ok := facility(ctx.Registry, fac.AFAMUDOS); ok && !covered[known.ComuneISTAT] {
				forFacility(DocAccordoComuni, fac.AFAMUDOS, "accordo tra Comuni per la struttura comunale in un Comune diverso da quelli della domanda")
			}
		}
	}
	if len(f.ComuniInAgreement) > 0 {
		add(DocConvenzioneComuni, 1, "convenzioni con i Comuni i cui residenti hanno le agevolazioni ISEE")
	}
	ids := 0
	if !f.SignatoryIsLegalRepresentative {
		add(DocDelega, 1, "il firmatario non è il rappresentante legale: delega")
		ids = 2
	}
	// C.1: an A3 signed by hand counts only with the signer's identity
	// document (already among the two of a delega, when there is one).
	if ctx.Uploaded(DocAllegatoA3) && !ctx.SignedDigitally(DocAllegatoA3) && ids == 0 {
		add(DocIdentityDocument, 1, "l'Allegato A3 è firmato a mano: documento d'identità del firmatario (C.1)")
	}
	if ids > 0 {
		add(DocIdentityDocument, ids, "documenti d'identità di delegante e delegato")
	}
	return needs
}

// comuneSharesZero: a private facility whose Comune share is zero for every
// mode and ISEE value, so the co-funding (A.4.1) must be shown otherwise.
func (fac Facility) comuneSharesZero() bool {
	if len(fac.Fees) == 0 {
		return false
	}
	for _, fee := range fac.Fees {
		for _, a := range []Amounts{fee.ISEE20000, fee.ISEE25000} {
			if a.ComuneShare == nil || *a.ComuneShare != 0 {
				return false
			}
		}
	}
	return true
}

// Claims: every Comune covered; a Comune in a filed association cannot
// file alone, and vice versa (A.4).
func (f *Form) Claims(org string) []string {
	var out []string
	for _, m := range f.members(program.OrgID(org)) {
		out = append(out, program.KindComune+":"+m)
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
		kind = fmt.Sprintf("associata (%d Comuni associati indicati)", len(f.Members))
	}
	return fmt.Sprintf("%s – domanda %s, %d strutture", f.Entity.Name, kind, len(f.Facilities))
}

// SignedSummaryKind: the signed A1 must be the A1 generated from the data
// as they are now (C.1: the application is generated, signed and uploaded).
func (f *Form) SignedSummaryKind() string { return DocAllegatoA1Signed }

// SummaryMismatch is said when it is not.
func (f *Form) SummaryMismatch() string {
	return "L'Allegato A1 firmato non corrisponde alla domanda attuale: scaricarlo di nuovo, firmarlo e caricarlo."
}

// Flags are what the officer must assess (A.4.4): a returning Comune's fee
// increase above 7 %, declared or found on a fee line, justified by a
// change of management or of fee method.
func (f *Form) Flags() []string {
	if !f.ParticipatedLastEdition || !f.FeesIncreased || (f.IncreaseReason != "management_change" && f.IncreaseReason != "method_change") {
		return nil
	}
	over := f.IncreasePercent.Hundredths > MaxIncrease.Hundredths
	for _, fac := range f.Facilities {
		for _, fee := range fac.Fees {
			for _, a := range []Amounts{fee.ISEE20000, fee.ISEE25000} {
				if _, o := lineIncrease(a); o {
					over = true
				}
			}
		}
	}
	if !over {
		return nil
	}
	return []string{"fee_increase_over_7_percent:" + f.IncreaseReason}
}

// FacilityCodes lists the AFAM_UDOS codes of the application's facilities.
func (f *Form) FacilityCodes() []string {
	out := make([]string, 0, len(f.Facilities))
	for _, fac := range f.Facilities {
		out = append(out, fac.AFAMUDOS)
	}
	return out
}

// PrivacyNotice is the Allegato A2 (Avviso D.7): "Informativa relativa al
// trattamento dei dati personali", whose version is the date of its last
// update ("Ultimo aggiornamento: 24 giugno 2025").
func (Program) PrivacyNotice() program.PrivacyNotice {
	return program.PrivacyNotice{Version: "2025-06-24",
		Title: "Allegato A2 – Informativa sul trattamento dei dati personali «Misura Nidi Gratis Plus 2025/2026 – Adesione Comuni» (ultimo aggiornamento 24 giugno 2025)"}
}
