package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
)

// DefaultChannel is the channel of imported orders when the file has no
// channel column and the caller names none.
const DefaultChannel = "csv"

// maxLinesPerOrder bounds the rows of one order: Place accepts no more, and a
// file whose every row carries the same order_ref cannot make the reader hold
// it all in memory.
const maxLinesPerOrder = orders.MaxLines

// channelPattern is what orders.PlaceInput.Channel accepts.
var channelPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// ValidChannel reports whether name is a channel name orders accept: 1 to
// 40 lower-case letters, digits, - or _, starting with a letter or digit.
func ValidChannel(name string) bool { return channelPattern.MatchString(name) }

// paymentStatuses are the values payment_status may take (blank is paid).
var paymentStatuses = []string{"paid", "authorized", "pending", "partially_paid", "refunded", "partially_refunded", "voided"}

// maxHeaderBytes bounds the header line used to detect the delimiter.
const maxHeaderBytes = 64 << 10

// Problem is one thing wrong with an import file, placed by its line (1-based,
// as a text editor counts) and its column name.
type Problem struct {
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	switch {
	case p.Line > 0 && p.Column != "":
		return fmt.Sprintf("line %d, column %s: %s", p.Line, p.Column, p.Message)
	case p.Line > 0:
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// FileError is a problem that stops the whole file from being read: a
// header that is missing, unreadable or names unknown columns.
type FileError struct{ Problem }

func (e *FileError) Error() string { return e.Problem.String() }

// Order is one order as read from the file: the rows that share an
// order_ref, turned into the input of orders.Service.Place.
type Order struct {
	// Ref is the order_ref: the order's id in the system it came from. It
	// becomes the order's external id.
	Ref string
	// FirstLine and LastLine are the file lines the order's rows span.
	FirstLine, LastLine int
	// Input is what Place receives. It is complete only when Problems is
	// empty.
	Input orders.PlaceInput
	// Problems lists what is wrong with the order's rows; an order with
	// problems must not be placed.
	Problems []Problem

	// lineRows holds the file line of each order line (Input.Lines[i]).
	lineRows []int
	// valueLine holds, per order-level column, the line its value came from.
	valueLine [numColumns]int
}

// Locate turns a field name of a Place validation error (customer.email,
// lines[2].quantity) into the file line and column it came from. A field it
// does not know is placed on the order's first line with no column.
func (o *Order) Locate(field string) (line int, column string) {
	if rest, ok := strings.CutPrefix(field, "lines["); ok {
		idx, sub, _ := strings.Cut(rest, "]")
		i, err := strconv.Atoi(idx)
		if err == nil && i >= 0 && i < len(o.lineRows) {
			sub = strings.TrimPrefix(sub, ".")
			if c, ok := lineFieldColumns[sub]; ok {
				return o.lineRows[i], c.String()
			}
			return o.lineRows[i], ""
		}
		return o.FirstLine, ""
	}
	if c, ok := fieldColumns[field]; ok {
		if l := o.valueLine[c]; l > 0 {
			return l, c.String()
		}
		return o.FirstLine, c.String()
	}
	return o.FirstLine, ""
}

// LineOf returns the file line of the order's i-th line (Input.Lines[i]).
func (o *Order) LineOf(i int) int {
	if i >= 0 && i < len(o.lineRows) {
		return o.lineRows[i]
	}
	return o.FirstLine
}

// ReaderOptions tune a Reader.
type ReaderOptions struct {
	// Channel is the channel of orders whose row gives none (default "csv").
	Channel string
}

// Reader reads orders from an import file, one order at a time, without
// holding more than one order's rows in memory.
type Reader struct {
	cr      *csv.Reader
	br      *bufio.Reader
	count   *countingReader
	delim   rune
	channel string
	// cols maps each field of a record to its column; -1 marks a column
	// whose header cell is blank (its values must be blank too).
	cols    []column
	present [numColumns]bool
	rows    int

	cur   *group
	queue []*Order
	seen  map[uint64]uint32 // hash of each order_ref seen → its first line
	seed  maphash.Seed
	// broken describes unreadable lines not yet charged to an order.
	broken *brokenSpan
	eof    bool
}

// NewReader reads the header of an import file and returns a Reader for its
// orders. The header decides the delimiter (comma, semicolon or tab, the
// most frequent outside quotes) and the columns; a UTF-8 byte order mark is
// skipped. A header that cannot be used is a *FileError.
func NewReader(r io.Reader, opts ReaderOptions) (*Reader, error) {
	if opts.Channel == "" {
		opts.Channel = DefaultChannel
	}
	if !ValidChannel(opts.Channel) {
		return nil, apperr.InvalidField("channel", "must be 1 to 40 lower-case letters, digits, - or _, got %s", quoteShort(opts.Channel))
	}
	cnt := &countingReader{r: r}
	br := bufio.NewReaderSize(cnt, maxHeaderBytes)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	} else if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return nil, &FileError{Problem{Line: 1, Message: "the file is UTF-16 text; save it as \"CSV UTF-8\" instead"}}
	}
	head, err := br.Peek(maxHeaderBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("read import file: %w", err)
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, &FileError{Problem{Line: 1, Message: "the file is empty; the first line must name the columns"}}
	}
	delim := detectDelimiter(head)
	if delim == 0 {
		return nil, &FileError{Problem{Line: 1, Message: fmt.Sprintf("the header line is longer than %d KiB", maxHeaderBytes>>10)}}
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	rd := &Reader{cr: cr, br: br, count: cnt, delim: delim, channel: opts.Channel, seen: map[uint64]uint32{}, seed: maphash.MakeSeed()}
	header, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &FileError{Problem{Line: pe.Line, Message: "the header line is malformed: " + describeParseError(pe)}}
		}
		return nil, fmt.Errorf("read import file: %w", err)
	}
	if err := rd.readHeader(header); err != nil {
		return nil, err
	}
	return rd, nil
}

