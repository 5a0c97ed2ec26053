package server

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"sportello/events/files/fixtures"
	"sportello/infra/apiclient"
	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// regionShare is the test's own computation of a line (seed 004, C4.b and
// A.5): the INPS bonus by birth year and month, the excess over it, the
// Region's cover by ISEE band. Written out again on purpose: it checks the
// product's calculator, so it must not call it.
func regionShare(fee money.Cents, band string, born2024 bool, month int) money.Cents {
	bonus := map[[2]bool]money.Cents{{false, false}: 27273, {false, true}: 27270, {true, false}: 32727, {true, true}: 32730}[[2]bool{born2024, month == 11}]
	excess := max(fee-bonus, 0)
	if band == "20000_25000" {
		return min(excess, 10000)
	}
	return excess
}

// claimLine is one line of a rendicontazione (the document's ClaimLineInput).
func claimLine(child, childCF, facility string, month int, fee, band string, bornFrom2024, paidByFamily bool, evidence string) apiclient.ClaimLineInput {
	return apiclient.ClaimLineInput{Child: child, ChildFiscalCode: childCF, Facility: facility, Month: month, Fee: fee,
		IseeBand: apiclient.ClaimLineInputIseeBand(band), BornFrom2024: bornFrom2024, PaidByFamily: paidByFamily, AttendanceEvidence: evidence}
}

func cf(n int, born2024 bool) string {
	year := "23"
	if born2024 {
		year = "24"
	}
	return program.CompletePersonCode(fmt.Sprintf("MLN%cXX%sA%02dF205", 'A'+n, year, 10+n))
}

// cents reads an amount of an answer (what names it in a failure).
func cents(t *testing.T, what string, amount apiclient.Money) money.Cents {
	t.Helper()
	c, err := money.Parse(amount)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return c
}

// TestNidiGratisPlusFromAdvanceToPayment: Milano admitted → advance of 30 %
// → two rendicontazioni (Sep–Dec, Jan–Jul) with children in both ISEE
// bands, born 2023 and 2024, an 11th month, a month paid by the family
// (refused) → generated PDFs signed and uploaded → transmitted with a
// register number → clarifications (clock stops) → approval with one line
// reduced → payment; paid = approved − advance, to the cent.
func TestNidiGratisPlusFromAdvanceToPayment(t *testing.T) { nidiGratisFromAdvanceToPayment(t, nil) }

