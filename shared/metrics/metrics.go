// Package metrics records business metrics — filings, refusals by code,
// verification outcomes, e-mail failures, riparto runs — as CloudWatch
// Embedded Metric Format lines: one JSON line on the function's stdout per
// event, which CloudWatch Logs turns into metrics with no API call and no
// AWS dependency here. Nothing is written until Enable (the Lambda
// functions enable it; the local runtime and the tests do not, or record).
package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Namespace of sportello's metrics in CloudWatch.
const Namespace = "Sportello"

// Metric names.
const (
	Filings         = "Filings"          // an application got its protocol number
	Refusals        = "Refusals"         // a 4xx problem answer, by Code
	Verifications   = "Verifications"    // a document's verification, by Status
	EmailFailures   = "EmailFailures"    // an attempt of the outbox relay to send an e-mail failed (Kind "relay")
	AllocationRuns  = "AllocationRuns"   // a riparto run ended, by Outcome
	ScheduleFailure = "ScheduleFailures" // a window's schedule not put (the reconcile covers it)
)

var (
	mu  sync.Mutex
	out io.Writer
	now = time.Now
)

// Enable writes metrics to w (nil disables them).
func Enable(w io.Writer) {
	mu.Lock()
	defer mu.Unlock()
	out = w
}

// Count records one occurrence of name with the given dimensions
// (key, value pairs; an odd trailing key is ignored). Values must never be
// personal data: codes, statuses and kinds only.
func Count(name string, dims ...string) {
	mu.Lock()
	defer mu.Unlock()
	if out == nil {
		return
	}
	line := map[string]any{name: 1}
	keys := []string{}
	for i := 0; i+1 < len(dims); i += 2 {
		keys = append(keys, dims[i])
		line[dims[i]] = dims[i+1]
	}
	line["_aws"] = map[string]any{
		"Timestamp": now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{keys},
			"Metrics":    []any{map[string]string{"Name": name, "Unit": "Count"}},
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	out.Write(append(b, '\n')) //nolint:errcheck // metrics never fail a request
}
