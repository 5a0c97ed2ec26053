package pdfdoc

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"sportello/shared/pdfdoc/pdftext"
)

// pdfText is the text a reader sees (package pdftext), one shown string
// per line.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	lines, err := pdftext.Lines(b)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// oneLine joins wrapped lines so that a phrase can be found whatever the
// line breaks.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func receipt() ReceiptData {
	return ReceiptData{Region: "Lombardia", CallTitle: "Nidi Gratis Plus 2025/2026 – adesione dei Comuni", Org: "comune:015146", OrgName: "Comune di Milano",
		SubmissionID: "sub_01J9", ProtocolNumber: "LOM-2025-0000042",
		FiledAt:     time.Date(2026, 5, 18, 10, 0, 0, 0, time.UTC), // 12:00 in Rome (CEST)
		GeneratedAt: time.Date(2026, 5, 18, 10, 0, 5, 0, time.UTC),
		Documents: []Document{
			{Kind: "delibera_giunta", Title: "Delibera di Giunta di adesione", Filename: "delibera città.pdf.p7m", SHA256: strings.Repeat("ab", 32)},
			{Kind: "allegato_a3", Filename: "A3 firmato.pdf", SHA256: strings.Repeat("0f", 32)},
		}}
}

func TestReceiptShowsWhatWasFiledAndWhen(t *testing.T) {
	b, err := Receipt(receipt())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	text := oneLine(pdfText(t, b))
	for _, want := range []string{
		"Regione Lombardia", "Ricevuta di protocollo",
		"Numero di protocollo LOM-2025-0000042",
		"Data e ora di invio 18/05/2026 alle 12:00:00 (ora di Roma)",
		"Nidi Gratis Plus 2025/2026 – adesione dei Comuni",
		"Comune di Milano (comune:015146)",
		"1. Delibera di Giunta di adesione delibera città.pdf.p7m", "SHA-256 " + strings.Repeat("ab", 32),
		"2. allegato_a3 A3 firmato.pdf", "SHA-256 " + strings.Repeat("0f", 32),
		"Ricevuta generata automaticamente", "Pagina 1 di 1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the receipt does not show %q in:\n%s", want, text)
		}
	}
}

func TestSameInputSameBytes(t *testing.T) {
	a, _ := Receipt(receipt())
	b, _ := Receipt(receipt())
	if !bytes.Equal(a, b) {
		t.Fatal("the same receipt must render to the same bytes")
	}
	other := receipt()
	other.ProtocolNumber = "LOM-2025-0000043"
	c, _ := Receipt(other)
	if sha256.Sum256(a) == sha256.Sum256(c) {
		t.Fatal("another protocol number must change the bytes")
	}
	if !bytes.Contains(a, []byte("/CreationDate (D:20260518")) {
		t.Fatal("the creation date comes from the input")
	}
}

func TestItalianTextPrintsAsWritten(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"accented vowels and capitals print as written", "àèéìòù ÀÈÉÌÒÙ", "àèéìòù ÀÈÉÌÒÙ"},
		{"the euro sign prints", "Retta 538,00 €", "Retta 538,00 €"},
		{"typographic quotes and dashes print", "«Nido» – l’asilo", "«Nido» – l’asilo"},
		{"a letter outside Windows-1252 loses only its diacritic", "Sovodnje ob Soči", "Sovodnje ob Soci"},
		{"a symbol outside Windows-1252 becomes a question mark", "≥ 3 anni", "? 3 anni"},
		{"control characters are dropped and tabs become spaces", "a\x07b\tc", "ab c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Application(ApplicationData{Title: "Prova", Applicant: "Comune", GeneratedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				Sections: []Section{{Title: "Dati", Rows: [][2]string{{"Valore", tt.in}}}}})
			if err != nil {
				t.Fatal(err)
			}
			if text := oneLine(pdfText(t, b)); !strings.Contains(text, "Valore "+tt.want) {
				t.Fatalf("want %q in:\n%s", tt.want, text)
			}
		})
	}
}

func TestApplicationHasSectionsAndSignatureBlock(t *testing.T) {
	var rows [][2]string
	for i := range 60 { // enough rows for more than one page
		rows = append(rows, [2]string{fmt.Sprintf("Bambini iscritti al servizio numero %d, residenti nel Comune", i+1), strconv.Itoa(i * 3)})
	}
	long := strings.Repeat("testo molto lungo della dichiarazione ", 40)
	b, err := Application(ApplicationData{Title: "Allegato A1 – Scheda riassuntiva adesione", Subtitle: "Nidi Gratis Plus 2025/2026",
		Applicant: "Comune di Milano (comune:015146)", GeneratedAt: time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC),
		Sections: []Section{
			{Title: "Dati generali", Rows: [][2]string{{"PEC", "protocollo@postacert.comune.milano.it"}, {"Dichiarazione", long}}},
			{Title: "Servizi", Rows: rows},
		}})
	if err != nil {
		t.Fatal(err)
	}
	text := oneLine(pdfText(t, b))
	for _, want := range []string{
		"Allegato A1 – Scheda riassuntiva adesione", "Nidi Gratis Plus 2025/2026", "Ente richiedente Comune di Milano (comune:015146)",
		"Dati della domanda al 01/07/2025 alle 12:00:00 (ora di Roma)", "Dati generali", "PEC protocollo@postacert.comune.milano.it",
		oneLine(long), "Servizi", "Bambini iscritti al servizio numero 60, residenti nel Comune 177",
		"Firmato digitalmente dal legale rappresentante", "Pagina 2 di",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the application does not show %q", want)
		}
	}
	if strings.Index(text, "Firmato digitalmente") < strings.Index(text, "numero 60,") {
		t.Error("the signature block closes the document")
	}
}

// The code page translator is shared: applications rendered at once (a
// noon rush checks every signed A1) are each the same bytes as alone.
func TestApplicationsRenderedAtOnceAreTheSameBytes(t *testing.T) {
	data := ApplicationData{Title: "Allegato A1", Applicant: "Comune di Forlì", GeneratedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Sections: []Section{{Title: "Dati", Rows: [][2]string{{"Retta", "538,00 €"}, {"Nido", "«Il girotondo» – Città"}}}}}
	want, err := Application(data)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got, err := Application(data); err != nil || !bytes.Equal(got, want) {
				t.Errorf("a concurrent rendering differs (err %v)", err)
			}
		})
	}
	wg.Wait()
}

// cp1252 gives, for every character text lets through, the byte fpdf's
// own code page translator gives.
func TestCP1252IsFpdfsTranslation(t *testing.T) {
	fp := fpdf.New("P", "mm", "A4", "").UnicodeTranslatorFromDescriptor("cp1252")
	for r := rune(0); r <= 0xFFFF; r++ {
		if r != '\n' && r != '?' && !encodable(r) {
			continue
		}
		if got, want := cp1252(string(r)), fp(string(r)); got != want {
			t.Fatalf("U+%04X: %q, fpdf %q", r, got, want)
		}
	}
}
