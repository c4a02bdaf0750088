package inventory_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// refresh runs the staleness job's work and returns the flips.
func refresh(t *testing.T, svc *inventory.Service) []inventory.StaleChange {
	t.Helper()
	changes, err := svc.RefreshStaleness(context.Background())
	if err != nil {
		t.Fatalf("refresh staleness: %v", err)
	}
	return changes
}

// TestStaleExclude: a supplier whose feed is older than its maximum age
// stops counting toward ATS; its reservations stay; a report makes it fresh
// at once and its stock counts again.
func TestStaleExclude(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := newClockFixture(t, db)
		v := f.variant("LAMP-1")
		a, b := f.supplier("active"), f.supplier("active")
		oa, ob := f.offer(a, v, 1, "active"), f.offer(b, v, 2, "active")
		f.report(oa, 10)
		f.report(ob, 5)
		feed, err := f.svc.SetStaleness(ctx, a, inventory.Staleness{MaxAge: 48 * time.Hour, Mode: inventory.StaleExclude})
		if err != nil {
			t.Fatal(err)
		}
		if feed.Stale || !feed.LastFeedAt.Equal(t0) || feed.Age(clk.now()) != 0 {
			t.Errorf("after setting 48h: %+v, want fresh, last fed at %s", feed, t0)
		}
		if _, err := f.reserve(inventory.Request{VariantID: v, Quantity: 4, Ref: "order-1"}); err != nil {
			t.Fatal(err)
		}
		checkLevels(t, db, f.svc, "before")
		if got := f.ats(v); got != 11 {
			t.Fatalf("ATS %d, want 6 + 5", got)
		}

		clk.advance(48 * time.Hour) // exactly the maximum age: not stale yet
		if c := refresh(t, f.svc); len(c) != 0 {
			t.Errorf("at 48h: flips %+v, want none", c)
		}
		clk.advance(time.Minute)
		c := refresh(t, f.svc)
		if len(c) != 1 || c[0].SupplierID != a || !c[0].Stale || !c[0].LastFeedAt.Equal(t0) {
			t.Fatalf("at 48h01: flips %+v, want supplier %d stale", c, a)
		}
		checkLevels(t, db, f.svc, "stale")
		rep, buf, res := f.position(oa)
		if rep != 10 || buf != 10 || res != 4 || f.ats(v) != 5 {
			t.Errorf("stale: position (%d, %d, %d), ATS %d; want (10, 10, 4), ATS 5: the reservation stays", rep, buf, res, f.ats(v))
		}
		st, err := f.svc.Stock(ctx, "LAMP-1")
		if err != nil {
			t.Fatal(err)
		}
		if o := st.Offers[0]; !o.Stale || o.BufferRule != inventory.RuleStaleExcluded || o.Contribution != 0 || o.StaleMode != inventory.StaleExclude {
			t.Errorf("breakdown of the stale offer: %+v", o)
		}
		lines, _, err := f.svc.List(ctx, inventory.ListFilter{Stale: true, Limit: 10})
		if err != nil || len(lines) != 1 || lines[0].StaleOffers != 1 || lines[0].ATS != 5 {
			t.Errorf("stale filter: %+v, %v; want LAMP-1 with one stale offer", lines, err)
		}
		if feed, _ := f.svc.SupplierFeed(ctx, a); !feed.Stale || !feed.StaleSince.Equal(clk.now()) || feed.Age(clk.now()) != 48*time.Hour+time.Minute {
			t.Errorf("feed state: %+v", feed)
		}
		if c := refresh(t, f.svc); len(c) != 0 {
			t.Errorf("second refresh: flips %+v, want none", c)
		}

		// New sales see only B's 5 units.
		_, err = f.reserve(inventory.Request{VariantID: v, Quantity: 6, Ref: "order-2"})
		var se *inventory.ShortageError
		if !apperr.Is(err, apperr.Unavailable) || !errors.As(err, &se) || se.Shortages[0].Available != 5 {
			t.Fatalf("reserve 6 while A is stale: %v, want unavailable with 5 available", err)
		}
		res2, err := f.reserve(inventory.Request{VariantID: v, Quantity: 5, Ref: "order-2"})
		if err != nil || len(res2[0].Allocations) != 1 || res2[0].Allocations[0].OfferID != ob {
			t.Fatalf("reserve 5: %+v, %v; want all from B", res2, err)
		}
		// Releasing A's reservation gives nothing to sell while A is stale.
		if n := f.release("order-1"); n != 4 || f.ats(v) != 0 {
			t.Errorf("release while stale: freed %d, ATS %d; want 4, 0", n, f.ats(v))
		}
		checkLevels(t, db, f.svc, "released while stale")

		// A reports again: fresh at once, no job needed.
		f.report(oa, 10)
		checkLevels(t, db, f.svc, "fresh")
		if feed, _ := f.svc.SupplierFeed(ctx, a); feed.Stale || !feed.StaleSince.IsZero() || !feed.LastFeedAt.Equal(clk.now()) {
			t.Errorf("after a report: %+v, want fresh", feed)
		}
		if got := f.ats(v); got != 10 {
			t.Errorf("fresh: ATS %d, want 10", got)
		}
	})
}

