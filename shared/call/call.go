// Package call holds a Region's call (bando/avviso) and its submission
// windows. A window is the half-open interval [OpensAt, ClosesAt): an
// application that arrives at 11:59:59.999 is in time, one at 12:00:00.000
// is late. States are always derived from a clock, never from a stored flag,
// so a call is closed at its instant whether or not a schedule fired.
package call

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/problem"
)

// State of a call or window.
type State string

const (
	Scheduled State = "scheduled" // not yet open (or between two windows)
	Open      State = "open"
	Closed    State = "closed"
)

// Window is one submission window.
type Window struct {
	ID       string    `json:"id" dynamodbav:"id"`
	OpensAt  time.Time `json:"opensAt" dynamodbav:"opensAt"`
	ClosesAt time.Time `json:"closesAt" dynamodbav:"closesAt"`
	// ClosesOn is the day of a deadline the act wrote without an hour
	// ("entro il 21/07/2025", "2025-07-21"); ClosesAt is then 00:00 Rome
	// of the next day. Empty when the act gave an hour.
	ClosesOn string `json:"closesOn,omitempty" dynamodbav:"closesOn,omitempty"`
}

// Deadline renders the close the way the act wrote it: "entro il
// 21/07/2025" for a date-only deadline, else the instant in Rome time.
func (w Window) Deadline() string {
	if w.ClosesOn != "" {
		if d, err := time.ParseInLocation(time.DateOnly, w.ClosesOn, clock.Rome); err == nil {
			return "entro il " + d.Format("02/01/2006")
		}
	}
	return "entro il " + clock.FormatRome(w.ClosesAt)
}

// State at instant now.
func (w Window) State(now time.Time) State {
	switch {
	case now.Before(w.OpensAt):
		return Scheduled
	case now.Before(w.ClosesAt):
		return Open
	default:
		return Closed
	}
}

// Contains reports whether t falls in [OpensAt, ClosesAt).
func (w Window) Contains(t time.Time) bool { return w.State(t) == Open }

// Call is one call for applications.
type Call struct {
	ID      string   `json:"id" dynamodbav:"id"`
	Program string   `json:"program" dynamodbav:"program"`
	Region  string   `json:"region" dynamodbav:"region"`
	Title   string   `json:"title" dynamodbav:"title"`
	Windows []Window `json:"windows" dynamodbav:"windows"`
	// ProtocolPrefix is "<REGION>-<YEAR>", fixed at creation so that a
	// proroga into the next year does not change the numbering.
	ProtocolPrefix string `json:"protocolPrefix" dynamodbav:"protocolPrefix"`
	// Params are officer-set program parameters (e.g. FVG's reference
	// contribution per child), by name.
	Params map[string]string `json:"params,omitempty" dynamodbav:"params,omitempty"`
	// Funds is the fund the Region announced for the call, published on
	// it for every applicant (Piemonte P27: "ne darà avviso sulla pagina
	// principale"); nil until announced.
	Funds     *Funds    `json:"funds,omitempty" dynamodbav:"funds,omitempty"`
	CreatedAt time.Time `json:"createdAt" dynamodbav:"createdAt"`
	CreatedBy string    `json:"createdBy" dynamodbav:"createdBy"`
	Version   int64     `json:"version" dynamodbav:"version"`
}

// Funds is a fund announcement as published on its call: the amount, when
// it was announced, the act that set it (if the officer named one) and the
// riparto it started.
type Funds struct {
	Amount       money.Cents `json:"amount" dynamodbav:"amount"`
	AnnouncedAt  time.Time   `json:"announcedAt" dynamodbav:"announcedAt"`
	Act          string      `json:"act,omitempty" dynamodbav:"act,omitempty"`
	AllocationID string      `json:"allocationId" dynamodbav:"allocationId"`
}

