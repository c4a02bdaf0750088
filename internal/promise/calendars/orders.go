package calendars

import (
	"context"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/orders"
)

// PromiseOrder answers the promise of an order being placed (it implements
// orders.Promiser): the same as Promise for its lines and destination, now.
func (s *Service) PromiseOrder(ctx context.Context, in orders.PromiseRequest) (orders.Promised, error) {
	// A store that promises nothing costs its order intake nothing more
	// than this cached check.
	sn, err := s.engine(ctx)
	if err != nil {
		return orders.Promised{}, err
	}
	if len(sn.calendars) == 0 {
		return orders.Promised{}, apperr.New(apperr.Unavailable, "no supplier has a delivery calendar")
	}
	req := Request{Country: in.Country, PostalCode: in.PostalCode, Lines: make([]CartLine, len(in.Lines))}
	for i, l := range in.Lines {
		req.Lines[i] = CartLine{SKU: l.SKU, Quantity: l.Quantity}
	}
	p, err := s.Promise(ctx, req)
	if err != nil {
		return orders.Promised{}, err
	}
	return orders.Promised{ShipBy: p.ShipBy.String(), Earliest: p.Earliest.String(), Latest: p.Latest.String(),
		Confidence: p.Confidence, ComputedAt: s.now()}, nil
}
