package stack

import (
	"reflect"
	"strings"
	"testing"

	"sportello/shared/cloud"
)

// logicalID is the one resource of a type whose logical id starts with
// prefix (CDK appends a hash).
func (s *synthesized) logicalID(t *testing.T, typ, prefix string) string {
	t.Helper()
	var found []string
	for id := range s.resources(typ) {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %v %s named %s…, want one", s.cfg.Stage, found, typ, prefix)
	}
	return found[0]
}

// The outbox relay (issue #11): the table's stream, new outbox items only,
// to the relay function; bisect on error, partial batch responses, bounded
// retries, then an on-failure destination in an encrypted, retained SQS
// queue whose depth is alarmed (with its OK action).
func TestTheTableStreamFeedsTheRelayWithOutboxItemsOnly(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		tableID, tbl := s.only(t, "AWS::DynamoDB::Table")
		if jsonOf(props(tbl)["StreamSpecification"]) != `{"StreamViewType":"NEW_IMAGE"}` {
			t.Errorf("%s: table stream %s, want new images", st, jsonOf(props(tbl)["StreamSpecification"]))
		}
		_, esm := s.only(t, "AWS::Lambda::EventSourceMapping")
		p := props(esm)
		relay, _ := s.function(t, "relay")
		dlq := s.logicalID(t, "AWS::SQS::Queue", "RelayDLQ")
		checks := map[string]any{
			"FunctionName":                   ref(relay),
			"EventSourceArn":                 getAtt(tableID, "StreamArn"),
			"StartingPosition":               "TRIM_HORIZON",
			"BatchSize":                      float64(RelayBatchSize),
			"BisectBatchOnFunctionError":     true,
			"FunctionResponseTypes":          []any{"ReportBatchItemFailures"},
			"MaximumRetryAttempts":           float64(cloud.RelayStreamRetries),
			"MaximumRecordAgeInSeconds":      float64(24 * 3600),
			"DestinationConfig":              map[string]any{"OnFailure": map[string]any{"Destination": getAtt(dlq, "Arn")}},
			"FilterCriteria":                 map[string]any{"Filters": []any{map[string]any{"Pattern": `{"dynamodb":{"NewImage":{"type":{"S":["outbox"]}}},"eventName":["INSERT"]}`}}},
			"MaximumBatchingWindowInSeconds": float64(1),
		}
		for k, want := range checks {
			if !reflect.DeepEqual(p[k], want) {
				t.Errorf("%s: event source mapping %s = %s, want %s", st, k, jsonOf(p[k]), jsonOf(want))
			}
		}
		// The relay's attempts in the table match the mapping's, so the
		// attempt that dead-letters a message is the one whose batch goes
		// to the queue.
		if cloud.RelayAttempts != 1+int(checks["MaximumRetryAttempts"].(float64)) {
			t.Errorf("relay attempts %d, mapping retries %v", cloud.RelayAttempts, checks["MaximumRetryAttempts"])
		}
		q := s.resources("AWS::SQS::Queue")[dlq]
		qp := props(q)
		if qp["SqsManagedSseEnabled"] != true || qp["MessageRetentionPeriod"] != float64(14*24*3600) {
			t.Errorf("%s: relay DLQ %s: want SQS-managed encryption and 14 days' retention", st, jsonOf(qp))
		}
		wantPolicy := "Delete"
		if st == "prod" {
			wantPolicy = "Retain"
		}
		if q["DeletionPolicy"] != wantPolicy {
			t.Errorf("%s: relay DLQ deletion policy %v, want %s", st, q["DeletionPolicy"], wantPolicy)
		}
		// TLS only (the queue policy), kept with the queue.
		policyFound := false
		for _, pol := range s.resources("AWS::SQS::QueuePolicy") {
			if strings.Contains(jsonOf(props(pol)["Queues"]), dlq) {
				policyFound = strings.Contains(jsonOf(props(pol)), `"aws:SecureTransport":"false"`) && pol["DeletionPolicy"] == wantPolicy
			}
		}
		if !policyFound {
			t.Errorf("%s: the relay DLQ has no TLS-only policy kept like the queue", st)
		}
		// Its depth alarm, with the topic on alarm and on OK.
		topicID, _ := s.only(t, "AWS::SNS::Topic")
		alarmFound := false
		for _, a := range s.resources("AWS::CloudWatch::Alarm") {
			ap := props(a)
			if ap["MetricName"] != "ApproximateNumberOfMessagesVisible" || !strings.Contains(jsonOf(ap["Dimensions"]), dlq) {
				continue
			}
			alarmFound = ap["AlarmName"] == "sportello-"+st+"-relaydlqdepth" && ap["Threshold"] == float64(1) &&
				reflect.DeepEqual(ap["AlarmActions"], []any{ref(topicID)}) && reflect.DeepEqual(ap["OKActions"], []any{ref(topicID)})
		}
		if !alarmFound {
			t.Errorf("%s: no relaydlqdepth alarm with alarm and OK actions on the relay DLQ", st)
		}
		// The relay reads the stream of this table only.
		streamRead := false
		for _, stmt := range s.statements(s.roleOf(t, "relay")) {
			if strings.Contains(jsonOf(stmt["Action"]), "dynamodb:GetRecords") {
				streamRead = reflect.DeepEqual(stmt["Resource"], getAtt(tableID, "StreamArn"))
			}
		}
		if !streamRead {
			t.Errorf("%s: the relay does not read exactly the table's stream", st)
		}
	}
}
