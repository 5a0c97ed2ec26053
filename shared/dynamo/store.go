// Package dynamo is the DynamoDB adapter: one table (pk/sk plus one GSI),
// every state change a conditional write, filing one TransactWriteItems.
//
// Key scheme (also what IAM conditions in the stack rely on):
//
//	CALL#<callId>  META                      the call           gsi1: CALLS / <region>#<callId>
//	CALL#<callId>  WINDOW#<wid>#<OPENED|CLOSED>  close/open work done once
//	CALL#<callId>  FINAL                     participants recorded at the final close
//	CALL#<callId>  SUB#<org>#<subId>         the call's roster (roster.go): its applications,
//	CALL#<callId>  RC#<org>#<claimId>          rendicontazioni and riparto runs, written with
//	CALL#<callId>  RUN#<announcedAt>#<runId>   each and read consistently (the index lags)
//	COUNTER#<REG>-<YEAR> COUNTER             the Region's register counter of the year (own partition: only submissions may write it)
//	REGISTER#<REG>-<YEAR> <seq, 12 digits>   one entry per number: filing or integration, withdrawal marked
//	CLAIM#<callId> <key>                     an own uniqueness claim of a filed application (released, never deleted)
//	CLAIM#<callId> MEMBER#<key>#<subId>      an association's listing of a member (not exclusive)
//	AUDIT#<callId> AUDIT#<time>#<id>         audit trail (own partition) gsi1: SUB#<subId>#AUDIT / <time>
//	SUB#<subId>    META                      an application     gsi1: CALL#<callId>#SUBS / <org>#<subId>
//	DOC#<docId>    META                      a document         gsi1: SUB#<subId>#DOCS / <docId>
//	IDEM#<key>     META                      idempotency record
//	REG#<callId>   @ACTIVE#<kind> | @GEN#<kind>#<gen>#<id>  registry lists (preloaded services, facilities): the list in force, rows by generation (registry.go)
//	ALLOC#<id>     META | LINE#<n>           allocation runs and lines
//	RADV#<callId>  META | ORD#<order>#<org> rendicontazione: a call's advances, ordered once (META last)
//	RC#<claimId>   META                      a rendicontazione  gsi1: CALL#<callId>#RC / <org>#<claimId>
//	RCHILD#<callId> <fingerprint>            a child-month claimed (keyed HMAC, never the code)
//	PIIKEY         v1                        the KMS-encrypted data key sealing children's codes
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsretry "github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"sportello/shared/problem"
	"sportello/shared/retry"
)

// GSI1 is the one secondary index.
const GSI1 = "gsi1"

// Store is the table.
type Store struct {
	db    *dynamodb.Client
	table string
}

// New wraps a client and table name. The SDK does not retry
// TransactionConflictException (a single write meeting a transaction on
// its item, which holds it for milliseconds); the store's client does.
func New(db *dynamodb.Client, table string) *Store {
	return &Store{db: dynamodb.New(db.Options(), func(o *dynamodb.Options) {
		o.Retryer = awsretry.AddWithErrorCodes(o.Retryer, "TransactionConflictException")
	}), table: table}
}

// Client exposes the SDK client (benchmarks compare against raw calls).
func (s *Store) Client() *dynamodb.Client { return s.db }

// Table is the table name.
func (s *Store) Table() string { return s.table }

// CreateTable creates the table as the stack does; for the local runtime and tests.
func (s *Store) CreateTable(ctx context.Context) error {
	str := types.ScalarAttributeTypeS
	_, err := s.db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(s.table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: str},
			{AttributeName: aws.String("sk"), AttributeType: str},
			{AttributeName: aws.String("gsi1pk"), AttributeType: str},
			{AttributeName: aws.String("gsi1sk"), AttributeType: str},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(GSI1),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("gsi1pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("gsi1sk"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create table %s: %w", s.table, err)
	}
	return nil
}

