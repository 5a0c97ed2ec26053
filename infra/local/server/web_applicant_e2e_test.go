package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	samples "sportello/events"
	"sportello/events/files/fixtures"
	"sportello/shared/clock"
)

// downloads lets the tab save files into a directory of the test and
// answers a function that waits for a file whose name starts with prefix.
func (b *tab) downloads() func(prefix string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	// Browser-wide: the browser tests run one after the other.
	_, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior,
		cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
	b.fail("allow downloads", err)
	return func(prefix string) []byte {
		b.t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), prefix) && !strings.HasSuffix(e.Name(), ".crdownload") {
					body, err := os.ReadFile(filepath.Join(dir, e.Name()))
					if err == nil && len(body) > 0 {
						return body
					}
				}
			}
			time.Sleep(50 * time.Millisecond) // the browser writes the file
		}
		b.t.Fatalf("no download %s*", prefix)
		return nil
	}
}

// fill types an example's form data into the page's form: lists first get
// their items ("Aggiungi"), then every value goes into its field.
func (b *tab) fill(data map[string]any) {
	b.t.Helper()
	var lists []string // the "Aggiungi" of each item, in order
	type value struct {
		sel    string
		action chromedp.Action[chromedp.Void]
	}
	var values []value
	var ticks []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, x[k])
			}
		case []any:
			if len(x) > 0 {
				if _, objects := x[0].(map[string]any); objects {
					for i := range x {
						lists = append(lists, fmt.Sprintf("%s[%d]", prefix, i))
						walk(fmt.Sprintf("%s[%d]", prefix, i), x[i])
					}
					return
				}
			}
			if len(x) == 0 {
				return
			}
			codes := make([]string, len(x))
			for i, c := range x {
				codes[i] = fmt.Sprint(c)
			}
			values = append(values, value{prefix, chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`[data-path="%s"]`, prefix)), strings.Join(codes, ", "))})
		case bool:
			if x {
				ticks = append(ticks, fmt.Sprintf(`[data-path="%s"]`, prefix))
			}
		case float64:
			values = append(values, value{prefix, chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`[data-path="%s"]`, prefix)), strconv.FormatFloat(x, 'f', -1, 64))})
		case string:
			if x == "" {
				return
			}
			values = append(values, value{prefix, chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`[data-path="%s"]`, prefix)), x)})
		}
	}
	walk("", data)
	// Items are added outermost first (a facility before its fees), as walk met them.
	for _, item := range lists {
		list := item[:strings.LastIndex(item, "[")]
		b.click(fmt.Sprintf(`[data-add="%s"]`, list))
		b.run("add "+item, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-item="%s"]`, item))))
	}
	for _, v := range values {
		b.run("fill "+v.sel, v.action)
	}
	for _, sel := range ticks {
		b.tick(sel)
	}
}

// MUST SHOW (issue #16): the Comune di Milano signs in, fills the A1 of
// events/submissions/lombardia-milano.json through the form, uploads its
// six documents (progress, verified; the A1 is the one the page
// downloaded, signed), files at 11:59:58 with the clock moved, sees its
// protocol number and downloads the receipt; the Comune di Bergamo's page
// after 12:00 shows the closed window and no button to file. axe-core
// finds nothing serious or critical on any page; every step is
// photographed.
func TestWebLombardyComuneFilesTheA1BeforeNoon(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 31, 11, 40))
	ex := loadExample(t, "lombardia-milano.json")
	bergamo := e.draft(LombardiaCall, e.applicant("comune:016024"), "comune:016024", json.RawMessage(`{}`))

	b := newTab(t, e)
	downloaded := b.downloads()
	b.run("open the calls", chromedp.Navigate(b.base+"/#/bandi"))
	b.signIn("milano")
	b.click(`[data-call="call_lombardia2025"] a[href$="/nuova"]`)
	b.run("new application", chromedp.WaitVisible(`#create`))
	b.step("milano-01-nuova-domanda")
	if b.exists(`#privacy`) {
		b.tick(`#privacy`)
	}
	b.click(`#create`)
	b.run("the draft", chromedp.WaitVisible(`#save`))

	var data map[string]any
	if err := json.Unmarshal(ex.Data, &data); err != nil {
		t.Fatal(err)
	}
	b.fill(data)
	b.click(`#save`)
	b.run("saved", chromedp.WaitVisible(`//div[contains(@class,"alert-success")][contains(., "Bozza salvata")]`))
	b.step("milano-02-modulo-compilato", `[data-item="facilities[1]"]`)
	id := strings.TrimPrefix(eval[string](b, `location.hash`), "#/domande/")
	token := e.applicant("comune:015146")
	r := e.submission(id, token)
	var saved struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &saved); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(compact(saved.Data), compact(data)) {
		a, _ := json.Marshal(compact(saved.Data))
		w, _ := json.Marshal(compact(data))
		t.Fatalf("the form saved other data than the example's:\n got  %s\n want %s", a, w)
	}

	// The A1 the page downloads is signed by the legal representative,
	// then uploaded with the other five documents.
	b.click(`#download-a1`)
	a1 := downloaded("domanda-")
	if !bytes.HasPrefix(a1, []byte("%PDF")) {
		t.Fatalf("the A1 is not a PDF: %.20q", a1)
	}
	signed, err := fixtures.SignCAdES(a1, fixtures.ECDSASigner)
	if err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	for i, d := range ex.Documents {
		name := d.File
		body := signed
		if d.File == "@summary" {
			name = "allegato-a1.pdf.p7m"
		} else if body, err = samples.FS.ReadFile("files/" + d.File); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(files, fmt.Sprintf("%d-%s", i, name))
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		choose := fmt.Sprintf(`(() => { const k = document.querySelector('#doc-kind'); k.value = %q; k.dispatchEvent(new Event('change')); return k.value })()`, d.Kind)
		if got := eval[string](b, choose); got != d.Kind {
			t.Fatalf("document kind %s not offered", d.Kind)
		}
		if d.Ref != "" {
			b.run("ref", chromedp.SetValue(`#doc-ref`, d.Ref))
		}
		b.run("choose "+d.Kind, chromedp.SetUploadFiles(`#doc-file`, []string{path}))
		b.click(`#upload`)
		b.run("upload "+d.Kind, chromedp.WaitVisible(`#upload-result`))
		if status := eval[string](b, `document.querySelector('#upload-result').dataset.status`); status != "verified" {
			t.Fatalf("%s: %s", d.Kind, b.text(`#upload-status`))
		}
		if done := eval[bool](b, `(() => { const p = document.querySelector('#doc-progress'); return p.value === p.max && p.max > 1 })()`); !done {
			t.Errorf("%s: the progress bar did not reach the end", d.Kind)
		}
		if i == 0 {
			b.step("milano-03-primo-documento-verificato", `#documents`)
		}
	}
	if n := eval[int](b, `document.querySelectorAll('[data-document][data-status="verified"]').length`); n != len(ex.Documents) {
		t.Errorf("%d documents verified, want %d", n, len(ex.Documents))
	}
	b.step("milano-04-documenti-verificati", `#documents`)

	// 11:59:58: filed, with the protocol number and the filing time.
	e.clk.Set(clock.InRome(2025, 7, 31, 11, 59).Add(58 * time.Second))
	b.click(`#submit`)
	b.run("confirm", chromedp.WaitVisible(`#confirm-yes`))
	b.step("milano-05-conferma-invio")
	b.click(`#confirm-yes`)
	b.run("file", chromedp.WaitVisible(`#protocol`))
	if got := b.text(`#protocol`); !strings.Contains(got, "LOM-2025-0000001") {
		t.Errorf("protocol %q", got)
	}
	if got := b.text(`#filed-at`); got != "Inviata il 31/07/2025 alle 11:59:58 (ora di Roma)." {
		t.Errorf("filing time %q", got)
	}
	b.step("milano-06-protocollata")
	b.click(`#receipt`)
	if receipt := downloaded("ricevuta-LOM-2025-0000001"); !bytes.HasPrefix(receipt, []byte("%PDF")) {
		t.Errorf("the receipt is not a PDF: %.20q", receipt)
	}

	// 12:00:01: Bergamo's draft can no longer be filed, and says why.
	e.clk.Set(clock.InRome(2025, 7, 31, 12, 0).Add(time.Second))
	b.click(`#sign-out`)
	b.run("Bergamo's page", chromedp.Navigate(b.base+"/#/domande/"+bergamo))
	b.signIn("bergamo")
	b.run("Bergamo's application", chromedp.WaitVisible(`#closed`))
	if got := b.text(`#closed`); !strings.Contains(got, "Il termine è scaduto il 31/07/2025 alle 12:00 (ora di Roma)") {
		t.Errorf("closed window: %q", got)
	}
	if b.exists(`#submit`) {
		t.Error("the button to file is still there after the deadline")
	}
	b.step("bergamo-07-termine-scaduto")
	b.run("calls", chromedp.Navigate(b.base+"/#/bandi"), chromedp.WaitVisible(`#countdown-call_lombardia2025`))
	if got := b.text(`[data-call="call_lombardia2025"]`); strings.Contains(got, "Nuova domanda") {
		t.Errorf("a closed call still offers a new application: %q", got)
	}
}

// exists reports whether sel matches an element now.
func (b *tab) exists(sel string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
}

// compact drops what JSON leaves empty (false, "", empty objects and
// lists), so a form and its saved copy compare by what they say.
func compact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if c := compact(e); c != nil {
				out[k] = c
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = compact(e)
		}
		return out
	case bool:
		if !x {
			return nil
		}
	case string:
		if x == "" {
			return nil
		}
	case nil:
		return nil
	}
	return v
}