// detectDelimiter returns the most frequent of , ; and tab outside quotes on
// the first non-blank line, comma on a tie, or 0 if the line does not end
// within head.
func detectDelimiter(head []byte) rune {
	var comma, semi, tab int
	quoted, ended, started := false, false, false
	for _, c := range head {
		if c == '"' {
			quoted = !quoted
			started = true
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' && started {
			ended = true
			break
		}
		if c != '\n' && c != '\r' && c != ' ' {
			started = true
		}
		switch c {
		case ',':
			comma++
		case ';':
			semi++
		case '\t':
			tab++
		}
	}
	if !ended && len(head) >= maxHeaderBytes {
		return 0
	}
	switch {
	case semi > comma && semi >= tab:
		return ';'
	case tab > comma && tab > semi:
		return '\t'
	}
	return ','
}

func (r *Reader) readHeader(header []string) error {
	r.cols = make([]column, len(header))
	var unknown, dup []string
	for i, h := range header {
		name := normHeader(h)
		if name == "" {
			r.cols[i] = -1
			continue
		}
		c, ok := columnByName[name]
		if !ok {
			unknown = append(unknown, strconv.Quote(strings.TrimSpace(h)))
			continue
		}
		if r.present[c] {
			dup = append(dup, name)
		}
		r.present[c] = true
		r.cols[i] = c
	}
	switch {
	case len(unknown) == 1:
		return &FileError{Problem{Line: 1, Message: fmt.Sprintf("unknown column %s; the columns are: %s", unknown[0], knownColumnList())}}
	case len(unknown) > 1:
		return &FileError{Problem{Line: 1, Message: fmt.Sprintf("unknown columns %s; the columns are: %s", strings.Join(unknown, ", "), knownColumnList())}}
	case len(dup) > 0:
		return &FileError{Problem{Line: 1, Message: fmt.Sprintf("column %s appears more than once", strings.Join(dup, ", "))}}
	}
	if missing := requiredMissing(r.present); len(missing) > 0 {
		word := "column"
		if len(missing) > 1 {
			word = "columns"
		}
		return &FileError{Problem{Line: 1, Message: fmt.Sprintf("missing required %s %s (the header line must name the columns)", word, strings.Join(missing, ", "))}}
	}
	return nil
}

