package emulator

import "encoding/json"

// OnWrite stands in for DynamoDB Streams, which the cloud's outbox relay
// reads: after each write is durable, f hears the key of every item the
// write changed (a transaction's items, a batch's), in write order. A
// stream does not go through the index, so it has no index lag: the
// local runtime hands the written outbox messages to its relay at once,
// as the stream does in the cloud. f must be quick (it runs on the
// write's answer path); nil stops it.
func (d *DynamoDB) OnWrite(f func(table, pk, sk string)) {
	if f == nil {
		d.onWrite.Store(nil)
		return
	}
	d.onWrite.Store(&f)
}

func (d *DynamoDB) stream(op string, body []byte) {
	f := d.onWrite.Load()
	if f == nil {
		return
	}
	for table, keys := range written(op, body) {
		for _, k := range keys {
			var pk, sk attr
			json.Unmarshal(k["pk"], &pk) //nolint:errcheck // bytes minidyn or the SDK already accepted as JSON
			json.Unmarshal(k["sk"], &sk) //nolint:errcheck // as above
			(*f)(table, pk.S, sk.S)
		}
	}
}
