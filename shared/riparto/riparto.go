// Package riparto splits a fund among beneficiaries in proportion to their
// weights, to the cent, with optional caps. It is pure arithmetic on exact
// integers and rationals (no floating point anywhere), so an officer can
// redo any line by hand:
//
//  1. Water-filling. Beneficiaries are taken in ascending order of cap per
//     unit of weight. One whose proportional share of what is left would
//     reach its cap gets exactly the cap, and the rest of the fund is shared
//     again among the others — until nobody else reaches a cap.
//  2. Cents. Each remaining beneficiary gets the floor of its exact share;
//     the cents left over (fewer than the number of beneficiaries) go one
//     each to the largest remainders, ties broken by larger weight, then by
//     id in byte order (largest-remainder method). No line ends above its
//     cap: an uncapped share is below its cap, so its ceiling is at most the
//     cap.
//
// Lines sum to the fund exactly, or, when every cap binds, to the sum of
// the caps with the rest reported as unallocated. The result does not
// depend on the order of the input.
package riparto

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"sportello/shared/money"
	"sportello/shared/problem"
)

// EngineVersion is stored with every run, so a re-run can be matched to
// the rules that produced it.
const EngineVersion = "riparto/1"

// Beneficiary is one participant.
type Beneficiary struct {
	ID        string
	Weight    *big.Rat     // ≥ 0, exact
	Cap       *money.Cents // nil when uncapped
	CapReason string       // why the cap (shown in the explanation)
}

// Line is one beneficiary's allocation and how it came about.
type Line struct {
	ID        string
	Weight    *big.Rat
	RawShare  *big.Rat // exact share in cents before rounding (the cap when capped)
	Amount    money.Cents
	Cap       *money.Cents
	Capped    bool
	CapReason string
	Rounding  money.Cents // 0 or 1 cent from the largest-remainder step
}

// Result of a riparto.
type Result struct {
	Fund, Allocated, Unallocated money.Cents
	Lines                        []Line // by ID
	EngineVersion                string
}

func invalid(format string, args ...any) error {
	return &problem.Error{Code: problem.CodeValidation, Detail: fmt.Sprintf(format, args...)}
}

