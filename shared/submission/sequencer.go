package submission

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/retry"
)

// Limits of one filing transaction (DynamoDB: 100 items, 4 MB in all).
// A round's items: 1 (the counter) + for each registration its size():
// the application, its register entry, its effects (the audit line and the
// e-mail, each an outbox item), and for a filing its claims and 2 per
// member (the check that the member did not file alone, and the listing).
// A common filing (a Comune, one claim, no members, a receipt) is 1+1+1+1+1
// = 5 items; a round files up to maxRoundFilings of them in one
// transaction (the items would allow (100-1)/5 = 19); the next round takes
// the rest (docs/reliability.md).
const (
	maxBatchItems = 100
	maxBatchBytes = 3 << 20 // below 4 MB, leaving room for keys and attribute names
	// maxRoundFilings bounds a round: a transaction's latency grows with
	// its items, and every filing queued behind a round waits for all of
	// it. Six filings a round (about 30 items) keep a round short while
	// one process still files several hundred a second
	// (docs/performance.md).
	maxRoundFilings = 6
)

// lane is one register's queue of filings in this process. Filings group
// commit: the filing at the head of the queue leads, taking every queued
// filing that fits into one transaction (the counter moves by as many
// numbers, each application gets the next one in queue order), so a
// register files as many applications per round trip as are waiting.
// Across processes the counter's condition still arbitrates.
type lane struct {
	mu      sync.Mutex
	queue   []*filing
	leading bool
	// counter is the register's value after this lane's last round (0:
	// unknown); the next round starts from it instead of reading it. If
	// another process moved it meanwhile, the condition fails and the
	// counter is read.
	counter int64
}

type filing struct {
	next    Submission
	prev    int64
	arrival time.Time
	// effects composes the audit line and the messages of the
	// registration once it has its number: they are written in its
	// transaction (the outbox). nil: none.
	effects func(Submission) outbox.Effects
	// fxItems, fxBytes: the effects' size, measured on a provisional
	// number of the same width.
	fxItems, fxBytes int
	// done receives the outcome, or lead: this filing is now at the head
	// and must lead the next round.
	done chan outcome
}

type outcome struct {
	filed Submission
	err   error
	lead  bool
}

// size: the application and its register entry, and for a filing its
// claims, the checks that its members did not file alone and its member
// listings.
func (f *filing) size() (items, bytes int) {
	items = 2 + f.fxItems
	if f.next.Registering == EntryFiling {
		items += len(f.next.Claims) + 2*len(f.next.Members)
	}
	return items, len(f.next.Data) + 4096 + f.fxBytes
}

// numbered is next with protocol p where the registration carries it.
func numbered(next Submission, p Protocol) Submission {
	if next.Registering == EntryIntegration {
		next.Integrations = append([]Integration(nil), next.Integrations...)
		next.Integrations[len(next.Integrations)-1].Protocol = p
	} else {
		next.Protocol = &p
	}
	return next
}

// keys are the items a registration touches besides its own, which no
// other registration of the same round may touch.
func (f *filing) keys() []string {
	out := []string{"sub\x00" + f.next.ID}
	if f.next.Registering == EntryFiling {
		out = append(out, f.next.Claims...)
		out = append(out, f.next.Members...)
	}
	return out
}

// enqueue registers next (a filing or an integration, next.Registering)
// through the register's lane and waits for its outcome.
func (s *Service) enqueue(ctx context.Context, register string, next Submission, prev int64, arrival time.Time, effects func(Submission) outbox.Effects) (Submission, error) {
	v, _ := s.lanes.LoadOrStore(register, &lane{})
	l := v.(*lane)
	f := &filing{next: next, prev: prev, arrival: arrival, effects: effects, done: make(chan outcome, 1)}
	if effects != nil {
		fx := effects(numbered(next, Protocol{Number: FormatProtocol(register, 1), Seq: 1, At: arrival.UTC(), Register: register}))
		f.fxItems, f.fxBytes = fx.Items(), fx.Bytes()
	}
	l.mu.Lock()
	l.queue = append(l.queue, f)
	lead := !l.leading
	l.leading = true
	l.mu.Unlock()
	for {
		if lead {
			// The round files others' applications too: it must not end
			// with this request's context.
			s.lead(context.WithoutCancel(ctx), l, register)
		}
		// No early return on ctx: a queued filing may be handed the lead,
		// and a round ends within the filing budget anyway.
		o := <-f.done
		if o.lead {
			lead = true
			continue
		}
		return o.filed, o.err
	}
}

