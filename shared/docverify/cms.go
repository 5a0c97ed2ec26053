package docverify

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"io"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The CMS SignedData of RFC 5652, as CAdES (.p7m) and PAdES (/Contents)
// carry it. The envelope is walked as a stream: the signed content is
// hashed on the way and never kept; only the certificates and the
// SignerInfos are held, each bounded.

var errCMS = errors.New("not a CMS SignedData")

var (
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
)

// signedDataOID is the DER encoding of the signedData OID (with its tag),
// for sniffing.
var signedDataOID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}

const (
	// maxCertificates bounds the certificates kept from one envelope
	// (a signer's chain with revocation data stays well under it).
	maxCertificates = 1 << 20
	// maxSignerInfos bounds the SignerInfos kept.
	maxSignerInfos = 1 << 20
	// maxSigners bounds how many signatures of one envelope are checked.
	maxSigners = 16
)

// signedData is what the walk keeps of an envelope.
type signedData struct {
	contentType asn1.ObjectIdentifier // eContentType
	attached    bool                  // the signed content is inside
	digests     map[crypto.Hash][]byte
	certs       [][]byte // DER, each one CertificateChoices element
	signerInfos [][]byte // DER, each one SignerInfo
}

// readSignedData walks a ContentInfo holding a SignedData. When the content
// is attached it is hashed with every supported algorithm the envelope
// lists, plus SHA-256. Trailing bytes after the envelope other than
// padding (NUL, blanks) are refused: they would be unsigned content.
func readSignedData(r io.Reader) (*signedData, error) {
	b := newBERReader(r)
	sd := &signedData{digests: map[crypto.Hash][]byte{}}
	outer, err := b.header()
	if err != nil {
		return nil, err
	}
	if !outer.is(classUniversal, true, tagSequence) {
		return nil, fmt.Errorf("%w: ContentInfo is not a SEQUENCE", errCMS)
	}
	step := 0
	err = b.children(outer, 1, func(h berHeader) error {
		defer func() { step++ }()
		switch step {
		case 0:
			oid, err := readOID(b, h)
			if err != nil {
				return err
			}
			if !oid.Equal(oidSignedData) {
				return fmt.Errorf("%w: content type %v", errCMS, oid)
			}
			return nil
		case 1:
			if !h.is(classContext, true, 0) {
				return fmt.Errorf("%w: missing [0] content", errCMS)
			}
			inner := 0
			return b.children(h, 2, func(c berHeader) error {
				inner++
				if inner > 1 || !c.is(classUniversal, true, tagSequence) {
					return fmt.Errorf("%w: [0] must hold one SignedData", errCMS)
				}
				return sd.read(b, c)
			})
		}
		return fmt.Errorf("%w: extra ContentInfo field", errCMS)
	})
	if err != nil {
		return nil, err
	}
	if step < 2 {
		return nil, fmt.Errorf("%w: ContentInfo without content", errCMS)
	}
	if err := onlyPadding(b.r); err != nil {
		return nil, err
	}
	return sd, nil
}

