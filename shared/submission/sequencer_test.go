package submission_test

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"testing"

	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// Two processes (two Lambda instances) file 60 drafts at once on one
// register; every Comune has two drafts, so rounds meet claims on the same
// key, inside a round and across processes.
func TestGroupCommitKeepsNumbersContiguousAndOneFilingPerComune(t *testing.T) {
	f := setup(t)
	other := &submission.Service{Store: f.store, Programs: map[string]program.Program{"test-program": testProgram{}}, Clock: f.clk,
		Registries: f.svc.Registries, Log: slog.New(slog.DiscardHandler)}
	var subs []submission.Submission
	for i := 0; i < 30; i++ {
		org := fmt.Sprintf("comune:%06d", 1001+i)
		subs = append(subs, f.draft(t, org, `{"name":"a"}`), f.draft(t, org, `{"name":"b"}`))
	}
	numbers := make([]int64, len(subs))
	codes := make([]string, len(subs))
	var wg sync.WaitGroup
	for i, sub := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := f.svc
			if i%2 == 1 {
				svc = other
			}
			got, err := svc.Submit(ctx, clerk(sub.Org), sub.ID, f.clk.Now())
			if err != nil {
				codes[i] = problem.CodeOf(err)
				return
			}
			numbers[i] = got.Protocol.Seq
		}()
	}
	wg.Wait()
	var filed []int64
	for i := 0; i < len(subs); i += 2 {
		a, b := numbers[i] > 0, numbers[i+1] > 0
		if a == b {
			t.Fatalf("%s: filed %v and %v (codes %q %q), want exactly one", subs[i].Org, a, b, codes[i], codes[i+1])
		}
		if loser := codes[i] + codes[i+1]; loser != problem.CodeDuplicate {
			t.Fatalf("%s: the other draft was refused with %q, want duplicate", subs[i].Org, loser)
		}
		filed = append(filed, numbers[i]+numbers[i+1])
	}
	sort.Slice(filed, func(i, j int) bool { return filed[i] < filed[j] })
	for i, n := range filed {
		if n != int64(i+1) {
			t.Fatalf("numbers %v, want 1..30 without gaps", filed)
		}
	}
	if n, _ := f.store.ProtocolCounter(ctx, "PIE-2026"); n != 30 {
		t.Fatalf("counter %d, want 30", n)
	}
}
