package storefront

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
)

// item is one claimed outbox row with the values current at the claim.
type item struct {
	variantID int64
	version   int64
	sku       string
	available int // ATS, or 0 for a variant that is not for sale
	price     money.Money
	stock     bool // ATS changed
	priceChg  bool // the price changed
	changedAt time.Time
	attempts  int

	// Outcome, set by the publisher. A row neither set aside nor failed is
	// done: deleted if it did not change again meanwhile.
	setAside string // the storefront refused this row: why
}

// due is the SQL condition of an outbox row o that may be claimed at the
// time in placeholder p.
func due(p string) string {
	return `(o.claimed_until IS NULL OR o.claimed_until <= ` + p + `) AND (o.not_before IS NULL OR o.not_before <= ` + p + `)`
}

// claim takes up to n due rows of target for the claim token, leased until
// until, and reads what to send for them. On PostgreSQL rows being claimed
// or changed by other transactions are skipped, not waited for.
func claim(ctx context.Context, db *store.DB, target int64, n int, token int64, now, until time.Time) ([]*item, error) {
	var items []*item
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		items = nil
		rows, err := tx.QueryContext(ctx, `SELECT o.variant_id FROM storefront_outbox o WHERE o.target_id = $1 AND `+due("$2")+`
			ORDER BY o.queued_at, o.variant_id LIMIT $3`+db.Dialect.SkipLocked(), target, now, n)
		if err != nil {
			return fmt.Errorf("claim outbox rows: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("claim outbox rows: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("claim outbox rows: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		args := []any{target, token, until}
		marks := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+4)
		}
		in := strings.Join(marks, ", ")
		if _, err := tx.ExecContext(ctx, `UPDATE storefront_outbox SET claim = $2, claimed_until = $3
			WHERE target_id = $1 AND variant_id IN (`+in+`)`, args...); err != nil {
			return fmt.Errorf("claim outbox rows: %w", err)
		}
		// Read the values after claiming: a change committed after this
		// read bumps the version, so the row is sent again.
		q := `SELECT o.variant_id, o.version, o.stock, o.price, o.changed_at, o.attempts,
				v.sku, v.status, v.price_amount, v.price_currency, COALESCE(l.ats, 0)
			FROM storefront_outbox o JOIN variants v ON v.id = o.variant_id LEFT JOIN stock_levels l ON l.variant_id = o.variant_id
			WHERE o.target_id = $1 AND o.claim = $2
			ORDER BY o.queued_at, o.variant_id`
		rows, err = tx.QueryContext(ctx, q, target, token)
		if err != nil {
			return fmt.Errorf("read claimed rows: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			it := &item{}
			var status string
			if err := rows.Scan(&it.variantID, &it.version, &it.stock, &it.priceChg, &it.changedAt, &it.attempts,
				&it.sku, &status, &it.price.Amount, &it.price.Currency, &it.available); err != nil {
				return fmt.Errorf("read claimed rows: %w", err)
			}
			it.changedAt = it.changedAt.UTC()
			if status != string(catalog.StatusActive) || it.available < 0 {
				it.available = 0
			}
			items = append(items, it)
		}
		return rows.Err()
	})
	return items, err
}

// finish records the outcome of a publish: rows done are deleted if their
// version is still the one sent, or released to be sent again if they
// changed meanwhile; rows set aside wait (backing off) before a retry.
// Only rows still held by token are touched. It returns the rows done.
func finish(ctx context.Context, db *store.DB, target int64, token int64, items []*item, now time.Time,
	setAsideFor func(attempts int) time.Duration) (int, error) {
	// Lock rows in variant order, as every change transaction does.
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b *item) int { return int(a.variantID - b.variantID) })
	var done int
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		done = 0
		for _, it := range items {
			if it.setAside != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE storefront_outbox SET claim = NULL, claimed_until = NULL, not_before = $4,
					attempts = attempts + 1, last_error = $5 WHERE target_id = $1 AND variant_id = $2 AND claim = $3`,
					target, it.variantID, token, now.Add(setAsideFor(it.attempts+1)), truncate(it.setAside, 500)); err != nil {
					return fmt.Errorf("set aside outbox row: %w", err)
				}
				continue
			}
			done++
			res, err := tx.ExecContext(ctx, `DELETE FROM storefront_outbox WHERE target_id = $1 AND variant_id = $2 AND claim = $3 AND version = $4`,
				target, it.variantID, token, it.version)
			if err != nil {
				return fmt.Errorf("clear outbox row: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				continue
			}
			// Changed again while in flight: due again, with the new value.
			if _, err := tx.ExecContext(ctx, `UPDATE storefront_outbox SET claim = NULL, claimed_until = NULL, attempts = 0, last_error = ''
				WHERE target_id = $1 AND variant_id = $2 AND claim = $3`, target, it.variantID, token); err != nil {
				return fmt.Errorf("release outbox row: %w", err)
			}
		}
		if done > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE storefront_targets SET sent_variants = sent_variants + $2, last_sent_at = $3 WHERE id = $1`,
				target, done, now); err != nil {
				return fmt.Errorf("record sent variants: %w", err)
			}
		}
		return nil
	})
	return done, err
}

// release gives back every row held by token, unsent (a failed publish).
func release(ctx context.Context, db *store.DB, target, token int64) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE storefront_outbox SET claim = NULL, claimed_until = NULL
			WHERE target_id = $1 AND claim = $2`, target, token); err != nil {
			return fmt.Errorf("release outbox rows: %w", err)
		}
		return nil
	})
}

// recordError notes a target's last error, for its status.
func recordError(ctx context.Context, db *store.DB, target int64, msg string, now time.Time) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE storefront_targets SET last_error = $2, last_error_at = $3 WHERE id = $1`,
			target, truncate(msg, 1000), now)
		return err
	})
}

// dueTargets lists the enabled targets with due outbox rows at now.
func dueTargets(ctx context.Context, q store.Querier, now time.Time) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id FROM storefront_targets t WHERE t.enabled AND EXISTS (
		SELECT 1 FROM storefront_outbox o WHERE o.target_id = t.id AND `+due("$1")+`) ORDER BY t.id`, now)
	if err != nil {
		return nil, fmt.Errorf("list storefront targets with changes: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list storefront targets with changes: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
