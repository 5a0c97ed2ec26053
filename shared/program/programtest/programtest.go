// Package programtest helps the programs' table tests: it loads an example
// application from events/submissions, applies one change, and checks the
// field errors that change must cause.
package programtest

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"sportello/events"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/registry"
)

// Example is one file of events/submissions.
type Example struct {
	Org  string         `json:"org"`
	Data map[string]any `json:"data"`
}

// Load reads an example.
func Load(t testing.TB, name string) Example {
	t.Helper()
	b, err := events.FS.ReadFile("submissions/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ex Example
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex
}

// Registry is the demo registry with the ISTAT list.
func Registry(t testing.TB) *registry.Memory {
	t.Helper()
	b, err := events.FS.ReadFile("submissions/demo-registry.json")
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
	return registry.NewMemory(events.Comuni(), r.Preloaded, r.Facilities)
}

// Set changes the value at a dotted path ("services.1.status"); a nil
// value deletes the key.
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

// Clone deep-copies example data.
func Clone(data map[string]any) map[string]any {
	b, _ := json.Marshal(data)
	var out map[string]any
	json.Unmarshal(b, &out) //nolint:errcheck
	return out
}

// Case is one rule: a change and the field error it must cause (Field
// "" means the form must pass).
type Case struct {
	Name   string
	Change func(map[string]any)
	Field  string
	Code   string
}

// Run decodes and checks each case's form against the demo registry.
func Run(t *testing.T, p program.Program, ex Example, at time.Time, params map[string]string, cases []Case) {
	reg := Registry(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			data := Clone(ex.Data)
			if c.Change != nil {
				c.Change(data)
			}
			raw, _ := json.Marshal(data)
			form, err := p.Decode(raw)
			var fields problem.Fields
			if err != nil {
				pe, ok := problem.As(err)
				if !ok || len(pe.Fields) == 0 {
					t.Fatalf("decode: %v", err)
				}
				fields = pe.Fields
			} else {
				fields = form.Check(program.Context{Org: ex.Org, Now: at, Registry: reg, Params: params})
			}
			if c.Field == "" {
				if len(fields) > 0 {
					t.Fatalf("want a clean form, got %+v", fields)
				}
				return
			}
			for _, f := range fields {
				if f.Field == c.Field && (c.Code == "" || f.Code == c.Code) {
					if f.Message == "" {
						t.Fatalf("%s has no message", f.Field)
					}
					return
				}
			}
			t.Fatalf("want %s %s, got %+v", c.Field, c.Code, fields)
		})
	}
}
