package emulator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

const table = "t"

// startAWS starts an emulator with the AWS model m and a table shaped as
// sportello's (pk/sk, gsi1); its client does not retry, so each test sees
// what DynamoDB answered.
func startAWS(t *testing.T, m *Model) (*DynamoDB, *dynamodb.Client) {
	t.Helper()
	d, err := StartDynamoDB("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	d.SetModel(m)
	c := dynamodb.New(dynamodb.Options{Region: Region, Credentials: Credentials, BaseEndpoint: aws.String(d.URL),
		HTTPClient: sharedHTTP, Retryer: aws.NopRetryer{}})
	s := types.ScalarAttributeTypeS
	_, err = c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: s}, {AttributeName: aws.String("sk"), AttributeType: s},
			{AttributeName: aws.String("gsi1pk"), AttributeType: s}, {AttributeName: aws.String("gsi1sk"), AttributeType: s}},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("gsi1"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("gsi1pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("gsi1sk"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, c
}

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func item(pk, sk string, extra ...string) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{"pk": sv(pk), "sk": sv(sk)}
	for i := 0; i+1 < len(extra); i += 2 {
		it[extra[i]] = sv(extra[i+1])
	}
	return it
}

func txPut(pk, sk string, extra ...string) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: item(pk, sk, extra...)}}
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func reasons(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	var out []string
	for _, r := range tce.CancellationReasons {
		out = append(out, aws.ToString(r.Code))
	}
	return out
}

// holding waits until a transaction holds key (pk/sk of table t).
func holding(t *testing.T, d *DynamoDB, pk, sk string) {
	t.Helper()
	k := table + "\x00" + pk + "\x00" + sk
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		d.aws.locks.mu.Lock()
		h := d.aws.locks.held[k]
		d.aws.locks.mu.Unlock()
		if h != nil {
			return
		}
	}
	t.Fatalf("nobody took %s/%s", pk, sk)
}

func TestTransactionsThatMeetAreCancelledWithAReasonPerItem(t *testing.T) {
	m := AWS()
	m.TxHold = 300 * time.Millisecond
	d, c := startAWS(t, m)
	ctx := context.Background()
	var wg sync.WaitGroup
	var firstErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, firstErr = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("A", "1"), txPut("B", "1")}})
	}()
	holding(t, d, "B", "1")
	_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("C", "1"), txPut("B", "1"), txPut("D", "1"), txPut("A", "1")}})
	if got := strings.Join(reasons(err), ","); got != "None,TransactionConflict,None,TransactionConflict" {
		t.Fatalf("second transaction: reasons %q (%v), want None,TransactionConflict,None,TransactionConflict", got, err)
	}
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("A", "1")})
	if code(err) != "TransactionConflictException" {
		t.Fatalf("single write during the transaction: %v, want TransactionConflictException", err)
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("the first transaction: %v", firstErr)
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("C", "1"), txPut("B", "1")}}); err != nil {
		t.Fatalf("after the first committed, the retry passes: %v", err)
	}
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item("D", "1"), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item != nil {
		t.Fatalf("a cancelled transaction wrote nothing: %v %v", out.Item, err)
	}
}

