package pii

import (
	"strings"
	"testing"
)

func TestSealOpensOnlyInItsContext(t *testing.T) {
	b, err := NewBox(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	s := b.Seal("BMBAXX23A01F205X", "rc_1")
	if strings.Contains(s, "BMBA") {
		t.Fatal("sealed value shows the clear text")
	}
	if got, err := b.Open(s, "rc_1"); err != nil || got != "BMBAXX23A01F205X" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := b.Open(s, "rc_2"); err == nil {
		t.Fatal("a value sealed for one record opened in another")
	}
	other, _ := NewBox(NewKey())
	if _, err := other.Open(s, "rc_1"); err == nil {
		t.Fatal("opened with another key")
	}
	if first, second := b.Seal("x", "c"), b.Seal("x", "c"); first == second {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
}

func TestFingerprintIsKeyed(t *testing.T) {
	a, _ := NewBox(NewKey())
	b, _ := NewBox(NewKey())
	if x1, x2 := a.Fingerprint("X"), a.Fingerprint("X"); x1 != x2 || x1 == a.Fingerprint("Y") {
		t.Fatal("fingerprint not a function of the value")
	}
	if a.Fingerprint("X") == b.Fingerprint("X") {
		t.Fatal("fingerprint does not depend on the key")
	}
}

func TestParseKey(t *testing.T) {
	if _, err := ParseKey("c2hvcnQ="); err == nil {
		t.Fatal("a short key was accepted")
	}
	if _, err := NewBox(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}
