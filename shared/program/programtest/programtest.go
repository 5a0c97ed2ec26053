// Package programtest helps the programs' table tests: it loads an example
// application from events/submissions, applies one change, and checks that
// the change causes exactly the field error the rule names.
package programtest

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	samples "sportello/events"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/registry"
)

// Example is one file of events/submissions.
type Example struct {
	Org       string         `json:"org"`
	Data      map[string]any `json:"data"`
	Documents []struct {
		Kind string `json:"kind"`
		// File is a fixture of events/files, or GeneratedSummary: the
		// application generated from the draft, signed by the test.
		File        string `json:"file"`
		ContentType string `json:"contentType"`
		Ref         string `json:"ref"` // the facility a per-item document is for
	} `json:"documents"`
}

// GeneratedSummary, as an example document's file, is the summary the
// system generates from the draft (GET /v1/submissions/{id}/summary),
// signed: it cannot be a fixed file, since it must be the draft's own.
const GeneratedSummary = "@summary"

// Load reads an example.
func Load(t testing.TB, name string) Example {
	t.Helper()
	b, err := samples.FS.ReadFile("submissions/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ex Example
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex
}

// Registry is the demo registry of events/submissions with the ISTAT list.
func Registry(t testing.TB) *registry.Memory {
	t.Helper()
	b, err := samples.FS.ReadFile("submissions/demo-registry.json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Preloaded  []program.PreloadedService `json:"preloaded"`
		Facilities []program.Facility         `json:"facilities"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	pre, err := registry.PreloadedRows(r.Preloaded)
	if err != nil {
		t.Fatal(err)
	}
	fac, err := registry.FacilityRows(r.Facilities)
	if err != nil {
		t.Fatal(err)
	}
	return registry.NewMemory(samples.Comuni(), append(pre, fac...))
}

// Set changes the value at a dotted path ("services.1.status"); a nil
// value deletes the key. Missing objects on the way are created.
func Set(data map[string]any, path string, value any) {
	parts := strings.Split(path, ".")
	var cur any = data
	for _, p := range parts[:len(parts)-1] {
		switch c := cur.(type) {
		case map[string]any:
			if _, ok := c[p]; !ok {
				c[p] = map[string]any{}
			}
			cur = c[p]
		case []any:
			i, _ := strconv.Atoi(p)
			cur = c[i]
		}
	}
	last := parts[len(parts)-1]
	switch c := cur.(type) {
	case map[string]any:
		if value == nil {
			delete(c, last)
		} else {
			c[last] = value
		}
	case []any:
		i, _ := strconv.Atoi(last)
		c[i] = value
	}
}

// Changes applies several changes in order.
func Changes(changes ...func(map[string]any)) func(map[string]any) {
	return func(d map[string]any) {
		for _, c := range changes {
			c(d)
		}
	}
}

// To is a change setting one path.
func To(path string, v any) func(map[string]any) {
	return func(d map[string]any) { Set(d, path, v) }
}

// Clone deep-copies example data.
func Clone(data map[string]any) map[string]any {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// Case is one rule: a change and the field error it must cause. Field ""
// means the changed form must pass. Unless Others is set, the error must
// be the only one, so that a case proves its rule and nothing else.
type Case struct {
	Name   string
	Change func(map[string]any)
	Field  string
	Code   string
	Others bool
	Org    string    // filing org, if not the example's
	At     time.Time // filing instant, if not Run's
}

// Run decodes and checks each case's form against the demo registry, with
// the call parameters params, as filed at at.
func Run(t *testing.T, p program.Program, ex Example, at time.Time, params map[string]string, cases []Case) {
	t.Helper()
	reg := Registry(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			data := Clone(ex.Data)
			if c.Change != nil {
				c.Change(data)
			}
			org, when := ex.Org, at
			if c.Org != "" {
				org = c.Org
			}
			if !c.At.IsZero() {
				when = c.At
			}
			fields := Fields(t, p, data, program.Context{Org: org, Now: when, Registry: reg, Params: params})
			if c.Field == "" {
				if len(fields) > 0 {
					t.Fatalf("want a clean form, got %+v", fields)
				}
				return
			}
			found := false
			for _, f := range fields {
				if f.Message == "" {
					t.Errorf("%s has no message", f.Field)
				}
				if f.Field == c.Field && f.Code == c.Code {
					found = true
				} else if !c.Others {
					t.Errorf("unexpected %s %s: %s", f.Field, f.Code, f.Message)
				}
			}
			if !found {
				t.Fatalf("want %s %s, got %+v", c.Field, c.Code, fields)
			}
		})
	}
}

// Fields decodes data and returns the decode errors, or else Check's.
func Fields(t testing.TB, p program.Program, data map[string]any, ctx program.Context) problem.Fields {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	form, err := p.Decode(raw)
	if err != nil {
		pe, ok := problem.As(err)
		if !ok || len(pe.Fields) == 0 {
			t.Fatalf("decode: %v", err)
		}
		return pe.Fields
	}
	return form.Check(ctx)
}

// Decode decodes example data (changed by change, if not nil) and fails
// the test if it does not decode.
func Decode(t testing.TB, p program.Program, ex Example, change func(map[string]any)) program.Form {
	t.Helper()
	data := Clone(ex.Data)
	if change != nil {
		change(data)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	form, err := p.Decode(raw)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return form
}

// Kinds returns the required documents by kind with their counts.
func Kinds(needs []program.DocumentNeed) map[string]int {
	out := map[string]int{}
	for _, n := range needs {
		out[n.Kind] += n.Count
	}
	return out
}

// CheckExampleDocuments fails unless the example's document list covers
// exactly the kinds and counts the form requires, each kind one the
// program accepts with the fixture's content type, and each fixture is
// signed where the kind must be.
func CheckExampleDocuments(t *testing.T, p program.Program, ex Example, form program.Form, ctx program.Context) {
	t.Helper()
	kinds := map[string]program.DocumentKind{}
	for _, k := range p.DocumentKinds() {
		kinds[k.Kind] = k
	}
	have := map[string]int{}
	for _, d := range ex.Documents {
		k, ok := kinds[d.Kind]
		if !ok {
			t.Errorf("example document kind %q unknown to the program", d.Kind)
			continue
		}
		if !contains(k.ContentTypes, d.ContentType) {
			t.Errorf("%s: content type %s not accepted", d.Kind, d.ContentType)
		}
		if k.MustBeSigned && d.File == "unsigned.pdf" {
			t.Errorf("%s must be signed but the example uses %s", d.Kind, d.File)
		}
		if k.PerItem != "" && d.Ref == "" {
			t.Errorf("%s is per %s: the example must name it (ref)", d.Kind, k.PerItem)
		}
		if d.File == GeneratedSummary {
			if _, ok := form.(program.SignedSummary); !ok {
				t.Errorf("%s: %s, but the form generates no summary to sign", d.Kind, d.File)
			}
		} else if _, err := samples.FS.ReadFile("files/" + d.File); err != nil {
			t.Errorf("%s: fixture %s: %v", d.Kind, d.File, err)
		}
		have[d.Kind]++
		have[d.Kind+"["+d.Ref+"]"]++
	}
	want := Kinds(form.RequiredDocuments(ctx))
	for k, n := range want {
		if have[k] < n {
			t.Errorf("the example lacks %d × %s", n-have[k], k)
		}
	}
	for _, n := range form.RequiredDocuments(ctx) {
		if n.Ref != "" && have[n.Kind+"["+n.Ref+"]"] < n.Count {
			t.Errorf("the example lacks %s for %s", n.Kind, n.Ref)
		}
	}
	for k := range have {
		if want[k] == 0 && !strings.Contains(k, "[") {
			t.Logf("the example adds optional %s", k)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
