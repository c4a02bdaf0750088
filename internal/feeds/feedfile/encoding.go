package feedfile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// The auto encoding rule: a file is UTF-8 when its first non-ASCII bytes are
// valid UTF-8, and Windows-1252 otherwise.
//
// Why it is safe: text in Windows-1252 or ISO-8859-1 almost never forms
// valid UTF-8 by accident (an accented letter is one byte of 0x80-0xFF, which
// in UTF-8 must be followed by continuation bytes), and ASCII reads the same
// in all three. Windows-1252 stands in for ISO-8859-1 because it is a
// superset of its printable characters: they differ only on 0x80-0x9F, which
// ISO-8859-1 gives to invisible control codes and Windows-1252 to €, ‘ ’ “ ”
// and a few more, so a real Latin-1 file reads the same either way.
//
// The decision is taken on the first chunk that holds a non-ASCII byte: the
// first 64 KiB of the file, or later when those are plain ASCII (a long list
// of codes and numbers whose first accented product name is on row 5,000).
// Until then every byte is ASCII, which reads the same in both encodings, so
// deciding late changes nothing that was already read.

// textReader returns the file's text as UTF-8. br has the file's start
// buffered (a UTF-8 byte order mark already skipped).
func textReader(br *bufio.Reader, encoding string, head []byte, atEOF bool) (io.Reader, *autoDecoder) {
	switch encoding {
	case EncodingUTF8:
		return br, nil
	case EncodingWindows1252:
		return transform.NewReader(br, charmap.Windows1252.NewDecoder()), nil
	case EncodingISO88591:
		return transform.NewReader(br, charmap.ISO8859_1.NewDecoder()), nil
	}
	a := &autoDecoder{br: br, encoding: EncodingUTF8}
	if i := firstNonASCII(head); i >= 0 {
		a.decide(head[i:], atEOF)
	} else if atEOF {
		a.decided = true
	}
	if a.decided && a.encoding == EncodingUTF8 {
		return br, a
	}
	if a.decided {
		return a.dec, a
	}
	return a, a
}

// autoDecoder passes ASCII through until the first non-ASCII byte, then
// decides between UTF-8 and Windows-1252 on the bytes at hand.
type autoDecoder struct {
	br       *bufio.Reader
	decided  bool
	encoding string    // utf-8 until decided otherwise
	dec      io.Reader // the reader once decided
}

// decide chooses the encoding from b, which starts at a non-ASCII byte.
func (a *autoDecoder) decide(b []byte, atEOF bool) {
	a.decided = true
	if validUTF8Prefix(b, atEOF) {
		a.encoding, a.dec = EncodingUTF8, a.br
		return
	}
	a.encoding = EncodingWindows1252
	a.dec = transform.NewReader(a.br, charmap.Windows1252.NewDecoder())
}

// Encoding is the encoding chosen, or utf-8 while every byte read was ASCII.
func (a *autoDecoder) Encoding() string { return a.encoding }

func (a *autoDecoder) Read(p []byte) (int, error) {
	if a.decided {
		return a.dec.Read(p)
	}
	n, err := a.br.Read(p)
	i := firstNonASCII(p[:n])
	if i < 0 {
		return n, err
	}
	// Look at what follows the first non-ASCII byte: the rest of this read
	// and what the buffer holds beyond it.
	// Look at as many bytes as the first chunk would have shown (waiting
	// for them if need be), so the decision does not depend on how the
	// caller sizes its reads.
	window := p[i:n]
	var more []byte
	var perr error
	if len(window) < sniffBytes && err == nil {
		more, perr = a.br.Peek(sniffBytes - len(window))
	}
	if len(more) > 0 {
		window = append(append(make([]byte, 0, len(window)+len(more)), window...), more...)
	}
	a.decide(window, err != nil || perr != nil)
	if a.encoding == EncodingUTF8 {
		return n, err
	}
	// Windows-1252: the bytes from i on must go through the decoder.
	pending := bytes.Clone(p[i:n])
	var rest io.Reader = a.br
	if err != nil {
		rest = &errReader{err}
	}
	a.dec = transform.NewReader(io.MultiReader(bytes.NewReader(pending), rest), charmap.Windows1252.NewDecoder())
	if i == 0 {
		return a.dec.Read(p)
	}
	return i, nil
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

// firstNonASCII returns the index of the first byte ≥ 0x80 in b, or -1.
func firstNonASCII(b []byte) int {
	i := 0
	// Eight bytes at a time: a pure-ASCII file is scanned whole while the
	// auto encoding waits for its first non-ASCII byte.
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a rune cut at
// its end when more bytes may follow.
func validUTF8Prefix(b []byte, atEOF bool) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return !atEOF && len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		b = b[size:]
	}
	return true
}
