package pdfdoc

import (
	"bytes"
	"testing"
	"time"
)

func receipt() ReceiptData {
	return ReceiptData{Region: "Lombardia", CallTitle: "Nidi Gratis Plus 2025/2026 – adesione", Org: "comune:015146", OrgName: "Milano",
		SubmissionID: "sub_x", ProtocolNumber: "LOM-2025-000042", FiledAt: time.Date(2025, 9, 10, 9, 59, 59, 0, time.UTC),
		GeneratedAt: time.Date(2025, 9, 10, 10, 0, 0, 0, time.UTC),
		Documents:   []Document{{Kind: "delibera_giunta", Filename: "delibera città.p7m", SHA256: "ab12"}}}
}

func TestReceiptShowsProtocolAndFilingTime(t *testing.T) {
	b, err := Receipt(receipt())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"%PDF-", "LOM-2025-000042", "10/09/2025 alle 11:59:59 \\(ora di Roma\\)", "SHA-256 ab12", "citt\xe0"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Fatalf("receipt lacks %q", want)
		}
	}
	again, _ := Receipt(receipt())
	if !bytes.Equal(b, again) {
		t.Fatal("the same receipt must render to the same bytes")
	}
}

func TestApplicationRendersSections(t *testing.T) {
	b, err := Application(ApplicationData{Title: "Allegato A1", Subtitle: "Scheda riassuntiva", Applicant: "Comune di Milano",
		GeneratedAt: time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC),
		Sections:    []Section{{Title: "Dati generali", Rows: [][2]string{{"PEC", "protocollo@postacert.comune.milano.it"}}}}})
	if err != nil || !bytes.Contains(b, []byte("protocollo@postacert.comune.milano.it")) {
		t.Fatalf("%v", err)
	}
}
