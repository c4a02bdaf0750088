// Package auth decides who a caller is and what it may do: the roles and the
// one permission table, staff and supplier users with argon2id passwords, API
// tokens, the console session store, login throttling, and the audit log of
// security events.
package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
)

// Service manages staff and supplier users, API tokens, login throttling and
// the audit log of security events. The caller of each method is the
// Principal in the context (auth.WithPrincipal; auth.System for commands and
// jobs); the client IP recorded in audit entries comes from WithClientIP.
type Service struct {
	db       *store.DB
	now      func() time.Time
	throttle ThrottleLimits
}

// NewService returns a Service on db that reads the time from now
// (time.Now if nil) and throttles logins with DefaultThrottle.
func NewService(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now, throttle: DefaultThrottle}
}

// SetThrottle replaces the login throttling limits.
func (s *Service) SetThrottle(l ThrottleLimits) { s.throttle = l }

// clock returns the current time the way the database stores it: UTC,
// truncated to microseconds.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

type clientIPKey struct{}

// WithClientIP returns ctx carrying the client's IP address, recorded in audit
// entries and used for per-IP login throttling.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the client IP in ctx, or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

// notFound turns sql.ErrNoRows into a NotFound error about what.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, format, args...)
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// clampLimit bounds a page size: 50 by default, at most 1000 (the web layer
// asks for one more than it shows to learn whether a next page exists).
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}
