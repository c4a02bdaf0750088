package feedfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvSource reads CSV/TSV records with encoding/csv: quoted fields as RFC
// 4180 says (LazyQuotes off), any number of fields per record (a ragged row
// is the row's error, not the file's).
type csvSource struct {
	cr    *csv.Reader
	guard *guard
	delim rune
	hdr   []string
	// start is the input offset where the record being read starts.
	start int64
	// last is the line where the last record read ends (as far as
	// encoding/csv tells: where its last field starts), to place an error
	// that has no position of its own.
	last int
}

func newCSV(r io.Reader, delim rune) (*csvSource, error) {
	g := &guard{r: r}
	cr := csv.NewReader(g)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	c := &csvSource{cr: cr, guard: g, delim: delim}
	// encoding/csv's InputOffset moves line by line inside a record, so the
	// guard measures from the record's start instead.
	g.offset = func() int64 { return c.start }
	header, err := cr.Read()
	switch {
	case err == io.EOF:
		return nil, fileErr(0, "the file is empty; its first line must name the columns")
	case errors.Is(err, errRecordTooLong):
		return nil, fileErr(1, "the header line is longer than %d KiB: this is not a CSV file, or a quoted column name is not closed", MaxRecordBytes>>10)
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fileErr(pe.StartLine, "the header line is malformed: %s", describeParseError(pe))
		}
		return nil, fmt.Errorf("read feed file: %w", err)
	}
	line, _ := cr.FieldPos(0)
	c.last, _ = cr.FieldPos(len(header) - 1)
	c.start = cr.InputOffset()
	if len(header) > MaxColumns {
		return nil, fileErr(line, "the header has %d columns; at most %d are read", len(header), MaxColumns)
	}
	blank := true
	c.hdr = make([]string, len(header))
	for i, h := range header {
		c.hdr[i] = strings.TrimSpace(h)
		if c.hdr[i] != "" {
			blank = false
		}
	}
	if blank {
		return nil, fileErr(line, "the header line names no columns")
	}
	return c, nil
}

func (c *csvSource) header() []string { return c.hdr }

func (c *csvSource) next(rec *Record) error {
	fields, err := c.cr.Read()
	c.start = c.cr.InputOffset()
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.Is(err, errRecordTooLong):
		return fileErr(c.last+1, "the row after line %d is longer than %d KiB: a quoted value is probably not closed (a \" inside a quoted value must be doubled as \"\"), or this is not a CSV file", c.last, MaxRecordBytes>>10)
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			c.last = pe.Line
			return &RecordError{Line: pe.StartLine, Reason: describeParseError(pe)}
		}
		return fmt.Errorf("read feed file: %w", err)
	}
	line, _ := c.cr.FieldPos(0)
	c.last, _ = c.cr.FieldPos(len(fields) - 1)
	rec.Line = line
	if len(fields) != len(c.hdr) {
		if len(fields) < len(c.hdr) || !blankFrom(fields, len(c.hdr)) {
			return &RecordError{Line: line, Reason: fmt.Sprintf(
				"the row has %d values but the header has %d columns (a value with an unquoted %s in it? put such values in double quotes)",
				len(fields), len(c.hdr), delimiterWord(c.delim))}
		}
		// Values past the header are blank: an exporter that ends every
		// row with a delimiter. Nothing is lost by dropping them.
		fields = fields[:len(c.hdr)]
	}
	rec.Fields = fields
	return nil
}

func (c *csvSource) close() error { return nil }

func blankFrom(fields []string, i int) bool {
	for _, f := range fields[i:] {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func delimiterWord(d rune) string {
	switch d {
	case '\t':
		return "tab"
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '|':
		return "|"
	}
	return string(d)
}

func describeParseError(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`a " in an unquoted value at character %d of line %d (put the value in double quotes and double the " inside it, like "5"" screen")`, pe.Column, pe.Line)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`a quoted value starting on line %d is not closed, or has text after its closing quote (a " inside a quoted value must be doubled as "")`, pe.StartLine)
	}
	return pe.Err.Error()
}

// detectDelimiter picks the delimiter of a CSV file from its header line:
// the most frequent of , ; tab | outside double quotes (a comma on a tie,
// and when there is none: a one-column file).
func detectDelimiter(head []byte) rune {
	cands := [...]rune{',', ';', '\t', '|'}
	var counts [len(cands)]int
	quoted, started := false, false
	for _, c := range head {
		if c == '"' {
			quoted = !quoted
			started = true
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' || c == '\r' {
			if started {
				break
			}
			continue
		}
		if c != ' ' {
			started = true
		}
		for i, d := range cands {
			if rune(c) == d {
				counts[i]++
			}
		}
	}
	best := 0
	for i := range cands {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return cands[best]
}

// guard stops a reader when its consumer has taken more than MaxRecordBytes
// past the end of the last record it finished: memory for one record stays
// bounded even when a quote is never closed.
type guard struct {
	r      io.Reader
	n      int64        // bytes handed out
	offset func() int64 // where the consumer's last complete record ended
}

func (g *guard) Read(p []byte) (int, error) {
	if g.offset != nil && g.n-g.offset() > MaxRecordBytes {
		return 0, errRecordTooLong
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
}
