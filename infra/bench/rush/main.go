// Command rush replays the last minute before noon on the AWS-faithful
// model of DynamoDB (infra/local/emulator, SPORTELLO_DYNAMODB_MODEL=aws):
//
//   - Rush A: every one of the 1,506 Lombard Comuni of the ISTAT list
//     files on the Lombardy call;
//   - Rush B: every one of the 7,904 Italian Comuni of the ISTAT list
//     files on one Region's register (a national call: Lombardy's forms,
//     with every Comune of Italy as the call's territory),
//
// each without and with 5 % of DynamoDB requests failing (throttling,
// internal errors, responses lost after the write). Each Comune presses
// "Invia" once at an instant drawn uniformly from the last minute before
// noon (an open arrival process on a clock running at real speed from
// 11:59:00); 100 more press it just after noon. Each client retries a 5xx
// or a broken connection with the same Idempotency-Key. Beside each rush,
// the floor: one raw single-item TransactWriteItems at each of the same
// instants (the same offered load, so the same concurrency) on the same
// model. It prints one table: accepted, on-time refused, lost, duplicated,
// gaps, late accepted, 5xx seen by clients, client retries, submit p50/p99,
// and p99(submit)/p99(raw). A broken guarantee makes it exit 1, with the
// server's last warnings and errors.
//
// The drafts and their verified documents are written before the rush on
// the plain model (setup is not what is measured, and the plain model
// writes it in seconds); the rush itself runs on the AWS model.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	samples "sportello/events"
	"sportello/infra/apiclient"
	"sportello/infra/local/emulator"
	"sportello/infra/local/server"
	"sportello/shared/auth"
	"sportello/shared/clock"
	"sportello/shared/document"
	"sportello/shared/ident"
	"sportello/shared/program"
	"sportello/shared/program/lombardia"
	"sportello/shared/registry"
	"sportello/shared/submission"
)

// workers write the drafts before the rush.
const workers = 64

var cpuProfile, memProfile string

type scenario struct {
	name     string
	national bool
	faults   float64
}

type result struct {
	scenario
	apps                                         int
	accepted, onTimeRefused, lost, dups, gaps    int
	lateRefused, lateTried, lateAccepted         int
	fiveXX, retries, injected                    int64
	p50, p90, p95, p99, rawP50, rawP99, rushTime time.Duration
	setupTime                                    time.Duration
	inFlight, rawInFlight                        float64
	lastAnswer                                   time.Time
	gcs, dbGCs                                   uint32
	heapMB, dbHeapMB                             uint64
	err                                          error
	requests                                     []string // DynamoDB requests per filing, by operation
}

func main() {
	limit := flag.Int("n", 0, "file for only the first n Comuni of each rush (0: all)")
	only := flag.String("rush", "", "run only rush A or B (default both)")
	durable := flag.Bool("durable", false, "rush A only, keeping state on disk (journal with group commit, snapshots), then report the restart after the rush")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of each rush (the timed part only; server, emulator and clients share the process) to this path + -A0, -A5, -B0, -B5")
	flag.StringVar(&memProfile, "memprofile", "", "write a heap profile at the end of each rush to this path + -A0, -A5, -B0, -B5")
	child := flag.Bool(childFlag, false, "serve the emulated DynamoDB for a parent rush process (remote.go)")
	flag.Parse()
	if *child {
		if err := serveChild(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *durable {
		*only = "A"
	}
	var scenarios []scenario
	for _, s := range []scenario{{"A", false, 0}, {"A", false, 0.05}, {"B", true, 0}, {"B", true, 0.05}} {
		if (*only == "" || strings.EqualFold(*only, s.name)) && (!*durable || s.faults == 0) {
			scenarios = append(scenarios, s)
		}
	}
	var results []result
	failed := false
	for _, s := range scenarios {
		r := run(s, *limit, *durable)
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "rush %s (faults %.0f%%): %v\n", s.name, s.faults*100, r.err)
			failed = true
		}
		results = append(results, r)
	}
	printResults(results)
	if failed {
		os.Exit(1)
	}
}

