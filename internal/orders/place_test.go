package orders_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var ctx = context.Background()

func place(t *testing.T, f *orderstest.Fixture, in orders.PlaceInput) *orders.Order {
	t.Helper()
	p, err := f.Orders.Place(ctx, in)
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	if !p.Created {
		t.Fatalf("place: order %d was not created (duplicate)", p.Order.Number)
	}
	return p.Order
}

func TestPlaceReservesAndComputesAmounts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		a, b := f.AddSKU("MUG-1", 10), f.AddSKU("TEE-1", 5)
		in := orderstest.Input("Ana@Example.com", "mug-1", 3, "TEE-1", 2)
		price := money.Money{Amount: 333, Currency: "EUR"}
		in.Lines[0].UnitPrice = &price // 9.99 for three
		in.Lines[1].Discount = money.Money{Amount: 100, Currency: "EUR"}
		in.Discount = money.Money{Amount: 100, Currency: "EUR"} // 1.00 over 9.99 and 19.00
		in.Shipping = money.Money{Amount: 495, Currency: "EUR"}
		o := place(t, f, in)
		if o.Number < 1001 {
			t.Errorf("order number %d, want 1001 or more", o.Number)
		}
		if o.State != orders.ReadyToRoute {
			t.Errorf("state %s, want ready_to_route", o.State)
		}
		if o.Email != "Ana@Example.com" || o.Channel != "api" {
			t.Errorf("email %q channel %q", o.Email, o.Channel)
		}
		// Lines: 999 and 2000-100=1900; order discount 100 split 999:1900 -> 34 and 66.
		if got := []int64{o.Lines[0].Total.Amount, o.Lines[1].Total.Amount}; got[0] != 965 || got[1] != 1834 {
			t.Errorf("line totals %v, want [965 1834]", got)
		}
		if o.Total.Amount != 965+1834+495 || o.Charged != o.Total {
			t.Errorf("total %v charged %v, want 32.94", o.Total, o.Charged)
		}
		if o.Subtotal.Amount != 2999 || o.Discount.Amount != 200 {
			t.Errorf("subtotal %v discount %v", o.Subtotal, o.Discount)
		}
		for _, l := range o.Lines {
			if l.State != orders.LineAllocated || l.Reserved != l.Quantity {
				t.Errorf("line %d: %s reserved %d of %d", l.Position, l.State, l.Reserved, l.Quantity)
			}
		}
		if f.ATS(a) != 7 || f.ATS(b) != 3 {
			t.Errorf("ATS after order: %d and %d, want 7 and 3", f.ATS(a), f.ATS(b))
		}
		tl, err := f.Orders.Timeline(ctx, o.Number)
		if err != nil || len(tl) != 1 || tl[0].Event != "placed" || tl[0].ToState != "ready_to_route" {
			t.Fatalf("timeline %+v, %v", tl, err)
		}
		if tl[0].Actor != "channel:api" {
			t.Errorf("actor %q", tl[0].Actor)
		}
	})
}

