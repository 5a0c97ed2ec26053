package riparto

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/xuri/excelize/v2"

	"sportello/shared/money"
)

// The export columns, in Italian for the officers who open the files.
var exportHeader = []string{
	"id", "denominazione", "peso", "quota_esatta_euro", "tetto_euro", "motivo_tetto",
	"tetto_applicato", "arrotondamento_euro", "importo_euro", "spiegazione",
}

// totalNote is the last cell of the total row: the balance an auditor checks.
func totalNote(r Result) string {
	return fmt.Sprintf("Fondo %s euro; ripartito %s euro; non ripartito %s euro. Motore %s.",
		r.Fund, r.Allocated, r.Unallocated, r.EngineVersion)
}

func exportRow(l Line, names map[string]string) []string {
	share, exact := RawShareEuros(l)
	if !exact {
		share += "…"
	}
	return []string{
		cellText(l.ID), cellText(names[l.ID]), WeightString(l.Weight), share, capString(l.Cap),
		cellText(l.CapReason), yesNo(l.Capped), l.Rounding.String(), l.Amount.String(), cellText(l.Explanation()),
	}
}

// cellText defuses text a spreadsheet would run as a formula (CSV
// injection): a leading = + - @ or control character gets a quote.
func cellText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "sì"
	}
	return "no"
}

// WriteCSV writes the lines as RFC 4180 CSV (comma-separated) in UTF-8
// with a BOM, so spreadsheet programs read the accents; amounts are
// "1234.56" with a dot; the last row is the total with the balance of
// fund, allocated and unallocated. names maps ids to display names (nil
// leaves the column empty).
func WriteCSV(w io.Writer, r Result, names map[string]string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, l := range r.Lines {
		if err := cw.Write(exportRow(l, names)); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	total := make([]string, len(exportHeader))
	total[0], total[8], total[9] = "TOTALE", r.Allocated.String(), totalNote(r)
	if err := cw.Write(total); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// euroNumber converts cents to the spreadsheet's number: the float64
// nearest to cents/100, which Excel shows back as the same two decimals
// (every amount money allows has far fewer than 15 significant digits).
func euroNumber(c money.Cents) float64 {
	f, _ := new(big.Rat).SetFrac64(int64(c), 100).Float64()
	return f
}

// XLSXSheet is the name of the sheet WriteXLSX writes.
const XLSXSheet = "Riparto"

// WriteXLSX writes the same table as an Excel workbook: tetto, arrotondamento
// and importo are numeric cells formatted #,##0.00 (computed from the
// cents), the rest text; the header row is frozen; the last row is the total.
// It streams rows, so a million lines do not sit in memory as cells.
func WriteXLSX(w io.Writer, r Result, names map[string]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), XLSXSheet); err != nil {
		return fmt.Errorf("xlsx sheet: %w", err)
	}
	euro, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // built-in 4 = #,##0.00
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	boldEuro, err := f.NewStyle(&excelize.Style{NumFmt: 4, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	sw, err := f.NewStreamWriter(XLSXSheet)
	if err != nil {
		return fmt.Errorf("xlsx stream: %w", err)
	}
	for col, width := range []float64{22, 30, 12, 18, 14, 30, 10, 12, 16, 90} {
		if err := sw.SetColWidth(col+1, col+1, width); err != nil {
			return fmt.Errorf("xlsx width: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("xlsx panes: %w", err)
	}
	header := make([]any, len(exportHeader))
	for i, h := range exportHeader {
		header[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("xlsx header: %w", err)
	}
	for i, l := range r.Lines {
		text := exportRow(l, names)
		row := make([]any, len(text))
		for c, s := range text {
			row[c] = s
		}
		row[4] = nil
		if l.Cap != nil {
			row[4] = excelize.Cell{StyleID: euro, Value: euroNumber(*l.Cap)}
		}
		row[7] = excelize.Cell{StyleID: euro, Value: euroNumber(l.Rounding)}
		row[8] = excelize.Cell{StyleID: euro, Value: euroNumber(l.Amount)}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("xlsx row %d: %w", i+2, err)
		}
	}
	total := make([]any, len(exportHeader))
	total[0] = excelize.Cell{StyleID: bold, Value: "TOTALE"}
	total[8] = excelize.Cell{StyleID: boldEuro, Value: euroNumber(r.Allocated)}
	total[9] = totalNote(r)
	cell, _ := excelize.CoordinatesToCellName(1, len(r.Lines)+2)
	if err := sw.SetRow(cell, total); err != nil {
		return fmt.Errorf("xlsx total: %w", err)
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
