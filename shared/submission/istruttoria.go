package submission

import (
	"time"

	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/program"
)

// Istruttoria is an application's review clock (Lombardy, avviso C.3):
// the officers decide within a number of calendar days, and the clock
// stops while an integration the officer asked for is awaited (C.3.c).
//
// The Avviso counts the days "dalla data di chiusura della finestra"
// (C.3.a) while its summary sheet says "dalla data di presentazione della
// domanda": the due date is the earlier of the two readings — the end
// (24:00 Rome) of the 60th calendar day after the filing day, or after the
// closing day of the window the application was filed in. Since an
// application is filed before its window closes, that is the reading from
// the filing day; the Region is never told a later date than either act
// allows.
//
// Suspension moves the due date by exactly the time the clock stood
// still: from the officer's request to the applicant's sending of the
// integration, or to the integration deadline when nothing came by then.
type Istruttoria struct {
	Due       time.Time  `json:"due" dynamodbav:"due"`
	StoppedAt *time.Time `json:"stoppedAt,omitempty" dynamodbav:"stoppedAt,omitempty"`
	// Suspended is the total time the clock stood still so far.
	Suspended time.Duration `json:"suspendedNanos,omitempty" dynamodbav:"suspended,omitempty"`
}

// reviewDays is the program's review term in calendar days from the
// window's close (0: none), from its deadlines (program.Deadliner).
func reviewDays(prog program.Program) int {
	dl, ok := prog.(program.Deadliner)
	if !ok {
		return 0
	}
	for _, d := range dl.Deadlines() {
		if d.DaysAfterClose > 0 && d.Needs == program.NeedsDecisions {
			return d.DaysAfterClose
		}
	}
	return 0
}

// endOfDayAfter is 24:00 Rome of the day days calendar days after t's day.
func endOfDayAfter(t time.Time, days int) time.Time {
	y, m, d := t.In(clock.Rome).Date()
	return time.Date(y, m, d+days+1, 0, 0, 0, 0, clock.Rome).UTC()
}

// StartIstruttoria starts the clock of an application filed at filedAt in
// c: nil when the program sets no review term.
func StartIstruttoria(prog program.Program, c call.Call, filedAt time.Time) *Istruttoria {
	days := reviewDays(prog)
	if days == 0 {
		return nil
	}
	due := endOfDayAfter(filedAt, days)
	for _, w := range c.Windows {
		if w.Contains(filedAt) {
			if byClose := endOfDayAfter(w.ClosesAt.Add(-time.Nanosecond), days); byClose.Before(due) {
				due = byClose
			}
		}
	}
	return &Istruttoria{Due: due}
}

// Stop stands the clock still at now (an integration is requested); a
// clock already stopped stays as it is.
func (i *Istruttoria) Stop(now time.Time) {
	if i == nil || i.StoppedAt != nil {
		return
	}
	at := now.UTC()
	i.StoppedAt = &at
}

// Resume restarts the clock at now: the due date moves by the time it
// stood still.
func (i *Istruttoria) Resume(now time.Time) {
	if i == nil || i.StoppedAt == nil {
		return
	}
	if d := now.Sub(*i.StoppedAt); d > 0 {
		i.Due = i.Due.Add(d)
		i.Suspended += d
	}
	i.StoppedAt = nil
}

// ReviewClock is what the officers' list shows of an application's clock
// at now.
type ReviewClock struct {
	Due       time.Time // the due date as of now (for a stopped clock, as if it restarted now)
	Suspended bool      // an integration is awaited: the clock stands still
	Overdue   bool      // undecided and past due
}

// Clock reads an application's review clock at now; ok is false when the
// application has none. An integration awaited past its deadline no
// longer stops the clock: it restarted at the deadline.
func (s Submission) Clock(now time.Time) (rc ReviewClock, ok bool) {
	if s.Istruttoria == nil {
		return rc, false
	}
	i := *s.Istruttoria
	if i.StoppedAt != nil {
		restart := now
		if s.State == IntegrationRequested && s.Review != nil && s.Review.Deadline != nil && s.Review.Deadline.Before(now) {
			restart = *s.Review.Deadline
		}
		rc.Suspended = !restart.Before(now) && s.State == IntegrationRequested
		i.Resume(restart)
	}
	rc.Due = i.Due
	undecided := s.State == Submitted || s.State == IntegrationRequested
	rc.Overdue = undecided && !rc.Suspended && !now.Before(rc.Due)
	return rc, true
}
