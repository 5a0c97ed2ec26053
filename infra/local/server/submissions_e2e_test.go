package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	samples "sportello/events"
	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// Each example files inside its window with a protocol number; the same
// request 1 ms after the close instant is refused with window_closed.
func TestEachExampleFilesInItsWindow(t *testing.T) {
	tests := []struct {
		name, file, call, prefix string
		inside, closes           time.Time
		lateOrg                  string
	}{
		{"Piemonte: Torino's scheda", "piemonte-torino.json", PiemonteCall, "PIE-2026-0000001",
			clock.InRome(2026, 5, 18, 11, 59).Add(59*time.Second + 999*time.Millisecond), clock.InRome(2026, 5, 18, 12, 0), ""},
		{"FVG: a nido in Udine", "fvg-udine.json", FVGCall, "FVG-2025-0000001",
			clock.InRome(2025, 7, 21, 23, 59), clock.InRome(2025, 7, 22, 0, 0), ""},
		{"Lombardy: Milano alone", "lombardia-milano.json", LombardiaCall, "LOM-2025-0000001",
			clock.InRome(2025, 9, 10, 11, 59), clock.InRome(2025, 9, 10, 12, 0), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.inside.Add(-time.Hour))
			ex := loadExample(t, tt.file)
			tok := e.applicant(ex.Org)
			id := e.draft(tt.call, tok, ex.Org, ex.Data)
			late := e.draft(tt.call, tok, ex.Org, ex.Data) // same request, later
			for _, d := range ex.Documents {
				for _, sub := range []string{id, late} {
					up := e.uploadExample(sub, tok, d)
					if st, reason := e.documentStatus(sub, tok, up); st != "verified" {
						t.Fatalf("%s: %s %s", d.Kind, st, reason)
					}
				}
			}
			e.clk.Set(tt.inside)
			r := e.submit(id, tok)
			if r.Status != 200 {
				t.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			p := protocolOf(t, r)
			if p.Number != tt.prefix {
				t.Fatalf("protocol %+v", p)
			}
			at := time.Time(p.At)
			if !at.Equal(tt.inside) {
				t.Fatalf("filed at %v, arrived at %v", at, tt.inside)
			}
			e.clk.Set(tt.closes.Add(time.Millisecond))
			r = e.submit(late, tok)
			if r.Status != 409 || problemCode(t, r) != "window_closed" || !strings.Contains(problemOf(t, r).Detail, "ora di Roma") {
				t.Fatalf("1 ms late: %d %s", r.Status, r.Body)
			}
			// The receipt went to the applicant's address.
			files, _ := filepath.Glob(filepath.Join(e.rt.OutboxDir, "*.eml"))
			if len(files) != 1 {
				t.Fatalf("outbox has %d messages", len(files))
			}
			b, _ := os.ReadFile(files[0])
			if !strings.Contains(string(b), tt.prefix) {
				t.Fatalf("receipt lacks the protocol: %s", b)
			}
		})
	}
}

