package docverify

import (
	"archive/zip"
	"encoding/xml"
	"io"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"
)

// MaxXLSXBytes bounds a spreadsheet: excelize reads the whole file into
// memory, so this bound is the memory bound (a tariff table is a few KB).
const MaxXLSXBytes = 20 << 20

const (
	workbookType      = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	macroWorkbookType = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
	maxContentTypes   = 1 << 20
	// Unzipped parts excelize may hold in memory; worksheets larger than
	// xlsxXMLInMemory are spooled by excelize to temporary files.
	xlsxUnzipLimit  = 32 << 20
	xlsxXMLInMemory = 4 << 20
	headerRowSearch = 10 // rows looked at for the header
	// MaxXLSXSharedStrings bounds the shared strings part, which excelize
	// parses whole into memory: a few KB for a tariff table, while a
	// 63 KB "bomb" can expand to 60 MB of strings and hundreds of MB of
	// memory. Worksheets are bounded by xlsxUnzipLimit and read as a
	// stream, only their first rows.
	MaxXLSXSharedStrings = 1 << 20
	// MaxXLSXUnzipped bounds every part of the package together.
	MaxXLSXUnzipped = xlsxUnzipLimit
)

var notSpreadsheet = &rejection{CodeTypeMismatch, "Il file non è un foglio di calcolo Excel .xlsx (la cartella di lavoro non è dichiarata nel pacchetto)."}

// checkXLSX confirms a zip is an .xlsx workbook by its [Content_Types].xml
// and, if columns are required, that the first sheet's header row has
// them. detected reports whether the content is a workbook at all.
func checkXLSX(f io.ReaderAt, size int64, columns []string) (detected bool, rej *rejection) {
	if size > MaxXLSXBytes {
		return true, &rejection{CodeTooLarge, "Il foglio di calcolo supera i 20 MB ammessi."}
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return true, &rejection{CodeCorrupt, "Il file .xlsx è danneggiato (l'archivio non si apre)."}
	}
	names := map[string]*zip.File{}
	var unzipped uint64
	for _, zf := range zr.File {
		names[strings.ToLower(zf.Name)] = zf
		// The sizes the archive declares bind: archive/zip fails a part
		// that inflates beyond its declared size.
		unzipped += zf.UncompressedSize64
	}
	if unzipped > MaxXLSXUnzipped || len(zr.File) > 10000 {
		return true, &rejection{CodeTooLarge, "Il foglio di calcolo, una volta decompresso, supera i 32 MB ammessi: salvarlo di nuovo con i soli dati richiesti."}
	}
	if ss, ok := names["xl/sharedstrings.xml"]; ok && ss.UncompressedSize64 > MaxXLSXSharedStrings {
		return true, &rejection{CodeTooLarge, "Il foglio di calcolo contiene troppo testo (oltre 1 MB di stringhe): caricare solo la tabella delle rette."}
	}
	ct, ok := names["[content_types].xml"]
	if !ok || ct.UncompressedSize64 > maxContentTypes {
		return false, notSpreadsheet
	}
	rc, err := ct.Open()
	if err != nil {
		return true, &rejection{CodeCorrupt, "Il file .xlsx è danneggiato (il pacchetto non si legge)."}
	}
	var types struct {
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	err = xml.NewDecoder(io.LimitReader(rc, maxContentTypes)).Decode(&types)
	rc.Close()
	if err != nil {
		return false, notSpreadsheet
	}
	workbook := false
	for _, o := range types.Overrides {
		part := strings.ToLower(strings.TrimPrefix(o.PartName, "/"))
		switch {
		case o.ContentType == macroWorkbookType:
			return false, &rejection{CodeTypeMismatch, "Il file è una cartella di lavoro con macro (.xlsm): sono ammessi solo file .xlsx senza macro."}
		case o.ContentType == workbookType && names[part] != nil:
			workbook = true
		}
	}
	if !workbook {
		return false, notSpreadsheet
	}
	if len(columns) == 0 {
		return true, nil
	}
	return true, checkColumns(f, size, columns)
}

func checkColumns(f io.ReaderAt, size int64, columns []string) (rej *rejection) {
	// excelize parses hostile input; a panic in it must be a rejected
	// file, not a crashed (and retried) documents function.
	defer func() {
		if recover() != nil {
			rej = &rejection{CodeCorrupt, "Il file .xlsx è danneggiato e non si può leggere."}
		}
	}()
	x, err := excelize.OpenReader(io.NewSectionReader(f, 0, size),
		excelize.Options{UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: xlsxXMLInMemory})
	if err != nil {
		return &rejection{CodeCorrupt, "Il file .xlsx è danneggiato o protetto e non si può leggere."}
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return &rejection{CodeCorrupt, "Il file .xlsx non contiene fogli."}
	}
	rows, err := x.Rows(sheets[0])
	if err != nil {
		return &rejection{CodeCorrupt, "Il primo foglio del file .xlsx non si può leggere."}
	}
	defer rows.Close()
	// The header row is, among the first rows, the one holding the most
	// required names: a title row above the table is common.
	var missing []string
	best := -1
	for i := 0; i < headerRowSearch && rows.Next(); i++ {
		cells, err := rows.Columns()
		if err != nil {
			return &rejection{CodeCorrupt, "Il primo foglio del file .xlsx non si può leggere."}
		}
		have := map[string]bool{}
		for _, c := range cells {
			have[normalise(c)] = true
		}
		var miss []string
		for _, c := range columns {
			if !have[normalise(c)] {
				miss = append(miss, "«"+c+"»")
			}
		}
		if found := len(columns) - len(miss); found > best {
			best, missing = found, miss
		}
	}
	if best < 0 {
		return &rejection{CodeColumns, "Il primo foglio del file .xlsx è vuoto: mancano le colonne richieste (" + strings.Join(columns, ", ") + ")."}
	}
	if len(missing) > 0 {
		return &rejection{CodeColumns, "Nella riga di intestazione del primo foglio mancano le colonne " + strings.Join(missing, ", ") +
			". Le colonne richieste sono: " + strings.Join(columns, ", ") + "."}
	}
	return nil
}

// normalise folds case, Unicode composition and runs of spaces (including
// non-breaking ones) so that "RETTA  mensile 2024/25" matches.
func normalise(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(norm.NFC.String(s)), unicode.IsSpace), " ")
}
