package feeds

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/feeds/feedfile"
	"github.com/orderly-oms/orderly/internal/money"
)

// FileError means a feed file cannot be read at all: not a spreadsheet, a
// broken header, a mapped column missing, a truncated JSON array. It carries
// apperr's invalid code.
type FileError = feedfile.FileError

// Bounds of the values a feed may hold; past them a row is refused as
// absurd rather than applied.
const (
	MaxQuantity     = 1_000_000_000
	MaxLeadTimeDays = 365
	MaxSKULength    = 100
)

// Default words, matched case-insensitively.
var (
	defaultDiscontinuedWords = []string{"yes", "true", "1", "x", "y", "si", "sì", "sim", "oui", "ja", "discontinued"}
)

// Field indexes of a mapping.
const (
	colSKU = iota
	colQuantity
	colCost
	colCurrency
	colLeadTime
	colRestock
	colDiscontinued
	numCols
)

var fieldNames = [numCols]string{"sku", "quantity", "cost", "currency", "lead_time", "restock_date", "discontinued"}

func (m *Mapping) columns() [numCols]string {
	return [numCols]string{m.SKU, m.Quantity, m.Cost, m.Currency, m.LeadTime, m.RestockDate, m.Discontinued}
}

// Reader reads the rows of a supplier feed through a mapping: the file's
// format and encoding are feedfile's, the meaning of its columns and the
// parsing of their values are the mapping's. It holds one record at a time,
// plus 8 bytes per distinct supplier SKU (to find duplicates).
type Reader struct {
	f      *feedfile.File
	m      Mapping
	header []string
	col    [numCols]int // header index of each field, -1 when not mapped
	names  [numCols]string
	vals   [numCols]string // the current record's values, trimmed

	inStock, outOfStock, discontinued []string // normalised words
	dateLayouts                       []string
	defaultCurrency                   string

	seed     maphash.Seed
	seen     skuIndex // hash of each supplier SKU → its line
	noDedupe bool
	errs     []RowError // the current row's problems
	// The last currency cell found valid (a feed has one or two), as
	// written and upper-case, and its exponent, to skip the lookup.
	curRaw, curUpper string
	curExp           int
	// Slabs the rows' values point into: one allocation per 512 rows
	// instead of one per value.
	ints   []int
	moneys []money.Money
	done   bool
}

// NewReader opens a feed file with a mapping. The error says why the file
// cannot be read at all: a bad mapping (apperr invalid, with fields), a file
// that does not parse (*FileError), a mapped column missing from the header
// (*FileError naming it and listing the columns found), or the reader's own
// failure. Call Close when stopping before io.EOF.
func NewReader(r io.Reader, m Mapping) (*Reader, error) {
	rd, err := open(r, m)
	if err != nil {
		if rd != nil {
			rd.Close()
		}
		return nil, err
	}
	return rd, nil
}

// open is NewReader that returns the Reader, when the file opened, along
// with a column error: Preview shows the columns found.
func open(r io.Reader, m Mapping) (*Reader, error) {
	rd := &Reader{m: m, seed: maphash.MakeSeed()}
	if err := rd.compile(); err != nil {
		return nil, err
	}
	f, err := feedfile.Open(r, feedfile.Options{Format: m.Format, Encoding: m.Encoding, Delimiter: m.Delimiter, Sheet: m.Sheet})
	if err != nil {
		var ae *apperr.Error
		var fe *FileError
		if !errors.As(err, &fe) && errors.As(err, &ae) && len(ae.Fields) > 0 {
			// A bad option: name it as a mapping field.
			var fs apperr.Fields
			for _, fl := range ae.Fields {
				fs.Add("mapping."+fl.Field, "%s", fl.Message)
			}
			return nil, fs.Err()
		}
		return nil, err
	}
	rd.f = f
	rd.header = f.Header()
	return rd, rd.resolve()
}

