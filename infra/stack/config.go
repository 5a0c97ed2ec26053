package stack

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// ConfigFromContext reads the stage configuration from CDK context.
func ConfigFromContext(app awscdk.App) Config {
	get := func(k, def string) string {
		if v, ok := app.Node().TryGetContext(jsii.String(k)).(string); ok && v != "" {
			return v
		}
		return def
	}
	stage := get("stage", "dev")
	if stage != "dev" && stage != "prod" {
		panic(fmt.Sprintf("stage must be dev or prod, not %q", stage))
	}
	return Config{
		Stage:          stage,
		AllowedOrigins: strings.Split(get("allowedOrigins", "https://sportello.example.it"), ","),
		SenderIdentity: get("senderIdentity", "arn:aws:ses:eu-south-1:000000000000:identity/sportello.example.it"),
		SenderAddress:  get("senderAddress", "noreply@sportello.example.it"),
		AssetRoot:      get("assetRoot", "build"),
	}
}
