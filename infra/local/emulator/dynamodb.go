// Package emulator runs the embedded stand-ins for AWS that the local
// runtime and the tests talk to through the real aws-sdk-go-v2 clients:
// DynamoDB (minidyn's HTTP server) and S3 (gofakes3). It adds what they
// lack: persistence of DynamoDB state across restarts (a journal of the
// writes that succeeded, replayed at start) and fault injection on a
// fraction of requests (throttling, internal errors, lost responses).
package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
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
	URL  string
	srv  *http.Server
	ln   net.Listener
	mini *miniserver.Server
	opts Options
	// log is the journal (nil in memory); schema the table definitions a
	// snapshot carries; snapBase the size of the last snapshot.
	log      *journal
	schema   []schemaOp
	snapBase atomic.Int64
	snapMu   sync.Mutex
	snapReq  chan struct{}
	snapDone chan struct{}
	// Recovery reports what start found on disk.
	Recovery Recovery
	// writeMu orders writes so the journal replays in execution order, and
	// keeps readers out while a transaction is half applied.
	writeMu sync.RWMutex
	mirror  mirror
	// keys keeps minidyn's sorted key lists short between walks (bulk.go).
	keys   *lazyKeys
	faults atomic.Pointer[Faults]
	rng    *rand.Rand
	rngMu  sync.Mutex
	// Injected counts injected faults (for reports).
	Injected atomic.Int64
	onWrite  atomic.Pointer[func(change, table, pk, sk string)]
	onCommit atomic.Pointer[func(op string, items []Changed)]
	// requests counts requests by operation (for reports).
	requests sync.Map // op → *atomic.Int64
	aws      awsState
}

var writeOps = map[string]bool{
	"CreateTable": true, "DeleteTable": true, "UpdateTable": true, "PutItem": true, "UpdateItem": true,
	"DeleteItem": true, "BatchWriteItem": true, "TransactWriteItems": true,
}

// StartDynamoDB listens on addr ("127.0.0.1:0" for any port). With dir set,
// state is kept in dir (persist.go) and restored at start.
func StartDynamoDB(addr, dir string) (*DynamoDB, error) {
	return StartDynamoDBWith(addr, Options{Dir: dir, Salvage: os.Getenv("SPORTELLO_JOURNAL_SALVAGE") == "1"})
}

// StartDynamoDBWith is StartDynamoDB with every persistence option.
func StartDynamoDBWith(addr string, o Options) (*DynamoDB, error) {
	d := &DynamoDB{mini: miniserver.NewServer(), rng: rand.New(rand.NewPCG(1, 2)), opts: o}
	d.attachKeys()
	model, err := ModelFromEnv()
	if err != nil {
		return nil, err
	}
	d.SetModel(model)
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("dynamodb data dir: %w", err)
		}
		f, seq, size, err := d.load()
		if err != nil {
			return nil, err
		}
		d.log = newJournal(f, seq, size)
		d.log.onFail = d.rebuild
		if o.SnapshotAfter >= 0 {
			every := o.SnapshotAfter
			if every == 0 {
				every = 4 << 20
			}
			d.snapReq, d.snapDone = make(chan struct{}, 1), make(chan struct{})
			d.log.onCommit = func(size int64) {
				if size > d.snapBase.Load()+every {
					select {
					case d.snapReq <- struct{}{}:
					default:
					}
				}
			}
			go d.snapshotLoop()
		}
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

func (d *DynamoDB) snapshotLoop() {
	defer close(d.snapDone)
	for range d.snapReq {
		if err := d.Snapshot(); err != nil {
			d.opts.log().Error("snapshot failed; the journal keeps every write", "error", err.Error())
		}
	}
}

// SetFaults changes fault injection (nil or Rate 0 turns it off).
func (d *DynamoDB) SetFaults(f *Faults) { d.faults.Store(f) }

