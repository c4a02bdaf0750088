package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/inventory"
)

// The console's part of the staleness and safety rules: the feed panel and
// its forms on a supplier's page, the minimum-quantity form on a SKU's page.
// The routes are registered with the supplier and stock pages.

// feedView is a supplier's feed state and rules as its page shows them.
type feedView struct {
	inventory.SupplierFeed
	Age         string // how old the last feed is ("2d 1h"), "" if never
	Overdue     bool   // older than the maximum age (stale, or about to be)
	MaxAge      string // the setting, as ParseFeedAge reads it
	Form        stalenessForm
	MinQuantity int
	MinForm     string
}

// stalenessForm is the staleness setting as typed into the form.
type stalenessForm struct {
	MaxAge  string
	Mode    string
	Percent string
}

// loadFeed fills a supplier's feed panel.
func (s *Server) loadFeed(ctx context.Context, supplierID int64) (feedView, error) {
	f, err := s.cfg.Inventory.SupplierFeed(ctx, supplierID)
	if err != nil {
		return feedView{}, err
	}
	n, err := s.cfg.Inventory.SupplierMinQuantity(ctx, supplierID)
	if err != nil {
		return feedView{}, err
	}
	now := s.now()
	v := feedView{SupplierFeed: f, Overdue: f.Overdue(now), MaxAge: inventory.FormatFeedAge(f.Staleness.MaxAge),
		MinQuantity: n, MinForm: strconv.Itoa(n)}
	if !f.LastFeedAt.IsZero() {
		v.Age = humanAge(f.Age(now))
	}
	v.Form = stalenessForm{MaxAge: v.MaxAge, Mode: string(f.Staleness.Mode), Percent: f.Staleness.Percent.String()}
	return v, nil
}

// humanAge writes a feed's age for people: "35m", "5h 20m", "2d 1h".
func humanAge(d time.Duration) string {
	d = d.Truncate(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	}
	return fmt.Sprintf("%dm", mins)
}

// supplierSetStaleness sets the supplier's maximum feed age and stale mode.
func (s *Server) supplierSetStaleness(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadSupplier(r, "")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	form := stalenessForm{MaxAge: strings.TrimSpace(r.PostFormValue("max_feed_age")), Mode: r.PostFormValue("stale_mode"),
		Percent: strings.TrimSpace(r.PostFormValue("stale_buffer_percent"))}
	st := inventory.Staleness{Mode: inventory.StaleMode(form.Mode)}
	var fe apperr.Fields
	if st.MaxAge, err = inventory.ParseFeedAge("max_feed_age", form.MaxAge); err != nil {
		fe.Add("max_feed_age", "enter a duration such as 48h, 90m or 2d, or 0 for never")
	}
	if st.Percent, err = inventory.ParsePercent("stale_buffer_percent", form.Percent); err != nil {
		fe.Add("stale_buffer_percent", "enter a percentage from 0 to 100")
	}
	err = fe.Err()
	if err == nil {
		_, err = s.cfg.Inventory.SetStaleness(r.Context(), v.ID, st)
	}
	if err != nil {
		v.Feed.Form = form
		v.Errors = formErrors(err, "staleness")
		s.render(w, r, statusFor(err), "supplier.html", view{Title: v.Name, Active: "suppliers", Data: v})
		return
	}
	seeOther(w, r, "/console/suppliers/"+strconv.FormatInt(v.ID, 10), "staleness-set")
}

// supplierSetMinQuantity sets the supplier's minimum quantity.
func (s *Server) supplierSetMinQuantity(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadSupplier(r, "")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	form := strings.TrimSpace(r.PostFormValue("min_quantity"))
	n, err := parseMinQuantity(form)
	if err == nil {
		err = s.cfg.Inventory.SetSupplierMinQuantity(r.Context(), v.ID, n)
	}
	if err != nil {
		v.Feed.MinForm = form
		v.Errors = formErrors(err, "min")
		s.render(w, r, statusFor(err), "supplier.html", view{Title: v.Name, Active: "suppliers", Data: v})
		return
	}
	seeOther(w, r, "/console/suppliers/"+strconv.FormatInt(v.ID, 10), "min-quantity-set")
}

// skuSetMinQuantity sets the SKU's own minimum quantity.
func (s *Server) skuSetMinQuantity(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadSKU(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	form := strings.TrimSpace(r.PostFormValue("min_quantity"))
	n, err := parseMinQuantity(form)
	if err == nil {
		err = s.cfg.Inventory.SetSKUMinQuantity(r.Context(), v.SKU, n)
	}
	if err != nil {
		v.MinForm = form
		v.Errors = formErrors(err, "min")
		s.render(w, r, statusFor(err), "sku.html", view{Title: v.SKU, Active: "stock", Data: v})
		return
	}
	seeOther(w, r, "/console/stock/"+strconv.FormatInt(v.VariantID, 10), "min-quantity-set")
}

// parseMinQuantity reads the min_quantity input; empty means 0.
func parseMinQuantity(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, apperr.InvalidField("min_quantity", "%q is not a whole number", s)
	}
	return n, nil
}

// staleWhy explains a stale offer on the SKU page.
func staleWhy(o inventory.OfferStock) string {
	if !o.Stale {
		return ""
	}
	if o.StaleMode == inventory.StaleBuffer {
		return "the supplier's feed is stale: an extra percentage is held back"
	}
	return "the supplier's feed is stale: its stock does not count"
}
