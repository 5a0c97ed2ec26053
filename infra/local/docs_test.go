package main

import (
	"bytes"
	"context"
	"image/png"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"sportello/infra/local/server"
)

// The reference page at /v1/docs renders the OpenAPI document in a real
// browser (Debian's chromium, headless, driven by chromedp): the API's
// title and its operations appear, the page's Content-Security-Policy
// blocks nothing it needs, and nothing is fetched from another host (no
// CDN). The screenshot is written to $SPORTELLO_DOCS_SCREENSHOT when set
// (e.g. build/docs.png), else into the test's temporary directory.
func TestDocsPageRendersInHeadlessChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: install Debian's chromium (.ci/run does)")
	}
	rt, err := server.Start(context.Background(), server.Config{Addr: "127.0.0.1:0", NoSeed: true,
		Log: slog.New(slog.DiscardHandler), OutboxDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Errorf("close the runtime: %v", err)
		}
	})
	api, err := url.Parse(rt.URL)
	if err != nil {
		t.Fatal(err)
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1024),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// Listen starts the browser; every event of the tab from then on.
	var mu sync.Mutex
	var complaints, foreign []string
	err = chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || strings.Contains(e.Entry.Text, "Content Security Policy") {
				complaints = append(complaints, e.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			complaints = append(complaints, e.ExceptionDetails.Text)
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(e.Request.URL); err == nil && u.Scheme != "data" && u.Host != api.Host {
				foreign = append(foreign, e.Request.URL)
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(rt.URL+"/v1/docs"),
		chromedp.WaitVisible(`.swagger-ui .info .title`),
		chromedp.WaitVisible(`#operations-applications-submitSubmission`),
	)
	if err != nil {
		t.Fatalf("the page did not render: %v (browser complaints: %v)", err, complaints)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(`.swagger-ui .info .title`))
	if err != nil {
		t.Fatal(err)
	}
	operations, err := chromedp.Run(ctx, chromedp.Text(`.swagger-ui .opblock-tag-section`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	path := os.Getenv("SPORTELLO_DOCS_SCREENSHOT")
	if path == "" {
		path = filepath.Join(t.TempDir(), "docs.png")
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot %dx%d at %s", img.Bounds().Dx(), img.Bounds().Dy(), path)

	if !strings.Contains(title, "sportello v1") {
		t.Errorf("title %q", title)
	}
	if !strings.Contains(operations, "/v1/health") {
		t.Errorf("the first tag's operations are not listed: %q", operations)
	}
	if img.Bounds().Dy() < 1024 {
		t.Errorf("the screenshot is %d px tall: the reference did not lay out", img.Bounds().Dy())
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range complaints {
		t.Errorf("browser: %s", c)
	}
	for _, u := range foreign {
		t.Errorf("fetched from another host: %s", u)
	}
}
