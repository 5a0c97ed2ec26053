package call

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"sportello/shared/access"
	"sportello/shared/audit"
	"sportello/shared/auth"
	"sportello/shared/clock"
	"sportello/shared/ident"
	"sportello/shared/metrics"
	"sportello/shared/outbox"
	"sportello/shared/problem"
)

// Store is what the calls' use cases need from storage.
type Store interface {
	Calls(ctx context.Context) ([]Call, error)
	Call(ctx context.Context, id string) (Call, error)
	// CreateCallWith stores a new call with its effects (its audit line)
	// in one transaction.
	CreateCallWith(ctx context.Context, c Call, fx outbox.Effects) error
	// UpdateCallWith changes a call under its version; fn answers the
	// change's effects (its audit line), written in the same transaction.
	UpdateCallWith(ctx context.Context, id string, fn func(*Call) (outbox.Effects, error)) (Call, error)
	WindowEvents(ctx context.Context, callID string) ([]WindowEvent, error)
	CallAudit(ctx context.Context, callID string) ([]audit.Entry, error)
}

// Scheduler puts the schedules of a call's future instants (the windows
// service).
type Scheduler interface {
	Schedule(ctx context.Context, c Call) error
}

// Regions tells the region a program belongs to (the catalog).
type Regions interface {
	RegionOf(program string) (string, bool)
}

// Service runs the calls' use cases: listing, reading, creating a call,
// extending a window (proroga), reading its audit trail.
type Service struct {
	Store     Store
	Scheduler Scheduler
	Programs  Regions
	Clock     clock.Clock
	Log       *slog.Logger
}

// List returns the calls p may see.
func (s *Service) List(ctx context.Context, p *auth.Principal) ([]Call, error) {
	calls, err := s.Store.Calls(ctx)
	if err != nil {
		return nil, err
	}
	out := calls[:0:0]
	for _, c := range calls {
		if access.SeesCall(p, c.Region) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Get returns a call p may see.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id string) (Call, error) {
	c, err := s.Store.Call(ctx, id)
	if err != nil {
		return c, err
	}
	if err := access.SeeCall(p, c.Region); err != nil {
		return Call{}, err
	}
	return c, nil
}

// Managed returns a call of the officer's region (for every officer
// action on a call).
func (s *Service) Managed(ctx context.Context, p *auth.Principal, id string) (Call, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return c, err
	}
	return c, access.ManageCall(p, c.Region)
}

// Create opens a call of the officer's region with its windows, schedules
// their instants and audits it.
func (s *Service) Create(ctx context.Context, p *auth.Principal, spec Spec) (Call, error) {
	if err := access.Officer(p); err != nil {
		return Call{}, err
	}
	region, known := s.Programs.RegionOf(spec.Program)
	if !known {
		return Call{}, &problem.Error{Code: problem.CodeValidation, Detail: "Programma sconosciuto.",
			Fields: []problem.FieldError{{Field: "program", Code: problem.FieldInvalid, Message: "Programma sconosciuto."}}}
	}
	if region != p.Region {
		return Call{}, problem.New(problem.CodeForbidden, "Il programma %s è di un'altra Regione.", spec.Program)
	}
	now := s.Clock.Now()
	c, err := New(ident.New("call"), region, spec, p.Subject, now)
	if err != nil {
		return Call{}, err
	}
	// The audit line in the call's own transaction: a stored call always
	// has its creation on record. The schedules come after (below).
	fx := outbox.Effects{}.With(&audit.Entry{CallID: c.ID, At: now, Actor: p.Subject, Action: "call.created",
		Detail: map[string]string{"program": c.Program, "windows": strconv.Itoa(len(c.Windows))}})
	if err := s.Store.CreateCallWith(ctx, c, fx); err != nil {
		return Call{}, err
	}
	s.schedule(ctx, c)
	return c, nil
}

// Extension is a proroga: a window's new closing instant and why.
type Extension struct {
	WindowID string
	ClosesAt time.Time
	Reason   string
}

// Extend moves a window's closing instant (proroga), reschedules the close
// (and the final work when it is the last window), and audits both
// instants.
func (s *Service) Extend(ctx context.Context, p *auth.Principal, callID string, e Extension) (Call, error) {
	if len(e.Reason) > 1000 {
		return Call{}, &problem.Error{Code: problem.CodeValidation, Detail: "Motivazione troppo lunga.",
			Fields: []problem.FieldError{{Field: "reason", Code: problem.FieldTooLarge, Message: "Al massimo 1000 caratteri."}}}
	}
	c, err := s.Managed(ctx, p, callID)
	if err != nil {
		return c, err
	}
	now := s.Clock.Now()
	updated, err := s.Store.UpdateCallWith(ctx, c.ID, func(cur *Call) (outbox.Effects, error) {
		next, old, err := cur.Extend(e.WindowID, e.ClosesAt, now)
		if err != nil {
			return outbox.Effects{}, err
		}
		*cur = next
		// The line names the closing instant this version replaces: made
		// again on each attempt, written only by the one that saves.
		return outbox.Effects{}.With(&audit.Entry{CallID: c.ID, At: now, Actor: p.Subject, Action: "window.extended",
			Detail: map[string]string{"window": old.ID, "from": clock.RFC3339(old.ClosesAt), "to": clock.RFC3339(e.ClosesAt), "reason": e.Reason}}), nil
	})
	if err != nil {
		return Call{}, err
	}
	s.schedule(ctx, updated)
	return updated, nil
}

// schedule puts the call's schedules once the call and its audit line are
// stored (in one transaction). A failure does not undo or fail the request: the windows
// function's reconcile (every 5 minutes) does the work of any instant whose
// schedule is missing, and filing never depends on a schedule (it compares
// the request's arrival with the window). It is logged at error level,
// which alarms.
func (s *Service) schedule(ctx context.Context, c Call) {
	if err := s.Scheduler.Schedule(ctx, c); err != nil {
		s.Log.ErrorContext(ctx, "schedules not put: the reconcile will do their work", "call", c.ID, "outcome", "schedule_failed", "error", err.Error())
		metrics.Count(metrics.ScheduleFailure)
	}
}

// Trail is a call's audit trail and the window work done.
type Trail struct {
	Entries      []audit.Entry `json:"entries"`
	WindowEvents []WindowEvent `json:"windowEvents"`
}

// Audit returns the trail of a call of the officer's region.
func (s *Service) Audit(ctx context.Context, p *auth.Principal, callID string) (Trail, error) {
	c, err := s.Managed(ctx, p, callID)
	if err != nil {
		return Trail{}, err
	}
	trail, err := s.Store.CallAudit(ctx, c.ID)
	if err != nil {
		return Trail{}, err
	}
	evs, err := s.Store.WindowEvents(ctx, c.ID)
	if err != nil {
		return Trail{}, err
	}
	if trail == nil {
		trail = []audit.Entry{}
	}
	if evs == nil {
		evs = []WindowEvent{}
	}
	return Trail{Entries: trail, WindowEvents: evs}, nil
}
