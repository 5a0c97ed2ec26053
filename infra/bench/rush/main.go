// Command rush replays the last minute of the Lombardy call: every one of
// the 1,506 Lombard Comuni of the ISTAT list files through the local
// runtime's HTTP API from 64 concurrent clients with the clock at 11:59:00
// on 10 September 2025, then 100 more try after 12:00. It prints submit
// p50/p99 beside the p99 of one raw TransactWriteItems on the same
// embedded DynamoDB (the floor), and counts accepted, refused, lost,
// duplicated and missing protocol numbers. With -faults it injects
// DynamoDB throttling and errors on a fraction of requests; clients retry
// 503 with the same Idempotency-Key.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	samples "sportello/events"
	"sportello/events/files/fixtures"
	"sportello/infra/apiclient"
	"sportello/infra/local/emulator"
	"sportello/infra/local/server"
	"sportello/shared/auth"
	"sportello/shared/clock"
	"sportello/shared/program"
)

const workers = 64

func main() {
	faults := flag.Float64("faults", 0, "fraction of DynamoDB requests that fail during the rush")
	limit := flag.Int("n", 0, "file for only the first n Comuni (0: all)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the rush")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			pprof.StartCPUProfile(f) //nolint:errcheck
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*faults, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "rush:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type app struct {
	org, token, id string
}

