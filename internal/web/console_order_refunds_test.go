package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/refunds"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConsoleOrderRefundsAndCoupons: the staff order page shows, beside each
// refund due, whether it was issued (and by whom, with the provider's
// reference), and the coupons issued for the order — here the apology
// coupon of the customer's cancel.
func TestConsoleOrderRefundsAndCoupons(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := orderstest.New(t, db, orders.Options{})
		cs := coupons.New(db, fx.Clock.Now, nil)
		fx.Orders.SetApology(cs.ApologyCode)
		if _, err := cs.SetPolicy(ctx, coupons.Policy{Enabled: true, Kind: coupons.KindPercent, Percent: 15, ValidityDays: 30}); err != nil {
			t.Fatal(err)
		}
		rs := refunds.New(db, fx.Orders, fx.Clock.Now)
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers,
			Orders: fx.Orders, Coupons: cs, Refunds: rs})
		fx.AddSKU("MUG-1", 5)
		tee := fx.AddSKU("TEE-1", 0)
		fx.Policy(tee, inventory.PolicyInput{BackorderLimit: 10})
		placed, err := fx.Orders.Place(ctx, orderstest.Input("ana@example.com", "MUG-1", 1, "TEE-1", 2))
		if err != nil {
			t.Fatal(err)
		}
		number := placed.Order.Number
		res, err := fx.Orders.Choose(ctx, number, orders.ChoiceInput{Line: 2, Choice: orders.ChoiceCancel})
		if err != nil || res.Coupon == "" || res.Refund.Amount == 0 {
			t.Fatalf("cancel: %+v, %v", res, err)
		}

		email, pw := consoleUser(t, s, auth.Admin, "admin@example.com")
		c := newConsoleClient(t, base)
		c.login(email, pw)
		page := "/console/orders/" + strconv.FormatInt(number, 10)
		r := c.get(page)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `data-refund-state="pending"`, `id="order-coupons"`, `data-code="`+res.Coupon+`"`, "15 % off")

		list, err := rs.ForOrder(ctx, number)
		if err != nil || len(list) != 1 {
			t.Fatalf("refunds of %d: %+v, %v", number, list, err)
		}
		// Marked issued from the console's refunds page: the order page
		// shows the refund issued and, on the timeline, who marked it, the
		// amount and the provider's reference.
		id := strconv.FormatInt(list[0].ID, 10)
		r = c.post("/console/refunds/issue", url.Values{"id": {id}, "provider_ref": {"re_123"}})
		wantStatus(t, r, http.StatusSeeOther)
		r = c.get(page)
		wantBody(t, r, `data-refund-state="issued"`, "(ref. re_123)")
		wantNotBody(t, r, `data-refund-state="pending"`)
		rows := regexp.MustCompile(`(?s)<tr data-event="refund_issued">(.*?)</tr>`).FindAllStringSubmatch(r.body, -1)
		if len(rows) != 1 {
			t.Fatalf("%d refund_issued rows on the order page's timeline, want 1:\n%s", len(rows), r.body)
		}
		for _, want := range []string{"Refund issued", `<td class="actor">admin@example.com <span class="muted">(staff)</span>`,
			"<strong>refund " + id + " issued: " + res.Refund.String() + ", provider reference re_123</strong>"} {
			if !strings.Contains(rows[0][1], want) {
				t.Errorf("timeline row %q lacks %q", rows[0][1], want)
			}
		}
	})
}
