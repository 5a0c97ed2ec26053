package emulator

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestMinidynLayoutIsTheOneBulkLoadKnows(t *testing.T) {
	d, err := StartDynamoDB("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := miniTables(d.mini); err != nil {
		t.Fatalf("%v: restart would load item by item (O(n²)); update bulk.go for this minidyn version", err)
	}
	if err := checkIndexLayout(); err != nil {
		t.Fatalf("%v: restart would load item by item (O(n²)); update bulk.go for this minidyn version", err)
	}
}

// minidynState is what minidyn holds of a table: items, and the sorted
// key lists a scan or an index query walks.
type minidynState struct {
	items     map[string]string
	keys      []string
	indexKeys map[string][]string
	indexRefs map[string]map[string]string
}

func stateOf(t *testing.T, d *DynamoDB, name string) minidynState {
	t.Helper()
	tables, err := miniTables(d.mini)
	if err != nil {
		t.Fatal(err)
	}
	d.writeMu.Lock()
	d.keys.rebuild()
	d.writeMu.Unlock()
	tb := tables[name]
	s := minidynState{items: map[string]string{}, keys: slices.Clone(tb.SortedKeys), indexKeys: map[string][]string{}, indexRefs: map[string]map[string]string{}}
	for k, it := range tb.Data {
		s.items[k] = fmt.Sprint(len(it), it["pk"].S, it["sk"].S, it["gsi1pk"], it["v"])
		if v := it["v"]; v != nil && v.S != nil {
			s.items[k] = *v.S
		}
	}
	for name, idx := range tb.Indexes {
		keys, refs, err := indexSlices(idx)
		if err != nil {
			t.Fatal(err)
		}
		s.indexKeys[name], s.indexRefs[name] = slices.Clone(*keys), maps.Clone(*refs)
	}
	return s
}

func createIndexedTable(t *testing.T, c *dynamodb.Client) {
	t.Helper()
	s := types.ScalarAttributeTypeS
	if _, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: s}, {AttributeName: aws.String("sk"), AttributeType: s},
			{AttributeName: aws.String("gsi1pk"), AttributeType: s}, {AttributeName: aws.String("gsi1sk"), AttributeType: s}},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("gsi1"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("gsi1pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("gsi1sk"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
	}); err != nil {
		t.Fatal(err)
	}
}

// writeRound puts, updates, deletes and transacts 150 items: keys out of
// order, some in the index, some moved in it, some deleted.
func writeRound(t *testing.T, c *dynamodb.Client, round int) {
	t.Helper()
	ctx := context.Background()
	for i := range 150 {
		k := fmt.Sprintf("P#%03d", (i*37+round*11)%150)
		extra := []string{"v", fmt.Sprint(round, "-", i)}
		if i%3 != 0 {
			extra = append(extra, "gsi1pk", fmt.Sprint("G#", i%7), "gsi1sk", fmt.Sprint(round, k))
		}
		var err error
		switch {
		case i%10 == 9:
			_, err = c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: item(k, "META")})
		case i%5 == 4:
			_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				txPut(k, "META", extra...), txPut(k, fmt.Sprint("AUDIT#", round), "v", "a", "gsi1pk", "AUDIT", "gsi1sk", k)}})
		case i%4 == 1:
			_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: item(k, "META"),
				UpdateExpression:          aws.String("SET v = :v, gsi1pk = :g, gsi1sk = :s"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": sv(fmt.Sprint("u", round, i)), ":g": sv("G#U"), ":s": sv(k)}})
		default:
			_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item(k, "META", extra...)})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestBulkLoadMatchesItemByItem: the same writes on minidyn as it is
