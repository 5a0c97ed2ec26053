// Package pdfdoc renders the PDFs people keep: the protocol receipt and
// the generated application (the Lombardy Allegato A1 facsimile) that the
// legal representative signs and uploads.
//
// Output is deterministic: the same input gives the same bytes (creation
// date from the input, sorted catalog), so a receipt's SHA-256 can be
// reproduced in an audit. Content streams are left uncompressed, which
// keeps the text searchable by tests and tools.
//
// Text is set in the PDF core fonts (Helvetica, Courier), whose encoding
// is Windows-1252: every Italian letter (àèéìòù, their capitals), « » and
// € print as written. A character outside Windows-1252 is printed without
// its diacritic when it has one (č → c) and as "?" otherwise; the record
// of truth is the stored data, the PDF is its rendering.
package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"sportello/shared/clock"
)

// Document is one uploaded document listed on a receipt.
type Document struct {
	Kind     string // the kind's id, e.g. "delibera_giunta"
	Title    string // the kind's Italian title; Kind is shown when empty
	Filename string
	SHA256   string // lowercase hex
}

// ReceiptData is what a protocol receipt shows.
type ReceiptData struct {
	Region, CallTitle string // Region's name, e.g. "Lombardia"
	Org, OrgName      string // applicant id and name
	SubmissionID      string
	ProtocolNumber    string
	FiledAt           time.Time // the filing instant, shown in Europe/Rome
	GeneratedAt       time.Time // also the PDF's creation date
	Documents         []Document
}

// Section is a titled block of label/value rows.
type Section struct {
	Title string
	Rows  [][2]string
}

// ApplicationData is a generated application.
type ApplicationData struct {
	Title, Subtitle string
	Applicant       string
	// GeneratedAt is the instant of the data shown (the draft's last
	// change), also the PDF's creation date: never the rendering time,
	// so that the same draft renders the same bytes.
	GeneratedAt time.Time
	Sections    []Section
}

const (
	margin     = 18.0
	labelWidth = 62.0
	lineHeight = 5.0
)

// doc wraps fpdf with the text folding and the layout rules.
type doc struct {
	pdf *fpdf.Fpdf
	tr  func(string) string
}

func newDoc(at time.Time, footer string) *doc { return newDocOriented("P", at, footer) }

// newDocOriented starts an A4 document, portrait ("P") or landscape ("L").
func newDocOriented(orientation string, at time.Time, footer string) *doc {
	pdf := fpdf.New(orientation, "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCatalogSort(true) // map order would otherwise vary between runs
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetCreator("sportello", true)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin+6)
	d := &doc{pdf: pdf, tr: cp1252}
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-margin)
		pdf.SetFont("Helvetica", "I", 7.5)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 4, d.text(footer), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 4, d.text(fmt.Sprintf("Pagina %d di {nb}", pdf.PageNo())), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	return d
}

// cp1252 turns text already folded to Windows-1252 (see text) into its
// bytes, as fpdf's own translator does (TestCP1252IsFpdfsTranslation), but
// without parsing fpdf's code page map with fmt.Sscanf for each document —
// a quarter of the time of rendering an application, which filing renders
// again to check the signed A1 — and without fpdf's shared buffer, which
// makes its translator unsafe for documents rendered at once.
func cp1252(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x80 {
			b = append(b, byte(r))
			continue
		}
		c, ok := charmap.Windows1252.EncodeRune(r)
		if !ok {
			c = '.' // as fpdf; text lets no such character through
		}
		b = append(b, c)
	}
	return string(b)
}

// text folds s into what the core fonts can print (see the package doc)
// and translates it to Windows-1252.
func (d *doc) text(s string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(s, "\r\n", "\n") {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r == '\u2212': // the minus sign of "spese − entrate"
			b.WriteByte('-')
		case r == '\n':
			b.WriteRune(r)
		case unicode.IsControl(r):
		case encodable(r):
			b.WriteRune(r)
		default:
			folded := false
			for _, c := range norm.NFD.String(string(r)) {
				if !unicode.Is(unicode.Mn, c) && encodable(c) {
					b.WriteRune(c)
					folded = true
				}
			}
			if !folded {
				b.WriteByte('?')
			}
		}
	}
	return d.tr(b.String())
}

func encodable(r rune) bool {
	_, ok := charmap.Windows1252.EncodeRune(r)
	return ok && r >= 0x20
}

func (d *doc) out() ([]byte, error) {
	var b bytes.Buffer
	if err := d.pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	return b.Bytes(), nil
}

func (d *doc) heading(size float64, s string) {
	d.pdf.SetFont("Helvetica", "B", size)
	d.pdf.MultiCell(0, size*0.5, d.text(s), "", "L", false)
}

