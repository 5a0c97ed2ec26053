package docverify

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strconv"
)

// PAdES: a PDF signature is a dictionary (/Type /Sig, /SubFilter
// /ETSI.CAdES.detached or /adbe.pkcs7.detached) whose /ByteRange [0 a b c]
// names the signed bytes — all of the file up to the revision it signs but
// the gap [a, b) that holds /Contents, a hex string with a detached CMS
// SignedData. The file is scanned in fixed-size chunks; every look at a
// dictionary reads a bounded window, so memory does not grow with the file.

const (
	scanChunk = 1 << 20
	// dictWindow bounds how far around /ByteRange (outside /Contents) the
	// rest of its dictionary is looked for.
	dictWindow = 16 << 10
	// maxSigHex bounds a /Contents hex string (1 MB of CMS: a signature
	// with its chain and revocation data fits many times over).
	maxSigHex = 2 << 20
	// maxSigCandidates bounds the /ByteRange occurrences examined (the
	// last ones in the file: the most recent revisions).
	maxSigCandidates = 16
)

var (
	byteRangeKey   = []byte("/ByteRange")
	byteRangeArray = regexp.MustCompile(`^\s*\[\s*(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s*\]`)
	typeName       = regexp.MustCompile(`/Type\s*/([^\s/<>\[\]()%{}]+)`)
	subFilterName  = regexp.MustCompile(`/SubFilter\s*/([^\s/<>\[\]()%{}]+)`)
)

// rejection is a content verdict: a stable code and an Italian reason.
type rejection struct {
	code, reason string
}

// pdfResult is what the signature scan found.
type pdfResult struct {
	signatures int      // signature dictionaries whose CMS was read
	names      []string // signers' certificate names
	checked    bool     // every signature's integrity was verified
	revisions  []string // SHA-256 of each revision a checked signature covers
}

func corruptSignature(detail string) *rejection {
	return &rejection{CodeCorrupt, "La firma PAdES del PDF è danneggiata: " + detail + "."}
}

// checkPDF verifies the PDF's end marker and every signature dictionary.
func checkPDF(f io.ReaderAt, size int64) (pdfResult, *rejection, error) {
	res := pdfResult{checked: true}
	tail := make([]byte, min(size, 1024))
	if _, err := f.ReadAt(tail, size-int64(len(tail))); err != nil && !errors.Is(err, io.EOF) {
		return res, nil, fmt.Errorf("read pdf tail: %w", err)
	}
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return pdfResult{}, &rejection{CodeCorrupt, "Il PDF è incompleto o danneggiato (manca la fine del file): caricarlo di nuovo."}, nil
	}
	offsets, err := findAll(f, size, byteRangeKey, maxSigCandidates)
	if err != nil {
		return pdfResult{}, nil, err
	}
	for _, at := range offsets {
		sig, rej, err := examine(f, size, at)
		if err != nil {
			return pdfResult{}, nil, err
		}
		if sig != nil {
			res.signatures++
			res.checked = res.checked && sig.checked
			for _, d := range sig.revisions {
				if !containsString(res.revisions, d) {
					res.revisions = append(res.revisions, d)
				}
			}
			for _, n := range sig.names {
				if !containsString(res.names, n) {
					res.names = append(res.names, n)
				}
			}
		}
		if rej != nil {
			res.checked = false
			return res, rej, nil
		}
	}
	res.checked = res.checked && res.signatures > 0
	return res, nil, nil
}

// findAll returns the offsets of the last keep occurrences of needle,
// reading chunks that overlap by len(needle)-1 bytes.
func findAll(f io.ReaderAt, size int64, needle []byte, keep int) ([]int64, error) {
	buf := make([]byte, min(scanChunk, size)+int64(len(needle))-1)
	var found []int64
	for off := int64(0); off < size; off += scanChunk {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("scan pdf: %w", err)
		}
		for i := 0; ; {
			j := bytes.Index(buf[i:n], needle)
			if j < 0 || i+j >= scanChunk { // a match starting in the overlap belongs to the next chunk
				break
			}
			found = append(found, off+int64(i+j))
			if len(found) > keep {
				found = found[1:]
			}
			i += j + 1
		}
	}
	return found, nil
}

