package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/locale"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/storesettings"
	"github.com/orderly-oms/orderly/internal/web/customerpage"
)

// The customer's order page (issue 8 item 4, docs/customer-page.md,
// decision 0015): GET /o/{token} shows the order named by a signed,
// expiring link (internal/orderlinks) without an account — the token is the
// authority — and POST /o/{token}/lines/{line}/choice applies the customer's
// choice for a waiting or delayed line. A tampered or expired link gets a
// clear page (403 / 410) and changes nothing.
//
// The page is in the order's language (?lang= overrides it), shows only what
// a customer should see (no actors, internal notes, supplier names or
// costs), sets no cookie and sends no Referer (the token is in the URL).
// Each form carries a token derived from the link token under a server key,
// so a POST must come from a page this server rendered for that link.

// customerPages serves the customer's order page.
type customerPages struct {
	s     *Server
	links *orderlinks.Signer
	// formKey keys the form tokens: an HMAC under the link key of a label
	// no link can carry (order 0), so every instance derives the same.
	formKey []byte
}

// registerCustomerPage registers the public order page routes.
func (s *Server) registerCustomerPage() {
	p := &customerPages{s: s, links: s.cfg.OrderLinks}
	if p.links == nil {
		var err error
		if p.links, err = orderlinks.Load(context.Background(), s.cfg.DB); err != nil {
			s.log.Error("customer order page: no link key; the page answers 503", "err", err)
		}
	}
	if p.links != nil {
		p.formKey = []byte(p.links.Token(0, time.Unix(0, 0)))
		s.cfg.OrderLinks = p.links // the console's order page links to it
	}
	s.page("GET /o/{token}", auth.Public, p.show)
	s.page("POST /o/{token}/lines/{line}/choice", auth.Public, p.choose)
	operation(s, huma.Operation{OperationID: "get-customer-link", Method: http.MethodGet, Path: "/orders/{number}/customer-link",
		Summary: "A fresh link to the customer's order page", Tags: []string{"Orders"},
		Description: "A signed link to the order's customer page, valid for the notification setting `link_days` (60 days " +
			"by default), for staff to send the customer by hand. Whoever holds it may see the order and answer its " +
			"choices, hence `orders:write`. `url` is absolute when the branding has a base URL."},
		auth.OrdersWrite, p.customerLink)
}

type customerLinkInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The order number"`
}

type customerLinkOutput struct {
	Body struct {
		Path      string    `json:"path" doc:"The page's path, /o/{token}"`
		URL       string    `json:"url,omitempty" doc:"The absolute link, when the branding has a base URL"`
		ExpiresAt time.Time `json:"expires_at"`
	}
}

func (p *customerPages) customerLink(ctx context.Context, in *customerLinkInput) (*customerLinkOutput, error) {
	if p.links == nil {
		return nil, apperr.New(apperr.Unavailable, "the order link key could not be loaded")
	}
	if _, err := p.s.cfg.Orders.Get(ctx, in.Number); err != nil {
		return nil, err
	}
	days, base := notify.DefaultLinkDays, ""
	if p.s.cfg.Notify != nil {
		st, err := p.s.cfg.Notify.Settings(ctx)
		if err != nil {
			return nil, err
		}
		if st.Branding.LinkDays > 0 {
			days = st.Branding.LinkDays
		}
		base = strings.TrimRight(st.Branding.BaseURL, "/")
	}
	out := &customerLinkOutput{}
	out.Body.ExpiresAt = p.s.now().UTC().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
	out.Body.Path = orderlinks.Path(p.links.Token(in.Number, out.Body.ExpiresAt))
	if base != "" {
		out.Body.URL = base + out.Body.Path
	}
	return out, nil
}

var customerTemplates = parseCustomerTemplates()

