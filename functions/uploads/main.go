// Command uploads is the uploads function: pre-signed upload and download
// URLs, document listings.
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
	svc := cloud.Must(env.Submissions())
	blobs := cloud.Must(env.Blobs())
	routes := api.FunctionRoutes(env.Deps(nil), api.Services{Submissions: svc, Blobs: blobs})
	lambda.Start(httpapi.NewRouter(env.Log, routes[api.FnUploads]).Handle)
}