// State of the call at now: open while any window is open, closed once the
// last window has closed, scheduled before the first and between windows.
func (c Call) State(now time.Time) State {
	if len(c.Windows) == 0 {
		return Scheduled
	}
	for _, w := range c.Windows {
		if w.Contains(now) {
			return Open
		}
	}
	if !now.Before(c.Last().ClosesAt) {
		return Closed
	}
	return Scheduled
}

// Last is the final window (windows are kept sorted).
func (c Call) Last() Window { return c.Windows[len(c.Windows)-1] }

// Window finds a window by id.
func (c Call) Window(id string) (Window, bool) {
	for _, w := range c.Windows {
		if w.ID == id {
			return w, true
		}
	}
	return Window{}, false
}

// CheckFiling tells whether an application arriving at t may be filed:
// nil inside a window, window_not_open before the first, window_closed
// after a window closed (between two windows the detail names the window
// that closed and when the next opens; after the last, the final close). Details give the instants in
// Italian, Europe/Rome.
func (c Call) CheckFiling(t time.Time) error {
	for _, w := range c.Windows {
		if w.Contains(t) {
			return nil
		}
	}
	if len(c.Windows) == 0 {
		return problem.New(problem.CodeWindowNotOpen, "Il bando non ha finestre di presentazione.")
	}
	if !t.Before(c.Last().ClosesAt) {
		closed := "è scaduto il " + clock.FormatRome(c.Last().ClosesAt)
		if c.Last().ClosesOn != "" {
			closed = "era " + c.Last().Deadline()
		}
		return problem.New(problem.CodeWindowClosed,
			"Il termine per la presentazione %s; la richiesta è arrivata il %s.", closed, clock.FormatRome(t)).
			With("closedAt", c.Last().ClosesAt.In(clock.Rome).Format(time.RFC3339Nano)).
			With("arrivedAt", t.In(clock.Rome).Format(time.RFC3339Nano))
	}
	next := c.nextOpening(t)
	if prev, ok := c.lastClosedBefore(t); ok {
		// Between two windows: the one that matters to a late clerk is the
		// window that just closed, and when the next one opens.
		return problem.New(problem.CodeWindowClosed,
			"La finestra di presentazione %s si è chiusa il %s; la richiesta è arrivata il %s. La prossima finestra apre il %s.",
			prev.ID, clock.FormatRome(prev.ClosesAt), clock.FormatRome(t), clock.FormatRome(next)).
			With("window", prev.ID).
			With("closedAt", prev.ClosesAt.In(clock.Rome).Format(time.RFC3339Nano)).
			With("arrivedAt", t.In(clock.Rome).Format(time.RFC3339Nano)).
			With("opensAt", next.In(clock.Rome).Format(time.RFC3339))
	}
	return problem.New(problem.CodeWindowNotOpen,
		"La finestra di presentazione non è ancora aperta: apre il %s.", clock.FormatRome(next)).
		With("opensAt", next.In(clock.Rome).Format(time.RFC3339))
}

// lastClosedBefore is the latest window closed at t.
func (c Call) lastClosedBefore(t time.Time) (Window, bool) {
	var out Window
	found := false
	for _, w := range c.Windows {
		if !t.Before(w.ClosesAt) {
			out, found = w, true
		}
	}
	return out, found
}

func (c Call) nextOpening(t time.Time) time.Time {
	for _, w := range c.Windows {
		if t.Before(w.OpensAt) {
			return w.OpensAt
		}
	}
	return c.Last().OpensAt
}

// Spec is what an officer gives to create a call.
type Spec struct {
	Program string            `json:"program"`
	Title   string            `json:"title"`
	Windows []WindowSpec      `json:"windows"`
	Params  map[string]string `json:"params"`
}

// WindowSpec is one window of a Spec.
type WindowSpec struct {
	ID       string `json:"id"`
	OpensAt  string `json:"opensAt"` // RFC 3339 with offset
	ClosesAt string `json:"closesAt"`
	// ClosesOn, instead of ClosesAt, is a deadline the act gives as a day
	// only ("AAAA-MM-GG"): the window closes at 00:00 Rome of the next day.
	ClosesOn string `json:"closesOn,omitempty"`
}