func printResults(rs []result) {
	m := emulator.AWS()
	fmt.Printf("\nNoon rush on the AWS-faithful DynamoDB model (transaction holds its items %s, single write %s; %g WCU / %g RCU a partition; GSI lag %s): each Comune files once at a random instant of 11:59:00–11:59:59.5 on 10/09/2025, 100 more just after noon\n",
		m.TxHold, m.WriteHold, m.PartitionWCU, m.PartitionRCU, m.GSILag)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rush\tfaults\tComuni\taccepted\ton-time refused\tlost\tduplicated\tgaps\tlate accepted\t5xx seen\tclient retries\tfaults injected\tsubmit p50\tsubmit p99\traw tx p99\tp99 ratio\tin flight (submit/raw)\tlast answer\t")
	for _, r := range rs {
		ratio := 0.0
		if r.rawP99 > 0 {
			ratio = float64(r.p99) / float64(r.rawP99)
		}
		fmt.Fprintf(tw, "%s\t%.0f%%\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%.1f\t%.1f/%.2f\t%s\t\n", r.name, r.faults*100, r.apps, r.accepted, r.onTimeRefused,
			r.lost, r.dups, r.gaps, r.lateAccepted, r.fiveXX, r.retries, r.injected, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond),
			r.rawP99.Round(time.Microsecond), ratio, r.inFlight, r.rawInFlight, r.lastAnswer.In(clock.Rome).Format("15:04:05.000"))
	}
	_ = tw.Flush() // stdout: nothing to do if it fails
	for _, r := range rs {
		fmt.Printf("rush %s %.0f%%: submit p90 %s, p95 %s; DynamoDB requests per filing: %s; %d garbage collections in the product's process during the rush (heap %d MB after it), %d in the emulator's (GOGC %d, heap %d MB)\n",
			r.name, r.faults*100, r.p90.Round(time.Microsecond), r.p95.Round(time.Microsecond), strings.Join(r.requests, ", "), r.gcs, r.heapMB, r.dbGCs, childGCPercent, r.dbHeapMB)
	}
	fmt.Println("Goal: ratio ≤ 3 for rush A, ≤ 5 for rush B; every row 0 lost, 0 duplicated, 0 gaps, 0 late accepted, 0 5xx. See docs/performance.md.")
}

type app struct {
	org, token, id string
}

// national gives the Lombardy call every Comune of Italy as its territory.
type national struct{ inner submission.Registries }

func (n national) Registry(ctx context.Context, callID string) (program.Registry, error) {
	r, err := n.inner.Registry(ctx, callID)
	return nationalRegistry{r}, err
}

type nationalRegistry struct{ program.Registry }

func (n nationalRegistry) Comune(istat string) (program.Comune, bool) {
	c, ok := n.Registry.Comune(istat)
	c.RegionCode = "03"
	return c, ok
}