// compile checks what reading needs from the mapping and prepares its words
// and layouts.
func (rd *Reader) compile() error {
	m := &rd.m
	var fs apperr.Fields
	if strings.TrimSpace(m.SKU) == "" {
		fs.Add("mapping.sku", "must name the column that holds the supplier SKU")
	}
	if c := strings.ToUpper(strings.TrimSpace(m.DefaultCurrency)); c != "" {
		if !money.ValidCurrency(c) {
			fs.Add("mapping.default_currency", "unknown currency %q (want an ISO 4217 code such as EUR, USD, BRL)", m.DefaultCurrency)
		}
		rd.defaultCurrency = c
	}
	rd.inStock, rd.outOfStock = normWords(m.InStockWords), normWords(m.OutOfStockWords)
	if len(rd.inStock) > 0 && (m.InStockQuantity < 1 || m.InStockQuantity > MaxQuantity) {
		fs.Add("mapping.in_stock_quantity", "must be between 1 and %d when in-stock words are set (how many units \"in stock\" means)", MaxQuantity)
	}
	for _, w := range rd.inStock {
		if slices.Contains(rd.outOfStock, w) {
			fs.Add("mapping.out_of_stock_words", "%q is also an in-stock word", w)
		}
	}
	rd.discontinued = normWords(m.DiscontinuedWords)
	if len(rd.discontinued) == 0 {
		rd.discontinued = defaultDiscontinuedWords
	}
	if m.DateFormat != "" {
		if !validLayout(m.DateFormat) {
			fs.Add("mapping.date_format", "%q is not a date layout: write the date 2 January 2006 in the supplier's form, e.g. 02/01/2006 or 2006-01-02", m.DateFormat)
		}
		rd.dateLayouts = append(rd.dateLayouts, m.DateFormat)
	}
	rd.dateLayouts = append(rd.dateLayouts, "2006-01-02", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04")
	cols := m.columns()
	for i, c := range cols {
		c = strings.TrimSpace(c)
		for j := range i {
			if c != "" && strings.EqualFold(c, strings.TrimSpace(cols[j])) {
				fs.Add("mapping."+fieldNames[i], "names column %q, already mapped as %s", c, fieldNames[j])
			}
		}
	}
	return fs.Err()
}

// validLayout reports whether layout writes and reads back a date.
func validLayout(layout string) bool {
	want := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	got, err := time.Parse(layout, want.Format(layout))
	return err == nil && got.Year() == 2026 && got.Month() == 11 && got.Day() == 23
}

// resolve finds each mapped column in the header.
func (rd *Reader) resolve() error {
	byName := make(map[string]int, len(rd.header))
	dup := map[string]bool{}
	for i, h := range rd.header {
		k := strings.ToLower(h)
		if _, ok := byName[k]; ok {
			dup[k] = true
			continue
		}
		byName[k] = i
	}
	var missing []string
	for i, c := range rd.m.columns() {
		rd.col[i] = -1
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		k := strings.ToLower(c)
		idx, ok := byName[k]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("%q (%s)", c, fieldNames[i]))
		case dup[k]:
			return &FileError{Line: rd.headerLine(), Reason: fmt.Sprintf("the header has more than one column named %q; rename one so the %s column is clear", rd.header[idx], fieldNames[i])}
		default:
			rd.col[i], rd.names[i] = idx, rd.header[idx]
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(rd.header) == 0 && rd.f.Info().Format == feedfile.FormatJSON {
		// An empty JSON array (or one without objects): no rows to read.
		return nil
	}
	what := "no column " + missing[0]
	if len(missing) > 1 {
		what = "no columns " + strings.Join(missing[:len(missing)-1], ", ") + " and " + missing[len(missing)-1]
	}
	return &FileError{Line: rd.headerLine(), Reason: fmt.Sprintf("the file has %s; its columns are: %s", what, listColumns(rd.header))}
}

// headerLine is where the header is, for its errors (CSV: line 1 as a rule).
func (rd *Reader) headerLine() int {
	if rd.f.Info().Format == feedfile.FormatCSV {
		return 1
	}
	return 0
}

func listColumns(h []string) string {
	const max = 30
	var b strings.Builder
	for i, c := range h {
		if i == max {
			fmt.Fprintf(&b, " … (%d more)", len(h)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(c))
	}
	if len(h) == 0 {
		return "none"
	}
	return b.String()
}

// SkipDuplicateCheck turns off the check for a supplier SKU already on an
// earlier line, for a caller that makes it itself on its own index of SKUs
// (applying a feed looks every SKU up anyway). The check costs a hash-table
// insert per row, about as much as parsing the row with encoding/csv on a
// million rows, where the table outgrows the CPU caches.
func (rd *Reader) SkipDuplicateCheck() { rd.noDedupe = true }

// Columns returns the file's header as read (trimmed).
func (rd *Reader) Columns() []string { return slices.Clone(rd.header) }

// File says how the file is read: format, encoding, delimiter, sheet.
func (rd *Reader) File() feedfile.Info { return rd.f.Info() }

// Close releases the file (an XLSX sheet's temporary file). Next closes it at
// io.EOF and on a fatal error; Close again is harmless.
func (rd *Reader) Close() error {
	if rd.done || rd.f == nil {
		return nil
	}
	rd.done = true
	return rd.f.Close()
}

// Next returns the next row. A bad row is a *RowError (with the row's Line
// in the Row too): skip it and go on. io.EOF ends the file; any other error
// is fatal (*FileError for a file broken past its start, e.g. a truncated
// JSON array, or the underlying reader's error). Rows whose mapped cells are
// all blank (blank lines, heading rows of a spreadsheet) are skipped.
func (rd *Reader) Next() (Row, error) {
	row, errs, err := rd.next(nil)
	if err != nil {
		return row, err
	}
	if len(errs) > 0 {
		return row, &errs[0]
	}
	return row, nil
}

// next reads the next row with all its problems; cells, if not nil, gets a
// copy of the record's values.
func (rd *Reader) next(cells *[]string) (Row, []RowError, error) {
	for {
		rec, err := rd.f.Next()
		if err != nil {
			var re *feedfile.RecordError
			if errors.As(err, &re) {
				if cells != nil {
					*cells = nil
				}
				rd.errs = append(rd.errs[:0], RowError(*re))
				return Row{Line: re.Line}, rd.errs, nil
			}
			rd.Close()
			return Row{}, nil, err
		}
		if rd.load(rec) {
			continue
		}
		if cells != nil {
			*cells = slices.Clone(rec.Fields)
		}
		row, errs := rd.parse(rec)
		return row, errs, nil
	}
}

// trim is strings.TrimSpace with a fast path for the common value that
// needs no trimming.
func trim(s string) string {
	if len(s) == 0 || s[0] > ' ' && s[0] < utf8.RuneSelf && s[len(s)-1] > ' ' && s[len(s)-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}

// load puts the trimmed value of each mapped field of rec in rd.vals ("" when
// not mapped) and reports whether they are all blank.
func (rd *Reader) load(rec *feedfile.Record) (blank bool) {
	blank = true
	for f, i := range rd.col {
		v := ""
		if i >= 0 && i < len(rec.Fields) {
			v = trim(rec.Fields[i])
		}
		rd.vals[f] = v
		blank = blank && v == ""
	}
	return blank
}

// parse maps one record to a row, collecting every problem of the row.
func (rd *Reader) parse(rec *feedfile.Record) (Row, []RowError) {
	rd.errs = rd.errs[:0]
	row := Row{Line: rec.Line}
	bad := func(f int, v, reason string) {
		rd.errs = append(rd.errs, RowError{Line: rec.Line, Column: rd.names[f], Value: feedfile.Short(v), Reason: reason})
	}
	comma := func(f int) bool { return rd.m.DecimalComma && !rec.PointDecimal(rd.col[f]) }

	sku := rd.vals[colSKU]
	switch {
	case sku == "":
		bad(colSKU, sku, "the supplier SKU is blank")
	case !utf8.ValidString(sku):
		bad(colSKU, strings.ToValidUTF8(sku, "\uFFFD"), "the supplier SKU is not valid UTF-8 text: the file mixes encodings; save it as UTF-8 or set the feed's encoding")
	case len(sku) > MaxSKULength && utf8.RuneCountInString(sku) > MaxSKULength:
		bad(colSKU, sku, fmt.Sprintf("the supplier SKU is longer than %d characters", MaxSKULength))
	case rd.noDedupe:
		row.SupplierSKU = sku
	default:
		if first, dup := rd.seen.add(maphash.String(rd.seed, sku), rec.Line); dup {
			bad(colSKU, sku, fmt.Sprintf("supplier SKU %s already on line %d", sku, first))
		}
		row.SupplierSKU = sku
	}
	if v := rd.vals[colQuantity]; v != "" {
		if q, reason := parseQuantity(v, comma(colQuantity), rd.inStock, rd.m.InStockQuantity, rd.outOfStock); reason != "" {
			bad(colQuantity, v, reason)
		} else {
			row.Quantity = rd.newInt(q)
		}
	}
	if v := rd.vals[colCost]; v != "" {
		raw := rd.vals[colCurrency]
		if raw == "" {
			raw = rd.defaultCurrency
		}
		cur, exp, ok := "", -1, true
		switch {
		case raw == "":
		case raw == rd.curRaw:
			cur, exp = rd.curUpper, rd.curExp
		default:
			cur = strings.ToUpper(raw)
			if exp, ok = money.Exponent(cur); ok {
				rd.curRaw, rd.curUpper, rd.curExp = raw, cur, exp
			} else {
				bad(colCurrency, raw, fmt.Sprintf("unknown currency %q (want an ISO 4217 code such as EUR, USD, BRL)", raw))
			}
		}
		if ok {
			if c, reason := parseCostIn(v, cur, exp, comma(colCost)); reason != "" {
				bad(colCost, v, reason)
			} else {
				row.Cost = rd.newMoney(c)
			}
		}
	}
	if v := rd.vals[colLeadTime]; v != "" {
		if d, reason := parseLeadTime(v, comma(colLeadTime)); reason != "" {
			bad(colLeadTime, v, reason)
		} else {
			row.LeadTimeDays = rd.newInt(d)
		}
	}
	if v := rd.vals[colRestock]; v != "" {
		if d, ok, reason := parseDate(v, rd.dateLayouts); reason != "" {
			bad(colRestock, v, reason)
		} else if ok {
			row.RestockDate = &d
		}
	}
	if v := rd.vals[colDiscontinued]; v != "" {
		row.Discontinued = matchWord(v, rd.discontinued)
	}
	return row, rd.errs
}

func (rd *Reader) newInt(v int) *int {
	if len(rd.ints) == 0 {
		rd.ints = make([]int, 1024)
	}
	p := &rd.ints[0]
	*p, rd.ints = v, rd.ints[1:]
	return p
}

func (rd *Reader) newMoney(v money.Money) *money.Money {
	if len(rd.moneys) == 0 {
		rd.moneys = make([]money.Money, 512)
	}
	p := &rd.moneys[0]
	*p, rd.moneys = v, rd.moneys[1:]
	return p
}

// skuIndex remembers the supplier SKUs of a file by their 64-bit hash (two
// different SKUs share one with odds of about 1 in 10^7 in a file of a
// million rows), with the line of each: open addressing in one flat slice of
// 12-byte slots (hash, line), at most 3/4 full, so a lookup usually touches
// one cache line. On a million SKUs it is a few times faster than a Go map.
type skuIndex struct {
	slots []uint32 // 3 per slot: hash low, hash high, line; hash 0 is free
	n     int
}

// add records h on line and returns false, or the line it was first seen on
// and true.
func (x *skuIndex) add(h uint64, line int) (int, bool) {
	if h == 0 {
		h = 1
	}
	if x.n*4 >= len(x.slots)/3*3 {
		x.grow()
	}
	lo, hi := uint32(h), uint32(h>>32)
	mask := uint64(len(x.slots)/3 - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[3*i : 3*i+3 : 3*i+3]
		switch {
		case s[0] == 0 && s[1] == 0:
			s[0], s[1], s[2] = lo, hi, uint32(min(max(line, 0), 1<<32-1))
			x.n++
			return 0, false
		case s[0] == lo && s[1] == hi:
			return int(s[2]), true
		}
	}
}

func (x *skuIndex) grow() {
	old := x.slots
	x.slots, x.n = make([]uint32, 3*max(1024, 2*len(old)/3)), 0
	for i := 0; i < len(old); i += 3 {
		if old[i] != 0 || old[i+1] != 0 {
			x.add(uint64(old[i+1])<<32|uint64(old[i]), int(old[i+2]))
		}
	}
}

// PreviewResult is the start of a feed file read with a mapping, for the
// mapping editor.
type PreviewResult struct {
	File    feedfile.Info `json:"file"`
	Columns []string      `json:"columns"`
	Rows    []PreviewRow  `json:"rows"`
	// More is true when the file has rows past those shown.
	More bool `json:"more"`
}

// PreviewRow is one row of a preview: the values as in the file, and the
// row as mapped or every problem it has.
type PreviewRow struct {
	Line   int        `json:"line"`
	Cells  []string   `json:"cells,omitempty"` // one per column; none when the record itself is broken
	Row    *Row       `json:"row,omitempty"`   // when the row has no problem
	Errors []RowError `json:"errors,omitempty"`
}

// MaxPreviewRows bounds a preview.
const MaxPreviewRows = 1000

// Preview reads the first n rows of a file with a mapping (n ≤ 0: 20; at
// most MaxPreviewRows). When the mapping names a column the file lacks, the
// error says so and the result still holds the file's columns, so the editor
// can offer them; a file that cannot be read at all gives only the error.
func Preview(r io.Reader, m Mapping, n int) (PreviewResult, error) {
	if n <= 0 {
		n = 20
	}
	n = min(n, MaxPreviewRows)
	rd, err := open(r, m)
	if rd == nil {
		return PreviewResult{}, err
	}
	defer rd.Close()
	res := PreviewResult{File: rd.File(), Columns: rd.Columns()}
	if err != nil {
		return res, err
	}
	res.Rows = []PreviewRow{}
	for {
		var cells []string
		row, errs, err := rd.next(&cells)
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, err
		}
		if len(res.Rows) == n {
			res.More = true
			break
		}
		pr := PreviewRow{Line: row.Line, Cells: cells}
		if len(errs) > 0 {
			pr.Errors = slices.Clone(errs)
		} else {
			pr.Row = &row
		}
		res.Rows = append(res.Rows, pr)
	}
	res.File = rd.File()
	return res, nil
}

// normWord lower-cases a word and folds its inner spaces to one.
func normWord(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// matchWord reports whether v is one of words (normalised by normWord),
// without allocating in the common case.
func matchWord(v string, words []string) bool {
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	if !strings.Contains(v, "  ") && !strings.ContainsAny(v, "\t\r\n\u00a0") {
		return false
	}
	return slices.Contains(words, normWord(v))
}

func normWords(ws []string) []string {
	var out []string
	for _, w := range ws {
		if w = normWord(w); w != "" && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// plainInt reads s when it is nothing but up to 9 digits worth at most
// limit: the common case, without the general parser.
func plainInt(s string, limit int) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, v <= limit
}

// plainAmount reads s when it is nothing but digits, one decimal separator
// and at most exp decimals, in minor units: the common case, without the
// general parser.
func plainAmount(s string, exp int, decimalComma bool) (int64, bool) {
	sep := byte('.')
	if decimalComma {
		sep = ','
	}
	if len(s) == 0 || len(s) > 15 { // 10^15 × 10^3 still fits in an int64
		return 0, false
	}
	var v int64
	decimals := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
			if decimals >= 0 {
				decimals++
			}
		case c == sep && decimals < 0 && i > 0 && i < len(s)-1:
			decimals = 0
		default:
			return 0, false
		}
	}
	decimals = max(decimals, 0)
	if decimals > exp {
		return 0, false
	}
	for range exp - decimals {
		v *= 10
	}
	return v, v <= money.MaxAmount
}

// number is a decimal read from a feed: its sign, integer digits and
// fraction digits, without separators.
type number struct {
	neg         bool
	whole, frac string
}

// isZero reports whether every digit is 0.
func (n number) isZero() bool {
	return strings.Trim(n.whole, "0") == "" && strings.Trim(n.frac, "0") == ""
}

// wholeValue returns the number as an int when it has no fraction (12.0 is
// 12) and fits below limit; ok is false otherwise, over says why.
func (n number) wholeValue(limit int) (v int, fraction, over bool) {
	if strings.Trim(n.frac, "0") != "" {
		return 0, true, false
	}
	d := strings.TrimLeft(n.whole, "0")
	if len(d) > 10 {
		return 0, false, true
	}
	x := 0
	for i := 0; i < len(d); i++ {
		x = x*10 + int(d[i]-'0')
	}
	if x > limit {
		return 0, false, true
	}
	if n.neg {
		x = -x
	}
	return x, false, false
}

// groupSeparators separate thousands besides the dot or comma that is not
// the decimal separator: spaces (also no-break and narrow no-break) and
// apostrophes (Swiss style).
const groupSeparators = " \u00a0\u202f'’"

// parseNumber reads a decimal written the supplier's way: with a decimal
// comma ("1.234,56", "12,5") or a decimal point ("1,234.56", "12.5"), an
// optional sign, thousands separators in groups of three, and an optional
// exponent (JSON numbers, spreadsheets: 1.5E+3). Strict grouping is what
// keeps the two ways apart: "12.50" is not a decimal-comma number, and
// "12,50" is not a decimal-point one.
func parseNumber(s string, decimalComma bool) (number, string) {
	if n, ok := scanNumber(s, decimalComma); ok {
		return n, ""
	}
	if decimalComma {
		reason := fmt.Sprintf("%q is not a number like 1234,56 or 1.234,56", s)
		if _, ok := scanNumber(s, false); ok {
			reason += " (it reads as a number with a decimal point: does the mapping's \"decimal comma\" apply to this feed?)"
		}
		return number{}, reason
	}
	reason := fmt.Sprintf("%q is not a number like 1234.56 or 1,234.56", s)
	if _, ok := scanNumber(s, true); ok {
		reason += " (it reads as a number with a decimal comma: set \"decimal comma\" in the mapping)"
	}
	return number{}, reason
}

func scanNumber(s string, decimalComma bool) (number, bool) {
	var n number
	dec, group := byte('.'), byte(',')
	if decimalComma {
		dec, group = ',', '.'
	}
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "-"), strings.HasPrefix(s, "+"):
		n.neg, s = s[0] == '-', strings.TrimSpace(s[1:])
	case strings.HasPrefix(s, "−"): // U+2212 minus sign
		n.neg, s = true, strings.TrimSpace(s[len("−"):])
	}
	// Exponent: only after a digit, and only with the decimal point (a
	// spreadsheet's 1.5E+3, a JSON number's 1e2).
	exp := 0
	if i := indexExp(s); i > 0 && dec == '.' {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 20 || e < -20 {
			return n, false
		}
		exp, s = e, s[:i]
	}
	whole, frac, hasDec := strings.Cut(s, string(dec))
	if hasDec && strings.IndexByte(frac, dec) >= 0 {
		return n, false
	}
	if !allDigits(frac) || (whole == "" && frac == "") || (hasDec && frac == "" && whole == "") {
		return n, false
	}
	if allDigits(whole) {
		// The common case: no thousands separators.
	} else if i := strings.IndexFunc(whole, func(r rune) bool { return r == rune(group) || strings.ContainsRune(groupSeparators, r) }); i >= 0 {
		sep, _ := utf8.DecodeRuneInString(whole[i:])
		groups := strings.Split(whole, string(sep))
		if len(groups[0]) < 1 || len(groups[0]) > 3 || !allDigits(groups[0]) {
			return n, false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 || !allDigits(g) {
				return n, false
			}
		}
		whole = strings.Join(groups, "")
	} else {
		return n, false
	}
	if exp != 0 {
		digits := whole + frac
		point := len(whole) + exp
		switch {
		case point <= 0:
			whole, frac = "0", strings.Repeat("0", -point)+digits
		case point >= len(digits):
			whole, frac = digits+strings.Repeat("0", point-len(digits)), ""
		default:
			whole, frac = digits[:point], digits[point:]
		}
	}
	n.whole, n.frac = whole, frac
	return n, true
}

