package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"sportello/shared/webassets"
)

// One headless Chromium (Debian's chromium, driven by chromedp) for the
// whole test binary: each browser test opens a tab of its own in it and
// closes it at the end; TestMain stops the browser.
var browser struct {
	once sync.Once
	ctx  context.Context // the browser's first tab: new tabs open beside it
	stop func()
	err  error
}

func stopBrowser() {
	if browser.stop != nil {
		browser.stop()
	}
}

// tab is one page of the browser on a local runtime, with what the browser
// complained of (console errors, exceptions, Content-Security-Policy
// refusals) and the requests it made to any host but the runtime's own.
type tab struct {
	t                   *testing.T
	ctx                 context.Context
	base                string
	allowed             map[string]bool // hosts the page may reach: the runtime and its S3
	mu                  sync.Mutex
	complaints, foreign []string
}

// newTab opens a tab on the runtime of e. Without a chromium binary the
// test is skipped, saying so (.ci/run installs Debian's chromium, so in CI
// these tests always run).
func newTab(t *testing.T, e *env) *tab {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("SKIP browser test: no chromium binary on PATH (install Debian's chromium; .ci/run does)")
	}
	browser.once.Do(func() {
		dir, err := os.MkdirTemp("", "sportello-chromium")
		if err != nil {
			browser.err = err
			return
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("lang", "it-IT"),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1280, 900),
		)
		ctx, cancel := chromedp.NewContext(alloc)
		browser.ctx = ctx
		browser.stop = func() { cancel(); cancelAlloc(); os.RemoveAll(dir) }
		browser.err = chromedp.Do(ctx)
	})
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancelTimeout)
	api, _ := url.Parse(e.rt.URL)
	s3, _ := url.Parse(e.rt.S3.URL)
	b := &tab{t: t, ctx: ctx, base: e.rt.URL, allowed: map[string]bool{api.Host: true, s3.Host: true}}
	err = chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			// A 4xx the page asked for on purpose (a refused input, shown
			// beside its field) is logged by Chromium too: not a complaint.
			answered4xx := ev.Entry.Source == log.EntrySourceNetwork && strings.Contains(ev.Entry.Text, "status of 4")
			if (ev.Entry.Level == log.EntryLevelError && !answered4xx) || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				b.complaints = append(b.complaints, ev.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			b.complaints = append(b.complaints, fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber+1))
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(ev.Request.URL); err == nil && u.Scheme != "data" && u.Scheme != "blob" && !b.allowed[u.Host] {
				b.foreign = append(b.foreign, ev.Request.URL)
			}
		}
	})
	if err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	// Reduced motion: Bootstrap Italia scrolls smoothly otherwise, and a
	// click aimed at an element still scrolling into view can miss it.
	b.run("reduce motion", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	}))
	t.Cleanup(b.check)
	return b
}

// run performs actions, failing the test with what the browser said.
func (b *tab) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.fail(what, chromedp.Do(b.ctx, actions...))
}

func (b *tab) fail(what string, err error) {
	b.t.Helper()
	if err != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.t.Fatalf("%s: %v (browser complaints: %v)", what, err, b.complaints)
	}
}

// text is the visible text of the first element sel matches.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(sel, chromedp.NodeVisible))
	b.fail("read "+sel, err)
	return s
}

// eval evaluates a JavaScript expression in the page (awaiting a promise).
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	what := expr
	if len(what) > 80 {
		what = what[:80] + "…"
	}
	b.fail("evaluate "+what, err)
	return v
}

// axe runs axe-core (vendored from npm, injected here, never served to
// users) on the page as it is, and fails on any serious or critical
// violation: WCAG 2.1 A and AA and axe's best practices.
func (b *tab) axe(name string) {
	b.t.Helper()
	src, err := webassets.Read("axe-core/axe.min.js")
	if err != nil {
		b.t.Fatal(err)
	}
	eval[bool](b, string(src)+";\ntypeof axe === 'object'")
	type violation struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	violations := eval[[]violation](b, `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => ({target: n.target}))})))`)
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			targets, _ := json.Marshal(v.Nodes)
			b.t.Errorf("axe on %s: %s (%s): %s — %s", name, v.ID, v.Impact, v.Help, targets)
		} else {
			b.t.Logf("axe on %s, %s: %s (%s)", name, v.Impact, v.ID, v.Help)
		}
	}
}

