package docverify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"hash"
	"io"
	"math/big"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// A CMS SignedData built by hand, independently of smallstep/pkcs7, to
// reach what that library does not write: RSA-PSS, Ed25519, a
// SubjectKeyIdentifier signer, no signed attributes, BER streaming.

type cmsSpec struct {
	key         crypto.Signer
	cert        *x509.Certificate
	digest      crypto.Hash
	digestOID   asn1.ObjectIdentifier
	sigAlg      asn1.ObjectIdentifier
	sigParams   func(*cryptobyte.Builder) // nil: no parameters
	noAttrs     bool                      // sign the content digest directly
	ski         bool                      // SubjectKeyIdentifier instead of issuer and serial
	omitCert    bool
	badDigest   bool // message-digest attribute of other content
	signOpts    crypto.SignerOpts
	contentType asn1.ObjectIdentifier // of the content-type attribute (default id-data)
}

func testCert(t testing.TB, key crypto.Signer, cn string) *x509.Certificate {
	t.Helper()
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2055, 1, 1, 0, 0, 0, 0, time.UTC),
		SubjectKeyId: []byte{1, 2, 3, 4, 5, 6, 7, 8}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func algID(oid asn1.ObjectIdentifier, params func(*cryptobyte.Builder)) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			if params != nil {
				params(b)
			}
		})
	}
}

// signerInfoAndCerts builds the certificates [0] and signerInfos SET for
// content whose digest (with spec.digest) is contentDigest.
func (s cmsSpec) signerInfoAndCerts(t testing.TB, contentDigest []byte) []byte {
	t.Helper()
	if s.contentType == nil {
		s.contentType = oidData
	}
	md := contentDigest
	if s.badDigest {
		md = bytes.Repeat([]byte{0xab}, len(contentDigest))
	}
	var attrs cryptobyte.Builder
	attrs.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidContentType)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(s.contentType) })
		})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidMessageDigest)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1OctetString(md) })
		})
	})
	attrsDER := attrs.BytesOrPanic()
	var sig []byte
	var err error
	opts := s.signOpts
	if opts == nil {
		opts = s.digest
	}
	switch {
	case s.noAttrs:
		sig, err = s.key.Sign(rand.Reader, contentDigest, opts)
	case s.digest == 0: // Ed25519 signs the message itself
		sig, err = s.key.Sign(rand.Reader, attrsDER, crypto.Hash(0))
	default:
		h := s.digest.New()
		h.Write(attrsDER)
		sig, err = s.key.Sign(rand.Reader, h.Sum(nil), opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	var b cryptobyte.Builder
	if !s.omitCert {
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddBytes(s.cert.Raw) })
	}
	b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			if s.ski {
				b.AddASN1Int64(3)
				b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(s.cert.SubjectKeyId) })
			} else {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddBytes(s.cert.RawIssuer)
					b.AddASN1BigInt(s.cert.SerialNumber)
				})
			}
			algID(s.digestOID, nil)(b)
			if !s.noAttrs {
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddBytes(attrsDER[2:]) })
			}
			algID(s.sigAlg, s.sigParams)(b)
			b.AddASN1OctetString(sig)
		})
	})
	return b.BytesOrPanic()
}

// berEnvelope makes readers of a BER ContentInfo around the content (its
// size unknown to the writer), chunked as streaming signers do.
func (s cmsSpec) berEnvelope(t testing.TB, content func() io.Reader, contentDigest []byte) func() io.Reader {
	var head cryptobyte.Builder
	head.AddBytes([]byte{0x30, 0x80})
	head.AddASN1ObjectIdentifier(oidSignedData)
	head.AddBytes([]byte{0xa0, 0x80, 0x30, 0x80})
	head.AddASN1Int64(1)
	head.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { algID(s.digestOID, nil)(b) })
	head.AddBytes([]byte{0x30, 0x80})
	head.AddASN1ObjectIdentifier(oidData)
	head.AddBytes([]byte{0xa0, 0x80, 0x24, 0x80})
	tail := append([]byte{0, 0, 0, 0, 0, 0}, s.signerInfoAndCerts(t, contentDigest)...)
	tail = append(tail, 0, 0, 0, 0, 0, 0)
	prefix := head.BytesOrPanic()
	return func() io.Reader {
		return io.MultiReader(bytes.NewReader(prefix), &chunker{r: content()}, bytes.NewReader(tail))
	}
}

