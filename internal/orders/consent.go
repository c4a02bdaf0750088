package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// Backorder consent (issue 8 item 5, decision 0015): a customer whose units
// are backordered is asked whether the wait is acceptable. If they have not
// accepted it (ChoiceWait) by the store's deadline, counted from when the
// line was backordered, a periodic job cancels the units still waiting, with
// the refund recorded, the apology coupon by policy and a timeline reason
// that says so (an ordinary order.cancelled event, which notifications turn
// into the notice). A customer who declines cancels at once (ChoiceCancel).

// MaxConsentHours bounds the deadline: 90 days.
const MaxConsentHours = 90 * 24

// DefaultConsentHours is the deadline of a new store.
const DefaultConsentHours = 72

// ConsentActor is the timeline actor of the consent deadline's cancellations.
const ConsentActor = "system:backorder-consent"

// ConsentSettings is the store's backorder consent setting.
type ConsentSettings struct {
	// DeadlineHours: a backordered line whose wait the customer has not
	// accepted this long after it was backordered is cancelled; 0: the
	// customer is not asked and nothing is cancelled.
	DeadlineHours int `json:"deadline_hours" doc:"Hours the customer has to accept a backorder's wait; 0 = do not ask" minimum:"0" maximum:"2160" example:"72"`
	// AskingSince: lines backordered before it are never cancelled by the
	// deadline (their customers were not asked); nil: every line.
	AskingSince *time.Time `json:"asking_since,omitempty" doc:"Lines backordered before this are never cancelled by the deadline"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// due is when a wait that began at since must be accepted by, or nil when
// the store does not ask or the wait began before it did.
func (c ConsentSettings) due(since time.Time) *time.Time {
	if c.DeadlineHours == 0 || (c.AskingSince != nil && since.Before(*c.AskingSince)) {
		return nil
	}
	t := since.Add(time.Duration(c.DeadlineHours) * time.Hour)
	return &t
}

// ConsentSettings returns the store's backorder consent setting.
func (s *Service) ConsentSettings(ctx context.Context) (ConsentSettings, error) {
	return s.consentSettings(ctx, s.db.R)
}

func (s *Service) consentSettings(ctx context.Context, q store.Querier) (ConsentSettings, error) {
	var c ConsentSettings
	var since sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT deadline_hours, asking_since, updated_at FROM backorder_consent_settings WHERE id = 1`).
		Scan(&c.DeadlineHours, &since, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return ConsentSettings{DeadlineHours: DefaultConsentHours}, nil
	}
	if err != nil {
		return c, fmt.Errorf("backorder consent setting: %w", err)
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	if since.Valid {
		t := since.Time.UTC()
		c.AskingSince = &t
	}
	return c, nil
}