// screensDir is where screenshots go: $SPORTELLO_SCREENS, else .out/screens
// at the repository's root (git-ignored); docs/screens keeps the main ones.
func screensDir(t *testing.T) string {
	dir := os.Getenv("SPORTELLO_SCREENS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", ".out", "screens")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot writes a screenshot of what the window shows as <dir>/<name>.png
// (scroll to what matters first: a whole form would be ten screens tall).
func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	b.fail("screenshot "+name, err)
	path := filepath.Join(screensDir(b.t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// step checks the page (axe) and photographs it, scrolled to the element
// of the optional selector.
func (b *tab) step(name string, at ...string) {
	b.t.Helper()
	b.axe(name)
	if len(at) > 0 {
		eval[bool](b, fmt.Sprintf(`(document.querySelector(%q).scrollIntoView({block: 'start'}), true)`, at[0]))
	} else {
		eval[bool](b, `(window.scrollTo(0, 0), true)`)
	}
	b.shot(name)
}

func (b *tab) check() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.complaints {
		b.t.Errorf("browser: %s", c)
	}
	for _, u := range b.foreign {
		b.t.Errorf("fetched from another host: %s", u)
	}
}

// signIn uses the local dev sign-in page with one of its demo profiles
// (shared/web/static/page-signin.js).
func (b *tab) signIn(profile string) {
	b.t.Helper()
	b.run("sign in as "+profile,
		chromedp.WaitVisible(`#sign-in`),
	)
	b.tick(fmt.Sprintf(`#p-%s`, profile))
	b.click(`#sign-in`)
	b.run("signed in", chromedp.WaitVisible(`#who`))
}

// tick checks a checkbox or radio button (Bootstrap Italia draws the box
// on its label, so the input itself is ticked).
func (b *tab) tick(sel string) {
	b.t.Helper()
	if !eval[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false; el.checked = true; el.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel)) {
		b.t.Fatalf("no %s to tick", sel)
	}
}

// click waits for a visible element and clicks it (the DOM's click, as a
// pointer would: a layout shift while fonts load cannot make it miss).
func (b *tab) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	eval[bool](b, fmt.Sprintf(`(document.querySelector(%q).click(), true)`, sel))
}

// signOut presses "Esci" and waits for the page to offer signing in.
func (b *tab) signOut() {
	b.t.Helper()
	b.run("sign out", chromedp.Click(`#session button`), chromedp.WaitVisible(`#session a`))
}

// until waits for a page condition (a JavaScript expression), doing act
// (another, e.g. a click on "Aggiorna") between looks: for what the page
// shows from an eventually consistent read. It fails after 10 s.
func (b *tab) until(what, cond, act string) {
	b.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if eval[bool](b, cond) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: still not so after 10 s (page: %.4000s)", what, eval[string](b, `document.getElementById('main').innerText`))
		}
		if act != "" {
			eval[any](b, act)
		}
		b.run("wait for "+what, chromedp.Sleep(100*time.Millisecond))
	}
}

// download clicks sel, which saves a file, and answers the file's bytes
// once the browser has written it whole.
func (b *tab) download(sel string) (name string, content []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	b.run("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}), chromedp.Click(sel))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		entries, err := os.ReadDir(dir)
		if err != nil {
			b.t.Fatal(err)
		}
		if len(entries) == 1 && !strings.HasSuffix(entries[0].Name(), ".crdownload") {
			data, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
			if err != nil {
				continue
			}
			return entries[0].Name(), data
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("download by %s: no file after 10 s", sel)
	return "", nil
}
