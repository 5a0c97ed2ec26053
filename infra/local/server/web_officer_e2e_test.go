package server

import (
	"fmt"
	"strings"
	"testing"

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
	number := protocolOf(t, e.do("POST", "/v1/submissions/"+id+"/submit", e.applicant(ex.Org), nil)).Number
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
	b.run("the Comune opens its scheda", chromedp.Navigate(b.base+"/#/domande/"+id+"/correzione"))
	b.signIn("torino")
	b.run("the correction page", chromedp.WaitVisible(`#correction-form`))
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
		chromedp.WaitVisible(`#main .alert-success`))
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
	b.run("validate", chromedp.Click(`#decision-validate`), chromedp.Click(`#review-submit`), chromedp.WaitVisible(`#main .alert-success`))
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

	r := e.do("GET", "/v1/submissions/"+id, e.officer("PIE"), nil)
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
	b.step("fvg-01-domanda")
	b.run("admit", chromedp.Click(`#decision-admit`), chromedp.Click(`#review-submit`), chromedp.WaitVisible(`#main .alert-success`))

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