// Delimiter returns the field delimiter detected from the header.
func (r *Reader) Delimiter() rune { return r.delim }

// Rows returns how many data rows have been read so far.
func (r *Reader) Rows() int { return r.rows }

// BytesRead returns how many bytes of the file have been read so far (not
// counting what is buffered ahead).
func (r *Reader) BytesRead() int64 { return r.count.n - int64(r.br.Buffered()) }

// Next returns the next order, or io.EOF after the last one. Problems with
// an order's rows are in its Problems and never stop the reading: only an
// error from the underlying reader does.
func (r *Reader) Next() (*Order, error) {
	for {
		if len(r.queue) > 0 {
			o := r.queue[0]
			r.queue = r.queue[1:]
			return o, nil
		}
		if r.eof {
			return nil, io.EOF
		}
		rec, err := r.cr.Read()
		if err == io.EOF {
			r.eof = true
			r.flush()
			if r.broken != nil && !r.broken.charged {
				// A file with no readable row: report the lines on their own.
				b := r.broken
				r.queue = append(r.queue, &Order{FirstLine: b.start, LastLine: b.end, Problems: []Problem{{Line: b.end,
					Message: fmt.Sprintf("malformed CSV: %s could not be read: %s", b.span(), b.why)}}})
				r.broken = nil
			}
			continue
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("read import file: %w", err)
			}
			r.unreadable(pe)
			continue
		}
		line, _ := r.cr.FieldPos(0)
		r.rows++
		r.row(rec, line)
	}
}

// unreadable handles a CSV syntax error. The lines it spans are lost, and
// they may hold rows of the order being read or of the next one, so both
// fail: neither can be placed knowing it is whole.
func (r *Reader) unreadable(pe *csv.ParseError) {
	b := &brokenSpan{start: pe.StartLine, end: pe.Line, why: describeParseError(pe), charged: r.cur != nil}
	if r.cur != nil {
		r.cur.note(Problem{Line: b.end, Message: fmt.Sprintf(
			"not imported: malformed CSV, %s could not be read and may hold rows of this order: %s", b.span(), b.why)})
		r.flush()
	}
	if r.broken == nil {
		r.broken = b
	} else {
		r.broken.end = b.end
		r.broken.charged = r.broken.charged || b.charged
	}
}

// brokenSpan is a run of lines the CSV reader could not read.
type brokenSpan struct {
	start, end int
	why        string
	// charged is set when an order read before the lines was failed for
	// them; otherwise, at the end of the file, they are reported alone.
	charged bool
}

