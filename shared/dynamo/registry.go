package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/ident"
	"sportello/shared/outbox"
)

// RegistryRow is one row an officer imported for a call (a pre-loaded
// service, a facility of the AFAM_UDOS registry…), kept as JSON.
type RegistryRow struct {
	Kind string `dynamodbav:"kind"`
	ID   string `dynamodbav:"rowId"`
	Key  string `dynamodbav:"rowKey"` // what a form looks the row up by (program.Row.Key)
	JSON string `dynamodbav:"json"`
}

type registryItem struct {
	keys
	RegistryRow
}

// A call's registry partition holds, per kind of list:
//
//	REG#<callId>  @ACTIVE#<kind>              the list in force: its generation and row count
//	REG#<callId>  @GEN#<kind>#<gen>#<rowId>   the rows of one generation of the list
//	REG#<callId>  <kind>#<rowId>              the rows of a list imported before generations
//
// An import writes a whole new generation (the list in force with the
// imported rows laid over it by id) where no reader looks, then makes it
// the list in force in one transaction with its audit line. Readers read
// only the generation in force, so they see an import whole or not at
// all. Generations are numbered (the list in force's number plus one,
// with a random tail): once one is in force, every generation numbered
// up to it is dead (replaced, or never in force: an import that read the
// same list in force loses the condition), and the import that made it
// deletes them (sweep); a newer number may be an import still writing.

func registryPK(callID string) string { return "REG#" + callID }

const (
	registryActive = "@ACTIVE#"
	registryGen    = "@GEN#"
)

func registryGenPrefix(kind, gen string) string { return registryGen + kind + "#" + gen + "#" }

// registryList is the list of a kind in force.
type registryList struct {
	keys
	Kind string `dynamodbav:"kind"`
	Gen  string `dynamodbav:"gen"`
	Seq  int64  `dynamodbav:"seq"`
	Rows int    `dynamodbav:"rows"`
}

func registryListItem(callID, kind, gen string, seq int64, rows int) registryList {
	return registryList{keys: keys{PK: registryPK(callID), SK: registryActive + kind, Type: "registryList"}, Kind: kind, Gen: gen, Seq: seq, Rows: rows}
}

// registryView is what one read of a call's partition found, by kind.
type registryView struct {
	lists  map[string]registryList
	gens   map[string]map[string][]RegistryRow // kind → generation → rows
	legacy map[string][]RegistryRow
}

// readRegistry reads the items of a call's registry whose sort key starts
// with prefix ("": all of them).
func (s *Store) readRegistry(ctx context.Context, callID, prefix string) (registryView, error) {
	v := registryView{lists: map[string]registryList{}, gens: map[string]map[string][]RegistryRow{}, legacy: map[string][]RegistryRow{}}
	in := queryPrefix(registryPK(callID), prefix)
	if prefix == "" {
		in.KeyConditionExpression = aws.String("pk = :pk")
		delete(in.ExpressionAttributeValues, ":p")
	}
	err := s.query(ctx, in, func(m map[string]types.AttributeValue) error {
		sk, _ := m["sk"].(*types.AttributeValueMemberS)
		switch {
		case sk == nil:
			return fmt.Errorf("registry of %s: an item without a sort key", callID)
		case strings.HasPrefix(sk.Value, registryActive):
			var l registryList
			if err := attributevalue.UnmarshalMap(m, &l); err != nil {
				return fmt.Errorf("decode registry list: %w", err)
			}
			v.lists[l.Kind] = l
		default:
			var it registryItem
			if err := attributevalue.UnmarshalMap(m, &it); err != nil {
				return fmt.Errorf("decode registry row: %w", err)
			}
			rest, isGen := strings.CutPrefix(sk.Value, registryGen+it.Kind+"#")
			if !isGen {
				v.legacy[it.Kind] = append(v.legacy[it.Kind], it.RegistryRow)
				break
			}
			gen, _, _ := strings.Cut(rest, "#")
			if v.gens[it.Kind] == nil {
				v.gens[it.Kind] = map[string][]RegistryRow{}
			}
			v.gens[it.Kind][gen] = append(v.gens[it.Kind][gen], it.RegistryRow)
		}
		return nil
	})
	return v, err
}

// inForce is the list of kind in force, and whether the read saw it whole
// (false: an import replaced it and swept its rows while it was read).
func (v registryView) inForce(kind string) ([]RegistryRow, bool) {
	l, ok := v.lists[kind]
	if !ok {
		return v.legacy[kind], true
	}
	rows := v.gens[kind][l.Gen]
	return rows, len(rows) == l.Rows
}

// RegistryRows reads a call's imported rows of one kind ("" for all): the
// lists in force.
func (s *Store) RegistryRows(ctx context.Context, callID, kind string) ([]RegistryRow, error) {
	for range 3 {
		v, err := s.readRegistry(ctx, callID, "")
		if err != nil {
			return nil, err
		}
		kinds := map[string]bool{}
		for k := range v.lists {
			kinds[k] = true
		}
		for k := range v.legacy {
			kinds[k] = true
		}
		var out []RegistryRow
		whole := true
		for _, k := range slices.Sorted(maps.Keys(kinds)) {
			if kind != "" && k != kind {
				continue
			}
			rows, ok := v.inForce(k)
			whole = whole && ok
			out = append(out, rows...)
		}
		if whole {
			return out, nil
		}
	}
	return nil, &retryable{err: fmt.Errorf("registry of %s: replaced by imports on every read", callID)}
}

