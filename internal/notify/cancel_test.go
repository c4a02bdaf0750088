package notify_test

import (
	"slices"
	"testing"

	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestCustomerCancelOneNotice: a customer's own cancellation enqueues both
// order.customer_choice and order.cancelled (webhooks follow every
// cancellation), and the customer gets one email for it, the answer to their
// choice; a cancellation by staff still gets its cancelled notice.
func TestCustomerCancelOneNotice(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.stock(t)
		o := f.place(t, "en")
		if _, err := f.Orders.Choose(ctx, o.Number, orders.ChoiceInput{Line: 2, Choice: orders.ChoiceCancel}); err != nil {
			t.Fatal(err)
		}
		var seen []orders.Event
		for _, e := range events(t, db, o.Number) {
			seen = append(seen, e.Event)
		}
		if !slices.Contains(seen, orders.EventCustomerChoice) || !slices.Contains(seen, orders.EventCancelled) {
			t.Fatalf("events %v, want order.customer_choice and order.cancelled", seen)
		}
		f.handle(t, f.svc, o.Number)
		kinds := func() []notify.Kind {
			t.Helper()
			list, err := f.svc.ForOrder(ctx, o.Number)
			if err != nil {
				t.Fatal(err)
			}
			var out []notify.Kind
			for _, n := range list {
				out = append(out, n.Kind)
			}
			slices.Sort(out)
			return out
		}
		want := []notify.Kind{notify.KindBackordered, notify.KindChoice, notify.KindConfirmed}
		slices.Sort(want)
		if got := kinds(); !slices.Equal(got, want) {
			t.Fatalf("notifications %v, want %v: one for the customer's cancellation", got, want)
		}
		if _, err := f.Orders.Cancel(ctx, o.Number, orders.CancelInput{Reason: "the shop closes"}); err != nil {
			t.Fatal(err)
		}
		f.handle(t, f.svc, o.Number)
		want = append(want, notify.KindCancelled)
		slices.Sort(want)
		if got := kinds(); !slices.Equal(got, want) {
			t.Fatalf("notifications %v, want %v: staff's cancellation is told", got, want)
		}
	})
}
