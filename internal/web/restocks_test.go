package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/restocks"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// Staff see every supplier's restock questions in the console and may
// answer for a supplier; a bad date is shown next to the question and
// changes nothing; support reads them but cannot answer (purchasing:write).
func TestConsoleRestockQuestions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := orderstest.New(t, db, orders.Options{})
		sku := fx.AddSKU("MUG-9", 0)
		fx.Policy(sku, inventory.PolicyInput{BackorderLimit: 5})
		placed, err := fx.Orders.Place(ctx, orderstest.Input("ana@example.com", "MUG-9", 2))
		if err != nil {
			t.Fatal(err)
		}
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		if n, err := s.cfg.Restocks.Ask(ctx, sku.Variant); err != nil || n != 1 {
			t.Fatalf("Ask: %d, %v", n, err)
		}
		qs, _, err := s.cfg.Restocks.List(ctx, restocks.Filter{Status: restocks.StatusOpen})
		if err != nil || len(qs) != 1 {
			t.Fatalf("open questions: %v, %v", qs, err)
		}
		q := qs[0]

		reader, pw := consoleUser(t, s, auth.Support, "support@example.com")
		sup := newConsoleClient(t, base)
		sup.login(reader, pw)
		wantStatus(t, sup.get("/console/restock-questions"), http.StatusOK)
		wantStatus(t, sup.post(fmt.Sprintf("/console/restock-questions/%d/answer", q.ID), url.Values{"answer": {"unknown"}}), http.StatusForbidden)

		user, pw := consoleUser(t, s, auth.Operations, "ops@example.com")
		ops := newConsoleClient(t, base)
		ops.login(user, pw)
		r := ops.get("/console/restock-questions")
		wantStatus(t, r, http.StatusOK)
		for _, want := range []string{"Fixture Supplier", "MUG-9", q.SupplierSKU, "2 units\n  waiting in 1 order<", fmt.Sprintf(`data-question="%d"`, q.ID)} {
			if !strings.Contains(r.body, want) {
				t.Errorf("questions page lacks %q:\n%s", want, r.body)
			}
		}
		path := fmt.Sprintf("/console/restock-questions/%d/answer", q.ID)
		r = ops.post(path, url.Values{"answer": {"date"}, "expected_on": {"2026-02-01"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.body, "in the past") {
			t.Errorf("a past date: the page does not say why:\n%s", r.body)
		}
		if got, _ := s.cfg.Restocks.Get(ctx, 0, q.ID); got.Status != restocks.StatusOpen {
			t.Fatalf("a refused answer changed the question: %+v", got)
		}
		wantStatus(t, ops.post(path, url.Values{"answer": {"date"}, "expected_on": {"2026-03-12"}, "note": {"by phone"}}), http.StatusSeeOther)
		got, err := s.cfg.Restocks.Get(ctx, 0, q.ID)
		if err != nil || got.Status != restocks.StatusAnswered || got.Note != "by phone" || !strings.Contains(got.AnsweredBy, "ops@example.com") {
			t.Fatalf("answered for the supplier: %+v, %v", got, err)
		}
		o, err := fx.Orders.Get(ctx, placed.Order.Number)
		if err != nil {
			t.Fatal(err)
		}
		if at := o.Lines[0].ExpectedAt; at == nil || at.Format("2006-01-02") != "2026-03-12" {
			t.Errorf("the line's expected date: %v", at)
		}
		r = ops.get("/console/restock-questions?filter=answered")
		if !strings.Contains(r.body, "Back in stock on <strong>2026-03-12</strong>") {
			t.Errorf("answered list:\n%s", r.body)
		}
	})
}
