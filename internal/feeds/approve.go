package feeds

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Approve applies a quarantined run's kept file now, without the guards,
// against the stock as it is now; the run becomes approved (or failed). Any
// instance can approve: the file is in the database.
func (s *Service) Approve(ctx context.Context, runID int64) (*Run, error) {
	run, err := s.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	if run.Status != StatusQuarantined {
		return nil, apperr.New(apperr.Conflict, "feed run %d is %s, not quarantined: only a quarantined run can be approved", runID, run.Status)
	}
	st, err := s.Settings(ctx, run.SupplierID)
	if err != nil {
		return nil, err
	}
	file, err := s.keptFile(ctx, run)
	if err != nil {
		return nil, err
	}
	defer file.close()
	started := time.Now()
	now := s.clock()
	res, err := s.db.W.ExecContext(ctx, `UPDATE feed_runs SET status = 'applying', heartbeat_at = $1, decided_by = $2, decided_at = $1,
		changes_written = 0 WHERE id = $3 AND status = 'quarantined'`, now, actor(ctx, "system"), runID)
	if _, unique := s.db.Dialect.UniqueViolation(err); unique {
		return nil, apperr.New(apperr.Conflict, "another feed run of supplier %d is being applied; approve when it finishes", run.SupplierID)
	}
	if err != nil {
		return nil, fmt.Errorf("approve feed run %d: %w", runID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, apperr.New(apperr.Conflict, "feed run %d was decided meanwhile", runID)
	}
	// The errors are recorded again by the new pass.
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM feed_run_errors WHERE run_id = $1`, runID); err != nil {
		return nil, fmt.Errorf("approve feed run %d: %w", runID, err)
	}
	_, prevRows, _, err := s.lastApplied(ctx, run.SupplierID)
	if err != nil {
		return nil, err
	}
	run.Status, run.StartedAt = StatusApplying, now
	run.Detail = RunDetail{PreviousRows: prevRows}
	ctx = context.WithoutCancel(ctx) // as in Apply: the run goes on if the caller goes away
	s.process(ctx, run, st, file, true, started)
	return s.Run(ctx, runID)
}

// Reject discards a quarantined run: nothing of it is written and its kept
// file is deleted.
func (s *Service) Reject(ctx context.Context, runID int64) (*Run, error) {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE feed_runs SET status = 'rejected', decided_by = $1, decided_at = $2
			WHERE id = $3 AND status = 'quarantined'`, actor(ctx, "system"), s.clock(), runID)
		if err != nil {
			return fmt.Errorf("reject feed run %d: %w", runID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			run, err := s.Run(ctx, runID)
			if err != nil {
				return err
			}
			return apperr.New(apperr.Conflict, "feed run %d is %s, not quarantined: only a quarantined run can be rejected", runID, run.Status)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM feed_run_files WHERE run_id = $1`, runID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Run(ctx, runID)
}

// keptFile copies a quarantined run's file from the database to a temporary
// file, a chunk at a time, and checks its hash.
func (s *Service) keptFile(ctx context.Context, run *Run) (*spooled, error) {
	tmp, err := os.CreateTemp(s.opts.TempDir, "orderly-feed-*")
	if err != nil {
		return nil, fmt.Errorf("feed run %d file: %w", run.ID, err)
	}
	sp := &spooled{f: tmp, temp: true}
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	rows, err := s.db.R.QueryContext(ctx, `SELECT chunk FROM feed_run_files WHERE run_id = $1 ORDER BY seq`, run.ID)
	if err != nil {
		sp.close()
		return nil, fmt.Errorf("feed run %d file: %w", run.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var chunk sql.RawBytes
		if err := rows.Scan(&chunk); err != nil {
			sp.close()
			return nil, fmt.Errorf("feed run %d file: %w", run.ID, err)
		}
		n, err := w.Write(chunk)
		if err != nil {
			sp.close()
			return nil, fmt.Errorf("feed run %d file: %w", run.ID, err)
		}
		sp.size += int64(n)
	}
	if err := rows.Err(); err != nil {
		sp.close()
		return nil, fmt.Errorf("feed run %d file: %w", run.ID, err)
	}
	sp.sha256 = hex.EncodeToString(h.Sum(nil))
	if sp.sha256 != run.SHA256 || sp.size != run.SizeBytes {
		sp.close()
		return nil, fmt.Errorf("feed run %d: the kept file is not the file received (%d bytes, SHA-256 %s; want %d bytes, %s)",
			run.ID, sp.size, sp.sha256, run.SizeBytes, run.SHA256)
	}
	return sp, nil
}
