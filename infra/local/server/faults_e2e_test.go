package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	samples "sportello/events"
	"sportello/infra/apiclient"
	"sportello/infra/local/emulator"
	"sportello/shared/clock"
)

// With DynamoDB throttling, failing and losing responses on a fraction of
// requests, every application ends filed exactly once: answered at once,
// or answered 503 and filed by its retry with the same Idempotency-Key.
func TestFilingUnderStorageFaults(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 18, 11, 59))
	data := json.RawMessage(`{"contactEmail":"protocollo@comune.example.it","services":[]}`)
	var orgs, ids, toks []string
	for _, c := range samples.Comuni() {
		if c.RegionCode == "01" && len(orgs) < 150 && c.ISTAT > "001300" {
			org := "comune:" + c.ISTAT
			tok := e.applicant(org)
			orgs, toks, ids = append(orgs, org), append(toks, tok), append(ids, e.draft(PiemonteCall, tok, org, data))
		}
	}
	e.rt.DynamoDB.SetFaults(&emulator.Faults{Rate: 0.3, LostResponse: true})
	var wg sync.WaitGroup
	numbers := make([]string, len(ids))
	unavailable := make([]int, len(ids))
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("click-%d", i)
			for attempt := 0; attempt < 30; attempt++ {
				r := e.submitKeyed(ids[i], toks[i], key)
				switch {
				case r.Status == 200:
					n, err := numberOf(r)
					if err != nil {
						t.Error(err)
						return
					}
					numbers[i] = n
					return
				case r.Status == 503 && r.Header.Get("Retry-After") != "":
					unavailable[i]++
					time.Sleep(5 * time.Millisecond)
				default:
					t.Errorf("%s: %d %s", orgs[i], r.Status, r.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	e.rt.DynamoDB.SetFaults(nil)
	if e.rt.DynamoDB.Injected.Load() == 0 {
		t.Fatal("no fault injected")
	}
	retried := 0
	for _, n := range unavailable {
		if n > 0 {
			retried++
		}
	}
	t.Logf("%d faults injected; %d applications saw a 503 and were filed by a retry", e.rt.DynamoDB.Injected.Load(), retried)
	slices.Sort(numbers)
	for i, n := range numbers {
		if want := fmt.Sprintf("PIE-2026-%07d", i+1); n != want {
			t.Fatalf("position %d: %q want %q (lost, duplicated or skipped)", i, n, want)
		}
	}
	for i, id := range ids {
		r := e.submission(id, toks[i])
		if s := decode[apiclient.Submission](t, r); s.State != "submitted" {
			t.Fatalf("%s is %v", id, s.State)
		}
	}
}

// A submit that failed retryably at 11:59:59.9 and is retried after noon
// with the same Idempotency-Key is filed as of its first arrival.
func TestRetryKeepsTheFirstArrival(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 18, 11, 0))
	org := "comune:001272"
	tok := e.applicant(org)
	ex := loadExample(t, "piemonte-torino.json")
	id := e.draft(PiemonteCall, tok, org, ex.Data)
	first := clock.InRome(2026, 5, 18, 11, 59).Add(59*time.Second + 900*time.Millisecond)
	e.clk.Set(first)
	e.rt.DynamoDB.SetFaults(&emulator.Faults{Rate: 1, Ops: map[string]bool{"TransactWriteItems": true}})
	// Every filing transaction fails: the server retries until its budget
	// runs out, then answers 503. A short budget spares the test 20 s.
	e.rt.App.Submissions.FilingBudget = 300 * time.Millisecond
	r := e.submitKeyed(id, tok, "k1")
	if r.Status != 503 || problemCode(t, r) != "unavailable" {
		t.Fatalf("with the filing transaction failing: %d %s", r.Status, r.Body)
	}
	e.rt.DynamoDB.SetFaults(nil)
	e.clk.Set(clock.InRome(2026, 5, 18, 12, 0).Add(5 * time.Second))
	if r := e.submitKeyed(id, tok, "other"); r.Status != 409 {
		t.Fatalf("another key after noon is late: %d", r.Status)
	}
	r = e.submitKeyed(id, tok, "k1")
	if r.Status != 200 {
		t.Fatalf("the retry: %d %s", r.Status, r.Body)
	}
	at := time.Time(protocolOf(t, r).At)
	if !at.Equal(first) {
		t.Fatalf("filed at %v, first arrival %v", at, first)
	}
}
