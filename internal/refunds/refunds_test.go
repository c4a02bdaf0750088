package refunds_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/refunds"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func eur(t *testing.T, s string) money.Money {
	t.Helper()
	m, err := money.Parse(s, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// scenario places an order of 3 MUG-1 and 1 TEE-1 at 10.00 with 1.00 off the
// order and 4.90 shipping (43.90 charged), cancels one mug (refund A, at T0)
// and then the rest (refund B with the shipping, a day later).
func scenario(t *testing.T, f *orderstest.Fixture) (order int64, a, b int64) {
	t.Helper()
	ctx := context.Background()
	f.AddSKU("MUG-1", 10)
	f.AddSKU("TEE-1", 10)
	in := orderstest.Input("ana@example.com", "MUG-1", 3, "TEE-1", 1)
	in.Channel, in.ExternalID = "shopify", "5551"
	in.Shipping, in.Discount = eur(t, "4.90"), eur(t, "1.00")
	res, err := f.Orders.Place(ctx, in)
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	order = res.Order.Number
	if res.Order.Total != eur(t, "43.90") {
		t.Fatalf("order total %s, want 43.90 EUR", res.Order.Total)
	}
	if _, err := f.Orders.Cancel(ctx, order, orders.CancelInput{Lines: []orders.LineQuantity{{Line: 1, Quantity: 1}},
		Reason: "one mug out of stock"}); err != nil {
		t.Fatalf("cancel a mug: %v", err)
	}
	f.Clock.Set(orderstest.T0.Add(24 * time.Hour))
	if _, err := f.Orders.Cancel(ctx, order, orders.CancelInput{Reason: "=1+1 customer asked"}); err != nil {
		t.Fatalf("cancel the rest: %v", err)
	}
	pays, err := f.Orders.Payments(ctx, order)
	if err != nil || len(pays) != 2 {
		t.Fatalf("payments = %+v, %v", pays, err)
	}
	return order, pays[0].ID, pays[1].ID
}

func TestRefundStates(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			f := orderstest.New(t, storetest.Open(t, e), orders.Options{})
			order, a, b := scenario(t, f)
			f.Clock.Set(orderstest.T0.Add(48 * time.Hour))
			svc := refunds.New(f.DB, f.Orders, f.Clock.Now)

			all, err := svc.List(ctx, refunds.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 2 || all[0].ID != a || all[1].ID != b {
				t.Fatalf("List = %+v", all)
			}
			var sum int64
			for _, r := range all {
				if r.State != refunds.Pending || r.IssuedAt != nil || r.Order != order || r.Email != "ana@example.com" || r.ExternalID != "5551" {
					t.Errorf("refund = %+v", r)
				}
				var parts int64
				for _, p := range r.Parts {
					parts += p.Amount.Amount
				}
				if parts != r.Amount.Amount {
					t.Errorf("refund %d: parts sum to %d, amount %d", r.ID, parts, r.Amount.Amount)
				}
				sum += r.Amount.Amount
			}
			if sum != 4390 {
				t.Fatalf("refunds sum to %d, want the 43.90 charged", sum)
			}
			if p := all[0].Parts; len(p) != 1 || p[0].Line != 1 || p[0].SKU != "MUG-1" || p[0].Units != 1 || p[0].Amount != eur(t, "9.75") {
				t.Errorf("parts of A = %+v", p)
			}

			staff := auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindStaff, ID: 3, Name: "ana@shop.example", Role: auth.Owner})
			r, err := svc.MarkIssued(staff, a, " re_3Nq8 ")
			if err != nil {
				t.Fatalf("mark issued: %v", err)
			}
			if r.State != refunds.Issued || r.ProviderRef != "re_3Nq8" || r.IssuedBy != "staff:3 ana@shop.example" ||
				!r.IssuedAt.Equal(orderstest.T0.Add(48*time.Hour)) {
				t.Fatalf("issued = %+v", r)
			}
			// Twice: refused, and the first issue stands.
			f.Clock.Set(orderstest.T0.Add(72 * time.Hour))
			_, err = svc.MarkIssued(ctx, a, "re_other")
			if !apperr.Is(err, apperr.Conflict) || !strings.Contains(err.Error(), "by staff:3 ana@shop.example") {
				t.Fatalf("second issue = %v, want a conflict naming the first", err)
			}
			// A bulk with an issued refund changes nothing.
			if _, err := svc.MarkIssuedBulk(ctx, []int64{b, a}, "batch-7"); !apperr.Is(err, apperr.Conflict) {
				t.Fatalf("bulk with an issued refund = %v", err)
			}
			if got, _ := svc.Get(ctx, b); got.State != refunds.Pending {
				t.Fatalf("bulk that failed issued %d: %+v", b, got)
			}
			if got, _ := svc.Get(ctx, a); got.ProviderRef != "re_3Nq8" {
				t.Fatalf("refund A changed: %+v", got)
			}
			for _, ids := range [][]int64{{}, {b, b}} {
				if _, err := svc.MarkIssuedBulk(ctx, ids, ""); !apperr.Is(err, apperr.Invalid) {
					t.Errorf("bulk %v = %v, want invalid", ids, err)
				}
			}
			if _, err := svc.MarkIssuedBulk(ctx, []int64{b, 99999}, ""); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("bulk with an unknown refund = %v", err)
			}
			if _, err := svc.MarkIssued(ctx, a, strings.Repeat("x", 201)); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("long provider ref = %v", err)
			}
			done, err := svc.MarkIssuedBulk(ctx, []int64{b}, "batch-7")
			if err != nil || len(done) != 1 || done[0].State != refunds.Issued {
				t.Fatalf("bulk = %+v, %v", done, err)
			}

			check := func(f refunds.Filter, want ...int64) {
				t.Helper()
				got, err := svc.List(ctx, f)
				if err != nil {
					t.Fatalf("List(%+v): %v", f, err)
				}
				var ids []int64
				for _, r := range got {
					ids = append(ids, r.ID)
				}
				if fmt.Sprint(ids) != fmt.Sprint(want) {
					t.Fatalf("List(%+v) = %v, want %v", f, ids, want)
				}
			}
			check(refunds.Filter{State: refunds.Issued}, a, b)
			check(refunds.Filter{State: refunds.Pending})
			check(refunds.Filter{From: orderstest.T0.Add(time.Hour)}, b)
			check(refunds.Filter{To: orderstest.T0.Add(time.Hour)}, a)
			check(refunds.Filter{Order: order + 1})
			check(refunds.Filter{After: a}, b)
			if _, err := svc.List(ctx, refunds.Filter{State: "paid"}); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("bad state = %v", err)
			}
		})
	}
}