// lead runs one round: it takes the head of the queue and whatever fits
// with it, files them, delivers each outcome, and hands the lead to the
// next queued filing (or ends the leading when none waits).
func (s *Service) lead(ctx context.Context, l *lane, register string) {
	l.mu.Lock()
	var batch, rest []*filing
	items, bytes := 1, 0 // the counter
	taken := map[string]bool{}
	// Filings of a draft already in the round, from the same version (a
	// client pressing "Invia" again), share its outcome: the same answer
	// again, without a round of their own.
	twins := map[*filing][]*filing{}
	first := map[string]*filing{}
	for _, f := range l.queue {
		if lead := first[f.next.ID]; lead != nil && lead.prev == f.prev {
			twins[lead] = append(twins[lead], f)
			continue
		}
		fi, fb := f.size()
		clash := false
		for _, k := range f.keys() {
			clash = clash || taken[k]
		}
		// One operation per item: two filings of one draft, or two
		// claiming the same key, go to different rounds.
		if len(batch) > 0 && (clash || len(batch) >= maxRoundFilings || items+fi > maxBatchItems || bytes+fb > maxBatchBytes) {
			rest = append(rest, f)
			continue
		}
		batch = append(batch, f)
		first[f.next.ID] = f
		items, bytes = items+fi, bytes+fb
		for _, k := range f.keys() {
			taken[k] = true
		}
	}
	l.queue = rest
	l.mu.Unlock()

	for f, o := range s.fileRound(ctx, batch, register, l) {
		f.done <- o
		for _, t := range twins[f] {
			t.done <- o
		}
	}

	l.mu.Lock()
	if len(l.queue) > 0 {
		l.queue[0].done <- outcome{lead: true}
	} else {
		l.leading = false
	}
	l.mu.Unlock()
}

// fileRound files a batch, dropping from it the filings refused for their
// own reasons and trying the others again, until each has its outcome:
// contention and storage faults are retried inside the filing budget.
func (s *Service) fileRound(ctx context.Context, batch []*filing, register string, l *lane) map[*filing]outcome {
	out := map[*filing]outcome{}
	deadline := time.Now().Add(s.budget())
	known := l.counter // only the leader touches it, one round at a time
	l.counter = 0
	for attempt := 0; len(batch) > 0; attempt++ {
		if attempt > 0 {
			retry.Backoff(ctx, attempt, 20*time.Millisecond) //nolint:errcheck // ctx is never cancelled here
		}
		n, err := known, error(nil)
		if known == 0 {
			n, err = s.Store.ProtocolCounter(ctx, register)
		}
		known = 0
		var refused map[int]error
		if err == nil {
			subs, prevs, fx := make([]Submission, len(batch)), make([]int64, len(batch)), make([]outbox.Effects, len(batch))
			for i, f := range batch {
				seq := n + 1 + int64(i)
				f.next = numbered(f.next, Protocol{Number: FormatProtocol(register, seq), Seq: seq, At: f.arrival.UTC(), Register: register})
				subs[i], prevs[i] = f.next, f.prev
				if f.effects != nil {
					fx[i] = f.effects(f.next)
				}
			}
			refused, err = s.Store.FileAll(ctx, subs, prevs, fx, n)
		}
		switch {
		case err == nil && len(refused) == 0:
			for _, f := range batch {
				out[f] = outcome{filed: f.next}
			}
			l.counter = n + int64(len(batch))
			return out
		case err == nil:
			var keep []*filing
			for i, f := range batch {
				if e, ok := refused[i]; ok {
					out[f] = outcome{filed: f.next, err: e}
				} else {
					keep = append(keep, f)
				}
			}
			batch, attempt, known = keep, 0, n // nothing was written: the counter is still n
			continue
		case (errors.Is(err, ErrCounterMoved) || retryable(err)) && time.Now().Before(deadline):
			continue
		case errors.Is(err, ErrCounterMoved):
			err = fmt.Errorf("file %d applications: counter contention did not settle: %w", len(batch), problem.Unavailable)
		}
		for _, f := range batch {
			out[f] = outcome{filed: f.next, err: err}
		}
		return out
	}
	return out
}
