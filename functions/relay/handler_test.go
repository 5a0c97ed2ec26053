package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"sportello/shared/clock"
	"sportello/shared/cloud"
	"sportello/shared/dynamo"
	"sportello/shared/dynamo/dynamotest"
	"sportello/shared/outbox"
	"sportello/shared/submission"
)

// mailServer de-duplicates by message key, failing its first `fail`
// deliveries.
type mailServer struct {
	mu       sync.Mutex
	fail     int
	attempts int
	got      map[string]int
}

func (b *mailServer) Deliver(_ context.Context, m outbox.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts++
	if b.attempts <= b.fail {
		return errors.New("SES: throttled")
	}
	b.got[m.ID]++
	return nil
}

// change stores n applications' filings, each with its receipt in the
// filing's transaction, and returns the stream records DynamoDB would
// send for the new outbox items (with an application record between them,
// which the filter would drop and the function ignores).
func change(t testing.TB, s *dynamo.Store, n int) (events.DynamoDBEvent, []string) {
	t.Helper()
	ctx := context.Background()
	var ev events.DynamoDBEvent
	var keys []string
	for i := range n {
		id := fmt.Sprintf("sub_%d", i)
		sub := submission.Submission{ID: id, CallID: "call_1", Org: "comune:001001", State: submission.Draft, Version: 1}
		if _, _, err := s.CreateSubmission(ctx, sub, "", ""); err != nil {
			t.Fatal(err)
		}
		next := sub
		next.State, next.Version = submission.Submitted, 2
		key := outbox.ID(id, 2, "receipt")
		fx := outbox.Effects{Messages: []outbox.Message{{ID: key, Kind: outbox.Email, CallID: "call_1", SubmissionID: id,
			To: "protocollo@comune.example", Subject: "Ricevuta", Body: "…", CreatedAt: time.Now()}}}
		if err := s.SaveSubmissionWith(ctx, next, 1, fx); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
		ev.Records = append(ev.Records,
			record("submission", id, fmt.Sprint(2*i+1)),
			record("outbox", key, fmt.Sprint(2*i+2)))
	}
	return ev, keys
}

func record(typ, id, seq string) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{SequenceNumber: seq,
		NewImage: map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute(typ), "id": events.NewStringAttribute(id),
			"status": events.NewStringAttribute("pending")}}}
}

