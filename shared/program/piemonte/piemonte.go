// Package piemonte is the Regione Piemonte "Rilevazione 2026 servizi
// educativi prima infanzia" (scheda SERVIZI 03 – anagrafica e
// frequentanti): each Comune accounts for every service the Region
// pre-loaded, adds missing authorised and active ones, and gives the
// average attendance between 3 March 2025 and 27 February 2026. The data
// drives the riparto of the national fund (D.Lgs. 65/2017 art. 8).
package piemonte

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"sportello/shared/problem"
	"sportello/shared/program"
)

// ID of the program.
const ID = "piemonte-rilevazione-2026"

// Reference dates of the seed (note 6, 7).
var (
	PeriodStart   = program.MustDate("2025-03-03") // default averaging period start
	PeriodEnd     = program.MustDate("2026-02-27") // default averaging period end
	ReferenceDate = program.MustDate("2026-04-27") // opening of the rilevazione: statuses describe this day
)

// Statuses of a service at the reference date (notes 8-10).
const (
	Active     = "active"
	Ceased     = "ceased"      // cessato: closed by a formal act
	Suspended  = "suspended"   // sospeso: temporarily inactive, no formal act
	NotReached = "not_reached" // non raggiunto: authorised and active, not taking part
)

// ServiceTypes are the early-childhood services of D.Lgs. 65/2017 art. 2
// c. 3, with their Italian names: the type feeds the regional and INPS
// registries, so it is a closed list rather than free text.
var ServiceTypes = map[string]string{
	"nido":                    "Nido d'infanzia",
	"micronido":               "Micronido",
	"sezione_primavera":       "Sezione primavera",
	"spazio_gioco":            "Spazio gioco",
	"centro_bambini_famiglie": "Centro per bambini e famiglie",
	"servizio_domiciliare":    "Servizio educativo in contesto domiciliare",
}

// MaxPlaces bounds the authorised places of one service: a typo guard
// (the largest nidi have about 120 places).
const MaxPlaces = 999

// Program implements program.Program.
type Program struct{}

// New returns the program.
func New() Program { return Program{} }

// ID is the program id.
func (Program) ID() string { return ID }

// Region is Piemonte's.
func (Program) Region() program.Region { return Region }

// Region is Piemonte.
var Region = program.Region{Code: "PIE", Name: "Piemonte", ISTAT: "01"}

// ReviewModel: the Region validates or rejects each scheda; a rejected one
// is corrected and sent again.
func (Program) ReviewModel() program.ReviewModel { return program.Validation }

// ApplicantKinds: Comuni.
func (Program) ApplicantKinds() []string { return []string{program.KindComune} }

// Document kinds. The seed asks for no attachment (the scheda is data);
// these optional ones let a Comune back a change of anagrafica or a
// cessation with its act, which the officer may want while validating.
const (
	DocAuthorisationAct = "authorisation_act"
	DocCessationAct     = "cessation_act"
	DocOther            = "other"
)

var pdfOrP7M = []string{"application/pdf", "application/pkcs7-mime"}

