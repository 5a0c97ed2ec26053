package submission

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"sportello/shared/access"
	"sportello/shared/audit"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/ident"
	"sportello/shared/metrics"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/retry"

	"golang.org/x/sync/errgroup"
)

// Store is what the lifecycle needs from storage. The DynamoDB adapter
// implements it; every write is conditional.
type Store interface {
	Call(ctx context.Context, id string) (call.Call, error)
	// CreateSubmissionWith stores a new draft with its effects (its audit
	// line) in one transaction; under an idempotency key already used it
	// writes nothing and answers the first draft (created false).
	CreateSubmissionWith(ctx context.Context, s Submission, idemKey, bodyHash string, fx outbox.Effects) (Submission, bool, error)
	Submission(ctx context.Context, id string) (Submission, error)
	Submissions(ctx context.Context, callID, org string) ([]Submission, error)
	// SaveSubmissionWith saves s if the stored version is still prev, with
	// the change's effects (its audit lines and outbox messages) in the
	// same transaction.
	SaveSubmissionWith(ctx context.Context, s Submission, prev int64, fx outbox.Effects) error
	// ProtocolCounter reads the last number of a register ("LOM-2025").
	ProtocolCounter(ctx context.Context, register string) (int64, error)
	// FileAll registers applications in one register in one transaction
	// (numbers counter+1…, each its register entry; a filing also seals its
	// documents and takes its claims, an integration seals its set);
	// refused names those that failed their own conditions (ErrStale,
	// *ClaimTaken), nothing being written then. fx[i] (fx may be nil) are
	// subs[i]'s effects, written in the same transaction.
	FileAll(ctx context.Context, subs []Submission, prevs []int64, fx []outbox.Effects, counter int64) (refused map[int]error, err error)
	// Release saves s (from version prev) and, in the same transaction,
	// releases every claim it holds and writes the change's effects; for a
	// withdrawn application it marks its filing's register entry withdrawn.
	Release(ctx context.Context, s Submission, prev int64, fx outbox.Effects) error
	// Register lists a register's entries in number order.
	Register(ctx context.Context, register string) ([]Registration, error)
	// Uploads lists the application's documents as the lifecycle sees them
	// (with how each verified one is signed and what its signatures cover).
	Uploads(ctx context.Context, submissionID string) ([]Upload, error)
	ClaimHolders(ctx context.Context, callID string, claims []string) (map[string]string, error)
	// MemberListings lists the filed applications that name key as a
	// member on its behalf.
	MemberListings(ctx context.Context, callID, key string) ([]string, error)
	SubmissionAudit(ctx context.Context, submissionID string) ([]audit.Entry, error)
	// RecordArrival and FirstArrival keep the arrival of a submit that
	// failed retryably, under the client's idempotency key.
	RecordArrival(ctx context.Context, scope string, at time.Time) error
	FirstArrival(ctx context.Context, scope string) (time.Time, bool, error)
}

// Registries gives the reference data a call's forms are checked against.
type Registries interface {
	Registry(ctx context.Context, callID string) (program.Registry, error)
}

// Notifier composes what the lifecycle writes to people: the filing
// receipt, and each review decision with the officer's notes (a rejected
// Piemonte scheda's correction notes, documents requested, the outcome),
// to the applicant. The messages are written to the outbox in the
// transaction of the change they announce (never sent from the request:
// the relay delivers them, at least once, under their key).
type Notifier interface {
	Receipt(s Submission, c call.Call, to string) outbox.Message
	Decision(s Submission, c call.Call, to string) outbox.Message
	// IntegrationNotice tells the Region's office that the applicant sent
	// the documents it asked for; ok is false when the Region has no
	// office address.
	IntegrationNotice(s Submission, c call.Call) (m outbox.Message, ok bool)
}

// Service runs the lifecycle.
type Service struct {
	Store      Store
	Programs   map[string]program.Program
	Registries Registries
	Notifier   Notifier // nil: no e-mail
	Clock      clock.Clock
	Log        *slog.Logger

	// FilingBudget bounds the retries of a submit against contention and
	// storage faults; zero is DefaultFilingBudget.
	FilingBudget time.Duration

	lanes sync.Map // register → *lane: filings of one register group commit in process
}

func (s *Service) budget() time.Duration {
	if s.FilingBudget > 0 {
		return s.FilingBudget
	}
	return DefaultFilingBudget
}

// load reads an application the principal may see: an applicant only its
// orgs', an officer only its region's; anything else is not found, so that
// ids of others' applications reveal nothing.
func (s *Service) load(ctx context.Context, p *auth.Principal, id string) (Submission, error) {
	if !ident.Valid("sub", id) {
		return Submission{}, access.ErrApplicationNotFound
	}
	sub, err := s.Store.Submission(ctx, id)
	if err != nil {
		return sub, err
	}
	if err := access.SeeApplication(p, sub.Org, sub.Region); err != nil {
		return Submission{}, err
	}
	return sub, nil
}

func (s *Service) callAndProgram(ctx context.Context, callID string) (call.Call, program.Program, error) {
	c, err := s.Store.Call(ctx, callID)
	if err != nil {
		return c, nil, err
	}
	prog, ok := s.Programs[c.Program]
	if !ok {
		return c, nil, fmt.Errorf("call %s: program %q not configured", c.ID, c.Program)
	}
	return c, prog, nil
}

