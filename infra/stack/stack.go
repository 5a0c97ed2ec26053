// Package stack is sportello's AWS CDK stack: the six functions, the HTTP
// API with a Cognito JWT authorizer, the table, the documents bucket, the
// scheduler, the event bus, dead-letter queues and alarms, each function
// with only the rights it uses.
package stack

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"sportello/shared/cloud"
	"sportello/shared/dynamo"
	"sportello/shared/metrics"
	"sportello/shared/routes"
	"sportello/shared/web"
)

// Retention of documents and exports. The Allegato A3 keeps data of minors
// and ISEE 10 years from filing; Object Lock counts from the upload, which
// precedes filing by at most a window's length, so 11 years covers 10 from
// filing for any window shorter than a year. After that the lifecycle
// deletes them (storage limitation).
const retentionDays = 11*365 + 3

// Prefixes of the documents bucket; the server makes every key.
const (
	documentsPrefix  = "documents/"
	exportsPrefix    = "exports/"
	rendicontiPrefix = "rendiconti/"
)

// New builds the stack of cfg.Stage.
func New(scope constructs.Construct, id string, cfg Config, props *awscdk.StackProps) awscdk.Stack {
	st := awscdk.NewStack(scope, jsii.String(id), props)
	b := &builder{st: st, cfg: cfg, prod: cfg.Stage == "prod", fns: map[string]awslambda.Function{},
		roles: map[string]awsiam.Role{}, dlqs: map[string]awssqs.Queue{}, logGroups: map[string]awslogs.LogGroup{}}
	b.removal = awscdk.RemovalPolicy_DESTROY
	if b.prod {
		b.removal = awscdk.RemovalPolicy_RETAIN
	}
	awscdk.Tags_Of(st).Add(jsii.String("project"), jsii.String("sportello"), nil)
	awscdk.Tags_Of(st).Add(jsii.String("stage"), jsii.String(cfg.Stage), nil)

	b.data()
	b.eventsAndSchedules()
	b.functions()
	b.permissions()
	b.triggers()
	b.api()
	b.alarms()
	b.retainPolicies()
	suppress(st, cfg)
	return st
}

type builder struct {
	st      awscdk.Stack
	cfg     Config
	prod    bool
	removal awscdk.RemovalPolicy

	key           awskms.Key
	table         awsdynamodb.Table
	docs          awss3.Bucket
	logs          awss3.Bucket
	bus           awsevents.EventBus
	group         awsscheduler.CfnScheduleGroup
	schedulerRole awsiam.Role
	fns           map[string]awslambda.Function
	roles         map[string]awsiam.Role
	dlqs          map[string]awssqs.Queue
	logGroups     map[string]awslogs.LogGroup
	httpAPI       awsapigatewayv2.HttpApi
}

func (b *builder) name(suffix string) string { return "sportello-" + b.cfg.Stage + suffix }

// data: the key, the table, the documents bucket and its access logs.
func (b *builder) data() {
	st := b.st
	keyProps := &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: b.removal,
		Description: jsii.String("sportello " + b.cfg.Stage + ": table and documents")}
	if !b.prod {
		keyProps.PendingWindow = awscdk.Duration_Days(jsii.Number(7))
	}
	b.key = awskms.NewKey(st, jsii.String("Key"), keyProps)

	b.table = awsdynamodb.NewTable(st, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:                     &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:                          &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		DeletionProtection:               jsii.Bool(b.prod),
		Encryption:                       awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:                    b.key,
		RemovalPolicy:                    b.removal,
		// Applications, documents and idempotency records carry their end
		// (shared/dynamo: 11 years from creation, 30 days).
		TimeToLiveAttribute: jsii.String(dynamo.TTLAttribute),
		// The relay reads the new outbox items from the stream (triggers):
		// new images only, the item as written in the change's transaction.
		Stream: awsdynamodb.StreamViewType_NEW_IMAGE,
	})
	b.table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{IndexName: jsii.String("gsi1"),
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("gsi1pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String("gsi1sk"), Type: awsdynamodb.AttributeType_STRING}})

	// In dev a teardown must succeed, so the documents bucket empties
	// itself on delete (CDK's auto-delete custom resource) and has no
	// Object Lock, which would forbid that. Prod keeps everything.
	autoDelete := jsii.Bool(!b.prod)
	// Server access logs (who read or wrote which document) are kept as
	// long as the documents. S3 delivers them only to an SSE-S3 bucket.
	// S3 delivers them late (hours after the request), so a bucket emptied
	// at teardown can fill again before CloudFormation deletes it, and
	// `make destroy` would fail: the log bucket is retained in every stage;
	// in dev its logs expire after 30 days, and docs/deploy.md says how to
	// remove it by hand.
	logsExpire := retentionDays
	if !b.prod {
		logsExpire = 30
	}
	logs := awss3.NewBucket(st, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), EnforceSSL: jsii.Bool(true), Versioned: jsii.Bool(true),
		Encryption: awss3.BucketEncryption_S3_MANAGED, ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(float64(logsExpire))),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30))}},
	})

	// One bucket for documents and exports (exports/): an allocation export
	// is part of the procedure's record like the documents it was computed
	// from, so it needs the same retention, encryption and access logging;
	// IAM separates the two by prefix, and only documents/ triggers the
	// verifier.
	docsProps := &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), EnforceSSL: jsii.Bool(true), Versioned: jsii.Bool(true),
		Encryption: awss3.BucketEncryption_KMS, EncryptionKey: b.key, BucketKeyEnabled: jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: logs, ServerAccessLogsPrefix: jsii.String("documents-bucket/"),
		RemovalPolicy: b.removal, AutoDeleteObjects: autoDelete,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration:                          awscdk.Duration_Days(jsii.Number(retentionDays)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		// Browsers upload and download directly with pre-signed URLs.
		Cors: &[]*awss3.CorsRule{{AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_PUT, awss3.HttpMethods_GET},
			AllowedOrigins: jsii.Strings(b.cfg.AllowedOrigins...),
			AllowedHeaders: jsii.Strings("content-type", "content-length", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm"),
			ExposedHeaders: jsii.Strings("etag"), MaxAge: jsii.Number(3000)}},
	}
	if b.prod {
		// Governance mode: not even the application can delete or shorten
		// a document's retention; only an administrator holding
		// s3:BypassGovernanceRetention can, deliberately and logged.
		docsProps.ObjectLockEnabled = jsii.Bool(true)
		docsProps.ObjectLockDefaultRetention = awss3.ObjectLockRetention_Governance(awscdk.Duration_Days(jsii.Number(retentionDays)))
	}
	b.docs = awss3.NewBucket(st, jsii.String("DocumentsBucket"), docsProps)
	b.logs = logs
}