// New builds a call from a spec for the program's region, checking every
// field at once.
func New(id, region string, s Spec, by string, now time.Time) (Call, error) {
	var f problem.Fields
	if strings.TrimSpace(s.Program) == "" {
		f.Add("program", problem.FieldRequired, "Indicare il programma del bando.")
	}
	if t := strings.TrimSpace(s.Title); t == "" || len(t) > 300 {
		f.Add("title", problem.FieldRequired, "Indicare un titolo (al massimo 300 caratteri).")
	}
	windows := make([]Window, len(s.Windows))
	if len(s.Windows) == 0 {
		f.Add("windows", problem.FieldRequired, "Indicare almeno una finestra di presentazione.")
	}
	if len(s.Windows) > 20 {
		f.Add("windows", problem.FieldTooLarge, "Al massimo 20 finestre per bando.")
	}
	seen := map[string]bool{}
	for i, ws := range s.Windows {
		p := fmt.Sprintf("windows[%d]", i)
		wid := ws.ID
		if wid == "" {
			wid = "w" + strconv.Itoa(i+1)
		}
		if !validID(wid) {
			f.Add(p+".id", problem.FieldInvalid, "Identificativo non valido: lettere, cifre e trattini, al massimo 40.")
		} else if seen[wid] {
			f.Add(p+".id", problem.FieldInvalid, "Identificativo ripetuto.")
		}
		seen[wid] = true
		opens, okOpen := instant(&f, p+".opensAt", ws.OpensAt)
		var closes time.Time
		var okClose bool
		switch {
		case ws.ClosesOn != "" && ws.ClosesAt != "":
			f.Add(p+".closesOn", problem.FieldNotAllowed, "Indicare la chiusura come istante (closesAt) oppure come giorno (closesOn), non entrambi.")
		case ws.ClosesOn != "":
			day, err := time.ParseInLocation(time.DateOnly, ws.ClosesOn, clock.Rome)
			if err != nil {
				f.Add(p+".closesOn", problem.FieldInvalid, "Giorno non valido: AAAA-MM-GG.")
			} else {
				closes, okClose = day.AddDate(0, 0, 1), true
			}
		default:
			closes, okClose = instant(&f, p+".closesAt", ws.ClosesAt)
		}
		if okOpen && okClose && !opens.Before(closes) {
			f.Add(p+".closesAt", problem.FieldInvalid, "La chiusura deve seguire l'apertura.")
		}
		windows[i] = Window{ID: wid, OpensAt: opens.UTC(), ClosesAt: closes.UTC(), ClosesOn: ws.ClosesOn}
	}
	sort.SliceStable(windows, func(i, j int) bool { return windows[i].OpensAt.Before(windows[j].OpensAt) })
	for i := 1; i < len(windows); i++ {
		if windows[i].OpensAt.Before(windows[i-1].ClosesAt) {
			f.Add("windows", problem.FieldInvalid, "Le finestre %s e %s si sovrappongono.", windows[i-1].ID, windows[i].ID)
		}
	}
	for k, v := range s.Params {
		if !validID(k) || len(v) > 200 {
			f.Add("params."+k, problem.FieldInvalid, "Parametro non valido.")
		}
	}
	if err := f.Err(problem.CodeValidation, "Il bando non è valido."); err != nil {
		return Call{}, err
	}
	year := windows[0].OpensAt.In(clock.Rome).Year()
	return Call{
		ID: id, Program: s.Program, Region: region, Title: strings.TrimSpace(s.Title),
		Windows: windows, ProtocolPrefix: fmt.Sprintf("%s-%d", region, year),
		Params: s.Params, CreatedAt: now.UTC(), CreatedBy: by, Version: 1,
	}, nil
}

