package cloud_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"sportello/infra/local/emulator"
	"sportello/shared/cloud"
	"sportello/shared/dynamo"
	"sportello/shared/ident"
	"sportello/shared/lambdalog"
)

// The invocation the test plays Lambda for: its request id and the X-Ray
// trace header Lambda hands the function with active tracing.
const (
	requestID   = "3f1c0d2e-xray-test"
	traceRoot   = "1-67891233-abcdef012345678912345678"
	traceParent = "53995c3f42cd8ad8"
	childEnv    = "SPORTELLO_XRAY_CHILD"
	table       = "sportello-xray"
)

// With active tracing, every AWS call of a function is a subsegment of the
// invocation's trace: a documents-function invocation (an asynchronous
// one, the S3 event's handler through lambdalog.Async) built by the
// production wiring (cloud.Load, the X-Ray SDK's instrumentation of
// aws-sdk-go-v2) sends, to the daemon address Lambda sets
// (AWS_XRAY_DAEMON_ADDRESS, here a UDP listener of the test), a DynamoDB
// subsegment with the invocation's trace id and parent; and every line the
// invocation logs carries the Lambda request id and the trace id, the line
// the service logs without its context included.
//
// The function runs in a child process, as in Lambda: the X-Ray SDK reads
// the daemon address from its environment at start.
func TestSDKCallsAreTracedAndEveryLineCarriesTheInvocationIds(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("the child's own run")
	}
	daemon, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	ddb, err := emulator.StartDynamoDB("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ddb.Close(); err != nil {
			t.Errorf("close the emulator: %v", err)
		}
	}()
	if err := dynamo.New(ddb.Client(), table).CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	creds, err := emulator.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTracedInvocationChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1",
		"AWS_XRAY_DAEMON_ADDRESS="+daemon.LocalAddr().String(),
		"AWS_LAMBDA_LOG_LEVEL=INFO",
		"AWS_REGION="+emulator.Region,
		"AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
		"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_DYNAMODB="+ddb.URL,
		cloud.EnvTable+"="+table, cloud.EnvBucket+"=sportello-documents")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the function: %v\n%s\n%s", err, out, stderr.String())
	}

	// The daemon's datagrams: a JSON header line, then one (sub)segment.
	var sub map[string]any
	if err := daemon.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for sub == nil {
		n, _, err := daemon.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no DynamoDB subsegment reached the daemon: %v", err)
		}
		_, body, ok := bytes.Cut(buf[:n], []byte("\n"))
		if !ok {
			t.Fatalf("a datagram without the daemon's header line: %q", buf[:n])
		}
		var seg map[string]any
		if err := json.Unmarshal(body, &seg); err != nil {
			t.Fatalf("a datagram that is not a segment: %v: %s", err, body)
		}
		if seg["name"] == "DynamoDB" {
			sub = seg
		}
	}
	aws, _ := sub["aws"].(map[string]any)
	if sub["type"] != "subsegment" || sub["trace_id"] != traceRoot || sub["parent_id"] != traceParent ||
		aws["operation"] != "GetItem" || aws["region"] != emulator.Region {
		t.Errorf("the DynamoDB subsegment is not the invocation's GetItem: %v", sub)
	}

	// The function's log lines on stdout (the test runner's own lines and
	// the metrics' EMF lines are not log lines).
	var logged int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil || line["msg"] == nil {
			continue
		}
		logged++
		if line["requestId"] != requestID || line["traceId"] != traceRoot {
			t.Errorf("a line without the invocation's ids: %s", sc.Text())
		}
	}
	if logged < 2 {
		t.Fatalf("the invocation logged %d lines, want the service's and the handler's:\n%s", logged, out)
	}
}

// TestTracedInvocationChild is the function process of the test above.
func TestTracedInvocationChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestSDKCallsAreTracedAndEveryLineCarriesTheInvocationIds")
	}
	env, err := cloud.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, err := env.App(cloud.Blobs)
	if err != nil {
		t.Fatal(err)
	}
	// As functions/documents: an object S3 reports, whose document record
	// the service looks up (and, finding none, logs without its context).
	h := lambdalog.Async(func(ctx context.Context, key string) error {
		if err := a.Intake.Object(ctx, key, time.Now()); err != nil {
			return err
		}
		env.Log.InfoContext(ctx, "object handled", "outcome", "ignored")
		return nil
	})
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: requestID})
	// aws-lambda-go puts the trace header under this plain string key;
	// the test plays the runtime.
	ctx = context.WithValue(ctx, "x-amzn-trace-id", "Root="+traceRoot+";Parent="+traceParent+";Sampled=1") //nolint:staticcheck // SA1029: the runtime's own key is a plain string
	key := "documents/" + ident.New("doc")
	if err := h(ctx, key); err != nil {
		t.Fatal(err)
	}
}
