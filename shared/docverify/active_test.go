package docverify

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"sportello/shared/program/fvg"
)

// pdfWith makes a small PDF whose catalog holds extra, optionally inside
// a Flate-compressed object stream.
func pdfWith(extra string, compressed bool) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n")
	if compressed {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		if _, err := w.Write([]byte("3 0 " + extra)); err != nil {
			panic(err) // a write into memory: cannot fail
		}
		w.Close()
		fmt.Fprintf(&b, "4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n", z.Len())
		b.Write(z.Bytes())
		b.WriteString("\nendstream\nendobj\n")
	} else {
		b.WriteString("3 0 obj\n" + extra + "\nendobj\n")
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

func TestActivePDFsAreRejectedWithAnItalianReason(t *testing.T) {
	tests := []struct {
		name  string
		pdf   []byte
		want  string // "" verified, else the code
		words string
	}{
		{"a plain PDF is verified", pdfWith("<< /Type /Annot /Subtype /Link >>", false), "", ""},
		{"JavaScript in an OpenAction is rejected", pdfWith("<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>", false), CodeActiveContent, "JavaScript"},
		{"a Launch action is rejected", pdfWith("<< /S /Launch /F (cmd.exe) >>", false), CodeActiveContent, "avvio di programmi"},
		{"embedded files are rejected", pdfWith("<< /Names << /EmbeddedFiles 5 0 R >> >>", false), CodeActiveContent, "file incorporati"},
		{"a name spelled with #xx escapes is still JavaScript", pdfWith("<< /S /Java#53cript /J#53 (x) >>", false), CodeActiveContent, "JavaScript"},
		{"JavaScript hidden in a compressed object stream is rejected", pdfWith("<< /S /JavaScript /JS (x) >>", true), CodeActiveContent, "JavaScript"},
		{"a compressed object stream without active content is verified", pdfWith("<< /Type /Annot /Subtype /Link >>", true), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Verify(bytes.NewReader(tt.pdf), declare(tt.pdf, TypePDF, false))
			if err != nil {
				t.Fatal(err)
			}
			if r.Code != tt.want || (tt.want == "" && r.Status != StatusVerified) || !strings.Contains(r.Reason, tt.words) {
				t.Fatalf("got %s %s %q", r.Status, r.Code, r.Reason)
			}
		})
	}
}

// withSharedStrings rebuilds an .xlsx with filler strings appended to its
// shared strings part (after the header's own, so the header still reads).
func withSharedStrings(t *testing.T, x []byte, fillerBytes int, unique bool) []byte {
	return rebuilt(t, x, fillerBytes, unique, 0)
}

// rebuilt appends filler shared strings and rows rows of numbers to the
// first sheet.
func rebuilt(t *testing.T, x []byte, fillerBytes int, unique bool, rows int) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(x), int64(len(x)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "xl/worksheets/sheet1.xml" && rows > 0 {
			var fill bytes.Buffer
			for i := 0; i < rows; i++ {
				fmt.Fprintf(&fill, `<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>1</v></c></row>`, i+2, i+2, i, i+2)
			}
			body = bytes.Replace(body, []byte("</sheetData>"), append(fill.Bytes(), "</sheetData>"...), 1)
		}
		if f.Name == "xl/sharedStrings.xml" {
			var fill bytes.Buffer
			for i := 0; fill.Len() < fillerBytes; i++ {
				if unique {
					fmt.Fprintf(&fill, "<si><t>s%d</t></si>", i)
				} else {
					fill.WriteString("<si><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></si>")
				}
			}
			body = bytes.Replace(body, []byte("</sst>"), append(fill.Bytes(), "</sst>"...), 1)
		}
		w, _ := zw.Create(f.Name)
		if _, err := w.Write(body); err != nil {
			panic(err) // a write into memory: cannot fail
		}
	}
	zw.Close()
	return out.Bytes()
}

// peakRSSGrowth runs f and returns how far the process's peak resident
// memory rose above its resident memory just before (Linux: clear_refs
// resets the high-water mark).
func peakRSSGrowth(t *testing.T, f func()) int64 {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak RSS here: %v", err)
	}
	before := procStatus(t, "VmRSS")
	f()
	return procStatus(t, "VmHWM") - before
}

func procStatus(t *testing.T, key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("%s not in /proc/self/status", key)
	return 0
}

// A spreadsheet bomb (a few KB expanding to 60 MB of shared strings) is
// rejected without reading it, and the largest spreadsheet accepted costs
// at most 64 MB of resident memory over the verification, measured.
func TestSpreadsheetVerificationIsBoundedInMemory(t *testing.T) {
	header := xlsxWith(t, fvg.TariffColumns)
	bomb := withSharedStrings(t, header, 60<<20, false)
	if len(bomb) > 512<<10 {
		t.Fatalf("the bomb is %d bytes, not a bomb", len(bomb))
	}
	largest := withSharedStrings(t, header, MaxXLSXSharedStrings-4<<10, true)
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"a 60 MB shared-strings bomb is rejected as too large", bomb, CodeTooLarge},
		{"a workbook just under the shared-strings bound is verified", largest, ""},
		{"a sheet of 300,000 rows (about 25 MB unzipped) is verified reading only its header", rebuilt(t, header, 0, false, 300000), ""},
		{"a sheet of 500,000 rows is over the unzipped bound", rebuilt(t, header, 0, false, 500000), CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Result
			var err error
			growth := peakRSSGrowth(t, func() {
				r, err = Verify(bytes.NewReader(tt.file), Declared{Kind: fvg.DocTariffDetail, Columns: fvg.TariffColumns, ContentType: TypeXLSX,
					Size: int64(len(tt.file)), SHA256: sha(tt.file), AllowedTypes: []string{TypeXLSX}})
			})
			if err != nil || r.Code != tt.want {
				t.Fatalf("got %s %s %q (%v)", r.Status, r.Code, r.Reason, err)
			}
			t.Logf("peak RSS growth %d MB", growth>>20)
			if growth > 64<<20 {
				t.Fatalf("verification grew the resident memory by %d MB", growth>>20)
			}
		})
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
