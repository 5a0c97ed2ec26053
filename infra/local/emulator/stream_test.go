package emulator

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The stream reports every item a successful write changed, with the
// kind of change, at once (no index lag); a refused write reports nothing.
func TestStreamReportsEachChangedItemOfASuccessfulWrite(t *testing.T) {
	d, c := startAWS(t, AWS())
	var mu sync.Mutex
	var got []string
	d.OnWrite(func(change, table, pk, sk string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, change+" "+table+" "+pk+"/"+sk)
	})
	ctx := context.Background()
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("A", "1")}); err != nil {
		t.Fatal(err)
	}
	upd := types.TransactWriteItem{Update: &types.Update{TableName: aws.String(table), Key: item("A", "1"),
		UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": sv("x")}}}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("B", "1"), upd}}); err != nil {
		t.Fatal(err)
	}
	refused := txPut("A", "1")
	refused.Put.ConditionExpression = aws.String("attribute_not_exists(pk)")
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("C", "1"), refused}}); err == nil {
		t.Fatal("a put on an existing item with attribute_not_exists was not refused")
	}
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: item("B", "1")}); err != nil {
		t.Fatal(err)
	}
	want := []string{"Put t A/1", "Put t B/1", "Update t A/1", "Delete t B/1"}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Fatalf("stream %q, want %q", got, want)
	}
}

// OnCommit hears each successful write once, with all the items it
// changed together; a refused write is not heard.
func TestCommitReportsTheItemsOfEachWriteTogether(t *testing.T) {
	d, c := startAWS(t, AWS())
	var mu sync.Mutex
	var got []string
	d.OnCommit(func(op string, items []Changed) {
		s := op + ":"
		for _, it := range items {
			s += " " + it.Change + " " + it.PK + "/" + it.SK
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, s)
	})
	ctx := context.Background()
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("A", "1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("B", "1"), txPut("C", "1")}}); err != nil {
		t.Fatal(err)
	}
	refused := txPut("A", "1")
	refused.Put.ConditionExpression = aws.String("attribute_not_exists(pk)")
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{txPut("D", "1"), refused}}); err == nil {
		t.Fatal("a put on an existing item with attribute_not_exists was not refused")
	}
	if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: {
		{PutRequest: &types.PutRequest{Item: item("E", "1")}}, {DeleteRequest: &types.DeleteRequest{Key: item("B", "1")}}}}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"PutItem: Put A/1", "TransactWriteItems: Put B/1 Put C/1", "BatchWriteItem: Put E/1 Delete B/1"}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Fatalf("commits %q, want %q", got, want)
	}
}