// indexExp returns the index of the first e or E in s, or -1.
func indexExp(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			return i
		}
	}
	return -1
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseQuantity reads a stock quantity: a whole number ≥ 0 ("12", "12.0",
// "1.200" with a decimal comma), "at least" forms ("10+", ">10", "≥ 10" count
// as 10), or one of the mapping's words.
func parseQuantity(s string, decimalComma bool, inStock []string, inStockQty int, outOfStock []string) (int, string) {
	if q, ok := plainInt(s, MaxQuantity); ok {
		return q, ""
	}
	if matchWord(s, outOfStock) {
		return 0, ""
	}
	if matchWord(s, inStock) {
		return inStockQty, ""
	}
	v := s
	for _, p := range []string{">=", "≥", ">"} {
		if rest, ok := strings.CutPrefix(v, p); ok {
			v = rest
			break
		}
	}
	if rest, ok := strings.CutSuffix(v, "+"); ok {
		v = rest
	}
	if v == "" || !startsNumber(v) {
		return 0, fmt.Sprintf("quantity %q is not a number%s", s, wordHint(len(inStock)+len(outOfStock) > 0))
	}
	n, reason := parseNumber(v, decimalComma)
	if reason != "" {
		return 0, "quantity " + reason
	}
	if n.neg && !n.isZero() {
		return 0, "quantity must not be negative"
	}
	q, fraction, over := n.wholeValue(MaxQuantity)
	switch {
	case fraction:
		return 0, fmt.Sprintf("quantity %q is not a whole number", s)
	case over:
		return 0, fmt.Sprintf("quantity %q is more than %d: is this the right column?", s, MaxQuantity)
	}
	return max(q, 0), ""
}

func wordHint(haveWords bool) string {
	if haveWords {
		return " nor one of the mapping's in-stock or out-of-stock words"
	}
	return " (if it means in or out of stock, add it to the mapping's in-stock or out-of-stock words)"
}

// startsNumber reports whether s begins like a number (a digit, sign, or
// decimal separator followed by a digit).
func startsNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			return true
		case c == '+' || c == '-' || c == '.' || c == ',' || c == ' ':
		case strings.HasPrefix(s[i:], "−"):
			i += len("−") - 1
		default:
			return false
		}
	}
	return false
}

