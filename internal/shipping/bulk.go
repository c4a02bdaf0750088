package shipping

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// CSVColumns are the columns of a bulk tracking CSV, in any order. Each row
// names a PO line either by po_line_id or by supplier_sku together with
// po_number (PO-5001 or 5001) or order_number; quantity, carrier and
// tracking_number are required; shipped_at (RFC 3339 or YYYY-MM-DD) is
// optional.
var CSVColumns = []string{"po_number", "order_number", "supplier_sku", "po_line_id", "quantity", "carrier", "tracking_number", "shipped_at"}

// maxCSVRows bounds one upload.
const maxCSVRows = 5000

// CSVRowError is a problem with one row of a tracking CSV.
type CSVRowError struct {
	Line    int    `json:"line"` // the line in the file: the header is line 1
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// CSVResult is the outcome of a tracking CSV.
type CSVResult struct {
	DryRun  bool `json:"dry_run"`
	Rows    int  `json:"rows"`
	Applied int  `json:"applied"` // rows recorded (or, in a dry run, that would be)
	// Shipments are the ids of the shipments the rows went to (none in a dry run).
	Shipments []int64       `json:"shipments"`
	Warnings  []CSVRowError `json:"warnings"`
	Errors    []CSVRowError `json:"errors"`
}

// ImportCSV records the rows of a tracking CSV for supplierID. Each row is
// one line of a parcel (AddShipment; rows of one parcel — same order,
// carrier and tracking number — go to one shipment). Rows with errors are
// reported with their line numbers and the good rows apply; with dryRun
// nothing is kept, but every row is checked as if the earlier good ones had
// applied. The rows run in one transaction with a savepoint each.
func (s *Service) ImportCSV(ctx context.Context, supplierID int64, r io.Reader, dryRun bool) (*CSVResult, error) {
	res := &CSVResult{DryRun: dryRun, Shipments: []int64{}, Warnings: []CSVRowError{}, Errors: []CSVRowError{}}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, apperr.InvalidField("file", "the file is empty: want a header row with %s", strings.Join(CSVColumns, ", "))
	}
	if err != nil {
		return nil, apperr.InvalidField("file", "not a CSV file: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(CSVColumns, h) {
			return nil, apperr.InvalidField("file", "unknown column %q: the columns are %s", h, strings.Join(CSVColumns, ", "))
		}
		col[h] = i
	}
	for _, c := range []string{"quantity", "carrier", "tracking_number"} {
		if _, ok := col[c]; !ok {
			return nil, apperr.InvalidField("file", "column %s is required", c)
		}
	}
	_, byID := col["po_line_id"]
	_, bySKU := col["supplier_sku"]
	_, byPO := col["po_number"]
	_, byOrder := col["order_number"]
	if !byID && !(bySKU && (byPO || byOrder)) {
		return nil, apperr.InvalidField("file", "name the PO line by po_line_id, or by supplier_sku with po_number or order_number")
	}
	type row struct {
		line   int
		fields []string
	}
	var rows []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, apperr.InvalidField("file", "line %d: %v", pe.Line, pe.Err)
			}
			return nil, apperr.InvalidField("file", "%v", err)
		}
		if len(rows) == maxCSVRows {
			return nil, apperr.InvalidField("file", "at most %d rows per file", maxCSVRows)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		rows = append(rows, row{line: line, fields: rec})
	}
	res.Rows = len(rows)
	errDone := errors.New("dry run")
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, rw := range rows {
			get := func(name string) string {
				i, ok := col[name]
				if !ok || i >= len(rw.fields) {
					return ""
				}
				return strings.TrimSpace(rw.fields[i])
			}
			in, err := s.csvRow(ctx, tx, supplierID, get)
			if err == nil {
				if _, err = tx.ExecContext(ctx, `SAVEPOINT shipping_row`); err != nil {
					return fmt.Errorf("savepoint: %w", err)
				}
				var added *Added
				added, err = s.addTx(ctx, tx, supplierID, in)
				if err != nil {
					if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT shipping_row`); rerr != nil {
						return fmt.Errorf("rollback to savepoint: %w", rerr)
					}
				} else {
					if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT shipping_row`); err != nil {
						return fmt.Errorf("release savepoint: %w", err)
					}
					res.Applied++
					if !dryRun && !slices.Contains(res.Shipments, added.Shipment.ID) {
						res.Shipments = append(res.Shipments, added.Shipment.ID)
					}
					if c, cerr := s.checkCarrier(in.Carrier, in.TrackingNumber); cerr == nil && c.warning != "" {
						res.Warnings = append(res.Warnings, CSVRowError{Line: rw.line, Field: "carrier", Message: c.warning})
					}
				}
			}
			if err != nil {
				if apperr.CodeOf(err) == apperr.Internal {
					return err
				}
				res.Errors = append(res.Errors, rowError(rw.line, err))
			}
		}
		if dryRun {
			return errDone
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDone) {
		return nil, err
	}
	return res, nil
}

