// Package ident makes the identifiers of stored things: a short prefix that
// says what it names, then 16 random base32 characters (80 bits), so ids
// reveal neither order nor count and never come from client input.
package ident

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns prefix + "_" + 16 random characters.
func New(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ident: " + err.Error()) // crypto/rand never fails on Linux
	}
	return prefix + "_" + enc.EncodeToString(b[:])
}

// Valid reports whether s looks like an id made by New with prefix, so
// handlers can refuse junk before touching storage.
func Valid(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 16 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
