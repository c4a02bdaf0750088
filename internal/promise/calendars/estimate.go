package calendars

import (
	"context"
	"fmt"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/promise"
)

// estimateSKU names the one line of an estimate: the engine needs a line to
// promise, and a supplier's window does not depend on what it ships.
const estimateSKU = "ESTIMATE"

// LatestDelivery returns, for each of supplierIDs that has a delivery
// calendar, the last day (YYYY-MM-DD) of the delivery window it would
// promise now for the destination (it implements routing.Estimator). A
// supplier without a calendar, or one the engine cannot promise for (no
// carrier service with the lane, no working day ahead), is left out: its
// estimate is unknown. The destination is checked as for a promise (an
// invalid one is an error). It reads the cached engine, so it costs one
// engine call per supplier and no query while the cache is fresh.
func (s *Service) LatestDelivery(ctx context.Context, country, postalCode string, supplierIDs []int64) (map[int64]string, error) {
	sn, err := s.engine(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(supplierIDs))
	now := s.now()
	for _, id := range supplierIDs {
		c, ok := sn.calendars[id]
		if !ok {
			continue
		}
		p, err := sn.engine.Promise(promise.Request{Country: country, PostalCode: postalCode, Now: now,
			Lines: []promise.Line{{SKU: estimateSKU, Quantity: 1, Candidates: []*promise.SupplierCalendar{c}}}})
		if apperr.Is(err, apperr.Unavailable) {
			continue // this supplier cannot promise the destination
		}
		if err != nil {
			return nil, fmt.Errorf("delivery estimate of supplier %d to %s %s: %w", id, country, postalCode, err)
		}
		out[id] = p.Latest.String()
	}
	return out, nil
}