func readAt(f io.ReaderAt, from, to int64) ([]byte, error) {
	b := make([]byte, to-from)
	n, err := f.ReadAt(b, from)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read pdf: %w", err)
	}
	return b[:n], nil
}

type sigKind int

const (
	notSignature sigKind = iota
	signature
	timestamp
)

// classify tells from a dictionary's text whether it is a signature, a
// document timestamp (ETSI.RFC3161, not a person's signature) or neither.
func classify(dict []byte) (sigKind, string) {
	subFilter := ""
	if m := subFilterName.FindSubmatch(dict); m != nil {
		subFilter = string(m[1])
	}
	isSig := false
	for _, m := range typeName.FindAllSubmatch(dict, -1) {
		switch string(m[1]) {
		case "DocTimeStamp":
			return timestamp, subFilter
		case "Sig":
			isSig = true
		}
	}
	switch subFilter {
	case "ETSI.RFC3161":
		return timestamp, subFilter
	case "ETSI.CAdES.detached", "adbe.pkcs7.detached", "adbe.pkcs7.sha1":
		isSig = true
	}
	if isSig {
		return signature, subFilter
	}
	return notSignature, subFilter
}

type pdfSignature struct {
	names     []string
	checked   bool
	revisions []string
}

// maxRevisions bounds how many earlier revisions of a signed PDF are
// digested (each is a prefix of the file, hashed from the start).
const maxRevisions = 4

// revisions digests the revisions a signature covers: the file up to each
// "%%EOF" (and its end of line) before signedEnd, where the signature's
// /Contents begins. The document as it was before signing is one of them.
func revisions(f io.ReaderAt, signedEnd int64) ([]string, error) {
	eofs, err := findAll(f, signedEnd, []byte("%%EOF"), maxRevisions)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, at := range eofs {
		end := at + 5
		tail, err := readAt(f, end, min(signedEnd, end+2))
		if err != nil {
			return nil, err
		}
		ends := []int64{end}
		switch {
		case bytes.HasPrefix(tail, []byte("\r\n")):
			ends = append(ends, end+2)
		case len(tail) > 0 && (tail[0] == '\n' || tail[0] == '\r'):
			ends = append(ends, end+1)
		}
		for _, e := range ends {
			h := sha256.New()
			if _, err := io.Copy(h, io.NewSectionReader(f, 0, e)); err != nil {
				return nil, fmt.Errorf("hash revision: %w", err)
			}
			out = append(out, hex.EncodeToString(h.Sum(nil)))
		}
	}
	return out, nil
}

