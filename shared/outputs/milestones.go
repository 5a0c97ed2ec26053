package outputs

import (
	"context"
	"fmt"
	"time"

	"sportello/shared/allocation"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// Milestone states.
const (
	MilestoneDone    = "done"
	MilestoneOpen    = "open"
	MilestoneOverdue = "overdue"
)

// Pending is an application a milestone still waits for, with its own
// review due date where the program sets a review clock (the
// application's istruttoria: from its filing, stopped while an
// integration is awaited).
type Pending struct {
	ID       string     `json:"id"`
	Protocol string     `json:"protocol"`
	State    string     `json:"state"`
	Due      *time.Time `json:"due,omitempty"`
	DueDate  string     `json:"dueDate,omitempty"`
	Stopped  bool       `json:"stopped,omitempty"` // the clock stands still: an integration is awaited
}

// Milestone is a dated deadline of the Region with what is still undone.
type Milestone struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Window string `json:"window,omitempty"` // for a deadline counted from a window's close
	// DueDate is the last day, gg/mm/aaaa; Due the instant it ends
	// (midnight in Rome at the end of that day): done at or after Due is late.
	DueDate string    `json:"dueDate"`
	Due     time.Time `json:"due"`
	State   string    `json:"state"`
	// Undone says, in Italian, what is still missing; Pending lists the
	// applications awaiting a decision.
	Undone  []string  `json:"undone"`
	Pending []Pending `json:"pending"`
}

// endOfDay is the instant a Rome calendar day ends.
func endOfDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d+1, 0, 0, 0, 0, clock.Rome)
}

// Milestones lists the call's deadlines (the program's, see
// program.Deadliner) as of now, each with what is still undone.
func (s *Service) Milestones(ctx context.Context, p *auth.Principal, callID string) ([]Milestone, error) {
	c, prog, err := s.officerCall(ctx, p, callID)
	if err != nil {
		return nil, err
	}
	out := []Milestone{}
	dl, ok := prog.(program.Deadliner)
	if !ok {
		return out, nil
	}
	subs, err := s.filed(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	for _, d := range dl.Deadlines() {
		if d.DaysAfterClose > 0 {
			for i, w := range c.Windows {
				y, m, day := w.ClosesAt.In(clock.Rome).Date()
				due := endOfDay(y, m, day+d.DaysAfterClose)
				var opens time.Time
				if i > 0 {
					opens = c.Windows[i-1].ClosesAt
				}
				inWindow := func(sub submission.Submission) bool {
					return !sub.Protocol.At.Before(opens) && sub.Protocol.At.Before(w.ClosesAt)
				}
				ms, err := s.milestone(ctx, c, d, due, now, subs, inWindow)
				if err != nil {
					return nil, err
				}
				ms.ID, ms.Window = d.ID+"-"+w.ID, w.ID
				out = append(out, ms)
			}
			continue
		}
		y, m, day := d.On.Date()
		ms, err := s.milestone(ctx, c, d, endOfDay(y, m, day), now, subs, func(submission.Submission) bool { return true })
		if err != nil {
			return nil, err
		}
		out = append(out, ms)
	}
	return out, nil
}

func (s *Service) milestone(ctx context.Context, c call.Call, d program.Deadline, due, now time.Time, subs []submission.Submission,
	counts func(submission.Submission) bool) (Milestone, error) {
	last := due.Add(-time.Nanosecond)
	ms := Milestone{ID: d.ID, Title: d.Title, DueDate: romeDate(last), Due: due, Undone: []string{}, Pending: []Pending{}}
	integration, lateOnes := 0, 0
	for _, sub := range subs {
		if !counts(sub) || !allocation.Undecided(sub, c, now) {
			continue
		}
		p := Pending{ID: sub.ID, Protocol: sub.Protocol.Number, State: string(sub.State)}
		if ist := sub.Istruttoria; ist != nil && !ist.Due.IsZero() {
			d := ist.Due.In(clock.Rome)
			p.Due, p.DueDate, p.Stopped = &d, romeDate(d.Add(-time.Nanosecond)), ist.StoppedAt != nil
			if !p.Stopped && !now.Before(d) {
				lateOnes++
			}
		}
		ms.Pending = append(ms.Pending, p)
		if sub.State == submission.IntegrationRequested {
			integration++
		}
	}
	if lateOnes > 0 {
		ms.Undone = append(ms.Undone, fmt.Sprintf("%d domande oltre il proprio termine di istruttoria.", lateOnes))
	}
	if n := len(ms.Pending); n > 0 {
		u := fmt.Sprintf("%d domande da decidere", n)
		if integration > 0 {
			u += fmt.Sprintf(" (%d in attesa di integrazione documentale: il termine può essere sospeso)", integration)
		}
		ms.Undone = append(ms.Undone, u+".")
	}
	if d.Needs == program.NeedsDecree {
		if _, ok, err := s.lastRun(ctx, c.ID); err != nil {
			return ms, err
		} else if !ok {
			ms.Undone = append(ms.Undone, "Riparto non ancora eseguito: annunciare il fondo per ottenere i dati del decreto.")
		}
	}
	switch {
	case len(ms.Undone) == 0:
		ms.State = MilestoneDone
	case now.Before(due) && lateOnes == 0:
		ms.State = MilestoneOpen
	default:
		ms.State = MilestoneOverdue
	}
	return ms, nil
}