// Extend moves a window's closing instant (proroga). Only a window that is
// not yet closed may move, and only to a later instant than now: reopening
// a closed window would undo the close-time work already done.
func (c Call) Extend(windowID string, closesAt, now time.Time) (Call, Window, error) {
	idx := -1
	for i, w := range c.Windows {
		if w.ID == windowID {
			idx = i
		}
	}
	if idx < 0 {
		return c, Window{}, problem.New(problem.CodeNotFound, "Finestra %q non trovata.", windowID)
	}
	old := c.Windows[idx]
	var f problem.Fields
	switch {
	case closesAt.IsZero():
		f.Add("closesAt", problem.FieldRequired, "Indicare la nuova chiusura (RFC 3339 con fuso orario).")
	case old.State(now) == Closed:
		return c, old, problem.New(problem.CodeConflict, "La finestra è già chiusa (%s): non si può prorogare.", clock.FormatRome(old.ClosesAt))
	case !closesAt.After(now):
		f.Add("closesAt", problem.FieldInvalid, "La nuova chiusura deve essere nel futuro.")
	case !closesAt.After(old.OpensAt):
		f.Add("closesAt", problem.FieldInvalid, "La chiusura deve seguire l'apertura.")
	case idx+1 < len(c.Windows) && closesAt.After(c.Windows[idx+1].OpensAt):
		f.Add("closesAt", problem.FieldInvalid, "La nuova chiusura si sovrappone alla finestra successiva.")
	}
	if err := f.Err(problem.CodeValidation, "La proroga non è valida."); err != nil {
		return c, old, err
	}
	next := c
	next.Windows = append([]Window(nil), c.Windows...)
	next.Windows[idx].ClosesAt = closesAt.UTC()
	// A date-only deadline moved to another midnight stays date-only
	// ("entro il" the day before); moved to an hour, it is an instant.
	next.Windows[idx].ClosesOn = ""
	if r := closesAt.In(clock.Rome); old.ClosesOn != "" && r.Hour() == 0 && r.Minute() == 0 && r.Second() == 0 && r.Nanosecond() == 0 {
		next.Windows[idx].ClosesOn = r.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return next, old, nil
}

// instant parses a required RFC 3339 field, recording a field error.
func instant(f *problem.Fields, field, s string) (time.Time, bool) {
	if s == "" {
		f.Add(field, problem.FieldRequired, "Campo obbligatorio (RFC 3339 con fuso orario).")
		return time.Time{}, false
	}
	t, err := clock.ParseInstant(s)
	if err != nil {
		f.Add(field, problem.FieldInvalid, "%s", err.Error())
		return time.Time{}, false
	}
	return t, true
}

// ParseExtension reads a proroga's new closing instant.
func ParseExtension(closesAt string) (time.Time, error) {
	var f problem.Fields
	t, _ := instant(&f, "closesAt", closesAt)
	return t, f.Err(problem.CodeValidation, "La proroga non è valida.")
}

func validID(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// WindowEvent records that the close- or open-time work of one window
// instant was done. It is written once: a repeated or late trigger finds it.
type WindowEvent struct {
	CallID   string    `dynamodbav:"callId" json:"callId"`
	WindowID string    `dynamodbav:"windowId" json:"windowId"`
	Kind     string    `dynamodbav:"kind" json:"kind"` // OPENED | CLOSED
	At       time.Time `dynamodbav:"at" json:"at"`     // the window's instant
	RanAt    time.Time `dynamodbav:"ranAt" json:"ranAt"`
	Trigger  string    `dynamodbav:"trigger" json:"trigger"` // schedule | reconcile
}

// Participation is the list of orgs that filed, frozen at the final close:
// a Comune absent from it gets no share of the fund.
type Participation struct {
	CallID   string    `dynamodbav:"callId" json:"callId"`
	ClosedAt time.Time `dynamodbav:"closedAt" json:"closedAt"`
	Orgs     []string  `dynamodbav:"orgs" json:"orgs"`
	Filed    int       `dynamodbav:"filed" json:"filed"`
	Expired  int       `dynamodbav:"expired" json:"expired"`
}
