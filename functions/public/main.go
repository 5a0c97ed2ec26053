// Command public is the public function: the anonymous routes (health,
// calculators). It builds the application without any port: it has no
// right on the table, the bucket or anything else, and computes only from
// the request.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/app"
	"sportello/shared/clock"
	"sportello/shared/cloud"
	"sportello/shared/handlers"
	"sportello/shared/lambdalog"
	"sportello/shared/metrics"
	"sportello/shared/routes"
)

func main() {
	metrics.Enable(os.Stdout)
	a := app.New(app.Ports{Clock: clock.System{}, Log: lambdalog.New(os.Stdout)})
	lambda.Start(lambdalog.Handler(cloud.Must(handlers.Router(a, routes.Public)).Handle))
}
