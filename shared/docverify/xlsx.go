package docverify

import (
	"archive/zip"
	"os"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
)

const errNotSpreadsheet = "Il file non è un foglio di calcolo .xlsx valido."

// TariffColumns are the columns the FVG tariff detail must have in the
// header row of its first sheet (case, accents and spacing are forgiven
// only as far as case and spaces).
var TariffColumns = []string{"Servizio", "Modalità di frequenza", "Retta mensile 2024/25", "Retta mensile 2025/26"}

// checkXLSX confirms a zip is a spreadsheet workbook and, if columns are
// required, that the first sheet's header row has them. It returns an
// Italian message, or "" when fine.
func checkXLSX(f *os.File, size int64, columns []string) string {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return errNotSpreadsheet
	}
	workbook := false
	for _, zf := range zr.File {
		workbook = workbook || zf.Name == "xl/workbook.xml"
	}
	if !workbook {
		return errNotSpreadsheet
	}
	if len(columns) == 0 {
		return ""
	}
	if _, err := f.Seek(0, 0); err != nil {
		return errNotSpreadsheet
	}
	x, err := excelize.OpenReader(f, excelize.Options{UnzipSizeLimit: 200 << 20, UnzipXMLSizeLimit: 50 << 20})
	if err != nil {
		return errNotSpreadsheet
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return errNotSpreadsheet
	}
	rows, err := x.Rows(sheets[0])
	if err != nil || !rows.Next() {
		return "Il foglio è vuoto: manca la riga di intestazione."
	}
	header, err := rows.Columns()
	rows.Close()
	if err != nil {
		return errNotSpreadsheet
	}
	have := map[string]bool{}
	for _, h := range header {
		have[normalise(h)] = true
	}
	var missing []string
	for _, c := range columns {
		if !have[normalise(c)] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return "Nel dettaglio delle tariffe mancano le colonne: " + strings.Join(missing, ", ") + "."
	}
	return ""
}

func normalise(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), unicode.IsSpace), " ")
}
