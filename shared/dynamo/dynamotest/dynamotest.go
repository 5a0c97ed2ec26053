// Package dynamotest gives tests a fresh table on the embedded DynamoDB,
// reached through the real SDK client.
package dynamotest

import (
	"context"
	"testing"

	"sportello/infra/local/emulator"
	"sportello/shared/dynamo"
)

// New starts an embedded DynamoDB for the test and creates the table.
func New(t testing.TB) (*dynamo.Store, *emulator.DynamoDB) {
	t.Helper()
	ddb, err := emulator.StartDynamoDB("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ddb.Close() })
	s := dynamo.New(ddb.Client(), "sportello-test")
	if err := s.CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, ddb
}
