// Command infra is the CDK app (cdk.json: "go run ./infra"). Context:
// stage (dev|prod), allowedOrigins (comma-separated), senderIdentity (SES
// identity ARN), senderAddress.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"sportello/infra/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg := stack.ConfigFromContext(app)
	stack.New(app, "sportello-"+cfg.Stage, cfg, &awscdk.StackProps{})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
}
