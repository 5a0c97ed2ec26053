// Command calls is the calls function: calls and windows over the HTTP API.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/api"
	"sportello/shared/cloud"
	"sportello/shared/httpapi"
	"sportello/shared/catalog"
)

func main() {
	env := cloud.Must(cloud.Load(context.Background()))
	deps := &api.Deps{Store: env.Store, Clock: env.Clock, Programs: catalog.All(), Windows: cloud.Must(env.Windows()), Log: env.Log}
	lambda.Start(httpapi.NewRouter(env.Log, api.CallsRoutes(deps)).Handle)
}
