package server

import (
	"fmt"
	"strings"
	"testing"

	"sportello/shared/clock"
	"sportello/shared/routes"
)

// The anonymous riparto calculator reads at most its route's bound, and
// whatever fits in it answers within the response bound (far under
// Lambda's 6 MB); a bigger body is refused by the front before the
// function reads it.
func TestThePublicRipartoCalculatorIsBoundedInAndOut(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 1, 9, 0))
	var limits routes.Limits
	for _, r := range routes.All() {
		if r.Key() == "POST /v1/calculators/riparto" {
			limits = routes.LimitsOf(r)
		}
	}
	body := func(n int, size int) string {
		var b strings.Builder
		b.WriteString(`{"fund":"999999999.99","beneficiaries":[`)
		for i := 0; (n > 0 && i < n) || (n == 0 && b.Len() < size-40); i++ {
			if i > 0 {
				b.WriteString(",")
			}
			if n > 0 {
				fmt.Fprintf(&b, `{"id":"comune:%06d","weight":"%d.25","cap":"%d.00"}`, i, 100+i, 10000+i)
			} else {
				fmt.Fprintf(&b, `{"id":"%d","weight":"1"}`, i)
			}
		}
		b.WriteString("]}")
		return b.String()
	}
	t.Run("a riparto over the 1,506 Comuni of Lombardy fits the bound", func(t *testing.T) {
		in := body(1506, 0)
		if len(in) > limits.MaxBody {
			t.Fatalf("1,506 Comuni take %d bytes, over the bound %d", len(in), limits.MaxBody)
		}
		if r := e.do("POST", "/v1/calculators/riparto", "", in); r.Status != 200 {
			t.Fatalf("%d %.300s", r.Status, r.Body)
		}
	})
	t.Run("the largest answer a body at the bound can ask for is within the response bound", func(t *testing.T) {
		in := body(0, limits.MaxBody)
		r := e.do("POST", "/v1/calculators/riparto", "", in)
		if r.Status != 200 || len(r.Body) > limits.MaxResponse {
			t.Fatalf("%d bytes in: status %d, %d bytes out (bound %d)", len(in), r.Status, len(r.Body), limits.MaxResponse)
		}
	})
	t.Run("one byte over the bound is refused with 413 before the function runs", func(t *testing.T) {
		in := body(0, limits.MaxBody)
		in += strings.Repeat(" ", limits.MaxBody+1-len(in)) // valid JSON, one byte too many
		r := e.do("POST", "/v1/calculators/riparto", "", in)
		if r.Status != 413 || problemCode(t, r) != "payload_too_large" {
			t.Fatalf("%d bytes: status %d %.300s", len(in), r.Status, r.Body)
		}
	})
}
