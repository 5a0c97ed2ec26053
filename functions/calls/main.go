// Command calls is the calls function: calls and windows, fund
// announcements (published on the call, e-mailed to the applicants that
// filed through the outbox) and allocations, calculators.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/cloud"
	"sportello/shared/handlers"
	"sportello/shared/lambdalog"
	"sportello/shared/routes"
)

func main() {
	env := cloud.Must(cloud.Load(context.Background()))
	a := cloud.Must(env.App(cloud.Scheduler, cloud.Mailer))
	lambda.Start(lambdalog.Handler(cloud.Must(handlers.Router(a, routes.Calls)).Handle))
}
