package riparto

import (
	"fmt"
	"time"

	"sportello/shared/export"
)

// The columns of a riparto, in Italian for the officers who open the files.
var exportColumns = []export.Column{
	{Header: "id", Kind: export.Text, Width: 24},
	{Header: "denominazione", Kind: export.Text, Width: 34},
	{Header: "peso", Kind: export.Decimal, Width: 12},
	{Header: "quota_esatta_euro", Kind: export.Decimal, Width: 18},
	{Header: "tetto_euro", Kind: export.Euro, Width: 16},
	{Header: "motivo_tetto", Kind: export.Text, Width: 34},
	{Header: "tetto_applicato", Kind: export.Text, Width: 10},
	{Header: "arrotondamento_euro", Kind: export.Euro, Width: 12},
	{Header: "importo_euro", Kind: export.Euro, Width: 18},
	{Header: "spiegazione", Kind: export.Text, Width: 90},
}

// TotalNote is the last cell of the total row: the balance an auditor checks.
func (r Result) TotalNote() string {
	return fmt.Sprintf("Fondo %s euro; ripartito %s euro; non ripartito %s euro. Motore %s.",
		r.Fund, r.Allocated, r.Unallocated, r.EngineVersion)
}

// Table describes the riparto as an export (one row per line, then the
// total with the balance); names maps ids to display names. The same
// description gives the CSV and the workbook (package export).
func (r Result) Table(names map[string]string, generated time.Time) *export.Table {
	t := &export.Table{Name: "Riparto", Columns: exportColumns, Generated: generated}
	for _, l := range r.Lines {
		share, exact := RawShareEuros(l)
		if !exact {
			share += "…"
		}
		t.Rows = append(t.Rows, []export.Value{
			export.T(l.ID), export.T(names[l.ID]), export.Dec(WeightString(l.Weight)), export.Dec(share), export.OptE(l.Cap),
			export.T(l.CapReason), export.T(yesNo(l.Capped)), export.E(l.Rounding), export.E(l.Amount), export.T(r.Explanation(l)),
		})
	}
	t.Total = make([]export.Value, len(exportColumns))
	t.Total[0], t.Total[8], t.Total[9] = export.T("TOTALE"), export.E(r.Allocated), export.T(r.TotalNote())
	return t
}

func yesNo(b bool) string {
	if b {
		return "sì"
	}
	return "no"
}
