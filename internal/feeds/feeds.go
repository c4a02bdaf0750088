// Package feeds keeps supplier stock and costs true from the files suppliers
// send: where a feed comes from (upload, scheduled pull, push), how its
// columns map to Orderly's fields, and applying a run: comparing it with the
// previous snapshot, writing only what changed, guarding against broken files
// (quarantine), and listing supplier SKUs not linked to a variant yet.
//
// Reading a file (formats, encodings, mapping) is in read.go and the
// feedfile sub-package; applying it is in apply.go.
package feeds

import (
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/money"
)

// Row is one row of a supplier feed after mapping. A nil field means the
// feed does not say (column not mapped, or blank): the current value stays.
type Row struct {
	// Line is where the row is in the file: the line number for CSV/TSV (the
	// header is line 1), the 1-based element index for JSON, the row number
	// for XLSX.
	Line         int
	SupplierSKU  string
	Quantity     *int
	Cost         *money.Money
	LeadTimeDays *int
	RestockDate  *time.Time
	Discontinued bool
}

// RowError is a problem with one row. The row is skipped; the other rows of
// the run still apply.
type RowError struct {
	Line   int
	Column string // the file's column name (header), or "" for the whole row
	Value  string // the offending value, shortened
	Reason string
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Reason)
}

// Mapping says how to read one supplier's feed. It is saved per supplier.
type Mapping struct {
	// Format is auto (from content), csv, tsv, json or xlsx.
	Format string `json:"format,omitempty"`
	// Encoding of text formats: auto (UTF-8 unless invalid, then Windows-1252),
	// utf-8, windows-1252 or iso-8859-1.
	Encoding string `json:"encoding,omitempty"`
	// Delimiter of CSV: "" detects it from the header line (, ; tab |).
	Delimiter string `json:"delimiter,omitempty"`
	// Sheet of an XLSX workbook ("" the first).
	Sheet string `json:"sheet,omitempty"`

	// Column names (as in the header, matched case-insensitively and
	// ignoring surrounding spaces; JSON: object keys). SKU is required.
	SKU          string `json:"sku"`
	Quantity     string `json:"quantity,omitempty"`
	Cost         string `json:"cost,omitempty"`
	Currency     string `json:"currency,omitempty"`
	LeadTime     string `json:"lead_time,omitempty"`
	RestockDate  string `json:"restock_date,omitempty"`
	Discontinued string `json:"discontinued,omitempty"`

	// DefaultCurrency is the cost currency when no currency column is mapped
	// or the cell is blank.
	DefaultCurrency string `json:"default_currency,omitempty"`
	// DecimalComma reads "1.234,56" as 1234.56.
	DecimalComma bool `json:"decimal_comma,omitempty"`
	// DateFormat is a Go time layout for restock dates ("" accepts
	// 2006-01-02 and RFC 3339).
	DateFormat string `json:"date_format,omitempty"`
	// InStockWords are quantity values meaning "in stock" (e.g. "in stock",
	// "disponibile", "yes"), read as InStockQuantity units; OutOfStockWords
	// mean 0. Matched case-insensitively.
	InStockWords    []string `json:"in_stock_words,omitempty"`
	InStockQuantity int      `json:"in_stock_quantity,omitempty"`
	OutOfStockWords []string `json:"out_of_stock_words,omitempty"`
	// DiscontinuedWords are values of the discontinued column meaning true
	// (default: yes, true, 1, x, y).
	DiscontinuedWords []string `json:"discontinued_words,omitempty"`
}
