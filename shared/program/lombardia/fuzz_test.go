package lombardia

import (
	"encoding/json"
	"testing"

	"sportello/shared/clock"
	"sportello/shared/problem"
	"sportello/shared/program"
	pt "sportello/shared/program/programtest"
)

// FuzzDecode: whatever arrives, Decode answers a form or a problem, and a
// form that decodes can be checked, priced for documents and summarised
// without panicking.
func FuzzDecode(f *testing.F) {
	ex := pt.Load(f, "lombardia-milano.json")
	raw, err := json.Marshal(ex.Data)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add(raw[:len(raw)/2])
	ctx := program.Context{Org: ex.Org, Now: clock.InRome(2025, 7, 20, 10, 0), Registry: pt.Registry(f),
		Params: map[string]string{"referenceContributionPerChild": "1500.00"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		form, err := New().Decode(b)
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
