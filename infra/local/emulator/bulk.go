package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/truora/minidyn/core"
	miniserver "github.com/truora/minidyn/server"
	minitypes "github.com/truora/minidyn/types"
)

// minidyn (v0.8.2) keeps every table's keys, and every index's, in a
// sorted slice and sorts the whole slice again each time an item is added
// (core.Table.setItem, index.putData): each new item costs time
// proportional to the table, under the store's write lock. Loading n items
// one at a time costs O(n²) — restart after the 1,506-Comuni rush (≈33,000
// items) took minutes — and a noon rush pays it on every filing.
//
// DynamoDB has no such cost, so the emulator removes it without changing
// what minidyn does with an item: writes still go through minidyn's own
// code (its validation, item copies and index references exactly as it
// keeps them), but after each write the sorted slices are cut back to a
// few sentinels, so the next new item sorts a few hundred keys, not the
// table. The slices are rebuilt, once, from the maps they mirror
// (Table.Data and each index's refs, which minidyn keeps exact whatever
// the slices hold) before anything that walks them: a Scan, a Query the
// mirror does not answer, DescribeTable's item count, a snapshot. The
// product does none of these on its request paths.
//
// minidyn exposes neither its client's tables nor an index's slices, so
// they are reached by reflection on the pinned version; if its layout
// changes, the store logs it and keeps minidyn's own behaviour (slow,
// never wrong). TestMinidynLayoutIsTheOneBulkLoadKnows fails then, and
// TestBulkLoadMatchesItemByItem holds the two ways to the same state.

// miniTables reaches the tables behind a minidyn server.
func miniTables(s *miniserver.Server) (map[string]*core.Table, error) {
	client := reflect.ValueOf(s).Elem().FieldByName("client")
	if !client.IsValid() || client.Kind() != reflect.Pointer || client.IsNil() {
		return nil, errors.New("minidyn layout: server.client not found")
	}
	tables := client.Elem().FieldByName("tables")
	if !tables.IsValid() || tables.Type() != reflect.TypeFor[map[string]*core.Table]() {
		return nil, errors.New("minidyn layout: client.tables not found")
	}
	return *(*map[string]*core.Table)(unsafe.Pointer(tables.UnsafeAddr())), nil
}

// indexSlices reaches an index's sorted keys and its references (item key
// → index key).
func indexSlices(idx any) (*[]string, *map[string]string, error) {
	v := reflect.ValueOf(idx)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, nil, errors.New("minidyn layout: index is not a pointer")
	}
	keys, refs := v.Elem().FieldByName("sortedKeys"), v.Elem().FieldByName("refs")
	if !keys.IsValid() || keys.Type() != reflect.TypeFor[[]string]() || !refs.IsValid() || refs.Type() != reflect.TypeFor[map[string]string]() {
		return nil, nil, errors.New("minidyn layout: index.sortedKeys or index.refs not found")
	}
	return (*[]string)(unsafe.Pointer(keys.UnsafeAddr())), (*map[string]string)(unsafe.Pointer(refs.UnsafeAddr())), nil
}

// lazyKeys keeps minidyn's sorted slices short between walks.
type lazyKeys struct {
	tables map[string]*core.Table
	dirty  bool
}

// attachKeys reaches the tables of the current minidyn server; nil (keep
// minidyn's behaviour) if its layout is not the one this file knows.
func (d *DynamoDB) attachKeys() {
	d.keys = nil
	tables, err := miniTables(d.mini)
	if err == nil {
		err = checkIndexLayout()
	}
	if err != nil {
		d.opts.log().Warn("minidyn sorts its keys on every write (slow): "+err.Error(), "error", err.Error())
		return
	}
	d.keys = &lazyKeys{tables: tables}
}

// checkIndexLayout builds a throw-away table with an index, so a changed
// layout is found before a load starts rather than half way.
func checkIndexLayout() error {
	t := core.NewTable("probe")
	t.SetAttributeDefinition([]*minitypes.AttributeDefinition{{AttributeName: ptr("pk"), AttributeType: ptr("S")}})
	gsi := &minitypes.GlobalSecondaryIndex{IndexName: ptr("i"), KeySchema: []*minitypes.KeySchemaElement{{AttributeName: "pk", KeyType: "HASH"}},
		ProvisionedThroughput: &minitypes.ProvisionedThroughput{}}
	if err := t.AddGlobalIndexes([]*minitypes.GlobalSecondaryIndex{gsi}); err != nil {
		return fmt.Errorf("minidyn layout: %w", err)
	}
	_, _, err := indexSlices(t.Indexes["i"])
	return err
}

