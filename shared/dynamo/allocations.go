package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/allocation"
	"sportello/shared/money"
	"sportello/shared/outbox"
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
	// The frozen input of the line, so that lists and decrees are
	// regenerated from the table alone.
	Name         string `dynamodbav:"name,omitempty"`
	FiscalCode   string `dynamodbav:"fiscalCode,omitempty"`
	SubmissionID string `dynamodbav:"submissionId,omitempty"`
	Protocol     string `dynamodbav:"protocol,omitempty"`
	Criteria     string `dynamodbav:"criteria,omitempty"`
}

// activeItem holds a call's one pending or running run: announcing while
// it exists finds that run instead of starting another.
type activeItem struct {
	keys
	RunID string      `dynamodbav:"runId"`
	Fund  money.Cents `dynamodbav:"fund"`
}

const activeSK = "ALLOC#ACTIVE"

func fundsIdemPK(callID, key string) string { return "IDEM#funds#" + callID + "#" + key }

// CreateRun writes a pending run, the call's active-run slot, with a key
// the idempotency record, and the run's effects (its audit line and its
// FundsAnnounced in the outbox), in one transaction; a clash says which
// condition failed and who holds it.
func (s *Store) CreateRun(ctx context.Context, r allocation.Run, idemKey string, fx outbox.Effects) (*allocation.Clash, error) {
	run, err := attributevalue.MarshalMap(newRunItem(r))
	if err != nil {
		return nil, fmt.Errorf("encode run: %w", err)
	}
	active, err := attributevalue.MarshalMap(activeItem{keys: keys{PK: callPK(r.CallID), SK: activeSK, Type: "allocationActive"}, RunID: r.ID, Fund: r.Fund})
	if err != nil {
		return nil, fmt.Errorf("encode active run: %w", err)
	}
	notExists := aws.String("attribute_not_exists(pk)")
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: run, ConditionExpression: notExists}},
		{Put: &types.Put{TableName: &s.table, Item: active, ConditionExpression: notExists}},
	}
	if idemKey != "" {
		idem, err := attributevalue.MarshalMap(idemItem{keys: keys{PK: fundsIdemPK(r.CallID, idemKey), SK: "META", Type: "idempotency"}, Target: r.ID, Hash: r.RequestHash})
		if err != nil {
			return nil, fmt.Errorf("encode idempotency: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: idem, ConditionExpression: notExists}})
	}
	roster, err := s.rosterPut(r.CallID, rosterRuns, r.AnnouncedAt.UTC().Format(time.RFC3339Nano), r.ID, 0)
	if err != nil {
		return nil, err
	}
	items = append(items, roster)
	// The effects come last, so the clash reading below keeps its indexes.
	more, err := s.effectItems(fx)
	if err != nil {
		return nil, err
	}
	items = append(items, more...)
	err = s.transactWrite(ctx, items)
	reasons := cancelReasons(err)
	if reasons == nil {
		if err != nil {
			return nil, classify(fmt.Errorf("create run %s: %w", r.ID, err))
		}
		return nil, nil
	}
	if idemKey != "" && len(reasons) > 2 && reasons[2] == "ConditionalCheckFailed" {
		runID, hash, found, err := s.IdemRun(ctx, r.CallID, idemKey)
		if err != nil || found {
			return &allocation.Clash{IdemRunID: runID, IdemHash: hash}, err
		}
	}
	if len(reasons) > 1 && reasons[1] == "ConditionalCheckFailed" || reasons[0] == "Unknown" {
		var it activeItem
		found, err := s.get(ctx, callPK(r.CallID), activeSK, &it)
		if err != nil {
			return nil, err
		}
		if found {
			return &allocation.Clash{ActiveRunID: it.RunID}, nil
		}
	}
	// The slot was freed between the write and the read, or the run id
	// clashed: a retryable fault.
	return nil, &retryable{err: fmt.Errorf("create run %s: %w", r.ID, err)}
}

// IdemRun finds the run an announcement's Idempotency-Key made.
func (s *Store) IdemRun(ctx context.Context, callID, idemKey string) (string, string, bool, error) {
	var it idemItem
	found, err := s.get(ctx, fundsIdemPK(callID, idemKey), "META", &it)
	if err != nil || !found {
		return "", "", false, err
	}
	return it.Target, it.Hash, true, nil
}

// BindKey records an Idempotency-Key answered by an existing run.
func (s *Store) BindKey(ctx context.Context, callID, idemKey, runID, hash string) (*allocation.Clash, error) {
	exists, err := s.putNew(ctx, idemItem{keys: keys{PK: fundsIdemPK(callID, idemKey), SK: "META", Type: "idempotency"}, Target: runID, Hash: hash})
	if err != nil || !exists {
		return nil, err
	}
	prev, prevHash, _, err := s.IdemRun(ctx, callID, idemKey)
	return &allocation.Clash{IdemRunID: prev, IdemHash: prevHash}, err
}

// ClearActive frees the call's active-run slot if runID holds it.
func (s *Store) ClearActive(ctx context.Context, callID, runID string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: key(callPK(callID), activeSK),
		ConditionExpression:       aws.String("runId = :r"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":r": str(runID)}})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return classify(fmt.Errorf("clear active run %s: %w", runID, err))
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

