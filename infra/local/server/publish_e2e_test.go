package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sportello/infra/apiclient"
	"sportello/shared/allocation"
	"sportello/shared/clock"
	"sportello/shared/money"
	txoutbox "sportello/shared/outbox"
)

// Issue #18 item 9 (Piemonte P27: "non appena l'informazione sarà
// disponibile, l'ufficio regionale competente avrà cura di darne avviso
// sulla pagina principale del Sistema"): the fund the Region announces is
// published on the call, where every applicant reads it (amount as a
// decimal string, day, act), and e-mailed once to each Comune that filed.
func TestPiemonteFundIsPublishedOnTheCallAndEmailedToTheComuniThatFiled(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 10, 9, 0))
	torino := loadExample(t, "piemonte-torino.json")
	const novara, novaraMail = "comune:003106", "protocollo@comune.novara.it"
	const biella = "comune:096004" // drafts, never files: not told
	file := func(org string, data []byte) string {
		tok := e.applicant(org)
		id := e.draft(PiemonteCall, tok, org, data)
		protocolOf(t, e.do("POST", "/v1/submissions/"+id+"/submit", tok, nil))
		return id
	}
	filed := []string{file(torino.Org, torino.Data), file(novara, []byte(`{"contactEmail":"`+novaraMail+`","services":[]}`))}
	e.draft(PiemonteCall, e.applicant(biella), biella, []byte(`{"contactEmail":"protocollo@comune.biella.it","services":[]}`))

	e.clk.Set(clock.InRome(2026, 6, 10, 10, 0)) // after the close: the MIM made the amount known
	off := e.officer("PIE")
	for _, id := range filed {
		e.review(id, off, apiclient.Decision{Decision: "validate"})
	}
	if f := e.call(PiemonteCall, e.applicant(torino.Org)).Funds; f != nil {
		t.Fatalf("a fund shown before it is announced: %+v", f)
	}
	announce := func() apiclient.AllocationAccepted {
		r := e.do("POST", "/v1/calls/"+PiemonteCall+"/funds", off, map[string]any{"amount": "1500000.00", "act": "D.D. n. 412 del 10/06/2026"},
			"Idempotency-Key", "dd-412-2026")
		if r.Status != 202 {
			t.Fatalf("announce: %d %s", r.Status, r.Body)
		}
		return decode[apiclient.AllocationAccepted](t, r)
	}
	run := announce()
	if again := announce(); again.Created || again.AllocationId != run.AllocationId {
		t.Fatalf("a retried announcement is a new one: %+v", again)
	}

	// Every applicant reads it on the call: those that filed and the others.
	for _, org := range []string{torino.Org, biella} {
		f := deref(e.call(PiemonteCall, e.applicant(org)).Funds)
		if f.Amount != "1500000.00" || f.Date.String() != "2026-06-10" || deref(f.Act) != "D.D. n. 412 del 10/06/2026" ||
			!f.AnnouncedAt.Equal(clock.InRome(2026, 6, 10, 10, 0)) || f.AllocationId != run.AllocationId {
			t.Fatalf("%s reads the fund as %+v", org, f)
		}
	}

	// One e-mail to each Comune that filed, none to the one that did not.
	mails, _ := filepath.Glob(filepath.Join(e.rt.OutboxDir, "*Fondo_comunicato*"))
	to := map[string]int{}
	for _, m := range mails {
		b, _ := os.ReadFile(m)
		body := string(b)
		for _, want := range []string{"€ 1.500.000,00", "(D.D. n. 412 del 10/06/2026)", "il 10/06/2026", "Rilevazione"} {
			if !strings.Contains(body, want) {
				t.Errorf("the fund e-mail lacks %q:\n%s", want, body)
			}
		}
		line, _, _ := strings.Cut(body, "\n")
		to[strings.TrimPrefix(line, "To: ")]++
	}
	if len(to) != 2 || to["servizi.educativi@comune.torino.it"] != 1 || to[novaraMail] != 1 {
		t.Fatalf("fund e-mails by recipient: %v", to)
	}
}

// The announcing request stored the run with its FundsAnnounced (one
// transaction) and died before publishing the fund: the relay's delivery
// of the event publishes it and sends the e-mails, once, however often it
// is delivered.
func TestAFundWhoseRequestDiedAfterTheRunIsStillPublishedOnce(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 10, 9, 0))
	torino := loadExample(t, "piemonte-torino.json")
	tok := e.applicant(torino.Org)
	id := e.draft(PiemonteCall, tok, torino.Org, torino.Data)
	protocolOf(t, e.do("POST", "/v1/submissions/"+id+"/submit", tok, nil))
	e.clk.Set(clock.InRome(2026, 6, 10, 10, 0))
	off := e.officer("PIE")
	e.review(id, off, apiclient.Decision{Decision: "validate"})

	// The request's work up to the run's transaction, and no further.
	ctx := context.Background()
	c, err := e.rt.Store.Call(ctx, PiemonteCall)
	if err != nil {
		t.Fatal(err)
	}
	run, created, err := e.rt.App.Allocation.Announce(ctx, c, "alloc-died", allocation.Announcement{Fund: money.Cents(1_500_000_00), Act: "D.D. n. 412 del 10/06/2026", By: "officer-PIE"})
	if err != nil || !created {
		t.Fatalf("announce: %v %v", created, err)
	}
	mails := func() []string {
		got, _ := filepath.Glob(filepath.Join(e.rt.OutboxDir, "*Fondo_comunicato*"))
		return got
	}
	// Nothing else of the request ran: the relay's delivery of the event
	// (its own timer, or the drain below) publishes the fund.
	tok = e.applicant(torino.Org) // a token of the new day
	e.drainUntil("the fund published and e-mailed", func() bool { return len(mails()) == 1 })
	e.rt.WaitAllocations()
	if f := deref(e.call(PiemonteCall, tok).Funds); f.AllocationId != run.ID || f.Amount != "1500000.00" {
		t.Fatalf("the call reads the fund as %+v", f)
	}
	// A redelivery of FundsAnnounced publishes nothing new.
	m, _, _ := e.rt.Store.Message(ctx, txoutbox.ID(run.ID, 1, "announced"))
	m.Status = txoutbox.Pending
	if err := e.rt.Relay.Handle(ctx, m); err != nil {
		t.Fatal(err)
	}
	e.rt.WaitAllocations()
	for range 3 {
		if _, err := e.rt.Relay.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := mails(); len(got) != 1 {
		t.Fatalf("fund e-mails after a redelivery: %v, want one", got)
	}
}
