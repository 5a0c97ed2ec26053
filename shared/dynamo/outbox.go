package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/ident"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/submission"
)

// Outbox messages live in their own partitions ("OUTBOX#<id>"); while
// pending they are also in the sparse index partition "OUTBOX#PENDING"
// (the local relay's work list; in the cloud the table's stream feeds the
// relay function, filtered on type = outbox).
const outboxPending = "OUTBOX#PENDING"

type outboxItem struct {
	keys
	outbox.Message
}

const outboxPrefix = "OUTBOX#"

func outboxPK(id string) string { return outboxPrefix + id }

// OutboxID is the id of the outbox message whose partition key is pk (ok
// false for any other item): the local runtime reads it off the emulated
// stream, as the cloud's relay filters its stream on outbox items.
func OutboxID(pk string) (id string, ok bool) { return strings.CutPrefix(pk, outboxPrefix) }

// effectItems are the transaction items of a change's effects.
func (s *Store) effectItems(fx outbox.Effects) ([]types.TransactWriteItem, error) {
	var items []types.TransactWriteItem
	for i := range fx.Audit {
		av, err := attributevalue.MarshalMap(newAuditItem(&fx.Audit[i]))
		if err != nil {
			return nil, fmt.Errorf("encode audit: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}})
	}
	for _, m := range fx.Messages {
		av, err := attributevalue.MarshalMap(newOutboxItem(m))
		if err != nil {
			return nil, fmt.Errorf("encode outbox message: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}})
	}
	return items, nil
}

// newOutboxItem is a pending message as stored (an id is given if none).
func newOutboxItem(m outbox.Message) outboxItem {
	if m.ID == "" {
		m.ID = ident.New("msg")
	}
	m.Status, m.CreatedAt = outbox.Pending, m.CreatedAt.UTC()
	// A message holds an address and what was said to it: personal data,
	// kept as long as the application it notified.
	return outboxItem{keys: keys{PK: outboxPK(m.ID), SK: "META", GSI1PK: outboxPending, GSI1SK: m.CreatedAt.Format("2006-01-02T15:04:05.000000000Z") + "#" + m.ID, Type: "outbox",
		ExpiresAt: expiry(m.CreatedAt, PersonalDataRetention)}, Message: m}
}

// QueueMessages writes messages to the outbox outside any change's
// transaction (a fan-out larger than a transaction takes: one e-mail per
// Comune that filed), each only if its id is new: queueing the same
// messages again, after a crash or a retry, sends nothing twice.
func (s *Store) QueueMessages(ctx context.Context, msgs []outbox.Message) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	work := make(chan outbox.Message)
	for range min(8, len(msgs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				if _, err := s.putNew(ctx, newOutboxItem(m)); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("queue %s: %w", m.ID, err))
					mu.Unlock()
				}
			}
		}()
	}
	for _, m := range msgs {
		work <- m
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// errEnough ends a query early: the caller has what it asked for.
var errEnough = errors.New("enough")

// PendingMessages lists undelivered messages, oldest first. It reads no
// further than limit: the local relay lists them after every request,
// and during a noon rush the pending set holds thousands.
func (s *Store) PendingMessages(ctx context.Context, limit int) ([]outbox.Message, error) {
	var out []outbox.Message
	in := queryGSI(outboxPending, "")
	in.Limit = aws.Int32(int32(min(max(limit, 1), 1000)))
	err := s.query(ctx, in, func(m map[string]types.AttributeValue) error {
		if len(out) >= limit {
			return errEnough
		}
		var it outboxItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode outbox message: %w", err)
		}
		if it.Status == outbox.Pending {
			out = append(out, it.Message)
		}
		if len(out) >= limit {
			return errEnough // not one page more
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	return out, err
}

// Message reads one message.
func (s *Store) Message(ctx context.Context, id string) (outbox.Message, bool, error) {
	var it outboxItem
	found, err := s.get(ctx, outboxPK(id), "META", &it)
	return it.Message, found, err
}

// MessageSent marks a message delivered and takes it out of the pending set.
func (s *Store) MessageSent(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(outboxPK(id), "META"),
		UpdateExpression:          aws.String("SET #s = :sent, sentAt = :at REMOVE gsi1pk, gsi1sk"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sent": str(outbox.Sent), ":at": str(at.UTC().Format(time.RFC3339Nano))},
	})
	if err != nil {
		return classify(fmt.Errorf("mark %s sent: %w", id, err))
	}
	return nil
}

// MessageFailed records a failed attempt; dead takes the message out of
// the pending set into the dead-letter partition.
func (s *Store) MessageFailed(ctx context.Context, id string, attempts int, lastErr string, dead bool) error {
	in := &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(outboxPK(id), "META"),
		UpdateExpression:          aws.String("SET attempts = :n, lastError = :e"),
		ConditionExpression:       aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": num(int64(attempts)), ":e": str(lastErr), ":pending": str(outbox.Pending)},
	}
	if dead {
		in.UpdateExpression = aws.String("SET attempts = :n, lastError = :e, #s = :dead, gsi1pk = :dlq")
		in.ExpressionAttributeValues[":dead"] = str(outbox.Dead)
		in.ExpressionAttributeValues[":dlq"] = str("OUTBOX#DEAD")
	}
	_, err := s.db.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // delivered meanwhile by another relay
	}
	if err != nil {
		return classify(fmt.Errorf("record failure of %s: %w", id, err))
	}
	return nil
}

// DeadMessages lists the dead-lettered messages (for the operator).
func (s *Store) DeadMessages(ctx context.Context) ([]outbox.Message, error) {
	var out []outbox.Message
	err := s.query(ctx, queryGSI("OUTBOX#DEAD", ""), func(m map[string]types.AttributeValue) error {
		var it outboxItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode outbox message: %w", err)
		}
		out = append(out, it.Message)
		return nil
	})
	return out, err
}

