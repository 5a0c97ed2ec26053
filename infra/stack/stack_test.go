package stack

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

var stages = []string{"dev", "prod"}

// resources returns the template's resources of one type, by logical id.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		if m := r.(map[string]any); m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// only returns the single resource of a type.
func (s *synthesized) only(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%s: %d resources of type %s, want 1", s.cfg.Stage, len(rs), typ)
	}
	for id, r := range rs {
		return id, r
	}
	return "", nil
}

// function returns the logical id and resource of one of the six functions.
func (s *synthesized) function(t *testing.T, fn string) (string, map[string]any) {
	t.Helper()
	for id, r := range s.resources("AWS::Lambda::Function") {
		if props(r)["FunctionName"] == fnName(s.cfg.Stage, fn) {
			return id, r
		}
	}
	t.Fatalf("%s: no function %s", s.cfg.Stage, fn)
	return "", nil
}

func getAtt(id, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
func ref(id string) map[string]any          { return map[string]any{"Ref": id} }

// statements returns the statements of every policy attached to a role.
func (s *synthesized) statements(roleID string) []map[string]any {
	var out []map[string]any
	for _, p := range s.resources("AWS::IAM::Policy") {
		if !slices.ContainsFunc(props(p)["Roles"].([]any), func(r any) bool { return reflect.DeepEqual(r, ref(roleID)) }) {
			continue
		}
		for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	return out
}

// roleOf is the logical id of a function's role.
func (s *synthesized) roleOf(t *testing.T, fn string) string {
	t.Helper()
	_, f := s.function(t, fn)
	att := props(f)["Role"].(map[string]any)["Fn::GetAtt"].([]any)
	return att[0].(string)
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = fmt.Sprint(e)
		}
		return out
	}
	return nil
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestCdkNagAwsSolutionsHasNoUnsuppressedError(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		for _, e := range s.nagErrors {
			t.Errorf("%s: %s", st, e)
		}
		// The pack really ran: its report lists every rule it evaluated.
		if s.nagRows < 100 {
			t.Errorf("%s: cdk-nag reported only %d findings: was AwsSolutionsChecks applied?", st, s.nagRows)
		}
	}
}

// Every suppression in nag.go is used, and nothing else is suppressed:
// the accepted findings, each with its reason in the code, are exactly these.
func TestCdkNagSuppressionsAreExactlyTheAcceptedFindings(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		want := map[string]bool{
			"AwsSolutions-APIG4 Api/GET--v1--health/Resource":                         true,
			"AwsSolutions-APIG4 Api/GET--v1--openapi.json/Resource":                   true,
			"AwsSolutions-APIG4 Api/GET--v1--docs/Resource":                           true,
			"AwsSolutions-APIG4 Api/GET--v1--docs--{asset}/Resource":                  true,
			"AwsSolutions-APIG4 Api/POST--v1--calculators--nidi-gratis-plus/Resource": true,
			"AwsSolutions-APIG4 Api/POST--v1--calculators--riparto/Resource":          true,
			// The web interface's page and files (the API checks the token).
			"AwsSolutions-APIG4 Api/GET--/Resource":               true,
			"AwsSolutions-APIG4 Api/GET--auth--callback/Resource": true,
			"AwsSolutions-APIG4 Api/GET--web--{asset}/Resource":   true,
			"AwsSolutions-IAM4 BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role/Resource [Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]": true,
			"AwsSolutions-IAM5 UploadsRole/DefaultPolicy/Resource [Resource::<DocumentsBucket9EC9DEB9.Arn>/documents/*]":                                                                         true,
			"AwsSolutions-IAM5 DocumentsRole/DefaultPolicy/Resource [Resource::<DocumentsBucket9EC9DEB9.Arn>/documents/*]":                                                                       true,
			"AwsSolutions-IAM5 AllocationRole/DefaultPolicy/Resource [Resource::<DocumentsBucket9EC9DEB9.Arn>/exports/*]":                                                                        true,
			"AwsSolutions-IAM5 SubmissionsRole/DefaultPolicy/Resource [Resource::<DocumentsBucket9EC9DEB9.Arn>/rendiconti/*]":                                                                    true,
			// The relay's on-failure queue is a DLQ cdk-nag does not recognise.
			"AwsSolutions-SQS3 RelayDLQ/Resource": true,
		}
		for _, fn := range Functions {
			want["AwsSolutions-IAM5 "+title(fn)+"Role/DefaultPolicy/Resource [Resource::*]"] = true // X-Ray
		}
		for _, fn := range []string{"calls", "windows"} {
			want["AwsSolutions-IAM5 "+title(fn)+"Role/DefaultPolicy/Resource [Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/sportello-"+st+"/*]"] = true
		}
		for k := range s.suppressed {
			if !want[k] {
				t.Errorf("%s: unexpected suppressed finding %s", st, k)
			}
		}
		for k := range want {
			if !s.suppressed[k] {
				t.Errorf("%s: suppression no longer needed (remove it from nag.go): %s", st, k)
			}
		}
	}
}

func TestResourceCounts(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		// Beyond the six functions: CDK's bucket-notification helper, and
		// in dev its auto-delete helper that empties the buckets at teardown.
		lambdas, roles, autoDelete := 10, 11, 0
		if st == "dev" {
			lambdas, roles, autoDelete = 11, 12, 1 // the access-log bucket is retained
		}
		want := map[string]int{
			"AWS::Lambda::Function": lambdas, "AWS::IAM::Role": roles, "Custom::S3AutoDeleteObjects": autoDelete,
			"AWS::DynamoDB::Table": 1, "AWS::KMS::Key": 1, "AWS::S3::Bucket": 2, "AWS::SQS::Queue": 4, "AWS::Lambda::EventSourceMapping": 1,
			"AWS::Scheduler::ScheduleGroup": 1, "AWS::Scheduler::Schedule": 1, "AWS::Events::EventBus": 1, "AWS::Events::Rule": 1,
			"AWS::ApiGatewayV2::Api": 1, "AWS::ApiGatewayV2::Stage": 1, "AWS::ApiGatewayV2::Authorizer": 1,
			"AWS::ApiGatewayV2::Route": len(contractRoutes), "AWS::ApiGatewayV2::Integration": 5,
			"AWS::Cognito::UserPool": 1, "AWS::Cognito::UserPoolClient": 1,
			// API 5xx; errors and error lines of each function; throttles
			// of the three HTTP functions users wait on; four DLQs (three
			// functions' and the outbox relay's); the Scheduler (2), the
			// table's throttles, filing's p99, SES bounces.
			"AWS::CloudWatch::Alarm": 1 + 2*len(Functions) + 3 + 4 + 2 + 1 + 1 + 1, "AWS::SNS::Topic": 1,
			"AWS::Logs::MetricFilter": len(Functions),
			"AWS::Logs::LogGroup":     len(Functions) + 1, "Custom::S3BucketNotifications": 1,
		}
		for typ, n := range want {
			if got := len(s.resources(typ)); got != n {
				t.Errorf("%s: %d %s, want %d", st, got, typ, n)
			}
		}
	}
}