func onlyPadding(r io.Reader) error {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			switch c {
			case 0, ' ', '\t', '\r', '\n':
			default:
				return fmt.Errorf("%w: data after the envelope", errCMS)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func readOID(b *berReader, h berHeader) (asn1.ObjectIdentifier, error) {
	if !h.is(classUniversal, false, tagOID) || h.length > 64 {
		return nil, fmt.Errorf("%w: expected an OID", errCMS)
	}
	budget := int64(80)
	raw, err := b.capture(h, &budget, 0)
	if err != nil {
		return nil, err
	}
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(raw, &oid); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("%w: bad OID", errCMS)
	}
	return oid, nil
}

// read walks SignedData ::= SEQUENCE { version, digestAlgorithms,
// encapContentInfo, [0] certificates OPTIONAL, [1] crls OPTIONAL,
// signerInfos }.
func (sd *signedData) read(b *berReader, h berHeader) error {
	field := 0
	var hashers map[crypto.Hash]hash.Hash
	certBudget, signerBudget := int64(maxCertificates), int64(maxSignerInfos)
	sawSigners := false
	err := b.children(h, 3, func(c berHeader) error {
		defer func() { field++ }()
		switch {
		case field == 0:
			if !c.is(classUniversal, false, tagInteger) || c.length > 4 {
				return fmt.Errorf("%w: version", errCMS)
			}
			return b.skip(c, 4)
		case field == 1:
			if !c.is(classUniversal, true, tagSet) {
				return fmt.Errorf("%w: digestAlgorithms", errCMS)
			}
			budget := int64(4096)
			raw, err := b.capture(c, &budget, 4)
			if err != nil {
				return err
			}
			hashers = digestHashers(raw)
			return nil
		case field == 2:
			if !c.is(classUniversal, true, tagSequence) {
				return fmt.Errorf("%w: encapContentInfo", errCMS)
			}
			return sd.readEncap(b, c, hashers)
		case sawSigners:
			return fmt.Errorf("%w: field after signerInfos", errCMS)
		case c.is(classContext, true, 0):
			return b.children(c, 4, func(cert berHeader) error {
				raw, err := b.capture(cert, &certBudget, 5)
				if err != nil {
					return err
				}
				sd.certs = append(sd.certs, raw)
				return nil
			})
		case c.is(classContext, true, 1):
			return b.skip(c, 4)
		case c.is(classUniversal, true, tagSet):
			sawSigners = true
			return b.children(c, 4, func(si berHeader) error {
				if !si.is(classUniversal, true, tagSequence) {
					return fmt.Errorf("%w: SignerInfo is not a SEQUENCE", errCMS)
				}
				raw, err := b.capture(si, &signerBudget, 5)
				if err != nil {
					return err
				}
				sd.signerInfos = append(sd.signerInfos, raw)
				return nil
			})
		}
		return fmt.Errorf("%w: unexpected SignedData field", errCMS)
	})
	if err != nil {
		return err
	}
	if !sawSigners {
		return fmt.Errorf("%w: no signerInfos", errCMS)
	}
	if len(sd.signerInfos) == 0 {
		return fmt.Errorf("%w: no SignerInfo", errCMS)
	}
	return nil
}

// readEncap walks EncapsulatedContentInfo ::= SEQUENCE { eContentType,
// [0] EXPLICIT eContent OCTET STRING OPTIONAL }, hashing the content.
func (sd *signedData) readEncap(b *berReader, h berHeader, hashers map[crypto.Hash]hash.Hash) error {
	field := 0
	err := b.children(h, 4, func(c berHeader) error {
		defer func() { field++ }()
		switch field {
		case 0:
			oid, err := readOID(b, c)
			sd.contentType = oid
			return err
		case 1:
			if !c.is(classContext, true, 0) {
				return fmt.Errorf("%w: eContent", errCMS)
			}
			ws := make([]io.Writer, 0, len(hashers))
			for _, h := range hashers {
				ws = append(ws, h)
			}
			w := io.MultiWriter(ws...)
			n := 0
			err := b.children(c, 5, func(o berHeader) error {
				n++
				if n > 1 {
					return fmt.Errorf("%w: eContent holds one OCTET STRING", errCMS)
				}
				return b.octets(o, w, 6)
			})
			if err != nil {
				return err
			}
			sd.attached = n == 1
			for alg, h := range hashers {
				sd.digests[alg] = h.Sum(nil)
			}
			return nil
		}
		return fmt.Errorf("%w: extra encapContentInfo field", errCMS)
	})
	if err != nil {
		return err
	}
	if field == 0 {
		return fmt.Errorf("%w: encapContentInfo without type", errCMS)
	}
	return nil
}

// digestHashers returns a hasher for each supported algorithm in a DER
// DigestAlgorithmIdentifiers SET, always including SHA-256.
func digestHashers(set []byte) map[crypto.Hash]hash.Hash {
	hs := map[crypto.Hash]hash.Hash{crypto.SHA256: crypto.SHA256.New()}
	s := cryptobyte.String(set)
	var algs cryptobyte.String
	if !s.ReadASN1(&algs, cbasn1.SET) {
		return hs
	}
	for i := 0; !algs.Empty() && i < 8; i++ {
		var alg cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !algs.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
			return hs
		}
		if h, ok := hashForOID(oid); ok {
			hs[h] = h.New()
		}
	}
	return hs
}

// contentInfoHead reports whether b starts like a ContentInfo holding a
// SignedData: a SEQUENCE (definite or indefinite) whose first element is
// the signedData OID.
func contentInfoHead(b []byte) bool {
	if len(b) < 2 || b[0] != 0x30 {
		return false
	}
	off := 2
	switch l := b[1]; {
	case l == 0x80, l < 0x80:
	case l > 0x80 && l <= 0x84:
		off += int(l & 0x7f)
	default:
		return false
	}
	return len(b) >= off+len(signedDataOID) && bytes.Equal(b[off:off+len(signedDataOID)], signedDataOID)
}