func ptr(s string) *string { return &s }

// trim cuts the sorted slices back after a write (the caller holds the
// write lock), so the next new item sorts a few hundred keys, not the table. They are cut to sentinels that
// sort after every key rather than to nothing: minidyn's Table.Delete
// returns before updating the indexes when the key sorts after every key
// it has (sort.SearchStrings at the end), and one record deletes at most
// 100 items (a transaction) or 25 (a batch).
func (b *lazyKeys) trim() {
	if b == nil {
		return
	}
	b.dirty = true
	for _, t := range b.tables {
		t.SortedKeys = append(t.SortedKeys[:0], sentinels...)
		for _, idx := range t.Indexes {
			keys, _, _ := indexSlices(idx) // layout checked in attachKeys
			*keys = append((*keys)[:0], sentinels...)
		}
	}
}

// sentinels sort after every key minidyn builds (0xff never starts a UTF-8
// character; binary keys are printed as text). A write deletes at most 100
// items (a transaction; 25 in a batch).
var sentinels = func() []string {
	s := make([]string, 256)
	for i := range s {
		s[i] = "\xff\xff\xff\xff"
	}
	return s
}()

// stale says whether minidyn would walk a cut slice to answer op.
func (b *lazyKeys) stale(op string) bool {
	return b != nil && b.dirty && (op == "Scan" || op == "Query" || op == "DescribeTable")
}

// rebuild makes every sorted slice whole again, from the map it mirrors,
// if a write cut it (the caller holds the write lock).
func (b *lazyKeys) rebuild() {
	if b == nil || !b.dirty {
		return
	}
	b.dirty = false
	for _, t := range b.tables {
		keys := make([]string, 0, len(t.Data))
		for k := range t.Data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.SortedKeys = keys
		for _, idx := range t.Indexes {
			sorted, refs, _ := indexSlices(idx) // layout checked in attachKeys
			ik := make([]string, 0, len(*refs))
			for _, v := range *refs {
				ik = append(ik, v)
			}
			slices.Sort(ik)
			*sorted = ik
		}
	}
}

// put stores one item of a snapshot through minidyn's core.Table.Put (what
// its PutItem runs, without the HTTP round trip).
func (b *lazyKeys) put(table string, item json.RawMessage) error {
	t := b.tables[table]
	if t == nil {
		return fmt.Errorf("table %s does not exist", table)
	}
	var wire map[string]*miniserver.AttributeValue
	if err := json.Unmarshal(item, &wire); err != nil {
		return err
	}
	in := make(map[string]*minitypes.Item, len(wire))
	for k, v := range wire {
		in[k] = toMini(v)
	}
	_, err := t.Put(&minitypes.PutItemInput{TableName: &table, Item: in})
	return err
}

// toMini is minidyn's own wire → item mapping (server/mapper.go), which it
// does not export.
func toMini(av *miniserver.AttributeValue) *minitypes.Item {
	if av == nil {
		return nil
	}
	it := &minitypes.Item{B: av.B, BOOL: av.BOOL, BS: av.BS, N: av.N, NS: av.NS, NULL: av.NULL, S: av.S, SS: av.SS}
	if av.L != nil {
		it.L = make([]*minitypes.Item, len(av.L))
		for i, v := range av.L {
			it.L[i] = toMini(v)
		}
	}
	if av.M != nil {
		it.M = make(map[string]*minitypes.Item, len(av.M))
		for k, v := range av.M {
			it.M[k] = toMini(v)
		}
	}
	return it
}

// fromMini is the reverse mapping, for a snapshot written from the tables.
func fromMini(it *minitypes.Item) *miniserver.AttributeValue {
	if it == nil {
		return nil
	}
	av := &miniserver.AttributeValue{B: it.B, BOOL: it.BOOL, BS: it.BS, N: it.N, NS: it.NS, NULL: it.NULL, S: it.S, SS: it.SS}
	if it.L != nil {
		av.L = make([]*miniserver.AttributeValue, len(it.L))
		for i, v := range it.L {
			av.L[i] = fromMini(v)
		}
	}
	if it.M != nil {
		av.M = make(map[string]*miniserver.AttributeValue, len(it.M))
		for k, v := range it.M {
			av.M[k] = fromMini(v)
		}
	}
	return av
}
