package bidi

import "testing"

func TestBidiControls(t *testing.T) {
	tests := []struct {
		name, in, stripped string
		has                bool
	}{
		{"a right-to-left override hides an extension", "fattura\u202Efdp.exe", "fatturafdp.exe", true},
		{"isolates are controls too", "a\u2066b\u2069c", "abc", true},
		{"marks are controls too", "a\u200Fb\u061Cc\u200E", "abc", true},
		{"accented Italian is plain text", "Città di Forlì – àèéìòù", "Città di Forlì – àèéìòù", false},
		{"Arabic letters are not controls", "مرحبا", "مرحبا", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Has(tt.in) != tt.has || Strip(tt.in) != tt.stripped {
				t.Fatalf("Has=%v Strip=%q", Has(tt.in), Strip(tt.in))
			}
		})
	}
}
