package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/web/console"
)

// consolePageSize is how many rows a console list shows per page; "Load more"
// fetches the next page by keyset.
const consolePageSize = 50

// registerConsole registers the staff console: static assets, login/logout,
// the home page and one group of pages per area.
func (s *Server) registerConsole() {
	if s.cfg.Inventory == nil {
		s.cfg.Inventory = inventory.New(s.cfg.DB, s.now, inventory.Options{})
	}
	s.page("GET /console/static/", auth.Public, serveConsoleStatic)
	s.page("GET /{$}", auth.Authenticated, s.homePage)
	s.registerConsoleLogin()
	s.registerConsoleOrders()
	s.registerConsoleCustomers()
	s.registerConsoleStock()
	s.registerConsoleProducts()
	s.registerConsoleSuppliers()
	s.registerConsolePricing()
	s.registerConsoleFeeds()
	s.registerConsoleUsers()
	s.registerConsoleSupplierPortal()
	s.registerConsolePurchasing()
	s.registerConsoleRouting()
}

// navItem is one entry of the console navigation; it is shown only to users
// whose role holds Perm.
type navItem struct {
	Key   string
	Label string
	Path  string
	Perm  auth.Permission
}

var consoleNav = []navItem{
	{"home", "Home", "/", auth.Authenticated},
	{"orders", "Orders", "/console/orders", auth.OrdersRead},
	{"customers", "Customers", "/console/customers", auth.CustomersRead},
	{"stock", "Stock", "/console/stock", auth.StockRead},
	{"products", "Products", "/console/products", auth.CatalogRead},
	{"suppliers", "Suppliers", "/console/suppliers", auth.SuppliersRead},
	{"feeds", "Feeds", "/console/feeds", auth.SuppliersRead},
	{"purchase-orders", "Purchase orders", "/console/purchase-orders", auth.PurchasingRead},
	{"restocks", "Restock questions", "/console/restock-questions", auth.PurchasingRead},
	{"routing", "Routing", "/console/routing", auth.RoutingRead},
	{"pricing", "Pricing", "/console/pricing", auth.PricingRead},
	{"calibration", "Promises", "/console/promise/calibration", auth.OrdersRead},
	{"users", "Users", "/console/users", auth.UsersRead},
	{"tokens", "API tokens", "/console/tokens", auth.TokensWrite},
	{"coupons", "Coupons", "/console/coupons", auth.CouponsRead},
	{"refunds", "Refunds", "/console/refunds", auth.RefundsRead},
	{"storefront", "Storefronts", "/console/storefront", auth.SettingsWrite},
	{"notifications", "Notifications", "/console/settings/notifications", auth.SettingsWrite},
	{"backorder-consent", "Backorder deadline", "/console/settings/backorder-consent", auth.OrdersRead},
	{"store-settings", "Store", "/console/settings/store", auth.OrdersRead},
	{"webhooks", "Webhooks", "/console/webhooks", auth.WebhooksRead},
	{"portal", "Purchase orders", "/console/supplier", auth.SupplierPortal},
	{"portal-restocks", "Restock questions", "/console/supplier/restock-questions", auth.SupplierPortal},
	{"portal-digests", "Daily digests", "/console/supplier/digests", auth.SupplierPortal},
}

// navFor returns the navigation entries p may open.
func navFor(p *auth.Principal) []navItem {
	var out []navItem
	for _, n := range consoleNav {
		if p.Can(n.Perm) {
			out = append(out, n)
		}
	}
	return out
}

// view is what every console page template receives.
type view struct {
	Title  string
	Active string // the navItem.Key to highlight
	Flash  string
	User   *auth.Principal
	Nav    []navItem
	Data   any
}