func run(s scenario, limit int, durable bool) (res result) {
	res.scenario = s
	ctx := context.Background()
	noon := clock.InRome(2025, 9, 10, 12, 0)
	// A clock that runs at real speed: set up at leisure two hours before
	// noon, then jump to 11:59:00 when the rush starts, so that the last
	// filings race noon as they would.
	clk := clock.StartAt(noon.Add(-2 * time.Hour))
	dataDir := ""
	var err error
	if durable {
		if dataDir, err = os.MkdirTemp("", "rush-durable-"); err != nil {
			res.err = err
			return res
		}
		defer os.RemoveAll(dataDir)
	}
	// The server's warnings and errors are kept, to print the cause of any
	// 5xx or broken guarantee beside the row.
	logs := &tail{max: 200}
	// The emulated DynamoDB runs in its own process (remote.go), except for
	// the durable rush, whose restart report works on the store's files.
	var db dynamoControl
	dbURL := ""
	if !durable {
		child, err := startChild()
		if err != nil {
			res.err = err
			return res
		}
		defer child.Close()
		db, dbURL = child, child.URL
	}
	rt, err := server.Start(ctx, server.Config{Addr: "127.0.0.1:0", Clock: clk, DataDir: dataDir, RelayBesideAnswer: true, DynamoDBURL: dbURL,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		res.err = err
		return res
	}
	defer rt.Close()
	if durable {
		db, dbURL = localDB{rt.DynamoDB}, rt.DynamoDB.URL
	}
	if err := db.SetModel("plain"); err != nil {
		res.err = err
		return res
	}
	c, err := apiclient.New(rt.URL, nil)
	if err != nil {
		res.err = err
		return res
	}

	var apps []app
	var comuni []program.Comune
	for _, cm := range samples.Comuni() {
		if s.national || cm.RegionCode == "03" {
			comuni = append(comuni, cm)
		}
	}
	if limit > 0 && limit < len(comuni) {
		comuni = comuni[:limit]
	}
	if s.national {
		var facilities []program.Facility
		for _, cm := range comuni {
			if cm.RegionCode != "03" {
				facilities = append(facilities, server.DemoFacility(cm))
			}
		}
		rows, err := registry.FacilityRows(facilities)
		if err != nil {
			res.err = err
			return res
		}
		if err := rt.Store.ImportRows(ctx, server.LombardiaCall, program.ListFacilities, rows); err != nil {
			res.err = err
			return res
		}
		rt.App.Submissions.Registries = national{rt.App.Submissions.Registries}
	}
	res.apps = len(comuni)
	setupStart := time.Now()
	apps, late, err := setup(ctx, rt, c, comuni)
	if err != nil {
		res.err = fmt.Errorf("setup: %w", err)
		return res
	}
	res.setupTime = time.Since(setupStart)

	// The floor meets the same model and the same faults as the rush.
	if err := errors.Join(db.SetModel("aws"), db.SetFaults(s.faults)); err != nil {
		res.err = err
		return res
	}
	arrivals := schedule(len(apps), rushSpan)
	raw := rawAt(ctx, emulator.ClientFor(dbURL), rt.Store.Table(), arrivals)
	res.rawP50, res.rawP99, res.rawInFlight = pct(raw, 50), pct(raw, 99), inFlight(raw, rushSpan)
	before, err := db.Stats()
	if err != nil {
		res.err = err
		return res
	}
	type outcome struct {
		status  int
		number  string
		arrival time.Time
		latency time.Duration
		answer  time.Time
	}
	results := make([]outcome, len(apps))
	var fiveXX, retries atomic.Int64
	lastErr := make([]error, len(apps))
	if cpuProfile != "" {
		f, err := os.Create(fmt.Sprintf("%s-%s%.0f", cpuProfile, s.name, s.faults*100))
		if err == nil {
			defer f.Close()
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			res.err = err
			return res
		}
	}
	// submit presses "Invia" for a, retrying a 5xx or a broken connection
	// with the same Idempotency-Key, as the web page does.
	submit := func(a app, key string) (int, *apiclient.SubmitSubmissionResponse, error) {
		var err error
		for attempt := 0; attempt < 100; attempt++ {
			if attempt > 0 {
				retries.Add(1)
				time.Sleep(10 * time.Millisecond)
			}
			var r *apiclient.SubmitSubmissionResponse
			r, err = c.SubmitSubmissionWithResponse(ctx, a.id, &apiclient.SubmitSubmissionParams{IdempotencyKey: &key}, apiclient.SubmitSubmissionJSONRequestBody{}, apiclient.Bearer(a.token))
			if err != nil {
				continue
			}
			if r.StatusCode() >= 500 {
				fiveXX.Add(1)
				continue
			}
			return r.StatusCode(), r, nil
		}
		return 0, nil, err
	}
	// The 100 late ones press "Invia" just after noon, while the rush's
	// last filings may still be in flight.
	lateAt := make([]time.Duration, len(late))
	for i := range lateAt {
		lateAt[i] = time.Minute + lateMargin + time.Duration(i)*10*time.Millisecond
	}
	lateStatus := make([]int, len(late))
	lateProblem := make([]string, len(late))
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	clk.Jump(noon.Add(-time.Minute))
	rushStart := time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		atSchedule(rushStart, arrivals, func(i int) {
			a := apps[i]
			start, arrival := time.Now(), clk.Now()
			status, r, err := submit(a, "k-"+a.id)
			if err != nil {
				lastErr[i] = err
				return
			}
			results[i] = outcome{status: status, arrival: arrival, latency: time.Since(start), answer: clk.Now()}
			if r.JSON200 != nil && r.JSON200.Protocol != nil {
				results[i].number = r.JSON200.Protocol.Number
			} else if arrival.Before(noon) {
				fmt.Fprintf(os.Stderr, "%s refused: %d %.300s\n", a.org, status, r.Body)
			}
		})
	}()
	go func() {
		defer wg.Done()
		atSchedule(rushStart, lateAt, func(i int) {
			status, r, err := submit(late[i], "late-"+late[i].id)
			if err != nil {
				return
			}
			lateStatus[i] = status
			if r.ApplicationproblemJSON409 != nil {
				lateProblem[i] = string(r.ApplicationproblemJSON409.Code)
			}
		})
	}()
	wg.Wait()
	res.rushTime = time.Since(rushStart)
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	res.gcs, res.heapMB = ms1.NumGC-ms0.NumGC, ms1.HeapAlloc>>20
	if memProfile != "" {
		if err := writeHeapProfile(fmt.Sprintf("%s-%s%.0f", memProfile, s.name, s.faults*100)); err != nil {
			res.err = err
			return res
		}
	}
	after, err := db.Stats()
	if err != nil {
		res.err = err
		return res
	}
	for op, n := range after.Requests {
		if d := n - before.Requests[op]; d > 0 {
			res.requests = append(res.requests, fmt.Sprintf("%s %.2f", op, float64(d)/float64(len(apps))))
		}
	}
	slices.Sort(res.requests)
	pprof.StopCPUProfile() // a no-op without -cpuprofile
	res.injected = after.Injected - before.Injected
	res.dbGCs, res.dbHeapMB = after.GCs-before.GCs, after.HeapMB
	if err := db.SetFaults(0); err != nil {
		res.err = err
		return res
	}
	res.fiveXX, res.retries = fiveXX.Load(), retries.Load()
	res.lateTried = len(late)
	for i := range late {
		switch {
		case lateStatus[i] == http.StatusConflict && lateProblem[i] == string(apiclient.Problem409CodeWindowClosed):
			res.lateRefused++
		case lateStatus[i] == http.StatusOK:
			res.lateAccepted++
		}
	}

	// Accounting against the stored state, read consistently.
	var lat []time.Duration
	var seqs []int64
	for i, o := range results {
		stored, err := rt.Store.Submission(ctx, apps[i].id)
		if err != nil {
			res.err = err
			return res
		}
		filed := stored.Protocol != nil
		if o.answer.After(res.lastAnswer) {
			res.lastAnswer = o.answer
		}
		switch {
		case o.status == http.StatusOK && filed && stored.Protocol.Number == o.number:
			res.accepted++
			seqs = append(seqs, stored.Protocol.Seq)
			lat = append(lat, o.latency)
			// The register keeps milliseconds; the server takes the request
			// a moment after the client sent it.
			if d := stored.Protocol.At.Sub(o.arrival.Truncate(time.Millisecond)); d < 0 || d > time.Second {
				res.err = fmt.Errorf("%s: filed at %s, sent at %s: the filing time is not the arrival", apps[i].id, stored.Protocol.At, o.arrival)
			}
		case o.status != http.StatusOK && !filed && !o.arrival.IsZero() && o.arrival.Before(noon):
			res.onTimeRefused++
		default:
			res.lost++
			if res.lost <= 3 {
				fmt.Fprintf(os.Stderr, "%s: answered %d (%q), stored filed=%v; last client error: %v\n", apps[i].id, o.status, o.number, filed, lastErr[i])
			}
		}
	}
	slices.Sort(seqs)
	for i := range seqs {
		if i > 0 && seqs[i] == seqs[i-1] {
			res.dups++
		}
	}
	seqs = slices.Compact(seqs)
	for i, q := range seqs {
		if q != int64(i+1) {
			res.gaps++
		}
	}
	if n, err := rt.Store.ProtocolCounter(ctx, server.LombardiaCall); err != nil || n != int64(len(seqs)) {
		res.gaps += int(max(0, n-int64(len(seqs)))) // numbers taken that no application holds
	}
	slices.Sort(lat)
	res.p90, res.p95 = pct(lat, 90), pct(lat, 95)
	res.p50, res.p99, res.inFlight = pct(lat, 50), pct(lat, 99), inFlight(lat, rushSpan)
	if durable {
		if err := restartReport(ctx, rt, dataDir, arrivals, raw); err != nil {
			res.err = err
			return res
		}
	}
	if res.onTimeRefused+res.lost+res.dups+res.gaps+res.lateAccepted > 0 || res.fiveXX > 0 || res.lateRefused != res.lateTried || res.accepted != len(apps) {
		res.err = errors.Join(res.err, fmt.Errorf("a guarantee failed: accepted %d of %d, on-time refused %d, lost %d, duplicated %d, gaps %d, late accepted %d, late refused %d of %d, 5xx %d",
			res.accepted, len(apps), res.onTimeRefused, res.lost, res.dups, res.gaps, res.lateAccepted, res.lateRefused, res.lateTried, res.fiveXX))
	}
	if res.err != nil || res.fiveXX > 0 {
		fmt.Fprintf(os.Stderr, "rush %s (faults %.0f%%): the server's last warnings and errors:\n%s", s.name, s.faults*100, logs.String())
	}
	return res
}

