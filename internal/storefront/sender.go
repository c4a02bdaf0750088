package storefront

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
)

// Options tune a Sender. The zero value is usable.
type Options struct {
	// HTTPClient makes the calls (default: a client with a 20 s timeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now); Sleep waits (default a timer
	// honouring ctx). Tests inject both, so nothing really waits.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random duration in [0, d) for backoff (default
	// math/rand). Tests make it deterministic.
	Jitter func(d time.Duration) time.Duration
	Logger *slog.Logger
	// Retries is how many times one request is tried on a 5xx, 408 or a
	// network error or timeout before the drain gives up and leaves the
	// rest to River's retry (default 4).
	Retries int
	// BaseBackoff and MaxBackoff bound the exponential backoff between
	// those tries (defaults 500 ms and 30 s).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxWait is the longest a drain waits for a storefront's Retry-After
	// (or GraphQL throttle) in the job; a longer one snoozes the job
	// instead (default 60 s).
	MaxWait time.Duration
	// Budget is how long one drain job keeps claiming new batches before it
	// lets the next job go on (default 1 min).
	Budget time.Duration
	// Lease is how long claimed rows stay with a sender; rows of a sender
	// that died are sent again after it (default 6 min, more than the drain
	// job's timeout).
	Lease time.Duration
	// LookupTTL is how long a SKU that a lookup did not find on a Shopify
	// store is skipped before it is looked up again (default 6 h).
	LookupTTL time.Duration
}

// Sender publishes targets' outboxes.
type Sender struct {
	db       *store.DB
	opts     Options
	limiters limiters
}

// NewSender returns a sender on db.
func NewSender(db *store.DB, opts Options) *Sender {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.Jitter == nil {
		opts.Jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Retries <= 0 {
		opts.Retries = 4
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = time.Minute
	}
	if opts.Budget <= 0 {
		opts.Budget = time.Minute
	}
	if opts.Lease <= 0 {
		opts.Lease = 6 * time.Minute
	}
	if opts.LookupTTL <= 0 {
		opts.LookupTTL = 6 * time.Hour
	}
	return &Sender{db: db, opts: opts}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Sender) clock() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// backoff is the wait before try n+1 (n ≥ 1): exponential, capped, with
// "equal jitter" (half fixed, half random) so that senders that failed
// together do not retry together.
func (s *Sender) backoff(n int) time.Duration {
	d := s.opts.BaseBackoff << min(n-1, 20)
	if d > s.opts.MaxBackoff || d <= 0 {
		d = s.opts.MaxBackoff
	}
	return d/2 + s.opts.Jitter(d/2)
}

// ThrottledError says the storefront asked to wait longer than a drain job
// waits (Retry-After beyond Options.MaxWait): the job snoozes for After.
type ThrottledError struct {
	After time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("storefront asked to wait %s before the next request", e.After)
}

// HTTPError is a storefront's answer other than success.
type HTTPError struct {
	Status int
	Body   string // the start of the body, for the error message
}

func (e *HTTPError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("storefront answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("storefront answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}

// retryable reports whether a failed request may succeed if tried again
// soon: server errors, 408, timeouts and connection failures.
func retryable(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500 || he.Status == http.StatusRequestTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}

// caller makes one target's HTTP requests: through its token bucket, with
// retries on transient failures and waits on 429.
type caller struct {
	s      *Sender
	target *targetConfig
	bucket *bucket
}

func (s *Sender) caller(t *targetConfig) *caller {
	return &caller{s: s, target: t, bucket: s.limiters.get(t.id, t.ratePerSecond, s.clock())}
}

// request is one request to make; build is called for every try (the
// webhook signs each try with its own time).
type request struct {
	build func(now time.Time) (*http.Request, error)
	// throttled, if set, reads a successful answer and reports whether it
	// is in fact a throttle (Shopify GraphQL answers THROTTLED with 200)
	// and how long to wait.
	throttled func(body []byte) (time.Duration, bool)
}

// maxBody bounds what is read of an answer.
const maxBody = 4 << 20

// do makes the request and returns the body of a 2xx answer. A 429 (or a
// throttle) waits for Retry-After and tries again while the waits stay
// within MaxWait; a 5xx, 408 or network failure backs off and tries again
// up to Retries times; any other answer fails at once.
func (c *caller) do(ctx context.Context, r request) ([]byte, error) {
	var waited time.Duration
	tries := 0
	for {
		if err := c.bucket.wait(ctx, c.s.clock(), c.s.opts.Sleep); err != nil {
			return nil, err
		}
		body, wait, err := c.once(ctx, r)
		if err == nil && wait == 0 {
			return body, nil
		}
		if wait > 0 {
			// Throttled: wait what the storefront says, not a backoff; this
			// does not count as a failed try.
			if waited+wait > c.s.opts.MaxWait {
				c.bucket.holdUntil(c.s.clock().Add(wait))
				return nil, &ThrottledError{After: wait}
			}
			waited += wait
			c.bucket.holdUntil(c.s.clock().Add(wait))
			continue
		}
		tries++
		if !retryable(err) || tries >= c.s.opts.Retries || ctx.Err() != nil {
			return nil, err
		}
		d := c.s.backoff(tries)
		c.s.opts.Logger.WarnContext(ctx, "storefront request failed; retrying", "target", c.target.id, "try", tries, "backoff", d, "err", err)
		if err := c.s.opts.Sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// once makes one try. wait > 0 means throttled.
func (c *caller) once(ctx context.Context, r request) (body []byte, wait time.Duration, err error) {
	req, err := r.build(c.s.clock())
	if err != nil {
		return nil, 0, err
	}
	req = req.WithContext(ctx)
	req.Header.Set("User-Agent", "Orderly storefront sync")
	res, err := c.s.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer res.Body.Close()
	body, err = io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, 0, fmt.Errorf("read answer of %s: %w", req.URL.Redacted(), err)
	}
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		return nil, retryAfter(res.Header.Get("Retry-After"), c.s.clock()), nil
	case res.StatusCode < 200 || res.StatusCode > 299:
		return nil, 0, &HTTPError{Status: res.StatusCode, Body: snippet(body)}
	}
	if r.throttled != nil {
		if d, ok := r.throttled(body); ok {
			return nil, max(d, time.Second), nil
		}
	}
	return body, 0, nil
}

// retryAfter reads a Retry-After header: seconds (possibly fractional, as
// Shopify's REST API sends "2.0") or an HTTP date. Missing or unreadable,
// it is one second.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 && secs < 1e6 {
		return max(time.Duration(secs*float64(time.Second)), time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), time.Second)
	}
	return time.Second
}

func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
