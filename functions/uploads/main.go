// Command uploads is the uploads function: pre-signed upload and download
// URLs, document listings.
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
	a := cloud.Must(env.App(cloud.Blobs))
	lambda.Start(lambdalog.Handler(cloud.Must(handlers.Router(a, routes.Uploads)).Handle))
}
