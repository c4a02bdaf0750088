package storefront

import (
	"context"
	"sync"
	"time"
)

// bucket is a token bucket: it holds at most burst tokens, gains rate tokens
// per second, and every request takes one. Time comes from the sender's
// clock and waiting from its sleep function, so tests run without waiting.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	// until holds requests back entirely (a storefront's Retry-After).
	until time.Time
}

// newBucket returns a full bucket.
func newBucket(rate float64, now time.Time) *bucket {
	b := &bucket{rate: rate, burst: burstOf(rate), last: now}
	b.tokens = b.burst
	return b
}

// burstOf is the bucket size for a rate: one second's worth, at least one
// request. A storefront that allows 2 requests/s gets at most 2 at once.
func burstOf(rate float64) float64 { return max(1, rate) }

// setRate changes the rate (a target's settings changed).
func (b *bucket) setRate(rate float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if rate != b.rate {
		b.rate, b.burst = rate, burstOf(rate)
		b.tokens = min(b.tokens, b.burst)
	}
}

// reserve takes a token and returns how long to wait before using it.
func (b *bucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	b.tokens--
	var wait time.Duration
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	if hold := b.until.Sub(now); hold > wait {
		wait = hold
	}
	return wait
}

// holdUntil stops requests until t (a Retry-After), and empties the bucket
// so requests resume at the base rate, not in a burst.
func (b *bucket) holdUntil(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.After(b.until) {
		b.until = t
	}
	b.tokens = min(b.tokens, 0)
	if t.After(b.last) {
		b.last = t
	}
}

// wait blocks (through sleep) until the next request may be made.
func (b *bucket) wait(ctx context.Context, now time.Time, sleep func(context.Context, time.Duration) error) error {
	if d := b.reserve(now); d > 0 {
		return sleep(ctx, d)
	}
	return ctx.Err()
}

// limiters keeps one bucket per target for the life of the process, so
// consecutive drain jobs of a target share its budget.
type limiters struct {
	mu sync.Mutex
	m  map[int64]*bucket
}

func (l *limiters) get(target int64, rate float64, now time.Time) *bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[int64]*bucket{}
	}
	b := l.m[target]
	if b == nil {
		b = newBucket(rate, now)
		l.m[target] = b
		return b
	}
	b.setRate(rate)
	return b
}