func TestEveryFunctionIsArm64OnAL2023WithDeliberateSizing(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		for _, fn := range Functions {
			id, f := s.function(t, fn)
			p, spec := props(f), Specs[fn]
			checks := map[string]any{
				"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
				"TracingConfig": map[string]any{"Mode": "Active"},
				"MemorySize":    float64(spec.MemoryMB), "Timeout": float64(spec.TimeoutSec),
			}
			for k, want := range checks {
				if !reflect.DeepEqual(p[k], want) {
					t.Errorf("%s %s: %s = %v, want %v", st, fn, k, p[k], want)
				}
			}
			// Environment: exactly the names shared/cloud needs, no more.
			env, _ := p["Environment"].(map[string]any)
			vars, _ := env["Variables"].(map[string]any)
			var got []string
			for k := range vars {
				got = append(got, k)
			}
			sort.Strings(got)
			want := slices.Clone(EnvNames[fn])
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: environment %v, want %v", st, fn, got, want)
			}
			// Its own log group, kept one year.
			lgID := p["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)
			lg := props(s.resources("AWS::Logs::LogGroup")[lgID])
			if lg["RetentionInDays"] != float64(365) {
				t.Errorf("%s %s: log group %v", st, fn, lg)
			}
			// Asynchronous functions: retries, then their dead-letter queue.
			dlc, hasDLQ := p["DeadLetterConfig"].(map[string]any)
			if hasDLQ != spec.Async {
				t.Errorf("%s %s: dead-letter queue %v, async %v", st, fn, hasDLQ, spec.Async)
			}
			if spec.Async {
				att, _ := dlc["TargetArn"].(map[string]any)["Fn::GetAtt"].([]any)
				if len(att) != 2 || !strings.HasPrefix(att[0].(string), title(fn)+"DLQ") {
					t.Errorf("%s %s: dead letters go to %v", st, fn, dlc["TargetArn"])
				}
				found := false
				for _, c := range s.resources("AWS::Lambda::EventInvokeConfig") {
					if reflect.DeepEqual(props(c)["FunctionName"], ref(id)) {
						found = props(c)["MaximumRetryAttempts"] == float64(2)
					}
				}
				if !found {
					t.Errorf("%s %s: no async retry configuration", st, fn)
				}
			}
		}
	}
}

// A new account's Lambda quota is 10 and Lambda keeps 100 unreserved, so a
// dev stack that reserved anything could not be deployed there; prod
// reserves what the noon rush needs.
func TestReservedConcurrencyIsSizedPerStage(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		total := 0
		for _, fn := range Functions {
			_, f := s.function(t, fn)
			got, has := props(f)["ReservedConcurrentExecutions"]
			if st == "dev" {
				if has {
					t.Errorf("dev %s reserves %v concurrent executions, want none", fn, got)
				}
				continue
			}
			want, ok := ProdReserved[fn]
			if !ok {
				if has {
					t.Errorf("prod %s reserves %v, want none", fn, got)
				}
				continue
			}
			if got != float64(want) {
				t.Errorf("prod %s reserves %v, want %d", fn, got, want)
			}
			total += want
		}
		if st == "prod" && total != 312 {
			t.Errorf("prod reserves %d in total, want 312 (docs/deploy.md: quota of at least 412)", total)
		}
	}
	// In prod the close-time work and the riparto run one copy at a time.
	for _, fn := range []string{"windows", "allocation"} {
		if ProdReserved[fn] != 1 {
			t.Errorf("prod %s must be reserved to one concurrent execution", fn)
		}
	}
}

func TestTableIsProtectedInProdAndDisposableInDev(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		_, tbl := s.only(t, "AWS::DynamoDB::Table")
		p := props(tbl)
		keyID, _ := s.only(t, "AWS::KMS::Key")
		want := map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"SSESpecification":                 map[string]any{"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": getAtt(keyID, "Arn")},
			"KeySchema":                        []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}, map[string]any{"AttributeName": "sk", "KeyType": "RANGE"}},
			"DeletionProtectionEnabled":        st == "prod",
		}
		for k, w := range want {
			if !reflect.DeepEqual(p[k], w) {
				t.Errorf("%s table: %s = %s, want %s", st, k, jsonOf(p[k]), jsonOf(w))
			}
		}
		gsi := p["GlobalSecondaryIndexes"].([]any)
		if len(gsi) != 1 || jsonOf(gsi[0].(map[string]any)["KeySchema"]) != `[{"AttributeName":"gsi1pk","KeyType":"HASH"},{"AttributeName":"gsi1sk","KeyType":"RANGE"}]` ||
			gsi[0].(map[string]any)["IndexName"] != "gsi1" {
			t.Errorf("%s table: GSI %s", st, jsonOf(gsi))
		}
		policy := map[string]string{"dev": "Delete", "prod": "Retain"}[st]
		if tbl["DeletionPolicy"] != policy || tbl["UpdateReplacePolicy"] != policy {
			t.Errorf("%s table: DeletionPolicy %v, want %s", st, tbl["DeletionPolicy"], policy)
		}
		_, key := s.only(t, "AWS::KMS::Key")
		if props(key)["EnableKeyRotation"] != true || key["DeletionPolicy"] != policy {
			t.Errorf("%s key: %s", st, jsonOf(key))
		}
	}
}

