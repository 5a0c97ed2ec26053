// Package windows does the work due at a window's instants: at opening it
// records that the window opened; at closing it records the close; after
// the call's last window (and a grace period for requests still in flight)
// it expires every remaining draft and freezes the list of orgs that filed.
//
// Every step is idempotent: a schedule that fires twice, late, or after a
// proroga moved the deadline changes nothing the second time, and a periodic
// reconcile catches any instant whose schedule never fired. Filing itself
// never depends on this work: it compares the request's arrival time with
// the window.
package windows

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"sportello/shared/audit"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/outbox"
	"sportello/shared/submission"
)

// FinalizeGrace is how long after the last close the final work waits, so
// that a request that arrived before noon but is still being processed
// files before drafts are expired. It must exceed the API's request
// timeout (30 s).
const FinalizeGrace = time.Minute

// Event kinds.
const (
	KindOpen      = "open"
	KindClose     = "close"
	KindFinalize  = "finalize"
	KindReconcile = "reconcile"
)

// Event is the payload of every window schedule.
type Event struct {
	Kind     string `json:"kind"`
	CallID   string `json:"callId,omitempty"`
	WindowID string `json:"windowId,omitempty"`
}

// Scheduler creates one-time schedules. Put replaces a schedule of the
// same name (that is how a proroga moves a deadline).
type Scheduler interface {
	Put(ctx context.Context, name string, at time.Time, payload []byte) error
	Delete(ctx context.Context, name string) error
}

// Store is what the work needs from storage.
type Store interface {
	Call(ctx context.Context, id string) (call.Call, error)
	Calls(ctx context.Context) ([]call.Call, error)
	// RecordWindowEvent records a window's work once, with its effects
	// (its audit line) in the same transaction; false: already recorded
	// (nothing written).
	RecordWindowEvent(ctx context.Context, e call.WindowEvent, fx outbox.Effects) (bool, error)
	WindowEvents(ctx context.Context, callID string) ([]call.WindowEvent, error)
	// CurrentSubmissions lists a call's applications as they are now (the
	// final close counts one filed a moment before noon).
	CurrentSubmissions(ctx context.Context, callID string) ([]submission.Submission, error)
	ExpireDraft(ctx context.Context, s submission.Submission) (bool, error)
	// RecordParticipation records the final list once, with its effects
	// (its audit line) in the same transaction.
	RecordParticipation(ctx context.Context, p call.Participation, fx outbox.Effects) (bool, error)
	Participation(ctx context.Context, callID string) (call.Participation, bool, error)
}

// Service runs the window work.
type Service struct {
	Store     Store
	Clock     clock.Clock
	Scheduler Scheduler
	Log       *slog.Logger
}

// MaxScheduleName is EventBridge Scheduler's limit on a schedule's name
// (characters 0-9 A-Z a-z - _ . only).
const MaxScheduleName = 64

// ScheduleName names the schedule of one instant of one window. A call id
// (21 characters), a window id (up to 40) and the kind do not fit in 64
// characters, and a name the Scheduler refuses would surface only when the
// call is already stored. So the name is bounded: the call id (for an
// operator reading the console), the kind, and a hash of all three, which
// keeps two windows of one call apart however long their ids. The payload,
// not the name, tells the function what to do.
func ScheduleName(callID, windowID, kind string) string {
	sum := sha256.Sum256([]byte(callID + "\x00" + windowID + "\x00" + kind))
	return scheduleSafe(callID, 24) + "-" + scheduleSafe(kind, 9) + "-" + hex.EncodeToString(sum[:10])
}