func TestRefundsCSV(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			f := orderstest.New(t, storetest.Open(t, e), orders.Options{})
			order, a, b := scenario(t, f)
			svc := refunds.New(f.DB, f.Orders, f.Clock.Now)
			if _, err := svc.MarkIssued(ctx, a, "re_1"); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := svc.WriteCSV(ctx, &buf, refunds.Filter{}); err != nil {
				t.Fatal(err)
			}
			want := "refund_id,order_number,external_id,customer_email,amount,currency,breakdown,reason,created_at,state,issued_at,provider_ref\n" +
				fmt.Sprintf("%d,%d,5551,ana@example.com,9.75,EUR,line 1 MUG-1 x1 9.75,one mug out of stock,2026-03-02T09:30:00Z,issued,2026-03-03T09:30:00Z,re_1\n", a, order) +
				fmt.Sprintf("%d,%d,5551,ana@example.com,34.15,EUR,line 1 MUG-1 x2 19.50; line 2 TEE-1 x1 9.75; shipping 4.90,'=1+1 customer asked,2026-03-03T09:30:00Z,pending,,\n", b, order)
			if buf.String() != want {
				t.Fatalf("CSV:\n%s\nwant:\n%s", buf.String(), want)
			}
			// The rows parse, and their amounts sum to the refunds (43.90).
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for _, row := range rows[1:] {
				m, err := money.Parse(row[4], row[5])
				if err != nil {
					t.Fatal(err)
				}
				sum += m.Amount
			}
			if sum != 4390 {
				t.Fatalf("CSV amounts sum to %d", sum)
			}
			buf.Reset()
			if err := svc.WriteCSV(ctx, &buf, refunds.Filter{State: refunds.Pending}); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(buf.String(), "\n"); n != 2 {
				t.Fatalf("pending CSV has %d lines:\n%s", n, buf.String())
			}
		})
	}
}
