// Command uploads is the uploads function: pre-signed upload and download
// URLs, document listings.
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
	blobs := cloud.Must(env.Blobs())
	routes := handlers.FunctionRoutes(env.Deps(nil), handlers.Services{Submissions: svc, Blobs: blobs})
	lambda.Start(apigw.NewRouter(env.Log, routes[handlers.FnUploads]).Handle)
}
