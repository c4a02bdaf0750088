package restocks_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/restocks"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var ctx = context.Background()

// world is a store with SKU "TEA-1" out of stock and backorderable (up to
// 50 units), offered by the fixture's supplier and by a second one.
type world struct {
	f        *orderstest.Fixture
	db       *store.DB
	svc      *restocks.Service
	sku      orderstest.SKU
	second   int64 // the second supplier
	secondOf int64 // its offer
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	f := orderstest.New(t, db, orders.Options{})
	w := &world{f: f, db: db, sku: f.AddSKU("TEA-1", 0)}
	f.Policy(w.sku, inventory.PolicyInput{BackorderLimit: 50})
	if err := db.W.QueryRowContext(ctx, `INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
		VALUES ('Second Supplier', 'Europe/Rome', 'IT', 'active', $1, $1) RETURNING id`, orderstest.T0).Scan(&w.second); err != nil {
		t.Fatal(err)
	}
	if err := db.W.QueryRowContext(ctx, `INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency,
		lead_time_days, min_order_qty, priority, status, created_at, updated_at)
		VALUES ($1, $2, 'IT-TEA', 550, 'EUR', 5, 1, 2, 'active', $3, $3) RETURNING id`, w.second, w.sku.Variant, orderstest.T0).Scan(&w.secondOf); err != nil {
		t.Fatal(err)
	}
	w.svc = restocks.New(db, f.Inventory, f.Orders, f.Clock.Now, restocks.Options{})
	return w
}

// place places an order of qty TEA-1 and returns its number and the
// backordered event the order emitted.
func (w *world) place(t *testing.T, email string, qty int) (int64, orders.EventArgs) {
	t.Helper()
	p, err := w.f.Orders.Place(ctx, orderstest.Input(email, "TEA-1", qty))
	if err != nil {
		t.Fatal(err)
	}
	if p.Order.Lines[0].Backordered != qty {
		t.Fatalf("order %d: %d backordered, want %d", p.Order.Number, p.Order.Lines[0].Backordered, qty)
	}
	for _, e := range events(t, w.db) {
		if e.Order == p.Order.Number && e.Event == orders.EventBackordered {
			return p.Order.Number, e
		}
	}
	t.Fatalf("order %d emitted no %s", p.Order.Number, orders.EventBackordered)
	return 0, orders.EventArgs{}
}