func run(faultRate float64, limit int) error {
	ctx := context.Background()
	noon := clock.InRome(2025, 9, 10, 12, 0)
	clk := clock.StartAt(noon.Add(-2 * time.Hour))
	rt, err := server.Start(ctx, server.Config{Addr: "127.0.0.1:0", Clock: clk, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer rt.Close()
	c := apiclient.New(rt.URL)

	// Setup, before the rush: a draft and five signed documents per Comune.
	tmpl, err := samples.FS.ReadFile("submissions/lombardia-milano.json")
	if err != nil {
		return err
	}
	var ex struct {
		Data map[string]any `json:"data"`
	}
	json.Unmarshal(tmpl, &ex) //nolint:errcheck
	signed, _ := samples.FS.ReadFile("files/signed.p7m")
	var apps []app
	comuni := map[string]program.Comune{}
	for _, cm := range samples.Comuni() {
		if cm.RegionCode == "03" {
			apps = append(apps, app{org: "comune:" + cm.ISTAT})
			comuni[cm.ISTAT] = cm
		}
	}
	if limit > 0 && limit < len(apps) {
		apps = apps[:limit]
	}
	fmt.Printf("Noon rush: %d Lombard Comuni, %d concurrent clients, clock 11:59:00 on 10/09/2025 (Europe/Rome)\n", len(apps), workers)
	setupStart := time.Now()
	late := make([]app, min(100, len(apps)))
	err = parallel(len(apps), func(i int) error {
		a := &apps[i]
		a.token = rt.Token(auth.Principal{Subject: "clerk-" + a.org, Role: auth.RoleApplicant, Orgs: []string{a.org}})
		data := map[string]any{}
		for k, v := range ex.Data {
			data[k] = v
		}
		istat := strings.TrimPrefix(a.org, "comune:")
		entity := map[string]any{}
		for k, v := range ex.Data["entity"].(map[string]any) {
			entity[k] = v
		}
		entity["name"], entity["province"] = "Comune di "+comuni[istat].Name, comuni[istat].Province
		data["entity"] = entity
		data["facilities"] = []any{map[string]any{"afamUdos": "AFAM-" + istat + "-DEMO", "name": "Nido comunale", "address": "Piazza del Municipio 1",
			"authorisedPlaces": 30, "public": true, "fees": ex.Data["facilities"].([]any)[0].(map[string]any)["fees"]}}
		raw, _ := json.Marshal(data)
		if a.id, err = c.Draft(server.LombardiaCall, a.token, a.org, raw); err != nil {
			return err
		}
		for _, kind := range []string{"delibera_giunta", "delibera_tariffe", "regolamento_or_carta", "allegato_a3"} {
			if _, err := c.Upload(a.id, a.token, kind, "firmato.p7m", "application/pkcs7-mime", bytes.NewReader(signed), int64(len(signed))); err != nil {
				return err
			}
		}
		// The signed A1 must be the A1 generated from this draft.
		r, err := c.Do("GET", "/v1/submissions/"+a.id+"/summary", a.token, nil)
		if err != nil {
			return err
		}
		a1, err := fixtures.SignCAdES(r.Body, fixtures.ECDSASigner)
		if err != nil {
			return err
		}
		if _, err := c.Upload(a.id, a.token, "allegato_a1_signed", "allegato-a1.pdf.p7m", "application/pkcs7-mime", bytes.NewReader(a1), int64(len(a1))); err != nil {
			return err
		}
		if i < len(late) {
			id, err := c.Draft(server.LombardiaCall, a.token, a.org, raw)
			late[i] = app{org: a.org, token: a.token, id: id}
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	rt.WaitDocuments()
	fmt.Printf("setup (drafts and %d verified uploads): %s\n", len(apps)*5, time.Since(setupStart).Round(time.Millisecond))

	// The floor: raw two-item transactions (a conditional counter and a
	// put, like a filing) on the same embedded DynamoDB, same concurrency.
	raw := rawTransactions(ctx, rt.DynamoDB.Client(), rt.Store.Table(), len(apps))

	if faultRate > 0 {
		rt.DynamoDB.SetFaults(&emulator.Faults{Rate: faultRate, LostResponse: true})
	}
	clk.Jump(noon.Add(-time.Minute))
	type outcome struct {
		status  int
		number  string
		arrival time.Time
		latency time.Duration
		retries int
	}
	results := make([]outcome, len(apps))
	rushStart := time.Now()
	parallel(len(apps), func(i int) error { //nolint:errcheck // outcomes are counted below
		a := apps[i]
		key := "k-" + a.id
		for attempt := 0; attempt < 50; attempt++ {
			start := time.Now()
			arrival := clk.Now()
			r, err := c.Do("POST", "/v1/submissions/"+a.id+"/submit", a.token, nil, "Idempotency-Key", key)
			lat := time.Since(start)
			if err != nil {
				continue
			}
			results[i] = outcome{status: r.Status, arrival: arrival, latency: lat, retries: attempt}
			if r.Status == http.StatusServiceUnavailable {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			if r.Status == http.StatusOK {
				m, _ := r.JSON()
				results[i].number = m["protocol"].(map[string]any)["number"].(string)
			} else if arrival.Before(noon) {
				fmt.Fprintf(os.Stderr, "%s refused: %d %.300s\n", a.org, r.Status, r.Body)
			}
			return nil
		}
		return nil
	})
	rushTime := time.Since(rushStart)
	rt.DynamoDB.SetFaults(nil)

	// After noon: 100 more, all to be refused.
	clk.Jump(noon.Add(time.Millisecond))
	lateRefused, lateAccepted := 0, 0
	for _, a := range late {
		r, err := c.Do("POST", "/v1/submissions/"+a.id+"/submit", a.token, nil)
		switch {
		case err == nil && r.Status == http.StatusConflict && strings.Contains(string(r.Body), "window_closed"):
			lateRefused++
		case err == nil && r.Status == http.StatusOK:
			lateAccepted++
		}
	}

	// Accounting against the stored state.
	var lat []time.Duration
	accepted, onTimeRefused, lost, retried := 0, 0, 0, 0
	var numbers []string
	for i, o := range results {
		stored, _ := rt.Store.Submission(ctx, apps[i].id)
		filed := stored.Protocol != nil
		switch {
		case o.status == http.StatusOK && filed && stored.Protocol.Number == o.number:
			accepted++
			numbers = append(numbers, o.number)
			lat = append(lat, o.latency)
		case o.status != http.StatusOK && !filed && o.arrival.Before(noon):
			onTimeRefused++
		default:
			lost++
		}
		if o.retries > 0 {
			retried++
		}
	}
	slices.Sort(numbers)
	dups, gaps := 0, 0
	for i := range numbers {
		if i > 0 && numbers[i] == numbers[i-1] {
			dups++
		}
		if numbers[i] != fmt.Sprintf("LOM-2025-%06d", i+1) {
			gaps++
		}
	}
	slices.Sort(lat)
	p50, p99 := pct(lat, 50), pct(lat, 99)
	fmt.Printf("rush: %d submits in %s (%.0f/s)", len(apps), rushTime.Round(time.Millisecond), float64(len(apps))/rushTime.Seconds())
	if faultRate > 0 {
		fmt.Printf(", with %.0f%% of DynamoDB requests failing (%d faults injected; %d applications retried after a 503)", faultRate*100, rt.DynamoDB.Injected.Load(), retried)
	}
	fmt.Println()
	fmt.Printf("submit p50 %s, p99 %s; raw TransactWriteItems p50 %s, p99 %s; ratio p99(submit)/p99(raw) = %.1f\n",
		p50.Round(time.Microsecond), p99.Round(time.Microsecond), pct(raw, 50).Round(time.Microsecond), pct(raw, 99).Round(time.Microsecond), float64(p99)/float64(pct(raw, 99)))
	fmt.Printf("accepted %d, on-time refused %d, lost %d, duplicate protocols %d, gaps %d; after noon: refused %d of %d, late accepted %d\n",
		accepted, onTimeRefused, lost, dups, gaps, lateRefused, len(late), lateAccepted)
	if onTimeRefused+lost+dups+gaps+lateAccepted > 0 || lateRefused != len(late) || accepted != len(apps) {
		return fmt.Errorf("a guarantee failed")
	}
	return nil
}

func rawTransactions(ctx context.Context, db *dynamodb.Client, table string, n int) []time.Duration {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	parallel(n, func(i int) error { //nolint:errcheck
		counter := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("BENCH#%d", i%workers)}, "sk": &types.AttributeValueMemberS{Value: "COUNTER"}}
		item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("BENCH#item#%d", next.Add(1))}, "sk": &types.AttributeValueMemberS{Value: "META"}}
		start := time.Now()
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(table), Key: counter, UpdateExpression: aws.String("ADD n :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}}},
			{Put: &types.Put{TableName: aws.String(table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		}})
		if err == nil {
			lat[i] = time.Since(start)
		}
		return err
	})
	slices.Sort(lat)
	return lat
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
