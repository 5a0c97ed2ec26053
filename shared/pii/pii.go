// Package pii keeps personal data that must be stored but never shown in
// logs or read by anyone without a reason (a child's codice fiscale in a
// rendicontazione): sealed with AES-256-GCM, and fingerprinted with
// HMAC-SHA-256 so uniqueness can be checked without the clear text.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Box seals and opens values under one 32-byte key; the fingerprint key
// is derived from it, so one secret serves both.
type Box struct {
	aead   cipher.AEAD
	macKey []byte
}

// KeySize is the length of a key.
const KeySize = 32

// NewBox makes a box from a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("pii: key of %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("sportello/pii/fingerprint"))
	return &Box{aead: aead, macKey: mac.Sum(nil)}, nil
}

// ParseKey reads a base64 key (the SPORTELLO_PII_KEY setting).
func ParseKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(k) != KeySize {
		return nil, errors.New("pii: the key must be 32 bytes in base64")
	}
	return k, nil
}

// NewKey makes a random key (the local runtime's first start).
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic(fmt.Sprintf("pii: no randomness: %v", err))
	}
	return k
}

// Seal encrypts plain, bound to context (e.g. the claim id), so a sealed
// value copied to another record does not open there.
func (b *Box) Seal(plain, context string) string {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("pii: no randomness: %v", err))
	}
	return base64.StdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, []byte(plain), []byte(context)))
}

// Open decrypts a value sealed with the same context.
func (b *Box) Open(sealed, context string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", errors.New("pii: not a sealed value")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return "", errors.New("pii: the value does not open with this key and context")
	}
	return string(plain), nil
}

// Fingerprint is a keyed hash of s: equal values have equal fingerprints,
// and without the key a fingerprint reveals nothing (a codice fiscale has
// too little entropy for a plain hash).
func (b *Box) Fingerprint(s string) string {
	mac := hmac.New(sha256.New, b.macKey)
	mac.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