// flashes are the confirmations a page may show after a redirect. The
// redirect names one by key (?done=key) so no user text travels in the URL.
var flashes = map[string]string{
	"adjusted":               "Stock adjusted.",
	"buffer-set":             "Buffer saved; ATS recomputed.",
	"staleness-set":          "Staleness saved; ATS recomputed.",
	"min-quantity-set":       "Minimum quantity saved; ATS recomputed.",
	"user-created":           "User created.",
	"role-changed":           "Role changed.",
	"user-disabled":          "User disabled.",
	"user-enabled":           "User enabled.",
	"token-revoked":          "Token revoked.",
	"rule-saved":             "Pricing rule saved; the SKUs it covers are being repriced.",
	"rule-deleted":           "Pricing rule deleted; the SKUs it covered are being repriced.",
	"price-approved":         "Price approved and applied.",
	"price-rejected":         "Proposal rejected; the price stays.",
	"feed-uploaded":          "File received; what became of it is below.",
	"guards-saved":           "Guards saved; they judge the next run.",
	"mapping-saved":          "Mapping saved; the next file is read with it.",
	"run-approved":           "Run approved and applied.",
	"run-rejected":           "Run rejected; nothing of it was written.",
	"sku-linked":             "Supplier SKU linked: its offer is made and the feed's last quantity counts.",
	"sku-ignored":            "Supplier SKU ignored.",
	"feed-pulled":            "File pulled from the supplier's URL; what became of it is below.",
	"pull-done":              "Pull done: no new file (see the pull's status).",
	"pull-source-set":        "Pull source saved.",
	"pull-source-off":        "Pull source removed: the feed is no longer pulled.",
	"po-answered":            "Answer recorded.",
	"parcel-added":           "Parcel recorded; the customer's order shows it as shipped.",
	"parcel-added-unchecked": "Parcel recorded. The carrier is not one we know, so its tracking number was not checked.",
	"routing-rule-saved":     "Routing rule saved; the next orders are routed by it.",
	"routing-rule-deleted":   "Routing rule deleted.",
	"routing-rule-moved":     "Routing rule moved.",
	"routing-settings-saved": "Routing settings saved.",
	"notify-resent":          "Notification queued again; its delivery log is below.",
	"webhook-saved":          "Webhook subscription saved.",
	"webhook-paused":         "Webhook subscription paused: it gets no new deliveries.",
	"webhook-resumed":        "Webhook subscription resumed.",
	"webhook-deleted":        "Webhook subscription deleted with its delivery log.",
	"webhook-tested":         "Test event sent; its attempt is below.",
	"webhook-replayed":       "Delivery replayed; the new attempt is below.",
	"restock-answered":       "Answer recorded; the waiting customers are told a date when you gave one.",
}

// assetVersions maps each static file to a short hash of its content, so
// asset URLs change when the file does and can be cached for a long time.
var assetVersions = hashAssets(console.Static())

func hashAssets(fsys fs.FS) map[string]string {
	out := map[string]string{}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return out
}

var consoleFuncs = template.FuncMap{
	"asset": func(name string) string {
		return "/console/static/" + name + "?v=" + assetVersions[name]
	},
	"money": func(m money.Money) string {
		if m.Currency == "" {
			return "—"
		}
		return m.String()
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"whenp": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join": strings.Join,
	// query builds a URL query from key/value pairs, leaving out empty values.
	"query": func(kv ...string) template.URL {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				q.Set(kv[i], kv[i+1])
			}
		}
		return template.URL(q.Encode())
	},
	"itoa": func(n int64) string { return strconv.FormatInt(n, 10) },
}

// consoleTemplates holds one template set per page: layout.html plus the
// page's own file. The files are embedded, so a parse error is a programming
// error that any test catches at start-up.
var consoleTemplates = parseConsoleTemplates(console.Templates())

func parseConsoleTemplates(fsys fs.FS) map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(consoleFuncs).ParseFS(fsys, "layout.html"))
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, name := range names {
		if name == "layout.html" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(fsys, name))
	}
	return out
}

// render writes page (a template file name) inside the layout. The page is
// rendered into a buffer first so a template error never leaves half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	v.User = auth.FromContext(r.Context())
	if v.User != nil {
		v.Nav = navFor(v.User)
	}
	if v.Flash == "" {
		v.Flash = flashes[r.URL.Query().Get("done")]
	}
	s.execute(w, r, status, page, "layout", v)
}

// renderPartial writes one named block of page, for htmx requests that swap
// part of a page (rows of a list, search results).
func (s *Server) renderPartial(w http.ResponseWriter, r *http.Request, page, block string, data any) {
	s.execute(w, r, http.StatusOK, page, block, view{User: auth.FromContext(r.Context()), Data: data})
}