func TestDocumentsBucket(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		docs := s.resources("AWS::S3::Bucket")["DocumentsBucket9EC9DEB9"]
		if docs == nil {
			t.Fatalf("%s: no documents bucket", st)
		}
		p := props(docs)
		keyID, _ := s.only(t, "AWS::KMS::Key")
		want := map[string]any{
			"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
			"VersioningConfiguration":        map[string]any{"Status": "Enabled"},
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{"BucketKeyEnabled": true,
				"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": getAtt(keyID, "Arn")}}}},
			"LoggingConfiguration": map[string]any{"DestinationBucketName": ref("AccessLogs8B620ECA"), "LogFilePrefix": "documents-bucket/"},
			// Browsers PUT and GET with pre-signed URLs, from the configured origins only.
			"CorsConfiguration": map[string]any{"CorsRules": []any{map[string]any{
				"AllowedMethods": []any{"PUT", "GET"}, "AllowedOrigins": asList(anySlice(s.cfg.AllowedOrigins)),
				"AllowedHeaders": []any{"content-type", "content-length", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm"},
				"ExposedHeaders": []any{"etag"}, "MaxAge": float64(3000)}}},
		}
		if st == "prod" {
			// Kept at least 10 years from filing, undeletable meanwhile.
			want["ObjectLockEnabled"] = true
			want["ObjectLockConfiguration"] = map[string]any{"ObjectLockEnabled": "Enabled",
				"Rule": map[string]any{"DefaultRetention": map[string]any{"Mode": "GOVERNANCE", "Days": float64(retentionDays)}}}
		}
		for k, w := range want {
			if !reflect.DeepEqual(p[k], w) {
				t.Errorf("%s documents bucket: %s = %s, want %s", st, k, jsonOf(p[k]), jsonOf(w))
			}
		}
		if retentionDays < 3653 {
			t.Errorf("retention %d days is less than 10 years", retentionDays)
		}
		if st == "dev" && p["ObjectLockEnabled"] != nil {
			t.Errorf("dev documents bucket has Object Lock: make destroy could not empty it")
		}
		rules := p["LifecycleConfiguration"].(map[string]any)["Rules"].([]any)
		if len(rules) != 1 || rules[0].(map[string]any)["ExpirationInDays"] != float64(retentionDays) {
			t.Errorf("%s documents bucket: lifecycle %s", st, jsonOf(rules))
		}
		policy := map[string]string{"dev": "Delete", "prod": "Retain"}[st]
		if docs["DeletionPolicy"] != policy {
			t.Errorf("%s documents bucket: DeletionPolicy %v", st, docs["DeletionPolicy"])
		}
		// TLS only, on both buckets.
		for id, bp := range s.resources("AWS::S3::BucketPolicy") {
			stmts := props(bp)["PolicyDocument"].(map[string]any)["Statement"].([]any)
			if !slices.ContainsFunc(stmts, func(x any) bool {
				m := x.(map[string]any)
				return m["Effect"] == "Deny" && jsonOf(m["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}`
			}) {
				t.Errorf("%s %s: no TLS-only statement", st, id)
			}
		}
		// New objects under documents/ go to the documents function.
		_, n := s.only(t, "Custom::S3BucketNotifications")
		docsFn, _ := s.function(t, "documents")
		wantN := `{"LambdaFunctionConfigurations":[{"Events":["s3:ObjectCreated:*"],"Filter":{"Key":{"FilterRules":[{"Name":"prefix","Value":"documents/"}]}},"LambdaFunctionArn":` + jsonOf(getAtt(docsFn, "Arn")) + `}]}`
		if got := jsonOf(props(n)["NotificationConfiguration"]); got != wantN {
			t.Errorf("%s notifications: %s\nwant %s", st, got, wantN)
		}
		// The access-log bucket is private, TLS only, kept as long as the
		// documents in prod (30 days in dev), and retained at teardown in
		// both: S3 delivers logs hours late, so emptying it at teardown
		// could not make its deletion succeed.
		logsRes := s.resources("AWS::S3::Bucket")["AccessLogs8B620ECA"]
		logs := props(logsRes)
		expire := map[string]float64{"dev": 30, "prod": retentionDays}[st]
		if jsonOf(logs["PublicAccessBlockConfiguration"]) != jsonOf(want["PublicAccessBlockConfiguration"]) ||
			logs["LifecycleConfiguration"].(map[string]any)["Rules"].([]any)[0].(map[string]any)["ExpirationInDays"] != expire ||
			logsRes["DeletionPolicy"] != "Retain" {
			t.Errorf("%s access logs bucket: %s", st, jsonOf(logsRes))
		}
		// A retained bucket keeps its policy (TLS only, log delivery only):
		// the policy is retained with it.
		for id, bp := range s.resources("AWS::S3::BucketPolicy") {
			bucket := jsonOf(props(bp)["Bucket"])
			want := policy
			if strings.Contains(bucket, "AccessLogs") {
				want = "Retain"
			}
			if bp["DeletionPolicy"] != want || bp["UpdateReplacePolicy"] != want {
				t.Errorf("%s %s (bucket %s): DeletionPolicy %v, UpdateReplacePolicy %v, want %s", st, id, bucket, bp["DeletionPolicy"], bp["UpdateReplacePolicy"], want)
			}
		}
	}
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestSchedulerGroupRoleAndReconcile(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		group := "sportello-" + st
		_, g := s.only(t, "AWS::Scheduler::ScheduleGroup")
		if props(g)["Name"] != group {
			t.Errorf("%s: schedule group %v", st, props(g)["Name"])
		}
		windows, _ := s.function(t, "windows")
		_, rec := s.only(t, "AWS::Scheduler::Schedule")
		p := props(rec)
		want := map[string]any{
			"GroupName": group, "ScheduleExpression": "rate(5 minutes)", "ScheduleExpressionTimezone": "Europe/Rome",
			"FlexibleTimeWindow": map[string]any{"Mode": "OFF"},
		}
		for k, w := range want {
			if !reflect.DeepEqual(p[k], w) {
				t.Errorf("%s reconcile: %s = %v, want %v", st, k, p[k], w)
			}
		}
		target := p["Target"].(map[string]any)
		if target["Input"] != `{"kind":"reconcile"}` || !reflect.DeepEqual(target["Arn"], getAtt(windows, "Arn")) ||
			!reflect.DeepEqual(target["RoleArn"], getAtt("SchedulerRole59E73443", "Arn")) || target["DeadLetterConfig"] == nil {
			t.Errorf("%s reconcile target: %s", st, jsonOf(target))
		}

		// The Scheduler's role: assumable by the Scheduler of this account
		// only, and allowed to invoke the windows function and nothing else.
		role := s.resources("AWS::IAM::Role")["SchedulerRole59E73443"]
		trust := jsonOf(props(role)["AssumeRolePolicyDocument"])
		if trust != `{"Statement":[{"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":{"Fn::Sub":"arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/`+group+`/*"}},"StringEquals":{"aws:SourceAccount":{"Ref":"AWS::AccountId"}}},"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"}}],"Version":"2012-10-17"}` {
			t.Errorf("%s scheduler role trust: %s", st, trust)
		}
		for _, stmt := range s.statements("SchedulerRole59E73443") {
			for _, a := range strs(stmt["Action"]) {
				switch {
				case a == "lambda:InvokeFunction":
					if !reflect.DeepEqual(stmt["Resource"], getAtt(windows, "Arn")) {
						t.Errorf("%s: the scheduler role may invoke %s", st, jsonOf(stmt["Resource"]))
					}
				case strings.HasPrefix(a, "sqs:"):
					if !reflect.DeepEqual(stmt["Resource"], getAtt("WindowsDLQB3F4C63B", "Arn")) {
						t.Errorf("%s: the scheduler role may send to %s", st, jsonOf(stmt["Resource"]))
					}
				default:
					t.Errorf("%s: the scheduler role may %s", st, a)
				}
			}
		}
		// calls and windows manage schedules in the group only and pass
		// only that role, only to the Scheduler.
		for _, fn := range []string{"calls", "windows"} {
			var manage, pass bool
			for _, stmt := range s.statements(s.roleOf(t, fn)) {
				acts := strs(stmt["Action"])
				if slices.Contains(acts, "scheduler:CreateSchedule") {
					manage = jsonOf(stmt["Resource"]) == `{"Fn::Sub":"arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/`+group+`/*"}`
				}
				if slices.Contains(acts, "iam:PassRole") {
					pass = reflect.DeepEqual(stmt["Resource"], getAtt("SchedulerRole59E73443", "Arn")) &&
						jsonOf(stmt["Condition"]) == `{"StringEquals":{"iam:PassedToService":"scheduler.amazonaws.com"}}`
				}
			}
			if !manage || !pass {
				t.Errorf("%s %s: schedule rights on the group %v, PassRole of the scheduler role %v", st, fn, manage, pass)
			}
			_, f := s.function(t, fn)
			vars := props(f)["Environment"].(map[string]any)["Variables"].(map[string]any)
			if vars["SPORTELLO_SCHEDULER_GROUP"] != group ||
				jsonOf(vars["SPORTELLO_WINDOWS_FUNCTION_ARN"]) != `{"Fn::Sub":"arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:`+fnName(st, "windows")+`"}` {
				t.Errorf("%s %s: scheduler environment %s", st, fn, jsonOf(vars))
			}
		}
	}
}

