package coupons

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/storefront"
)

// Pushing a coupon to the storefronts. A coupon is pushed once to every
// target enabled when its push job runs: the job (unique per coupon) claims
// the coupon's row per target in coupon_pushes with a lease, sends it, and
// marks it pushed; a row already pushed (or skipped, or claimed by another
// instance) is left alone. A send that fails is retried: first inside the
// call (429 waits, 5xx backoff, through the storefront package's Sender,
// which shares each target's rate limit with the stock sync), then by River
// with backoff. Should a send land while its answer is lost, the retry finds
// the code taken on Shopify (TAKEN: counted as pushed); a webhook receiver
// must treat the code as the key (docs/coupons-refunds.md). "Push again"
// (Repush) counts a request on the coupon; a job running meanwhile passes
// again, so a request is never absorbed by a job that read the targets
// before it.

// PushArgs is the job that pushes one coupon to every enabled storefront
// target. It is enqueued in the transaction that issues the coupon.
type PushArgs struct {
	CouponID int64 `json:"coupon_id"`
}

// Kind is the River job kind.
func (PushArgs) Kind() string { return "coupon_push" }

// InsertOpts makes the push unique per coupon while one is waiting, running
// or waiting to retry, so two instances never push the same coupon at once.
// River requires running among these states: a push again made while the job
// runs is served by that job (Repush, PushWorker.Work).
func (PushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 25,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled}},
	}
}

// TopicCreated is the webhook topic of a coupon delivery.
const TopicCreated = "coupon.created"

// WebhookBody is the JSON a generic webhook target receives for a coupon
// (POST, signed like stock batches, with X-Orderly-Topic: coupon.created).
// Code is the key: a receiver that gets the same code twice keeps one.
type WebhookBody struct {
	Topic  string        `json:"topic"`
	Coupon WebhookCoupon `json:"coupon"`
}

// WebhookCoupon is the coupon in a WebhookBody. Percent is whole percent.
type WebhookCoupon struct {
	Code      string    `json:"code"`
	Kind      Kind      `json:"kind"`
	Percent   int       `json:"percent,omitempty"`
	Amount    string    `json:"amount,omitempty"` // decimal, e.g. "5.50", for kind amount
	Currency  string    `json:"currency,omitempty"`
	UsageMax  int       `json:"usage_limit"` // always 1
	StartsAt  time.Time `json:"starts_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Order     int64     `json:"order,omitempty"`
}

// shopifyCreate creates a code discount usable once, by anyone holding the
// code, on the whole order, from the coupon's issue to its expiry.
const shopifyCreate = `mutation OrderlyCreateCoupon($input: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $input) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}`

// Push is one coupon's delivery to one target, as the console shows it.
type Push struct {
	TargetID  int64      `json:"target_id"`
	PushedAt  *time.Time `json:"pushed_at,omitempty"`
	Skipped   string     `json:"skipped,omitempty" doc:"Why the target cannot take the coupon"`
	RemoteID  string     `json:"remote_id,omitempty"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
}

// Pusher sends coupons to the storefronts.
type Pusher struct {
	svc    *Service
	sender *storefront.Sender
	lease  time.Duration
	log    *slog.Logger
}

// NewPusher returns a pusher sending through sender (share the one the
// stock sync uses, so each target keeps one rate limit).
func NewPusher(svc *Service, sender *storefront.Sender, log *slog.Logger) *Pusher {
	if log == nil {
		log = slog.Default()
	}
	return &Pusher{svc: svc, sender: sender, lease: 5 * time.Minute, log: log}
}

