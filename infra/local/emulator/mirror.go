package emulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// minidyn answers a Query by testing every item of the table, so a query
// costs time proportional to the table. mirror keeps, beside it, each
// item by partition (pk, and gsi1pk for the one index), refreshed after
// every write, and answers the key-only queries sportello makes — "pk =
// :pk", optionally "AND begins_with(sk, :p)", on the table or on gsi1 — in
// time proportional to the answer. Any other query goes to minidyn.
type mirror struct {
	mu    sync.RWMutex
	items map[string]map[string]*entry            // table → "pk\x00sk" → item
	byPK  map[string]map[string]map[string]*entry // table → pk → id → item
	byGSI map[string]map[string]map[string]*entry // table → gsi1pk → id → item
	// lag delays what the index shows (the AWS model's GSI propagation):
	// gsiOf is each item as the index has it, pending the changes not yet
	// shown, in write order.
	lag     time.Duration
	gsiOf   map[string]map[string]*entry // table → id → item
	pending []gsiChange
}

type gsiChange struct {
	due       time.Time
	table, id string
	e         *entry // nil: removed
}

type entry struct {
	pk, sk, gpk, gsk string
	raw              json.RawMessage
}

func add(m map[string]map[string]map[string]*entry, table, part, id string, e *entry) {
	if m[table] == nil {
		m[table] = map[string]map[string]*entry{}
	}
	if m[table][part] == nil {
		m[table][part] = map[string]*entry{}
	}
	m[table][part][id] = e
}

// set replaces (or with raw nil removes) one item; caller holds mu.
func (m *mirror) set(table, id string, raw json.RawMessage) {
	if m.items == nil {
		m.items, m.byPK, m.byGSI = map[string]map[string]*entry{}, map[string]map[string]map[string]*entry{}, map[string]map[string]map[string]*entry{}
	}
	if m.items[table] == nil {
		m.items[table] = map[string]*entry{}
	}
	if old := m.items[table][id]; old != nil {
		delete(m.byPK[table][old.pk], id)
		delete(m.items[table], id)
	}
	var e *entry
	if raw != nil {
		var it map[string]attr
		json.Unmarshal(raw, &it) //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
		e = &entry{pk: it["pk"].S, sk: it["sk"].S, gpk: it["gsi1pk"].S, gsk: it["gsi1sk"].S, raw: raw}
		m.items[table][id] = e
		add(m.byPK, table, e.pk, id, e)
	}
	if m.lag > 0 {
		m.pending = append(m.pending, gsiChange{due: time.Now().Add(m.lag), table: table, id: id, e: e})
		return
	}
	m.index(table, id, e)
}

// index shows one item's change in the index; caller holds mu.
func (m *mirror) index(table, id string, e *entry) {
	if m.gsiOf == nil {
		m.gsiOf = map[string]map[string]*entry{}
	}
	if m.gsiOf[table] == nil {
		m.gsiOf[table] = map[string]*entry{}
	}
	if old := m.gsiOf[table][id]; old != nil {
		delete(m.byGSI[table][old.gpk], id)
		delete(m.gsiOf[table], id)
	}
	if e != nil && e.gpk != "" && e.gsk != "" {
		add(m.byGSI, table, e.gpk, id, e)
		m.gsiOf[table][id] = e
	}
}

// catchUp shows the index changes whose lag has passed; caller holds mu.
func (m *mirror) catchUp(now time.Time) {
	n := 0
	for n < len(m.pending) && !m.pending[n].due.After(now) {
		c := m.pending[n]
		m.index(c.table, c.id, c.e)
		n++
	}
	if n > 0 {
		m.pending = append(m.pending[:0], m.pending[n:]...)
	}
	if m.lag == 0 {
		for _, c := range m.pending {
			m.index(c.table, c.id, c.e)
		}
		m.pending = m.pending[:0]
	}
}

type attr struct {
	S string `json:"S"`
}

func itemKey(item map[string]json.RawMessage) (string, bool) {
	var pk, sk attr
	if json.Unmarshal(item["pk"], &pk) != nil || json.Unmarshal(item["sk"], &sk) != nil || pk.S == "" {
		return "", false
	}
	return pk.S + "\x00" + sk.S, true
}

// refresh re-reads the items at keys after a write.
func (d *DynamoDB) refresh(table string, keys []map[string]json.RawMessage) {
	for _, k := range keys {
		_, got := d.call("GetItem", map[string]any{"TableName": table, "Key": k, "ConsistentRead": true})
		var out struct {
			Item map[string]json.RawMessage `json:"Item"`
		}
		json.Unmarshal(got, &out) //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
		id, ok := itemKey(k)
		if !ok {
			continue
		}
		var raw json.RawMessage
		if out.Item != nil {
			raw, _ = json.Marshal(out.Item)
		}
		d.mirror.mu.Lock()
		d.mirror.set(table, id, raw)
		d.mirror.mu.Unlock()
	}
}

func keyOf(item map[string]json.RawMessage) map[string]json.RawMessage {
	return map[string]json.RawMessage{"pk": item["pk"], "sk": item["sk"]}
}