// keys is embedded in every item.
type keys struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
	Type   string `dynamodbav:"type"`
	// ExpiresAt (epoch seconds) is the table's TTL attribute: DynamoDB
	// deletes the item some time after it (infra/stack sets TTLAttribute).
	ExpiresAt int64 `dynamodbav:"expiresAt,omitempty"`
}

// TTLAttribute is the table's time-to-live attribute.
const TTLAttribute = "expiresAt"

// Retention of what the table keeps (docs/deploy.md, "Retention").
const (
	// PersonalDataRetention: applications and documents hold data of minors
	// and ISEE, which the Allegato A3 keeps 10 years from filing. Counted,
	// like the documents bucket's Object Lock, from creation, which
	// precedes filing by at most a window's length: 11 years cover 10 from
	// filing.
	PersonalDataRetention = (11*365 + 3) * 24 * time.Hour
	// IdempotencyRetention: a client's retry arrives within minutes; 30
	// days cover any retry and leave the record for a support question.
	IdempotencyRetention = 30 * 24 * time.Hour
)

// expiry is the TTL value of an item made at t and kept for d.
func expiry(t time.Time, d time.Duration) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Add(d).Unix()
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(v)}
}

// get reads one item into out; found is false when absent.
func (s *Store) get(ctx context.Context, pk, sk string, out any) (bool, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, classify(fmt.Errorf("get %s %s: %w", pk, sk, err))
	}
	if res.Item == nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return false, fmt.Errorf("decode %s %s: %w", pk, sk, err)
	}
	return true, nil
}

// putNew writes item only if no item has its key; exists reports a clash.
func (s *Store) putNew(ctx context.Context, item any) (exists bool, err error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return false, fmt.Errorf("encode item: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return true, nil
	}
	if err != nil {
		return false, classify(fmt.Errorf("put: %w", err))
	}
	return false, nil
}

// putVersioned replaces item only if the stored version is prev; stale
// reports that someone else wrote first.
func (s *Store) putVersioned(ctx context.Context, item any, prev int64) (stale bool, err error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return false, fmt.Errorf("encode item: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("attribute_exists(pk) AND version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(prev)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return true, nil
	}
	if err != nil {
		return false, classify(fmt.Errorf("put versioned: %w", err))
	}
	return false, nil
}

// query reads every item of a key condition, following pages.
func (s *Store) query(ctx context.Context, in *dynamodb.QueryInput, each func(map[string]types.AttributeValue) error) error {
	in.TableName = &s.table
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return classify(fmt.Errorf("query: %w", err))
		}
		for _, it := range page.Items {
			if err := each(it); err != nil {
				return err
			}
		}
	}
	return nil
}

func queryPrefix(pk, skPrefix string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":p": str(skPrefix)},
		ConsistentRead:            aws.Bool(true),
	}
}

func queryGSI(pk, skPrefix string) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{
		IndexName:                 aws.String(GSI1),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
	}
	if skPrefix != "" {
		in.KeyConditionExpression = aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :p)")
		in.ExpressionAttributeValues[":p"] = str(skPrefix)
	}
	return in
}

// classify turns throttling and service faults into a retryable problem
// (503 with Retry-After) after the SDK's own retries gave up; the caller's
// retry with the same Idempotency-Key is then safe.
func classify(err error) error {
	if contended(cancelReasons(err)) {
		return &retryable{err: err}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" && strings.Contains(ae.ErrorMessage(), "size") && strings.Contains(ae.ErrorMessage(), "exceeded") {
		// An item over 400 KB (or a transaction over 4 MB): the request
		// carried too much, a 413 to the client, never a 500.
		return fmt.Errorf("%w (%v)", ErrTooLarge, err)
	}
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
			"InternalServerError", "ServiceUnavailable", "TransactionConflictException":
			return &retryable{err: err}
		}
	}
	return err
}

// retryable carries problem.Unavailable beside the cause, so the one
// error renderer maps it (errors.Is(err, problem.Unavailable)) without any
// per-call conversion.
type retryable struct{ err error }

