package program

import (
	"errors"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar day ("2025-03-03"), with no time and no zone: the
// averaging periods and reference dates of the calls are days.
type Date struct{ time.Time }

// ParseDate reads YYYY-MM-DD strictly: a real calendar day (no 30
// February) between 1900 and 2100, nothing before or after it. The year
// bounds catch typos ("0225") and keep every date clear of the zero time,
// which means "not given".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != 10 || t.Year() < 1900 || t.Year() > 2100 {
		return Date{}, errDate
	}
	return Date{t}, nil
}

// MustDate is ParseDate for constants.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

var errDate = errors.New(`data non valida: usare il formato AAAA-MM-GG con un giorno esistente tra il 1900 e il 2100 (es. "2025-03-03")`)

// UnmarshalJSON accepts only a "YYYY-MM-DD" string (null leaves it unset).
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return errDate
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// String renders YYYY-MM-DD ("" when not given).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// Italian renders DD/MM/YYYY for people ("" when not given).
func (d Date) Italian() string {
	if d.IsZero() {
		return ""
	}
	return d.Format("02/01/2006")
}

// Set reports whether the date was given.
func (d Date) Set() bool { return !d.IsZero() }

// Before and After compare days.
func (d Date) Before(o Date) bool { return d.Time.Before(o.Time) }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Time.After(o.Time) }

// AddMonths moves by whole calendar months, clamping to the month's end
// (31 October + 4 months is 28/29 February, not 3 March).
func (d Date) AddMonths(n int) Date {
	y, m, day := d.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return Date{time.Date(first.Year(), first.Month(), min(day, last), 0, 0, 0, 0, time.UTC)}
}

// Decimal is a non-negative quantity with at most two decimals (an average
// number of children: "12.5"), held exactly in hundredths.
type Decimal struct {
	Hundredths int64
	Set        bool
}

var errDecimal = errors.New(`valore non valido: un numero non negativo come testo, con il punto e al massimo due decimali (es. "12.50")`)

// ParseDecimal reads "12", "12.5", "12.50".
func ParseDecimal(s string) (Decimal, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || len(intPart) > 9 || !allDigits(intPart) || (hasDot && (frac == "" || len(frac) > 2 || !allDigits(frac))) ||
		(len(intPart) > 1 && intPart[0] == '0') {
		return Decimal{}, errDecimal
	}
	n, _ := strconv.ParseInt(intPart, 10, 64)
	h := n * 100
	switch len(frac) {
	case 1:
		h += int64(frac[0]-'0') * 10
	case 2:
		h += int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	return Decimal{Hundredths: h, Set: true}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// UnmarshalJSON accepts only a decimal string (null leaves it unset).
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return errDecimal
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes "12.50".
func (d Decimal) MarshalJSON() ([]byte, error) {
	if !d.Set {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

func (d Decimal) String() string {
	return strconv.FormatInt(d.Hundredths/100, 10) + "." + pad2(d.Hundredths%100)
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// Rat is the exact value.
func (d Decimal) Rat() *big.Rat { return big.NewRat(d.Hundredths, 100) }
