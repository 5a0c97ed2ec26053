package dynamo_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/infra/local/emulator"
	"sportello/shared/audit"
	"sportello/shared/dynamo"
	"sportello/shared/dynamo/dynamotest"
	"sportello/shared/money"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/rendiconto"
)

// batches watches the batch writes a store commits; after crashAfter's k
// more of them every later batch write fails, as if the process died
// there (the writes before it stored, nothing after).
type batches struct {
	ddb     *emulator.DynamoDB
	mu      sync.Mutex
	n       int
	crashAt int            // n at which batch writes start failing (0: never)
	put     map[string]int // partition → rows put by batches since restart
}

func watchBatches(ddb *emulator.DynamoDB) *batches {
	b := &batches{ddb: ddb, put: map[string]int{}}
	ddb.OnCommit(func(op string, items []emulator.Changed) {
		if op != "BatchWriteItem" {
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		b.n++
		for _, it := range items {
			if it.Change == "Put" {
				b.put[it.PK]++
			}
		}
		if b.n == b.crashAt {
			b.ddb.SetFaults(&emulator.Faults{Rate: 1, Ops: map[string]bool{"BatchWriteItem": true}})
		}
	})
	return b
}

// crashAfter makes every batch write after the next k fail.
func (b *batches) crashAfter(k int) {
	b.mu.Lock()
	b.crashAt = b.n + k
	b.mu.Unlock()
}

// restart ends the crash: writes succeed again, counts start afresh.
func (b *batches) restart() {
	b.ddb.SetFaults(nil)
	b.mu.Lock()
	b.put = map[string]int{}
	b.mu.Unlock()
}

func (b *batches) rowsPut(pk string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.put[pk]
}

func linesOf(t *testing.T, s *dynamo.Store, callID, action string) []audit.Entry {
	t.Helper()
	all, err := s.CallAudit(ctx, callID)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	for _, l := range all {
		if l.Action == action {
			out = append(out, l)
		}
	}
	return out
}

// anOrder is the advances of n Comuni at 30 %, and their total.
func anOrder(n int, historical money.Cents, at time.Time) ([]rendiconto.Advance, money.Cents) {
	adv := make([]rendiconto.Advance, n)
	var total money.Cents
	for i := range adv {
		h := historical + money.Cents(i*37)
		adv[i] = rendiconto.Advance{Org: fmt.Sprintf("comune:%06d", i+1), Historical: h, Amount: h.MulDivFloor(3000, 10000), BP: 3000, OrderedAt: at}
		total += adv[i].Amount
	}
	return adv, total
}

func advancesLine(callID string, total money.Cents, at time.Time) outbox.Effects {
	return outbox.Effects{}.With(&audit.Entry{CallID: callID, At: at, Actor: "officer", Action: "rendiconto.advances",
		Detail: map[string]string{"total": total.String()}})
}

func sumOf(adv []rendiconto.Advance) money.Cents {
	var s money.Cents
	for _, a := range adv {
		s += a.Amount
	}
	return s
}

// Issue #11: an order of advances is larger than a transaction (one per
// Comune, 1,506 in Lombardy), so its rows go in batches before the mark
// and the audit line commit together. A crash after some batches leaves
// no advances and no line; the officer's repeat of the same order writes
// exactly the rows missing, and then the mark and one line, the rows
// summing to the line's total; the same order again answers the first
// (its moment, no second line), a different one is refused.
func TestAdvancesCutShortByACrashAreCompletedByTheRepeat(t *testing.T) {
	s, ddb := dynamotest.New(t)
	b := watchBatches(ddb)
	first, second, third := time.Date(2025, 10, 1, 9, 0, 0, 0, time.UTC), time.Date(2025, 10, 1, 9, 5, 0, 0, time.UTC), time.Date(2025, 10, 2, 9, 0, 0, 0, time.UTC)
	adv, total := anOrder(1506, 1000_00, first)

	b.crashAfter(10)
	if _, err := s.CreateAdvances(ctx, "c1", adv, 3000, advancesLine("c1", total, first)); err == nil {
		t.Fatal("the order went through the crash")
	}
	b.restart()
	if got, err := s.Advances(ctx, "c1"); err != nil || len(got) != 0 {
		t.Fatalf("after the crash readers see %d advances (%v): an order is whole or absent", len(got), err)
	}
	if l := linesOf(t, s, "c1", "rendiconto.advances"); len(l) != 0 {
		t.Fatalf("a line for an order never made: %+v", l)
	}

	again, total2 := anOrder(1506, 1000_00, second)
	got, err := s.CreateAdvances(ctx, "c1", again, 3000, advancesLine("c1", total2, second))
	if err != nil {
		t.Fatal(err)
	}
	if n := b.rowsPut("RADV#c1"); n != 1506-10*25 {
		t.Fatalf("the repeat put %d rows, want the %d missing", n, 1506-10*25)
	}
	stored, err := s.Advances(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	lines := linesOf(t, s, "c1", "rendiconto.advances")
	if len(stored) != 1506 || len(got) != 1506 || sumOf(stored) != total || len(lines) != 1 || lines[0].Detail["total"] != total.String() {
		t.Fatalf("%d advances stored summing to %s, %d answered, lines %+v; want 1506 summing to %s, one line", len(stored), sumOf(stored), len(got), lines, total)
	}
	if !stored[0].OrderedAt.Equal(second) || !got[0].OrderedAt.Equal(second) {
		t.Fatalf("ordered at %s (answered %s), want the moment the order committed, %s", stored[0].OrderedAt, got[0].OrderedAt, second)
	}

	b.restart()
	repeat, _ := anOrder(1506, 1000_00, third)
	got, err = s.CreateAdvances(ctx, "c1", repeat, 3000, advancesLine("c1", total, third))
	if err != nil || len(got) != 1506 || sumOf(got) != total || !got[0].OrderedAt.Equal(second) {
		t.Fatalf("the same order again: %d advances summing to %s ordered at %v (%v); want the first's answer", len(got), sumOf(got), got[0].OrderedAt, err)
	}
	if n, l := b.rowsPut("RADV#c1"), linesOf(t, s, "c1", "rendiconto.advances"); n != 0 || len(l) != 1 {
		t.Fatalf("the same order again put %d rows and left %d lines", n, len(l))
	}
	other, otherTotal := anOrder(1506, 2000_00, third)
	if _, err := s.CreateAdvances(ctx, "c1", other, 3000, advancesLine("c1", otherTotal, third)); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("a different order after the first: %v, want a conflict", err)
	}
}

// An order cut short by a crash and never repeated is no order: a
// different one takes its place, and its rows are deleted once the other
// commits (no reader ever read them).
func TestAnOrderNeverMadeGivesWayToAnother(t *testing.T) {
	s, ddb := dynamotest.New(t)
	b := watchBatches(ddb)
	at := time.Date(2025, 10, 1, 9, 0, 0, 0, time.UTC)
	abandoned, total := anOrder(300, 1000_00, at)
	b.crashAfter(3)
	if _, err := s.CreateAdvances(ctx, "c1", abandoned, 3000, advancesLine("c1", total, at)); err == nil {
		t.Fatal("the order went through the crash")
	}
	b.restart()
	other, otherTotal := anOrder(200, 3000_00, at)
	got, err := s.CreateAdvances(ctx, "c1", other, 3000, advancesLine("c1", otherTotal, at))
	if err != nil || len(got) != 200 {
		t.Fatalf("the other order: %d %v", len(got), err)
	}
	stored, err := s.Advances(ctx, "c1")
	if err != nil || len(stored) != 200 || sumOf(stored) != otherTotal {
		t.Fatalf("%d advances summing to %s (%v), want the other order's 200 summing to %s", len(stored), sumOf(stored), err, otherTotal)
	}
	rows := partitionKeys(t, s, "RADV#c1")
	if len(rows) != 201 || slices.ContainsFunc(rows, func(sk string) bool {
		return sk != "META" && !strings.HasPrefix(sk, "ORD#"+dynamo.AdvanceOrder(other, 3000))
	}) {
		t.Fatalf("the partition holds %d items, want the mark and the other order's 200", len(rows))
	}
}

// partitionKeys lists the sort keys of every item of partition pk.
func partitionKeys(t *testing.T, s *dynamo.Store, pk string) []string {
	t.Helper()
	var out []string
	p := dynamodb.NewQueryPaginator(s.Client(), &dynamodb.QueryInput{TableName: aws.String(s.Table()), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			out = append(out, it["sk"].(*types.AttributeValueMemberS).Value)
		}
	}
	return out
}

// facilities is a list of n rows of kind "facility", ids from first, each
// row's JSON naming the edition.
func facilities(first, n int, edition string) []program.Row {
	rows := make([]program.Row, n)
	for i := range rows {
		id := fmt.Sprintf("AFAM-%05d", first+i)
		rows[i] = program.Row{Kind: "facility", ID: id, Key: fmt.Sprintf("%06d", 1+i%1506),
			JSON: json.RawMessage(fmt.Sprintf(`{"code":%q,"edition":%q}`, id, edition))}
	}
	return rows
}

// editions maps each row id read to its edition.
func editions(t *testing.T, s *dynamo.Store, callID string) map[string]string {
	t.Helper()
	rows, err := s.RegistryRows(ctx, callID, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		var v struct{ Edition string }
		if err := json.Unmarshal([]byte(r.JSON), &v); err != nil {
			t.Fatal(err)
		}
		if _, twice := out[r.ID]; twice {
			t.Fatalf("row %s read twice", r.ID)
		}
		out[r.ID] = v.Edition
	}
	return out
}

func importLine(callID string, n int) outbox.Effects {
	return outbox.Effects{}.With(&audit.Entry{CallID: callID, At: time.Date(2025, 9, 1, 9, 0, 0, 0, time.UTC), Actor: "officer",
		Action: "registry.imported", Detail: map[string]string{"kind": "facility", "rows": fmt.Sprint(n)}})
}

// Issue #11: an import larger than a transaction is seen whole or not at
// all. A crash after some batches of a 1,000-row import leaves the list
// before in force, every row of it and nothing of the import, and no
// line; the officer's repeat puts the new list in force (the rows it
// repeats replaced, the others kept, as any import) with one line, and
// nothing of the list replaced or of the crashed attempt is left.
func TestAnImportCutShortByACrashLeavesTheListBeforeInForce(t *testing.T) {
	s, ddb := dynamotest.New(t)
	b := watchBatches(ddb)
	if err := s.ImportRows(ctx, "c1", "facility", facilities(0, 1000, "2024")); err != nil {
		t.Fatal(err)
	}
	before := editions(t, s, "c1")
	next := facilities(500, 1000, "2025") // 500 rows replaced, 500 new

	b.crashAfter(8)
	if err := s.ImportRowsWith(ctx, "c1", "facility", next, importLine("c1", len(next))); err == nil {
		t.Fatal("the import went through the crash")
	}
	b.restart()
	if got := editions(t, s, "c1"); !maps.Equal(got, before) || len(got) != 1000 {
		t.Fatalf("after the crash readers see %d rows, want the 1000 of the list before, unchanged", len(got))
	}
	if l := linesOf(t, s, "c1", "registry.imported"); len(l) != 0 {
		t.Fatalf("a line for an import never made: %+v", l)
	}

	if err := s.ImportRowsWith(ctx, "c1", "facility", next, importLine("c1", len(next))); err != nil {
		t.Fatal(err)
	}
	got := editions(t, s, "c1")
	for id, ed := range got {
		if n, _ := strconv.Atoi(strings.TrimPrefix(id, "AFAM-")); (n < 500) != (ed == "2024") {
			t.Fatalf("row %s is of %s", id, ed)
		}
	}
	if len(got) != 1500 {
		t.Fatalf("%d rows in force, want 1500 (500 kept, 1000 imported)", len(got))
	}
	if l := linesOf(t, s, "c1", "registry.imported"); len(l) != 1 {
		t.Fatalf("%d lines, want one", len(l))
	}
	if keys := partitionKeys(t, s, "REG#c1"); len(keys) != 1+1500 {
		t.Fatalf("the partition holds %d items, want the list in force and its 1500 rows", len(keys))
	}
}

// Rows imported before lists had generations stay in force until the
// next import of their kind, which lays its rows over them and deletes
// them; another kind's rows are not touched.
func TestRowsImportedBeforeGenerationsStayInForceUntilTheNextImport(t *testing.T) {
	s, _ := dynamotest.New(t)
	for _, r := range append(facilities(0, 30, "2023"), program.Row{Kind: "preloaded", ID: "PIE-1", Key: "001272", JSON: json.RawMessage(`{"edition":"2023"}`)}) {
		item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "REG#c1"}, "sk": &types.AttributeValueMemberS{Value: r.Kind + "#" + r.ID},
			"type": &types.AttributeValueMemberS{Value: "registry"}, "kind": &types.AttributeValueMemberS{Value: r.Kind}, "rowId": &types.AttributeValueMemberS{Value: r.ID},
			"rowKey": &types.AttributeValueMemberS{Value: r.Key}, "json": &types.AttributeValueMemberS{Value: string(r.JSON)}}
		if _, err := s.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	if got := editions(t, s, "c1"); len(got) != 31 {
		t.Fatalf("%d rows of the old layout read, want 31", len(got))
	}
	if err := s.ImportRowsWith(ctx, "c1", "facility", facilities(20, 20, "2025"), importLine("c1", 20)); err != nil {
		t.Fatal(err)
	}
	got := editions(t, s, "c1")
	if len(got) != 41 || got["AFAM-00019"] != "2023" || got["AFAM-00020"] != "2025" || got["PIE-1"] != "2023" {
		t.Fatalf("after the import: %v", got)
	}
	keys := partitionKeys(t, s, "REG#c1")
	if len(keys) != 1+40+1 || !slices.Contains(keys, "preloaded#PIE-1") {
		t.Fatalf("the partition holds %v, want the facilities' list, its 40 rows and the other kind's row", keys)
	}
}