func (r *retryable) Error() string   { return "storage unavailable: " + r.err.Error() }
func (r *retryable) Unwrap() []error { return []error{problem.Unavailable, r.err} }

// ErrTooLarge is what DynamoDB refuses for size (an item over 400 KB).
var ErrTooLarge = problem.New(problem.CodeTooLarge, "La domanda supera la dimensione massima che il sistema conserva (400 KB): ridurre i testi del modulo; i documenti si allegano come file.")

// contended reports a transaction DynamoDB cancelled only because other
// requests held its items or its partitions were busy (TransactionConflict,
// ThrottlingError): nothing was written and the same transaction may be
// sent again. The SDK does not retry TransactionCanceledException.
func contended(reasons []string) bool {
	busy := false
	for _, r := range reasons {
		switch r {
		case "None":
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
			busy = true
		default:
			return false
		}
	}
	return busy
}

// contentionBudget bounds how long a transaction is sent again while
// others hold its items: well inside API Gateway's 29 s, and far beyond
// the milliseconds a transaction holds an item.
const contentionBudget = 10 * time.Second

// transactWrite sends a transaction, sending it again (spaced out) while
// it is cancelled only by contention, for up to contentionBudget; then
// the error stands (and classify makes it a 503).
func (s *Store) transactWrite(ctx context.Context, items []types.TransactWriteItem) error {
	deadline := time.Now().Add(contentionBudget)
	for attempt := 0; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil || time.Now().After(deadline) || !contended(cancelReasons(err)) {
			return err
		}
		if err := retry.Backoff(ctx, attempt, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// putAll writes items in BatchWriteItem requests of 25, sending again what
// DynamoDB leaves unprocessed; what names the items in errors.
func (s *Store) putAll(ctx context.Context, what string, items []any) error {
	reqs := make([]types.WriteRequest, len(items))
	for i, it := range items {
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return fmt.Errorf("encode %s: %w", what, err)
		}
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: av}}
	}
	return s.batchWrite(ctx, "write "+what, reqs)
}

// deleteAll deletes the items of keys ({pk, sk}) as putAll writes.
func (s *Store) deleteAll(ctx context.Context, what string, keys [][2]string) error {
	reqs := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(k[0], k[1])}}
	}
	return s.batchWrite(ctx, "delete "+what, reqs)
}

// batchWrite sends reqs in BatchWriteItem requests of 25, sending again
// what DynamoDB leaves unprocessed.
func (s *Store) batchWrite(ctx context.Context, what string, all []types.WriteRequest) error {
	for start := 0; start < len(all); start += 25 {
		reqs := all[start:min(start+25, len(all))]
		for attempt := 0; len(reqs) > 0; attempt++ {
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.table: reqs}})
			if err != nil {
				return classify(fmt.Errorf("%s: %w", what, err))
			}
			reqs = out.UnprocessedItems[s.table]
			if attempt > 20 && len(reqs) > 0 {
				return &retryable{err: fmt.Errorf("%s: items left unprocessed", what)}
			}
		}
	}
	return nil
}

// sweep deletes, after a change has committed, the items of partition pk
// under skPrefix that dead says no reader will ever read again (rows
// written for a change that another replaced or that never committed).
// The change stands whatever happens here, so a failure is logged, not
// returned: what is left is never read, and the next change of the same
// kind sweeps it.
func (s *Store) sweep(ctx context.Context, what, pk, skPrefix string, dead func(sk string) bool) {
	var gone [][2]string
	err := s.query(ctx, queryPrefix(pk, skPrefix), func(m map[string]types.AttributeValue) error {
		if sk, ok := m["sk"].(*types.AttributeValueMemberS); ok && dead(sk.Value) {
			gone = append(gone, [2]string{pk, sk.Value})
		}
		return nil
	})
	if err == nil {
		err = s.deleteAll(ctx, what, gone)
	}
	if err != nil {
		slog.Default().Warn("sweep left rows no reader reads", "what", what, "pk", pk, "rows", len(gone), "error", err.Error())
	}
}
