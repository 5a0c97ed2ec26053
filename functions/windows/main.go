// Command windows does the work due at window instants; EventBridge
// Scheduler invokes it with a windows.Event, and every 5 minutes with a
// reconcile.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/cloud"
	"sportello/shared/lambdalog"
	"sportello/shared/windows"
)

func main() {
	env := cloud.Must(cloud.Load(context.Background()))
	svc := cloud.Must(env.App(cloud.Scheduler)).Windows
	lambda.Start(lambdalog.Async(func(ctx context.Context, payload json.RawMessage) error {
		ev, err := windows.DecodeEvent(payload)
		if err != nil {
			return err
		}
		return svc.Handle(ctx, ev)
	}))
}