// DynamoDB evaluates every item's condition before it cancels and names
// each one that failed (ConditionalCheckFailed), None for the others; a
// caller filing several applications at once learns in one answer which
// of them were refused. Both modes answer so.
func TestConditionFailuresNameEveryFailingItem(t *testing.T) {
	for _, mode := range []struct {
		name  string
		model *Model
	}{{"aws", AWS()}, {"plain", nil}} {
		t.Run(mode.name, func(t *testing.T) {
			_, c := startAWS(t, mode.model)
			ctx := context.Background()
			for _, pk := range []string{"X", "W"} {
				if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item(pk, "1", "v", "old")}); err != nil {
					t.Fatal(err)
				}
			}
			exists, missing := aws.String("attribute_exists(pk)"), aws.String("attribute_not_exists(pk)")
			check := func(pk string, cond *string) types.TransactWriteItem {
				return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table), Key: item(pk, "1"), ConditionExpression: cond}}
			}
			putNew := txPut("X", "1", "v", "new")
			putNew.Put.ConditionExpression = missing
			update := types.TransactWriteItem{Update: &types.Update{TableName: aws.String(table), Key: item("V", "1"), ConditionExpression: exists,
				UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": sv("new")}}}
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				txPut("Y", "1"), putNew, check("Z", exists), check("W", exists), update}})
			const want = "None,ConditionalCheckFailed,ConditionalCheckFailed,None,ConditionalCheckFailed"
			if got := strings.Join(reasons(err), ","); got != want {
				t.Fatalf("reasons %q (%v), want %s", got, err, want)
			}
			for _, k := range []struct{ pk, v string }{{"Y", ""}, {"X", "old"}, {"W", "old"}, {"V", ""}} {
				out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item(k.pk, "1"), ConsistentRead: aws.Bool(true)})
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				if v, ok := out.Item["v"].(*types.AttributeValueMemberS); ok {
					got = v.Value
				} else if out.Item != nil {
					got = "(stored)"
				}
				if got != k.v {
					t.Errorf("%s after the cancelled transaction: %q, want %q (nothing written, a checked item kept)", k.pk, got, k.v)
				}
			}
			if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				txPut("Y", "1"), check("W", exists), check("Z", missing)}}); err != nil {
				t.Fatalf("a transaction whose conditions all hold: %v", err)
			}
		})
	}
}

func TestSingleWritesOfOneItemWaitForEachOther(t *testing.T) {
	m := AWS()
	m.WriteHold = 20 * time.Millisecond
	_, c := startAWS(t, m)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: item("N", "1"),
				UpdateExpression: aws.String("ADD n :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a single write failed: %v", err)
		}
	}
	out, _ := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item("N", "1"), ConsistentRead: aws.Bool(true)})
	if n := out.Item["n"].(*types.AttributeValueMemberN).Value; n != "10" {
		t.Fatalf("n = %s, want 10", n)
	}
}

func TestLimits(t *testing.T) {
	_, c := startAWS(t, AWS())
	ctx := context.Background()
	big := func(n int) string { return strings.Repeat("x", n) }
	// Item size counts attribute names: pk(2)+"P"(1) + sk(2)+"1"(1) + data(4).
	under := MaxItemBytes - 10
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"an item of exactly 400 KB is stored", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("P", "1", "data", big(under))})
			return err
		}, ""},
		{"an item one byte over 400 KB is refused", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("P", "2", "data", big(under+1))})
			return err
		}, "ValidationException"},
		{"an update that would grow an item past 400 KB is refused", func() error {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: item("P", "1"),
				UpdateExpression: aws.String("SET more = :m"), ExpressionAttributeValues: map[string]types.AttributeValue{":m": sv("yy")}})
			return err
		}, "ValidationException"},
		{"a transaction item over 400 KB is refused", func() error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("Q", "1", "data", big(MaxItemBytes))}})
			return err
		}, "ValidationException"},
		{"a transaction of 101 items is refused", func() error {
			var items []types.TransactWriteItem
			for i := 0; i < 101; i++ {
				items = append(items, txPut("R", fmt.Sprint(i)))
			}
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
			return err
		}, "ValidationException"},
		{"a transaction of 100 items is done", func() error {
			var items []types.TransactWriteItem
			for i := 0; i < 100; i++ {
				items = append(items, txPut("R", fmt.Sprint(i)))
			}
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
			return err
		}, ""},
		{"a transaction over 4 MB is refused", func() error {
			var items []types.TransactWriteItem
			for i := 0; i < 11; i++ {
				items = append(items, txPut("S", fmt.Sprint(i), "data", big(390*1024)))
			}
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
			return err
		}, "ValidationException"},
		{"a transaction with two operations on one item is refused", func() error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("T", "1"), txPut("T", "1", "a", "b")}})
			return err
		}, "ValidationException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := code(tc.call()); got != tc.want {
				t.Fatalf("error code %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClientRequestTokenIsRememberedTenMinutes(t *testing.T) {
	m := AWS()
	now := time.Date(2025, 9, 10, 9, 59, 0, 0, time.UTC)
	var mu sync.Mutex
	m.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	_, c := startAWS(t, m)
	ctx := context.Background()
	incr := func(token, by string) error {
		_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(token), TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(table), Key: item("C", "1"), UpdateExpression: aws.String("ADD n :by"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":by": &types.AttributeValueMemberN{Value: by}}}}}})
		return err
	}
	n := func() string {
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item("C", "1"), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item["n"].(*types.AttributeValueMemberN).Value
	}
	if err := incr("tok", "1"); err != nil {
		t.Fatal(err)
	}
	if err := incr("tok", "1"); err != nil || n() != "1" {
		t.Fatalf("a repeat with the same token succeeds without writing again: %v, n=%s", err, n())
	}
	if err := incr("tok", "2"); code(err) != "IdempotentParameterMismatchException" {
		t.Fatalf("the same token on another request: %v, want IdempotentParameterMismatchException", err)
	}
	mu.Lock()
	now = now.Add(9*time.Minute + 59*time.Second)
	mu.Unlock()
	if err := incr("tok", "1"); err != nil || n() != "1" {
		t.Fatalf("9 min 59 s later the token still holds: %v, n=%s", err, n())
	}
	mu.Lock()
	now = now.Add(10 * time.Minute)
	mu.Unlock()
	if err := incr("tok", "1"); err != nil || n() != "2" {
		t.Fatalf("past ten minutes the token is forgotten and the request runs: %v, n=%s", err, n())
	}
}

