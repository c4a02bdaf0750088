package feeds

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/pricing"
	"github.com/orderly-oms/orderly/internal/store"
)

// ApplyInput describes where a feed file came from.
type ApplyInput struct {
	Source   Source
	Filename string
}

// tooLarge is the code of a file over the size limit (HTTP 413).
const tooLarge apperr.Code = "too_large"

// Apply reads a supplier's feed file with the supplier's saved mapping and
// applies it: it compares every row with the supplier's current offers,
// decides with the guards whether the run looks right, and writes only the
// changes, in batches (docs/decisions/0009-feed-apply.md). The returned run
// says what happened: applied, unchanged (the same file as the last applied
// run, by SHA-256), quarantined (nothing written; the file is kept for
// approval), or failed (the file cannot be read with the mapping). Row
// errors are recorded with their line and column, and the good rows apply.
//
// The error is for requests that cannot become a run: an unknown supplier,
// no saved mapping, a file over the size limit, a run of the same supplier
// already being applied.
func (s *Service) Apply(ctx context.Context, supplierID int64, r io.Reader, in ApplyInput) (*Run, error) {
	switch in.Source {
	case SourceUpload, SourceURL, SourcePush:
	case "":
		in.Source = SourceUpload
	default:
		return nil, apperr.InvalidField("source", "must be upload, url or push, got %q", in.Source)
	}
	if len(in.Filename) > 255 {
		in.Filename = in.Filename[:255]
	}
	st, err := s.Settings(ctx, supplierID)
	if err != nil {
		return nil, err
	}
	if !st.Saved {
		return nil, apperr.New(apperr.Conflict, "supplier %d has no feed mapping yet: save one (PUT /api/v1/suppliers/%d/feed) before sending a file", supplierID, supplierID)
	}
	f, err := s.spool(r)
	if err != nil {
		return nil, err
	}
	defer f.close()
	// Once the file is here the run goes on even if the caller goes away
	// (an HTTP client that timed out): a run stopped half-way would have to
	// be sent again. The caller's values (who it is) stay.
	return s.apply(context.WithoutCancel(ctx), st, f, in)
}

// spooled is a feed file on disk, with its size and hash: a file is read
// twice (hash, then rows) and kept if quarantined, and an HTTP body can be
// read only once.
type spooled struct {
	f      *os.File
	temp   bool
	size   int64
	sha256 string
}

func (sp *spooled) close() {
	if sp.temp {
		sp.f.Close()
		os.Remove(sp.f.Name())
	}
}

// rewind returns the file from its start.
func (sp *spooled) rewind() (io.Reader, error) {
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind feed file: %w", err)
	}
	return io.LimitReader(sp.f, sp.size), nil
}

// spool hashes r and, unless it is a regular file already, copies it to a
// temporary file, refusing more than MaxFileBytes.
func (s *Service) spool(r io.Reader) (*spooled, error) {
	h := sha256.New()
	limit := s.opts.MaxFileBytes
	if f, ok := r.(*os.File); ok {
		// A regular file at its start is read in place (hashed, then rewound).
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			if start, err := f.Seek(0, io.SeekCurrent); err == nil && start == 0 {
				n, err := io.Copy(h, io.LimitReader(f, limit+1))
				if err != nil {
					return nil, fmt.Errorf("read feed file: %w", err)
				}
				if n > limit {
					return nil, errTooLarge(limit)
				}
				return &spooled{f: f, size: n, sha256: hex.EncodeToString(h.Sum(nil))}, nil
			}
		}
	}
	tmp, err := os.CreateTemp(s.opts.TempDir, "orderly-feed-*")
	if err != nil {
		return nil, fmt.Errorf("spool feed file: %w", err)
	}
	sp := &spooled{f: tmp, temp: true}
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		sp.close()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge(limit)
		}
		return nil, fmt.Errorf("receive feed file: %w", err)
	}
	if n > limit {
		sp.close()
		return nil, errTooLarge(limit)
	}
	sp.size, sp.sha256 = n, hex.EncodeToString(h.Sum(nil))
	return sp, nil
}