// Get returns an application. An officer also sees, as flags, the
// member Comuni of an association that filed alone or are listed by
// another association (the member filing alone wins; docs/programs.md).
func (s *Service) Get(ctx context.Context, p *auth.Principal, id string) (Submission, error) {
	sub, err := s.load(ctx, p, id)
	if err != nil || !p.OfficerOf(sub.Region) || len(sub.Members) == 0 || !sub.holdsClaims() {
		return sub, err
	}
	flags, err := s.memberFlags(ctx, sub)
	if err != nil {
		return sub, err
	}
	sub.Flags = append(append([]string(nil), sub.Flags...), flags...)
	return sub, nil
}

// memberFlags names each member of an association that holds its own
// filing, or that another filed association also lists.
func (s *Service) memberFlags(ctx context.Context, sub Submission) ([]string, error) {
	holders, err := s.Store.ClaimHolders(ctx, sub.CallID, sub.Members)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range sub.Members {
		if h, ok := holders[m]; ok && h != sub.ID {
			out = append(out, "member_filed_alone:"+m+":"+h)
		}
		others, err := s.Store.MemberListings(ctx, sub.CallID, m)
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			if o != sub.ID {
				out = append(out, "member_listed_elsewhere:"+m+":"+o)
			}
		}
	}
	return out, nil
}

// holdsClaims: a filed application that was neither excluded nor
// withdrawn holds its claims.
func (s Submission) holdsClaims() bool {
	return s.Filed() && s.State != Excluded && s.State != Withdrawn
}

// Create opens a draft for org. With an idempotency key, a retried
// request returns the draft the first one made.
//
// privacyNotice is the version of the call's privacy notice the applicant
// acknowledges: a call that publishes one takes no first save without it
// (Lombardy's Allegato A2, Avviso D.7).
func (s *Service) Create(ctx context.Context, p *auth.Principal, callID, org string, data json.RawMessage, idemKey, privacyNotice string) (Submission, bool, error) {
	var f problem.Fields
	if org == "" {
		f.Add("org", problem.FieldRequired, "Indicare l'ente per cui si presenta la domanda.")
	} else if !auth.ValidOrg(org) {
		f.Add("org", problem.FieldInvalid, "Ente non valido (es. comune:001272).")
	}
	if err := f.Err(problem.CodeValidation, "La richiesta non è valida."); err != nil {
		return Submission{}, false, err
	}
	if p.IsOfficer() {
		return Submission{}, false, problem.New(problem.CodeForbidden, "Le domande sono presentate dagli enti, non dai funzionari.")
	}
	if err := access.ActFor(p, org, "L'utenza non è abilitata ad agire per l'ente "+org+"."); err != nil {
		return Submission{}, false, err
	}
	c, prog, err := s.callAndProgram(ctx, callID)
	if err != nil {
		return Submission{}, false, err
	}
	kind, _, _ := strings.Cut(org, ":")
	allowed := false
	for _, k := range prog.ApplicantKinds() {
		allowed = allowed || k == kind
	}
	if !allowed {
		return Submission{}, false, &problem.Error{Code: problem.CodeValidation, Detail: "Questo bando non è rivolto a questo tipo di ente.",
			Fields: []problem.FieldError{{Field: "org", Code: problem.FieldNotAllowed, Message: "Possono presentare domanda: " + strings.Join(prog.ApplicantKinds(), ", ") + "."}}}
	}
	now := s.Clock.Now()
	if c.State(now) == call.Closed {
		return Submission{}, false, c.CheckFiling(now)
	}
	if len(data) == 0 || string(data) == "null" {
		data = json.RawMessage(`{}`)
	}
	if pf, ok := prog.(program.Prefiller); ok && s.Registries != nil {
		// What the Region pre-loaded for the org (a returning Comune's
		// 2024/25 adhesion) fills what the new draft leaves out.
		reg, err := s.Registries.Registry(ctx, c.ID)
		if err != nil {
			return Submission{}, false, err
		}
		if data, err = pf.Prefill(data, org, reg); err != nil {
			return Submission{}, false, err
		}
	}
	if err := checkDraftSize(data); err != nil {
		return Submission{}, false, err
	}
	ack, err := acknowledge(p, prog, c, nil, privacyNotice, now)
	if err != nil {
		return Submission{}, false, err
	}
	form, err := prog.Decode(data)
	if err != nil {
		return Submission{}, false, prefixed(err, "data")
	}
	sub := Submission{ID: ident.New("sub"), CallID: c.ID, Program: c.Program, Region: c.Region, Org: org, State: Draft,
		Data: compact(data), Version: 1, Summary: summary(form), Privacy: ack, CreatedAt: now.UTC(), CreatedBy: p.Subject, UpdatedAt: now.UTC()}
	sum := sha256.Sum256(append([]byte(callID+"\x00"+org+"\x00"), sub.Data...))
	key := ""
	if idemKey != "" {
		key = p.Subject + "#" + idemKey
	}
	// The audit line in the creation's transaction: a repeat under the
	// same key writes neither.
	fx := outbox.Effects{}.With(&audit.Entry{CallID: c.ID, SubmissionID: sub.ID, At: now, Actor: p.Subject, Action: "submission.created",
		Detail: ack.detail(map[string]string{"org": org})})
	got, created, err := s.Store.CreateSubmissionWith(ctx, sub, key, hex.EncodeToString(sum[:]), fx)
	if err != nil {
		return got, false, err
	}
	return got, created, nil
}

