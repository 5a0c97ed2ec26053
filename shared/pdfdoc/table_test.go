package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func table(rows int) TableData {
	t := TableData{Region: "Friuli Venezia Giulia", Title: "Elenco degli ammessi e degli esclusi", Subtitle: "Contributo straordinario",
		Meta: [][2]string{{"Domande protocollate", fmt.Sprint(rows)}}, Header: []string{"n", "denominazione", "importo_euro"},
		Widths: []float64{10, 200, 51}, Right: []bool{true, false, true}, Total: []string{"", "TOTALE", "1.000,00"},
		Note: "Importi in euro.", GeneratedAt: time.Date(2025, 11, 30, 9, 0, 0, 0, time.UTC)}
	for i := range rows {
		t.Rows = append(t.Rows, []string{fmt.Sprint(i + 1), fmt.Sprintf("Gestore n. %d – Società «Il Nido» − sede", i+1), "10,00"})
	}
	return t
}

func TestTableListsEveryRowAndRepeatsTheHeaderOnEachPage(t *testing.T) {
	b, err := Table(table(120))
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b)
	for i := 1; i <= 120; i++ {
		if !strings.Contains(text, fmt.Sprintf("Gestore n. %d – Società «Il Nido» - sede", i)) {
			t.Fatalf("row %d missing", i)
		}
	}
	pages := strings.Count(text, "Pagina ")
	if pages < 3 || strings.Count(text, "denominazione") != pages {
		t.Fatalf("%d pages, header shown %d times", pages, strings.Count(text, "denominazione"))
	}
	if !strings.Contains(text, "TOTALE") || !strings.Contains(text, "Dati aggiornati al 30/11/2025 alle 10:00:00") {
		t.Fatal("total row and the data's date")
	}
}

func TestTableIsTheSameBytesForTheSameData(t *testing.T) {
	a, err := Table(table(30))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	b, _ := Table(table(30))
	if !bytes.Equal(a, b) {
		t.Fatal("the same data rendered twice differs")
	}
}
