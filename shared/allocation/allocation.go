// Package allocation runs a call's riparto when the fund is announced: it
// freezes the inputs (who takes part, with which weight and cap), stores
// them with their SHA-256 and the engine version so that a re-run gives
// the same result byte for byte, runs the engine, and keeps every line
// with its explanation plus CSV and XLSX exports.
package allocation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"time"

	"sportello/shared/audit"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
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
	ID            string      `json:"id" dynamodbav:"id"`
	CallID        string      `json:"callId" dynamodbav:"callId"`
	Status        string      `json:"status" dynamodbav:"status"`
	Fund          money.Cents `json:"fund" dynamodbav:"fund"`
	Note          string      `json:"note,omitempty" dynamodbav:"note,omitempty"`
	AnnouncedBy   string      `json:"announcedBy" dynamodbav:"announcedBy"`
	AnnouncedAt   time.Time   `json:"announcedAt" dynamodbav:"announcedAt"`
	InputSHA256   string      `json:"inputSha256,omitempty" dynamodbav:"inputSha256,omitempty"`
	EngineVersion string      `json:"engineVersion,omitempty" dynamodbav:"engineVersion,omitempty"`
	Allocated     money.Cents `json:"allocated" dynamodbav:"allocated"`
	Unallocated   money.Cents `json:"unallocated" dynamodbav:"unallocated"`
	Lines         int         `json:"lineCount" dynamodbav:"lines"`
	InputsKey     string      `json:"-" dynamodbav:"inputsKey,omitempty"`
	CSVKey        string      `json:"-" dynamodbav:"csvKey,omitempty"`
	XLSXKey       string      `json:"-" dynamodbav:"xlsxKey,omitempty"`
	Error         string      `json:"error,omitempty" dynamodbav:"error,omitempty"`
	FinishedAt    time.Time   `json:"finishedAt,omitzero" dynamodbav:"finishedAt,omitempty"`
}

// Input is one frozen beneficiary.
type Input struct {
	ID           string       `json:"id"` // the application's claim: comune:<ISTAT> or facility:<code>
	Name         string       `json:"name"`
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
}

// Store is what runs need from storage.
type Store interface {
	Call(ctx context.Context, id string) (call.Call, error)
	// CurrentSubmissions lists a call's applications as they are now (a
	// riparto counts one validated a moment ago).
	CurrentSubmissions(ctx context.Context, callID string) ([]submission.Submission, error)
	CreateRun(ctx context.Context, r Run) error
	Run(ctx context.Context, id string) (Run, error)
	ClaimRun(ctx context.Context, id string) (Run, bool, error)
	FinishRun(ctx context.Context, r Run, lines []riparto.Line) error
	Audit(ctx context.Context, e audit.Entry) error
}

// Blobs keeps the frozen inputs and the exports.
type Blobs interface {
	Put(ctx context.Context, key, contentType string, body []byte) error
}

// Announcer tells the world a fund was announced (EventBridge in the
// cloud, an in-process call locally).
type Announcer interface {
	FundsAnnounced(ctx context.Context, callID, runID string) error
}

// Service runs riparti.
type Service struct {
	Store     Store
	Blobs     Blobs
	Programs  map[string]program.Program
	Names     func(ctx context.Context, callID, id string) string
	Clock     clock.Clock
	Log       *slog.Logger
	Announcer Announcer
}

// Freeze gathers the inputs of a call's riparto: only applications the
// Region validated or admitted take part.
func (s *Service) Freeze(ctx context.Context, c call.Call, fund money.Cents) (Snapshot, error) {
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
	for _, sub := range subs {
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
		snap.Inputs = append(snap.Inputs, Input{ID: id, Name: s.name(ctx, c.ID, id, sub.Summary), SubmissionID: sub.ID, Protocol: sub.Protocol.Number,
			Weight: a.Weight.RatString(), Cap: a.Cap, CapReason: a.CapReason, Explanation: a.Explanation})
	}
	slices.SortFunc(snap.Inputs, func(a, b Input) int { return strings.Compare(a.ID, b.ID) })
	if len(snap.Inputs) == 0 {
		return snap, problem.New(problem.CodeConflict, "Nessuna domanda validata o ammessa: non c'è nulla da ripartire.")
	}
	return snap, nil
}

