// Command coldstart builds every function's bootstrap (and a hello-world
// aws-lambda-go bootstrap as the baseline) with the release flags, starts
// each under a loopback Lambda Runtime API harness against the embedded
// DynamoDB and S3, and prints exec→ready time, first-invoke time and binary
// size, each as a ratio to the baseline measured in the same run.
//
// Binaries are built for this machine's architecture (the cloud runs
// arm64): the ratios, not the absolute times, are the result.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"sportello/infra/bench/lambdaharness"
	"sportello/infra/local/emulator"
	"sportello/shared/dynamo"
	"sportello/shared/web"
)

func main() {
	runs := flag.Int("runs", 5, "cold starts per function")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

type sample struct {
	name         string
	size         int64
	ready, first []time.Duration
}

func run(runs int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ddb, err := emulator.StartDynamoDB("127.0.0.1:0", "")
	if err != nil {
		return err
	}
	defer ddb.Close()
	s3, err := emulator.StartS3("127.0.0.1:0", "", nil)
	if err != nil {
		return err
	}
	defer s3.Close()
	if err := dynamo.New(ddb.Client(), "bench").CreateTable(ctx); err != nil {
		return err
	}
	kms := kmsStandIn()
	defer kms.Close()
	env := append(os.Environ(), "AWS_ENDPOINT_URL_KMS="+kms.URL, "SPORTELLO_PII_KMS_KEY="+benchKeyID,
		"AWS_REGION="+emulator.Region, "AWS_ACCESS_KEY_ID="+emulator.AccessKey, "AWS_SECRET_ACCESS_KEY="+emulator.SecretKey,
		"AWS_ENDPOINT_URL_DYNAMODB="+ddb.URL, "AWS_ENDPOINT_URL_S3="+s3.URL, "AWS_ENDPOINT_URL_SCHEDULER=http://127.0.0.1:9",
		"SPORTELLO_TABLE=bench", "SPORTELLO_BUCKET=bench", "SPORTELLO_SCHEDULER_GROUP=bench",
		"SPORTELLO_SCHEDULER_ROLE_ARN=arn:aws:iam::000000000000:role/bench", "SPORTELLO_WINDOWS_FUNCTION_ARN=arn:aws:lambda:eu-south-1:000000000000:function:windows",
		"SPORTELLO_EVENT_BUS=bench", web.EnvClientID+"=bench", "SPORTELLO_SENDER=noreply@example.org", "AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256")

	fns := []string{"hello"}
	entries, _ := os.ReadDir("functions")
	for _, e := range entries {
		if e.IsDir() {
			fns = append(fns, e.Name())
		}
	}
	var results []sample
	for _, fn := range fns {
		src := "./functions/" + fn
		if fn == "hello" {
			src = "./infra/bench/hello"
		}
		bin := filepath.Join(dir, fn)
		build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin, src)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", fn, err, out)
		}
		st, _ := os.Stat(bin)
		s := sample{name: fn, size: st.Size()}
		for i := 0; i < runs; i++ {
			payload, refused := eventFor(fn)
			ready, first, err := coldStart(ctx, bin, env, payload, refused)
			if err != nil {
				return fmt.Errorf("%s: %w", fn, err)
			}
			s.ready, s.first = append(s.ready, ready), append(s.first, first)
		}
		results = append(results, s)
	}
	base := results[0]
	fmt.Printf("Cold start (%d runs each, median; %s/%s; ratios to a hello-world aws-lambda-go bootstrap built in this run)\n", runs, runtime.GOOS, runtime.GOARCH)
	fmt.Printf("%-12s %10s %7s %12s %7s %14s %7s\n", "function", "size", "×hello", "exec→ready", "×hello", "first invoke", "×hello")
	for _, r := range results {
		fmt.Printf("%-12s %8.1fMB %7.2f %10.1fms %7.2f %12.2fms %7.2f\n", r.name,
			float64(r.size)/(1<<20), float64(r.size)/float64(base.size),
			ms(median(r.ready)), ms(median(r.ready))/ms(median(base.ready)),
			ms(median(r.first)), ms(median(r.first))/ms(median(base.first)))
	}
	return nil
}

