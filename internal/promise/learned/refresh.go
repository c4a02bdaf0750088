package learned

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/orderly-oms/orderly/internal/promise"
	"github.com/orderly-oms/orderly/internal/store"
)

// DefaultRefreshEvery is how often the model is rebuilt by default.
const DefaultRefreshEvery = 24 * time.Hour

// Target receives each rebuilt model; *calendars.Service is one.
type Target interface {
	SetLearned(promise.Learned)
}

// Refresher rebuilds the model from the database and hands it to Target.
// The model lives in the memory of the process: every process that answers
// promises has its own Refresher and rebuilds its own copy (see Run).
type Refresher struct {
	DB      *store.DB
	Now     func() time.Time // default time.Now
	Target  Target
	Options Options
	Logger  *slog.Logger // default slog.Default()

	mu      sync.Mutex
	current *Model
}

// Refresh reads the deliveries, fits a model and hands it to Target.
func (r *Refresher) Refresh(ctx context.Context) (*Model, error) {
	if r.DB == nil || r.Target == nil {
		return nil, fmt.Errorf("refresh learned delivery times: the refresher has no database or target")
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	at := now().UTC()
	opts := r.Options.withDefaults()
	ds, err := Deliveries(ctx, r.DB.R, at.Add(-opts.Window))
	if err != nil {
		return nil, fmt.Errorf("refresh learned delivery times: %w", err)
	}
	m, skipped := Fit(ds, at, opts)
	r.mu.Lock()
	r.current = m
	r.Target.SetLearned(m)
	r.mu.Unlock()
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "learned delivery times rebuilt", "deliveries", m.Count(), "skipped", skipped)
	return m, nil
}

// Current returns the last model built (nil before the first Refresh).
func (r *Refresher) Current() *Model {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current
}

// Run refreshes at once and then whenever the model is older than every
// (looked at every hour, or every "every" if shorter) until ctx ends. Each
// process serving promises runs it, so each keeps its own copy fresh on its
// own schedule: the periodic River job runs on one instance only, and a
// rebuild it made there counts as that instance's. Errors are logged and
// retried at the next look.
func (r *Refresher) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultRefreshEvery
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(min(every, time.Hour))
	defer t.Stop()
	for {
		if m := r.Current(); m == nil || now().Sub(m.At()) >= every {
			if _, err := r.Refresh(ctx); err != nil && ctx.Err() == nil {
				log.ErrorContext(ctx, "learned delivery times", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
