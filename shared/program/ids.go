package program

import "strings"

// ValidISTAT checks a Comune's ISTAT code: six digits.
func ValidISTAT(s string) bool { return len(s) == 6 && allDigits(s) }

// ValidFiscalCode checks an Italian codice fiscale: 11 digits (legal
// persons, Comuni, and partite IVA) with its check digit, or 16 characters
// (natural persons) with its check letter.
func ValidFiscalCode(s string) bool {
	switch len(s) {
	case 11:
		return allDigits(s) && numericCheck(s)
	case 16:
		return personalCheck(strings.ToUpper(s))
	}
	return false
}

// numericCheck is the partita IVA / numeric codice fiscale check digit.
func numericCheck(s string) bool {
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

// oddValues are the values of characters in odd (1st, 3rd, …) positions.
var oddValues = [36]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // 0-9
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23} // A-Z

func personalCheck(s string) bool {
	sum := 0
	for i := 0; i < 15; i++ {
		c := s[i]
		var idx int
		switch {
		case c >= '0' && c <= '9':
			idx = int(c - '0')
		case c >= 'A' && c <= 'Z':
			idx = int(c-'A') + 10
		default:
			return false
		}
		if i%2 == 0 {
			sum += oddValues[idx]
		} else if idx < 10 {
			sum += idx
		} else {
			sum += idx - 10
		}
	}
	return s[15] == byte('A'+sum%26)
}
