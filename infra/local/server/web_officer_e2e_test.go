package server

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
	"sportello/shared/money"
)

// js quotes s as a JavaScript string literal.
func js(s string) string { return fmt.Sprintf("%q", s) }

// hasText: the page condition "sel's text contains text".
func hasText(sel, text string) string {
	return fmt.Sprintf(`(document.querySelector(%s)?.innerText || '').includes(%s)`, js(sel), js(text))
}

// Must show of issue #16: an officer of Piemonte rejects a scheda with
// notes and a correction deadline; the Comune sees the notes and the
// deadline, corrects and sends it again (same protocol number); the
// officer validates. Every page passes axe-core; each step is photographed.
func TestWebOfficerRejectsTheComuneResendsTheOfficerValidates(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 10, 9, 0))
	ex := loadExample(t, "piemonte-torino.json")
	id := e.draft(PiemonteCall, e.applicant(ex.Org), ex.Org, ex.Data)
	number := protocolOf(t, e.submit(id, e.applicant(ex.Org))).Number
	e.clk.Set(clock.InRome(2026, 5, 25, 10, 0)) // after the window: the officer reviews
	row := fmt.Sprintf(`[data-submission=%q]`, id)

	b := newTab(t, e)
	b.run("open the call's applications", chromedp.Navigate(b.base+"/#/istruttoria/"+PiemonteCall))
	b.signIn("officer-pie")
	b.until("the filed scheda in the list", fmt.Sprintf(`!!document.querySelector(%s)`, js(row)), `document.getElementById('refresh')?.click()`)
	if got := b.text(row); !strings.Contains(got, number) || !strings.Contains(got, "Inviata, da esaminare") || !strings.Contains(got, "(ora di Roma)") {
		t.Errorf("the list's row: %q", got)
	}
	b.step("officer-01-domande-piemonte")

	b.run("open the scheda", chromedp.Click(row+" a"), chromedp.WaitVisible(`#review-form`), chromedp.WaitVisible(`#documents, #docs-title`))
	if got := b.text(`#review-form`); !strings.Contains(got, "Valida") || !strings.Contains(got, "Respingi per correzione") || strings.Contains(got, "Ammetti") {
		t.Errorf("the decisions offered are the program's (validation): %q", got)
	}
	b.step("officer-02-scheda")
	notes := "Correggere la media dei frequentanti del Girasole."
	b.run("reject with notes and a deadline",
		chromedp.Click(`#decision-reject`),
		chromedp.WaitVisible(`#review-deadline-day`),
		chromedp.SendKeys(`#review-notes`, notes),
		chromedp.SetValue(`#review-deadline-day`, "2026-06-05"),
		chromedp.SetValue(`#review-deadline-time`, "12:00"))
	b.step("officer-03-respingi")
	b.run("send the rejection", chromedp.Click(`#review-submit`), chromedp.WaitVisible(`#last-review`))
	if got := b.text(`#last-review`); !strings.Contains(got, notes) || !strings.Contains(got, "Termine: 05/06/2026 alle 12:00 (ora di Roma)") {
		t.Errorf("the decision shown: %q", got)
	}
	b.step("officer-04-respinta")

	// The Comune: the notes and the deadline, the correction, the resend.
	b.signOut()
	b.run("the Comune opens its applications", chromedp.Navigate(b.base+"/#/bandi/"+PiemonteCall+"/domande"))
	b.signIn("torino")
	b.until("the rejected scheda in the Comune's list", fmt.Sprintf(`!!document.getElementById(%s)`, js("correct-"+id)),
		`window.dispatchEvent(new HashChangeEvent('hashchange'))`)
	b.step("comune-00-le-mie-domande")
	b.run("the correction page", chromedp.Click("#correct-"+id), chromedp.WaitVisible(`#correction-form`))
	if got := b.text(`#review-notes`); got != notes {
		t.Errorf("the Comune sees the notes %q", got)
	}
	if got := b.text(`#review-deadline`); !strings.Contains(got, "05/06/2026 alle 12:00 (ora di Roma)") {
		t.Errorf("the Comune sees the deadline: %q", got)
	}
	b.step("comune-01-correzione")
	b.run("correct and send again",
		chromedp.SetValue(`#f-services-0-averageAttendance`, "50.10"),
		chromedp.Click(`#resend`),
		chromedp.WaitVisible(`#done`))
	if got := b.text(`#main`); !strings.Contains(got, "stesso numero di protocollo") || !strings.Contains(got, number) || !strings.Contains(got, "Inviata, da esaminare") {
		t.Errorf("after the resend: %q", got)
	}
	b.step("comune-02-inviata-di-nuovo")

	// The officer validates.
	b.signOut()
	b.run("the officer opens the scheda again", chromedp.Navigate(b.base+"/#/istruttoria/domande/"+id))
	b.signIn("officer-pie")
	b.run("the review form", chromedp.WaitVisible(`#review-form`))
	if got := b.text(`#facts`); !strings.Contains(got, "Inviata di nuovo") {
		t.Errorf("the resend is shown: %q", got)
	}
	b.run("validate", chromedp.Click(`#decision-validate`), chromedp.Click(`#review-submit`), chromedp.WaitVisible(`#done`))
	if got := b.text(`#facts`); !strings.Contains(got, "Validata") {
		t.Errorf("after validation: %q", got)
	}
	b.until("the audit trail with the whole cycle",
		`document.querySelectorAll('#audit tr[data-action="submission.reviewed"]').length === 2 && !!document.querySelector('#audit tr[data-action="submission.resubmitted"]')`,
		`document.getElementById('audit-refresh')?.click()`)
	b.step("officer-05-validata")

	b.run("the list, validated only", chromedp.Navigate(b.base+"/#/istruttoria/"+PiemonteCall), chromedp.WaitVisible(`#filter-state`),
		chromedp.SetValue(`#filter-state`, "validated"))
	b.until("the validated scheda in the list", hasText(row, "Validata"),
		`document.getElementById('refresh')?.click(); document.getElementById('filter-state')?.dispatchEvent(new Event('change'))`)
	b.step("officer-06-elenco-validate")

	r := e.submission(id, e.officer("PIE"))
	got := decode[apiclient.Submission](t, r)
	if got.State != "validated" || got.Protocol == nil || got.Protocol.Number != number || !strings.Contains(string(r.Body), `"averageAttendance":"50.10"`) {
		t.Errorf("the stored scheda: %s, %+v", got.State, got.Protocol)
	}
}

