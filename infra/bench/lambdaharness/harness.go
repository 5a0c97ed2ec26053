// Package lambdaharness serves the Lambda Runtime API on loopback so a
// function's real `bootstrap` binary can be started and invoked as Lambda
// would: the process polls /runtime/invocation/next, and posts its answer
// to /response or /error. Benchmarks use it to time cold starts.
package lambdaharness

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one invocation's outcome.
type Result struct {
	Payload []byte
	Error   bool
}

// Harness is one Runtime API endpoint for one function process.
type Harness struct {
	Addr string // host:port, for AWS_LAMBDA_RUNTIME_API

	srv        *http.Server
	pending    chan invocation
	mu         sync.Mutex
	waiting    map[string]chan Result
	seq        atomic.Int64
	ready      chan time.Time // first poll of /next
	initFailed atomic.Bool
}

type invocation struct {
	id      string
	payload []byte
}

// Start listens on a loopback port.
func Start() (*Harness, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &Harness{Addr: ln.Addr().String(), pending: make(chan invocation), waiting: map[string]chan Result{}, ready: make(chan time.Time, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", h.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) { h.finish(w, r, false) })
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) { h.finish(w, r, true) })
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		h.initFailed.Store(true)
		select {
		case h.ready <- time.Now():
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	})
	h.srv = &http.Server{Handler: mux}
	go func() { _ = h.srv.Serve(ln) }() // ends with Close
	return h, nil
}

func (h *Harness) next(w http.ResponseWriter, r *http.Request) {
	select {
	case h.ready <- time.Now():
	default:
	}
	select {
	case inv := <-h.pending:
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(30*time.Second).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-south-1:000000000000:function:bench")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		_, _ = w.Write(inv.payload) // a function that went away fails its own invocation
	case <-r.Context().Done():
	}
}

func (h *Harness) finish(w http.ResponseWriter, r *http.Request, isErr bool) {
	id := r.PathValue("id")
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	ch := h.waiting[id]
	delete(h.waiting, id)
	h.mu.Unlock()
	if ch != nil {
		ch <- Result{Payload: b, Error: isErr}
	}
	w.WriteHeader(http.StatusAccepted)
}

// Ready waits for the process's first poll (it finished initialising).
func (h *Harness) Ready(ctx context.Context) (time.Time, error) {
	select {
	case t := <-h.ready:
		if h.initFailed.Load() {
			return time.Time{}, fmt.Errorf("function reported an init error")
		}
		return t, nil
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

// Invoke sends one event and waits for the answer.
func (h *Harness) Invoke(ctx context.Context, payload []byte) (Result, error) {
	id := fmt.Sprintf("req-%d", h.seq.Add(1))
	ch := make(chan Result, 1)
	h.mu.Lock()
	h.waiting[id] = ch
	h.mu.Unlock()
	select {
	case h.pending <- invocation{id: id, payload: payload}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case res := <-ch:
		if res.Error {
			return res, fmt.Errorf("function error: %s", strings.TrimSpace(string(res.Payload)))
		}
		return res, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Close stops the endpoint.
func (h *Harness) Close() error { return h.srv.Close() }
