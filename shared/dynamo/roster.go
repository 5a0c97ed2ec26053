package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/problem"
)

// A call's roster says which applications, rendicontazioni and riparto runs it has. It
// lives in the call's own partition (CALL#<callId>, sk SUB#<org>#<subId>,
// RC#<org>#<claimId> or RUN#<announcedAt>#<runId>), written in the transaction
// that creates the item, and is read consistently. The index (gsi1) lists
// the same items, but a few hundred milliseconds late and with contents
// as they were (docs/performance.md, "Reads: current or eventual"): what
// must count every one of them as it is now — the final close, the
// riparto, the funds announcement, the outputs, a rendicontazione's money
// — reads the roster and then each item by key.
type rosterItem struct {
	keys
	ID string `dynamodbav:"id"`
}

// Roster kinds (the first part of the sort key).
const (
	rosterSubs   = "SUB"
	rosterClaims = "RC"
	rosterRuns   = "RUN" // org: the announcement instant, so runs list in order
)

// rosterPut is the Put that enters id on callID's roster of kind.
func (s *Store) rosterPut(callID, kind, org, id string, expiresAt int64) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(rosterItem{keys: keys{PK: callPK(callID), SK: kind + "#" + org + "#" + id, Type: "roster", ExpiresAt: expiresAt}, ID: id})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode roster entry: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}, nil
}

// rosterIDs lists the ids on callID's roster of kind (only org's when
// org is set), in org order, read consistently; also lists the ids the
// index shows (listed), so that items written before the roster existed
// still count.
func (s *Store) rosterIDs(ctx context.Context, callID, kind, org string, listed []string) ([]string, error) {
	prefix := kind + "#"
	if org != "" {
		prefix += org + "#"
	}
	var ids []string
	err := s.query(ctx, queryPrefix(callPK(callID), prefix), func(m map[string]types.AttributeValue) error {
		var it rosterItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode roster entry: %w", err)
		}
		ids = append(ids, it.ID)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("roster of %s: %w", callID, err)
	}
	for _, id := range listed {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// readEach reads every id with read (consistently, 16 at a time), in
// order; an id whose item is gone (a dangling roster entry) is left out.
func readEach[T any](ctx context.Context, ids []string, read func(context.Context, string) (T, error)) ([]T, error) {
	out := make([]T, len(ids))
	found := make([]bool, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			v, err := read(ctx, id)
			switch {
			case problem.CodeOf(err) == problem.CodeNotFound:
			case err != nil:
				errs[i] = err
			default:
				out[i], found[i] = v, true
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	kept := out[:0]
	for i := range out {
		if found[i] {
			kept = append(kept, out[i])
		}
	}
	return kept, nil
}
