package program

// Identifier syntax checks, in one place for every program and import.
// They check form only: whether a code is assigned to anyone is the
// Agenzia delle Entrate's (or ISTAT's) business, not ours.

// ValidISTAT checks a Comune's ISTAT code: exactly six ASCII digits
// ("001272" Torino). Whether the Comune exists is the registry's question.
func ValidISTAT(s string) bool { return len(s) == 6 && allDigits(s) }

// ValidFiscalCode accepts either form of Italian tax code: the 11-digit
// numeric one (legal persons, Comuni, partite IVA) or the 16-character
// personal one. See ValidEntityCode and ValidPersonCode.
func ValidFiscalCode(s string) bool { return ValidEntityCode(s) || ValidPersonCode(s) }

// ValidEntityCode checks an 11-digit codice fiscale numerico or partita
// IVA: digits only, not all zeros, and the last digit the Luhn-style check
// digit of the first ten (odd positions as they are, even positions
// doubled with 9 subtracted above 9).
func ValidEntityCode(s string) bool {
	if len(s) != 11 || !allDigits(s) || s == "00000000000" {
		return false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		d := int(s[i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10-sum%10)%10 == int(s[10]-'0')
}

// ValidPersonCode checks a 16-character personal codice fiscale in upper
// case: six letters (surname, name), year, month letter, day (1-31, +40
// for women), the cadastral code of the place of birth, and the check
// letter. Digits may be replaced by the omocodia letters LMNPQRSTUV.
// Lower case is refused rather than folded, so that one person has one
// spelling in every record.
func ValidPersonCode(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < 16; i++ {
		c := s[i]
		switch i {
		case 6, 7, 9, 10, 12, 13, 14:
			if omocodia(c) < 0 {
				return false
			}
		case 8:
			if !isMonthLetter(c) {
				return false
			}
		default:
			if c < 'A' || c > 'Z' {
				return false
			}
		}
	}
	day := omocodia(s[9])*10 + omocodia(s[10])
	if (day < 1 || day > 31) && (day < 41 || day > 71) {
		return false
	}
	return s[15] == personalCheckLetter(s)
}

// omocodia returns the digit a position holds, reading the letters that
// replace digits in homonyms' codes (L=0 … V=9), or -1.
func omocodia(c byte) int {
	if c >= '0' && c <= '9' {
		return int(c - '0')
	}
	for i, l := range []byte("LMNPQRSTUV") {
		if c == l {
			return i
		}
	}
	return -1
}

func isMonthLetter(c byte) bool { return indexByte("ABCDEHLMPRST", c) >= 0 }

// oddValues are the values of characters in odd (1st, 3rd, …) positions,
// digits 0-9 then letters A-Z, from the Ministry's decree of 1976.
var oddValues = [36]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21,
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}

// CompletePersonCode appends the check letter to the first 15 characters
// of a personal code: fixtures and examples make valid codes with it.
func CompletePersonCode(s15 string) string { return s15 + string(personalCheckLetter(s15)) }

// personalCheckLetter computes the check letter of the first 15
// characters (already known to be digits or upper-case letters).
func personalCheckLetter(s string) byte {
	sum := 0
	for i := 0; i < 15; i++ {
		c := s[i]
		idx := int(c - '0')
		if c >= 'A' {
			idx = int(c-'A') + 10
		}
		if i%2 == 0 {
			sum += oddValues[idx]
		} else if idx < 10 {
			sum += idx
		} else {
			sum += idx - 10
		}
	}
	return byte('A' + sum%26)
}

// PersonCodeBirth reads the birth data a valid personal codice fiscale
// carries: the last two digits of the year, the month and the day of
// birth (women's +40 removed). ok is false for anything ValidPersonCode
// refuses.
func PersonCodeBirth(s string) (yy, month, day int, ok bool) {
	if !ValidPersonCode(s) {
		return 0, 0, 0, false
	}
	yy = omocodia(s[6])*10 + omocodia(s[7])
	month = indexByte("ABCDEHLMPRST", s[8]) + 1
	day = omocodia(s[9])*10 + omocodia(s[10])
	if day > 40 {
		day -= 40
	}
	return yy, month, day, true
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
