package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// nagRule is one cdk-nag finding accepted on purpose, with its reason,
// narrowed by appliesTo to the exact permission where the rule allows it.
type nagRule struct {
	id, reason string
	appliesTo  []string
}

// suppress attaches every accepted finding to the narrowest construct:
// a function's role, CDK's own helper, one route. The tests list the
// findings these suppress, so none is kept once it is no longer needed.
func suppress(st awscdk.Stack, cfg Config) {
	xray := nagRule{"AwsSolutions-IAM5", "X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords) has no resource-level permissions; AWS documents Resource '*' for them.",
		[]string{"Resource::*"}}
	schedules := nagRule{"AwsSolutions-IAM5", "Schedules are created at run time, one per window instant, with names made by the server; the right covers only sportello's own schedule group.",
		[]string{"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/sportello-" + cfg.Stage + "/*"}}
	documents := nagRule{"AwsSolutions-IAM5", "Object keys are made by the server (documents/<call>/<submission>/<document>); the right covers only the documents/ prefix of the one bucket.",
		[]string{"Resource::<DocumentsBucket9EC9DEB9.Arn>/documents/*"}}
	exports := nagRule{"AwsSolutions-IAM5", "Export keys are made by the server (exports/<call>/<run>/…); the right covers only the exports/ prefix of the one bucket.",
		[]string{"Resource::<DocumentsBucket9EC9DEB9.Arn>/exports/*"}}
	rendiconti := nagRule{"AwsSolutions-IAM5", "Rendicontazione files are stored under keys made by the server (rendiconti/<call>/<claim>/<kind>.p7m); the right covers only the rendiconti/ prefix of the one bucket.",
		[]string{"Resource::<DocumentsBucket9EC9DEB9.Arn>/rendiconti/*"}}
	// Lambda's stream poller lists the table's streams with the relay's
	// role: ListStreams has no resource-level permission. The same
	// Resource::* as X-Ray's (one suppression covers one appliesTo), so the
	// reason names both.
	streams := nagRule{"AwsSolutions-IAM5", "X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords) and dynamodb:ListStreams (the stream poller) have no resource-level permissions; AWS documents Resource '*' for them.",
		[]string{"Resource::*"}}
	perRole := map[string][]nagRule{
		"calls":       {xray, schedules},
		"submissions": {xray, rendiconti},
		"uploads":     {xray, documents},
		"documents":   {xray, documents},
		"windows":     {xray, schedules},
		"allocation":  {xray, exports},
		"public":      {xray},
		"web":         {xray},
		"relay":       {streams},
	}
	for fn, rules := range perRole {
		on(st.Node().FindChild(jsii.String(title(fn)+"Role")), rules...)
	}

	// The relay's queue is a dead-letter queue: the on-failure destination
	// of the stream's event source mapping, which cdk-nag does not
	// recognise (it knows redrive policies and Lambda dead-letter configs).
	on(st.Node().FindChild(jsii.String("RelayDLQ")), nagRule{"AwsSolutions-SQS3",
		"This queue is itself a dead-letter queue: the on-failure destination of the relay's DynamoDB stream event source mapping (failed outbox batches), alarmed on depth.", nil})

	// CDK's bucket-notification helper runs only while CloudFormation
	// configures the documents bucket.
	onPath(st, "/"+*st.StackName()+"/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role",
		nagRule{"AwsSolutions-IAM4", "CDK's deployment-time bucket-notification helper writes its logs through AWSLambdaBasicExecutionRole; it is not part of the application and its only other right is s3:PutBucketNotification on the documents bucket.",
			[]string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}})
}

// publicRoute accepts, for one route only, that it has no authorizer.
func publicRoute(route constructs.IConstruct) {
	on(route, nagRule{"AwsSolutions-APIG4",
		"Public by design: the health check, the calculators and the API's own contract (the OpenAPI document and its reference page), served by the public function, and the web interface's page and files, served by the web function; neither has any right on any data; they compute from the request alone or answer a constant, with a route throttle and size bounds of their own.", nil})
}

func on(c constructs.IConstruct, rules ...nagRule) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, suppressions(rules), jsii.Bool(true))
}

func onPath(st awscdk.Stack, path string, rules ...nagRule) {
	cdknag.NagSuppressions_AddResourceSuppressionsByPath(st, jsii.String(path), suppressions(rules), jsii.Bool(true))
}

func suppressions(rules []nagRule) *[]*cdknag.NagPackSuppression {
	out := make([]*cdknag.NagPackSuppression, len(rules))
	for i, r := range rules {
		s := &cdknag.NagPackSuppression{Id: jsii.String(r.id), Reason: jsii.String(r.reason)}
		if r.appliesTo != nil {
			applies := make([]any, len(r.appliesTo))
			for j, a := range r.appliesTo {
				applies[j] = a
			}
			s.AppliesTo = &applies
		}
		out[i] = s
	}
	return &out
}
