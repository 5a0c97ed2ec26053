package docverify

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/smallstep/pkcs7"
	"github.com/xuri/excelize/v2"

	"sportello/events/files/fixtures"
	"sportello/shared/program/fvg"
)

// The committed fixtures, read from disk so that these tests depend on
// nothing but the files and their generator.
const fixturesDir = "../../events/files"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func declare(b []byte, contentType string, mustSign bool) Declared {
	sum := sha256.Sum256(b)
	return Declared{ContentType: contentType, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:]), MustBeSigned: mustSign, MaxBytes: 50 << 20}
}

func verify(t testing.TB, b []byte, d Declared) Result {
	t.Helper()
	r, err := Verify(bytes.NewReader(b), d)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// classifyFixtures checks every fixture of a directory against its verdict.
func classifyFixtures(t *testing.T, dir string) {
	for _, f := range fixtures.Files {
		t.Run(f.Name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, f.Name))
			if err != nil {
				t.Fatal(err)
			}
			d := declare(b, f.ContentType, f.MustSign)
			d.Kind = f.Kind
			if f.Kind == fvg.DocTariffDetail {
				d.Columns = fvg.TariffColumns // as FVG's program declares the kind
			}
			r := verify(t, b, d)
			want := StatusVerified
			if f.Code != "" {
				want = StatusRejected
			}
			if r.Status != want || r.Code != f.Code || r.Detected != f.Detected || r.Signed != f.Signed || r.SignatureChecked != f.Checked {
				t.Fatalf("got %+v, want %+v", r, f)
			}
			if f.Signed && r.Signer != f.Signer {
				t.Fatalf("signer %q, want %q", r.Signer, f.Signer)
			}
			if (r.Status == StatusRejected) != (r.Reason != "") {
				t.Fatalf("a rejection, and only a rejection, says why: %+v", r)
			}
			if r.Size != int64(len(b)) || r.SHA256 != d.SHA256 {
				t.Fatalf("size and hash are those read: %+v", r)
			}
		})
	}
}

func TestCommittedFixtures(t *testing.T) { classifyFixtures(t, fixturesDir) }

// The generator cannot rot: fresh fixtures classify the same way.
func TestRegeneratedFixtures(t *testing.T) {
	dir := t.TempDir()
	if err := fixtures.Generate(dir); err != nil {
		t.Fatal(err)
	}
	classifyFixtures(t, dir)
}

// The README's SHA-256 list is that of the committed files.
func TestReadmeListsTheCommittedHashes(t *testing.T) {
	readme := string(fixture(t, "README.md"))
	for _, f := range fixtures.Files {
		sum := sha256.Sum256(fixture(t, f.Name))
		if line := fmt.Sprintf("%x  %s\n", sum, f.Name); !strings.Contains(readme, line) {
			t.Errorf("README.md lacks %q: regenerate with go run ./events/files/gen -out events/files", line)
		}
	}
}

