// Package stack is sportello's AWS CDK stack: the six functions, the HTTP
// API with a Cognito JWT authorizer, the table, the documents bucket, the
// scheduler, the event bus, dead-letter queues and alarms — each function
// with only the rights it uses.
package stack

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"sportello/shared/api"
	"sportello/shared/cloud"
)

// Config is the stage's configuration (from CDK context).
type Config struct {
	Stage          string   // dev | prod
	AllowedOrigins []string // CORS
	SenderIdentity string   // SES identity ARN receipts are sent from
	SenderAddress  string
	AssetRoot      string // where make build puts build/<fn>/bootstrap
}

// Functions of the stack, in a stable order.
var Functions = []string{"calls", "submissions", "uploads", "documents", "windows", "allocation"}

type fnSpec struct {
	memory      float64
	timeoutSec  float64
	concurrency float64 // reserved: a deliberate ceiling, see comments
	async       bool
}

var specs = map[string]fnSpec{
	// HTTP functions stay under API Gateway's 30 s; submissions gets the
	// largest share so the noon rush is never throttled by its neighbours.
	"calls":       {256, 29, 20, false},
	"submissions": {512, 29, 200, false},
	"uploads":     {256, 29, 50, false},
	// Verification streams files of up to 50 MB.
	"documents": {1024, 300, 20, true},
	// One at a time: close-time work never runs concurrently with itself.
	"windows": {256, 300, 1, true},
	// One riparto at a time; large calls take minutes.
	"allocation": {1024, 900, 1, true},
}