// 200 concurrent submits of one draft yield one protocol; 500 drafts of
// different Comuni submitted concurrently get 000001..000500 once each.
func TestConcurrentFilingThroughHTTP(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 18, 11, 0))
	comuni := []string{}
	for _, c := range samples.Comuni() {
		if c.RegionCode == "01" && c.ISTAT != "001272" && c.ISTAT != "006003" && c.ISTAT != "005005" && c.ISTAT != "004078" {
			comuni = append(comuni, c.ISTAT)
		}
	}
	comuni = comuni[:500]
	data := json.RawMessage(`{"contactEmail":"protocollo@comune.example.it","services":[]}`)

	one := "comune:" + comuni[0]
	tok := e.applicant(one)
	id := e.draft(PiemonteCall, tok, one, data)
	var wg sync.WaitGroup
	numbers := make([]string, 200)
	for i := range numbers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.submit(id, tok)
			if r.Status == 200 {
				n, err := numberOf(r)
				if err != nil {
					t.Error(err)
					return
				}
				numbers[i] = n
			}
		}()
	}
	wg.Wait()
	for _, n := range numbers {
		if n != "PIE-2026-0000001" {
			t.Fatalf("200 submits of one draft: got %q among %v", n, slices.Compact(slices.Sorted(slices.Values(numbers))))
		}
	}

	ids := make([]string, len(comuni)-1)
	toks := make([]string, len(comuni)-1)
	for i, c := range comuni[1:] {
		toks[i] = e.applicant("comune:" + c)
		ids[i] = e.draft(PiemonteCall, toks[i], "comune:"+c, data)
	}
	got := make([]string, len(ids))
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.submit(ids[i], toks[i])
			if r.Status == 200 {
				n, err := numberOf(r)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = n
			}
		}()
	}
	wg.Wait()
	got = append(got, "PIE-2026-0000001")
	slices.Sort(got)
	for i, n := range got {
		if want := fmt.Sprintf("PIE-2026-%07d", i+1); n != want {
			t.Fatalf("position %d: %q want %q", i, n, want)
		}
	}
}

// Bad input is a clear 4xx problem and changes nothing.
func TestBadInputIsAProblem(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ex := loadExample(t, "fvg-udine.json")
	tok := e.applicant(ex.Org)
	off := e.officer("FVG")
	id := e.draft(FVGCall, tok, ex.Org, ex.Data)
	withFee := func(v string) string {
		return strings.Replace(string(ex.Data), `"monthlyFee2024": "500.00"`, `"monthlyFee2024": `+v, 1)
	}
	huge := `{"org":"` + ex.Org + `","data":{"operator":{"name":"` + strings.Repeat("x", 2<<20) + `"}}}`
	tests := []struct {
		name, method, path, token, body string
		status                          int
		code, field                     string
	}{
		{"bad JSON", "POST", "/v1/calls/" + FVGCall + "/submissions", tok, `{"org":`, 400, "bad_request", ""},
		{"an unknown top-level field", "POST", "/v1/calls/" + FVGCall + "/submissions", tok, `{"org":"` + ex.Org + `","admin":true}`, 400, "bad_request", "admin"},
		{"an unknown form field", "PUT", "/v1/submissions/" + id, tok, `{"data":{"colour":"red"}}`, 400, "bad_request", "data.colour"},
		{"a wrong type", "PUT", "/v1/submissions/" + id, tok, `{"data":{"monthsOfOperation":"eleven"}}`, 400, "bad_request", "data.monthsOfOperation"},
		{"an amount with a comma", "PUT", "/v1/submissions/" + id, tok, `{"data":` + withFee(`"500,00"`) + `}`, 400, "bad_request", "data.monthlyFee2024"},
		{"an amount in exponent form", "PUT", "/v1/submissions/" + id, tok, `{"data":` + withFee(`"1e3"`) + `}`, 400, "bad_request", "data.monthlyFee2024"},
		{"an amount as a JSON number", "PUT", "/v1/submissions/" + id, tok, `{"data":` + withFee(`500.00`) + `}`, 400, "bad_request", "data.monthlyFee2024"},
		{"a deadline without offset", "POST", "/v1/submissions/" + id + "/review", off, `{"decision":"request_integration","notes":"x","deadline":"2025-08-01T12:00:00"}`, 422, "validation_failed", "deadline"},
		{"a call window without offset", "POST", "/v1/calls", off, `{"program":"fvg-rette-2024","title":"t","windows":[{"opensAt":"2025-08-01T12:00:00","closesAt":"2025-09-01T12:00:00+02:00"}]}`, 422, "validation_failed", "windows[0].opensAt"},
		{"an oversized body", "POST", "/v1/calls/" + FVGCall + "/submissions", tok, huge, 413, "payload_too_large", ""},
		{"a missing If-Match", "PUT", "/v1/submissions/" + id, tok, `{"data":{}}`, 428, "precondition_required", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := []string{"If-Match", "1"}
			if tt.code == "precondition_required" {
				headers = nil
			}
			r := e.do(tt.method, tt.path, tt.token, tt.body, headers...)
			if r.Status != tt.status || problemCode(t, r) != tt.code {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			if tt.field != "" && !slices.ContainsFunc(fieldsOf(t, r), func(f string) bool { return strings.HasPrefix(f, tt.field+":") }) {
				t.Fatalf("field %s not named: %v", tt.field, fieldsOf(t, r))
			}
		})
	}
	// Nothing changed.
	r := e.submission(id, tok)
	if v := decode[apiclient.Submission](t, r).Version; v != 1 {
		t.Fatalf("version %v after refused updates", v)
	}
	// A stale If-Match is 412 and changes nothing.
	if r := e.do("PUT", "/v1/submissions/"+id, tok, `{"data":`+string(ex.Data)+`}`, "If-Match", `"1"`); r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	r = e.do("PUT", "/v1/submissions/"+id, tok, `{"data":{}}`, "If-Match", `"1"`)
	if r.Status != 412 || problemCode(t, r) != "version_mismatch" {
		t.Fatalf("stale: %d %s", r.Status, r.Body)
	}
	if r := e.submission(id, tok); decode[apiclient.Submission](t, r).Version != 2 || r.Header.Get("ETag") != `"2"` {
		t.Fatalf("after a stale update: %s", r.Body)
	}
}

