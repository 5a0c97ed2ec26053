package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// FVG end to end: three operators file and are admitted; the officer
// announces €1,000,000.00; the allocation's CSV shows each cap and the
// inner-area uplift, checkable by hand.
func TestFVGRipartoEndToEnd(t *testing.T) { fvgRipartoEndToEnd(t, nil) }

// fvgRipartoEndToEnd is the test above; watch, when given, sees the
// runtime before the first request (audittx_e2e_test.go).
func fvgRipartoEndToEnd(t *testing.T, watch func(*env)) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	if watch != nil {
		watch(e)
	}
	ex := loadExample(t, "fvg-udine.json")
	cases := []struct {
		cf, facility, comune string
		change               func(f *apiclient.FvgForm)
	}{
		{"01234567897", "FVG-NIDO-0042", "030129", func(*apiclient.FvgForm) {}}, // mean 21 × 11 months = 231; cap 70% × 1500 × 21 = 22050
		{"02468135799", "FVG-NIDO-0077", "093052", func(f *apiclient.FvgForm) { // 100 × 1.01 = 101; cap 10500
			f.InnerArea, f.ChildrenOn20241001, f.ChildrenOn20250131, f.MonthsOfOperation = ptr(true), ptr(10), ptr(10), ptr(10)
		}},
		{"03000000012", "FVG-NIDO-0099", "031007", func(f *apiclient.FvgForm) { // 55; cap 3000 (expenses − income)
			f.ChildrenOn20241001, f.ChildrenOn20250131, f.MonthsOfOperation, f.Income2024 = ptr(4), ptr(6), ptr(11), ptr("247000.00")
		}},
	}
	var ids []string
	for _, c := range cases {
		raw := editForm(t, ex.Data, func(f *apiclient.FvgForm) {
			f.Operator.FiscalCode = ptr(c.cf)
			f.Facility.Code, f.Facility.Comune = ptr(c.facility), ptr(c.comune)
			c.change(f)
		})
		org := "gestore:" + c.cf
		tok := e.applicant(org)
		id := e.draft(FVGCall, tok, org, raw)
		e.uploadExamples(id, tok, ex.Documents)
		if r := e.submit(id, tok); r.Status != 200 {
			t.Fatalf("%s: %d %s", c.facility, r.Status, r.Body)
		}
		ids = append(ids, id)
	}
	off := e.officer("FVG")
	if r := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00"}, ""); r.Status != 409 {
		t.Fatalf("funds before the close: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2025, 8, 20, 10, 0))
	off = e.officer("FVG")
	// The officer works from the call's listing, which is eventually
	// consistent (read through the index, gsi1): it shows an application a
	// few hundred milliseconds after it was created, as on AWS. This test
	// created the last one a moment ago, so it asks again until the
	// listing shows all three, as an officer would see them before
	// deciding. The riparto itself reads each application current.
	e.eventually("the call's listing", func() response {
		return e.listSubmissions(FVGCall, off, nil)
	}, func(r response) bool {
		for _, id := range ids {
			if !strings.Contains(string(r.Body), `"`+id+`"`) {
				return false
			}
		}
		return true
	})
	for _, id := range ids {
		if r := e.decide(id, off, apiclient.Decision{Decision: "admit"}); r.Status != 200 {
			t.Fatalf("admit: %d %s", r.Status, r.Body)
		}
	}
	sim := e.simulate(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00"})
	if sim.Status != 200 {
		t.Fatalf("simulate: %d %s", sim.Status, sim.Body)
	}
	for _, bad := range []string{`{"amount":"1000000,00"}`, `{"amount":1000000}`, `{"amount":"-5.00"}`, `{}`} {
		if r := e.do("POST", "/v1/calls/"+FVGCall+"/funds", off, bad); r.Status/100 != 4 {
			t.Fatalf("%s: %d", bad, r.Status)
		}
	}
	if r := e.announce(FVGCall, e.officer("LOM"), apiclient.FundsAnnouncement{Amount: "1000000.00"}, ""); r.Status != 404 {
		t.Fatalf("another region's officer: %d", r.Status)
	}
	r := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00", Note: ptr("Decreto 2025/123")}, "")
	if r.Status != 202 {
		t.Fatalf("announce: %d %s", r.Status, r.Body)
	}
	allocID := decode[apiclient.AllocationAccepted](t, r).AllocationId
	e.rt.WaitAllocations()
	run := e.allocation(FVGCall, allocID, off)
	if run.Status != "done" || run.Allocated != "35550.00" || run.Unallocated != "964450.00" || len(deref(run.InputSha256)) != 64 {
		t.Fatalf("run: %s", shown(run))
	}
	r = e.do("GET", "/v1/calls/"+FVGCall+"/allocations/"+allocID, off, nil, "Accept", "text/csv")
	if !bytes.HasPrefix(r.Body, []byte("\ufeff")) {
		t.Fatal("the CSV must start with a BOM")
	}
	cr := csv.NewReader(bytes.NewReader(r.Body[3:]))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	got := map[string]map[string]string{}
	for _, row := range rows[1:] {
		m := map[string]string{}
		for h, i := range col {
			m[h] = row[i]
		}
		got[row[0]] = m
	}
	check := func(id, weight, capped, amount, reason string) {
		row := got[id]
		if row == nil || row["peso"] != weight || row["tetto_euro"] != capped || row["importo_euro"] != amount || !strings.Contains(row["spiegazione"], reason) {
			t.Fatalf("%s: %v", id, row)
		}
	}
	check("facility:FVG-NIDO-0042", "231", "22050,00", "22050,00", "70%")
	check("facility:FVG-NIDO-0077", "101", "10500,00", "10500,00", "70%") // inner area: ×1.01, no €2,000 cap
	check("facility:FVG-NIDO-0099", "55", "3000,00", "3000,00", "spese")
	if total := got["TOTALE"]; total["importo_euro"] != "35550,00" || !strings.Contains(total["spiegazione"], "964450.00") {
		t.Fatalf("total %v", total)
	}
	// Announcing again creates a new run; the first stays, and the same
	// inputs give the same digest.
	r2 := e.announce(FVGCall, off, apiclient.FundsAnnouncement{Amount: "1000000.00"}, "")
	second := decode[apiclient.AllocationAccepted](t, r2).AllocationId
	e.rt.WaitAllocations()
	a := e.allocation(FVGCall, allocID, off)
	b := e.allocation(FVGCall, second, off)
	if second == allocID || deref(a.InputSha256) != deref(b.InputSha256) || a.Status != "done" {
		t.Fatalf("re-run: %v %v", deref(a.InputSha256), deref(b.InputSha256))
	}
	// A duplicate FundsAnnounced delivery changes nothing.
	if err := e.rt.FundsAnnounced(context.Background(), FVGCall, allocID); err != nil {
		t.Fatal(err)
	}
	e.rt.WaitAllocations()
	if c := e.allocation(FVGCall, allocID, off); c.Status != "done" || c.Allocated != "35550.00" {
		t.Fatalf("after a duplicate delivery: %s", shown(c))
	}
}

// The calculators through HTTP: the four worked examples of brief §3.
func TestCalculatorsThroughHTTP(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 9, 1, 10, 0))
	tests := []struct {
		in             apiclient.NidiGratisRequest
		region, family string
	}{
		{apiclient.NidiGratisRequest{Fee: "800.00", Isee: "15000.00", BornFrom2024: false, Month: 1}, "527.27", "0.00"},
		{apiclient.NidiGratisRequest{Fee: "800.00", Isee: "15000.00", BornFrom2024: true, Month: 1}, "472.73", "0.00"},
		{apiclient.NidiGratisRequest{Fee: "800.00", Isee: "23000.00", BornFrom2024: false, Month: 1}, "100.00", "427.27"},
		{apiclient.NidiGratisRequest{Fee: "800.00", Isee: "23000.00", BornFrom2024: true, Month: 1}, "100.00", "372.73"},
		{apiclient.NidiGratisRequest{Fee: "800.00", Isee: "15000.00", BornFrom2024: false, Month: 11}, "527.30", "0.00"},
	}
	for _, tt := range tests {
		r := e.nidiGratis(tt.in)
		if m := decode[apiclient.NidiGratisResult](t, r); r.Status != 200 || m.RegionShare != tt.region || m.FamilyShare != tt.family {
			t.Fatalf("%+v: %s", tt.in, r.Body)
		}
	}
	for _, bad := range []string{`{"fee":"800.00","isee":"1.00","bornFrom2024":false,"month":12}`, `{"fee":"-1.00","isee":"1.00","bornFrom2024":false,"month":1}`, `{"fee":"800,00","isee":"1.00","bornFrom2024":false,"month":1}`} {
		if r := e.do("POST", "/v1/calculators/nidi-gratis-plus", "", bad); r.Status != 400 && r.Status != 422 {
			t.Fatalf("%s: %d", bad, r.Status)
		}
	}
	r := e.do("POST", "/v1/calculators/riparto", "", `{"fund":"100.00","beneficiaries":[{"id":"a","weight":"1"},{"id":"b","weight":"2","cap":"20.00"}]}`)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"allocated":"100.00"`) {
		t.Fatalf("riparto: %s", r.Body)
	}
}