func TestPlaceBadInputIsSpecific(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 10)
		usd := money.Money{Amount: 100, Currency: "USD"}
		neg := money.Money{Amount: -5, Currency: "EUR"}
		cases := []struct {
			name  string
			edit  func(*orders.PlaceInput)
			field string
		}{
			{"unknown SKU", func(in *orders.PlaceInput) { in.Lines[0].SKU = "NOPE-9" }, "lines[0].sku"},
			{"negative quantity", func(in *orders.PlaceInput) { in.Lines[0].Quantity = -2 }, "lines[0].quantity"},
			{"absurd quantity", func(in *orders.PlaceInput) { in.Lines[0].Quantity = 5_000_000 }, "lines[0].quantity"},
			{"no lines", func(in *orders.PlaceInput) { in.Lines = nil }, "lines"},
			{"bad currency", func(in *orders.PlaceInput) { in.Currency = "EURO" }, "currency"},
			{"currency mismatch", func(in *orders.PlaceInput) { in.Lines[0].UnitPrice = &usd }, "lines[0].unit_price"},
			{"negative shipping", func(in *orders.PlaceInput) { in.Shipping = neg }, "shipping"},
			{"no email", func(in *orders.PlaceInput) { in.Customer.Email = "" }, "customer.email"},
			{"bad email", func(in *orders.PlaceInput) { in.Customer.Email = "not an email" }, "customer.email"},
			{"discount above value", func(in *orders.PlaceInput) { in.Discount = money.Money{Amount: 99999, Currency: "EUR"} }, "discount"},
			{"bad channel", func(in *orders.PlaceInput) { in.Channel = "Shop Ify" }, "channel"},
		}
		for _, c := range cases {
			in := orderstest.Input("a@example.com", "MUG-1", 1)
			c.edit(&in)
			_, err := f.Orders.Place(ctx, in)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
				t.Errorf("%s: error %v, want invalid", c.name, err)
				continue
			}
			found := false
			for _, fe := range ae.Fields {
				found = found || fe.Field == c.field
			}
			if !found {
				t.Errorf("%s: fields %+v, want one named %s", c.name, ae.Fields, c.field)
			}
		}
		assertCount(t, db, "orders", 0)
		assertCount(t, db, "customers", 0)
	})
}

func assertCount(t *testing.T, db *store.DB, table string, want int) {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("%s has %d rows, want %d", table, n, want)
	}
}

func TestRefusedOrderNamesEveryLineAndLeavesNoTrace(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		a, b := f.AddSKU("MUG-1", 2), f.AddSKU("TEE-1", 0)
		f.AddSKU("CAP-1", 9)
		_, err := f.Orders.Place(ctx, orderstest.Input("a@example.com", "CAP-1", 1, "MUG-1", 3, "TEE-1", 1))
		var re *orders.RefusalError
		if !apperr.Is(err, apperr.Unavailable) || !errors.As(err, &re) {
			t.Fatalf("error %v, want unavailable with a RefusalError", err)
		}
		if len(re.Lines) != 2 || re.Lines[0].Line != 1 || re.Lines[0].Available != 2 || re.Lines[1].Line != 2 || re.Lines[1].SKU != "TEE-1" {
			t.Errorf("refusals %+v", re.Lines)
		}
		if f.ATS(a) != 2 || f.ATS(b) != 0 {
			t.Errorf("stock changed by a refused order: %d %d", f.ATS(a), f.ATS(b))
		}
		assertCount(t, db, "orders", 0)
		assertCount(t, db, "stock_reservations", 0)
		assertCount(t, db, "customers", 0)
	})
}

func TestBackorderSplitsLineAndRespectsLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("MUG-1", 3)
		f.Policy(s, inventory.PolicyInput{BackorderLimit: 5})
		o := place(t, f, orderstest.Input("a@example.com", "MUG-1", 7))
		l := o.Lines[0]
		if l.Reserved != 3 || l.Backordered != 4 || l.State != orders.LineBackordered || o.State != orders.AwaitingStock {
			t.Fatalf("line %+v, order %s", l, o.State)
		}
		want := orderstest.T0.AddDate(0, 0, 3)
		if l.ExpectedAt == nil || !l.ExpectedAt.Equal(want) {
			t.Errorf("expected at %v, want %v (lead time)", l.ExpectedAt, want)
		}
		// One unit of the limit is left: 2 more cannot be backordered.
		_, err := f.Orders.Place(ctx, orderstest.Input("b@example.com", "MUG-1", 2))
		if !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("over the backorder limit: %v", err)
		}
		place(t, f, orderstest.Input("b@example.com", "MUG-1", 1))
		p, _ := f.Inventory.Policy(ctx, "MUG-1")
		if p.Backordered != 5 {
			t.Errorf("pool %d, want 5", p.Backordered)
		}
	})
}

