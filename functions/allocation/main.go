// Command allocation runs the riparto when EventBridge delivers
// FundsAnnounced (or on direct invoke with the same ids).
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/cloud"
	"sportello/shared/eventbus"
	"sportello/shared/lambdalog"
)

func main() {
	env := cloud.Must(cloud.Load(context.Background()))
	// Mailer: the fund's e-mails to the Comuni that filed are composed
	// here too (Announced publishes the fund before running the riparto).
	svc := cloud.Must(env.App(cloud.Blobs, cloud.Mailer)).Allocation
	lambda.Start(lambdalog.Async(func(ctx context.Context, payload json.RawMessage) error {
		funds, err := eventbus.DecodeFunds(payload)
		if err != nil {
			return err
		}
		return svc.Announced(ctx, funds.AllocationID)
	}))
}
