// Command calls is the calls function: calls and windows, fund
// announcements and allocations, calculators.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/api"
	"sportello/shared/cloud"
	"sportello/shared/httpapi"
)

func main() {
	env := cloud.Must(cloud.Load(context.Background()))
	deps := env.Deps(cloud.Must(env.Windows()))
	alloc := cloud.Must(env.Allocation())
	routes := api.FunctionRoutes(deps, api.Services{Allocation: alloc})
	lambda.Start(httpapi.NewRouter(env.Log, routes[api.FnCalls]).Handle)
}