// SaveSubmissionWith is SaveSubmission with the change's effects written
// in the same transaction.
func (s *Store) SaveSubmissionWith(ctx context.Context, sub submission.Submission, prev int64, fx outbox.Effects) error {
	av, err := attributevalue.MarshalMap(newSubItem(sub))
	if err != nil {
		return fmt.Errorf("encode submission: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("attribute_exists(pk) AND version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(prev)}}}}
	more, err := s.effectItems(fx)
	if err != nil {
		return err
	}
	items = append(items, more...)
	err = s.transactWrite(ctx, items)
	if reasons := cancelReasons(err); reasons != nil && reasons[0] == "ConditionalCheckFailed" {
		return problem.New(problem.CodeVersionMismatch, "La domanda è stata modificata da un'altra richiesta: ricaricarla e riprovare.")
	}
	if err != nil {
		return classify(fmt.Errorf("save submission %s: %w", sub.ID, err))
	}
	return nil
}

// RedriveDead puts every dead-lettered message back in the pending set,
// its attempts reset (the operator fixed the cause: docs/deploy.md,
// runbook); it returns their ids, for the relay to send them at once.
func (s *Store) RedriveDead(ctx context.Context) ([]string, error) {
	dead, err := s.DeadMessages(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range dead {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: key(outboxPK(m.ID), "META"),
			UpdateExpression:         aws.String("SET #s = :pending, attempts = :zero, gsi1pk = :p"),
			ConditionExpression:      aws.String("#s = :dead"),
			ExpressionAttributeNames: map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pending": str(outbox.Pending), ":dead": str(outbox.Dead),
				":zero": num(0), ":p": str(outboxPending)},
		})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			continue // redriven meanwhile
		}
		if err != nil {
			return ids, classify(fmt.Errorf("redrive %s: %w", m.ID, err))
		}
		ids = append(ids, m.ID)
	}
	return ids, nil
}

// putNewWith writes item only if no item has its key, with the change's
// effects in the same transaction; exists reports a clash (nothing is
// written then, effects included). Without effects it is one PutItem.
// The items are made once: a transaction sent again (contention) carries
// the same audit line, whose put is conditional on its own absence.
func (s *Store) putNewWith(ctx context.Context, item any, fx outbox.Effects) (exists bool, err error) {
	if fx.Items() == 0 {
		return s.putNew(ctx, item)
	}
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return false, fmt.Errorf("encode item: %w", err)
	}
	return s.changeWith(ctx, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}}, fx)
}

// putVersionedWith replaces item only if the stored version is prev, with
// the change's effects in the same transaction; stale reports that
// someone else wrote first (nothing is written then).
func (s *Store) putVersionedWith(ctx context.Context, item any, prev int64, fx outbox.Effects) (stale bool, err error) {
	if fx.Items() == 0 {
		return s.putVersioned(ctx, item, prev)
	}
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return false, fmt.Errorf("encode item: %w", err)
	}
	return s.changeWith(ctx, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("attribute_exists(pk) AND version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(prev)}}}, fx)
}

// changeWith writes one conditional change and its effects in one
// transaction; refused reports that the change's own condition failed.
func (s *Store) changeWith(ctx context.Context, change types.TransactWriteItem, fx outbox.Effects) (refused bool, err error) {
	more, err := s.effectItems(fx)
	if err != nil {
		return false, err
	}
	err = s.transactWrite(ctx, append([]types.TransactWriteItem{change}, more...))
	if r := cancelReasons(err); r != nil && r[0] == "ConditionalCheckFailed" {
		return true, nil
	}
	if err != nil {
		return false, classify(fmt.Errorf("write with effects: %w", err))
	}
	return false, nil
}
