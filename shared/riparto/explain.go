package riparto

import (
	"fmt"
	"math/big"
	"strings"
)

// Places shown for an exact share in euros when it has more decimals. The
// figure is truncated, never rounded, so it never overstates the share and
// the floor to the cent is visible in it; "…" marks the truncation.
const rawSharePlaces = 6

// maxWeightPlaces is how many decimals a weight may show exactly; a weight
// with a longer (or endless) expansion is written as a fraction "a/b".
const maxWeightPlaces = 12

// Explanation says, in Italian, how a line of r was computed: the weight,
// the exact share, whether and which cap bound it, and the rounding. Where
// a cap bound, it says where the excess went — to the other beneficiaries,
// or, when every beneficiary reached its cap, nowhere: that money stays
// unallocated and the sentence says how much.
func (r Result) Explanation(l Line) string {
	var s strings.Builder
	if l.Weight == nil || l.Weight.Sign() == 0 {
		return "Peso zero: nessuna quota."
	}
	fmt.Fprintf(&s, "Peso %s. ", WeightString(l.Weight))
	if l.Capped {
		fmt.Fprintf(&s, "La quota proporzionale raggiunge il tetto di %s euro%s: assegnato il tetto", l.Amount, reasonSuffix(l.CapReason))
		if r.Unallocated > 0 {
			// Every beneficiary with a weight is capped (the engine's
			// invariant): nobody can take the excess.
			fmt.Fprintf(&s, ". Tutti i beneficiari hanno raggiunto il proprio tetto: l'eccedenza non può essere assegnata ad altri e %s euro del fondo restano non ripartiti.", r.Unallocated)
		} else {
			s.WriteString("; l'eccedenza è ripartita tra gli altri beneficiari.")
		}
		return s.String()
	}
	share, exact := RawShareEuros(l)
	if exact {
		fmt.Fprintf(&s, "Quota esatta %s euro", share)
	} else {
		fmt.Fprintf(&s, "Quota esatta %s… euro", share)
	}
	switch {
	case l.Rounding > 0:
		fmt.Fprintf(&s, ": %s euro troncando al centesimo, più 1 centesimo assegnato con il metodo dei resti maggiori; importo %s euro.", l.Amount-l.Rounding, l.Amount)
	case l.RawShare != nil && l.RawShare.IsInt():
		fmt.Fprintf(&s, ": importo %s euro.", l.Amount)
	default:
		fmt.Fprintf(&s, ", troncata al centesimo: importo %s euro.", l.Amount)
	}
	if l.Cap != nil {
		fmt.Fprintf(&s, " Il tetto di %s euro%s non è raggiunto.", *l.Cap, reasonSuffix(l.CapReason))
	}
	return s.String()
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

// WeightString writes a weight exactly: as a decimal ("52.4") when it has
// at most 12 decimals, otherwise as a fraction ("1/3").
func WeightString(w *big.Rat) string {
	if w == nil {
		return ""
	}
	if s, ok := exactDecimal(w, maxWeightPlaces); ok {
		return s
	}
	return w.RatString()
}

// RawShareEuros writes the line's exact share in euros, with up to six
// decimals, truncated; exact reports whether nothing was cut.
func RawShareEuros(l Line) (s string, exact bool) {
	if l.RawShare == nil {
		return "", false
	}
	euros := new(big.Rat).Quo(l.RawShare, big.NewRat(100, 1))
	if s, ok := exactDecimal(euros, rawSharePlaces); ok {
		return withPlaces(s, 2), true
	}
	return truncated(euros, rawSharePlaces), false
}

// exactDecimal writes a non-negative r as a finite decimal when its
// denominator is 2^a·5^b with max(a, b) ≤ maxPlaces.
func exactDecimal(r *big.Rat, maxPlaces int) (string, bool) {
	if r.IsInt() {
		return r.Num().String(), true
	}
	d := new(big.Int).Set(r.Denom())
	places := 0
	var q, m big.Int
	two, five := big.NewInt(2), big.NewInt(5)
	for a := 0; ; a++ {
		if q.QuoRem(d, two, &m); m.Sign() != 0 {
			places = max(places, a)
			break
		}
		d.Set(&q)
	}
	for b := 0; ; b++ {
		if q.QuoRem(d, five, &m); m.Sign() != 0 {
			places = max(places, b)
			break
		}
		d.Set(&q)
	}
	if d.Cmp(big.NewInt(1)) != 0 || places > maxPlaces {
		return "", false
	}
	return r.FloatString(places), true
}

// truncated writes a non-negative r with exactly p decimals, cut (not
// rounded).
func truncated(r *big.Rat, p int) string {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	n := new(big.Int).Mul(r.Num(), scale)
	n.Quo(n, r.Denom())
	s := n.String()
	if len(s) <= p {
		s = strings.Repeat("0", p-len(s)+1) + s
	}
	return s[:len(s)-p] + "." + s[len(s)-p:]
}

// withPlaces pads a decimal to at least p decimals ("300" → "300.00").
func withPlaces(s string, p int) string {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) >= p {
		return s
	}
	return whole + "." + frac + strings.Repeat("0", p-len(frac))
}