// Must show of issue #16: an officer of FVG admits an application (the
// decisions offered are the admission model's), announces the fund, sees
// the riparto's table with the explanation of each line, and downloads its
// CSV, which names every beneficiary and whose lines sum to the total
// allocated the page shows.
func TestWebOfficerAnnouncesFundsForFVGAndDownloadsTheRipartoCSV(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ids := e.fileFVG(threeOperators)
	e.clk.Set(clock.InRome(2025, 8, 20, 10, 0))
	off := e.officer("FVG")
	for _, id := range ids[1:] {
		e.review(id, off, apiclient.Decision{Decision: "admit"})
	}

	b := newTab(t, e)
	b.run("open the first application", chromedp.Navigate(b.base+"/#/istruttoria/domande/"+ids[0]))
	b.signIn("officer-fvg")
	b.run("the review form", chromedp.WaitVisible(`#review-form`))
	if got := b.text(`#review-form`); !strings.Contains(got, "Ammetti") || !strings.Contains(got, "Richiedi integrazione") || strings.Contains(got, "Valida") {
		t.Errorf("the decisions offered are the program's (admission): %q", got)
	}
	b.until("the documents with their verification", hasText(`#documents`, "Verificato"), "")
	if got := b.text(`#documents`); !strings.Contains(got, "firma verificata") || !strings.Contains(got, "Dirigente Servizio Istruzione") {
		t.Errorf("the documents show the signer and the verification: %q", got)
	}
	b.step("fvg-01-domanda")
	b.run("admit", chromedp.Click(`#decision-admit`), chromedp.Click(`#review-submit`), chromedp.WaitVisible(`#done`))

	b.run("the riparto page", chromedp.Navigate(b.base+"/#/istruttoria/"+FVGCall+"/riparto"), chromedp.WaitVisible(`#funds-form`),
		chromedp.SendKeys(`#funds-amount`, "1.000.000,00"), chromedp.SendKeys(`#funds-note`, "Decreto n. 1234/2025"))
	b.step("fvg-02-annuncio")
	b.run("announce", chromedp.Click(`#funds-submit`), chromedp.WaitVisible(`#riparto-lines`))
	if got := b.text(`#run-facts`); !strings.Contains(got, "1.000.000,00 €") || !strings.Contains(got, "Concluso") || !strings.Contains(got, "964.450,00 €") {
		t.Errorf("the run: %q", got)
	}
	if got := b.text(`#riparto-total`); got != "35.550,00 €" {
		t.Errorf("total allocated shown %q", got)
	}
	explanations := eval[[]string](b, `[...document.querySelectorAll('#riparto-lines tbody tr td:last-child')].map(td => td.innerText)`)
	if len(explanations) != len(threeOperators) {
		t.Fatalf("%d lines shown, want %d", len(explanations), len(threeOperators))
	}
	for _, x := range explanations {
		if !strings.Contains(x, "964450.00 euro del fondo restano non ripartiti") {
			t.Errorf("a line's explanation: %q", x)
		}
	}
	b.step("fvg-03-riparto")

	name, body := b.download(`#export-riparto-csv`)
	if !strings.HasSuffix(name, ".csv") {
		t.Errorf("downloaded %q", name)
	}
	rows := italianCSV(t, body)
	named := map[string]string{}
	var sum money.Cents
	for _, r := range rows[:len(rows)-1] {
		named[r["id"]] = r["denominazione"]
		sum += italianEuro(t, r["importo_euro"])
	}
	for _, op := range threeOperators {
		if named["facility:"+op.facility] != op.name {
			t.Errorf("the CSV names %s %q, want %q", op.facility, named["facility:"+op.facility], op.name)
		}
	}
	total := rows[len(rows)-1]
	if total["id"] != "TOTALE" || italianEuro(t, total["importo_euro"]) != sum || sum.String() != "35550.00" {
		t.Errorf("the CSV's lines sum to %s, its total row says %q", sum, total["importo_euro"])
	}
}

