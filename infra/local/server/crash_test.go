package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	samples "sportello/events"
	"sportello/infra/apiclient"
	"sportello/shared/audit"
	"sportello/shared/auth"
	"sportello/shared/clock"
	txoutbox "sportello/shared/outbox"
	"sportello/shared/program"
	"sportello/shared/registry"
	"sportello/shared/submission"
)

// The crash-consistency test runs the local runtime in a child process
// (this test binary again, running TestCrashChild), files applications into
// it from many clients at once, kills it with SIGKILL at a random moment,
// and checks what a restart finds on disk against what the clients were
// told. SPORTELLO_CRASH_ITERATIONS raises the number of kills (make bench).
const (
	envCrashChild = "SPORTELLO_CRASH_CHILD" // the data directory, in the child
	envCrashClock = "SPORTELLO_CRASH_CLOCK"
	// envCrashOutbox, when set, is the child's mail sink directory (a path
	// that cannot be a directory makes every delivery fail).
	envCrashOutbox = "SPORTELLO_CRASH_OUTBOX"
)

// TestCrashChild is the child: it serves the runtime on a data directory
// until it is killed. Run alone it does nothing.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashChild)
	if dir == "" {
		t.Skip("the crash-consistency test's child process")
	}
	at, err := time.Parse(time.RFC3339Nano, os.Getenv(envCrashClock))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", DataDir: dir, Clock: clock.StartAt(at), Log: slog.New(slog.DiscardHandler),
		OutboxDir: os.Getenv(envCrashOutbox)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "url.tmp"), []byte(rt.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Rename(filepath.Join(dir, "url.tmp"), filepath.Join(dir, "url")) //nolint:errcheck // the parent waits for the file: a failed rename shows as its timeout
	select {}                                                           // until SIGKILL
}

type crashApp struct {
	org, token, id string
}

func TestCrashConsistencyUnderSIGKILL(t *testing.T) {
	if os.Getenv(envCrashChild) != "" {
		t.Skip("in the child")
	}
	iterations, perIteration := 4, 8
	if n, err := strconv.Atoi(os.Getenv("SPORTELLO_CRASH_ITERATIONS")); err == nil && n > 0 {
		iterations = n
	}
	dir := t.TempDir()
	start := clock.InRome(2026, 5, 18, 11, 0)
	apps := crashDrafts(t, dir, start, iterations*perIteration)

	acked := map[string]string{} // submission → protocol number the client was given
	for it := range iterations {
		batch := apps[it*perIteration : (it+1)*perIteration]
		child := startCrashChild(t, dir, start.Add(time.Duration(it)*time.Minute))
		var mu sync.Mutex
		var wg sync.WaitGroup
		before := len(acked)
		for _, a := range batch {
			wg.Go(func() {
				req, _ := http.NewRequest("POST", child.url+"/v1/submissions/"+a.id+"/submit", nil)
				req.Header.Set("Authorization", "Bearer "+a.token)
				req.Header.Set("Idempotency-Key", "crash-"+a.id)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // killed before answering: not acknowledged
				}
				defer resp.Body.Close()
				var body struct {
					Protocol struct {
						Number string `json:"number"`
					} `json:"protocol"`
				}
				if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
					b, _ := io.ReadAll(resp.Body)
					t.Errorf("%s: %d %s", a.org, resp.StatusCode, b)
					return
				}
				if resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&body) == nil && body.Protocol.Number != "" {
					mu.Lock()
					acked[a.id] = body.Protocol.Number
					mu.Unlock()
				}
			})
		}
		// Kill at a random moment: on most iterations once some filings
		// were acknowledged (the rest in flight), on others blindly.
		if it%3 != 2 {
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n > before {
					break
				}
			}
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
		child.kill(t)
		wg.Wait()
		checkAfterCrash(t, dir, start.Add(time.Duration(it)*time.Minute), acked)
	}
	if len(acked) == 0 {
		t.Fatal("no filing was acknowledged in any iteration: the test proved nothing")
	}
	t.Logf("%d iterations, %d filings acknowledged and found after SIGKILL", iterations, len(acked))
}

