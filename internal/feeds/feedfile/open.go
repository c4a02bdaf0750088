package feedfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// source is one format's record reader.
type source interface {
	header() []string
	// next fills rec with the next record; a *RecordError skips one
	// record, io.EOF ends the file, any other error is fatal.
	next(rec *Record) error
	close() error
}

// File is an open feed file.
type File struct {
	src  source
	info Info
	auto *autoDecoder // the auto encoding's decision, which may come late
	rec  Record
	err  error // the fatal error or io.EOF that ended the file
}

// Magic numbers of files that are not feeds (or XLSX).
var (
	magicZIP      = []byte("PK\x03\x04")
	magicEmptyZIP = []byte("PK\x05\x06")
	magicOLE      = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicGzip     = []byte{0x1F, 0x8B}
	magicPDF      = []byte("%PDF")
	bomUTF8       = []byte{0xEF, 0xBB, 0xBF}
)

// Open reads the start of a file to learn its format, encoding, delimiter and
// header, and returns it ready to read records. A file that cannot be read at
// all is a *FileError; bad options are an apperr Invalid error naming the
// option; a failing reader's error is returned wrapped.
//
// Format auto-detection: a ZIP archive (PK\x03\x04) is an XLSX workbook, text
// whose first non-blank character is [ is a JSON array, anything else is CSV.
func Open(r io.Reader, opts Options) (*File, error) {
	format, err := ParseFormat(opts.Format)
	if err != nil {
		return nil, apperr.InvalidField("format", "%v", err)
	}
	encoding, err := ParseEncoding(opts.Encoding)
	if err != nil {
		return nil, apperr.InvalidField("encoding", "%v", err)
	}
	delim, err := ParseDelimiter(opts.Delimiter)
	if err != nil {
		return nil, apperr.InvalidField("delimiter", "%v", err)
	}
	if format == FormatTSV {
		if delim != 0 && delim != '\t' {
			return nil, apperr.InvalidField("delimiter", "a TSV file is tab-delimited; set the format to csv to use %q", opts.Delimiter)
		}
		format, delim = FormatCSV, '\t'
	}

	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	atEOF := err != nil
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read feed file: %w", err)
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, fileErr(0, "the file is empty")
	}
	if err := refuseNonFeed(head); err != nil {
		return nil, err
	}
	isZIP := bytes.HasPrefix(head, magicZIP) || bytes.HasPrefix(head, magicEmptyZIP)
	switch {
	case format == FormatAuto && isZIP:
		format = FormatXLSX
	case format == FormatXLSX && !isZIP:
		return nil, fileErr(0, "the file is not an XLSX workbook (an .xlsx file is a ZIP archive); set the feed's format to match the file, or auto")
	case format != FormatXLSX && isZIP:
		return nil, fileErr(0, "the file is a ZIP archive (an XLSX workbook?) but the feed's format is %s; set it to xlsx or auto", format)
	}
	f := &File{}
	if format == FormatXLSX {
		x, err := newXLSX(br, opts.Sheet)
		if err != nil {
			return nil, err
		}
		f.src, f.info = x, Info{Format: FormatXLSX, Sheet: x.sheet}
		return f, nil
	}

	if bytes.IndexByte(head, 0) >= 0 {
		return nil, fileErr(0, "the file is binary, not text (it holds NUL bytes); a feed must be CSV, JSON or XLSX")
	}
	if bytes.HasPrefix(head, bomUTF8) {
		// A byte order mark says UTF-8 louder than any setting.
		br.Discard(len(bomUTF8))
		head, encoding = head[len(bomUTF8):], EncodingUTF8
	}
	text, auto := textReader(br, encoding, head, atEOF)
	f.auto = auto
	f.info.Encoding = encoding
	first := firstNonSpace(head)
	if format == FormatAuto {
		switch first {
		case '[':
			format = FormatJSON
		case '{':
			return nil, fileErr(0, "the file is a JSON object; a JSON feed must be an array of objects, like [{\"sku\":\"A1\",\"qty\":5}, …]")
		case '<':
			return nil, fileErr(0, "the file is an HTML or XML page, not a feed (a login or error page from the supplier's site?)")
		default:
			format = FormatCSV
		}
	}
	if format == FormatJSON {
		if first != '[' {
			return nil, fileErr(0, "the file is not a JSON array: it must start with [ and hold objects, like [{\"sku\":\"A1\",\"qty\":5}, …]")
		}
		j, err := newJSON(text)
		if err != nil {
			return nil, err
		}
		f.src, f.info.Format = j, FormatJSON
		return f, nil
	}
	if delim == 0 {
		delim = detectDelimiter(head)
	}
	c, err := newCSV(text, delim)
	if err != nil {
		return nil, err
	}
	f.src, f.info.Format, f.info.Delimiter = c, FormatCSV, delimiterName(delim)
	return f, nil
}

// refuseNonFeed names the kinds of file suppliers send by mistake.
func refuseNonFeed(head []byte) error {
	switch {
	case bytes.HasPrefix(head, magicOLE):
		return fileErr(0, "the file is an Excel 97-2003 workbook (.xls) or a password-protected one; save it as .xlsx or CSV without a password")
	case bytes.HasPrefix(head, magicGzip):
		return fileErr(0, "the file is gzip-compressed; send it uncompressed")
	case bytes.HasPrefix(head, magicPDF):
		return fileErr(0, "the file is a PDF document, not a feed")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return fileErr(0, "the file is UTF-16 text; save it as UTF-8 (\"CSV UTF-8\" in Excel)")
	}
	return nil
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// Header returns the column names as read (trimmed).
func (f *File) Header() []string { return f.src.header() }

// Info says how the file is being read. With the auto encoding, the
// encoding may change from utf-8 to windows-1252 while reading, when the
// first non-ASCII bytes come late in the file.
func (f *File) Info() Info {
	info := f.info
	if f.auto != nil {
		info.Encoding = f.auto.Encoding()
	}
	return info
}

// Next returns the next record. A *RecordError reports a record that cannot
// be read (skip it and go on); io.EOF ends the file; any other error (a
// *FileError, the reader's error) is fatal and returned again by later calls.
// The record's Fields are reused by the next call.
func (f *File) Next() (*Record, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.rec.pointDecimal, f.rec.allPointDecimal = nil, false
	err := f.src.next(&f.rec)
	if err != nil {
		var re *RecordError
		if !errors.As(err, &re) {
			f.err = err
		}
		return nil, err
	}
	return &f.rec, nil
}

// Close releases what the file holds (an XLSX sheet's temporary file).
func (f *File) Close() error { return f.src.close() }
