package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// ThrottleLimits bound failed logins within a sliding window: per account
// (email) and per client IP. When a limit is reached, logins for that account
// or from that IP are refused until the oldest counted failure leaves the
// window. A successful login clears the account's failures.
type ThrottleLimits struct {
	Window     time.Duration
	PerAccount int
	PerIP      int
}

// DefaultThrottle allows 5 failures per account and 20 per IP in 15 minutes.
var DefaultThrottle = ThrottleLimits{Window: 15 * time.Minute, PerAccount: 5, PerIP: 20}

// ThrottledError is the cause of a TooMany error from Login: the caller may
// try again after RetryAfter.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed logins; retry after %s", e.RetryAfter)
}

// Login checks an email and password and returns the user. Failures are
// counted (in the database, so every instance sees them), throttled and
// audited with their reason; the password is never recorded. Every failure
// returns the same Unauthenticated error, so callers cannot tell an unknown
// email from a wrong password.
func (s *Service) Login(ctx context.Context, email, password string) (*User, error) {
	u, err := s.checkPassword(ctx, email, password)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, s.db.W, AuditEntry{Event: EventLogin, Actor: u.Principal().Actor(), Target: u.target()}); err != nil {
		return nil, err
	}
	return u, nil
}

// checkPassword is Login without the audit entry for success: throttling,
// counting and auditing failures, and clearing the account's failures on
// success.
func (s *Service) checkPassword(ctx context.Context, email, password string) (*User, error) {
	email = NormalizeEmail(email)
	if len(email) > 254 {
		email = email[:254]
	}
	ip := ClientIP(ctx)
	now := s.clock()
	wait, err := s.throttled(ctx, now, "account:"+email, s.throttle.PerAccount)
	if err == nil && wait == 0 && ip != "" {
		wait, err = s.throttled(ctx, now, "ip:"+ip, s.throttle.PerIP)
	}
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		if err := s.record(ctx, s.db.W, AuditEntry{Event: EventLoginFailed, Actor: "anonymous", Target: "email " + email, Detail: "throttled"}); err != nil {
			return nil, err
		}
		return nil, apperr.Wrap(&ThrottledError{RetryAfter: wait}, apperr.TooMany,
			"too many failed logins; try again in %s", wait.Round(time.Second))
	}

	u, err := s.UserByEmail(ctx, email)
	reason := ""
	switch {
	case apperr.Is(err, apperr.NotFound):
		_, _ = VerifyPassword(password, dummyHash()) // spend the same time as for a real account
		reason = "unknown email"
	case err != nil:
		return nil, err
	default:
		ok, verr := VerifyPassword(password, u.passwordHash)
		switch {
		case verr != nil:
			return nil, fmt.Errorf("login %s: %w", email, verr)
		case !ok:
			reason = "wrong password"
		case u.Disabled:
			reason = "user disabled"
		}
	}
	if reason != "" {
		if err := s.recordFailure(ctx, now, email, ip, reason); err != nil {
			return nil, err
		}
		return nil, apperr.New(apperr.Unauthenticated, "email or password is wrong, or the user is disabled")
	}
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM login_failures WHERE scope = $1`, "account:"+email); err != nil {
		return nil, fmt.Errorf("clear login failures: %w", err)
	}
	return u, nil
}

// throttled returns how long the scope must wait before trying again: zero
// while fewer than limit failures lie within the window.
func (s *Service) throttled(ctx context.Context, now time.Time, scope string, limit int) (time.Duration, error) {
	if limit <= 0 {
		return 0, nil
	}
	rows, err := s.db.W.QueryContext(ctx, `SELECT at FROM login_failures WHERE scope = $1 AND at > $2 ORDER BY at DESC LIMIT $3`,
		scope, now.Add(-s.throttle.Window), limit)
	if err != nil {
		return 0, fmt.Errorf("count login failures: %w", err)
	}
	defer rows.Close()
	var n int
	var oldest time.Time
	for rows.Next() {
		if err := rows.Scan(&oldest); err != nil {
			return 0, fmt.Errorf("count login failures: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("count login failures: %w", err)
	}
	if n < limit {
		return 0, nil
	}
	// The limit-th newest failure leaves the window at oldest+Window; from
	// then on fewer than limit failures remain.
	wait := oldest.Add(s.throttle.Window).Sub(now)
	if wait < time.Second {
		wait = time.Second
	}
	return wait, nil
}

func (s *Service) recordFailure(ctx context.Context, now time.Time, email, ip, reason string) error {
	scopes := []string{"account:" + email}
	if ip != "" {
		scopes = append(scopes, "ip:"+ip)
	}
	for _, sc := range scopes {
		if _, err := s.db.W.ExecContext(ctx, `INSERT INTO login_failures (scope, at) VALUES ($1, $2)`, sc, now); err != nil {
			return fmt.Errorf("record login failure: %w", err)
		}
	}
	// Old failures no longer count; drop them so the table stays small.
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= $1`, now.Add(-s.throttle.Window)); err != nil {
		return fmt.Errorf("prune login failures: %w", err)
	}
	return s.record(ctx, s.db.W, AuditEntry{Event: EventLoginFailed, Actor: "anonymous", Target: "email " + email, Detail: reason})
}
