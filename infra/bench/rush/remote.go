package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"sportello/infra/local/emulator"
)

// The emulated DynamoDB of a rush runs in a child process of its own, as
// DynamoDB is another service on AWS: the whole table of a national rush
// (every draft, document, claim and index entry: gigabytes of Go maps)
// would otherwise sit in the product's heap, and every collection of the
// product's garbage would mark it, with the pauses and assists landing on
// the filings being timed. The child serves the DynamoDB API on one port
// and a small control API (model, faults, counters) on another, and ends
// when its parent closes its stdin.

const childFlag = "dynamodb-child"

// childGCPercent is the emulator process's collector ratio (serveChild).
const childGCPercent = 800

// serveChild is the child's main: it prints "<dynamodb url> <control url>"
// and serves until stdin closes.
func serveChild() error {
	// The emulator stands in for a managed service: its table (about a
	// gigabyte of Go maps for rush B) is marked by every collection of
	// this process, and at Go's default ratio that is every few seconds of
	// a rush, each time slowing every request it serves for a moment — a
	// pause DynamoDB does not have, which would land on whatever request
	// meets it (the model's service times are its latency). A larger ratio
	// lets the heap grow to a few times the table instead; the collections
	// during each rush are printed with the table.
	debug.SetGCPercent(childGCPercent)
	db, err := emulator.StartDynamoDB("127.0.0.1:0", "")
	if err != nil {
		return err
	}
	defer db.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /model", func(w http.ResponseWriter, r *http.Request) {
		m, err := emulator.ModelNamed(r.URL.Query().Get("name"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		db.SetModel(m)
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		rate, err := strconv.ParseFloat(r.URL.Query().Get("rate"), 64)
		if err != nil || rate < 0 || rate > 1 {
			http.Error(w, "faults: rate in [0, 1]", http.StatusBadRequest)
			return
		}
		db.SetFaults(faultsAt(rate))
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(w).Encode(childStats{Requests: db.Requests(), Injected: db.Injected.Load(), GCs: ms.NumGC, HeapMB: ms.HeapAlloc >> 20}) //nolint:errcheck // the parent reports a short read
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, mux) //nolint:errcheck // ends with the process
	fmt.Printf("%s http://%s\n", db.URL, ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent goes
	return nil
}

// faultsAt is the rush's fault injection at rate (nil: none).
func faultsAt(rate float64) *emulator.Faults {
	if rate == 0 {
		return nil
	}
	return &emulator.Faults{Rate: rate, LostResponse: true}
}

type childStats struct {
	Requests map[string]int64 `json:"requests"`
	Injected int64            `json:"injected"`
	GCs      uint32           `json:"gcs"`
	HeapMB   uint64           `json:"heapMB"`
}

// remoteDB is the parent's handle on the child.
type remoteDB struct {
	URL     string // the DynamoDB API
	control string
	cmd     *exec.Cmd
	stdin   io.Closer
}

func startChild() (*remoteDB, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-"+childFlag)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	urls := strings.Fields(line)
	if err != nil || len(urls) != 2 {
		in.Close()
		_ = cmd.Wait() // its exit says nothing more than the missing line
		return nil, fmt.Errorf("start the DynamoDB process: read %q: %v", line, err)
	}
	return &remoteDB{URL: urls[0], control: urls[1], cmd: cmd, stdin: in}, nil
}

func (r *remoteDB) post(path string) error {
	resp, err := http.Post(r.control+path, "text/plain", nil) //nolint:gosec,noctx // the bench's own child on loopback
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %d %s", path, resp.StatusCode, b)
	}
	return nil
}

// SetModel: "aws" or "plain".
func (r *remoteDB) SetModel(name string) error { return r.post("/model?name=" + name) }

// SetFaults injects faults at rate (0: none).
func (r *remoteDB) SetFaults(rate float64) error {
	return r.post("/faults?rate=" + strconv.FormatFloat(rate, 'f', -1, 64))
}

func (r *remoteDB) Stats() (childStats, error) {
	var st childStats
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.control+"/stats", nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// Close ends the child and waits for it.
func (r *remoteDB) Close() error {
	r.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		return errors.Join(errors.New("the DynamoDB process did not end"), r.cmd.Process.Kill())
	}
}
