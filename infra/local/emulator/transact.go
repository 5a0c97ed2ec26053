package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
)

// minidyn runs TransactWriteItems by deep-copying the whole table first,
// so each transaction costs time proportional to the table: a noon rush on
// a table of tens of thousands of items slows to a crawl. transact gives
// the same all-or-nothing result in time proportional to the transaction:
// under the write lock (readers excluded too, so nobody sees a half-done
// transaction) it applies each item as a single conditional write,
// remembering each item's previous image. DynamoDB evaluates every item's
// condition before it cancels, and names each one that failed: so does
// transact, going on past a failed condition (one operation per item, so
// no item's condition depends on another's write) and, if any failed,
// putting every applied item back and answering
// TransactionCanceledException with ConditionalCheckFailed for each
// failing item and None for the others. A ConditionCheck is a conditional
// delete of the item put straight back. Items are keyed by pk/sk (the
// table's key schema).
type txItem struct {
	Put            *txOp `json:"Put"`
	Update         *txOp `json:"Update"`
	Delete         *txOp `json:"Delete"`
	ConditionCheck *txOp `json:"ConditionCheck"`
}

type txOp struct {
	TableName                 string                     `json:"TableName"`
	Item                      map[string]json.RawMessage `json:"Item,omitempty"`
	Key                       map[string]json.RawMessage `json:"Key,omitempty"`
	UpdateExpression          *string                    `json:"UpdateExpression,omitempty"`
	ConditionExpression       *string                    `json:"ConditionExpression,omitempty"`
	ExpressionAttributeNames  map[string]string          `json:"ExpressionAttributeNames,omitempty"`
	ExpressionAttributeValues map[string]json.RawMessage `json:"ExpressionAttributeValues,omitempty"`
}

const target = "DynamoDB_20120810."

func (d *DynamoDB) call(op string, body any) (int, []byte) {
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
	req.Header.Set("X-Amz-Target", target+op)
	rec := httptest.NewRecorder()
	d.mini.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// transact returns handled=false when the request should go to minidyn.
func (d *DynamoDB) transact(w http.ResponseWriter, body []byte) (handled bool, ok bool) {
	var in struct {
		TransactItems []txItem `json:"TransactItems"`
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.TransactItems) == 0 || len(in.TransactItems) > 100 {
		return false, false
	}
	for _, it := range in.TransactItems {
		n := 0
		for _, op := range []*txOp{it.Put, it.Update, it.Delete, it.ConditionCheck} {
			if op != nil {
				n++
			}
		}
		if n != 1 {
			return false, false
		}
	}
	type undo struct {
		table string
		key   map[string]json.RawMessage
		prev  map[string]json.RawMessage // nil: the item did not exist
	}
	var done []undo
	rollback := func() {
		for i := len(done) - 1; i >= 0; i-- {
			u := done[i]
			if u.prev != nil {
				d.call("PutItem", map[string]any{"TableName": u.table, "Item": u.prev})
			} else {
				d.call("DeleteItem", map[string]any{"TableName": u.table, "Key": u.key})
			}
		}
	}
	failed := make([]bool, len(in.TransactItems))
	anyFailed := false
	for i, it := range in.TransactItems {
		op, name := it.Put, "PutItem"
		switch {
		case it.Update != nil:
			op, name = it.Update, "UpdateItem"
		case it.Delete != nil:
			op, name = it.Delete, "DeleteItem"
		case it.ConditionCheck != nil:
			op, name = it.ConditionCheck, "DeleteItem"
		}
		key := op.Key
		if it.Put != nil {
			key = map[string]json.RawMessage{"pk": op.Item["pk"], "sk": op.Item["sk"]}
		}
		code, got := d.call("GetItem", map[string]any{"TableName": op.TableName, "Key": key, "ConsistentRead": true})
		if code != http.StatusOK {
			rollback()
			return false, false
		}
		var prev struct {
			Item map[string]json.RawMessage `json:"Item"`
		}
		json.Unmarshal(got, &prev) //nolint:errcheck // bytes minidyn or the journal already accepted as JSON
		code, resp := d.call(name, op)
		switch {
		case code == http.StatusOK && it.ConditionCheck != nil:
			// The condition holds: the check writes nothing.
			if prev.Item != nil {
				d.call("PutItem", map[string]any{"TableName": op.TableName, "Item": prev.Item})
			}
		case code == http.StatusOK:
			if name == "UpdateItem" {
				b, _ := json.Marshal(op)
				d.applyRemoves(b)
			}
			done = append(done, undo{table: op.TableName, key: key, prev: prev.Item})
		case bytes.Contains(resp, []byte("ConditionalCheckFailed")):
			failed[i], anyFailed = true, true
		default:
			rollback()
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(code)
			w.Write(resp) //nolint:errcheck // a client that went away has nothing left to read
			return true, false
		}
	}
	if anyFailed {
		rollback()
		cancelled(w, failed, "ConditionalCheckFailed", "The conditional request failed")
		return true, false
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Write([]byte("{}")) //nolint:errcheck // a client that went away has nothing left to read
	return true, true
}

func writeJSONError(w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(body) //nolint:errcheck // a client that went away has nothing left to read
}
