// Command calls is the calls function: calls and windows, fund
// announcements and allocations, the lists and decree data the Region
// downloads, calculators.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/apigw"
	"sportello/shared/cloud"
	"sportello/shared/handlers"
)

func main() {
	env := cloud.Must(cloud.Load(context.Background()))
	deps := env.Deps(cloud.Must(env.Windows()))
	alloc := cloud.Must(env.Allocation())
	routes := handlers.FunctionRoutes(deps, handlers.Services{Allocation: alloc, Outputs: env.Outputs()})
	lambda.Start(apigw.NewRouter(env.Log, routes[handlers.FnCalls]).Handle)
}
