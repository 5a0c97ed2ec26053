// Package submission is an application's lifecycle: a draft that only its
// org can change, filing ("invio al protocollo") inside a window with a
// protocol number and the request's arrival time, then the officers' review.
// It knows nothing of a form's content: that is the program's job.
package submission

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"sportello/shared/clock"
	"sportello/shared/problem"
	"sportello/shared/program"
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
	Withdrawn            State = "withdrawn"             // the applicant renounced a filed application (rinuncia)
)

// Protocol is the official registration of a filing (or of an
// integration) in the Region's register of the year.
type Protocol struct {
	Number string    `json:"number" dynamodbav:"number"`
	Seq    int64     `json:"-" dynamodbav:"seq"`
	At     time.Time `json:"at" dynamodbav:"at"` // the request's arrival time
	// Register is "<REGION>-<YEAR>": the Region's register of the year of
	// At in Rome (DPR 445/2000 art. 57: renewed each calendar year).
	Register string `json:"-" dynamodbav:"register"`
}

// SealedDocument is a document's fingerprint as sealed into the record
// by the filing (or an integration) that included it (DPR 445/2000 art. 53).
type SealedDocument struct {
	ID       string `json:"id" dynamodbav:"id"`
	Kind     string `json:"kind" dynamodbav:"kind"`
	Filename string `json:"filename" dynamodbav:"filename"`
	Size     int64  `json:"size" dynamodbav:"size"`
	SHA256   string `json:"sha256" dynamodbav:"sha256"`
}

// Upload is what the lifecycle knows of an uploaded document: its
// fingerprint, whether verification passed, and when S3 stored the bytes.
type Upload struct {
	ID, Kind, Filename, SHA256 string
	Size                       int64
	Verified                   bool
	ReceivedAt                 time.Time
	// Detail is what the program's checks see of a verified document.
	Detail program.Document
}

// Integration is a set of documents the applicant sent for an officer's
// integration request, sealed and registered with its own number.
type Integration struct {
	Protocol  Protocol         `json:"protocol" dynamodbav:"protocol"`
	Deadline  time.Time        `json:"deadline" dynamodbav:"deadline"`
	Documents []SealedDocument `json:"documents" dynamodbav:"documents"`
	By        string           `json:"-" dynamodbav:"by"`
}

// Withdrawal records a rinuncia: who and when.
type Withdrawal struct {
	By string    `json:"by" dynamodbav:"by"`
	At time.Time `json:"at" dynamodbav:"at"`
}

