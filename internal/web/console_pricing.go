package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/pricing"
)

// registerConsolePricing registers the pricing pages: rules, the proposals
// waiting for approval, and a SKU's price history.
func (s *Server) registerConsolePricing() {
	s.page("GET /console/pricing", auth.PricingRead, s.pricingPage)
	s.page("GET /console/pricing/rules/new", auth.PricingWrite, s.pricingNewRulePage)
	s.page("POST /console/pricing/rules", auth.PricingWrite, s.pricingCreateRule)
	s.page("GET /console/pricing/rules/{id}", auth.PricingRead, s.pricingRulePage)
	s.page("POST /console/pricing/rules/{id}", auth.PricingWrite, s.pricingSaveRule)
	s.page("POST /console/pricing/rules/{id}/delete", auth.PricingWrite, s.pricingDeleteRule)
	s.page("GET /console/pricing/proposals", auth.PricingRead, s.pricingProposalsPage)
	s.page("POST /console/pricing/proposals/{id}/approve", auth.PricingWrite, s.pricingApprove)
	s.page("POST /console/pricing/proposals/{id}/reject", auth.PricingWrite, s.pricingReject)
	s.page("GET /console/pricing/history", auth.PricingRead, s.pricingHistoryPage)
}

// maxRulesShown bounds the rules page: a store has tens of rules.
const maxRulesShown = 500

type pricingView struct {
	Rules     []pricing.Rule
	Truncated bool
	Open      int
}

// pricingPage lists the rules, most general first, with the number of
// proposals waiting.
func (s *Server) pricingPage(w http.ResponseWriter, r *http.Request) {
	rules, err := s.cfg.Pricing.ListRules(r.Context(), pricing.RuleFilter{Limit: maxRulesShown + 1})
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v := pricingView{}
	if len(rules) > maxRulesShown {
		rules, v.Truncated = rules[:maxRulesShown], true
	}
	order := map[pricing.Scope]int{pricing.ScopeStore: 0, pricing.ScopeCollection: 1, pricing.ScopeSKU: 2}
	for _, sc := range []pricing.Scope{pricing.ScopeStore, pricing.ScopeCollection, pricing.ScopeSKU} {
		for _, rule := range rules {
			if order[rule.Scope] == order[sc] {
				v.Rules = append(v.Rules, rule)
			}
		}
	}
	if v.Open, err = s.cfg.Pricing.CountOpen(r.Context()); err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "pricing.html", view{Title: "Pricing", Active: "pricing", Data: v})
}

// ruleForm is a rule as typed into the form.
type ruleForm struct {
	Scope, Tag, SKU, Currency, Priority               string
	Margin, FeePercent, FeeFixed, Shipping, Packaging string
	Ending, MinPrice, MaxPrice, MaxDailyChange, Mode  string
}

func amountOf(m money.Money) string {
	if m.Currency == "" {
		return ""
	}
	return m.Decimal()
}

func amountOfPtr(m *money.Money) string {
	if m == nil {
		return ""
	}
	return m.Decimal()
}

func ruleFormOf(r pricing.Rule) ruleForm {
	f := ruleForm{Scope: string(r.Scope), Tag: r.Tag, SKU: r.SKU, Currency: r.Currency, Priority: strconv.Itoa(r.Priority),
		Margin: r.Margin.String(), FeePercent: r.FeePercent.String(), FeeFixed: amountOf(r.FeeFixed),
		Shipping: amountOf(r.Shipping), Packaging: amountOf(r.Packaging), Ending: string(r.Ending),
		MinPrice: amountOfPtr(r.MinPrice), MaxPrice: amountOfPtr(r.MaxPrice), Mode: string(r.Mode)}
	if r.MaxDailyChange != nil {
		f.MaxDailyChange = r.MaxDailyChange.String()
	}
	return f
}

// parseRuleForm reads the rule form into a pricing.RuleInput. Amounts are in
// the form's currency or, for a SKU rule without one, the SKU's.
func (s *Server) parseRuleForm(r *http.Request) (ruleForm, pricing.RuleInput, error) {
	val := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := ruleForm{Scope: val("scope"), Tag: val("tag"), SKU: val("sku"), Currency: strings.ToUpper(val("currency")),
		Priority: val("priority"), Margin: val("margin_percent"), FeePercent: val("fee_percent"), FeeFixed: val("fee_fixed"),
		Shipping: val("shipping"), Packaging: val("packaging"), Ending: val("ending"), MinPrice: val("min_price"),
		MaxPrice: val("max_price"), MaxDailyChange: val("max_daily_change_percent"), Mode: val("mode")}
	in := pricing.RuleInput{Scope: f.Scope, Tag: f.Tag, SKU: f.SKU, Currency: f.Currency, Margin: f.Margin,
		FeePercent: f.FeePercent, Ending: f.Ending, MaxDailyChange: f.MaxDailyChange, Mode: f.Mode}
	var fe apperr.Fields
	if f.Priority != "" {
		n, err := strconv.Atoi(f.Priority)
		if err != nil {
			fe.Add("priority", "%q is not a whole number", f.Priority)
		}
		in.Priority = &n
	}
	cur := f.Currency
	if cur == "" && f.Scope == string(pricing.ScopeSKU) && f.SKU != "" {
		if v, err := s.cfg.Catalog.VariantBySKU(r.Context(), f.SKU); err == nil {
			cur = v.Price.Currency
		}
	}
	amount := func(name, s string) *money.Money {
		if s == "" {
			return nil
		}
		if cur == "" {
			fe.Add(name, "choose the rule's currency first")
			return nil
		}
		m, err := money.Parse(s, cur)
		if err != nil {
			fe.Add(name, "%v", err)
			return nil
		}
		return &m
	}
	in.FeeFixed, in.Shipping, in.Packaging = amount("fee_fixed", f.FeeFixed), amount("shipping", f.Shipping), amount("packaging", f.Packaging)
	in.MinPrice, in.MaxPrice = amount("min_price", f.MinPrice), amount("max_price", f.MaxPrice)
	return f, in, fe.Err()
}

