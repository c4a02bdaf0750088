package webhooks_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/refunds"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// TestRefundIssuedEvent: a subscription may ask for order.refund_issued; each
// refund marked issued is one delivery (its own timeline entry), sent with
// the time it was marked, and the payload carries neither who marked it nor
// the provider's reference.
func TestRefundIssuedEvent(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			v := newEnv(t, e, webhooks.Options{})
			r := newReceiver(t, v.f.Clock)
			sub := v.subscribe(r, string(orders.EventRefundIssued))
			number, _ := v.place() // 2 x TEE-1 at 10.00
			for range 2 {
				if _, err := v.f.Orders.Cancel(ctx, number, orders.CancelInput{Lines: []orders.LineQuantity{{Line: 1, Quantity: 1}},
					Reason: "customer asked"}); err != nil {
					t.Fatal(err)
				}
			}
			rs := refunds.New(v.db, v.f.Orders, v.f.Clock.Now)
			pending, err := rs.ForOrder(ctx, number)
			if err != nil || len(pending) != 2 {
				t.Fatalf("refunds: %+v, %v", pending, err)
			}
			marked := v.f.Clock.Now().Add(time.Hour)
			v.f.Clock.Set(marked)
			staff := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindStaff, ID: 5, Name: "fin@shop.example", Role: auth.Finance})
			if _, err := rs.MarkIssuedBulk(staff, []int64{pending[0].ID, pending[1].ID}, "re_private_9"); err != nil {
				t.Fatal(err)
			}
			var issued []orders.EventArgs
			for _, ev := range v.events(number) {
				if ev.Event == orders.EventRefundIssued {
					issued = append(issued, ev)
				}
			}
			if len(issued) != 2 || issued[0].Entry == 0 || issued[0].Entry == issued[1].Entry {
				t.Fatalf("order.refund_issued events %+v: want two, each with its own entry", issued)
			}
			v.f.Clock.Set(marked.Add(time.Minute))
			for _, ev := range append(issued, issued[0]) { // the first job run twice adds nothing
				if err := v.svc.OnEvent(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			ds := v.deliveries(sub.ID)
			if len(ds) != 2 {
				t.Fatalf("deliveries %+v: want one per refund issued", ds)
			}
			if _, err := v.svc.Deliver(ctx, ds[0].ID); err != nil {
				t.Fatal(err)
			}
			reqs := r.requests()
			if len(reqs) != 1 || reqs[0].sigErr != nil {
				t.Fatalf("requests %+v", reqs)
			}
			p := reqs[0].payload
			if p.Type != "order.refund_issued" || !p.OccurredAt.Equal(marked) {
				t.Errorf("payload %s at %s, want order.refund_issued at %s", p.Type, p.OccurredAt, marked)
			}
			var data webhooks.EventData
			if err := json.Unmarshal(p.Data, &data); err != nil {
				t.Fatal(err)
			}
			// The delivery is about one of the two refunds: its id and amount.
			if data.Refund == nil || !slices.ContainsFunc(pending, func(rf refunds.Refund) bool {
				return rf.ID == data.Refund.ID && rf.Amount == data.Refund.Amount
			}) {
				t.Errorf("payload refund %+v, want one of %+v", data.Refund, pending)
			}
			for _, never := range []string{"re_private_9", "fin@shop.example"} {
				if strings.Contains(string(reqs[0].body), never) {
					t.Errorf("the payload carries %q: %s", never, reqs[0].body)
				}
			}
		})
	}
}
