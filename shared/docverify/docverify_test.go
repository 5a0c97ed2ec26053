package docverify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/smallstep/pkcs7"

	"sportello/events"
	"sportello/events/files/fixtures"
)

func declare(b []byte, contentType string, mustSign bool) Declared {
	sum := sha256.Sum256(b)
	d := Declared{ContentType: contentType, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:]), MustBeSigned: mustSign, MaxBytes: 50 << 20}
	if contentType == TypeXLSX {
		d.Columns = TariffColumns
	}
	return d
}

func verify(t *testing.T, b []byte, d Declared) Result {
	t.Helper()
	r, err := Verify(bytes.NewReader(b), d)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// classify checks every fixture of a directory against what it is.
func classify(t *testing.T, read func(string) ([]byte, error)) {
	for _, f := range fixtures.Files {
		t.Run(f.Name, func(t *testing.T) {
			b, err := read(f.Name)
			if err != nil {
				t.Fatal(err)
			}
			r := verify(t, b, declare(b, f.ContentType, f.Signed))
			if (r.Status == "verified") != f.Valid || r.Detected != f.Detected || r.Signed != f.Signed {
				t.Fatalf("got %+v", r)
			}
			if !f.Valid && r.Reason == "" {
				t.Fatal("a rejection must say why")
			}
		})
	}
}

func TestCommittedFixtures(t *testing.T) {
	classify(t, func(name string) ([]byte, error) { return events.FS.ReadFile("files/" + name) })
}

// The generator cannot rot: fresh fixtures classify the same way.
func TestRegeneratedFixtures(t *testing.T) {
	dir := t.TempDir()
	if err := fixtures.Generate(dir); err != nil {
		t.Fatal(err)
	}
	classify(t, func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) })
}

// The PAdES fixture is a real signature: its CMS verifies over the bytes
// its /ByteRange names.
func TestPAdESSignatureCoversTheByteRange(t *testing.T) {
	b, _ := events.FS.ReadFile("files/signed-pades.pdf")
	m := regexp.MustCompile(`/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]`).FindSubmatch(b)
	var r [4]int
	for i := range r {
		r[i], _ = strconv.Atoi(string(m[i+1]))
	}
	der, err := hex.DecodeString(string(b[r[1]+1 : r[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(trimDERPadding(der))
	if err != nil {
		t.Fatal(err)
	}
	p7.Content = append(append([]byte{}, b[r[0]:r[0]+r[1]]...), b[r[2]:r[2]+r[3]]...)
	if err := p7.Verify(); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	// One changed byte inside the signed range breaks it.
	b2 := append([]byte{}, b...)
	b2[100] ^= 1
	p7.Content = append(append([]byte{}, b2[r[0]:r[0]+r[1]]...), b2[r[2]:r[2]+r[3]]...)
	if p7.Verify() == nil {
		t.Fatal("a tampered PDF still verifies")
	}
}

func TestRules(t *testing.T) {
	pdfBytes, _ := events.FS.ReadFile("files/unsigned.pdf")
	p7m, _ := events.FS.ReadFile("files/signed.p7m")
	exe, _ := events.FS.ReadFile("files/renamed-exe.pdf")
	tests := []struct {
		name string
		body []byte
		d    Declared
		code string
	}{
		{"an unsigned PDF for a kind that must be signed is rejected", pdfBytes, declare(pdfBytes, TypePDF, true), CodeUnsigned},
		{"a renamed .exe declared as PDF is rejected", exe, declare(exe, TypePDF, false), CodeTypeMismatch},
		{"a p7m declared as PDF is rejected", p7m, declare(p7m, TypePDF, false), CodeTypeMismatch},
		{"a different length than declared is rejected", pdfBytes, func() Declared { d := declare(pdfBytes, TypePDF, false); d.Size++; return d }(), CodeSizeMismatch},
		{"a different checksum than declared is rejected", pdfBytes, func() Declared {
			d := declare(pdfBytes, TypePDF, false)
			d.SHA256 = hex.EncodeToString(make([]byte, 32))
			return d
		}(), CodeChecksumMismatch},
		{"a type not allowed for the kind is rejected", pdfBytes, func() Declared { d := declare(pdfBytes, TypePDF, false); d.AllowedTypes = []string{TypeXLSX}; return d }(), CodeNotAllowedType},
		{"a file over the kind's limit is rejected", pdfBytes, func() Declared { d := declare(pdfBytes, TypePDF, false); d.MaxBytes = 10; return d }(), CodeTooLarge},
		{"a signed p7m passes a must-sign kind", p7m, declare(p7m, TypeP7M, true), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := verify(t, tt.body, tt.d)
			if r.Code != tt.code {
				t.Fatalf("got %+v", r)
			}
		})
	}
	if r := verify(t, p7m, declare(p7m, TypeP7M, true)); r.Signer != "Legale Rappresentante TEST" {
		t.Fatalf("signer %q", r.Signer)
	}
}

func FuzzVerify(f *testing.F) {
	for _, name := range []string{"unsigned.pdf", "signed.p7m", "signed-pades.pdf", "corrupt.p7m", "tariff-detail.xlsx"} {
		b, _ := events.FS.ReadFile("files/" + name)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ct := range []string{TypePDF, TypeP7M, TypeXLSX} {
			r, err := Verify(bytes.NewReader(b), declare(b, ct, true))
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != "verified" && r.Status != "rejected" {
				t.Fatalf("status %q", r.Status)
			}
		}
	})
}
