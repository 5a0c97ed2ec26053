package emulator

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestUpdateRemoveTakesTheAttributeAndTheItemLeavesTheIndex: REMOVE in an
// UpdateItem, alone or after SET, and in a transaction's Update, removes
// the attributes as DynamoDB does (minidyn alone keeps them), the item
// leaves the sparse index it no longer has a key for, and a restart that
// replays the journal ends the same.
func TestUpdateRemoveTakesTheAttributeAndTheItemLeavesTheIndex(t *testing.T) {
	// The plain model: this compares the mirror's index answers with
	// minidyn's at the same instant, which the AWS model's index lag
	// separates by design (TestIndexShowsWritesLate tests the lag).
	t.Setenv(EnvModel, "plain")
	ctx := context.Background()
	d, err := StartDynamoDBWith("127.0.0.1:0", Options{Dir: t.TempDir(), SnapshotAfter: -1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := d.Client()
	createIndexedTable(t, c)
	for _, k := range []string{"M#1", "M#2", "M#3", "M#4"} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item(k, "META", "gsi1pk", "PENDING", "gsi1sk", k, "status", "pending", "lease", "x")}); err != nil {
			t.Fatal(err)
		}
	}
	names := map[string]string{"#s": "status"}
	sent := map[string]types.AttributeValue{":sent": sv("sent")}
	for _, u := range []*dynamodb.UpdateItemInput{
		{Key: item("M#1", "META"), UpdateExpression: aws.String("SET #s = :sent REMOVE gsi1pk, gsi1sk"), ExpressionAttributeNames: names, ExpressionAttributeValues: sent},
		{Key: item("M#2", "META"), UpdateExpression: aws.String("REMOVE gsi1pk, gsi1sk SET #s = :sent"), ExpressionAttributeNames: names, ExpressionAttributeValues: sent},
	} {
		u.TableName = aws.String(table)
		if _, err := c.UpdateItem(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(table), Key: item("M#3", "META"), UpdateExpression: aws.String("SET #s = :sent REMOVE #g, gsi1sk"),
			ExpressionAttributeNames: map[string]string{"#s": "status", "#g": "gsi1pk"}, ExpressionAttributeValues: sent}},
		txPut("OTHER", "META"),
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: item("M#4", "META"), UpdateExpression: aws.String("REMOVE lease")}); err != nil {
		t.Fatal(err)
	}
	check := func(name string, s *DynamoDB) {
		t.Helper()
		c := s.Client()
		for _, k := range []string{"M#1", "M#2", "M#3"} {
			out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item(k, "META"), ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			if out.Item["gsi1pk"] != nil || out.Item["gsi1sk"] != nil || out.Item["status"].(*types.AttributeValueMemberS).Value != "sent" {
				t.Fatalf("%s: %s after SET and REMOVE: %v", name, k, out.Item)
			}
		}
		out, _ := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: item("M#4", "META"), ConsistentRead: aws.Bool(true)})
		if out.Item["lease"] != nil || out.Item["gsi1pk"] == nil {
			t.Fatalf("%s: REMOVE lease: %v", name, out.Item)
		}
		in := &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("gsi1"), KeyConditionExpression: aws.String("gsi1pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": sv("PENDING")}}
		mirror, err := c.Query(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		in.FilterExpression = aws.String("attribute_exists(pk)")
		mini, err := c.Query(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if keys := keysOf(mirror.Items); len(keys) != 1 || keys[0] != "M#4/META" || len(mini.Items) != 1 {
			t.Fatalf("%s: the pending index lists %v (minidyn %v): want only M#4", name, keys, keysOf(mini.Items))
		}
	}
	check("live", d)
	r, err := StartDynamoDBWith("127.0.0.1:0", Options{Dir: crashCopy(t, d.opts.Dir), SnapshotAfter: -1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	check("restarted", r)
}