// SetConsentDeadline sets the hours a customer has to accept a backorder's
// wait (0: do not ask). Turning the deadline on (from 0) starts asking now:
// lines backordered before are never cancelled by it.
func (s *Service) SetConsentDeadline(ctx context.Context, hours int) (ConsentSettings, error) {
	if hours < 0 || hours > MaxConsentHours {
		return ConsentSettings{}, apperr.InvalidField("deadline_hours", "must be between 0 (do not ask) and %d, got %d", MaxConsentHours, hours)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.consentSettings(ctx, tx)
		if err != nil {
			return err
		}
		now := s.clock()
		since := cur.AskingSince
		if cur.DeadlineHours == 0 && hours > 0 {
			since = &now
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO backorder_consent_settings (id, deadline_hours, asking_since, updated_at)
			VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET deadline_hours = excluded.deadline_hours,
			asking_since = excluded.asking_since, updated_at = excluded.updated_at`, hours, nullTime(since), now)
		if err != nil {
			return fmt.Errorf("set the backorder consent deadline: %w", err)
		}
		return nil
	})
	if err != nil {
		return ConsentSettings{}, err
	}
	return s.ConsentSettings(ctx)
}

// ConsentResult counts what a run of the consent deadline cancelled.
type ConsentResult struct {
	Lines int // lines whose waiting units were cancelled
	Units int
}

// CancelUnanswered cancels, at the service's clock, the waiting units of
// every backordered line whose customer has not accepted the wait by the
// deadline: each line in its own transaction, which locks the order and
// checks again, so several instances running it at once cancel each line
// once (a second finds nothing waiting). Lines also holding pre-ordered
// units are left alone (the customer chose to wait for a release).
func (s *Service) CancelUnanswered(ctx context.Context) (ConsentResult, error) {
	var res ConsentResult
	c, err := s.ConsentSettings(ctx)
	if err != nil || c.DeadlineHours == 0 {
		return res, err
	}
	cutoff := s.clock().Add(-time.Duration(c.DeadlineHours) * time.Hour)
	var after int64
	for {
		due, err := s.dueLines(ctx, c, cutoff, after)
		if err != nil {
			return res, err
		}
		if len(due) == 0 {
			return res, nil
		}
		for _, d := range due {
			after = d.id
			var n int
			err := s.inTx(ctx, func(tx *sql.Tx) error {
				var err error
				n, err = s.cancelUnanswered(ctx, tx, d.order, d.id, c)
				return err
			})
			if err != nil {
				return res, err
			}
			if n > 0 {
				res.Lines++
				res.Units += n
			}
		}
	}
}

type dueLine struct{ id, order int64 }

// unansweredSQL selects backordered lines (no pre-ordered units) whose wait
// began at or before $1 (the cutoff) and at or after $2 (asking since) and
// whose customer has not accepted this wait; $3 pages by line id.
const unansweredSQL = `SELECT l.id, l.order_id FROM order_lines l
	LEFT JOIN order_line_choices c ON c.line_id = l.id
	WHERE l.qty_backordered > 0 AND l.qty_preordered = 0 AND l.id > $3
		AND COALESCE(l.backordered_at, l.created_at) <= $1 AND COALESCE(l.backordered_at, l.created_at) >= $2
		AND (c.line_id IS NULL OR c.choice <> 'wait' OR c.chosen_at < COALESCE(l.backordered_at, l.created_at))
	ORDER BY l.id LIMIT 200`

func (s *Service) dueLines(ctx context.Context, c ConsentSettings, cutoff time.Time, after int64) ([]dueLine, error) {
	since := time.Unix(0, 0).UTC()
	if c.AskingSince != nil {
		since = *c.AskingSince
	}
	rows, err := s.db.R.QueryContext(ctx, unansweredSQL, cutoff, since, after)
	if err != nil {
		return nil, fmt.Errorf("backorders past the consent deadline: %w", err)
	}
	defer rows.Close()
	var out []dueLine
	for rows.Next() {
		var d dueLine
		if err := rows.Scan(&d.id, &d.order); err != nil {
			return nil, fmt.Errorf("backorders past the consent deadline: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// cancelUnanswered locks the order, checks line id again and cancels its
// waiting units. It returns how many it cancelled (0: nothing was due).
func (s *Service) cancelUnanswered(ctx context.Context, tx *sql.Tx, number, id int64, c ConsentSettings) (int, error) {
	o, err := s.lockOrder(ctx, tx, number)
	if err != nil {
		return 0, err
	}
	var l *Line
	for i := range o.Lines {
		if o.Lines[i].ID == id {
			l = &o.Lines[i]
		}
	}
	if l == nil || l.Backordered == 0 || l.Preordered > 0 {
		return 0, nil
	}
	since, err := s.waitingSince(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	due := c.due(since)
	if due == nil || s.clock().Before(*due) {
		return 0, nil
	}
	prev, err := s.answer(ctx, tx, o, id)
	if err != nil {
		return 0, err
	}
	if prev != nil && prev.Choice == ChoiceWait && !prev.At.Before(since) {
		return 0, nil
	}
	n := l.Backordered + l.Short
	reason := fmt.Sprintf("the customer did not accept the wait for %s of %s (line %d) by the deadline, %d hours after they were backordered",
		plural(n, "unit"), l.SKU, l.Position, c.DeadlineHours)
	detail := map[string]any{"line": l.Position, "sku": l.SKU, "units": n, "backordered_at": since, "deadline": *due}
	if _, _, err := s.cancelWaiting(ctx, tx, o, map[int]int{l.Position: n}, "cancelled", ConsentActor, reason, detail, EventCancelled); err != nil {
		return 0, err
	}
	return n, nil
}

// ConsentArgs is the periodic job that cancels backorders whose customer
// did not accept the wait by the deadline.
type ConsentArgs struct{}

// Kind is the River job kind.
func (ConsentArgs) Kind() string { return "backorder_consent_deadline" }

// ConsentWorker works ConsentArgs with Orders (set once the service exists).
type ConsentWorker struct {
	river.WorkerDefaults[ConsentArgs]
	Orders *Service
}

// Work cancels the backorders past their consent deadline.
func (w *ConsentWorker) Work(ctx context.Context, _ *river.Job[ConsentArgs]) error {
	if w.Orders == nil {
		return fmt.Errorf("backorder consent deadline: the worker is not bound to the order service")
	}
	res, err := w.Orders.CancelUnanswered(ctx)
	if res.Lines > 0 {
		w.Orders.log.Info("backorders cancelled at the consent deadline", "lines", res.Lines, "units", res.Units)
	}
	return err
}

// ConsentJob is the periodic job that applies the consent deadline every
// period (and once at start). River's leader alone enqueues periodic jobs;
// the per-line lock and re-check make overlapping runs harmless.
func ConsentJob(period time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(period),
		func() (river.JobArgs, *river.InsertOpts) { return ConsentArgs{}, nil },
		&river.PeriodicJobOpts{ID: ConsentArgs{}.Kind(), RunOnStart: true})
}