// eventsAndSchedules: the bus, the schedule group and the role the
// Scheduler acts with.
func (b *builder) eventsAndSchedules() {
	st := b.st
	b.bus = awsevents.NewEventBus(st, jsii.String("Bus"), &awsevents.EventBusProps{EventBusName: jsii.String(b.name(""))})
	b.group = awsscheduler.NewCfnScheduleGroup(st, jsii.String("ScheduleGroup"), &awsscheduler.CfnScheduleGroupProps{Name: jsii.String(b.name(""))})
	// Only schedules of this account and of sportello's group may assume
	// it (confused deputy).
	b.schedulerRole = awsiam.NewRole(st, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": st.Account()},
				"ArnLike":      map[string]any{"aws:SourceArn": b.scheduleArn()},
			}}),
		Description: jsii.String("EventBridge Scheduler: may invoke only the windows function"),
	})
}

func (b *builder) functions() {
	st := b.st
	for _, name := range Functions {
		spec := Specs[name]
		// Named by CloudFormation, not /aws/lambda/<function>: prod retains
		// log groups, and a fixed name would block redeploying the stack.
		lg := awslogs.NewLogGroup(st, jsii.String(title(name)+"Logs"), &awslogs.LogGroupProps{
			Retention: awslogs.RetentionDays_ONE_YEAR, RemovalPolicy: b.removal})
		// A role of its own, writing only its own log group (instead of
		// AWSLambdaBasicExecutionRole, which may write any log group).
		role := awsiam.NewRole(st, jsii.String(title(name)+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("sportello " + name + " function"),
		})
		lg.GrantWrite(role)
		props := &awslambda.FunctionProps{
			Runtime: awslambda.Runtime_PROVIDED_AL2023(), Architecture: awslambda.Architecture_ARM_64(), Handler: jsii.String("bootstrap"),
			Code:       awslambda.Code_FromAsset(jsii.String(filepath.Join(b.cfg.AssetRoot, name)), nil),
			MemorySize: jsii.Number(float64(spec.MemoryMB)), Timeout: awscdk.Duration_Seconds(jsii.Number(float64(spec.TimeoutSec))),
			Tracing: awslambda.Tracing_ACTIVE, LogGroup: lg, Role: role,
			// JSON lines (shared/lambdalog adds the request and trace ids),
			// filtered by level in Lambda itself: INFO and above from the
			// application, warnings and above from the platform.
			LoggingFormat: awslambda.LoggingFormat_JSON, ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
			SystemLogLevelV2: awslambda.SystemLogLevel_WARN,
			Description:      jsii.String("sportello " + name),
			FunctionName:     jsii.String(fnName(b.cfg.Stage, name)),
		}
		if n, ok := b.cfg.Reserved[name]; ok {
			props.ReservedConcurrentExecutions = jsii.Number(float64(n))
		}
		if spec.Async {
			dlq := b.deadLetterQueue(title(name) + "DLQ")
			b.dlqs[name] = dlq
			props.DeadLetterQueue, props.RetryAttempts = dlq, jsii.Number(2)
		}
		b.fns[name] = awslambda.NewFunction(st, jsii.String(title(name)+"Function"), props)
		b.roles[name] = role
		b.logGroups[name] = lg
	}

	values := map[string]*string{
		cloud.EnvTable:          b.table.TableName(),
		cloud.EnvBucket:         b.docs.BucketName(),
		cloud.EnvEventBus:       b.bus.EventBusName(),
		cloud.EnvSchedulerGroup: b.group.Name(),
		cloud.EnvSchedulerRole:  b.schedulerRole.RoleArn(),
		// By name, not by reference: the windows function names itself,
		// and a reference would make it depend on itself.
		cloud.EnvWindowsARN: awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"+fnName(b.cfg.Stage, "windows")), nil),
		cloud.EnvSender:     jsii.String(b.cfg.SenderAddress),
		cloud.EnvPIIKey:     b.key.KeyArn(),
	}
	for _, name := range Functions {
		if name == "web" {
			continue // its settings name the Cognito client: set in api()
		}
		for _, k := range EnvNames[name] {
			b.fns[name].AddEnvironment(jsii.String(k), values[k], nil)
		}
	}
}

