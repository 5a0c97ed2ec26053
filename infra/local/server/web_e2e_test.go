package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// The web interface is served by the product itself on the API's origin,
// with a strict Content-Security-Policy and the headers that keep it out
// of frames and sniffing; nothing else the binary embeds is served.
func TestWebPagesCarryAStrictPolicy(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 31, 11, 0))
	for _, path := range []string{"/", "/auth/callback", "/web/main.js", "/web/bootstrap-italia.min.css", "/web/config.json"} {
		resp, err := http.Get(e.rt.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			!strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: %d, CSP %q, nosniff %q, referrer %q", path, resp.StatusCode, csp, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
	for _, path := range []string{"/web/axe.min.js", "/web/axe-core%2Faxe.min.js", "/web/..%2Fweb.go", "/web/index.html"} {
		resp, err := http.Get(e.rt.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// A Comune's clerk signs in on the local dev sign-in page and sees the
// calls with their windows in Rome time and a countdown to the next noon
// deadline, counted on the server's clock; the token stays in memory
// (nothing in localStorage, no cookie). axe-core finds nothing serious on
// either page.
func TestWebSignInShowsTheCallsWithACountdown(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 31, 10, 58).Add(30*time.Second))
	b := newTab(t, e)
	b.run("open the calls", chromedp.Navigate(b.base+"/#/bandi"), chromedp.WaitVisible(`#sign-in`))
	b.step("01-accesso")
	b.signIn("milano")
	b.run("calls", chromedp.WaitVisible(`[data-call="call_lombardia2025"] .countdown`))
	countdown := b.text(`#countdown-call_lombardia2025`)
	if !strings.Contains(countdown, "Termine: 31/07/2025 alle 12:00 (ora di Roma) — mancano 1 ora, 1 minuto e ") {
		t.Errorf("Lombardy countdown %q", countdown)
	}
	if got := b.text(`#countdown-call_piemonte2026`); !strings.Contains(got, "Apertura: 27/04/2026 alle 12:00 (ora di Roma)") {
		t.Errorf("Piemonte, not yet open: %q", got)
	}
	if got := b.text(`[data-call="call_lombardia2025"]`); !strings.Contains(got, "Nuova domanda") {
		t.Errorf("an open call offers a new application: %q", got)
	}
	b.step("02-bandi")
	if kept := eval[string](b, `localStorage.length + '|' + document.cookie`); kept != "0|" {
		t.Errorf("the session left something behind in the browser: %q", kept)
	}
}

// The form's description is served to whoever may see the call: the A1's
// fields with their labels and the documents it takes; another Region's
// officer does not see the call, so not its form either.
func TestCallFormIsServedFromTheProgramsDescription(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 31, 11, 0))
	r := e.do("GET", "/v1/calls/"+LombardiaCall+"/form", e.applicant("comune:015146"), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	form := decode[apiclient.CallForm](t, r)
	if len(form.Fields) < 20 || len(form.Documents) < 6 || form.Fields[0].Label != "Dati generali dell'Ente richiedente" ||
		(*form.Fields[0].Fields)[0].Label != "Denominazione" {
		t.Errorf("%d fields, %d document kinds: %.300s", len(form.Fields), len(form.Documents), r.Body)
	}
	if r := e.do("GET", "/v1/calls/"+LombardiaCall+"/form", e.officer("PIE"), nil); r.Status != http.StatusNotFound {
		t.Errorf("another Region's officer: %d", r.Status)
	}
}
