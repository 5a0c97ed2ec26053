// Package server is the local stand-in for AWS: one process serving the
// HTTP API through the very handlers the Lambdas run (as API Gateway v2
// events), over an embedded DynamoDB and S3 reached through the real SDK,
// with an in-process scheduler firing the windows function at the instants
// EventBridge Scheduler would, and demo data of the three seed calls.
package server

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	samples "sportello/events"
	"sportello/infra/local/emulator"
	"sportello/infra/local/s3gate"
	"sportello/shared/allocation"
	"sportello/shared/apigw"
	"sportello/shared/app"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/catalog"
	"sportello/shared/clock"
	"sportello/shared/dynamo"
	"sportello/shared/handlers"
	"sportello/shared/notify"
	txoutbox "sportello/shared/outbox"
	"sportello/shared/pii"
	"sportello/shared/program"
	"sportello/shared/s3blobs"
	"sportello/shared/scheduler"
	"sportello/shared/web"
	"sportello/shared/windows"
)

// Local buckets: uploaded documents, and riparto exports.
const (
	DocumentsBucket = "sportello-documents"
	ExportsBucket   = "sportello-exports"
)

// LocalOffices are the Regions' office mailboxes of the local runtime,
// one per Region of the catalog, e.g. ufficio.lom@regione.example.it
// (their messages land in the outbox like every other).
var LocalOffices = func() map[string]string {
	out := map[string]string{}
	for code := range program.Programs(catalog.All()).Regions() {
		out[code] = "ufficio." + strings.ToLower(code) + "@regione.example.it"
	}
	return out
}()

// Config of a runtime.
type Config struct {
	Addr    string      // HTTP API address, e.g. "127.0.0.1:8080"
	DataDir string      // persistent state; "" keeps everything in memory
	Clock   clock.Clock // nil: system clock
	Log     *slog.Logger
	// ReconcileEvery is the period of the windows reconcile (the cloud's
	// periodic schedule); 0 means 30 s.
	ReconcileEvery time.Duration
	// NoSeed skips the demo calls.
	NoSeed bool
	// OutboxDir receives the e-mails; default DataDir/outbox (a temporary
	// directory when DataDir is empty).
	OutboxDir string
	// RelayBesideAnswer delivers a request's outbox messages beside its
	// answer instead of before it. Locally the answer waits for the relay
	// by default, so a change's e-mails are in the outbox directory when a
	// clerk (or a test) looks; in the cloud the answer never waits for the
	// stream-driven relay. The rush bench sets it to time submit as the
	// cloud answers it.
	RelayBesideAnswer bool
	// DynamoDBURL, if set, is an embedded DynamoDB already running in
	// another process (emulator.ClientFor); the runtime starts none and
	// Runtime.DynamoDB is nil. Without the in-process stream stand-in the
	// relay delivers on its timer. The rush bench uses it so that the
	// emulated table's memory is not the product's.
	DynamoDBURL string
}

// Runtime is a running local sportello.
type Runtime struct {
	URL       string
	Store     *dynamo.Store
	DynamoDB  *emulator.DynamoDB
	S3        *emulator.S3
	Keys      *auth.Keys
	Clock     clock.Clock
	App       *app.App // the same constructor the Lambdas use
	Scheduler *scheduler.Local
	Router    *apigw.Router
	Blobs     *s3blobs.Blobs
	Exports   *s3blobs.Blobs
	allocWG   sync.WaitGroup
	intakeWG  sync.WaitGroup
	OutboxDir string
	Seeded    Seeded
	srv       *http.Server
	stop      chan struct{}
	// Relay delivers the outbox (e-mails) at least once.
	Relay     *txoutbox.Relay
	stopRelay context.CancelFunc
	// streamed holds the outbox messages the stream reported since the
	// last drainOutbox.
	streamMu sync.Mutex
	streamed []string
}

