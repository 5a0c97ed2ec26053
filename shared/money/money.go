// Package money holds euro amounts as integer cents. JSON carries them as
// decimal strings with a dot and at most two decimals ("800.00"), so that no
// client ever rounds a float on the way in or out.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Cents is an amount of euro cents.
type Cents int64

// ErrFormat is returned for anything that is not a plain decimal amount.
var ErrFormat = errors.New(`importo non valido: usare cifre con il punto e al massimo due decimali (es. "800.00")`)

// maxEuros keeps every amount far from int64 overflow even after
// multiplication by the small factors the programs use.
const maxEuros = 1_000_000_000_000 // 10^12 euro

// Parse reads "1234", "1234.5" or "1234.56" (an optional leading "-").
// It refuses commas, exponents, spaces, "+", thousands separators and
// more than two decimals: an officer's amount is never guessed.
func Parse(s string) (Cents, error) {
	if s == "" || len(s) > 20 {
		return 0, ErrFormat
	}
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || !digits(intPart) || (hasDot && (frac == "" || len(frac) > 2 || !digits(frac))) {
		return 0, ErrFormat
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return 0, ErrFormat
	}
	euros, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || euros > maxEuros {
		return 0, ErrFormat
	}
	var c int64
	switch len(frac) {
	case 1:
		c = int64(frac[0]-'0') * 10
	case 2:
		c = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	v := euros*100 + c
	if neg {
		v = -v
	}
	return Cents(v), nil
}

// ParseNonNegative is Parse for amounts that cannot be below zero.
func ParseNonNegative(s string) (Cents, error) {
	c, err := Parse(s)
	if err != nil {
		return 0, err
	}
	if c < 0 {
		return 0, errors.New("importo non valido: non può essere negativo")
	}
	return c, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Euros builds an amount from whole euros.
func Euros(e int64) Cents { return Cents(e * 100) }

// String formats as "1234.56" (always two decimals).
func (c Cents) String() string {
	v := int64(c)
	sign := ""
	if v < 0 {
		sign = "-"
		if v == math.MinInt64 {
			return "-92233720368547758.08"
		}
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MarshalJSON writes the amount as a decimal string.
func (c Cents) MarshalJSON() ([]byte, error) {
	return []byte(`"` + c.String() + `"`), nil
}

// UnmarshalJSON accepts only a JSON string in the Parse format: a bare
// number is refused because it may already have passed through a float.
// null leaves the amount unchanged, as encoding/json expects.
func (c *Cents) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return ErrFormat
	}
	v, err := Parse(string(b[1 : len(b)-1]))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// MulDivFloor returns c*num/den rounded down (towards minus infinity for
// negatives), without overflow for the magnitudes money allows.
func (c Cents) MulDivFloor(num, den int64) Cents {
	if den == 0 {
		panic("money: division by zero")
	}
	p := int64(c) * num
	q := p / den
	if (p%den != 0) && ((p < 0) != (den < 0)) {
		q--
	}
	return Cents(q)
}

// Italian writes an amount as Italian readers expect: "€ 1.234,56".
func (c Cents) Italian() string {
	s := c.String() // "-1234.56"
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, d := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(d)
	}
	return "€ " + sign + b.String() + "," + frac
}
