package emulator

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"

	miniserver "github.com/truora/minidyn/server"
	minitypes "github.com/truora/minidyn/types"
)

// minidyn (v0.8.2) parses an update's REMOVE clause and then ignores it:
// its interpreter drops the attribute from its working copy, but copies
// only what remains back onto the stored item, so "REMOVE a" leaves a in
// place. DynamoDB removes it — and an item that loses an index's key
// attributes leaves that (sparse) index: an outbox message marked sent
// leaves the pending list, an allocation run's lease is cleared. The
// emulator therefore removes, after minidyn's update succeeded, the
// top-level attributes the REMOVE clause names (the product removes no
// nested path), and the item's reference in each index whose key it
// named.

var removeClause = regexp.MustCompile(`(?i)\bREMOVE\s+(.+?)\s*(?:\b(?:SET|ADD|DELETE)\b|$)`)

// removedNames lists the top-level attributes an update expression's
// REMOVE clause names, aliases resolved; nested paths are left out.
func removedNames(expr string, aliases map[string]string) []string {
	m := removeClause.FindStringSubmatch(expr)
	if m == nil {
		return nil
	}
	var out []string
	for _, p := range strings.Split(m[1], ",") {
		p = strings.TrimSpace(p)
		if p == "" || strings.ContainsAny(p, ".[") {
			continue
		}
		if a, ok := aliases[p]; ok {
			p = a
		}
		out = append(out, p)
	}
	return out
}

// applyRemoves completes a successful UpdateItem (body: its request, or a
// transaction's Update part) on minidyn's stored item. The caller holds
// the write lock.
func (d *DynamoDB) applyRemoves(body []byte) {
	if d.keys == nil {
		return
	}
	var in struct {
		TableName                string                     `json:"TableName"`
		Key                      map[string]json.RawMessage `json:"Key"`
		UpdateExpression         string                     `json:"UpdateExpression"`
		ExpressionAttributeNames map[string]string          `json:"ExpressionAttributeNames"`
	}
	if json.Unmarshal(body, &in) != nil || !strings.Contains(strings.ToUpper(in.UpdateExpression), "REMOVE") {
		return
	}
	names := removedNames(in.UpdateExpression, in.ExpressionAttributeNames)
	t := d.keys.tables[in.TableName]
	if t == nil || len(names) == 0 {
		return
	}
	key := map[string]*minitypes.Item{}
	for k, v := range in.Key {
		var av miniserver.AttributeValue
		if json.Unmarshal(v, &av) != nil {
			return
		}
		key[k] = toMini(&av)
	}
	id, err := t.KeySchema.GetKey(t.AttributesDef, key)
	if err != nil {
		return
	}
	item := t.Data[id]
	if item == nil {
		return
	}
	for _, n := range names {
		delete(item, n)
	}
	for _, idx := range t.Indexes {
		_, refs, err := indexSlices(idx)
		if err != nil {
			continue
		}
		if _, in := (*refs)[id]; in && !hasIndexKey(idx, item) {
			delete(*refs, id)
			d.keys.dirty = true
		}
	}
}

// hasIndexKey says whether item still has every key attribute of idx (a
// minidyn index, whose key schema is reached by reflection as in bulk.go).
func hasIndexKey(idx any, item map[string]*minitypes.Item) bool {
	ks := reflect.ValueOf(idx).Elem().FieldByName("keySchema")
	if !ks.IsValid() {
		return true // unknown layout: leave minidyn's reference alone
	}
	for _, f := range []string{"HashKey", "RangeKey"} {
		v := ks.FieldByName(f)
		if v.IsValid() && v.Kind() == reflect.String && v.String() != "" && item[v.String()] == nil {
			return false
		}
	}
	return true
}

// completeRemoves applies applyRemoves to what a successful write updated
// through minidyn itself: an UpdateItem, or the Update parts of a
// transaction minidyn ran (one with a ConditionCheck).
func (d *DynamoDB) completeRemoves(op string, body []byte) {
	switch op {
	case "UpdateItem":
		d.applyRemoves(body)
	case "TransactWriteItems":
		var in struct {
			TransactItems []struct {
				Update json.RawMessage `json:"Update"`
			} `json:"TransactItems"`
		}
		if json.Unmarshal(body, &in) == nil {
			for _, it := range in.TransactItems {
				if it.Update != nil {
					d.applyRemoves(it.Update)
				}
			}
		}
	}
}