// written lists the table and keys a successful write touched.
func written(op string, body []byte) map[string][]map[string]json.RawMessage {
	out := map[string][]map[string]json.RawMessage{}
	var single struct {
		TableName string                     `json:"TableName"`
		Item      map[string]json.RawMessage `json:"Item"`
		Key       map[string]json.RawMessage `json:"Key"`
	}
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem":
		json.Unmarshal(body, &single) //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
		k := single.Key
		if single.Item != nil {
			k = keyOf(single.Item)
		}
		out[single.TableName] = append(out[single.TableName], k)
	case "TransactWriteItems":
		var in struct {
			TransactItems []txItem `json:"TransactItems"`
		}
		json.Unmarshal(body, &in) //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
		for _, it := range in.TransactItems {
			for _, op := range []*txOp{it.Put, it.Update, it.Delete} {
				if op == nil {
					continue
				}
				k := op.Key
				if op.Item != nil {
					k = keyOf(op.Item)
				}
				out[op.TableName] = append(out[op.TableName], k)
			}
		}
	case "BatchWriteItem":
		var in batchWriteInput
		json.Unmarshal(body, &in) //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
		for table, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					out[table] = append(out[table], keyOf(r.PutRequest.Item))
				} else if r.DeleteRequest != nil {
					out[table] = append(out[table], r.DeleteRequest.Key)
				}
			}
		}
	}
	return out
}

var keyCondition = regexp.MustCompile(`^\s*(pk|gsi1pk)\s*=\s*(:\w+)\s*(?:AND\s+begins_with\(\s*(sk|gsi1sk)\s*,\s*(:\w+)\s*\))?\s*$`)

// query answers a key-only query from the mirror; handled is false when
// the query is of another shape. Pages follow DynamoDB: Limit items, or
// (under the AWS model) 1 MB of items, then LastEvaluatedKey.
func (d *DynamoDB) query(w http.ResponseWriter, body []byte) bool {
	var in struct {
		TableName                 string                     `json:"TableName"`
		IndexName                 string                     `json:"IndexName"`
		KeyConditionExpression    string                     `json:"KeyConditionExpression"`
		ExpressionAttributeValues map[string]json.RawMessage `json:"ExpressionAttributeValues"`
		FilterExpression          string                     `json:"FilterExpression"`
		Limit                     *int                       `json:"Limit"`
		ExclusiveStartKey         map[string]json.RawMessage `json:"ExclusiveStartKey"`
		ScanIndexForward          *bool                      `json:"ScanIndexForward"`
		ProjectionExpression      string                     `json:"ProjectionExpression"`
		Select                    string                     `json:"Select"`
	}
	if json.Unmarshal(body, &in) != nil || in.FilterExpression != "" ||
		in.ProjectionExpression != "" || in.Select != "" || (in.IndexName != "" && in.IndexName != "gsi1") {
		return false
	}
	m := keyCondition.FindStringSubmatch(in.KeyConditionExpression)
	if m == nil || (in.IndexName == "gsi1") != (m[1] == "gsi1pk") || (m[3] != "" && (m[3] == "gsi1sk") != (m[1] == "gsi1pk")) {
		return false
	}
	var pk, prefix attr
	if json.Unmarshal(in.ExpressionAttributeValues[m[2]], &pk) != nil || pk.S == "" {
		return false
	}
	if m[4] != "" && json.Unmarshal(in.ExpressionAttributeValues[m[4]], &prefix) != nil {
		return false
	}
	onIndex := m[1] == "gsi1pk"
	type hit struct {
		sk, pk, base string // sort key, then the base table's key to order ties on the index
		e            *entry
	}
	var hits []hit
	if onIndex {
		d.mirror.mu.Lock()
		d.mirror.catchUp(time.Now())
	} else {
		d.mirror.mu.RLock()
	}
	part := d.mirror.byPK[in.TableName][pk.S]
	if onIndex {
		part = d.mirror.byGSI[in.TableName][pk.S]
	}
	for _, e := range part {
		sk := e.sk
		if onIndex {
			sk = e.gsk
		}
		if strings.HasPrefix(sk, prefix.S) {
			hits = append(hits, hit{sk: sk, pk: e.pk, base: e.sk, e: e})
		}
	}
	if onIndex {
		d.mirror.mu.Unlock()
	} else {
		d.mirror.mu.RUnlock()
	}
	less := func(a, b hit) bool {
		if a.sk != b.sk {
			return a.sk < b.sk
		}
		if a.pk != b.pk {
			return a.pk < b.pk
		}
		return a.base < b.base
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	sort.Slice(hits, func(i, j int) bool {
		if forward {
			return less(hits[i], hits[j])
		}
		return less(hits[j], hits[i])
	})
	if in.ExclusiveStartKey != nil {
		var spk, ssk, sgsk attr
		json.Unmarshal(in.ExclusiveStartKey["pk"], &spk)      //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
		json.Unmarshal(in.ExclusiveStartKey["sk"], &ssk)      //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
		json.Unmarshal(in.ExclusiveStartKey["gsi1sk"], &sgsk) //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
		start := hit{sk: ssk.S, pk: spk.S, base: ssk.S}
		if onIndex {
			start.sk = sgsk.S
		}
		n := 0
		for n < len(hits) && (forward && !less(start, hits[n]) || !forward && !less(hits[n], start)) {
			n++
		}
		hits = hits[n:]
	}
	maxBytes := 0
	if d.aws.model.Load() != nil {
		maxBytes = MaxPageBytes
	}
	items := make([]json.RawMessage, 0, len(hits))
	var last *entry
	size := 0
	for _, h := range hits {
		if in.Limit != nil && len(items) == *in.Limit {
			break
		}
		items = append(items, h.e.raw)
		last = h.e
		size += len(h.e.raw)
		if maxBytes > 0 && size >= maxBytes {
			break
		}
	}
	out := map[string]any{"Items": items, "Count": len(items), "ScannedCount": len(items)}
	if last != nil && len(items) < len(hits) {
		lek := map[string]map[string]string{"pk": {"S": last.pk}, "sk": {"S": last.sk}}
		if onIndex {
			lek["gsi1pk"], lek["gsi1sk"] = map[string]string{"S": last.gpk}, map[string]string{"S": last.gsk}
		}
		out["LastEvaluatedKey"] = lek
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(out) //nolint:errcheck // a client that went away has nothing left to read
	return true
}