func TestFundsAnnouncedRunsTheAllocation(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		busID, bus := s.only(t, "AWS::Events::EventBus")
		if props(bus)["Name"] != "sportello-"+st {
			t.Errorf("%s: bus %v", st, props(bus)["Name"])
		}
		ruleID, rule := s.only(t, "AWS::Events::Rule")
		p := props(rule)
		alloc, _ := s.function(t, "allocation")
		if jsonOf(p["EventPattern"]) != `{"detail-type":["FundsAnnounced"],"source":["sportello"]}` || !reflect.DeepEqual(p["EventBusName"], ref(busID)) {
			t.Errorf("%s rule: %s", st, jsonOf(p))
		}
		targets := p["Targets"].([]any)
		if len(targets) != 1 {
			t.Fatalf("%s rule targets: %s", st, jsonOf(targets))
		}
		tg := targets[0].(map[string]any)
		if !reflect.DeepEqual(tg["Arn"], getAtt(alloc, "Arn")) || !reflect.DeepEqual(tg["DeadLetterConfig"], map[string]any{"Arn": getAtt("AllocationDLQ595D3F09", "Arn")}) {
			t.Errorf("%s rule target: %s", st, jsonOf(tg))
		}
		// EventBridge may put undeliverable events in that queue, from this rule only.
		qp := jsonOf(s.resources("AWS::SQS::QueuePolicy"))
		if !strings.Contains(qp, `"Condition":{"ArnEquals":{"aws:SourceArn":`+jsonOf(getAtt(ruleID, "Arn"))+`}},"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"}`) {
			t.Errorf("%s: the allocation DLQ does not admit the rule", st)
		}
		// Only the relay publishes (announcements are outbox items of the
		// run's transaction), on this bus only.
		for _, fn := range Functions {
			for _, stmt := range s.statements(s.roleOf(t, fn)) {
				if slices.Contains(strs(stmt["Action"]), "events:PutEvents") {
					if fn != "relay" || !reflect.DeepEqual(stmt["Resource"], getAtt(busID, "Arn")) {
						t.Errorf("%s %s may put events on %s", st, fn, jsonOf(stmt["Resource"]))
					}
				}
			}
		}
	}
}