// nidiGratisFromAdvanceToPayment is the test above; watch, when given,
// sees the runtime before the first request (the audit lines' rule,
// audittx_e2e_test.go). It answers the env and the second, paid, request.
func nidiGratisFromAdvanceToPayment(t *testing.T, watch func(*env)) (*env, string) {
	e := newEnv(t, clock.InRome(2025, 9, 10, 10, 0))
	if watch != nil {
		watch(e)
	}
	ex := loadExample(t, "lombardia-milano.json")
	// Tokens live an hour and the clock moves by months: a fresh one each time.
	tok := func() string { return e.applicant(ex.Org) }
	off := func() string { return e.officer("LOM") }
	id := e.draft(LombardiaCall, tok(), ex.Org, ex.Data)
	e.uploadAll(id, tok(), ex)
	if r := e.submit(id, tok()); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2025, 10, 1, 9, 0))
	if r := e.decide(id, off(), apiclient.Decision{Decision: "admit",
		AdmittedFacilities: ptr([]string{"AFAM-015146-001", "AFAM-015146-002"})}); r.Status != 200 {
		t.Fatalf("admit: %d %s", r.Status, r.Body)
	}

	// Advance: 30 % of a historical basis of 5,000.00.
	r := e.setAdvances(LombardiaCall, off(), apiclient.AdvanceRequest{PercentBasisPoints: 3000,
		Bases: []apiclient.AdvanceBasis{{Org: ex.Org, Historical: "5000.00"}}})
	if r.Status != 201 {
		t.Fatalf("advances: %d %s", r.Status, r.Body)
	}
	advance := money.Cents(1500_00)
	advances := deref(decode[apiclient.AdvanceList](t, r).Advances)
	if len(advances) != 1 {
		t.Fatalf("advances: %s", r.Body)
	}
	if got := cents(t, "amount", advances[0].Amount); got != advance {
		t.Fatalf("advance %s", got)
	}
	if r := e.setAdvances(LombardiaCall, off(), apiclient.AdvanceRequest{PercentBasisPoints: 3000,
		Bases: []apiclient.AdvanceBasis{{Org: ex.Org, Historical: "9000.00"}}}); r.Status != 409 {
		t.Fatalf("advances set twice: %d %s", r.Status, r.Body)
	}
	// The same order sent again (the officer's repeat after a lost answer
	// or a crash) answers the order made, and orders nothing more.
	r = e.setAdvances(LombardiaCall, off(), apiclient.AdvanceRequest{PercentBasisPoints: 3000,
		Bases: []apiclient.AdvanceBasis{{Org: ex.Org, Historical: "5000.00"}}})
	if again := deref(decode[apiclient.AdvanceList](t, r).Advances); r.Status != 201 || len(again) != 1 || again[0].Amount != advances[0].Amount || deref(again[0].OrderedAt) != deref(advances[0].OrderedAt) {
		t.Fatalf("the same order again: %d %s", r.Status, r.Body)
	}

	// The payment order in the outputs' conventions: an Italian CSV whose
	// total is the advance, the same bytes when downloaded again.
	csv1 := e.do("GET", "/v1/calls/"+LombardiaCall+"/advances?format=csv", off(), nil)
	csv2 := e.do("GET", "/v1/calls/"+LombardiaCall+"/advances", off(), nil, "Accept", "text/csv")
	if csv1.Status != 200 || !strings.HasPrefix(string(csv1.Body), "\ufeff") || !strings.Contains(string(csv1.Body), "comune:015146;") ||
		!strings.Contains(string(csv1.Body), "Totale;;5000,00;;1500,00") || string(csv1.Body) != string(csv2.Body) {
		t.Fatalf("advances CSV: %d %q", csv1.Status, csv1.Body)
	}
	if x := e.do("GET", "/v1/calls/"+LombardiaCall+"/advances?format=xlsx", off(), nil); x.Status != 200 || !strings.HasPrefix(string(x.Body), "PK") {
		t.Fatalf("advances XLSX: %d", x.Status)
	}
	if r := e.do("GET", "/v1/calls/"+LombardiaCall+"/advances?format=csv", tok(), nil); r.Status != 403 && r.Status != 404 {
		t.Fatalf("a Comune downloads the payment order: %d", r.Status)
	}

	nido, melograno := "AFAM-015146-001", "AFAM-015146-002"
	var lines1 []apiclient.ClaimLineInput
	for m := 1; m <= 4; m++ {
		lines1 = append(lines1,
			claimLine("c1", cf(1, false), nido, m, "600.00", "fino_20000", false, false, "registro nido Pace 2025/"+fmt.Sprint(m)),
			claimLine("c2", cf(2, true), nido, m, "600.00", "fino_20000", true, false, "registro nido Pace 2025/"+fmt.Sprint(m)),
			claimLine("c3", cf(3, false), nido, m, "650.00", "20000_25000", false, false, "registro nido Pace 2025/"+fmt.Sprint(m)))
	}
	lines1 = append(lines1, claimLine("c4", cf(4, true), strings.ToLower(melograno), 1, "800.00", "20000_25000", true, false, "registro Melograno 09/2025"))
	paid := claimLine("c5", cf(5, false), melograno, 2, "800.00", "fino_20000", false, true, "registro Melograno 10/2025")

	e.clk.Set(clock.InRome(2026, 1, 15, 10, 0))
	r = e.fileClaimRequest(id, tok(), apiclient.ClaimRequest{Period: apiclient.ClaimPeriod{From: 1, To: 4}, Lines: append(lines1, paid)})
	if r.Status != 422 || !strings.Contains(strings.Join(fieldsOf(t, r), " "), fmt.Sprintf("lines[%d].paidByFamily:paid_by_family", len(lines1))) {
		t.Fatalf("a month paid by the family must be refused with its line: %d %s", r.Status, r.Body)
	}
	claim1 := e.fileClaim(id, tok(), 1, 4, lines1)
	var want1 money.Cents
	for _, l := range lines1 {
		fee, _ := money.Parse(l.Fee)
		want1 += regionShare(fee, string(l.IseeBand), l.BornFrom2024, l.Month)
	}
	if got := cents(t, "claimed", claim1.Claimed); got != want1 || want1 != 2900_00 {
		t.Fatalf("claimed %s, independent computation %s", got, want1)
	}
	if got := cents(t, "net", claim1.Net); got != want1-advance {
		t.Fatalf("net %s, want %s", got, want1-advance)
	}
	c1 := claim1.Id

	// The same child and month again, in another claim: refused.
	r = e.fileClaimRequest(id, tok(), apiclient.ClaimRequest{Period: apiclient.ClaimPeriod{From: 1, To: 4}, Lines: lines1[:1]})
	if r.Status != 409 || problemCode(t, r) != "duplicate" {
		t.Fatalf("child-month claimed twice: %d %s", r.Status, r.Body)
	}
	// Transmitting unsigned is incomplete.
	if r := e.transmit(c1, tok()); r.Status != 422 || problemCode(t, r) != "incomplete" {
		t.Fatalf("transmit unsigned: %d %s", r.Status, r.Body)
	}
	// A signed delibera is not the generated document.
	other, err := fixtures.SignCAdES([]byte("%PDF-1.4 un altro documento"), "Sindaco TEST")
	if err != nil {
		t.Fatal(err)
	}
	r = e.do("PUT", "/v1/rendicontazioni/"+c1+"/signed/documento_contabile", tok(), other, "Content-Type", "application/pkcs7-mime")
	if r.Status != 422 || !strings.Contains(problemOf(t, r).Detail, "non corrisponde a quello generato") {
		t.Fatalf("a signed file that is not the generated document: %d %s", r.Status, r.Body)
	}
	e.signAndUpload(c1, tok())
	e.clk.Set(clock.InRome(2026, 1, 20, 11, 30))
	r = e.transmit(c1, tok())
	if r.Status != 200 {
		t.Fatalf("transmit: %d %s", r.Status, r.Body)
	}
	tr := decode[apiclient.Claim](t, r)
	if !regexp.MustCompile(`^LOM-2026-\d{7}$`).MatchString(deref(tr.Protocol)) || day(tr.DueDate) != "2026-03-21" {
		t.Fatalf("transmitted: protocol %v due %v", deref(tr.Protocol), day(tr.DueDate))
	}

	// Clarifications from 02/02 to 12/02: the clock stops for 10 days.
	e.clk.Set(clock.InRome(2026, 2, 2, 9, 0))
	r = e.reviewClaim(c1, off(), apiclient.ClaimReview{Decision: "clarify", Notes: ptr("Inviare il registro di ottobre di c3.")})
	if c := decode[apiclient.Claim](t, r); r.Status != 200 || c.State != "clarification" || c.DueDate != nil {
		t.Fatalf("clarify: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2026, 2, 12, 16, 0))
	r = e.answerClaim(c1, tok(), apiclient.ClaimAnswer{Notes: ptr("Registro allegato al protocollo comunale.")})
	if r.Status != 200 || day(decode[apiclient.Claim](t, r).DueDate) != "2026-03-31" {
		t.Fatalf("answer: %d %s", r.Status, r.Body)
	}
	// Approve with one line reduced by 50.00 (attendance not proven).
	e.clk.Set(clock.InRome(2026, 3, 1, 10, 0))
	r = e.reviewClaim(c1, off(), apiclient.ClaimReview{Decision: "approve",
		Reductions: &[]apiclient.ClaimReduction{{Line: 5, Amount: "50.00", Code: "attendance_not_proven", Note: ptr("Frequenza di ottobre non documentata.")}}})
	if r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	approved1 := cents(t, "approved", decode[apiclient.Claim](t, r).Approved)
	if approved1 != want1-50_00-advance {
		t.Fatalf("approved %s, want %s", approved1, want1-50_00-advance)
	}
	if r := e.pay(c1, off(), apiclient.PaymentInput{Amount: approved1.String(), Reference: "Mandato 2026/0415"}); r.Status != 200 || decode[apiclient.Claim](t, r).State != "paid" {
		t.Fatalf("pay: %d %s", r.Status, r.Body)
	}

	// Second period, with the 11th month (July uses the 272.70/327.30 bonus).
	var lines2 []apiclient.ClaimLineInput
	for m := 5; m <= 11; m++ {
		lines2 = append(lines2, claimLine("c1", cf(1, false), nido, m, "600.00", "fino_20000", false, false, "registro nido Pace 2026/"+fmt.Sprint(m)))
	}
	lines2 = append(lines2, claimLine("c2", cf(2, true), nido, 11, "600.00", "fino_20000", true, false, "registro nido Pace 2026/11"))
	e.clk.Set(clock.InRome(2026, 8, 3, 10, 0))
	claim2 := e.fileClaim(id, tok(), 5, 11, lines2)
	var want2 money.Cents
	for _, l := range lines2 {
		fee, _ := money.Parse(l.Fee)
		want2 += regionShare(fee, string(l.IseeBand), l.BornFrom2024, l.Month)
	}
	if got := cents(t, "claimed", claim2.Claimed); got != want2 || cents(t, "net", claim2.Net) != want2 {
		t.Fatalf("second claim %s net %v, want %s with no advance left", got, claim2.Net, want2)
	}
	c2 := claim2.Id
	e.signAndUpload(c2, tok())
	if r := e.transmit(c2, tok()); r.Status != 200 {
		t.Fatalf("transmit 2: %d %s", r.Status, r.Body)
	}
	r = e.reviewClaim(c2, off(), apiclient.ClaimReview{Decision: "approve"})
	if r.Status != 200 {
		t.Fatalf("approve 2: %d %s", r.Status, r.Body)
	}
	approved2 := cents(t, "approved", decode[apiclient.Claim](t, r).Approved)
	if r := e.pay(c2, off(), apiclient.PaymentInput{Amount: approved2.String(), Reference: "Mandato 2026/0977"}); r.Status != 200 {
		t.Fatalf("pay 2: %d %s", r.Status, r.Body)
	}

	// Paid = approved − advance, to the cent; the budget adds up.
	if approved1+approved2 != want1-50_00+want2-advance {
		t.Fatalf("paid %s ≠ approved %s − advance %s", approved1+approved2, want1-50_00+want2, advance)
	}
	b := decode[apiclient.Budget](t, e.budget(LombardiaCall, off()))
	alloc, adv, paidTot, avail := cents(t, "allocation", b.Allocation), cents(t, "advanced", b.Advanced), cents(t, "paid", b.Paid), cents(t, "available", b.Available)
	if alloc != 20_000_000_00 || adv != advance || paidTot != approved1+approved2 || avail != alloc-adv-paidTot {
		t.Fatalf("budget %+v", b)
	}
	// Both transmissions are numbers of the Region's 2026 register, one
	// after the other, registered as liquidation requests of their claims.
	entries, err := e.rt.Store.Register(context.Background(), "LOM-2026")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Kind != submission.EntryLiquidation || entries[0].ClaimID != c1 || entries[1].ClaimID != c2 ||
		entries[0].Number != deref(tr.Protocol) || entries[1].Seq != entries[0].Seq+1 {
		t.Fatalf("register LOM-2026: %+v", entries)
	}
	// Another Comune sees none of it; the Comune cannot approve its own.
	if r := e.claim(c1, e.applicant("comune:016024")); r.Status != 404 {
		t.Fatalf("another Comune reads a claim: %d", r.Status)
	}
	if r := e.reviewClaim(c2, tok(), apiclient.ClaimReview{Decision: "approve"}); r.Status != 403 {
		t.Fatalf("a Comune approves: %d", r.Status)
	}
	// The transmission receipt went to the Comune.
	if got := strings.Join(outbox(t, e), "\n"); !strings.Contains(got, "Richiesta di liquidazione") {
		t.Fatalf("no transmission e-mail in the outbox")
	}
	return e, c2
}

func (e *env) fileClaim(subID, tok string, from, to int, lines []apiclient.ClaimLineInput) apiclient.Claim {
	e.t.Helper()
	r := e.fileClaimRequest(subID, tok, apiclient.ClaimRequest{Period: apiclient.ClaimPeriod{From: from, To: to}, Lines: lines})
	if r.Status != 201 {
		e.t.Fatalf("rendicontazione: %d %s", r.Status, r.Body)
	}
	return decode[apiclient.Claim](e.t, r)
}

// signAndUpload downloads both generated documents, signs them as the
// Comune's signing tool would, and uploads the envelopes.
func (e *env) signAndUpload(claimID, tok string) {
	e.t.Helper()
	for _, kind := range []string{"documento_contabile", "richiesta_liquidazione"} {
		r := e.do("GET", "/v1/rendicontazioni/"+claimID+"/documents/"+kind+".pdf", tok, nil)
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" {
			e.t.Fatalf("%s: %d %s", kind, r.Status, r.Body)
		}
		again := e.do("GET", "/v1/rendicontazioni/"+claimID+"/documents/"+kind+".pdf", tok, nil)
		if string(again.Body) != string(r.Body) {
			e.t.Fatalf("%s is not deterministic", kind)
		}
		env, err := fixtures.SignCAdES(r.Body, "Sindaco di Milano TEST")
		if err != nil {
			e.t.Fatal(err)
		}
		up := e.do("PUT", "/v1/rendicontazioni/"+claimID+"/signed/"+kind, tok, env, "Content-Type", "application/pkcs7-mime")
		if up.Status != 200 {
			e.t.Fatalf("upload signed %s: %d %s", kind, up.Status, up.Body)
		}
	}
}
