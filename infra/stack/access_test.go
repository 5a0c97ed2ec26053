package stack

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// decision is what IAM decides for one request of a function's role, read
// from the synthesized policies: an explicit Deny wins over any Allow.
func (s *synthesized) decision(t *testing.T, fn, action, target, pk string) bool {
	t.Helper()
	tableID, _ := s.only(t, "AWS::DynamoDB::Table")
	allowed := false
	for _, stmt := range s.statements(s.roleOf(t, fn)) {
		if !contains(strs(stmt["Action"]), action) || !s.resourceIs(stmt["Resource"], tableID, target) || !conditionHolds(t, stmt["Condition"], pk) {
			continue
		}
		if stmt["Effect"] == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// resourceIs tells whether a statement's resources cover the table or its
// index gsi1.
func (s *synthesized) resourceIs(res any, tableID, target string) bool {
	for _, r := range asList(res) {
		j := jsonOf(r)
		if !strings.Contains(j, tableID) {
			continue
		}
		if strings.Contains(j, "/index/gsi1") == (target == "index") {
			return true
		}
	}
	return false
}

// conditionHolds evaluates a statement's condition for a request on one
// partition key; only dynamodb:LeadingKeys conditions decide it on table
// statements (a request with one key makes ForAllValues and ForAnyValue
// the same test). The relay's dynamodb:Attributes list narrows which
// attributes its updates may name: it holds for a request that names only
// those (TestTheRelayMayOnlyRecordDelivery checks the list).
func conditionHolds(t *testing.T, cond any, pk string) bool {
	t.Helper()
	if cond == nil {
		return true
	}
	for op, body := range cond.(map[string]any) {
		if op == "ForAllValues:StringEquals" {
			for k := range body.(map[string]any) {
				if k != "dynamodb:Attributes" {
					t.Fatalf("unexpected condition key %s", k)
				}
			}
			continue
		}
		if op != "ForAllValues:StringLike" && op != "ForAnyValue:StringLike" {
			t.Fatalf("unexpected condition operator %s on a table statement", op)
		}
		for k, v := range body.(map[string]any) {
			if k != "dynamodb:LeadingKeys" {
				t.Fatalf("unexpected condition key %s", k)
			}
			matched := false
			for _, p := range strs(v) {
				matched = matched || globMatch(p, pk)
			}
			if !matched {
				return false
			}
		}
	}
	return true
}

func globMatch(pattern, s string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// The record's protection, as a table of (function, partition, action) →
// allowed, decided from the synthesized policies of both stages.
func TestIAMProtectsTheRecord(t *testing.T) {
	writers := []string{"calls", "submissions", "uploads", "documents", "windows", "allocation"}
	type row struct {
		name   string
		fns    []string // functions the row is about
		action string
		target string // table | index
		pk     string
		want   map[string]bool // per function; absent: false
	}
	only := func(fns ...string) map[string]bool {
		m := map[string]bool{}
		for _, f := range fns {
			m[f] = true
		}
		return m
	}
	rows := []row{
		{"no one changes an audit line", Functions, "dynamodb:UpdateItem", "table", "AUDIT#call_a", only()},
		{"no one deletes an audit line", Functions, "dynamodb:DeleteItem", "table", "AUDIT#call_a", only()},
		{"no one batch-writes over the audit trail", Functions, "dynamodb:BatchWriteItem", "table", "AUDIT#call_a", only()},
		{"every function that acts appends audit lines; the public one does not", Functions, "dynamodb:PutItem", "table", "AUDIT#call_a", only(writers...)},
		{"only filing moves a protocol counter", Functions, "dynamodb:UpdateItem", "table", "COUNTER#call_a", only("submissions")},
		{"no one but filing creates a counter", Functions, "dynamodb:PutItem", "table", "COUNTER#call_a", only("submissions")},
		{"no one deletes a counter", Functions, "dynamodb:DeleteItem", "table", "COUNTER#call_a", only()},
		{"calls, filing (claims), windows (events) and the riparto (the fund published) write a call's partition", Functions, "dynamodb:PutItem", "table", "CALL#call_a", only("calls", "submissions", "windows", "allocation")},
		{"only the riparto's end deletes in a call's partition (its active run)", Functions, "dynamodb:DeleteItem", "table", "CALL#call_a", only("allocation")},
		{"the documents function never reads an application", Functions, "dynamodb:GetItem", "table", "SUB#sub_a", only("calls", "submissions", "uploads", "windows", "allocation")},
		{"only filing, exclusion and withdrawal take or release a claim", Functions, "dynamodb:PutItem", "table", "CLAIM#call_a", only("submissions")},
		{"only filing and window closing change an application", Functions, "dynamodb:UpdateItem", "table", "SUB#sub_a", only("submissions", "windows")},
		{"verification outcomes are written by uploads (declaring) and documents (settling)", Functions, "dynamodb:UpdateItem", "table", "DOC#doc_a", only("uploads", "documents")},
		{"registry imports are batches of calls only", Functions, "dynamodb:BatchWriteItem", "table", "REG#call_a", only("calls")},
		{"riparto lines are batches of allocation only", Functions, "dynamodb:BatchWriteItem", "table", "ALLOC#alloc_a", only("allocation")},
		{"a call's applications are listed by who works on them, never by documents or uploads", Functions, "dynamodb:Query", "index", "CALL#call_a#SUBS", only("calls", "submissions", "windows", "allocation")},
		{"an application's documents are listed by uploads and filing", Functions, "dynamodb:Query", "index", "SUB#sub_a#DOCS", only("submissions", "uploads")},
		{"idempotency keys are read and written by filing and by fund announcements (their own prefix)", Functions, "dynamodb:PutItem", "table", "IDEM#funds#call_a#k", only("calls", "submissions")},
		{"a client's idempotency key is filing's only", Functions, "dynamodb:GetItem", "table", "IDEM#key-1", only("submissions")},
		{"no function may scan the table", Functions, "dynamodb:Scan", "table", "SUB#sub_a", only()},
		{"an outbox message is written with its change: by filing, decisions and rendicontazione, by fund announcements and their publication", Functions, "dynamodb:PutItem", "table", "OUTBOX#sub_a-v2-receipt", only("calls", "submissions", "allocation")},
		{"only the relay records a message's delivery", Functions, "dynamodb:UpdateItem", "table", "OUTBOX#sub_a-v2-receipt", only("relay")},
		{"no one deletes an outbox message", Functions, "dynamodb:DeleteItem", "table", "OUTBOX#sub_a-v2-receipt", only()},
		{"no one batch-writes over the outbox", Functions, "dynamodb:BatchWriteItem", "table", "OUTBOX#sub_a-v2-receipt", only()},
		{"the relay reads a message, and lists the pending and the dead", Functions, "dynamodb:Query", "index", "OUTBOX#PENDING", only("relay")},
		{"the relay reads nothing but the outbox", []string{"relay"}, "dynamodb:GetItem", "table", "SUB#sub_a", only()},
		{"the relay writes nothing but delivery state", []string{"relay"}, "dynamodb:UpdateItem", "table", "SUB#sub_a", only()},
		{"the relay creates nothing", []string{"relay"}, "dynamodb:PutItem", "table", "OUTBOX#sub_a-v2-receipt", only()},
		{"the public function reads nothing", Functions, "dynamodb:GetItem", "table", "CALL#call_a", only("calls", "submissions", "uploads", "documents", "windows", "allocation")},
	}
	for _, st := range stages {
		s := stage(t, st)
		for _, r := range rows {
			for _, fn := range r.fns {
				if got := s.decision(t, fn, r.action, r.target, r.pk); got != r.want[fn] {
					t.Errorf("%s: %s: %s %s on %s %s: allowed %v, want %v", st, r.name, fn, r.action, r.target, r.pk, got, r.want[fn])
				}
			}
		}
	}
}

// Every function's reach is exactly TableAccess: for each partition of the
// key scheme and each action, the synthesized policies decide what the
// table says (less the Denies on audit lines and counters).
func TestIAMReachIsExactlyTheAccessTable(t *testing.T) {
	tablePKs := map[string]string{pkCall: "CALL#c", pkAudit: "AUDIT#c", pkCounter: "COUNTER#c", pkSub: "SUB#s", pkDoc: "DOC#d",
		pkRegistry: "REG#c", pkAlloc: "ALLOC#a", pkIdem: "IDEM#k", pkFunds: "IDEM#funds#c#k", pkOutbox: "OUTBOX#m"}
	indexPKs := map[string]string{ixCalls: "CALLS", ixSubs: "CALL#c#SUBS", ixAllocs: "CALL#c#ALLOCS", ixDocs: "SUB#s#DOCS", ixAudit: "SUB#s#AUDIT",
		ixOutbox: "OUTBOX#PENDING"}
	has := func(list []string, pk string) bool {
		for _, p := range list {
			if globMatch(p, pk) {
				return true
			}
		}
		return false
	}
	s := stage(t, "prod")
	for _, fn := range Functions {
		a := TableAccess[fn]
		for _, pk := range tablePKs {
			audit, counter, outbox := strings.HasPrefix(pk, "AUDIT#"), strings.HasPrefix(pk, "COUNTER#"), strings.HasPrefix(pk, "OUTBOX#")
			checks := map[string]bool{
				"dynamodb:GetItem":            has(a.Read, pk),
				"dynamodb:PutItem":            has(a.Write, pk) && (!counter || fn == "submissions"),
				"dynamodb:UpdateItem":         (has(a.Write, pk) && !outbox || has(a.Deliver, pk)) && !audit && (!counter || fn == "submissions"),
				"dynamodb:ConditionCheckItem": has(a.Write, pk),
				"dynamodb:DeleteItem":         has(a.Delete, pk) && !audit && !counter,
				"dynamodb:BatchWriteItem":     has(a.Batch, pk) && !audit && !counter,
			}
			for action, want := range checks {
				if got := s.decision(t, fn, action, "table", pk); got != want {
					t.Errorf("%s %s on %s: allowed %v, TableAccess says %v", fn, action, pk, got, want)
				}
			}
		}
		for _, pk := range indexPKs {
			if got, want := s.decision(t, fn, "dynamodb:Query", "index", pk), has(a.Index, pk); got != want {
				t.Errorf("%s Query gsi1 %s: allowed %v, TableAccess says %v", fn, pk, got, want)
			}
		}
	}
}

// The relay's one write: UpdateItem of an outbox message, naming only its
// delivery state (and the keys IAM requires in the list).
func TestTheRelayMayOnlyRecordDelivery(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		var updates []string
		for _, stmt := range s.statements(s.roleOf(t, "relay")) {
			if stmt["Effect"] != "Allow" || !contains(strs(stmt["Action"]), "dynamodb:UpdateItem") {
				continue
			}
			updates = append(updates, jsonOf(stmt["Condition"]))
			cond, _ := stmt["Condition"].(map[string]any)
			attrs, _ := cond["ForAllValues:StringEquals"].(map[string]any)
			lead, _ := cond["ForAllValues:StringLike"].(map[string]any)
			if !slices.Equal(strs(attrs["dynamodb:Attributes"]), DeliveryAttributes) || !slices.Equal(strs(lead["dynamodb:LeadingKeys"]), []string{pkOutbox}) {
				t.Errorf("%s: the relay's update is not narrowed to delivery state of outbox items: %s", st, jsonOf(cond))
			}
		}
		if len(updates) != 1 {
			t.Errorf("%s: %d UpdateItem statements for the relay, want 1: %v", st, len(updates), updates)
		}
	}
}
