// Package clock gives the current instant through an interface so that every
// deadline can be tested, and the Europe/Rome zone from the embedded tzdata
// so that a Lambda image without zoneinfo still knows Italian summer time.
package clock

import (
	"errors"
	"sync"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 has no /usr/share/zoneinfo guarantee.
)

// Rome is Europe/Rome. Calls' deadlines are wall-clock times there.
var Rome = mustLoad("Europe/Rome")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("clock: " + err.Error())
	}
	return loc
}

// Clock tells the current instant.
type Clock interface {
	Now() time.Time
}

// System is the real clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// Started is a clock that reads start at the moment it was created and then
// runs at real speed: the local runtime uses it to live through a noon
// deadline on a laptop.
type Started struct {
	mu    sync.Mutex
	start time.Time
	base  time.Time // monotonic reading taken when start was set
}

// StartAt returns a clock that now reads start.
func StartAt(start time.Time) *Started {
	return &Started{start: start, base: time.Now()}
}

// Now returns start plus the real time elapsed since creation.
func (c *Started) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Since(c.base))
}

// Jump makes the clock read t now and run on from there (benchmarks set
// up at leisure, then jump to 11:59:00 for the rush).
func (c *Started) Jump(t time.Time) {
	c.mu.Lock()
	c.start, c.base = t, time.Now()
	c.mu.Unlock()
}

// Manual is a clock that moves only when told; for tests.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// NewManual returns a manual clock reading t.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now returns the current reading.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t
}

// Set moves the clock to t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.t = t
	m.mu.Unlock()
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.t = m.t.Add(d)
	m.mu.Unlock()
}

// InRome builds a wall-clock instant in Europe/Rome.
func InRome(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, Rome)
}

// FormatRome renders an instant for people: "18/05/2026 alle 12:00:00 (ora di Roma)".
func FormatRome(t time.Time) string {
	return t.In(Rome).Format("02/01/2006 alle 15:04:05") + " (ora di Roma)"
}

// RFC3339 renders an instant for machines, with the Europe/Rome offset
// ("2026-05-18T12:00:00+02:00"): what the API answers and the audit keeps.
func RFC3339(t time.Time) string { return t.In(Rome).Format(time.RFC3339Nano) }

// ParseInstant reads an instant from outside input: RFC 3339 with an
// explicit offset ("2026-05-18T12:00:00+02:00" or "…Z"). A local time
// without offset is refused: a deadline is never guessed.
func ParseInstant(s string) (time.Time, error) {
	if len(s) < 20 || len(s) > 40 {
		return time.Time{}, errInstant
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errInstant
	}
	return t, nil
}

var errInstant = errors.New(`istante non valido: usare RFC 3339 con fuso orario, es. "2026-05-18T12:00:00+02:00"`)