// Every missing field and document is listed at once.
func TestIncompleteNamesEverything(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ex := loadExample(t, "fvg-udine.json")
	tok := e.applicant(ex.Org)
	data := strings.Replace(string(ex.Data), `"continuesNextYear": true`, `"continuesNextYear": false`, 1)
	id := e.draft(FVGCall, tok, ex.Org, json.RawMessage(data))
	up := e.upload(id, tok, "tariff_detail", "tariff-detail-missing-column.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	if st, reason := e.documentStatus(id, tok, up); st != "rejected" || !strings.Contains(reason, "Retta mensile 2025/26") {
		t.Fatalf("tariff detail without a column: %s %s", st, reason)
	}
	r := e.submit(id, tok)
	if r.Status != 422 || problemCode(t, r) != "incomplete" {
		t.Fatalf("got %d %s", r.Status, r.Body)
	}
	got := fieldsOf(t, r)
	for _, want := range []string{"data.continuesNextYear:not_eligible", "documents.tariff_plan_2024:missing_document",
		"documents.tariff_plan_2025:missing_document", "documents.tariff_detail:missing_document"} {
		if !slices.Contains(got, want) {
			t.Fatalf("missing %s in %v", want, got)
		}
	}
}

// With RelayBesideAnswer (the cloud's timing, which the rush bench uses)
// the answer does not wait for the relay, and the receipt still leaves,
// once, right after it.
func TestReceiptLeavesBesideTheAnswerWhenTheRelayRunsBesideIt(t *testing.T) {
	at := clock.InRome(2025, 9, 10, 11, 59)
	e := newEnv(t, at.Add(-time.Hour), func(c *Config, _ time.Time) { c.RelayBesideAnswer = true })
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	e.uploadExamples(id, tok, ex.Documents)
	e.clk.Set(at)
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	var files []string
	for deadline := time.Now().Add(listingLag); len(files) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		files, _ = filepath.Glob(filepath.Join(e.rt.OutboxDir, "*.eml"))
	}
	if len(files) != 1 {
		t.Fatalf("outbox has %d messages after the answer, want the receipt", len(files))
	}
	if b, _ := os.ReadFile(files[0]); !strings.Contains(string(b), "LOM-2025-0000001") {
		t.Fatalf("receipt lacks the protocol: %s", b)
	}
}
