package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	miniserver "github.com/truora/minidyn/server"
)

// Model makes the embedded DynamoDB behave as AWS does where the plain
// emulator is kinder: it serialises every write under one mutex, so it
// never reports a transaction conflict, never throttles, never lags.
// With a Model set, writes hold their items for a service time and
// transactions that meet are cancelled with TransactionConflict; each
// partition key has a write and read capacity; items, transactions and
// idempotency tokens obey DynamoDB's limits; the index answers late.
// docs/performance.md lists each parameter with the AWS page it comes from.
type Model struct {
	// TxHold is how long a TransactWriteItems holds its items (its prepare
	// and commit phases); a write meeting them in that time is cancelled.
	TxHold time.Duration
	// WriteHold is how long a PutItem, UpdateItem or DeleteItem holds its
	// item; other single writes of the item wait, as DynamoDB serialises them.
	WriteHold time.Duration
	// PartitionWCU and PartitionRCU are one partition's capacity a second
	// (1 WCU: one write of 1 KB; transactional writes cost two; 1 RCU: one
	// consistent read of 4 KB, eventually consistent reads cost half).
	PartitionWCU, PartitionRCU float64
	// TableWCU and TableRCU are the on-demand table's maximum a second;
	// beyond it requests fail with ThrottlingException.
	TableWCU, TableRCU float64
	// Burst is how much unused capacity a partition keeps, in time.
	Burst time.Duration
	// GSILag is how long a write takes to show in the global secondary index.
	GSILag time.Duration
	// TokenWindow is how long a ClientRequestToken is remembered.
	TokenWindow time.Duration
	// Now is the clock of the token window; nil is time.Now.
	Now func() time.Time
}

// DynamoDB's limits (docs/performance.md, "Service, account, and table quotas").
const (
	MaxItemBytes  = 400 * 1024
	MaxTxItems    = 100
	MaxTxBytes    = 4 * 1024 * 1024
	MaxPageBytes  = 1024 * 1024
	wcuBytes      = 1024
	rcuBytes      = 4 * 1024
	errValidation = "com.amazon.coral.validate#ValidationException"
	errPrefix     = "com.amazonaws.dynamodb.v20120810#"
)

// AWS is the model with AWS's published figures and service times of the
// order DynamoDB shows in one Region (single-digit milliseconds).
func AWS() *Model {
	return &Model{
		TxHold: 4 * time.Millisecond, WriteHold: time.Millisecond,
		PartitionWCU: 1000, PartitionRCU: 3000, TableWCU: 40000, TableRCU: 40000,
		Burst: time.Second, GSILag: 300 * time.Millisecond, TokenWindow: 10 * time.Minute,
	}
}

// Env names the model: SPORTELLO_DYNAMODB_MODEL=aws or plain (DefaultModel when unset);
// SPORTELLO_DYNAMODB_GSI_LAG overrides the index lag (a Go duration).
const (
	EnvModel  = "SPORTELLO_DYNAMODB_MODEL"
	EnvGSILag = "SPORTELLO_DYNAMODB_GSI_LAG"
)

// DefaultModel is the model when the environment names none: the
// AWS-faithful one, so that every test and bench that starts the embedded
// DynamoDB meets conflicts, throttling, limits and the index's lag as the
// product will on AWS. SPORTELLO_DYNAMODB_MODEL=plain is for a test that
// says why it may do without them.
const DefaultModel = "aws"

// ModelNamed is the model called name: "aws" (AWS()) or "plain" (nil).
func ModelNamed(name string) (*Model, error) {
	switch name {
	case "aws":
		return AWS(), nil
	case "plain":
		return nil, nil
	}
	return nil, fmt.Errorf("model %q: want aws or plain", name)
}

// ModelFromEnv is the model the environment asks for; nil means plain.
func ModelFromEnv() (*Model, error) {
	v := os.Getenv(EnvModel)
	if v == "" {
		v = DefaultModel
	}
	m, err := ModelNamed(v)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: want aws or plain", EnvModel, v)
	}
	if m == nil {
		return nil, nil
	}
	if v := os.Getenv(EnvGSILag); v != "" {
		lag, err := time.ParseDuration(v)
		if err != nil || lag < 0 {
			return nil, fmt.Errorf("%s=%q: want a duration such as 300ms", EnvGSILag, v)
		}
		m.GSILag = lag
	}
	return m, nil
}