// ruleFieldNames maps the service's money fields to the form's inputs.
var ruleFieldNames = map[string]string{
	"fee_fixed.amount": "fee_fixed", "fee_fixed.currency": "fee_fixed", "shipping.amount": "shipping",
	"shipping.currency": "shipping", "packaging.amount": "packaging", "packaging.currency": "packaging",
	"min_price.amount": "min_price", "min_price.currency": "min_price", "max_price.amount": "max_price",
	"max_price.currency": "max_price",
}

type ruleView struct {
	ID      int64 // 0: a new rule
	Rule    *pricing.Rule
	Form    ruleForm
	Errors  map[string]string
	Endings []pricing.Ending
	// The form's text inputs, in three groups around its selects.
	Target, Costs, Bounds []formInput
	// PreviewSKU and Preview show what the saved rule does to one SKU.
	PreviewSKU   string
	Preview      *pricing.Plan
	PreviewError string
}

// formInput is one text input of a form, with its error.
type formInput struct {
	Name, Label, Value, Error string
}

func newRuleView() *ruleView {
	return &ruleView{Errors: map[string]string{}, Endings: pricing.Endings}
}

// inputs lays out the form's text inputs from v.Form and v.Errors.
func (v *ruleView) inputs() {
	in := func(name, label, value string) formInput {
		return formInput{Name: name, Label: label, Value: value, Error: v.Errors[name]}
	}
	f := v.Form
	v.Target = []formInput{
		in("tag", "Tag (collection rules)", f.Tag),
		in("sku", "SKU (SKU rules)", f.SKU),
		in("currency", "Currency of the prices it sets (SKU rules: default the SKU's)", f.Currency),
		in("priority", "Priority (between collection rules: smaller wins)", f.Priority),
	}
	v.Costs = []formInput{
		in("margin_percent", "Target margin, % of the price", f.Margin),
		in("fee_percent", "Payment fee, % of the price", f.FeePercent),
		in("fee_fixed", "Payment fee, fixed per unit", f.FeeFixed),
		in("shipping", "Shipping cost per unit", f.Shipping),
		in("packaging", "Packaging cost per unit", f.Packaging),
	}
	v.Bounds = []formInput{
		in("min_price", "Minimum price (empty: none)", f.MinPrice),
		in("max_price", "Maximum price (empty: none)", f.MaxPrice),
		in("max_daily_change_percent", "Largest change in 24 hours without approval, % (empty: no limit)", f.MaxDailyChange),
	}
}

// renderRule renders the rule page.
func (s *Server) renderRule(w http.ResponseWriter, r *http.Request, status int, v *ruleView) {
	v.inputs()
	title := "New pricing rule"
	if v.ID != 0 {
		title = "Pricing rule " + strconv.FormatInt(v.ID, 10)
	}
	s.render(w, r, status, "pricing_rule.html", view{Title: title, Active: "pricing", Data: v})
}

func (s *Server) pricingNewRulePage(w http.ResponseWriter, r *http.Request) {
	v := newRuleView()
	v.Form = ruleForm{Scope: string(pricing.ScopeStore), Ending: string(pricing.Ending99), Mode: string(pricing.ModePropose),
		Priority: "100", MaxDailyChange: "10"}
	if sc := r.URL.Query().Get("scope"); sc != "" {
		v.Form.Scope = sc
	}
	s.renderRule(w, r, http.StatusOK, v)
}

func (s *Server) pricingCreateRule(w http.ResponseWriter, r *http.Request) {
	form, in, err := s.parseRuleForm(r)
	var rule pricing.Rule
	if err == nil {
		rule, err = s.cfg.Pricing.CreateRule(r.Context(), in)
	}
	if err != nil {
		v := newRuleView()
		v.Form, v.Errors = form, formErrors(renameFields(err, ruleFieldNames), "rule")
		s.renderRule(w, r, statusFor(err), v)
		return
	}
	seeOther(w, r, "/console/pricing/rules/"+strconv.FormatInt(rule.ID, 10), "rule-saved")
}