// row sets a label beside its value, both wrapping in their columns, and
// keeps the pair on one page when it fits on one.
func (d *doc) row(label, value string) {
	pdf := d.pdf
	_, pageH := pdf.GetPageSize()
	left, _, right, bottom := pdf.GetMargins()
	pageW, _ := pdf.GetPageSize()
	valueWidth := pageW - left - right - labelWidth
	l, v := d.text(label), d.text(value)
	pdf.SetFont("Helvetica", "B", 9.5)
	labelLines := len(pdf.SplitLines([]byte(l), labelWidth-2))
	pdf.SetFont("Helvetica", "", 9.5)
	valueLines := len(pdf.SplitLines([]byte(v), valueWidth))
	h := float64(max(labelLines, valueLines, 1)) * lineHeight
	if h > pageH-2*margin-bottom {
		// Longer than a page: label above, value below, free to break.
		pdf.SetFont("Helvetica", "B", 9.5)
		pdf.MultiCell(0, lineHeight, l, "", "L", false)
		pdf.SetFont("Helvetica", "", 9.5)
		pdf.MultiCell(0, lineHeight, v, "", "L", false)
		return
	}
	if pdf.GetY()+h > pageH-bottom {
		pdf.AddPage()
	}
	x, y := pdf.GetXY()
	pdf.SetFont("Helvetica", "B", 9.5)
	pdf.MultiCell(labelWidth-2, lineHeight, l, "", "L", false)
	pdf.SetXY(x+labelWidth, y)
	pdf.SetFont("Helvetica", "", 9.5)
	pdf.MultiCell(valueWidth, lineHeight, v, "", "L", false)
	pdf.SetXY(x, y+h+0.8)
}

func (d *doc) sectionTitle(s string) {
	pdf := d.pdf
	_, pageH := pdf.GetPageSize()
	_, _, _, bottom := pdf.GetMargins()
	if pdf.GetY()+20 > pageH-bottom { // a title never ends a page alone
		pdf.AddPage()
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 10.5)
	pdf.SetFillColor(232, 232, 232)
	pdf.MultiCell(0, 6.5, d.text(s), "", "L", true)
	pdf.Ln(1)
}

// Receipt renders the protocol receipt.
func Receipt(r ReceiptData) ([]byte, error) {
	at := r.GeneratedAt
	if at.IsZero() {
		at = r.FiledAt
	}
	d := newDoc(at, "Ricevuta generata automaticamente dal sistema: non richiede firma.")
	pdf := d.pdf
	d.heading(14, "Regione "+r.Region)
	pdf.Ln(1)
	d.heading(12, "Ricevuta di protocollo")
	pdf.Ln(4)
	d.row("Bando", r.CallTitle)
	applicant := r.OrgName
	if r.Org != "" {
		applicant += " (" + r.Org + ")"
	}
	d.row("Ente richiedente", applicant)
	d.row("Domanda", r.SubmissionID)
	d.row("Numero di protocollo", r.ProtocolNumber)
	d.row("Data e ora di invio", clock.FormatRome(r.FiledAt))
	d.sectionTitle(fmt.Sprintf("Documenti allegati (%d)", len(r.Documents)))
	if len(r.Documents) == 0 {
		pdf.SetFont("Helvetica", "", 9.5)
		pdf.MultiCell(0, lineHeight, d.text("Nessun documento."), "", "L", false)
	}
	for i, doc := range r.Documents {
		kind := doc.Title
		if kind == "" {
			kind = doc.Kind
		}
		d.row(fmt.Sprintf("%d. %s", i+1, kind), doc.Filename)
		// The hash in a fixed-width font, whole on one line, so that it
		// can be read back and compared character by character.
		pdf.SetFont("Courier", "", 7) // 72 characters fit the value column
		pdf.SetX(margin + labelWidth)
		pdf.CellFormat(0, 4, "SHA-256 "+doc.SHA256, "", 1, "L", false, 0, "")
		pdf.Ln(1.5)
	}
	pdf.Ln(5)
	pdf.SetFont("Helvetica", "", 8.5)
	pdf.MultiCell(0, 4.2, d.text("L'orario di invio è quello in cui la domanda è giunta al sistema, nel fuso orario di Roma. "+
		"La domanda inviata non è più modificabile. L'impronta SHA-256 identifica ciascun documento così come è stato ricevuto. "+
		"Ricevuta generata automaticamente il "+clock.FormatRome(at)+"."), "", "L", false)
	return d.out()
}

// Application renders a generated application: title, subtitle, the
// applicant, the sections, and the block the legal representative signs.
func Application(a ApplicationData) ([]byte, error) {
	d := newDoc(a.GeneratedAt, "Documento generato automaticamente dai dati della domanda.")
	pdf := d.pdf
	d.heading(14, a.Title)
	if a.Subtitle != "" {
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(0, 5, d.text(a.Subtitle), "", "L", false)
	}
	pdf.Ln(3)
	d.row("Ente richiedente", a.Applicant)
	d.row("Dati della domanda al", clock.FormatRome(a.GeneratedAt))
	for _, s := range a.Sections {
		d.sectionTitle(s.Title)
		for _, r := range s.Rows {
			d.row(r[0], r[1])
		}
	}
	_, pageH := pdf.GetPageSize()
	_, _, _, bottom := pdf.GetMargins()
	if pdf.GetY()+42 > pageH-bottom {
		pdf.AddPage()
	}
	pdf.Ln(10)
	pdf.SetFont("Helvetica", "", 9.5)
	pdf.MultiCell(0, lineHeight, d.text("Il legale rappresentante dichiara che i dati sopra riportati sono veritieri."), "", "L", false)
	pdf.Ln(4)
	pdf.SetX(pdf.GetX() + 85)
	pdf.SetFont("Helvetica", "B", 10)
	pdf.MultiCell(0, 6, d.text("Firmato digitalmente dal legale rappresentante"), "LTR", "C", false)
	pdf.SetX(margin + 85)
	pdf.SetFont("Helvetica", "I", 8)
	pdf.MultiCell(0, 4.5, d.text("ai sensi del D.Lgs. 82/2005 (Codice dell'amministrazione digitale), con firma CAdES (.p7m) o PAdES"),
		"LBR", "C", false)
	return d.out()
}