func TestRestockFillsInArrivalOrderUpToIncrease(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("MUG-1", 0)
		f.Policy(s, inventory.PolicyInput{BackorderLimit: 100})
		first := place(t, f, orderstest.Input("a@example.com", "MUG-1", 4))
		second := place(t, f, orderstest.Input("b@example.com", "MUG-1", 4))
		third := place(t, f, orderstest.Input("c@example.com", "MUG-1", 4))
		f.Report(s, 6) // +6: first gets 4, second 2, third nothing
		get := func(n int64) *orders.Order {
			o, err := f.Orders.Get(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		o1, o2, o3 := get(first.Number), get(second.Number), get(third.Number)
		if o1.Lines[0].Reserved != 4 || o1.State != orders.ReadyToRoute {
			t.Errorf("first: %+v %s", o1.Lines[0], o1.State)
		}
		if o2.Lines[0].Reserved != 2 || o2.Lines[0].Backordered != 2 || o2.State != orders.AwaitingStock {
			t.Errorf("second: %+v %s", o2.Lines[0], o2.State)
		}
		if o3.Lines[0].Reserved != 0 || o3.Lines[0].Backordered != 4 {
			t.Errorf("third: %+v", o3.Lines[0])
		}
		if f.ATS(s) != 0 {
			t.Errorf("ATS %d after the restock was given out, want 0", f.ATS(s))
		}
		p, _ := f.Inventory.Policy(ctx, "MUG-1")
		if p.Backordered != 6 {
			t.Errorf("pool %d, want 6", p.Backordered)
		}
		tl, _ := f.Orders.Timeline(ctx, first.Number)
		if last := tl[len(tl)-1]; last.Event != "restocked" || last.FromState != "awaiting_stock" || last.ToState != "ready_to_route" || last.Actor != "system:restock" {
			t.Errorf("timeline entry %+v", last)
		}
		// Cancelling the first order frees 4 units: they go to the second, then the third.
		if _, err := f.Orders.Cancel(ctx, first.Number, orders.CancelInput{Reason: "customer changed mind"}); err != nil {
			t.Fatal(err)
		}
		o2, o3 = get(second.Number), get(third.Number)
		if o2.Lines[0].Reserved != 4 || o3.Lines[0].Reserved != 2 || o3.Lines[0].Backordered != 2 {
			t.Errorf("after cancel: second %+v third %+v", o2.Lines[0], o3.Lines[0])
		}
	})
}

func TestPreordersCappedAndReleasedInOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("BOOK-1", 0)
		release := orderstest.T0.Add(48 * time.Hour)
		f.Policy(s, inventory.PolicyInput{PreorderReleaseAt: &release, PreorderCap: 5,
			ChannelCaps: []inventory.ChannelCap{{Channel: "shopify", Cap: 2}}})
		a := place(t, f, orderstest.Input("a@example.com", "BOOK-1", 2))
		if a.Lines[0].Preordered != 2 || a.Lines[0].State != orders.LinePreordered || a.State != orders.AwaitingStock {
			t.Fatalf("pre-order line %+v %s", a.Lines[0], a.State)
		}
		in := orderstest.Input("b@example.com", "BOOK-1", 3)
		in.Channel = "shopify"
		if _, err := f.Orders.Place(ctx, in); !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("over the channel cap: %v", err)
		}
		in.Lines[0].Quantity = 2
		b := place(t, f, in)
		if _, err := f.Orders.Place(ctx, orderstest.Input("c@example.com", "BOOK-1", 2)); !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("over the global cap: %v", err)
		}
		c := place(t, f, orderstest.Input("c@example.com", "BOOK-1", 1))
		// Before the release date nothing happens.
		if n, err := f.Orders.ReleaseDuePreorders(ctx); err != nil || n != 0 {
			t.Fatalf("early release: %d, %v", n, err)
		}
		f.Report(s, 3)
		f.Clock.Set(release)
		n, err := f.Orders.ReleaseDuePreorders(ctx)
		if err != nil || n != 5 {
			t.Fatalf("release: %d, %v", n, err)
		}
		ga, _ := f.Orders.Get(ctx, a.Number)
		gb, _ := f.Orders.Get(ctx, b.Number)
		gc, _ := f.Orders.Get(ctx, c.Number)
		if ga.Lines[0].Reserved != 2 || ga.State != orders.ReadyToRoute {
			t.Errorf("first pre-order %+v %s", ga.Lines[0], ga.State)
		}
		if gb.Lines[0].Reserved != 1 || gb.Lines[0].Backordered != 1 {
			t.Errorf("second pre-order %+v", gb.Lines[0])
		}
		if gc.Lines[0].Backordered != 1 || gc.State != orders.AwaitingStock {
			t.Errorf("third pre-order %+v %s", gc.Lines[0], gc.State)
		}
		p, _ := f.Inventory.Policy(ctx, "BOOK-1")
		if p.Preordered != 0 || p.Backordered != 2 {
			t.Errorf("pools after release: preordered %d backordered %d", p.Preordered, p.Backordered)
		}
	})
}

