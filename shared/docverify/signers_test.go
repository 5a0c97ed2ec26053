package docverify

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"
)

// What a checked signature covers is recorded by digest, so a generated
// document signed as it is can be recognised: the CAdES content, and the
// PAdES revision before the signature's update.
func TestSignedContentIsTheDocumentAsSigned(t *testing.T) {
	sum := sha256.Sum256(fixture(t, "unsigned.pdf"))
	doc := hex.EncodeToString(sum[:])
	for _, tt := range []struct {
		file, contentType string
		want              bool
	}{
		{"signed.p7m", TypeP7M, true},
		{"signed-ber.p7m", TypeP7M, true},
		{"signed-base64.p7m", TypeP7M, true},
		{"signed-pades.pdf", TypePDF, true},
		{"signed-two-parties.p7m", TypeP7M, true},
		{"tampered.p7m", TypeP7M, false},
		{"tampered-pades.pdf", TypePDF, false},
		{"unsigned.pdf", TypePDF, false},
	} {
		t.Run(tt.file, func(t *testing.T) {
			b := fixture(t, tt.file)
			r := verify(t, b, declare(b, tt.contentType, false))
			if got := slices.Contains(r.SignedContent, doc); got != tt.want {
				t.Fatalf("signed content %v, want the document: %v (%+v)", r.SignedContent, tt.want, r)
			}
		})
	}
}

// A kind signed by both parties needs two distinct signers, named.
func TestMinSignersCountsDistinctSigners(t *testing.T) {
	one := fixture(t, "signed.p7m")
	d := declare(one, TypeP7M, true)
	d.MinSigners = 2
	if r := verify(t, one, d); r.Status != StatusRejected || r.Code != CodeSigners || r.Reason == "" {
		t.Fatalf("one signer for two: %+v", r)
	}
	both := fixture(t, "signed-two-parties.p7m")
	d = declare(both, TypeP7M, true)
	d.MinSigners = 2
	r := verify(t, both, d)
	if r.Status != StatusVerified || len(r.Signers) != 2 || r.Signers[0] == r.Signers[1] {
		t.Fatalf("two parties: %+v", r)
	}
}
