package allocation

import (
	"fmt"
	"time"

	"sportello/shared/export"
	"sportello/shared/riparto"
)

// StoredLines joins the engine's lines with their frozen inputs.
func StoredLines(snap Snapshot, res riparto.Result) []Line {
	byID := make(map[string]Input, len(snap.Inputs))
	for _, in := range snap.Inputs {
		byID[in.ID] = in
	}
	out := make([]Line, len(res.Lines))
	for i, l := range res.Lines {
		in := byID[l.ID]
		out[i] = Line{Line: l, Name: in.Name, FiscalCode: in.FiscalCode, SubmissionID: in.SubmissionID, Protocol: in.Protocol, Criteria: in.Explanation}
	}
	return out
}

// Result is a finished run as the engine gave it.
func Result(run Run, lines []Line) riparto.Result {
	res := riparto.Result{Fund: run.Fund, Allocated: run.Allocated, Unallocated: run.Unallocated, EngineVersion: run.EngineVersion,
		Lines: make([]riparto.Line, len(lines))}
	for i, l := range lines {
		res.Lines[i] = l.Line
	}
	return res
}

func names(lines []Line) map[string]string {
	out := make(map[string]string, len(lines))
	for _, l := range lines {
		out[l.ID] = l.Name
	}
	return out
}

// RipartoTable is the run's riparto export (every line with its exact
// share, cap and explanation), as of the run's end: the stored CSV and
// XLSX and every download are this one table, byte for byte.
func RipartoTable(run Run, lines []Line) *export.Table {
	return Result(run, lines).Table(names(lines), run.AsOf())
}

// The decree's columns: what a concession decree states for each
// beneficiary.
var decreeColumns = []export.Column{
	{Header: "n", Kind: export.Integer, Width: 5, PDFWidth: 7},
	{Header: "denominazione", Kind: export.Text, Width: 34, PDFWidth: 38},
	{Header: "codice_fiscale_piva", Kind: export.Text, Width: 18, PDFWidth: 24},
	{Header: "beneficiario", Kind: export.Text, Width: 22, PDFWidth: 26},
	{Header: "protocollo_domanda", Kind: export.Text, Width: 20, PDFWidth: 30},
	{Header: "criteri_applicati", Kind: export.Text, Width: 60, PDFWidth: 78},
	{Header: "peso", Kind: export.Decimal, Width: 10, PDFWidth: 14},
	{Header: "tetto_euro", Kind: export.Euro, Width: 16, PDFWidth: 20},
	{Header: "motivo_tetto", Kind: export.Text, Width: 40},
	{Header: "importo_euro", Kind: export.Euro, Width: 18, PDFWidth: 24},
}

// DecreeTable is the data of a concession decree for a finished run: per
// beneficiary its name, fiscal code, the protocol of its application, the
// criteria with the weight and the cap that bound it, the amount; the total
// row carries the fund, the allocated and unallocated amounts, the inputs'
// SHA-256 and the engine version.
func DecreeTable(run Run, lines []Line) *export.Table {
	t := &export.Table{Name: "Dati decreto", Columns: decreeColumns, Generated: run.AsOf()}
	res := Result(run, lines)
	for i, l := range lines {
		criteria := l.Criteria
		if l.Capped {
			criteria += " " + res.Explanation(l.Line)
		}
		t.Rows = append(t.Rows, []export.Value{export.N(int64(i + 1)), export.T(l.Name), export.T(l.FiscalCode), export.T(l.ID),
			export.T(l.Protocol), export.T(criteria), export.Dec(riparto.WeightString(l.Weight)), export.OptE(l.Cap),
			export.T(capReason(l)), export.E(l.Amount)})
	}
	t.Total = make([]export.Value, len(decreeColumns))
	t.Total[1], t.Total[5], t.Total[9] = export.T("TOTALE"), export.T(DecreeNote(run)), export.E(run.Allocated)
	return t
}

// capReason names the cap that bound a line ("" when none did).
func capReason(l Line) string {
	if !l.Capped {
		return ""
	}
	return l.CapReason
}

// DecreeNote is the balance and the provenance of a decree table.
func DecreeNote(run Run) string {
	return fmt.Sprintf("Fondo %s euro; assegnato %s euro; non assegnato %s euro. Impronta SHA-256 dei dati di input %s; motore %s; riparto %s.",
		run.Fund, run.Allocated, run.Unallocated, run.InputSHA256, run.EngineVersion, run.ID)
}

// AsOf is the instant a run's exports are dated: when it was first taken,
// the same for every worker that takes it, so outputs are byte for byte
// the same however many times the run is taken (runs stored before
// leases existed fall back to their finish).
func (r Run) AsOf() time.Time {
	if r.StartedAt != nil {
		return *r.StartedAt
	}
	return r.FinishedAt
}