func TestHoldsForAddressPaymentAndShortStock(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{ShortOrders: orders.HoldShort})
		f.AddSKU("MUG-1", 1)
		in := orderstest.Input("a@example.com", "MUG-1", 3)
		in.ShippingAddress.PostalCode = "1234" // Italian CAPs have 5 digits
		in.Payment = orders.PaymentSignal{Status: "pending"}
		o := place(t, f, in)
		if o.State != orders.OnHold {
			t.Fatalf("state %s, want on_hold", o.State)
		}
		reasons := map[orders.HoldReason]orders.Hold{}
		for _, h := range o.OpenHolds() {
			reasons[h.Reason] = h
		}
		if len(reasons) != 3 {
			t.Fatalf("holds %+v, want address, payment and stock", o.Holds)
		}
		if o.Lines[0].Short != 2 || o.Lines[0].Reserved != 1 || o.Lines[0].State != orders.LineShort {
			t.Errorf("line %+v", o.Lines[0])
		}
		// Fixing the address releases its hold; the order stays held for the others.
		addr := orderstest.Address()
		o, err := f.Orders.EditAddress(ctx, o.Number, addr, "customer sent the right CAP")
		if err != nil {
			t.Fatal(err)
		}
		if len(o.OpenHolds()) != 2 || o.ShippingAddress.PostalCode != "20121" {
			t.Errorf("after address fix: holds %+v address %+v", o.OpenHolds(), o.ShippingAddress)
		}
		for _, h := range o.OpenHolds() {
			if o, err = f.Orders.ReleaseHold(ctx, o.Number, h.ID, "checked"); err != nil {
				t.Fatal(err)
			}
		}
		if o.State != orders.AwaitingStock {
			t.Errorf("released with short units: %s, want awaiting_stock", o.State)
		}
		if _, err := f.Orders.ReleaseHold(ctx, o.Number, o.Holds[0].ID, "again"); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("releasing twice: %v", err)
		}
	})
}

func TestDuplicatePlacementReturnsFirstOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("MUG-1", 10)
		in := orderstest.Input("a@example.com", "MUG-1", 2)
		in.Channel, in.ExternalID, in.DeliveryID = "shopify", "450789469", "d-1"
		first := place(t, f, in)
		for i, d := range []string{"d-1", "d-2", ""} {
			in.DeliveryID = d
			p, err := f.Orders.Place(ctx, in)
			if err != nil || p.Created || p.Order.Number != first.Number {
				t.Errorf("repeat %d: %+v %v", i, p, err)
			}
		}
		if f.ATS(s) != 8 {
			t.Errorf("ATS %d, want 8: a duplicate took stock", f.ATS(s))
		}
		assertCount(t, db, "orders", 1)
	})
}

func TestLastUnitsUnderConcurrency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("LAST-1", 10)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		for i := range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.Orders.Place(ctx, orderstest.Input(fmt.Sprintf("c%d@example.com", i), "LAST-1", 1))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Unavailable):
					refused++
				default:
					t.Errorf("place: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 10 || refused != 54 {
			t.Errorf("%d placed, %d refused; want 10 and 54", ok, refused)
		}
		if f.ATS(s) != 0 {
			t.Errorf("ATS %d, want 0", f.ATS(s))
		}
		var reserved int
		db.R.QueryRowContext(ctx, `SELECT reserved FROM stock_positions WHERE offer_id = $1`, s.Offer).Scan(&reserved)
		if reserved != 10 {
			t.Errorf("reserved %d, want 10", reserved)
		}
	})
}

