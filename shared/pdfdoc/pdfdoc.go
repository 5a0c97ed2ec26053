// Package pdfdoc renders the PDFs people keep: the protocol receipt and
// the generated application (the Lombardy Allegato A1 facsimile) to be
// signed and uploaded. Output is deterministic for the same input, and
// content streams are uncompressed so that the text can be checked.
package pdfdoc

import (
	"bytes"
	"fmt"
	"time"

	"github.com/go-pdf/fpdf"

	"sportello/shared/clock"
)

// Document is one uploaded document listed on a receipt.
type Document struct {
	Kind, Filename, SHA256 string
}

// ReceiptData is what a protocol receipt shows.
type ReceiptData struct {
	Region, CallTitle    string
	Org, OrgName         string
	SubmissionID         string
	ProtocolNumber       string
	FiledAt, GeneratedAt time.Time
	Documents            []Document
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
	GeneratedAt     time.Time
	Sections        []Section
}

func newDoc(at time.Time) (*fpdf.Fpdf, func(string) string) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCatalogSort(true) // map order would otherwise vary between runs
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetCreator("sportello", true)
	pdf.SetMargins(18, 18, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AddPage()
	// The core fonts speak cp1252: Italian accents and € print right.
	return pdf, pdf.UnicodeTranslatorFromDescriptor("cp1252")
}

func out(pdf *fpdf.Fpdf) ([]byte, error) {
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	return b.Bytes(), nil
}

func row(pdf *fpdf.Fpdf, tr func(string) string, label, value string) {
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(55, 6, tr(label), "", 0, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(0, 6, tr(value), "", "L", false)
}

// Receipt renders the protocol receipt.
func Receipt(r ReceiptData) ([]byte, error) {
	pdf, tr := newDoc(r.GeneratedAt)
	pdf.SetFont("Helvetica", "B", 15)
	pdf.MultiCell(0, 8, tr("Regione "+r.Region+" – Ricevuta di protocollo"), "", "L", false)
	pdf.Ln(3)
	row(pdf, tr, "Bando", r.CallTitle)
	row(pdf, tr, "Ente richiedente", r.OrgName+" ("+r.Org+")")
	row(pdf, tr, "Domanda", r.SubmissionID)
	row(pdf, tr, "Numero di protocollo", r.ProtocolNumber)
	row(pdf, tr, "Data e ora di invio", clock.FormatRome(r.FiledAt))
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(0, 7, tr("Documenti allegati"), "", 1, "L", false, 0, "")
	if len(r.Documents) == 0 {
		pdf.SetFont("Helvetica", "", 10)
		pdf.CellFormat(0, 6, tr("Nessun documento."), "", 1, "L", false, 0, "")
	}
	for _, d := range r.Documents {
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(0, 5, tr(d.Kind+" – "+d.Filename), "", "L", false)
		pdf.SetFont("Courier", "", 8)
		pdf.MultiCell(0, 4, "SHA-256 "+d.SHA256, "", "L", false)
		pdf.Ln(1)
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "I", 8)
	pdf.MultiCell(0, 4, tr("Ricevuta generata automaticamente il "+clock.FormatRome(r.GeneratedAt)+
		". L'orario di invio è quello di arrivo della richiesta al sistema. La domanda inviata non è più modificabile."), "", "L", false)
	return out(pdf)
}

// Application renders a generated application with a signature block.
func Application(a ApplicationData) ([]byte, error) {
	pdf, tr := newDoc(a.GeneratedAt)
	pdf.SetFont("Helvetica", "B", 14)
	pdf.MultiCell(0, 7, tr(a.Title), "", "L", false)
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(0, 5, tr(a.Subtitle), "", "L", false)
	pdf.Ln(2)
	row(pdf, tr, "Ente richiedente", a.Applicant)
	row(pdf, tr, "Generata il", clock.FormatRome(a.GeneratedAt))
	for _, s := range a.Sections {
		pdf.Ln(3)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.SetFillColor(230, 230, 230)
		pdf.MultiCell(0, 7, tr(s.Title), "", "L", true)
		for _, r := range s.Rows {
			row(pdf, tr, r[0], r[1])
		}
	}
	pdf.Ln(10)
	pdf.SetFont("Helvetica", "I", 10)
	pdf.MultiCell(0, 6, tr("Documento da firmare digitalmente (CAdES o PAdES) dal legale rappresentante e da caricare come \"Domanda di adesione firmata\"."), "", "L", false)
	return out(pdf)
}
