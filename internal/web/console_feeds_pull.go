package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/feeds"
)

// The pull source form of a supplier's feed page: where the feed is pulled
// from, how often, and the credential sent (which is never shown back).

// pullForm is a pull source as typed into the form; the credential's
// secrets are never put back into the page.
type pullForm struct {
	URL, Every, Timeout, AuthHeader, AuthUsername string
}

func pullFormOf(p *feeds.PullSource) pullForm {
	if p == nil {
		return pullForm{Timeout: feeds.FormatDuration(feeds.DefaultPullTimeout)}
	}
	f := pullForm{URL: p.URL, Timeout: feeds.FormatDuration(p.Timeout), AuthHeader: p.AuthHeader}
	if p.Every > 0 {
		f.Every = feeds.FormatDuration(p.Every)
	}
	return f
}

// pullFieldNames maps the feed service's fields to the form's inputs.
var pullFieldNames = map[string]string{"auth": "auth_value", "auth.header": "auth_header", "auth.value": "auth_value",
	"auth.username": "auth_username", "auth.password": "auth_password"}

// formDuration reads a duration input; "" and "0" are 0.
func formDuration(f *apperr.Fields, name, v, example string) time.Duration {
	if v == "" || v == "0" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		f.Add(name, "enter a duration such as %s, got %q", example, v)
	}
	return d
}

// feedSetPullSource saves where the supplier's feed is pulled from. Leaving
// the credential's inputs empty keeps the stored one (on the same host);
// "send no credential" removes it.
func (s *Server) feedSetPullSource(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadFeedSupplier(r, "")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	val := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	form := pullForm{URL: val("url"), Every: val("every"), Timeout: val("timeout"), AuthHeader: val("auth_header"),
		AuthUsername: val("auth_username")}
	in := feeds.PullInput{URL: form.URL}
	var fe apperr.Fields
	in.Every = formDuration(&fe, "every", form.Every, "1h or 30m (empty: only on request)")
	in.Timeout = formDuration(&fe, "timeout", form.Timeout, "60s or 2m")
	value, password := r.PostFormValue("auth_value"), r.PostFormValue("auth_password")
	switch {
	case r.PostFormValue("auth_none") != "":
		in.Auth = &feeds.PullAuth{}
	case value != "" || password != "" || form.AuthUsername != "":
		in.Auth = &feeds.PullAuth{Header: form.AuthHeader, Value: value, Username: form.AuthUsername, Password: password}
	}
	err = fe.Err()
	if err == nil {
		_, err = s.cfg.Feeds.SetPullSource(r.Context(), v.Supplier.ID, in)
	}
	if err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		v.PullForm = form
		v.Errors = formErrors(renameFields(err, pullFieldNames), "pull-source")
		s.renderFeedSupplier(w, r, statusFor(err), v)
		return
	}
	seeOther(w, r, supplierFeedPath(v.Supplier.ID)+"#pull", "pull-source-set")
}

// feedDeletePullSource stops pulling the supplier's feed from its URL.
func (s *Server) feedDeletePullSource(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.cfg.Feeds.DeletePullSource(r.Context(), id)
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, supplierFeedPath(id)+"#pull", "pull-source-off")
}
