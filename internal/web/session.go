package web

import (
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
// so several instances share it. A session lasts at most SessionLifetime and
// ends after SessionIdleTimeout without a request.
const (
	SessionCookieName  = "orderly_session"
	SessionLifetime    = 12 * time.Hour
	SessionIdleTimeout = 2 * time.Hour
)

// Keys of the values kept in a session.
const (
	sessionUserKey    = "user_id"
	sessionLoginAtKey = "login_at" // unix microseconds, compared with the user's sessions_valid_after
)

// newSessionManager returns the scs session manager backed by our database.
func (s *Server) newSessionManager() *scs.SessionManager {
	sm := scs.New()
	// scs computes expiries from the wall clock, so the store compares with
	// the wall clock too, not the injected one.
	sm.Store = auth.NewSessionStore(s.cfg.DB, time.Now)
	sm.HashTokenInStore = true // a leaked sessions table does not yield usable cookies
	sm.Lifetime = SessionLifetime
	sm.IdleTimeout = SessionIdleTimeout
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
	s.sessions.Put(ctx, sessionUserKey, u.ID)
	s.sessions.Put(ctx, sessionLoginAtKey, s.now().UTC().Truncate(time.Microsecond).UnixMicro())
	return u.Principal(), nil
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
