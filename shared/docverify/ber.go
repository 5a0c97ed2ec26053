package docverify

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// A streaming BER reader: .p7m envelopes may be 50 MB, and signing tools
// write them in DER or in BER with indefinite lengths and the signed
// content cut into OCTET STRING chunks. The reader walks the structure
// front to back without holding more than the small parts it is asked to
// keep (certificates, SignerInfos), each under a fixed bound.

var errBER = errors.New("malformed BER")

const (
	classUniversal   = 0
	classContext     = 2
	tagEOC           = 0
	tagInteger       = 2
	tagOctetString   = 4
	tagOID           = 6
	tagSequence      = 16
	tagSet           = 17
	maxDepth         = 32
	maxElementLength = 1 << 40 // far beyond any upload; refuses absurd lengths early
)

type berHeader struct {
	class       byte
	constructed bool
	tag         uint32
	length      int64 // -1: indefinite
}

func (h berHeader) is(class byte, constructed bool, tag uint32) bool {
	return h.class == class && h.constructed == constructed && h.tag == tag
}

func (h berHeader) eoc() bool {
	return h.class == classUniversal && !h.constructed && h.tag == tagEOC && h.length == 0
}

// encode writes the header in DER form (definite, minimal length).
func (h berHeader) encode(length int) []byte {
	b := []byte{h.class<<6 | h.tagByte()}
	if h.constructed {
		b[0] |= 0x20
	}
	if h.tag >= 31 {
		var t []byte
		for v := h.tag; ; v >>= 7 {
			t = append([]byte{byte(v & 0x7f)}, t...)
			if v < 0x80 {
				break
			}
		}
		for i := 0; i < len(t)-1; i++ {
			t[i] |= 0x80
		}
		b = append(b, t...)
	}
	if length < 0x80 {
		return append(b, byte(length))
	}
	var l []byte
	for v := length; v > 0; v >>= 8 {
		l = append([]byte{byte(v)}, l...)
	}
	return append(append(b, 0x80|byte(len(l))), l...)
}

func (h berHeader) tagByte() byte {
	if h.tag >= 31 {
		return 31
	}
	return byte(h.tag)
}

type berReader struct {
	r   *bufio.Reader
	off int64
	buf []byte // reused by octets: one copy buffer per envelope, not per chunk
}

func newBERReader(r io.Reader) *berReader {
	return &berReader{r: bufio.NewReaderSize(r, 64<<10), buf: make([]byte, 32<<10)}
}

func (b *berReader) byte() (byte, error) {
	c, err := b.r.ReadByte()
	if err != nil {
		return 0, eofIsMalformed(err)
	}
	b.off++
	return c, nil
}

// eofIsMalformed turns a premature end into a content error: a truncated
// envelope is bad content, not a failed read.
func eofIsMalformed(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated", errBER)
	}
	return err
}

func (b *berReader) header() (berHeader, error) {
	c, err := b.byte()
	if err != nil {
		return berHeader{}, err
	}
	h := berHeader{class: c >> 6, constructed: c&0x20 != 0, tag: uint32(c & 0x1f)}
	if h.tag == 31 {
		h.tag = 0
		for i := 0; ; i++ {
			if i == 4 {
				return berHeader{}, fmt.Errorf("%w: tag too long", errBER)
			}
			c, err := b.byte()
			if err != nil {
				return berHeader{}, err
			}
			h.tag = h.tag<<7 | uint32(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	l, err := b.byte()
	if err != nil {
		return berHeader{}, err
	}
	switch {
	case l < 0x80:
		h.length = int64(l)
	case l == 0x80:
		if !h.constructed {
			return berHeader{}, fmt.Errorf("%w: indefinite primitive", errBER)
		}
		h.length = -1
	case l == 0xff:
		return berHeader{}, fmt.Errorf("%w: reserved length", errBER)
	default:
		n := int(l & 0x7f)
		if n > 8 {
			return berHeader{}, fmt.Errorf("%w: length too long", errBER)
		}
		for range n {
			c, err := b.byte()
			if err != nil {
				return berHeader{}, err
			}
			h.length = h.length<<8 | int64(c)
			if h.length > maxElementLength {
				return berHeader{}, fmt.Errorf("%w: length too large", errBER)
			}
		}
	}
	return h, nil
}

// discard skips n content bytes.
func (b *berReader) discard(n int64) error {
	for n > 0 {
		k, err := b.r.Discard(int(min(n, 1<<20)))
		b.off += int64(k)
		n -= int64(k)
		if err != nil {
			return eofIsMalformed(err)
		}
	}
	return nil
}

// children calls each for every child of a constructed element, whatever
// its length form, and checks the children fill the parent exactly.
func (b *berReader) children(h berHeader, depth int, each func(berHeader) error) error {
	if !h.constructed {
		return fmt.Errorf("%w: expected a constructed element", errBER)
	}
	if depth > maxDepth {
		return fmt.Errorf("%w: nested too deep", errBER)
	}
	end := b.off + h.length
	for {
		if h.length >= 0 && b.off == end {
			return nil
		}
		c, err := b.header()
		if err != nil {
			return err
		}
		if c.eoc() {
			if h.length >= 0 {
				return fmt.Errorf("%w: end-of-contents in a definite element", errBER)
			}
			return nil
		}
		if err := each(c); err != nil {
			return err
		}
		if h.length >= 0 && b.off > end {
			return fmt.Errorf("%w: child overruns its parent", errBER)
		}
	}
}

// skip consumes an element's content.
func (b *berReader) skip(h berHeader, depth int) error {
	if h.length >= 0 {
		return b.discard(h.length)
	}
	return b.children(h, depth, func(c berHeader) error { return b.skip(c, depth+1) })
}

// capture reads an element whose header was just read and returns it
// re-encoded with definite, minimal lengths (DER framing; primitive
// contents are kept as sent). budget bounds the bytes kept in memory.
func (b *berReader) capture(h berHeader, budget *int64, depth int) ([]byte, error) {
	var content []byte
	if !h.constructed {
		if h.length > *budget {
			return nil, fmt.Errorf("%w: element over its size bound", errBER)
		}
		*budget -= h.length
		content = make([]byte, h.length)
		n, err := io.ReadFull(b.r, content)
		b.off += int64(n)
		if err != nil {
			return nil, eofIsMalformed(err)
		}
	} else {
		err := b.children(h, depth, func(c berHeader) error {
			raw, err := b.capture(c, budget, depth+1)
			content = append(content, raw...)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	hdr := h.encode(len(content))
	*budget -= int64(len(hdr))
	if *budget < 0 {
		return nil, fmt.Errorf("%w: element over its size bound", errBER)
	}
	return append(hdr, content...), nil
}

// octets streams the content of an OCTET STRING, primitive or constructed
// from chunks (BER), into w.
func (b *berReader) octets(h berHeader, w io.Writer, depth int) error {
	if h.class != classUniversal || h.tag != tagOctetString {
		return fmt.Errorf("%w: expected an OCTET STRING", errBER)
	}
	if !h.constructed {
		n, err := io.CopyBuffer(w, io.LimitReader(b.r, h.length), b.buf)
		b.off += n
		if err == nil && n < h.length {
			err = io.ErrUnexpectedEOF
		}
		return eofIsMalformed(err)
	}
	return b.children(h, depth, func(c berHeader) error { return b.octets(c, w, depth+1) })
}
