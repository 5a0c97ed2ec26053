package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppress records, with its reason, every cdk-nag finding accepted on
// purpose. Each is narrowed with appliesTo to the exact permission.
func suppress(st awscdk.Stack) {
	type rule struct {
		id, reason string
		appliesTo  []string
	}
	rules := []rule{
		{"AwsSolutions-IAM4", "AWSLambdaBasicExecutionRole only lets a function write its own CloudWatch log streams; it is the narrowest managed policy for that.",
			[]string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}},
		{"AwsSolutions-IAM5", "kms:GenerateDataKey* and kms:ReEncrypt* are CDK's grant on the one customer-managed key of the stack (resource is that key's ARN).",
			[]string{"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"}},
		{"AwsSolutions-IAM5", "X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) supports no resource-level permission; AWS documents Resource '*'.",
			[]string{"Resource::*"}},
		{"AwsSolutions-IAM5", "Schedules are created at run time, one per window instant; the right is limited to sportello's own schedule group.",
			[]string{"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/sportello-dev/*",
				"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/sportello-prod/*"}},
		{"AwsSolutions-IAM5", "Object keys are made by the server (documents/<call>/<submission>/<document>, exports/<call>/<run>/…); the right covers only that prefix of the one bucket.",
			[]string{"Resource::<DocumentsBucket9EC9DEB9.Arn>/documents/*", "Resource::<DocumentsBucket9EC9DEB9.Arn>/exports/*"}},
		{"AwsSolutions-IAM5", "Lambda's grantInvoke covers the windows function's versions and aliases (ARN:*); it is still only the windows function.",
			[]string{"Resource::<WindowsFunctionD26A0156.Arn>:*"}},
	}
	var s []*cdknag.NagPackSuppression
	for _, r := range rules {
		sup := &cdknag.NagPackSuppression{Id: jsii.String(r.id), Reason: jsii.String(r.reason)}
		if r.appliesTo != nil {
			applies := make([]any, len(r.appliesTo))
			for i, a := range r.appliesTo {
				applies[i] = a
			}
			sup.AppliesTo = &applies
		}
		s = append(s, sup)
	}
	cdknag.NagSuppressions_AddStackSuppressions(st, &s, jsii.Bool(false))
}

// publicRoute accepts, for one route only, that it has no authorizer.
func publicRoute(route constructs.IConstruct) {
	cdknag.NagSuppressions_AddResourceSuppressions(route, &[]*cdknag.NagPackSuppression{{Id: jsii.String("AwsSolutions-APIG4"),
		Reason: jsii.String("Public by design: the health check and the calculators read and store nothing; they compute from the request alone.")}}, jsii.Bool(true))
}
