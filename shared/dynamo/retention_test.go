package dynamo_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/dynamo"
	"sportello/shared/dynamo/dynamotest"
	"sportello/shared/outbox"
)

// The table's TTL attribute (dynamo.TTLAttribute, set on the table by
// infra/stack) ends what must not be kept for ever: applications 11 years
// after creation (10 from filing, Allegato A3), idempotency records after
// 30 days.
func TestItemsCarryTheirExpiry(t *testing.T) {
	s, ddb := dynamotest.New(t)
	d := draft("c", "comune:001272")
	if _, _, err := s.CreateSubmission(ctx, d, "key-ttl", "h1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordArrival(ctx, "scope-ttl", d.CreatedAt); err != nil {
		t.Fatal(err)
	}
	next := d
	next.Version = d.Version + 1
	receipt := outbox.Message{ID: "receipt-ttl", Kind: outbox.Email, To: "protocollo@comune.example", Subject: "Ricevuta", CreatedAt: d.CreatedAt}
	if err := s.SaveSubmissionWith(ctx, next, d.Version, outbox.Effects{Messages: []outbox.Message{receipt}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		pk     string
		expiry time.Duration
	}{
		{"an application expires 11 years (4018 days) after its creation", "SUB#" + d.ID, dynamo.PersonalDataRetention},
		{"an idempotency key expires 30 days after the draft it made", "IDEM#key-ttl", dynamo.IdempotencyRetention},
		{"a first arrival expires 30 days after it", "IDEM#arrival#scope-ttl", dynamo.IdempotencyRetention},
		{"an outbox message (an address and what it was told) is kept like the application", "OUTBOX#receipt-ttl", dynamo.PersonalDataRetention},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := ddb.Client().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sportello-test"), Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: c.pk}, "sk": &types.AttributeValueMemberS{Value: "META"}}})
			if err != nil || out.Item == nil {
				t.Fatalf("item %s: %v", c.pk, err)
			}
			n, ok := out.Item[dynamo.TTLAttribute].(*types.AttributeValueMemberN)
			if !ok {
				t.Fatalf("%s has no number %s: %v", c.pk, dynamo.TTLAttribute, out.Item[dynamo.TTLAttribute])
			}
			if want := strconv.FormatInt(d.CreatedAt.Add(c.expiry).Unix(), 10); n.Value != want {
				t.Errorf("%s expires at %s, want %s", c.pk, n.Value, want)
			}
		})
	}
	if dynamo.PersonalDataRetention != 4018*24*time.Hour {
		t.Errorf("personal data retention %v differs from the documents bucket's 4018 days", dynamo.PersonalDataRetention)
	}
}