// signedRanges returns the /ByteRange of a PDF and the DER in its gap.
func signedRanges(t *testing.T, b []byte) ([4]int, []byte) {
	t.Helper()
	m := regexp.MustCompile(`/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no /ByteRange")
	}
	var r [4]int
	for i := range r {
		r[i], _ = strconv.Atoi(string(m[i+1]))
	}
	der, err := hex.DecodeString(string(b[r[1]+1 : r[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	// Drop the zero padding after the DER value, from its outer length.
	n := int(der[1] & 0x7f)
	length := 0
	for _, c := range der[2 : 2+n] {
		length = length<<8 | int(c)
	}
	return r, der[:2+n+length]
}

// An independent check of the PAdES fixture with smallstep/pkcs7: its CMS
// verifies over exactly the bytes its /ByteRange names.
func TestPAdESFixtureVerifiesWithAnotherImplementation(t *testing.T) {
	b := fixture(t, "signed-pades.pdf")
	r, der := signedRanges(t, b)
	if r[0] != 0 || r[2]+r[3] != len(b) {
		t.Fatalf("the signature must cover the whole file but /Contents: %v of %d", r, len(b))
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	p7.Content = append(append([]byte{}, b[:r[1]]...), b[r[2]:r[2]+r[3]]...)
	if err := p7.Verify(); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
}

// replaceSameLength keeps every byte offset (and so the /ByteRange) valid.
func replaceSameLength(t *testing.T, b []byte, old, repl string) []byte {
	t.Helper()
	if len(repl) > len(old) || !bytes.Contains(b, []byte(old)) {
		t.Fatalf("cannot replace %q", old)
	}
	return bytes.Replace(b, []byte(old), []byte(repl+strings.Repeat(" ", len(old)-len(repl))), 1)
}

func xlsxWith(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipWith(t *testing.T, parts map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for name, body := range parts {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRules(t *testing.T) {
	unsigned := fixture(t, "unsigned.pdf")
	p7m := fixture(t, "signed.p7m")
	pades := fixture(t, "signed-pades.pdf")
	tariff := fixture(t, "tariff-detail.xlsx")
	with := func(b []byte, ct string, must bool, change func(*Declared)) Declared {
		d := declare(b, ct, must)
		if change != nil {
			change(&d)
		}
		return d
	}
	timestampOnly := replaceSameLength(t, pades, "/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached", "/Type /DocTimeStamp /SubFilter /ETSI.RFC3161")
	laterUpdate := append(append([]byte{}, pades...), "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n%%EOF\n"...)
	br := regexp.MustCompile(`/ByteRange \[0 (\d+) `).FindSubmatch(pades)
	gap, _ := strconv.Atoi(string(br[1]))
	shiftedGap := replaceSameLength(t, pades, fmt.Sprintf("/ByteRange [0 %010d", gap), fmt.Sprintf("/ByteRange [0 %010d", gap+1))
	byteRangeInText := append(append([]byte{}, unsigned[:len(unsigned)-6]...), "% a note on /ByteRange [0 1 2 3] in a comment\n%%EOF\n"...)
	sigWithoutRange := append(append([]byte{}, unsigned[:len(unsigned)-6]...), "9 0 obj\n<< /Type /Sig /ByteRange [0 10] /Contents <00> >>\nendobj\n%%EOF\n"...)
	header := func(cols ...string) []string { return cols }
	spaced := xlsxWith(t, header("Tariffe del nido"), nil,
		header(" SERVIZIO ", "modalità  di\u00a0frequenza", "Retta mensile 2024/25", "RETTA MENSILE 2025/26"), header("Nido", "Tempo pieno", "500,00", "538,00"))
	macro := zipWith(t, map[string]string{
		"[Content_Types].xml": `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>`,
		"xl/workbook.xml":     `<workbook/>`})
	undeclaredWorkbook := zipWith(t, map[string]string{"xl/workbook.xml": `<workbook/>`})
	brokenZip := append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0x17}, 200)...)
	hugeXLSX := append([]byte("PK\x03\x04"), make([]byte, MaxXLSXBytes)...)
	trailing := append(append([]byte{}, p7m...), "appended text"...)
	padded := append(append([]byte{}, p7m...), "\r\n\x00\x00"...)
	bareBase64 := []byte(base64.StdEncoding.EncodeToString(p7m))
	tests := []struct {
		name   string
		body   []byte
		d      Declared
		code   string
		signed bool
	}{
		{"an unsigned PDF for a kind that must be signed is rejected", unsigned, with(unsigned, TypePDF, true, nil), CodeUnsigned, false},
		{"an unsigned PDF for a kind that need not be signed is verified", unsigned, with(unsigned, TypePDF, false, nil), "", false},
		{"a renamed .exe declared as PDF is rejected", fixture(t, "renamed-exe.pdf"), with(fixture(t, "renamed-exe.pdf"), TypePDF, false, nil), CodeTypeMismatch, false},
		{"a .p7m declared as PDF is rejected", p7m, with(p7m, TypePDF, false, nil), CodeTypeMismatch, false},
		{"a PDF declared as .p7m is rejected", unsigned, with(unsigned, TypeP7M, false, nil), CodeTypeMismatch, false},
		{"an .xlsx declared as PDF is rejected", tariff, with(tariff, TypePDF, false, nil), CodeTypeMismatch, false},
		{"an empty file is rejected", nil, with(nil, TypePDF, false, nil), CodeTypeMismatch, false},
		{"one byte more than declared is rejected", unsigned, with(unsigned, TypePDF, false, func(d *Declared) { d.Size-- }), CodeSizeMismatch, false},
		{"a different SHA-256 than declared is rejected", unsigned, with(unsigned, TypePDF, false, func(d *Declared) { d.SHA256 = strings.Repeat("0", 64) }), CodeChecksumMismatch, false},
		{"an uppercase SHA-256 declaration does not match", unsigned, with(unsigned, TypePDF, false, func(d *Declared) { d.SHA256 = strings.ToUpper(d.SHA256) }), CodeChecksumMismatch, false},
		{"a type the kind does not allow is rejected", unsigned, with(unsigned, TypePDF, false, func(d *Declared) { d.AllowedTypes = []string{TypeXLSX} }), CodeNotAllowedType, false},
		{"a type outside the contract is rejected", unsigned, with(unsigned, "image/png", false, nil), CodeNotAllowedType, false},
		{"a file over the kind's limit is rejected", unsigned, with(unsigned, TypePDF, false, func(d *Declared) { d.MaxBytes = int64(len(unsigned)) - 1 }), CodeTooLarge, false},
		{"a file exactly at the kind's limit is verified", unsigned, with(unsigned, TypePDF, false, func(d *Declared) { d.MaxBytes = int64(len(unsigned)) }), "", false},
		{"a signed .p7m passes a kind that must be signed", p7m, with(p7m, TypeP7M, true, nil), "", true},
		{"a .p7m followed by other data is rejected", trailing, with(trailing, TypeP7M, true, nil), CodeCorrupt, false},
		{"a .p7m followed by line ends and NULs is verified", padded, with(padded, TypeP7M, true, nil), "", true},
		{"a .p7m as bare base64 is verified", bareBase64, with(bareBase64, TypeP7M, true, nil), "", true},
		{"a PAdES PDF passes a kind that must be signed", pades, with(pades, TypePDF, true, nil), "", true},
		{"a PAdES PDF with a later incremental update is still signed", laterUpdate, with(laterUpdate, TypePDF, true, nil), "", true},
		{"a document timestamp is not a signature", timestampOnly, with(timestampOnly, TypePDF, true, nil), CodeUnsigned, false},
		{"a /ByteRange that does not exclude exactly /Contents is rejected", shiftedGap, with(shiftedGap, TypePDF, true, nil), CodeCorrupt, false},
		{"a signature dictionary with an unreadable /ByteRange is rejected", sigWithoutRange, with(sigWithoutRange, TypePDF, false, nil), CodeCorrupt, false},
		{"the word /ByteRange outside a signature dictionary is not a signature", byteRangeInText, with(byteRangeInText, TypePDF, false, nil), "", false},
		{"tariff columns match whatever the case, spacing and title rows above", spaced, with(spaced, TypeXLSX, false, func(d *Declared) { d.Columns = fvg.TariffColumns }), "", false},
		{"a kind that names columns requires every one of them", fixture(t, "tariff-detail-missing-column.xlsx"),
			with(fixture(t, "tariff-detail-missing-column.xlsx"), TypeXLSX, false, func(d *Declared) { d.Columns = fvg.TariffColumns }), CodeColumns, false},
		{"a kind that names no columns takes any workbook", fixture(t, "tariff-detail-missing-column.xlsx"),
			with(fixture(t, "tariff-detail-missing-column.xlsx"), TypeXLSX, false, func(d *Declared) { d.Kind = "tariff_detail" }), "", false},
		{"a macro-enabled workbook is rejected", macro, with(macro, TypeXLSX, false, nil), CodeTypeMismatch, false},
		{"a zip whose content types declare no workbook is rejected", undeclaredWorkbook, with(undeclaredWorkbook, TypeXLSX, false, nil), CodeTypeMismatch, false},
		{"a broken zip declared as .xlsx is rejected", brokenZip, with(brokenZip, TypeXLSX, false, nil), CodeCorrupt, false},
		{"a spreadsheet over 20 MB is rejected", hugeXLSX, with(hugeXLSX, TypeXLSX, false, nil), CodeTooLarge, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := verify(t, tt.body, tt.d)
			if r.Code != tt.code || r.Signed != tt.signed {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

// A failing read is an error to retry, never a verdict on the content.
func TestReadFailureIsAnErrorNotARejection(t *testing.T) {
	b := fixture(t, "unsigned.pdf")
	_, err := Verify(iotest.TimeoutReader(bytes.NewReader(b)), declare(b, TypePDF, false))
	if !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("want the read error, got %v", err)
	}
}

func TestSniff(t *testing.T) {
	p7m := fixture(t, "signed.p7m")
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"a PDF header is a PDF", []byte("%PDF-1.7\n"), DetectedPDF},
		{"junk before the PDF header is not a PDF", []byte("\n%PDF-1.7\n"), DetectedUnknown},
		{"a DER SignedData is a p7m", p7m[:64], DetectedP7M},
		{"a BER SignedData is a p7m", fixture(t, "signed-ber.p7m")[:64], DetectedP7M},
		{"a PEM SignedData is a p7m", fixture(t, "signed-base64.p7m")[:200], DetectedP7M},
		{"bare base64 of a SignedData is a p7m", []byte(base64.StdEncoding.EncodeToString(p7m)[:120]), DetectedP7M},
		{"base64 of something else is unknown", []byte(base64.StdEncoding.EncodeToString([]byte("Delibera della Giunta comunale, testo semplice"))), DetectedUnknown},
		{"another DER structure is unknown", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, DetectedUnknown},
		{"a zip is an xlsx to be confirmed", []byte("PK\x03\x04\x14\x00"), DetectedXLSX},
		{"an executable is unknown", fixture(t, "renamed-exe.pdf"), DetectedUnknown},
		{"nothing is unknown", nil, DetectedUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.head); got != tt.want {
				t.Fatalf("Sniff = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	for _, fx := range fixtures.Files {
		f.Add(fixture(f, fx.Name))
	}
	f.Add([]byte("%PDF-1.4\n/Type /Sig /ByteRange [0 5 9 1] /Contents <3080>\n%%EOF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ct := range []string{TypePDF, TypeP7M, TypeXLSX} {
			d := declare(b, ct, true)
			d.Columns = fvg.TariffColumns
			r, err := Verify(bytes.NewReader(b), d)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case r.Status == StatusVerified && (r.Code != "" || r.Reason != "" || !r.Signed):
				t.Fatalf("verified with a code, a reason or no signature: %+v", r)
			case r.Status == StatusRejected && (r.Code == "" || r.Reason == ""):
				t.Fatalf("rejected without code or reason: %+v", r)
			case r.Status != StatusVerified && r.Status != StatusRejected:
				t.Fatalf("status %q", r.Status)
			}
		}
	})
}

// The envelope walker alone, faster than Verify, for deeper fuzzing.
func FuzzReadSignedData(f *testing.F) {
	for _, name := range []string{"signed.p7m", "signed-ber.p7m", "detached.p7m", "corrupt.p7m", "tampered.p7m"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := readSignedData(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, errBER) && !errors.Is(err, errCMS) {
				t.Fatalf("a content error must be errBER or errCMS: %v", err)
			}
			return
		}
		_, _, err = checkSigners(sd)
		if err != nil && !errors.Is(err, errCMS) && !errors.Is(err, errBadSignature) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

// The PDF signature scan alone, over any bytes.
func FuzzCheckPDF(f *testing.F) {
	for _, name := range []string{"signed-pades.pdf", "tampered-pades.pdf", "unsigned.pdf", "corrupt.pdf"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte("%PDF-1.7\n1 0 obj << /Type /Sig /ByteRange [0 30 40 5] /Contents <3080> >> endobj\n%%EOF\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, rej, err := checkPDF(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("reading memory cannot fail: %v", err)
		}
		if rej != nil && (rej.code == "" || rej.reason == "") {
			t.Fatalf("rejection without code or reason: %+v", rej)
		}
		if res.checked && res.signatures == 0 {
			t.Fatal("checked without a signature")
		}
	})
}

// The chunked scan finds a key that straddles two chunks, once.
func TestScanFindsKeysAcrossChunks(t *testing.T) {
	b := make([]byte, 2*scanChunk+100)
	at := []int64{5, scanChunk - 3, scanChunk + 20, 2*scanChunk + 50}
	for _, o := range at {
		copy(b[o:], byteRangeKey)
	}
	got, err := findAll(bytes.NewReader(b), int64(len(b)), byteRangeKey, maxSigCandidates)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(at) {
		t.Fatalf("found %v, want %v (%v)", got, at, err)
	}
	if got, _ := findAll(bytes.NewReader(b), int64(len(b)), byteRangeKey, 2); fmt.Sprint(got) != fmt.Sprint(at[2:]) {
		t.Fatalf("keeps the last two: %v", got)
	}
}

// A generated document's signed copy is recognised by the SHA-256 of the
// content inside the envelope, with every signer named.
func TestContentSHA256NamesWhatWasSigned(t *testing.T) {
	content := []byte("%PDF-1.4 richiesta di liquidazione generata")
	env, err := fixtures.SignCAdES(content, "Sindaco TEST", "Responsabile Finanziario TEST")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(env)
	res, err := Verify(bytes.NewReader(env), Declared{ContentType: TypeP7M, Size: int64(len(env)), SHA256: hex.EncodeToString(sum[:]), MustBeSigned: true})
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(content)
	if res.Status != StatusVerified || res.ContentSHA256 != hex.EncodeToString(want[:]) {
		t.Fatalf("got %+v, want verified with content %x", res, want)
	}
	// A DER SET OF orders the signatures by their bytes: either order.
	if got := strings.Split(res.Signer, "; "); len(got) != 2 || !slices.Contains(got, "Sindaco TEST") || !slices.Contains(got, "Responsabile Finanziario TEST") {
		t.Fatalf("signers %q", res.Signer)
	}
}
