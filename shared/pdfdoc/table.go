package pdfdoc

import (
	"time"

	"sportello/shared/clock"
)

// TableData is a list fit to attach to a decree: the Region's heading, a
// title, label/value rows saying what the list is, then the table (A4
// landscape, the header repeated on every page), the total row and a
// closing note.
type TableData struct {
	Region, Title, Subtitle string
	Meta                    [][2]string
	Header                  []string
	Widths                  []float64 // mm, one per column; they fill the page width when they add up to it
	Right                   []bool    // columns aligned right (amounts)
	Rows                    [][]string
	Total                   []string // nil: no total row
	Note                    string
	GeneratedAt             time.Time // the data's instant: also the PDF's creation date
}

const cellPad = 1.2

// Table renders a TableData.
func Table(t TableData) ([]byte, error) {
	d := newDocOriented("L", t.GeneratedAt, "Documento generato dai dati registrati nel sistema; l'impronta dei dati è indicata in testa.")
	pdf := d.pdf
	d.heading(14, "Regione "+t.Region)
	pdf.Ln(1)
	d.heading(12, t.Title)
	if t.Subtitle != "" {
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(0, 5, d.text(t.Subtitle), "", "L", false)
	}
	pdf.Ln(3)
	for _, m := range t.Meta {
		d.row(m[0], m[1])
	}
	pdf.Ln(3)
	d.tableHeader(t)
	for _, r := range t.Rows {
		d.tableRow(t, r, false)
	}
	if t.Total != nil {
		d.tableRow(t, t.Total, true)
	}
	if t.Note != "" {
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "", 8.5)
		pdf.MultiCell(0, 4.2, d.text(t.Note), "", "L", false)
	}
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "", 8.5)
	pdf.MultiCell(0, 4.2, d.text("Dati aggiornati al "+clock.FormatRome(t.GeneratedAt)+"."), "", "L", false)
	return d.out()
}

func (d *doc) tableHeader(t TableData) {
	pdf := d.pdf
	pdf.SetFont("Helvetica", "B", 7.5)
	pdf.SetFillColor(232, 232, 232)
	d.cells(t, t.Header, true, true)
}

// tableRow sets one row; a row that would cross the page bottom starts a
// new page, with the header again.
func (d *doc) tableRow(t TableData, cells []string, bold bool) {
	pdf := d.pdf
	style := ""
	if bold {
		style = "B"
	}
	pdf.SetFont("Helvetica", style, 7.5)
	h := d.rowHeight(t, cells)
	_, pageH := pdf.GetPageSize()
	_, _, _, bottom := pdf.GetMargins()
	if pdf.GetY()+h > pageH-bottom {
		pdf.AddPage()
		d.tableHeader(t)
		pdf.SetFont("Helvetica", style, 7.5)
	}
	d.cells(t, cells, bold, false)
}

func (d *doc) rowHeight(t TableData, cells []string) float64 {
	lines := 1
	for i, c := range cells {
		n := len(d.pdf.SplitLines([]byte(d.text(c)), t.Widths[i]-2*cellPad))
		lines = max(lines, n)
	}
	return float64(lines)*3.6 + 1.6
}

func (d *doc) cells(t TableData, cells []string, fill, header bool) {
	pdf := d.pdf
	h := d.rowHeight(t, cells)
	x, y := pdf.GetXY()
	for i, c := range cells {
		w := t.Widths[i]
		if fill {
			pdf.Rect(x, y, w, h, "FD")
		} else {
			pdf.Rect(x, y, w, h, "D")
		}
		align := "L"
		if !header && i < len(t.Right) && t.Right[i] {
			align = "R"
		}
		pdf.SetXY(x+cellPad, y+0.8)
		pdf.MultiCell(w-2*cellPad, 3.6, d.text(c), "", align, false)
		x += w
	}
	pdf.SetXY(margin, y+h)
}