// TestStaleBuffer: in mode buffer a stale supplier's stock counts, less an
// extra percentage; a feed run that changed nothing still makes it fresh.
func TestStaleBuffer(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := newClockFixture(t, db)
		v := f.variant("VASE-1")
		a := f.supplier("active")
		oa := f.offer(a, v, 1, "active")
		if err := f.svc.SetSupplierBuffer(ctx, a, inventory.Buffer{Percent: 1000}); err != nil {
			t.Fatal(err)
		}
		f.report(oa, 40)
		if _, err := f.svc.SetStaleness(ctx, a, inventory.Staleness{MaxAge: 24 * time.Hour, Mode: inventory.StaleBuffer, Percent: 2500}); err != nil {
			t.Fatal(err)
		}
		if got := f.ats(v); got != 36 {
			t.Fatalf("fresh: ATS %d, want 40 − 10%%", got)
		}
		clk.advance(25 * time.Hour)
		if c := refresh(t, f.svc); len(c) != 1 || !c[0].Stale {
			t.Fatalf("flips %+v, want stale", c)
		}
		checkLevels(t, db, f.svc, "stale")
		if _, buf, _ := f.position(oa); buf != 14 || f.ats(v) != 26 {
			t.Errorf("stale: buffer %d, ATS %d; want 4 + 25%% of 40 = 14, 26", buf, f.ats(v))
		}
		// Changing the percentage while stale applies at once.
		if _, err := f.svc.SetStaleness(ctx, a, inventory.Staleness{MaxAge: 24 * time.Hour, Mode: inventory.StaleBuffer, Percent: 5000}); err != nil {
			t.Fatal(err)
		}
		checkLevels(t, db, f.svc, "stale at 50%")
		if got := f.ats(v); got != 16 {
			t.Errorf("stale at 50%%: ATS %d, want 40 − 4 − 20", got)
		}
		// A feed run with no change: MarkReported alone.
		inTx(t, db, func(tx *sql.Tx) error { return f.svc.MarkReported(ctx, tx, a, time.Time{}) })
		checkLevels(t, db, f.svc, "fresh")
		if got := f.ats(v); got != 36 {
			t.Errorf("after an unchanged feed run: ATS %d, want 36", got)
		}
		// A report older than the last feed does not move it back.
		inTx(t, db, func(tx *sql.Tx) error { return f.svc.MarkReported(ctx, tx, a, clk.now().Add(-72*time.Hour)) })
		if feed, _ := f.svc.SupplierFeed(ctx, a); !feed.LastFeedAt.Equal(clk.now()) {
			t.Errorf("an older report moved the last feed to %s", feed.LastFeedAt)
		}
		// Setting the maximum age to 0 never makes it stale.
		clk.advance(1000 * time.Hour)
		if _, err := f.svc.SetStaleness(ctx, a, inventory.Staleness{Mode: inventory.StaleExclude}); err != nil {
			t.Fatal(err)
		}
		if c := refresh(t, f.svc); len(c) != 0 || f.ats(v) != 36 {
			t.Errorf("max age 0: flips %+v, ATS %d", c, f.ats(v))
		}
	})
}