// parseLeadTime reads a lead time in days: a whole number from 0 to 365,
// optionally followed by a unit in days (5 days, 5 giorni, 5 gg, 5d), or a
// range (3-5 days counts as 5: a promise must hold at its far end).
func parseLeadTime(s string, decimalComma bool) (int, string) {
	if d, ok := plainInt(s, MaxLeadTimeDays); ok {
		return d, ""
	}
	v := strings.ToLower(strings.TrimSpace(s))
	for _, unit := range []string{"business days", "working days", "days", "day", "giorni", "giorno", "gg", "días", "dias", "día", "dia", "jours", "jour", "tage", "tag", "d"} {
		if rest, ok := strings.CutSuffix(v, unit); ok {
			if rest = strings.TrimSpace(rest); rest != "" && rest[len(rest)-1] >= '0' && rest[len(rest)-1] <= '9' {
				v = rest
				break
			}
		}
	}
	if lo, hi, ok := cutRange(v); ok {
		a, ra := parseLeadTime(lo, decimalComma)
		b, rb := parseLeadTime(hi, decimalComma)
		if ra == "" && rb == "" && a <= b {
			return b, ""
		}
	}
	if !startsNumber(v) {
		return 0, fmt.Sprintf("lead time %q is not a number of days", s)
	}
	n, reason := parseNumber(v, decimalComma)
	if reason != "" {
		return 0, "lead time " + reason
	}
	d, fraction, over := n.wholeValue(MaxLeadTimeDays)
	switch {
	case fraction:
		return 0, fmt.Sprintf("lead time %q is not a whole number of days", s)
	case over || d < 0:
		return 0, fmt.Sprintf("lead time %q must be between 0 and %d days", s, MaxLeadTimeDays)
	}
	return d, ""
}