// setup writes, on the plain model, a draft per Comune (through the
// application service, as the API would) and its five verified documents
// (straight to the store: the verification pipeline is not what is
// measured), plus 100 drafts to be sent after noon.
func setup(ctx context.Context, rt *server.Runtime, c *apiclient.API, comuni []program.Comune) (apps, late []app, err error) {
	tmpl, err := samples.FS.ReadFile("submissions/lombardia-milano.json")
	if err != nil {
		return nil, nil, err
	}
	var ex struct {
		Data apiclient.LombardiaForm `json:"data"`
	}
	if err := json.Unmarshal(tmpl, &ex); err != nil {
		return nil, nil, err
	}
	if ex.Data.Entity == nil || ex.Data.Facilities == nil || len(*ex.Data.Facilities) == 0 {
		return nil, nil, errors.New("the Milano example has no entity or facility to copy")
	}
	fees := (*ex.Data.Facilities)[0].Fees
	signed, _ := samples.FS.ReadFile("files/signed.p7m")
	sum := sha256.Sum256(signed)
	apps = make([]app, len(comuni))
	late = make([]app, min(100, len(comuni)))
	err = parallel(len(comuni), func(i int) error {
		cm := comuni[i]
		org := "comune:" + cm.ISTAT
		p := auth.Principal{Subject: "clerk-" + org, Role: auth.RoleApplicant, Orgs: []string{org}}
		// The Milano form with this Comune's name and one nido of its own
		// (the typed form of the OpenAPI document: copies, never shared).
		data := ex.Data
		entity := *ex.Data.Entity
		name, province := "Comune di "+cm.Name, cm.Province
		entity.Name, entity.Province = &name, &province
		data.Entity = &entity
		afam, nido, address, places, public := "AFAM-"+cm.ISTAT+"-DEMO", "Nido comunale", "Piazza del Municipio 1", 30, true
		data.Facilities = &[]apiclient.LombardiaFacility{{AfamUdos: &afam, Name: &nido, Address: &address, AuthorisedPlaces: &places, Public: &public, Fees: fees}}
		raw, err := json.Marshal(data)
		if err != nil {
			return err
		}
		sub, _, err := rt.App.Submissions.Create(ctx, &p, server.LombardiaCall, org, raw, "", lombardia.New().PrivacyNotice().Version)
		if err != nil {
			return fmt.Errorf("draft for %s: %w", org, err)
		}
		apps[i] = app{org: org, token: rt.Token(p), id: sub.ID}
		// The signed A1 must cover the A1 generated from this draft.
		r, err := c.GetSummaryWithResponse(ctx, sub.ID, apiclient.Bearer(apps[i].token))
		if err != nil {
			return fmt.Errorf("summary of %s: %w", sub.ID, err)
		}
		if r.StatusCode() != http.StatusOK {
			return fmt.Errorf("summary of %s: %d", sub.ID, r.StatusCode())
		}
		a1 := sha256.Sum256(r.Body)
		for _, kind := range []string{"delibera_giunta", "delibera_tariffe", "regolamento_or_carta", "allegato_a3", "allegato_a1_signed"} {
			id := ident.New("doc")
			d := document.Document{ID: id, SubmissionID: sub.ID, CallID: sub.CallID, Org: org, Region: sub.Region, Kind: kind, Filename: "firmato.p7m",
				ContentType: "application/pkcs7-mime", Size: int64(len(signed)), SHA256: hex.EncodeToString(sum[:]), Key: "bench/" + id,
				Status: document.Verified, Detected: "p7m", Signers: []string{"Firmatario di prova"}, SignatureChecked: true,
				SignedContent: []string{hex.EncodeToString(sum[:])}, CreatedAt: time.Now().UTC(), CreatedBy: p.Subject}
			if kind == "allegato_a1_signed" {
				d.SignedContent = []string{hex.EncodeToString(a1[:])}
			}
			if err := rt.Store.CreateDocument(ctx, d); err != nil {
				return err
			}
		}
		if i < len(late) {
			again, _, err := rt.App.Submissions.Create(ctx, &p, server.LombardiaCall, org, raw, "", lombardia.New().PrivacyNotice().Version)
			late[i] = app{org: org, token: apps[i].token, id: again.ID}
			return err
		}
		return nil
	})
	return apps, late, err
}

