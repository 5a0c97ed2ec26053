package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/call"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/retry"
)

type callItem struct {
	keys
	call.Call
}

func callPK(id string) string { return "CALL#" + id }

func newCallItem(c call.Call) callItem {
	return callItem{keys: keys{PK: callPK(c.ID), SK: "META", GSI1PK: "CALLS", GSI1SK: c.Region + "#" + c.ID, Type: "call"}, Call: c}
}

// CreateCall stores a new call; a clash of ids is a conflict.
func (s *Store) CreateCall(ctx context.Context, c call.Call) error {
	return s.CreateCallWith(ctx, c, outbox.Effects{})
}

// CreateCallWith is CreateCall with the creation's effects (its audit
// line) in the same transaction.
func (s *Store) CreateCallWith(ctx context.Context, c call.Call, fx outbox.Effects) error {
	exists, err := s.putNewWith(ctx, newCallItem(c), fx)
	if err != nil {
		return fmt.Errorf("create call %s: %w", c.ID, err)
	}
	if exists {
		return problem.New(problem.CodeConflict, "Esiste già un bando con identificativo %q.", c.ID)
	}
	return nil
}

// Call reads a call; absent is not_found.
func (s *Store) Call(ctx context.Context, id string) (call.Call, error) {
	var it callItem
	found, err := s.get(ctx, callPK(id), "META", &it)
	if err != nil {
		return call.Call{}, fmt.Errorf("read call %s: %w", id, err)
	}
	if !found {
		return call.Call{}, problem.New(problem.CodeNotFound, "Bando non trovato.")
	}
	return it.Call, nil
}

// Calls lists every call (the GSI holds one entry per call: a query, not
// a scan). The index says which calls exist — a call created a moment ago
// may be missing for a few hundred milliseconds, and the next reconcile
// finds it — but shows a change late, so each call is then read
// consistently: a proroga saved a moment ago must move the reconcile's
// closing instant.
func (s *Store) Calls(ctx context.Context) ([]call.Call, error) {
	var ids []string
	err := s.query(ctx, queryGSI("CALLS", ""), func(m map[string]types.AttributeValue) error {
		var it callItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode call: %w", err)
		}
		ids = append(ids, it.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return readEach(ctx, ids, s.Call)
}

// UpdateCall applies fn to the stored call and writes the result only if
// nobody changed the call meanwhile (optimistic version), retrying on a
// race; fn may run more than once.
func (s *Store) UpdateCall(ctx context.Context, id string, fn func(*call.Call) error) (call.Call, error) {
	return s.UpdateCallWith(ctx, id, func(c *call.Call) (outbox.Effects, error) { return outbox.Effects{}, fn(c) })
}

// UpdateCallWith is UpdateCall whose fn also answers the change's effects
// (its audit line), written in the same transaction as the call. A race
// lost writes nothing, so the next attempt's line is the only one.
func (s *Store) UpdateCallWith(ctx context.Context, id string, fn func(*call.Call) (outbox.Effects, error)) (call.Call, error) {
	for attempt := 0; attempt < 50; attempt++ {
		if attempt > 0 {
			if err := retry.Backoff(ctx, attempt, 50*time.Millisecond); err != nil {
				return call.Call{}, err
			}
		}
		c, err := s.Call(ctx, id)
		if err != nil {
			return call.Call{}, err
		}
		prev := c.Version
		fx, err := fn(&c)
		if err != nil {
			return call.Call{}, err
		}
		c.Version = prev + 1
		stale, err := s.putVersionedWith(ctx, newCallItem(c), prev, fx)
		if err != nil {
			return call.Call{}, fmt.Errorf("update call %s: %w", id, err)
		}
		if !stale {
			return c, nil
		}
	}
	return call.Call{}, fmt.Errorf("update call %s: %w", id, &retryable{err: fmt.Errorf("too much contention")})
}

type windowEventItem struct {
	keys
	call.WindowEvent
}

// RecordWindowEvent writes e unless it was already recorded; created tells
// whether this call did it. fx, the work's effects (its audit line), are
// written in the same transaction: only by the call that records it.
func (s *Store) RecordWindowEvent(ctx context.Context, e call.WindowEvent, fx outbox.Effects) (created bool, err error) {
	it := windowEventItem{keys: keys{PK: callPK(e.CallID), SK: "WINDOW#" + e.WindowID + "#" + e.Kind, Type: "windowEvent"}, WindowEvent: e}
	exists, err := s.putNewWith(ctx, it, fx)
	if err != nil {
		return false, fmt.Errorf("record window %s %s: %w", e.WindowID, e.Kind, err)
	}
	return !exists, nil
}

// WindowEvents lists the recorded window work of a call.
func (s *Store) WindowEvents(ctx context.Context, callID string) ([]call.WindowEvent, error) {
	var out []call.WindowEvent
	err := s.query(ctx, queryPrefix(callPK(callID), "WINDOW#"), func(m map[string]types.AttributeValue) error {
		var it windowEventItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode window event: %w", err)
		}
		out = append(out, it.WindowEvent)
		return nil
	})
	return out, err
}

type participationItem struct {
	keys
	call.Participation
}

// RecordParticipation writes the final list once, with its effects (the
// audit line) in the same transaction.
func (s *Store) RecordParticipation(ctx context.Context, p call.Participation, fx outbox.Effects) (created bool, err error) {
	exists, err := s.putNewWith(ctx, participationItem{keys: keys{PK: callPK(p.CallID), SK: "FINAL", Type: "participation"}, Participation: p}, fx)
	if err != nil {
		return false, fmt.Errorf("record participation %s: %w", p.CallID, err)
	}
	return !exists, nil
}

// Participation reads the final list; found is false before the final close.
func (s *Store) Participation(ctx context.Context, callID string) (call.Participation, bool, error) {
	var it participationItem
	found, err := s.get(ctx, callPK(callID), "FINAL", &it)
	return it.Participation, found, err
}
