package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
)

// registerConsoleConsent registers the console page of the backorder consent
// deadline (docs/customer-page.md): how long a customer has to accept the
// wait of a backordered line before it is cancelled with a refund.
func (s *Server) registerConsoleConsent() {
	s.page("GET /console/settings/backorder-consent", auth.OrdersRead, s.consoleConsent)
	s.page("POST /console/settings/backorder-consent", auth.SettingsWrite, s.consoleConsentSave)
}

type consentView struct {
	Settings orders.ConsentSettings
	Hours    string
	Error    string
	Max      int
}

func (s *Server) consoleConsent(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Orders.ConsentSettings(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	flash := ""
	if r.URL.Query().Get("done") == "consent-saved" {
		flash = "Backorder deadline saved."
	}
	s.render(w, r, http.StatusOK, "backorder_consent.html", view{Title: "Backorder deadline", Active: "backorder-consent", Flash: flash,
		Data: &consentView{Settings: c, Hours: strconv.Itoa(c.DeadlineHours), Max: orders.MaxConsentHours}})
}

func (s *Server) consoleConsentSave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "the form could not be read: %v", err))
		return
	}
	in := strings.TrimSpace(r.PostForm.Get("deadline_hours"))
	hours, err := strconv.Atoi(in)
	if err != nil {
		err = apperr.InvalidField("deadline_hours", "must be a whole number of hours, got %q", in)
	} else {
		_, err = s.cfg.Orders.SetConsentDeadline(r.Context(), hours)
	}
	if err != nil {
		if !apperr.Is(err, apperr.Invalid) {
			s.consoleError(w, r, err)
			return
		}
		c, rerr := s.cfg.Orders.ConsentSettings(r.Context())
		if rerr != nil {
			s.consoleError(w, r, rerr)
			return
		}
		msg := errMessage(err)
		if f := fieldErrors(err)["deadline_hours"]; f != "" {
			msg = f
		}
		s.render(w, r, http.StatusUnprocessableEntity, "backorder_consent.html", view{Title: "Backorder deadline", Active: "backorder-consent",
			Data: &consentView{Settings: c, Hours: in, Error: msg, Max: orders.MaxConsentHours}})
		return
	}
	seeOther(w, r, "/console/settings/backorder-consent", "consent-saved")
}
