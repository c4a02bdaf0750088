package calendars

import (
	"context"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/promise"
)

// MaxLines bounds a cart.
const MaxLines = 100

// CartLine is one SKU and quantity to promise.
type CartLine struct {
	SKU      string
	Quantity int
}

// Request asks for the promise of a cart.
type Request struct {
	Lines      []CartLine
	Country    string
	PostalCode string
	// At is when the order would be placed (zero: now); it may not be in the
	// past beyond a few minutes.
	At time.Time
	// Confidence overrides the store's default (0: the default).
	Confidence float64
}

// Promise answers the promise for a cart: each line may be shipped by the
// suppliers with an active offer that has the quantity available and a
// delivery calendar; the engine picks the one that delivers soonest.
func (s *Service) Promise(ctx context.Context, req Request) (promise.Promise, error) {
	var fs apperr.Fields
	switch {
	case len(req.Lines) == 0:
		fs.Add("lines", "at least one line is required")
	case len(req.Lines) > MaxLines:
		fs.Add("lines", "at most %d lines", MaxLines)
	}
	skus := make([]string, len(req.Lines))
	for i, l := range req.Lines {
		sku, err := catalog.ParseSKU(l.SKU)
		if err != nil {
			fs.Add(fmt.Sprintf("lines[%d].sku", i), "%s", err)
		}
		skus[i] = string(sku)
		if l.Quantity < 1 || l.Quantity > 1_000_000 {
			fs.Add(fmt.Sprintf("lines[%d].quantity", i), "must be between 1 and 1000000")
		}
	}
	if err := fs.Err(); err != nil {
		return promise.Promise{}, err
	}
	sn, err := s.engine(ctx)
	if err != nil {
		return promise.Promise{}, err
	}
	lines := make([]promise.Line, len(req.Lines))
	for i, l := range req.Lines {
		sku := skus[i]
		cands, err := s.lineCandidates(ctx, sn, i, sku, l.Quantity)
		if err != nil {
			return promise.Promise{}, err
		}
		lines[i] = promise.Line{SKU: sku, Quantity: l.Quantity, Candidates: cands}
	}
	return sn.engine.Promise(promise.Request{Lines: lines, Country: req.Country, PostalCode: req.PostalCode,
		Now: s.now(), At: req.At, Confidence: req.Confidence})
}

// lineCandidates returns the calendars of the suppliers able to ship qty of
// sku, with an error a person can act on when there are none.
func (s *Service) lineCandidates(ctx context.Context, sn *snapshot, i int, sku string, qty int) ([]*promise.SupplierCalendar, error) {
	found, rows, err := candidates(ctx, s.db.R, sku)
	if err != nil {
		return nil, err
	}
	if !found {
		if known, err := skuKnown(ctx, s.db.R, sku); err != nil {
			return nil, err
		} else if !known {
			return nil, &apperr.Error{Code: apperr.NotFound, Message: fmt.Sprintf("SKU %q not found", sku),
				Fields: []apperr.FieldError{{Field: fmt.Sprintf("lines[%d].sku", i), Message: "not found", Value: sku}}}
		}
	}
	var list []*promise.SupplierCalendar
	stocked := 0
	for _, r := range rows {
		if r.available < qty {
			continue
		}
		stocked++
		if c, ok := sn.calendars[r.supplierID]; ok {
			list = append(list, c)
		}
	}
	switch {
	case stocked == 0:
		return nil, apperr.New(apperr.Unavailable, "lines[%d]: no active supplier has %d of %s available", i, qty, sku)
	case len(list) == 0:
		return nil, apperr.New(apperr.Unavailable,
			"lines[%d]: no supplier with %d of %s available has a delivery calendar (set one with PUT /api/v1/promise/calendars/{supplier_id})", i, qty, sku)
	}
	return list, nil
}