func TestIndexShowsWritesLate(t *testing.T) {
	m := AWS()
	m.GSILag = 150 * time.Millisecond
	_, c := startAWS(t, m)
	ctx := context.Background()
	written := time.Now()
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("DOC#1", "META", "gsi1pk", "SUB#1#DOCS", "gsi1sk", "1")}); err != nil {
		t.Fatal(err)
	}
	q := &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("gsi1"), KeyConditionExpression: aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": sv("SUB#1#DOCS")}}
	out, err := c.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 0 && time.Since(written) < m.GSILag {
		t.Fatalf("the index showed a write %s old", time.Since(written))
	}
	base, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :p"), ConsistentRead: aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": sv("DOC#1")}})
	if err != nil || len(base.Items) != 1 {
		t.Fatalf("a consistent read of the table sees the write at once: %d items, %v", len(base.Items), err)
	}
	time.Sleep(m.GSILag)
	if out, err = c.Query(ctx, q); err != nil || len(out.Items) != 1 {
		t.Fatalf("after the lag the index shows it: %d items, %v", len(out.Items), err)
	}
	q.ConsistentRead = aws.Bool(true)
	if _, err := c.Query(ctx, q); code(err) != "ValidationException" {
		t.Fatalf("a consistent read of the index: %v, want ValidationException", err)
	}
}

func TestPartitionsAndTablesThrottle(t *testing.T) {
	m := AWS()
	m.PartitionWCU, m.Burst = 10, time.Second
	_, c := startAWS(t, m)
	ctx := context.Background()
	var err error
	n := 0
	for ; n < 50 && err == nil; n++ {
		_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("HOT", fmt.Sprint(n))})
	}
	if code(err) != "ProvisionedThroughputExceededException" || n > 15 {
		t.Fatalf("after %d writes to one partition of 10 WCU: %v, want ProvisionedThroughputExceededException", n, err)
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("COLD", "1")}); err != nil {
		t.Fatalf("another partition is not throttled: %v", err)
	}
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("COLD", "2"), txPut("HOT", "x")}})
	if got := strings.Join(reasons(err), ","); got != "None,ThrottlingError" {
		t.Fatalf("a transaction touching the hot partition: reasons %q (%v), want None,ThrottlingError", got, err)
	}

	m2 := AWS()
	m2.TableWCU, m2.Burst = 5, time.Second
	_, c2 := startAWS(t, m2)
	err = nil
	for n = 0; n < 50 && err == nil; n++ {
		_, err = c2.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item(fmt.Sprint("P", n), "1")})
	}
	if code(err) != "ThrottlingException" {
		t.Fatalf("past the table's on-demand maximum: %v, want ThrottlingException", err)
	}
}

