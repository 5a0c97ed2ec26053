package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"sportello/infra/local/emulator"
	"sportello/shared/call"
	"sportello/shared/dynamo"
	"sportello/shared/dynamo/dynamotest"
	"sportello/shared/dynamo/storetest"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/retry"
	"sportello/shared/submission"
)

var ctx = context.Background()

func TestCallRoundTripAndVersionedUpdate(t *testing.T) {
	s, _ := dynamotest.New(t)
	c := storetest.NewCall(t, s, "pie-2026")
	if err := s.CreateCall(ctx, c); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("a second call with the same id must conflict, got %v", err)
	}
	got, err := s.Call(ctx, "pie-2026")
	if err != nil || !got.Windows[0].ClosesAt.Equal(c.Windows[0].ClosesAt) || got.ProtocolPrefix != "PIE-2026" {
		t.Fatalf("got %+v %v", got, err)
	}
	if _, err := s.Call(ctx, "nope"); problem.CodeOf(err) != problem.CodeNotFound {
		t.Fatalf("missing call: %v", err)
	}
	// 20 concurrent updates each add a parameter; none is lost.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := s.UpdateCall(ctx, "pie-2026", func(c *call.Call) error {
				if c.Params == nil {
					c.Params = map[string]string{}
				}
				c.Params[fmt.Sprintf("p%d", i)] = "x"
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	got = must(s.Call(ctx, "pie-2026")).in(t)
	if len(got.Params) != 20 || got.Version != 21 {
		t.Fatalf("params %d version %d", len(got.Params), got.Version)
	}
	// Calls are listed through the index (gsi1), which shows a new call a
	// few hundred milliseconds late, as on AWS: wait for it, up to 5 s.
	var list []call.Call
	for deadline := time.Now().Add(5 * time.Second); len(list) != 1 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		list, err = s.Calls(ctx)
	}
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
}

func TestWindowEventIsRecordedOnce(t *testing.T) {
	s, _ := dynamotest.New(t)
	e := call.WindowEvent{CallID: "c", WindowID: "w1", Kind: "CLOSED", At: time.Now(), RanAt: time.Now(), Trigger: "schedule"}
	first, err := s.RecordWindowEvent(ctx, e, outbox.Effects{})
	second, err2 := s.RecordWindowEvent(ctx, e, outbox.Effects{})
	if err != nil || err2 != nil || !first || second {
		t.Fatalf("first %v second %v (%v %v)", first, second, err, err2)
	}
	evs := must(s.WindowEvents(ctx, "c")).in(t)
	if len(evs) != 1 {
		t.Fatalf("got %d events", len(evs))
	}
}

func draft(callID, org string) submission.Submission {
	now := time.Now().UTC()
	return submission.Submission{ID: "sub_" + org[len(org)-6:] + "aaaaaaaaaa", CallID: callID, Program: "p", Region: "PIE", Org: org,
		State: submission.Draft, Data: json.RawMessage(`{"a":1}`), Version: 1, CreatedAt: now, UpdatedAt: now}
}

func TestStaleSaveChangesNothing(t *testing.T) {
	s, _ := dynamotest.New(t)
	d := draft("c", "comune:001272")
	if _, _, err := s.CreateSubmission(ctx, d, "", ""); err != nil {
		t.Fatal(err)
	}
	next := d
	next.Data, next.Version = json.RawMessage(`{"a":2}`), 2
	if err := s.SaveSubmission(ctx, next, 1); err != nil {
		t.Fatal(err)
	}
	stale := d
	stale.Data, stale.Version = json.RawMessage(`{"a":3}`), 2
	if err := s.SaveSubmission(ctx, stale, 1); problem.CodeOf(err) != problem.CodeVersionMismatch {
		t.Fatalf("stale save: %v", err)
	}
	got := must(s.Submission(ctx, d.ID)).in(t)
	if string(got.Data) != `{"a":2}` || got.Version != 2 {
		t.Fatalf("got %s v%d", got.Data, got.Version)
	}
}

func TestIdempotentCreate(t *testing.T) {
	s, _ := dynamotest.New(t)
	d := draft("c", "comune:001272")
	first, created, err := s.CreateSubmission(ctx, d, "key-1", "h1")
	if err != nil || !created {
		t.Fatal(err)
	}
	d2 := d
	d2.ID = "sub_zzzzzzzzzzzzzzzz"
	again, created, err := s.CreateSubmission(ctx, d2, "key-1", "h1")
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("retry made %s created=%v %v", again.ID, created, err)
	}
	if _, _, err := s.CreateSubmission(ctx, d2, "key-1", "other"); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("a reused key with another body must conflict: %v", err)
	}
}

// file runs the service's filing loop in its simplest form.
func file(s *dynamo.Store, sub submission.Submission) (submission.Submission, error) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := retry.Backoff(ctx, attempt, 50*time.Millisecond); err != nil {
				return sub, err
			}
		}
		cur, err := s.Submission(ctx, sub.ID)
		if err != nil {
			return cur, err
		}
		if cur.Filed() {
			return cur, nil
		}
		n, err := s.ProtocolCounter(ctx, "PIE-2026")
		if err != nil {
			return cur, err
		}
		next := cur
		next.State, next.Version = submission.Submitted, cur.Version+1
		next.Protocol = &submission.Protocol{Seq: n + 1, Number: submission.FormatProtocol("PIE-2026", n+1), At: time.Now(), Register: "PIE-2026"}
		err = s.File(ctx, next, cur.Version, n)
		if errors.Is(err, submission.ErrCounterMoved) || errors.Is(err, submission.ErrStale) {
			continue
		}
		return next, err
	}
}