func errTooLarge(limit int64) error {
	return apperr.New(tooLarge, "the feed file is larger than %d MiB: split it, or send only the columns the mapping uses", limit>>20)
}

// lastApplied returns the hash, row count and start of the supplier's last
// applied (or approved) run.
func (s *Service) lastApplied(ctx context.Context, supplierID int64) (sha string, rows int, at time.Time, err error) {
	err = s.db.R.QueryRowContext(ctx, `SELECT sha256, rows_read, started_at FROM feed_runs WHERE supplier_id = $1 AND status IN ('applied', 'approved')
		ORDER BY id DESC LIMIT 1`, supplierID).Scan(&sha, &rows, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, time.Time{}, nil
	}
	if err != nil {
		return "", 0, time.Time{}, fmt.Errorf("last feed run of supplier %d: %w", supplierID, err)
	}
	return sha, rows, at, nil
}

// apply runs a new run of file.
func (s *Service) apply(ctx context.Context, st Settings, file *spooled, in ApplyInput) (*Run, error) {
	started := time.Now()
	who := actor(ctx, "system:feed")
	lastSHA, lastRows, lastAt, err := s.lastApplied(ctx, st.SupplierID)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	// The same file read with the same mapping changes nothing; after the
	// mapping was saved again it may read differently, so it is applied.
	if lastSHA == file.sha256 && (st.UpdatedAt == nil || !st.UpdatedAt.After(lastAt)) {
		var id int64
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, `INSERT INTO feed_runs (supplier_id, source, filename, sha256, size_bytes, status, reason,
				detail, actor, started_at, heartbeat_at, finished_at, duration_ms)
				VALUES ($1, $2, $3, $4, $5, 'unchanged', $6, $7, $8, $9, $9, $9, $10) RETURNING id`,
				st.SupplierID, string(in.Source), in.Filename, file.sha256, file.size,
				"the same file (SHA-256) as the last applied run: nothing changes", detailJSON(RunDetail{PreviousRows: lastRows}),
				who, now, time.Since(started).Milliseconds()).Scan(&id); err != nil {
				return fmt.Errorf("record feed run: %w", err)
			}
			return s.markReported(ctx, tx, st.SupplierID, now)
		})
		if err != nil {
			return nil, err
		}
		return s.Run(ctx, id)
	}
	id, err := s.startRun(ctx, st.SupplierID, in, file, who, now)
	if err != nil {
		return nil, err
	}
	run := &Run{ID: id, SupplierID: st.SupplierID, Source: in.Source, Filename: in.Filename, SHA256: file.sha256,
		SizeBytes: file.size, Status: StatusApplying, Actor: who, StartedAt: now}
	run.Detail.PreviousRows = lastRows
	s.process(ctx, run, st, file, false, started)
	return s.Run(context.WithoutCancel(ctx), id)
}

// startRun records a new run as applying. At most one run of a supplier is
// applying at a time (a unique index); a run that stopped renewing its
// heartbeat for StaleAfter was interrupted and is marked failed.
func (s *Service) startRun(ctx context.Context, supplierID int64, in ApplyInput, file *spooled, who string, now time.Time) (int64, error) {
	for attempt := 0; ; attempt++ {
		var id int64
		err := s.db.W.QueryRowContext(ctx, `INSERT INTO feed_runs (supplier_id, source, filename, sha256, size_bytes, status, actor,
			started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, 'applying', $6, $7, $7) RETURNING id`,
			supplierID, string(in.Source), in.Filename, file.sha256, file.size, who, now).Scan(&id)
		if err == nil {
			return id, nil
		}
		if _, unique := s.db.Dialect.UniqueViolation(err); !unique || attempt > 0 {
			if unique {
				return 0, apperr.New(apperr.Conflict, "a feed run of supplier %d is being applied; try again when it finishes", supplierID)
			}
			return 0, fmt.Errorf("record feed run: %w", err)
		}
		var other int64
		var beat time.Time
		var written int
		err = s.db.W.QueryRowContext(ctx, `SELECT id, heartbeat_at, changes_written FROM feed_runs WHERE supplier_id = $1 AND status = 'applying'`,
			supplierID).Scan(&other, &beat, &written)
		if errors.Is(err, sql.ErrNoRows) {
			continue // it just finished
		}
		if err != nil {
			return 0, fmt.Errorf("running feed run of supplier %d: %w", supplierID, err)
		}
		if now.Sub(beat) < s.opts.StaleAfter {
			return 0, apperr.New(apperr.Conflict, "feed run %d of supplier %d is being applied; try again when it finishes", other, supplierID)
		}
		if _, err := s.db.W.ExecContext(ctx, `UPDATE feed_runs SET status = 'failed', finished_at = $1,
			reason = $2 WHERE id = $3 AND status = 'applying'`, now,
			fmt.Sprintf("interrupted after writing %d changed rows (no batch since %s); the rows written stay; send the file again to finish", written, beat.UTC().Format(time.RFC3339)),
			other); err != nil {
			return 0, fmt.Errorf("mark feed run %d interrupted: %w", other, err)
		}
	}
}

