// Package submission is an application's lifecycle: a draft that only its
// org can change, filing ("invio al protocollo") inside a window with a
// protocol number and the request's arrival time, then the officers' review.
// It knows nothing of a form's content: that is the program's job.
package submission

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"sportello/shared/clock"
	"sportello/shared/problem"
)

// State of an application.
type State string

const (
	Draft                State = "draft"
	Submitted            State = "submitted"             // filed, with protocol; awaiting review
	Validated            State = "validated"             // Piemonte: accepted by the Region
	Rejected             State = "rejected"              // Piemonte: sent back for correction, editable
	Admitted             State = "admitted"              // FVG/Lombardy: admitted
	Excluded             State = "excluded"              // FVG/Lombardy: excluded
	IntegrationRequested State = "integration_requested" // FVG/Lombardy: documents requested by a deadline
	Expired              State = "expired"               // a draft never filed before the call closed
)

// Protocol is the official registration of a filing.
type Protocol struct {
	Number string    `json:"number" dynamodbav:"number"`
	Seq    int64     `json:"-" dynamodbav:"seq"`
	At     time.Time `json:"at" dynamodbav:"at"` // the request's arrival time
}

// Review is the officer's latest decision.
type Review struct {
	Decision string     `json:"decision" dynamodbav:"decision"`
	Notes    string     `json:"notes,omitempty" dynamodbav:"notes,omitempty"`
	By       string     `json:"by" dynamodbav:"by"`
	At       time.Time  `json:"at" dynamodbav:"at"`
	Deadline *time.Time `json:"deadline,omitempty" dynamodbav:"deadline,omitempty"`
	// Admitted lists the facilities admitted (Lombardy), by registry code.
	Admitted []string `json:"admittedFacilities,omitempty" dynamodbav:"admitted,omitempty"`
	// Reasons are the coded reasons of an exclusion (the program's list).
	Reasons []string `json:"reasons,omitempty" dynamodbav:"reasons,omitempty"`
}

// Submission is one application.
type Submission struct {
	ID       string          `json:"id" dynamodbav:"id"`
	CallID   string          `json:"callId" dynamodbav:"callId"`
	Program  string          `json:"program" dynamodbav:"program"`
	Region   string          `json:"region" dynamodbav:"region"`
	Org      string          `json:"org" dynamodbav:"org"`
	State    State           `json:"state" dynamodbav:"state"`
	Data     json.RawMessage `json:"data" dynamodbav:"-"`
	Version  int64           `json:"version" dynamodbav:"version"`
	Protocol *Protocol       `json:"protocol,omitempty" dynamodbav:"protocol,omitempty"`
	// Resubmitted records each time a rejected form was sent again.
	Resubmitted []time.Time `json:"resubmittedAt,omitempty" dynamodbav:"resubmitted,omitempty"`
	Review      *Review     `json:"review,omitempty" dynamodbav:"review,omitempty"`
	// Istruttoria is the review clock (nil when the program sets none).
	Istruttoria *Istruttoria `json:"istruttoria,omitempty" dynamodbav:"istruttoria,omitempty"`
	Claims      []string     `json:"-" dynamodbav:"claims,omitempty"`
	Flags       []string     `json:"flags,omitempty" dynamodbav:"flags,omitempty"`
	Summary     string       `json:"summary,omitempty" dynamodbav:"summary,omitempty"`
	CreatedAt   time.Time    `json:"createdAt" dynamodbav:"createdAt"`
	CreatedBy   string       `json:"-" dynamodbav:"createdBy"`
	UpdatedAt   time.Time    `json:"updatedAt" dynamodbav:"updatedAt"`
}

// Filed reports whether the application has a protocol number.
func (s Submission) Filed() bool { return s.Protocol != nil }

// CheckEditable tells whether the data may change at now: a draft always;
// a rejected form until the correction deadline the officer set. Anything
// filed is immutable.
func (s Submission) CheckEditable(now time.Time) error {
	switch s.State {
	case Draft:
		return nil
	case Rejected:
		if s.Review != nil && s.Review.Deadline != nil && !now.Before(*s.Review.Deadline) {
			return problem.New(problem.CodeNotEditable, "Il termine per la correzione è scaduto il %s.", clock.FormatRome(*s.Review.Deadline))
		}
		return nil
	case Expired:
		return problem.New(problem.CodeNotEditable, "La bozza è scaduta con la chiusura del bando.")
	}
	return problem.New(problem.CodeNotEditable, "La domanda è stata inviata al protocollo (%s) e non può più essere modificata.", s.Protocol.Number)
}

// CheckUploadable tells whether documents may be added at now: while
// editable, or while an integration requested by the officer is open.
func (s Submission) CheckUploadable(now time.Time) error {
	if s.State == IntegrationRequested {
		if s.Review != nil && s.Review.Deadline != nil && !now.Before(*s.Review.Deadline) {
			return problem.New(problem.CodeNotEditable, "Il termine per l'integrazione documentale è scaduto il %s.", clock.FormatRome(*s.Review.Deadline))
		}
		return nil
	}
	return s.CheckEditable(now)
}

// Model is how a program's applications are reviewed.
type Model int