// examine looks at one /ByteRange. It returns nil (not a signature), the
// checked signature, or a rejection.
func examine(f io.ReaderAt, size int64, at int64) (*pdfSignature, *rejection, error) {
	keyEnd := at + int64(len(byteRangeKey))
	near, err := readAt(f, max(0, at-dictWindow), min(size, keyEnd+dictWindow))
	if err != nil {
		return nil, nil, err
	}
	// A /ByteRange that is not in a signature dictionary (a text that
	// merely contains the word) is not a signature.
	looksSigned, _ := classify(near)
	arr, err := readAt(f, keyEnd, min(size, keyEnd+128))
	if err != nil {
		return nil, nil, err
	}
	m := byteRangeArray.FindSubmatch(arr)
	if m == nil {
		if looksSigned == signature {
			return nil, corruptSignature("/ByteRange illeggibile"), nil
		}
		return nil, nil, nil
	}
	var r [4]int64
	for i := range r {
		r[i], _ = strconv.ParseInt(string(m[i+1]), 10, 64)
	}
	gapStart, gapEnd := r[0]+r[1], r[2]
	arrEnd := keyEnd + int64(len(m[0]))
	switch {
	case r[0] != 0 || r[1] <= 0 || gapEnd <= gapStart || r[2]+r[3] > size:
		if looksSigned == signature {
			return nil, corruptSignature("/ByteRange non descrive il file"), nil
		}
		return nil, nil, nil
	case gapEnd-gapStart > maxSigHex+2:
		return nil, corruptSignature("/Contents troppo grande"), nil
	case at >= gapStart && at < gapEnd:
		return nil, nil, nil // inside another signature's /Contents
	}
	// The dictionary around /ByteRange, less the /Contents gap: from the
	// last "obj" before it to the first "endobj" after it, in bounded
	// windows.
	lo, hi := min(at, gapStart), max(arrEnd, gapEnd)
	var middle []byte
	switch {
	case at < gapStart && gapStart-arrEnd <= dictWindow:
		middle, err = readAt(f, at, gapStart)
	case at > gapEnd && at-gapEnd <= dictWindow:
		middle, err = readAt(f, gapEnd, arrEnd)
	default:
		if looksSigned == signature {
			return nil, corruptSignature("/ByteRange non indica il proprio /Contents"), nil
		}
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	before, err := readAt(f, max(0, lo-dictWindow), lo)
	if err != nil {
		return nil, nil, err
	}
	if i := bytes.LastIndex(before, []byte("obj")); i >= 0 {
		before = before[i:]
	}
	after, err := readAt(f, hi, min(size, hi+dictWindow))
	if err != nil {
		return nil, nil, err
	}
	if i := bytes.Index(after, []byte("endobj")); i >= 0 {
		after = after[:i]
	}
	kind, subFilter := classify(bytes.Join([][]byte{before, middle, after}, []byte(" ")))
	if kind != signature {
		return nil, nil, nil
	}
	gap, err := readAt(f, gapStart, gapEnd)
	if err != nil {
		return nil, nil, err
	}
	if len(gap) < 2 || gap[0] != '<' || gap[len(gap)-1] != '>' {
		return nil, corruptSignature("/ByteRange non esclude esattamente /Contents"), nil
	}
	der, err := hex.DecodeString(string(stripSpace(gap[1 : len(gap)-1])))
	if err != nil {
		return nil, corruptSignature("/Contents non è esadecimale"), nil
	}
	sd, err := readSignedData(bytes.NewReader(der))
	if err != nil {
		return nil, corruptSignature("/Contents non contiene una busta CMS con firmatario"), nil
	}
	if sd.attached || (subFilter != "ETSI.CAdES.detached" && subFilter != "adbe.pkcs7.detached" && subFilter != "") {
		// adbe.pkcs7.sha1 and other variants sign a digest inside the
		// envelope: the envelope is there, its integrity is not checked.
		names, _, err := checkSigners(sd)
		if errors.Is(err, errCMS) {
			return nil, corruptSignature("il firmatario non è leggibile"), nil
		}
		return &pdfSignature{names: names}, nil, nil
	}
	if err := hashRanges(f, sd, [2][2]int64{{0, r[1]}, {r[2], r[3]}}); err != nil {
		return nil, nil, err
	}
	names, checked, err := checkSigners(sd)
	switch {
	case errors.Is(err, errBadSignature):
		// The envelope is there and names its signer: say so, and why
		// it does not hold.
		return &pdfSignature{names: names}, &rejection{CodeSignatureInvalid, "La firma PAdES non corrisponde al contenuto del PDF: il file è stato modificato dopo la firma."}, nil
	case err != nil:
		return nil, corruptSignature("il firmatario non è leggibile"), nil
	}
	sig := &pdfSignature{names: names, checked: checked}
	if checked {
		if sig.revisions, err = revisions(f, r[1]); err != nil {
			return nil, nil, err
		}
	}
	return sig, nil, nil
}

// hashRanges digests the signed byte ranges with each algorithm the
// envelope's signers use.
func hashRanges(f io.ReaderAt, sd *signedData, ranges [2][2]int64) error {
	hs := map[crypto.Hash]hash.Hash{}
	for _, raw := range sd.signerInfos {
		if si, err := parseSignerInfo(raw); err == nil {
			if h, ok := hashForOID(si.digestAlg); ok && hs[h] == nil {
				hs[h] = h.New()
			}
		}
		if len(hs) >= 5 {
			break
		}
	}
	ws := make([]io.Writer, 0, len(hs))
	for _, w := range hs {
		ws = append(ws, w)
	}
	w := io.MultiWriter(ws...)
	for _, r := range ranges {
		if _, err := io.Copy(w, io.NewSectionReader(f, r[0], r[1])); err != nil {
			return fmt.Errorf("hash signed range: %w", err)
		}
	}
	for h, w := range hs {
		sd.digests[h] = w.Sum(nil)
	}
	return nil
}

func stripSpace(b []byte) []byte {
	return bytes.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n', '\f', 0:
			return -1
		}
		return r
	}, b)
}
