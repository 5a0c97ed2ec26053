package rendiconto

import (
	"testing"

	"sportello/shared/apigw"
	"sportello/shared/problem"
)

// FuzzClaimRequest feeds any body through the API's strict decoder and the
// assessment: a claim is either assessed (every line's share the
// calculator's, the sum exact) or refused with a problem — never a panic.
func FuzzClaimRequest(f *testing.F) {
	f.Add([]byte(`{"period":{"from":1,"to":4},"lines":[{"child":"c1","childFiscalCode":"BMBAXX23A01F205X","facility":"NIDO-MI-01","month":2,"fee":"600.00","iseeBand":"fino_20000","bornFrom2024":false,"paidByFamily":false,"attendanceEvidence":"registro"}]}`))
	f.Add([]byte(`{"period":{"from":11,"to":1},"lines":[]}`))
	f.Add([]byte(`{"lines":[{"month":99,"fee":"-1"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req ClaimRequest
		if err := apigw.DecodeJSON(body, &req); err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("decoder error is not a problem: %v", err)
			}
			return
		}
		as, err := Assess(req.Period, req.Lines, admitted)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("assessment error is not a problem: %v", err)
			}
			return
		}
		claimed, recognised := Sum(as)
		if claimed != recognised || claimed <= 0 {
			t.Fatalf("claimed %s recognised %s", claimed, recognised)
		}
	})
}
