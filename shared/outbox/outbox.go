// Package outbox carries the effects of a state change — its audit lines,
// the e-mails to send and the events to publish — so that they are written
// in the same DynamoDB transaction as the change itself, and delivered
// afterwards, at least once, by a relay: DynamoDB Streams → the relay
// function in the cloud, the same Relay in-process on a laptop. A change
// is therefore never stored without its receipt or its audit line, and a
// crash between the change and the e-mail only delays the e-mail.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"sportello/shared/audit"
	"sportello/shared/clock"
	"sportello/shared/metrics"
)

// Kinds of message.
const (
	Email = "email"
	Event = "event"
)

// Statuses of a message.
const (
	Pending = "pending"
	Sent    = "sent"
	Dead    = "dead" // gave up after MaxAttempts: the dead-letter state, alarmed
)

// Message is one outgoing effect. Its ID is the consumer's de-duplication
// key: the local mail sink names the file by it, the allocation run is
// keyed by the event's ids.
type Message struct {
	ID           string            `json:"id" dynamodbav:"id"`
	Kind         string            `json:"kind" dynamodbav:"kind"`
	CallID       string            `json:"callId" dynamodbav:"callId"`
	SubmissionID string            `json:"submissionId,omitempty" dynamodbav:"submissionId,omitempty"`
	CreatedAt    time.Time         `json:"createdAt" dynamodbav:"createdAt"`
	To           string            `json:"to,omitempty" dynamodbav:"to,omitempty"`
	Subject      string            `json:"subject,omitempty" dynamodbav:"subject,omitempty"`
	Body         string            `json:"body,omitempty" dynamodbav:"body,omitempty"`
	Event        string            `json:"event,omitempty" dynamodbav:"event,omitempty"`
	Detail       map[string]string `json:"detail,omitempty" dynamodbav:"detail,omitempty"`
	Status       string            `json:"status" dynamodbav:"status"`
	Attempts     int               `json:"attempts,omitempty" dynamodbav:"attempts,omitempty"`
	LastError    string            `json:"lastError,omitempty" dynamodbav:"lastError,omitempty"`
	SentAt       *time.Time        `json:"sentAt,omitempty" dynamodbav:"sentAt,omitempty"`
}

// Effects are what a state change writes beside itself, in its transaction.
type Effects struct {
	Audit    []audit.Entry
	Messages []Message
}

// Items is how many transaction items the effects take (one each).
func (e Effects) Items() int { return len(e.Audit) + len(e.Messages) }

// Bytes bounds the effects' size in a transaction: each item's text plus
// 1 KB for its keys, attribute names and small fields.
func (e Effects) Bytes() int {
	n := 0
	for _, a := range e.Audit {
		n += 1024 + len(a.Action) + len(a.Actor)
		for k, v := range a.Detail {
			n += len(k) + len(v)
		}
	}
	for _, m := range e.Messages {
		n += 1024 + len(m.To) + len(m.Subject) + len(m.Body)
		for k, v := range m.Detail {
			n += len(k) + len(v)
		}
	}
	return n
}

// With adds an audit line and the messages that are not empty (a message
// without an addressee or an event is left out: nobody to deliver it to).
func (e Effects) With(line *audit.Entry, msgs ...Message) Effects {
	if line != nil {
		e.Audit = append(append([]audit.Entry(nil), e.Audit...), *line)
	}
	for _, m := range msgs {
		if (m.Kind == Email && m.To != "") || (m.Kind == Event && m.Event != "") {
			e.Messages = append(append([]Message(nil), e.Messages...), m)
		}
	}
	return e
}

// Stamped dates the messages not yet dated with at (the change's time:
// the relay sends the oldest first, and the record keeps when it was due).
func (e Effects) Stamped(at time.Time) Effects {
	msgs := append([]Message(nil), e.Messages...)
	for i := range msgs {
		if msgs[i].CreatedAt.IsZero() {
			msgs[i].CreatedAt = at
		}
	}
	e.Messages = msgs
	return e
}

// ID is an effect's de-duplication key: the entity that changed, the
// version the change made, and what the effect is ("sub_…-v3-receipt").
// One change makes one effect of each kind, so a retried change (or a
// redelivered message) always carries the same key.
func ID(entity string, version int64, what string) string {
	return fmt.Sprintf("%s-v%d-%s", entity, version, what)
}

// Store is what the relay needs from storage.
type Store interface {
	// PendingMessages lists messages not yet delivered, oldest first.
	PendingMessages(ctx context.Context, limit int) ([]Message, error)
	// Message reads one message (the stream carries only its key's image).
	Message(ctx context.Context, id string) (Message, bool, error)
	// MessageSent marks a message delivered (idempotent).
	MessageSent(ctx context.Context, id string, at time.Time) error
	// MessageFailed records a failed attempt; dead moves it out of the
	// pending set for good (the dead-letter state).
	MessageFailed(ctx context.Context, id string, attempts int, lastErr string, dead bool) error
}

// Mail delivers e-mails; Events publishes events.
type Mail interface {
	Deliver(ctx context.Context, m Message) error
}

// Relay delivers pending messages at least once.
type Relay struct {
	Store  Store
	Mail   Mail
	Events Mail
	Clock  clock.Clock
	Log    *slog.Logger
	// MaxAttempts before a message is dead-lettered (0: 8).
	MaxAttempts int
	mu          sync.Mutex
	// sent holds the messages Drain delivered and marked sent in the last
	// minute: the pending list is read from an index that shows the mark
	// late (a GSI lags), and a drain meanwhile — the local runtime drains
	// after every request — would deliver and mark each again (seven
	// times per filing in a noon rush).
	sent map[string]time.Time
}