func detailJSON(d RunDetail) string {
	js, _ := json.Marshal(d)
	return string(js)
}

// markReported tells inventory that the supplier reported now (its feed is
// fresh), inside tx.
func (s *Service) markReported(ctx context.Context, tx *sql.Tx, supplierID int64, at time.Time) error {
	return s.inv.MarkReported(ctx, tx, supplierID, at)
}

// reading is what one pass over the rows found.
type reading struct {
	sn       *snapshot
	good     int
	changed  int
	unknown  unknowns
	errs     errorSink
	detail   RunDetail
	fatal    error // the file could not be read (to the end)
	rowsRead int
	jump     int // Guards.CostJumpPercent
}

// process reads, guards and writes a run that is applying, and records its
// outcome. Errors end up in the run (failed), never returned: the run exists.
func (s *Service) process(ctx context.Context, run *Run, st Settings, file *spooled, force bool, started time.Time) {
	err := s.processErr(ctx, run, st, file, force, started)
	if err == nil {
		return
	}
	reason := err.Error()
	if ae := (*apperr.Error)(nil); errors.As(err, &ae) {
		reason = ae.Message
	}
	s.opts.Logger.WarnContext(ctx, "feed run failed", "run", run.ID, "supplier", run.SupplierID, "err", err)
	_, uerr := s.db.W.ExecContext(context.WithoutCancel(ctx), `UPDATE feed_runs SET status = 'failed', reason = $1, finished_at = $2,
		duration_ms = $3, rows_read = $4, rows_changed = $5, rows_unchanged = $6, rows_unknown = $7, rows_errors = $8, detail = $9
		WHERE id = $10 AND status = 'applying'`, reason, s.clock(), time.Since(started).Milliseconds(),
		run.RowsRead, run.RowsChanged, run.RowsUnchanged, run.RowsUnknown, run.RowsErrors, detailJSON(run.Detail), run.ID)
	if uerr != nil {
		s.opts.Logger.ErrorContext(ctx, "record failed feed run", "run", run.ID, "err", uerr)
	}
}