// New builds the stack.
func New(scope constructs.Construct, id string, cfg Config, props *awscdk.StackProps) awscdk.Stack {
	st := awscdk.NewStack(scope, jsii.String(id), props)
	prod := cfg.Stage == "prod"
	removal := awscdk.RemovalPolicy_DESTROY
	if prod {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	awscdk.Tags_Of(st).Add(jsii.String("project"), jsii.String("sportello"), nil)
	awscdk.Tags_Of(st).Add(jsii.String("stage"), jsii.String(cfg.Stage), nil)

	key := awskms.NewKey(st, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: removal,
		Description: jsii.String("sportello data: table, documents, queues")})

	table := awsdynamodb.NewTable(st, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:                     &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:                          &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		DeletionProtection:               jsii.Bool(prod),
		Encryption:                       awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:                    key,
		RemovalPolicy:                    removal,
	})
	table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{IndexName: jsii.String("gsi1"),
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("gsi1pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String("gsi1sk"), Type: awsdynamodb.AttributeType_STRING}})

	logs := awss3.NewBucket(st, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), EnforceSSL: jsii.Bool(true), Versioned: jsii.Bool(true),
		Encryption: awss3.BucketEncryption_S3_MANAGED, ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		RemovalPolicy: removal, AutoDeleteObjects: jsii.Bool(false),
		LifecycleRules: &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(3653))}},
	})
	origins := make([]*string, len(cfg.AllowedOrigins))
	for i, o := range cfg.AllowedOrigins {
		origins[i] = jsii.String(o)
	}
	// Documents of minors and ISEE data are kept 10 years from filing
	// (Allegato A3): Object Lock in governance mode makes every version
	// undeletable for that long, and exports (under exports/) with them.
	docs := awss3.NewBucket(st, jsii.String("DocumentsBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), EnforceSSL: jsii.Bool(true), Versioned: jsii.Bool(true),
		Encryption: awss3.BucketEncryption_KMS, EncryptionKey: key, BucketKeyEnabled: jsii.Bool(true),
		ObjectLockEnabled:          jsii.Bool(true),
		ObjectLockDefaultRetention: awss3.ObjectLockRetention_Governance(awscdk.Duration_Days(jsii.Number(3653))),
		ServerAccessLogsBucket:     logs, ServerAccessLogsPrefix: jsii.String("documents/"),
		RemovalPolicy: removal,
		Cors: &[]*awss3.CorsRule{{AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_PUT, awss3.HttpMethods_GET},
			AllowedOrigins: &origins, AllowedHeaders: jsii.Strings("content-type", "content-length", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm"),
			MaxAge: jsii.Number(3000)}},
	})

	bus := awsevents.NewEventBus(st, jsii.String("Bus"), &awsevents.EventBusProps{EventBusName: jsii.String("sportello-" + cfg.Stage)})
	group := awsscheduler.NewCfnScheduleGroup(st, jsii.String("ScheduleGroup"), &awsscheduler.CfnScheduleGroupProps{Name: jsii.String("sportello-" + cfg.Stage)})
	schedulerRole := awsiam.NewRole(st, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil),
		Description: jsii.String("EventBridge Scheduler: may invoke only the windows function"),
	})

	fns := map[string]awslambda.Function{}
	dlqs := map[string]awssqs.Queue{}
	for _, name := range Functions {
		spec := specs[name]
		lg := awslogs.NewLogGroup(st, jsii.String(title(name)+"Logs"), &awslogs.LogGroupProps{
			Retention: awslogs.RetentionDays_ONE_YEAR, RemovalPolicy: removal})
		props := &awslambda.FunctionProps{
			Runtime: awslambda.Runtime_PROVIDED_AL2023(), Architecture: awslambda.Architecture_ARM_64(), Handler: jsii.String("bootstrap"),
			Code:       awslambda.Code_FromAsset(jsii.String(filepath.Join(cfg.AssetRoot, name)), nil),
			MemorySize: jsii.Number(spec.memory), Timeout: awscdk.Duration_Seconds(jsii.Number(spec.timeoutSec)),
			ReservedConcurrentExecutions: jsii.Number(spec.concurrency),
			Tracing:                      awslambda.Tracing_ACTIVE, LogGroup: lg,
			Environment:  &map[string]*string{cloud.EnvTable: table.TableName()},
			Description:  jsii.String("sportello " + name),
			FunctionName: jsii.String(fnName(cfg.Stage, name)),
		}
		if spec.async {
			dlq := awssqs.NewQueue(st, jsii.String(title(name)+"DLQ"), &awssqs.QueueProps{
				Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key, EnforceSSL: jsii.Bool(true),
				RetentionPeriod: awscdk.Duration_Days(jsii.Number(14))})
			dlqs[name] = dlq
			props.DeadLetterQueue, props.RetryAttempts = dlq, jsii.Number(2)
		}
		fns[name] = awslambda.NewFunction(st, jsii.String(title(name)+"Function"), props)
	}
	env := func(fn string, kv ...string) {
		for i := 0; i+1 < len(kv); i += 2 {
			fns[fn].AddEnvironment(jsii.String(kv[i]), jsii.String(kv[i+1]), nil)
		}
	}
	scheduleArn := awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/"+*group.Name()+"/*"), nil)
	for _, fn := range []string{"calls", "windows"} {
		fns[fn].AddEnvironment(jsii.String(cloud.EnvSchedulerGroup), group.Name(), nil)
		fns[fn].AddEnvironment(jsii.String(cloud.EnvSchedulerRole), schedulerRole.RoleArn(), nil)
		// By name, not by reference: the windows function names itself.
		fns[fn].AddEnvironment(jsii.String(cloud.EnvWindowsARN), awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"+fnName(cfg.Stage, "windows")), nil), nil)
	}
	for _, fn := range []string{"calls", "submissions", "uploads", "documents", "allocation"} {
		fns[fn].AddEnvironment(jsii.String(cloud.EnvBucket), docs.BucketName(), nil)
	}
	env("submissions", cloud.EnvSender, cfg.SenderAddress)
	env("uploads", cloud.EnvSender, cfg.SenderAddress)
	for _, fn := range []string{"calls", "allocation"} {
		fns[fn].AddEnvironment(jsii.String(cloud.EnvEventBus), bus.EventBusName(), nil)
	}

	// Least privilege on the table: each function gets the actions it uses.
	tableArns := []*string{table.TableArn(), jsii.String(*table.TableArn() + "/index/gsi1")}
	allow := func(fn string, actions []string, resources []*string, conditions map[string]any) {
		fns[fn].AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(actions...), Resources: &resources, Conditions: ptrMap(conditions)}))
	}
	read := []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"}
	write := []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}
	allow("calls", append(read, write...), tableArns, nil)
	allow("submissions", append(read, append(write, "dynamodb:TransactWriteItems")...), tableArns, nil)
	allow("uploads", append(read, write...), tableArns, nil)
	allow("windows", append(read, write...), tableArns, nil)
	allow("allocation", append(read, write...), tableArns, nil)
	// The documents function touches only documents, calls and their
	// audit lines: the protocol counters (COUNTER#…) are out of its reach.
	allow("documents", read, tableArns, nil)
	allow("documents", []string{"dynamodb:PutItem"}, []*string{table.TableArn()},
		map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{"DOC#*", "CALL#*"}}})
	for _, fn := range Functions {
		key.GrantEncryptDecrypt(fns[fn])
	}

	// Documents: uploads pre-signs PUT/GET under documents/; documents
	// reads them; allocation writes exports/. The calls function has no S3 right.
	allow("uploads", []string{"s3:PutObject", "s3:GetObject"}, []*string{docs.ArnForObjects(jsii.String("documents/*"))}, nil)
	allow("documents", []string{"s3:GetObject"}, []*string{docs.ArnForObjects(jsii.String("documents/*"))}, nil)
	allow("allocation", []string{"s3:PutObject"}, []*string{docs.ArnForObjects(jsii.String("exports/*"))}, nil)
	docs.AddEventNotification(awss3.EventType_OBJECT_CREATED, awss3notifications.NewLambdaDestination(fns["documents"]),
		&awss3.NotificationKeyFilter{Prefix: jsii.String("documents/")})

	// Scheduler: calls (create, proroga) and windows put schedules in the
	// group and pass only the scheduler role, which may invoke only windows.
	fns["windows"].GrantInvoke(schedulerRole)
	for _, fn := range []string{"calls", "windows"} {
		allow(fn, []string{"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"}, []*string{scheduleArn}, nil)
		allow(fn, []string{"iam:PassRole"}, []*string{schedulerRole.RoleArn()}, nil)
	}
	awsscheduler.NewCfnSchedule(st, jsii.String("Reconcile"), &awsscheduler.CfnScheduleProps{
		GroupName: group.Name(), ScheduleExpression: jsii.String("rate(5 minutes)"), ScheduleExpressionTimezone: jsii.String("Europe/Rome"),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		Target: &awsscheduler.CfnSchedule_TargetProperty{Arn: fns["windows"].FunctionArn(), RoleArn: schedulerRole.RoleArn(),
			Input:            jsii.String(`{"kind":"reconcile"}`),
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: dlqs["windows"].QueueArn()},
			RetryPolicy:      &awsscheduler.CfnSchedule_RetryPolicyProperty{MaximumRetryAttempts: jsii.Number(3)}},
		Description: jsii.String("Catches any window instant whose one-time schedule did not fire"),
	}).Node().AddDependency(group)
	dlqs["windows"].GrantSendMessages(schedulerRole)

	// FundsAnnounced → allocation.
	bus.GrantPutEventsTo(fns["calls"], nil)
	awsevents.NewRule(st, jsii.String("FundsAnnounced"), &awsevents.RuleProps{EventBus: bus,
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings("sportello"), DetailType: jsii.Strings("FundsAnnounced")},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fns["allocation"], &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: dlqs["allocation"], RetryAttempts: jsii.Number(4)})}})

	// SES: only the configured sender identity.
	for _, fn := range []string{"submissions", "uploads"} {
		allow(fn, []string{"ses:SendEmail", "ses:SendRawEmail"}, []*string{jsii.String(cfg.SenderIdentity)}, nil)
	}

	// Identity: a Cognito pool (SPID/CIE federate into it) whose ID tokens
	// carry custom:role, custom:orgs and custom:region.
	pool := awscognito.NewUserPool(st, jsii.String("Users"), &awscognito.UserPoolProps{
		SelfSignUpEnabled: jsii.Bool(false), SignInAliases: &awscognito.SignInAliases{Email: jsii.Bool(true)},
		Mfa: awscognito.Mfa_REQUIRED, MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		PasswordPolicy: &awscognito.PasswordPolicy{MinLength: jsii.Number(14), RequireDigits: jsii.Bool(true), RequireLowercase: jsii.Bool(true),
			RequireUppercase: jsii.Bool(true), RequireSymbols: jsii.Bool(true)},
		FeaturePlan:                  awscognito.FeaturePlan_PLUS,
		StandardThreatProtectionMode: awscognito.StandardThreatProtectionMode_FULL_FUNCTION,
		CustomAttributes: &map[string]awscognito.ICustomAttribute{
			"role":   awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(true), MaxLen: jsii.Number(20)}),
			"orgs":   awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(true), MaxLen: jsii.Number(2048)}),
			"region": awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(true), MaxLen: jsii.Number(3)}),
		},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY, RemovalPolicy: removal,
		DeletionProtection: jsii.Bool(prod),
	})
	client := pool.AddClient(jsii.String("Web"), &awscognito.UserPoolClientOptions{
		AuthFlows: &awscognito.AuthFlow{UserSrp: jsii.Bool(true)}, PreventUserExistenceErrors: jsii.Bool(true),
		IdTokenValidity: awscdk.Duration_Hours(jsii.Number(1)), AccessTokenValidity: awscdk.Duration_Hours(jsii.Number(1)),
		// The applicant's identity attributes are set by administrators only.
		WriteAttributes: awscognito.NewClientAttributes().WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true)}),
	})
	issuer := awscdk.Fn_Sub(jsii.String("https://cognito-idp.${AWS::Region}.amazonaws.com/"+"${Pool}"), &map[string]*string{"Pool": pool.UserPoolId()})
	authorizer := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("Jwt"), issuer, &awsapigatewayv2authorizers.HttpJwtAuthorizerProps{
		JwtAudience: &[]*string{client.UserPoolClientId()}, IdentitySource: jsii.Strings("$request.header.Authorization")})

	accessLogs := awslogs.NewLogGroup(st, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_ONE_YEAR, RemovalPolicy: removal})
	httpAPI := awsapigatewayv2.NewHttpApi(st, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName: jsii.String("sportello-" + cfg.Stage), CreateDefaultStage: jsii.Bool(false),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{AllowOrigins: &origins,
			AllowMethods:  &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_PUT, awsapigatewayv2.CorsHttpMethod_PATCH},
			AllowHeaders:  jsii.Strings("authorization", "content-type", "if-match", "idempotency-key", "accept"),
			ExposeHeaders: jsii.Strings("etag"), MaxAge: awscdk.Duration_Hours(jsii.Number(1))},
	})
	stage := awsapigatewayv2.NewHttpStage(st, jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageProps{HttpApi: httpAPI,
		StageName: jsii.String("$default"), AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(500), BurstLimit: jsii.Number(1000)}})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         jsii.String(`{"requestId":"$context.requestId","time":"$context.requestTimeEpoch","route":"$context.routeKey","status":"$context.status","latency":"$context.integrationLatency","sub":"$context.authorizer.claims.sub"}`)})

	routes := api.FunctionRoutes(&api.Deps{}, api.Services{})
	fnNames := make([]string, 0, len(routes))
	for fn := range routes {
		fnNames = append(fnNames, fn)
	}
	sort.Strings(fnNames)
	for _, fn := range fnNames {
		integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(title(fn)+"Integration"), fns[fn], nil)
		for _, r := range routes[fn] {
			opts := &awsapigatewayv2.AddRoutesOptions{Path: jsii.String(r.Pattern), Methods: &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
				Integration: integration, Authorizer: authorizer}
			if r.Public {
				opts.Authorizer = awsapigatewayv2.NewHttpNoneAuthorizer()
			}
			for _, route := range *httpAPI.AddRoutes(opts) {
				if r.Public {
					publicRoute(route)
				}
			}
		}
	}

	// Alarms: API 5xx, each function's errors and throttles, DLQ depth.
	alarm := func(id string, m awscloudwatch.IMetric, threshold float64, desc string) {
		awscloudwatch.NewAlarm(st, jsii.String(id), &awscloudwatch.AlarmProps{Metric: m, Threshold: jsii.Number(threshold), EvaluationPeriods: jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription: jsii.String(desc)})
	}
	alarm("Api5xx", httpAPI.MetricServerError(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))}), 1, "The HTTP API answered 5xx")
	for _, name := range Functions {
		alarm(title(name)+"Errors", fns[name].MetricErrors(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))}), 1, name+" function errors")
		alarm(title(name)+"Throttles", fns[name].MetricThrottles(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))}), 1, name+" function throttled")
	}
	for _, name := range []string{"documents", "windows", "allocation"} {
		alarm(title(name)+"DLQDepth", dlqs[name].MetricApproximateNumberOfMessagesVisible(nil), 1, "Failed "+name+" invocations waiting in the DLQ")
	}

	awscdk.NewCfnOutput(st, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: httpAPI.ApiEndpoint()})
	awscdk.NewCfnOutput(st, jsii.String("UserPoolId"), &awscdk.CfnOutputProps{Value: pool.UserPoolId()})
	awscdk.NewCfnOutput(st, jsii.String("UserPoolClientId"), &awscdk.CfnOutputProps{Value: client.UserPoolClientId()})
	awscdk.NewCfnOutput(st, jsii.String("DocumentsBucketName"), &awscdk.CfnOutputProps{Value: docs.BucketName()})
	suppress(st)
	return st
}

func fnName(stage, fn string) string { return "sportello-" + stage + "-" + fn }

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func ptrMap(m map[string]any) *map[string]any {
	if m == nil {
		return nil
	}
	return &m
}
