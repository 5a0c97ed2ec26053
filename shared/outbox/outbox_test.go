package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"sportello/shared/audit"
	"sportello/shared/clock"
	"sportello/shared/dynamo"
	"sportello/shared/dynamo/dynamotest"
	"sportello/shared/outbox"
	"sportello/shared/submission"
)

// inbox is a mail consumer that de-duplicates by message id, failing the
// first `fail` deliveries as an unreachable mail server does.
type inbox struct {
	mu       sync.Mutex
	fail     int
	attempts int
	got      map[string]int
}

func (b *inbox) Deliver(_ context.Context, m outbox.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts++
	if b.attempts <= b.fail {
		return errors.New("mail server unreachable")
	}
	b.got[m.ID]++
	return nil
}

// filed stores an application change with its audit line and receipt in
// one transaction, as a filing does.
func filed(t *testing.T, s *dynamo.Store, at time.Time) {
	t.Helper()
	ctx := context.Background()
	sub := submission.Submission{ID: "sub_1", CallID: "call_1", Org: "comune:001001", State: submission.Draft, Version: 1}
	if _, _, err := s.CreateSubmission(ctx, sub, "", ""); err != nil {
		t.Fatal(err)
	}
	next := sub
	next.State, next.Version = submission.Submitted, 2
	fx := outbox.Effects{
		Audit:    []audit.Entry{{CallID: "call_1", SubmissionID: "sub_1", At: at, Actor: "clerk", Action: "submission.filed"}},
		Messages: []outbox.Message{{Kind: outbox.Email, CallID: "call_1", SubmissionID: "sub_1", To: "protocollo@comune.example", Subject: "Ricevuta", Body: "…", CreatedAt: at}},
	}
	if err := s.SaveSubmissionWith(ctx, next, 1, fx); err != nil {
		t.Fatal(err)
	}
}

// listed waits until the pending set (read through the index, which
// shows a change a few hundred milliseconds late, as on AWS) shows want
// messages, as the relay's next drains would find them: at most 5 s.
func listed(t *testing.T, s *dynamo.Store, want int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		pending, err := s.PendingMessages(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending: %d messages, want %d", len(pending), want)
		}
	}
}

func TestSenderFailingThreeTimesThenSucceedingSendsExactlyOneEmail(t *testing.T) {
	s, _ := dynamotest.New(t)
	at := time.Date(2025, 9, 10, 9, 59, 0, 0, time.UTC)
	filed(t, s, at)
	listed(t, s, 1)
	mail := &inbox{fail: 3, got: map[string]int{}}
	r := &outbox.Relay{Store: s, Mail: mail, Clock: clock.NewManual(at), Log: slog.New(slog.DiscardHandler)}
	ctx := context.Background()
	for i := range 6 {
		n, err := r.Drain(ctx)
		if (i < 3) != (err != nil) || (i == 3) != (n == 1) {
			t.Fatalf("drain %d: delivered %d, err %v", i, n, err)
		}
	}
	if mail.attempts != 4 || len(mail.got) != 1 {
		t.Fatalf("%d attempts, %d distinct e-mails: want 4 attempts, one e-mail", mail.attempts, len(mail.got))
	}
	for id, n := range mail.got {
		if n != 1 {
			t.Fatalf("%s delivered %d times", id, n)
		}
	}
	listed(t, s, 0)
	if trail, _ := s.CallAudit(ctx, "call_1"); len(trail) != 1 || trail[0].Action != "submission.filed" {
		t.Fatalf("audit line written with the change: %+v", trail)
	}
}