// Update replaces the data of an editable application whose version is
// still ifMatch; a stale version is 412 and changes nothing.
// A call whose privacy notice changed since the applicant acknowledged it
// takes the new version's acknowledgement (privacyNotice) with the save.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id string, ifMatch int64, data json.RawMessage, privacyNotice string) (Submission, error) {
	sub, err := s.load(ctx, p, id)
	if err != nil {
		return sub, err
	}
	if err := access.ActFor(p, sub.Org, "Solo l'ente può modificare la propria domanda."); err != nil {
		return sub, err
	}
	now := s.Clock.Now()
	if err := sub.CheckEditable(now); err != nil {
		return sub, err
	}
	if sub.Version != ifMatch {
		return sub, problem.New(problem.CodeVersionMismatch, "La domanda è stata modificata (versione attuale %d, indicata %d): ricaricarla e riprovare.", sub.Version, ifMatch)
	}
	if err := checkDraftSize(data); err != nil {
		return sub, err
	}
	c, prog, err := s.callAndProgram(ctx, sub.CallID)
	if err != nil {
		return sub, err
	}
	ack, err := acknowledge(p, prog, c, sub.Privacy, privacyNotice, now)
	if err != nil {
		return sub, err
	}
	form, err := prog.Decode(data)
	if err != nil {
		return sub, prefixed(err, "data")
	}
	next := sub
	next.Data, next.Summary, next.Version, next.UpdatedAt = compact(data), summary(form), sub.Version+1, now.UTC()
	if ack != nil {
		next.Privacy = ack
	}
	fx := outbox.Effects{}.With(&audit.Entry{CallID: sub.CallID, SubmissionID: sub.ID, At: now, Actor: p.Subject, Action: "submission.updated",
		Detail: ack.detail(map[string]string{"version": fmt.Sprint(next.Version)})})
	if err := s.Store.SaveSubmissionWith(ctx, next, ifMatch, fx); err != nil {
		return sub, err
	}
	return next, nil
}

// acknowledge checks the acknowledgement of the call's privacy notice
// that a save carries (given: the version acknowledged, "" none) against
// the notice in force and the one already on record (prev). It answers
// the acknowledgement to record, nil when there is nothing new (the call
// publishes no notice, or its version is already acknowledged).
func acknowledge(p *auth.Principal, prog program.Program, c call.Call, prev *PrivacyAcknowledgement, given string, now time.Time) (*PrivacyAcknowledgement, error) {
	notice, ok := program.NoticeOf(prog, c.Params)
	switch {
	case !ok:
		return nil, nil
	case given == notice.Version:
		return &PrivacyAcknowledgement{Version: notice.Version, At: now.UTC(), By: p.Subject}, nil
	case given != "":
		return nil, (&problem.Error{Code: problem.CodePrivacyNotice,
			Detail: fmt.Sprintf("La versione dell'informativa indicata (%s) non è quella in vigore per il bando: leggere l'informativa «%s», versione %s, e confermarne la presa visione.", given, notice.Title, notice.Version),
			Fields: []problem.FieldError{{Field: "privacyNoticeVersion", Code: problem.FieldMismatch, Message: "Versione in vigore: " + notice.Version + "."}}}).
			With("privacyNoticeVersion", notice.Version)
	case prev != nil && prev.Version == notice.Version:
		return nil, nil
	}
	return nil, (&problem.Error{Code: problem.CodePrivacyNotice,
		Detail: fmt.Sprintf("Prima di salvare la domanda occorre prendere visione dell'informativa sul trattamento dei dati personali («%s», versione %s) e confermarlo.", notice.Title, notice.Version),
		Fields: []problem.FieldError{{Field: "privacyNoticeVersion", Code: problem.FieldRequired, Message: "Indicare la versione dell'informativa di cui si è presa visione: " + notice.Version + "."}}}).
		With("privacyNoticeVersion", notice.Version)
}

// detail adds the acknowledgement, if any, to an audit line's detail.
func (a *PrivacyAcknowledgement) detail(d map[string]string) map[string]string {
	if a != nil {
		d["privacyNotice"] = a.Version
		d["privacyAcknowledgedAt"] = a.At.Format(time.RFC3339Nano)
	}
	return d
}

// List returns a call's applications: all of them to an officer of its
// region, an applicant's own orgs' to an applicant.
func (s *Service) List(ctx context.Context, p *auth.Principal, callID string) ([]Submission, error) {
	c, err := s.Store.Call(ctx, callID)
	if err != nil {
		return nil, err
	}
	if err := access.SeeCall(p, c.Region); err != nil {
		return nil, err
	}
	if p.IsOfficer() {
		subs, err := s.Store.Submissions(ctx, callID, "")
		return subs, err
	}
	var out []Submission
	for _, org := range p.Orgs {
		subs, err := s.Store.Submissions(ctx, callID, org)
		if err != nil {
			return nil, err
		}
		out = append(out, subs...)
	}
	return out, nil
}

// Submit files the application ("invia al protocollo") as of arrival, the
// instant the request reached the API. Inside an open window it takes the
// call's next protocol number in one transaction with the application's
// new state and its uniqueness claims. A repeated call answers the same
// protocol. Everything wrong with the form or its documents is reported at
// once.
//
// A storage fault or throttle on the way is retried inside the filing budget
// (submitting again is idempotent and the filing time stays the arrival):
// a clerk at 11:59 is not sent back for contention the server can absorb.
func (s *Service) Submit(ctx context.Context, p *auth.Principal, id string, arrival time.Time) (Submission, error) {
	sub, _, err := s.submit(ctx, p, id, arrival, "")
	return sub, err
}

// submit is Submit; with scope (a client's idempotency key) a first
// arrival kept under it replaces a later one (SubmitRetry).
func (s *Service) submit(ctx context.Context, p *auth.Principal, id string, arrival time.Time, scope string) (Submission, time.Time, error) {
	deadline := time.Now().Add(s.budget())
	stale := 0
	for attempt := 0; ; attempt++ {
		sub, err := s.submitOnce(ctx, p, id, &arrival, &scope)
		switch {
		case errors.Is(err, ErrStale) && stale < 5:
			stale++
			continue
		case err != nil && retryable(err) && time.Now().Before(deadline):
			if retry.Backoff(ctx, attempt, 100*time.Millisecond) != nil {
				return sub, arrival, err // the client went away: the fault stands
			}
			continue
		}
		return sub, arrival, err
	}
}