// cutRange splits "3-5" or "3–5" (digits on both sides).
func cutRange(s string) (string, string, bool) {
	for _, sep := range []string{"-", "–", " to ", " a "} {
		if i := strings.Index(s, sep); i > 0 {
			lo, hi := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+len(sep):])
			if lo != "" && hi != "" && allDigits(lo) && allDigits(hi) {
				return lo, hi, true
			}
		}
	}
	return "", "", false
}

// currencySymbols says which currencies a symbol written in a cost may mean.
var currencySymbols = map[string][]string{
	"€": {"EUR"}, "£": {"GBP"}, "¥": {"JPY", "CNY"}, "R$": {"BRL"}, "US$": {"USD"}, "C$": {"CAD"}, "A$": {"AUD"},
	"$":  {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "ARS", "CLP", "COP", "UYU"},
	"zł": {"PLN"}, "kr": {"SEK", "NOK", "DKK", "ISK"}, "₹": {"INR"}, "₩": {"KRW"}, "₺": {"TRY"},
}

// symbolsLongestFirst lists the symbols so R$ is tried before $.
var symbolsLongestFirst = func() []string {
	var s []string
	for k := range currencySymbols {
		s = append(s, k)
	}
	slices.SortFunc(s, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return s
}()

// cutCurrency removes a currency symbol or ISO code written before or after
// an amount ("€ 12,50", "12.50 EUR", "$12"), returning the currencies it may
// mean (nil when there is none).
func cutCurrency(s string) (string, []string) {
	if s == "" || isDigit(s[len(s)-1]) && (isDigit(s[0]) || s[0] == '-' || s[0] == '.' || s[0] == '+') {
		return s, nil // the common case: a bare amount
	}
	for _, sym := range symbolsLongestFirst {
		if rest, ok := strings.CutPrefix(s, sym); ok {
			return strings.TrimSpace(rest), currencySymbols[sym]
		}
		if rest, ok := strings.CutSuffix(s, sym); ok {
			return strings.TrimSpace(rest), currencySymbols[sym]
		}
	}
	if len(s) > 3 {
		if code := strings.ToUpper(s[:3]); isCode(code) && !unicode.IsLetter(rune(s[3])) {
			return strings.TrimSpace(s[3:]), []string{code}
		}
		if code := strings.ToUpper(s[len(s)-3:]); isCode(code) && !unicode.IsLetter(rune(s[len(s)-4])) {
			return strings.TrimSpace(s[:len(s)-3]), []string{code}
		}
	}
	return s, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isCode(s string) bool {
	return len(s) == 3 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// parseCost reads a unit cost in currency (the row's currency column, or the
// mapping's default; "" when neither says). A currency symbol or code in the
// value must agree with it, or gives it when there is none. Nothing is
// rounded: more decimals than the currency has is an error, except zeros
// ("12.500" is 12.50).
func parseCost(s, currency string, decimalComma bool) (money.Money, string) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	exp, known := money.Exponent(currency)
	if currency != "" && !known {
		return money.Money{}, fmt.Sprintf("unknown currency %q (want an ISO 4217 code such as EUR, USD, BRL)", currency)
	}
	if !known {
		exp = -1
	}
	return parseCostIn(s, currency, exp, decimalComma)
}

// parseCostIn is parseCost with currency checked and upper-case, and exp
// its exponent (-1 when currency is "").
func parseCostIn(s, currency string, exp int, decimalComma bool) (money.Money, string) {
	if exp >= 0 {
		if amount, ok := plainAmount(s, exp, decimalComma); ok {
			return money.Money{Amount: amount, Currency: currency}, ""
		}
	}
	v, says := cutCurrency(strings.TrimSpace(s))
	if says != nil {
		switch {
		case currency == "" && len(says) == 1:
			currency = says[0]
			if !money.ValidCurrency(currency) {
				return money.Money{}, fmt.Sprintf("cost %q is in %s, a currency Orderly does not know", s, currency)
			}
		case currency == "":
			return money.Money{}, fmt.Sprintf("cost %q does not say which currency (%s); set a default currency or map a currency column", s, strings.Join(says, ", "))
		case !slices.Contains(says, currency):
			return money.Money{}, fmt.Sprintf("cost %q is not in %s, the row's currency", s, currency)
		}
	}
	if currency == "" {
		return money.Money{}, "the cost has no currency: map a currency column or set a default currency"
	}
	if !startsNumber(v) {
		return money.Money{}, fmt.Sprintf("cost %q is not an amount", s)
	}
	n, reason := parseNumber(v, decimalComma)
	if reason != "" {
		return money.Money{}, "cost " + reason
	}
	if n.neg && !n.isZero() {
		return money.Money{}, "cost must not be negative"
	}
	exp, _ = money.Exponent(currency)
	frac := n.frac
	for len(frac) > exp && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(frac) > exp {
		return money.Money{}, fmt.Sprintf("cost %q has more than %d decimals for %s; Orderly does not round costs", s, exp, currency)
	}
	whole := strings.TrimLeft(n.whole, "0")
	if len(whole)+exp > 15 {
		return money.Money{}, fmt.Sprintf("cost %q is too large", s)
	}
	var amount int64
	for i := 0; i < len(whole); i++ {
		amount = amount*10 + int64(whole[i]-'0')
	}
	for i := range exp {
		amount *= 10
		if i < len(frac) {
			amount += int64(frac[i] - '0')
		}
	}
	if amount > money.MaxAmount {
		return money.Money{}, fmt.Sprintf("cost %q is too large", s)
	}
	return money.Money{Amount: amount, Currency: currency}, ""
}

// noDate values mean "no date" in exports of some systems.
var noDate = []string{"0000-00-00", "00/00/0000", "00.00.0000", "0", "-", "n/a", "na", "tbd", "tba", "?"}

// parseDate reads a restock date with the mapping's layout, then the ISO
// forms (2006-01-02, RFC 3339). A date without a time is midnight UTC. ok is
// false for values meaning "no date" (0000-00-00, n/a, TBD).
func parseDate(s string, layouts []string) (time.Time, bool, string) {
	if slices.Contains(noDate, strings.ToLower(s)) {
		return time.Time{}, false, ""
	}
	for _, l := range layouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		if t.Year() < 2000 || t.Year() > 2200 {
			return time.Time{}, false, fmt.Sprintf("restock date %q is out of range (years 2000 to 2200)", s)
		}
		return t, true, ""
	}
	want := "2006-01-02"
	if len(layouts) > 0 && layouts[0] != want {
		want = layouts[0] + " (the mapping's date format) or " + want
	}
	return time.Time{}, false, fmt.Sprintf("restock date %q is not a date like %s", s, want)
}