// drainOutbox delivers what the last requests wrote to the outbox, as
// the embedded DynamoDB's stream reported it (the cloud's relay reads the
// table's stream, which has no index lag); what fails stays pending for
// the relay's next round.
func (rt *Runtime) drainOutbox() {
	rt.streamMu.Lock()
	ids := rt.streamed
	rt.streamed = nil
	rt.streamMu.Unlock()
	if len(ids) == 0 {
		return
	}
	if _, err := rt.Relay.Written(context.Background(), ids); err != nil {
		rt.Relay.Log.Warn("outbox delivery incomplete", "error", txoutbox.LogSafe(err))
	}
}

// drainBeside returns a trigger that has drainOutbox run on its own
// goroutine: requests that end while a drain runs are served by the next
// one, so drains never pile up behind the answers.
func (rt *Runtime) drainBeside(ctx context.Context) func() {
	kick := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
				rt.drainOutbox()
			}
		}
	}()
	return func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
}

// streamOutbox notes each outbox message a write created (the stream's
// record of a new item, as the cloud's relay filters it), for
// drainOutbox. A message's later changes (sent, a failed attempt) are not
// delivery requests: a failed one waits for the relay's next round.
func (rt *Runtime) streamOutbox(change, _, pk, _ string) {
	id, ok := dynamo.OutboxID(pk)
	if change != "Put" || !ok {
		return
	}
	rt.streamMu.Lock()
	rt.streamed = append(rt.streamed, id)
	rt.streamMu.Unlock()
}

