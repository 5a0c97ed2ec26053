// Package bidi recognises the Unicode bidirectional formatting controls
// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C). In a name or a
// filename they only serve to make text read differently from what it is
// ("fattura‮fdp.exe" shows as "fatturaexe.pdf"), so names refuse them and
// stored filenames drop them.
package bidi

import "strings"

// Control reports whether r is a bidirectional formatting control.
func Control(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

// Has reports whether s holds any bidirectional control.
func Has(s string) bool { return strings.IndexFunc(s, Control) >= 0 }

// Strip removes every bidirectional control from s.
func Strip(s string) string {
	if !Has(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if Control(r) {
			return -1
		}
		return r
	}, s)
}
