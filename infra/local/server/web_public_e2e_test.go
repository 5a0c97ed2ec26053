package server

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// The public pages need no sign-in: the family contribution calculator
// shows the API's split of the fee in euro, Italian style, with an input
// error beside its input; the riparto simulator shows one line per
// beneficiary with its explanation. axe-core: nothing serious on either.
func TestWebPublicCalculatorAndRipartoSimulator(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 9, 1, 10, 0))
	b := newTab(t, e)
	b.run("home", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(`a[href="#/calcolatore"]`))
	b.click(`main a[href="#/calcolatore"]`)
	b.run("calculator", chromedp.WaitVisible(`#calculate`))
	b.run("a wrong fee", chromedp.SetValue(`#fee`, "quattrocento"), chromedp.SetValue(`#isee`, "18.000,00"))
	b.click(`#calculate`)
	b.run("the error", chromedp.WaitVisible(`#fee-error:not(:empty)`))
	b.step("pubblico-01-calcolatore-errore")
	b.run("a fee", chromedp.SetValue(`#fee`, "450,00"))
	b.tick(`#born`)
	b.click(`#calculate`)
	b.run("the split", chromedp.WaitVisible(`#split`))
	r := e.nidiGratis(apiclient.NidiGratisRequest{Fee: "450.00", Isee: "18000.00", BornFrom2024: true, Month: 1})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	want := decode[apiclient.NidiGratisResult](t, r)
	split := b.text(`#split`)
	for _, k := range []struct{ name, amount string }{{"inpsBonus", want.InpsBonus}, {"regionShare", want.RegionShare}, {"familyShare", want.FamilyShare}} {
		if euro := pageEuro(k.amount); !strings.Contains(split, euro) {
			t.Errorf("%s %s (%s) not shown: %q", k.name, k.amount, euro, split)
		}
	}
	if got := b.text(`#fee-error`); got != "" {
		t.Errorf("the old error stays: %q", got)
	}
	b.step("pubblico-02-calcolatore")

	b.run("simulator", chromedp.Navigate(b.base+"/#/simulatore-riparto"), chromedp.WaitVisible(`#simulate`))
	b.click(`#simulate`)
	b.run("the lines", chromedp.WaitVisible(`#lines`))
	if n := eval[int](b, `document.querySelectorAll('#lines [data-line]').length`); n != 3 {
		t.Errorf("%d lines, want 3", n)
	}
	if got := b.text(`#totals`); !strings.Contains(got, "Ripartiti 100.000,00 € di 100.000,00 €") {
		t.Errorf("totals %q", got)
	}
	b.step("pubblico-03-simulatore-riparto")
}

// pageEuro writes "1234.5" as the pages do: "1.234,50 €".
func pageEuro(dec string) string {
	whole, frac, _ := strings.Cut(dec, ".")
	frac = (frac + "00")[:2]
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(d)
	}
	return b.String() + "," + frac + " €"
}