// The officer's other pages on Lombardy's call: the reference list
// imported from the CSV file the Region keeps (AFAM_UDOS), the proroga of
// a window, the list with the istruttoria's 60-day due date sorted by it,
// an integration request with notes and a deadline (the clock then stands
// still), an exclusion for a coded reason of the call's list, and the
// elenco's CSV download naming it.
func TestWebOfficerImportsExtendsRequestsIntegrationAndExports(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 31, 11, 0))
	id, _, _ := e.filedMilano()
	number := decode[apiclient.Submission](t, e.submission(id, e.officer("LOM"))).Protocol.Number
	csvPath, err := filepath.Abs(filepath.Join("..", "..", "..", "events", "submissions", "demo-afam-udos.csv"))
	if err != nil {
		t.Fatal(err)
	}

	b := newTab(t, e)
	b.run("the call's reference lists", chromedp.Navigate(b.base+"/#/istruttoria/"+LombardiaCall+"/gestione"))
	b.signIn("officer-lom")
	b.run("import the AFAM_UDOS list",
		chromedp.WaitVisible(`#registry-form`),
		chromedp.Click(`#kind-facility`),
		chromedp.SetUploadFiles(`#registry-file`, []string{csvPath}),
		chromedp.Click(`#registry-submit`),
		chromedp.WaitVisible(`#registry-form .alert-success`))
	if got := b.text(`#registry-form .alert-success`); !strings.Contains(got, "Elenco importato") {
		t.Errorf("import: %q", got)
	}
	b.step("lom-01-elenchi")
	b.run("extend the second window",
		chromedp.SetValue(`#extend-day-w2`, "2025-09-15"),
		chromedp.SetValue(`#extend-time-w2`, "12:00"),
		chromedp.SendKeys(`#extend-reason-w2`, "Decreto di proroga n. 1/2025"),
		chromedp.Click(`#extend-submit-w2`),
		chromedp.WaitVisible(`#done`))
	if got := b.text(`#done`); !strings.Contains(got, "w2 prorogato al 15/09/2025 alle 12:00 (ora di Roma)") {
		t.Errorf("proroga: %q", got)
	}
	if c := e.call(LombardiaCall, e.officer("LOM")); c.Windows[1].ClosesAt.Format(time.RFC3339) != "2025-09-15T12:00:00+02:00" {
		t.Errorf("the window closes at %s", c.Windows[1].ClosesAt.Format(time.RFC3339))
	}
	b.step("lom-02-proroga")

	row := fmt.Sprintf(`[data-submission=%q]`, id)
	b.run("the applications by due date", chromedp.Navigate(b.base+"/#/istruttoria/"+LombardiaCall), chromedp.WaitVisible(`#sort`),
		chromedp.SetValue(`#sort`, "due"))
	b.until("Milano's application in the list", fmt.Sprintf(`!!document.querySelector(%s)`, js(row)), `document.getElementById('refresh')?.click()`)
	if got := b.text(row); !strings.Contains(got, number) || !strings.Contains(got, "entro il 29/09/2025 (ora di Roma)") {
		t.Errorf("the row shows the 60-day due date: %q", got)
	}
	b.step("lom-03-domande-scadenza")

	notes := "Trasmettere la convenzione firmata da entrambe le parti."
	b.run("request an integration", chromedp.Click(row+" a"), chromedp.WaitVisible(`#review-form`),
		chromedp.Click(`#decision-request_integration`),
		chromedp.SendKeys(`#review-notes`, notes),
		chromedp.SetValue(`#review-deadline-day`, "2025-08-11"),
		chromedp.SetValue(`#review-deadline-time`, "12:00"))
	b.step("lom-04-richiesta-integrazione")
	b.run("send it", chromedp.Click(`#review-submit`), chromedp.WaitVisible(`#done`))
	if got := b.text(`#facts`); !strings.Contains(got, "Integrazione richiesta") || !strings.Contains(got, "sospeso") {
		t.Errorf("after the request: %q", got)
	}
	if got := b.text(`#last-review`); !strings.Contains(got, notes) || !strings.Contains(got, "11/08/2025 alle 12:00 (ora di Roma)") {
		t.Errorf("the request shown: %q", got)
	}
	b.step("lom-05-integrazione-richiesta")

	// Then excluded, for a coded reason of the call's list.
	b.run("exclude for a coded reason", chromedp.Click(`#decision-exclude`), chromedp.WaitVisible(`#reasons-group input`),
		chromedp.Click(`#reasons-group input`),
		chromedp.SendKeys(`#review-notes`, "La convenzione non è stata trasmessa entro il termine."))
	code := eval[string](b, `document.querySelector('#reasons-group input').value`)
	b.step("lom-06-esclusione")
	b.run("send the exclusion", chromedp.Click(`#review-submit`))
	b.until("the exclusion shown", hasText(`#last-review`, "Escludi"), "")
	if got := b.text(`#last-review`); !strings.Contains(got, "Escludi") || !strings.Contains(got, "Motivi: "+code) {
		t.Errorf("the exclusion shown: %q", got)
	}

	b.run("the exports", chromedp.Navigate(b.base+"/#/istruttoria/"+LombardiaCall+"/riparto"), chromedp.WaitVisible(`#export-outcomes-csv`))
	_, body := b.download(`#export-outcomes-csv`)
	found := false
	for _, r := range italianCSV(t, body) {
		line := strings.Join(slices.Collect(maps.Values(r)), "|")
		found = found || strings.Contains(line, number) && strings.Contains(line, code)
	}
	if !found {
		t.Errorf("the elenco's CSV does not name %s excluded for %s:\n%s", number, code, body)
	}
}

// Deadlines typed in the officers' forms (a day and a time in Rome) are
// sent with Rome's offset of that day, winter or summer, whatever the
// browser's own zone.
func TestWebDeadlinesAreSentWithRomesOffsetOfThatDay(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 10, 9, 0))
	b := newTab(t, e)
	b.run("open the page", chromedp.Navigate(b.base+"/#/accedi"), chromedp.WaitVisible(`#sign-in`))
	for _, c := range []struct{ day, at, want string }{
		{"2026-06-05", "12:00", "2026-06-05T12:00:00+02:00"},
		{"2026-01-05", "09:30", "2026-01-05T09:30:00+01:00"},
		{"2026-03-28", "23:59", "2026-03-28T23:59:00+01:00"}, // the day before summer time
		{"2026-03-29", "12:00", "2026-03-29T12:00:00+02:00"},
		{"2026-10-25", "12:00", "2026-10-25T12:00:00+01:00"},
	} {
		got := eval[string](b, fmt.Sprintf(`import('/web/ui.js').then(m => m.romeInstant(%s, %s))`, js(c.day), js(c.at)))
		if got != c.want {
			t.Errorf("%s %s: %s, want %s", c.day, c.at, got, c.want)
		}
	}
}