func TestQueriesStopAtOneMegabyte(t *testing.T) {
	m := AWS()
	m.PartitionWCU = 1e6 // 3 MB into one partition at once would be throttled, rightly; not what is tested here
	_, c := startAWS(t, m)
	ctx := context.Background()
	for i := 0; i < 30; i++ {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("BIG", fmt.Sprintf("%02d", i), "data", strings.Repeat("x", 100*1024))}); err != nil {
			t.Fatal(err)
		}
	}
	in := &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :p"), ConsistentRead: aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": sv("BIG")}}
	first, err := c.Query(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Items) >= 30 || len(first.Items) > 11 || first.LastEvaluatedKey == nil {
		t.Fatalf("first page: %d items of 100 KB, LastEvaluatedKey %v; want at most 1 MB and a key to go on", len(first.Items), first.LastEvaluatedKey)
	}
	var sks []string
	p := dynamodb.NewQueryPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			sks = append(sks, it["sk"].(*types.AttributeValueMemberS).Value)
		}
	}
	if len(sks) != 30 || sks[0] != "00" || sks[29] != "29" {
		t.Fatalf("pages together: %d items (%v), want 30 in order", len(sks), sks)
	}
}

func TestPlainModeKeepsTheLimitsNotTheTiming(t *testing.T) {
	// The plain emulator serialises writes and shows the index at once:
	// what the AWS model cancels or delays it lets through. Tests that use
	// it say why (speed), knowing this. What DynamoDB refuses for its size
	// or shape it refuses too.
	_, c := startAWS(t, nil)
	ctx := context.Background()
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("P", "1", "data", strings.Repeat("x", MaxItemBytes))}); code(err) != "ValidationException" {
		t.Fatalf("plain: an item over 400 KB: %v, want ValidationException", err)
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("T", "1"), txPut("T", "1")}}); code(err) != "ValidationException" {
		t.Fatalf("plain: two operations on one item: %v, want ValidationException", err)
	}
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("G", "1", "gsi1pk", "P", "gsi1sk", "1")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("gsi1"), KeyConditionExpression: aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": sv("P")}})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("plain: the index shows a write at once: %d, %v", len(out.Items), err)
	}
}

func TestModelFromEnv(t *testing.T) {
	cases := []struct {
		name, model, lag string
		want             func(*Model) bool
		fails            bool
	}{
		{"aws is the default", "", "", func(m *Model) bool {
			a := AWS()
			return m != nil && m.TxHold == a.TxHold && m.GSILag == a.GSILag && m.PartitionWCU == a.PartitionWCU
		}, false},
		{"aws has a lag of a few hundred ms", "aws", "", func(m *Model) bool { return m != nil && m.GSILag == 300*time.Millisecond }, false},
		{"plain is no model", "plain", "", func(m *Model) bool { return m == nil }, false},
		{"the lag can be set", "aws", "1s", func(m *Model) bool { return m != nil && m.GSILag == time.Second }, false},
		{"an unknown model is an error", "fast", "", nil, true},
		{"a lag that is not a duration is an error", "aws", "soon", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvModel, tc.model)
			t.Setenv(EnvGSILag, tc.lag)
			m, err := ModelFromEnv()
			if (err != nil) != tc.fails || (!tc.fails && !tc.want(m)) {
				t.Fatalf("got %+v, %v", m, err)
			}
		})
	}
}