func (s *Service) processErr(ctx context.Context, run *Run, st Settings, file *spooled, force bool, started time.Time) error {
	// The offers version first: an offer added while the snapshot is read
	// makes the snapshot saved at the end stale, and the next run reads the
	// tables again.
	version, saved, err := s.offersVersion(ctx, run.SupplierID)
	if err != nil {
		return err
	}
	var sn *snapshot
	if saved {
		if sn, err = s.loadSaved(ctx, run.SupplierID); err != nil {
			s.opts.Logger.WarnContext(ctx, "feed snapshot unreadable; reading the offers", "supplier", run.SupplierID, "err", err)
			sn = nil
		}
	}
	run.Detail.Snapshot = "saved"
	if sn == nil {
		run.Detail.Snapshot = "tables"
		if sn, err = loadSnapshot(ctx, s.db.R, run.SupplierID); err != nil {
			return err
		}
	}
	body, err := file.rewind()
	if err != nil {
		return err
	}
	rd := &reading{sn: sn, errs: errorSink{s: s, run: run.ID, max: s.opts.MaxErrorsKept}}
	rd.unknown.max = s.opts.MaxUnlinkedPerRun
	rd.jump = st.Guards.CostJumpPercent
	src, err := s.open(body, st.Mapping)
	if err != nil {
		return apperr.Wrap(err, apperr.Invalid, "the file cannot be read with the supplier's mapping: %v", err)
	}
	if c, ok := src.(io.Closer); ok {
		defer c.Close()
	}
	if err := s.read(ctx, src, st, rd); err != nil {
		return err
	}
	if err := rd.errs.flush(ctx); err != nil {
		return err
	}
	s.fill(run, rd)
	if rd.fatal != nil {
		return apperr.Wrap(rd.fatal, apperr.Invalid, "the file could not be read to the end (%d rows read): %v", rd.rowsRead, rd.fatal)
	}
	if rd.good == 0 && run.RowsErrors > 0 {
		return apperr.New(apperr.Invalid, "no row of the file could be read (%d rows with errors): check the mapping against the errors", run.RowsErrors)
	}
	if !force {
		if g, why := guard(st.Guards, run.Detail, run.RowsRead); g != "" {
			return s.quarantine(ctx, run, file, g, why, started)
		}
	}
	if err := s.write(ctx, run, rd, started); err != nil {
		return err
	}
	if err := s.recordUnlinked(ctx, run, rd); err != nil {
		return err
	}
	s.fill(run, rd)
	status := StatusApplied
	if force {
		status = StatusApproved
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE feed_runs SET status = $1, finished_at = $2, duration_ms = $3, rows_read = $4, rows_changed = $5,
			rows_unchanged = $6, rows_unknown = $7, rows_errors = $8, detail = $9, heartbeat_at = $2 WHERE id = $10 AND status = 'applying'`,
			string(status), s.clock(), time.Since(started).Milliseconds(), run.RowsRead, run.RowsChanged, run.RowsUnchanged,
			run.RowsUnknown, run.RowsErrors, detailJSON(run.Detail), run.ID)
		if err != nil {
			return fmt.Errorf("finish feed run %d: %w", run.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("finish feed run %d: it is no longer applying (taken for interrupted?)", run.ID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM feed_run_files WHERE run_id = $1`, run.ID); err != nil {
			return fmt.Errorf("finish feed run %d: %w", run.ID, err)
		}
		if err := s.saveSnapshot(ctx, tx, run.SupplierID, rd.sn, version); err != nil {
			return err
		}
		return s.markReported(ctx, tx, run.SupplierID, s.clock())
	})
}

// fill copies the counts of a reading to the run.
func (s *Service) fill(run *Run, rd *reading) {
	run.RowsRead = rd.rowsRead
	run.RowsChanged = rd.changed
	run.RowsUnknown = rd.unknown.count
	run.RowsErrors = rd.errs.count
	run.RowsUnchanged = rd.good - rd.changed - rd.unknown.count
	prev, snap := run.Detail.PreviousRows, run.Detail.Snapshot
	adj, moved := run.Detail.Adjustments, run.Detail.LinesMoved
	run.Detail = rd.detail
	run.Detail.PreviousRows, run.Detail.Adjustments, run.Detail.LinesMoved, run.Detail.Snapshot = prev, adj, moved, snap
	run.Detail.ErrorsKept = rd.errs.kept
}

