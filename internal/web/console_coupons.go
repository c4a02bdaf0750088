package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/refunds"
)

// The console's coupon and refund pages (docs/coupons-refunds.md): the
// coupons list with the manual issue form, the apology-coupon policy, and
// the refunds list with "mark issued" (one or several) and the CSV for the
// payment provider. Forms are protected against cross-site posts by the
// server's cross-origin check, as every console form.

func (s *Server) registerConsoleCoupons() {
	s.page("GET /console/coupons", auth.CouponsRead, s.consoleCoupons)
	s.page("POST /console/coupons", auth.CouponsWrite, s.consoleIssueCoupon)
	s.page("POST /console/coupons/{code}/redeem", auth.CouponsWrite, s.consoleRedeemCoupon)
	s.page("POST /console/coupons/{code}/push", auth.CouponsWrite, s.consolePushCoupon)
	s.page("GET /console/coupons/policy", auth.CouponsRead, s.consoleCouponPolicy)
	s.page("POST /console/coupons/policy", auth.SettingsWrite, s.consoleSetCouponPolicy)
	s.page("GET /console/refunds", auth.RefundsRead, s.consoleRefunds)
	s.page("GET /console/refunds.csv", auth.RefundsRead, s.consoleRefundsCSV)
	s.page("POST /console/refunds/issue", auth.RefundsWrite, s.consoleIssueRefunds)
}

// couponFlashes are this page group's confirmations (?done=key).
var couponFlashes = map[string]string{
	"coupon-issued":   "Coupon issued; it is pushed to the storefronts in the background.",
	"coupon-redeemed": "Coupon marked used.",
	"coupon-pushed":   "Coupon queued to be pushed to the storefronts that do not have it.",
	"policy-saved":    "Apology-coupon policy saved.",
	"refunds-issued":  "Refunds marked issued.",
}

func couponFlash(r *http.Request) string { return couponFlashes[r.URL.Query().Get("done")] }

type couponsView struct {
	Coupons []coupons.Coupon
	Policy  coupons.Policy
	State   string
	Source  string
	Code    string
	More    bool
	Next    int64
	New     string // the code just issued
	States  []string
	Sources []string
	Form    map[string]string
	Errors  map[string]string
}

func (s *Server) consoleCoupons(w http.ResponseWriter, r *http.Request) {
	s.renderCoupons(w, r, http.StatusOK, map[string]string{"kind": "percent", "percent": "10"}, nil)
}

func (s *Server) renderCoupons(w http.ResponseWriter, r *http.Request, status int, form map[string]string, errs map[string]string) {
	q := r.URL.Query()
	v := &couponsView{State: q.Get("state"), Source: q.Get("source"), Code: q.Get("code"), New: q.Get("issued"), Form: form, Errors: errs,
		States: []string{coupons.StateUnused, coupons.StateUsed, coupons.StateExpired}, Sources: []string{coupons.SourceApology, coupons.SourceManual}}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	f := coupons.Filter{State: v.State, Source: v.Source, Code: v.Code, Limit: consolePageSize + 1}
	if raw := q.Get("before"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			s.consoleError(w, r, apperr.InvalidField("before", "must be a positive whole number, not %q", raw))
			return
		}
		f.Before = n
	}
	ctx := r.Context()
	var err error
	if v.Coupons, err = s.cfg.Coupons.List(ctx, f); err != nil {
		s.consoleError(w, r, err)
		return
	}
	if len(v.Coupons) > consolePageSize {
		v.Coupons, v.More = v.Coupons[:consolePageSize], true
		v.Next = v.Coupons[consolePageSize-1].ID
	}
	if v.Policy, err = s.cfg.Coupons.Policy(ctx); err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.render(w, r, status, "coupons.html", view{Title: "Coupons", Active: "coupons", Flash: couponFlash(r), Data: v})
}