// ClaimRun takes a run for lease: a pending one, or a running one whose
// worker's lease ran out before now (it died: timeout, out of memory,
// crash). Each take counts an attempt, the fencing token FinishRun checks.
// When the run cannot be taken it is returned as stored, claimed false.
func (s *Store) ClaimRun(ctx context.Context, id string, now time.Time, lease time.Duration) (allocation.Run, bool, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(allocPK(id), "META"),
		UpdateExpression:         aws.String("SET #s = :running, leaseUntil = :until, attempt = if_not_exists(attempt, :zero) + :one, startedAt = if_not_exists(startedAt, :now)"),
		ConditionExpression:      aws.String("attribute_exists(pk) AND (#s = :pending OR (#s = :running AND (attribute_not_exists(leaseUntil) OR leaseUntil < :nowms)))"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":running": str(allocation.Running), ":pending": str(allocation.Pending),
			":until": num(now.Add(lease).UnixMilli()), ":nowms": num(now.UnixMilli()), ":zero": num(0), ":one": num(1),
			":now": str(now.UTC().Format(time.RFC3339Nano))},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		run, rerr := s.Run(ctx, id)
		return run, false, rerr
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

// ReleaseRun puts a run its worker could not finish back to pending, if
// that worker (r.Attempt) still holds it.
func (s *Store) ReleaseRun(ctx context.Context, r allocation.Run) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(allocPK(r.ID), "META"),
		UpdateExpression:          aws.String("SET #s = :pending REMOVE leaseUntil"),
		ConditionExpression:       aws.String("#s = :running AND attempt = :attempt"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":running": str(allocation.Running), ":pending": str(allocation.Pending), ":attempt": num(int64(r.Attempt))},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // another worker holds it now, or it finished
	}
	if err != nil {
		return classify(fmt.Errorf("release run %s: %w", r.ID, err))
	}
	return nil
}

// FinishRun writes the lines, then the run's final state (conditional on
// it still running, so a finished run never changes).
//
// fx, the result's effects (its audit line), are written in the same
// transaction as the run's final state: a worker that lost its lease
// writes neither.
func (s *Store) FinishRun(ctx context.Context, r allocation.Run, lines []allocation.Line, fx outbox.Effects) error {
	items := make([]any, len(lines))
	for i, l := range lines {
		items[i] = lineItem{keys: keys{PK: allocPK(r.ID), SK: "LINE#" + l.ID, Type: "allocationLine"},
			ID: l.ID, Weight: l.Weight.RatString(), RawShare: l.RawShare.RatString(), Amount: l.Amount, Cap: l.Cap, Capped: l.Capped, CapReason: l.CapReason, Rounding: l.Rounding,
			Name: l.Name, FiscalCode: l.FiscalCode, SubmissionID: l.SubmissionID, Protocol: l.Protocol, Criteria: l.Criteria}
	}
	if err := s.putAll(ctx, "lines of "+r.ID, items); err != nil {
		return err
	}
	av, err := attributevalue.MarshalMap(newRunItem(r))
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	// Only the worker holding the lease finishes: lines written by a worker
	// that lost it are the same lines (same snapshot), but its final state
	// must not overwrite the holder's.
	lost, err := s.changeWith(ctx, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("#s = :running AND attempt = :attempt"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":running": str(allocation.Running), ":attempt": num(int64(r.Attempt))}}}, fx)
	if lost {
		return allocation.ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("finish run %s: %w", r.ID, err)
	}
	return s.ClearActive(ctx, r.CallID, r.ID)
}

// RunLines reads a run's lines, by id.
func (s *Store) RunLines(ctx context.Context, id string) ([]allocation.Line, error) {
	var out []allocation.Line
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
		out = append(out, allocation.Line{Line: riparto.Line{ID: it.ID, Weight: w, RawShare: raw, Amount: it.Amount, Cap: it.Cap, Capped: it.Capped, CapReason: it.CapReason, Rounding: it.Rounding},
			Name: it.Name, FiscalCode: it.FiscalCode, SubmissionID: it.SubmissionID, Protocol: it.Protocol, Criteria: it.Criteria})
		return nil
	})
	return out, err
}

// Runs lists a call's runs, oldest announcement first, as they are now:
// the call's roster (read consistently) says which runs exist, then each
// is read consistently, so a run announced or finished a moment ago shows
// as it is (outputs and milestones depend on it).
func (s *Store) Runs(ctx context.Context, callID string) ([]allocation.Run, error) {
	var listed []string
	err := s.query(ctx, queryGSI(callPK(callID)+"#ALLOCS", ""), func(m map[string]types.AttributeValue) error {
		var it runItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode run: %w", err)
		}
		listed = append(listed, it.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids, err := s.rosterIDs(ctx, callID, rosterRuns, "", listed)
	if err != nil {
		return nil, err
	}
	out, err := readEach(ctx, ids, s.Run)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b allocation.Run) int {
		if c := a.AnnouncedAt.Compare(b.AnnouncedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
