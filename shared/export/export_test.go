package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/problem"
)

func sample() *Table {
	capped := money.Cents(2205000)
	return &Table{
		Name: "Prova",
		Columns: []Column{
			{Header: "denominazione", Kind: Text, Width: 30, PDFWidth: 60},
			{Header: "importo_euro", Kind: Euro, PDFWidth: 25},
			{Header: "tetto_euro", Kind: Euro},
			{Header: "bambini", Kind: Integer},
			{Header: "peso", Kind: Decimal},
			{Header: "data_decisione", Kind: Date},
			{Header: "protocollo_ora", Kind: DateTime},
		},
		Rows: [][]Value{
			{T("=HYPERLINK(\"http://x\";\"clic\")"), E(123456), OptE(&capped), N(21), Dec("52.4"), At(clock.InRome(2025, 11, 30, 9, 0)), At(time.Date(2025, 7, 21, 21, 59, 59, 0, time.UTC))},
			{T("Nido «Il Girasole» – Società Coop."), E(5), OptE(nil), N(0), Dec("1/3"), At(time.Time{}), At(clock.InRome(2025, 1, 31, 12, 0))},
			{T("-2+3"), E(-150), E(0), N(-1), Dec(""), At(clock.InRome(2025, 10, 26, 2, 30)), At(clock.InRome(2025, 10, 26, 2, 30))},
		},
		Total:     []Value{T("TOTALE"), E(123461), {}, {}, {}, {}, {}},
		Generated: clock.InRome(2025, 11, 30, 10, 0),
	}
}

func TestCSVIsWhatItalianExcelOpens(t *testing.T) {
	b, err := sample().CSV()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatal("no UTF-8 BOM")
	}
	r := csv.NewReader(bytes.NewReader(b[3:]))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		row, col int
		want     string
	}{
		{"the header is the column's name", 0, 1, "importo_euro"},
		{"a text starting with = is neutralised with an apostrophe", 1, 0, "'=HYPERLINK(\"http://x\";\"clic\")"},
		{"a text starting with - is neutralised too", 3, 0, "'-2+3"},
		{"accents and guillemets survive in UTF-8", 2, 0, "Nido «Il Girasole» – Società Coop."},
		{"euro use a decimal comma and no thousands separator", 1, 1, "1234,56"},
		{"a negative amount stays a number", 3, 1, "-1,50"},
		{"a missing cap is an empty cell", 2, 2, ""},
		{"an exact decimal uses a comma", 1, 4, "52,4"},
		{"a fraction stays a fraction", 2, 4, "1/3"},
		{"dates are gg/mm/aaaa in Rome", 1, 5, "30/11/2025"},
		{"instants are Rome wall-clock time (summer: UTC+2)", 1, 6, "21/07/2025 23:59:59"},
		{"the second 02:30 of 26/10/2025 is shown as Rome shows it", 3, 6, "26/10/2025 02:30:00"},
		{"the total row closes the file", 4, 0, "TOTALE"},
		{"the total is summed in euro", 4, 1, "1234,61"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rows[tt.row][tt.col]; got != tt.want {
				t.Fatalf("row %d col %d = %q, want %q", tt.row, tt.col, got, tt.want)
			}
		})
	}
	if !bytes.Contains(b, []byte("\r\n")) {
		t.Fatal("rows end with CRLF")
	}
}

func TestXLSXHasNumbersDatesAndTextThatNeverRuns(t *testing.T) {
	b, err := sample().XLSX()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw := func(cell string) string {
		v, err := f.GetCellValue("Prova", cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	typ := func(cell string) excelize.CellType {
		ct, err := f.GetCellType("Prova", cell)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	if formula, _ := f.GetCellFormula("Prova", "A2"); formula != "" || raw("A2") != "=HYPERLINK(\"http://x\";\"clic\")" {
		t.Fatalf("a name starting with = must be a plain string: formula %q value %q", formula, raw("A2"))
	}
	if ct := typ("A2"); ct != excelize.CellTypeInlineString && ct != excelize.CellTypeSharedString {
		t.Fatalf("A2 type %v", ct)
	}
	for cell, want := range map[string]string{"B2": "1234.56", "C2": "22050", "D2": "21", "E2": "52.4", "B4": "-1.5", "B5": "1234.61"} {
		if got := raw(cell); got != want || typ(cell) == excelize.CellTypeInlineString || typ(cell) == excelize.CellTypeSharedString {
			t.Fatalf("%s = %q (%v), want the number %s", cell, got, typ(cell), want)
		}
	}
	if raw("C3") != "" || raw("E3") != "1/3" {
		t.Fatalf("empty cap %q, fraction %q", raw("C3"), raw("E3"))
	}
	if shown, _ := f.GetCellValue("Prova", "F2"); shown != "30/11/2025" {
		t.Fatalf("date shown %q", shown)
	}
	if shown, _ := f.GetCellValue("Prova", "G2"); shown != "21/07/2025 23:59:59" {
		t.Fatalf("instant shown %q", shown)
	}
	style, _ := f.GetCellStyle("Prova", "B2")
	st, _ := f.GetStyle(style)
	if st.CustomNumFmt == nil || !strings.Contains(*st.CustomNumFmt, "€") {
		t.Fatalf("euro format %+v", st)
	}
	panes, err := f.GetPanes("Prova")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Fatalf("frozen header: %+v %v", panes, err)
	}
	if w, _ := f.GetColWidth("Prova", "A"); w != 30 {
		t.Fatalf("width %v", w)
	}
}

func TestSameTableSameBytes(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			write := func() []byte {
				var b []byte
				var err error
				if format == "csv" {
					b, err = sample().CSV()
				} else {
					b, err = sample().XLSX()
				}
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			a := write()
			time.Sleep(1100 * time.Millisecond) // a second later: no clock may leak into the file
			if !bytes.Equal(a, write()) {
				t.Fatal("regenerating the same table changed the bytes")
			}
		})
	}
}