// deadLetterQueue holds failed asynchronous events for 14 days. SQS-managed
// encryption, not the data key: the messages carry only identifiers (object
// keys, call and allocation ids), and EventBridge could deliver to a queue
// under a customer key only if that key's policy admitted the EventBridge
// service, widening who may use the key that protects applicants' data.
func (b *builder) deadLetterQueue(id string) awssqs.Queue {
	return awssqs.NewQueue(b.st, jsii.String(id), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), RemovalPolicy: b.removal})
}

// permissions: least privilege, function by function.
func (b *builder) permissions() {
	table := []*string{b.table.TableArn()}
	index := []*string{jsii.String(*b.table.TableArn() + "/index/gsi1")}
	leading := func(prefixes []string) map[string]any {
		return map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": prefixes}}
	}
	for _, fn := range Functions {
		a := TableAccess[fn]
		for _, g := range []struct {
			actions  []string
			prefixes []string
			on       []*string
		}{
			{[]string{"dynamodb:GetItem", "dynamodb:Query"}, a.Read, table},
			{[]string{"dynamodb:Query"}, a.Index, index},
			// Filing is TransactWriteItems: IAM authorises each of its
			// Put/Update/ConditionCheck parts with that part's key.
			{[]string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"}, a.Write, table},
			{[]string{"dynamodb:DeleteItem"}, a.Delete, table},
			{[]string{"dynamodb:BatchWriteItem"}, a.Batch, table},
		} {
			if len(g.prefixes) > 0 {
				b.allow(fn, g.actions, g.on, leading(g.prefixes))
			}
		}
	}
	// Explicit Denies, which no Allow can override: audit lines are
	// appended, never changed or removed, by anyone; only filing
	// (submissions) moves a protocol counter.
	deny := func(fn string, actions []string, prefix string) {
		b.roles[fn].AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Effect: awsiam.Effect_DENY,
			Actions: jsii.Strings(actions...), Resources: &table,
			Conditions: &map[string]any{"ForAnyValue:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{prefix}}}}))
	}
	for _, fn := range Functions {
		if !TableAccess[fn].any() {
			continue
		}
		deny(fn, []string{"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, pkAudit)
		if fn != "submissions" {
			deny(fn, []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, pkCounter)
		}
		// An outbox message is written once, with its change; only the
		// relay records how its delivery went.
		if fn != "relay" {
			deny(fn, []string{"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, pkOutbox)
		}
	}
	// The relay: UpdateItem of an outbox message's delivery state only
	// (dynamodb:Attributes lists every attribute an update may name; IAM
	// requires the table's and the index's keys among them).
	for _, fn := range Functions {
		if d := TableAccess[fn].Deliver; len(d) > 0 {
			cond := leading(d)
			cond["ForAllValues:StringEquals"] = map[string]any{"dynamodb:Attributes": DeliveryAttributes}
			b.allow(fn, []string{"dynamodb:UpdateItem"}, table, cond)
		}
	}

	// The data key, only through the services that hold data under it,
	// and only the actions each use needs.
	region := awscdk.Aws_REGION()
	via := func(service string) map[string]any {
		return map[string]any{"StringEquals": map[string]any{"kms:ViaService": awscdk.Fn_Join(jsii.String(""),
			&[]*string{jsii.String(service + "."), region, jsii.String(".amazonaws.com")})}}
	}
	for _, fn := range Functions {
		if TableAccess[fn].any() {
			b.allow(fn, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}, []*string{b.key.KeyArn()}, via("dynamodb"))
		}
		if actions := s3KeyActions[fn]; actions != nil {
			b.allow(fn, actions, []*string{b.key.KeyArn()}, via("s3"))
		}
	}

	// Objects: uploads signs PUT/GET under documents/, documents reads
	// them, allocation writes exports/. calls has no S3 right at all.
	docsObjects := b.docs.ArnForObjects(jsii.String(documentsPrefix + "*"))
	b.allow("uploads", []string{"s3:PutObject", "s3:GetObject"}, []*string{docsObjects}, nil)
	b.allow("documents", []string{"s3:GetObject"}, []*string{docsObjects}, nil)
	b.allow("allocation", []string{"s3:PutObject"}, []*string{b.docs.ArnForObjects(jsii.String(exportsPrefix + "*"))}, nil)
	b.allow("submissions", []string{"s3:PutObject", "s3:GetObject"}, []*string{b.docs.ArnForObjects(jsii.String(rendicontiPrefix + "*"))}, nil)
	// The data key that seals children's codes (shared/piikey): generated
	// and decrypted by KMS directly, only for that purpose.
	b.allow("submissions", []string{"kms:GenerateDataKey", "kms:Decrypt"}, []*string{b.key.KeyArn()},
		map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:purpose": "sportello-pii"}})

	// Scheduler: calls (creating a call, proroga) and windows manage
	// schedules in sportello's group only, and may pass only the scheduler
	// role, only to the Scheduler; that role may invoke only windows.
	scheduleArn := b.scheduleArn()
	for _, fn := range []string{"calls", "windows"} {
		b.allow(fn, []string{"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"}, []*string{scheduleArn}, nil)
		b.allow(fn, []string{"iam:PassRole"}, []*string{b.schedulerRole.RoleArn()},
			map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"}})
	}
	b.schedulerRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("lambda:InvokeFunction"), Resources: &[]*string{b.fns["windows"].FunctionArn()}}))

	// Sending is the relay's alone: the changes that announce funds or owe
	// an e-mail write it to the outbox in their transaction, and the relay
	// publishes on sportello's bus only and sends from the configured
	// identity only.
	b.bus.GrantPutEventsTo(b.roles["relay"], nil)
	b.allow("relay", []string{"ses:SendEmail"}, []*string{b.senderIdentity()}, nil)
}

func (b *builder) allow(fn string, actions []string, resources []*string, conditions map[string]any) {
	s := &awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: &resources}
	if conditions != nil {
		s.Conditions = &conditions
	}
	b.roles[fn].AddToPolicy(awsiam.NewPolicyStatement(s))
}

// triggers: S3 → documents, Scheduler → windows, EventBridge → allocation.
func (b *builder) triggers() {
	st := b.st
	b.docs.AddEventNotification(awss3.EventType_OBJECT_CREATED, awss3notifications.NewLambdaDestination(b.fns["documents"]),
		&awss3.NotificationKeyFilter{Prefix: jsii.String(documentsPrefix)})

	// The one-time schedules (window instants, Europe/Rome) are created at
	// run time; this one catches any instant whose schedule did not fire.
	b.dlqs["windows"].GrantSendMessages(b.schedulerRole)
	reconcile := awsscheduler.NewCfnSchedule(st, jsii.String("Reconcile"), &awsscheduler.CfnScheduleProps{
		Name: jsii.String("reconcile"), GroupName: b.group.Name(),
		ScheduleExpression: jsii.String("rate(5 minutes)"), ScheduleExpressionTimezone: jsii.String("Europe/Rome"),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		Target: &awsscheduler.CfnSchedule_TargetProperty{Arn: b.fns["windows"].FunctionArn(), RoleArn: b.schedulerRole.RoleArn(),
			Input:            jsii.String(`{"kind":"reconcile"}`),
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: b.dlqs["windows"].QueueArn()},
			RetryPolicy:      &awsscheduler.CfnSchedule_RetryPolicyProperty{MaximumRetryAttempts: jsii.Number(3), MaximumEventAgeInSeconds: jsii.Number(300)}},
		Description: jsii.String("Catches any window instant whose one-time schedule did not fire"),
	})
	reconcile.Node().AddDependency(b.group)
	// The role's policy must exist before the Scheduler validates the target.
	reconcile.Node().AddDependency(b.schedulerRole)

	b.relayTrigger()

	awsevents.NewRule(st, jsii.String("FundsAnnounced"), &awsevents.RuleProps{EventBus: b.bus,
		Description:  jsii.String("A Region announced a call's fund: run the riparto"),
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings("sportello"), DetailType: jsii.Strings("FundsAnnounced")},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(b.fns["allocation"], &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: b.dlqs["allocation"], RetryAttempts: jsii.Number(4)})}})
}

