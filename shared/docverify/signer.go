package docverify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Checking a SignerInfo (RFC 5652 §5.4, §5.6) against the content digest:
// the message-digest attribute must equal the digest of the content, and
// the signature over the signed attributes must verify with the public key
// of the certificate the SignerInfo names. That proves the signature was
// made over this very content with that certificate's key. Whether the
// certificate is a qualified one (eIDAS) is not decided here: that needs
// the EU trusted lists, and officers see the signer's name to check it.

// errUnsupported marks a signature this package cannot check (an algorithm
// or key type it does not know, or no certificate in the envelope): the
// envelope counts as present, its integrity as not checked.
var errUnsupported = errors.New("signature not checkable")

// errBadSignature marks a signature that does not match the content.
var errBadSignature = errors.New("signature does not match the content")

var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSA         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSASHA1     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidRSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidRSASHA384   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidRSASHA512   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidRSASHA224   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	oidRSAPSS      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECPublic    = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSASHA1   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSASHA224 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	oidECDSASHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSASHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSASHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidEd25519     = asn1.ObjectIdentifier{1, 3, 101, 112}
)

func hashForOID(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case oid.Equal(oidSHA1):
		return crypto.SHA1, true
	case oid.Equal(oidSHA224):
		return crypto.SHA224, true
	case oid.Equal(oidSHA256):
		return crypto.SHA256, true
	case oid.Equal(oidSHA384):
		return crypto.SHA384, true
	case oid.Equal(oidSHA512):
		return crypto.SHA512, true
	}
	return 0, false
}

// signerInfo is the part of a SignerInfo the check needs.
type signerInfo struct {
	issuer, serial []byte // IssuerAndSerialNumber, raw
	ski            []byte // or SubjectKeyIdentifier
	digestAlg      asn1.ObjectIdentifier
	signedAttrs    []byte // DER with the SET tag, as signed; nil if absent
	sigAlg         asn1.ObjectIdentifier
	sigParams      cryptobyte.String
	signature      []byte
}

func parseSignerInfo(der []byte) (signerInfo, error) {
	var si signerInfo
	in := cryptobyte.String(der)
	var s cryptobyte.String
	var version int64
	if !in.ReadASN1(&s, cbasn1.SEQUENCE) || !in.Empty() || !s.ReadASN1Integer(&version) {
		return si, fmt.Errorf("%w: SignerInfo", errCMS)
	}
	switch {
	case s.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias, serial cryptobyte.String
		var issuer cryptobyte.String
		var tag cbasn1.Tag
		if !s.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadAnyASN1Element(&issuer, &tag) || tag != cbasn1.SEQUENCE ||
			!ias.ReadASN1Element(&serial, cbasn1.INTEGER) {
			return si, fmt.Errorf("%w: IssuerAndSerialNumber", errCMS)
		}
		si.issuer, si.serial = issuer, serial
	case s.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()):
		var ski cryptobyte.String
		if !s.ReadASN1(&ski, cbasn1.Tag(0).ContextSpecific()) {
			return si, fmt.Errorf("%w: SubjectKeyIdentifier", errCMS)
		}
		si.ski = ski
	default:
		return si, fmt.Errorf("%w: SignerIdentifier", errCMS)
	}
	var alg cryptobyte.String
	if !s.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&si.digestAlg) {
		return si, fmt.Errorf("%w: digestAlgorithm", errCMS)
	}
	if s.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific().Constructed()) {
		var attrs cryptobyte.String
		if !s.ReadASN1Element(&attrs, cbasn1.Tag(0).ContextSpecific().Constructed()) {
			return si, fmt.Errorf("%w: signedAttrs", errCMS)
		}
		// Signed as an explicit SET OF (RFC 5652 §5.4).
		si.signedAttrs = append([]byte{0x31}, attrs[1:]...)
	}
	var sigAlg cryptobyte.String
	if !s.ReadASN1(&sigAlg, cbasn1.SEQUENCE) || !sigAlg.ReadASN1ObjectIdentifier(&si.sigAlg) {
		return si, fmt.Errorf("%w: signatureAlgorithm", errCMS)
	}
	si.sigParams = sigAlg
	var sig cryptobyte.String
	if !s.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return si, fmt.Errorf("%w: signature", errCMS)
	}
	si.signature = sig
	if !s.Empty() && !s.SkipASN1(cbasn1.Tag(1).ContextSpecific().Constructed()) || !s.Empty() {
		return si, fmt.Errorf("%w: trailing SignerInfo fields", errCMS)
	}
	return si, nil
}

