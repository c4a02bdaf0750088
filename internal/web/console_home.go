package web

import (
	"net/http"
	"strconv"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// homeCard is one tile on the console home page.
type homeCard struct {
	Label string
	Path  string
	What  string
	Count string
	// HasCount is false when the number is not shown (no service, or the
	// user may not read it).
	HasCount bool
}

// homePage shows the areas the user may open, with a headline number for each.
func (s *Server) homePage(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	var cards []homeCard
	for _, n := range navFor(p) {
		if n.Key == "home" {
			continue
		}
		c := homeCard{Label: n.Label, Path: n.Path, What: homeWhat[n.Key]}
		v, ok, err := s.homeCount(r, n.Key)
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		c.Count, c.HasCount = v, ok
		cards = append(cards, c)
	}
	s.render(w, r, http.StatusOK, "home.html", view{Title: "Home", Active: "home", Data: cards})
}

var homeWhat = map[string]string{
	"stock":     "Available to sell per SKU, buffers, adjustments",
	"products":  "Products and their variants",
	"suppliers": "active suppliers and their offers",
	"feeds":     "quarantined feed runs awaiting approval",
	"users":     "active users and their roles",
	"tokens":    "active API tokens for scripts and integrations",
}

// homeCountCap bounds the counts on the home page: they come from one list
// call each, and the areas counted (suppliers, users, tokens) are small. A
// larger number is shown as "1000+". The catalog and stock tiles show no
// number: counting 100k SKUs on every visit to the home page is not worth it.
const homeCountCap = 1000

// homeCount returns the headline number for one area of the home page and
// whether there is one.
func (s *Server) homeCount(r *http.Request, key string) (string, bool, error) {
	ctx := r.Context()
	var n int
	switch key {
	case "suppliers":
		list, err := s.cfg.Suppliers.ListSuppliers(ctx, suppliers.SupplierFilter{Status: suppliers.StatusActive, Limit: homeCountCap + 1})
		if err != nil {
			return "", false, err
		}
		n = len(list)
	case "feeds":
		// Quarantined runs wait for staff; there are few at a time.
		list, more, err := s.cfg.Feeds.Runs(ctx, feeds.RunFilter{Status: feeds.StatusQuarantined, Limit: quarantinedShown})
		if err != nil {
			return "", false, err
		}
		if more {
			return strconv.Itoa(quarantinedShown) + "+", true, nil
		}
		n = len(list)
	case "users":
		list, err := s.cfg.Auth.ListUsers(ctx, auth.UserFilter{Limit: homeCountCap + 1})
		if err != nil {
			return "", false, err
		}
		for _, u := range list {
			if !u.Disabled {
				n++
			}
		}
	case "tokens":
		list, err := s.cfg.Auth.ListTokens(ctx, 0, homeCountCap+1)
		if err != nil {
			return "", false, err
		}
		now := s.now()
		for _, t := range list {
			if t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt)) {
				n++
			}
		}
	default:
		return "", false, nil
	}
	if n > homeCountCap {
		return strconv.Itoa(homeCountCap) + "+", true, nil
	}
	return strconv.Itoa(n), true, nil
}