// read passes over the rows once, marking changes on the snapshot.
func (s *Service) read(ctx context.Context, src RowSource, st Settings, rd *reading) error {
	sn := rd.sn
	m := st.Mapping
	for n := 0; ; n++ {
		if n&4095 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		row, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *RowError
			if errors.As(err, &re) {
				rd.rowsRead++
				if err := rd.errs.add(ctx, *re); err != nil {
					return err
				}
				continue
			}
			rd.fatal = err
			break
		}
		rd.rowsRead++
		if re := checkRow(&row, m); re != nil {
			if err := rd.errs.add(ctx, *re); err != nil {
				return err
			}
			continue
		}
		e := sn.find(row.SupplierSKU)
		if e == nil {
			if first := rd.unknown.add(sn, &row); first != 0 {
				if err := rd.errs.add(ctx, RowError{Line: row.Line, Column: m.SKU, Value: shorten(row.SupplierSKU),
					Reason: fmt.Sprintf("supplier SKU already on line %d; this row is skipped", first)}); err != nil {
					return err
				}
				continue
			}
			rd.good++
			continue
		}
		if e.line != 0 {
			if err := rd.errs.add(ctx, RowError{Line: row.Line, Column: m.SKU, Value: shorten(row.SupplierSKU),
				Reason: fmt.Sprintf("supplier SKU already on line %d; this row is skipped", e.line)}); err != nil {
				return err
			}
			continue
		}
		rd.good++
		e.line = int32(max(1, row.Line))
		s.compare(e, &row, rd)
		if e.changed() {
			rd.changed++
		}
	}
	if st.MissingAsZero && rd.fatal == nil {
		for i := range sn.entries {
			e := &sn.entries[i]
			if e.line == 0 && e.qty > 0 {
				if e.flags&markActive != 0 {
					rd.detail.Zeroed++
				}
				e.qty, e.flags = 0, e.flags|markQty
				rd.detail.MissingZeroed++
				rd.detail.QuantityChanges++
				rd.changed++
			}
		}
	}
	rd.detail.InStock = sn.inStock
	return nil
}