// refused says the event names something the empty table does not hold:
// the function must answer with its error (a cold start up to the store
// read and the refusal), and any other outcome fails the bench.
func coldStart(ctx context.Context, bin string, env []string, payload []byte, refused string) (time.Duration, time.Duration, error) {
	h, err := lambdaharness.Start()
	if err != nil {
		return 0, 0, err
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(slices.Clip(env), "AWS_LAMBDA_RUNTIME_API="+h.Addr)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	// A function that cannot start exits: say so with its output at once
	// instead of waiting for the harness's deadline.
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	// The function is killed on purpose at the end: its exit status says nothing.
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	readyCtx, notReady := context.WithCancelCause(ctx)
	defer notReady(nil)
	go func() {
		select {
		case <-exited:
			notReady(fmt.Errorf("exited before it was ready (%v): %s", waitErr, bytes.TrimSpace(stderr.Bytes())))
		case <-readyCtx.Done():
		}
	}()
	readyAt, err := h.Ready(readyCtx)
	if err != nil {
		if cause := context.Cause(readyCtx); cause != nil && cause != err {
			return 0, 0, cause
		}
		return 0, 0, err
	}
	invoked := time.Now()
	_, err = h.Invoke(ctx, payload)
	took := time.Since(invoked)
	switch {
	case refused == "" && err != nil:
		return 0, 0, err
	case refused != "" && (err == nil || !strings.Contains(err.Error(), refused)):
		return 0, 0, fmt.Errorf("want the refusal %q, got %v", refused, err)
	}
	return readyAt.Sub(start), took, nil
}

// eventFor is one representative first invocation per function, and the
// refusal it must get when the event names something the table lacks.
func eventFor(fn string) ([]byte, string) {
	refused := ""
	var v any = map[string]string{"kind": "reconcile"}
	http := func(method, path string) events.APIGatewayV2HTTPRequest {
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, Headers: map[string]string{}}
		ev.RequestContext.HTTP.Method = method
		ev.RequestContext.RequestID = "bench"
		ev.RequestContext.TimeEpoch = time.Now().UnixMilli()
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "bench", "role": "officer", "region": "LOM"}}}
		return ev
	}
	switch fn {
	case "hello":
		v = map[string]string{}
	case "calls":
		v = http("GET", "/v1/calls")
	case "submissions":
		v = http("GET", "/v1/submissions/sub_aaaaaaaaaaaaaaaa")
	case "uploads":
		v = http("GET", "/v1/documents/doc_aaaaaaaaaaaaaaaa/download")
	case "documents":
		v = events.S3Event{Records: []events.S3EventRecord{{S3: events.S3Entity{Bucket: events.S3Bucket{Name: "bench"}, Object: events.S3Object{Key: "documents/c/s/doc_aaaaaaaaaaaaaaaa"}}}}}
	case "relay":
		v = map[string]string{"kind": "drain"}
	case "web":
		v = http("GET", "/")
	case "allocation":
		// An announcement for a run that was never created is refused
		// loudly (Lambda retries it, then the DLQ), never dropped.
		v, refused = map[string]string{"allocationId": "alloc_aaaaaaaaaaaaaaaa", "callId": "call_x"}, "not_found"
	}
	b, _ := json.Marshal(v)
	return b, refused
}

const benchKeyID = "arn:aws:kms:eu-south-1:000000000000:key/bench"

// kmsStandIn answers the two KMS calls a cold start makes (the submissions
// function loads the PII data key: generated once, decrypted afterwards),
// over KMS's JSON protocol, so the call is part of the measured start as it
// is in the cloud. The "ciphertext" is the key behind its id: a bench, not
// a key store.
func kmsStandIn() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ CiphertextBlob string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out := map[string]string{"KeyId": benchKeyID}
		switch r.Header.Get("X-Amz-Target") {
		case "TrentService.GenerateDataKey":
			key := make([]byte, 32)
			_, _ = rand.Read(key)
			out["Plaintext"] = base64.StdEncoding.EncodeToString(key)
			out["CiphertextBlob"] = base64.StdEncoding.EncodeToString(append([]byte(benchKeyID+"|"), key...))
		case "TrentService.Decrypt":
			blob, err := base64.StdEncoding.DecodeString(in.CiphertextBlob)
			if err != nil || !bytes.HasPrefix(blob, []byte(benchKeyID+"|")) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"__type":"InvalidCiphertextException"}`))
				return
			}
			out["Plaintext"] = base64.StdEncoding.EncodeToString(blob[len(benchKeyID)+1:])
		default:
			http.Error(w, "unsupported", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	}))
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