// relayTrigger: the table's stream → the relay, outbox items only. A
// failing record is retried (RelayStreamRetries times, the batch bisected
// to isolate it, the function reporting the first failed record); then the
// batch's description (shard, sequence numbers) goes to the relay's
// dead-letter queue, whose depth is alarmed, and the message itself stays
// in the table, dead-lettered (docs/deploy.md, runbook: drain, redrive).
func (b *builder) relayTrigger() {
	dlq := b.deadLetterQueue("RelayDLQ")
	b.dlqs["relay"] = dlq
	outboxInsert := awslambda.FilterCriteria_Filter(&map[string]any{
		"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
		"dynamodb":  map[string]any{"NewImage": map[string]any{"type": map[string]any{"S": awslambda.FilterRule_IsEqual(jsii.String("outbox"))}}},
	})
	// The mapping itself, not CDK's DynamoEventSource: that one grants
	// kms:Decrypt on the data key with no condition, where the relay's
	// key use stays through DynamoDB only (permissions()).
	awslambda.NewEventSourceMapping(b.st, jsii.String("RelayStream"), &awslambda.EventSourceMappingProps{
		Target: b.fns["relay"], EventSourceArn: b.table.TableStreamArn(),
		StartingPosition: awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:        jsii.Number(RelayBatchSize), MaxBatchingWindow: awscdk.Duration_Seconds(jsii.Number(1)),
		Filters:            &[]*map[string]any{outboxInsert},
		BisectBatchOnError: jsii.Bool(true), ReportBatchItemFailures: jsii.Bool(true),
		RetryAttempts: jsii.Number(cloud.RelayStreamRetries),
		// A stream keeps records 24 hours: a record still failing after a
		// day is described in the DLQ rather than lost with the stream.
		MaxRecordAge: awscdk.Duration_Hours(jsii.Number(24)),
		OnFailure:    awslambdaeventsources.NewSqsDlq(dlq),
	})
	// Lambda polls the stream with the relay's role.
	b.allow("relay", []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}, []*string{b.table.TableStreamArn()}, nil)
	b.allow("relay", []string{"dynamodb:ListStreams"}, []*string{jsii.String("*")}, nil)
}