func rowError(line int, err error) CSVRowError {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		re := CSVRowError{Line: line, Message: ae.Message}
		if len(ae.Fields) > 0 {
			re.Field, re.Message = ae.Fields[0].Field, ae.Fields[0].Message
		}
		return re
	}
	return CSVRowError{Line: line, Message: err.Error()}
}

// csvRow turns a row into a one-line shipment, finding the PO line by its
// id or by supplier SKU on a PO or order (the first of the supplier's
// matching lines with units left to ship).
func (s *Service) csvRow(ctx context.Context, tx *sql.Tx, supplierID int64, get func(string) string) (NewShipment, error) {
	in := NewShipment{Carrier: get("carrier"), TrackingNumber: get("tracking_number")}
	qty, err := strconv.Atoi(get("quantity"))
	if err != nil || qty <= 0 {
		return in, apperr.InvalidField("quantity", "must be a whole number of at least 1, got %q", get("quantity"))
	}
	if v := get("shipped_at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				return in, apperr.InvalidField("shipped_at", "want RFC 3339 (2026-03-02T10:00:00Z) or YYYY-MM-DD, got %q", v)
			}
		}
		in.ShippedAt = t
	}
	if v := get("order_number"); v != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(v, "#"), 10, 64)
		if err != nil || n <= 0 {
			return in, apperr.InvalidField("order_number", "not an order number: %q", v)
		}
		in.OrderNumber = n
	}
	if v := get("po_line_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return in, apperr.InvalidField("po_line_id", "not a PO line id: %q", v)
		}
		in.Lines = []NewLine{{POLineID: id, Quantity: qty}}
		return in, nil
	}
	sku := get("supplier_sku")
	if sku == "" {
		return in, apperr.InvalidField("supplier_sku", "name the PO line by po_line_id or supplier_sku")
	}
	cond, args := "", []any{supplierID, sku}
	if v := get("po_number"); v != "" {
		po, err := strconv.ParseInt(strings.TrimPrefix(strings.ToUpper(v), "PO-"), 10, 64)
		if err != nil || po <= 0 {
			return in, apperr.InvalidField("po_number", "not a PO number: %q", v)
		}
		cond, args = " AND purchase_order_id = $3", append(args, po)
	} else if in.OrderNumber != 0 {
		cond, args = " AND order_id = $3", append(args, in.OrderNumber)
	} else {
		return in, apperr.InvalidField("po_number", "give po_number or order_number with supplier_sku")
	}
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM purchase_order_lines WHERE supplier_id = $1 AND supplier_sku = $2`+cond+`
		ORDER BY CASE WHEN qty_pending + qty_accepted >= `+strconv.Itoa(qty)+` THEN 0 WHEN qty_pending + qty_accepted > 0 THEN 1 ELSE 2 END, id
		LIMIT 1`, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return in, apperr.InvalidField("supplier_sku", "no PO line of yours with supplier SKU %q there", sku)
	}
	if err != nil {
		return in, fmt.Errorf("find PO line %s: %w", sku, err)
	}
	in.Lines = []NewLine{{POLineID: id, Quantity: qty}}
	return in, nil
}
