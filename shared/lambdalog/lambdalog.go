// Package lambdalog is the logger of the Lambda functions: JSON lines on
// stdout (the functions run with Lambda's JSON log format), filtered at the
// application log level Lambda passes in AWS_LAMBDA_LOG_LEVEL, each line
// carrying the invocation's Lambda request id and X-Ray trace id, so that
// one filing can be followed from API Gateway's access log through the
// function's lines to its trace, in the asynchronous functions too.
package lambdalog

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// traceHeaderKey is where aws-lambda-go puts the invocation's X-Ray trace
// header (Root=1-…;Parent=…;Sampled=1) in the handler's context.
const traceHeaderKey = "x-amzn-trace-id"

// New is the logger writing to w at the level of AWS_LAMBDA_LOG_LEVEL
// (INFO when unset).
func New(w io.Writer) *slog.Logger {
	return slog.New(&handler{inner: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: Level(os.Getenv("AWS_LAMBDA_LOG_LEVEL"))})})
}

// Level maps Lambda's application log levels onto slog's.
func Level(s string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// invocation is the one a function's process is running (Lambda sends one
// invocation at a time to an execution environment), for the lines logged
// without the handler's context.
type invocation struct{ requestID, traceID string }

var current atomic.Pointer[invocation]

type handler struct {
	inner slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	inv := fromContext(ctx)
	if inv.requestID == "" {
		if cur := current.Load(); cur != nil {
			inv = *cur
		}
	}
	if inv.requestID != "" {
		r.AddAttrs(slog.String("requestId", inv.requestID))
	}
	if inv.traceID != "" {
		r.AddAttrs(slog.String("traceId", inv.traceID))
	}
	return h.inner.Handle(ctx, r)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &handler{inner: h.inner.WithAttrs(attrs)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{inner: h.inner.WithGroup(name)}
}

func fromContext(ctx context.Context) invocation {
	var inv invocation
	if ctx == nil {
		return inv
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.requestID = lc.AwsRequestID
	}
	if hdr, ok := ctx.Value(traceHeaderKey).(string); ok {
		inv.traceID = TraceID(hdr)
	}
	return inv
}

// TraceID is the Root of an X-Ray trace header.
func TraceID(header string) string {
	for _, part := range strings.Split(header, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Root="); ok {
			return v
		}
	}
	return ""
}

// Handler wraps a Lambda handler so that every line logged during an
// invocation carries its ids, even a line logged without its context.
func Handler[In, Out any](h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		inv := fromContext(ctx)
		current.Store(&inv)
		defer current.Store(nil)
		return h(ctx, in)
	}
}

// Async is Handler for the functions that return only an error (S3,
// Scheduler and EventBridge events).
func Async[In any](h func(context.Context, In) error) func(context.Context, In) error {
	wrapped := Handler(func(ctx context.Context, in In) (struct{}, error) { return struct{}{}, h(ctx, in) })
	return func(ctx context.Context, in In) error {
		_, err := wrapped(ctx, in)
		return err
	}
}
