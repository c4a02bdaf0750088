package refunds_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/refunds"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// issuedEntries returns the refund_issued entries of an order's timeline.
func issuedEntries(t *testing.T, f *orderstest.Fixture, order int64) []orders.Entry {
	t.Helper()
	tl, err := f.Orders.Timeline(context.Background(), order)
	if err != nil {
		t.Fatal(err)
	}
	var out []orders.Entry
	for _, e := range tl {
		if e.Event == orders.EntryRefundIssued {
			out = append(out, e)
		}
	}
	return out
}

// refundEvents returns the timeline entries that the order.refund_issued
// events enqueued for an order carry, oldest first.
func refundEvents(t *testing.T, db *store.DB, order int64) []int64 {
	t.Helper()
	args := "args::text"
	if db.Engine == store.SQLite {
		args = "json(args)" // JSONB on SQLite
	}
	rows, err := db.R.QueryContext(context.Background(), `SELECT `+args+` FROM river_job WHERE kind = 'order_event' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var a orders.EventArgs
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		if a.Order == order && a.Event == orders.EventRefundIssued {
			out = append(out, a.Entry)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkEntry checks a refund_issued entry: who, the refund and its amount as
// money, the provider's reference, when.
func checkEntry(t *testing.T, e orders.Entry, who string, payment int64, amount, ref string, at time.Time) {
	t.Helper()
	var d struct {
		Payment     int64        `json:"payment"`
		Refund      *money.Money `json:"refund"`
		ProviderRef *string      `json:"provider_ref"`
	}
	if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
		t.Fatalf("entry %d detail %q: %v", e.ID, e.Detail, err)
	}
	m, err := money.Parse(amount, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	reason := fmt.Sprintf("refund %d issued: %s EUR", payment, amount)
	if ref != "" {
		reason += ", provider reference " + ref
	}
	if e.Actor != who || d.Payment != payment || d.Refund == nil || *d.Refund != m || e.Reason != reason || !e.At.Equal(at) {
		t.Errorf("entry = %+v (detail %s), want by %s, refund %d of %s EUR, reason %q, at %s", e, e.Detail, who, payment, amount, reason, at)
	}
	switch {
	case ref == "" && d.ProviderRef != nil:
		t.Errorf("entry %d has provider_ref %q, none was given", e.ID, *d.ProviderRef)
	case ref != "" && (d.ProviderRef == nil || *d.ProviderRef != ref):
		t.Errorf("entry %d detail %s, want provider_ref %q", e.ID, e.Detail, ref)
	}
}

// failingTimeline records through the orders service, but fails for one
// refund: the bulk it is in must leave nothing behind.
type failingTimeline struct {
	*orders.Service
	fail int64
}

func (f failingTimeline) RefundIssuedTx(ctx context.Context, tx *sql.Tx, order, payment int64, amount money.Money, ref, who string) (int64, error) {
	if payment == f.fail {
		return 0, errors.New("timeline unavailable")
	}
	return f.Service.RefundIssuedTx(ctx, tx, order, payment, amount, ref, who)
}

// TestRefundIssuedOnTimeline: marking refunds issued puts one refund_issued
// entry per refund on the order's timeline, with the staff member, the
// amount as exact money and the provider's reference, and enqueues
// order.refund_issued carrying it; a bulk that fails (an unknown refund, an
// issued one, the timeline itself) leaves no entry and no refund issued.
func TestRefundIssuedOnTimeline(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			f := orderstest.New(t, storetest.Open(t, e), orders.Options{})
			order, a, b := scenario(t, f) // a: 9.75 EUR, b: 34.15 EUR
			at := orderstest.T0.Add(48 * time.Hour)
			f.Clock.Set(at)
			svc := refunds.New(f.DB, f.Orders, f.Clock.Now)
			staff := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindStaff, ID: 3, Name: "ana@shop.example", Role: auth.Finance})
			const who = "staff:3 ana@shop.example"
			stateBefore := func() string {
				o, err := f.Orders.Get(ctx, order)
				if err != nil {
					t.Fatal(err)
				}
				return string(o.State)
			}()

			// An unknown refund in the bulk: nothing issued, no entry.
			if _, err := svc.MarkIssuedBulk(staff, []int64{a, b, 99999}, "payout 7"); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("bulk with an unknown refund = %v", err)
			}
			// The timeline fails on the second refund, after the first was
			// marked and recorded: both are undone.
			failing := refunds.New(f.DB, failingTimeline{Service: f.Orders, fail: b}, f.Clock.Now)
			if _, err := failing.MarkIssuedBulk(staff, []int64{a, b}, "payout 7"); err == nil {
				t.Fatal("bulk whose timeline failed succeeded")
			}
			if es := issuedEntries(t, f, order); len(es) != 0 {
				t.Fatalf("failed bulks left entries: %+v", es)
			}
			if ev := refundEvents(t, f.DB, order); len(ev) != 0 {
				t.Fatalf("failed bulks left events for entries %v", ev)
			}
			for _, id := range []int64{a, b} {
				if r, err := svc.Get(ctx, id); err != nil || r.State != refunds.Pending {
					t.Fatalf("refund %d after failed bulks: %+v, %v", id, r, err)
				}
			}

			// One refund, through the single path.
			if _, err := svc.MarkIssued(staff, a, " re_3Nq8 "); err != nil {
				t.Fatal(err)
			}
			es := issuedEntries(t, f, order)
			if len(es) != 1 {
				t.Fatalf("entries after one issue: %+v", es)
			}
			checkEntry(t, es[0], who, a, "9.75", "re_3Nq8", at)
			if es[0].FromState != stateBefore || es[0].ToState != stateBefore {
				t.Errorf("entry states %q → %q, want the order's %q unchanged", es[0].FromState, es[0].ToState, stateBefore)
			}

			// A bulk with the issued refund: refused, no new entry.
			if _, err := svc.MarkIssuedBulk(staff, []int64{b, a}, "payout 7"); !apperr.Is(err, apperr.Conflict) {
				t.Fatalf("bulk with an issued refund = %v", err)
			}
			if es := issuedEntries(t, f, order); len(es) != 1 {
				t.Fatalf("refused bulk changed the entries: %+v", es)
			}

			// The bulk path, by an API token, without a reference.
			f.Clock.Set(at.Add(time.Hour))
			token := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindToken, ID: 9, Name: "payouts", Role: auth.Finance})
			if _, err := svc.MarkIssuedBulk(token, []int64{b}, ""); err != nil {
				t.Fatal(err)
			}
			es = issuedEntries(t, f, order)
			if len(es) != 2 {
				t.Fatalf("entries after the bulk: %+v", es)
			}
			checkEntry(t, es[1], "token:9 payouts", b, "34.15", "", at.Add(time.Hour))

			// Each entry has its order.refund_issued event.
			if ev := refundEvents(t, f.DB, order); fmt.Sprint(ev) != fmt.Sprint([]int64{es[0].ID, es[1].ID}) {
				t.Errorf("order.refund_issued events carry entries %v, want %d and %d", ev, es[0].ID, es[1].ID)
			}
		})
	}
}

// TestBulkIssueOnePerRefund: a bulk over refunds of two orders writes one
// entry per refund on each refund's own order, all with the bulk's
// reference.
func TestBulkIssueOnePerRefund(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			f := orderstest.New(t, storetest.Open(t, e), orders.Options{})
			first, a, b := scenario(t, f)
			placed, err := f.Orders.Place(ctx, orderstest.Input("bia@example.com", "MUG-1", 1))
			if err != nil {
				t.Fatal(err)
			}
			second := placed.Order.Number
			if _, err := f.Orders.Cancel(ctx, second, orders.CancelInput{Reason: "changed her mind"}); err != nil {
				t.Fatal(err)
			}
			pays, err := f.Orders.Payments(ctx, second)
			if err != nil || len(pays) != 1 {
				t.Fatalf("payments of %d: %+v, %v", second, pays, err)
			}
			c := pays[0].ID
			svc := refunds.New(f.DB, f.Orders, f.Clock.Now)
			staff := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindStaff, ID: 4, Name: "rui@shop.example", Role: auth.Finance})
			done, err := svc.MarkIssuedBulk(staff, []int64{c, b, a}, "payout 2026-11-24")
			if err != nil || len(done) != 3 {
				t.Fatalf("bulk = %+v, %v", done, err)
			}
			now := f.Clock.Now()
			es := issuedEntries(t, f, first)
			if len(es) != 2 {
				t.Fatalf("entries of order %d: %+v", first, es)
			}
			checkEntry(t, es[0], "staff:4 rui@shop.example", a, "9.75", "payout 2026-11-24", now)
			checkEntry(t, es[1], "staff:4 rui@shop.example", b, "34.15", "payout 2026-11-24", now)
			es = issuedEntries(t, f, second)
			if len(es) != 1 {
				t.Fatalf("entries of order %d: %+v", second, es)
			}
			checkEntry(t, es[0], "staff:4 rui@shop.example", c, "10.00", "payout 2026-11-24", now)
		})
	}
}