// checkRow refuses values Orderly cannot store.
func checkRow(r *Row, m Mapping) *RowError {
	bad := func(col, val, format string, args ...any) *RowError {
		return &RowError{Line: r.Line, Column: col, Value: shorten(val), Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case strings.TrimSpace(r.SupplierSKU) == "":
		return bad(m.SKU, "", "the supplier SKU is empty")
	case len(r.SupplierSKU) > 100:
		return bad(m.SKU, r.SupplierSKU, "the supplier SKU is longer than 100 characters")
	case r.Quantity != nil && *r.Quantity < 0:
		return bad(m.Quantity, fmt.Sprint(*r.Quantity), "the quantity must not be negative")
	case r.Quantity != nil && *r.Quantity > 1_000_000_000:
		return bad(m.Quantity, fmt.Sprint(*r.Quantity), "the quantity must be at most 1000000000")
	case r.LeadTimeDays != nil && (*r.LeadTimeDays < 0 || *r.LeadTimeDays > 365):
		return bad(m.LeadTime, fmt.Sprint(*r.LeadTimeDays), "the lead time must be between 0 and 365 days")
	case r.Cost != nil && r.Cost.Amount < 0:
		return bad(m.Cost, r.Cost.String(), "the cost must not be negative")
	case r.Cost != nil && r.Cost.Amount > 1<<50:
		return bad(m.Cost, r.Cost.String(), "the cost is too large")
	case r.Cost != nil && len(r.Cost.Currency) != 3:
		return bad(m.Currency, r.Cost.Currency, "the currency must be an ISO 4217 code such as EUR")
	case r.RestockDate != nil && (r.RestockDate.Year() < 2000 || r.RestockDate.Year() > 2200):
		return bad(m.RestockDate, r.RestockDate.Format("2006-01-02"), "the restock date is out of range")
	}
	return nil
}

func shorten(s string) string {
	if len(s) <= 100 {
		return s
	}
	cut := 100
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// compare writes the row's figures on e, marking what changes, and counts
// what the guards judge (from the figures before).
func (s *Service) compare(e *entry, r *Row, rd *reading) {
	d := &rd.detail
	if r.Quantity != nil && int32(*r.Quantity) != e.qty {
		if *r.Quantity == 0 && e.flags&markActive != 0 {
			d.Zeroed++ // e.qty > 0: it differs from 0
		}
		e.qty, e.flags = int32(*r.Quantity), e.flags|markQty
		d.QuantityChanges++
	}
	if r.Cost != nil {
		cur, ok := rd.sn.currency(r.Cost.Currency)
		if ok && cur == e.cur && e.cost > 0 {
			d.CostCompared++
			diff := r.Cost.Amount - e.cost
			if diff < 0 {
				diff = -diff
			}
			if diff*100 > e.cost*int64(rd.jumpPercent()) {
				d.CostJumps++
			}
		}
		if ok && (r.Cost.Amount != e.cost || cur != e.cur) {
			e.cost, e.cur, e.flags = r.Cost.Amount, cur, e.flags|markCost
			d.CostChanges++
		}
	}
	if r.LeadTimeDays != nil && int16(*r.LeadTimeDays) != e.lead {
		e.lead, e.flags = int16(*r.LeadTimeDays), e.flags|markLead
		d.LeadTimeChanges++
	}
	if r.RestockDate != nil {
		if dd := days(r.RestockDate.UTC()); dd != e.restock {
			e.restock, e.flags = dd, e.flags|markRestock
			d.RestockChanges++
		}
	}
	if r.Discontinued && e.flags&markActive != 0 {
		e.flags |= markDiscontinue
		d.Discontinued++
	}
}

// guard returns the guard a run trips, with the reason, or "".
func guard(g Guards, d RunDetail, rows int) (string, string) {
	switch {
	case g.MinRowsPercent > 0 && d.PreviousRows >= max(g.MinSKUs, 1) && rows*100 < d.PreviousRows*g.MinRowsPercent:
		return GuardRows, fmt.Sprintf("the file has %d rows, fewer than %d%% of the %d rows of the last applied run",
			rows, g.MinRowsPercent, d.PreviousRows)
	case d.InStock >= max(g.MinSKUs, 1) && d.Zeroed*100 > d.InStock*g.ZeroPercent:
		return GuardZero, fmt.Sprintf("%d of the %d SKUs in stock (%d%%) would drop to 0 at once; the guard allows %d%%",
			d.Zeroed, d.InStock, d.Zeroed*100/d.InStock, g.ZeroPercent)
	case d.CostCompared >= max(g.MinSKUs, 1) && d.CostJumps*100 > d.CostCompared*g.CostRowsPercent:
		return GuardCost, fmt.Sprintf("the cost of %d of %d rows (%d%%) moves by more than %d%%; the guard allows %d%% of the rows",
			d.CostJumps, d.CostCompared, d.CostJumps*100/d.CostCompared, g.CostJumpPercent, g.CostRowsPercent)
	}
	return "", ""
}

// quarantine keeps the file and records the run as quarantined: nothing of
// it was written.
func (s *Service) quarantine(ctx context.Context, run *Run, file *spooled, g, why string, started time.Time) error {
	body, err := file.rewind()
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM feed_run_files WHERE run_id = $1`, run.ID); err != nil {
			return fmt.Errorf("keep feed file: %w", err)
		}
		buf := make([]byte, 1<<20)
		for seq := 0; ; seq++ {
			n, err := io.ReadFull(body, buf)
			if n > 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO feed_run_files (run_id, seq, chunk) VALUES ($1, $2, $3)`, run.ID, seq, buf[:n]); err != nil {
					return fmt.Errorf("keep feed file: %w", err)
				}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				return fmt.Errorf("keep feed file: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE feed_runs SET status = 'quarantined', guard = $1, reason = $2, finished_at = $3, duration_ms = $4,
			rows_read = $5, rows_changed = $6, rows_unchanged = $7, rows_unknown = $8, rows_errors = $9, detail = $10 WHERE id = $11`,
			g, why, s.clock(), time.Since(started).Milliseconds(), run.RowsRead, run.RowsChanged, run.RowsUnchanged, run.RowsUnknown,
			run.RowsErrors, detailJSON(run.Detail), run.ID)
		if err != nil {
			return fmt.Errorf("quarantine feed run %d: %w", run.ID, err)
		}
		return nil
	})
}

func (rd *reading) jumpPercent() int { return rd.jump }

// write writes the marked changes in batches of BatchSize changed offers, a
// transaction each, in offer id order (the order reservations lock in).
func (s *Service) write(ctx context.Context, run *Run, rd *reading, started time.Time) error {
	var name string
	if err := s.db.R.QueryRowContext(ctx, `SELECT name FROM suppliers WHERE id = $1`, run.SupplierID).Scan(&name); err != nil {
		return fmt.Errorf("supplier %d: %w", run.SupplierID, err)
	}
	why := fmt.Sprintf("feed run %d of %s", run.ID, name)
	at := run.StartedAt
	batch := make([]*entry, 0, s.opts.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		adj, moved, err := s.writeBatch(ctx, run, rd.sn, batch, at, why)
		if err != nil {
			return err
		}
		run.Detail.Adjustments += adj
		run.Detail.LinesMoved += moved
		batch = batch[:0]
		return nil
	}
	for i := range rd.sn.entries {
		e := &rd.sn.entries[i]
		if !e.changed() {
			continue
		}
		batch = append(batch, e)
		if len(batch) == s.opts.BatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// writeBatch writes one batch in one transaction with the run's heartbeat.
func (s *Service) writeBatch(ctx context.Context, run *Run, sn *snapshot, batch []*entry, at time.Time, why string) (adjustments, moved int, err error) {
	var waiting func(context.Context, *sql.Tx, []int64) ([]int64, error)
	if s.orders != nil {
		waiting = s.orders.WaitingVariants
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		adjustments, moved = 0, 0
		var reports []inventory.BulkReport
		for _, e := range batch {
			if e.flags&markQty != 0 {
				reports = append(reports, inventory.BulkReport{OfferID: e.offerID, Quantity: int(e.qty)})
			}
		}
		if len(reports) > 0 {
			changes, err := s.inv.ReportBulk(ctx, tx, inventory.BulkInput{Reports: reports, At: at,
				Actor: fmt.Sprintf("feed:%d", run.ID), Reason: why, Waiting: waiting})
			if err != nil {
				return err
			}
			adjustments = len(changes)
		}
		if err := s.writeOffers(ctx, tx, sn, batch, why); err != nil {
			return err
		}
		var err error
		if moved, err = s.writeRestocks(ctx, tx, run.ID, batch, why); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE feed_runs SET changes_written = changes_written + $1, heartbeat_at = $2
			WHERE id = $3 AND status = 'applying'`, len(batch), s.clock(), run.ID)
		if err != nil {
			return fmt.Errorf("feed run %d heartbeat: %w", run.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("feed run %d is no longer applying (taken for interrupted by another apply?)", run.ID)
		}
		return nil
	})
	return adjustments, moved, err
}