func parseCustomerTemplates() map[string]*template.Template {
	fsys := customerpage.Templates()
	base := template.Must(template.New("layout.html").ParseFS(fsys, "layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"order.html", "problem.html"} {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(fsys, name))
	}
	return out
}

// orderPageView is what the page templates receive.
type orderPageView struct {
	Lang, Title, Store, Accent, Support, LangLabel, ContactLabel string
	Langs                                                        []langLink
	T                                                            *pageText

	// The order page.
	Order                                       *orders.Order
	Status, Placed, Window, Total, Flash, Error string
	Delayed                                     bool
	Lines                                       []orderPageLine
	Choices                                     []orderPageChoice
	Parcels                                     []orderPageParcel
	History                                     []orderPageEntry

	// The problem page.
	Problem struct{ Kind, Title, Body string }
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

type orderPageLine struct {
	Position                    int
	Title, SKU, State, StateKey string
	Quantity                    int
	Total, Waiting              string
}

type orderPageChoice struct {
	Position                             int
	Title, Expected, Answer, Due, Action string
	Token                                string
	Alternatives                         []orders.Alternative
}

type orderPageParcel struct {
	Carrier, Number, URL, Shipped, Status string
}

type orderPageEntry struct {
	Event, When, Text string
	Notes             []string
}

var langNames = map[string]string{locale.English: "English", locale.BrazilianPortuguese: "Português", locale.Italian: "Italiano"}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// brand fills the store's name, accent colour and support address from the
// notification settings (Orderly's defaults without them).
func (p *customerPages) brand(ctx context.Context, v *orderPageView) {
	v.Store, v.Accent = "Orderly", "#2f5dd3"
	if p.s.cfg.Notify == nil {
		return
	}
	st, err := p.s.cfg.Notify.Settings(ctx)
	if err != nil {
		p.s.log.WarnContext(ctx, "customer order page: store branding", "err", err)
		return
	}
	b := st.Branding
	if n := strings.TrimSpace(b.StoreName); n != "" {
		v.Store = n
	}
	if hexColour.MatchString(b.AccentColor) {
		v.Accent = b.AccentColor
	}
	v.Support = strings.TrimSpace(b.SupportEmail)
}

// pageLang is the page's language: ?lang= if it names a supported one, else
// fallback (the order's locale, or the browser's).
func pageLang(r *http.Request, fallback string) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return locale.Match(l)
	}
	return locale.Match(fallback)
}

func (p *customerPages) newView(ctx context.Context, r *http.Request, lang, title string) orderPageView {
	t := textFor(lang)
	v := orderPageView{Lang: lang, T: t, Title: title, LangLabel: t.Language, ContactLabel: t.Contact}
	p.brand(ctx, &v)
	for _, code := range locale.Supported {
		q := url.Values{"lang": {code}}
		v.Langs = append(v.Langs, langLink{Code: code, Name: langNames[code], URL: r.URL.Path + "?" + q.Encode(), Current: code == lang})
	}
	return v
}

// verify checks the link; on failure it writes the problem page (403
// tampered, 410 expired, 503 without a key) and returns ok false.
func (p *customerPages) verify(w http.ResponseWriter, r *http.Request) (int64, string, bool) {
	token := r.PathValue("token")
	if p.links == nil {
		http.Error(w, "the order page is unavailable", http.StatusServiceUnavailable)
		return 0, "", false
	}
	number, _, err := p.links.Verify(token, p.s.now())
	switch {
	case err == nil:
		return number, token, true
	case errors.Is(err, orderlinks.ErrExpired):
		// The link is genuine: the customer reads the page in the order's
		// language, and learns nothing more of it.
		lang := r.Header.Get("Accept-Language")
		if o, gerr := p.s.cfg.Orders.Get(r.Context(), number); gerr == nil {
			lang = o.Locale
		} else {
			lang = locale.MatchAccept(lang)
		}
		p.problem(w, r, http.StatusGone, "expired", pageLang(r, lang))
	default:
		p.problem(w, r, http.StatusForbidden, "tampered", pageLang(r, locale.MatchAccept(r.Header.Get("Accept-Language"))))
	}
	return 0, "", false
}