func TestCrashBetweenTheChangeAndTheEmailStillSendsItOnce(t *testing.T) {
	s, _ := dynamotest.New(t)
	at := time.Date(2025, 9, 10, 9, 59, 0, 0, time.UTC)
	// The process that filed died before its relay ran: nothing was sent.
	filed(t, s, at)
	listed(t, s, 1)
	mail := &inbox{got: map[string]int{}}
	// The next process's relay finds the message pending and sends it.
	r := &outbox.Relay{Store: s, Mail: mail, Clock: clock.NewManual(at), Log: slog.New(slog.DiscardHandler)}
	for range 3 {
		if _, err := r.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(mail.got) != 1 {
		t.Fatalf("want one e-mail, got %v", mail.got)
	}
	// A delivery whose "sent" mark was lost is delivered again: the
	// consumer sees the same id and keeps one.
	for id := range mail.got {
		m, _, _ := s.Message(context.Background(), id)
		m.Status = outbox.Pending
		if err := r.Handle(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if mail.got[id] != 2 {
			t.Fatal("redelivery should reach the consumer with the same id")
		}
	}
}

func TestAMessageThatKeepsFailingIsDeadLetteredLoudly(t *testing.T) {
	s, _ := dynamotest.New(t)
	at := time.Date(2025, 9, 10, 9, 59, 0, 0, time.UTC)
	filed(t, s, at)
	listed(t, s, 1)
	mail := &inbox{fail: 100, got: map[string]int{}}
	r := &outbox.Relay{Store: s, Mail: mail, Clock: clock.NewManual(at), Log: slog.New(slog.DiscardHandler), MaxAttempts: 3}
	for range 5 {
		r.Drain(context.Background()) //nolint:errcheck // the failures are what this test counts
	}
	if mail.attempts != 3 {
		t.Fatalf("%d attempts, want 3 then dead-lettered", mail.attempts)
	}
	// The dead letters are listed through the index too: the operator's
	// list shows the message a moment later.
	var dead []outbox.Message
	var err error
	for deadline := time.Now().Add(5 * time.Second); len(dead) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if dead, err = s.DeadMessages(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(dead) != 1 || dead[0].LastError == "" || dead[0].Attempts != 3 {
		t.Fatalf("dead letters: %+v", dead)
	}
}

// lagging lists as pending, like an index that has not caught up, every
// message it listed before.
type lagging struct {
	*dynamo.Store
	listed []outbox.Message
}

func (l *lagging) PendingMessages(ctx context.Context, limit int) ([]outbox.Message, error) {
	now, err := l.Store.PendingMessages(ctx, limit)
	for _, m := range now {
		if !slices.ContainsFunc(l.listed, func(o outbox.Message) bool { return o.ID == m.ID }) {
			l.listed = append(l.listed, m)
		}
	}
	return l.listed, err
}

func TestAnIndexThatShowsTheSentMarkLateDoesNotDeliverAgain(t *testing.T) {
	s, _ := dynamotest.New(t)
	at := time.Date(2025, 9, 10, 9, 59, 0, 0, time.UTC)
	filed(t, s, at)
	listed(t, s, 1)
	mail := &inbox{got: map[string]int{}}
	r := &outbox.Relay{Store: &lagging{Store: s}, Mail: mail, Clock: clock.NewManual(at), Log: slog.New(slog.DiscardHandler)}
	for i := range 5 {
		n, err := r.Drain(context.Background())
		if err != nil || (i == 0) != (n == 1) {
			t.Fatalf("drain %d: delivered %d, err %v", i, n, err)
		}
	}
	if mail.attempts != 1 {
		t.Fatalf("%d deliveries of one e-mail still listed by a lagging index: want 1", mail.attempts)
	}
}

func TestPendingMessagesReadsNoFurtherThanAsked(t *testing.T) {
	s, _ := dynamotest.New(t)
	ctx := context.Background()
	at := time.Date(2025, 9, 10, 9, 59, 0, 0, time.UTC)
	for i := range 5 {
		sub := submission.Submission{ID: fmt.Sprintf("sub_%d", i+1), CallID: "call_1", Org: fmt.Sprintf("comune:00100%d", i+1), State: submission.Draft, Version: 1}
		if _, _, err := s.CreateSubmission(ctx, sub, "", ""); err != nil {
			t.Fatal(err)
		}
		next := sub
		next.State, next.Version = submission.Submitted, 2
		msg := outbox.Message{Kind: outbox.Email, CallID: "call_1", SubmissionID: sub.ID, To: "protocollo@comune.example", Subject: "Ricevuta", CreatedAt: at.Add(time.Duration(i) * time.Second)}
		if err := s.SaveSubmissionWith(ctx, next, 1, outbox.Effects{Messages: []outbox.Message{msg}}); err != nil {
			t.Fatal(err)
		}
	}
	listed(t, s, 5)
	got, err := s.PendingMessages(ctx, 2)
	if err != nil || len(got) != 2 || got[0].SubmissionID != "sub_1" || got[1].SubmissionID != "sub_2" {
		t.Fatalf("PendingMessages(2) = %+v, %v: want the two oldest", got, err)
	}
	if all, _ := s.PendingMessages(ctx, 100); len(all) != 5 {
		t.Fatalf("PendingMessages(100) = %d messages, want 5", len(all))
	}
}

func TestLogSafeTakesEveryAddressOutOfAnError(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"SES names the refused identity", "MessageRejected: Email address is not verified. The following identities failed the check in region EU-SOUTH-1: mario.rossi@comune.bergamo.it",
			"MessageRejected: Email address is not verified. The following identities failed the check in region EU-SOUTH-1: [indirizzo]"},
		{"an address in angle brackets and one quoted", `550 <ufficio@regione.lombardia.it> refused, "a.b@x.it"`, `550 <[indirizzo]> refused, "[indirizzo]"`},
		{"an error without an address is kept whole", "throttled: maximum sending rate exceeded", "throttled: maximum sending rate exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outbox.LogSafe(errors.New(tt.in)); got != tt.want {
				t.Fatalf("LogSafe(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
