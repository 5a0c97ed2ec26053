// Command submissions is the submissions function: drafts, filing,
// review, receipts; and Nidi Gratis Plus rendicontazione (its signed
// copies in the bucket, children's codes sealed with the PII key).
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
	a := cloud.Must(env.App(cloud.Mailer, cloud.Blobs, cloud.PII))
	lambda.Start(lambdalog.Handler(cloud.Must(handlers.Router(a, routes.Submissions)).Handle))
}
