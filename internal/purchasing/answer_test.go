package purchasing

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestAnswer(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		b := f.supplier("Beta", "Europe/Rome")
		a := f.order(f.Supplier, 5, eur(200))
		f.add(a, f.order(b, 1, eur(100)))
		po, _ := f.svc.Get(ctx, f.Supplier, 5001)
		line := po.Lines[0].ID
		if _, err := f.svc.Answer(ctx, f.Supplier, line, 1, 0, ""); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("answer before sending: %v, want conflict", err)
		}
		if _, err := f.svc.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		beta, _ := f.svc.Get(ctx, b, 5002)
		bad := []struct {
			name     string
			sup, id  int64
			acc, rej int
			reason   string
			code     apperr.Code
		}{
			{"other supplier's line", f.Supplier, beta.Lines[0].ID, 1, 0, "", apperr.NotFound},
			{"line of mine for another supplier", b, line, 1, 0, "", apperr.NotFound},
			{"nothing", f.Supplier, line, 0, 0, "", apperr.Invalid},
			{"negative", f.Supplier, line, -1, 2, "x", apperr.Invalid},
			{"reject without reason", f.Supplier, line, 0, 1, " ", apperr.Invalid},
			{"too many", f.Supplier, line, 4, 2, "gone", apperr.Conflict},
		}
		for _, c := range bad {
			if _, err := f.svc.Answer(ctx, c.sup, c.id, c.acc, c.rej, c.reason); !apperr.Is(err, c.code) {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
		}
		if len(f.rr.got) != 0 {
			t.Fatalf("rerouted on a refused answer: %+v", f.rr.got)
		}
		// Partial answer: 3 accepted, 1 rejected, 1 still pending.
		l, err := f.svc.Answer(ctx, f.Supplier, line, 3, 1, "only 4 left")
		if err != nil {
			t.Fatal(err)
		}
		if l.Pending != 1 || l.Accepted != 3 || l.Rejected != 1 || l.State != LinePending || l.RejectReason != "only 4 left" ||
			l.AnsweredBy != "supplier:1" {
			t.Fatalf("after partial answer: %+v", l)
		}
		want := RerouteRequest{OrderID: a.OrderID, OrderLineID: a.OrderLineID, FromOfferID: a.OfferID, Quantity: 1,
			Trigger: "rejected", Reason: "only 4 left"}
		if len(f.rr.got) != 1 || f.rr.got[0] != want {
			t.Fatalf("reroute %+v, want %+v", f.rr.got, want)
		}
		po, _ = f.svc.Get(ctx, 0, 5001)
		if po.State != POSent || po.TotalCost != eur(800) {
			t.Fatalf("PO %s total %v, want sent at 8.00 EUR", po.State, po.TotalCost)
		}
		if l, err = f.svc.Answer(ctx, f.Supplier, line, 1, 0, ""); err != nil || l.State != LineAccepted {
			t.Fatalf("accept the rest: %+v %v", l, err)
		}
		po, _ = f.svc.Get(ctx, 0, 5001)
		if po.State != POAcknowledged {
			t.Fatalf("PO %s, want acknowledged", po.State)
		}
		tl, _ := f.Orders.Timeline(ctx, a.OrderID)
		if !hasEvent(tl, "supplier_answered") || !hasEvent(tl, "supplier_accepted") {
			t.Fatalf("timeline %+v", tl)
		}
		// A failing reroute rolls the answer back.
		f.rr.err = errors.New("no alternate")
		b2 := f.order(b, 2, eur(100))
		f.add(b2)
		f.svc.SendDue(ctx)
		po3, _ := f.svc.Get(ctx, b, 5003)
		if _, err := f.svc.Answer(ctx, b, po3.Lines[0].ID, 0, 2, "discontinued"); err == nil {
			t.Fatal("answer kept although the reroute failed")
		}
		if l, _ := f.svc.Line(ctx, b, po3.Lines[0].ID); l.Pending != 2 || l.Rejected != 0 {
			t.Fatalf("line after a failed reroute: %+v", l)
		}
	})
}

// Answers to two lines of one PO at once leave the PO's state and total
// right (PostgreSQL runs them concurrently; the PO row serialises them).
func TestConcurrentAnswersSettleThePO(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		for range 3 {
			f.add(f.order(f.Supplier, 2, eur(100)), f.order(f.Supplier, 2, eur(100)))
		}
		f.svc.SendDue(ctx)
		po, _ := f.svc.Get(ctx, 0, 5001)
		if len(po.Lines) != 6 {
			t.Fatalf("%d lines", len(po.Lines))
		}
		var wg sync.WaitGroup
		for i, l := range po.Lines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rej, reason := 0, ""
				if i%2 == 1 {
					rej, reason = 1, "short"
				}
				if _, err := f.svc.Answer(ctx, f.Supplier, l.ID, 2-rej, rej, reason); err != nil {
					t.Errorf("answer line %d: %v", l.ID, err)
				}
			}()
		}
		wg.Wait()
		po, _ = f.svc.Get(ctx, 0, 5001)
		if po.State != POAcknowledged || po.TotalCost != eur(900) {
			t.Fatalf("PO %s total %v, want acknowledged at 9.00 EUR", po.State, po.TotalCost)
		}
	})
}