// Push sends the coupon to every enabled target it has not reached yet. It
// returns an error if any target failed (the job is retried for those only),
// and a *BusyError if another sender holds a target's claim (the job
// snoozes until its lease runs out). A coupon used or expired is not pushed
// any more.
func (p *Pusher) Push(ctx context.Context, couponID int64) error {
	c, err := p.svc.get(ctx, p.svc.db.R, `c.id = $1`, couponID)
	if err != nil {
		return fmt.Errorf("push coupon %d: %w", couponID, err)
	}
	if c.Used || c.Expired {
		return nil
	}
	targets, err := p.sender.Endpoints(ctx)
	if err != nil {
		return err
	}
	var errs []error
	var busy *BusyError
	for _, t := range targets {
		ok, held, err := p.claim(ctx, c.ID, t.ID)
		if err != nil {
			return err
		}
		if !ok {
			if !held.IsZero() && (busy == nil || held.After(busy.Until)) {
				busy = &BusyError{CouponID: c.ID, Until: held}
			}
			continue
		}
		remote, skipped, err := p.send(ctx, c, t)
		// The outcome is recorded even when ctx was cancelled during the
		// send (the job's timeout): else the claim would hold the row until
		// its lease ran out and the retry would find it taken.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		ferr := p.finish(fctx, c.ID, t.ID, remote, skipped, err)
		cancel()
		if ferr != nil {
			return ferr
		}
		var throttled *storefront.ThrottledError
		if errors.As(err, &throttled) {
			return err
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("push coupon %s to storefront target %d (%s): %w", c.Code, t.ID, t.Name, err))
		}
	}
	if len(errs) == 0 && busy != nil {
		return busy
	}
	return errors.Join(errs...)
}

// BusyError is Push's answer when another sender holds the claim of a
// target that still lacks the coupon: the push is not done, and should be
// tried again once the claim's lease has run out (Until). The push job
// snoozes until then.
type BusyError struct {
	CouponID int64
	Until    time.Time
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("coupon %d is being pushed by another sender until %s; try again then", e.CouponID, e.Until.Format(time.RFC3339))
}