func invoke(t *testing.T, f *relayFunction, v any) any {
	t.Helper()
	payload, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.handle(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newFunction(s *dynamo.Store, mail *mailServer) *relayFunction {
	return &relayFunction{store: s, relay: &outbox.Relay{Store: s, Mail: mail, Clock: clock.NewManual(time.Now()),
		Log: slog.New(slog.DiscardHandler), MaxAttempts: cloud.RelayAttempts}}
}

// A failed record is the batch's one reported failure (the records after
// it are retried with it, in stream order); the retry delivers each
// message once, and a record of a message already sent sends nothing.
func TestStreamBatchReportsTheFirstFailureAndRetriesDeliverEachOnce(t *testing.T) {
	s, _ := dynamotest.New(t)
	ev, keys := change(t, s, 3)
	mail := &mailServer{fail: 1, got: map[string]int{}}
	f := newFunction(s, mail)

	res := invoke(t, f, ev).(events.DynamoDBEventResponse)
	if len(res.BatchItemFailures) != 1 || res.BatchItemFailures[0].ItemIdentifier != "2" || mail.attempts != 1 {
		t.Fatalf("first delivery failing: %+v after %d attempts; want the first outbox record reported, nothing after it tried", res, mail.attempts)
	}
	for range 2 { // the mapping's retry from the failed record, then a duplicate batch
		if res := invoke(t, f, ev).(events.DynamoDBEventResponse); len(res.BatchItemFailures) != 0 {
			t.Fatalf("retry: %+v", res)
		}
	}
	for _, k := range keys {
		if mail.got[k] != 1 {
			t.Fatalf("%s delivered %d times: %v", k, mail.got[k], mail.got)
		}
		if m, _, _ := s.Message(context.Background(), k); m.Status != outbox.Sent {
			t.Fatalf("%s: %s", k, m.Status)
		}
	}
}

// A message that keeps failing is dead-lettered in the table at the
// mapping's last attempt, and reported failed at every attempt, so its
// batch reaches the SQS dead-letter queue (alarmed); an operator's
// redrive after the fix sends it once.
func TestAMessageFailingEveryAttemptEndsInTheDeadLetterQueueAndIsRedriven(t *testing.T) {
	s, _ := dynamotest.New(t)
	ev, keys := change(t, s, 1)
	mail := &mailServer{fail: 1000, got: map[string]int{}}
	f := newFunction(s, mail)
	for attempt := range cloud.RelayAttempts + 2 {
		res := invoke(t, f, ev).(events.DynamoDBEventResponse)
		if len(res.BatchItemFailures) != 1 {
			t.Fatalf("attempt %d: %+v, want the record reported failed", attempt+1, res)
		}
	}
	if mail.attempts != cloud.RelayAttempts {
		t.Fatalf("%d sends tried, want %d (1 + the mapping's %d retries), none once dead", mail.attempts, cloud.RelayAttempts, cloud.RelayStreamRetries)
	}
	m, _, _ := s.Message(context.Background(), keys[0])
	if m.Status != outbox.Dead || m.Attempts != cloud.RelayAttempts || m.LastError == "" {
		t.Fatalf("dead letter in the table: %+v", m)
	}
	// A drain does not send a dead letter; a redrive does, once.
	if out := invoke(t, f, map[string]string{"kind": "drain"}).(Counts); out.Delivered != 0 {
		t.Fatalf("drain: %+v", out)
	}
	mail.fail = 0
	// The dead-letter list is an index, which shows the change a moment
	// late (as on AWS): the operator's redrive finds it once it does.
	var out Counts
	for deadline := time.Now().Add(5 * time.Second); out.Redriven == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out = invoke(t, f, map[string]string{"kind": "redrive"}).(Counts)
	}
	if out.Redriven != 1 || out.Delivered != 1 {
		t.Fatalf("redrive: %+v", out)
	}
	time.Sleep(time.Second) // past the index's lag: the message is listed sent
	if out := invoke(t, f, map[string]string{"kind": "redrive"}).(Counts); out.Redriven != 0 || out.Delivered != 0 || mail.got[keys[0]] != 1 {
		t.Fatalf("second redrive: %+v, %v", out, mail.got)
	}
}

func TestAnUnknownInvocationIsAnError(t *testing.T) {
	s, _ := dynamotest.New(t)
	f := newFunction(s, &mailServer{got: map[string]int{}})
	for _, payload := range []string{`{"kind":"purge"}`, `[]`, `not json`} {
		if _, err := f.handle(context.Background(), json.RawMessage(payload)); err == nil {
			t.Fatalf("%s: accepted", payload)
		}
	}
}

// The function decodes what Lambda hands it (a stream batch, or an
// operator's command): no payload makes it panic, and a record it cannot
// read is skipped or reported, never delivered blindly.
func FuzzRelayInvocation(f *testing.F) {
	s, _ := dynamotest.New(f)
	ev, _ := change(f, s, 1)
	batch, _ := json.Marshal(ev)
	for _, seed := range []string{string(batch), `{"kind":"drain"}`, `{"kind":"redrive"}`, `{"Records":[{"dynamodb":{"NewImage":{"type":{"N":"1"}}}}]}`,
		`{"Records":[{"dynamodb":{"NewImage":{"type":{"S":"outbox"},"id":{"S":"missing"}},"SequenceNumber":"9"}}]}`, `{"Records":null}`, `null`, `{}`} {
		f.Add([]byte(seed))
	}
	fn := newFunction(s, &mailServer{got: map[string]int{}})
	f.Fuzz(func(t *testing.T, payload []byte) {
		fn.handle(context.Background(), payload) //nolint:errcheck // any answer but a panic is fine
	})
}
