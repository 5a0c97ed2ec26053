// Command infra is the CDK app (cdk.json: "go run ./infra"): stack
// sportello-<stage> with cdk-nag's AwsSolutions checks applied. Context
// (cdk.json or -c key=value): stage (dev|prod), allowedOrigins
// (comma-separated), senderAddress, senderIdentity (SES identity ARN),
// alarmEmail, assetRoot (default build). See docs/deploy.md.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"sportello/infra/stack"
)

func main() { os.Exit(run()) }

func run() int {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, err := stack.ConfigFromContext(app)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sportello CDK app:", err)
		return 2
	}
	// Environment-agnostic: deployed to the account and region of the
	// credentials cdk runs with.
	stack.New(app, "sportello-"+cfg.Stage, cfg, &awscdk.StackProps{
		Description: jsii.String("sportello " + cfg.Stage + ": childcare calls of the Regions"),
	})
	// A cdk-nag error is an error annotation: cdk synth and deploy stop on
	// it, so nothing unreviewed reaches an account.
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
	return 0
}
