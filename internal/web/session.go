package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/orderly-oms/orderly/internal/auth"
)

// Console sessions: a cookie holding a random token; the session data (the
// user id and when they logged in) lives in the database (auth.SessionStore),
// so several instances share it. A session lasts at most SessionLifetime
// (wall clock, kept by scs) and ends after SessionIdleTimeout without a
// request (server clock, kept by touchSession).
const (
	SessionCookieName  = "orderly_session"
	SessionLifetime    = 12 * time.Hour
	SessionIdleTimeout = 2 * time.Hour
)

// Keys of the values kept in a session.
const (
	sessionUserKey    = "user_id"
	sessionLoginAtKey = "login_at" // unix microseconds, compared with the user's sessions_valid_after
	sessionSeenAtKey  = "seen_at"  // unix microseconds of the last request, for the idle timeout
)

// seenGranularity bounds how often a session's last-seen time is saved: a
// request writes the session only if the last save is older than this, so
// browsing the console does not cost a database write per page.
const seenGranularity = time.Minute

// newSessionManager returns the scs session manager backed by our database.
func (s *Server) newSessionManager() *scs.SessionManager {
	sm := scs.New()
	// scs computes expiries from the wall clock, so the store compares with
	// the wall clock too, not the injected one.
	sm.Store = auth.NewSessionStore(s.cfg.DB, time.Now)
	sm.HashTokenInStore = true // a leaked sessions table does not yield usable cookies
	sm.Lifetime = SessionLifetime
	// The idle timeout is enforced by authenticate (see touchSession), not
	// by scs: scs would save the session on every request to move its
	// expiry.
	sm.IdleTimeout = 0
	sm.Cookie.Name = SessionCookieName
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = s.cfg.SecureCookies
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false // a browser session cookie: closing the browser logs out
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.log.ErrorContext(r.Context(), "session store failed", "err", err)
		http.Error(w, "internal error: sessions are unavailable", http.StatusInternalServerError)
	}
	return sm
}

// logIn checks email and password (throttled and audited by auth.Service) and,
// on success, starts a new session for the user: the session token is renewed
// (the cookie value changes, defeating session fixation) and the user id
// stored. The request must have passed through the session middleware (every
// route does). On failure it returns the auth error: Unauthenticated for bad
// credentials, TooMany (with a Retry-After header already set on w) when
// throttled.
func (s *Server) logIn(w http.ResponseWriter, r *http.Request, email, password string) (*auth.Principal, error) {
	ctx := r.Context()
	u, err := s.cfg.Auth.Login(ctx, email, password)
	if err != nil {
		var te *auth.ThrottledError
		if errors.As(err, &te) {
			w.Header().Set("Retry-After", retryAfterSeconds(te.RetryAfter))
		}
		return nil, err
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond).UnixMicro()
	s.sessions.Put(ctx, sessionUserKey, u.ID)
	s.sessions.Put(ctx, sessionLoginAtKey, now)
	s.sessions.Put(ctx, sessionSeenAtKey, now)
	return u.Principal(), nil
}

// touchSession enforces the idle timeout on a logged-in session: it reports
// false if the session has been idle longer than SessionIdleTimeout, and
// otherwise records this request (at most once per seenGranularity).
func (s *Server) touchSession(ctx context.Context) bool {
	now := s.now()
	seen := time.UnixMicro(s.sessions.GetInt64(ctx, sessionSeenAtKey))
	if now.Sub(seen) > SessionIdleTimeout {
		return false
	}
	if now.Sub(seen) >= seenGranularity {
		s.sessions.Put(ctx, sessionSeenAtKey, now.UTC().Truncate(time.Microsecond).UnixMicro())
	}
	return true
}

// logOut ends the caller's session: it is audited, deleted from the store and
// the cookie is cleared; the next request starts a new, anonymous session
// with a new token.
func (s *Server) logOut(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if p := auth.FromContext(ctx); p != nil && (p.Kind == auth.KindStaff || p.Kind == auth.KindSupplier) {
		if err := s.cfg.Auth.RecordLogout(ctx); err != nil {
			return err
		}
	}
	return s.sessions.Destroy(ctx)
}

func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
