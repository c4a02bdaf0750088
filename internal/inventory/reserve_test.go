package inventory_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// twoOffers makes a SKU with two active offers: "first" (priority 1) and
// "second" (priority 2), created so that second has the lower offer id.
func twoOffers(f *fixture, sku string, firstQty, secondQty int) (v, first, second int64) {
	v = f.variant(sku)
	second = f.offer(f.supplier("active"), v, 2, "active")
	first = f.offer(f.supplier("active"), v, 1, "active")
	f.report(first, firstQty)
	f.report(second, secondQty)
	return v, first, second
}

func TestReservePriorityAndRelease(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v, first, second := twoOffers(f, "MUG-1", 5, 6)
		got, err := f.reserve(inventory.Request{VariantID: v, Quantity: 7, Ref: "order:1/line:1"})
		if err != nil {
			t.Fatal(err)
		}
		want := []inventory.Reservation{{Ref: "order:1/line:1", VariantID: v, Quantity: 7,
			Allocations: []inventory.Allocation{{OfferID: first, Quantity: 5}, {OfferID: second, Quantity: 2}}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("reservation (-want +got):\n%s", diff)
		}
		if n := f.ats(v); n != 4 {
			t.Errorf("ATS after reserving 7 of 11 = %d, want 4", n)
		}
		if _, _, r := f.position(first); r != 5 {
			t.Errorf("reserved on first offer = %d, want 5", r)
		}
		held, err := f.svc.Reserved(context.Background(), db.R, "order:1/line:1")
		if err != nil || len(held) != 2 {
			t.Errorf("Reserved = %v, %v; want two allocations", held, err)
		}
		if n := f.release("order:1/line:1"); n != 7 {
			t.Errorf("release freed %d, want 7", n)
		}
		if n := f.ats(v); n != 11 {
			t.Errorf("ATS after release = %d, want 11", n)
		}
		if n := f.release("order:1/line:1"); n != 0 {
			t.Errorf("second release freed %d, want 0", n)
		}
	})
}

func TestReserveAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a, _, _ := twoOffers(f, "A-1", 3, 3)
		b, _, _ := twoOffers(f, "B-1", 1, 1)
		_, err := f.reserve(
			inventory.Request{VariantID: a, Quantity: 4, Ref: "order:2/line:1"},
			inventory.Request{VariantID: b, Quantity: 3, Ref: "order:2/line:2"},
		)
		if !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("err = %v, want unavailable", err)
		}
		var se *inventory.ShortageError
		if !errors.As(err, &se) {
			t.Fatalf("err %v does not carry a ShortageError", err)
		}
		want := []inventory.Shortage{{VariantID: b, SKU: "B-1", Wanted: 3, Available: 2}}
		if diff := cmp.Diff(want, se.Shortages); diff != "" {
			t.Errorf("shortages (-want +got):\n%s", diff)
		}
		if f.ats(a) != 6 || f.ats(b) != 2 {
			t.Errorf("ATS after refused order = %d, %d; want 6, 2 (nothing reserved)", f.ats(a), f.ats(b))
		}
		var n int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM stock_reservations`).Scan(&n); err != nil || n != 0 {
			t.Errorf("reservation rows = %d, %v; want 0", n, err)
		}
		// The same variant twice in one call draws from one pool.
		_, err = f.reserve(
			inventory.Request{VariantID: a, Quantity: 4, Ref: "order:3/line:1"},
			inventory.Request{VariantID: a, Quantity: 3, Ref: "order:3/line:2"},
		)
		if !errors.As(err, &se) || se.Shortages[0].Available != 2 {
			t.Errorf("err = %v, want a shortage of line 2 with 2 available", err)
		}
	})
}

func TestReservePartialAndErrors(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v, _, _ := twoOffers(f, "P-1", 2, 1)
		got, err := f.reserve(inventory.Request{VariantID: v, Quantity: 5, Ref: "order:4/line:1", Partial: true})
		if err != nil || got[0].Quantity != 3 {
			t.Fatalf("partial reserve = %+v, %v; want 3 units", got, err)
		}
		got, err = f.reserve(inventory.Request{VariantID: v, Quantity: 5, Ref: "order:5/line:1", Partial: true})
		if err != nil || got[0].Quantity != 0 || len(got[0].Allocations) != 0 {
			t.Errorf("partial reserve of nothing = %+v, %v; want 0 units", got, err)
		}
		for _, tc := range []struct {
			req  inventory.Request
			code apperr.Code
		}{
			{inventory.Request{VariantID: 999999, Quantity: 1, Ref: "x"}, apperr.NotFound},
			{inventory.Request{VariantID: v, Quantity: 0, Ref: "x"}, apperr.Invalid},
			{inventory.Request{VariantID: v, Quantity: -2, Ref: "x"}, apperr.Invalid},
			{inventory.Request{VariantID: v, Quantity: 1, Ref: ""}, apperr.Invalid},
			{inventory.Request{VariantID: v, Quantity: 1, Ref: "x"}, apperr.Unavailable},
		} {
			if _, err := f.reserve(tc.req); !apperr.Is(err, tc.code) {
				t.Errorf("reserve %+v: err = %v, want %s", tc.req, err, tc.code)
			}
		}
	})
}

func TestConsume(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.variant("C-1")
		o := f.offer(f.supplier("active"), v, 1, "active")
		if err := f.svc.SetSKUBuffer(ctx, "C-1", inventory.Buffer{Percent: 1000}); err != nil {
			t.Fatal(err)
		}
		f.report(o, 20) // buffer 2, ATS 18
		if _, err := f.reserve(inventory.Request{VariantID: v, Quantity: 11, Ref: "order:6/line:1"}); err != nil {
			t.Fatal(err)
		}
		var n int
		staff := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindStaff, ID: 3, Name: "ana@example.com", Role: auth.Operations})
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = f.svc.Consume(staff, tx, "order:6/line:1")
			return err
		})
		if err != nil || n != 11 {
			t.Fatalf("consume = %d, %v; want 11", n, err)
		}
		rep, buf, res := f.position(o)
		if rep != 9 || buf != 1 || res != 0 {
			t.Errorf("position after consume = reported %d, buffer %d, reserved %d; want 9, 1, 0", rep, buf, res)
		}
		if f.ats(v) != 8 {
			t.Errorf("ATS after consume = %d, want 8", f.ats(v))
		}
		adj, _, err := f.svc.Adjustments(ctx, inventory.AdjustmentFilter{OfferID: o})
		if err != nil || len(adj) != 2 || adj[0].Kind != inventory.KindConsume || adj[0].Delta != -11 || adj[0].Actor != "staff:3 ana@example.com" {
			t.Errorf("adjustments = %+v, %v; want a consume of -11 by staff:3 first", adj, err)
		}
		if n := f.release("order:6/line:1"); n != 0 {
			t.Errorf("release after consume freed %d, want 0", n)
		}
	})
}

// TestReserveConcurrent races 50 goroutines for 10 units spread over two
// offers: exactly 10 reservations of one unit succeed.
func TestReserveConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v, first, second := twoOffers(f, "RACE-1", 4, 6)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, unavailable := 0, 0
		var other []error
		for i := range 50 {
			wg.Go(func() {
				_, err := f.reserve(inventory.Request{VariantID: v, Quantity: 1, Ref: fmt.Sprintf("race:%d", i)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Unavailable):
					unavailable++
				default:
					other = append(other, err)
				}
			})
		}
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("unexpected errors: %v", other)
		}
		if ok != 10 || unavailable != 40 {
			t.Errorf("succeeded %d, unavailable %d; want 10 and 40", ok, unavailable)
		}
		if n := f.ats(v); n != 0 {
			t.Errorf("ATS after the race = %d, want 0", n)
		}
		for _, o := range []int64{first, second} {
			rep, buf, res := f.position(o)
			if res != rep-buf {
				t.Errorf("offer %d: reserved %d, want exactly its limit %d", o, res, rep-buf)
			}
		}
	})
}

// TestReserveConcurrentRandom races goroutines reserving random quantities,
// several lines at once: nothing is oversold and every refusal was right.
func TestReserveConcurrentRandom(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a, _, _ := twoOffers(f, "RND-A", 7, 8)
		b, _, _ := twoOffers(f, "RND-B", 5, 5)
		const total = 15 + 10
		var wg sync.WaitGroup
		var mu sync.Mutex
		reservedSum, refused := 0, false
		for i := range 40 {
			qa, qb := 1+rand.IntN(4), 1+rand.IntN(3)
			wg.Go(func() {
				// Lines in both orders, so lock ordering matters on PostgreSQL.
				reqs := []inventory.Request{
					{VariantID: a, Quantity: qa, Ref: fmt.Sprintf("rnd:%d/a", i)},
					{VariantID: b, Quantity: qb, Ref: fmt.Sprintf("rnd:%d/b", i)},
				}
				if i%2 == 1 {
					reqs[0], reqs[1] = reqs[1], reqs[0]
				}
				_, err := f.reserve(reqs...)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					reservedSum += qa + qb
				case apperr.Is(err, apperr.Unavailable):
					refused = true
				default:
					t.Errorf("reserve: %v", err)
				}
			})
		}
		wg.Wait()
		var rows int
		if err := db.R.QueryRow(`SELECT COALESCE(SUM(reserved), 0) FROM stock_positions`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != reservedSum || reservedSum > total {
			t.Errorf("positions hold %d reserved, successful requests %d, stock %d", rows, reservedSum, total)
		}
		if got := f.ats(a) + f.ats(b); got != total-reservedSum {
			t.Errorf("ATS = %d, want %d", got, total-reservedSum)
		}
		// Available stock only shrinks, so a refusal means that at the end at
		// least one of its two lines still cannot be met.
		if refused && f.ats(a) >= 4 && f.ats(b) >= 3 {
			t.Errorf("a request was refused but ATS is still %d and %d", f.ats(a), f.ats(b))
		}
	})
}