// api: Cognito, the JWT authorizer and the HTTP API.
func (b *builder) api() {
	st := b.st
	// Identity: SPID/CIE federate into the pool; administrators set each
	// user's custom attributes, which reach the functions as the ID
	// token's claims custom:role, custom:orgs and custom:region.
	pool := awscognito.NewUserPool(st, jsii.String("Users"), &awscognito.UserPoolProps{
		UserPoolName:      jsii.String(b.name("")),
		SelfSignUpEnabled: jsii.Bool(false), SignInAliases: &awscognito.SignInAliases{Email: jsii.Bool(true)},
		Mfa: awscognito.Mfa_REQUIRED, MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		PasswordPolicy: &awscognito.PasswordPolicy{MinLength: jsii.Number(14), RequireDigits: jsii.Bool(true), RequireLowercase: jsii.Bool(true),
			RequireUppercase: jsii.Bool(true), RequireSymbols: jsii.Bool(true),
			// The last 5 passwords may not be chosen again.
			PasswordHistorySize: jsii.Number(5)},
		// A changed e-mail takes effect only once its code is confirmed:
		// until then the user keeps signing in with (and receiving mail at)
		// the old address, so a typo never locks an officer out.
		AutoVerify: &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)}, KeepOriginal: &awscognito.KeepOriginalAttrs{Email: jsii.Bool(true)},
		// Invitations and codes go out through SES from the stage's sender
		// (Cognito's own sender allows 50 messages a day: inviting the
		// clerks of 1,506 Comuni would take a month), in Italian.
		UserInvitation: &awscognito.UserInvitationConfig{EmailSubject: jsii.String(InvitationSubject), EmailBody: jsii.String(InvitationBody)},
		UserVerification: &awscognito.UserVerificationConfig{EmailSubject: jsii.String(VerificationSubject), EmailBody: jsii.String(VerificationBody),
			EmailStyle: awscognito.VerificationEmailStyle_CODE},
		FeaturePlan:                  awscognito.FeaturePlan_PLUS,
		StandardThreatProtectionMode: awscognito.StandardThreatProtectionMode_FULL_FUNCTION,
		CustomAttributes: &map[string]awscognito.ICustomAttribute{
			"role":   awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(true), MinLen: jsii.Number(1), MaxLen: jsii.Number(20)}),
			"orgs":   awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(true), MaxLen: jsii.Number(2048)}),
			"region": awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(true), MaxLen: jsii.Number(3)}),
		},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY, RemovalPolicy: b.removal,
		DeletionProtection: jsii.Bool(b.prod),
	})
	// The stack is environment-agnostic, so the SES identity is given to
	// CloudFormation as an ARN in the stack's own region (the CDK's
	// WithSES would need the region at synth time).
	pool.Node().DefaultChild().(awscognito.CfnUserPool).SetEmailConfiguration(&awscognito.CfnUserPool_EmailConfigurationProperty{
		EmailSendingAccount: jsii.String("DEVELOPER"), SourceArn: b.senderIdentity(),
		From: jsii.String("Sportello bandi regionali <" + b.cfg.SenderAddress + ">")})
	providers := []awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()}
	var federation awscognito.UserPoolIdentityProviderSaml
	if b.cfg.FederationMetadataURL != "" {
		// SPID and CIE reach the pool through the Region's SAML gateway:
		// its metadata URL and name come from context (docs/deploy.md).
		// The fiscal code maps to the username attribute only; roles and
		// organisations are still set by administrators.
		federation = awscognito.NewUserPoolIdentityProviderSaml(st, jsii.String("Federation"), &awscognito.UserPoolIdentityProviderSamlProps{
			UserPool: pool, Name: jsii.String(b.cfg.FederationName),
			Metadata:         awscognito.UserPoolIdentityProviderSamlMetadata_Url(jsii.String(b.cfg.FederationMetadataURL)),
			AttributeMapping: &awscognito.AttributeMapping{Email: awscognito.ProviderAttribute_Other(jsii.String("email"))},
			IdpSignout:       jsii.Bool(true),
		})
		providers = append(providers, awscognito.UserPoolClientIdentityProvider_Custom(jsii.String(b.cfg.FederationName)))
	}
	var domain awscognito.UserPoolDomain
	if b.cfg.AuthDomainPrefix != "" {
		domain = pool.AddDomain(jsii.String("Domain"), &awscognito.UserPoolDomainOptions{
			CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: jsii.String(b.cfg.AuthDomainPrefix)}})
	}
	client := pool.AddClient(jsii.String("Web"), &awscognito.UserPoolClientOptions{
		AuthFlows: &awscognito.AuthFlow{UserSrp: jsii.Bool(true)}, PreventUserExistenceErrors: jsii.Bool(true),
		// A browser application: no secret, authorization code with PKCE
		// only (no implicit flow, which puts tokens in the URL), back only
		// to the stage's own pages, and only the OpenID scopes (not
		// aws.cognito.signin.user.admin, which would let a token change
		// its own user's attributes through Cognito's API).
		GenerateSecret: jsii.Bool(false),
		OAuth: &awscognito.OAuthSettings{
			Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true), ImplicitCodeGrant: jsii.Bool(false), ClientCredentials: jsii.Bool(false)},
			Scopes:       &[]awscognito.OAuthScope{awscognito.OAuthScope_OPENID(), awscognito.OAuthScope_EMAIL(), awscognito.OAuthScope_PROFILE()},
			CallbackUrls: jsii.Strings(b.cfg.CallbackURLs...), LogoutUrls: jsii.Strings(b.cfg.LogoutURLs...),
		},
		SupportedIdentityProviders: &providers,
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)), AccessTokenValidity: awscdk.Duration_Hours(jsii.Number(1)),
		// Who one is and whom one acts for are set by administrators only:
		// the client may write the e-mail, never custom:*.
		WriteAttributes: awscognito.NewClientAttributes().WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true)}),
	})
	if federation != nil {
		client.Node().AddDependency(federation)
	}
	// The web function tells the pages where to sign in (the hosted UI,
	// code + PKCE with this client) and lets them upload to the documents
	// bucket with the pre-signed PUTs (Content-Security-Policy connect-src).
	// Without a hosted domain the pages say that sign-in is not configured.
	webFn := b.fns["web"]
	webFn.AddEnvironment(jsii.String(web.EnvClientID), client.UserPoolClientId(), nil)
	webFn.AddEnvironment(jsii.String(web.EnvConnect), awscdk.Fn_Join(jsii.String(""),
		&[]*string{jsii.String("https://"), b.docs.BucketRegionalDomainName()}), nil)
	authBase := jsii.String("")
	if domain != nil {
		authBase = domain.BaseUrl(nil)
	}
	webFn.AddEnvironment(jsii.String(web.EnvAuthBase), authBase, nil)
	issuer := awscdk.Fn_Sub(jsii.String("https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}"), &map[string]*string{"Pool": pool.UserPoolId()})
	// The audience is the app client: API Gateway accepts ID tokens (aud)
	// of that client; the custom attributes are in the ID token only.
	authorizer := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("Jwt"), issuer, &awsapigatewayv2authorizers.HttpJwtAuthorizerProps{
		AuthorizerName: jsii.String("cognito"),
		JwtAudience:    &[]*string{client.UserPoolClientId()}, IdentitySource: jsii.Strings("$request.header.Authorization")})

	accessLogs := awslogs.NewLogGroup(st, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_ONE_YEAR, RemovalPolicy: b.removal})
	b.httpAPI = awsapigatewayv2.NewHttpApi(st, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName: jsii.String(b.name("")), CreateDefaultStage: jsii.Bool(false),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{AllowOrigins: jsii.Strings(b.cfg.AllowedOrigins...),
			AllowMethods:  &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_PUT, awsapigatewayv2.CorsHttpMethod_PATCH},
			AllowHeaders:  jsii.Strings("authorization", "content-type", "if-match", "idempotency-key", "accept"),
			ExposeHeaders: jsii.Strings("etag", "location"), MaxAge: awscdk.Duration_Hours(jsii.Number(1))},
	})
	// Throttling: 500 requests/s steady, 1000 burst for the whole stage,
	// well above the noon rush of a regional call (a few thousand filings
	// over the last hour) and below what submissions' 200 copies serve.
	stage := awsapigatewayv2.NewHttpStage(st, jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageProps{HttpApi: b.httpAPI,
		StageName: jsii.String("$default"), AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(500), BurstLimit: jsii.Number(1000)},
		// Per-route metrics: the p99 latency of filing is alarmed on.
		DetailedMetricsEnabled: jsii.Bool(true)})
	// Access log: who (sub, source IP) called which route when, and how it
	// ended; never bodies or query strings.
	format := `{"requestId":"$context.requestId","timeEpoch":"$context.requestTimeEpoch","ip":"$context.identity.sourceIp",` +
		`"method":"$context.httpMethod","route":"$context.routeKey","status":"$context.status","length":"$context.responseLength",` +
		`"latency":"$context.responseLatency","integrationStatus":"$context.integrationStatus","sub":"$context.authorizer.claims.sub",` +
		`"error":"$context.error.message","authorizerError":"$context.authorizer.error",` +
		`"integrationError":"$context.integrationErrorMessage","integrationLatency":"$context.integrationLatency"}`
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(), Format: jsii.String(format)})

	integrations := map[string]awsapigatewayv2integrations.HttpLambdaIntegration{}
	for _, r := range Routes() {
		integration, ok := integrations[r.Function]
		if !ok {
			integration = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(title(r.Function)+"Integration"), b.fns[r.Function], nil)
			integrations[r.Function] = integration
		}
		opts := &awsapigatewayv2.AddRoutesOptions{Path: jsii.String(r.Path), Methods: &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: integration, Authorizer: authorizer}
		if r.Public {
			opts.Authorizer = awsapigatewayv2.NewHttpNoneAuthorizer()
		}
		for _, route := range *b.httpAPI.AddRoutes(opts) {
			if r.Public {
				publicRoute(route)
			}
			// Route settings name routes by key: the routes must exist
			// before the stage that throttles them.
			stage.Node().AddDependency(route)
		}
	}
	// Per-route throttles (shared/routes.Limits): the anonymous routes get
	// their own small buckets, so no flood of them can use up the stage's
	// rate that officers and clerks share.
	settings := map[string]any{}
	for _, r := range append(routes.All(), routes.WebRoutes()...) {
		if l := routes.LimitsOf(r); l.Rate > 0 {
			settings[r.Key()] = map[string]any{"ThrottlingRateLimit": l.Rate, "ThrottlingBurstLimit": l.Burst}
		}
	}
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetRouteSettings(settings)

	awscdk.NewCfnOutput(st, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: b.httpAPI.ApiEndpoint()})
	awscdk.NewCfnOutput(st, jsii.String("UserPoolId"), &awscdk.CfnOutputProps{Value: pool.UserPoolId()})
	awscdk.NewCfnOutput(st, jsii.String("UserPoolClientId"), &awscdk.CfnOutputProps{Value: client.UserPoolClientId()})
	awscdk.NewCfnOutput(st, jsii.String("DocumentsBucketName"), &awscdk.CfnOutputProps{Value: b.docs.BucketName()})
	awscdk.NewCfnOutput(st, jsii.String("TableName"), &awscdk.CfnOutputProps{Value: b.table.TableName()})
}