func TestTwentyWorkersFileOneDraftExactlyOnce(t *testing.T) {
	s, _ := dynamotest.New(t)
	d := draft("c", "comune:001272")
	d.Claims = []string{"comune:001272"}
	if _, _, err := s.CreateSubmission(ctx, d, "", ""); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	numbers := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := file(s, d)
			if err != nil {
				t.Error(err)
				return
			}
			numbers <- got.Protocol.Number
		}()
	}
	wg.Wait()
	close(numbers)
	seen := map[string]int{}
	for n := range numbers {
		seen[n]++
	}
	if len(seen) != 1 || seen["PIE-2026-0000001"] != 20 {
		t.Fatalf("want every worker to see PIE-2026-000001, got %v", seen)
	}
	if n, _ := s.ProtocolCounter(ctx, "PIE-2026"); n != 1 {
		t.Fatalf("counter %d", n)
	}
}

func TestConcurrentFilingsGetContiguousNumbers(t *testing.T) {
	s, _ := dynamotest.New(t)
	const n = 60
	var wg sync.WaitGroup
	got := make(chan int64, n)
	for i := 0; i < n; i++ {
		d := draft("c", fmt.Sprintf("comune:%06d", i+1))
		d.Claims = []string{d.Org}
		if _, _, err := s.CreateSubmission(ctx, d, "", ""); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := file(s, d)
			if err != nil {
				t.Error(err)
				return
			}
			got <- f.Protocol.Seq
		}()
	}
	wg.Wait()
	close(got)
	seen := map[int64]bool{}
	for seq := range got {
		if seen[seq] {
			t.Fatalf("duplicate %d", seq)
		}
		seen[seq] = true
	}
	for i := int64(1); i <= n; i++ {
		if !seen[i] {
			t.Fatalf("gap at %d", i)
		}
	}
}

func TestClaimTakenNamesTheHolder(t *testing.T) {
	s, _ := dynamotest.New(t)
	a := draft("c", "comune:000001")
	a.Claims = []string{"comune:000001", "comune:000002"}
	b := draft("c", "comune:000002")
	b.Claims = []string{"comune:000002"}
	if _, _, err := s.CreateSubmission(ctx, a, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateSubmission(ctx, b, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := file(s, a); err != nil {
		t.Fatal(err)
	}
	_, err := file(s, b)
	var taken *submission.ClaimTaken
	if !errors.As(err, &taken) || taken.HolderID != a.ID || taken.Key != "comune:000002" {
		t.Fatalf("got %v", err)
	}
	if n, _ := s.ProtocolCounter(ctx, "PIE-2026"); n != 1 {
		t.Fatalf("a refused filing must not use a number: counter %d", n)
	}
}

func TestFilingSurvivesInjectedFaults(t *testing.T) {
	s, ddb := dynamotest.New(t)
	const n = 30
	for i := 0; i < n; i++ {
		d := draft("c", fmt.Sprintf("comune:%06d", i+1))
		if _, _, err := s.CreateSubmission(ctx, d, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	ddb.SetFaults(&emulator.Faults{Rate: 0.2, LostResponse: true})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		d := draft("c", fmt.Sprintf("comune:%06d", i+1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; ; attempt++ {
				_, err := file(s, d)
				if err == nil {
					return
				}
				if !errors.Is(err, problem.Unavailable) || attempt > 50 {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ddb.SetFaults(nil)
	if ddb.Injected.Load() == 0 {
		t.Fatal("no fault was injected")
	}
	seen := map[int64]bool{}
	for i := 0; i < n; i++ {
		sub, err := s.Submission(ctx, draft("c", fmt.Sprintf("comune:%06d", i+1)).ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sub.Filed() || seen[sub.Protocol.Seq] {
			t.Fatalf("%s filed=%v dup=%v", sub.ID, sub.Filed(), sub.Filed() && seen[sub.Protocol.Seq])
		}
		seen[sub.Protocol.Seq] = true
	}
	if c, _ := s.ProtocolCounter(ctx, "PIE-2026"); c != n || len(seen) != n {
		t.Fatalf("counter %d, filed %d", c, len(seen))
	}
}

func TestJournalRestoresStateAfterRestart(t *testing.T) {
	dir := t.TempDir()
	ddb, err := emulator.StartDynamoDB("127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	s := dynamo.New(ddb.Client(), "t")
	if err := s.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.NewCall(t, s, "kept")
	ddb.Close()
	ddb2, err := emulator.StartDynamoDB("127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ddb2.Close()
	if _, err := dynamo.New(ddb2.Client(), "t").Call(ctx, "kept"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// must holds a call's result until in(t) stops the test on its error: a
// test never asserts on the zero value of a failed setup or read.
func must[T any](v T, err error) result[T] { return result[T]{v, err} }

type result[T any] struct {
	v   T
	err error
}

func (r result[T]) in(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}