// events returns every order event enqueued, oldest first.
func events(t *testing.T, db *store.DB) []orders.EventArgs {
	t.Helper()
	args := "args::text"
	if db.Engine == store.SQLite {
		args = "json(args)"
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+args+` FROM river_job WHERE kind = 'order_event' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []orders.EventArgs
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var a orders.EventArgs
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func open(t *testing.T, svc *restocks.Service, supplier int64) []restocks.Question {
	t.Helper()
	qs, _, err := svc.List(ctx, restocks.Filter{SupplierID: supplier, Status: restocks.StatusOpen})
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

func TestOneQuestionPerSupplierAndVariant(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var evs []orders.EventArgs
		for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			_, e := w.place(t, email, 2)
			evs = append(evs, e)
		}
		// Each event, then each again (a retried job), and all at once (two
		// instances working them).
		for _, e := range evs {
			if err := w.svc.OnBackordered(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*len(evs))
		for range 2 {
			for _, e := range evs {
				wg.Go(func() { errs <- w.svc.OnBackordered(ctx, e) })
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM restock_questions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("%d questions, want one per supplier (2)", n)
		}
		for _, sup := range []int64{w.f.Supplier, w.second} {
			qs := open(t, w.svc, sup)
			if len(qs) != 1 || qs[0].SupplierID != sup || qs[0].VariantID != w.sku.Variant || qs[0].Waiting != 6 || qs[0].Orders != 3 {
				t.Fatalf("supplier %d's open questions: %+v", sup, qs)
			}
		}
		if qs := open(t, w.svc, w.second); qs[0].SupplierSKU != "IT-TEA" || qs[0].SKU != "TEA-1" || qs[0].Supplier != "Second Supplier" {
			t.Errorf("second supplier's question: %+v", qs[0])
		}
	})
}

func TestNoQuestionWhenTheDateIsKnown(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// A feed gave the first supplier's offer a date: it is known.
		if _, err := db.W.ExecContext(ctx, `INSERT INTO supplier_offer_restocks (offer_id, expected_at, updated_at) VALUES ($1, $2, $3)`,
			w.sku.Offer, orderstest.T0.AddDate(0, 0, 10).Truncate(24*time.Hour), orderstest.T0); err != nil {
			t.Fatal(err)
		}
		_, e := w.place(t, "a@example.com", 1)
		if err := w.svc.OnBackordered(ctx, e); err != nil {
			t.Fatal(err)
		}
		if qs, _, _ := w.svc.List(ctx, restocks.Filter{}); len(qs) != 0 {
			t.Fatalf("questions with a feed date known: %+v", qs)
		}
		// The date passes: it is no longer known, so the suppliers are asked.
		w.f.Clock.Set(orderstest.T0.AddDate(0, 0, 11))
		if err := w.svc.OnBackordered(ctx, e); err != nil {
			t.Fatal(err)
		}
		if qs, _, _ := w.svc.List(ctx, restocks.Filter{}); len(qs) != 2 {
			t.Fatalf("questions after the feed date passed: %+v", qs)
		}
	})
}

func TestAnswerDateSetsExpectedDatesAndTellsEachOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		o1, e1 := w.place(t, "a@example.com", 2)
		o2, e2 := w.place(t, "b@example.com", 1)
		for _, e := range []orders.EventArgs{e1, e2} {
			if err := w.svc.OnBackordered(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		q := open(t, w.svc, w.second)[0]
		other := open(t, w.svc, w.f.Supplier)[0]

		// The first supplier cannot answer the second's question.
		supCtx := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindSupplier, Role: auth.Supplier, SupplierID: w.f.Supplier, ID: 1, Name: "Fixture user"})
		if _, err := w.svc.Answer(supCtx, w.f.Supplier, q.ID, restocks.AnswerInput{Answer: restocks.AnswerDate, ExpectedOn: "2026-03-20"}); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another supplier's answer: %v, want not found", err)
		}
		// Bad answers change nothing.
		for _, in := range []restocks.AnswerInput{{Answer: "soon"}, {Answer: restocks.AnswerDate}, {Answer: restocks.AnswerDate, ExpectedOn: "20/03/2026"},
			{Answer: restocks.AnswerDate, ExpectedOn: "2026-03-01"}, {Answer: restocks.AnswerUnknown, ExpectedOn: "2026-03-20"}} {
			if _, err := w.svc.Answer(ctx, w.second, q.ID, in); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("answer %+v: %v, want invalid", in, err)
			}
		}
		if got := open(t, w.svc, w.second); len(got) != 1 {
			t.Fatalf("a bad answer closed the question: %+v", got)
		}
		before := len(events(t, db))

		secCtx := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindSupplier, Role: auth.Supplier, SupplierID: w.second, ID: 2, Name: "Second user"})
		got, err := w.svc.Answer(secCtx, w.second, q.ID, restocks.AnswerInput{Answer: restocks.AnswerDate, ExpectedOn: "2026-03-20", Note: "container in port"})
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
		if got.Status != restocks.StatusAnswered || got.Answer != restocks.AnswerDate || got.ExpectedAt == nil || !got.ExpectedAt.Equal(day) ||
			got.AnsweredBy == "" || got.Note != "container in port" {
			t.Fatalf("answered question: %+v", got)
		}
		// Recorded as a feed records it.
		var at time.Time
		if err := db.R.QueryRowContext(ctx, `SELECT expected_at FROM supplier_offer_restocks WHERE offer_id = $1`, w.secondOf).Scan(&at); err != nil {
			t.Fatal(err)
		}
		if !at.Equal(day) {
			t.Errorf("offer restock date %v, want %v", at, day)
		}
		// Each backordered line has the date; each order one event.
		for _, n := range []int64{o1, o2} {
			o, err := w.f.Orders.Get(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if l := o.Lines[0]; l.ExpectedAt == nil || !l.ExpectedAt.Equal(day) {
				t.Errorf("order %d line expected %v, want %v", n, l.ExpectedAt, day)
			}
			tl, err := w.f.Orders.Timeline(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(tl, func(e orders.Entry) bool {
				return e.Event == "restock_date_known" && e.Actor != "" && e.Actor != "system:restock-question"
			}) {
				t.Errorf("order %d timeline lacks restock_date_known by the supplier: %+v", n, tl)
			}
		}
		var told []int64
		for _, e := range events(t, db)[before:] {
			if e.Event == orders.EventRestockExpected {
				told = append(told, e.Order)
			}
		}
		if !slices.Equal(told, []int64{o1, o2}) {
			t.Errorf("order.restock_expected for %v, want %v", told, []int64{o1, o2})
		}
		// The other supplier's question is closed: a date is known.
		if c, err := w.svc.Get(ctx, 0, other.ID); err != nil || c.Status != restocks.StatusClosed || c.Closed == "" {
			t.Errorf("other supplier's question: %+v, %v", c, err)
		}
		// Answering twice is a conflict and emits nothing more.
		n := len(events(t, db))
		if _, err := w.svc.Answer(secCtx, w.second, q.ID, restocks.AnswerInput{Answer: restocks.AnswerDate, ExpectedOn: "2026-03-25"}); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("second answer: %v, want conflict", err)
		}
		if len(events(t, db)) != n {
			t.Error("a refused answer emitted events")
		}
		// A new order now knows the date: no new question.
		_, e3 := w.place(t, "c@example.com", 1)
		if err := w.svc.OnBackordered(ctx, e3); err != nil {
			t.Fatal(err)
		}
		if qs := open(t, w.svc, 0); len(qs) != 0 {
			t.Errorf("open questions after a date became known: %+v", qs)
		}
	})
}

func TestAnswerUnknownAndDiscontinued(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		_, e := w.place(t, "a@example.com", 1)
		if err := w.svc.OnBackordered(ctx, e); err != nil {
			t.Fatal(err)
		}
		before := len(events(t, db))
		if _, err := w.svc.Answer(ctx, w.f.Supplier, open(t, w.svc, w.f.Supplier)[0].ID, restocks.AnswerInput{Answer: restocks.AnswerUnknown}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Answer(ctx, w.second, open(t, w.svc, w.second)[0].ID, restocks.AnswerInput{Answer: restocks.AnswerDiscontinued}); err != nil {
			t.Fatal(err)
		}
		if len(events(t, db)) != before {
			t.Error("an answer without a date emitted events")
		}
		// Asked again: neither within the week; after it, only the supplier
		// that did not know.
		if err := w.svc.OnBackordered(ctx, e); err != nil {
			t.Fatal(err)
		}
		if qs := open(t, w.svc, 0); len(qs) != 0 {
			t.Fatalf("asked again at once: %+v", qs)
		}
		w.f.Clock.Set(orderstest.T0.AddDate(0, 0, 8))
		if err := w.svc.OnBackordered(ctx, e); err != nil {
			t.Fatal(err)
		}
		if qs := open(t, w.svc, 0); len(qs) != 1 || qs[0].SupplierID != w.f.Supplier {
			t.Fatalf("asked again after a week: %+v", qs)
		}
	})
}

// A feed date for a SKU with open questions closes them and tells the
// waiting orders the date, once.
func TestCloseSettledByAFeedDate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		o1, e := w.place(t, "a@example.com", 2)
		if err := w.svc.OnBackordered(ctx, e); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
		if _, err := db.W.ExecContext(ctx, `INSERT INTO supplier_offer_restocks (offer_id, expected_at, updated_at) VALUES ($1, $2, $3)`,
			w.secondOf, day, orderstest.T0); err != nil {
			t.Fatal(err)
		}
		before := len(events(t, db))
		for range 2 {
			if _, err := w.svc.CloseSettled(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if qs := open(t, w.svc, 0); len(qs) != 0 {
			t.Fatalf("open after a feed date: %+v", qs)
		}
		var told []int64
		for _, e := range events(t, db)[before:] {
			if e.Event == orders.EventRestockExpected {
				told = append(told, e.Order)
			}
		}
		if !slices.Equal(told, []int64{o1}) {
			t.Errorf("order.restock_expected for %v, want once for %d", told, o1)
		}
		o, err := w.f.Orders.Get(ctx, o1)
		if err != nil {
			t.Fatal(err)
		}
		if at := o.Lines[0].ExpectedAt; at == nil || !at.Equal(day) {
			t.Errorf("line expected %v, want %v", at, day)
		}
	})
}

func TestCloseSettled(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		_, e := w.place(t, "a@example.com", 2)
		if err := w.svc.OnBackordered(ctx, e); err != nil {
			t.Fatal(err)
		}
		if n, err := w.svc.CloseSettled(ctx); err != nil || n != 0 {
			t.Fatalf("CloseSettled with units waiting and no date: %d, %v", n, err)
		}
		// Stock arrives: the backorder is filled, nothing waits.
		w.f.Report(w.sku, 10)
		if n, err := w.svc.CloseSettled(ctx); err != nil || n != 2 {
			t.Fatalf("CloseSettled after the restock: %d, %v", n, err)
		}
		if qs := open(t, w.svc, 0); len(qs) != 0 {
			t.Fatalf("open after the restock: %+v", qs)
		}
	})
}
