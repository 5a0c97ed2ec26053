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
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"sportello/infra/bench/lambdaharness"
	"sportello/infra/local/emulator"
	"sportello/shared/dynamo"
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
	env := append(os.Environ(),
		"AWS_REGION="+emulator.Region, "AWS_ACCESS_KEY_ID="+emulator.AccessKey, "AWS_SECRET_ACCESS_KEY="+emulator.SecretKey,
		"AWS_ENDPOINT_URL_DYNAMODB="+ddb.URL, "AWS_ENDPOINT_URL_S3="+s3.URL, "AWS_ENDPOINT_URL_SCHEDULER=http://127.0.0.1:9",
		"SPORTELLO_TABLE=bench", "SPORTELLO_BUCKET=bench", "SPORTELLO_SCHEDULER_GROUP=bench",
		"SPORTELLO_SCHEDULER_ROLE_ARN=arn:aws:iam::000000000000:role/bench", "SPORTELLO_WINDOWS_FUNCTION_ARN=arn:aws:lambda:eu-south-1:000000000000:function:windows",
		"SPORTELLO_EVENT_BUS=bench", "SPORTELLO_SENDER=noreply@example.org", "AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256")

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
			ready, first, err := coldStart(ctx, bin, env, eventFor(fn))
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

func coldStart(ctx context.Context, bin string, env []string, payload []byte) (time.Duration, time.Duration, error) {
	h, err := lambdaharness.Start()
	if err != nil {
		return 0, 0, err
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(slices.Clip(env), "AWS_LAMBDA_RUNTIME_API="+h.Addr)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }() // the function was killed on purpose: its exit status says nothing
	readyAt, err := h.Ready(ctx)
	if err != nil {
		return 0, 0, err
	}
	invoked := time.Now()
	if _, err := h.Invoke(ctx, payload); err != nil {
		return 0, 0, err
	}
	return readyAt.Sub(start), time.Since(invoked), nil
}

// eventFor is one representative first invocation per function.
func eventFor(fn string) []byte {
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
	case "allocation":
		v = map[string]string{"allocationId": "alloc_aaaaaaaaaaaaaaaa", "callId": "call_x"}
	}
	b, _ := json.Marshal(v)
	return b
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
