package feeds

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Source is where a run's file came from.
type Source string

const (
	SourceUpload Source = "upload" // staff uploaded it (console or API)
	SourceURL    Source = "url"    // a scheduled pull from the supplier's URL
	SourcePush   Source = "push"   // the supplier's own user pushed it
)

// Status is what became of a run.
type Status string

const (
	StatusApplying    Status = "applying"    // being written now
	StatusApplied     Status = "applied"     // its changes are written
	StatusUnchanged   Status = "unchanged"   // the same file as the last applied run: nothing to do
	StatusQuarantined Status = "quarantined" // a guard stopped it: nothing written; waits for staff
	StatusApproved    Status = "approved"    // quarantined, then approved by staff and applied
	StatusRejected    Status = "rejected"    // quarantined, then rejected by staff: nothing written
	StatusFailed      Status = "failed"      // the file could not be read, or the run was interrupted
)

// Guard names the guard that quarantined a run.
const (
	GuardRows = "rows" // far fewer rows than the last applied run
	GuardZero = "zero" // a large share of the SKUs in stock drop to 0
	GuardCost = "cost" // costs jump beyond the threshold on many rows
)

// RunDetail counts what a run found, beyond the row counts.
type RunDetail struct {
	QuantityChanges int `json:"quantity_changes"`
	CostChanges     int `json:"cost_changes"`
	LeadTimeChanges int `json:"lead_time_changes"`
	RestockChanges  int `json:"restock_changes"`
	Discontinued    int `json:"discontinued"`
	MissingZeroed   int `json:"missing_zeroed" doc:"SKUs absent from the file set to 0 (missing_as_zero)"`
	Zeroed          int `json:"zeroed" doc:"SKUs in stock that the run takes to 0"`
	InStock         int `json:"in_stock" doc:"SKUs in stock before the run"`
	CostJumps       int `json:"cost_jumps" doc:"rows whose cost moves beyond the guard's threshold"`
	CostCompared    int `json:"cost_compared" doc:"rows with a cost comparable to the current one"`
	PreviousRows    int `json:"previous_rows" doc:"rows of the last applied run"`
	Adjustments     int `json:"adjustments" doc:"stock adjustments written"`
	LinesMoved      int `json:"lines_moved" doc:"backordered order lines whose expected date moved"`
	ErrorsKept      int `json:"errors_kept" doc:"row errors stored (at most the service's limit)"`
	UnlinkedKept    int `json:"unlinked_kept" doc:"unknown SKUs recorded in the unlinked list"`
	// Snapshot says what the file was compared with: the figures saved by the
	// last run ("saved"), or the offers read from the tables ("tables").
	Snapshot string `json:"snapshot,omitempty" enum:"saved,tables"`
}

// Run is one feed run.
type Run struct {
	ID            int64      `json:"id"`
	SupplierID    int64      `json:"supplier_id"`
	Source        Source     `json:"source" enum:"upload,url,push"`
	Filename      string     `json:"filename"`
	SHA256        string     `json:"sha256"`
	SizeBytes     int64      `json:"size_bytes"`
	Status        Status     `json:"status" enum:"applying,applied,unchanged,quarantined,approved,rejected,failed"`
	Reason        string     `json:"reason,omitempty" doc:"Why it was quarantined or failed"`
	Guard         string     `json:"guard,omitempty" enum:"rows,zero,cost" doc:"The guard that quarantined it"`
	RowsRead      int        `json:"rows_read"`
	RowsChanged   int        `json:"rows_changed"`
	RowsUnchanged int        `json:"rows_unchanged"`
	RowsUnknown   int        `json:"rows_unknown"`
	RowsErrors    int        `json:"rows_errors"`
	Written       int        `json:"changes_written" doc:"Changed rows written so far"`
	Detail        RunDetail  `json:"detail"`
	Actor         string     `json:"actor"`
	StartedAt     time.Time  `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	DurationMS    int64      `json:"duration_ms"`
	DecidedBy     string     `json:"decided_by,omitempty"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
}