// filingReads is what a filing reads besides the application. They do
// not depend on each other, so they are read at once: a filing at 11:59
// waits for one round trip, not five.
type filingReads struct {
	call    call.Call
	prog    program.Program
	uploads []Upload
	reg     program.Registry
	holders map[string]string
	first   time.Time // a kept first arrival under the client's key, or zero
}

// readForFiling reads them; what serves only a form that decoded
// (documents, registry, claims) is read only then, and the claims' holders
// only for claims not yet held (a first filing).
func (s *Service) readForFiling(ctx context.Context, sub Submission, decoded bool, claims []string, scope string) (filingReads, error) {
	var r filingReads
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		r.call, r.prog, err = s.callAndProgram(gctx, sub.CallID)
		return err
	})
	if scope != "" {
		g.Go(func() error {
			first, found, err := s.Store.FirstArrival(gctx, scope)
			if err == nil && found {
				r.first = first
			}
			return err
		})
	}
	if decoded {
		g.Go(func() (err error) {
			r.uploads, err = s.Store.Uploads(gctx, sub.ID)
			return err
		})
		g.Go(func() (err error) {
			r.reg, err = s.Registries.Registry(gctx, sub.CallID)
			return err
		})
		if !sub.Filed() && len(claims) > 0 {
			g.Go(func() (err error) {
				r.holders, err = s.Store.ClaimHolders(gctx, sub.CallID, claims)
				return err
			})
		}
	}
	return r, g.Wait()
}

// submitOnce files once as of *arrival; a kept first arrival under *scope
// moves *arrival back, and *scope is then cleared: nothing keeps an arrival
// under it while the filing is being retried.
func (s *Service) submitOnce(ctx context.Context, p *auth.Principal, id string, arrival *time.Time, scope *string) (Submission, error) {
	sub, err := s.load(ctx, p, id)
	if err != nil {
		return sub, err
	}
	if err := access.ActFor(p, sub.Org, "Solo l'ente può inviare la propria domanda."); err != nil {
		return sub, err
	}
	if sub.Filed() && sub.State != Rejected {
		return sub, nil // already filed: the same answer again
	}
	// The form decodes with the application's program before the reads;
	// the call's program must be the same one (checked below).
	var form program.Form
	decodeErr := fmt.Errorf("submission %s: program %q not configured", sub.ID, sub.Program)
	if prog, ok := s.Programs[sub.Program]; ok {
		form, decodeErr = prog.Decode(sub.Data)
	}
	// The claims a first filing takes: its own, and its members' (a member
	// that filed alone keeps its claim: listing it is refused).
	var own, members []string
	if decodeErr == nil {
		own, members = SplitClaims(sub.Org, form.Claims(sub.Org))
	}
	claims := slices.Concat(own, members)
	reads, err := s.readForFiling(ctx, sub, decodeErr == nil, claims, *scope)
	if err != nil {
		return sub, err
	}
	*scope = ""
	if reads.prog.ID() != sub.Program {
		return sub, fmt.Errorf("submission %s: program %q, its call's %q", sub.ID, sub.Program, reads.prog.ID())
	}
	if !reads.first.IsZero() && reads.first.Before(*arrival) {
		*arrival = reads.first // the retry of a submit that failed retryably
	}
	c, prog := reads.call, reads.prog
	if err := s.checkTiming(sub, c, *arrival); err != nil {
		return sub, err
	}
	if decodeErr == nil {
		if err := s.precheckClaims(ctx, sub, claims, reads.holders, form.ClaimConflictCode()); err != nil {
			return sub, err
		}
	}
	fields, sealed, err := s.check(ctx, sub, c, prog, form, decodeErr, reads, *arrival)
	if err != nil {
		return sub, err
	}
	if len(fields) > 0 {
		return sub, fields.Err(problem.CodeIncomplete, "La domanda non può essere inviata: completare o correggere i campi e i documenti indicati.")
	}
	now := s.Clock.Now()
	next := sub
	next.State, next.Version, next.UpdatedAt = Submitted, sub.Version+1, now.UTC()
	next.Summary = summary(form)
	next.Sealed = sealed
	if f, ok := form.(program.Flagger); ok {
		next.Flags = f.Flags()
	}
	if sub.State == Rejected {
		// The filing's sealed set stands; what the corrected scheda adds
		// is sealed and registered as an integration of the record.
		next.Sealed = sub.Sealed
		next.Resubmitted = append(append([]time.Time(nil), sub.Resubmitted...), arrival.UTC())
		var deadline time.Time
		if sub.Review != nil && sub.Review.Deadline != nil {
			deadline = *sub.Review.Deadline
		}
		set := Seal(reads.uploads, func(d Upload) bool { return !sub.sealedIn(d.ID) })
		if err := s.fileIntegration(ctx, &next, sub.Version, Integration{Deadline: deadline, Documents: set, By: p.Subject}, *arrival,
			s.filingEffects(p, c, form, "submission.resubmitted")); err != nil {
			return sub, err
		}
		s.afterFiling(next, "submission.resubmitted")
		return next, nil
	}
	next.Claims, next.Members = own, members
	next.Istruttoria = StartIstruttoria(prog, c, *arrival)
	filed, err := s.file(ctx, next, sub.Version, *arrival, form.ClaimConflictCode(), s.filingEffects(p, c, form, "submission.filed"))
	if err != nil {
		return sub, err
	}
	s.afterFiling(filed, "submission.filed")
	return filed, nil
}