// Capacity is charged as DynamoDB charges it: a transactional write costs
// twice a single one, a write refused by its condition still costs its
// units, and reads have their own per-partition capacity.
func TestCapacityChargesTransactionsTwiceFailedConditionsAndReads(t *testing.T) {
	ctx := context.Background()
	m := AWS()
	m.PartitionWCU, m.PartitionRCU, m.Burst = 10, 10, time.Second
	_, c := startAWS(t, m)
	writes := func(do func(i int) error) (int, error) {
		for i := 0; i < 30; i++ {
			if err := do(i); err != nil {
				return i, err
			}
		}
		return 30, nil
	}
	n, err := writes(func(i int) error {
		_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("TX", fmt.Sprint(i))}})
		return err
	})
	if got := strings.Join(reasons(err), ","); got != "ThrottlingError" || n < 4 || n > 6 {
		t.Fatalf("transactional writes of 1 KB into 10 WCU: %d passed, then %q (%v); want about 5 (2 units each), then ThrottlingError", n, got, err)
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("CC", "x")}); err != nil {
		t.Fatal(err)
	}
	n, err = writes(func(int) error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("CC", "x"), ConditionExpression: aws.String("attribute_not_exists(pk)")})
		if code(err) == "ConditionalCheckFailedException" {
			return nil
		}
		return err
	})
	if code(err) != "ProvisionedThroughputExceededException" || n > 15 {
		t.Fatalf("writes refused by their condition: %d before %v; want them to use the partition's capacity up", n, err)
	}
	n, err = writes(func(int) error {
		_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item("CC", "x"), ConsistentRead: aws.Bool(true)})
		return err
	})
	if code(err) != "ProvisionedThroughputExceededException" || n > 15 {
		t.Fatalf("consistent reads of one partition of 10 RCU: %d before %v; want ProvisionedThroughputExceededException", n, err)
	}
}

// While a transaction with a ClientRequestToken runs, the same token
// answers TransactionInProgressException; afterwards, success without a
// second write.
func TestClientRequestTokenInFlightIsInProgress(t *testing.T) {
	m := AWS()
	m.TxHold = 300 * time.Millisecond
	d, c := startAWS(t, m)
	ctx := context.Background()
	in := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("tok"), TransactItems: []types.TransactWriteItem{txPut("IP", "1")}}
	done := make(chan error, 1)
	go func() {
		_, err := c.TransactWriteItems(ctx, in)
		done <- err
	}()
	holding(t, d, "IP", "1")
	if _, err := c.TransactWriteItems(ctx, in); code(err) != "TransactionInProgressException" {
		t.Fatalf("the same token while the first runs: %v, want TransactionInProgressException", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := c.TransactWriteItems(ctx, in); err != nil {
		t.Fatalf("the same request after it succeeded: %v, want success", err)
	}
}

// A transaction DynamoDB did whose answer was lost (the fault injection's
// "lost response") is remembered under its token like any done one: the
// SDK's retry with the same token is answered success, never a
// ConditionalCheckFailed against its own write.
func TestALostAnswerStillRemembersTheTransactionsToken(t *testing.T) {
	d, c := startAWS(t, AWS())
	ctx := context.Background()
	put := func(token, id string) error {
		_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(token), TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(table), Item: item("L", id), ConditionExpression: aws.String("attribute_not_exists(pk)")}}}})
		return err
	}
	exists := func(id string) bool {
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item("L", id), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item != nil
	}
	lost := 0
	for i := range 40 {
		id, token := fmt.Sprint(i), fmt.Sprint("tok-", i)
		d.SetFaults(&Faults{Rate: 1, LostResponse: true, Ops: map[string]bool{"TransactWriteItems": true}})
		err := put(token, id)
		d.SetFaults(nil)
		if err == nil || !exists(id) {
			continue // an error before the write: nothing to remember
		}
		lost++
		if err := put(token, id); err != nil {
			t.Fatalf("the retry of a done transaction whose answer was lost: %v, want success", err)
		}
	}
	if lost == 0 {
		t.Fatal("no answer was lost in 40 faulted transactions: the test proved nothing")
	}
}
