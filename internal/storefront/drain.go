package storefront

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// publisher sends one batch of claimed items to a storefront. It returns an
// error when the batch as a whole failed (nothing is cleared; it is sent
// again later) and marks items the storefront refused one by one
// (item.setAside); every other item counts as delivered.
type publisher interface {
	publish(ctx context.Context, items []*item) error
}

func (s *Sender) publisher(t *targetConfig) publisher {
	c := s.caller(t)
	if t.kind == KindShopify {
		return &shopify{c: c, db: s.db}
	}
	return &webhook{c: c}
}

// DrainResult says what one drain did.
type DrainResult struct {
	Sent     int  // variants delivered (their rows cleared or, if changed meanwhile, due again)
	SetAside int  // variants the storefront refused, waiting before a retry
	Batches  int  // batches published
	More     bool // the budget ran out with rows still due
}

// setAsideFor is how long a refused row waits before its attempt n: one
// minute, doubling, at most an hour.
func setAsideFor(n int) time.Duration {
	return min(time.Minute<<min(n-1, 10), time.Hour)
}

// Drain publishes the due outbox rows of one target, batch after batch,
// until none is due or the budget is spent. A batch that fails (after the
// retries of each request) is given back unsent and the error returned, for
// River to retry the job later; a *ThrottledError asks the job to snooze.
func (s *Sender) Drain(ctx context.Context, target int64) (DrainResult, error) {
	var res DrainResult
	_, t, err := loadTarget(ctx, s.db.R, target)
	if apperr.Is(err, apperr.NotFound) {
		return res, nil // deleted since the job was enqueued
	}
	if err != nil {
		return res, err
	}
	if !t.enabled {
		return res, nil
	}
	pub := s.publisher(t)
	token := rand.Int64()
	start := s.clock()
	for {
		now := s.clock()
		if now.Sub(start) >= s.opts.Budget {
			res.More = true
			return res, nil
		}
		items, err := claim(ctx, s.db, target, t.batchSize, token, now, now.Add(s.opts.Lease))
		if err != nil || len(items) == 0 {
			return res, err
		}
		if err := pub.publish(ctx, items); err != nil {
			// Give the rows back even if ctx is done (the job timed out).
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			var throttled *ThrottledError
			if !errors.As(err, &throttled) {
				err = fmt.Errorf("publish %d variants to storefront target %d (%s): %w", len(items), t.id, t.name, err)
				s.opts.Logger.WarnContext(ctx, "storefront publish failed", "target", t.id, "variants", len(items), "err", err)
				if rerr := recordError(bctx, s.db, target, err.Error(), s.clock()); rerr != nil {
					err = errors.Join(err, rerr)
				}
			}
			if rerr := release(bctx, s.db, target, token); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return res, err
		}
		done, err := finish(ctx, s.db, target, token, items, s.clock(), setAsideFor)
		if err != nil {
			return res, err
		}
		res.Batches++
		res.Sent += done
		res.SetAside += len(items) - done
		if len(items)-done > 0 {
			msg := ""
			for _, it := range items {
				if it.setAside != "" {
					msg = fmt.Sprintf("%s: %s", it.sku, it.setAside)
					break
				}
			}
			if err := recordError(ctx, s.db, target, fmt.Sprintf("%d variants refused, e.g. %s", len(items)-done, msg), s.clock()); err != nil {
				return res, err
			}
		}
	}
}