// contractRoutes is the HTTP API contract (architecture.md and the cloud
// brief): every route, its function, and whether it is public.
var contractRoutes = []Route{
	{"public", "GET", "/v1/health", true},
	{"public", "GET", "/v1/openapi.json", true},
	{"public", "GET", "/v1/docs", true},
	{"public", "GET", "/v1/docs/{asset}", true},
	{"calls", "GET", "/v1/calls", false},
	{"calls", "POST", "/v1/calls", false},
	{"calls", "GET", "/v1/calls/{callId}", false},
	{"calls", "PATCH", "/v1/calls/{callId}/windows/{windowId}", false},
	{"calls", "POST", "/v1/calls/{callId}/funds", false},
	{"calls", "GET", "/v1/calls/{callId}/allocations/{allocationId}", false},
	{"calls", "POST", "/v1/calls/{callId}/allocations:simulate", false},
	{"public", "POST", "/v1/calculators/nidi-gratis-plus", true},
	{"public", "POST", "/v1/calculators/riparto", true},
	// The web interface (docs/web.md): outside /v1, not in the OpenAPI document.
	{"web", "GET", "/", true},
	{"web", "GET", "/auth/callback", true},
	{"web", "GET", "/web/{asset}", true},
	{"calls", "GET", "/v1/calls/{callId}/audit", false},
	{"calls", "POST", "/v1/calls/{callId}/registry", false},
	{"calls", "GET", "/v1/calls/{callId}/outcomes", false},
	{"calls", "GET", "/v1/calls/{callId}/allocations/{allocationId}/decree", false},
	{"calls", "GET", "/v1/calls/{callId}/service-registry", false},
	{"calls", "GET", "/v1/calls/{callId}/milestones", false},
	{"calls", "GET", "/v1/calls/{callId}/preloaded", false},
	{"calls", "GET", "/v1/calls/{callId}/form", false},
	{"submissions", "POST", "/v1/calls/{callId}/submissions", false},
	{"submissions", "GET", "/v1/calls/{callId}/submissions", false},
	{"submissions", "GET", "/v1/submissions/{id}", false},
	{"submissions", "PUT", "/v1/submissions/{id}", false},
	{"submissions", "POST", "/v1/submissions/{id}/submit", false},
	{"submissions", "POST", "/v1/submissions/{id}/review", false},
	{"submissions", "POST", "/v1/submissions/{id}/integration", false},
	{"submissions", "POST", "/v1/submissions/{id}/withdraw", false},
	{"submissions", "GET", "/v1/submissions/{id}/receipt", false},
	{"submissions", "GET", "/v1/submissions/{id}/summary", false},
	{"submissions", "GET", "/v1/submissions/{id}/audit", false},
	{"uploads", "POST", "/v1/submissions/{id}/documents", false},
	{"uploads", "GET", "/v1/submissions/{id}/documents", false},
	{"uploads", "GET", "/v1/documents/{id}/download", false},
	{"submissions", "PUT", "/v1/calls/{callId}/advances", false},
	{"submissions", "GET", "/v1/calls/{callId}/advances", false},
	{"submissions", "GET", "/v1/calls/{callId}/budget", false},
	{"submissions", "GET", "/v1/calls/{callId}/rendicontazioni", false},
	{"submissions", "POST", "/v1/submissions/{id}/rendicontazioni", false},
	{"submissions", "GET", "/v1/rendicontazioni/{id}", false},
	{"submissions", "GET", "/v1/rendicontazioni/{id}/documents/{kind}", false},
	{"submissions", "PUT", "/v1/rendicontazioni/{id}/signed/{kind}", false},
	{"submissions", "POST", "/v1/rendicontazioni/{id}/transmit", false},
	{"submissions", "POST", "/v1/rendicontazioni/{id}/review", false},
	{"submissions", "POST", "/v1/rendicontazioni/{id}/answer", false},
	{"submissions", "POST", "/v1/rendicontazioni/{id}/payments", false},
	{"submissions", "POST", "/v1/rendicontazioni/{id}/recoveries", false},
}

// The route table needs no Node: it is the handlers' own.
func TestRouteTableIsTheContract(t *testing.T) {
	got := map[string]Route{}
	for _, r := range Routes() {
		if strings.Contains(r.Path, "/dev/") {
			t.Errorf("local-only route in the deployed table: %s %s", r.Method, r.Path)
		}
		got[r.Method+" "+r.Path] = r
	}
	for _, want := range contractRoutes {
		k := want.Method + " " + want.Path
		if r, ok := got[k]; !ok {
			t.Errorf("%s: missing", k)
		} else if r != want {
			t.Errorf("%s: served as %+v, want %+v", k, r, want)
		}
		delete(got, k)
	}
	for k := range got {
		t.Errorf("%s: deployed but not in the contract", k)
	}
}

func TestEveryRouteIsDeployedWithTheJWTAuthorizerExceptThePublicOnes(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		authID, auth := s.only(t, "AWS::ApiGatewayV2::Authorizer")
		ap := props(auth)
		poolID, _ := s.only(t, "AWS::Cognito::UserPool")
		clientID, _ := s.only(t, "AWS::Cognito::UserPoolClient")
		if ap["AuthorizerType"] != "JWT" || jsonOf(ap["IdentitySource"]) != `["$request.header.Authorization"]` ||
			jsonOf(ap["JwtConfiguration"]) != jsonOf(map[string]any{"Audience": []any{ref(clientID)},
				"Issuer": map[string]any{"Fn::Sub": []any{"https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}", map[string]any{"Pool": ref(poolID)}}}}) {
			t.Errorf("%s authorizer: %s", st, jsonOf(ap))
		}
		// integration → function
		integrations := map[string]string{}
		for id, in := range s.resources("AWS::ApiGatewayV2::Integration") {
			arn := props(in)["IntegrationUri"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
			for _, fn := range Functions {
				if fid, _ := s.function(t, fn); fid == arn {
					integrations[id] = fn
				}
			}
		}
		deployed := map[string]bool{}
		for _, r := range s.resources("AWS::ApiGatewayV2::Route") {
			p := props(r)
			key := p["RouteKey"].(string)
			deployed[key] = true
			if strings.Contains(key, "/dev/") {
				t.Errorf("%s: local-only route deployed: %s", st, key)
			}
			target := p["Target"].(map[string]any)["Fn::Join"].([]any)[1].([]any)[1].(map[string]any)["Ref"].(string)
			i := slices.IndexFunc(contractRoutes, func(c Route) bool { return c.Method+" "+c.Path == key })
			if i < 0 {
				t.Errorf("%s: %s is not in the contract", st, key)
				continue
			}
			want := contractRoutes[i]
			if integrations[target] != want.Function {
				t.Errorf("%s: %s goes to %q, want %s", st, key, integrations[target], want.Function)
			}
			if want.Public {
				if p["AuthorizationType"] != "NONE" || p["AuthorizerId"] != nil {
					t.Errorf("%s: %s must be public, has %v", st, key, p["AuthorizationType"])
				}
			} else if p["AuthorizationType"] != "JWT" || !reflect.DeepEqual(p["AuthorizerId"], ref(authID)) {
				t.Errorf("%s: %s lacks the JWT authorizer (%v)", st, key, p["AuthorizationType"])
			}
		}
		for _, c := range contractRoutes {
			if !deployed[c.Method+" "+c.Path] {
				t.Errorf("%s: %s %s not deployed", st, c.Method, c.Path)
			}
		}
		if deployed["POST /v1/dev/token"] {
			t.Errorf("%s: POST /v1/dev/token is deployed", st)
		}
	}
}

