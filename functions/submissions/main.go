// Command submissions is the submissions function: drafts, filing,
// review, receipts.
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
	lambda.Start(httpapi.NewRouter(env.Log, api.SubmissionsRoutes(env.Deps(nil), svc)).Handle)
}