// writeOffers writes cost, lead time and discontinued changes to the offers
// and enqueues the repricing of the variants whose cost changed. Status is
// written only for discontinued offers: setting it (even unchanged) fires the
// stock_levels trigger of the offer.
func (s *Service) writeOffers(ctx context.Context, tx *sql.Tx, sn *snapshot, batch []*entry, why string) error {
	var rows []offerRow
	var repriced, discontinued []int64
	for _, e := range batch {
		if e.flags&markDiscontinue != 0 {
			discontinued = append(discontinued, e.offerID)
		}
		if e.flags&(markCost|markLead) == 0 {
			continue
		}
		r := offerRow{id: e.offerID}
		if e.flags&markCost != 0 {
			r.cost, r.cur = e.cost, sn.currencies[e.cur]
			repriced = append(repriced, e.variantID)
		}
		if e.flags&markLead != 0 {
			r.lead = int(e.lead)
		}
		rows = append(rows, r)
	}
	if err := s.updateOffers(ctx, tx, rows); err != nil {
		return err
	}
	if len(discontinued) > 0 {
		var ph strings.Builder
		dargs := []any{s.clock()}
		for i, id := range discontinued {
			if i > 0 {
				ph.WriteString(", ")
			}
			fmt.Fprintf(&ph, "$%d", i+2)
			dargs = append(dargs, id)
		}
		if _, err := tx.ExecContext(ctx, s.numbered(`UPDATE supplier_offers SET status = 'inactive', updated_at = $1
			WHERE status = 'active' AND id IN (`+ph.String()+`)`), dargs...); err != nil {
			return fmt.Errorf("deactivate discontinued offers: %w", err)
		}
	}
	if len(repriced) > 0 {
		slices.Sort(repriced)
		if _, err := s.jobs.InsertTx(ctx, tx, pricing.RepriceArgs{VariantIDs: repriced, Reason: why}); err != nil {
			return fmt.Errorf("enqueue repricing: %w", err)
		}
	}
	return nil
}

