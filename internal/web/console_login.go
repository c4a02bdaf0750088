package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
)

func (s *Server) registerConsoleLogin() {
	s.page("GET /login", auth.Public, s.loginPage)
	s.page("POST /login", auth.Public, s.loginSubmit)
	s.page("POST /logout", auth.Authenticated, s.logoutSubmit)
}

// loginForm is what the login template shows.
type loginForm struct {
	Email string
	Next  string
	Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if isHTMX(r) {
		// An htmx request (search, "Load more") whose session ended was
		// redirected here: swapping the login form into a table would be
		// useless, so ask htmx to load the login page in full, returning to
		// the page the user was on.
		if cur, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil && cur.Host == r.Host {
			next = localPath(cur.RequestURI())
		}
		w.Header().Set("HX-Redirect", "/login?next="+url.QueryEscape(next))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if auth.FromContext(r.Context()) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login.html", view{Title: "Log in", Data: loginForm{Next: next}})
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	form := loginForm{
		Email: strings.TrimSpace(r.PostFormValue("email")),
		Next:  localPath(r.PostFormValue("next")),
	}
	password := r.PostFormValue("password")
	if form.Email == "" || password == "" {
		form.Error = "Enter your email and your password."
		s.render(w, r, http.StatusUnprocessableEntity, "login.html", view{Title: "Log in", Data: form})
		return
	}
	if _, err := s.logIn(w, r, form.Email, password); err != nil {
		status := http.StatusInternalServerError
		form.Error = "Logging in failed on our side; please try again."
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Code != apperr.Internal {
			status = http.StatusBadRequest
			if st, ok := statusOf[ae.Code]; ok {
				status = st
			}
			form.Error = errMessage(err)
		} else {
			s.log.ErrorContext(r.Context(), "login failed", "err", err)
		}
		s.render(w, r, status, "login.html", view{Title: "Log in", Data: form})
		return
	}
	http.Redirect(w, r, form.Next, http.StatusSeeOther)
}

func (s *Server) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.logOut(w, r); err != nil {
		s.consoleError(w, r, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// localPath returns next if it is a path on this site, else "/". It refuses
// anything a browser could read as another origin ("//evil", "/\evil",
// "https://evil"), so the login form cannot be used as an open redirect.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	if strings.ContainsAny(next, "\r\n\t\\") {
		return "/"
	}
	return next
}