func (s *Server) consoleIssueCoupon(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "unreadable form"))
		return
	}
	form := map[string]string{}
	for _, k := range []string{"kind", "percent", "amount", "currency", "validity_days", "order", "reason"} {
		form[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	in := coupons.NewCoupon{Kind: coupons.Kind(form["kind"]), Reason: form["reason"]}
	var fe apperr.Fields
	atoi := func(name string) int64 {
		if form[name] == "" {
			return 0
		}
		n, err := strconv.ParseInt(form[name], 10, 64)
		if err != nil {
			fe.Add(name, "must be a whole number, not %q", form[name])
		}
		return n
	}
	in.ValidityDays = int(atoi("validity_days"))
	in.Order = atoi("order")
	if in.Kind == coupons.KindPercent {
		in.Percent = int(atoi("percent"))
	} else if in.Kind == coupons.KindAmount {
		m, err := money.Parse(form["amount"], form["currency"])
		if err != nil {
			fe.Add("amount", "%v", err)
		}
		in.Amount = m
	}
	err := fe.Err()
	var c *coupons.Coupon
	if err == nil {
		c, err = s.cfg.Coupons.Issue(r.Context(), in)
	}
	if err != nil {
		if !apperr.Is(err, apperr.Invalid) {
			s.consoleError(w, r, err)
			return
		}
		s.renderCoupons(w, r, http.StatusUnprocessableEntity, form, fieldErrors(err))
		return
	}
	seeOther(w, r, "/console/coupons?issued="+c.Code, "coupon-issued")
}

func (s *Server) consoleRedeemCoupon(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "unreadable form"))
		return
	}
	if _, err := s.cfg.Coupons.Redeem(r.Context(), r.PathValue("code"), r.PostForm.Get("ref")); err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/coupons", "coupon-redeemed")
}

func (s *Server) consolePushCoupon(w http.ResponseWriter, r *http.Request) {
	if _, err := s.cfg.Coupons.Repush(r.Context(), r.PathValue("code")); err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/coupons", "coupon-pushed")
}

type couponPolicyView struct {
	Policy coupons.Policy
	Form   map[string]string
	Errors map[string]string
}

func policyForm(p coupons.Policy) map[string]string {
	f := map[string]string{"kind": string(p.Kind), "validity_days": strconv.Itoa(p.ValidityDays), "prefix": p.Prefix,
		"currency": p.Amount.Currency}
	if p.Enabled {
		f["enabled"] = "on"
	}
	if p.Percent > 0 {
		f["percent"] = strconv.Itoa(p.Percent)
	}
	if p.Amount.Amount > 0 {
		f["amount"] = p.Amount.Decimal()
	}
	return f
}

