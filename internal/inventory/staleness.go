package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Staleness of supplier feeds.
//
// A supplier's figures are as good as its last report. Each supplier may have
// a maximum feed age (Staleness.MaxAge); once its last report or feed run
// (last_feed_at) is older, the supplier is stale and its rules change: mode
// exclude holds back everything it reports, mode buffer an extra percentage
// (EffectiveBuffer). The state in force is stored (supplier_stock_rules.stale)
// because positions' buffers are computed with it; it flips
//
//   - to stale, by the periodic staleness job (RefreshStaleness), and
//   - to fresh, by the job too, and at once by any report that makes the
//     feed current again (ReportTx, MarkReported),
//
// each time recomputing the supplier's positions in the same transaction, so
// ATS and stock_levels follow. Reservations already made stay: a stale
// supplier takes no new orders, but units it promised remain promised. A flip
// to fresh raises ATS and fills waiting backorders through the restock hook.

// SupplierFeed is a supplier's staleness setting with its feed state.
type SupplierFeed struct {
	SupplierID int64
	Staleness  Staleness
	// LastFeedAt is the newest report or feed run of the supplier (zero:
	// never).
	LastFeedAt time.Time
	// Stale is the state in force; StaleSince is when it began (zero when
	// fresh).
	Stale      bool
	StaleSince time.Time
}

// Age is how old the supplier's feed is at now (0 if it never reported).
func (f SupplierFeed) Age(now time.Time) time.Duration {
	if f.LastFeedAt.IsZero() {
		return 0
	}
	return max(0, now.Sub(f.LastFeedAt))
}

// Overdue reports whether the feed is older than its maximum age at now,
// which the next run of the staleness job turns into Stale.
func (f SupplierFeed) Overdue(now time.Time) bool { return f.Staleness.StaleAt(f.LastFeedAt, now) }

const feedCols = `COALESCE(r.max_feed_age_s, 0), COALESCE(r.stale_mode, 'exclude'), COALESCE(r.stale_percent_bp, 0),
	r.last_feed_at, COALESCE(r.stale, FALSE), r.stale_since`

func scanFeed(scan func(...any) error, f *SupplierFeed, extra ...any) error {
	var age int64
	var last, since sql.NullTime
	if err := scan(append(extra, &age, &f.Staleness.Mode, &f.Staleness.Percent, &last, &f.Stale, &since)...); err != nil {
		return err
	}
	f.Staleness.MaxAge = time.Duration(age) * time.Second
	f.LastFeedAt, f.StaleSince = timeOf(last), timeOf(since)
	return nil
}

// SupplierFeed returns a supplier's staleness setting and feed state.
func (s *Service) SupplierFeed(ctx context.Context, supplierID int64) (SupplierFeed, error) {
	f := SupplierFeed{SupplierID: supplierID}
	err := scanFeed(s.db.R.QueryRowContext(ctx, `SELECT `+feedCols+` FROM suppliers su
		LEFT JOIN supplier_stock_rules r ON r.supplier_id = su.id WHERE su.id = $1`, supplierID).Scan, &f)
	if errors.Is(err, sql.ErrNoRows) {
		return f, errUnknownSupplier(supplierID)
	}
	if err != nil {
		return f, fmt.Errorf("feed state of supplier %d: %w", supplierID, err)
	}
	return f, nil
}

// SupplierFeeds returns the feed state of the given suppliers (for lists),
// keyed by id; a supplier without a rules row gets the zero state.
func (s *Service) SupplierFeeds(ctx context.Context, supplierIDs []int64) (map[int64]SupplierFeed, error) {
	out := make(map[int64]SupplierFeed, len(supplierIDs))
	for _, id := range supplierIDs {
		out[id] = SupplierFeed{SupplierID: id, Staleness: Staleness{Mode: StaleExclude}}
	}
	for _, ids := range chunks(supplierIDs) {
		ph, args := inList(ids)
		rows, err := s.db.R.QueryContext(ctx, `SELECT r.supplier_id, `+feedCols+` FROM supplier_stock_rules r WHERE r.supplier_id IN (`+ph+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("feed state of suppliers: %w", err)
		}
		for rows.Next() {
			var f SupplierFeed
			if err := scanFeed(rows.Scan, &f, &f.SupplierID); err != nil {
				rows.Close()
				return nil, fmt.Errorf("feed state of suppliers: %w", err)
			}
			out[f.SupplierID] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("feed state of suppliers: %w", err)
		}
	}
	return out, nil
}