// alarms: every alarm notifies one topic (e-mail from context alarmEmail).
func (b *builder) alarms() {
	st := b.st
	// Alarm messages carry alarm names and metric values, never personal
	// data: the topic is not under the data key, which CloudWatch would
	// otherwise have to be admitted to.
	topic := awssns.NewTopic(st, jsii.String("Alarms"), &awssns.TopicProps{TopicName: jsii.String(b.name("-alarms")), EnforceSSL: jsii.Bool(true)})
	// The topic policy replaces SNS's default one: CloudWatch must be let
	// in explicitly, for this stage's alarms only.
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"), Resources: &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": st.Account()},
			"ArnLike":      map[string]any{"aws:SourceArn": awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"+b.name("-*")), nil)},
		}}))
	if b.cfg.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(b.cfg.AlarmEmail), nil))
	}
	action := awscloudwatchactions.NewSnsAction(topic)
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	// Every alarm tells the topic when it fires and when it clears (OK), so
	// whoever is on call knows when to stop looking. docs/deploy.md has the
	// runbook of each.
	alarm := func(id string, m awscloudwatch.IMetric, threshold float64, periods int, desc string) {
		a := awscloudwatch.NewAlarm(st, jsii.String(id), &awscloudwatch.AlarmProps{Metric: m, Threshold: jsii.Number(threshold),
			EvaluationPeriods: jsii.Number(float64(periods)), DatapointsToAlarm: jsii.Number(float64(periods)),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmName: jsii.String(b.name("-" + strings.ToLower(id))), AlarmDescription: jsii.String(desc)})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
	}
	sum := &awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}
	alarm("Api5xx", b.httpAPI.MetricServerError(sum), 1, 1, "The HTTP API answered 5xx")
	for _, name := range Functions {
		alarm(title(name)+"Errors", b.fns[name].MetricErrors(sum), 1, 1, fmt.Sprintf("The %s function failed an invocation", name))
		// Error lines (level ERROR in the JSON logs): failures a function
		// survives, such as a receipt not sent or an audit line lost.
		awslogs.NewMetricFilter(st, jsii.String(title(name)+"ErrorLines"), &awslogs.MetricFilterProps{
			LogGroup: b.logGroups[name], FilterPattern: awslogs.FilterPattern_StringValue(jsii.String("$.level"), jsii.String("="), jsii.String("ERROR")),
			MetricNamespace: jsii.String(metrics.Namespace), MetricName: jsii.String("ErrorLogs"), MetricValue: jsii.String("1"),
			Dimensions: &map[string]*string{"Function": jsii.String(name)}, Unit: awscloudwatch.Unit_COUNT})
		errorLines := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(metrics.Namespace), MetricName: jsii.String("ErrorLogs"),
			DimensionsMap: &map[string]*string{"Function": jsii.String(name)}, Period: minute, Statistic: jsii.String("Sum")})
		alarm(title(name)+"ErrorLogs", errorLines, 1, 1, fmt.Sprintf("The %s function logged an error", name))
	}
	// Throttles alarm only where a throttle is a failure someone saw: the
	// HTTP functions answering officers and clerks. windows and allocation
	// run one at a time by design in prod (their events wait in Lambda's
	// queue); the public function's ceiling is its protection.
	for _, name := range []string{"calls", "submissions", "uploads"} {
		alarm(title(name)+"Throttles", b.fns[name].MetricThrottles(sum), 1, 1, fmt.Sprintf("The %s function was throttled: a user got an error", name))
	}
	for _, name := range []string{"documents", "windows", "allocation", "relay"} {
		alarm(title(name)+"DLQDepth", b.dlqs[name].MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Maximum")}), 1, 1,
			fmt.Sprintf("Failed %s events wait in the dead-letter queue: inspect and redrive", name))
	}
	scheduler := func(metric string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/Scheduler"), MetricName: jsii.String(metric),
			DimensionsMap: &map[string]*string{"ScheduleGroup": b.group.Name()}, Period: minute, Statistic: jsii.String("Sum")})
	}
	alarm("SchedulerTargetErrors", scheduler("TargetErrorCount"), 1, 1, "A window schedule could not invoke the windows function")
	alarm("SchedulerInvocationsDropped", scheduler("InvocationDroppedCount"), 1, 1, "A window schedule was dropped after its retries")
	throttled := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{Expression: jsii.String("r + w"), Period: minute,
		Label: jsii.String("throttle events"), UsingMetrics: &map[string]awscloudwatch.IMetric{
			"r": b.table.Metric(jsii.String("ReadThrottleEvents"), sum), "w": b.table.Metric(jsii.String("WriteThrottleEvents"), sum)}})
	alarm("TableThrottles", throttled, 1, 1, "DynamoDB throttled reads or writes of the table")
	// Filing's p99 latency, per route (detailed metrics), over 3 s for 3
	// minutes in a row: clerks at the deadline are waiting.
	latency := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/ApiGateway"), MetricName: jsii.String("Latency"),
		DimensionsMap: &map[string]*string{"ApiId": b.httpAPI.ApiId(), "Stage": jsii.String("$default"), "Route": jsii.String("POST /v1/submissions/{id}/submit")},
		Period:        minute, Statistic: jsii.String("p99")})
	alarm("SubmitLatencyP99", latency, 3000, 3, "Filing's p99 latency is over 3 s")
	// SES reviews an account at a 5% bounce rate and may suspend it at
	// 10%: alarm at 5%.
	bounces := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/SES"), MetricName: jsii.String("Reputation.BounceRate"),
		Period: awscdk.Duration_Minutes(jsii.Number(15)), Statistic: jsii.String("Maximum")})
	alarm("SesBounceRate", bounces, 0.05, 1, "SES bounce rate at 5% or more: sending may be suspended at 10%")
}