func (b *brokenSpan) span() string {
	if b.end > b.start {
		return fmt.Sprintf("lines %d–%d", b.start, b.end)
	}
	return fmt.Sprintf("line %d", b.start)
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

// flush finishes the order being read and queues it.
func (r *Reader) flush() {
	if r.cur == nil {
		return
	}
	r.queue = append(r.queue, r.cur.finish(r.delim, r.channel))
	r.cur = nil
}

// row adds one data row to its order.
func (r *Reader) row(rec []string, line int) {
	var vals [numColumns]string
	var probs []Problem
	blank := true
	for i, v := range rec {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		blank = false
		if i >= len(r.cols) {
			continue
		}
		c := r.cols[i]
		if c < 0 {
			probs = append(probs, Problem{Line: line, Message: fmt.Sprintf("field %d has a value (%s) but its header cell is blank", i+1, quoteShort(v))})
			continue
		}
		if !utf8.ValidString(v) {
			probs = append(probs, Problem{Line: line, Column: c.String(), Message: "is not valid UTF-8 text; save the file as \"CSV UTF-8\""})
			v = strings.ToValidUTF8(v, "\uFFFD")
		} else if c != colNote && strings.ContainsAny(v, "\r\n") {
			probs = append(probs, Problem{Line: line, Column: c.String(), Message: "contains a line break (only note may span lines; is a quote left open above?)"})
		}
		vals[c] = v
	}
	if blank {
		return // a spreadsheet's empty row
	}
	if len(rec) != len(r.cols) {
		probs = append(probs, Problem{Line: line, Message: fmt.Sprintf("has %d fields but the header has %d", len(rec), len(r.cols))})
	}
	ref := vals[colOrderRef]
	if r.cur != nil && r.cur.ref != ref {
		r.flush()
	}
	if r.cur == nil {
		r.cur = &group{ref: ref, first: line}
		if r.broken != nil {
			r.broken.charged = true
			r.cur.problems = append(r.cur.problems, Problem{Line: line, Message: fmt.Sprintf(
				"not imported: malformed CSV just before this order, %s could not be read and may hold rows of it: %s", r.broken.span(), r.broken.why)})
			r.broken = nil
		}
		if ref == "" {
			r.cur.problems = append(r.cur.problems, Problem{Line: line, Column: colOrderRef.String(), Message: "is blank; every row needs the reference of its order"})
		} else {
			h := maphash.String(r.seed, ref)
			if at, ok := r.seen[h]; ok {
				r.cur.problems = append(r.cur.problems, Problem{Line: line, Column: colOrderRef.String(), Message: fmt.Sprintf(
					"order %s already appeared at line %d; the rows of one order must be next to each other (sort the file by order_ref)", quoteShort(ref), at)})
			} else {
				r.seen[h] = uint32(min(line, 1<<32-1))
			}
		}
	}
	r.cur.add(line, &vals, probs)
}

// group gathers the rows of one order while they are read.
type group struct {
	ref       string
	first     int
	last      int
	vals      [numColumns]string // order-level values: the first non-blank of each
	valueLine [numColumns]int
	lines     []lineRow
	problems  []Problem
	dropped   int // problems past maxProblems
	tooMany   bool
}

// lineRow is one row's line-level values.
type lineRow struct {
	line                     int
	sku                      string
	quantity                 int
	unitPrice, discount, tax string
}

// maxProblems bounds the problems kept per order; past it they are counted.
const maxProblems = 100

func (g *group) problem(line int, c column, format string, args ...any) {
	g.note(Problem{Line: line, Column: c.String(), Message: fmt.Sprintf(format, args...)})
}

func (g *group) note(ps ...Problem) {
	for _, p := range ps {
		if len(g.problems) < maxProblems {
			g.problems = append(g.problems, p)
		} else {
			g.dropped++
		}
	}
}

func (g *group) add(line int, vals *[numColumns]string, probs []Problem) {
	g.last = line
	g.note(probs...)
	for c := range numColumns {
		spec := columnSpecs[c]
		v := vals[c]
		if spec.level != orderLevel || v == "" {
			continue
		}
		switch prev := g.vals[c]; {
		case prev == "":
			g.vals[c], g.valueLine[c] = v, line
		case !agree(spec.cmp, prev, v):
			g.problem(line, c, "%s differs from %s on line %d of the same order; repeat the same value or leave it blank",
				quoteShort(v), quoteShort(prev), g.valueLine[c])
		}
	}
	if len(g.lines) >= maxLinesPerOrder {
		if !g.tooMany {
			g.tooMany = true
			g.note(Problem{Line: line, Message: fmt.Sprintf("an order may have at most %d lines; this is line %d of order %s", maxLinesPerOrder, len(g.lines)+1, quoteShort(g.ref))})
		}
		return
	}
	lr := lineRow{line: line, unitPrice: vals[colUnitPrice], discount: vals[colLineDiscount], tax: vals[colLineTax]}
	if sku, err := catalog.ParseSKU(vals[colSKU]); err != nil {
		if vals[colSKU] == "" {
			g.problem(line, colSKU, "is blank")
		} else {
			g.problem(line, colSKU, "%v", err)
		}
	} else {
		lr.sku = string(sku)
	}
	q := vals[colQuantity]
	n, err := strconv.Atoi(q)
	switch {
	case err != nil && q == "":
		g.problem(line, colQuantity, "is blank; give a whole number ≥ 1")
	case err != nil || n < 1:
		g.problem(line, colQuantity, "must be a whole number ≥ 1, got %s", quoteShort(q))
	case n > orders.MaxLineQuantity:
		g.problem(line, colQuantity, "must be at most %d, got %s", orders.MaxLineQuantity, quoteShort(q))
	}
	lr.quantity = n
	g.lines = append(g.lines, lr)
}

// agree reports whether two values of an order-level column mean the same.
func agree(cmp compare, a, b string) bool {
	switch cmp {
	case foldCase:
		return strings.EqualFold(a, b)
	case decimal:
		return normDecimal(a) == normDecimal(b)
	case boolean:
		x, errA := parseBool(a)
		y, errB := parseBool(b)
		if errA == nil && errB == nil {
			return x == y
		}
	case instant:
		x, errA := parseTime(a)
		y, errB := parseTime(b)
		if errA == nil && errB == nil {
			return x.Equal(y)
		}
	}
	return a == b
}

// normDecimal writes a decimal number in one form: no leading zeros of the
// whole part, no trailing zeros of the fraction, "." as the separator.
func normDecimal(s string) string {
	s = strings.ReplaceAll(s, ",", ".")
	sign := ""
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = "-"
		}
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	whole = strings.TrimLeft(whole, "0")
	frac = strings.TrimRight(frac, "0")
	if whole == "" {
		whole = "0"
	}
	if whole == "0" && frac == "" {
		sign = ""
	}
	if frac != "" {
		return sign + whole + "." + frac
	}
	return sign + whole
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "no", "n", "0":
		return false, nil
	case "true", "yes", "y", "1":
		return true, nil
	}
	return false, fmt.Errorf("must be true or false (or yes/no, 1/0), got %s", quoteShort(s))
}