const runColumns = `id, supplier_id, source, filename, sha256, size_bytes, status, reason, guard, rows_read, rows_changed,
	rows_unchanged, rows_unknown, rows_errors, changes_written, detail, actor, started_at, finished_at, duration_ms, decided_by, decided_at`

func scanRun(row interface{ Scan(...any) error }) (*Run, error) {
	var r Run
	var detail string
	var finished, decided sql.NullTime
	if err := row.Scan(&r.ID, &r.SupplierID, &r.Source, &r.Filename, &r.SHA256, &r.SizeBytes, &r.Status, &r.Reason, &r.Guard,
		&r.RowsRead, &r.RowsChanged, &r.RowsUnchanged, &r.RowsUnknown, &r.RowsErrors, &r.Written, &detail, &r.Actor,
		&r.StartedAt, &finished, &r.DurationMS, &r.DecidedBy, &decided); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(detail), &r.Detail); err != nil {
		return nil, fmt.Errorf("run %d detail: %w", r.ID, err)
	}
	r.StartedAt = r.StartedAt.UTC()
	r.FinishedAt, r.DecidedAt = timePtr(finished), timePtr(decided)
	return &r, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func errRunNotFound(id int64) error { return apperr.New(apperr.NotFound, "feed run %d not found", id) }

// Run returns one run.
func (s *Service) Run(ctx context.Context, id int64) (*Run, error) {
	r, err := scanRun(s.db.R.QueryRowContext(ctx, `SELECT `+runColumns+` FROM feed_runs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errRunNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("feed run %d: %w", id, err)
	}
	return r, nil
}

// RunFilter selects runs, newest first.
type RunFilter struct {
	SupplierID int64  // 0: any
	Status     Status // "": any
	BeforeID   int64  // keyset: runs older than this one
	Limit      int    // 1–200 (default 50)
}

// Runs lists runs newest first, and whether more follow.
func (s *Service) Runs(ctx context.Context, f RunFilter) ([]Run, bool, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.SupplierID != 0 {
		where = append(where, "supplier_id = "+arg(f.SupplierID))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
	}
	if f.BeforeID != 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	q := `SELECT ` + runColumns + ` FROM feed_runs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + arg(f.Limit+1)
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list feed runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, false, fmt.Errorf("list feed runs: %w", err)
		}
		out = append(out, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list feed runs: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

// StoredError is a row error kept for a run.
type StoredError struct {
	ID     int64  `json:"id"`
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// RunErrors lists the stored row errors of a run in file order, from
// after the error id AfterID, at most limit (1–1000), and whether more follow.
func (s *Service) RunErrors(ctx context.Context, runID, afterID int64, limit int) ([]StoredError, bool, error) {
	if _, err := s.Run(ctx, runID); err != nil {
		return nil, false, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, line, column_name, value, reason FROM feed_run_errors
		WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3`, runID, afterID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("errors of feed run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []StoredError
	for rows.Next() {
		var e StoredError
		if err := rows.Scan(&e.ID, &e.Line, &e.Column, &e.Value, &e.Reason); err != nil {
			return nil, false, fmt.Errorf("errors of feed run %d: %w", runID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("errors of feed run %d: %w", runID, err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// WriteErrorsCSV writes every stored row error of a run as CSV (line,
// column, value, reason), streaming from the database.
func (s *Service) WriteErrorsCSV(ctx context.Context, runID int64, w io.Writer) error {
	if _, err := s.Run(ctx, runID); err != nil {
		return err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT line, column_name, value, reason FROM feed_run_errors WHERE run_id = $1 ORDER BY id`, runID)
	if err != nil {
		return fmt.Errorf("errors of feed run %d: %w", runID, err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"line", "column", "value", "reason"}); err != nil {
		return err
	}
	for rows.Next() {
		var line int
		var col, val, reason string
		if err := rows.Scan(&line, &col, &val, &reason); err != nil {
			return fmt.Errorf("errors of feed run %d: %w", runID, err)
		}
		if err := cw.Write([]string{strconv.Itoa(line), col, csvSafe(val), reason}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("errors of feed run %d: %w", runID, err)
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a supplier's value as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
