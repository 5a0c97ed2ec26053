// Package export describes a table the Region downloads (the elenco of
// admitted and excluded applications, the decree data of a riparto, the
// Piemonte service registry) once, and writes that one description as an
// Italian CSV, an Excel workbook or the rows of a PDF table. Nobody writes
// a second, hand-made writer for a format: each column says what its
// values are (text, euro, integer, decimal, date, instant) and every
// format follows from that.
//
// CSV is what Italian Excel opens in columns: UTF-8 with a BOM, ";" as
// separator, "," as decimal separator and no thousands separator
// ("1234,56"), dates gg/mm/aaaa and instants gg/mm/aaaa hh:mm:ss in
// Europe/Rome. A text cell starting with = + - @, a tab or a carriage
// return is neutralised with a leading apostrophe (CSV injection, OWASP).
//
// XLSX has numeric cells for euro amounts (format #,##0.00 "€"), integers
// and exact decimals, real date cells, a bold frozen header and column
// widths. Text is always a string cell, never a formula, so a name such as
// "=HYPERLINK(…)" is shown as written and nothing runs.
//
// Output is deterministic: the same table gives the same bytes (the
// workbook's creation date is the table's Generated instant, not the
// clock), so an export regenerated from the same stored inputs is
// byte-identical.
package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"sportello/shared/clock"
	"sportello/shared/money"
)

// Kind is what a column holds.
type Kind uint8

const (
	Text     Kind = iota
	Euro          // money.Cents
	Integer       // int64
	Decimal       // an exact decimal written with a dot ("52.4"), or a fraction ("1/3") shown as text
	Date          // a calendar day, gg/mm/aaaa in Rome
	DateTime      // an instant, gg/mm/aaaa hh:mm:ss in Rome
)

// Column is one column: its header (the same in every format), what it
// holds, its width in the workbook (characters) and in a PDF annex (mm; 0
// leaves it out of the PDF, whose page is narrower than a sheet).
type Column struct {
	Header   string
	Kind     Kind
	Width    float64
	PDFWidth float64
}

// Value is one cell. The zero Value is an empty cell.
type Value struct {
	set   bool
	text  string
	cents money.Cents
	n     int64
	t     time.Time
}

// Constructors, one per kind. The column's Kind decides how a value is
// written; a value of another kind in a column is a programming error
// reported by the writers.

// T is a text cell.
func T(s string) Value { return Value{set: true, text: s} }

// E is a euro amount.
func E(c money.Cents) Value { return Value{set: true, cents: c} }

// OptE is an optional euro amount (nil is an empty cell).
func OptE(c *money.Cents) Value {
	if c == nil {
		return Value{}
	}
	return E(*c)
}

// N is an integer.
func N(n int64) Value { return Value{set: true, n: n} }

// Dec is an exact decimal ("52.4") or fraction ("1/3").
func Dec(s string) Value { return Value{set: s != "", text: s} }

// At is a date or an instant (zero is an empty cell).
func At(t time.Time) Value {
	if t.IsZero() {
		return Value{}
	}
	return Value{set: true, t: t}
}

// Table is one export.
type Table struct {
	// Name is the sheet's name and the base of the file name.
	Name    string
	Columns []Column
	Rows    [][]Value
	// Total, when not nil, is a last bold row (the balance an auditor checks).
	Total []Value
	// Generated is the instant the data is as of, taken from the stored
	// inputs (never the clock): the workbook's creation date.
	Generated time.Time
}

func (t *Table) check() error {
	for i, row := range append(t.Rows, t.Total) {
		if row == nil && i == len(t.Rows) {
			continue
		}
		if len(row) != len(t.Columns) {
			return fmt.Errorf("export %s: row %d has %d cells for %d columns", t.Name, i+1, len(row), len(t.Columns))
		}
	}
	return nil
}

// CSVText neutralises text a spreadsheet would run as a formula.
func CSVText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// italianDecimal writes "1234.56" as "1234,56".
func italianDecimal(s string) string { return strings.Replace(s, ".", ",", 1) }

// csvCell writes one value of a column as the Italian CSV shows it.
func csvCell(k Kind, v Value) string {
	if !v.set {
		return ""
	}
	switch k {
	case Euro:
		return italianDecimal(v.cents.String())
	case Integer:
		return strconv.FormatInt(v.n, 10)
	case Decimal:
		return italianDecimal(v.text)
	case Date:
		return v.t.In(clock.Rome).Format("02/01/2006")
	case DateTime:
		return v.t.In(clock.Rome).Format("02/01/2006 15:04:05")
	}
	return CSVText(v.text)
}

// DisplayText writes one value as people read it in a document (the PDF
// annex): euro with the Italian thousands separator ("1.234,56"), dates as
// in the CSV, text as written.
func DisplayText(k Kind, v Value) string {
	if !v.set {
		return ""
	}
	switch k {
	case Euro:
		return thousands(v.cents.String())
	case Text:
		return v.text
	}
	return csvCell(k, v)
}

// thousands writes "1234567.89" as "1.234.567,89".
func thousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte(',')
		b.WriteString(frac)
	}
	return b.String()
}

// WriteCSV writes the Italian CSV (see the package doc).
func (t *Table) WriteCSV(w io.Writer) error {
	if err := t.check(); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true // what Excel writes and expects
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = CSVText(c.Header)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	rows := t.Rows
	if t.Total != nil {
		rows = append(rows[:len(rows):len(rows)], t.Total)
	}
	rec := make([]string, len(t.Columns))
	for _, r := range rows {
		for i, v := range r {
			rec[i] = csvCell(t.Columns[i].Kind, v)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// CSV is WriteCSV into memory.
func (t *Table) CSV() ([]byte, error) {
	var b bytes.Buffer
	err := t.WriteCSV(&b)
	return b.Bytes(), err
}

// XLSX is WriteXLSX into memory.
func (t *Table) XLSX() ([]byte, error) {
	var b bytes.Buffer
	err := t.WriteXLSX(&b)
	return b.Bytes(), err
}

// EuroNumber converts cents to the spreadsheet's number: the float64
// nearest to cents/100, which Excel shows back as the same two decimals
// (every amount money allows has far fewer than 15 significant digits).
func EuroNumber(c money.Cents) float64 {
	f, _ := new(big.Rat).SetFrac64(int64(c), 100).Float64()
	return f
}

// decimalNumber is a decimal's spreadsheet number, when the float64 reads
// back as the same decimal (ok false: keep it as text, nothing is lost).
func decimalNumber(s string) (float64, bool) {
	if strings.Contains(s, "/") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	back, ok2 := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
	if !ok || !ok2 || r.Cmp(back) != 0 {
		return 0, false
	}
	return f, true
}