// Start brings everything up.
func Start(ctx context.Context, cfg Config) (*Runtime, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(os.Stdout, nil))
	}
	if cfg.ReconcileEvery == 0 {
		cfg.ReconcileEvery = 30 * time.Second
	}
	rt := &Runtime{Clock: cfg.Clock, stop: make(chan struct{})}
	var err error
	url := cfg.DynamoDBURL
	if url == "" {
		if rt.DynamoDB, err = emulator.StartDynamoDB("127.0.0.1:0", cfg.DataDir); err != nil {
			return nil, err
		}
		url = rt.DynamoDB.URL
	}
	db := emulator.ClientFor(url)
	creds, _ := emulator.Credentials.Retrieve(ctx)
	gate := &s3gate.Gate{Credentials: creds, Region: emulator.Region, Log: cfg.Log,
		OnObjectCreated: func(bucket, key string, size int64) { rt.objectCreated(key) }}
	if rt.S3, err = emulator.StartS3("127.0.0.1:0", cfg.DataDir, func(h http.Handler) http.Handler { gate.Backend = h; return gate }); err != nil {
		return nil, err
	}
	rt.Store = dynamo.New(db, "sportello")
	if err := rt.Store.CreateTable(ctx); err != nil {
		return nil, err
	}
	key, err := loadKey(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	rt.Keys = auth.NewKeys(key, cfg.Clock.Now)

	rt.Scheduler = &scheduler.Local{Clock: cfg.Clock, Log: cfg.Log, Fire: rt.fireWindows}

	rt.Blobs = &s3blobs.Blobs{Client: rt.S3.Client(), Bucket: DocumentsBucket}
	if err := rt.Blobs.EnsureBucket(ctx); err != nil {
		return nil, err
	}
	rt.OutboxDir = cfg.OutboxDir
	if rt.OutboxDir == "" {
		if cfg.DataDir != "" {
			rt.OutboxDir = filepath.Join(cfg.DataDir, "outbox")
		} else if rt.OutboxDir, err = os.MkdirTemp("", "sportello-outbox"); err != nil {
			return nil, err
		}
	}
	rt.Exports = &s3blobs.Blobs{Client: rt.S3.Client(), Bucket: ExportsBucket}
	if err := rt.Exports.EnsureBucket(ctx); err != nil {
		return nil, err
	}
	piiKey, err := loadPIIKey(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	box, err := pii.NewBox(piiKey)
	if err != nil {
		return nil, err
	}
	rt.App = app.New(app.Ports{
		Store:      rt.Store,
		PII:        box,
		Registries: &dynamo.RegistrySource{Store: rt.Store, Comuni: samples.Comuni, TTL: time.Minute},
		Blobs:      rt.Blobs,
		Exports:    rt.Exports,
		Scheduler:  rt.Scheduler,
		Mailer:     notify.Mailer{Offices: LocalOffices},
		Clock:      cfg.Clock,
		Log:        cfg.Log,
	})
	if rt.Router, err = handlers.Router(rt.App); err != nil {
		return nil, err
	}
	// The outbox relay: the same code the cloud's stream function runs.
	// E-mails land in the outbox directory (named by their key: a
	// redelivery rewrites the same file); FundsAnnounced starts the
	// allocation as EventBridge would. It runs after each request, every
	// 500 ms, and at once at start, which delivers what a crash left pending.
	rt.Relay = &txoutbox.Relay{Store: rt.Store, Mail: notify.Courier{Sender: notify.Outbox{Dir: rt.OutboxDir, Clock: cfg.Clock, Log: cfg.Log}},
		Events: localBus{rt}, Clock: cfg.Clock, Log: cfg.Log}
	if rt.DynamoDB != nil {
		rt.DynamoDB.OnWrite(rt.streamOutbox)
	}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	rt.stopRelay = stopRelay
	go rt.Relay.Run(relayCtx, nil, 500*time.Millisecond)

	if !cfg.NoSeed {
		if rt.Seeded, err = seed(ctx, rt.Store, cfg.Clock); err != nil {
			return nil, fmt.Errorf("seed demo data: %w", err)
		}
	}
	calls, err := rt.Store.Calls(ctx)
	if err != nil {
		return nil, err
	}
	// The index lists a call a few hundred milliseconds after it is
	// created: the calls just seeded are scheduled from what seeding read
	// back (consistently), not from the listing alone.
	for _, c := range rt.Seeded.Calls {
		if !slices.ContainsFunc(calls, func(l call.Call) bool { return l.ID == c.ID }) {
			calls = append(calls, c)
		}
	}
	for _, c := range calls {
		if err := rt.App.Windows.Schedule(ctx, c); err != nil {
			return nil, err
		}
	}
	if err := rt.App.Windows.ReconcileCalls(ctx, calls); err != nil {
		cfg.Log.Error("startup reconcile failed", "error", err.Error())
	}
	go rt.reconcileLoop(cfg.ReconcileEvery, cfg.Log)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	rt.URL = "http://" + ln.Addr().String()
	gate.AllowOrigin(rt.URL) // the web pages upload straight to S3
	// The web interface signs in with the dev token issuer and uploads
	// straight to the local S3, as it does to the bucket in the cloud.
	webRouter, err := web.Router(web.Config{SignIn: "dev", Connect: []string{rt.S3.URL}, Regions: rt.App.Programs.Regions()}, cfg.Log)
	if err != nil {
		return nil, err
	}
	relay := rt.drainOutbox
	if cfg.RelayBesideAnswer {
		relay = rt.drainBeside(relayCtx)
	}
	rt.srv = &http.Server{Handler: &front{router: rt.Router, web: webRouter, keys: rt.Keys, now: cfg.Clock.Now, dev: devToken(rt.Keys, rt.App.Programs.Regions()), relay: relay},
		ReadHeaderTimeout: 10 * time.Second}
	go rt.srv.Serve(ln) //nolint:errcheck // ends with Close
	return rt, nil
}

// objectCreated plays S3 → documents function: asynchronously, once per
// object.
func (rt *Runtime) objectCreated(key string) {
	at := rt.Clock.Now() // S3's event time: when the bytes were stored
	rt.intakeWG.Add(1)
	go func() {
		defer rt.intakeWG.Done()
		if err := rt.App.Intake.Object(context.Background(), key, at); err != nil {
			rt.App.Intake.Log.Error("documents function failed", "error", err.Error())
		}
	}()
}

// localBus plays EventBridge for the relay's events.
type localBus struct{ rt *Runtime }

// Deliver publishes an outbox event: FundsAnnounced starts its run.
func (b localBus) Deliver(ctx context.Context, m txoutbox.Message) error {
	if m.Event != allocation.FundsAnnouncedEvent {
		return fmt.Errorf("publish %s: %w", m.Event, txoutbox.ErrNoConsumer)
	}
	return b.rt.FundsAnnounced(ctx, m.Detail["callId"], m.Detail["allocationId"])
}

// FundsAnnounced plays EventBridge → allocation function: asynchronously,
// with Lambda's retries of a failed asynchronous invocation (two more, after
// a pause), and a run held by another worker's lease tried again once the
// lease runs out. A second delivery of the same run finds it taken or
// finished (the consumer's de-duplication).
func (rt *Runtime) FundsAnnounced(_ context.Context, callID, runID string) error {
	select {
	case <-rt.stop:
		return errors.New("the runtime is stopping")
	default:
	}
	rt.allocWG.Add(1)
	go func() {
		defer rt.allocWG.Done()
		rt.executeRun(runID)
	}()
	return nil
}

func (rt *Runtime) executeRun(runID string) {
	failures := 0
	for {
		err := rt.App.Allocation.Announced(context.Background(), runID)
		var held *allocation.LeaseHeld
		switch {
		case err == nil:
			return
		case errors.As(err, &held):
			wait := held.Until.Sub(rt.Clock.Now()) + 10*time.Millisecond
			select {
			case <-time.After(min(wait, time.Minute)):
			case <-rt.stop:
				return
			}
		default:
			failures++
			rt.App.Allocation.Log.Error("allocation function failed", "allocation", runID, "error", err.Error(), "attempt", failures)
			if failures > 2 {
				return
			}
			select {
			case <-time.After(time.Duration(failures) * 100 * time.Millisecond):
			case <-rt.stop:
				return
			}
		}
	}
}

// WaitAllocations waits for the riparti announced so far.
func (rt *Runtime) WaitAllocations() { rt.allocWG.Wait() }

// WaitDocuments waits until every ObjectCreated delivered so far was handled.
func (rt *Runtime) WaitDocuments() { rt.intakeWG.Wait() }

// fireWindows is what the scheduler invokes: the windows function's handler.
func (rt *Runtime) fireWindows(ctx context.Context, payload []byte) error {
	ev, err := windows.DecodeEvent(payload)
	if err != nil {
		return err
	}
	return rt.App.Windows.Handle(ctx, ev)
}

func (rt *Runtime) reconcileLoop(every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-rt.stop:
			return
		case <-t.C:
			if err := rt.App.Windows.Reconcile(context.Background()); err != nil {
				log.Error("reconcile failed", "error", err.Error())
			}
		}
	}
}

