package web

import (
	"net/http"

	"github.com/orderly-oms/orderly/internal/auth"
)

// homeCard is one tile on the console home page.
type homeCard struct {
	Label string
	Path  string
	What  string
	Count int64
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
	"suppliers": "Suppliers and their offers",
	"users":     "Staff users and roles",
	"tokens":    "API tokens for scripts and integrations",
}

// homeCount returns the headline number for one area of the home page.
func (s *Server) homeCount(r *http.Request, key string) (int64, bool, error) {
	return 0, false, nil
}
