package inventory_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func intp(n int) *int { return &n }

func TestAdjust(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.variant("ADJ-1")
		o := f.offer(f.supplier("active"), v, 1, "active")
		at := t0.Add(-time.Hour)
		if _, err := f.svc.Report(ctx, o, 10, at, "feed:lisbon"); err != nil {
			t.Fatal(err)
		}
		a, err := f.svc.Adjust(ctx, inventory.AdjustInput{OfferID: o, Mode: "add", Delta: intp(-4), Reason: "  two broken in transit  "}, "staff:1 ana")
		if err != nil {
			t.Fatal(err)
		}
		if a.Before != 10 || a.After != 6 || a.Delta != -4 || a.Reason != "two broken in transit" || a.Actor != "staff:1 ana" || !a.At.Equal(t0) || a.SKU != "ADJ-1" {
			t.Errorf("adjustment = %+v", a)
		}
		if _, err := f.svc.Adjust(ctx, inventory.AdjustInput{OfferID: o, Mode: "set", Quantity: intp(0), Reason: "recount"}, "staff:1 ana"); err != nil {
			t.Fatal(err)
		}
		st, err := f.svc.Stock(ctx, "adj-1") // SKUs match case-insensitively
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Offers[0]; got.Reported != 0 || !got.ReportedAt.Equal(at) {
			t.Errorf("offer after adjustments: reported %d at %v; want 0 at %v (adjustments keep the report time)", got.Reported, got.ReportedAt, at)
		}

		for _, tc := range []struct {
			name  string
			in    inventory.AdjustInput
			code  apperr.Code
			field string
		}{
			{"below zero", inventory.AdjustInput{OfferID: o, Mode: "add", Delta: intp(-1), Reason: "oops"}, apperr.Invalid, "delta"},
			{"zero delta", inventory.AdjustInput{OfferID: o, Mode: "add", Delta: intp(0), Reason: "oops"}, apperr.Invalid, "delta"},
			{"negative set", inventory.AdjustInput{OfferID: o, Mode: "set", Quantity: intp(-3), Reason: "oops"}, apperr.Invalid, "quantity"},
			{"missing quantity", inventory.AdjustInput{OfferID: o, Mode: "set", Reason: "oops"}, apperr.Invalid, "quantity"},
			{"short reason", inventory.AdjustInput{OfferID: o, Mode: "set", Quantity: intp(1), Reason: " ab "}, apperr.Invalid, "reason"},
			{"long reason", inventory.AdjustInput{OfferID: o, Mode: "set", Quantity: intp(1), Reason: strings.Repeat("é", 501)}, apperr.Invalid, "reason"},
			{"bad mode", inventory.AdjustInput{OfferID: o, Mode: "replace", Quantity: intp(1), Reason: "oops"}, apperr.Invalid, "mode"},
			{"unknown offer", inventory.AdjustInput{OfferID: 424242, Mode: "set", Quantity: intp(1), Reason: "oops"}, apperr.Invalid, "offer_id"},
		} {
			_, err := f.svc.Adjust(ctx, tc.in, "staff:1 ana")
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code || tc.field != "" && (len(ae.Fields) == 0 || ae.Fields[0].Field != tc.field) {
				t.Errorf("%s: err = %v, want %s on field %q", tc.name, err, tc.code, tc.field)
			}
		}
		if _, err := f.svc.Report(ctx, o, -1, time.Time{}, "x"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("negative report: err = %v, want invalid", err)
		}

		// Inside a caller's transaction, the adjustment rolls back with it.
		rollback := errors.New("caller gives up")
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := f.svc.AdjustTx(ctx, tx, inventory.AdjustInput{OfferID: o, Mode: "add", Delta: intp(7), Reason: "found a box"}, "staff:1 ana"); err != nil {
				return err
			}
			if _, err := f.svc.ReportTx(ctx, tx, o, 12, time.Time{}, "feed"); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("InTx = %v, want the caller's error", err)
		}
		if rep, _, _ := f.position(o); rep != 0 {
			t.Errorf("reported after rolled-back adjustments = %d, want 0", rep)
		}

		// Newest first, with keyset paging.
		page, more, err := f.svc.Adjustments(ctx, inventory.AdjustmentFilter{VariantID: v, Limit: 2})
		if err != nil || len(page) != 2 || !more || page[0].Kind != inventory.KindSet || page[1].Kind != inventory.KindAdd {
			t.Fatalf("first page = %+v, more %v, %v", page, more, err)
		}
		page, more, err = f.svc.Adjustments(ctx, inventory.AdjustmentFilter{VariantID: v, Limit: 2, BeforeID: page[1].ID})
		if err != nil || len(page) != 1 || more || page[0].Kind != inventory.KindReport || page[0].Actor != "feed:lisbon" {
			t.Errorf("second page = %+v, more %v, %v", page, more, err)
		}
	})
}

func TestBufferErrors(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.variant("BUF-1")
		if err := f.svc.SetSKUBuffer(ctx, "BUF-1", inventory.Buffer{Units: -1}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("negative units: %v", err)
		}
		if err := f.svc.SetSKUBuffer(ctx, "NOPE", inventory.Buffer{Units: 1}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown SKU: %v", err)
		}
		if err := f.svc.SetSupplierBuffer(ctx, 9999, inventory.Buffer{Units: 1}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown supplier: %v", err)
		}
		if _, err := f.svc.SupplierBuffer(ctx, 9999); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown supplier: %v", err)
		}
		if err := f.svc.SetSKUBuffer(ctx, "buf-1", inventory.Buffer{Units: 2, Percent: 1250}); err != nil {
			t.Fatal(err)
		}
		if b, err := f.svc.SKUBuffer(ctx, "BUF-1"); err != nil || b != (inventory.Buffer{Units: 2, Percent: 1250}) {
			t.Errorf("SKUBuffer = %+v, %v", b, err)
		}
	})
}