func TestSmallerBufferFillsWaitingLines(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("MUG-1", 0)
		if err := f.Inventory.SetSKUBuffer(ctx, "MUG-1", inventory.Buffer{Units: 4}); err != nil {
			t.Fatal(err)
		}
		f.Report(s, 4) // all held back by the buffer
		f.Policy(s, inventory.PolicyInput{BackorderLimit: 10})
		o := place(t, f, orderstest.Input("a@example.com", "MUG-1", 3))
		if o.Lines[0].Backordered != 3 {
			t.Fatalf("line %+v, want 3 backordered", o.Lines[0])
		}
		if err := f.Inventory.SetSKUBuffer(ctx, "MUG-1", inventory.Buffer{Units: 2}); err != nil {
			t.Fatal(err)
		}
		o, _ = f.Orders.Get(ctx, o.Number)
		if o.Lines[0].Reserved != 2 || o.Lines[0].Backordered != 1 {
			t.Errorf("after the buffer fell by 2: %+v", o.Lines[0])
		}
		if f.ATS(s) != 0 {
			t.Errorf("ATS %d, want 0", f.ATS(s))
		}
	})
}

// TestPlaceReleasesDuePreordersFirst: between a release date and the release
// job's next run, a new order must not take the stock the pre-orders wait for.
func TestPlaceReleasesDuePreordersFirst(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("BOOK-1", 0)
		release := orderstest.T0.Add(24 * time.Hour)
		f.Policy(s, inventory.PolicyInput{PreorderReleaseAt: &release, PreorderCap: 10})
		pre := place(t, f, orderstest.Input("a@example.com", "BOOK-1", 3))
		f.Report(s, 3)
		f.Clock.Set(release.Add(time.Second)) // released, the job has not run
		if _, err := f.Orders.Place(ctx, orderstest.Input("late@example.com", "BOOK-1", 1)); !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("a new order took the pre-orders' stock: %v", err)
		}
		got, _ := f.Orders.Get(ctx, pre.Number)
		if got.Lines[0].Reserved != 3 || got.State != orders.ReadyToRoute {
			t.Errorf("pre-order after release: %+v %s", got.Lines[0], got.State)
		}
	})
}

// TestPlaceReturnsWhatGetReads: Place builds the order it returns from what
// it wrote instead of reading it back; it must be exactly what Get reads.
func TestPlaceReturnsWhatGetReads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{ShortOrders: orders.HoldShort})
		f.AddSKU("MUG-1", 2)
		b := f.AddSKU("TEE-1", 0)
		f.Policy(b, inventory.PolicyInput{BackorderLimit: 5})
		c := f.AddSKU("BOOK-1", 0)
		release := orderstest.T0.Add(72 * time.Hour)
		f.Policy(c, inventory.PolicyInput{PreorderReleaseAt: &release, PreorderCap: 5})
		f.AddSKU("CAP-1", 0)
		in := orderstest.Input("Mixed@Example.com", "MUG-1", 3, "TEE-1", 2, "BOOK-1", 1, "CAP-1", 1)
		in.ShippingAddress.PostalCode = "123"
		in.Payment = orders.PaymentSignal{Status: "pending", Risk: "high"}
		in.Discount = money.Money{Amount: 7, Currency: "EUR"}
		in.Lines[1].Tax = money.Money{Amount: 44, Currency: "EUR"}
		in.Channel, in.ExternalID, in.Note = "shopify", "X-1", "gift wrap"
		for i, input := range []orders.PlaceInput{in, orderstest.Input("plain@example.com", "MUG-1", 1)} {
			placed := place(t, f, input)
			got, err := f.Orders.Get(ctx, placed.Number)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(placed, got) {
				t.Errorf("order %d: Place returned\n%+v\nGet reads\n%+v", i, placed, got)
			}
		}
	})
}

