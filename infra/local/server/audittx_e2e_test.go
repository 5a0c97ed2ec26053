package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sportello/infra/apiclient"
	"sportello/infra/local/emulator"
	"sportello/shared/audit"
	"sportello/shared/clock"
	"sportello/shared/windows"
)

// lineWatch holds the writes a runtime commits (the emulator's OnCommit:
// each successful write whole) and checks, when the env ends, the rule of
// docs/reliability.md ("Effects exactly once"): an audit line is committed
// in the same write as the change it records, and only a download's line
// stands alone.
type lineWatch struct {
	mu      sync.Mutex
	actions map[string]int // action → lines seen committed with their change
}

// watch starts seeing e's writes (call it before the first request).
func (w *lineWatch) watch(e *env) {
	var mu sync.Mutex
	var commits [][]emulator.Changed
	e.rt.DynamoDB.OnCommit(func(_ string, items []emulator.Changed) {
		mu.Lock()
		commits = append(commits, items)
		mu.Unlock()
	})
	// Cleanups run last first: this one before the runtime closes.
	e.t.Cleanup(func() {
		e.rt.WaitAllocations()
		mu.Lock()
		seen := slices.Clone(commits)
		mu.Unlock()
		w.check(e, seen)
	})
}

// check applies the rule to every write committed.
func (w *lineWatch) check(e *env, commits [][]emulator.Changed) {
	t := e.t
	t.Helper()
	trails := map[string]map[string]audit.Entry{} // call → line id → line
	entry := func(callID, id string) (audit.Entry, bool) {
		if trails[callID] == nil {
			lines, err := e.rt.Store.CallAudit(context.Background(), callID)
			if err != nil {
				t.Fatal(err)
			}
			trails[callID] = map[string]audit.Entry{}
			for _, l := range lines {
				trails[callID][l.ID] = l
			}
		}
		l, ok := trails[callID][id]
		return l, ok
	}
	for _, items := range commits {
		lines := 0
		for _, it := range items {
			callID, isLine := strings.CutPrefix(it.PK, "AUDIT#")
			if !isLine {
				continue
			}
			lines++
			l, ok := entry(callID, it.SK[strings.LastIndex(it.SK, "#")+1:])
			if !ok {
				t.Errorf("audit line %s/%s committed but not in its call's trail", it.PK, it.SK)
				continue
			}
			pk, skPrefix, alone, known := changeOf(l)
			switch {
			case !known:
				t.Errorf("no rule for the audit action %q: say which item its change writes (changeOf)", l.Action)
				continue
			case alone && len(items) != 1:
				t.Errorf("%s was committed with other items: %v", l.Action, items)
				continue
			case !alone && !slices.ContainsFunc(items, func(c emulator.Changed) bool {
				return c.PK == pk && strings.HasPrefix(c.SK, skPrefix)
			}):
				t.Errorf("%s (%v) was not committed with its change (%s %s…): the write held %v", l.Action, l.Detail, pk, skPrefix, items)
				continue
			}
			w.mu.Lock()
			w.actions[l.Action]++
			w.mu.Unlock()
		}
		// The other way round: items only an audited change writes never
		// change without a line.
		if lines == 0 {
			for _, it := range items {
				if alwaysAudited(it) {
					t.Errorf("%s %s/%s changed without an audit line in its write: %v", it.Change, it.PK, it.SK, items)
				}
			}
		}
	}
}

// changeOf names the item a line's change writes: its partition key and
// the start of its sort key. alone marks the line that joins no change
// (a download changes nothing).
func changeOf(l audit.Entry) (pk, skPrefix string, alone, known bool) {
	switch a := l.Action; {
	case a == "export.downloaded":
		return "", "", true, true
	case strings.HasPrefix(a, "submission."):
		return "SUB#" + l.SubmissionID, "META", false, true
	case strings.HasPrefix(a, "document."):
		return "DOC#" + l.Detail["document"], "META", false, true
	case a == "call.created" || a == "window.extended":
		return "CALL#" + l.CallID, "META", false, true
	case a == "window.OPENED" || a == "window.CLOSED":
		return "CALL#" + l.CallID, "WINDOW#" + l.Detail["window"] + "#" + strings.TrimPrefix(a, "window."), false, true
	case a == "call.finalized":
		return "CALL#" + l.CallID, "FINAL", false, true
	case a == "registry.imported": // the list put in force (its rows were written before, unread)
		return "REG#" + l.CallID, "@ACTIVE#" + l.Detail["kind"], false, true
	case a == "funds.announced" || a == "allocation.done":
		return "ALLOC#" + l.Detail["allocation"], "META", false, true
	case a == "rendiconto.advances":
		return "RADV#" + l.CallID, "META", false, true
	case strings.HasPrefix(a, "rendiconto."):
		return "RC#" + l.Detail["claim"], "META", false, true
	}
	return "", "", false, false
}

// alwaysAudited: items that only an audited change writes (a document, a
// window's work, the final close, a registry list put in force, advances
// ordered, a rendicontazione). An import's and an order's rows are
// written before the change that puts them in force, where no reader
// looks (docs/reliability.md), and deleted after the change that retires
// them: neither is a change of what readers see.
func alwaysAudited(c emulator.Changed) bool {
	switch {
	case strings.HasPrefix(c.PK, "REG#"):
		return strings.HasPrefix(c.SK, "@ACTIVE#") || c.Change != "Delete" && !strings.HasPrefix(c.SK, "@GEN#")
	case strings.HasPrefix(c.PK, "DOC#") && !strings.HasPrefix(c.PK, "DOC#OF#") && c.SK == "META":
		return true
	case strings.HasPrefix(c.PK, "CALL#") && (strings.HasPrefix(c.SK, "WINDOW#") || c.SK == "FINAL"):
		return true
	case strings.HasPrefix(c.PK, "RC#"):
		return true
	case strings.HasPrefix(c.PK, "RADV#") && c.SK == "META":
		return true
	}
	return false
}