// listInForce reads the list of kind in force (found false: none yet).
func (s *Store) listInForce(ctx context.Context, callID, kind string) (l registryList, rows []RegistryRow, found bool, err error) {
	found, err = s.get(ctx, registryPK(callID), registryActive+kind, &l)
	if err != nil {
		return l, nil, false, err
	}
	prefix := kind + "#"
	if found {
		prefix = registryGenPrefix(kind, l.Gen)
	}
	v, err := s.readRegistry(ctx, callID, prefix)
	if err != nil {
		return l, nil, false, err
	}
	if found {
		rows = v.gens[kind][l.Gen]
		if len(rows) != l.Rows {
			return l, nil, false, &retryable{err: fmt.Errorf("registry %s of %s: the list in force has %d rows of %d", kind, callID, len(rows), l.Rows)}
		}
		return l, rows, true, nil
	}
	return l, v.legacy[kind], false, nil
}

// importRegistry makes rows, laid over the list of kind in force by id,
// the list in force: the new generation's rows first, in batches, then,
// in one transaction, the list's pointer (conditional on the list it
// replaces) with fx. replaced reports
// that another import made its list the one in force meanwhile (nothing
// of this one is in force then).
func (s *Store) importRegistry(ctx context.Context, callID, kind string, rows []RegistryRow, fx outbox.Effects) (replaced bool, err error) {
	prev, old, found, err := s.listInForce(ctx, callID, kind)
	if err != nil {
		return false, err
	}
	fresh := make(map[string]bool, len(rows))
	for _, r := range rows {
		fresh[r.ID] = true
	}
	all := make([]RegistryRow, 0, len(old)+len(rows))
	for _, r := range old {
		if !fresh[r.ID] {
			all = append(all, r)
		}
	}
	all = append(all, rows...)
	seq := prev.Seq + 1
	gen := fmt.Sprintf("%010d-%s", seq, strings.TrimPrefix(ident.New("g"), "g_"))
	item := func(r RegistryRow) registryItem {
		return registryItem{keys: keys{PK: registryPK(callID), SK: registryGenPrefix(kind, gen) + r.ID, Type: "registry"}, RegistryRow: r}
	}
	// Every row goes in batches, none in the transaction: a list lives in
	// one partition, whose capacity (1,000 writes a second) the batches
	// have just used; a transaction cancelled for capacity still spends
	// what its first items took, so one of a hundred rows sent again
	// could starve, where the list's pointer and the line alone pass.
	batch := make([]any, len(all))
	for i, r := range all {
		batch[i] = item(r)
	}
	if err := s.putAll(ctx, "registry of "+callID, batch); err != nil {
		return false, err
	}
	ptr, err := attributevalue.MarshalMap(registryListItem(callID, kind, gen, seq, len(all)))
	if err != nil {
		return false, fmt.Errorf("encode registry list: %w", err)
	}
	put := &types.Put{TableName: &s.table, Item: ptr, ConditionExpression: aws.String("attribute_not_exists(pk)")}
	if found {
		put.ConditionExpression = aws.String("gen = :prev")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": str(prev.Gen)}
	}
	items := []types.TransactWriteItem{{Put: put}}
	more, err := s.effectItems(fx)
	if err != nil {
		return false, err
	}
	items = append(items, more...)
	err = s.transactWrite(ctx, items)
	if r := cancelReasons(err); r != nil && r[0] == "ConditionalCheckFailed" {
		// Another import's list, or this very one (the answer to a
		// transaction that committed was lost and the SDK sent it again).
		var now registryList
		if _, err := s.get(ctx, registryPK(callID), registryActive+kind, &now); err != nil {
			return false, err
		}
		if now.Gen != gen {
			return true, nil
		}
	} else if err != nil {
		return false, classify(fmt.Errorf("import %s into %s: %w", kind, callID, err))
	}
	what := "registry " + kind + " of " + callID + " replaced"
	s.sweep(ctx, what, registryPK(callID), kind+"#", func(string) bool { return true }) // the list imported before generations
	s.sweep(ctx, what, registryPK(callID), registryGen+kind+"#", func(sk string) bool {
		g, _, _ := strings.Cut(strings.TrimPrefix(sk, registryGen+kind+"#"), "#")
		n, err := strconv.ParseInt(g[:min(10, len(g))], 10, 64)
		return err == nil && g != gen && n <= seq
	})
	return false, nil
}

// importRows imports, taking another import's list as the one to lay
// rows over when it commits first (three times, then a 503: the officer
// repeats).
func (s *Store) importRows(ctx context.Context, callID, kind string, rows []RegistryRow, fx outbox.Effects) error {
	for range 3 {
		replaced, err := s.importRegistry(ctx, callID, kind, rows, fx)
		if err != nil || !replaced {
			return err
		}
	}
	return &retryable{err: fmt.Errorf("import %s into %s: other imports of the list came in force first, three times", kind, callID)}
}