const (
	// Validation: the Region validates or rejects (Piemonte rilevazione);
	// a rejected form is corrected and sent again.
	Validation Model = iota
	// Admission: the Region admits, excludes, or asks for documents
	// (FVG contributo, Lombardy adesione).
	Admission
)

// ModelFor returns the review model of a region's program.
func ModelFor(region string) Model {
	if region == "PIE" {
		return Validation
	}
	return Admission
}

// Decision is an officer's review request.
type Decision struct {
	Decision string     `json:"decision"`
	Notes    string     `json:"notes"`
	Deadline *time.Time `json:"deadline"`
	Admitted []string   `json:"admittedFacilities"`
	Reasons  []string   `json:"reasons"`
}

// ApplyReview returns the application after the decision, or why not.
func (s Submission) ApplyReview(d Decision, by string, now time.Time) (Submission, error) {
	var f problem.Fields
	if len(d.Notes) > 4000 {
		f.Add("notes", problem.FieldTooLarge, "Note troppo lunghe (massimo 4000 caratteri).")
	}
	model := ModelFor(s.Region)
	var next State
	switch {
	case model == Validation && d.Decision == "validate":
		next = Validated
	case model == Validation && d.Decision == "reject":
		next = Rejected
		if d.Notes == "" {
			f.Add("notes", problem.FieldRequired, "Indicare le note di correzione da inviare al Comune.")
		}
	case model == Admission && d.Decision == "admit":
		next = Admitted
	case model == Admission && d.Decision == "exclude":
		next = Excluded
		if d.Notes == "" {
			f.Add("notes", problem.FieldRequired, "Indicare il motivo dell'esclusione.")
		}
	case model == Admission && d.Decision == "request_integration":
		next = IntegrationRequested
		if d.Deadline == nil {
			f.Add("deadline", problem.FieldRequired, "Indicare il termine per l'integrazione (RFC 3339 con fuso orario).")
		} else if !d.Deadline.After(now) {
			f.Add("deadline", problem.FieldInvalid, "Il termine deve essere nel futuro.")
		}
		if d.Notes == "" {
			f.Add("notes", problem.FieldRequired, "Indicare i documenti richiesti.")
		}
	default:
		allowed := "validate, reject"
		if model == Admission {
			allowed = "admit, exclude, request_integration"
		}
		f.Add("decision", problem.FieldInvalid, "Decisione non prevista per questo bando: ammesse %s.", allowed)
	}
	if next == Rejected && d.Deadline != nil && !d.Deadline.After(now) {
		f.Add("deadline", problem.FieldInvalid, "Il termine per la correzione deve essere nel futuro.")
	}
	if len(d.Admitted) > 0 && next != Admitted {
		f.Add("admittedFacilities", problem.FieldNotAllowed, "Le strutture ammesse si indicano solo con la decisione admit.")
	}
	if len(d.Reasons) > 0 && next != Excluded {
		f.Add("reasons", problem.FieldNotAllowed, "I motivi codificati si indicano solo con la decisione exclude.")
	}
	if err := f.Err(problem.CodeValidation, "La decisione non è valida."); err != nil {
		return s, err
	}
	switch s.State {
	case Submitted:
	case IntegrationRequested:
		if model != Admission {
			return s, problem.New(problem.CodeConflict, "Stato non valido per la revisione.")
		}
	default:
		return s, problem.New(problem.CodeConflict, "La domanda è nello stato %q: non può essere esaminata ora.", s.State)
	}
	next2 := s
	next2.State = next
	next2.Review = &Review{Decision: d.Decision, Notes: d.Notes, By: by, At: now.UTC(), Admitted: d.Admitted, Reasons: d.Reasons}
	if d.Deadline != nil {
		dl := d.Deadline.UTC()
		next2.Review.Deadline = &dl
	}
	next2.UpdatedAt = now.UTC()
	if s.Istruttoria != nil {
		// The clock stands still while an integration is awaited (C.3.c):
		// a decision after a request restarts it — at the integration
		// deadline if that passed first.
		ist := *s.Istruttoria
		if s.State == IntegrationRequested {
			restart := now
			if s.Review != nil && s.Review.Deadline != nil && s.Review.Deadline.Before(now) {
				restart = *s.Review.Deadline
			}
			ist.Resume(restart)
		}
		if next == IntegrationRequested {
			ist.Stop(now)
		}
		next2.Istruttoria = &ist
	}
	return next2, nil
}

// Outcomes of a filing attempt that the service reacts to; the store
// returns them.
var (
	// ErrCounterMoved: another filing took the next number first; retry.
	ErrCounterMoved = errors.New("protocol counter moved")
	// ErrStale: the application changed since it was read; reload.
	ErrStale = errors.New("submission changed meanwhile")
)

// ClaimTaken reports a uniqueness key held by another filed application.
type ClaimTaken struct {
	Key, HolderID string
}

func (c *ClaimTaken) Error() string { return "claim " + c.Key + " held by " + c.HolderID }

// FormatProtocol renders the protocol number: "<REGION>-<YEAR>-<6 digits>".
func FormatProtocol(prefix string, seq int64) string {
	return fmt.Sprintf("%s-%06d", prefix, seq)
}