// recentlySent is how long Drain trusts its own "sent" marks over the
// index: far longer than any index lag.
const recentlySent = time.Minute

// ErrNoConsumer is a message of a kind nobody delivers here.
var ErrNoConsumer = errors.New("outbox: no consumer for this kind of message")

// Handle delivers one message and records the outcome: the relay
// function's body for each stream record, and Drain's for each pending
// message. An error means the message stays pending (to be retried).
func (r *Relay) Handle(ctx context.Context, m Message) error {
	if m.Status == Sent || m.Status == Dead {
		return nil
	}
	var target Mail
	switch m.Kind {
	case Email:
		target = r.Mail
	case Event:
		target = r.Events
	}
	err := ErrNoConsumer
	if target != nil {
		err = target.Deliver(ctx, m)
	}
	if err == nil {
		if merr := r.Store.MessageSent(ctx, m.ID, r.Clock.Now().UTC()); merr != nil {
			// Delivered but not marked: it will be delivered again, and the
			// consumer's de-duplication absorbs it.
			return fmt.Errorf("mark %s sent: %w", m.ID, merr)
		}
		r.Log.Info("outbox message delivered", "message", m.ID, "kind", m.Kind, "call", m.CallID, "submission", m.SubmissionID, "attempts", m.Attempts+1, "outcome", "sent")
		return nil
	}
	limit := r.MaxAttempts
	if limit <= 0 {
		limit = 8
	}
	attempts := m.Attempts + 1
	dead := attempts >= limit
	if m.Kind == Email {
		metrics.Count(metrics.EmailFailures, "Kind", "relay")
	}
	if merr := r.Store.MessageFailed(ctx, m.ID, attempts, err.Error(), dead); merr != nil {
		return errors.Join(err, merr)
	}
	if dead {
		r.Log.Error("outbox message dead-lettered", "message", m.ID, "kind", m.Kind, "call", m.CallID, "submission", m.SubmissionID, "attempts", attempts, "error", LogSafe(err), "outcome", "dead")
	} else {
		r.Log.Warn("outbox delivery failed; it will be retried", "message", m.ID, "kind", m.Kind, "attempts", attempts, "error", LogSafe(err))
	}
	return fmt.Errorf("deliver %s: %w", m.ID, err)
}

// Drain delivers every pending message once (failures stay pending for the
// next drain) and returns how many were delivered.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msgs, err := r.Store.PendingMessages(ctx, 100)
	if err != nil {
		return 0, err
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return r.deliver(ctx, ids)
}

// Written delivers the messages a stream reports written (by id), as the
// cloud's stream hands each record to Handle: each is read by key
// (consistently) and delivered if still pending. The local runtime calls
// it with what the embedded DynamoDB's stream reported, so a change's
// e-mails and events leave without waiting for the index.
func (r *Relay) Written(ctx context.Context, ids []string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.deliver(ctx, ids)
}

// deliver hands the pending messages among ids to Handle; caller holds
// mu. The pending set comes from the index, which shows a change a few
// hundred milliseconds late: a message this relay marked sent a moment
// ago is skipped at once (no read: seven messages a filing in a rush),
// and every other is read again by key (consistently), so one another
// relay delivered is not delivered again and a failing one's attempts
// count on from the stored number.
func (r *Relay) deliver(ctx context.Context, ids []string) (int, error) {
	now := time.Now() // the relay's own bookkeeping, not the application clock
	for id, at := range r.sent {
		if now.Sub(at) > recentlySent {
			delete(r.sent, id)
		}
	}
	if r.sent == nil {
		r.sent = map[string]time.Time{}
	}
	n := 0
	var errs []error
	for _, id := range ids {
		if _, done := r.sent[id]; done {
			continue
		}
		m, found, err := r.Store.Message(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found || m.Status != Pending {
			continue
		}
		if err := r.Handle(ctx, m); err != nil {
			errs = append(errs, err)
			continue
		}
		r.sent[id] = now
		n++
	}
	return n, errors.Join(errs...)
}

// SetEvents replaces the consumer of events between drains (a test
// holding FundsAnnounced back, as a slow EventBridge would).
func (r *Relay) SetEvents(m Mail) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Events = m
}

// SetMail replaces the consumer of e-mails between drains (a test whose
// mail server fails, as a real one does).
func (r *Relay) SetMail(m Mail) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Mail = m
}

// Run drains at once (what a crash left pending), then on every kick and
// every period until ctx ends (the local runtime's relay; in the cloud the
// stream invokes Handle).
func (r *Relay) Run(ctx context.Context, kick <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
		r.Log.Warn("outbox drain incomplete", "error", LogSafe(err))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-t.C:
		}
		if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("outbox drain incomplete", "error", LogSafe(err))
		}
	}
}

// emailAddress matches what a mail service's error may quote of a
// recipient (SES names the identities it refused).
var emailAddress = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

// LogSafe is err's text for a log line, with every e-mail address it
// quotes replaced: a recipient's address is personal data, which the logs
// never hold (the outbox item keeps the whole error as its lastError).
func LogSafe(err error) string {
	return emailAddress.ReplaceAllString(err.Error(), "[indirizzo]")
}