// claim takes the coupon's row for the target for a lease. It returns false
// if the row is pushed or skipped already (held zero), or if another sender
// holds it (held is when that claim's lease runs out).
func (p *Pusher) claim(ctx context.Context, coupon, target int64) (ok bool, held time.Time, err error) {
	now := p.svc.clock()
	if _, err := p.svc.db.W.ExecContext(ctx, `INSERT INTO coupon_pushes (coupon_id, target_id, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (coupon_id, target_id) DO NOTHING`, coupon, target, now); err != nil {
		return false, time.Time{}, fmt.Errorf("claim coupon %d for target %d: %w", coupon, target, err)
	}
	res, err := p.svc.db.W.ExecContext(ctx, `UPDATE coupon_pushes SET claimed_until = $3, attempts = attempts + 1, updated_at = $4
		WHERE coupon_id = $1 AND target_id = $2 AND pushed_at IS NULL AND skipped = '' AND (claimed_until IS NULL OR claimed_until <= $4)`,
		coupon, target, now.Add(p.lease), now)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("claim coupon %d for target %d: %w", coupon, target, err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 1 {
		return n == 1, time.Time{}, err
	}
	var until sql.NullTime
	err = p.svc.db.W.QueryRowContext(ctx, `SELECT claimed_until FROM coupon_pushes
		WHERE coupon_id = $1 AND target_id = $2 AND pushed_at IS NULL AND skipped = ''`, coupon, target).Scan(&until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, time.Time{}, nil // pushed or skipped
	case err != nil:
		return false, time.Time{}, fmt.Errorf("claim coupon %d for target %d: %w", coupon, target, err)
	case !until.Valid:
		// Let go between our two statements: the retry will take it.
		return false, now.Add(time.Second), nil
	}
	return false, until.Time.UTC(), nil
}

// finish records the outcome of a send and lets go of the claim.
func (p *Pusher) finish(ctx context.Context, coupon, target int64, remote, skipped string, sendErr error) error {
	now := p.svc.clock()
	var err error
	switch {
	case sendErr != nil:
		msg := sendErr.Error()
		if len(msg) > 1000 {
			msg = msg[:1000]
		}
		_, err = p.svc.db.W.ExecContext(ctx, `UPDATE coupon_pushes SET claimed_until = NULL, last_error = $3, updated_at = $4
			WHERE coupon_id = $1 AND target_id = $2`, coupon, target, msg, now)
	case skipped != "":
		_, err = p.svc.db.W.ExecContext(ctx, `UPDATE coupon_pushes SET claimed_until = NULL, skipped = $3, last_error = '', updated_at = $4
			WHERE coupon_id = $1 AND target_id = $2`, coupon, target, skipped, now)
	default:
		_, err = p.svc.db.W.ExecContext(ctx, `UPDATE coupon_pushes SET claimed_until = NULL, pushed_at = $4, remote_id = $3, last_error = '',
			updated_at = $4 WHERE coupon_id = $1 AND target_id = $2`, coupon, target, remote, now)
	}
	if err != nil {
		return fmt.Errorf("record push of coupon %d to target %d: %w", coupon, target, err)
	}
	return nil
}

// send delivers c to t. skipped, if not empty, says why t cannot take it.
func (p *Pusher) send(ctx context.Context, c *Coupon, t storefront.Endpoint) (remote, skipped string, err error) {
	switch t.Kind {
	case storefront.KindShopify:
		return p.sendShopify(ctx, c, t)
	case storefront.KindWebhook:
		body, err := json.Marshal(webhookBody(c))
		if err != nil {
			return "", "", err
		}
		return "", "", p.sender.PostJSON(ctx, t.ID, TopicCreated, body)
	}
	return "", fmt.Sprintf("targets of kind %s take no coupons", t.Kind), nil
}

func webhookBody(c *Coupon) WebhookBody {
	w := WebhookCoupon{Code: c.Code, Kind: c.Kind, Percent: c.Percent, Currency: c.Currency, UsageMax: 1,
		StartsAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, Order: c.Order}
	if c.Kind == KindAmount {
		w.Amount = c.Amount.Decimal()
	}
	return WebhookBody{Topic: TopicCreated, Coupon: w}
}

// percentFraction writes a whole percent as the exact decimal fraction
// Shopify takes: 10 is 0.10, 7 is 0.07, 100 is 1.00.
func percentFraction(percent int) json.Number {
	return json.Number(fmt.Sprintf("%d.%02d", percent/100, percent%100))
}

func (p *Pusher) sendShopify(ctx context.Context, c *Coupon, t storefront.Endpoint) (remote, skipped string, err error) {
	value := map[string]any{}
	switch c.Kind {
	case KindPercent:
		// Shopify takes a fraction between 0 and 1, written as an exact
		// decimal (never through a float).
		value["percentage"] = percentFraction(c.Percent)
	case KindAmount:
		// Shopify applies the amount in the store's currency: unless that
		// is known to be the coupon's, 5.00 EUR could become 5.00 USD off.
		if t.Currency == "" {
			return "", fmt.Sprintf("the coupon is in %s and the target's store currency is not set: set it and push again", c.Amount.Currency), nil
		}
		if t.Currency != c.Amount.Currency {
			return "", fmt.Sprintf("the coupon is in %s and the store in %s", c.Amount.Currency, t.Currency), nil
		}
		value["discountAmount"] = map[string]any{"amount": c.Amount.Decimal(), "appliesOnEachItem": false}
	}
	title := "Orderly " + c.Code
	if c.Order != 0 {
		title = fmt.Sprintf("Orderly %s (order %d)", c.Code, c.Order)
	}
	input := map[string]any{
		"title":                  title,
		"code":                   c.Code,
		"startsAt":               c.CreatedAt.Format(time.RFC3339),
		"endsAt":                 c.ExpiresAt.Format(time.RFC3339),
		"usageLimit":             1,
		"appliesOncePerCustomer": true,
		"context":                map[string]any{"all": "ALL"},
		"customerGets": map[string]any{
			"value": value,
			"items": map[string]any{"all": true},
		},
	}
	var out struct {
		Create struct {
			Node *struct {
				ID string `json:"id"`
			} `json:"codeDiscountNode"`
			UserErrors []struct {
				Field   []string `json:"field"`
				Message string   `json:"message"`
				Code    string   `json:"code"`
			} `json:"userErrors"`
		} `json:"discountCodeBasicCreate"`
	}
	if err := p.sender.ShopifyGraphQL(ctx, t.ID, "OrderlyCreateCoupon", shopifyCreate, map[string]any{"input": input}, &out); err != nil {
		return "", "", err
	}
	if len(out.Create.UserErrors) > 0 {
		var msgs []string
		for _, e := range out.Create.UserErrors {
			if e.Code == "TAKEN" {
				// An earlier try created it and its answer was lost.
				return "", "", nil
			}
			msgs = append(msgs, e.Message)
		}
		// Shopify refused the discount itself: trying again will not help.
		return "", "Shopify refused the discount: " + strings.Join(msgs, "; "), nil
	}
	if out.Create.Node != nil {
		remote = out.Create.Node.ID
	}
	return remote, "", nil
}

// Repush pushes a coupon again to every enabled target it has not reached:
// one added since it was issued, or one that skipped it (its currency, or a
// discount Shopify refused) and may take it now. Targets that have it are
// not sent it again. A used or expired coupon is a conflict.
//
// The request is counted on the coupon (push_requests) and a push job
// enqueued, in one transaction. If the coupon's push job is running, River
// adds no job (one per coupon while one waits or runs); that job sees the
// count move and passes again (PushWorker.Work), so no request is lost.
func (s *Service) Repush(ctx context.Context, code string) (*Coupon, error) {
	if s.queue == nil {
		return nil, apperr.New(apperr.Unavailable, "coupons are not pushed by this server (no job queue)")
	}
	var c *Coupon
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = s.get(ctx, tx, `c.code = $1`, NormalizeCode(code)); err != nil {
			if apperr.Is(err, apperr.NotFound) {
				return apperr.New(apperr.NotFound, "coupon %q not found", NormalizeCode(code))
			}
			return err
		}
		if c.Used || c.Expired {
			return apperr.New(apperr.Conflict, "coupon %s is used or expired: there is nothing to push", c.Code)
		}
		// Counted first: on PostgreSQL this takes the coupon's row, which
		// a push job finishing takes too (PushWorker.Work).
		if _, err := tx.ExecContext(ctx, `UPDATE coupons SET push_requests = push_requests + 1 WHERE id = $1`, c.ID); err != nil {
			return fmt.Errorf("push coupon %s again: %w", c.Code, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE coupon_pushes SET skipped = '', updated_at = $2
			WHERE coupon_id = $1 AND pushed_at IS NULL AND skipped <> ''`, c.ID, s.clock()); err != nil {
			return fmt.Errorf("push coupon %s again: %w", c.Code, err)
		}
		if _, err := s.queue.InsertTx(ctx, tx, PushArgs{CouponID: c.ID}); err != nil {
			return fmt.Errorf("push coupon %s again: %w", c.Code, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Pushes returns a coupon's deliveries, by target.
func (s *Service) Pushes(ctx context.Context, couponID int64) ([]Push, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT target_id, pushed_at, skipped, remote_id, attempts, last_error
		FROM coupon_pushes WHERE coupon_id = $1 ORDER BY target_id`, couponID)
	if err != nil {
		return nil, fmt.Errorf("pushes of coupon %d: %w", couponID, err)
	}
	defer rows.Close()
	out := []Push{}
	for rows.Next() {
		var ps Push
		var at sql.NullTime
		if err := rows.Scan(&ps.TargetID, &at, &ps.Skipped, &ps.RemoteID, &ps.Attempts, &ps.LastError); err != nil {
			return nil, fmt.Errorf("pushes of coupon %d: %w", couponID, err)
		}
		if at.Valid {
			t := at.Time.UTC()
			ps.PushedAt = &t
		}
		out = append(out, ps)
	}
	return out, rows.Err()
}

// PushWorker works PushArgs.
type PushWorker struct {
	river.WorkerDefaults[PushArgs]
	Pusher *Pusher

	afterComplete func() // tests: called once the job has marked itself completed
}

// Timeout bounds one push job.
func (w *PushWorker) Timeout(*river.Job[PushArgs]) time.Duration { return 4 * time.Minute }

// NextRetry backs off from 30 s, doubling, to at most 30 minutes.
func (w *PushWorker) NextRetry(job *river.Job[PushArgs]) time.Time {
	d := min(30*time.Second<<min(max(job.Attempt-1, 0), 10), 30*time.Minute)
	return w.Pusher.svc.now().Add(d)
}

// Work pushes the coupon. A storefront asking to wait long, or a target
// claimed by another sender, snoozes the job.
//
// A "push again" made while the job runs adds no job (River keeps one per
// coupon while one runs) and the pass may have read the targets before it.
// So the job notes the coupon's push requests before each pass and passes
// again when they moved. It marks itself completed in a transaction that
// first takes the coupon's row and finds the count unchanged: a request
// committed before that finds the job still running and is seen (another
// pass); one committed after finds the job completed, and enqueues a new one.
// A pass that failed is passed again at once when the count moved: River
// would retry it, but not after the last attempt (the job is discarded). A
// request made in the instant between that check and River recording the
// last attempt's failure is the one this does not serve: River offers no
// transactional discard; the push has failed for good then, which the
// coupon's targets show, and pushing again enqueues a new job. A throttled
// or busy pass is not passed again: the job snoozes (which uses up no
// attempt), and its next run reads the targets afresh.
func (w *PushWorker) Work(ctx context.Context, job *river.Job[PushArgs]) error {
	if w.Pusher == nil {
		return errors.New("coupon push: the worker has no pusher")
	}
	id := job.Args.CouponID
	for {
		seen, err := w.Pusher.svc.pushRequests(ctx, id)
		if err != nil {
			return err
		}
		err = w.Pusher.Push(ctx, id)
		var throttled *storefront.ThrottledError
		if errors.As(err, &throttled) {
			return river.JobSnooze(throttled.After)
		}
		var busy *BusyError
		if errors.As(err, &busy) {
			return river.JobSnooze(max(busy.Until.Sub(w.Pusher.svc.now()), 0) + time.Second)
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			now, rerr := w.Pusher.svc.pushRequests(ctx, id)
			if rerr != nil || now == seen {
				return err
			}
			continue
		}
		done, err := w.complete(ctx, job, seen)
		if err != nil {
			return err
		}
		if done {
			if w.afterComplete != nil {
				w.afterComplete()
			}
			return nil
		}
	}
}

// complete marks the job completed if the coupon's push requests are still
// seen, holding the coupon's row (PostgreSQL; SQLite has one writer) so that
// Repush counts either before (done is false: pass again) or after.
func (w *PushWorker) complete(ctx context.Context, job *river.Job[PushArgs], seen int64) (done bool, err error) {
	err = w.Pusher.svc.db.InTx(ctx, func(tx *sql.Tx) error {
		done = false
		res, err := tx.ExecContext(ctx, `UPDATE coupons SET push_requests = push_requests WHERE id = $1 AND push_requests = $2`,
			job.Args.CouponID, seen)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err // pushed again meanwhile (or the coupon is gone: the next pass says so)
		}
		if _, err := river.JobCompleteTx[riverdriver.Driver[*sql.Tx]](ctx, tx, job); err != nil {
			return err
		}
		done = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("complete push of coupon %d: %w", job.Args.CouponID, err)
	}
	return done, nil
}

// pushRequests returns how many times the coupon was pushed again.
func (s *Service) pushRequests(ctx context.Context, couponID int64) (int64, error) {
	var n int64
	err := s.db.R.QueryRowContext(ctx, `SELECT push_requests FROM coupons WHERE id = $1`, couponID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("push coupon %d: %w", couponID, apperr.New(apperr.NotFound, "coupon not found"))
	}
	if err != nil {
		return 0, fmt.Errorf("push coupon %d: %w", couponID, err)
	}
	return n, nil
}
