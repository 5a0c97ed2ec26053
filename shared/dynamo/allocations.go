package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/allocation"
	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/riparto"
)

type runItem struct {
	keys
	allocation.Run
}

func allocPK(id string) string { return "ALLOC#" + id }

func newRunItem(r allocation.Run) runItem {
	return runItem{keys: keys{PK: allocPK(r.ID), SK: "META", GSI1PK: callPK(r.CallID) + "#ALLOCS", GSI1SK: r.AnnouncedAt.Format("2006-01-02T15:04:05.000000000Z") + "#" + r.ID, Type: "allocation"}, Run: r}
}

type lineItem struct {
	keys
	ID        string       `dynamodbav:"id"`
	Weight    string       `dynamodbav:"weight"`
	RawShare  string       `dynamodbav:"rawShare"`
	Amount    money.Cents  `dynamodbav:"amount"`
	Cap       *money.Cents `dynamodbav:"cap,omitempty"`
	Capped    bool         `dynamodbav:"capped"`
	CapReason string       `dynamodbav:"capReason,omitempty"`
	Rounding  money.Cents  `dynamodbav:"rounding"`
}

// CreateRun records an announcement's run.
func (s *Store) CreateRun(ctx context.Context, r allocation.Run) error {
	exists, err := s.putNew(ctx, newRunItem(r))
	if err != nil {
		return fmt.Errorf("create run %s: %w", r.ID, err)
	}
	if exists {
		return problem.New(problem.CodeConflict, "Riparto già registrato.")
	}
	return nil
}

// Run reads a run; absent is not_found.
func (s *Store) Run(ctx context.Context, id string) (allocation.Run, error) {
	var it runItem
	found, err := s.get(ctx, allocPK(id), "META", &it)
	if err != nil {
		return allocation.Run{}, fmt.Errorf("read run %s: %w", id, err)
	}
	if !found {
		return allocation.Run{}, problem.New(problem.CodeNotFound, "Riparto non trovato.")
	}
	return it.Run, nil
}

// ClaimRun moves a pending run to running; claimed is false when another
// delivery of the same event got there first.
func (s *Store) ClaimRun(ctx context.Context, id string) (allocation.Run, bool, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(allocPK(id), "META"),
		UpdateExpression:          aws.String("SET #s = :running"),
		ConditionExpression:       aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":running": str(allocation.Running), ":pending": str(allocation.Pending)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return allocation.Run{}, false, nil
	}
	if err != nil {
		return allocation.Run{}, false, classify(fmt.Errorf("claim run %s: %w", id, err))
	}
	var it runItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return allocation.Run{}, false, fmt.Errorf("decode run: %w", err)
	}
	return it.Run, true, nil
}

// FinishRun writes the lines, then the run's final state (conditional on
// it still running, so a finished run never changes).
func (s *Store) FinishRun(ctx context.Context, r allocation.Run, lines []riparto.Line) error {
	items := make([]any, len(lines))
	for i, l := range lines {
		items[i] = lineItem{keys: keys{PK: allocPK(r.ID), SK: "LINE#" + l.ID, Type: "allocationLine"},
			ID: l.ID, Weight: l.Weight.RatString(), RawShare: l.RawShare.RatString(), Amount: l.Amount, Cap: l.Cap, Capped: l.Capped, CapReason: l.CapReason, Rounding: l.Rounding}
	}
	if err := s.putAll(ctx, "lines of "+r.ID, items); err != nil {
		return err
	}
	av, err := attributevalue.MarshalMap(newRunItem(r))
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("#s = :running"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":running": str(allocation.Running)}})
	if err != nil {
		return classify(fmt.Errorf("finish run %s: %w", r.ID, err))
	}
	return nil
}

// RunLines reads a run's lines, by id.
func (s *Store) RunLines(ctx context.Context, id string) ([]riparto.Line, error) {
	var out []riparto.Line
	err := s.query(ctx, queryPrefix(allocPK(id), "LINE#"), func(m map[string]types.AttributeValue) error {
		var it lineItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode line: %w", err)
		}
		w, ok1 := new(big.Rat).SetString(it.Weight)
		raw, ok2 := new(big.Rat).SetString(it.RawShare)
		if !ok1 || !ok2 {
			return fmt.Errorf("line %s: bad rational", it.ID)
		}
		out = append(out, riparto.Line{ID: it.ID, Weight: w, RawShare: raw, Amount: it.Amount, Cap: it.Cap, Capped: it.Capped, CapReason: it.CapReason, Rounding: it.Rounding})
		return nil
	})
	return out, err
}
