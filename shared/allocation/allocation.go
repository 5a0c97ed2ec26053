// Package allocation runs a call's riparto when the fund is announced: it
// freezes the inputs (who takes part, with which weight and cap), stores
// them with their SHA-256 and the engine version so that a re-run gives
// the same result byte for byte, runs the engine, and keeps every line
// with its explanation plus CSV and XLSX exports.
package allocation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"time"

	"sportello/shared/audit"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/export"
	"sportello/shared/metrics"
	"sportello/shared/money"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/retry"
	"sportello/shared/riparto"
	"sportello/shared/submission"
)

// Run states.
const (
	Pending = "pending"
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// Run is one riparto of a call.
type Run struct {
	ID     string      `json:"id" dynamodbav:"id"`
	CallID string      `json:"callId" dynamodbav:"callId"`
	Status string      `json:"status" dynamodbav:"status"`
	Fund   money.Cents `json:"fund" dynamodbav:"fund"`
	Note   string      `json:"note,omitempty" dynamodbav:"note,omitempty"`
	// Act is the act that set the fund, published with it on the call.
	Act           string      `json:"act,omitempty" dynamodbav:"act,omitempty"`
	AnnouncedBy   string      `json:"announcedBy" dynamodbav:"announcedBy"`
	AnnouncedAt   time.Time   `json:"announcedAt" dynamodbav:"announcedAt"`
	InputSHA256   string      `json:"inputSha256,omitempty" dynamodbav:"inputSha256,omitempty"`
	EngineVersion string      `json:"engineVersion,omitempty" dynamodbav:"engineVersion,omitempty"`
	Allocated     money.Cents `json:"allocated" dynamodbav:"allocated"`
	Unallocated   money.Cents `json:"unallocated" dynamodbav:"unallocated"`
	Lines         int         `json:"lineCount" dynamodbav:"lines"`
	// OnlyDecided records the audited override: the fund was announced
	// while the applications in LeftOut awaited a decision, and the
	// officer chose to allocate among the decided ones, for Reason.
	OnlyDecided    bool      `json:"onlyDecided,omitempty" dynamodbav:"onlyDecided,omitempty"`
	OverrideReason string    `json:"overrideReason,omitempty" dynamodbav:"overrideReason,omitempty"`
	LeftOut        []string  `json:"leftOut,omitempty" dynamodbav:"leftOut,omitempty"`
	RequestHash    string    `json:"-" dynamodbav:"requestHash,omitempty"`
	InputsKey      string    `json:"-" dynamodbav:"inputsKey,omitempty"`
	CSVKey         string    `json:"-" dynamodbav:"csvKey,omitempty"`
	XLSXKey        string    `json:"-" dynamodbav:"xlsxKey,omitempty"`
	Error          string    `json:"error,omitempty" dynamodbav:"error,omitempty"`
	FinishedAt     time.Time `json:"finishedAt,omitzero" dynamodbav:"finishedAt,omitempty"`
	// A worker holds a running run by a lease, not a flag: Attempt counts
	// the takes (a fencing token: only the current holder may finish),
	// LeaseUntil (Unix ms) is when another worker may take it over, and
	// StartedAt, set by the first take and kept by the later ones, is the
	// instant the exports are dated, so every take writes the same bytes.
	Attempt    int        `json:"attempt,omitempty" dynamodbav:"attempt,omitempty"`
	LeaseUntil int64      `json:"-" dynamodbav:"leaseUntil,omitempty"`
	StartedAt  *time.Time `json:"startedAt,omitempty" dynamodbav:"startedAt,omitempty"`
}

// DefaultLease is how long a worker holds a run: longer than the
// allocation function's timeout (900 s, infra/stack), so a live worker
// never loses its run; a dead one's run is taken again a minute after
// Lambda would have stopped it anyway.
const DefaultLease = 16 * time.Minute

// ErrLeaseLost is FinishRun's answer to a worker whose lease expired and
// whose run another worker took over.
var ErrLeaseLost = errors.New("allocation lease lost to another worker")

// LeaseHeld is Execute's answer while another worker holds the run: the
// caller retries after Until (a Lambda retry, or the local runtime's loop).
type LeaseHeld struct {
	RunID string
	Until time.Time
}

func (e *LeaseHeld) Error() string {
	return fmt.Sprintf("allocation %s is held by another worker until %s", e.RunID, e.Until.UTC().Format(time.RFC3339))
}

// Input is one frozen beneficiary.
type Input struct {
	ID           string       `json:"id"` // the application's claim: comune:<ISTAT> or facility:<code>
	Name         string       `json:"name"`
	FiscalCode   string       `json:"fiscalCode,omitempty"`
	SubmissionID string       `json:"submissionId"`
	Protocol     string       `json:"protocol"`
	Weight       string       `json:"weight"` // exact rational, "a/b"
	Cap          *money.Cents `json:"cap,omitempty"`
	CapReason    string       `json:"capReason,omitempty"`
	Explanation  string       `json:"explanation"`
}

// Snapshot is everything a run depends on.
type Snapshot struct {
	CallID        string            `json:"callId"`
	Program       string            `json:"program"`
	Fund          money.Cents       `json:"fund"`
	Params        map[string]string `json:"params"`
	EngineVersion string            `json:"engineVersion"`
	Inputs        []Input           `json:"inputs"`
	// LeftOut are the applications still undecided when an officer chose
	// to allocate among the decided ones (the run's audited override).
	LeftOut []string `json:"leftOut,omitempty"`
}

// Line is a stored line of a run: the engine's line and the frozen input
// it came from, so that lists and decrees are regenerated from storage
// alone.
type Line struct {
	riparto.Line
	Name         string
	FiscalCode   string
	SubmissionID string
	Protocol     string
	Criteria     string // how the weight was derived (the program's explanation)
}

// Clash is why a run could not be created: the Idempotency-Key already
// made a run, or another run of the call is pending or running.
type Clash struct {
	IdemRunID, IdemHash string
	ActiveRunID         string
}

// Store is what runs need from storage.
type Store interface {
	Call(ctx context.Context, id string) (call.Call, error)
	// UpdateCall changes a call under its version (publishing the fund).
	UpdateCall(ctx context.Context, id string, fn func(*call.Call) error) (call.Call, error)
	// QueueMessages writes outbox messages whose ids are new (the fund's
	// e-mails: more than one transaction holds).
	QueueMessages(ctx context.Context, msgs []outbox.Message) error
	// CurrentSubmissions lists a call's applications as they are now (a
	// riparto counts one validated a moment ago).
	CurrentSubmissions(ctx context.Context, callID string) ([]submission.Submission, error)
	// CreateRun records a new pending run as the call's active one, and
	// under idemKey when given; a clash says what stood in the way.
	// CreateRun writes the pending run with its effects (the audit line,
	// the FundsAnnounced event in the outbox) in one transaction.
	CreateRun(ctx context.Context, r Run, idemKey string, fx outbox.Effects) (*Clash, error)
	// IdemRun finds the run an Idempotency-Key made.
	IdemRun(ctx context.Context, callID, idemKey string) (runID, hash string, found bool, err error)
	// BindKey records that idemKey was answered by runID (a request
	// joined a run already under way); a clash returns the run the key
	// was bound to first.
	BindKey(ctx context.Context, callID, idemKey, runID, hash string) (*Clash, error)
	// ClearActive frees the call's active-run slot if runID still holds it.
	ClearActive(ctx context.Context, callID, runID string) error
	Run(ctx context.Context, id string) (Run, error)
	RunLines(ctx context.Context, id string) ([]Line, error)
	// ClaimRun takes a pending run, or a running one whose lease expired
	// before now, for lease; when it cannot, it returns the run as stored.
	ClaimRun(ctx context.Context, id string, now time.Time, lease time.Duration) (Run, bool, error)
	// ReleaseRun hands a run back (pending) after a failure, if r.Attempt
	// still holds it, so that a retry needs not wait for the lease.
	ReleaseRun(ctx context.Context, r Run) error
	// FinishRun stores the lines and the final state, and frees the call's
	// active-run slot; ErrLeaseLost if r.Attempt no longer holds the run.
	// fx, the result's effects (its audit line), are written in the
	// transaction of the final state.
	FinishRun(ctx context.Context, r Run, lines []Line, fx outbox.Effects) error
}

// Blobs keeps the frozen inputs and the exports.
type Blobs interface {
	Put(ctx context.Context, key, contentType string, body []byte) error
}

// FundsAnnouncedEvent is the event that starts a run (EventBridge's
// detail-type in the cloud; shared/eventbus publishes it).
const FundsAnnouncedEvent = "FundsAnnounced"

// AnnouncedEvent is the outbox message announcing a new run: written in the
// transaction that creates the run, so a run is never stored without the
// event that will start it; the relay publishes it. Its key is the run's:
// the allocation function takes a run once however often it is told
// (the lease), so a redelivery changes nothing.
func AnnouncedEvent(callID, runID string) outbox.Message {
	return outbox.Message{ID: outbox.ID(runID, 1, "announced"), Kind: outbox.Event, CallID: callID, Event: FundsAnnouncedEvent,
		Detail: map[string]string{"callId": callID, "allocationId": runID}}
}

// Notifier composes the e-mail telling an org, at to, that the fund of c
// (c.Funds) was published on the call; its id is one per announcement and
// org, so that it is sent once.
type Notifier interface {
	FundsNotice(c call.Call, org, to string) outbox.Message
}

// Names names the beneficiaries for people (a port: the registry's ISTAT
// list in practice).
type Names interface {
	OrgName(ctx context.Context, callID, org string) string
}

// Service runs riparti.
type Service struct {
	Store    Store
	Blobs    Blobs
	Programs map[string]program.Program
	Names    Names // nil: the applications' own summaries name them
	Clock    clock.Clock
	Log      *slog.Logger
	Notifier Notifier // nil: no e-mail
	// Lease is how long a worker holds a run (0: DefaultLease).
	Lease time.Duration
}

// Undecided reports whether an application still awaits the Region's
// decision at now: filed and not yet reviewed, documents requested, or a
// Piemonte scheda sent back for correction that may still be sent again
// (until its correction deadline; without one, until the call's close).
func Undecided(sub submission.Submission, c call.Call, now time.Time) bool {
	switch sub.State {
	case submission.Submitted, submission.IntegrationRequested:
		return true
	case submission.Rejected:
		deadline := c.Last().ClosesAt
		if sub.Review != nil && sub.Review.Deadline != nil {
			deadline = *sub.Review.Deadline
		}
		return now.Before(deadline)
	}
	return false
}

// undecidedProblem is the 409 listing the applications that still await
// a decision, by id, protocol and state (no personal data).
func undecidedProblem(subs []submission.Submission) error {
	list := make([]map[string]string, len(subs))
	for i, sub := range subs {
		list[i] = map[string]string{"id": sub.ID, "protocol": sub.Protocol.Number, "state": string(sub.State)}
	}
	return problem.New(problem.CodeUndecided, "Il fondo non può essere ripartito: %d domande attendono ancora una decisione. "+
		"Decidere ogni domanda, oppure confermare il riparto tra le sole domande decise (\"onlyDecided\": true con il motivo).", len(subs)).
		With("undecided", list)
}

// undecided lists the call's applications awaiting a decision at now.
func (s *Service) undecided(ctx context.Context, c call.Call, now time.Time) ([]submission.Submission, error) {
	subs, err := s.Store.CurrentSubmissions(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var out []submission.Submission
	for _, sub := range subs {
		if sub.Filed() && Undecided(sub, c, now) {
			out = append(out, sub)
		}
	}
	slices.SortFunc(out, func(a, b submission.Submission) int { return strings.Compare(a.Protocol.Number, b.Protocol.Number) })
	return out, nil
}

// Freeze gathers the inputs of a call's riparto: only applications the
// Region validated or admitted take part. Applications still undecided
// stop it, unless onlyDecided (the officer's audited override) leaves
// them out — listed in the snapshot.
func (s *Service) Freeze(ctx context.Context, c call.Call, fund money.Cents, onlyDecided bool) (Snapshot, error) {
	prog, ok := s.Programs[c.Program]
	if !ok {
		return Snapshot{}, fmt.Errorf("program %q not configured", c.Program)
	}
	subs, err := s.Store.CurrentSubmissions(ctx, c.ID)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{CallID: c.ID, Program: c.Program, Fund: fund, Params: c.Params, EngineVersion: riparto.EngineVersion, Inputs: []Input{}}
	if snap.Params == nil {
		snap.Params = map[string]string{}
	}
	now := s.Clock.Now()
	var pending []submission.Submission
	for _, sub := range subs {
		if sub.Filed() && Undecided(sub, c, now) {
			pending = append(pending, sub)
			snap.LeftOut = append(snap.LeftOut, sub.ID)
			continue
		}
		if sub.State != submission.Validated && sub.State != submission.Admitted {
			continue
		}
		form, err := prog.Decode(sub.Data)
		if err != nil {
			return Snapshot{}, fmt.Errorf("decode %s: %w", sub.ID, err)
		}
		alloc, ok := form.(program.Allocator)
		if !ok {
			return Snapshot{}, problem.New(problem.CodeConflict, "Questo bando non prevede un riparto.")
		}
		a, err := alloc.Allocation(c.Params)
		if err != nil {
			return Snapshot{}, problem.New(problem.CodeConflict, "Impossibile calcolare il peso della domanda %s: %s", sub.ID, err.Error())
		}
		id := sub.Org
		if claims := form.Claims(sub.Org); len(claims) > 0 {
			id = claims[0]
		}
		in := Input{ID: id, Name: s.name(ctx, c.ID, id, sub.Summary), SubmissionID: sub.ID, Protocol: sub.Protocol.Number,
			Weight: a.Weight.RatString(), Cap: a.Cap, CapReason: a.CapReason, Explanation: a.Explanation}
		if who, ok := form.(program.Identified); ok {
			if name, cf := who.Applicant(); name != "" {
				in.Name, in.FiscalCode = name, cf
			}
		}
		snap.Inputs = append(snap.Inputs, in)
	}
	slices.SortFunc(snap.Inputs, func(a, b Input) int { return strings.Compare(a.ID, b.ID) })
	slices.Sort(snap.LeftOut)
	if len(pending) > 0 && !onlyDecided {
		return snap, undecidedProblem(pending)
	}
	if len(snap.Inputs) == 0 {
		return snap, problem.New(problem.CodeConflict, "Nessuna domanda validata o ammessa: non c'è nulla da ripartire.")
	}
	return snap, nil
}

func (s *Service) name(ctx context.Context, callID, id, fallback string) string {
	if s.Names != nil {
		if n := s.Names.OrgName(ctx, callID, id); n != "" {
			return n
		}
	}
	return fallback
}

// Compute runs the engine on a snapshot.
func Compute(snap Snapshot) (riparto.Result, error) {
	bs := make([]riparto.Beneficiary, len(snap.Inputs))
	for i, in := range snap.Inputs {
		w, ok := new(big.Rat).SetString(in.Weight)
		if !ok {
			return riparto.Result{}, fmt.Errorf("snapshot weight %q of %s", in.Weight, in.ID)
		}
		bs[i] = riparto.Beneficiary{ID: in.ID, Weight: w, Cap: in.Cap, CapReason: in.CapReason}
	}
	return riparto.Allocate(snap.Fund, bs)
}

// Simulate computes a riparto for a hypothetical fund among the decided
// applications; nothing is stored. The snapshot lists those left out.
func (s *Service) Simulate(ctx context.Context, c call.Call, fund money.Cents) (riparto.Result, Snapshot, error) {
	snap, err := s.Freeze(ctx, c, fund, true)
	if err != nil {
		return riparto.Result{}, snap, err
	}
	res, err := Compute(snap)
	return res, snap, err
}

// Announcement is an officer's request to allocate a fund.
type Announcement struct {
	Fund money.Cents
	Note string
	// Act is the reference of the act that set the fund (a decree), shown
	// with it on the call; "" when the officer names none.
	Act string
	// OnlyDecided is the explicit override: allocate among the decided
	// applications while others still await a decision; Reason says why.
	OnlyDecided bool
	Reason      string
	// IdemKey is the client's Idempotency-Key ("" when none).
	IdemKey string
	By      string
}

// hash identifies what was asked, so that a key reused for another
// request is told apart from a retry.
func (a Announcement) hash() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%t\x00%s\x00%s", a.Fund, a.Note, a.OnlyDecided, a.Reason, a.Act)))
	return hex.EncodeToString(sum[:])
}

// Announce records a fund announcement and asks for its run; created is
// false when the request was answered by a run that already exists. Rules:
//   - only after the call's last window has closed (before, who takes part
//     is not known);
//   - not while applications await a decision (409 listing them), unless
//     the officer explicitly allocates among the decided ones, with a
//     reason — audited, and the run records who was left out;
//   - the same Idempotency-Key gives the same run (another request under
//     it is 422);
//   - while a run of the call is pending or running, announcing the same
//     amount gives that run (concurrent double submissions make one run),
//     another amount is 409;
//   - a deliberate announcement after the previous run ended makes a new
//     run; the old one is kept.
func (s *Service) Announce(ctx context.Context, c call.Call, runID string, a Announcement) (run Run, created bool, err error) {
	now := s.Clock.Now()
	if c.State(now) != call.Closed {
		return Run{}, false, problem.New(problem.CodeConflict, "Il fondo si annuncia dopo la chiusura dell'ultima finestra (%s).", clock.FormatRome(c.Last().ClosesAt))
	}
	prog, ok := s.Programs[c.Program]
	if !ok {
		return Run{}, false, fmt.Errorf("program %q not configured", c.Program)
	}
	if !allocates(prog) {
		return Run{}, false, problem.New(problem.CodeConflict, "Questo bando non prevede un riparto.")
	}
	hash := a.hash()
	if a.IdemKey != "" {
		id, h, found, err := s.Store.IdemRun(ctx, c.ID, a.IdemKey)
		if err != nil {
			return Run{}, false, err
		}
		if found {
			return s.replay(ctx, id, h, hash)
		}
	}
	pending, err := s.undecided(ctx, c, now)
	if err != nil {
		return Run{}, false, err
	}
	var leftOut []string
	if len(pending) > 0 {
		if !a.OnlyDecided {
			return Run{}, false, undecidedProblem(pending)
		}
		for _, p := range pending {
			leftOut = append(leftOut, p.ID)
		}
	}
	run = Run{ID: runID, CallID: c.ID, Status: Pending, Fund: a.Fund, Note: a.Note, Act: a.Act, AnnouncedBy: a.By, AnnouncedAt: now.UTC(),
		OnlyDecided: a.OnlyDecided, OverrideReason: a.Reason, LeftOut: leftOut, RequestHash: hash}
	detail := map[string]string{"allocation": run.ID, "fund": a.Fund.String()}
	if a.Act != "" {
		detail["act"] = a.Act
	}
	if a.OnlyDecided {
		detail["onlyDecided"] = "true"
		detail["reason"] = a.Reason
		detail["leftOut"] = strings.Join(leftOut, ",")
	}
	// The run, its audit line and its FundsAnnounced: one transaction.
	fx := outbox.Effects{}.With(&audit.Entry{CallID: c.ID, At: now, Actor: a.By, Action: "funds.announced", Detail: detail}, AnnouncedEvent(c.ID, run.ID)).Stamped(now)
	conflicts := 0
	for attempt := 0; ; attempt++ {
		clash, err := s.Store.CreateRun(ctx, run, a.IdemKey, fx)
		if errors.Is(err, problem.Unavailable) && conflicts < 5 {
			// Concurrent announcements collide on the call's slot (a
			// transaction conflict): spread out and look again.
			conflicts++
			if err := retry.Backoff(ctx, conflicts, 50*time.Millisecond); err != nil {
				return Run{}, false, err
			}
			attempt--
			continue
		}
		if err != nil {
			return Run{}, false, err
		}
		if clash == nil {
			break
		}
		if clash.IdemRunID != "" {
			return s.replay(ctx, clash.IdemRunID, clash.IdemHash, hash)
		}
		active, err := s.Store.Run(ctx, clash.ActiveRunID)
		if err != nil {
			return Run{}, false, err
		}
		if active.Status == Done || active.Status == Failed {
			// The slot outlived its run (a crash between finishing and
			// freeing it): free it and try again.
			if attempt >= 2 {
				return Run{}, false, fmt.Errorf("announce %s: active run %s keeps its slot", c.ID, active.ID)
			}
			if err := s.Store.ClearActive(ctx, c.ID, active.ID); err != nil {
				return Run{}, false, err
			}
			continue
		}
		if active.Fund != a.Fund {
			return Run{}, false, problem.New(problem.CodeAllocationInProgress, "È in corso il riparto %s di %s euro: attenderne la conclusione prima di annunciare un altro importo.",
				active.ID, active.Fund).With("allocationId", active.ID)
		}
		if a.IdemKey != "" {
			// A retry under this key must find this run even after it ends.
			clash, err := s.Store.BindKey(ctx, c.ID, a.IdemKey, active.ID, hash)
			if err != nil {
				return Run{}, false, err
			}
			if clash != nil {
				return s.replay(ctx, clash.IdemRunID, clash.IdemHash, hash)
			}
		}
		return active, false, nil
	}
	s.Log.Info("funds announced", "call", c.ID, "allocation", run.ID, "outcome", "funds.announced")
	return run, true, nil
}

// Funds is a run's announcement as the call publishes it.
func Funds(run Run) call.Funds {
	return call.Funds{Amount: run.Fund, AnnouncedAt: run.AnnouncedAt, Act: run.Act, AllocationID: run.ID}
}

// errPublished: the call already shows this announcement or a later one.
var errPublished = errors.New("already published")

// Publish shows the announcement of run on its call, for every applicant
// (a later announcement replaces an earlier one, never the reverse), and
// queues its e-mail once for each org that filed an application still
// standing (withdrawn ones are not told). It may run again for the same
// run — a retried announcement, or one whose first answer was lost —
// and then changes and sends nothing new: the e-mails' ids are the run's
// and the org's.
func (s *Service) Publish(ctx context.Context, run Run) error {
	f := Funds(run)
	c, err := s.Store.UpdateCall(ctx, run.CallID, func(cur *call.Call) error {
		if cur.Funds != nil && (cur.Funds.AllocationID == run.ID || cur.Funds.AnnouncedAt.After(run.AnnouncedAt)) {
			return errPublished
		}
		cur.Funds = &f
		return nil
	})
	switch {
	case errors.Is(err, errPublished):
		if c, err = s.Store.Call(ctx, run.CallID); err != nil {
			return err
		}
		if c.Funds == nil || c.Funds.AllocationID != run.ID {
			return nil // a later announcement is on the call: this one's news is old
		}
	case err != nil:
		return fmt.Errorf("publish the fund on %s: %w", run.CallID, err)
	}
	if s.Notifier == nil {
		return nil
	}
	subs, err := s.Store.CurrentSubmissions(ctx, c.ID)
	if err != nil {
		return err
	}
	prog := s.Programs[c.Program]
	told := map[string]bool{}
	var msgs []outbox.Message
	for _, sub := range subs {
		if prog == nil || !sub.Filed() || sub.State == submission.Withdrawn || told[sub.Org] {
			continue
		}
		form, err := prog.Decode(sub.Data)
		if err != nil || form.Contact() == "" {
			continue
		}
		told[sub.Org] = true
		m := s.Notifier.FundsNotice(c, sub.Org, form.Contact())
		m.CreatedAt = run.AnnouncedAt
		msgs = append(msgs, m)
	}
	if err := s.Store.QueueMessages(ctx, msgs); err != nil {
		return fmt.Errorf("queue the fund's e-mails for %s: %w", c.ID, err)
	}
	s.Log.Info("funds published", "call", c.ID, "allocation", run.ID, "told", len(msgs), "outcome", "funds.published")
	return nil
}

// Announced is what a FundsAnnounced delivery does (the allocation
// function's entry point, and the local runtime's): the fund published on
// the call with its e-mails queued, then the run. The event is an outbox
// item of the run's transaction, delivered at least once, so the
// publication happens even when the announcing request died right after
// the run was stored; both steps are idempotent (Publish by the call's
// recorded fund and the e-mails' keys, Execute by the run's lease), so a
// redelivery adds nothing.
func (s *Service) Announced(ctx context.Context, runID string) error {
	run, err := s.Store.Run(ctx, runID)
	if err != nil {
		return fmt.Errorf("announced run %s: %w", runID, err)
	}
	if err := s.Publish(ctx, run); err != nil {
		return err
	}
	return s.Execute(ctx, runID)
}

// replay answers a repeated Idempotency-Key with its run, or 422 when the
// key was used for another request.
func (s *Service) replay(ctx context.Context, runID, storedHash, hash string) (Run, bool, error) {
	if storedHash != hash {
		return Run{}, false, problem.New(problem.CodeIdempotencyMismatch, "Questa Idempotency-Key è già stata usata per un annuncio diverso (riparto %s).", runID)
	}
	run, err := s.Store.Run(ctx, runID)
	return run, false, err
}

// allocates reports whether a program's forms take part in a riparto
// (probed on an empty form).
func allocates(p program.Program) bool {
	f, err := p.Decode(json.RawMessage(`{}`))
	if err != nil {
		return false
	}
	_, ok := f.(program.Allocator)
	return ok
}

// Execute runs a pending riparto (the allocation function's entry point).
// It takes the run under a lease: a repeated delivery finds it finished and
// does nothing; one that meets a live lease gets LeaseHeld (retry later);
// one that comes after a dead worker's lease expired takes the run over
// and finishes it, writing the same outputs under the same keys.
func (s *Service) Execute(ctx context.Context, runID string) (err error) {
	lease := s.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	run, claimed, err := s.Store.ClaimRun(ctx, runID, s.Clock.Now(), lease)
	if err != nil {
		return fmt.Errorf("claim run %s: %w", runID, err)
	}
	if !claimed {
		if run.Status == Running {
			return &LeaseHeld{RunID: runID, Until: time.UnixMilli(run.LeaseUntil)}
		}
		s.Log.Info("allocation already finished", "allocation", runID, "outcome", "duplicate")
		return nil
	}
	if run.Attempt > 1 {
		s.Log.Warn("allocation taken over after an expired lease", "call", run.CallID, "allocation", run.ID, "attempt", run.Attempt)
	}
	defer func() {
		if errors.Is(err, ErrLeaseLost) {
			s.Log.Warn("allocation lease lost: another worker finished it", "allocation", run.ID, "attempt", run.Attempt, "outcome", "lease_lost")
			err = nil
			return
		}
		if err != nil {
			if rerr := s.Store.ReleaseRun(context.WithoutCancel(ctx), run); rerr != nil {
				s.Log.Error("allocation not released; it is taken again after its lease", "allocation", run.ID, "error", rerr.Error())
			}
		}
	}()
	c, err := s.Store.Call(ctx, run.CallID)
	if err != nil {
		return err
	}
	snap, err := s.Freeze(ctx, c, run.Fund, run.OnlyDecided)
	var res riparto.Result
	if err == nil {
		res, err = Compute(snap)
	}
	if err != nil {
		run.Status, run.Error, run.FinishedAt = Failed, err.Error(), s.Clock.Now().UTC()
		if ferr := s.Store.FinishRun(ctx, run, nil, outbox.Effects{}); ferr != nil {
			return ferr
		}
		s.Log.Warn("allocation failed", "call", run.CallID, "allocation", run.ID, "outcome", "failed")
		metrics.Count(metrics.AllocationRuns, "Outcome", "failed")
		return nil
	}
	inputs, _ := json.MarshalIndent(snap, "", " ")
	sum := sha256.Sum256(inputs)
	base := "exports/" + run.CallID + "/" + run.ID
	run.InputsKey, run.CSVKey, run.XLSXKey = base+"/inputs.json", base+"/riparto.csv", base+"/riparto.xlsx"
	run.Status, run.InputSHA256, run.EngineVersion = Done, hex.EncodeToString(sum[:]), res.EngineVersion
	run.Allocated, run.Unallocated, run.Lines, run.FinishedAt = res.Allocated, res.Unallocated, len(res.Lines), s.Clock.Now().UTC()
	lines := StoredLines(snap, res)
	table := RipartoTable(run, lines)
	csvBytes, err := table.CSV()
	if err != nil {
		return err
	}
	xlsxBytes, err := table.XLSX()
	if err != nil {
		return err
	}
	for _, o := range []struct {
		key, ct string
		body    []byte
	}{{run.InputsKey, "application/json", inputs}, {run.CSVKey, export.CSV.ContentType(), csvBytes},
		{run.XLSXKey, export.XLSX.ContentType(), xlsxBytes}} {
		if err := s.Blobs.Put(ctx, o.key, o.ct, o.body); err != nil {
			return err
		}
	}
	fx := outbox.Effects{}.With(&audit.Entry{CallID: run.CallID, At: s.Clock.Now(), Actor: "system:allocation", Action: "allocation.done",
		Detail: map[string]string{"allocation": run.ID, "allocated": run.Allocated.String(), "unallocated": run.Unallocated.String(), "inputSha256": run.InputSHA256}})
	if err := s.Store.FinishRun(ctx, run, lines, fx); err != nil {
		return err
	}
	s.Log.Info("allocation done", "call", run.CallID, "allocation", run.ID, "lines", run.Lines, "outcome", Done)
	metrics.Count(metrics.AllocationRuns, "Outcome", "done")
	return nil
}