// timeLayouts are the forms placed_at may take. Without an offset the time
// is UTC; a date alone is midnight UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

func parseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("must be an RFC 3339 time (2026-03-01T14:30:00+01:00) or a date (2026-03-01), got %s", quoteShort(s))
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	const max = 60
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// finish checks the order-level values and builds the Place input.
func (g *group) finish(delim rune, channel string) *Order {
	o := &Order{Ref: g.ref, FirstLine: g.first, LastLine: g.last, valueLine: g.valueLine}
	for c := range numColumns {
		if o.valueLine[c] == 0 {
			o.valueLine[c] = g.first
		}
	}
	at := func(c column) int { return o.valueLine[c] }
	in := &o.Input
	in.ExternalID = g.ref
	in.Channel = strings.ToLower(g.vals[colChannel])
	if in.Channel == "" {
		in.Channel = channel
	}
	in.Customer = orders.CustomerInput{Email: g.vals[colEmail], Name: g.vals[colName], Phone: g.vals[colPhone], Locale: g.vals[colLocale]}
	if in.Customer.Email == "" {
		g.problem(at(colEmail), colEmail, "is blank; each order needs the customer's email")
	}
	in.ShippingAddress = customers.Address{
		Name: g.vals[colShipName], Company: g.vals[colShipCompany], Line1: g.vals[colShipLine1], Line2: g.vals[colShipLine2],
		City: g.vals[colShipCity], Region: g.vals[colShipRegion], PostalCode: g.vals[colShipPostalCode],
		Country: g.vals[colShipCountry], Phone: g.vals[colShipPhone],
	}
	if in.Channel != "" && !channelPattern.MatchString(in.Channel) {
		g.problem(at(colChannel), colChannel, "must be 1 to 40 lower-case letters, digits, - or _, got %s", quoteShort(in.Channel))
	}
	in.Payment.Status = strings.ToLower(g.vals[colPaymentStatus])
	if st := in.Payment.Status; st != "" && !slices.Contains(paymentStatuses, st) {
		g.problem(at(colPaymentStatus), colPaymentStatus, "must be one of %s, got %s", strings.Join(paymentStatuses, ", "), quoteShort(g.vals[colPaymentStatus]))
	}
	in.Note = g.vals[colNote]
	if v := g.vals[colTaxesIncluded]; v != "" {
		b, err := parseBool(v)
		if err != nil {
			g.problem(at(colTaxesIncluded), colTaxesIncluded, "%v", err)
		}
		in.TaxesIncluded = b
	}
	if v := g.vals[colPlacedAt]; v != "" {
		t, err := parseTime(v)
		if err != nil {
			g.problem(at(colPlacedAt), colPlacedAt, "%v", err)
		}
		in.PlacedAt = t
	}

	cur := strings.ToUpper(g.vals[colCurrency])
	curOK := false
	switch {
	case cur == "":
		g.problem(at(colCurrency), colCurrency, "is blank; give the order's ISO 4217 currency code (EUR, USD, BRL, ...)")
	case !money.ValidCurrency(cur):
		g.problem(at(colCurrency), colCurrency, "%s is not a currency Orderly knows (use an ISO 4217 code such as EUR, USD, BRL)", quoteShort(g.vals[colCurrency]))
	default:
		curOK = true
	}
	in.Currency = cur
	amount := func(line int, c column, s string) money.Money {
		if s == "" || !curOK {
			return money.Money{Amount: 0, Currency: cur}
		}
		m, err := parseMoney(s, cur, delim)
		switch {
		case err != nil:
			g.problem(line, c, "%v", err)
		case m.Amount < 0:
			g.problem(line, c, "must not be negative, got %s", quoteShort(s))
		}
		return m
	}
	in.Shipping = amount(at(colShipping), colShipping, g.vals[colShipping])
	in.Discount = amount(at(colOrderDiscount), colOrderDiscount, g.vals[colOrderDiscount])

	in.Lines = make([]orders.LineInput, len(g.lines))
	o.lineRows = make([]int, len(g.lines))
	for i, lr := range g.lines {
		o.lineRows[i] = lr.line
		l := orders.LineInput{SKU: lr.sku, Quantity: lr.quantity}
		if lr.unitPrice != "" && curOK {
			p := amount(lr.line, colUnitPrice, lr.unitPrice)
			l.UnitPrice = &p
		}
		l.Discount = amount(lr.line, colLineDiscount, lr.discount)
		l.Tax = amount(lr.line, colLineTax, lr.tax)
		if l.UnitPrice != nil && lr.quantity > 0 && l.UnitPrice.Amount >= 0 && l.UnitPrice.Amount <= money.MaxAmount/int64(lr.quantity) &&
			l.Discount.Amount > l.UnitPrice.Amount*int64(lr.quantity) {
			g.problem(lr.line, colLineDiscount, "%s is more than the line's value (%d × %s)", l.Discount.Decimal(), lr.quantity, l.UnitPrice.Decimal())
		}
		in.Lines[i] = l
	}
	o.Problems = sortProblems(g.problems)
	if g.dropped > 0 {
		o.Problems = append(o.Problems, Problem{Line: g.last, Message: fmt.Sprintf("and %d more problems in lines %d–%d", g.dropped, g.first, g.last)})
	}
	return o
}

// parseMoney reads an amount with money.Parse. In a semicolon-separated file
// (the form spreadsheets in comma-decimal locales export) a decimal comma is
// accepted too: 12,50 is 12.50.
func parseMoney(s, currency string, delim rune) (money.Money, error) {
	v := s
	if delim == ';' && strings.Count(v, ",") == 1 && !strings.Contains(v, ".") {
		v = strings.Replace(v, ",", ".", 1)
	}
	m, err := money.Parse(v, currency)
	if err != nil {
		return money.Money{Amount: 0, Currency: currency}, fmt.Errorf("%v (write amounts like 12.50, without currency symbols or thousands separators)", err)
	}
	return m, nil
}

// sortProblems orders problems by line, then by column in the documented
// column order.
func sortProblems(ps []Problem) []Problem {
	pos := func(p Problem) int {
		if c, ok := columnByName[p.Column]; ok {
			return int(c)
		}
		return -1
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return pos(a) - pos(b)
	})
	return ps
}

// countingReader counts the bytes read through it, for progress reports.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
