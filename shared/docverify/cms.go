package docverify

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	"github.com/smallstep/pkcs7"
)

var errCMS = errors.New("not a CMS SignedData with a signer")

// maxIndefinite bounds the BER (indefinite length) envelopes parsed whole.
const maxIndefinite = 16 << 20

type tlv struct {
	tag        byte
	length     int64 // -1: indefinite
	headerSize int64
}

func readTLV(r *io.SectionReader, off int64) (tlv, error) {
	var b [6]byte
	n, err := r.ReadAt(b[:], off)
	if n < 2 {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return tlv{}, err
	}
	t := tlv{tag: b[0], headerSize: 2}
	l := b[1]
	switch {
	case l < 0x80:
		t.length = int64(l)
	case l == 0x80:
		t.length = -1
	default:
		k := int(l & 0x7f)
		if k > 4 || n < 2+k {
			return tlv{}, errCMS
		}
		for _, x := range b[2 : 2+k] {
			t.length = t.length<<8 | int64(x)
		}
		t.headerSize += int64(k)
	}
	return t, nil
}

// cmsEnvelope walks a DER ContentInfo → SignedData without reading the
// (possibly large) signed content into memory, and returns the first
// certificate's subject CN. The envelope must hold at least one SignerInfo.
func cmsEnvelope(r *io.SectionReader) (string, error) {
	outer, err := readTLV(r, 0)
	if err != nil || outer.tag != 0x30 {
		return "", errCMS
	}
	if outer.length < 0 {
		return cmsWhole(r)
	}
	off := outer.headerSize
	oid, err := readTLV(r, off)
	if err != nil || oid.tag != 0x06 {
		return "", errCMS
	}
	oidBytes := make([]byte, oid.headerSize+oid.length)
	if _, err := r.ReadAt(oidBytes, off); err != nil || !bytes.Equal(oidBytes, signedDataOID) {
		return "", errCMS
	}
	off += oid.headerSize + oid.length
	explicit, err := readTLV(r, off)
	if err != nil || explicit.tag != 0xa0 {
		return "", errCMS
	}
	off += explicit.headerSize
	sd, err := readTLV(r, off)
	if err != nil || sd.tag != 0x30 {
		return "", errCMS
	}
	if sd.length < 0 || explicit.length < 0 {
		return cmsWhole(r)
	}
	end := off + sd.headerSize + sd.length
	off += sd.headerSize
	signer := ""
	for i := 0; off < end; i++ {
		t, err := readTLV(r, off)
		if err != nil || t.length < 0 {
			return cmsWhole(r)
		}
		body := off + t.headerSize
		switch {
		case i == 0 && t.tag != 0x02, i == 1 && t.tag != 0x31, i == 2 && t.tag != 0x30:
			return "", errCMS // version, digestAlgorithms, encapContentInfo
		case t.tag == 0xa0 && t.length < 4<<20: // certificates
			raw := make([]byte, t.length)
			if _, err := r.ReadAt(raw, body); err != nil {
				return "", errCMS
			}
			if certs, err := x509.ParseCertificates(raw); err == nil && len(certs) > 0 {
				signer = certs[0].Subject.CommonName
			}
		case t.tag == 0x31 && i > 2: // signerInfos
			first, err := readTLV(r, body)
			if t.length == 0 || err != nil || first.tag != 0x30 {
				return "", errCMS
			}
			return signer, nil
		}
		off = body + t.length
	}
	return "", errCMS
}

// cmsWhole parses a BER envelope in full (bounded).
func cmsWhole(r *io.SectionReader) (string, error) {
	if r.Size() > maxIndefinite {
		return "", fmt.Errorf("BER envelope over %d bytes: %w", maxIndefinite, errCMS)
	}
	b := make([]byte, r.Size())
	if _, err := r.ReadAt(b, 0); err != nil && err != io.EOF {
		return "", errCMS
	}
	p7, err := pkcs7.Parse(b)
	if err != nil || len(p7.Signers) == 0 {
		return "", errCMS
	}
	if len(p7.Certificates) > 0 {
		return p7.Certificates[0].Subject.CommonName, nil
	}
	return "", nil
}
