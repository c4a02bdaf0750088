package web

import (
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
)

// registerAuth sets up authentication and registers the auth API routes.
// registerRoutes calls it first.
func (s *Server) registerAuth() {
	if s.cfg.Auth == nil {
		s.cfg.Auth = auth.NewService(s.cfg.DB, s.now)
	}
	s.sessions = s.newSessionManager()
	s.registerUsers()
	s.registerTokens()
	s.registerAudit()
}

// authenticate puts the caller's principal into the request context:
//
//   - "Authorization: Bearer TOKEN" authenticates with an API token, on any
//     route; an unknown, revoked or expired token is refused with 401 at once
//     rather than treated as anonymous.
//   - otherwise the console session cookie, if it names a live session of an
//     enabled user, authenticates (console pages and, for the console's own
//     scripts, /api/v1 too; CSRF is handled by the cross-origin layer).
//
// Every request passes through the session middleware (scs LoadAndSave), so
// handlers may call logIn and logOut. The client IP is put in the context for
// throttling and the audit log.
func (s *Server) authenticate(next http.Handler) http.Handler {
	withSession := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, secret, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				s.unauthenticated(w, r, "unsupported Authorization scheme: send Authorization: Bearer TOKEN")
				return
			}
			p, err := s.cfg.Auth.AuthenticateToken(ctx, strings.TrimSpace(secret))
			if err != nil {
				var ae *apperr.Error
				if errors.As(err, &ae) && ae.Code == apperr.Unauthenticated {
					s.unauthenticated(w, r, ae.Message)
					return
				}
				s.authFailed(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(ctx, p)))
			return
		}
		if id := s.sessions.GetInt64(ctx, sessionUserKey); id != 0 {
			loginAt := time.UnixMicro(s.sessions.GetInt64(ctx, sessionLoginAtKey)).UTC()
			p, err := s.cfg.Auth.SessionPrincipal(ctx, id, loginAt)
			if err == nil && !s.touchSession(ctx) {
				err = apperr.New(apperr.Unauthenticated, "session was idle too long")
			}
			switch {
			case err == nil:
				ctx = auth.WithPrincipal(ctx, p)
			case apperr.Is(err, apperr.Unauthenticated):
				// The user was disabled, removed or changed password, or
				// the session sat idle: it is over. The caller continues as
				// anonymous.
				if err := s.sessions.Destroy(ctx); err != nil {
					s.authFailed(w, r, err)
					return
				}
			default:
				s.authFailed(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
	loaded := s.sessions.LoadAndSave(withSession)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loaded.ServeHTTP(w, r.WithContext(auth.WithClientIP(r.Context(), clientIP(r))))
	})
}

// clientIP is the address the request came from. Forwarding headers are not
// trusted: behind a reverse proxy every client shares the proxy's address for
// per-IP throttling.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isAPI(r *http.Request) bool {
	return r.URL.Path == APIPrefix || strings.HasPrefix(r.URL.Path, APIPrefix+"/")
}

// unauthenticated answers 401 for bad credentials.
func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="orderly"`)
	if isAPI(r) {
		writeProblem(w, r, http.StatusUnauthorized, apperr.Unauthenticated, detail)
		return
	}
	http.Error(w, "401 unauthorized: "+detail, http.StatusUnauthorized)
}

func (s *Server) authFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "authentication failed", "err", err)
	if isAPI(r) {
		writeProblem(w, r, http.StatusInternalServerError, apperr.Internal, "internal error")
		return
	}
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// requirePage wraps a console handler with its permission check: an
// anonymous caller is sent to the login page (303 to /login?next=...); a
// caller without the permission gets a 403 page. Supplier users hold only supplier:portal, so they reach only portal
// pages and Public/Authenticated ones.
func (s *Server) requirePage(perm auth.Permission, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.FromContext(r.Context())
		switch {
		case perm == auth.Public:
		case p == nil:
			http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
			return
		case !p.Can(perm):
			s.forbiddenPage(w, r, p, perm)
			return
		}
		h(w, r)
	})
}

// loginURL is the login page with the page to return to afterwards: the
// requested page for GET, the console home otherwise (a form cannot be
// re-posted after logging in).
func loginURL(r *http.Request) string {
	next := "/"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		next = r.URL.RequestURI()
	}
	return "/login?next=" + url.QueryEscape(next)
}

var forbiddenTmpl = template.Must(template.New("forbidden").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not allowed · Orderly</title></head>
<body><main><h1>Not allowed</h1>
<p>Your role <strong>{{.Role}}</strong> does not have the permission <code>{{.Permission}}</code> that this page needs.</p>
<p>Ask an owner or admin if you need it. <a href="/">Back to the console</a></p></main></body></html>
`))

// forbiddenPage answers 403 for a logged-in caller without the permission.
func (s *Server) forbiddenPage(w http.ResponseWriter, r *http.Request, p *auth.Principal, perm auth.Permission) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	forbiddenTmpl.Execute(w, struct {
		Role       auth.Role
		Permission auth.Permission
	}{p.Role, perm})
}
