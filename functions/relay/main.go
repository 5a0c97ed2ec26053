// Command relay delivers the transactional outbox (shared/outbox): the
// table's stream invokes it with the new outbox items (the event source
// mapping filters on type = outbox and INSERT), and an operator may invoke
// it directly with {"kind":"drain"} or {"kind":"redrive"} (docs/deploy.md,
// runbook). It is the only code that calls SES or EventBridge.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/cloud"
	"sportello/shared/lambdalog"
)

func main() {
	env := cloud.Must(cloud.Load(context.Background()))
	r := &relayFunction{store: env.Store, relay: cloud.Must(env.Relay())}
	lambda.Start(lambdalog.Handler(func(ctx context.Context, payload json.RawMessage) (any, error) {
		return r.handle(ctx, payload)
	}))
}