// SetStaleness sets a supplier's maximum feed age and stale behaviour. The
// supplier's staleness is decided again at once with the new setting, and
// its positions recomputed, in the same transaction; units that become
// sellable fill waiting backorders.
func (s *Service) SetStaleness(ctx context.Context, supplierID int64, st Staleness) (SupplierFeed, error) {
	if err := st.Validate(); err != nil {
		return SupplierFeed{}, err
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockBufferRules(ctx, tx); err != nil {
			return err
		}
		if err := s.ensureSupplierRules(ctx, tx, supplierID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supplier_stock_rules SET max_feed_age_s = $1, stale_mode = $2, stale_percent_bp = $3,
			updated_at = $4 WHERE supplier_id = $5`, int64(st.MaxAge/time.Second), st.Mode, st.Percent, s.clock(), supplierID); err != nil {
			return fmt.Errorf("set staleness of supplier %d: %w", supplierID, err)
		}
		if _, err := s.decideStaleness(ctx, tx, supplierID); err != nil {
			return err
		}
		// The mode or the percentage may have changed while the state did
		// not: recompute either way.
		return s.recomputeBuffers(ctx, tx, "o.supplier_id = $1", supplierID)
	})
	if err != nil {
		return SupplierFeed{}, err
	}
	return s.SupplierFeed(ctx, supplierID)
}

// MarkReported records that supplier supplierID reported its stock as of at
// (zero: now), inside tx. ReportTx calls it for every report; a feed engine
// calls it once for every run it applies, including a run that changed
// nothing (it still proves the figures current), and never for a run it
// quarantines or rejects. Call it before writing the run's positions.
//
// It moves the supplier's last feed time forward (never back) and, if that
// makes a stale supplier fresh, flips it at once: its positions are
// recomputed and waiting backorders filled, in tx. On PostgreSQL it locks the
// supplier's rules row until tx ends, only when it moves the time.
func (s *Service) MarkReported(ctx context.Context, tx *sql.Tx, supplierID int64, at time.Time) error {
	now := s.clock()
	if at.IsZero() {
		at = now
	}
	if at.After(now.Add(time.Hour)) {
		return apperr.InvalidField("reported_at", "must not be in the future, got %s", at.UTC().Format(time.RFC3339))
	}
	at = at.UTC().Truncate(time.Microsecond)
	// Most reports of a run find the time already moved: read first, write
	// (and lock) only when there is something to write.
	var last sql.NullTime
	err := tx.QueryRowContext(ctx, `SELECT last_feed_at FROM supplier_stock_rules WHERE supplier_id = $1`, supplierID).Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := s.ensureSupplierRules(ctx, tx, supplierID); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("feed state of supplier %d: %w", supplierID, err)
	case last.Valid && !at.After(last.Time):
		return nil
	}
	// Lock the row, then compare again: a concurrent report may have moved it.
	if err := tx.QueryRowContext(ctx, `SELECT last_feed_at FROM supplier_stock_rules WHERE supplier_id = $1`+s.db.Dialect.ForUpdate(),
		supplierID).Scan(&last); err != nil {
		return fmt.Errorf("feed state of supplier %d: %w", supplierID, err)
	}
	if last.Valid && !at.After(last.Time) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE supplier_stock_rules SET last_feed_at = $1 WHERE supplier_id = $2`, at, supplierID); err != nil {
		return fmt.Errorf("record the feed of supplier %d: %w", supplierID, err)
	}
	changed, err := s.decideStaleness(ctx, tx, supplierID)
	if err != nil || !changed {
		return err
	}
	return s.recomputeBuffers(ctx, tx, "o.supplier_id = $1", supplierID)
}

// decideStaleness sets the supplier's stored state to what its setting and
// last feed say at the service's clock, reporting whether it changed. The
// caller recomputes the positions when it did. The rules row must exist.
func (s *Service) decideStaleness(ctx context.Context, tx *sql.Tx, supplierID int64) (bool, error) {
	now := s.clock()
	f := SupplierFeed{SupplierID: supplierID}
	err := scanFeed(tx.QueryRowContext(ctx, `SELECT `+feedCols+` FROM supplier_stock_rules r WHERE r.supplier_id = $1`+s.db.Dialect.ForUpdate(),
		supplierID).Scan, &f)
	if err != nil {
		return false, fmt.Errorf("feed state of supplier %d: %w", supplierID, err)
	}
	want := f.Staleness.StaleAt(f.LastFeedAt, now)
	if want == f.Stale {
		return false, nil
	}
	var since any
	if want {
		since = now
	}
	if _, err := tx.ExecContext(ctx, `UPDATE supplier_stock_rules SET stale = $1, stale_since = $2 WHERE supplier_id = $3`,
		want, since, supplierID); err != nil {
		return false, fmt.Errorf("set staleness of supplier %d: %w", supplierID, err)
	}
	return true, nil
}

// StaleChange is one supplier whose staleness RefreshStaleness flipped.
type StaleChange struct {
	SupplierID int64
	Stale      bool // the new state
	LastFeedAt time.Time
}

// RefreshStaleness decides the staleness of every supplier with a maximum
// feed age (or stale in force) at the service's clock, and flips those whose
// state changed: one transaction per supplier, recomputing its positions and
// filling backorders on a flip to fresh. It returns the flips in supplier id
// order. The staleness job runs it every minute.
func (s *Service) RefreshStaleness(ctx context.Context) ([]StaleChange, error) {
	now := s.clock()
	rows, err := s.db.R.QueryContext(ctx, `SELECT r.supplier_id, `+feedCols+` FROM supplier_stock_rules r
		WHERE r.max_feed_age_s > 0 OR r.stale ORDER BY r.supplier_id`)
	if err != nil {
		return nil, fmt.Errorf("suppliers to check for staleness: %w", err)
	}
	var due []int64
	for rows.Next() {
		var f SupplierFeed
		if err := scanFeed(rows.Scan, &f, &f.SupplierID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("suppliers to check for staleness: %w", err)
		}
		if f.Staleness.StaleAt(f.LastFeedAt, now) != f.Stale {
			due = append(due, f.SupplierID)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("suppliers to check for staleness: %w", err)
	}
	var out []StaleChange
	var errs []error
	for _, id := range due {
		var c StaleChange
		var changed bool
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			if err := s.lockBufferRules(ctx, tx); err != nil {
				return err
			}
			var err error
			// Decided again under the row lock: a report may have come in.
			if changed, err = s.decideStaleness(ctx, tx, id); err != nil || !changed {
				return err
			}
			var last sql.NullTime
			if err := tx.QueryRowContext(ctx, `SELECT stale, last_feed_at FROM supplier_stock_rules WHERE supplier_id = $1`, id).
				Scan(&c.Stale, &last); err != nil {
				return fmt.Errorf("feed state of supplier %d: %w", id, err)
			}
			c.SupplierID, c.LastFeedAt = id, timeOf(last)
			return s.recomputeBuffers(ctx, tx, "o.supplier_id = $1", id)
		})
		if err != nil {
			// One supplier's failure must not keep the others stale.
			errs = append(errs, fmt.Errorf("staleness of supplier %d: %w", id, err))
			continue
		}
		if changed {
			out = append(out, c)
		}
	}
	return out, errors.Join(errs...)
}
