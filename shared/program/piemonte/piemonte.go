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

	"sportello/shared/problem"
	"sportello/shared/program"
)

// ID of the program.
const ID = "piemonte-rilevazione-2026"

// Reference dates of the seed.
var (
	PeriodStart   = program.MustDate("2025-03-03") // default averaging period start
	PeriodEnd     = program.MustDate("2026-02-27") // default averaging period end
	ReferenceDate = program.MustDate("2026-04-27") // window opening: the state declared refers to it
)

// Statuses of a service at the reference date.
const (
	Active     = "active"
	Ceased     = "ceased"      // closed by a formal act (cessato)
	Suspended  = "suspended"   // temporarily inactive, no formal act (sospeso)
	NotReached = "not_reached" // authorised and active but not taking part (non raggiunto)
)

// Program implements program.Program.
type Program struct{}

// New returns the program.
func New() Program { return Program{} }

// ID is the program id.
func (Program) ID() string { return ID }

// Region is Piemonte.
func (Program) Region() string { return "PIE" }

// ApplicantKinds: Comuni.
func (Program) ApplicantKinds() []string { return []string{program.KindComune} }

// DocumentKinds: the seed requires no attachment; an optional one lets a
// Comune add the latest authorisation act when it changes registry data.
func (Program) DocumentKinds() []program.DocumentKind {
	return []program.DocumentKind{{Kind: "authorisation_act", Title: "Provvedimento di autorizzazione al funzionamento",
		ContentTypes: []string{"application/pdf", "application/pkcs7-mime"}, MaxBytes: 50 << 20}}
}

// Service is one row of scheda SERVIZI 03.
type Service struct {
	ID                string          `json:"id"`    // pre-loaded id; empty for an added service
	Added             bool            `json:"added"` // "AGGIUNGI SERVIZIO"
	Name              string          `json:"name"`
	Type              string          `json:"type"`
	Address           string          `json:"address"`
	Operator          string          `json:"operator"`
	Places            int             `json:"places"`
	AuthorisationAct  string          `json:"authorisationAct"`
	AuthorisedOn      program.Date    `json:"authorisedOn"`
	ActiveFrom        program.Date    `json:"activeFrom"`
	Status            string          `json:"status"`
	Reason            string          `json:"reason"`    // mandatory for not_reached
	CeasedAct         string          `json:"ceasedAct"` // the formal act, for ceased
	AverageAttendance program.Decimal `json:"averageAttendance"`
}

// Form is the whole scheda.
type Form struct {
	ContactEmail string    `json:"contactEmail"`
	Services     []Service `json:"services"`
	Notes        string    `json:"notes"`
}

