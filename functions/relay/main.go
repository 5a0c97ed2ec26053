// Command relay delivers the transactional outbox: DynamoDB Streams invokes
// it with the table's new items, filtered to outbox messages; each is read
// again (consistently) and handed to the same Relay the local runtime runs.
// A message that fails is reported as a batch item failure, so the stream
// retries it; after the retries it goes to the function's dead-letter queue
// (an alarm watches it), and stays pending in the table for a later drain.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/cloud"
)

func main() {
	env := cloud.Must(cloud.Load(context.Background()))
	relay := cloud.Must(env.Relay())
	lambda.Start(func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var out events.DynamoDBEventResponse
		for _, rec := range ev.Records {
			img := rec.Change.NewImage
			if img["type"].String() != "outbox" || img["status"].String() != "pending" {
				continue
			}
			m, found, err := env.Store.Message(ctx, img["id"].String())
			if err == nil && found {
				err = relay.Handle(ctx, m)
			}
			if err != nil {
				out.BatchItemFailures = append(out.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			}
		}
		return out, nil
	})
}