// TestPlaceManyLines places an order of more lines than one INSERT of lines
// (64) or of reservation rows (100) holds: every line is written once, with
// its own id and decision, and every reservation row is recorded for its line.
func TestPlaceManyLines(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		const n = 150
		var skuQty []any
		for i := range n {
			s := f.AddSKU(fmt.Sprintf("MANY-%03d", i), 5)
			qty := 1 + i%3
			if i == 70 {
				f.Policy(s, inventory.PolicyInput{BackorderLimit: 10})
				qty = 8 // 5 reserved, 3 backordered
			}
			skuQty = append(skuQty, s.SKU, qty)
		}
		o := place(t, f, orderstest.Input("many@example.com", skuQty...))
		got, err := f.Orders.Get(ctx, o.Number)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(o, got) {
			t.Errorf("Place returned\n%+v\nGet reads\n%+v", o, got)
		}
		if len(got.Lines) != n {
			t.Fatalf("%d lines, want %d", len(got.Lines), n)
		}
		ids := map[int64]bool{}
		for i, l := range got.Lines {
			want := orders.Line{Position: i + 1, SKU: fmt.Sprintf("MANY-%03d", i), Quantity: 1 + i%3}
			want.Reserved = want.Quantity
			if i == 70 {
				want.Quantity, want.Reserved, want.Backordered = 8, 5, 3
			}
			if l.Position != want.Position || l.SKU != want.SKU || l.Quantity != want.Quantity ||
				l.Reserved != want.Reserved || l.Backordered != want.Backordered {
				t.Errorf("line %d: %+v, want position %d %s qty %d reserved %d backordered %d", i, l,
					want.Position, want.SKU, want.Quantity, want.Reserved, want.Backordered)
			}
			if ids[l.ID] {
				t.Errorf("line %d: id %d given twice", i, l.ID)
			}
			ids[l.ID] = true
			held, err := f.Inventory.Reserved(ctx, db.R, fmt.Sprintf("order:%d/line:%d", o.Number, l.Position))
			if err != nil {
				t.Fatal(err)
			}
			if len(held) != 1 || held[0].Quantity != want.Reserved {
				t.Errorf("line %d: reservations %+v, want one of %d", i, held, want.Reserved)
			}
		}
		assertCount(t, db, "order_lines", n)
		assertCount(t, db, "stock_reservations", n)

		// The order.placed event names every line in position order and the
		// "placed" timeline entry.
		tl, err := f.Orders.Timeline(ctx, o.Number)
		if err != nil || len(tl) != 1 || tl[0].Event != "placed" || tl[0].ToState != string(got.State) {
			t.Fatalf("timeline %+v, %v", tl, err)
		}
		args := "args::text"
		if db.Engine == store.SQLite {
			args = "json(args)"
		}
		var raw string
		if err := db.R.QueryRowContext(ctx, `SELECT `+args+` FROM river_job WHERE kind = 'order_event' ORDER BY id LIMIT 1`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var e orders.EventArgs
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			t.Fatal(err)
		}
		lineIDs := make([]int64, n)
		for i, l := range got.Lines {
			lineIDs[i] = l.ID
		}
		if e.Event != orders.EventPlaced || e.Order != o.Number || e.Entry != tl[0].ID || !reflect.DeepEqual(e.Lines, lineIDs) {
			t.Errorf("placed event %+v, want order %d, entry %d, lines %v", e, o.Number, tl[0].ID, lineIDs)
		}
	})
}

// TestDuplicateDeliveryWithoutExternalID: a webhook delivery placed again
// returns the first order even when the order has no external id.
func TestDuplicateDeliveryWithoutExternalID(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		s := f.AddSKU("MUG-1", 10)
		in := orderstest.Input("a@example.com", "MUG-1", 2)
		in.Channel, in.DeliveryID = "shopify", "d-9"
		first := place(t, f, in)
		p, err := f.Orders.Place(ctx, in)
		if err != nil || p.Created || p.Order.Number != first.Number {
			t.Errorf("repeat: %+v %v", p, err)
		}
		in.DeliveryID = "d-10" // no external id, another delivery: a new order
		place(t, f, in)
		if f.ATS(s) != 6 {
			t.Errorf("ATS %d, want 6", f.ATS(s))
		}
		assertCount(t, db, "orders", 2)
	})
}