// PrivacyAcknowledgement records which version of the call's privacy
// notice the applicant acknowledged, who and when (the service's clock).
type PrivacyAcknowledgement struct {
	Version string    `json:"version" dynamodbav:"version"`
	At      time.Time `json:"at" dynamodbav:"at"`
	By      string    `json:"by" dynamodbav:"by"`
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
	// Claims are the keys this application holds exclusively (its own
	// Comune, its facility); Members are the Comuni it lists on their
	// behalf, which never block those Comuni (see Claims).
	Claims  []string `json:"-" dynamodbav:"claims,omitempty"`
	Members []string `json:"-" dynamodbav:"members,omitempty"`
	// Sealed is the set of documents the filing sealed: exactly the
	// verified documents when the filing transaction ran, never changed.
	Sealed       []SealedDocument `json:"sealedDocuments,omitempty" dynamodbav:"sealed,omitempty"`
	Integrations []Integration    `json:"integrations,omitempty" dynamodbav:"integrations,omitempty"`
	Withdrawal   *Withdrawal      `json:"withdrawal,omitempty" dynamodbav:"withdrawal,omitempty"`
	// Privacy is the applicant's acknowledgement of the call's privacy
	// notice (nil when the call publishes none).
	Privacy *PrivacyAcknowledgement `json:"privacyNotice,omitempty" dynamodbav:"privacy,omitempty"`
	// Registering is what a registration transaction records for this
	// application (EntryFiling: its Protocol; EntryIntegration: its last
	// integration); never stored.
	Registering string    `json:"-" dynamodbav:"-"`
	Flags       []string  `json:"flags,omitempty" dynamodbav:"flags,omitempty"`
	Summary     string    `json:"summary,omitempty" dynamodbav:"summary,omitempty"`
	CreatedAt   time.Time `json:"createdAt" dynamodbav:"createdAt"`
	CreatedBy   string    `json:"-" dynamodbav:"createdBy"`
	UpdatedAt   time.Time `json:"updatedAt" dynamodbav:"updatedAt"`
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

// Model is how a program's applications are reviewed; the program says
// which (program.Reviewer).
type Model = program.ReviewModel

// Review models.
const (
	Admission  = program.Admission
	Validation = program.Validation
)

// Decision is an officer's review request.
type Decision struct {
	Decision string     `json:"decision"`
	Notes    string     `json:"notes"`
	Deadline *time.Time `json:"deadline"`
	Admitted []string   `json:"admittedFacilities"`
	Reasons  []string   `json:"reasons"`
}

// ApplyReview returns the application after the decision, or why not.
// model is the program's review model (program.ReviewModelOf).
func (s Submission) ApplyReview(model Model, d Decision, by string, now time.Time) (Submission, error) {
	var f problem.Fields
	if len(d.Notes) > 4000 {
		f.Add("notes", problem.FieldTooLarge, "Note troppo lunghe (massimo 4000 caratteri).")
	}
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

// FormatProtocol renders a register number: "<REGISTER>-<at least 7
// digits>", e.g. LOM-2025-0000042 (DPR 445/2000 art. 57: at least seven
// digits).
func FormatProtocol(register string, seq int64) string {
	return fmt.Sprintf("%s-%07d", register, seq)
}

// RegisterOf names the Region's register for a registration at instant
// at: one per Region per calendar year, the year being Rome's.
func RegisterOf(region string, at time.Time) string {
	return fmt.Sprintf("%s-%d", region, at.In(clock.Rome).Year())
}

// Kinds of register entry.
const (
	EntryFiling      = "filing"
	EntryIntegration = "integration"
	// EntryLiquidation is a Comune's liquidation request (shared/rendiconto):
	// SubmissionID is the admitted application it claims on, ClaimID the
	// rendicontazione.
	EntryLiquidation = "liquidation_request"
)

// Registration is one number of a Region's register: what it registered
// and whether the filing was later withdrawn. Every number from 1 to the
// register's counter has exactly one.
type Registration struct {
	Register     string      `json:"register" dynamodbav:"register"`
	Seq          int64       `json:"seq" dynamodbav:"seq"`
	Number       string      `json:"number" dynamodbav:"number"`
	Kind         string      `json:"kind" dynamodbav:"kind"` // filing | integration | liquidation_request
	SubmissionID string      `json:"submissionId" dynamodbav:"submissionId"`
	ClaimID      string      `json:"claimId,omitempty" dynamodbav:"claimId,omitempty"`
	CallID       string      `json:"callId" dynamodbav:"callId"`
	At           time.Time   `json:"at" dynamodbav:"at"`
	Withdrawal   *Withdrawal `json:"withdrawal,omitempty" dynamodbav:"withdrawal,omitempty"`
}

// Registration is the protocol being registered by s.Registering.
func (s Submission) Registration() (Protocol, bool) {
	switch {
	case s.Registering == EntryFiling && s.Protocol != nil:
		return *s.Protocol, true
	case s.Registering == EntryIntegration && len(s.Integrations) > 0:
		return s.Integrations[len(s.Integrations)-1].Protocol, true
	}
	return Protocol{}, false
}

// Entry is the register entry of a protocol.
func Entry(p Protocol, kind string, s Submission) Registration {
	return Registration{Register: p.Register, Seq: p.Seq, Number: p.Number, Kind: kind, SubmissionID: s.ID, CallID: s.CallID, At: p.At}
}

// ClaimKey normalises a uniqueness key "<kind>:<id>" once, here, so that
// no spelling of one facility, fiscal code or ISTAT code can file twice:
// the kind in lower case, the id trimmed and in upper case, an ISTAT code
// of a Comune written with its six digits.
func ClaimKey(key string) string {
	kind, id, ok := strings.Cut(strings.TrimSpace(key), ":")
	if !ok {
		return strings.ToUpper(strings.Join(strings.Fields(key), ""))
	}
	kind = strings.ToLower(strings.TrimSpace(kind))
	id = strings.ToUpper(strings.Join(strings.Fields(id), ""))
	if kind == "comune" && len(id) < 6 && allDigits(id) && id != "" {
		id = strings.Repeat("0", 6-len(id)) + id
	}
	return kind + ":" + id
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// SplitClaims normalises a form's claims and separates those the filer
// holds for itself (its own Comune, its facility) from the other bodies
// it names on their behalf (an association's member Comuni). Only the
// first are exclusive: a claim made on someone else's behalf never blocks
// that someone.
func SplitClaims(org string, keys []string) (own, members []string) {
	self := ClaimKey(org)
	seen := map[string]bool{}
	for _, k := range keys {
		k = ClaimKey(k)
		if seen[k] {
			continue
		}
		seen[k] = true
		kind, _, _ := strings.Cut(k, ":")
		if (kind == "comune" || kind == "gestore") && k != self {
			members = append(members, k)
		} else {
			own = append(own, k)
		}
	}
	return own, members
}