// derEnvelope builds a DER ContentInfo with the content attached.
func (s cmsSpec) derEnvelope(t testing.TB, content []byte) []byte {
	t.Helper()
	h := s.digest
	if h == 0 {
		h = crypto.SHA256
	}
	d := h.New()
	d.Write(content)
	rest := s.signerInfoAndCerts(t, d.Sum(nil))
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { algID(s.digestOID, nil)(b) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(oidData)
					b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(content) })
				})
				b.AddBytes(rest)
			})
		})
	})
	return b.BytesOrPanic()
}

// chunker frames a stream as primitive OCTET STRINGs of up to 32 KB,
// reusing one buffer so that the test itself allocates little.
type chunker struct {
	r     io.Reader
	chunk [4 + 32<<10]byte
	buf   []byte
	done  bool
}

func (c *chunker) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}
		n, err := io.ReadFull(c.r, c.chunk[4:])
		if n > 0 {
			c.chunk[0], c.chunk[1], c.chunk[2], c.chunk[3] = 0x04, 0x82, byte(n>>8), byte(n)
			c.buf = c.chunk[:4+n]
		}
		if err != nil {
			c.done = true
		}
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func pssParamsSHA256(salt int64) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), algID(oidSHA256, nil))
			b.AddASN1(cbasn1.Tag(1).ContextSpecific().Constructed(), algID(oidMGF1, func(b *cryptobyte.Builder) { algID(oidSHA256, nil)(b) }))
			b.AddASN1(cbasn1.Tag(2).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddASN1Int64(salt) })
		})
	}
}

func TestSignatureAlgorithms(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	rsaCert, ecCert, edCert := testCert(t, rsaKey, "Firmatario RSA"), testCert(t, ecKey, "Firmatario ECDSA"), testCert(t, edKey, "Firmatario Ed25519")
	content := pdfWithText("contenuto firmato")
	pss := &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}
	tests := []struct {
		name             string
		spec             cmsSpec
		code             string
		signed, verified bool
	}{
		{"RSA PKCS#1 v1.5 with SHA-256 verifies", cmsSpec{key: rsaKey, cert: rsaCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidRSA}, "", true, true},
		{"sha256WithRSAEncryption as signature algorithm verifies", cmsSpec{key: rsaKey, cert: rsaCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidRSASHA256}, "", true, true},
		{"RSA-PSS with SHA-256 and salt 32 verifies", cmsSpec{key: rsaKey, cert: rsaCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidRSAPSS,
			sigParams: pssParamsSHA256(32), signOpts: pss}, "", true, true},
		{"RSA-PSS with a salt other than signed fails", cmsSpec{key: rsaKey, cert: rsaCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidRSAPSS,
			sigParams: pssParamsSHA256(20), signOpts: pss}, CodeSignatureInvalid, true, false},
		{"ECDSA P-384 with SHA-384 verifies", cmsSpec{key: ecKey, cert: ecCert, digest: crypto.SHA384, digestOID: oidSHA384, sigAlg: oidECDSASHA384}, "", true, true},
		{"a signer named by SubjectKeyIdentifier verifies", cmsSpec{key: ecKey, cert: ecCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidECPublic, ski: true}, "", true, true},
		{"a signature over the content digest without signed attributes verifies", cmsSpec{key: rsaKey, cert: rsaCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidRSA, noAttrs: true}, "", true, true},
		{"Ed25519 over the signed attributes verifies", cmsSpec{key: edKey, cert: edCert, digestOID: oidSHA256, sigAlg: oidEd25519}, "", true, true},
		{"a message digest of other content is refused", cmsSpec{key: ecKey, cert: ecCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidECDSASHA256, badDigest: true}, CodeSignatureInvalid, true, false},
		{"a content-type attribute other than the content's is refused", cmsSpec{key: ecKey, cert: ecCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidECDSASHA256,
			contentType: oidSignedData}, CodeSignatureInvalid, true, false},
		{"an envelope without the signer's certificate is signed but not checked", cmsSpec{key: ecKey, cert: ecCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidECDSASHA256, omitCert: true}, "", true, false},
		{"an unknown signature algorithm is signed but not checked", cmsSpec{key: ecKey, cert: ecCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: asn1.ObjectIdentifier{1, 2, 3, 4}}, "", true, false},
		{"a signature algorithm whose hash differs from the digest's is not checked", cmsSpec{key: ecKey, cert: ecCert, digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidECDSASHA384}, "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.spec.derEnvelope(t, content)
			r := verify(t, b, declare(b, TypeP7M, true))
			if r.Code != tt.code || r.Signed != tt.signed || r.SignatureChecked != tt.verified {
				t.Fatalf("got %+v", r)
			}
			if tt.code == "" && !tt.spec.omitCert && r.Signer != tt.spec.cert.Subject.CommonName {
				t.Fatalf("signer %q", r.Signer)
			}
		})
	}
}

