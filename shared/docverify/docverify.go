// Package docverify checks an uploaded file against what the applicant
// declared and what its kind requires: exact size and SHA-256, the real
// type from the content (never the name or the declared type alone), the
// FVG tariff detail's columns, and, for every signature found, that it is
// well formed and matches the content.
//
// Signatures are CAdES (.p7m: a CMS SignedData with the document inside,
// DER or BER, raw or base64/PEM) and PAdES (a PDF signature dictionary
// whose /ByteRange digest a detached CMS in /Contents signs). For each one
// the message digest must equal the digest of the signed content and the
// signature must verify with the public key of the certificate it names.
// The signer's qualification is not decided: whether that certificate is a
// qualified one (eIDAS) needs the EU trusted lists and revocation data,
// which officers consult for the signer named in Result.Signer.
//
// Memory does not grow with the file: Verify spools the object to a
// temporary file while hashing it, then reads it back in bounded windows
// and streams (the .p7m content is hashed as it passes, never held).
package docverify

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
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

// Statuses.
const (
	StatusVerified = "verified"
	StatusRejected = "rejected"
)

// Rejection codes (stable: clients and audit entries key on them).
const (
	CodeSizeMismatch     = "size_mismatch"
	CodeChecksumMismatch = "checksum_mismatch"
	CodeTypeMismatch     = "type_mismatch"
	CodeNotAllowedType   = "not_allowed_type"
	CodeUnsigned         = "unsigned"
	CodeCorrupt          = "corrupt"
	CodeSignatureInvalid = "signature_invalid"
	CodeColumns          = "xlsx_columns"
	CodeTooLarge         = "too_large"
	CodeSigners          = "signers_missing"
)

// DefaultMaxBytes is the limit when a kind sets none (the contract's 50 MB).
const DefaultMaxBytes = 50 << 20

// Declared is what the applicant said about the file, and what its kind
// requires.
type Declared struct {
	Kind         string
	ContentType  string
	Size         int64
	SHA256       string // lowercase hex
	MustBeSigned bool
	AllowedTypes []string // empty: the three content types above
	MaxBytes     int64    // 0: DefaultMaxBytes
	// MinSigners, when above 1, is how many distinct signers (by their
	// certificates' names) the signatures must name: a convenzione is
	// "sottoscritta da entrambe le parti".
	MinSigners int
	// Columns, if set, must all appear in the header row of the first
	// sheet of an .xlsx: the row, among the first ten, that holds the most
	// of them (a title row above the table is allowed). Case, spacing and
	// Unicode composition are ignored; accents and punctuation are not.
	// The document kind's program names them (program.DocumentKind).
	Columns []string
}

// Result is the verdict.
type Result struct {
	Status   string // StatusVerified or StatusRejected
	Code     string // empty when verified
	Reason   string // Italian, for the applicant; empty when verified
	Detected string // DetectedPDF, DetectedPAdES, DetectedP7M, DetectedXLSX or DetectedUnknown
	Signed   bool   // at least one signature envelope is present and well formed
	// SignatureChecked: every signature was verified against the content
	// with its certificate's key. False with Signed when an algorithm or
	// key type is not supported (the envelope is present, integrity is
	// unknown): officers then check the signature with their own tool.
	SignatureChecked bool
	Signer           string   // signers' certificate common names, "; "-separated
	Signers          []string // the same names, distinct, in the order found
	// SignedContent holds the SHA-256 (lowercase hex) of what a checked
	// signature covers, as it was before signing: a CAdES envelope's
	// content; for PAdES, each revision of the PDF the signature covers
	// (the file up to an end-of-file marker before the signature's own
	// update). A generated document that was signed as it is can be
	// recognised by its digest.
	SignedContent []string
	Size          int64
	SHA256        string // lowercase hex of what was read
	// ContentSHA256 is, for a CAdES envelope, the SHA-256 (lowercase hex)
	// of the signed content inside it: a generated document's signed copy
	// is checked against a fresh rendering with it.
	ContentSHA256 string
}

func (r Result) reject(code, reason string) Result {
	r.Status, r.Code, r.Reason = StatusRejected, code, reason
	return r
}

// ioFailure marks errors of the reader or the spool: retryable, unlike
// bad content.
type ioFailure struct{ err error }

func (e *ioFailure) Error() string { return e.err.Error() }
func (e *ioFailure) Unwrap() error { return e.err }

type failingReaderAt struct{ r io.ReaderAt }

func (f failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &ioFailure{err}
	}
	return n, err
}