// TestStaleSettings: the setting of a supplier that never reported, unknown
// suppliers, invalid input, and a report in the future.
func TestStaleSettings(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := newClockFixture(t, db)
		v := f.variant("CUP-1")
		a := f.supplier("active")
		oa := f.offer(a, v, 1, "active")
		if feed, err := f.svc.SupplierFeed(ctx, a); err != nil || feed.Stale || !feed.LastFeedAt.IsZero() || feed.Staleness.MaxAge != 0 {
			t.Errorf("never set: %+v, %v", feed, err)
		}
		// Stock set by hand, never reported: a maximum age makes it stale.
		q := 7
		if _, err := f.svc.Adjust(ctx, inventory.AdjustInput{OfferID: oa, Mode: inventory.KindSet, Quantity: &q, Reason: "counted"}, "test"); err != nil {
			t.Fatal(err)
		}
		feed, err := f.svc.SetStaleness(ctx, a, inventory.Staleness{MaxAge: time.Hour, Mode: inventory.StaleExclude})
		if err != nil || !feed.Stale || !feed.LastFeedAt.IsZero() || f.ats(v) != 0 {
			t.Errorf("never reported, max age 1h: %+v, %v, ATS %d; want stale, ATS 0", feed, err, f.ats(v))
		}
		checkLevels(t, db, f.svc, "never reported")
		// A manual adjustment does not make it fresh.
		if _, err := f.svc.Adjust(ctx, inventory.AdjustInput{OfferID: oa, Mode: inventory.KindSet, Quantity: &q, Reason: "counted again"}, "test"); err != nil {
			t.Fatal(err)
		}
		if feed, _ := f.svc.SupplierFeed(ctx, a); !feed.Stale {
			t.Errorf("a manual adjustment made the supplier fresh")
		}
		if _, err := f.svc.SetStaleness(ctx, 9999, inventory.Staleness{Mode: inventory.StaleExclude}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown supplier: %v, want not found", err)
		}
		if _, err := f.svc.SupplierFeed(ctx, 9999); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown supplier feed: %v, want not found", err)
		}
		if _, err := f.svc.SetStaleness(ctx, a, inventory.Staleness{MaxAge: time.Hour, Mode: "drop"}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("bad mode: %v, want invalid", err)
		}
		err = db.InTx(ctx, func(tx *sql.Tx) error { return f.svc.MarkReported(ctx, tx, a, clk.now().Add(2*time.Hour)) })
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a report 2h in the future: %v, want invalid", err)
		}
		err = db.InTx(ctx, func(tx *sql.Tx) error { return f.svc.MarkReported(ctx, tx, 9999, time.Time{}) })
		if !apperr.Is(err, apperr.NotFound) {
			t.Errorf("MarkReported of an unknown supplier: %v, want not found", err)
		}
	})
}

