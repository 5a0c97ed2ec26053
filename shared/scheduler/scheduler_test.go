package scheduler

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"sportello/shared/clock"
)

type recorded struct {
	Method, Path string
	Body         map[string]any
}

// recorder is an HTTP endpoint that speaks enough of the Scheduler API: the
// first create of a name succeeds, the second conflicts, updates succeed.
func recorder(t *testing.T) (*EventBridge, *[]recorded) {
	var mu sync.Mutex
	var got []recorded
	created := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Error(err)
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, recorded{r.Method, r.URL.Path, body})
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && created[r.URL.Path] {
			w.Header().Set("X-Amzn-Errortype", "ConflictException")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"Message":"exists"}`))
			return
		}
		created[r.URL.Path] = true
		_, _ = w.Write([]byte(`{"ScheduleArn":"arn:aws:scheduler:eu-south-1:123456789012:schedule/g` + r.URL.Path + `"}`))
	}))
	t.Cleanup(srv.Close)
	c := scheduler.New(scheduler.Options{Region: "eu-south-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	return &EventBridge{Client: c, Group: "sportello-dev", TargetARN: "arn:aws:lambda:eu-south-1:123456789012:function:windows",
		RoleARN: "arn:aws:iam::123456789012:role/scheduler"}, &got
}

// instantOf reads an at() expression back as EventBridge does: wall clock
// in the schedule's time zone.
func instantOf(t *testing.T, expr, tz string) time.Time {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02T15:04:05", expr[3:len(expr)-1], loc)
	if err != nil {
		t.Fatal(err)
	}
	return at.UTC()
}

func TestEventBridgeSchedulesInRomeTime(t *testing.T) {
	eb, got := recorder(t)
	ctx := context.Background()
	summer := clock.InRome(2026, 5, 18, 12, 0)
	if err := eb.Put(ctx, "pie-w1-close", summer, []byte(`{"kind":"close"}`)); err != nil {
		t.Fatal(err)
	}
	// A proroga from summer into winter time: the same schedule is updated.
	winter := clock.InRome(2026, 11, 30, 12, 0)
	if err := eb.Put(ctx, "pie-w1-close", winter, []byte(`{"kind":"close"}`)); err != nil {
		t.Fatal(err)
	}
	calls := *got
	if len(calls) != 3 || calls[0].Method != "POST" || calls[1].Method != "POST" || calls[2].Method != "PUT" {
		t.Fatalf("want create, conflicting create, update; got %+v", calls)
	}
	tests := []struct {
		name string
		call recorded
		expr string
		utc  string
	}{
		{"18 May 2026 noon is at(…12:00:00) Rome, fired at 10:00Z", calls[0], "at(2026-05-18T12:00:00)", "2026-05-18T10:00:00Z"},
		{"moved to 30 November noon it is rescheduled at 11:00Z", calls[2], "at(2026-11-30T12:00:00)", "2026-11-30T11:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.call.Body
			if b["ScheduleExpression"] != tt.expr || b["ScheduleExpressionTimezone"] != "Europe/Rome" || b["GroupName"] != "sportello-dev" {
				t.Fatalf("body %v", b)
			}
			if got := instantOf(t, tt.expr, b["ScheduleExpressionTimezone"].(string)).Format(time.RFC3339); got != tt.utc {
				t.Fatalf("fires at %s want %s", got, tt.utc)
			}
			target := b["Target"].(map[string]any)
			if target["Arn"] != eb.TargetARN || target["RoleArn"] != eb.RoleARN || target["Input"] != `{"kind":"close"}` {
				t.Fatalf("target %v", target)
			}
			if b["FlexibleTimeWindow"].(map[string]any)["Mode"] != "OFF" {
				t.Fatal("a deadline must not be flexible")
			}
			if b["ActionAfterCompletion"] != "DELETE" {
				t.Fatalf("a one-time schedule must delete itself once fired, not linger: ActionAfterCompletion %v", b["ActionAfterCompletion"])
			}
		})
	}
}

func TestExpressionNeverFiresEarly(t *testing.T) {
	eb, got := recorder(t)
	at := clock.InRome(2026, 5, 18, 11, 59).Add(59*time.Second + 500*time.Millisecond)
	if err := eb.Put(context.Background(), "x", at, nil); err != nil {
		t.Fatal(err)
	}
	if e := (*got)[0].Body["ScheduleExpression"]; e != "at(2026-05-18T12:00:00)" {
		t.Fatalf("got %v", e)
	}
}

func TestLocalFiresAtTheClockInstant(t *testing.T) {
	start := clock.InRome(2026, 5, 18, 11, 59).Add(59*time.Second + 800*time.Millisecond)
	c := clock.StartAt(start)
	fired := make(chan time.Time, 2)
	l := &Local{Clock: c, Log: slog.New(slog.DiscardHandler), Fire: func(ctx context.Context, p []byte) error {
		fired <- c.Now()
		return nil
	}}
	defer l.Stop()
	noon := clock.InRome(2026, 5, 18, 12, 0)
	if err := l.Put(context.Background(), "close", noon.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Put(context.Background(), "close", noon, nil); err != nil { // re-armed: only the new instant fires
		t.Fatal(err)
	}
	select {
	case at := <-fired:
		if at.Before(noon) {
			t.Fatalf("fired early at %v", at)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("never fired")
	}
	if len(l.Pending()) != 1 {
		t.Fatal("one schedule expected")
	}
}

func TestNamesTheSchedulerRefusesAreRefusedByBoth(t *testing.T) {
	eb, got := recorder(t)
	l := &Local{Clock: clock.System{}, Log: slog.New(slog.DiscardHandler), Fire: func(context.Context, []byte) error { return nil }}
	defer l.Stop()
	cases := map[string]string{
		"65 characters are one too many":  strings.Repeat("a", 65),
		"a slash is not a name character": "call/w1-close",
		"an empty name is refused":        "",
	}
	for name, sched := range cases {
		t.Run(name, func(t *testing.T) {
			at := time.Now().Add(time.Hour)
			if err := eb.Put(context.Background(), sched, at, nil); err == nil {
				t.Error("EventBridge accepted it")
			}
			if err := l.Put(context.Background(), sched, at, nil); err == nil {
				t.Error("the local scheduler accepted it")
			}
		})
	}
	if len(*got) != 0 {
		t.Fatalf("a refused name reached the Scheduler API: %+v", *got)
	}
	if err := l.Put(context.Background(), strings.Repeat("a", 64), time.Now().Add(time.Hour), nil); err != nil {
		t.Fatalf("64 characters are accepted by the Scheduler: %v", err)
	}
}
