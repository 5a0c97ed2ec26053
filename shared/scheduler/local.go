package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"sportello/shared/clock"
)

// Local fires schedules in process at the instants of its clock: the local
// runtime's stand-in for EventBridge Scheduler. The clock must run at real
// speed (clock.Started or System).
type Local struct {
	Clock  clock.Clock
	Fire   func(ctx context.Context, payload []byte) error
	Log    *slog.Logger
	mu     sync.Mutex
	timers map[string]*time.Timer
	at     map[string]time.Time
}

// Put arms (or re-arms) a timer for name.
func (l *Local) Put(_ context.Context, name string, at time.Time, payload []byte) error {
	if err := CheckName(name); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timers == nil {
		l.timers, l.at = map[string]*time.Timer{}, map[string]time.Time{}
	}
	if t, ok := l.timers[name]; ok {
		t.Stop()
	}
	delay := at.Sub(l.Clock.Now())
	p := append([]byte(nil), payload...)
	l.at[name] = at
	l.timers[name] = time.AfterFunc(max(delay, 0), func() {
		// Timers may fire a hair early against the clock: wait until the
		// clock reads the instant, as EventBridge would.
		for d := at.Sub(l.Clock.Now()); d > 0; d = at.Sub(l.Clock.Now()) {
			time.Sleep(d)
		}
		if err := l.Fire(context.Background(), p); err != nil {
			l.Log.Error("scheduled invocation failed", "schedule", name, "error", err.Error())
		}
	})
	return nil
}

// Delete disarms name.
func (l *Local) Delete(_ context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.timers[name]; ok {
		t.Stop()
		delete(l.timers, name)
		delete(l.at, name)
	}
	return nil
}

// Pending lists armed schedules and their instants.
func (l *Local) Pending() map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]time.Time, len(l.at))
	for k, v := range l.at {
		out[k] = v
	}
	return out
}

// Stop disarms everything.
func (l *Local) Stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range l.timers {
		t.Stop()
	}
}
