package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"sportello/shared/outbox"
)

// store is what the function needs beyond the relay's own store.
type store interface {
	Message(ctx context.Context, id string) (outbox.Message, bool, error)
	RedriveDead(ctx context.Context) ([]string, error)
}

type relayFunction struct {
	store store
	relay *outbox.Relay
}

// command is an operator's direct invocation.
type command struct {
	Kind    string            `json:"kind"`
	Records []json.RawMessage `json:"Records"`
}

// Counts answers a command.
type Counts struct {
	Redriven  int `json:"redriven"`
	Delivered int `json:"delivered"`
}

func (f *relayFunction) handle(ctx context.Context, payload json.RawMessage) (any, error) {
	var c command
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("decode invocation: %w", err)
	}
	switch {
	case c.Records != nil:
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode stream batch: %w", err)
		}
		return f.stream(ctx, ev), nil
	case c.Kind == "drain" || c.Kind == "redrive":
		var out Counts
		if c.Kind == "redrive" {
			ids, err := f.store.RedriveDead(ctx)
			if err != nil {
				return out, err
			}
			out.Redriven = len(ids)
			// Sent by key at once: the pending index shows them late.
			n, err := f.relay.Written(ctx, ids)
			out.Delivered += n
			if err != nil {
				return out, err
			}
		}
		// Drain takes up to 100 pending messages a round: go on while
		// rounds deliver.
		for {
			n, err := f.relay.Drain(ctx)
			out.Delivered += n
			if err != nil || n == 0 {
				return out, err
			}
		}
	}
	return nil, fmt.Errorf("unknown invocation %q: want a DynamoDB stream batch, {\"kind\":\"drain\"} or {\"kind\":\"redrive\"}", c.Kind)
}

// stream delivers a batch of new outbox items in stream order. The item
// is read again, consistently (the record's image may be stale: a drain
// may have sent it meanwhile). A message that is not delivered — failed,
// or dead-lettered in the table — is reported as the batch's first
// failure, and the records from it on are retried (bisected) by the event
// source mapping; when its retries run out the batch's description goes to
// the relay's SQS dead-letter queue, whose depth is alarmed.
func (f *relayFunction) stream(ctx context.Context, ev events.DynamoDBEvent) events.DynamoDBEventResponse {
	var out events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		img := rec.Change.NewImage
		if !isString(img["type"]) || img["type"].String() != "outbox" || !isString(img["id"]) {
			continue // the filter lets only outbox items through; anything else is not ours
		}
		err := f.deliver(ctx, img["id"].String())
		if err != nil {
			f.relay.Log.Error("outbox stream record not delivered", "message", img["id"].String(), "sequence", rec.Change.SequenceNumber, "error", outbox.LogSafe(err))
			out.BatchItemFailures = append(out.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			return out // stream order: the rest is retried after it
		}
	}
	return out
}

func (f *relayFunction) deliver(ctx context.Context, id string) error {
	m, found, err := f.store.Message(ctx, id)
	switch {
	case err != nil:
		return err
	case !found:
		return fmt.Errorf("outbox message %s not found", id)
	case m.Status == outbox.Dead:
		return fmt.Errorf("outbox message %s is dead-lettered after %d attempts: %s", id, m.Attempts, m.LastError)
	}
	return f.relay.Handle(ctx, m)
}

func isString(v events.DynamoDBAttributeValue) bool { return v.DataType() == events.DataTypeString }