// precheckClaims refuses at once an application whose Comune or facility
// another filed application already holds, before listing what is
// missing: no amount of completing would let it through. The filing
// transaction remains the authority.
func (s *Service) precheckClaims(ctx context.Context, sub Submission, claims []string, holders map[string]string, conflictCode string) error {
	if sub.Filed() {
		return nil
	}
	for _, key := range claims {
		if h, taken := holders[key]; taken && h != sub.ID {
			return s.claimConflict(ctx, &ClaimTaken{Key: key, HolderID: h}, conflictCode)
		}
	}
	return nil
}

// checkTiming: a first filing must arrive inside a window; a rejected form
// may be sent again inside a window or before the officer's correction
// deadline.
func (s *Service) checkTiming(sub Submission, c call.Call, arrival time.Time) error {
	err := c.CheckFiling(arrival)
	if sub.State == Rejected && err != nil && sub.Review != nil && sub.Review.Deadline != nil && arrival.Before(*sub.Review.Deadline) {
		return nil
	}
	if sub.State == Expired && err == nil {
		// The draft expired while this in-time request was in flight.
		return nil
	}
	if err == nil {
		return sub.checkFileable()
	}
	return err
}

func (s Submission) checkFileable() error {
	switch s.State {
	case Draft, Rejected, Expired:
		return nil
	}
	return problem.New(problem.CodeConflict, "La domanda è nello stato %q e non può essere inviata.", s.State)
}

// check lists every problem with the data (decodeErr, when the form did
// not decode) and the documents, and returns the documents filing would
// seal: those verified now. The checks and the seal read the documents
// once, so what was checked is what is sealed.
func (s *Service) check(ctx context.Context, sub Submission, c call.Call, prog program.Program, form program.Form, decodeErr error, reads filingReads, at time.Time) (problem.Fields, []SealedDocument, error) {
	var fields problem.Fields
	if decodeErr != nil {
		perr, ok := problem.As(decodeErr)
		if !ok {
			return nil, nil, decodeErr
		}
		fields.Merge("data", perr.Fields)
		if len(perr.Fields) == 0 {
			fields.Add("data", problem.FieldInvalid, "%s", perr.Detail)
		}
		return fields, nil, nil
	}
	docs := reads.uploads
	sealed := Seal(docs, nil)
	verified := map[string]int{}
	var checked []program.Document
	for _, d := range docs {
		if d.Verified {
			verified[d.Kind]++
			checked = append(checked, d.Detail)
		}
	}
	pctx := program.Context{Org: sub.Org, Now: at, Registry: reads.reg, VerifiedDocuments: verified, Params: c.Params, Documents: checked}
	problems := form.Check(pctx)
	if d, ok := prog.(program.Described); ok {
		program.LabelErrors(d.Fields(), problems)
	}
	fields.Merge("data", problems)
	if err := s.checkDocuments(ctx, &fields, sub, c, prog, form, pctx); err != nil {
		return nil, nil, err
	}
	return fields, sealed, nil
}