// Verify reads r to the end and returns the verdict. The error is only
// for I/O failures (retryable); bad content is always a rejected Result.
func Verify(r io.Reader, d Declared) (Result, error) {
	tmp, err := os.CreateTemp("", "docverify-*")
	if err != nil {
		return Result{}, fmt.Errorf("spool: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	limit := d.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		return Result{}, fmt.Errorf("read object: %w", err)
	}
	res := Result{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Detected: DetectedUnknown}
	if n > limit {
		res.Size, res.SHA256 = 0, "" // only a prefix was read
		return res.reject(CodeTooLarge, fmt.Sprintf("Il file supera la dimensione massima ammessa per questo documento (%d MB).", limit>>20)), nil
	}
	if n != d.Size {
		return res.reject(CodeSizeMismatch, fmt.Sprintf("Il file caricato è di %d byte, ma ne erano stati dichiarati %d.", n, d.Size)), nil
	}
	if res.SHA256 != d.SHA256 {
		return res.reject(CodeChecksumMismatch, "L'impronta SHA-256 del file caricato non corrisponde a quella dichiarata: il file è diverso o danneggiato."), nil
	}
	res, err = inspect(failingReaderAt{tmp}, n, d, res)
	var ioErr *ioFailure
	if errors.As(err, &ioErr) {
		return Result{}, fmt.Errorf("read spool: %w", err)
	}
	if err != nil {
		// Anything else is a content problem the checks did not name.
		return res.reject(CodeCorrupt, "Il file è danneggiato e non si può leggere."), nil
	}
	return res, nil
}

var (
	typeNames    = map[string]string{TypePDF: "PDF", TypeP7M: "firma CAdES .p7m", TypeXLSX: "foglio Excel .xlsx"}
	typeWithNoun = map[string]string{TypePDF: "un PDF", TypeP7M: "una busta firmata CAdES .p7m", TypeXLSX: "un foglio Excel .xlsx"}
)

func inspect(f io.ReaderAt, size int64, d Declared, res Result) (Result, error) {
	allowed := d.AllowedTypes
	if len(allowed) == 0 {
		allowed = []string{TypePDF, TypeP7M, TypeXLSX}
	}
	if typeNames[d.ContentType] == "" || !slices.Contains(allowed, d.ContentType) {
		return res.reject(CodeNotAllowedType, fmt.Sprintf("Il formato dichiarato (%s) non è ammesso per questo documento.", d.ContentType)), nil
	}
	head := make([]byte, 1024)
	k, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return res, fmt.Errorf("read head: %w", err)
	}
	res.Detected = Sniff(head[:k])
	if res.Detected == DetectedXLSX {
		// A zip is an .xlsx only if its package says so; the columns are
		// checked only when an .xlsx was declared (otherwise the verdict
		// is the type mismatch below).
		var columns []string
		if d.ContentType == TypeXLSX {
			columns = d.Columns
		}
		isWorkbook, rej := checkXLSX(f, size, columns)
		if !isWorkbook {
			res.Detected = DetectedUnknown
		}
		if rej != nil && d.ContentType == TypeXLSX {
			return res.reject(rej.code, rej.reason), nil
		}
	}
	detectedType := map[string]string{DetectedPDF: TypePDF, DetectedP7M: TypeP7M, DetectedXLSX: TypeXLSX}[res.Detected]
	if detectedType != d.ContentType {
		what := "non è un PDF, una busta firmata .p7m né un foglio .xlsx"
		if detectedType != "" {
			what = "è " + typeWithNoun[detectedType]
		}
		return res.reject(CodeTypeMismatch, fmt.Sprintf("Il contenuto del file non è del tipo dichiarato (%s): %s.", typeNames[d.ContentType], what)), nil
	}
	switch res.Detected {
	case DetectedPDF:
		rej, err := activeContent(f, size)
		if err != nil {
			return res, err
		}
		if rej != nil {
			return res.reject(rej.code, rej.reason), nil
		}
		pr, rej, err := checkPDF(f, size)
		if err != nil {
			return res, err
		}
		if pr.signatures > 0 {
			res.Detected, res.Signed, res.SignatureChecked, res.Signer, res.Signers = DetectedPAdES, true, pr.checked, signerNames(pr.names), pr.names
			if pr.checked {
				res.SignedContent = pr.revisions
			}
		}
		if rej != nil {
			return res.reject(rej.code, rej.reason), nil
		}
	case DetectedP7M:
		names, checked, content, rej, err := checkP7M(f, size, head[:k])
		if err != nil {
			return res, err
		}
		res.ContentSHA256 = content
		if rej == nil || rej.code == CodeSignatureInvalid {
			// A signature that does not match is still an envelope
			// naming its signer: the officer sees who it claims.
			res.Signed, res.SignatureChecked, res.Signer, res.Signers = true, checked, signerNames(names), names
		}
		if rej == nil && checked {
			res.SignedContent = []string{content}
		}
		if rej != nil {
			return res.reject(rej.code, rej.reason), nil
		}
	}
	if d.MustBeSigned && !res.Signed {
		return res.reject(CodeUnsigned, "Questo documento deve essere firmato digitalmente (CAdES .p7m o PAdES): il file caricato non contiene una firma."), nil
	}
	if d.MinSigners > 1 && len(res.Signers) < d.MinSigners {
		found := "nessun firmatario"
		if len(res.Signers) > 0 {
			found = fmt.Sprintf("%d (%s)", len(res.Signers), res.Signer)
		}
		return res.reject(CodeSigners, fmt.Sprintf("Questo documento deve essere sottoscritto da almeno %d firmatari distinti: la firma ne riporta %s.", d.MinSigners, found)), nil
	}
	res.Status = StatusVerified
	return res, nil
}