// SetModel switches the AWS-faithful behaviour on (m) or off (nil).
func (d *DynamoDB) SetModel(m *Model) {
	d.aws.model.Store(m)
	d.mirror.mu.Lock()
	d.mirror.lag = 0
	if m != nil {
		d.mirror.lag = m.GSILag
	}
	d.mirror.mu.Unlock()
}

// Model is the behaviour in force (nil: plain).
func (d *DynamoDB) Model() *Model { return d.aws.model.Load() }

type awsState struct {
	model atomic.Pointer[Model]
	locks struct {
		mu   sync.Mutex
		held map[string]*hold
	}
	capMu   sync.Mutex
	buckets map[string]*bucket
	tokMu   sync.Mutex
	tokens  map[string]*tokenRecord
}

type hold struct {
	tx   bool
	done chan struct{}
}

type tokenRecord struct {
	hash     [32]byte
	at       time.Time
	inFlight bool
}

func (m *Model) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// serveAWS answers one request as AWS would; plain does the work once the
// model has let the request through.
func (d *DynamoDB) serveAWS(w http.ResponseWriter, m *Model, op string, body []byte, plain func(http.ResponseWriter)) {
	switch op {
	case "TransactWriteItems":
		d.awsTransact(w, m, body, plain)
	case "PutItem", "UpdateItem", "DeleteItem":
		d.awsWrite(w, m, op, body, plain)
	case "BatchWriteItem":
		d.awsBatchWrite(w, m, body, plain)
	case "GetItem", "Query", "BatchGetItem", "Scan":
		d.awsRead(w, m, op, body, plain)
	default:
		plain(w)
	}
}

type awsTxItem struct {
	Put            *txOp `json:"Put"`
	Update         *txOp `json:"Update"`
	Delete         *txOp `json:"Delete"`
	ConditionCheck *txOp `json:"ConditionCheck"`
}

