// Command documents verifies each object S3 reports as created.
package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/cloud"
	"sportello/shared/lambdalog"
)

func main() {
	env := cloud.Must(cloud.Load(context.Background()))
	svc := cloud.Must(env.App(cloud.Blobs)).Intake
	lambda.Start(lambdalog.Async(func(ctx context.Context, ev events.S3Event) error {
		for _, rec := range ev.Records {
			key, err := url.QueryUnescape(rec.S3.Object.Key) // S3 event keys are URL-encoded
			if err != nil {
				return fmt.Errorf("object key: %w", err)
			}
			if err := svc.Object(ctx, key, rec.EventTime); err != nil {
				return err // retried by Lambda's async retries, then the DLQ
			}
		}
		return nil
	}))
}
