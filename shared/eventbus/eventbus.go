// Package eventbus publishes sportello's domain events on Amazon
// EventBridge. FundsAnnounced carries only ids; the allocation function
// reads everything else from the table.
package eventbus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"sportello/shared/outbox"
)

// Source and detail types of sportello's events.
const (
	Source         = "sportello"
	FundsAnnounced = "FundsAnnounced"
)

// Funds is the detail of FundsAnnounced.
type Funds struct {
	CallID       string `json:"callId"`
	AllocationID string `json:"allocationId"`
}

// Bus is one event bus.
type Bus struct {
	Client *eventbridge.Client
	Name   string
}

// FundsAnnounced publishes the event.
func (b Bus) FundsAnnounced(ctx context.Context, callID, runID string) error {
	detail, _ := json.Marshal(Funds{CallID: callID, AllocationID: runID})
	out, err := b.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		Source: aws.String(Source), DetailType: aws.String(FundsAnnounced), Detail: aws.String(string(detail)), EventBusName: aws.String(b.Name),
	}}})
	if err != nil {
		return fmt.Errorf("put FundsAnnounced: %w", err)
	}
	if out.FailedEntryCount > 0 {
		return fmt.Errorf("put FundsAnnounced: %s", aws.ToString(out.Entries[0].ErrorMessage))
	}
	return nil
}

// Deliver publishes an outbox event (the relay's consumer of events);
// allocation.AnnouncedEvent composes FundsAnnounced. PutEvents has no
// de-duplication: the allocation function is the consumer that absorbs a
// redelivery (a run is taken once, under its lease).
func (b Bus) Deliver(ctx context.Context, m outbox.Message) error {
	if m.Event != FundsAnnounced {
		return fmt.Errorf("publish %s: %w", m.Event, outbox.ErrNoConsumer)
	}
	return b.FundsAnnounced(ctx, m.Detail["callId"], m.Detail["allocationId"])
}

// DecodeFunds reads the allocation function's input: an EventBridge
// event whose detail is Funds, or Funds itself (direct invoke).
func DecodeFunds(payload []byte) (Funds, error) {
	var ev struct {
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Funds{}, fmt.Errorf("decode event: %w", err)
	}
	raw := payload
	if ev.Detail != nil {
		if ev.Source != Source || ev.DetailType != FundsAnnounced {
			return Funds{}, fmt.Errorf("unexpected event %s/%s", ev.Source, ev.DetailType)
		}
		raw = ev.Detail
	}
	var f Funds
	if err := json.Unmarshal(raw, &f); err != nil || f.CallID == "" || f.AllocationID == "" {
		return Funds{}, fmt.Errorf("decode FundsAnnounced: missing ids")
	}
	return f, nil
}