// Issue #11: every state change writes its audit line in the same
// transaction as the change, so no crash, timeout or failing write can
// leave a change without its line. The emulator reports each committed
// write whole; across scenarios that take every audited action — drafts
// created and updated, documents declared and verified, filing, review,
// withdrawal, a call created and extended, its windows opening and
// closing and its final close, a registry import, funds announced and a
// riparto finished, the rendicontazione from the advance to a recovery,
// downloads — each line is found in the write of its change (and a
// download's line alone), and no document, window work, final close,
// registry list put in force (150 rows imported: more than a transaction
// holds), advance order or rendicontazione changes without a line.
func TestEveryChangeWritesItsAuditLineInItsOwnTransaction(t *testing.T) {
	w := &lineWatch{actions: map[string]int{}}

	t.Run("rendicontazione from the advance to a recovery", func(t *testing.T) {
		e, paid := nidiGratisFromAdvanceToPayment(t, w.watch)
		r := e.do("POST", "/v1/rendicontazioni/"+paid+"/recoveries", e.officer("LOM"),
			apiclient.RecoveryInput{Amount: "10.00", Code: "attendance_not_proven", Note: "Frequenza non documentata."})
		if r.Status != 200 {
			t.Fatalf("recovery: %d %s", r.Status, r.Body)
		}
	})
	t.Run("funds announced and the riparto done", func(t *testing.T) { fvgRipartoEndToEnd(t, w.watch) })
	t.Run("drafts, withdrawal, a call and its windows, an import", func(t *testing.T) {
		e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
		w.watch(e)
		id, tok, _ := e.filedMilano()
		if r := e.withdraw(id, tok); r.Status != 200 {
			t.Fatalf("withdraw: %d %s", r.Status, r.Body)
		}
		ex := loadExample(t, "lombardia-como-invariate.json")
		como := e.applicant(ex.Org)
		draft := e.draft(LombardiaCall, como, ex.Org, ex.Data)
		if r := e.update(draft, como, "1", apiclient.SubmissionUpdate{Data: formData(t, ex.Data)}); r.Status != 200 {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}

		csv := "service_id,comune_istat,name,type,address,operator,places,authorised_on\n" +
			"PIE-SE-9001,001272,Nido Nuovo,nido,Via Nuova 1,Comune,24,2024-09-01\n"
		if r := e.do("POST", "/v1/calls/"+PiemonteCall+"/registry?kind=preloaded", e.officer("PIE"), csv, "Content-Type", "text/csv"); r.Status != 200 {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		// An import larger than a transaction: its rows go before, in
		// batches, and the list is put in force with the line.
		var large strings.Builder
		large.WriteString("service_id,comune_istat,name,type,address,operator,places,authorised_on\n")
		for i := range 150 {
			fmt.Fprintf(&large, "PIE-SE-%d,001272,Nido %d,nido,Via Nuova %d,Comune,24,2024-09-01\n", 9100+i, i, i)
		}
		if r := e.do("POST", "/v1/calls/"+PiemonteCall+"/registry?kind=preloaded", e.officer("PIE"), large.String(), "Content-Type", "text/csv"); r.Status != 200 {
			t.Fatalf("import of 150 rows: %d %s", r.Status, r.Body)
		}

		off := e.officer("FVG")
		r := e.createCall(off, apiclient.CallSpec{Program: "fvg-rette-2024", Title: "Rette 2024/25 (bis)",
			Windows: []apiclient.WindowSpec{{Id: ptr("w1"), OpensAt: "2025-08-01T12:00:00+02:00", ClosesAt: ptr("2025-09-01T12:00:00+02:00")}}})
		if r.Status != 201 {
			t.Fatalf("create the call: %d %s", r.Status, r.Body)
		}
		callID := decode[apiclient.Call](t, r).Id
		if r := e.do("PATCH", "/v1/calls/"+callID+"/windows/w1", off,
			apiclient.WindowExtension{ClosesAt: "2025-09-10T12:00:00+02:00", Reason: ptr("Proroga")}); r.Status != 200 {
			t.Fatalf("extend: %d %s", r.Status, r.Body)
		}
		// Past the proroga and the final grace: the reconcile opens,
		// closes and finalises the call (and the seeded ones due).
		e.clk.Set(clock.InRome(2025, 9, 10, 12, 0).Add(windows.FinalizeGrace).Add(time.Minute))
		if err := e.rt.App.Windows.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
	})

	want := []string{
		"submission.created", "submission.updated", "submission.filed", "submission.reviewed", "submission.withdrawn",
		"document.declared", "document.verified",
		"call.created", "window.extended", "window.OPENED", "window.CLOSED", "call.finalized",
		"registry.imported", "funds.announced", "allocation.done",
		"rendiconto.advances", "rendiconto.filed", "rendiconto.signed", "rendiconto.transmitted", "rendiconto.clarify",
		"rendiconto.answered", "rendiconto.approve", "rendiconto.paid", "rendiconto.recovery",
		"export.downloaded",
	}
	var missing []string
	for _, a := range want {
		if w.actions[a] == 0 {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the scenario did not take %v (seen: %v)", missing, w.actions)
	}
}
