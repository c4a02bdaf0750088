// Package feedfile opens a supplier's feed file as a stream of records: a
// header (the column names) and rows of text values, whatever the file's
// format (CSV/TSV with any delimiter, a JSON array of objects, an XLSX
// workbook) and text encoding (UTF-8, Windows-1252, ISO-8859-1). It knows
// nothing about what the columns mean: mapping them to stock and costs is
// the feeds package's job.
//
// Memory stays bounded whatever the file's size: CSV and JSON are read as
// streams, one record at a time, and a record longer than MaxRecordBytes (an
// unclosed quote that swallows the rest of the file, a binary file without
// line breaks) stops the file with an error instead of filling memory. XLSX
// is the exception the format forces: a workbook is a ZIP archive, read whole
// (compressed, at most MaxWorkbookBytes) before its sheet's rows are streamed.
package feedfile

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Formats of feed files.
const (
	FormatAuto = "auto"
	FormatCSV  = "csv"
	FormatTSV  = "tsv"
	FormatJSON = "json"
	FormatXLSX = "xlsx"
)

// Text encodings of CSV and JSON files.
const (
	EncodingAuto        = "auto"
	EncodingUTF8        = "utf-8"
	EncodingWindows1252 = "windows-1252"
	EncodingISO88591    = "iso-8859-1"
)

// Limits that keep memory bounded.
const (
	// MaxRecordBytes bounds one CSV record or one JSON value.
	MaxRecordBytes = 1 << 20
	// MaxColumns bounds the header (CSV columns, JSON keys).
	MaxColumns = 1000
	// MaxWorkbookBytes bounds an XLSX file, which is read whole.
	MaxWorkbookBytes = 128 << 20
	// sniffBytes is how much of the file decides its format, encoding and
	// delimiter.
	sniffBytes = 64 << 10
	// jsonHeaderElements is how many JSON elements are read ahead to learn
	// the keys (the header), and jsonHeaderBytes bounds their size.
	jsonHeaderElements = 100
	jsonHeaderBytes    = 4 << 20
)

// Options say how to read a file. The zero value detects everything.
type Options struct {
	// Format is auto, csv, tsv, json or xlsx ("" is auto).
	Format string
	// Encoding of CSV and JSON text: auto, utf-8, windows-1252 or
	// iso-8859-1 ("" is auto).
	Encoding string
	// Delimiter of CSV: "" detects it from the header line; "tab" or "\t"
	// is a tab.
	Delimiter string
	// Sheet of an XLSX workbook ("" the first).
	Sheet string
}

// Info says how a file was read: what was detected or given.
type Info struct {
	Format    string `json:"format"`              // csv, json or xlsx (tsv reads as csv with a tab)
	Encoding  string `json:"encoding,omitempty"`  // of CSV and JSON
	Delimiter string `json:"delimiter,omitempty"` // of CSV
	Sheet     string `json:"sheet,omitempty"`     // of XLSX
}

// Record is one row of a file.
type Record struct {
	// Line places the record: the physical line where it starts for CSV
	// (the header is line 1 in a file without blank lines before it), the
	// 1-based element index for JSON, the row number for XLSX.
	Line int
	// Fields holds the record's values, one per header column ("" when
	// absent). The slice is reused by the next call to Next.
	Fields []string
	// pointDecimal marks values known to be written with a decimal point
	// whatever the supplier's locale: every XLSX cell (excelize displays
	// numbers in the en-US form) and JSON numbers.
	pointDecimal    []bool
	allPointDecimal bool
}

// PointDecimal reports whether field i is a number known to be written with a
// decimal point and comma thousands separators whatever the supplier's
// locale: a JSON number, or any XLSX cell (excelize displays numbers in the
// en-US form). A "decimal comma" setting must not apply to it.
func (r *Record) PointDecimal(i int) bool {
	if r.allPointDecimal {
		return true
	}
	return i < len(r.pointDecimal) && r.pointDecimal[i]
}

// RecordError is a problem with one record: it is skipped, the file goes on.
type RecordError struct {
	Line   int
	Column string // header name, or "" for the whole record
	Value  string // the offending value, shortened
	Reason string
}

func (e *RecordError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Reason)
}

// FileError means the file cannot be read at all (not a spreadsheet, a broken
// header, a truncated JSON array). It unwraps to an apperr Invalid error, so
// the web layer answers 422 with its message.
type FileError struct {
	Line   int // where, when known; 0 for the file as a whole
	Reason string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return e.Reason
}

// Unwrap gives the error's apperr code (invalid).
func (e *FileError) Unwrap() error { return &apperr.Error{Code: apperr.Invalid, Message: e.Error()} }

func fileErr(line int, format string, args ...any) *FileError {
	return &FileError{Line: line, Reason: fmt.Sprintf(format, args...)}
}

// errRecordTooLong stops a CSV or JSON stream whose current record grew past
// MaxRecordBytes.
var errRecordTooLong = errors.New("record too long")

// ParseFormat normalises a format name ("" is auto).
func ParseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "", FormatAuto:
		return FormatAuto, nil
	case FormatCSV, FormatTSV, FormatJSON, FormatXLSX:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want auto, csv, tsv, json or xlsx)", s)
}

// ParseEncoding normalises an encoding name ("" is auto); latin1, cp1252 and
// utf8 are accepted as aliases.
func ParseEncoding(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", EncodingAuto:
		return EncodingAuto, nil
	case EncodingUTF8, "utf8":
		return EncodingUTF8, nil
	case EncodingWindows1252, "cp1252", "windows1252":
		return EncodingWindows1252, nil
	case EncodingISO88591, "iso8859-1", "latin1", "latin-1":
		return EncodingISO88591, nil
	}
	return "", fmt.Errorf("unknown encoding %q (want auto, utf-8, windows-1252 or iso-8859-1)", s)
}

// ParseDelimiter reads a CSV delimiter: "" is 0 (detect), "tab" or "\t" a
// tab, otherwise one character that is not a letter, a digit, a quote or a
// line break.
func ParseDelimiter(s string) (rune, error) {
	switch s {
	case "":
		return 0, nil
	case "\t", `\t`, "tab", "TAB", "Tab":
		return '\t', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' || unicode.IsLetter(r) || unicode.IsDigit(r) {
		return 0, fmt.Errorf("delimiter %q must be one character such as , ; | or tab", s)
	}
	return r, nil
}

// delimiterName is the delimiter as Info shows it.
func delimiterName(r rune) string {
	if r == '\t' {
		return "tab"
	}
	return string(r)
}

// Short returns s cut to a length fit for an error message.
func Short(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