// messageDigest returns the message-digest attribute, and checks the
// content-type attribute when present equals the envelope's.
func (si signerInfo) messageDigest(contentType asn1.ObjectIdentifier) ([]byte, error) {
	s := cryptobyte.String(si.signedAttrs)
	var attrs cryptobyte.String
	if !s.ReadASN1(&attrs, cbasn1.SET) {
		return nil, fmt.Errorf("%w: signedAttrs", errCMS)
	}
	var digest []byte
	for !attrs.Empty() {
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !attrs.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) || !attr.ReadASN1(&values, cbasn1.SET) {
			return nil, fmt.Errorf("%w: attribute", errCMS)
		}
		switch {
		case oid.Equal(oidMessageDigest):
			var v cryptobyte.String
			if digest != nil || !values.ReadASN1(&v, cbasn1.OCTET_STRING) || !values.Empty() {
				return nil, fmt.Errorf("%w: message-digest attribute", errCMS)
			}
			digest = v
		case oid.Equal(oidContentType) && contentType != nil:
			var ct asn1.ObjectIdentifier
			if !values.ReadASN1ObjectIdentifier(&ct) || !ct.Equal(contentType) {
				return nil, fmt.Errorf("%w: content-type attribute differs from the content", errBadSignature)
			}
		}
	}
	if digest == nil {
		return nil, fmt.Errorf("%w: no message-digest attribute", errCMS)
	}
	return digest, nil
}

// findCert returns the certificate a SignerInfo names.
func findCert(si signerInfo, certs []*x509.Certificate) *x509.Certificate {
	for _, c := range certs {
		if si.ski != nil && bytes.Equal(si.ski, c.SubjectKeyId) {
			return c
		}
		if si.issuer != nil && bytes.Equal(si.issuer, c.RawIssuer) {
			var serial cryptobyte.String = si.serial
			n := new(big.Int)
			if serial.ReadASN1Integer(n) && n.Cmp(c.SerialNumber) == 0 {
				return c
			}
		}
	}
	return nil
}