// checkP7M walks the envelope as a stream, decoding base64 on the way when
// the file is armored.
func checkP7M(f io.ReaderAt, size int64, head []byte) (names []string, checked bool, contentSHA256 string, rej *rejection, err error) {
	var r io.Reader = io.NewSectionReader(f, 0, size)
	if !contentInfoHead(head) {
		if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
			r = io.NewSectionReader(f, 3, size-3) // a BOM some editors add to text files
		}
		r = base64.NewDecoder(base64.StdEncoding, &armorStripper{r: bufio.NewReader(r), lineStart: true})
	}
	sd, err := readSignedData(r)
	var ioErr *ioFailure
	switch {
	case errors.As(err, &ioErr):
		return nil, false, "", nil, err
	case err != nil:
		return nil, false, "", &rejection{CodeCorrupt, "La busta di firma .p7m è danneggiata o incompleta: non contiene una firma leggibile."}, nil
	case !sd.attached:
		return nil, false, "", &rejection{CodeCorrupt, "La busta .p7m non contiene il documento firmato (è una firma separata dal documento): caricare il file .p7m con il documento incluso."}, nil
	}
	contentSHA256 = hex.EncodeToString(sd.digests[crypto.SHA256])
	names, checked, err = checkSigners(sd)
	switch {
	case errors.Is(err, errBadSignature):
		return names, false, contentSHA256, &rejection{CodeSignatureInvalid, "La firma della busta .p7m non corrisponde al documento contenuto: il file è stato modificato dopo la firma."}, nil
	case err != nil:
		return nil, false, "", &rejection{CodeCorrupt, "La busta di firma .p7m è danneggiata: il firmatario non è leggibile."}, nil
	}
	return names, checked, contentSHA256, nil, nil
}

// armorStripper drops PEM armor lines ("-----BEGIN …-----") and all
// blanks, leaving the base64 text.
type armorStripper struct {
	r         *bufio.Reader
	lineStart bool
	inArmor   bool
}

func (a *armorStripper) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c, err := a.r.ReadByte()
		if err != nil {
			if n > 0 && errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
		switch {
		case c == '\n':
			a.lineStart, a.inArmor = true, false
			continue
		case a.inArmor:
			continue
		case a.lineStart && c == '-':
			a.inArmor = true
			continue
		}
		a.lineStart = false
		switch c {
		case ' ', '\t', '\r', '\f', '\v':
			continue
		}
		p[n] = c
		n++
	}
	return n, nil
}

// Sniff tells the kind of content from its first bytes (up to 1 KB is
// used). "xlsx" means a zip: Verify confirms it is a workbook. A .p7m is
// recognised as DER/BER or as base64 text of it, with or without PEM
// armor. A PDF must start with "%PDF-": leading junk, which some readers
// tolerate, is how polyglot files hide, so it is refused.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return DetectedPDF
	case contentInfoHead(head):
		return DetectedP7M
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return DetectedXLSX
	case base64ContentInfo(head):
		return DetectedP7M
	}
	return DetectedUnknown
}

// base64ContentInfo decodes the first base64 characters of head (after
// any PEM armor) and checks they start a SignedData ContentInfo.
func base64ContentInfo(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	text, err := io.ReadAll(&armorStripper{r: bufio.NewReader(bytes.NewReader(head)), lineStart: true})
	if err != nil || len(text) < 24 {
		return false
	}
	text = text[:len(text)/4*4]
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(raw, text)
	if err != nil {
		return false
	}
	return contentInfoHead(raw[:n])
}
