package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// A Piemonte scheda rejected with notes and a deadline: the Comune's page
// shows the officer's notes and the deadline in Rome time; a save on a
// version changed elsewhere is refused (412) with a prompt to reload; after
// reloading, the corrected scheda is saved with If-Match and sent again
// from the form drawn from Piemonte's description, keeping its protocol
// number. axe-core on each page.
func TestWebRejectedSchedaShowsTheNotesAndIsResent(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 10, 9, 0))
	ex := loadExample(t, "piemonte-torino.json")
	tok := e.applicant(ex.Org)
	id := e.draft(PiemonteCall, tok, ex.Org, ex.Data)
	number := protocolOf(t, e.submit(id, tok)).Number
	e.clk.Set(clock.InRome(2026, 5, 25, 10, 0))
	deadline := clock.InRome(2026, 6, 5, 12, 0).Format(time.RFC3339)
	if r := e.decide(id, e.officer("PIE"), apiclient.Decision{Decision: "reject", Notes: ptr("Correggere la media dei frequentanti del Girasole."), Deadline: ptr(deadline)}); r.Status != 200 {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}

	b := newTab(t, e)
	b.run("open", chromedp.Navigate(b.base+"/#/domande/"+id))
	b.signIn("torino")
	b.run("the application", chromedp.WaitVisible(`#review-notes`))
	if got := b.text(`#review-notes`); !strings.Contains(got, "Correggere la media dei frequentanti del Girasole.") {
		t.Errorf("notes %q", got)
	}
	if got := b.text(`#review-deadline`); got != "Termine: 05/06/2026 alle 12:00 (ora di Roma)." {
		t.Errorf("deadline %q", got)
	}
	b.step("torino-01-respinta-con-note")

	// Someone else saves the scheda meanwhile: this page's save is refused.
	r := e.do("GET", "/v1/submissions/"+id, e.applicant(ex.Org), nil)
	version := decode[apiclient.Submission](t, r).Version
	if r := e.do("PUT", "/v1/submissions/"+id, e.applicant(ex.Org), `{"data":`+string(ex.Data)+`}`, "If-Match", strconv.FormatInt(version, 10)); r.Status != 200 {
		t.Fatalf("PUT elsewhere: %d %s", r.Status, r.Body)
	}
	b.run("edit", chromedp.SetValue(chromedp.CSS(`[data-path="services[0].averageAttendance"]`), "50.10"))
	b.click(`#save`)
	b.run("conflict", chromedp.WaitVisible(`#reload`))
	b.step("torino-02-conflitto-ricarica")
	b.click(`#reload`)
	b.run("reloaded", chromedp.WaitNotPresent(`#reload`), chromedp.WaitVisible(chromedp.CSS(`[data-path="services[0].averageAttendance"]`)))
	b.run("edit again", chromedp.SetValue(chromedp.CSS(`[data-path="services[0].averageAttendance"]`), "50.10"))
	b.click(`#save`)
	b.run("saved", chromedp.WaitVisible(`//div[contains(@class,"alert-success")][contains(., "Bozza salvata")]`))
	b.click(`#submit`)
	b.run("confirm", chromedp.WaitVisible(`#confirm-yes`))
	b.click(`#confirm-yes`)
	b.run("sent again", chromedp.WaitVisible(`//span[@id="state"][normalize-space()="Inviata al protocollo"]`))
	if got := b.text(`#protocol`); !strings.Contains(got, number) {
		t.Errorf("protocol %q, want %s kept", got, number)
	}
	b.step("torino-03-reinviata")
	r = e.do("GET", "/v1/submissions/"+id, e.applicant(ex.Org), nil)
	if !strings.Contains(string(r.Body), `"averageAttendance":"50.10"`) {
		t.Errorf("the correction was not saved: %.400s", r.Body)
	}
}
