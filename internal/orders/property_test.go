package orders_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestOrderProperties drives the order service through random sequences of
// everything that happens to orders and stock (place, cancel, edit, restock,
// manual adjustments, safety buffers, pre-order release, holds, sending and
// shipping) and after every step checks the invariants of check against
// the database. It runs under both short-order policies on SQLite and, with
// fewer and shorter sequences (unless -rapid.checks is given), on PostgreSQL.
func TestOrderProperties(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		// PostgreSQL is slower per statement: fewer sequences, fewer steps,
		// unless -rapid.checks is given.
		budget, steps := 1<<30, 40 // all of rapid's checks (-rapid.checks, default 100)
		if f := flag.Lookup("rapid.checks"); engine == store.Postgres && (f == nil || f.Value.String() == f.DefValue) {
			budget, steps = 20, 20
		}
		for _, short := range []orders.ShortPolicy{orders.RefuseShort, orders.HoldShort} {
			t.Run(string(engine)+"/"+string(short), func(t *testing.T) {
				t.Parallel()
				f := orderstest.New(t, storetest.Open(t, engine), orders.Options{ShortOrders: short})
				ran, failing, iteration := 0, false, 0
				outcomes := map[string]int{}
				rapid.Check(t, func(rt *rapid.T) {
					// Past the budget, sequences are skipped as passed; once one
					// fails every run counts, so rapid can shrink it.
					if ran >= budget && !failing {
						return
					}
					ran++
					done := false
					defer func() { failing = failing || !done }()
					iteration++
					w := newWorld(rt, f, iteration)
					w.outcomes = outcomes
					w.check("setup")
					actions, names := w.actions(), w.actionNames()
					for i := range rapid.IntRange(1, steps).Draw(rt, "steps") {
						name := "place" // every sequence starts with an order
						if i > 0 {
							name = rapid.SampledFrom(names).Draw(rt, "action")
						}
						w.beginStep()
						if actions[name]() {
							w.check(name)
						}
					}
					done = true
				})
				t.Logf("%d sequences; outcomes: %v", ran, outcomes)
			})
		}
	}
}

// propSKU is a SKU of one sequence with its policy.
type propSKU struct {
	orderstest.SKU
	limit   int        // backorder limit
	release *time.Time // pre-order release date
}

// world is one random sequence: its fixture, SKUs and orders, and what
// check saw after the previous step.
type world struct {
	rt      *rapid.T
	f       *orderstest.Fixture
	ctx     context.Context
	skus    []*propSKU
	numbers []int64
	placed  map[int64]int64 // order → its total when placed (the first charge)

	seen  int64            // last timeline entry checked
	state map[int64]string // order → its state as its timeline says
	// After the previous step.
	reserved map[int64]int // offer → reserved
	pool     map[int64]int // variant → backordered units
	lineRes  map[int64]int // line → reserved units
	linePre  map[int64]int // line → pre-ordered units
	// This step.
	subjects map[int64]bool // lines the step took stock for directly (placed, edited, released)
	released bool           // the step released pre-orders

	outcomes map[string]int // "action: ok" or "action: code", over all sequences
}