// TestMinQuantity: a reported quantity below the supplier's or the SKU's
// minimum counts as 0; the larger minimum applies.
func TestMinQuantity(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.variant("BOWL-1")
		a, b := f.supplier("active"), f.supplier("active")
		oa, ob := f.offer(a, v, 1, "active"), f.offer(b, v, 2, "active")
		f.report(oa, 2)
		f.report(ob, 2)
		if err := f.svc.SetSupplierMinQuantity(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
		checkLevels(t, db, f.svc, "supplier minimum 3")
		st, err := f.svc.Stock(ctx, "BOWL-1")
		if err != nil {
			t.Fatal(err)
		}
		if o := st.Offers[0]; o.Buffer != 2 || o.BufferRule != inventory.RuleSupplierMinQty || o.Contribution != 0 || st.ATS != 2 {
			t.Errorf("reported 2 under a minimum of 3: %+v, ATS %d; want contribution 0, ATS 2 (B's)", o, st.ATS)
		}
		f.report(oa, 3)
		if got := f.ats(v); got != 5 {
			t.Errorf("reported 3, minimum 3: ATS %d, want 5", got)
		}
		// The SKU's larger minimum applies to both offers.
		if err := f.svc.SetSKUMinQuantity(ctx, "bowl-1", 4); err != nil {
			t.Fatal(err)
		}
		checkLevels(t, db, f.svc, "SKU minimum 4")
		if got := f.ats(v); got != 0 {
			t.Errorf("SKU minimum 4: ATS %d, want 0", got)
		}
		if n, err := f.svc.SKUMinQuantity(ctx, "BOWL-1"); err != nil || n != 4 {
			t.Errorf("SKUMinQuantity = %d, %v", n, err)
		}
		if n, err := f.svc.SupplierMinQuantity(ctx, a); err != nil || n != 3 {
			t.Errorf("SupplierMinQuantity = %d, %v", n, err)
		}
		// Lowering it frees the units.
		if err := f.svc.SetSKUMinQuantity(ctx, "BOWL-1", 0); err != nil {
			t.Fatal(err)
		}
		checkLevels(t, db, f.svc, "SKU minimum 0")
		if got := f.ats(v); got != 5 {
			t.Errorf("SKU minimum 0: ATS %d, want 5", got)
		}
		if err := f.svc.SetSKUMinQuantity(ctx, "NOPE-1", 1); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown SKU: %v", err)
		}
		if err := f.svc.SetSupplierMinQuantity(ctx, 9999, 1); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown supplier: %v", err)
		}
		if err := f.svc.SetSupplierMinQuantity(ctx, a, -1); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("negative minimum: %v", err)
		}
	})
}

// TestStaleFlipRacesReservations: orders keep reserving one unit at a time
// while the staleness job flips the only supplier stale. Every reservation
// that commits after the flip must fail: the units reserved once the flip
// has returned are all there will ever be.
func TestStaleFlipRacesReservations(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := newClockFixture(t, db)
		v := f.variant("RACE-1")
		a := f.supplier("active")
		oa := f.offer(a, v, 1, "active")
		f.report(oa, 1000)
		if _, err := f.svc.SetStaleness(ctx, a, inventory.Staleness{MaxAge: time.Hour, Mode: inventory.StaleExclude}); err != nil {
			t.Fatal(err)
		}
		var reserved atomic.Int64
		var live atomic.Int32 // reservers still running
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for g := range 4 {
			wg.Add(1)
			live.Add(1)
			go func() {
				defer wg.Done()
				defer live.Add(-1)
				for i := 0; ; i++ {
					err := db.InTx(ctx, func(tx *sql.Tx) error {
						_, err := f.svc.ReserveMany(ctx, tx, []inventory.Request{{VariantID: v, Quantity: 1, Ref: fmt.Sprintf("g%d/%d", g, i)}})
						return err
					})
					if apperr.Is(err, apperr.Unavailable) {
						return
					}
					if err != nil {
						errs <- err
						return
					}
					reserved.Add(1)
				}
			}()
		}
		for reserved.Load() < 20 && live.Load() == 4 {
			runtime.Gosched()
		}
		clk.advance(2 * time.Hour)
		if c := refresh(t, f.svc); len(c) != 1 {
			t.Fatalf("flips %+v, want 1", c)
		}
		_, _, atFlip := f.position(oa)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		_, buf, final := f.position(oa)
		if final != atFlip || int64(final) != reserved.Load() || buf != 1000 || f.ats(v) != 0 {
			t.Errorf("reserved %d when the flip returned, %d in the end (%d counted), buffer %d, ATS %d; want no reservation after the flip",
				atFlip, final, reserved.Load(), buf, f.ats(v))
		}
		checkLevels(t, db, f.svc, "after the race")
	})
}
