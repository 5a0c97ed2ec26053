// Command submissions is the submissions function: drafts, filing,
// review, receipts.
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
	svc := cloud.Must(env.Submissions())
	routes := handlers.FunctionRoutes(env.Deps(nil), handlers.Services{Submissions: svc})
	lambda.Start(apigw.NewRouter(env.Log, routes[handlers.FnSubmissions]).Handle)
}
