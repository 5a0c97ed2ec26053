package emulator

import "encoding/json"

// Changed is one item a write changed: the kind of change ("Put",
// "Update" or "Delete"), its table and its key.
type Changed struct {
	Change, Table, PK, SK string
}

// OnWrite stands in for DynamoDB Streams, which the cloud's outbox relay
// reads: after each write is durable, f hears every item the write
// changed (a transaction's items, a batch's), in write order, with the
// kind of change ("Put", "Update" or "Delete"). A stream does not go
// through the index, so it has no index lag: the local runtime hands the
// outbox messages a request wrote to its relay at once, as the stream
// does in the cloud. f must be quick (it runs on the write's answer
// path); nil stops it.
func (d *DynamoDB) OnWrite(f func(change, table, pk, sk string)) {
	if f == nil {
		d.onWrite.Store(nil)
		return
	}
	d.onWrite.Store(&f)
}

// OnCommit hears each successful write whole, once: the operation and the
// items it changed together (a transaction's, a batch's, one item's).
// DynamoDB Streams carries no such grouping; tests use it to see which
// items were committed together (a change and its audit line). f must be
// quick, and may be called by concurrent writes at once; nil stops it.
func (d *DynamoDB) OnCommit(f func(op string, items []Changed)) {
	if f == nil {
		d.onCommit.Store(nil)
		return
	}
	d.onCommit.Store(&f)
}

// stream reports a successful write's items to the OnWrite and OnCommit
// functions.
func (d *DynamoDB) stream(op string, body []byte) {
	f, g := d.onWrite.Load(), d.onCommit.Load()
	if f == nil && g == nil {
		return
	}
	items := changedBy(op, body)
	if f != nil {
		for _, c := range items {
			(*f)(c.Change, c.Table, c.PK, c.SK)
		}
	}
	if g != nil && len(items) > 0 {
		(*g)(op, items)
	}
}

// changedBy lists the items a successful write changed, in write order.
func changedBy(op string, body []byte) []Changed {
	var out []Changed
	emit := func(change, table string, key map[string]json.RawMessage) {
		var pk, sk attr
		json.Unmarshal(key["pk"], &pk) //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
		json.Unmarshal(key["sk"], &sk) //nolint:errcheck // as above
		out = append(out, Changed{Change: change, Table: table, PK: pk.S, SK: sk.S})
	}
	one := func(change string, o *txOp) {
		k := o.Key
		if o.Item != nil {
			k = keyOf(o.Item)
		}
		emit(change, o.TableName, k)
	}
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem":
		var o txOp
		json.Unmarshal(body, &o) //nolint:errcheck // as above
		one(op[:len(op)-len("Item")], &o)
	case "TransactWriteItems":
		var in struct {
			TransactItems []txItem `json:"TransactItems"`
		}
		json.Unmarshal(body, &in) //nolint:errcheck // as above
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				one("Put", it.Put)
			case it.Update != nil:
				one("Update", it.Update)
			case it.Delete != nil:
				one("Delete", it.Delete)
			}
		}
	case "BatchWriteItem":
		var in batchWriteInput
		json.Unmarshal(body, &in) //nolint:errcheck // as above
		for table, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					emit("Put", table, keyOf(r.PutRequest.Item))
				} else if r.DeleteRequest != nil {
					emit("Delete", table, r.DeleteRequest.Key)
				}
			}
		}
	}
	return out
}
