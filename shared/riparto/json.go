package riparto

import (
	"encoding/json"
	"math/big"

	"sportello/shared/money"
)

// lineJSON is a line on the wire. Amounts are money strings ("1234.56");
// weight is exact ("12.5" or "1/3"); rawShare is the exact share in euros
// to six decimals, truncated, and rawShareExact the same share as an exact
// fraction of euros, so nothing is lost. "org" repeats "id" for the
// allocation listing of docs/architecture ({org, weight, amount, caps, …}).
type lineJSON struct {
	ID                 string       `json:"id"`
	Org                string       `json:"org"`
	Weight             string       `json:"weight"`
	RawShare           string       `json:"rawShare"`
	RawShareExact      string       `json:"rawShareExact"`
	Amount             money.Cents  `json:"amount"`
	Cap                *money.Cents `json:"cap"`
	Capped             bool         `json:"capped"`
	CapReason          string       `json:"capReason,omitempty"`
	Caps               []string     `json:"caps"` // the caps that bound (at most one today)
	RoundingAdjustment money.Cents  `json:"roundingAdjustment"`
	Explanation        string       `json:"explanation"`
}

func (l Line) wire(explanation string) lineJSON {
	share, _ := RawShareEuros(l)
	exact := ""
	if l.RawShare != nil {
		exact = new(big.Rat).Quo(l.RawShare, big.NewRat(100, 1)).RatString()
	}
	w := lineJSON{ID: l.ID, Org: l.ID, Weight: WeightString(l.Weight), RawShare: share, RawShareExact: exact,
		Amount: l.Amount, Cap: l.Cap, Capped: l.Capped, CapReason: l.CapReason, Caps: []string{},
		RoundingAdjustment: l.Rounding, Explanation: explanation}
	if l.Capped {
		reason := l.CapReason
		if reason == "" {
			reason = "tetto"
		}
		w.Caps = append(w.Caps, reason)
	}
	return w
}

// MarshalJSON writes {fund, allocated, unallocated, engineVersion, lines};
// each line is {id, org, weight, rawShare, rawShareExact, amount, cap,
// capped, capReason, caps, roundingAdjustment, explanation}.
func (r Result) MarshalJSON() ([]byte, error) {
	lines := make([]lineJSON, len(r.Lines))
	for i, l := range r.Lines {
		lines[i] = l.wire(r.Explanation(l))
	}
	return json.Marshal(struct {
		Fund          money.Cents `json:"fund"`
		Allocated     money.Cents `json:"allocated"`
		Unallocated   money.Cents `json:"unallocated"`
		EngineVersion string      `json:"engineVersion"`
		Lines         []lineJSON  `json:"lines"`
	}{r.Fund, r.Allocated, r.Unallocated, r.EngineVersion, lines})
}