func (d *DynamoDB) awsTransact(w http.ResponseWriter, m *Model, body []byte, plain func(http.ResponseWriter)) {
	var in struct {
		TransactItems      []awsTxItem `json:"TransactItems"`
		ClientRequestToken string      `json:"ClientRequestToken"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		awsError(w, errPrefix+"SerializationException", err.Error())
		return
	}
	keys, tables, pks, costs, bad := d.txShape(in.TransactItems)
	if bad != "" {
		awsError(w, errValidation, bad)
		return
	}
	if in.ClientRequestToken != "" {
		done, answered := d.tokenBegin(w, m, in.ClientRequestToken, body)
		if answered {
			return
		}
		ok := false
		defer func() { done(ok) }()
		rec := httptest.NewRecorder()
		d.awsTransactRun(rec, m, in.TransactItems, keys, tables, pks, costs, plain)
		ok = rec.Code == http.StatusOK || rec.Header().Get(appliedHeader) != ""
		copyResponse(w, rec)
		return
	}
	d.awsTransactRun(w, m, in.TransactItems, keys, tables, pks, costs, plain)
}

// txShape checks a transaction against DynamoDB's limits (100 items,
// one operation per item, 400 KB an item, 4 MB in all) and gives each
// item's key, table, partition and write cost; bad is the refusal.
func (d *DynamoDB) txShape(items []awsTxItem) (keys, tables, pks []string, costs []float64, bad string) {
	n := len(items)
	if n == 0 || n > MaxTxItems {
		return nil, nil, nil, nil, fmt.Sprintf("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", MaxTxItems)
	}
	keys, tables, pks, costs = make([]string, n), make([]string, n), make([]string, n), make([]float64, n)
	seen := map[string]bool{}
	total := 0
	for i, it := range items {
		var op *txOp
		count := 0
		for _, o := range []*txOp{it.Put, it.Update, it.Delete, it.ConditionCheck} {
			if o != nil {
				op, count = o, count+1
			}
		}
		if count != 1 {
			return nil, nil, nil, nil, "TransactItems can only contain one of Check, Put, Update or Delete"
		}
		k := op.Key
		if it.Put != nil {
			k = keyOf(op.Item)
		}
		id, ok := itemKey(k)
		if !ok {
			return nil, nil, nil, nil, "The provided key element does not match the schema"
		}
		keys[i], tables[i], pks[i] = op.TableName+"\x00"+id, op.TableName, id[:strings.IndexByte(id, 0)]
		if seen[keys[i]] {
			return nil, nil, nil, nil, "Transaction request cannot include multiple operations on one item"
		}
		seen[keys[i]] = true
		size := d.writeSize(op, it.Put != nil)
		if size > MaxItemBytes {
			return nil, nil, nil, nil, "Item size has exceeded the maximum allowed size"
		}
		total += size
		costs[i] = 2 * units(size, wcuBytes)
	}
	if total > MaxTxBytes {
		return nil, nil, nil, nil, "Transaction size has exceeded the maximum allowed size of 4 MB"
	}
	return keys, tables, pks, costs, ""
}

// checkLimits refuses, in plain mode too, what DynamoDB refuses for its
// size or shape: the plain emulator is faster, never kinder.
func (d *DynamoDB) checkLimits(w http.ResponseWriter, op string, body []byte) (refused bool) {
	bad := ""
	switch op {
	case "TransactWriteItems":
		var in struct {
			TransactItems []awsTxItem `json:"TransactItems"`
		}
		if json.Unmarshal(body, &in) != nil {
			return false
		}
		_, _, _, _, bad = d.txShape(in.TransactItems)
	case "PutItem", "UpdateItem":
		var in txOp
		if json.Unmarshal(body, &in) != nil {
			return false
		}
		if d.writeSize(&in, op == "PutItem") > MaxItemBytes {
			bad = "Item size has exceeded the maximum allowed size"
			if op == "UpdateItem" {
				bad = "Item size to update has exceeded the maximum allowed size"
			}
		}
	case "BatchWriteItem":
		var in batchWriteInput
		if json.Unmarshal(body, &in) != nil {
			return false
		}
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil && itemSize(r.PutRequest.Item) > MaxItemBytes {
					bad = "Item size has exceeded the maximum allowed size"
				}
			}
		}
	}
	if bad == "" {
		return false
	}
	awsError(w, errValidation, bad)
	return true
}

func (d *DynamoDB) awsTransactRun(w http.ResponseWriter, m *Model, items []awsTxItem, keys, tables, pks []string, costs []float64, plain func(http.ResponseWriter)) {
	if !d.takeTable(m, tables[0], sum(costs), true) {
		awsError(w, errPrefix+"ThrottlingException", "Throughput exceeds the maximum throughput of the table")
		return
	}
	throttled := make([]bool, len(items))
	hit := false
	for i := range items {
		if !d.take(m, tables[i]+"\x00"+pks[i], costs[i], true) {
			throttled[i], hit = true, true
		}
	}
	if hit {
		cancelled(w, throttled, "ThrottlingError", "Throughput exceeds the current capacity for one or more partitions")
		return
	}
	release, conflicts := d.lockTx(keys)
	if release == nil {
		cancelled(w, conflicts, "TransactionConflict", "Transaction is ongoing for the item")
		return
	}
	defer release()
	time.Sleep(m.TxHold)
	plain(w)
}

// cancelled answers TransactionCanceledException with code for the items
// marked and None for the others, as DynamoDB lists them.
func cancelled(w http.ResponseWriter, marked []bool, code, msg string) {
	codes := make([]string, len(marked))
	reasons := make([]map[string]string, len(marked))
	for i, m := range marked {
		codes[i] = "None"
		reasons[i] = map[string]string{"Code": "None"}
		if m {
			codes[i] = code
			reasons[i] = map[string]string{"Code": code, "Message": msg}
		}
	}
	writeJSONError(w, map[string]any{"__type": errPrefix + "TransactionCanceledException",
		"Message":             fmt.Sprintf("Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", ")),
		"CancellationReasons": reasons})
}

// tokenBegin applies ClientRequestToken idempotency: the same token with
// the same request inside the window answers success again without
// writing; with another request, IdempotentParameterMismatchException;
// while the first is still running, TransactionInProgressException. Only
// a request that succeeded keeps its token (a failed one may be retried).
func (d *DynamoDB) tokenBegin(w http.ResponseWriter, m *Model, token string, body []byte) (done func(ok bool), answered bool) {
	// The SDK writes maps in any order: the request is compared in a
	// canonical form (encoding/json sorts map keys).
	var canon any
	json.Unmarshal(body, &canon) //nolint:errcheck // the body has been decoded once already
	cb, _ := json.Marshal(canon)
	h := sha256.Sum256(cb)
	now := m.now()
	d.aws.tokMu.Lock()
	defer d.aws.tokMu.Unlock()
	if d.aws.tokens == nil {
		d.aws.tokens = map[string]*tokenRecord{}
	}
	if r := d.aws.tokens[token]; r != nil && (r.inFlight || now.Sub(r.at) < m.TokenWindow) {
		switch {
		case r.hash != h:
			awsError(w, errPrefix+"IdempotentParameterMismatchException", "The request uses the same client token as a previous, but non-identical request.")
		case r.inFlight:
			awsError(w, errPrefix+"TransactionInProgressException", "The transaction with the given request token is already in progress.")
		default:
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.Write([]byte("{}")) //nolint:errcheck // the client sees a broken response
		}
		return nil, true
	}
	rec := &tokenRecord{hash: h, at: now, inFlight: true}
	d.aws.tokens[token] = rec
	return func(ok bool) {
		d.aws.tokMu.Lock()
		defer d.aws.tokMu.Unlock()
		if !ok {
			delete(d.aws.tokens, token)
			return
		}
		rec.inFlight, rec.at = false, m.now()
	}, false
}

func (d *DynamoDB) awsWrite(w http.ResponseWriter, m *Model, op string, body []byte, plain func(http.ResponseWriter)) {
	var in txOp
	if err := json.Unmarshal(body, &in); err != nil {
		awsError(w, errPrefix+"SerializationException", err.Error())
		return
	}
	k := in.Key
	if op == "PutItem" {
		k = keyOf(in.Item)
	}
	id, ok := itemKey(k)
	if !ok {
		awsError(w, errValidation, "The provided key element does not match the schema")
		return
	}
	size := d.writeSize(&in, op == "PutItem")
	if size > MaxItemBytes {
		msg := "Item size has exceeded the maximum allowed size"
		if op == "UpdateItem" {
			msg = "Item size to update has exceeded the maximum allowed size"
		}
		awsError(w, errValidation, msg)
		return
	}
	cost := units(size, wcuBytes)
	if !d.takeTable(m, in.TableName, cost, true) {
		awsError(w, errPrefix+"ThrottlingException", "Throughput exceeds the maximum throughput of the table")
		return
	}
	if !d.take(m, in.TableName+"\x00"+id[:strings.IndexByte(id, 0)], cost, true) {
		awsError(w, errPrefix+"ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")
		return
	}
	release := d.lockOne(in.TableName + "\x00" + id)
	if release == nil {
		awsError(w, errPrefix+"TransactionConflictException", "Transaction is ongoing for the item")
		return
	}
	defer release()
	time.Sleep(m.WriteHold)
	plain(w)
}

func (d *DynamoDB) awsBatchWrite(w http.ResponseWriter, m *Model, body []byte, plain func(http.ResponseWriter)) {
	var in batchWriteInput
	if err := json.Unmarshal(body, &in); err != nil {
		awsError(w, errPrefix+"SerializationException", err.Error())
		return
	}
	for table, reqs := range in.RequestItems {
		for _, r := range reqs {
			if r.PutRequest == nil {
				continue
			}
			size := itemSize(r.PutRequest.Item)
			if size > MaxItemBytes {
				awsError(w, errValidation, "Item size has exceeded the maximum allowed size")
				return
			}
			id, _ := itemKey(keyOf(r.PutRequest.Item))
			if i := strings.IndexByte(id, 0); i > 0 && !d.take(m, table+"\x00"+id[:i], units(size, wcuBytes), true) {
				awsError(w, errPrefix+"ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded.")
				return
			}
		}
	}
	time.Sleep(m.WriteHold)
	plain(w)
}

func (d *DynamoDB) awsRead(w http.ResponseWriter, m *Model, op string, body []byte, plain func(http.ResponseWriter)) {
	var in struct {
		TableName              string                     `json:"TableName"`
		IndexName              string                     `json:"IndexName"`
		ConsistentRead         bool                       `json:"ConsistentRead"`
		Key                    map[string]json.RawMessage `json:"Key"`
		KeyConditionExpression string                     `json:"KeyConditionExpression"`
		Values                 map[string]json.RawMessage `json:"ExpressionAttributeValues"`
	}
	json.Unmarshal(body, &in) //nolint:errcheck // plain reports malformed requests
	if in.IndexName != "" && in.ConsistentRead {
		awsError(w, errValidation, "Consistent reads are not supported on global secondary indexes")
		return
	}
	part := ""
	switch op {
	case "GetItem":
		if id, ok := itemKey(in.Key); ok {
			part = in.TableName + "\x00" + id[:strings.IndexByte(id, 0)]
		}
	case "Query":
		if m := keyCondition.FindStringSubmatch(in.KeyConditionExpression); m != nil {
			var pk attr
			json.Unmarshal(in.Values[m[2]], &pk) //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
			part = in.TableName + "\x00" + in.IndexName + "\x00" + pk.S
		}
	}
	// The size read is known only afterwards: a read is let in while the
	// partition has capacity left and then charged what it read.
	if part != "" && !d.take(m, "r\x00"+part, 0.5, false) {
		awsError(w, errPrefix+"ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded.")
		return
	}
	rec := httptest.NewRecorder()
	plain(rec)
	if part != "" && rec.Code == http.StatusOK {
		cost := units(rec.Body.Len(), rcuBytes)
		if !in.ConsistentRead {
			cost /= 2
		}
		d.charge(m, "r\x00"+part, cost-0.5, false)
	}
	copyResponse(w, rec)
}

// lockTx takes every item of a transaction, or none: an item held by
// another transaction is a conflict (marked); an item held by a single
// write is waited for, as DynamoDB orders them.
func (d *DynamoDB) lockTx(keys []string) (release func(), conflicts []bool) {
	l := &d.aws.locks
	for {
		l.mu.Lock()
		if l.held == nil {
			l.held = map[string]*hold{}
		}
		conflicts = make([]bool, len(keys))
		clash := false
		var wait chan struct{}
		for i, k := range keys {
			if h := l.held[k]; h != nil {
				if h.tx {
					conflicts[i], clash = true, true
				} else {
					wait = h.done
				}
			}
		}
		if clash {
			l.mu.Unlock()
			return nil, conflicts
		}
		if wait != nil {
			l.mu.Unlock()
			<-wait
			continue
		}
		h := &hold{tx: true, done: make(chan struct{})}
		for _, k := range keys {
			l.held[k] = h
		}
		l.mu.Unlock()
		return func() {
			l.mu.Lock()
			for _, k := range keys {
				delete(l.held, k)
			}
			l.mu.Unlock()
			close(h.done)
		}, nil
	}
}

// lockOne takes an item for a single write; nil when a transaction holds it.
func (d *DynamoDB) lockOne(key string) (release func()) {
	l := &d.aws.locks
	for {
		l.mu.Lock()
		if l.held == nil {
			l.held = map[string]*hold{}
		}
		h := l.held[key]
		if h != nil && h.tx {
			l.mu.Unlock()
			return nil
		}
		if h != nil {
			l.mu.Unlock()
			<-h.done
			continue
		}
		h = &hold{done: make(chan struct{})}
		l.held[key] = h
		l.mu.Unlock()
		return func() {
			l.mu.Lock()
			delete(l.held, key)
			l.mu.Unlock()
			close(h.done)
		}
	}
}

// bucket is one partition's (or the table's) capacity.
type bucket struct {
	tokens float64
	last   time.Time
}

func (d *DynamoDB) take(m *Model, part string, cost float64, write bool) bool {
	rate := m.PartitionRCU
	if write {
		rate = m.PartitionWCU
	}
	return d.takeFrom("p\x00"+part, rate, m.Burst, cost)
}

func (d *DynamoDB) takeTable(m *Model, table string, cost float64, write bool) bool {
	rate, kind := m.TableRCU, "tr\x00"
	if write {
		rate, kind = m.TableWCU, "tw\x00"
	}
	return d.takeFrom(kind+table, rate, m.Burst, cost)
}

// takeFrom takes cost from a bucket refilled at rate up to burst's worth;
// a cost above the whole burst passes when the bucket is full.
func (d *DynamoDB) takeFrom(name string, rate float64, burst time.Duration, cost float64) bool {
	if rate <= 0 {
		return true
	}
	now := time.Now()
	limit := rate * burst.Seconds()
	d.aws.capMu.Lock()
	defer d.aws.capMu.Unlock()
	if d.aws.buckets == nil {
		d.aws.buckets = map[string]*bucket{}
	}
	b := d.aws.buckets[name]
	if b == nil {
		b = &bucket{tokens: limit, last: now}
		d.aws.buckets[name] = b
	}
	b.tokens = min(limit, b.tokens+rate*now.Sub(b.last).Seconds())
	b.last = now
	if b.tokens < min(cost, limit) {
		return false
	}
	b.tokens -= cost
	return true
}

// charge takes cost without refusing (the bucket may go below zero).
func (d *DynamoDB) charge(m *Model, part string, cost float64, write bool) {
	if cost <= 0 {
		return
	}
	d.aws.capMu.Lock()
	defer d.aws.capMu.Unlock()
	if b := d.aws.buckets["p\x00"+part]; b != nil {
		b.tokens -= cost
	}
}

func units(size, per int) float64 { return float64(max(1, (size+per-1)/per)) }

func sum(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}

// writeSize is the size a write is billed and limited by: a Put's item;
// an update's stored item plus the values it sets (an upper bound, as AWS
// checks the item it would produce); a delete's or check's stored item.
func (d *DynamoDB) writeSize(op *txOp, put bool) int {
	if put {
		return itemSize(op.Item)
	}
	stored := 0
	if id, ok := itemKey(op.Key); ok {
		d.mirror.mu.RLock()
		if e := d.mirror.items[op.TableName][id]; e != nil {
			stored = len(e.raw)
			var it map[string]json.RawMessage
			if json.Unmarshal(e.raw, &it) == nil {
				stored = itemSize(it)
			}
		}
		d.mirror.mu.RUnlock()
	}
	if op.UpdateExpression == nil {
		return stored
	}
	for _, v := range op.ExpressionAttributeValues {
		stored += avSize(v)
	}
	return stored
}

// itemSize follows DynamoDB's item size rules: each attribute's name
// length plus its value's size.
func itemSize(item map[string]json.RawMessage) int {
	n := 0
	for name, v := range item {
		n += len(name) + avSize(v)
	}
	return n
}

// avSize is one attribute value's size. The value is decoded once and
// measured as decoded: measuring a map by decoding each level again cost
// time growing with the square of its depth, on every write of an
// application (whose form is a deep map).
func avSize(raw json.RawMessage) int {
	var v miniserver.AttributeValue
	if json.Unmarshal(raw, &v) != nil {
		return len(raw)
	}
	return valueSize(&v)
}

func valueSize(v *miniserver.AttributeValue) int {
	if v == nil {
		return 0
	}
	n := 0
	if v.S != nil {
		n += len(*v.S)
	}
	if v.N != nil {
		n += len(strings.TrimLeft(*v.N, "-0"))/2 + 1
	}
	n += len(v.B)
	if v.BOOL != nil {
		n++
	}
	if v.NULL != nil {
		n++
	}
	for _, s := range v.SS {
		n += len(*s)
	}
	for _, s := range v.NS {
		n += len(*s)
	}
	for _, b := range v.BS {
		n += base64.StdEncoding.EncodedLen(len(b))
	}
	if v.L != nil {
		n += 3
		for _, x := range v.L {
			n += 1 + valueSize(x)
		}
	}
	if v.M != nil {
		n += 3
		for k, x := range v.M {
			n += 1 + len(k) + valueSize(x)
		}
	}
	return n
}

func awsError(w http.ResponseWriter, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg}) //nolint:errcheck // a client that went away has nothing left to read
}

// batchWriteInput is BatchWriteItem's request as the wire carries it, read
// by the model (sizes, capacity), the query mirror and the stream stand-in.
type batchWriteInput struct {
	RequestItems map[string][]struct {
		PutRequest *struct {
			Item map[string]json.RawMessage `json:"Item"`
		} `json:"PutRequest"`
		DeleteRequest *struct {
			Key map[string]json.RawMessage `json:"Key"`
		} `json:"DeleteRequest"`
	} `json:"RequestItems"`
}