// scheduleSafe keeps at most n characters, each one the Scheduler accepts.
func scheduleSafe(s string, n int) string {
	b := []byte(s)
	if len(b) > n {
		b = b[:n]
	}
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Schedule puts the one-time schedules of every future instant of c. Past
// instants are left to the reconcile. It tries every instant even when one
// fails and reports them all: the caller has already stored the call, and
// the reconcile (every 5 minutes) does the work of any instant whose
// schedule is missing, so a failure here delays that work, never loses it.
func (s *Service) Schedule(ctx context.Context, c call.Call) error {
	now := s.Clock.Now()
	var errs []error
	put := func(kind, windowID string, at time.Time) {
		if !at.After(now) {
			return
		}
		payload, _ := json.Marshal(Event{Kind: kind, CallID: c.ID, WindowID: windowID})
		if err := s.Scheduler.Put(ctx, ScheduleName(c.ID, windowID, kind), at, payload); err != nil {
			errs = append(errs, fmt.Errorf("schedule %s %s of %s: %w", kind, windowID, c.ID, err))
		}
	}
	for _, w := range c.Windows {
		put(KindOpen, w.ID, w.OpensAt)
		put(KindClose, w.ID, w.ClosesAt)
	}
	if len(c.Windows) > 0 {
		put(KindFinalize, c.Last().ID, c.Last().ClosesAt.Add(FinalizeGrace))
	}
	return errors.Join(errs...)
}

// Handle runs one event (the windows function's entry point).
func (s *Service) Handle(ctx context.Context, ev Event) error {
	if ev.Kind == KindReconcile {
		return s.Reconcile(ctx)
	}
	c, err := s.Store.Call(ctx, ev.CallID)
	if err != nil {
		return fmt.Errorf("%s %s: %w", ev.Kind, ev.CallID, err)
	}
	w, ok := c.Window(ev.WindowID)
	if !ok {
		s.Log.Warn("window event for unknown window", "call", ev.CallID, "window", ev.WindowID, "kind", ev.Kind)
		return nil
	}
	switch ev.Kind {
	case KindOpen:
		return s.open(ctx, c, w, "schedule")
	case KindClose:
		return s.close(ctx, c, w, "schedule")
	case KindFinalize:
		return s.finalize(ctx, c, "schedule")
	}
	return fmt.Errorf("unknown window event kind %q", ev.Kind)
}

func (s *Service) open(ctx context.Context, c call.Call, w call.Window, trigger string) error {
	now := s.Clock.Now()
	if now.Before(w.OpensAt) {
		s.Log.Info("window not open yet", "call", c.ID, "window", w.ID, "outcome", "early")
		return nil
	}
	return s.record(ctx, c, w, "OPENED", w.OpensAt, now, trigger)
}

func (s *Service) close(ctx context.Context, c call.Call, w call.Window, trigger string) error {
	now := s.Clock.Now()
	if now.Before(w.ClosesAt) {
		// A schedule of a deadline that a proroga has since moved.
		s.Log.Info("window not closed yet", "call", c.ID, "window", w.ID, "outcome", "early")
		return nil
	}
	return s.record(ctx, c, w, "CLOSED", w.ClosesAt, now, trigger)
}

func (s *Service) record(ctx context.Context, c call.Call, w call.Window, kind string, at, now time.Time, trigger string) error {
	fx := outbox.Effects{}.With(&audit.Entry{CallID: c.ID, At: now, Actor: "system:windows", Action: "window." + kind,
		Detail: map[string]string{"window": w.ID, "instant": at.UTC().Format(time.RFC3339Nano), "trigger": trigger}})
	created, err := s.Store.RecordWindowEvent(ctx, call.WindowEvent{CallID: c.ID, WindowID: w.ID, Kind: kind, At: at.UTC(), RanAt: now.UTC(), Trigger: trigger}, fx)
	if err != nil {
		return err
	}
	outcome := "already_recorded"
	if created {
		outcome = "recorded"
	}
	s.Log.Info("window "+kind, "call", c.ID, "window", w.ID, "trigger", trigger, "outcome", outcome)
	return nil
}

// finalize expires the drafts left and freezes who filed, once the last
// window has closed and the grace has passed.
func (s *Service) finalize(ctx context.Context, c call.Call, trigger string) error {
	now := s.Clock.Now()
	closed := c.Last().ClosesAt
	if now.Before(closed.Add(FinalizeGrace)) {
		s.Log.Info("call not final yet", "call", c.ID, "outcome", "early")
		return nil
	}
	if _, done, err := s.Store.Participation(ctx, c.ID); err != nil || done {
		return err
	}
	subs, err := s.Store.CurrentSubmissions(ctx, c.ID)
	if err != nil {
		return err
	}
	p := call.Participation{CallID: c.ID, ClosedAt: closed.UTC()}
	seen := map[string]bool{}
	for _, sub := range subs {
		switch {
		case sub.State == submission.Withdrawn:
			// A rinuncia before the close: the Comune did not take part.
		case sub.Filed():
			p.Filed++
			if !seen[sub.Org] {
				seen[sub.Org] = true
				p.Orgs = append(p.Orgs, sub.Org)
			}
		case sub.State == submission.Draft:
			expired, err := s.Store.ExpireDraft(ctx, sub)
			if err != nil {
				return err
			}
			if expired {
				p.Expired++
			}
		}
	}
	fx := outbox.Effects{}.With(&audit.Entry{CallID: c.ID, At: now, Actor: "system:windows", Action: "call.finalized",
		Detail: map[string]string{"filed": fmt.Sprint(p.Filed), "orgs": fmt.Sprint(len(p.Orgs)), "expiredDrafts": fmt.Sprint(p.Expired), "trigger": trigger}})
	created, err := s.Store.RecordParticipation(ctx, p, fx)
	if err != nil {
		return err
	}
	s.Log.Info("call finalized", "call", c.ID, "filed", p.Filed, "expired", p.Expired, "trigger", trigger, "outcome", map[bool]string{true: "recorded", false: "already_recorded"}[created])
	return nil
}

// Reconcile does any work whose instant has passed but was not recorded.
func (s *Service) Reconcile(ctx context.Context) error {
	calls, err := s.Store.Calls(ctx)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	return s.ReconcileCalls(ctx, calls)
}

// ReconcileCalls is Reconcile for the calls given (read current): the
// listing shows a call a few hundred milliseconds after its creation, so
// whoever has just created calls passes them.
func (s *Service) ReconcileCalls(ctx context.Context, calls []call.Call) error {
	now := s.Clock.Now()
	var firstErr error
	for _, c := range calls {
		if err := s.reconcileCall(ctx, c, now); err != nil {
			s.Log.Error("reconcile failed", "call", c.ID, "error", err.Error())
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}

func (s *Service) reconcileCall(ctx context.Context, c call.Call, now time.Time) error {
	evs, err := s.Store.WindowEvents(ctx, c.ID)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, e := range evs {
		done[e.WindowID+"#"+e.Kind] = true
	}
	for _, w := range c.Windows {
		if !now.Before(w.OpensAt) && !done[w.ID+"#OPENED"] {
			if err := s.open(ctx, c, w, "reconcile"); err != nil {
				return err
			}
		}
		if !now.Before(w.ClosesAt) && !done[w.ID+"#CLOSED"] {
			if err := s.close(ctx, c, w, "reconcile"); err != nil {
				return err
			}
		}
	}
	if len(c.Windows) > 0 && !now.Before(c.Last().ClosesAt.Add(FinalizeGrace)) {
		return s.finalize(ctx, c, "reconcile")
	}
	return nil
}

// DecodeEvent reads a schedule payload strictly.
func DecodeEvent(b []byte) (Event, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return ev, fmt.Errorf("decode window event: %w", err)
	}
	switch ev.Kind {
	case KindReconcile:
	case KindOpen, KindClose, KindFinalize:
		if ev.CallID == "" || ev.WindowID == "" {
			return ev, fmt.Errorf("decode window event: %s needs callId and windowId", ev.Kind)
		}
	default:
		return ev, fmt.Errorf("decode window event: unknown kind %q", ev.Kind)
	}
	return ev, nil
}
