package export

import (
	"encoding/json"
	"strings"
	"time"

	"sportello/shared/clock"
)

// jsonValue is one value as the API writes it: euro as money strings
// ("1234.56"), integers as numbers, decimals as exact strings, dates as
// "2025-11-30", instants as RFC 3339 with the Rome offset, text as is;
// an empty cell is null.
func jsonValue(k Kind, v Value) any {
	if !v.set {
		return nil
	}
	switch k {
	case Euro:
		return v.cents
	case Integer:
		return v.n
	case Date:
		return v.t.In(clock.Rome).Format(time.DateOnly)
	case DateTime:
		return v.t.In(clock.Rome).Format(time.RFC3339)
	}
	return v.text
}

// JSON writes the table as {name, generatedAt, columns, rows, total}, each
// row an object keyed by the column headers: the same data as the CSV and
// the workbook, for programs.
func (t *Table) JSON() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	obj := func(r []Value) map[string]any {
		m := make(map[string]any, len(r))
		for i, v := range r {
			m[t.Columns[i].Header] = jsonValue(t.Columns[i].Kind, v)
		}
		return m
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = c.Header
	}
	rows := make([]map[string]any, len(t.Rows))
	for i, r := range t.Rows {
		rows[i] = obj(r)
	}
	doc := map[string]any{"name": t.Name, "generatedAt": t.Generated.In(clock.Rome).Format(time.RFC3339), "columns": cols, "rows": rows}
	if t.Total != nil {
		doc["total"] = obj(t.Total)
	}
	return json.Marshal(doc)
}

// PDFColumns is the part of the table a PDF annex shows: the columns with
// a PDF width, as display text (see DisplayText), numbers aligned right.
func (t *Table) PDFColumns() (header []string, widths []float64, right []bool, rows [][]string, total []string) {
	var keep []int
	for i, c := range t.Columns {
		if c.PDFWidth > 0 {
			keep = append(keep, i)
			header = append(header, c.Header)
			widths = append(widths, c.PDFWidth)
			right = append(right, c.Kind == Euro || c.Kind == Integer || c.Kind == Decimal)
		}
	}
	line := func(r []Value) []string {
		out := make([]string, len(keep))
		for j, i := range keep {
			out[j] = DisplayText(t.Columns[i].Kind, r[i])
		}
		return out
	}
	for _, r := range t.Rows {
		rows = append(rows, line(r))
	}
	if t.Total != nil {
		total = line(t.Total)
	}
	return header, widths, right, rows, total
}

// Markdown writes the PDF annex's columns as a Markdown table (the docs
// show a decree table this way, regenerated from the example data).
func (t *Table) Markdown() string {
	header, _, right, rows, total := t.PDFColumns()
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + cell(c) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|")
	for _, r := range right {
		if r {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		line(r)
	}
	if total != nil {
		line(total)
	}
	return b.String()
}