func (s *Server) execute(w http.ResponseWriter, r *http.Request, status int, page, block string, v view) {
	t, ok := consoleTemplates[page]
	if !ok {
		s.log.ErrorContext(r.Context(), "console template missing", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		s.log.ErrorContext(r.Context(), "console template failed", "page", page, "block", block, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Lists change with the HX-Request header (fragment or full page).
	h.Add("Vary", "HX-Request")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// isHTMX reports whether r comes from htmx and wants a fragment. A boosted or
// history-restore request wants the full page.
func isHTMX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true"
}

// statusFor returns the HTTP status for err's code.
func statusFor(err error) int {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		if st, ok := statusOf[ae.Code]; ok {
			return st
		}
	}
	return http.StatusInternalServerError
}

// errMessage returns a message about err a person can act on; internal
// errors get a generic one (the details go to the log, not the page).
func errMessage(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code != apperr.Internal && ae.Message != "" {
		// Service messages start in lower case ("only an owner can ...");
		// shown alone in an alert they read as a sentence.
		r, size := utf8.DecodeRuneInString(ae.Message)
		return string(unicode.ToUpper(r)) + ae.Message[size:]
	}
	return "Something went wrong on our side. It has been logged; please try again."
}

// consoleError renders err as an error page with the status its code maps to.
func (s *Server) consoleError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusFor(err), errMessage(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "console page failed", "path", r.URL.Path, "err", err)
	}
	s.render(w, r, status, "error.html", view{Title: http.StatusText(status), Data: map[string]string{"Message": msg}})
}

// seeOther redirects after a successful form post (POST/redirect/GET), with
// an optional flash key that the next page shows.
func seeOther(w http.ResponseWriter, r *http.Request, to, done string) {
	if done != "" {
		// The query goes before a fragment ("/x#pull" → "/x?done=…#pull"):
		// after it, the browser would take it for part of the anchor.
		path, frag, hasFrag := strings.Cut(to, "#")
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		to = path + sep + "done=" + url.QueryEscape(done)
		if hasFrag {
			to += "#" + frag
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// fieldErrors turns an apperr's field details into a map for templates, so a
// form can show each message next to its input. Errors without field details
// come back under "".
func fieldErrors(err error) map[string]string {
	out := map[string]string{}
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code == apperr.Internal {
		out[""] = errMessage(err)
		return out
	}
	for _, f := range ae.Fields {
		if _, dup := out[f.Field]; !dup {
			out[f.Field] = f.Message
		}
	}
	if len(ae.Fields) == 0 {
		out[""] = ae.Message
	}
	return out
}

// renameFields returns err with its field names mapped through names, so a
// service's field ("delta") can be shown next to the form's input ("units").
func renameFields(err error, names map[string]string) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		return err
	}
	out := *ae
	out.Fields = make([]apperr.FieldError, len(ae.Fields))
	for i, f := range ae.Fields {
		if to, ok := names[f.Field]; ok {
			f.Field = to
		}
		out.Fields[i] = f
	}
	return &out
}

// formErrors is fieldErrors for one form: the general message, or a pointer
// to the marked fields, goes under key, where the form shows it as an alert.
func formErrors(err error, key string) map[string]string {
	out := fieldErrors(err)
	if msg, ok := out[""]; ok {
		delete(out, "")
		out[key] = msg
	} else {
		out[key] = "Please correct the fields marked below."
	}
	return out
}

// serveConsoleStatic serves the embedded CSS and htmx. URLs carry a content
// hash (?v=), so browsers may cache them for long.
func serveConsoleStatic(w http.ResponseWriter, r *http.Request) {
	// Only the exact names of embedded files are served: no directories, no
	// listings.
	name := strings.TrimPrefix(r.URL.Path, "/console/static/")
	if _, ok := assetVersions[name]; !ok {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") != "" {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	http.ServeFileFS(w, r, console.Static(), name)
}

// pathID reads a positive integer path value such as {id}.
func pathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "%s %q is not a valid id", name, r.PathValue(name))
	}
	return n, nil
}