func (s *Server) consoleCouponPolicy(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Coupons.Policy(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v := &couponPolicyView{Policy: p, Form: policyForm(p), Errors: map[string]string{}}
	s.render(w, r, http.StatusOK, "coupon_policy.html", view{Title: "Apology coupons", Active: "coupons", Flash: couponFlash(r), Data: v})
}

func (s *Server) consoleSetCouponPolicy(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "unreadable form"))
		return
	}
	form := map[string]string{}
	for _, k := range []string{"enabled", "kind", "percent", "amount", "currency", "validity_days", "prefix"} {
		form[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	p := coupons.Policy{Enabled: form["enabled"] != "", Kind: coupons.Kind(form["kind"]), Prefix: form["prefix"]}
	var fe apperr.Fields
	for name, dst := range map[string]*int{"percent": &p.Percent, "validity_days": &p.ValidityDays} {
		if form[name] == "" {
			continue
		}
		n, err := strconv.Atoi(form[name])
		if err != nil {
			fe.Add(name, "must be a whole number, not %q", form[name])
		}
		*dst = n
	}
	cur := strings.ToUpper(form["currency"])
	if cur != "" && !money.ValidCurrency(cur) {
		fe.Add("currency", "unknown currency %q (want an ISO 4217 code such as EUR)", form["currency"])
	} else if form["amount"] != "" {
		m, err := money.Parse(form["amount"], cur)
		if err != nil {
			fe.Add("amount", "%v", err)
		}
		p.Amount = m
	} else {
		p.Amount.Currency = cur
	}
	err := fe.Err()
	if err == nil {
		_, err = s.cfg.Coupons.SetPolicy(r.Context(), p)
	}
	if err != nil {
		if !apperr.Is(err, apperr.Invalid) {
			s.consoleError(w, r, err)
			return
		}
		errs := fieldErrors(err)
		if m, ok := errs["amount.currency"]; ok {
			errs["currency"] = m
		}
		v := &couponPolicyView{Policy: p, Form: form, Errors: errs}
		s.render(w, r, http.StatusUnprocessableEntity, "coupon_policy.html", view{Title: "Apology coupons", Active: "coupons", Data: v})
		return
	}
	seeOther(w, r, "/console/coupons/policy", "policy-saved")
}

type refundsView struct {
	Refunds []refunds.Refund
	State   string
	Order   string
	From    string
	To      string
	Query   template.URL // the filters, encoded, for the CSV link and paging
	States  []string
	More    bool
	Next    int64
	Pending int
	Error   string
}

// refundQuery keeps the refund list's filters of q, encoded.
func refundQuery(q url.Values) string {
	out := url.Values{}
	for _, k := range []string{"state", "order", "from", "to"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out.Encode()
}

// refundFilter reads the refund list's filters from the query.
func refundFilter(r *http.Request) (refunds.Filter, *refundsView, error) {
	q := r.URL.Query()
	v := &refundsView{State: q.Get("state"), Order: q.Get("order"), From: q.Get("from"), To: q.Get("to")}
	in := refundListInput{State: v.State, From: v.From, To: v.To}
	if v.Order != "" {
		n, err := strconv.ParseInt(v.Order, 10, 64)
		if err != nil || n <= 0 {
			return refunds.Filter{}, v, apperr.InvalidField("order", "must be an order number, not %q", v.Order)
		}
		in.Order = n
	}
	f, err := in.filter()
	if err != nil {
		return f, v, err
	}
	if raw := q.Get("after"); raw != "" {
		if f.After, err = strconv.ParseInt(raw, 10, 64); err != nil || f.After < 0 {
			return f, v, apperr.InvalidField("after", "must be a whole number, not %q", raw)
		}
	}
	v.Query = template.URL(refundQuery(q))
	v.States = []string{string(refunds.Pending), string(refunds.Issued)}
	return f, v, nil
}

func (s *Server) consoleRefunds(w http.ResponseWriter, r *http.Request) {
	s.renderRefunds(w, r, http.StatusOK, "")
}

func (s *Server) renderRefunds(w http.ResponseWriter, r *http.Request, status int, msg string) {
	f, v, err := refundFilter(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Error = msg
	f.Limit = consolePageSize + 1
	if v.Refunds, err = s.cfg.Refunds.List(r.Context(), f); err != nil {
		s.consoleError(w, r, err)
		return
	}
	if len(v.Refunds) > consolePageSize {
		v.Refunds, v.More = v.Refunds[:consolePageSize], true
		v.Next = v.Refunds[consolePageSize-1].ID
	}
	for _, rf := range v.Refunds {
		if rf.State == refunds.Pending {
			v.Pending++
		}
	}
	s.render(w, r, status, "refunds.html", view{Title: "Refunds", Active: "refunds", Flash: couponFlash(r), Data: v})
}

func (s *Server) consoleRefundsCSV(w http.ResponseWriter, r *http.Request) {
	f, _, err := refundFilter(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	f.After = 0
	var buf bytes.Buffer
	if err := s.cfg.Refunds.WriteCSV(r.Context(), &buf, f); err != nil {
		s.consoleError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="refunds-`+s.now().UTC().Format(time.DateOnly)+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

func (s *Server) consoleIssueRefunds(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "unreadable form"))
		return
	}
	var ids []int64
	for _, raw := range r.PostForm["id"] {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			s.consoleError(w, r, apperr.InvalidField("id", "must be a refund id, not %q", raw))
			return
		}
		ids = append(ids, id)
	}
	backQuery, _ := url.ParseQuery(r.PostForm.Get("back"))
	back := "/console/refunds"
	if q := refundQuery(backQuery); q != "" {
		back += "?" + q
	}
	if len(ids) == 0 {
		r.URL.RawQuery = refundQuery(backQuery)
		s.renderRefunds(w, r, http.StatusUnprocessableEntity, "Tick the refunds to mark issued.")
		return
	}
	if _, err := s.cfg.Refunds.MarkIssuedBulk(r.Context(), ids, r.PostForm.Get("provider_ref")); err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		r.URL.RawQuery = refundQuery(backQuery)
		s.renderRefunds(w, r, statusFor(err), errMessage(err))
		return
	}
	seeOther(w, r, back, "refunds-issued")
}