func newWorld(rt *rapid.T, f *orderstest.Fixture, iteration int) *world {
	w := &world{rt: rt, f: f, placed: map[int64]int64{}, state: map[int64]string{}, reserved: map[int64]int{},
		pool: map[int64]int{}, lineRes: map[int64]int{}, linePre: map[int64]int{}}
	w.ctx = auth.WithPrincipal(context.Background(), auth.System("property"))
	if err := f.DB.R.QueryRowContext(w.ctx, `SELECT COALESCE(MAX(id), 0) FROM order_timeline`).Scan(&w.seen); err != nil {
		rt.Fatal(err)
	}
	now := f.Clock.Now()
	for i := range 3 {
		s := &propSKU{SKU: f.AddSKU(fmt.Sprintf("P%d-%d", iteration, i), rapid.IntRange(0, 10).Draw(rt, "stock"))}
		var in inventory.PolicyInput
		switch rapid.SampledFrom([]string{"none", "backorder", "preorder"}).Draw(rt, "policy") {
		case "backorder":
			in.BackorderLimit = rapid.IntRange(1, 6).Draw(rt, "backorder_limit")
		case "preorder":
			at := now.Add(time.Duration(rapid.IntRange(1, 72).Draw(rt, "release_hours")) * time.Hour)
			in.PreorderReleaseAt = &at
			in.PreorderCap = rapid.IntRange(1, 8).Draw(rt, "preorder_cap")
			if rapid.Bool().Draw(rt, "channel_cap") {
				in.ChannelCaps = []inventory.ChannelCap{{Channel: "shopify", Cap: rapid.IntRange(0, in.PreorderCap).Draw(rt, "shopify_cap")}}
			}
			in.BackorderLimit = rapid.IntRange(0, 3).Draw(rt, "backorder_limit_after_release")
		}
		if _, err := f.Inventory.SetPolicy(w.ctx, s.SKU.SKU, in); err != nil {
			rt.Fatalf("policy of %s: %v", s.SKU.SKU, err)
		}
		s.limit, s.release = in.BackorderLimit, in.PreorderReleaseAt
		if b := rapid.IntRange(0, 2).Draw(rt, "buffer"); b > 0 {
			if err := f.Inventory.SetSKUBuffer(w.ctx, s.SKU.SKU, inventory.Buffer{Units: b}); err != nil {
				rt.Fatal(err)
			}
		}
		w.skus = append(w.skus, s)
	}
	return w
}

func (w *world) beginStep() {
	w.subjects = map[int64]bool{}
	w.released = false
}

// allow fails the sequence unless err is nil or has one of the codes.
func (w *world) allow(what string, err error, codes ...apperr.Code) {
	w.rt.Helper()
	if err == nil {
		w.outcomes[what+": ok"]++
		return
	}
	for _, c := range codes {
		if apperr.Is(err, c) {
			w.outcomes[what+": "+string(c)]++
			w.rt.Logf("%s: %v", what, err)
			return
		}
	}
	w.rt.Fatalf("%s: unexpected error %v", what, err)
}

func (w *world) order() *orders.Order {
	if len(w.numbers) == 0 {
		return nil
	}
	n := rapid.SampledFrom(w.numbers).Draw(w.rt, "order")
	o, err := w.f.Orders.Get(w.ctx, n)
	if err != nil {
		w.rt.Fatal(err)
	}
	return o
}

func (w *world) line(o *orders.Order) orders.Line {
	return o.Lines[rapid.IntRange(0, len(o.Lines)-1).Draw(w.rt, "line")]
}

func (w *world) sku() *propSKU { return rapid.SampledFrom(w.skus).Draw(w.rt, "sku") }

func eurp(a int64) *money.Money { m := eur(a); return &m }

// subject marks the lines of an edit's result that the edit took stock for.
func (w *world) subject(r orders.EditResult, err error) {
	if err != nil || r.Order == nil {
		return
	}
	for _, p := range r.Charged {
		w.subjects[r.Order.Lines[p.Line-1].ID] = true
	}
}

// weights makes some steps likelier than others: orders to work on, edits,
// and stock coming and going.
var weights = map[string]int{"place": 4, "edit_quantity": 3, "swap": 2, "add_line": 2, "remove_line": 2, "cancel": 2, "restock": 2}