// rawAt is the floor beside each rush: one single-item TransactWriteItems
// at each instant the rush's filings arrive (the same offered load, so the
// same concurrency the store sees), on the same model.
func rawAt(ctx context.Context, db *dynamodb.Client, table string, at []time.Duration) []time.Duration {
	lat := make([]time.Duration, len(at))
	run := ident.New("run")
	atSchedule(time.Now(), at, func(i int) {
		lat[i] = rawOne(ctx, db, table, fmt.Sprintf("BENCH#%s#%d", run, i))
	})
	return sorted(lat)
}

// rawOne times one conditional put of a new item in a transaction; 0 if
// it failed.
func rawOne(ctx context.Context, db *dynamodb.Client, table, pk string) time.Duration {
	item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "META"}}
	start := time.Now()
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	if err != nil {
		return 0
	}
	return time.Since(start)
}

func sorted(lat []time.Duration) []time.Duration {
	lat = slices.DeleteFunc(lat, func(d time.Duration) bool { return d == 0 })
	slices.Sort(lat)
	return lat
}

// rushSpan is the last minute before noon, less a margin: a filing is
// sent at least lateMargin before noon, so that the client's own delay in
// sending cannot make an on-time filing late (the late ones are sent
// lateMargin after noon, for the same reason).
const (
	lateMargin = 500 * time.Millisecond
	rushSpan   = time.Minute - lateMargin
)