// parseCerts keeps the X.509 certificates of an envelope (other choices,
// and certificates Go cannot parse, are skipped).
func parseCerts(raw [][]byte) []*x509.Certificate {
	var out []*x509.Certificate
	for _, r := range raw {
		if len(r) == 0 || r[0] != 0x30 {
			continue
		}
		if c, err := x509.ParseCertificate(r); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// checkSigners verifies every SignerInfo (up to maxSigners) against the
// content digests by algorithm. It returns the signers' names, whether
// every signature could be checked, and errBadSignature if any does not
// match. A SignerInfo that is not well formed is errCMS.
func checkSigners(sd *signedData) (names []string, checked bool, err error) {
	certs := parseCerts(sd.certs)
	checked = true
	for i, raw := range sd.signerInfos {
		if i == maxSigners {
			checked = false
			break
		}
		si, err := parseSignerInfo(raw)
		if err != nil {
			return nil, false, err
		}
		cert := findCert(si, certs)
		if cert != nil && cert.Subject.CommonName != "" && !containsString(names, cert.Subject.CommonName) {
			names = append(names, cert.Subject.CommonName)
		}
		switch err := checkSigner(si, cert, sd); {
		case errors.Is(err, errUnsupported):
			checked = false
		case err != nil:
			return names, false, err
		}
	}
	return names, checked, nil
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func checkSigner(si signerInfo, cert *x509.Certificate, sd *signedData) error {
	h, ok := hashForOID(si.digestAlg)
	if !ok {
		return fmt.Errorf("%w: digest algorithm %v", errUnsupported, si.digestAlg)
	}
	contentDigest, ok := sd.digests[h]
	if !ok {
		return fmt.Errorf("%w: content not hashed with %v", errUnsupported, h)
	}
	if cert == nil {
		return fmt.Errorf("%w: the signer's certificate is not in the envelope", errUnsupported)
	}
	digest, message := contentDigest, []byte(nil)
	if si.signedAttrs != nil {
		md, err := si.messageDigest(sd.contentType)
		if err != nil {
			return err
		}
		if !bytes.Equal(md, contentDigest) {
			return fmt.Errorf("%w: message digest", errBadSignature)
		}
		hh := h.New()
		hh.Write(si.signedAttrs)
		digest, message = hh.Sum(nil), si.signedAttrs
	}
	return verifySignature(cert.PublicKey, si, h, digest, message)
}

// verifySignature checks sig over digest (computed with h); message is the
// signed bytes, needed by Ed25519 only.
func verifySignature(pub any, si signerInfo, h crypto.Hash, digest, message []byte) error {
	alg := si.sigAlg
	switch key := pub.(type) {
	case *rsa.PublicKey:
		switch {
		case alg.Equal(oidRSA), alg.Equal(oidRSASHA1), alg.Equal(oidRSASHA224), alg.Equal(oidRSASHA256),
			alg.Equal(oidRSASHA384), alg.Equal(oidRSASHA512):
			// The signature algorithm's own hash, if any, must be the
			// digest algorithm: one hash is computed.
			if want, ok := rsaHash(alg); ok && want != h {
				return fmt.Errorf("%w: signature hash differs from digest hash", errUnsupported)
			}
			if rsa.VerifyPKCS1v15(key, h, digest, si.signature) != nil {
				return fmt.Errorf("%w: RSA signature", errBadSignature)
			}
			return nil
		case alg.Equal(oidRSAPSS):
			ph, salt, err := pssParams(si.sigParams)
			if err != nil {
				return err
			}
			if ph != h {
				return fmt.Errorf("%w: PSS hash differs from digest hash", errUnsupported)
			}
			if rsa.VerifyPSS(key, h, digest, si.signature, &rsa.PSSOptions{SaltLength: salt, Hash: h}) != nil {
				return fmt.Errorf("%w: RSA-PSS signature", errBadSignature)
			}
			return nil
		}
	case *ecdsa.PublicKey:
		switch {
		case alg.Equal(oidECPublic), alg.Equal(oidECDSASHA1), alg.Equal(oidECDSASHA224), alg.Equal(oidECDSASHA256),
			alg.Equal(oidECDSASHA384), alg.Equal(oidECDSASHA512):
			if want, ok := ecdsaHash(alg); ok && want != h {
				return fmt.Errorf("%w: signature hash differs from digest hash", errUnsupported)
			}
			if !ecdsa.VerifyASN1(key, digest, si.signature) {
				return fmt.Errorf("%w: ECDSA signature", errBadSignature)
			}
			return nil
		}
	case ed25519.PublicKey:
		if alg.Equal(oidEd25519) && message != nil {
			if !ed25519.Verify(key, message, si.signature) {
				return fmt.Errorf("%w: Ed25519 signature", errBadSignature)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: signature algorithm %v with key %T", errUnsupported, alg, pub)
}

func rsaHash(alg asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case alg.Equal(oidRSASHA1):
		return crypto.SHA1, true
	case alg.Equal(oidRSASHA224):
		return crypto.SHA224, true
	case alg.Equal(oidRSASHA256):
		return crypto.SHA256, true
	case alg.Equal(oidRSASHA384):
		return crypto.SHA384, true
	case alg.Equal(oidRSASHA512):
		return crypto.SHA512, true
	}
	return 0, false
}

func ecdsaHash(alg asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case alg.Equal(oidECDSASHA1):
		return crypto.SHA1, true
	case alg.Equal(oidECDSASHA224):
		return crypto.SHA224, true
	case alg.Equal(oidECDSASHA256):
		return crypto.SHA256, true
	case alg.Equal(oidECDSASHA384):
		return crypto.SHA384, true
	case alg.Equal(oidECDSASHA512):
		return crypto.SHA512, true
	}
	return 0, false
}

// pssParams reads RSASSA-PSS-params (RFC 4055): hash [0] (default SHA-1),
// MGF1 with the same hash [1], salt length [2] (default 20).
func pssParams(params cryptobyte.String) (crypto.Hash, int, error) {
	h := crypto.SHA1
	var seq cryptobyte.String
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return 0, 0, fmt.Errorf("%w: PSS parameters", errCMS)
	}
	var field cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&field, &present, cbasn1.Tag(0).ContextSpecific().Constructed()) {
		return 0, 0, fmt.Errorf("%w: PSS hash", errCMS)
	}
	if present {
		var alg cryptobyte.String
		var oid asn1.ObjectIdentifier
		var ok bool
		if !field.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
			return 0, 0, fmt.Errorf("%w: PSS hash", errCMS)
		}
		if h, ok = hashForOID(oid); !ok {
			return 0, 0, fmt.Errorf("%w: PSS hash %v", errUnsupported, oid)
		}
	}
	if !seq.ReadOptionalASN1(&field, &present, cbasn1.Tag(1).ContextSpecific().Constructed()) {
		return 0, 0, fmt.Errorf("%w: PSS mask", errCMS)
	}
	if present {
		var mgf, inner cryptobyte.String
		var oid, mh asn1.ObjectIdentifier
		if !field.ReadASN1(&mgf, cbasn1.SEQUENCE) || !mgf.ReadASN1ObjectIdentifier(&oid) || !oid.Equal(oidMGF1) ||
			!mgf.ReadASN1(&inner, cbasn1.SEQUENCE) || !inner.ReadASN1ObjectIdentifier(&mh) {
			return 0, 0, fmt.Errorf("%w: PSS mask", errUnsupported)
		}
		if m, ok := hashForOID(mh); !ok || m != h {
			return 0, 0, fmt.Errorf("%w: PSS mask hash", errUnsupported)
		}
	}
	var n int64
	if !seq.ReadOptionalASN1Integer(&n, cbasn1.Tag(2).ContextSpecific().Constructed(), int64(20)) || n < 0 || n > 1024 {
		return 0, 0, fmt.Errorf("%w: PSS salt", errCMS)
	}
	return h, int(n), nil // the salt length; 20 when absent
}

// signerNames joins the signers' certificate names for the officer.
func signerNames(names []string) string {
	return strings.Join(names, "; ")
}
