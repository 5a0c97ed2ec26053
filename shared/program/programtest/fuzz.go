package programtest

import (
	"encoding/json"
	"testing"
	"time"

	"sportello/shared/problem"
	"sportello/shared/program"
)

// FuzzDecode is every program's fuzz target: whatever arrives, Decode
// answers a form or a problem, and a form that decodes can be checked,
// priced for documents, allocated and summarised without panicking. The
// example file seeds the corpus.
func FuzzDecode(f *testing.F, p program.Program, example string, at time.Time, params map[string]string) {
	ex := Load(f, example)
	raw, err := json.Marshal(ex.Data)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{raw, []byte(`{}`), []byte(`null`), []byte(`{"a":1,"a":2}`), raw[:len(raw)/2]} {
		f.Add(seed)
	}
	ctx := program.Context{Org: ex.Org, Now: at, Registry: Registry(f), Params: params}
	f.Fuzz(func(t *testing.T, b []byte) {
		form, err := p.Decode(b)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		form.Check(ctx)
		form.RequiredDocuments(ctx)
		form.Claims(ex.Org)
		form.Summary()
		if a, ok := form.(program.Allocator); ok {
			a.Allocation(ctx.Params) //nolint:errcheck // an incomplete form may refuse; it must not panic
		}
		if s, ok := form.(program.Summarizer); ok {
			s.Sections()
		}
	})
}