// crashDrafts makes n Piemonte drafts (each Comune with the Torino
// example's services as its own) in the data directory, before any kill.
func crashDrafts(t *testing.T, dir string, start time.Time, n int) []crashApp {
	t.Helper()
	ctx := context.Background()
	var apps []crashApp
	{
		rt, err := Start(ctx, Config{Addr: "127.0.0.1:0", DataDir: dir, Clock: clock.NewManual(start), Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ex := loadExample(t, "piemonte-torino.json")
		e := &env{t: t, rt: rt, http: http.DefaultClient}
		// Each Comune gets the Torino example's services as its own
		// pre-loaded services (the register is what is under test).
		raw, _ := samples.FS.ReadFile("submissions/demo-registry.json")
		var reg demoRegistry
		if err := json.Unmarshal(raw, &reg); err != nil {
			t.Fatal(err)
		}
		rows := reg.Preloaded
		type draftOf struct{ org, istat string }
		var orgs []draftOf
		for _, cm := range samples.Comuni() {
			if cm.RegionCode == "01" && cm.ISTAT != "001272" && len(orgs) < n {
				orgs = append(orgs, draftOf{"comune:" + cm.ISTAT, cm.ISTAT})
				for _, r := range reg.Preloaded {
					if r.ComuneISTAT == "001272" {
						r.ID, r.ComuneISTAT = cm.ISTAT+"-"+r.ID, cm.ISTAT
						rows = append(rows, r)
					}
				}
			}
		}
		list, err := registry.PreloadedRows(rows)
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.Store.ImportRows(ctx, PiemonteCall, program.ListPreloaded, list); err != nil {
			t.Fatal(err)
		}
		for _, o := range orgs {
			b := editForm(t, ex.Data, func(f *apiclient.PiemonteForm) {
				for i, sv := range deref(f.Services) {
					if id := deref(sv.Id); id != "" {
						(*f.Services)[i].Id = ptr(o.istat + "-" + id)
					}
				}
			})
			tok := rt.Token(auth.Principal{Subject: "clerk-" + o.org, Role: auth.RoleApplicant, Orgs: []string{o.org}})
			apps = append(apps, crashApp{org: o.org, token: tok, id: e.draft(PiemonteCall, tok, o.org, b)})
		}
		rt.Close()
	}

	return apps
}

type crashChild struct {
	cmd *exec.Cmd
	url string
}

func startCrashChild(t *testing.T, dir string, at time.Time, env ...string) *crashChild {
	t.Helper()
	os.Remove(filepath.Join(dir, "url"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.timeout=10m")
	cmd.Env = append(append(os.Environ(), envCrashChild+"="+dir, envCrashClock+"="+at.Format(time.RFC3339Nano)), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, "url")); err == nil {
			return &crashChild{cmd: cmd, url: string(b)}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill() //nolint:errcheck // the child may have exited already: killing it is best effort
	t.Fatal("the child runtime did not start")
	return nil
}

func (c *crashChild) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait() //nolint:errcheck // killed
}

// checkAfterCrash restarts on the data directory and checks every
// acknowledged filing, the register and each filing's audit line and
// receipt: all fatal (issue #11).
func checkAfterCrash(t *testing.T, dir string, at time.Time, acked map[string]string) {
	t.Helper()
	ctx := context.Background()
	rt, err := Start(ctx, Config{Addr: "127.0.0.1:0", DataDir: dir, Clock: clock.NewManual(at), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("restart after SIGKILL: %v", err)
	}
	defer rt.Close()
	if rt.DynamoDB.Recovery.Discarded != nil {
		t.Logf("restart: %s", rt.DynamoDB.Recovery.Discarded)
	}
	// Receipts: recorded in the outbox (each read by its key, current: the
	// pending set comes from the index, which after a restart shows the
	// table a few hundred milliseconds late) and delivered at most once (a
	// file named by the message's key, written before the message is
	// marked sent).
	files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	pending := 0
	// The call's audit trail, read current (its own partition).
	trail, err := rt.Store.CallAudit(ctx, PiemonteCall)
	if err != nil {
		t.Fatal(err)
	}
	for id, number := range acked {
		sub, err := rt.Store.Submission(ctx, id)
		if err != nil || sub.Protocol == nil || sub.Protocol.Number != number || sub.State != submission.Submitted {
			t.Fatalf("acknowledged filing %s (%s) after restart: %+v %v", id, number, sub.Protocol, err)
		}
	}
	// Every stored filing — acknowledged, or whose answer the kill
	// swallowed — has its audit line and its receipt: they are one
	// transaction with it.
	stored, err := rt.Store.CurrentSubmissions(ctx, PiemonteCall)
	if err != nil {
		t.Fatal(err)
	}
	delivered := 0
	for _, sub := range stored {
		if sub.Protocol == nil {
			continue
		}
		id, number := sub.ID, sub.Protocol.Number
		// The audit line is written in the filing transaction: exactly one.
		if n := len(slices.DeleteFunc(slices.Clone(trail), func(e audit.Entry) bool {
			return e.SubmissionID != id || e.Action != "submission.filed" || e.Detail["protocol"] != number
		})); n != 1 {
			t.Fatalf("filing %s (%s) has %d submission.filed audit lines, want exactly 1", id, number, n)
		}
		// The receipt is an outbox item of the same transaction, keyed by
		// the change: pending, or delivered as one file.
		key := txoutbox.ID(id, sub.Version, "receipt")
		m, recorded, err := rt.Store.Message(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		recorded = recorded && strings.Contains(m.Subject, number)
		if recorded && m.Status == txoutbox.Pending {
			pending++
		}
		var sent []string
		for _, f := range files {
			if strings.HasPrefix(filepath.Base(f), key+"-") {
				sent = append(sent, f)
			}
		}
		if len(sent) > 1 {
			t.Fatalf("receipt %s of %s delivered as %d e-mails: %v", key, number, len(sent), sent)
		}
		if len(sent) == 1 {
			delivered++
			if b, _ := os.ReadFile(sent[0]); !strings.Contains(string(b), number) {
				t.Fatalf("receipt %s does not name %s:\n%s", sent[0], number, b)
			}
		}
		if !recorded {
			t.Fatalf("filing %s (%s) has no receipt in the outbox", id, number)
		}
	}
	// The register: no number twice, no gap, across everything stored
	// (filings whose answer the kill swallowed included).
	var seqs []int64
	for _, s := range stored {
		if s.Protocol != nil {
			seqs = append(seqs, s.Protocol.Seq)
		}
	}
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("register after restart: %v — want 1..%d, no number twice, no gap", seqs, len(seqs))
		}
	}
	if len(seqs) < len(acked) {
		t.Fatalf("%d filings stored, %d acknowledged", len(seqs), len(acked))
	}
	fmt.Fprintf(os.Stderr, "crash check: %d acknowledged, %d stored, receipts delivered %d, pending %d\n", len(acked), len(seqs), delivered, pending)
}
