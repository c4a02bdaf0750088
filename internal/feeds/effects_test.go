package feeds_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/pricing"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// jobArgs returns the args of the jobs of a kind, oldest first, as JSON.
func jobArgs(t *testing.T, db *store.DB, kind string) []string {
	t.Helper()
	args := "args::text"
	if db.Engine == store.SQLite {
		args = "json(args)"
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+args+` FROM river_job WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func orderEvents(t *testing.T, db *store.DB, ev orders.Event) []orders.EventArgs {
	t.Helper()
	var out []orders.EventArgs
	for _, raw := range jobArgs(t, db, "order_event") {
		var a orders.EventArgs
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		if a.Event == ev {
			out = append(out, a)
		}
	}
	return out
}

func placeOrder(t *testing.T, f *fixture, email, sku string, qty int) *orders.Order {
	t.Helper()
	p, err := f.Orders.Place(ctx, orderstest.Input(email, sku, qty))
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	return p.Order
}

// TestRestockFillsBackorders: a feed that raises a SKU's stock fills the
// lines waiting for it, through the bulk path, in the run's transaction.
func TestRestockFillsBackorders(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 3, 2)
		f.Policy(f.skus[0], inventory.PolicyInput{BackorderLimit: 10})
		o1 := placeOrder(t, f, "a@example.com", "FEED-1", 5) // 2 reserved, 3 backordered
		o2 := placeOrder(t, f, "b@example.com", "FEED-1", 2) // 2 backordered
		if o1.Lines[0].Backordered != 3 || o2.Lines[0].Backordered != 2 {
			t.Fatalf("lines %+v, %+v", o1.Lines[0], o2.Lines[0])
		}
		// Stock reported for FEED-1 goes 2 → 6: 4 more units, of which 3
		// fill the first order and 1 the second. FEED-2 rises with no one waiting.
		run := f.apply("SUP-1,6,,,,", "SUP-2,9,,,,", "SUP-3,2,,,,")
		if run.Status != feeds.StatusApplied || run.RowsChanged != 2 {
			t.Fatalf("run %+v", run)
		}
		g1, _ := f.Orders.Get(ctx, o1.Number)
		g2, _ := f.Orders.Get(ctx, o2.Number)
		if g1.Lines[0].Reserved != 5 || g1.Lines[0].Backordered != 0 || g1.State != orders.ReadyToRoute {
			t.Errorf("first order after restock: %+v, %s", g1.Lines[0], g1.State)
		}
		if g2.Lines[0].Reserved != 1 || g2.Lines[0].Backordered != 1 {
			t.Errorf("second order after restock: %+v", g2.Lines[0])
		}
		if ats := f.ATS(f.skus[0]); ats != 0 {
			t.Errorf("ATS of FEED-1 %d, want 0 (all went to the waiting lines)", ats)
		}
		if p, _ := f.Inventory.Policy(ctx, "FEED-1"); p.Backordered != 1 {
			t.Errorf("backorder pool %d, want 1", p.Backordered)
		}
		if f.ATS(f.skus[1]) != 9 {
			t.Errorf("ATS of FEED-2 %d", f.ATS(f.skus[1]))
		}
		if evs := orderEvents(t, db, orders.EventAllocated); len(evs) != 2 {
			t.Errorf("allocated events %+v, want one per order", evs)
		}
	})
}

// TestRestockDateMovesBackorders: a restock date in the feed becomes the
// expected date of the SKU's backordered lines; a later one is an event.
func TestRestockDateMovesBackorders(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 2, 0)
		f.Policy(f.skus[0], inventory.PolicyInput{BackorderLimit: 10})
		o := placeOrder(t, f, "a@example.com", "FEED-1", 2)
		if o.Lines[0].ExpectedAt == nil || !o.Lines[0].ExpectedAt.Equal(orderstest.T0.AddDate(0, 0, 3)) {
			t.Fatalf("expected at %v (lead time 3 days)", o.Lines[0].ExpectedAt)
		}
		later := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
		run := f.apply("SUP-1,0,,,2026-03-20,", "SUP-2,0,,,2026-04-01,")
		if run.Status != feeds.StatusApplied || run.Detail.RestockChanges != 2 || run.Detail.LinesMoved != 1 {
			t.Fatalf("run %+v", run)
		}
		g, _ := f.Orders.Get(ctx, o.Number)
		if g.Lines[0].ExpectedAt == nil || !g.Lines[0].ExpectedAt.Equal(later) {
			t.Errorf("expected at %v, want %v", g.Lines[0].ExpectedAt, later)
		}
		evs := orderEvents(t, db, orders.EventRestockDelayed)
		if len(evs) != 1 || evs[0].Order != o.Number || len(evs[0].Lines) != 1 || evs[0].Entry == 0 {
			t.Errorf("restock delayed events %+v", evs)
		}
		tl, _ := f.Orders.Timeline(ctx, o.Number)
		if last := tl[len(tl)-1]; last.Event != "restock_date_changed" || last.Actor != "system:feed" {
			t.Errorf("last timeline entry %+v", last)
		}
		// The same date again is no change; an earlier one moves the line
		// without a delay event.
		run = f.apply("SUP-1,0,,,2026-03-20,", "SUP-2,1,,,2026-04-01,")
		if run.Detail.RestockChanges != 0 || run.Detail.LinesMoved != 0 {
			t.Errorf("same dates: %+v", run.Detail)
		}
		f.apply("SUP-1,0,,,2026-03-10,", "SUP-2,1,,,2026-04-01,")
		g, _ = f.Orders.Get(ctx, o.Number)
		if !g.Lines[0].ExpectedAt.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("earlier date: expected at %v", g.Lines[0].ExpectedAt)
		}
		if evs := orderEvents(t, db, orders.EventRestockDelayed); len(evs) != 1 {
			t.Errorf("an earlier date emitted a delay: %+v", evs)
		}
	})
}

// TestNewBackorderTakesFeedRestockDate: an order backordered after a feed
// sent a restock date expects the SKU on that date, not after the lead time;
// a date already past falls back to the lead time.
func TestNewBackorderTakesFeedRestockDate(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 2, 0)
		f.Policy(f.skus[0], inventory.PolicyInput{BackorderLimit: 10})
		f.Policy(f.skus[1], inventory.PolicyInput{BackorderLimit: 10})
		past := orderstest.T0.AddDate(0, 0, -2).Format("2006-01-02")
		if run := f.apply("SUP-1,0,,,2026-03-20,", "SUP-2,0,,,"+past+","); run.Status != feeds.StatusApplied {
			t.Fatalf("run %+v", run)
		}
		o := placeOrder(t, f, "a@example.com", "FEED-1", 2)
		if want := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC); o.Lines[0].ExpectedAt == nil || !o.Lines[0].ExpectedAt.Equal(want) {
			t.Errorf("expected at %v, want the feed's %v", o.Lines[0].ExpectedAt, want)
		}
		o = placeOrder(t, f, "b@example.com", "FEED-2", 1)
		if want := orderstest.T0.AddDate(0, 0, 3); o.Lines[0].ExpectedAt == nil || !o.Lines[0].ExpectedAt.Equal(want) {
			t.Errorf("past feed date: expected at %v, want %v (lead time)", o.Lines[0].ExpectedAt, want)
		}
	})
}

// TestCostChangeEnqueuesRepricing: offers take the feed's cost and the
// changed variants are repriced by a job enqueued in the same transaction;
// discontinued rows deactivate their offer.
func TestCostChangeEnqueuesRepricing(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 3, 5)
		run := f.apply("SUP-1,5,5.40,,,", "SUP-2,5,5.00,,,", "SUP-3,5,,,,yes")
		if run.Status != feeds.StatusApplied || run.Detail.CostChanges != 1 || run.Detail.Discontinued != 1 {
			t.Fatalf("run %+v", run)
		}
		if n := f.count(`SELECT cost_amount FROM supplier_offers WHERE id = $1`, f.skus[0].Offer); n != 540 {
			t.Errorf("cost %d, want 540", n)
		}
		jobs := jobArgs(t, db, pricing.RepriceArgs{}.Kind())
		if len(jobs) != 1 {
			t.Fatalf("reprice jobs %v", jobs)
		}
		var a pricing.RepriceArgs
		if err := json.Unmarshal([]byte(jobs[0]), &a); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.VariantIDs, []int64{f.skus[0].Variant}) || a.Reason != fmt.Sprintf("feed run %d of Fixture Supplier", run.ID) {
			t.Errorf("reprice args %+v", a)
		}
		st, err := f.Inventory.Stock(ctx, "FEED-3")
		if err != nil || st.Offers[0].OfferStatus != "inactive" || st.ATS != 0 {
			t.Errorf("discontinued offer: %+v, %v", st, err)
		}
		// A cost in another currency is a change too.
		f.apply("SUP-1,5,5.40,,,", "SUP-2,5,5.00,,,", "SUP-3,5,,,,yes", "SUP-1,6,,,,")
		if n := len(jobArgs(t, db, pricing.RepriceArgs{}.Kind())); n != 1 {
			t.Errorf("%d reprice jobs after a file without cost changes", n)
		}
	})
}

// TestUnknownSKUsListed: supplier SKUs no offer uses are listed; staff
// ignore them or link them to a variant (an offer with the feed's figures).
func TestUnknownSKUsListed(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 1, 5)
		target := f.AddSKU("TARGET-1", 0)
		_, _ = db.W.ExecContext(ctx, `DELETE FROM supplier_offers WHERE id = $1`, target.Offer)
		run := f.apply("SUP-1,5,,,,", "NEW-1,7,3.20,4,,", "NEW-2,1,,,,", "NEW-1,8,,,,")
		if run.RowsUnknown != 2 || run.RowsErrors != 1 || run.Detail.UnlinkedKept != 2 { // the second NEW-1 row is an error
			t.Fatalf("run %+v", run)
		}
		list, _, err := f.feeds.UnlinkedSKUs(ctx, feeds.UnlinkedFilter{SupplierID: f.Supplier})
		if err != nil || len(list) != 2 || list[0].SupplierSKU != "NEW-1" || *list[0].LastQuantity != 7 ||
			*list[0].LastCost != (money.Money{Amount: 320, Currency: "EUR"}) || *list[0].LastLeadTime != 4 || list[0].LastRunID != run.ID {
			t.Fatalf("unlinked %+v, %v", list, err)
		}
		if _, err := f.feeds.IgnoreUnlinked(ctx, list[1].ID); err != nil {
			t.Fatal(err)
		}
		u, err := f.feeds.Link(ctx, list[0].ID, feeds.LinkInput{SKU: "TARGET-1"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != feeds.UnlinkedLinked || u.OfferID == 0 {
			t.Errorf("linked %+v", u)
		}
		st, err := f.Inventory.Stock(ctx, "TARGET-1")
		if err != nil || len(st.Offers) != 1 || st.Offers[0].SupplierSKU != "NEW-1" || st.Offers[0].Reported != 7 {
			t.Errorf("TARGET-1 after link: %+v, %v", st, err)
		}
		// The next run knows NEW-1; NEW-2 stays ignored.
		run = f.apply("SUP-1,5,,,,", "NEW-1,9,3.20,4,,", "NEW-2,1,,,,")
		if run.RowsUnknown != 1 || run.RowsChanged != 1 {
			t.Errorf("run after link %+v", run)
		}
		open, _, _ := f.feeds.UnlinkedSKUs(ctx, feeds.UnlinkedFilter{SupplierID: f.Supplier})
		ignored, _, _ := f.feeds.UnlinkedSKUs(ctx, feeds.UnlinkedFilter{SupplierID: f.Supplier, Status: feeds.UnlinkedIgnored})
		if len(open) != 0 || len(ignored) != 1 {
			t.Errorf("open %+v, ignored %+v", open, ignored)
		}
	})
}