// schedule gives n arrival instants spread uniformly at random over
// [0, span), sorted (a fixed seed: every run replays the same minute).
func schedule(n int, span time.Duration) []time.Duration {
	r := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // a reproducible load, not a secret
	at := make([]time.Duration, n)
	for i := range at {
		at[i] = time.Duration(r.Int64N(int64(span)))
	}
	slices.Sort(at)
	return at
}

// atSchedule runs f(i) at start+at[i], each on its own goroutine (an
// open arrival process: a late answer does not delay the next arrival),
// and waits for all.
func atSchedule(start time.Time, at []time.Duration, f func(i int)) {
	var wg sync.WaitGroup
	for i, d := range at {
		time.Sleep(time.Until(start.Add(d)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	wg.Wait()
}

// inFlight is the mean number of requests in flight over span (Little's
// law: the sum of the latencies over the time they were spread over).
func inFlight(lat []time.Duration, span time.Duration) float64 {
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return float64(sum) / float64(span)
}

// tail keeps the last max lines written to it.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, string(p))
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "")
}

// dynamoControl sets the emulated DynamoDB's model and faults and reads
// its counters, in this process or in the child (remote.go).
type dynamoControl interface {
	SetModel(name string) error
	SetFaults(rate float64) error
	Stats() (childStats, error)
}

// localDB is the emulator in this process (the durable rush).
type localDB struct{ db *emulator.DynamoDB }

func (l localDB) SetModel(name string) error {
	m, err := emulator.ModelNamed(name)
	if err == nil {
		l.db.SetModel(m)
	}
	return err
}

func (l localDB) SetFaults(rate float64) error {
	l.db.SetFaults(faultsAt(rate))
	return nil
}

func (l localDB) Stats() (childStats, error) {
	return childStats{Requests: l.db.Requests(), Injected: l.db.Injected.Load()}, nil
}

// parallel runs f for 0..n-1 on the workers; the first error is returned.
func parallel(n int, f func(i int) error) error {
	var wg sync.WaitGroup
	var next atomic.Int64
	var firstErr atomic.Value
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, len(d)*p/100)]
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.WriteHeapProfile(f)
}