// (sorting its keys on every write), on the store that cuts them back
// after each write, and on that store restarted from its snapshot and
// journal, leave the same items, the same table keys, the same index
// references, and the same answers to a scan, to DescribeTable's count
// and to index queries minidyn itself serves (a filter keeps them off the
// mirror) — which are the mirror's answers.
func TestBulkLoadMatchesItemByItem(t *testing.T) {
	// The plain model: this compares the mirror's index answers with
	// minidyn's at the same instant, which the AWS model's index lag
	// separates by design (TestIndexShowsWritesLate tests the lag).
	t.Setenv(EnvModel, "plain")
	ctx := context.Background()
	native, err := StartDynamoDB("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer native.Close()
	native.keys = nil // minidyn's own behaviour
	dir := t.TempDir()
	d, err := StartDynamoDBWith("127.0.0.1:0", Options{Dir: dir, SnapshotAfter: -1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.keys == nil {
		t.Fatal("the store does not cut minidyn's key lists")
	}
	for _, c := range []*dynamodb.Client{native.Client(), d.Client()} {
		createIndexedTable(t, c)
		writeRound(t, c, 0)
		writeRound(t, c, 1)
	}
	if err := d.Snapshot(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*dynamodb.Client{native.Client(), d.Client()} {
		writeRound(t, c, 2) // after the snapshot: replayed from the journal
		writeRound(t, c, 3)
	}
	r, err := StartDynamoDBWith("127.0.0.1:0", Options{Dir: crashCopy(t, dir), SnapshotAfter: -1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Recovery.SnapshotRows == 0 || r.Recovery.Records == 0 {
		t.Fatalf("recovery %+v: want a snapshot and journal records", r.Recovery)
	}

	want := stateOf(t, native, table)
	// minidyn's own index key list drifts from its references (its
	// Table.Delete and index.delete remove by position without checking
	// the key); the rebuilt one is the references', which are exact.
	for name, refs := range want.indexRefs {
		want.indexKeys[name] = slices.Sorted(maps.Values(refs))
	}
	for name, store := range map[string]*DynamoDB{"live": d, "restarted": r} {
		got := stateOf(t, store, table)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%s store differs from minidyn's: keys %d vs %d, index keys %d vs %d, items equal %v, refs equal %v", name,
				len(want.keys), len(got.keys), len(want.indexKeys["gsi1"]), len(got.indexKeys["gsi1"]),
				reflect.DeepEqual(want.items, got.items), reflect.DeepEqual(want.indexRefs, got.indexRefs))
		}
	}
	writeRound(t, native.Client(), 4)
	sa, err := native.Client().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"live", "restarted"} {
		c := map[string]*DynamoDB{"live": d, "restarted": r}[name].Client()
		writeRound(t, c, 4) // cut the lists again: the reads below must make them whole
		sb, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		if len(sa.Items) == 0 || !reflect.DeepEqual(keysOf(sa.Items), keysOf(sb.Items)) {
			t.Fatalf("%s: scan differs from minidyn's: %d vs %d items", name, len(sa.Items), len(sb.Items))
		}
		desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		if n := aws.ToInt64(desc.Table.ItemCount); n != int64(len(sa.Items)) {
			t.Fatalf("%s: DescribeTable counts %d items, the table holds %d", name, n, len(sa.Items))
		}
		for _, g := range []string{"G#U", "AUDIT", "G#3"} {
			in := &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("gsi1"), KeyConditionExpression: aws.String("gsi1pk = :g"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":g": sv(g)}}
			a, err := c.Query(ctx, in) // the mirror
			if err != nil {
				t.Fatal(err)
			}
			in.FilterExpression = aws.String("attribute_exists(v)")
			b, err := c.Query(ctx, in) // minidyn
			if err != nil {
				t.Fatal(err)
			}
			if a.Count == 0 || !reflect.DeepEqual(keysOf(a.Items), keysOf(b.Items)) {
				t.Fatalf("%s: index query %s: mirror %v, minidyn %v", name, g, keysOf(a.Items), keysOf(b.Items))
			}
		}
	}
}

func keysOf(items []map[string]types.AttributeValue) []string {
	var out []string
	for _, it := range items {
		out = append(out, it["pk"].(*types.AttributeValueMemberS).Value+"/"+it["sk"].(*types.AttributeValueMemberS).Value)
	}
	return out
}