func TestApiThrottlingCorsAndAccessLogs(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		_, stg := s.only(t, "AWS::ApiGatewayV2::Stage")
		p := props(stg)
		if jsonOf(p["DefaultRouteSettings"]) != `{"DetailedMetricsEnabled":true,"ThrottlingBurstLimit":1000,"ThrottlingRateLimit":500}` {
			t.Errorf("%s throttling: %s", st, jsonOf(p["DefaultRouteSettings"]))
		}
		als := p["AccessLogSettings"].(map[string]any)
		if !reflect.DeepEqual(als["DestinationArn"], getAtt("ApiAccessLogsE9DF007D", "Arn")) {
			t.Errorf("%s access logs go to %s", st, jsonOf(als["DestinationArn"]))
		}
		var format map[string]string
		if err := json.Unmarshal([]byte(als["Format"].(string)), &format); err != nil {
			t.Errorf("%s access log format is not JSON: %v", st, err)
		}
		for _, k := range []string{"requestId", "route", "status", "sub", "timeEpoch", "integrationError"} {
			if format[k] == "" {
				t.Errorf("%s access log lacks %s", st, k)
			}
		}
		_, a := s.only(t, "AWS::ApiGatewayV2::Api")
		cors := props(a)["CorsConfiguration"].(map[string]any)
		if !reflect.DeepEqual(cors["AllowOrigins"], anySlice(s.cfg.AllowedOrigins)) || slices.Contains(strs(cors["AllowOrigins"]), "*") {
			t.Errorf("%s CORS origins %v, want %v", st, cors["AllowOrigins"], s.cfg.AllowedOrigins)
		}
	}
}

func TestCognitoCarriesRoleOrgsAndRegionSetByAdministratorsOnly(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		_, pool := s.only(t, "AWS::Cognito::UserPool")
		p := props(pool)
		var attrs []string
		for _, a := range p["Schema"].([]any) {
			attrs = append(attrs, a.(map[string]any)["Name"].(string))
		}
		sort.Strings(attrs)
		if !slices.Equal(attrs, []string{"orgs", "region", "role"}) {
			t.Errorf("%s custom attributes %v", st, attrs)
		}
		if p["AdminCreateUserConfig"].(map[string]any)["AllowAdminCreateUserOnly"] != true || p["MfaConfiguration"] != "ON" {
			t.Errorf("%s pool: self sign-up or MFA: %s %v", st, jsonOf(p["AdminCreateUserConfig"]), p["MfaConfiguration"])
		}
		if (p["DeletionProtection"] == "ACTIVE") != (st == "prod") {
			t.Errorf("%s pool: deletion protection %v", st, p["DeletionProtection"])
		}
		_, client := s.only(t, "AWS::Cognito::UserPoolClient")
		if w := strs(props(client)["WriteAttributes"]); !slices.Equal(w, []string{"email"}) {
			t.Errorf("%s app client may write %v: custom:* must be set by administrators only", st, w)
		}
	}
}

func TestAlarmsNotifyTheTopicWhenTheyFireAndWhenTheyClear(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		topicID, _ := s.only(t, "AWS::SNS::Topic")
		seen := map[string]bool{}
		for id, a := range s.resources("AWS::CloudWatch::Alarm") {
			p := props(a)
			if !reflect.DeepEqual(p["AlarmActions"], []any{ref(topicID)}) || !reflect.DeepEqual(p["OKActions"], []any{ref(topicID)}) {
				t.Errorf("%s %s notifies %s, OK %s", st, id, jsonOf(p["AlarmActions"]), jsonOf(p["OKActions"]))
			}
			name, _ := p["MetricName"].(string)
			if name == "" { // a math expression: the table's throttles
				name = "expression " + jsonOf(p["Metrics"].([]any)[0].(map[string]any)["Expression"])
			}
			var dims []string
			if ds, ok := p["Dimensions"].([]any); ok {
				for _, d := range ds {
					dims = append(dims, jsonOf(d.(map[string]any)["Value"]))
				}
			}
			seen[name+" "+strings.Join(dims, " ")] = true
		}
		apiID, _ := s.only(t, "AWS::ApiGatewayV2::Api")
		want := []string{"5xx " + jsonOf(ref(apiID)),
			`TargetErrorCount "sportello-` + st + `"`, `InvocationDroppedCount "sportello-` + st + `"`,
			`expression "r + w" `, `Reputation.BounceRate `,
			"Latency " + jsonOf(ref(apiID)) + ` "POST /v1/submissions/{id}/submit" "$default"`}
		for _, fn := range Functions {
			id, _ := s.function(t, fn)
			want = append(want, "Errors "+jsonOf(ref(id)), `ErrorLogs "`+fn+`"`)
		}
		for _, fn := range []string{"calls", "submissions", "uploads"} {
			id, _ := s.function(t, fn)
			want = append(want, "Throttles "+jsonOf(ref(id)))
		}
		for _, q := range []string{"DocumentsDLQ0E3B6DAD", "WindowsDLQB3F4C63B", "AllocationDLQ595D3F09", s.logicalID(t, "AWS::SQS::Queue", "RelayDLQ")} {
			want = append(want, "ApproximateNumberOfMessagesVisible "+jsonOf(getAtt(q, "QueueName")))
		}
		for _, w := range want {
			if !seen[w] {
				t.Errorf("%s: no alarm on %s (alarms: %v)", st, w, seen)
			}
		}
		// No alarm that fires by design: windows and allocation are
		// reserved to one copy in prod and their events wait their turn;
		// the public function's ceiling is its protection.
		for _, fn := range []string{"windows", "allocation", "documents", "public"} {
			id, _ := s.function(t, fn)
			if seen["Throttles "+jsonOf(ref(id))] {
				t.Errorf("%s: a Throttles alarm on %s fires by design", st, fn)
			}
		}
		// CloudWatch may publish (the topic policy replaces SNS's default).
		tp := jsonOf(s.resources("AWS::SNS::TopicPolicy"))
		if !strings.Contains(tp, `"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"}`) {
			t.Errorf("%s: CloudWatch cannot publish to the alarm topic: %s", st, tp)
		}
		_, sub := s.only(t, "AWS::SNS::Subscription")
		if props(sub)["Endpoint"] != s.cfg.AlarmEmail || props(sub)["Protocol"] != "email" {
			t.Errorf("%s alarm subscription: %s", st, jsonOf(props(sub)))
		}
		// Error lines become a metric per function.
		for id, f := range s.resources("AWS::Logs::MetricFilter") {
			if props(f)["FilterPattern"] != `{ $.level = "ERROR" }` {
				t.Errorf("%s %s: filter %v", st, id, props(f)["FilterPattern"])
			}
		}
	}
}

