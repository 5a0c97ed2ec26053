package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sportello/shared/clock"
)

// Issue #18: intake rules of the three seeds, each end to end through the
// HTTP API with its Italian error or its e-mail.

// withData returns the example's data with changes applied (dotted paths,
// as programtest.Set; nil deletes).
func withData(t *testing.T, ex example, changes map[string]any) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ex.Data, &m); err != nil {
		t.Fatal(err)
	}
	for path, v := range changes {
		setPath(m, path, v)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	var cur any = m
	for _, p := range parts[:len(parts)-1] {
		switch c := cur.(type) {
		case map[string]any:
			if _, ok := c[p]; !ok {
				c[p] = map[string]any{}
			}
			cur = c[p]
		case []any:
			var i int
			fmt.Sscan(p, &i)
			cur = c[i]
		}
	}
	last := parts[len(parts)-1]
	switch c := cur.(type) {
	case map[string]any:
		if v == nil {
			delete(c, last)
		} else {
			c[last] = v
		}
	case []any:
		var i int
		fmt.Sscan(last, &i)
		c[i] = v
	}
}

// uploadAll uploads the example's documents, each verified.
func (e *env) uploadAll(id, tok string, ex example) {
	e.t.Helper()
	for _, d := range ex.Documents {
		up := e.upload(id, tok, d.Kind, d.File, d.ContentType)
		if st, reason := e.documentStatus(id, tok, up["id"].(string)); st != "verified" {
			e.t.Fatalf("%s %s: %s %s", d.Kind, d.File, st, reason)
		}
	}
}

// fieldError finds a field's error in a problem.
func fieldError(t *testing.T, r response, field string) (code, message string) {
	t.Helper()
	errs, _ := r.json(t)["errors"].([]any)
	for _, x := range errs {
		m := x.(map[string]any)
		if m["field"] == field {
			return m["code"].(string), m["message"].(string)
		}
	}
	return "", ""
}

func outbox(t *testing.T, e *env) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.rt.OutboxDir, "*.eml"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// Item 10: a declared 11 months with an operator since 29/10/2024 fails on
// monthsOfOperation (at most 10 whole months of 2024/25).
func TestFVGMonthsOfOperationFollowTheOperatorStart(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ex := loadExample(t, "fvg-udine.json")
	tok := e.applicant(ex.Org)
	id := e.draft(FVGCall, tok, ex.Org, withData(t, ex, map[string]any{"operatorSince": "2024-10-29", "monthsOfOperation": 11}))
	e.uploadAll(id, tok, ex)
	r := e.do("POST", "/v1/submissions/"+id+"/submit", tok, nil)
	code, msg := fieldError(t, r, "data.monthsOfOperation")
	if r.Status != 422 || code != "invalid" || !strings.Contains(msg, "dal 29/10/2024") || !strings.Contains(msg, "al massimo 10, non 11") {
		t.Fatalf("11 months since 29/10/2024: %d %s", r.Status, r.Body)
	}
}

// Item 11: FVG's "entro il 21/07/2025" closes at 22/07/2025 00:00 Rome and
// is said the way the act wrote it.
func TestFVGDeadlineSaysEntroIl21Luglio(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ex := loadExample(t, "fvg-udine.json")
	tok := e.applicant(ex.Org)
	c := e.do("GET", "/v1/calls/"+FVGCall, tok, nil).json(t)
	w := c["windows"].([]any)[0].(map[string]any)
	if w["deadline"] != "entro il 21/07/2025" || w["closesOn"] != "2025-07-21" || !strings.HasPrefix(w["closesAt"].(string), "2025-07-22T00:00:00") {
		t.Fatalf("window: %v", w)
	}
	id := e.draft(FVGCall, tok, ex.Org, ex.Data)
	e.uploadAll(id, tok, ex)
	e.clk.Set(clock.InRome(2025, 7, 22, 0, 0))
	tok = e.applicant(ex.Org)
	r := e.do("POST", "/v1/submissions/"+id+"/submit", tok, nil)
	detail, _ := r.json(t)["detail"].(string)
	if r.Status != 409 || problemCode(t, r) != "window_closed" || !strings.Contains(detail, "era entro il 21/07/2025") || strings.Contains(detail, "scaduto il 22/07/2025") {
		t.Fatalf("late: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2025, 7, 21, 23, 59).Add(59*time.Second + 999*time.Millisecond))
	if r := e.do("POST", "/v1/submissions/"+id+"/submit", tok, nil); r.Status != 200 {
		t.Fatalf("21/07 23:59:59.999 is in time: %d %s", r.Status, r.Body)
	}
}
