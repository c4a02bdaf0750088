package inventory_test

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"

	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
)

// clock is a settable test clock, safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// newClockFixture is newFixture with a settable clock starting at t0.
func newClockFixture(t tb, db *store.DB) (*fixture, *clock) {
	c := newClock(t0)
	return &fixture{t: t, db: db, svc: inventory.New(db, c.now, inventory.Options{})}, c
}

// checkLevels checks, for every variant of the store, that each stored
// position's buffer is what EffectiveBuffer makes of the rules in force
// (read here with plain SQL), and that stock_levels.ats and the service's
// ATS on read both equal the sum of the sellable positions' contributions
// computed here. step names the moment for the failure message.
func checkLevels(t tb, db *store.DB, svc *inventory.Service, step string) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.R.QueryContext(ctx, `SELECT o.variant_id, sp.offer_id, sp.reported, sp.buffer, sp.reserved,
		o.status = 'active' AND su.status = 'active',
		COALESCE(sb.units, 0), COALESCE(sb.percent_bp, 0), COALESCE(sr.min_quantity, 0), COALESCE(sr.stale, FALSE),
		COALESCE(sr.stale_mode, 'exclude'), COALESCE(sr.stale_percent_bp, 0),
		COALESCE(vb.units, 0), COALESCE(vb.percent_bp, 0), COALESCE(vr.min_quantity, 0)
		FROM stock_positions sp JOIN supplier_offers o ON o.id = sp.offer_id JOIN suppliers su ON su.id = o.supplier_id
		LEFT JOIN supplier_stock_buffers sb ON sb.supplier_id = o.supplier_id
		LEFT JOIN supplier_stock_rules sr ON sr.supplier_id = o.supplier_id
		LEFT JOIN variant_stock_buffers vb ON vb.variant_id = o.variant_id
		LEFT JOIN variant_stock_rules vr ON vr.variant_id = o.variant_id`)
	if err != nil {
		t.Fatalf("%s: read positions: %v", step, err)
	}
	want := map[int64]int{}
	for rows.Next() {
		var variant, offer int64
		var reported, buffer, reserved int
		var sellable bool
		var sup inventory.SupplierRules
		var sku inventory.SKURules
		if err := rows.Scan(&variant, &offer, &reported, &buffer, &reserved, &sellable,
			&sup.Buffer.Units, &sup.Buffer.Percent, &sup.MinQuantity, &sup.Stale, &sup.StaleMode, &sup.StalePercent,
			&sku.Buffer.Units, &sku.Buffer.Percent, &sku.MinQuantity); err != nil {
			rows.Close()
			t.Fatalf("%s: read positions: %v", step, err)
		}
		if b, rule := inventory.EffectiveBuffer(reported, sup, sku); b != buffer {
			rows.Close()
			t.Fatalf("%s: offer %d stores buffer %d, its rules make %d (%s)", step, offer, buffer, b, rule)
		}
		if sellable {
			want[variant] += max(0, reported-buffer-reserved)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: read positions: %v", step, err)
	}
	levels := map[int64]int{}
	rows, err = db.R.QueryContext(ctx, `SELECT v.id, l.ats FROM variants v JOIN stock_levels l ON l.variant_id = v.id`)
	if err != nil {
		t.Fatalf("%s: read stock_levels: %v", step, err)
	}
	for rows.Next() {
		var id int64
		var ats int
		if err := rows.Scan(&id, &ats); err != nil {
			rows.Close()
			t.Fatalf("%s: read stock_levels: %v", step, err)
		}
		levels[id] = ats
	}
	rows.Close()
	var variants int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM variants`).Scan(&variants); err != nil || variants != len(levels) {
		t.Fatalf("%s: %d variants, %d stock_levels rows (%v)", step, variants, len(levels), err)
	}
	for id, level := range levels {
		onRead, err := svc.ATS(ctx, db.R, id)
		if err != nil {
			t.Fatalf("%s: ATS of %d: %v", step, id, err)
		}
		if level != want[id] || onRead != want[id] {
			t.Fatalf("%s: variant %d: stock_levels.ats %d, ATS on read %d, computed from its positions %d", step, id, level, onRead, want[id])
		}
	}
}

// inTx runs fn in a transaction and fails the test on error.
func inTx(t tb, db *store.DB, fn func(tx *sql.Tx) error) {
	t.Helper()
	if err := db.InTx(context.Background(), fn); err != nil {
		t.Fatalf("transaction: %v", err)
	}
}
