package docverify

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// CodeActiveContent: a PDF that can run code or carries other files.
const CodeActiveContent = "active_content"

// activeNames are the PDF names of content that acts when the file is
// opened (JavaScript, launching a program) or that smuggles other files
// (embedded files, rich media). A document filed with a public body is
// read, not run.
var activeNames = map[string]string{
	"JavaScript":    "JavaScript",
	"JS":            "JavaScript",
	"Launch":        "avvio di programmi",
	"EmbeddedFile":  "file incorporati",
	"EmbeddedFiles": "file incorporati",
	"RichMedia":     "contenuti multimediali attivi",
}

const (
	// maxInflated bounds what the scan inflates of compressed streams
	// (where object streams hide dictionaries) over the whole file.
	maxInflated = 64 << 20
	// maxStreams bounds the streams inflated.
	maxStreams = 4096
)

// activeContent scans every name of the PDF, in the file and inside its
// Flate-compressed streams, decoding #xx escapes (/Java#53cript is
// /JavaScript), and rejects the file if one is active. Memory is bounded:
// the file and the streams are read as streams.
func activeContent(f io.ReaderAt, size int64) (*rejection, error) {
	found := map[string]bool{}
	if err := scanNames(io.NewSectionReader(f, 0, size), found); err != nil {
		return nil, fmt.Errorf("scan pdf names: %w", err)
	}
	if len(found) == 0 {
		starts, err := findAll(f, size, []byte("stream"), maxStreams)
		if err != nil {
			return nil, err
		}
		budget := int64(maxInflated)
		for _, at := range starts {
			if budget <= 0 || len(found) > 0 {
				break
			}
			body := at + int64(len("stream"))
			head := make([]byte, 2)
			n, _ := f.ReadAt(head, body)
			switch {
			case n >= 2 && head[0] == '\r' && head[1] == '\n':
				body += 2
			case n >= 1 && (head[0] == '\n' || head[0] == '\r'):
				body++
			default:
				continue // "endstream", or not a stream keyword
			}
			z, err := zlib.NewReader(io.NewSectionReader(f, body, size-body))
			if err != nil {
				continue // not Flate: nothing hidden that this scan could read
			}
			lr := &io.LimitedReader{R: z, N: budget}
			_ = scanNames(lr, found) // a corrupt stream ends its own scan
			budget = lr.N
			z.Close()
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	var what []string
	seen := map[string]bool{}
	for name := range found {
		if w := activeNames[name]; !seen[w] {
			seen[w] = true
			what = append(what, w)
		}
	}
	sort.Strings(what)
	return &rejection{CodeActiveContent, "Il PDF contiene contenuti attivi (" + strings.Join(what, ", ") +
		"), non ammessi in un documento da protocollare: salvarlo come PDF/A (o stamparlo in PDF) e caricarlo di nuovo."}, nil
}

// scanNames reads PDF name tokens from r and records the active ones.
func scanNames(r io.Reader, found map[string]bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var name bytes.Buffer
	inName := false
	flush := func() {
		if inName {
			if _, active := activeNames[name.String()]; active {
				found[name.String()] = true
			}
		}
		inName = false
		name.Reset()
	}
	for {
		c, err := br.ReadByte()
		if err != nil {
			flush()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch {
		case c == '/':
			flush()
			inName = true
		case !inName:
		case isPDFDelimiter(c):
			flush()
		case c == '#':
			h, err := br.Peek(2)
			if err == nil && isHex(h[0]) && isHex(h[1]) {
				name.WriteByte(unhex(h[0])<<4 | unhex(h[1]))
				br.Discard(2) //nolint:errcheck // peeked
			} else {
				name.WriteByte(c)
			}
		case name.Len() < 64:
			name.WriteByte(c)
		default:
			flush() // no active name is this long
		}
	}
}

func isPDFDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\f', 0, '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