func (d *DynamoDB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if n, ok := d.requests.Load(op); ok {
		n.(*atomic.Int64).Add(1)
	} else {
		n, _ := d.requests.LoadOrStore(op, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
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
	rec := httptest.NewRecorder()
	if !writeOps[op] {
		d.writeMu.RLock()
		if op != "Query" || !d.query(rec, body) {
			for d.keys.stale(op) {
				// minidyn walks its sorted keys for this read: make them
				// whole (under the write lock), then read.
				d.writeMu.RUnlock()
				d.writeMu.Lock()
				d.keys.rebuild()
				d.writeMu.Unlock()
				d.writeMu.RLock()
			}
			d.mini.ServeHTTP(rec, r)
		}
		// What this read saw may include writes whose fsync is still
		// running: it is answered only once they are durable, so nobody
		// reads what a crash could take back.
		var lsn uint64
		if d.log != nil {
			lsn = d.log.last()
		}
		d.writeMu.RUnlock()
		if d.log != nil {
			if err := d.log.wait(lsn); err != nil {
				writeAWSError(w, http.StatusServiceUnavailable, "com.amazonaws.dynamodb.v20120810#ServiceUnavailable", "storage unavailable: "+err.Error())
				return
			}
		}
		copyResponse(w, rec)
		return
	}
	d.writeMu.Lock()
	applied := false
	// A transaction whose answer will be lost is done like any other: only
	// the answer goes missing (minidyn's own path would copy the whole
	// table for it, under the write lock).
	if op == "TransactWriteItems" {
		if handled, ok := d.transact(rec, body); handled {
			applied = ok
			if ok {
				d.refreshWritten(op, body)
			}
			goto journal
		}
	}
	d.mini.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		applied = true
		d.completeRemoves(op, body)
		d.noteWrite(op, target, body)
	}
journal:
	d.keys.trim()
	var lsn uint64
	var jerr error
	if applied && d.log != nil {
		payload, _ := json.Marshal(schemaOp{Target: target, Body: body})
		lsn, jerr = d.log.append(payload)
	} else if d.log != nil {
		// A refused write (condition failed) still answers from a state
		// that must be durable first.
		lsn = d.log.last()
	}
	d.writeMu.Unlock()
	if jerr == nil && d.log != nil {
		jerr = d.log.wait(lsn)
	}
	if jerr != nil {
		// Nothing is acknowledged: the store reloads from disk, without this write.
		writeAWSError(w, http.StatusServiceUnavailable, "com.amazonaws.dynamodb.v20120810#ServiceUnavailable", "storage unavailable: "+jerr.Error())
		return
	}
	if applied {
		d.stream(op, body)
	}
	if lost {
		if applied {
			// DynamoDB did the write: its ClientRequestToken is remembered
			// as done (aws.go), whatever became of the answer.
			w.Header().Set(appliedHeader, "1")
		}
		writeAWSError(w, http.StatusInternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", "emulated lost response")
		return
	}
	copyResponse(w, rec)
}

// appliedHeader marks, between the emulator's layers only, a write done
// whose answer is lost on the way.
const appliedHeader = "X-Sportello-Emulator-Applied"

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	rec.Header().Del(appliedHeader)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes()) // a client that went away retries on its own
}

// refreshWritten updates the query mirror after a write that succeeded;
// a BatchWriteItem's unprocessed items are simply re-read as they are.
func (d *DynamoDB) refreshWritten(op string, body []byte) {
	for table, keys := range written(op, body) {
		d.refresh(table, keys)
	}
}

func writeAWSError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg}) // as above
}

// Client returns a real SDK client for this emulator.
func (d *DynamoDB) Client() *dynamodb.Client { return ClientFor(d.URL) }

// ClientFor returns a real SDK client for an emulator listening at url
// (one in another process: the rush bench keeps the emulated table's
// memory out of the product's process, as AWS does).
func ClientFor(url string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       Region,
		Credentials:  Credentials,
		BaseEndpoint: aws.String(url),
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

// Close stops the server; with a data directory it takes a last snapshot
// (so the next start loads it instead of replaying) and closes the journal.
func (d *DynamoDB) Close() error {
	err := d.srv.Close()
	if d.log != nil {
		if d.snapReq != nil {
			close(d.snapReq)
			<-d.snapDone
			if d.log.bytes() > int64(len(journalMagic)) {
				if serr := d.Snapshot(); serr != nil {
					d.opts.log().Error("snapshot at close failed; the journal keeps every write", "error", serr.Error())
				}
			}
		}
		d.writeMu.Lock()
		d.log.close()
		d.writeMu.Unlock()
	}
	return err
}

// Syncs is how many fsyncs the journal made (each acknowledging a group of writes).
func (d *DynamoDB) Syncs() uint64 {
	if d.log == nil {
		return 0
	}
	d.log.mu.Lock()
	defer d.log.mu.Unlock()
	return d.log.syncs
}

// Requests returns how many requests of each operation arrived so far
// (for reports: a bench subtracts two readings).
func (d *DynamoDB) Requests() map[string]int64 {
	out := map[string]int64{}
	d.requests.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}