// senderIdentity is the SES identity mail goes out through: the one given
// in context, else the sender's domain in the stack's account and region.
func (b *builder) senderIdentity() *string {
	if b.cfg.SenderIdentity != "" {
		return jsii.String(b.cfg.SenderIdentity)
	}
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/"+senderDomain(b.cfg.SenderAddress)), nil)
}

// scheduleArn covers every schedule of sportello's group.
func (b *builder) scheduleArn() *string {
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/"+b.name("")+"/*"), nil)
}

// retainPolicies gives the resource policies of buckets and queues the
// removal policy of what they protect: a retained bucket or queue that lost
// its policy on stack deletion would accept plain HTTP again and drop the
// rules that keep it private.
func (b *builder) retainPolicies() {
	for _, c := range *b.st.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		switch r := c.(type) {
		case awss3.CfnBucketPolicy:
			r.ApplyRemovalPolicy(b.policyRemoval(r), nil)
		case awssqs.CfnQueuePolicy:
			r.ApplyRemovalPolicy(b.removal, nil)
		}
	}
}

// policyRemoval: the access-log bucket is retained in every stage, so is
// its policy; the others follow the stage.
func (b *builder) policyRemoval(policy constructs.IConstruct) awscdk.RemovalPolicy {
	if strings.HasPrefix(*policy.Node().Path(), *b.logs.Node().Path()+"/") {
		return awscdk.RemovalPolicy_RETAIN
	}
	return b.removal
}

func fnName(stage, fn string) string { return "sportello-" + stage + "-" + fn }

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