// offerRow is an offer's changed cost (with its currency) and lead time; a
// nil field is left as it is.
type offerRow struct {
	id              int64
	cost, cur, lead any
}

// updateOffers writes the offers' cost and lead time changes. On SQLite it
// runs a one-row statement prepared once per batch (SQLite parses every
// statement each time it runs, and a 500-row VALUES statement costs several
// times more to parse than 500 runs of a prepared one, see
// docs/performance.md); on PostgreSQL, one statement per 500 offers (each
// statement is a round trip).
func (s *Service) updateOffers(ctx context.Context, tx *sql.Tx, rows []offerRow) error {
	if len(rows) == 0 {
		return nil
	}
	now := s.clock()
	if s.db.Engine == store.SQLite {
		st, err := tx.PrepareContext(ctx, `UPDATE supplier_offers SET cost_amount = COALESCE($1, cost_amount),
			cost_currency = COALESCE($2, cost_currency), lead_time_days = COALESCE($3, lead_time_days), updated_at = $4 WHERE id = $5`)
		if err != nil {
			return fmt.Errorf("update offers: %w", err)
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r.cost, r.cur, r.lead, now, r.id); err != nil {
				return fmt.Errorf("update offer %d: %w", r.id, err)
			}
		}
		return nil
	}
	for start := 0; start < len(rows); start += 500 {
		var vals strings.Builder
		args := []any{now}
		for i, r := range rows[start:min(start+500, len(rows))] {
			if i > 0 {
				vals.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&vals, "(CAST($%d AS BIGINT), CAST($%d AS BIGINT), CAST($%d AS TEXT), CAST($%d AS INTEGER))", k+1, k+2, k+3, k+4)
			args = append(args, r.id, r.cost, r.cur, r.lead)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supplier_offers SET cost_amount = COALESCE(v.column2, cost_amount),
			cost_currency = COALESCE(v.column3, cost_currency), lead_time_days = COALESCE(v.column4, lead_time_days), updated_at = $1
			FROM (VALUES `+vals.String()+`) AS v WHERE supplier_offers.id = v.column1`, args...); err != nil {
			return fmt.Errorf("update offers: %w", err)
		}
	}
	return nil
}

// writeRestocks stores the restock dates that changed and moves the expected
// date of the lines waiting for those variants.
func (s *Service) writeRestocks(ctx context.Context, tx *sql.Tx, runID int64, batch []*entry, why string) (int, error) {
	var vals strings.Builder
	now := s.clock()
	args := []any{runID, now}
	dates := map[int64]time.Time{}
	var variants []int64
	for _, e := range batch {
		if e.flags&markRestock == 0 {
			continue
		}
		if len(args) > 2 {
			vals.WriteString(", ")
		}
		k := len(args)
		fmt.Fprintf(&vals, "($%d, $%d, $1, $2)", k+1, k+2)
		d := dateOf(e.restock)
		args = append(args, e.offerID, d)
		if _, ok := dates[e.variantID]; !ok {
			variants = append(variants, e.variantID)
		}
		dates[e.variantID] = d
	}
	if len(variants) == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, s.numbered(`INSERT INTO supplier_offer_restocks (offer_id, expected_at, run_id, updated_at) VALUES `+vals.String()+`
		ON CONFLICT (offer_id) DO UPDATE SET expected_at = excluded.expected_at, run_id = excluded.run_id, updated_at = excluded.updated_at`),
		args...); err != nil {
		return 0, fmt.Errorf("store restock dates: %w", err)
	}
	if s.orders == nil {
		return 0, nil
	}
	waiting, err := s.orders.WaitingVariants(ctx, tx, variants)
	if err != nil {
		return 0, err
	}
	slices.Sort(waiting)
	moved := 0
	for _, v := range waiting {
		n, err := s.orders.MoveExpectedRestock(ctx, tx, v, dates[v], why)
		if err != nil {
			return moved, err
		}
		moved += n
	}
	return moved, nil
}
