package purchasing

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

	"github.com/orderly-oms/orderly/internal/apperr"
)

// ReplyResult is the outcome of a reply CSV.
type ReplyResult struct {
	DryRun bool `json:"dry_run"`
	// Applied is true when every answer was recorded; a file with any bad
	// row applies nothing (all or nothing).
	Applied bool         `json:"applied"`
	Rows    int          `json:"rows"`
	Answers int          `json:"answers"`
	Skipped int          `json:"skipped" doc:"Rows with neither accepted_qty nor rejected_qty: not answered yet"`
	Errors  []ReplyError `json:"errors"`
	// Lines are the answered lines after the answers (as they would be, in a dry run).
	Lines []Line `json:"lines"`
}

// ReplyError is a problem with one row of a reply CSV.
type ReplyError struct {
	Line    int    `json:"line" doc:"Line number in the file, the header being line 1"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// MaxReplyRows bounds a reply CSV.
const MaxReplyRows = 10000

type replyRow struct {
	line               int
	poLine             int64
	accepted, rejected int
	reason             string
}

var errReplyRejected = errors.New("reply has errors")

// Reply applies a supplier's reply CSV: one row per PO line with
// po_line_id (or po_number and supplier_sku), accepted_qty, rejected_qty and
// reason; other columns are ignored, so the PO's own CSV filled in is a
// valid reply. Rows with both quantities empty are skipped. It is all or
// nothing: if any row is wrong nothing is applied and every row's problem is
// listed with its line number. dryRun checks and computes everything, then
// applies nothing.
func (s *Service) Reply(ctx context.Context, supplierID int64, r io.Reader, dryRun bool) (ReplyResult, error) {
	res := ReplyResult{DryRun: dryRun, Errors: []ReplyError{}, Lines: []Line{}}
	rows, err := s.parseReply(ctx, supplierID, r, &res)
	if err != nil {
		return res, err
	}
	// The good rows are tried even when others are wrong, so one upload
	// lists every problem.
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, row := range rows {
			l, err := s.AnswerTx(ctx, tx, supplierID, row.poLine, row.accepted, row.rejected, row.reason)
			if err != nil {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Code == apperr.Internal {
					return err
				}
				re := ReplyError{Line: row.line, Message: ae.Message}
				if len(ae.Fields) > 0 {
					re.Field, re.Message = ae.Fields[0].Field, ae.Fields[0].Message
				}
				res.Errors = append(res.Errors, re)
				continue
			}
			res.Answers++
			res.Lines = append(res.Lines, l)
		}
		if len(res.Errors) > 0 || dryRun {
			return errReplyRejected
		}
		return nil
	})
	slices.SortStableFunc(res.Errors, func(a, b ReplyError) int { return a.Line - b.Line })
	if errors.Is(err, errReplyRejected) {
		if len(res.Errors) > 0 {
			res.Answers = 0
			res.Lines = []Line{}
		}
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Applied = true
	return res, nil
}

func (s *Service) parseReply(ctx context.Context, supplierID int64, r io.Reader, res *ReplyResult) ([]replyRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, apperr.InvalidField("file", "is empty: the first line must be a header")
	}
	if err != nil {
		return nil, apperr.InvalidField("file", "is not CSV: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	_, hasID := col["po_line_id"]
	_, hasNumber := col["po_number"]
	_, hasSKU := col["supplier_sku"]
	_, hasAcc := col["accepted_qty"]
	_, hasRej := col["rejected_qty"]
	if !hasID && !(hasNumber && hasSKU) {
		return nil, apperr.InvalidField("file", "the header needs po_line_id, or po_number and supplier_sku")
	}
	if !hasAcc && !hasRej {
		return nil, apperr.InvalidField("file", "the header needs accepted_qty and/or rejected_qty")
	}
	get := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var rows []replyRow
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.Errors = append(res.Errors, ReplyError{Line: n, Message: "not valid CSV: " + err.Error()})
			break
		}
		res.Rows++
		if res.Rows > MaxReplyRows {
			return nil, apperr.InvalidField("file", "has more than %d rows", MaxReplyRows)
		}
		acc, rej := get(rec, "accepted_qty"), get(rec, "rejected_qty")
		if acc == "" && rej == "" {
			res.Skipped++
			continue
		}
		row := replyRow{line: n, reason: get(rec, "reason")}
		bad := false
		qty := func(field, v string) int {
			if v == "" {
				return 0
			}
			q, err := strconv.Atoi(v)
			if err != nil || q < 0 {
				res.Errors = append(res.Errors, ReplyError{Line: n, Field: field, Message: fmt.Sprintf("must be a whole number of units, got %q", v)})
				bad = true
			}
			return q
		}
		row.accepted, row.rejected = qty("accepted_qty", acc), qty("rejected_qty", rej)
		if id := get(rec, "po_line_id"); id != "" {
			v, err := strconv.ParseInt(id, 10, 64)
			if err != nil || v <= 0 {
				res.Errors = append(res.Errors, ReplyError{Line: n, Field: "po_line_id", Message: fmt.Sprintf("must be a PO line id, got %q", id)})
				continue
			}
			row.poLine = v
		} else {
			id, msg, err := s.lineBySKU(ctx, supplierID, get(rec, "po_number"), get(rec, "supplier_sku"))
			if err != nil {
				return nil, err
			}
			if msg != "" {
				res.Errors = append(res.Errors, ReplyError{Line: n, Field: "supplier_sku", Message: msg})
				continue
			}
			row.poLine = id
		}
		if !bad {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// lineBySKU finds the supplier's PO line by PO number and supplier SKU; msg
// says why when there is not exactly one.
func (s *Service) lineBySKU(ctx context.Context, supplierID int64, number, sku string) (int64, string, error) {
	po, err := strconv.ParseInt(strings.TrimPrefix(strings.ToUpper(number), "PO-"), 10, 64)
	if err != nil || sku == "" {
		return 0, fmt.Sprintf("give po_line_id, or po_number (e.g. PO-5001) and supplier_sku; got %q and %q", number, sku), nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id FROM purchase_order_lines
		WHERE purchase_order_id = $1 AND supplier_id = $2 AND supplier_sku = $3 AND qty_pending > 0 ORDER BY id`, po, supplierID, sku)
	if err != nil {
		return 0, "", fmt.Errorf("find %s %s: %w", number, sku, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, "", fmt.Errorf("find %s %s: %w", number, sku, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, "", fmt.Errorf("find %s %s: %w", number, sku, err)
	}
	switch len(ids) {
	case 0:
		return 0, fmt.Sprintf("%s has no line awaiting an answer for %s", Number(po), sku), nil
	case 1:
		return ids[0], "", nil
	}
	return 0, fmt.Sprintf("%s has %d lines awaiting an answer for %s: give po_line_id", Number(po), len(ids), sku), nil
}