// Allocate splits fund among bs.
func Allocate(fund money.Cents, bs []Beneficiary) (Result, error) {
	if fund < 0 {
		return Result{}, invalid("Il fondo non può essere negativo.")
	}
	if len(bs) == 0 {
		return Result{}, invalid("Nessun beneficiario: il riparto non si può calcolare.")
	}
	// Scale every weight to an integer over the common denominator, so
	// shares are integer divisions.
	den := big.NewInt(1)
	ids := make(map[string]bool, len(bs))
	var f problem.Fields
	for i, b := range bs {
		switch {
		case b.ID == "":
			f.Add(fmt.Sprintf("beneficiaries[%d].id", i), problem.FieldRequired, "Identificativo mancante.")
		case ids[b.ID]:
			f.Add(fmt.Sprintf("beneficiaries[%d].id", i), problem.FieldInvalid, "Identificativo ripetuto: %s.", b.ID)
		}
		ids[b.ID] = true
		if b.Weight == nil || b.Weight.Sign() < 0 {
			f.Add(fmt.Sprintf("beneficiaries[%d].weight", i), problem.FieldInvalid, "Il peso deve essere un numero non negativo.")
			continue
		}
		if b.Cap != nil && *b.Cap < 0 {
			f.Add(fmt.Sprintf("beneficiaries[%d].cap", i), problem.FieldInvalid, "Il tetto non può essere negativo.")
		}
		if d := b.Weight.Denom(); d.Cmp(den) != 0 { // den = lcm(den, d)
			g := new(big.Int).GCD(nil, nil, den, d)
			den.Mul(den, new(big.Int).Quo(d, g))
		}
	}
	if err := f.Err(problem.CodeValidation, "I beneficiari non sono validi."); err != nil {
		return Result{}, err
	}
	n := len(bs)
	w := make([]big.Int, n) // integer weights
	total := new(big.Int)
	for i, b := range bs {
		w[i].Mul(b.Weight.Num(), new(big.Int).Quo(den, b.Weight.Denom()))
		total.Add(total, &w[i])
	}
	if total.Sign() == 0 {
		return Result{}, invalid("Tutti i pesi sono zero: il riparto non si può calcolare.")
	}

	// Water-filling in ascending cap/weight; zero weights and uncapped
	// beneficiaries never bind.
	order := make([]int, 0, n)
	for i, b := range bs {
		if b.Cap != nil && w[i].Sign() > 0 {
			order = append(order, i)
		}
	}
	var l, r big.Int
	cents := func(c money.Cents) *big.Int { return big.NewInt(int64(c)) }
	slices.SortFunc(order, func(a, b int) int {
		// cap_a/w_a vs cap_b/w_b
		l.Mul(cents(*bs[a].Cap), &w[b])
		r.Mul(cents(*bs[b].Cap), &w[a])
		if c := l.Cmp(&r); c != 0 {
			return c
		}
		return strings.Compare(bs[a].ID, bs[b].ID)
	})
	capped := make([]bool, n)
	remaining := big.NewInt(int64(fund))
	weight := new(big.Int).Set(total)
	for _, i := range order {
		// binds when cap_i · W ≤ R · w_i
		l.Mul(cents(*bs[i].Cap), weight)
		r.Mul(remaining, &w[i])
		if l.Cmp(&r) > 0 {
			break
		}
		capped[i] = true
		remaining.Sub(remaining, cents(*bs[i].Cap))
		weight.Sub(weight, &w[i])
	}

	res := Result{Fund: fund, EngineVersion: EngineVersion, Lines: make([]Line, n)}
	type rem struct {
		i int
		r big.Int
	}
	rems := make([]rem, 0, n)
	var allocated, floors int64
	q := new(big.Int)
	for i, b := range bs {
		line := Line{ID: b.ID, Weight: b.Weight, Cap: b.Cap, CapReason: b.CapReason}
		switch {
		case capped[i]:
			line.Capped, line.Amount = true, *b.Cap
			line.RawShare = new(big.Rat).SetInt64(int64(*b.Cap))
		case weight.Sign() == 0 || w[i].Sign() == 0:
			line.RawShare = new(big.Rat)
		default:
			num := new(big.Int).Mul(remaining, &w[i])
			line.RawShare = new(big.Rat).SetFrac(num, weight)
			rems = append(rems, rem{i: i})
			q.QuoRem(num, weight, &rems[len(rems)-1].r)
			line.Amount = money.Cents(q.Int64())
			floors += q.Int64()
		}
		allocated += int64(line.Amount)
		res.Lines[i] = line
	}
	left := int64(0) // cents still to give: fewer than the uncapped lines
	if len(rems) > 0 {
		left = remaining.Int64() - floors
	}
	slices.SortFunc(rems, func(a, b rem) int {
		if c := b.r.Cmp(&a.r); c != 0 {
			return c
		}
		if c := w[b.i].Cmp(&w[a.i]); c != 0 {
			return c
		}
		return strings.Compare(bs[a.i].ID, bs[b.i].ID)
	})
	for k := int64(0); k < left; k++ {
		res.Lines[rems[k].i].Amount++
		res.Lines[rems[k].i].Rounding = 1
		allocated++
	}
	res.Allocated = money.Cents(allocated)
	res.Unallocated = fund - res.Allocated
	slices.SortFunc(res.Lines, func(a, b Line) int { return strings.Compare(a.ID, b.ID) })
	return res, nil
}

// Explanation says, in Italian, how a line was computed.
func (l Line) Explanation() string {
	switch {
	case l.Capped:
		reason := l.CapReason
		if reason == "" {
			reason = "tetto"
		}
		return fmt.Sprintf("Peso %s. Quota limitata al tetto di %s euro (%s): l'eccedenza è ripartita tra gli altri.", ratString(l.Weight), l.Amount, reason)
	case l.Weight.Sign() == 0:
		return "Peso zero: nessuna quota."
	case l.Rounding > 0:
		return fmt.Sprintf("Peso %s. Quota esatta %s euro, arrotondata per difetto più 1 centesimo assegnato per resto maggiore.", ratString(l.Weight), euros(l.RawShare))
	default:
		return fmt.Sprintf("Peso %s. Quota esatta %s euro, arrotondata per difetto al centesimo.", ratString(l.Weight), euros(l.RawShare))
	}
}

// ratString renders a weight exactly when it is a finite decimal, with up
// to 6 decimals otherwise.
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	for places := 1; places <= 6; places++ {
		s := r.FloatString(places)
		back, _ := new(big.Rat).SetString(s)
		if back.Cmp(r) == 0 {
			return s
		}
	}
	return r.FloatString(6) + "…"
}

// euros renders an exact share in cents as euros with 4 decimals.
func euros(cents *big.Rat) string {
	return new(big.Rat).Quo(cents, big.NewRat(100, 1)).FloatString(4)
}
