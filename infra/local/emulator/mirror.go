package emulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
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
		if old.gpk != "" {
			delete(m.byGSI[table][old.gpk], id)
		}
		delete(m.items[table], id)
	}
	if raw == nil {
		return
	}
	var it map[string]attr
	_ = json.Unmarshal(raw, &it) // the emulator wrote raw itself: an item it cannot read has no keys and is never matched
	e := &entry{pk: it["pk"].S, sk: it["sk"].S, gpk: it["gsi1pk"].S, gsk: it["gsi1sk"].S, raw: raw}
	m.items[table][id] = e
	add(m.byPK, table, e.pk, id, e)
	if e.gpk != "" && e.gsk != "" {
		add(m.byGSI, table, e.gpk, id, e)
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
		json.Unmarshal(got, &out) //nolint:errcheck // bytes minidyn or the journal already accepted as JSON
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
		json.Unmarshal(body, &single) //nolint:errcheck // bytes minidyn or the journal already accepted as JSON
		k := single.Key
		if single.Item != nil {
			k = keyOf(single.Item)
		}
		out[single.TableName] = append(out[single.TableName], k)
	case "TransactWriteItems":
		var in struct {
			TransactItems []txItem `json:"TransactItems"`
		}
		json.Unmarshal(body, &in) //nolint:errcheck // bytes minidyn or the journal already accepted as JSON
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
		var in struct {
			RequestItems map[string][]struct {
				PutRequest *struct {
					Item map[string]json.RawMessage `json:"Item"`
				} `json:"PutRequest"`
				DeleteRequest *struct {
					Key map[string]json.RawMessage `json:"Key"`
				} `json:"DeleteRequest"`
			} `json:"RequestItems"`
		}
		json.Unmarshal(body, &in) //nolint:errcheck // bytes minidyn or the journal already accepted as JSON
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
// the query is of another shape.
func (d *DynamoDB) query(w http.ResponseWriter, body []byte) bool {
	var in struct {
		TableName                 string                     `json:"TableName"`
		IndexName                 string                     `json:"IndexName"`
		KeyConditionExpression    string                     `json:"KeyConditionExpression"`
		ExpressionAttributeValues map[string]json.RawMessage `json:"ExpressionAttributeValues"`
		FilterExpression          string                     `json:"FilterExpression"`
		Limit                     *int                       `json:"Limit"`
		ExclusiveStartKey         json.RawMessage            `json:"ExclusiveStartKey"`
		ScanIndexForward          *bool                      `json:"ScanIndexForward"`
		ProjectionExpression      string                     `json:"ProjectionExpression"`
		Select                    string                     `json:"Select"`
	}
	if json.Unmarshal(body, &in) != nil || in.FilterExpression != "" || in.Limit != nil || in.ExclusiveStartKey != nil ||
		in.ScanIndexForward != nil || in.ProjectionExpression != "" || in.Select != "" || (in.IndexName != "" && in.IndexName != "gsi1") {
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
	type hit struct {
		sk   string
		item json.RawMessage
	}
	var hits []hit
	d.mirror.mu.RLock()
	part := d.mirror.byPK[in.TableName][pk.S]
	if m[1] == "gsi1pk" {
		part = d.mirror.byGSI[in.TableName][pk.S]
	}
	for _, e := range part {
		sk := e.sk
		if m[1] == "gsi1pk" {
			sk = e.gsk
		}
		if strings.HasPrefix(sk, prefix.S) {
			hits = append(hits, hit{sk: sk, item: e.raw})
		}
	}
	d.mirror.mu.RUnlock()
	sort.Slice(hits, func(i, j int) bool { return hits[i].sk < hits[j].sk })
	items := make([]json.RawMessage, len(hits))
	for i, h := range hits {
		items[i] = h.item
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(map[string]any{"Items": items, "Count": len(items), "ScannedCount": len(items)}) //nolint:errcheck // a client that went away has nothing left to read
	return true
}