func (s *Service) name(ctx context.Context, callID, id, fallback string) string {
	if s.Names != nil {
		if n := s.Names(ctx, callID, id); n != "" {
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

// Names of a snapshot, for exports.
func (snap Snapshot) Names() map[string]string {
	out := make(map[string]string, len(snap.Inputs))
	for _, in := range snap.Inputs {
		out[in.ID] = in.Name
	}
	return out
}

// Simulate computes a riparto for a hypothetical fund; nothing is stored.
func (s *Service) Simulate(ctx context.Context, c call.Call, fund money.Cents) (riparto.Result, Snapshot, error) {
	snap, err := s.Freeze(ctx, c, fund)
	if err != nil {
		return riparto.Result{}, snap, err
	}
	res, err := Compute(snap)
	return res, snap, err
}

// Announce records a fund announcement and asks for its run. Only after
// the call's last window has closed: before, who takes part is not known.
func (s *Service) Announce(ctx context.Context, c call.Call, runID string, fund money.Cents, note, by string) (Run, error) {
	now := s.Clock.Now()
	if c.State(now) != call.Closed {
		return Run{}, problem.New(problem.CodeConflict, "Il fondo si annuncia dopo la chiusura dell'ultima finestra (%s).", clock.FormatRome(c.Last().ClosesAt))
	}
	prog, ok := s.Programs[c.Program]
	if !ok {
		return Run{}, fmt.Errorf("program %q not configured", c.Program)
	}
	if !allocates(prog) {
		return Run{}, problem.New(problem.CodeConflict, "Questo bando non prevede un riparto.")
	}
	run := Run{ID: runID, CallID: c.ID, Status: Pending, Fund: fund, Note: note, AnnouncedBy: by, AnnouncedAt: now.UTC()}
	if err := s.Store.CreateRun(ctx, run); err != nil {
		return Run{}, err
	}
	if err := s.Store.Audit(ctx, audit.Entry{CallID: c.ID, At: now, Actor: by, Action: "funds.announced",
		Detail: map[string]string{"allocation": run.ID, "fund": fund.String()}}); err != nil {
		return run, err
	}
	if err := s.Announcer.FundsAnnounced(ctx, c.ID, run.ID); err != nil {
		return run, fmt.Errorf("announce %s: %w", run.ID, err)
	}
	return run, nil
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
// A repeated or concurrent delivery finds the run taken and does nothing.
func (s *Service) Execute(ctx context.Context, runID string) error {
	run, claimed, err := s.Store.ClaimRun(ctx, runID)
	if err != nil {
		return fmt.Errorf("claim run %s: %w", runID, err)
	}
	if !claimed {
		s.Log.Info("allocation already taken", "allocation", runID, "outcome", "duplicate")
		return nil
	}
	c, err := s.Store.Call(ctx, run.CallID)
	if err != nil {
		return err
	}
	snap, err := s.Freeze(ctx, c, run.Fund)
	var res riparto.Result
	if err == nil {
		res, err = Compute(snap)
	}
	if err != nil {
		run.Status, run.Error, run.FinishedAt = Failed, err.Error(), s.Clock.Now().UTC()
		if ferr := s.Store.FinishRun(ctx, run, nil); ferr != nil {
			return ferr
		}
		s.Log.Warn("allocation failed", "call", run.CallID, "allocation", run.ID, "outcome", "failed")
		return nil
	}
	inputs, _ := json.MarshalIndent(snap, "", " ")
	sum := sha256.Sum256(inputs)
	base := "exports/" + run.CallID + "/" + run.ID
	run.InputsKey, run.CSVKey, run.XLSXKey = base+"/inputs.json", base+"/riparto.csv", base+"/riparto.xlsx"
	var csvBuf, xlsxBuf bytes.Buffer
	if err := riparto.WriteCSV(&csvBuf, res, snap.Names()); err != nil {
		return err
	}
	if err := riparto.WriteXLSX(&xlsxBuf, res, snap.Names()); err != nil {
		return err
	}
	for _, o := range []struct {
		key, ct string
		body    []byte
	}{{run.InputsKey, "application/json", inputs}, {run.CSVKey, "text/csv; charset=utf-8", csvBuf.Bytes()},
		{run.XLSXKey, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsxBuf.Bytes()}} {
		if err := s.Blobs.Put(ctx, o.key, o.ct, o.body); err != nil {
			return err
		}
	}
	run.Status, run.InputSHA256, run.EngineVersion = Done, hex.EncodeToString(sum[:]), res.EngineVersion
	run.Allocated, run.Unallocated, run.Lines, run.FinishedAt = res.Allocated, res.Unallocated, len(res.Lines), s.Clock.Now().UTC()
	if err := s.Store.FinishRun(ctx, run, res.Lines); err != nil {
		return err
	}
	if err := s.Store.Audit(ctx, audit.Entry{CallID: run.CallID, At: s.Clock.Now(), Actor: "system:allocation", Action: "allocation.done",
		Detail: map[string]string{"allocation": run.ID, "allocated": run.Allocated.String(), "unallocated": run.Unallocated.String(), "inputSha256": run.InputSHA256}}); err != nil {
		return err
	}
	s.Log.Info("allocation done", "call", run.CallID, "allocation", run.ID, "lines", run.Lines, "outcome", Done)
	return nil
}