// DocumentKinds: all optional, PDF or signed PDF (.p7m), up to 50 MB.
func (Program) DocumentKinds() []program.DocumentKind {
	return []program.DocumentKind{
		{Kind: DocAuthorisationAct, Title: "Provvedimento di autorizzazione al funzionamento (più recente)", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
		{Kind: DocCessationAct, Title: "Provvedimento di cessazione", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
		{Kind: DocOther, Title: "Altra documentazione", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
	}
}

// Period is an averaging period, both days included.
type Period struct {
	From program.Date `json:"from"`
	To   program.Date `json:"to"`
}

// Service is one row of scheda SERVIZI 03.
type Service struct {
	ID                string          `json:"id"`    // pre-loaded id; empty for an added service
	Added             bool            `json:"added"` // "AGGIUNGI SERVIZIO"
	Name              string          `json:"name"`
	Type              string          `json:"type"` // a key of ServiceTypes
	Address           string          `json:"address"`
	Operator          string          `json:"operator"`
	Places            int             `json:"places"`           // authorised places, as in the latest act
	AuthorisationAct  string          `json:"authorisationAct"` // reference of the latest authorisation act
	AuthorisedOn      program.Date    `json:"authorisedOn"`
	ActiveFrom        program.Date    `json:"activeFrom"`
	Status            string          `json:"status"`
	Reason            string          `json:"reason"`    // mandatory for not_reached, optional for suspended
	CeasedAct         string          `json:"ceasedAct"` // the formal act, for ceased
	CeasedOn          program.Date    `json:"ceasedOn"`  // its date, for ceased
	AverageAttendance program.Decimal `json:"averageAttendance"`
	// AveragingPeriod is computed by Decode for active services (see
	// AveragingPeriod); a value sent by the client is ignored, so that a
	// form read back and sent again is accepted.
	AveragingPeriod *Period `json:"averagingPeriod,omitempty"`
}

// Form is the whole scheda.
type Form struct {
	ContactEmail string    `json:"contactEmail"`
	Services     []Service `json:"services"`
	Notes        string    `json:"notes"`
}

// Decode reads the scheda strictly and fills in each active service's
// averaging period.
func (Program) Decode(raw json.RawMessage) (program.Form, error) {
	var f Form
	if err := program.Strict(raw, &f); err != nil {
		return nil, err
	}
	for i := range f.Services {
		s := &f.Services[i]
		s.AveragingPeriod = nil
		if s.Status == Active {
			from, to := AveragingPeriod(*s)
			s.AveragingPeriod = &Period{From: from, To: to}
		}
	}
	return &f, nil
}

// Start is the day a service became "authorised and active": the later of
// its authorisation and its activation (zero if neither is known).
func Start(s Service) program.Date {
	if s.ActiveFrom.After(s.AuthorisedOn) {
		return s.ActiveFrom
	}
	return s.AuthorisedOn
}

// AveragingPeriod is the period over which a service's average attendance
// is computed (seed, note 7):
//   - by default 03/03/2025–27/02/2026;
//   - a service authorised and active after 03/03/2025 counts from that
//     day to 27/02/2026;
//   - one authorised and active after 27/02/2026 (and by 27/04/2026, which
//     Check enforces) counts from that day to 27/04/2026.
//
// "Authorised and active" starts on the later of the authorisation and
// activation dates (Start): attendance cannot be averaged over days on
// which the service could not take children.
func AveragingPeriod(s Service) (from, to program.Date) {
	start := Start(s)
	switch {
	case start.IsZero() || !start.After(PeriodStart):
		return PeriodStart, PeriodEnd
	case !start.After(PeriodEnd):
		return start, PeriodEnd
	default:
		return start, ReferenceDate
	}
}

// Check returns everything that prevents sending the scheda for validation.
func (f *Form) Check(ctx program.Context) problem.Fields {
	var out problem.Fields
	istat := program.OrgID(ctx.Org)
	if c, ok := ctx.Registry.Comune(istat); !ok || c.RegionCode != Region.ISTAT {
		out.Add("org", problem.FieldInvalid, "Il Comune %s non è un Comune del Piemonte.", istat)
	}
	if !program.ValidEmail(f.ContactEmail) {
		out.Add("contactEmail", problem.FieldInvalid, "Indicare un indirizzo e-mail valido del Comune: vi arriveranno la ricevuta e le eventuali note di correzione.")
	}
	if len(f.Notes) > 4000 {
		out.Add("notes", problem.FieldTooLarge, "Al massimo 4000 caratteri.")
	}
	preloaded := program.Find[program.PreloadedService](ctx.Registry, program.ListPreloaded, istat)
	known := map[string]bool{}
	byID := map[string]program.PreloadedService{}
	for _, p := range preloaded {
		known[p.ID] = true
		byID[p.ID] = p
	}
	// A Comune with no pre-loaded service may send an empty scheda: it
	// declares that no service is authorised and active on its territory
	// (and takes no share).
	seen := map[string]int{}
	for i, s := range f.Services {
		path := fmt.Sprintf("services[%d]", i)
		switch {
		case s.Added && s.ID != "":
			out.Add(path+".id", problem.FieldNotAllowed, "Un servizio aggiunto non ha identificativo regionale: lasciarlo vuoto.")
		case !s.Added && s.ID == "":
			out.Add(path+".id", problem.FieldRequired, "Indicare l'identificativo del servizio pre-caricato, oppure segnarlo come aggiunto.")
		case !s.Added && !known[s.ID]:
			out.Add(path+".id", problem.FieldInvalid, "Il servizio %q non è tra quelli pre-caricati dalla Regione per il Comune.", s.ID)
		case !s.Added && seen[s.ID] > 0:
			out.Add(path+".id", program.FieldDuplicate, "Il servizio %q compare già in services[%d].", s.ID, seen[s.ID]-1)
		case !s.Added:
			seen[s.ID] = i + 1
			checkAct(&out, path, s, byID[s.ID])
		}
		checkService(&out, path, s)
	}
	for _, p := range preloaded {
		if seen[p.ID] == 0 {
			out.Add("services", program.FieldMissingItem, "Manca il servizio pre-caricato %s (%s): dichiararlo attivo, cessato, sospeso o non raggiunto.", p.ID, p.Name)
		}
	}
	return out
}

// checkAct: seed note 6, every datum "deve trovare esatta corrispondenza
// nel provvedimento più recente". When the Region's pre-load names the
// latest act it knows, the form declares that act (same reference) or a
// later one (a date after the Region's); an earlier or different act of
// the same date is refused.
func checkAct(out *problem.Fields, path string, s Service, known program.PreloadedService) {
	if known.AuthorisationAct == "" || !s.AuthorisedOn.Set() || s.AuthorisationAct == "" {
		return
	}
	knownOn := program.Date{Time: known.AuthorisedOn}
	if s.AuthorisedOn.After(knownOn) || strings.EqualFold(strings.TrimSpace(s.AuthorisationAct), known.AuthorisationAct) {
		return
	}
	out.Add(path+".authorisationAct", problem.FieldMismatch, "Il provvedimento più recente noto alla Regione è %s del %s: indicare quello, o un provvedimento successivo con la sua data.",
		known.AuthorisationAct, knownOn.Italian())
}

func checkService(out *problem.Fields, path string, s Service) {
	program.Text(out, path+".name", s.Name, 200)
	if _, ok := ServiceTypes[s.Type]; !ok {
		if s.Type == "" {
			out.Add(path+".type", problem.FieldRequired, "Indicare la tipologia del servizio.")
		} else {
			out.Add(path+".type", problem.FieldInvalid, "Tipologia non prevista: usare %s.", typeKeys())
		}
	}
	program.Text(out, path+".address", s.Address, 300)
	program.Text(out, path+".operator", s.Operator, 300)
	program.Text(out, path+".authorisationAct", s.AuthorisationAct, 300)
	switch {
	case s.Places <= 0:
		out.Add(path+".places", problem.FieldRequired, "Indicare i posti autorizzati, come da ultimo provvedimento di autorizzazione.")
	case s.Places > MaxPlaces:
		out.Add(path+".places", problem.FieldTooLarge, "Al massimo %d posti.", MaxPlaces)
	}
	switch {
	case !s.AuthorisedOn.Set():
		out.Add(path+".authorisedOn", problem.FieldRequired, "Indicare la data dell'autorizzazione al funzionamento.")
	case s.AuthorisedOn.After(ReferenceDate):
		out.Add(path+".authorisedOn", problem.FieldInvalid, "La rilevazione fotografa i servizi al %s: un'autorizzazione successiva non è ammessa.", ReferenceDate.Italian())
	}
	if s.ActiveFrom.After(ReferenceDate) {
		out.Add(path+".activeFrom", problem.FieldInvalid, "La rilevazione fotografa i servizi al %s: un servizio attivato dopo non è ammesso.", ReferenceDate.Italian())
	}
	notFor := func(field string, set bool, why string) {
		if set {
			out.Add(path+"."+field, problem.FieldNotAllowed, "%s", why)
		}
	}
	switch s.Status {
	case Active:
		if !s.ActiveFrom.Set() {
			out.Add(path+".activeFrom", problem.FieldRequired, "Indicare la data di attivazione del servizio.")
		}
		if !s.AverageAttendance.Set {
			from, to := AveragingPeriod(s)
			out.Add(path+".averageAttendance", problem.FieldRequired, "Indicare la media dei frequentanti dal %s al %s.", from.Italian(), to.Italian())
		}
		notFor("reason", s.Reason != "", "Le motivazioni si indicano solo per i servizi non raggiunti o sospesi.")
		notFor("ceasedAct", s.CeasedAct != "", "Il provvedimento di cessazione si indica solo per i servizi cessati.")
		notFor("ceasedOn", s.CeasedOn.Set(), "La data di cessazione si indica solo per i servizi cessati.")
	case Ceased, Suspended, NotReached:
		if s.Added {
			out.Add(path+".status", problem.FieldNotAllowed, "Si possono aggiungere solo servizi autorizzati e attivi.")
		}
		notFor("averageAttendance", s.AverageAttendance.Set, "La media dei frequentanti si indica solo per i servizi attivi.")
		switch s.Status {
		case NotReached:
			// Seed, note 10: without the reasons the declaration cannot be sent.
			program.Text(out, path+".reason", s.Reason, 2000)
		case Suspended:
			if len(s.Reason) > 2000 {
				out.Add(path+".reason", problem.FieldTooLarge, "Al massimo 2000 caratteri.")
			}
		case Ceased:
			notFor("reason", s.Reason != "", "Per un servizio cessato si indica il provvedimento di cessazione, non una motivazione.")
		}
		if s.Status == Ceased {
			program.Text(out, path+".ceasedAct", s.CeasedAct, 300)
			switch {
			case !s.CeasedOn.Set():
				out.Add(path+".ceasedOn", problem.FieldRequired, "Indicare la data del provvedimento di cessazione.")
			case s.CeasedOn.After(ReferenceDate):
				out.Add(path+".ceasedOn", problem.FieldInvalid, "Un servizio cessato dopo il %s era attivo alla data della rilevazione: dichiararlo attivo.", ReferenceDate.Italian())
			}
		} else {
			notFor("ceasedAct", s.CeasedAct != "", "Il provvedimento di cessazione si indica solo per i servizi cessati.")
			notFor("ceasedOn", s.CeasedOn.Set(), "La data di cessazione si indica solo per i servizi cessati.")
		}
	case "":
		out.Add(path+".status", problem.FieldRequired, "Indicare se il servizio è attivo, cessato, sospeso o non raggiunto.")
	default:
		out.Add(path+".status", problem.FieldInvalid, "Stato non previsto: usare active, ceased, suspended o not_reached.")
	}
}

func typeKeys() string {
	return "nido, micronido, sezione_primavera, spazio_gioco, centro_bambini_famiglie o servizio_domiciliare"
}

// RequiredDocuments: none (seed, note 11: the scheda is sent as data).
func (f *Form) RequiredDocuments(program.Context) []program.DocumentNeed { return nil }

// Claims: one scheda per Comune.
func (f *Form) Claims(org string) []string { return []string{org} }

// ClaimConflictCode: a second scheda is a duplicate.
func (f *Form) ClaimConflictCode() string { return problem.CodeDuplicate }

// Contact is the Comune's e-mail.
func (f *Form) Contact() string { return f.ContactEmail }

// Summary counts services by status.
func (f *Form) Summary() string {
	counts := map[string]int{}
	for _, s := range f.Services {
		counts[s.Status]++
	}
	return fmt.Sprintf("%d servizi: %d attivi, %d cessati, %d sospesi, %d non raggiunti",
		len(f.Services), counts[Active], counts[Ceased], counts[Suspended], counts[NotReached])
}

// Flags are what the officer should look at while validating: an active
// service whose average attendance exceeds its authorised places (not an
// error — enrolment above capacity can be authorised — but worth a look).
func (f *Form) Flags() []string {
	var out []string
	for i, s := range f.Services {
		if s.Status == Active && s.AverageAttendance.Set && s.Places > 0 && s.AverageAttendance.Hundredths > int64(s.Places)*100 {
			out = append(out, fmt.Sprintf("average_above_places:services[%d]", i))
		}
	}
	return out
}

// Allocation: the weight is the sum of the average attendance of the
// active services, exactly (ceased, suspended and not reached count
// zero). The formula is the brief's interpretation, documented in
// docs/programs.md; the riparto engine only sees the weight.
func (f *Form) Allocation(map[string]string) (program.Allocation, error) {
	w := new(big.Rat)
	var parts []string
	for _, s := range f.Services {
		if s.Status != Active {
			continue
		}
		w.Add(w, s.AverageAttendance.Rat())
		label := s.ID
		if s.Added {
			label = "aggiunto"
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", italian(s.AverageAttendance.String()), label))
	}
	expl := "Nessun servizio attivo: peso zero."
	if len(parts) > 0 {
		expl = fmt.Sprintf("Somma delle medie dei frequentanti dei %d servizi attivi: %s = %s.", len(parts), strings.Join(parts, " + "), italian(w.FloatString(2)))
	}
	return program.Allocation{Weight: w, Explanation: expl}, nil
}

// italian writes a decimal with a comma, as people read it.
func italian(s string) string { return strings.Replace(s, ".", ",", 1) }

// Derived lists each active service's averaging period, by position, so
// the Comune sees over which days to average before it sends.
func (f *Form) Derived() any {
	type derived struct {
		Service         int     `json:"service"`
		ID              string  `json:"id,omitempty"`
		AveragingPeriod *Period `json:"averagingPeriod"`
	}
	out := []derived{}
	for i, s := range f.Services {
		if s.AveragingPeriod != nil {
			out = append(out, derived{Service: i, ID: s.ID, AveragingPeriod: s.AveragingPeriod})
		}
	}
	return map[string]any{"services": out}
}
