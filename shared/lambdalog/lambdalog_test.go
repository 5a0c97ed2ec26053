package lambdalog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %s", l)
		}
		out = append(out, m)
	}
	return out
}

func invocationContext() context.Context {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8f5c-req"})
	// aws-lambda-go stores the trace header under this plain string key: the test plays the runtime.
	return context.WithValue(ctx, traceHeaderKey, "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1") //nolint:staticcheck // SA1029: the runtime's own key type is a string
}

func TestEveryLineOfAnInvocationCarriesItsIds(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf)
	h := Async(func(ctx context.Context, _ string) error {
		log.InfoContext(ctx, "with the handler's context", "call", "call_a")
		log.Warn("without a context, as the services log now and then")
		return nil
	})
	if err := h(invocationContext(), "event"); err != nil {
		t.Fatal(err)
	}
	log.Info("between invocations")
	got := lines(t, &buf)
	if len(got) != 3 {
		t.Fatalf("%d lines", len(got))
	}
	for _, l := range got[:2] {
		if l["requestId"] != "8f5c-req" || l["traceId"] != "1-67891233-abcdef012345678912345678" {
			t.Errorf("line without the invocation's ids: %v", l)
		}
	}
	if _, has := got[2]["requestId"]; has {
		t.Errorf("a line outside any invocation carries the last one's id: %v", got[2])
	}
}

func TestLambdaApplicationLogLevelFilters(t *testing.T) {
	cases := map[string]struct {
		env  string
		want []string
	}{
		"unset logs INFO and above":  {"", []string{"INFO", "WARN", "ERROR"}},
		"WARN drops INFO":            {"WARN", []string{"WARN", "ERROR"}},
		"TRACE is the most verbose":  {"TRACE", []string{"DEBUG", "INFO", "WARN", "ERROR"}},
		"FATAL keeps only errors":    {"FATAL", []string{"ERROR"}},
		"lower case is read as well": {"error", []string{"ERROR"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_LAMBDA_LOG_LEVEL", c.env)
			var buf bytes.Buffer
			log := New(&buf)
			ctx := invocationContext()
			log.DebugContext(ctx, "d")
			log.InfoContext(ctx, "i")
			log.WarnContext(ctx, "w")
			log.ErrorContext(ctx, "e")
			var levels []string
			for _, l := range lines(t, &buf) {
				levels = append(levels, l["level"].(string))
			}
			if strings.Join(levels, ",") != strings.Join(c.want, ",") {
				t.Errorf("levels %v, want %v", levels, c.want)
			}
		})
	}
	if Level("nonsense") != slog.LevelInfo {
		t.Error("an unknown level must fall back to INFO")
	}
}