func TestFunctionsLogJSONAtTheApplicationLevel(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		for _, fn := range Functions {
			_, f := s.function(t, fn)
			lc := props(f)["LoggingConfig"].(map[string]any)
			if lc["LogFormat"] != "JSON" || lc["ApplicationLogLevel"] != "INFO" || lc["SystemLogLevel"] != "WARN" {
				t.Errorf("%s %s logging %s", st, fn, jsonOf(lc))
			}
		}
	}
}

// rights is a function's inventory of allowed actions.
func (s *synthesized) rights(t *testing.T, fn string) []string {
	set := map[string]bool{}
	for _, stmt := range s.statements(s.roleOf(t, fn)) {
		if stmt["Effect"] == "Allow" {
			for _, a := range strs(stmt["Action"]) {
				set[a] = true
			}
		}
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Each function's complete list of rights: adding one fails this test, so
// every new right is a reviewed change.
func TestEachFunctionHasExactlyItsRights(t *testing.T) {
	common := []string{"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
		"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "dynamodb:GetItem", "dynamodb:Query"}
	write := []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"}
	schedules := []string{"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule", "iam:PassRole"}
	want := map[string][]string{
		"calls":       concat(common, write, schedules, []string{"dynamodb:BatchWriteItem"}),
		"submissions": concat(common, write, []string{"dynamodb:BatchWriteItem", "s3:GetObject", "s3:PutObject"}),
		"uploads":     concat(common, write, []string{"s3:GetObject", "s3:PutObject"}),
		"documents":   concat(common, write, []string{"s3:GetObject", "sqs:SendMessage"}),
		"windows":     concat(common, write, schedules, []string{"sqs:SendMessage"}),
		"allocation":  concat(common, write, []string{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "s3:PutObject", "sqs:SendMessage"}),
		// Its logs and traces, nothing else: no data, no key.
		"public": {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments"},
		"web":    {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments"},
		// The only sender: reads the stream and the outbox, records
		// delivery (UpdateItem, narrowed to delivery state), sends e-mail
		// and events, describes failed batches in its DLQ.
		"relay": concat(common, []string{"dynamodb:UpdateItem", "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams",
			"ses:SendEmail", "events:PutEvents", "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}),
	}
	for _, st := range stages {
		s := stage(t, st)
		for _, fn := range Functions {
			w := slices.Clone(want[fn])
			sort.Strings(w)
			if got := s.rights(t, fn); !slices.Equal(got, w) {
				t.Errorf("%s %s rights:\n got  %v\n want %v", st, fn, got, w)
			}
		}
	}
}

func TestNoPolicyAllowsAWildcardAction(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		for id, p := range s.resources("AWS::IAM::Policy") {
			for _, stmt := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				for _, a := range strs(stmt.(map[string]any)["Action"]) {
					if strings.Contains(a, "*") {
						t.Errorf("%s %s allows %s", st, id, a)
					}
				}
			}
		}
	}
}

func TestObjectRightsArePerPrefix(t *testing.T) {
	want := map[string][]string{
		"uploads":     {"s3:GetObject documents/*", "s3:PutObject documents/*"},
		"documents":   {"s3:GetObject documents/*"},
		"allocation":  {"s3:PutObject exports/*"},
		"submissions": {"s3:GetObject rendiconti/*", "s3:PutObject rendiconti/*"},
	}
	for _, st := range stages {
		s := stage(t, st)
		for _, fn := range Functions {
			var got []string
			for _, stmt := range s.statements(s.roleOf(t, fn)) {
				for _, a := range strs(stmt["Action"]) {
					if !strings.HasPrefix(a, "s3:") {
						continue
					}
					join, _ := stmt["Resource"].(map[string]any)["Fn::Join"].([]any)
					if join == nil || !reflect.DeepEqual(join[1].([]any)[0], getAtt("DocumentsBucket9EC9DEB9", "Arn")) {
						t.Errorf("%s %s: %s on %s", st, fn, a, jsonOf(stmt["Resource"]))
						continue
					}
					got = append(got, a+" "+strings.TrimPrefix(join[1].([]any)[1].(string), "/"))
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, want[fn]) {
				// calls in particular: no S3 right at all, it cannot read a document.
				t.Errorf("%s %s object rights %v, want %v", st, fn, got, want[fn])
			}
		}
	}
}

func TestMailOnlyFromTheConfiguredIdentity(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		want := any(testSender)
		if st == "dev" { // no senderIdentity: the sender's domain in the stack's account
			want = map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/regione.example.it"}
		}
		for _, fn := range Functions {
			for _, stmt := range s.statements(s.roleOf(t, fn)) {
				for _, a := range strs(stmt["Action"]) {
					// Only the relay sends (e-mails are outbox items).
					if strings.HasPrefix(a, "ses:") && (fn != "relay" || !reflect.DeepEqual(stmt["Resource"], want)) {
						t.Errorf("%s %s: %s on %s", st, fn, a, jsonOf(stmt["Resource"]))
					}
				}
			}
		}
	}
}

func TestDataKeyOnlyThroughTheServicesHoldingData(t *testing.T) {
	dynamo := []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}
	want := map[string]map[string][]string{ // function → service → actions
		"calls": {"dynamodb": dynamo}, "windows": {"dynamodb": dynamo},
		"submissions": {"dynamodb": dynamo, "s3": {"kms:Decrypt", "kms:GenerateDataKey"}}, // rendicontazione files
		"uploads":     {"dynamodb": dynamo, "s3": {"kms:Decrypt", "kms:GenerateDataKey"}}, // signs PUT and GET
		"documents":   {"dynamodb": dynamo, "s3": {"kms:Decrypt"}},                        // reads uploads
		"allocation":  {"dynamodb": dynamo, "s3": {"kms:GenerateDataKey"}},                // writes exports
		"public":      {},
		"web":         {},
		"relay":       {"dynamodb": dynamo}, // reads outbox items (and their stream) through DynamoDB only
	}
	for _, st := range stages {
		s := stage(t, st)
		keyID, _ := s.only(t, "AWS::KMS::Key")
		for _, fn := range Functions {
			got := map[string][]string{}
			for _, stmt := range s.statements(s.roleOf(t, fn)) {
				if !strings.HasPrefix(strs(stmt["Action"])[0], "kms:") {
					continue
				}
				if !reflect.DeepEqual(stmt["Resource"], getAtt(keyID, "Arn")) {
					t.Errorf("%s %s: key actions on %s", st, fn, jsonOf(stmt["Resource"]))
				}
				cond := stmt["Condition"].(map[string]any)["StringEquals"].(map[string]any)
				if cond["kms:EncryptionContext:purpose"] == "sportello-pii" {
					// The PII data key (shared/piikey), submissions only.
					if fn != "submissions" || jsonOf(strs(stmt["Action"])) != `["kms:Decrypt","kms:GenerateDataKey"]` {
						t.Errorf("%s %s: PII key statement %s", st, fn, jsonOf(stmt))
					}
					continue
				}
				via := cond["kms:ViaService"].(map[string]any)
				service := strings.TrimSuffix(via["Fn::Join"].([]any)[1].([]any)[0].(string), ".")
				actions := strs(stmt["Action"])
				sort.Strings(actions)
				got[service] = actions
			}
			if jsonOf(got) != jsonOf(want[fn]) {
				t.Errorf("%s %s: key usable %v, want %v", st, fn, got, want[fn])
			}
		}
	}
}

// canWrite evaluates a role's statements on the table like IAM would for
// one request: an explicit Deny wins, else some Allow must match action,
// resource (the table) and conditions on dynamodb:LeadingKeys. Conditions
// it does not understand count against the request.
func canWrite(s *synthesized, t *testing.T, fn, action string, leadingKeys ...string) bool {
	table := getAtt("TableCD117FA1", "Arn")
	allowed := false
	for _, stmt := range s.statements(s.roleOf(t, fn)) {
		if !slices.ContainsFunc(strs(stmt["Action"]), func(a string) bool { m, _ := path.Match(a, action); return m }) {
			continue
		}
		if !slices.ContainsFunc(asList(stmt["Resource"]), func(r any) bool { return reflect.DeepEqual(r, table) || r == "*" }) {
			continue
		}
		deny := stmt["Effect"] == "Deny"
		if conditionsHold(stmt["Condition"], leadingKeys, deny) {
			if deny {
				return false
			}
			allowed = true
		}
	}
	return allowed
}

func conditionsHold(cond any, keys []string, deny bool) bool {
	c, _ := cond.(map[string]any)
	for op, m := range c {
		for k, v := range m.(map[string]any) {
			if k != "dynamodb:LeadingKeys" {
				return deny // unknown: assume the worst
			}
			match := func(key string) bool {
				return slices.ContainsFunc(strs(v), func(p string) bool { ok, _ := path.Match(p, key); return ok })
			}
			switch op {
			case "ForAllValues:StringLike":
				if !allMatch(keys, match) {
					return false
				}
			case "ForAnyValue:StringLike":
				if !slices.ContainsFunc(keys, match) {
					return false
				}
			default:
				return deny
			}
		}
	}
	return true
}

func allMatch(keys []string, f func(string) bool) bool {
	for _, k := range keys {
		if !f(k) {
			return false
		}
	}
	return true
}

func TestOnlySubmissionsMovesAProtocolCounter(t *testing.T) {
	cases := []struct {
		name   string
		fn     string
		action string
		keys   []string
		want   bool
	}{
		{"submissions files: it moves the counter", "submissions", "dynamodb:UpdateItem", []string{"COUNTER#c1"}, true},
		{"documents records a verification outcome", "documents", "dynamodb:PutItem", []string{"DOC#d1"}, true},
		{"documents appends an audit line", "documents", "dynamodb:PutItem", []string{"AUDIT#c1"}, true},
		{"documents cannot rewrite a call", "documents", "dynamodb:PutItem", []string{"CALL#c1"}, false},
		{"documents cannot put the protocol counter", "documents", "dynamodb:PutItem", []string{"COUNTER#c1"}, false},
		{"documents cannot update the protocol counter", "documents", "dynamodb:UpdateItem", []string{"COUNTER#c1"}, false},
		{"documents cannot rewrite an application", "documents", "dynamodb:PutItem", []string{"SUB#s1"}, false},
		{"documents cannot delete anything", "documents", "dynamodb:DeleteItem", []string{"DOC#d1"}, false},
		{"calls cannot move the counter", "calls", "dynamodb:UpdateItem", []string{"COUNTER#c1"}, false},
		{"calls cannot batch-write the counter among registry rows", "calls", "dynamodb:BatchWriteItem", []string{"REG#c1", "COUNTER#c1"}, false},
		{"calls imports registry rows in batches", "calls", "dynamodb:BatchWriteItem", []string{"REG#c1"}, true},
		{"uploads cannot put the counter", "uploads", "dynamodb:PutItem", []string{"COUNTER#c1"}, false},
		{"uploads records document metadata", "uploads", "dynamodb:PutItem", []string{"DOC#d1"}, true},
		{"windows expires a draft", "windows", "dynamodb:UpdateItem", []string{"SUB#s1"}, true},
		{"windows cannot move the counter", "windows", "dynamodb:UpdateItem", []string{"COUNTER#c1"}, false},
		{"allocation writes its lines in batches", "allocation", "dynamodb:BatchWriteItem", []string{"ALLOC#a1"}, true},
		{"allocation cannot put the counter", "allocation", "dynamodb:PutItem", []string{"COUNTER#c1"}, false},
		{"nobody deletes items", "submissions", "dynamodb:DeleteItem", []string{"SUB#s1"}, false},
	}
	for _, st := range stages {
		s := stage(t, st)
		for _, c := range cases {
			if got := canWrite(s, t, c.fn, c.action, c.keys...); got != c.want {
				t.Errorf("%s: %s: %s %s %v allowed = %v", st, c.name, c.fn, c.action, c.keys, got)
			}
		}
	}
}