// actionNames lists the step names, each as often as its weight.
func (w *world) actionNames() []string {
	var names []string
	for n := range w.actions() {
		for range max(1, weights[n]) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// actions returns the steps; each reports whether it did something worth a check.
func (w *world) actions() map[string]func() bool {
	rt, f, ctx := w.rt, w.f, w.ctx
	return map[string]func() bool{
		"place": func() bool {
			email := fmt.Sprintf("c%d@example.com", rapid.IntRange(1, 4).Draw(rt, "customer"))
			in := orderstest.Input(email)
			in.Channel = rapid.SampledFrom([]string{"api", "shopify"}).Draw(rt, "channel")
			in.TaxesIncluded = rapid.Bool().Draw(rt, "taxes_included")
			var base int64
			for range rapid.IntRange(1, 3).Draw(rt, "lines") {
				l := orders.LineInput{SKU: w.sku().SKU.SKU, Quantity: rapid.IntRange(1, 4).Draw(rt, "quantity")}
				unit := int64(1000)
				if rapid.Bool().Draw(rt, "own_price") {
					unit = rapid.Int64Range(0, 2000).Draw(rt, "unit_price")
					l.UnitPrice = eurp(unit)
				}
				gross := unit * int64(l.Quantity)
				l.Discount = eur(rapid.Int64Range(0, min(gross, 300)).Draw(rt, "line_discount"))
				l.Tax = eur(rapid.Int64Range(0, 300).Draw(rt, "tax"))
				base += gross - l.Discount.Amount
				in.Lines = append(in.Lines, l)
			}
			in.Discount = eur(rapid.Int64Range(0, min(base, 200)).Draw(rt, "discount"))
			in.Shipping = eur(rapid.SampledFrom([]int64{0, 495}).Draw(rt, "shipping"))
			if rapid.IntRange(0, 9).Draw(rt, "pending_payment") == 0 {
				in.Payment.Status = "pending"
			}
			if rapid.IntRange(0, 9).Draw(rt, "bad_address") == 0 {
				in.ShippingAddress.PostalCode = "1234"
			}
			p, err := f.Orders.Place(ctx, in)
			w.allow("place", err, apperr.Unavailable)
			if err == nil {
				w.numbers = append(w.numbers, p.Order.Number)
				w.placed[p.Order.Number] = p.Order.Total.Amount
				for _, l := range p.Order.Lines {
					w.subjects[l.ID] = true
				}
			}
			return true
		},
		"cancel": func() bool {
			o := w.order()
			if o == nil {
				return false
			}
			in := orders.CancelInput{Reason: "property: cancel"}
			if !rapid.Bool().Draw(rt, "whole") {
				l := w.line(o)
				n := l.Reserved + l.Backordered + l.Preordered + l.Short
				in.Lines = []orders.LineQuantity{{Line: l.Position, Quantity: rapid.IntRange(0, n).Draw(rt, "units")}}
			}
			r, err := f.Orders.Cancel(ctx, o.Number, in)
			w.allow("cancel", err, apperr.Conflict)
			if err == nil {
				var sum int64
				for _, p := range r.Parts {
					sum += p.Amount.Amount
				}
				if sum != r.Refund.Amount || r.Order.Refunded.Amount != o.Refunded.Amount+r.Refund.Amount {
					rt.Fatalf("cancel: refund %v, parts sum %d, refunded %v → %v", r.Refund, sum, o.Refunded, r.Order.Refunded)
				}
			}
			return true
		},
		"edit_quantity": func() bool {
			o := w.order()
			if o == nil {
				return false
			}
			l := w.line(o)
			open := l.Quantity - l.Cancelled
			q := rapid.IntRange(1, open+3).Draw(rt, "new_quantity")
			r, err := f.Orders.EditQuantity(ctx, o.Number, l.Position, q, "property: quantity")
			w.allow("edit quantity", err, apperr.Conflict, apperr.Unavailable)
			w.subject(r, err)
			if err == nil {
				nl := r.Order.Lines[l.Position-1]
				if nl.Quantity-nl.Cancelled != q || r.Net.Amount != r.Charge.Amount-r.Refund.Amount {
					rt.Fatalf("edit quantity to %d: line %+v, result %+v", q, nl, r)
				}
			}
			return true
		},
		"swap": func() bool {
			o := w.order()
			if o == nil {
				return false
			}
			l, s := w.line(o), w.sku()
			if s.Variant == l.VariantID {
				return false
			}
			var price *money.Money
			if rapid.Bool().Draw(rt, "swap_price") {
				price = eurp(rapid.Int64Range(0, 2000).Draw(rt, "swap_unit_price"))
			}
			r, err := f.Orders.SwapVariant(ctx, o.Number, l.Position, s.SKU.SKU, price, "property: swap")
			w.allow("swap", err, apperr.Conflict, apperr.Unavailable)
			w.subject(r, err)
			return true
		},
		"add_line": func() bool {
			o := w.order()
			if o == nil {
				return false
			}
			in := orders.LineInput{SKU: w.sku().SKU.SKU, Quantity: rapid.IntRange(1, 3).Draw(rt, "add_quantity"),
				Tax: eur(rapid.Int64Range(0, 100).Draw(rt, "add_tax"))}
			r, err := f.Orders.AddLine(ctx, o.Number, in, "property: add")
			w.allow("add line", err, apperr.Conflict, apperr.Unavailable)
			w.subject(r, err)
			return true
		},
		"remove_line": func() bool {
			o := w.order()
			if o == nil {
				return false
			}
			_, err := f.Orders.RemoveLine(ctx, o.Number, w.line(o).Position, "property: remove")
			w.allow("remove line", err, apperr.Conflict)
			return true
		},
		"edit_address": func() bool {
			o := w.order()
			if o == nil {
				return false
			}
			a := orderstest.Address()
			if rapid.Bool().Draw(rt, "bad_new_address") {
				a.PostalCode = "1234"
			}
			_, err := f.Orders.EditAddress(ctx, o.Number, a, "property: address")
			w.allow("edit address", err, apperr.Conflict)
			return true
		},
		"restock": func() bool {
			s := w.sku()
			_, err := f.Inventory.Report(ctx, s.Offer, w.reported(s)+rapid.IntRange(1, 6).Draw(rt, "restock"), time.Time{}, "property")
			w.allow("restock", err)
			return true
		},
		"adjust": func() bool {
			s := w.sku()
			d := rapid.IntRange(-4, 4).Draw(rt, "delta")
			d = max(d, -w.reported(s))
			if d == 0 {
				return false
			}
			_, err := f.Inventory.Adjust(ctx, inventory.AdjustInput{OfferID: s.Offer, Mode: inventory.KindAdd, Delta: &d, Reason: "property: adjust"}, "property")
			w.allow("adjust", err)
			return true
		},
		"buffer": func() bool {
			s := w.sku()
			err := f.Inventory.SetSKUBuffer(ctx, s.SKU.SKU, inventory.Buffer{Units: rapid.IntRange(0, 2).Draw(rt, "buffer_units")})
			w.allow("buffer", err)
			return true
		},
		"release_preorders": func() bool {
			f.Clock.Set(f.Clock.Now().Add(time.Duration(rapid.IntRange(1, 96).Draw(rt, "hours")) * time.Hour))
			_, err := f.Orders.ReleaseDuePreorders(ctx)
			w.allow("release pre-orders", err)
			w.released = true
			for id, p := range w.linePre {
				if p > 0 {
					w.subjects[id] = true
				}
			}
			return true
		},
		"hold": func() bool {
			o := w.order()
			if o == nil {
				return false
			}
			_, err := f.Orders.Hold(ctx, o.Number, "property: hold")
			w.allow("hold", err, apperr.Conflict)
			return true
		},
		"release_hold": func() bool {
			o := w.order()
			if o == nil || len(o.OpenHolds()) == 0 {
				return false
			}
			h := rapid.SampledFrom(o.OpenHolds()).Draw(rt, "hold")
			_, err := f.Orders.ReleaseHold(ctx, o.Number, h.ID, "property: checked")
			w.allow("release hold", err, apperr.Conflict)
			return true
		},
		"send": func() bool {
			o := w.order()
			if o == nil {
				return false
			}
			_, err := f.Orders.SendToSupplier(ctx, o.Number, nil, "")
			w.allow("send", err, apperr.Conflict)
			return true
		},
		"ship": func() bool {
			o := w.order()
			if o == nil {
				return false
			}
			_, err := f.Orders.Ship(ctx, o.Number, nil, "")
			w.allow("ship", err, apperr.Conflict)
			return true
		},
	}
}

func (w *world) reported(s *propSKU) int {
	var n int
	err := w.f.DB.R.QueryRowContext(w.ctx, `SELECT COALESCE((SELECT reported FROM stock_positions WHERE offer_id = $1), 0)`, s.Offer).Scan(&n)
	if err != nil {
		w.rt.Fatal(err)
	}
	return n
}

func inList[T any](xs []T) (string, []any) {
	ph := make([]string, len(xs))
	args := make([]any, len(xs))
	for i, x := range xs {
		ph[i], args[i] = "$"+strconv.Itoa(i+1), x
	}
	return strings.Join(ph, ", "), args
}

// query runs q with args and calls scan for each row.
func (w *world) query(q string, args []any, scan func(rows *sql.Rows) error) {
	w.rt.Helper()
	rows, err := w.f.DB.R.QueryContext(w.ctx, q, args...)
	if err != nil {
		w.rt.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			w.rt.Fatalf("%s: %v", q, err)
		}
	}
	if err := rows.Err(); err != nil {
		w.rt.Fatalf("%s: %v", q, err)
	}
}

type offerRow struct{ reported, buffer, reserved int }

// check reads the sequence's stock, pools, orders, lines, payments and new
// timeline entries and fails on any broken invariant.
func (w *world) check(step string) {
	rt := w.rt
	rt.Helper()
	fail := func(format string, args ...any) { rt.Fatalf("after %s: "+format, append([]any{step}, args...)...) }
	now := w.f.Clock.Now()

	// Stock: never negative; reservations are the rows that hold them; a
	// step that took stock leaves reserved ≤ reported − buffer (a supplier
	// reporting less than was sold can leave it above, but then nothing more
	// is reserved until it is back under).
	offerIDs, variantIDs := make([]int64, len(w.skus)), make([]int64, len(w.skus))
	for i, s := range w.skus {
		offerIDs[i], variantIDs[i] = s.Offer, s.Variant
	}
	ph, args := inList(offerIDs)
	offers := map[int64]offerRow{}
	w.query(`SELECT offer_id, reported, buffer, reserved FROM stock_positions WHERE offer_id IN (`+ph+`)`, args, func(r *sql.Rows) error {
		var id int64
		var o offerRow
		err := r.Scan(&id, &o.reported, &o.buffer, &o.reserved)
		offers[id] = o
		return err
	})
	held := map[int64]int{}
	w.query(`SELECT offer_id, SUM(quantity) FROM stock_reservations WHERE offer_id IN (`+ph+`) GROUP BY offer_id`, args, func(r *sql.Rows) error {
		var id int64
		var n int
		err := r.Scan(&id, &n)
		held[id] = n
		return err
	})
	for _, s := range w.skus {
		o := offers[s.Offer]
		if o.reported < 0 || o.buffer < 0 || o.reserved < 0 {
			fail("%s has negative stock: %+v", s.SKU.SKU, o)
		}
		if o.reserved != held[s.Offer] {
			fail("%s: reserved %d, reservation rows hold %d", s.SKU.SKU, o.reserved, held[s.Offer])
		}
		if o.reserved > w.reserved[s.Offer] && o.reserved > o.reported-o.buffer {
			fail("%s oversold: reserved %d of %d reported with a buffer of %d", s.SKU.SKU, o.reserved, o.reported, o.buffer)
		}
	}

	// Orders, lines, holds, payments.
	byOrder := map[int64]*orders.Order{}
	owner := map[int64]int64{}          // line → order
	lines := map[int64][]*orders.Line{} // variant → lines, by order and position
	if len(w.numbers) > 0 {
		ph, args := inList(w.numbers)
		w.query(`SELECT id, channel, state, shipping_amount, subtotal_amount, discount_amount, tax_amount, taxes_included,
			total_amount, charged_amount, refunded_amount FROM orders WHERE id IN (`+ph+`)`, args, func(r *sql.Rows) error {
			var o orders.Order
			err := r.Scan(&o.Number, &o.Channel, &o.State, &o.Shipping.Amount, &o.Subtotal.Amount, &o.Discount.Amount, &o.Tax.Amount,
				&o.TaxesIncluded, &o.Total.Amount, &o.Charged.Amount, &o.Refunded.Amount)
			byOrder[o.Number] = &o
			return err
		})
		var all []orders.Line
		w.query(`SELECT id, order_id, position, variant_id, sku, state, quantity, unit_price_amount, discount_amount, tax_amount,
			total_amount, refunded_amount, qty_reserved, qty_backordered, qty_preordered, qty_short, qty_shipped, qty_cancelled
			FROM order_lines WHERE order_id IN (`+ph+`) ORDER BY order_id, position`, args, func(r *sql.Rows) error {
			var l orders.Line
			var order int64
			err := r.Scan(&l.ID, &order, &l.Position, &l.VariantID, &l.SKU, &l.State, &l.Quantity, &l.UnitPrice.Amount, &l.Discount.Amount,
				&l.Tax.Amount, &l.Total.Amount, &l.Refunded.Amount, &l.Reserved, &l.Backordered, &l.Preordered, &l.Short, &l.Shipped, &l.Cancelled)
			all = append(all, l)
			owner[l.ID] = order
			return err
		})
		for _, l := range all {
			o := byOrder[owner[l.ID]]
			o.Lines = append(o.Lines, l)
		}
		openHolds := map[int64]int{}
		w.query(`SELECT order_id, COUNT(*) FROM order_holds WHERE released_at IS NULL AND order_id IN (`+ph+`) GROUP BY order_id`, args,
			func(r *sql.Rows) error {
				var id int64
				var n int
				err := r.Scan(&id, &n)
				openHolds[id] = n
				return err
			})
		paid := map[string]int64{} // "order/kind" → sum
		w.query(`SELECT order_id, kind, SUM(amount) FROM order_payments WHERE order_id IN (`+ph+`) GROUP BY order_id, kind`, args,
			func(r *sql.Rows) error {
				var id, sum int64
				var kind string
				err := r.Scan(&id, &kind, &sum)
				paid[fmt.Sprint(id, "/", kind)] = sum
				return err
			})
		refs := map[string]int{}
		vph, vargs := inList(variantIDs)
		w.query(`SELECT ref, SUM(quantity) FROM stock_reservations WHERE variant_id IN (`+vph+`) GROUP BY ref`, vargs, func(r *sql.Rows) error {
			var ref string
			var n int
			err := r.Scan(&ref, &n)
			refs[ref] = n
			return err
		})
		lineRefs := 0
		for _, n := range w.numbers {
			o := byOrder[n]
			var open bool
			var lineSum int64
			var subtotal, discount, tax int64
			for i := range o.Lines {
				l := &o.Lines[i]
				lines[l.VariantID] = append(lines[l.VariantID], l)
				if l.Reserved+l.Backordered+l.Preordered+l.Short+l.Shipped+l.Cancelled != l.Quantity {
					fail("order %d line %d: buckets do not sum to its quantity: %+v", n, l.Position, *l)
				}
				ref := fmt.Sprintf("order:%d/line:%d", n, l.Position)
				if refs[ref] != l.Reserved {
					fail("order %d line %d: %d reserved, its reservation rows hold %d", n, l.Position, l.Reserved, refs[ref])
				}
				if refs[ref] > 0 {
					lineRefs++
				}
				want := l.UnitPrice.Amount*int64(l.Quantity) - l.Discount.Amount
				if !o.TaxesIncluded {
					want += l.Tax.Amount
				}
				if l.Total.Amount != want {
					fail("order %d line %d: total %d, want unit × quantity − discount (+ tax) = %d", n, l.Position, l.Total.Amount, want)
				}
				if l.Refunded.Amount < 0 || l.Refunded.Amount > l.Total.Amount || (l.Cancelled == l.Quantity) != (l.State == orders.LineCancelled) ||
					(l.Cancelled == l.Quantity && l.Refunded != l.Total) {
					fail("order %d line %d: refunded %d of %d with %d of %d units cancelled (%s)", n, l.Position, l.Refunded.Amount,
						l.Total.Amount, l.Cancelled, l.Quantity, l.State)
				}
				if derived := orders.LineStateOf(l, l.State == orders.LineSentToSupplier, l.State == orders.LineDelivered); derived != l.State {
					fail("order %d line %d is %s, its units say %s: %+v", n, l.Position, l.State, derived, *l)
				}
				open = open || l.State != orders.LineCancelled
				lineSum += l.Total.Amount - l.Refunded.Amount
				subtotal += l.UnitPrice.Amount * int64(l.Quantity)
				discount += l.Discount.Amount
				tax += l.Tax.Amount
			}
			if derived := orders.DeriveState(o.Lines, openHolds[n]); derived != o.State {
				fail("order %d is %s, its lines and %d open holds say %s", n, o.State, openHolds[n], derived)
			}
			// Money: charged − refunded = total = what the open units are
			// worth + shipping (refunded with the last line).
			if open {
				lineSum += o.Shipping.Amount
			}
			charges, refunds := paid[fmt.Sprint(n, "/charge")], paid[fmt.Sprint(n, "/refund")]
			switch {
			case o.Charged.Amount-o.Refunded.Amount != o.Total.Amount:
				fail("order %d: charged %d − refunded %d ≠ total %d", n, o.Charged.Amount, o.Refunded.Amount, o.Total.Amount)
			case o.Total.Amount != lineSum:
				fail("order %d: total %d, its lines and shipping are worth %d", n, o.Total.Amount, lineSum)
			case o.Charged.Amount != w.placed[n]+charges || o.Refunded.Amount != refunds:
				fail("order %d: charged %d (placed %d + charges %d), refunded %d (refunds %d)", n, o.Charged.Amount, w.placed[n], charges,
					o.Refunded.Amount, refunds)
			case !open && (o.Total.Amount != 0 || o.State != orders.Cancelled):
				fail("order %d: every line cancelled but total %d, state %s", n, o.Total.Amount, o.State)
			case o.Subtotal.Amount != subtotal || o.Discount.Amount != discount || o.Tax.Amount != tax:
				fail("order %d: subtotal/discount/tax %d/%d/%d, lines say %d/%d/%d", n, o.Subtotal.Amount, o.Discount.Amount,
					o.Tax.Amount, subtotal, discount, tax)
			}
		}
		if got := len(refs); got != lineRefs {
			fail("%d references hold stock of these SKUs, %d of them lines of these orders", got, lineRefs)
		}
	}

	// Pools: the counters are the lines' units; pre-orders stay within the
	// global and channel caps. The backorder pool may pass its limit only by
	// units a pre-order release put there (promised before). The pool is one
	// counter, so once units are filled or cancelled nobody can tell released
	// units from others; what is guaranteed, and checked, is that any other
	// step that grows the pool leaves it within the limit.
	pols, err := w.f.Inventory.Policies(w.ctx, w.f.DB.R, variantIDs)
	if err != nil {
		rt.Fatal(err)
	}
	for _, s := range w.skus {
		p := pols[s.Variant]
		var back, pre int
		chanPre := map[string]int{}
		waiting := false
		for _, l := range lines[s.Variant] {
			back += l.Backordered
			pre += l.Preordered
			chanPre[byOrder[owner[l.ID]].Channel] += l.Preordered
			waiting = waiting || l.Backordered+l.Short > 0
			if p.IsPreorder(now) && l.Reserved > 0 {
				fail("%s is not released yet but line %d holds %d reserved units", s.SKU.SKU, l.ID, l.Reserved)
			}
		}
		if p.Backordered != back || p.Preordered != pre {
			fail("%s: pools backordered %d / pre-ordered %d, lines say %d / %d", s.SKU.SKU, p.Backordered, p.Preordered, back, pre)
		}
		if p.Backordered > p.BackorderLimit && p.Backordered > w.pool[s.Variant] && !w.released {
			fail("%s: %d units backordered, limit %d (and %d before the step)", s.SKU.SKU, p.Backordered, p.BackorderLimit, w.pool[s.Variant])
		}
		if p.Preordered > p.PreorderCap {
			fail("%s: %d pre-ordered, cap %d", s.SKU.SKU, p.Preordered, p.PreorderCap)
		}
		for _, c := range p.ChannelCaps {
			if c.Taken != chanPre[c.Channel] || c.Taken > c.Cap {
				fail("%s: channel %s took %d of its cap %d, its lines hold %d", s.SKU.SKU, c.Channel, c.Taken, c.Cap, chanPre[c.Channel])
			}
		}
		// Stock is never left idle while a line of a released SKU waits for it.
		o := offers[s.Offer]
		if ats := max(0, o.reported-o.buffer-o.reserved); waiting && ats > 0 && !p.IsPreorder(now) {
			fail("%s: %d units available while lines wait for it", s.SKU.SKU, ats)
		}
		// Arrival order: a line given stock by a restock (or stock freed
		// elsewhere) never passes an earlier line of the SKU that still waits.
		for _, l := range lines[s.Variant] {
			if _, seen := w.lineRes[l.ID]; !seen || l.Reserved <= w.lineRes[l.ID] || w.subjects[l.ID] {
				continue // a new line, or one the step itself took stock for
			}
			for _, e := range lines[s.Variant] {
				if e.ID < l.ID && e.Backordered+e.Short > 0 {
					fail("%s: line %d got %d units while the earlier line %d still waits (%d backordered, %d short)",
						s.SKU.SKU, l.ID, l.Reserved-w.lineRes[l.ID], e.ID, e.Backordered, e.Short)
				}
			}
		}
	}

	// Timeline: every state change is recorded, each is a legal move, and
	// the last recorded state is the order's state.
	if len(w.numbers) > 0 {
		ph, args := inList(w.numbers)
		args = append(args, w.seen)
		w.query(`SELECT id, order_id, event, from_state, to_state, detail FROM order_timeline
			WHERE order_id IN (`+ph+`) AND id > $`+strconv.Itoa(len(args))+` ORDER BY id`, args, func(r *sql.Rows) error {
			var id, n int64
			var event, from, to, detail string
			if err := r.Scan(&id, &n, &event, &from, &to, &detail); err != nil {
				return err
			}
			w.seen = max(w.seen, id)
			if to != "" {
				switch {
				case from == "" && event != "placed":
					fail("order %d entry %d (%s) moves to %s from nowhere", n, id, event, to)
				case from != "" && from != w.state[n]:
					fail("order %d entry %d (%s) moves from %s, but the order was %s", n, id, event, from, w.state[n])
				case from != "" && !orders.CanMove(orders.State(from), orders.State(to)):
					fail("order %d entry %d (%s): illegal move %s → %s", n, id, event, from, to)
				}
				w.state[n] = to
			}
			var d struct {
				From string `json:"line_from"`
				To   string `json:"line_to"`
			}
			if json.Unmarshal([]byte(detail), &d) == nil && d.From != "" && !orders.CanMoveLine(orders.LineState(d.From), orders.LineState(d.To)) {
				fail("order %d entry %d (%s): illegal line move %s → %s", n, id, event, d.From, d.To)
			}
			return nil
		})
		for _, n := range w.numbers {
			if w.state[n] != string(byOrder[n].State) {
				fail("order %d is %s but its timeline last said %q", n, byOrder[n].State, w.state[n])
			}
		}
	}

	// What the next step starts from.
	for _, s := range w.skus {
		w.reserved[s.Offer] = offers[s.Offer].reserved
		w.pool[s.Variant] = pols[s.Variant].Backordered
		for _, l := range lines[s.Variant] {
			w.lineRes[l.ID], w.linePre[l.ID] = l.Reserved, l.Preordered
		}
	}
}