// Token issues a token (for tests and the printed examples).
func (rt *Runtime) Token(p auth.Principal) string {
	tok, err := rt.Keys.Issue(p, 8*time.Hour)
	if err != nil {
		panic(err)
	}
	return tok
}

// Close stops everything.
func (rt *Runtime) Close() error {
	close(rt.stop)
	rt.stopRelay()
	rt.Scheduler.Stop()
	var errs []error
	if rt.srv != nil {
		errs = append(errs, rt.srv.Close())
	}
	errs = append(errs, rt.S3.Close())
	if rt.DynamoDB != nil {
		errs = append(errs, rt.DynamoDB.Close())
	}
	return errors.Join(errs...)
}

// loadPIIKey reads the key that seals personal data (shared/pii) from the
// data directory, making it on first start; without a directory, a key
// for this process only.
func loadPIIKey(dir string) ([]byte, error) {
	if dir == "" {
		return pii.NewKey(), nil
	}
	path := filepath.Join(dir, "pii.key")
	if b, err := os.ReadFile(path); err == nil {
		return pii.ParseKey(strings.TrimSpace(string(b)))
	}
	k := pii.NewKey()
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("save pii key: %w", err)
	}
	return k, nil
}

func loadKey(dir string) (*ecdsa.PrivateKey, error) {
	if dir == "" {
		return auth.GenerateKey()
	}
	path := filepath.Join(dir, "jwt-signing-key.pem")
	if b, err := os.ReadFile(path); err == nil {
		return auth.ParseKey(b)
	}
	k, err := auth.GenerateKey()
	if err != nil {
		return nil, err
	}
	b, err := auth.MarshalKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("save key: %w", err)
	}
	return k, nil
}