// Decode reads the scheda strictly.
func (Program) Decode(raw json.RawMessage) (program.Form, error) {
	var f Form
	if err := program.Strict(raw, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// AveragingPeriod is the period over which a service's average attendance
// is computed (seed §7): by default 03/03/2025–27/02/2026; a service
// authorised and active after 03/03/2025 counts from then to 27/02/2026;
// one authorised and active between 27/02/2026 and 27/04/2026 counts from
// its activation to 27/04/2026. "Authorised and active" starts on the later
// of the authorisation and activation dates.
func AveragingPeriod(s Service) (from, to program.Date) {
	start := s.AuthorisedOn
	if s.ActiveFrom.After(start) {
		start = s.ActiveFrom
	}
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
	if c, ok := ctx.Registry.Comune(istat); !ok || c.RegionCode != "01" {
		out.Add("org", problem.FieldInvalid, "Il Comune %s non è un Comune del Piemonte.", istat)
	}
	if !program.ValidEmail(f.ContactEmail) {
		out.Add("contactEmail", problem.FieldInvalid, "Indicare un indirizzo e-mail valido del Comune: vi arriveranno la ricevuta e le eventuali note di correzione.")
	}
	if len(f.Notes) > 4000 {
		out.Add("notes", problem.FieldTooLarge, "Al massimo 4000 caratteri.")
	}
	preloaded := map[string]program.PreloadedService{}
	for _, p := range ctx.Registry.Preloaded(istat) {
		preloaded[p.ID] = p
	}
	seen := map[string]bool{}
	for i, s := range f.Services {
		path := fmt.Sprintf("services[%d]", i)
		switch {
		case s.Added && s.ID != "":
			out.Add(path+".id", problem.FieldNotAllowed, "Un servizio aggiunto non ha identificativo regionale.")
		case !s.Added && s.ID == "":
			out.Add(path+".id", problem.FieldRequired, "Indicare l'identificativo del servizio pre-caricato, oppure segnarlo come aggiunto.")
		case !s.Added:
			if _, ok := preloaded[s.ID]; !ok {
				out.Add(path+".id", problem.FieldInvalid, "Il servizio %q non è tra quelli pre-caricati per il Comune.", s.ID)
			} else if seen[s.ID] {
				out.Add(path+".id", problem.FieldInvalid, "Il servizio %q compare più volte.", s.ID)
			}
			seen[s.ID] = true
		}
		checkService(&out, path, s)
	}
	for _, p := range ctx.Registry.Preloaded(istat) {
		if !seen[p.ID] {
			out.Add("services", "missing_service", "Manca il servizio pre-caricato %q (%s): dichiararlo attivo, cessato, sospeso o non raggiunto.", p.ID, p.Name)
		}
	}
	return out
}

func checkService(out *problem.Fields, path string, s Service) {
	program.Text(out, path+".name", s.Name, 200)
	program.Text(out, path+".type", s.Type, 100)
	program.Text(out, path+".address", s.Address, 300)
	program.Text(out, path+".operator", s.Operator, 300)
	program.Text(out, path+".authorisationAct", s.AuthorisationAct, 300)
	if s.Places <= 0 {
		out.Add(path+".places", problem.FieldRequired, "Indicare i posti autorizzati, come da ultimo provvedimento di autorizzazione.")
	}
	if s.AuthorisedOn.IsZero() {
		out.Add(path+".authorisedOn", problem.FieldRequired, "Indicare la data di autorizzazione.")
	}
	switch s.Status {
	case Active:
		if s.ActiveFrom.IsZero() {
			out.Add(path+".activeFrom", problem.FieldRequired, "Indicare la data di attivazione.")
		}
		from, _ := AveragingPeriod(s)
		if from.After(ReferenceDate) {
			out.Add(path+".activeFrom", problem.FieldInvalid, "Un servizio attivo deve essere autorizzato e attivo al %s.", ReferenceDate.Italian())
		}
		if !s.AverageAttendance.Set {
			f, t := AveragingPeriod(s)
			out.Add(path+".averageAttendance", problem.FieldRequired, "Indicare la media dei frequentanti dal %s al %s.", f.Italian(), t.Italian())
		}
	case Ceased, Suspended, NotReached:
		if s.Added {
			out.Add(path+".status", problem.FieldNotAllowed, "Si possono aggiungere solo servizi autorizzati e attivi.")
		}
		if s.AverageAttendance.Set {
			out.Add(path+".averageAttendance", problem.FieldNotAllowed, "La media dei frequentanti si indica solo per i servizi attivi.")
		}
		if s.Status == NotReached {
			program.Text(out, path+".reason", s.Reason, 2000)
		}
		if s.Status == Ceased {
			program.Text(out, path+".ceasedAct", s.CeasedAct, 300)
		}
	case "":
		out.Add(path+".status", problem.FieldRequired, "Indicare se il servizio è attivo, cessato, sospeso o non raggiunto.")
	default:
		out.Add(path+".status", problem.FieldInvalid, "Stato non previsto: usare active, ceased, suspended o not_reached.")
	}
}

// RequiredDocuments: none (seed §11).
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

// Allocation: the weight is the sum of the average attendance of the
// active services (ceased, suspended and not reached count zero); the
// formula is the brief's interpretation, kept here and in docs/programs.md.
func (f *Form) Allocation(map[string]string) (program.Allocation, error) {
	w := new(big.Rat)
	active := 0
	for _, s := range f.Services {
		if s.Status == Active {
			w.Add(w, s.AverageAttendance.Rat())
			active++
		}
	}
	return program.Allocation{Weight: w, Explanation: fmt.Sprintf("Somma delle medie dei frequentanti di %d servizi attivi: %s.", active, w.FloatString(2))}, nil
}