func TestJSONHasTheSameData(t *testing.T) {
	b, err := sample().JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rows  []map[string]any
		Total map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	r := doc.Rows[0]
	if r["importo_euro"] != "1234.56" || r["bambini"] != float64(21) || r["data_decisione"] != "2025-11-30" ||
		r["protocollo_ora"] != "2025-07-21T23:59:59+02:00" || r["peso"] != "52.4" || doc.Rows[1]["tetto_euro"] != nil || doc.Total["importo_euro"] != "1234.61" {
		t.Fatalf("%s", b)
	}
}

func TestARowOfTheWrongWidthIsRefused(t *testing.T) {
	tb := sample()
	tb.Rows = append(tb.Rows, []Value{T("x")})
	if _, err := tb.CSV(); err == nil {
		t.Fatal("want an error")
	}
	if _, err := tb.XLSX(); err == nil {
		t.Fatal("want an error")
	}
}

func TestDisplayTextForDocuments(t *testing.T) {
	header, widths, right, rows, total := sample().PDFColumns()
	if len(header) != 2 || header[1] != "importo_euro" || widths[0] != 60 || right[0] || !right[1] {
		t.Fatalf("only the columns with a PDF width: %v %v %v", header, widths, right)
	}
	if rows[0][1] != "1.234,56" || total[1] != "1.234,61" || rows[0][0] != "=HYPERLINK(\"http://x\";\"clic\")" {
		t.Fatalf("%q %q", rows[0], total)
	}
	for in, want := range map[string]string{"0.05": "0,05", "1000000.00": "1.000.000,00", "-1234.50": "-1.234,50", "999.99": "999,99"} {
		if got := thousands(in); got != want {
			t.Fatalf("%s → %s, want %s", in, got, want)
		}
	}
}

func TestNegotiate(t *testing.T) {
	all := []Format{JSON, CSV, XLSX, PDF}
	tests := []struct {
		name, query, accept string
		offered             []Format
		want                Format
		code                string
	}{
		{"no preference gives the first offered", "", "", all, JSON, ""},
		{"?format= wins over Accept", "xlsx", "text/csv", all, XLSX, ""},
		{"?format= is case-insensitive", "CSV", "", all, CSV, ""},
		{"Accept text/csv gives CSV", "", "text/csv", all, CSV, ""},
		{"the highest quality wins", "", "application/json;q=0.5, application/pdf", all, PDF, ""},
		{"a wildcard gives the first offered", "", "*/*", all, JSON, ""},
		{"an unknown ?format= is 406", "docx", "", all, "", problem.CodeNotAcceptable},
		{"a format the resource lacks is 406", "pdf", "", []Format{JSON, CSV, XLSX}, "", problem.CodeNotAcceptable},
		{"an Accept nobody offers is 406", "", "image/png", all, "", problem.CodeNotAcceptable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Negotiate(tt.query, tt.accept, tt.offered...)
			if tt.code != "" {
				if p, ok := problem.As(err); !ok || p.Code != tt.code {
					t.Fatalf("want %s, got %v", tt.code, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q %v, want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"text/csv", "*/*;q=0.1, application/pdf", ";;;", "application/json;q=abc"} {
		f.Add("", s)
	}
	f.Add("xlsx", "")
	f.Fuzz(func(t *testing.T, query, accept string) {
		got, err := Negotiate(query, accept, JSON, CSV, XLSX)
		if err == nil && got != JSON && got != CSV && got != XLSX {
			t.Fatalf("offered nothing like %q", got)
		}
		if err != nil {
			if p, ok := problem.As(err); !ok || p.Code != problem.CodeNotAcceptable {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}

func TestEuroNumberIsTheNearestFloat(t *testing.T) {
	for _, c := range []money.Cents{0, 1, 10, 99, 27273, 123456789, 99_999_999_999_99} {
		if got := strconv.FormatFloat(EuroNumber(c), 'f', 2, 64); got != c.String() {
			t.Errorf("%d cents → %s", c, got)
		}
	}
}