// pdfWithText is a minimal PDF for envelopes.
func pdfWithText(s string) []byte {
	return []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% " + s + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

// pattern is a deterministic stream of n bytes, never held whole.
func pattern(n int64) io.Reader {
	return io.LimitReader(&repeatReader{text: strings.Repeat("sportello 50 MB signed document filler. ", 1000)}, n)
}

type repeatReader struct {
	text string
	pos  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.text[r.pos:])
		n += k
		r.pos = (r.pos + k) % len(r.text)
	}
	return n, nil
}

type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// allocatedDuring reports the bytes allocated while f ran.
func allocatedDuring(f func()) uint64 {
	var before, after runtimeMem
	before.read()
	f()
	after.read()
	return after.total - before.total
}

// A 48 MB streaming BER envelope is verified, signature and all, while
// allocating a small fraction of its size: nothing holds the content.
func TestLargeP7MIsVerifiedWithFlatMemory(t *testing.T) {
	const size = 48 << 20
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spec := cmsSpec{key: key, cert: testCert(t, key, "Firmatario"), digest: crypto.SHA256, digestOID: oidSHA256, sigAlg: oidECDSASHA256}
	h := sha256.New()
	_, _ = io.Copy(h, pattern(size)) // a hash never fails to write
	contentDigest := h.Sum(nil)
	envelope := spec.berEnvelope(t, func() io.Reader { return pattern(size) }, contentDigest)
	fileHash := sha256.New()
	n, _ := io.Copy(fileHash, envelope())
	d := Declared{ContentType: TypeP7M, Size: n, SHA256: hexSum(fileHash), MustBeSigned: true, MaxBytes: 64 << 20}
	var r Result
	var err error
	alloc := allocatedDuring(func() { r, err = Verify(envelope(), d) })
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusVerified || !r.SignatureChecked {
		t.Fatalf("got %+v", r)
	}
	t.Logf("verifying %d bytes allocated %d bytes", n, alloc)
	if alloc > uint64(n)/16 {
		t.Fatalf("verifying %d bytes allocated %d bytes: memory grows with the file", n, alloc)
	}
}

// A 48 MB PDF is scanned for signatures in bounded windows.
func TestLargePDFIsScannedWithFlatMemory(t *testing.T) {
	const size = 48 << 20
	file := func() io.Reader {
		return io.MultiReader(bytes.NewReader([]byte("%PDF-1.7\n1 0 obj << /Length 50331648 >>\nstream\n")), pattern(size),
			bytes.NewReader([]byte("\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")))
	}
	h := sha256.New()
	n, _ := io.Copy(h, file())
	d := Declared{ContentType: TypePDF, Size: n, SHA256: hexSum(h), MaxBytes: 64 << 20}
	var r Result
	var err error
	alloc := allocatedDuring(func() { r, err = Verify(file(), d) })
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusVerified || r.Detected != DetectedPDF {
		t.Fatalf("got %+v", r)
	}
	t.Logf("verifying %d bytes allocated %d bytes", n, alloc)
	if alloc > uint64(n)/16 {
		t.Fatalf("verifying %d bytes allocated %d bytes: memory grows with the file", n, alloc)
	}
}
