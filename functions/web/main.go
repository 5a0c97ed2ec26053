// Command web is the web function: the web interface's page and files
// (shared/web), on the same HTTP API as the API it calls. It builds no
// application and has no right on any data: it serves embedded files and
// the sign-in configuration the stack gave it.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"sportello/shared/catalog"
	"sportello/shared/cloud"
	"sportello/shared/lambdalog"
	"sportello/shared/metrics"
	"sportello/shared/program"
	"sportello/shared/web"
)

func main() {
	metrics.Enable(os.Stdout)
	cfg := cloud.Must(web.ConfigFromEnv())
	cfg.Regions = program.Programs(catalog.All()).Regions()
	lambda.Start(lambdalog.Handler(cloud.Must(web.Router(cfg, lambdalog.New(os.Stdout))).Handle))
}
