package export

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"sportello/shared/clock"
)

// Number formats of the workbook. Excel shows them with the reader's
// locale separators: "1.234,56 €" and "31/01/2025" on an Italian PC.
const (
	euroFormat     = `#,##0.00\ "€"`
	dateFormat     = "dd/mm/yyyy"
	dateTimeFormat = "dd/mm/yyyy hh:mm:ss"
)

// styles are the workbook's cell styles, by kind, plain and bold (total).
type styles struct {
	header int
	plain  [DateTime + 1]int
	bold   [DateTime + 1]int
}

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	var err error
	if s.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8E8E8"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
		return s, fmt.Errorf("xlsx style: %w", err)
	}
	for k := Text; k <= DateTime; k++ {
		for i, bold := range []bool{false, true} {
			st := &excelize.Style{Font: &excelize.Font{Bold: bold}, Alignment: &excelize.Alignment{Vertical: "top"}}
			switch k {
			case Euro:
				f := euroFormat
				st.CustomNumFmt = &f
			case Date:
				f := dateFormat
				st.CustomNumFmt = &f
			case DateTime:
				f := dateTimeFormat
				st.CustomNumFmt = &f
			case Integer:
				st.NumFmt = 1 // "0"
			}
			id, err := f.NewStyle(st)
			if err != nil {
				return s, fmt.Errorf("xlsx style: %w", err)
			}
			if i == 0 {
				s.plain[k] = id
			} else {
				s.bold[k] = id
			}
		}
	}
	return s, nil
}

// xlsxCell is one value as the workbook holds it: numbers as numbers,
// instants as Rome wall-clock dates (Excel has no time zones), text as
// strings (never formulas).
func xlsxCell(k Kind, v Value, style int) (any, error) {
	if !v.set {
		return nil, nil
	}
	var val any
	switch k {
	case Euro:
		val = EuroNumber(v.cents)
	case Integer:
		val = v.n
	case Decimal:
		if f, ok := decimalNumber(v.text); ok {
			val = f
		} else {
			val = v.text
		}
	case Date, DateTime:
		r := v.t.In(clock.Rome)
		if k == Date {
			val = time.Date(r.Year(), r.Month(), r.Day(), 0, 0, 0, 0, time.UTC)
		} else {
			val = time.Date(r.Year(), r.Month(), r.Day(), r.Hour(), r.Minute(), r.Second(), 0, time.UTC)
		}
	default:
		val = v.text
	}
	return excelize.Cell{StyleID: style, Value: val}, nil
}

// WriteXLSX writes the workbook (see the package doc). It streams rows,
// so a long list does not sit in memory as cells.
func (t *Table) WriteXLSX(w io.Writer) error {
	if err := t.check(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := t.Name
	if len(sheet) > 31 { // Excel's limit for a sheet name
		sheet = sheet[:31]
	}
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return fmt.Errorf("xlsx sheet: %w", err)
	}
	at := t.Generated.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "sportello", LastModifiedBy: "sportello", Title: t.Name,
		Created: at, Modified: at, Language: "it-IT"}); err != nil {
		return fmt.Errorf("xlsx properties: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx stream: %w", err)
	}
	for i, c := range t.Columns {
		width := c.Width
		if width == 0 {
			width = 14
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("xlsx width: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("xlsx panes: %w", err)
	}
	header := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = excelize.Cell{StyleID: st.header, Value: c.Header}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("xlsx header: %w", err)
	}
	write := func(n int, r []Value, bold bool) error {
		row := make([]any, len(r))
		for i, v := range r {
			k := t.Columns[i].Kind
			style := st.plain[k]
			if bold {
				style = st.bold[k]
			}
			var err error
			if row[i], err = xlsxCell(k, v, style); err != nil {
				return err
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("xlsx row %d: %w", n, err)
		}
		return nil
	}
	for i, r := range t.Rows {
		if err := write(i+2, r, false); err != nil {
			return err
		}
	}
	if t.Total != nil {
		if err := write(len(t.Rows)+2, t.Total, true); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
