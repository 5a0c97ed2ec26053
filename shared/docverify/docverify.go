// Package docverify checks an uploaded file against what the applicant
// declared and what its kind requires: exact size and SHA-256, the real
// type from the content (never the name or the declared type alone), and,
// for kinds that must be signed, a signature envelope — a CMS SignedData
// (CAdES .p7m) or a PDF signature dictionary with /ByteRange (PAdES).
//
// It checks the envelope's structure, not the signer's qualification: that
// needs the EU trusted lists, which officers consult for the signer named
// in Result.Signer. Files are spooled to a temporary file while hashed, so
// memory does not grow with size.
package docverify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Content types the calls accept.
const (
	TypePDF  = "application/pdf"
	TypeP7M  = "application/pkcs7-mime"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// Detected kinds of content.
const (
	DetectedPDF     = "pdf"
	DetectedPAdES   = "pades"
	DetectedP7M     = "p7m"
	DetectedXLSX    = "xlsx"
	DetectedUnknown = "unknown"
)

// Rejection codes (stable).
const (
	CodeSizeMismatch     = "size_mismatch"
	CodeChecksumMismatch = "checksum_mismatch"
	CodeTypeMismatch     = "type_mismatch"
	CodeNotAllowedType   = "not_allowed_type"
	CodeUnsigned         = "unsigned"
	CodeCorrupt          = "corrupt"
	CodeColumns          = "xlsx_columns"
	CodeTooLarge         = "too_large"
)

// Declared is what the applicant said about the file, and what its kind
// requires.
type Declared struct {
	Kind         string
	ContentType  string
	Size         int64
	SHA256       string // lowercase hex
	MustBeSigned bool
	AllowedTypes []string
	MaxBytes     int64
	// Columns, if set, must all appear in the header row of the first
	// sheet of an .xlsx (case and spacing ignored).
	Columns []string
}

// Result is the verdict.
type Result struct {
	Status   string // verified | rejected
	Code     string
	Reason   string // Italian, for the applicant
	Detected string
	Signed   bool
	Signer   string // subject CN of the first signer certificate, if any
	Size     int64
	SHA256   string
}

func rejected(r Result, code, format string, args ...any) Result {
	r.Status, r.Code, r.Reason = "rejected", code, fmt.Sprintf(format, args...)
	return r
}

// Verify reads r to the end and returns the verdict. The error is only
// for I/O failures (retryable); bad content is a rejected Result.
func Verify(r io.Reader, d Declared) (Result, error) {
	tmp, err := os.CreateTemp("", "docverify-*")
	if err != nil {
		return Result{}, fmt.Errorf("spool: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	limit := d.MaxBytes
	if limit <= 0 {
		limit = 100 << 20
	}
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		return Result{}, fmt.Errorf("read object: %w", err)
	}
	res := Result{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Detected: DetectedUnknown}
	if n > limit {
		return rejected(res, CodeTooLarge, "Il file supera la dimensione massima ammessa per questo tipo di documento."), nil
	}
	if n != d.Size {
		return rejected(res, CodeSizeMismatch, "Il file caricato è di %d byte, ma ne erano stati dichiarati %d.", n, d.Size), nil
	}
	if res.SHA256 != d.SHA256 {
		return rejected(res, CodeChecksumMismatch, "L'impronta SHA-256 del file caricato non corrisponde a quella dichiarata: il file è diverso o danneggiato."), nil
	}
	return inspect(tmp, n, d, res)
}

func inspect(f *os.File, size int64, d Declared, res Result) (Result, error) {
	head := make([]byte, 64)
	k, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return res, fmt.Errorf("read head: %w", err)
	}
	res.Detected = Sniff(head[:k])
	want := map[string]string{DetectedPDF: TypePDF, DetectedP7M: TypeP7M, DetectedXLSX: TypeXLSX}[res.Detected]
	if res.Detected == DetectedUnknown || want != d.ContentType {
		return rejected(res, CodeTypeMismatch, "Il contenuto del file non è del tipo dichiarato (%s): sono ammessi solo PDF, firme CAdES .p7m e fogli .xlsx.", d.ContentType), nil
	}
	if len(d.AllowedTypes) > 0 && !slices.Contains(d.AllowedTypes, want) {
		return rejected(res, CodeNotAllowedType, "Formato non ammesso per questo documento."), nil
	}
	switch res.Detected {
	case DetectedPDF:
		sig, err := pdfSignature(f, size)
		if err != nil {
			return res, err
		}
		switch {
		case sig.corrupt != "":
			return rejected(res, CodeCorrupt, "La firma PAdES del PDF non è valida: %s.", sig.corrupt), nil
		case sig.found:
			res.Detected, res.Signed, res.Signer = DetectedPAdES, true, sig.signer
		}
		if !hasPDFTrailer(f, size) {
			return rejected(res, CodeCorrupt, "Il PDF è incompleto o danneggiato (manca la fine del file)."), nil
		}
	case DetectedP7M:
		signer, err := cmsEnvelope(io.NewSectionReader(f, 0, size))
		if err != nil {
			return rejected(res, CodeCorrupt, "La busta di firma .p7m è danneggiata o non contiene firme."), nil
		}
		res.Signed, res.Signer = true, signer
	case DetectedXLSX:
		if msg := checkXLSX(f, size, d.Columns); msg != "" {
			code := CodeColumns
			if msg == errNotSpreadsheet {
				code = CodeCorrupt
			}
			return rejected(res, code, "%s", msg), nil
		}
	}
	if d.MustBeSigned && !res.Signed {
		return rejected(res, CodeUnsigned, "Questo documento deve essere firmato digitalmente (CAdES .p7m o PAdES): il file caricato non contiene una firma."), nil
	}
	res.Status = "verified"
	return res, nil
}

// signedDataOID is 1.2.840.113549.1.7.2 in DER.
var signedDataOID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}

// Sniff tells the kind of content from its first bytes.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return DetectedPDF
	case len(head) > 2 && head[0] == 0x30 && bytes.Contains(head[:min(len(head), 24)], signedDataOID):
		return DetectedP7M
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return DetectedXLSX // confirmed (or refused) by checkXLSX
	}
	return DetectedUnknown
}
