package allocation

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	samples "sportello/events"
	"sportello/shared/money"
	"sportello/shared/program"
	"sportello/shared/program/fvg"
)

var update = flag.Bool("update", false, "rewrite the decree table of docs/riparto.md")

// exampleSnapshot freezes the FVG example application (events/submissions)
// and two variants of it, as the allocation function would.
func exampleSnapshot(t *testing.T, fund money.Cents) Snapshot {
	t.Helper()
	raw, err := samples.FS.ReadFile("submissions/fvg-udine.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex struct{ Data map[string]any }
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	params := map[string]string{fvg.Param: "1500.00"}
	snap := Snapshot{CallID: "call_fvgrette2024", Program: "fvg-rette-2024", Fund: fund, Params: params, EngineVersion: "riparto/1"}
	for i, v := range []struct {
		cf, name, code, protocol string
		change                   map[string]any
	}{
		{"01234567897", "Cooperativa Sociale Il Nido", "FVG-NIDO-0042", "FVG-2025-0000001", nil},
		{"02468135799", "Nidi della Carnia S.r.l.", "FVG-NIDO-0077", "FVG-2025-0000002", map[string]any{"innerArea": true, "childrenOn20241001": 10, "childrenOn20250131": 10, "monthsOfOperation": 10}},
		{"03000000012", "Asilo Bimbi Felici APS", "FVG-NIDO-0099", "FVG-2025-0000003", map[string]any{"childrenOn20241001": 4, "childrenOn20250131": 6, "monthsOfOperation": 11, "income2024": "247000.00"}},
	} {
		data := map[string]any{}
		b, _ := json.Marshal(ex.Data)
		if err := json.Unmarshal(b, &data); err != nil {
			t.Fatal(err)
		}
		data["operator"].(map[string]any)["fiscalCode"], data["operator"].(map[string]any)["name"] = v.cf, v.name
		data["facility"].(map[string]any)["code"] = v.code
		for k, val := range v.change {
			data[k] = val
		}
		b, _ = json.Marshal(data)
		form, err := fvg.Program{}.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		a, err := form.(program.Allocator).Allocation(params)
		if err != nil {
			t.Fatal(err)
		}
		name, cf := form.(program.Identified).Applicant()
		snap.Inputs = append(snap.Inputs, Input{ID: "facility:" + v.code, Name: name, FiscalCode: cf, SubmissionID: "sub_example" + string(rune('1'+i)),
			Protocol: v.protocol, Weight: a.Weight.RatString(), Cap: a.Cap, CapReason: a.CapReason, Explanation: a.Explanation})
	}
	return snap
}

// docs/riparto.md shows one decree table produced from the example data:
// this test regenerates it (go test ./shared/allocation -run TestDocs -update)
// and fails when the docs no longer match the code.
func TestDocsShowTheDecreeTableOfTheExampleData(t *testing.T) {
	snap := exampleSnapshot(t, 3000000)
	res, err := Compute(snap)
	if err != nil {
		t.Fatal(err)
	}
	run := Run{ID: "alloc_example", CallID: snap.CallID, Status: Done, Fund: snap.Fund, Allocated: res.Allocated, Unallocated: res.Unallocated,
		EngineVersion: res.EngineVersion, InputSHA256: "(impronta di inputs.json)", FinishedAt: time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)}
	lines := StoredLines(snap, res)
	var sum money.Cents
	for _, l := range lines {
		sum += l.Amount
	}
	if sum != snap.Fund || res.Unallocated != 0 {
		t.Fatalf("the example allocates %s of %s", sum, snap.Fund)
	}
	table := DecreeTable(run, lines).Markdown()
	const begin, end = "<!-- decree-table:begin -->\n", "<!-- decree-table:end -->"
	path := "../../docs/riparto.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q … %q", path, begin, end)
	}
	got := string(doc[i+len(begin) : j])
	if got == table {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(string(doc[:i+len(begin)])+table+string(doc[j:])), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("docs/riparto.md shows another decree table; run with -update. Want:\n%s", table)
}
