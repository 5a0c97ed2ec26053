package server

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"sportello/infra/apiclient"
	"sportello/shared/allocation"
	"sportello/shared/clock"
	"sportello/shared/money"
	txoutbox "sportello/shared/outbox"
)

// admittedFVG files and admits two FVG applications and moves the clock
// past the call's close, so a riparto can run.
func admittedFVG(t *testing.T, e *env) {
	t.Helper()
	ex := loadExample(t, "fvg-udine.json")
	var ids []string
	for _, c := range []struct{ cf, facility, comune string }{{"01234567897", "FVG-NIDO-0042", "030129"}, {"02468135799", "FVG-NIDO-0077", "093052"}} {
		raw := editForm(t, ex.Data, func(f *apiclient.FvgForm) {
			f.Operator.FiscalCode = ptr(c.cf)
			f.Facility.Code, f.Facility.Comune = ptr(c.facility), ptr(c.comune)
		})
		org := "gestore:" + c.cf
		tok := e.applicant(org)
		id := e.draft(FVGCall, tok, org, raw)
		for _, d := range ex.Documents {
			e.upload(id, tok, d.Kind, d.File, d.ContentType)
		}
		if r := e.submit(id, tok); r.Status != 200 {
			t.Fatalf("%s: %d %s", c.facility, r.Status, r.Body)
		}
		ids = append(ids, id)
	}
	e.clk.Set(clock.InRome(2025, 8, 20, 10, 0))
	off := e.officer("FVG")
	for _, id := range ids {
		if r := e.decide(id, off, apiclient.Decision{Decision: "admit"}); r.Status != 200 {
			t.Fatalf("admit: %d %s", r.Status, r.Body)
		}
	}
}

// dyingBlobs is the export bucket as a worker sees it that dies after
// writing `after` objects: its next write never returns (the process is
// gone) until the test lets the zombie go on.
type dyingBlobs struct {
	inner   allocation.Blobs
	after   int
	mu      sync.Mutex
	puts    map[string][]byte
	dead    chan struct{}
	release chan struct{}
}

func (b *dyingBlobs) Put(ctx context.Context, key, ct string, body []byte) error {
	b.mu.Lock()
	if len(b.puts) == b.after {
		b.mu.Unlock()
		close(b.dead)
		<-b.release
		return errors.New("worker killed")
	}
	b.puts[key] = append([]byte(nil), body...)
	b.mu.Unlock()
	return b.inner.Put(ctx, key, ct, body)
}

// dyingStore is the table as a worker sees it that dies just before
// recording the result; released, the zombie tries to record it anyway.
type dyingStore struct {
	allocation.Store
	dead, release chan struct{}
}

func (s *dyingStore) FinishRun(ctx context.Context, r allocation.Run, lines []allocation.Line, fx txoutbox.Effects) error {
	close(s.dead)
	<-s.release
	return s.Store.FinishRun(ctx, r, lines, fx)
}

// recordingBlobs keeps what a worker wrote.
type recordingBlobs struct {
	inner allocation.Blobs
	mu    sync.Mutex
	puts  map[string][]byte
}

func (b *recordingBlobs) Put(ctx context.Context, key, ct string, body []byte) error {
	b.mu.Lock()
	b.puts[key] = append([]byte(nil), body...)
	b.mu.Unlock()
	return b.inner.Put(ctx, key, ct, body)
}

func TestAllocationWorkerKilledAfterTakingTheRunIsTakenOverAfterTheLeaseWithTheSameOutputs(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	admittedFVG(t, e)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		after int // objects written before the kill
	}{
		{"killed right after taking the run", 0},
		{"killed after the first export", 1},
		{"killed after every export, before recording the result", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			runID := "alloc-lease-" + string(rune('a'+c.after))
			if clash, err := e.rt.Store.CreateRun(ctx, allocation.Run{ID: runID, CallID: FVGCall, Status: allocation.Pending,
				Fund: money.Cents(100_000_00), AnnouncedBy: "officer-FVG", AnnouncedAt: e.clk.Now().UTC()}, "", txoutbox.Effects{}); err != nil || clash != nil {
				t.Fatalf("create run: %v %+v", err, clash)
			}
			dying := &dyingBlobs{inner: e.rt.Exports, after: c.after, puts: map[string][]byte{}, dead: make(chan struct{}), release: make(chan struct{})}
			first := *e.rt.App.Allocation
			first.Blobs = dying
			if c.after == 3 {
				first.Store = &dyingStore{Store: e.rt.App.Allocation.Store, dead: dying.dead, release: dying.release}
			}
			zombie := make(chan error, 1)
			go func() { zombie <- first.Execute(ctx, runID) }()
			select {
			case <-dying.dead:
			case err := <-zombie:
				t.Fatalf("the first worker ended before dying: %v", err)
			}

			// Redelivered while the lease runs: left to its holder.
			var held *allocation.LeaseHeld
			if err := e.rt.App.Allocation.Execute(ctx, runID); !errors.As(err, &held) {
				t.Fatalf("during the lease: want LeaseHeld, got %v", err)
			}
			if run, _ := e.rt.Store.Run(ctx, runID); run.Status != allocation.Running || run.Attempt != 1 {
				t.Fatalf("run during the lease: %s attempt %d", run.Status, run.Attempt)
			}

			// After the lease: taken over and finished.
			e.clk.Set(e.clk.Now().Add(allocation.DefaultLease + time.Second))
			second := *e.rt.App.Allocation
			rec := &recordingBlobs{inner: e.rt.Exports, puts: map[string][]byte{}}
			second.Blobs = rec
			if err := second.Execute(ctx, runID); err != nil {
				t.Fatalf("takeover: %v", err)
			}
			run, err := e.rt.Store.Run(ctx, runID)
			if err != nil || run.Status != allocation.Done || run.Attempt != 2 || run.Lines != 2 {
				t.Fatalf("after the takeover: %+v %v", run, err)
			}
			if len(rec.puts) != 3 {
				t.Fatalf("takeover wrote %d objects, want 3", len(rec.puts))
			}
			for key, body := range dying.puts {
				if !bytes.Equal(rec.puts[key], body) {
					t.Fatalf("%s: the takeover wrote other bytes than the first worker under the same key", key)
				}
			}
			if c.after == 3 && len(dying.puts) != 3 {
				t.Fatalf("first worker wrote %d objects", len(dying.puts))
			}

			// The dead worker comes back (a zombie): it may not finish the
			// run a second time.
			close(dying.release)
			if err := <-zombie; err != nil && c.after == 3 {
				t.Fatalf("a zombie that finds its run finished by another worker stops quietly: %v", err)
			}
			if again, _ := e.rt.Store.Run(ctx, runID); again.Status != allocation.Done || again.Attempt != 2 || again.FinishedAt != run.FinishedAt {
				t.Fatalf("the zombie changed the finished run: %+v", again)
			}
			// A late redelivery finds it finished.
			if err := e.rt.App.Allocation.Execute(ctx, runID); err != nil {
				t.Fatalf("redelivery after the end: %v", err)
			}
		})
	}
}