// Seal fingerprints the verified documents among docs that keep returns
// true for (all, when keep is nil), in a stable order.
func Seal(docs []Upload, keep func(Upload) bool) []SealedDocument {
	var out []SealedDocument
	for _, d := range docs {
		if !d.Verified || (keep != nil && !keep(d)) {
			continue
		}
		out = append(out, SealedDocument{ID: d.ID, Kind: d.Kind, Filename: d.Filename, Size: d.Size, SHA256: d.SHA256})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// DefaultFilingBudget is how long a filing keeps trying against contention
// (another filing holding the counter, a busy partition, a throttle)
// before the client is told to retry: API Gateway ends a request at 29 s,
// and the checks before filing take their share.
const DefaultFilingBudget = 20 * time.Second

// file takes the next number of the Region's register of the year of
// arrival through the register's lane (sequencer.go): filings waiting in
// this process share one transaction; across processes the conditional
// counter arbitrates and the loser retries. Contention the server can
// absorb is retried inside the filing budget, never shown to the client
// as a 5xx.
func (s *Service) file(ctx context.Context, next Submission, prev int64, arrival time.Time, conflictCode string, effects func(Submission) outbox.Effects) (Submission, error) {
	next.Registering = EntryFiling
	filed, err := s.enqueue(ctx, RegisterOf(next.Region, arrival), next, prev, arrival, effects)
	filed.Registering = ""
	var taken *ClaimTaken
	if errors.As(err, &taken) {
		return filed, s.claimConflict(ctx, taken, conflictCode)
	}
	return filed, err
}

// retryable: storage asks to be tried again (throttled, faulted, contended).
func retryable(err error) bool { return errors.Is(err, problem.Unavailable) }

func (s *Service) claimConflict(ctx context.Context, taken *ClaimTaken, code string) error {
	if code == "" {
		code = problem.CodeDuplicate
	}
	other, err := s.Store.Submission(ctx, taken.HolderID)
	if err != nil {
		return err
	}
	number := ""
	if other.Protocol != nil {
		number = other.Protocol.Number
	}
	what := strings.Replace(taken.Key, ":", " ", 1)
	detail := fmt.Sprintf("Per %s è già stata presentata la domanda %s (protocollo %s).", what, other.ID, number)
	if code == problem.CodeMemberConflict {
		detail = fmt.Sprintf("Il %s fa già parte della domanda %s (protocollo %s): un Comune associato non può presentare domanda da solo, né far parte di due domande.", what, other.ID, number)
	}
	return (&problem.Error{Code: code, Detail: detail}).
		With("conflictingSubmission", other.ID).With("conflictingProtocol", number).With("claim", taken.Key)
}

// filingEffects composes a filing's (or a resubmission's) effects once
// it has its number: the audit line action, and the receipt to the form's
// contact. They are written in the filing transaction (the outbox), so an
// acknowledged filing never lacks them, whatever crashes after it.
func (s *Service) filingEffects(p *auth.Principal, c call.Call, form program.Form, action string) func(Submission) outbox.Effects {
	return func(sub Submission) outbox.Effects {
		number, at := "", time.Time{}
		if sub.Protocol != nil {
			number, at = sub.Protocol.Number, sub.Protocol.At
		}
		line := &audit.Entry{CallID: sub.CallID, SubmissionID: sub.ID, At: s.Clock.Now(), Actor: p.Subject, Action: action,
			Detail: map[string]string{"protocol": number, "filedAt": at.Format(time.RFC3339Nano)}}
		var fx outbox.Effects
		if s.Notifier != nil && form.Contact() != "" {
			return fx.With(line, s.Notifier.Receipt(sub, c, form.Contact())).Stamped(line.At)
		}
		return fx.With(line)
	}
}

// afterFiling logs and counts a filing (its effects are in its transaction).
func (s *Service) afterFiling(sub Submission, action string) {
	s.Log.Info("filed", "call", sub.CallID, "submission", sub.ID, "protocol", sub.Protocol.Number, "outcome", action)
	metrics.Count(metrics.Filings, "Region", sub.Region)
}

// Review records an officer's decision. An admission names the admitted
// facilities among the application's own (all of them by default); a
// Piemonte rejection carries a correction deadline (the window's close by
// default before the call closes, required after); an exclusion releases
// the application's claims in the same transaction.
func (s *Service) Review(ctx context.Context, p *auth.Principal, id string, d Decision) (Submission, error) {
	sub, err := s.load(ctx, p, id)
	if err != nil {
		return sub, err
	}
	if err := access.Review(p, sub.Region, "Solo i funzionari della Regione esaminano le domande."); err != nil {
		return sub, err
	}
	if err := s.checkReasons(sub.Program, d.Reasons); err != nil {
		return sub, err
	}
	c, prog, err := s.callAndProgram(ctx, sub.CallID)
	if err != nil {
		return sub, err
	}
	now := s.Clock.Now()
	if d.Decision == "reject" && d.Deadline == nil && program.ReviewModelOf(prog) == Validation {
		if w, ok := openOrNext(c, now); ok {
			dl := w.ClosesAt
			d.Deadline = &dl
		} else {
			return sub, (&problem.Error{Code: problem.CodeValidation, Detail: "La decisione non è valida.",
				Fields: []problem.FieldError{{Field: "deadline", Code: problem.FieldRequired,
					Message: "Il bando è chiuso: indicare il termine entro cui il Comune può correggere e inviare di nuovo la scheda."}}})
		}
	}
	if d.Decision == "admit" {
		if d.Admitted, err = admittedFacilities(prog, sub, d.Admitted); err != nil {
			return sub, err
		}
	}
	next, err := sub.ApplyReview(program.ReviewModelOf(prog), d, p.Subject, now)
	if err != nil {
		return sub, err
	}
	next.Version = sub.Version + 1
	detail := map[string]string{"decision": d.Decision, "from": string(sub.State), "to": string(next.State)}
	if d.Deadline != nil {
		detail["deadline"] = d.Deadline.UTC().Format(time.RFC3339)
	}
	if len(d.Admitted) > 0 {
		detail["admittedFacilities"] = strings.Join(d.Admitted, ",")
	}
	if next.State == Excluded && (len(sub.Claims) > 0 || len(sub.Members) > 0) {
		detail["claimsReleased"] = strings.Join(append(append([]string(nil), sub.Claims...), sub.Members...), ",")
	}
	if len(d.Reasons) > 0 {
		detail["reasons"] = strings.Join(d.Reasons, ",")
	}
	// The decision, its audit line and its e-mail: one transaction.
	fx := outbox.Effects{}.With(&audit.Entry{CallID: sub.CallID, SubmissionID: sub.ID, At: now, Actor: p.Subject, Action: "submission.reviewed", Detail: detail})
	if s.Notifier != nil {
		if form, derr := prog.Decode(next.Data); derr == nil && form.Contact() != "" {
			fx = fx.With(nil, s.Notifier.Decision(next, c, form.Contact()))
		}
	}
	fx = fx.Stamped(now)
	if next.State == Excluded {
		err = s.Store.Release(ctx, next, sub.Version, fx)
	} else {
		err = s.Store.SaveSubmissionWith(ctx, next, sub.Version, fx)
	}
	if err != nil {
		return sub, err
	}
	return next, nil
}

// checkReasons refuses exclusion reasons that are not codes of the
// program's list (every code named, with the list to choose from).
func (s *Service) checkReasons(programID string, reasons []string) error {
	if len(reasons) == 0 {
		return nil
	}
	codes := map[string]bool{}
	var list []string
	if ex, ok := s.Programs[programID].(program.Excluder); ok {
		for _, r := range ex.ExclusionReasons() {
			codes[r.Code] = true
			list = append(list, r.Code)
		}
	}
	var f problem.Fields
	seen := map[string]bool{}
	for i, r := range reasons {
		switch {
		case !codes[r]:
			f.Add(fmt.Sprintf("reasons[%d]", i), problem.FieldInvalid, "Motivo non previsto dal bando; ammessi: %s.", strings.Join(list, ", "))
		case seen[r]:
			f.Add(fmt.Sprintf("reasons[%d]", i), problem.FieldInvalid, "Motivo ripetuto.")
		}
		seen[r] = true
	}
	return f.Err(problem.CodeValidation, "La decisione non è valida.")
}

// openOrNext is the window open at now, or the next to open.
func openOrNext(c call.Call, now time.Time) (call.Window, bool) {
	for _, w := range c.Windows {
		if now.Before(w.ClosesAt) {
			return w, true
		}
	}
	return call.Window{}, false
}

// admittedFacilities checks an admission's facilities against the
// application's: a subset, each named once; none given means all.
func admittedFacilities(prog program.Program, sub Submission, given []string) ([]string, error) {
	form, err := prog.Decode(sub.Data)
	if err != nil {
		return nil, err
	}
	fl, ok := form.(program.Facilitator)
	if !ok {
		if len(given) > 0 {
			return nil, (&problem.Error{Code: problem.CodeValidation, Detail: "La decisione non è valida.",
				Fields: []problem.FieldError{{Field: "admittedFacilities", Code: problem.FieldNotAllowed, Message: "Questo bando non ammette strutture."}}})
		}
		return nil, nil
	}
	own := map[string]string{}
	var all []string
	for _, code := range fl.FacilityCodes() {
		k := ClaimKey("facility:" + code)
		if _, dup := own[k]; !dup {
			own[k] = code
			all = append(all, code)
		}
	}
	if len(given) == 0 {
		return all, nil
	}
	var f problem.Fields
	seen := map[string]bool{}
	out := make([]string, 0, len(given))
	for i, code := range given {
		k := ClaimKey("facility:" + code)
		canonical, ok := own[k]
		switch {
		case !ok:
			f.Add(fmt.Sprintf("admittedFacilities[%d]", i), problem.FieldInvalid, "La struttura %q non è tra quelle della domanda.", code)
		case seen[k]:
			f.Add(fmt.Sprintf("admittedFacilities[%d]", i), problem.FieldInvalid, "Struttura indicata due volte.")
		default:
			out = append(out, canonical)
		}
		seen[k] = true
	}
	return out, f.Err(problem.CodeValidation, "Le strutture ammesse devono essere tra quelle della domanda.")
}

// Integrate sends the documents an officer asked for (integrazione
// documentale) as of arrival: the documents whose bytes S3 received
// between the request and its deadline, verified, not already part of the
// record, are sealed and registered with their own number in the Region's
// register; the office is notified. It must arrive before the deadline.
// A repeated call answers the same registration.
func (s *Service) Integrate(ctx context.Context, p *auth.Principal, id string, arrival time.Time) (Submission, error) {
	for attempt := 0; ; attempt++ {
		sub, err := s.integrateOnce(ctx, p, id, arrival)
		if !errors.Is(err, ErrStale) || attempt >= 5 {
			return sub, err
		}
	}
}

func (s *Service) integrateOnce(ctx context.Context, p *auth.Principal, id string, arrival time.Time) (Submission, error) {
	sub, err := s.load(ctx, p, id)
	if err != nil {
		return sub, err
	}
	if err := access.ActFor(p, sub.Org, "Solo l'ente invia l'integrazione della propria domanda."); err != nil {
		return sub, err
	}
	if sub.State != IntegrationRequested || sub.Review == nil || sub.Review.Deadline == nil {
		if n := len(sub.Integrations); n > 0 && sub.Review != nil && sub.Review.Deadline != nil &&
			sub.Review.Decision == "request_integration" && sub.Integrations[n-1].Deadline.Equal(*sub.Review.Deadline) {
			return sub, nil // already sent: the same answer again
		}
		return sub, problem.New(problem.CodeConflict, "Per questa domanda non è aperta alcuna richiesta di integrazione.")
	}
	deadline, requested := *sub.Review.Deadline, sub.Review.At
	if !arrival.Before(deadline) {
		return sub, problem.New(problem.CodeWindowClosed, "Il termine per l'integrazione documentale è scaduto il %s; la richiesta è arrivata il %s.",
			clock.FormatRome(deadline), clock.FormatRome(arrival)).With("closedAt", deadline.In(clock.Rome).Format(time.RFC3339Nano))
	}
	docs, err := s.Store.Uploads(ctx, sub.ID)
	if err != nil {
		return sub, err
	}
	set := Seal(docs, func(d Upload) bool {
		return !sub.sealedIn(d.ID) && !d.ReceivedAt.IsZero() && !d.ReceivedAt.Before(requested) && d.ReceivedAt.Before(deadline)
	})
	if len(set) == 0 {
		return sub, (&problem.Error{Code: problem.CodeIncomplete, Detail: "L'integrazione non può essere inviata: nessun documento verificato ricevuto dopo la richiesta.",
			Fields: []problem.FieldError{{Field: "documents", Code: "missing_document", Message: "Caricare almeno un documento richiesto e attenderne la verifica."}}})
	}
	c, _, err := s.callAndProgram(ctx, sub.CallID)
	if err != nil {
		return sub, err
	}
	next := sub
	next.State, next.Version, next.UpdatedAt = Submitted, sub.Version+1, s.Clock.Now().UTC()
	if sub.Istruttoria != nil {
		// The integration received restarts the review clock (C.3.c).
		ist := *sub.Istruttoria
		ist.Resume(arrival)
		next.Istruttoria = &ist
	}
	ids := make([]string, len(set))
	for i, d := range set {
		ids[i] = d.ID
	}
	// Its audit line and the office's notice, in the registration's
	// transaction once it has its number.
	effects := func(n Submission) outbox.Effects {
		in := n.Integrations[len(n.Integrations)-1]
		fx := outbox.Effects{}.With(&audit.Entry{CallID: n.CallID, SubmissionID: n.ID, At: s.Clock.Now(), Actor: p.Subject, Action: "submission.integrated",
			Detail: map[string]string{"protocol": in.Protocol.Number, "filedAt": in.Protocol.At.Format(time.RFC3339Nano), "documents": strings.Join(ids, ",")}})
		if s.Notifier != nil {
			if m, ok := s.Notifier.IntegrationNotice(n, c); ok {
				fx = fx.With(nil, m)
			}
		}
		return fx.Stamped(fx.Audit[0].At)
	}
	if err := s.fileIntegration(ctx, &next, sub.Version, Integration{Deadline: deadline, Documents: set, By: p.Subject}, arrival, effects); err != nil {
		return sub, err
	}
	in := next.Integrations[len(next.Integrations)-1]
	if s.Notifier != nil {
		if _, ok := s.Notifier.IntegrationNotice(next, c); !ok {
			s.Log.Warn("no office address: the integration is not notified by e-mail", "submission", sub.ID, "region", sub.Region)
		}
	}
	s.Log.Info("integrated", "call", sub.CallID, "submission", sub.ID, "protocol", in.Protocol.Number, "outcome", "submission.integrated")
	return next, nil
}

// fileIntegration registers in as the next integration of next (moving
// from version prev), through the register's lane like a filing.
func (s *Service) fileIntegration(ctx context.Context, next *Submission, prev int64, in Integration, arrival time.Time, effects func(Submission) outbox.Effects) error {
	n := *next
	n.Integrations = append(append([]Integration(nil), next.Integrations...), in)
	n.Registering = EntryIntegration
	filed, err := s.enqueue(ctx, RegisterOf(n.Region, arrival), n, prev, arrival, effects)
	if err != nil {
		return err
	}
	filed.Registering = ""
	*next = filed
	return nil
}

// sealedIn reports whether a document is already part of the record.
func (s Submission) sealedIn(docID string) bool {
	for _, d := range s.Sealed {
		if d.ID == docID {
			return true
		}
	}
	for _, in := range s.Integrations {
		for _, d := range in.Documents {
			if d.ID == docID {
				return true
			}
		}
	}
	return false
}

// Withdraw records the applicant's rinuncia of a filed application before
// the call's last close: the number stays in the register marked
// withdrawn, the claims are released, the audit trail says who and when.
func (s *Service) Withdraw(ctx context.Context, p *auth.Principal, id string) (Submission, error) {
	sub, err := s.load(ctx, p, id)
	if err != nil {
		return sub, err
	}
	if err := access.ActFor(p, sub.Org, "Solo l'ente può rinunciare alla propria domanda."); err != nil {
		return sub, err
	}
	if sub.State == Withdrawn {
		return sub, nil
	}
	if !sub.Filed() || sub.State == Excluded || sub.State == Expired {
		return sub, problem.New(problem.CodeConflict, "Si può rinunciare solo a una domanda inviata al protocollo e non esclusa (stato attuale %q).", sub.State)
	}
	c, _, err := s.callAndProgram(ctx, sub.CallID)
	if err != nil {
		return sub, err
	}
	now := s.Clock.Now()
	if !now.Before(c.Last().ClosesAt) {
		return sub, problem.New(problem.CodeWindowClosed, "La rinuncia è possibile fino alla chiusura del bando (%s).", clock.FormatRome(c.Last().ClosesAt))
	}
	next := sub
	next.State, next.Version, next.UpdatedAt = Withdrawn, sub.Version+1, now.UTC()
	next.Withdrawal = &Withdrawal{By: p.Subject, At: now.UTC()}
	fx := outbox.Effects{}.With(&audit.Entry{CallID: sub.CallID, SubmissionID: sub.ID, At: now, Actor: p.Subject, Action: "submission.withdrawn",
		Detail: map[string]string{"protocol": sub.Protocol.Number, "from": string(sub.State),
			"claimsReleased": strings.Join(append(append([]string(nil), sub.Claims...), sub.Members...), ",")}})
	if err := s.Store.Release(ctx, next, sub.Version, fx); err != nil {
		return sub, err
	}
	s.Log.Info("withdrawn", "call", sub.CallID, "submission", sub.ID, "protocol", sub.Protocol.Number, "outcome", "submission.withdrawn")
	return next, nil
}

// MaxDraftBytes bounds a draft's form (compact JSON). An application is
// one DynamoDB item, and an item is at most 400 KB: the form, its summary,
// the sealed fingerprints and the review must fit with room to spare. The
// largest real form (an association with dozens of facilities and their
// fee lines) is well under 100 KB.
const MaxDraftBytes = 192 << 10

// maxSummary bounds the listing label derived from the form.
const maxSummary = 500

func checkDraftSize(data json.RawMessage) error {
	if n := len(compact(data)); n > MaxDraftBytes {
		return (&problem.Error{Code: problem.CodeTooLarge,
			Detail: fmt.Sprintf("Il modulo occupa %d byte: il massimo per una domanda è %d byte (192 KB).", n, MaxDraftBytes),
			Fields: []problem.FieldError{{Field: "data", Code: problem.FieldTooLarge, Message: "Modulo troppo grande."}}})
	}
	return nil
}

// summary bounds a form's label, cutting on a rune boundary.
func summary(f program.Form) string {
	s := f.Summary()
	if len(s) <= maxSummary {
		return s
	}
	cut := maxSummary
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// prefixed puts a decode problem's field paths under prefix.
func prefixed(err error, prefix string) error {
	p, ok := problem.As(err)
	if !ok {
		return err
	}
	var f problem.Fields
	f.Merge(prefix, p.Fields)
	out := *p
	out.Fields = f
	return &out
}

func compact(b json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}
