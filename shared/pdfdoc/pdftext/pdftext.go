// Package pdftext reads back the text a pdfdoc PDF shows: every "(…) Tj"
// string of its uncompressed content streams, unescaped and decoded from
// Windows-1252, one per line. Tests use it to prove what a reader sees,
// not merely that some bytes occur somewhere in the file. It reads only
// what package pdfdoc writes (no compression, core fonts).
package pdftext

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

var (
	streamRE = regexp.MustCompile(`(?s)stream\n(.*?)\nendstream`)
	showRE   = regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\)\s*Tj`)
)

// Lines returns the shown strings in order.
func Lines(b []byte) ([]string, error) {
	streams := streamRE.FindAllSubmatch(b, -1)
	if len(streams) == 0 {
		return nil, errors.New("pdftext: no content stream")
	}
	var lines []string
	for _, s := range streams {
		for _, m := range showRE.FindAllSubmatch(s[1], -1) {
			l, err := decode(m[1])
			if err != nil {
				return nil, err
			}
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// OneLine is the shown text with every run of white space made one space,
// so that a phrase is found whatever the line breaks.
func OneLine(b []byte) (string, error) {
	lines, err := Lines(b)
	return strings.Join(strings.Fields(strings.Join(lines, "\n")), " "), err
}

func decode(s []byte) (string, error) {
	var raw []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			raw = append(raw, s[i])
			continue
		}
		i++
		switch c := s[i]; {
		case c == 'n':
			raw = append(raw, '\n')
		case c == 'r':
			raw = append(raw, '\r')
		case c >= '0' && c <= '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(string(s[i:j]), 8, 8)
			raw = append(raw, byte(v))
			i = j - 1
		default:
			raw = append(raw, c)
		}
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	return string(out), err
}