// loadRule gathers the rule page, with the preview on ?sku= if asked.
func (s *Server) loadRule(r *http.Request) (*ruleView, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	rule, err := s.cfg.Pricing.Rule(r.Context(), id)
	if err != nil {
		return nil, err
	}
	v := newRuleView()
	v.ID, v.Rule, v.Form = id, &rule, ruleFormOf(rule)
	if sku := strings.TrimSpace(r.URL.Query().Get("sku")); sku != "" {
		v.PreviewSKU = sku
		p, err := s.cfg.Pricing.Preview(r.Context(), pricing.PreviewInput{SKU: sku, RuleID: id})
		if err != nil {
			if statusFor(err) >= 500 {
				return nil, err
			}
			v.PreviewError = errMessage(err)
		} else {
			v.Preview = &p
		}
	}
	return v, nil
}

func (s *Server) pricingRulePage(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadRule(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderRule(w, r, http.StatusOK, v)
}

func (s *Server) pricingSaveRule(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadRule(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	form, in, err := s.parseRuleForm(r)
	if err == nil {
		_, err = s.cfg.Pricing.UpdateRule(r.Context(), v.ID, in)
	}
	if err != nil {
		v.Form, v.Errors = form, formErrors(renameFields(err, ruleFieldNames), "rule")
		s.renderRule(w, r, statusFor(err), v)
		return
	}
	seeOther(w, r, "/console/pricing/rules/"+strconv.FormatInt(v.ID, 10), "rule-saved")
}

func (s *Server) pricingDeleteRule(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.cfg.Pricing.DeleteRule(r.Context(), id)
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/pricing", "rule-deleted")
}

type proposalsView struct {
	Status   string
	SKU      string
	Statuses []pricing.ProposalStatus
	Rows     []pricing.Proposal
	After    string
	Next     string
}

// pricingProposalsPage lists proposals, open ones by default, newest first,
// with approve and reject buttons for those who may decide.
func (s *Server) pricingProposalsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := proposalsView{Status: string(pricing.StatusOpen), SKU: strings.TrimSpace(q.Get("sku")), After: q.Get("after"),
		Statuses: []pricing.ProposalStatus{pricing.StatusOpen, pricing.StatusApproved, pricing.StatusRejected, pricing.StatusSuperseded}}
	if q.Has("status") {
		v.Status = q.Get("status")
	}
	f := pricing.ProposalFilter{SKU: v.SKU, Limit: consolePageSize + 1}
	for _, st := range v.Statuses {
		if string(st) == v.Status {
			f.Status = st
		}
	}
	if f.Status == "" {
		v.Status = ""
	}
	if err := DecodeCursor(v.After, &f.Before); err != nil {
		s.consoleError(w, r, err)
		return
	}
	list, err := s.cfg.Pricing.ListProposals(r.Context(), f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if len(list) > consolePageSize {
		list = list[:consolePageSize]
		v.Next = EncodeCursor(list[len(list)-1].ID)
	}
	v.Rows = list
	if isHTMX(r) {
		s.renderPartial(w, r, "pricing_proposals.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "pricing_proposals.html", view{Title: "Price proposals", Active: "pricing", Data: v})
}

func (s *Server) pricingApprove(w http.ResponseWriter, r *http.Request) {
	s.decideProposal(w, r, s.cfg.Pricing.Approve, "price-approved")
}

func (s *Server) pricingReject(w http.ResponseWriter, r *http.Request) {
	s.decideProposal(w, r, s.cfg.Pricing.Reject, "price-rejected")
}

func (s *Server) decideProposal(w http.ResponseWriter, r *http.Request,
	decide func(ctx context.Context, id int64, note string) (pricing.Proposal, error), done string) {
	id, err := pathID(r, "id")
	if err == nil {
		_, err = decide(r.Context(), id, r.PostFormValue("note"))
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/pricing/proposals", done)
}

type priceHistoryView struct {
	SKU   string
	Rows  []pricing.Change
	After string
	Next  string
	Error string
}

// pricingHistoryPage shows one SKU's price history (?sku=), newest first.
func (s *Server) pricingHistoryPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := priceHistoryView{SKU: strings.TrimSpace(q.Get("sku")), After: q.Get("after")}
	if v.SKU != "" {
		f := pricing.HistoryFilter{Limit: consolePageSize + 1}
		if err := DecodeCursor(v.After, &f.Before); err != nil {
			s.consoleError(w, r, err)
			return
		}
		list, err := s.cfg.Pricing.History(r.Context(), v.SKU, f)
		switch {
		case err != nil && statusFor(err) >= 500:
			s.consoleError(w, r, err)
			return
		case err != nil:
			v.Error = errMessage(err)
		case len(list) > consolePageSize:
			list = list[:consolePageSize]
			v.Next = EncodeCursor(list[len(list)-1].ID)
		}
		v.Rows = list
	}
	s.render(w, r, http.StatusOK, "pricing_history.html", view{Title: "Price history", Active: "pricing", Data: v})
}
