// Package emulator runs the embedded stand-ins for AWS that the local
// runtime and the tests talk to through the real aws-sdk-go-v2 clients:
// DynamoDB (minidyn's HTTP server) and S3 (gofakes3). It adds what they
// lack: persistence of DynamoDB state across restarts (a journal of the
// writes that succeeded, replayed at start) and fault injection on a
// fraction of requests (throttling, internal errors, lost responses).
package emulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	miniserver "github.com/truora/minidyn/server"
)

// Region and credentials the emulators accept.
const (
	Region    = "eu-south-1"
	AccessKey = "LOCALKEY"
	SecretKey = "LOCALSECRET"
)

// Credentials for SDK clients talking to the emulators.
var Credentials = credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")

// Faults injects failures on a fraction of DynamoDB requests.
type Faults struct {
	// Rate is the fraction (0..1) of requests that fail.
	Rate float64
	// LostResponse, when true, makes half of the injected faults apply the
	// write and then answer 500, as when a response is lost on the way.
	LostResponse bool
	// Ops, if set, limits injection to these operations (e.g. "TransactWriteItems").
	Ops map[string]bool
}

// DynamoDB is a running embedded DynamoDB.
type DynamoDB struct {
	URL     string
	srv     *http.Server
	ln      net.Listener
	mini    *miniserver.Server
	journal *os.File
	// writeMu orders writes so the journal replays in execution order, and
	// keeps readers out while a transaction is half applied.
	writeMu sync.RWMutex
	mirror  mirror
	faults  atomic.Pointer[Faults]
	rng     *rand.Rand
	rngMu   sync.Mutex
	// Injected counts injected faults (for reports).
	Injected atomic.Int64
	aws      awsState
}

var writeOps = map[string]bool{
	"CreateTable": true, "DeleteTable": true, "UpdateTable": true, "PutItem": true, "UpdateItem": true,
	"DeleteItem": true, "BatchWriteItem": true, "TransactWriteItems": true,
}

// StartDynamoDB listens on addr ("127.0.0.1:0" for any port). With dir set,
// state is kept in dir/dynamodb.journal and restored at start.
func StartDynamoDB(addr, dir string) (*DynamoDB, error) {
	d := &DynamoDB{mini: miniserver.NewServer(), rng: rand.New(rand.NewPCG(1, 2))}
	model, err := ModelFromEnv()
	if err != nil {
		return nil, err
	}
	d.SetModel(model)
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("dynamodb data dir: %w", err)
		}
		path := filepath.Join(dir, "dynamodb.journal")
		if err := d.replay(path); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open journal: %w", err)
		}
		d.journal = f
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dynamodb listen: %w", err)
	}
	d.ln = ln
	d.URL = "http://" + ln.Addr().String()
	d.srv = &http.Server{Handler: d}
	go d.srv.Serve(ln) //nolint:errcheck // ends with Close
	return d, nil
}

// SetFaults changes fault injection (nil or Rate 0 turns it off).
func (d *DynamoDB) SetFaults(f *Faults) { d.faults.Store(f) }

type journalEntry struct {
	Target string          `json:"t"`
	Body   json.RawMessage `json:"b"`
}

func (d *DynamoDB) replay(path string) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// A torn last line (crash mid-write) is dropped; it was never acknowledged.
			break
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(e.Body))
		req.Header.Set("X-Amz-Target", e.Target)
		rec := httptest.NewRecorder()
		d.mini.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			d.refreshWritten(e.Target[strings.LastIndex(e.Target, ".")+1:], e.Body)
		}
		n++
	}
	return sc.Err()
}

func (d *DynamoDB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	lost := false
	if f := d.faults.Load(); f != nil && f.Rate > 0 && op != "CreateTable" && op != "DescribeTable" && (f.Ops == nil || f.Ops[op]) {
		d.rngMu.Lock()
		hit, coin := d.rng.Float64() < f.Rate, d.rng.IntN(2)
		d.rngMu.Unlock()
		if hit {
			d.Injected.Add(1)
			switch {
			case f.LostResponse && coin == 0 && writeOps[op]:
				lost = true
			case coin == 0:
				writeAWSError(w, http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "emulated throttling")
				return
			default:
				writeAWSError(w, http.StatusInternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", "emulated internal error")
				return
			}
		}
	}
	if m := d.aws.model.Load(); m != nil {
		d.serveAWS(w, m, op, body, func(w http.ResponseWriter) { d.serve(w, r, op, target, body, lost) })
		return
	}
	if d.checkLimits(w, op, body) {
		return
	}
	d.serve(w, r, op, target, body, lost)
}

// serve does the request on minidyn (and the query mirror), journaling
// the writes that succeeded.
func (d *DynamoDB) serve(w http.ResponseWriter, r *http.Request, op, target string, body []byte, lost bool) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !writeOps[op] {
		d.writeMu.RLock()
		defer d.writeMu.RUnlock()
		if op == "Query" && d.query(w, body) {
			return
		}
		d.mini.ServeHTTP(w, r)
		return
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	rec := httptest.NewRecorder()
	if op == "TransactWriteItems" && !lost {
		if handled, ok := d.transact(rec, body); handled {
			if ok {
				d.journalWrite(target, body)
				d.refreshWritten(op, body)
			}
			copyResponse(w, rec)
			return
		}
	}
	d.mini.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		if err := d.journalWrite(target, body); err != nil {
			http.Error(w, "journal: "+err.Error(), http.StatusInternalServerError)
			return
		}
		d.refreshWritten(op, body)
	}
	if lost {
		writeAWSError(w, http.StatusInternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", "emulated lost response")
		return
	}
	copyResponse(w, rec)
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes()) //nolint:errcheck
}

// refreshWritten updates the query mirror after a write that succeeded;
// a BatchWriteItem's unprocessed items are simply re-read as they are.
func (d *DynamoDB) refreshWritten(op string, body []byte) {
	for table, keys := range written(op, body) {
		d.refresh(table, keys)
	}
}

// journalWrite appends a write that succeeded (caller holds writeMu).
func (d *DynamoDB) journalWrite(target string, body []byte) error {
	if d.journal == nil {
		return nil
	}
	line, _ := json.Marshal(journalEntry{Target: target, Body: body})
	_, err := d.journal.Write(append(line, '\n'))
	return err
}

func writeAWSError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg}) //nolint:errcheck
}

// Client returns a real SDK client for this emulator.
func (d *DynamoDB) Client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       Region,
		Credentials:  Credentials,
		BaseEndpoint: aws.String(d.URL),
		HTTPClient:   sharedHTTP,
		// Production keeps the SDK's standard retryer; locally its backoff
		// is shortened so fault-injection tests finish quickly.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 4
			o.MaxBackoff = 50 * time.Millisecond
		}),
	})
}

// sharedHTTP keeps enough idle connections for a noon rush of 64 clients.
var sharedHTTP = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}

// Close stops the server and flushes the journal.
func (d *DynamoDB) Close() error {
	err := d.srv.Close()
	if d.journal != nil {
		d.writeMu.Lock()
		d.journal.Sync() //nolint:errcheck
		d.journal.Close()
		d.writeMu.Unlock()
	}
	return err
}