func (p *customerPages) problem(w http.ResponseWriter, r *http.Request, status int, kind, lang string) {
	t := textFor(lang)
	title, body := t.TamperedTitle, t.TamperedBody
	switch kind {
	case "expired":
		title, body = t.ExpiredTitle, t.ExpiredBody
	case "not_found":
		title, body = t.NotFoundTitle, t.NotFoundBody
	}
	v := p.newView(r.Context(), r, lang, title)
	v.Problem.Kind, v.Problem.Title, v.Problem.Body = kind, title, body
	p.render(w, r, status, "problem.html", v)
}

func (p *customerPages) render(w http.ResponseWriter, r *http.Request, status int, page string, v orderPageView) {
	var buf bytes.Buffer
	if err := customerTemplates[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		p.s.log.ErrorContext(r.Context(), "customer page template failed", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// show renders the order page.
func (p *customerPages) show(w http.ResponseWriter, r *http.Request) {
	number, token, ok := p.verify(w, r)
	if !ok {
		return
	}
	p.showOrder(w, r, number, token, http.StatusOK, "")
}

func (p *customerPages) showOrder(w http.ResponseWriter, r *http.Request, number int64, token string, status int, errText string) {
	ctx := r.Context()
	o, err := p.s.cfg.Orders.Get(ctx, number)
	if apperr.Is(err, apperr.NotFound) {
		p.problem(w, r, http.StatusNotFound, "not_found", pageLang(r, locale.MatchAccept(r.Header.Get("Accept-Language"))))
		return
	}
	if err != nil {
		p.s.log.ErrorContext(ctx, "customer order page", "order", number, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	lang := pageLang(r, o.Locale)
	t := textFor(lang)
	v := p.newView(ctx, r, lang, fmt.Sprintf("%s #%d", t.Order, o.Number))
	if err := p.fill(ctx, &v, o, token); err != nil {
		p.s.log.ErrorContext(ctx, "customer order page", "order", number, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.Error = errText
	if status == http.StatusOK {
		switch orders.Choice(r.URL.Query().Get("done")) {
		case orders.ChoiceWait:
			v.Flash = t.FlashWait
		case orders.ChoiceSwap:
			v.Flash = t.FlashSwap
		case orders.ChoiceCancel:
			v.Flash = t.FlashCancel
		}
	}
	p.render(w, r, status, "order.html", v)
}

// fill builds the order page's view of o. Instants (placed, shipped, the
// consent deadline, the history, a coupon's last day) are shown in the
// store's time zone; calendar days (the delivery window, restock dates
// stored as midnight UTC) as they are (locale.CalendarDay).
func (p *customerPages) fill(ctx context.Context, v *orderPageView, o *orders.Order, token string) error {
	lang, t := v.Lang, v.T
	zone, err := storesettings.Zone(ctx, p.s.cfg.DB.R)
	if err != nil {
		return err
	}
	day := func(tm time.Time) string { return locale.Date(locale.CalendarDay(tm, zone), lang) }
	on := func(tm time.Time) string { return locale.Date(tm.In(zone), lang) }
	v.Order = o
	v.Status = t.States[o.State]
	v.Placed = on(o.PlacedAt)
	v.Total = locale.Money(o.Total, lang)
	v.Delayed = orders.Delayed(o.AtRisk)
	if pr := o.Promise; pr != nil {
		e, err1 := time.Parse(time.DateOnly, pr.Earliest)
		l, err2 := time.Parse(time.DateOnly, pr.Latest)
		if err1 == nil && err2 == nil {
			v.Window = fmt.Sprintf(t.WindowNote, day(e), day(l))
		}
	}
	for _, l := range o.Lines {
		cl := orderPageLine{Position: l.Position, Title: l.Title, SKU: l.SKU, State: t.LineStates[l.State], StateKey: string(l.State),
			Quantity: l.Quantity - l.Cancelled, Total: locale.Money(money.Money{Amount: l.Total.Amount - l.Refunded.Amount, Currency: o.Currency}, lang)}
		if l.State == orders.LineCancelled {
			cl.Quantity = l.Quantity
		}
		if n := l.Backordered + l.Short; n > 0 {
			cl.Waiting = fmt.Sprintf(t.Waiting, n)
			if l.ExpectedAt != nil {
				cl.Waiting += " · " + fmt.Sprintf(t.ExpectedOn, day(*l.ExpectedAt))
			}
		}
		v.Lines = append(v.Lines, cl)
	}
	cs, err := p.s.cfg.Orders.Choices(ctx, o.Number)
	if err != nil {
		return err
	}
	for _, c := range cs {
		cc := orderPageChoice{Position: c.Line, Title: c.Title, Alternatives: c.Alternatives,
			Action: choicePath(token, c.Line) + "?lang=" + url.QueryEscape(lang), Token: p.formToken(token, c.Line), Expected: t.NoDate}
		if c.ExpectedAt != nil {
			cc.Expected = fmt.Sprintf(t.ExpectedOn, day(*c.ExpectedAt))
		}
		if !containsChoice(c.Choices, orders.ChoiceSwap) {
			cc.Alternatives = nil
		}
		if a := c.Answer; a != nil && a.Choice == orders.ChoiceWait {
			cc.Answer = t.AnsweredWaitNoDate
			if a.ExpectedAt != nil {
				cc.Answer = fmt.Sprintf(t.AnsweredWait, day(*a.ExpectedAt))
			}
		}
		if c.DueAt != nil && c.Answer == nil {
			cc.Due = fmt.Sprintf(t.DueBy, locale.DateTimeZone(c.DueAt.In(zone), lang))
		}
		v.Choices = append(v.Choices, cc)
	}
	if p.s.cfg.Shipping != nil {
		parcels, err := p.s.cfg.Shipping.List(ctx, shipping.Filter{OrderNumber: o.Number, Limit: 100})
		if err != nil {
			return err
		}
		for _, sh := range parcels {
			v.Parcels = append(v.Parcels, orderPageParcel{Carrier: strings.ToUpper(sh.Carrier), Number: sh.TrackingNumber,
				URL: safeURL(sh.TrackingURL), Shipped: fmt.Sprintf(t.Shipped, on(sh.ShippedAt)), Status: string(sh.Status)})
		}
	}
	tl, err := p.s.cfg.Orders.Timeline(ctx, o.Number)
	if err != nil {
		return err
	}
	expires := map[string]time.Time{}
	if p.s.cfg.Coupons != nil {
		cps, err := p.s.cfg.Coupons.ForOrder(ctx, o.Number)
		if err != nil {
			return err
		}
		for _, c := range cps {
			expires[c.Code] = c.ExpiresAt
		}
	}
	v.History = orderPageHistory(tl, o, lang, t, zone, expires)
	return nil
}

func containsChoice(cs []orders.Choice, c orders.Choice) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// safeURL keeps http(s) tracking links only.
func safeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.String()
}

// orderPageHistory is the timeline a customer should see, newest first: the
// whitelisted events in their own words, never the entry's actor or reason
// (which may carry internal notes or supplier names). An at-risk entry shows
// only for the delays a customer will see (late, restock late). Entries are
// dated in zone, the store's time zone; expires gives a coupon's expiry by
// code, shown as its last day there.
func orderPageHistory(tl []orders.Entry, o *orders.Order, lang string, t *pageText, zone *time.Location, expires map[string]time.Time) []orderPageEntry {
	var out []orderPageEntry
	for i := len(tl) - 1; i >= 0; i-- {
		e := tl[i]
		var d map[string]any
		_ = json.Unmarshal([]byte(e.Detail), &d)
		text, ok := t.Events[e.Event]
		switch e.Event {
		case "customer_choice":
			text, ok = t.Choices[orders.Choice(str(d["choice"]))]
		case "cancelled":
			if e.Actor == orders.ConsentActor {
				text = t.DeadlineCancel
			}
		case "at_risk":
			r := orders.RiskReason(str(d["reason"]))
			ok = r == orders.RiskLate || r == orders.RiskRestockLate
		}
		if !ok || text == "" {
			continue
		}
		ce := orderPageEntry{Event: e.Event, When: locale.Date(e.At.In(zone), lang), Text: text}
		if at, err := time.Parse(time.RFC3339Nano, str(d["expected_at"])); err == nil &&
			(e.Event == "restock_date_changed" || e.Event == "restock_date_known" || e.Event == "customer_choice") {
			ce.Notes = append(ce.Notes, fmt.Sprintf(t.ExpectedOn, locale.Date(locale.CalendarDay(at, zone), lang)))
		}
		if m, ok := moneyOf(d["refund"]); ok && m.Amount > 0 {
			ce.Notes = append(ce.Notes, fmt.Sprintf(t.Refund, locale.Money(m, lang)))
		}
		if c := str(d["coupon"]); c != "" {
			if exp, ok := expires[c]; ok && !exp.IsZero() {
				ce.Notes = append(ce.Notes, fmt.Sprintf(t.CouponUntil, c, locale.Date(exp.In(zone), lang)))
			} else {
				ce.Notes = append(ce.Notes, fmt.Sprintf(t.Coupon, c))
			}
		}
		out = append(out, ce)
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// moneyOf reads a money.Money from a decoded JSON detail value.
func moneyOf(v any) (money.Money, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return money.Money{}, false
	}
	b, err := json.Marshal(m)
	if err != nil {
		return money.Money{}, false
	}
	var out money.Money
	if err := json.Unmarshal(b, &out); err != nil || out.Currency == "" {
		return money.Money{}, false
	}
	return out, true
}

// choicePath is where a line's choice forms post.
func choicePath(token string, line int) string {
	return orderlinks.Path(token) + "/lines/" + strconv.Itoa(line) + "/choice"
}

// formToken is the per-page form token of a line: an HMAC of the link token
// and the line under the server's form key.
func (p *customerPages) formToken(token string, line int) string {
	m := hmac.New(sha256.New, p.formKey)
	m.Write([]byte("orderly order page form v1\x00"))
	m.Write([]byte(token))
	m.Write([]byte{0})
	m.Write([]byte(strconv.Itoa(line)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// choose applies a customer's choice posted from the page. A tampered or
// expired link, or a form token that is not this page's, changes nothing.
func (p *customerPages) choose(w http.ResponseWriter, r *http.Request) {
	number, token, ok := p.verify(w, r)
	if !ok {
		return
	}
	line, err := strconv.Atoi(r.PathValue("line"))
	if err != nil || line < 1 || line > orders.MaxLines {
		p.problem(w, r, http.StatusNotFound, "not_found", pageLang(r, locale.MatchAccept(r.Header.Get("Accept-Language"))))
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	want := p.formToken(token, line)
	if !hmac.Equal([]byte(r.PostForm.Get("form_token")), []byte(want)) {
		p.problem(w, r, http.StatusForbidden, "tampered", pageLang(r, locale.MatchAccept(r.Header.Get("Accept-Language"))))
		return
	}
	in := orders.ChoiceInput{Line: line, Choice: orders.Choice(r.PostForm.Get("choice")), SKU: r.PostForm.Get("sku")}
	_, err = p.s.cfg.Orders.Choose(r.Context(), number, in)
	if err != nil {
		status := statusFor(err)
		if status >= 500 {
			p.s.log.ErrorContext(r.Context(), "customer choice failed", "order", number, "line", line, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		o, gerr := p.s.cfg.Orders.Get(r.Context(), number)
		lang := locale.English
		if gerr == nil {
			lang = pageLang(r, o.Locale)
		}
		msg := textFor(lang).ErrInvalid
		if status == http.StatusConflict {
			msg = textFor(lang).ErrConflict
		}
		p.showOrder(w, r, number, token, status, msg)
		return
	}
	q := url.Values{"done": {string(in.Choice)}}
	if l := r.URL.Query().Get("lang"); l != "" {
		q.Set("lang", locale.Match(l))
	}
	http.Redirect(w, r, orderlinks.Path(token)+"?"+q.Encode(), http.StatusSeeOther)
}
