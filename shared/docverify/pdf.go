package docverify

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/smallstep/pkcs7"
)

type pdfSig struct {
	found   bool
	corrupt string
	signer  string
}

// lastIndex finds the last offset of needle in f, reading in chunks with
// an overlap so that a match across two chunks is not missed.
func lastIndex(f *os.File, size int64, needle []byte) (int64, error) {
	const chunk = 1 << 20
	buf := make([]byte, chunk+len(needle))
	last := int64(-1)
	for off := int64(0); off < size; off += chunk {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if err != nil && err != io.EOF {
			return -1, fmt.Errorf("scan pdf: %w", err)
		}
		if i := bytes.LastIndex(buf[:n], needle); i >= 0 {
			last = off + int64(i)
		}
	}
	return last, nil
}

// pdfSignature looks for the last signature dictionary: its /ByteRange
// must start at 0 and leave a gap holding a hex /Contents that decodes to
// a CMS SignedData (PAdES: ETSI.CAdES.detached or adbe.pkcs7.detached).
func pdfSignature(f *os.File, size int64) (pdfSig, error) {
	at, err := lastIndex(f, size, []byte("/ByteRange"))
	if err != nil || at < 0 {
		return pdfSig{}, err
	}
	buf := make([]byte, 200)
	n, _ := f.ReadAt(buf, at+int64(len("/ByteRange")))
	s := string(buf[:n])
	open, close := strings.IndexByte(s, '['), strings.IndexByte(s, ']')
	if open < 0 || close < open {
		return pdfSig{found: true, corrupt: "/ByteRange illeggibile"}, nil
	}
	parts := strings.Fields(s[open+1 : close])
	if len(parts) != 4 {
		return pdfSig{found: true, corrupt: "/ByteRange deve avere quattro numeri"}, nil
	}
	var r [4]int64
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 {
			return pdfSig{found: true, corrupt: "/ByteRange non numerico"}, nil
		}
		r[i] = v
	}
	gapStart, gapEnd := r[0]+r[1], r[2]
	if r[0] != 0 || gapEnd <= gapStart || r[2]+r[3] > size || gapEnd-gapStart > 1<<20 {
		return pdfSig{found: true, corrupt: "/ByteRange non copre il documento"}, nil
	}
	gap := make([]byte, gapEnd-gapStart)
	if _, err := f.ReadAt(gap, gapStart); err != nil {
		return pdfSig{}, fmt.Errorf("read signature: %w", err)
	}
	h := strings.TrimSpace(string(gap))
	if !strings.HasPrefix(h, "<") || !strings.HasSuffix(h, ">") {
		return pdfSig{found: true, corrupt: "/Contents non è una stringa esadecimale"}, nil
	}
	der, err := hex.DecodeString(h[1 : len(h)-1])
	if err != nil {
		return pdfSig{found: true, corrupt: "/Contents non è esadecimale"}, nil
	}
	der = trimDERPadding(der)
	p7, err := pkcs7.Parse(der)
	if err != nil || len(p7.Signers) == 0 {
		return pdfSig{found: true, corrupt: "la firma non è una busta CMS"}, nil
	}
	signer := ""
	if len(p7.Certificates) > 0 {
		signer = p7.Certificates[0].Subject.CommonName
	}
	return pdfSig{found: true, signer: signer}, nil
}

// trimDERPadding drops the zero bytes that fill /Contents after the DER
// value, using the outer length.
func trimDERPadding(der []byte) []byte {
	if len(der) < 2 || der[0] != 0x30 {
		return der
	}
	l := int(der[1])
	hdr := 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 4 || len(der) < 2+n {
			return der
		}
		l = 0
		for _, b := range der[2 : 2+n] {
			l = l<<8 | int(b)
		}
		hdr += n
	}
	if hdr+l <= len(der) {
		return der[:hdr+l]
	}
	return der
}

func hasPDFTrailer(f *os.File, size int64) bool {
	tail := make([]byte, min(size, 1024))
	n, _ := f.ReadAt(tail, size-int64(len(tail)))
	return bytes.Contains(tail[:n], []byte("%%EOF"))
}
