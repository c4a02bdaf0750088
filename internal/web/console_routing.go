package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// The staff's routing pages (docs/console.md, "Routing"): the ordered rules
// with their conditions in words, a form per rule (create, edit, delete,
// move up or down), the routing settings, and the "test this rule" box that
// shows the decision routing would take for a pasted order, writing nothing.

func (s *Server) registerConsoleRouting() {
	s.page("GET /console/routing", auth.RoutingRead, s.consoleRouting)
	s.page("POST /console/routing/test", auth.RoutingRead, s.consoleRoutingTest)
	s.page("POST /console/routing/settings", auth.RoutingWrite, s.consoleRoutingSettings)
	s.page("GET /console/routing/rules/new", auth.RoutingWrite, s.consoleRoutingRuleNew)
	s.page("POST /console/routing/rules", auth.RoutingWrite, s.consoleRoutingRuleSave)
	s.page("GET /console/routing/rules/{id}", auth.RoutingWrite, s.consoleRoutingRuleEdit)
	s.page("POST /console/routing/rules/{id}", auth.RoutingWrite, s.consoleRoutingRuleSave)
	s.page("POST /console/routing/rules/{id}/delete", auth.RoutingWrite, s.consoleRoutingRuleDelete)
	s.page("POST /console/routing/rules/{id}/move", auth.RoutingWrite, s.consoleRoutingRuleMove)
}

// routingRuleRow is a rule as the list shows it.
type routingRuleRow struct {
	routing.Rule
	// Conditions are the rule's conditions in words; empty: every order.
	Conditions []string
	// Suppliers is the preference list by name, most preferred first.
	Suppliers []string
	First     bool
	Last      bool
}

// routingTestResult is the test box's answer.
type routingTestResult struct {
	routing.Decision
}

type routingView struct {
	Rules      []routingRuleRow
	Settings   routing.Settings
	Strategies []routing.Strategy
	// SettingsForm and Errors are a refused settings form, shown again.
	SettingsForm map[string]string
	// Order is the test box's text; Result the decision; TestError why
	// there is none.
	Order      string
	Result     *routingTestResult
	TestError  string
	TestErrors []string
	Errors     map[string]string
}

// strategyLabels name the strategies in the console.
var strategyLabels = map[routing.Strategy]string{
	routing.LowestCost:      "lowest landed cost",
	routing.Fastest:         "fastest delivery",
	routing.Priority:        "fixed priority",
	routing.FewestShipments: "fewest shipments",
}

// StrategyLabel is a strategy in words.
func (routingView) StrategyLabel(st routing.Strategy) string { return strategyLabel(st) }

func strategyLabel(st routing.Strategy) string {
	if l, ok := strategyLabels[st]; ok {
		return l
	}
	return string(st)
}

// conditionWords writes a rule's conditions as short phrases.
func conditionWords(c routing.Conditions) []string {
	var out []string
	list := func(one, many string, vs []string) {
		switch len(vs) {
		case 0:
		case 1:
			out = append(out, one+" "+vs[0])
		default:
			out = append(out, many+" "+strings.Join(vs, ", "))
		}
	}
	list("ships to", "ships to one of", c.Countries)
	list("region", "region one of", c.Regions)
	list("has SKU", "has one of the SKUs", c.SKUs)
	list("has a product tagged", "has a product tagged one of", c.Tags)
	list("channel", "channel one of", c.Channels)
	if c.MinTotal != nil {
		out = append(out, fmt.Sprintf("total at least %d (minor units)", *c.MinTotal))
	}
	if c.MaxTotal != nil {
		out = append(out, fmt.Sprintf("total at most %d (minor units)", *c.MaxTotal))
	}
	return out
}

// routingSuppliers maps supplier ids to names for the routing pages.
func (s *Server) routingSuppliers(ctx context.Context) (map[int64]string, []suppliers.Supplier, error) {
	list, err := s.cfg.Suppliers.ListSuppliers(ctx, suppliers.SupplierFilter{Limit: 500})
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(list))
	for _, sp := range list {
		names[sp.ID] = sp.Name
	}
	return names, list, nil
}

func nameOf(names map[int64]string, id int64) string {
	if n, ok := names[id]; ok {
		return n
	}
	return "supplier " + strconv.FormatInt(id, 10)
}

// loadRouting gathers the routing page.
func (s *Server) loadRouting(ctx context.Context) (*routingView, error) {
	v := &routingView{Strategies: routing.Strategies(), Errors: map[string]string{}}
	rules, err := s.cfg.Routing.Rules().Rules(ctx)
	if err != nil {
		return nil, err
	}
	names, _, err := s.routingSuppliers(ctx)
	if err != nil {
		return nil, err
	}
	for i, r := range rules {
		row := routingRuleRow{Rule: r, Conditions: conditionWords(r.Conditions), First: i == 0, Last: i == len(rules)-1}
		for _, id := range r.Suppliers {
			row.Suppliers = append(row.Suppliers, nameOf(names, id))
		}
		v.Rules = append(v.Rules, row)
	}
	if v.Settings, err = s.cfg.Routing.Rules().Settings(ctx); err != nil {
		return nil, err
	}
	v.SettingsForm = map[string]string{"default_strategy": string(v.Settings.DefaultStrategy), "max_parts": strconv.Itoa(v.Settings.MaxParts)}
	return v, nil
}

func (s *Server) renderRouting(w http.ResponseWriter, r *http.Request, status int, v *routingView) {
	s.render(w, r, status, "routing.html", view{Title: "Routing", Active: "routing", Data: v})
}

func (s *Server) consoleRouting(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadRouting(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Order = testOrderExample
	s.renderRouting(w, r, http.StatusOK, v)
}

// testOrderExample is what the test box holds at first: the intake body's shape.
const testOrderExample = `{
  "channel": "api",
  "shipping_address": {"country": "IT", "region": "MI", "postal_code": "20121"},
  "lines": [{"sku": "SKU-1", "quantity": 1}]
}`

// consoleRoutingTest decides how the pasted order would be routed now and
// shows the decision; nothing is written. A malformed order or an unknown
// SKU is shown on the page (422).
func (s *Server) consoleRoutingTest(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v, err := s.loadRouting(ctx)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Order = r.PostFormValue("order")
	d, err := s.testPastedOrder(ctx, v.Order)
	if err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		v.TestError = "The order could not be tested: " + errMessage(err)
		var ae *apperr.Error
		if errors.As(err, &ae) && len(ae.Fields) > 0 {
			v.TestError = "The order could not be tested:"
			for _, f := range ae.Fields {
				v.TestErrors = append(v.TestErrors, f.Field+": "+f.Message)
			}
		}
		s.renderRouting(w, r, statusFor(err), v)
		return
	}
	v.Result = &routingTestResult{Decision: d}
	s.renderRouting(w, r, http.StatusOK, v)
}

// testPastedOrder reads an order in the intake body's shape (other intake
// fields are ignored) and asks routing what it would decide.
func (s *Server) testPastedOrder(ctx context.Context, text string) (routing.Decision, error) {
	if strings.TrimSpace(text) == "" {
		return routing.Decision{}, apperr.InvalidField("order", "paste an order as JSON")
	}
	var b testRoutingBody
	if err := unmarshalJSON([]byte(text), &b); err != nil {
		return routing.Decision{}, apperr.InvalidField("order", "the order is not valid JSON: %v", err)
	}
	ti := routing.TestInput{Channel: b.Channel, Currency: b.Currency, Country: b.ShippingAddress.Country,
		Region: b.ShippingAddress.Region, PostalCode: b.ShippingAddress.PostalCode}
	for _, l := range b.Lines {
		ti.Lines = append(ti.Lines, routing.TestLine{SKU: l.SKU, Quantity: l.Quantity, UnitPrice: l.UnitPrice})
	}
	return s.cfg.Routing.Test(ctx, ti)
}

// consoleRoutingSettings saves the default strategy and the most parts.
func (s *Server) consoleRoutingSettings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := map[string]string{"default_strategy": r.PostFormValue("default_strategy"), "max_parts": strings.TrimSpace(r.PostFormValue("max_parts"))}
	st := routing.Settings{DefaultStrategy: routing.Strategy(form["default_strategy"])}
	var err error
	if st.MaxParts, err = strconv.Atoi(form["max_parts"]); err != nil {
		err = apperr.InvalidField("max_parts", "%q is not a whole number", form["max_parts"])
	} else {
		_, err = s.cfg.Routing.Rules().SetSettings(ctx, st)
	}
	if err == nil {
		seeOther(w, r, "/console/routing", "routing-settings-saved")
		return
	}
	if statusFor(err) >= 500 {
		s.consoleError(w, r, err)
		return
	}
	v, lerr := s.loadRouting(ctx)
	if lerr != nil {
		s.consoleError(w, r, lerr)
		return
	}
	v.Order = testOrderExample
	v.SettingsForm = form
	v.Errors = formErrors(err, "settings")
	s.renderRouting(w, r, statusFor(err), v)
}

// routingRuleForm is the rule form's values as typed.
type routingRuleForm struct {
	Name, Strategy, Countries, Regions, SKUs, Tags, Channels, MinTotal, MaxTotal, Suppliers string
	Enabled, OnlyListed                                                                     bool
}

type routingRuleView struct {
	ID         int64
	Form       routingRuleForm
	Strategies []routing.Strategy
	Suppliers  []suppliers.Supplier
	Errors     map[string]string
}

// StrategyLabel is a strategy in words.
func (routingRuleView) StrategyLabel(st routing.Strategy) string { return strategyLabel(st) }

func formOfRule(r routing.Rule, names map[int64]string) routingRuleForm {
	f := routingRuleForm{Name: r.Name, Strategy: string(r.Strategy), Enabled: r.Enabled, OnlyListed: r.OnlyListed,
		Countries: strings.Join(r.Conditions.Countries, ", "), Regions: strings.Join(r.Conditions.Regions, ", "),
		SKUs: strings.Join(r.Conditions.SKUs, ", "), Tags: strings.Join(r.Conditions.Tags, ", "),
		Channels: strings.Join(r.Conditions.Channels, ", ")}
	if r.Conditions.MinTotal != nil {
		f.MinTotal = strconv.FormatInt(*r.Conditions.MinTotal, 10)
	}
	if r.Conditions.MaxTotal != nil {
		f.MaxTotal = strconv.FormatInt(*r.Conditions.MaxTotal, 10)
	}
	sup := make([]string, len(r.Suppliers))
	for i, id := range r.Suppliers {
		sup[i] = nameOf(names, id)
	}
	f.Suppliers = strings.Join(sup, ", ")
	return f
}

func (s *Server) renderRoutingRule(w http.ResponseWriter, r *http.Request, status int, v *routingRuleView) {
	v.Strategies = routing.Strategies()
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	if v.Suppliers == nil {
		_, list, err := s.routingSuppliers(r.Context())
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		v.Suppliers = list
	}
	title := "New routing rule"
	if v.ID != 0 {
		title = "Routing rule " + v.Form.Name
	}
	s.render(w, r, status, "routing_rule.html", view{Title: title, Active: "routing", Data: v})
}

func (s *Server) consoleRoutingRuleNew(w http.ResponseWriter, r *http.Request) {
	s.renderRoutingRule(w, r, http.StatusOK, &routingRuleView{Form: routingRuleForm{Enabled: true, Strategy: string(routing.LowestCost)}})
}

func (s *Server) consoleRoutingRuleEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	rule, err := s.cfg.Routing.Rules().Rule(r.Context(), id)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	names, list, err := s.routingSuppliers(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderRoutingRule(w, r, http.StatusOK, &routingRuleView{ID: id, Form: formOfRule(rule, names), Suppliers: list})
}

// splitList splits a comma-separated input, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// ruleInput reads the rule form. Suppliers are given by name or id, most
// preferred first.
func ruleInput(f routingRuleForm, list []suppliers.Supplier) (routing.RuleInput, error) {
	in := routing.RuleInput{Name: f.Name, Enabled: &f.Enabled, Strategy: routing.Strategy(f.Strategy), OnlyListed: f.OnlyListed,
		Conditions: routing.Conditions{Countries: splitList(f.Countries), Regions: splitList(f.Regions), SKUs: splitList(f.SKUs),
			Tags: splitList(f.Tags), Channels: splitList(f.Channels)}}
	var fs apperr.Fields
	total := func(field, raw string) *int64 {
		if raw = strings.TrimSpace(raw); raw == "" {
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			fs.Add(field, "%q is not a whole number of minor units (5000 = 50.00)", raw)
			return nil
		}
		return &n
	}
	in.Conditions.MinTotal = total("conditions.min_total", f.MinTotal)
	in.Conditions.MaxTotal = total("conditions.max_total", f.MaxTotal)
	for _, name := range splitList(f.Suppliers) {
		i := slices.IndexFunc(list, func(sp suppliers.Supplier) bool {
			return strings.EqualFold(sp.Name, name) || strconv.FormatInt(sp.ID, 10) == name
		})
		if i < 0 {
			fs.Add("suppliers", "no supplier is called %q", name)
			continue
		}
		in.Suppliers = append(in.Suppliers, list[i].ID)
	}
	return in, fs.Err()
}

// ruleFields maps the rules service's field names to the form's inputs.
func ruleField(field string) string {
	name, _, _ := strings.Cut(field, "[")
	switch name {
	case "conditions.countries":
		return "countries"
	case "conditions.regions":
		return "regions"
	case "conditions.skus":
		return "skus"
	case "conditions.tags":
		return "tags"
	case "conditions.channels":
		return "channels"
	case "conditions.min_total":
		return "min_total"
	case "conditions.max_total":
		return "max_total"
	}
	return name
}

// consoleRoutingRuleSave creates a rule (no id) or replaces one; a refused
// form is shown again with its values and the errors next to the fields.
func (s *Server) consoleRoutingRuleSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r, "id"); err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "the form could not be read: %v", err))
		return
	}
	g := r.PostFormValue
	f := routingRuleForm{Name: g("name"), Strategy: g("strategy"), Countries: g("countries"), Regions: g("regions"), SKUs: g("skus"),
		Tags: g("tags"), Channels: g("channels"), MinTotal: g("min_total"), MaxTotal: g("max_total"), Suppliers: g("suppliers"),
		Enabled: g("enabled") != "", OnlyListed: g("only_listed") != ""}
	_, list, err := s.routingSuppliers(ctx)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	in, err := ruleInput(f, list)
	if err == nil {
		if id == 0 {
			_, err = s.cfg.Routing.Rules().CreateRule(ctx, in)
		} else {
			_, err = s.cfg.Routing.Rules().UpdateRule(ctx, id, in)
		}
	}
	if err == nil {
		seeOther(w, r, "/console/routing", "routing-rule-saved")
		return
	}
	if st := statusFor(err); st >= 500 || st == http.StatusNotFound {
		s.consoleError(w, r, err)
		return
	}
	errs := map[string]string{}
	for k, m := range formErrors(err, "rule") {
		if k = ruleField(k); errs[k] == "" {
			errs[k] = m
		}
	}
	s.renderRoutingRule(w, r, statusFor(err), &routingRuleView{ID: id, Form: f, Suppliers: list, Errors: errs})
}

func (s *Server) consoleRoutingRuleDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.cfg.Routing.Rules().DeleteRule(r.Context(), id)
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/routing", "routing-rule-deleted")
}

// consoleRoutingRuleMove moves a rule one place up (tried earlier) or down.
func (s *Server) consoleRoutingRuleMove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	rules, err := s.cfg.Routing.Rules().Rules(ctx)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	ids := make([]int64, len(rules))
	for i, rl := range rules {
		ids[i] = rl.ID
	}
	i := slices.Index(ids, id)
	if i < 0 {
		s.consoleError(w, r, apperr.New(apperr.NotFound, "routing rule %d not found", id))
		return
	}
	j := i - 1
	switch r.PostFormValue("direction") {
	case "up":
	case "down":
		j = i + 1
	default:
		s.consoleError(w, r, apperr.InvalidField("direction", "move up or down, not %q", r.PostFormValue("direction")))
		return
	}
	if j >= 0 && j < len(ids) {
		ids[i], ids[j] = ids[j], ids[i]
		if _, err := s.cfg.Routing.Rules().Reorder(ctx, ids); err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	seeOther(w, r, "/console/routing", "routing-rule-moved")
}

// ruleFormInput is one text input of the rule form.
type ruleFormInput struct{ Name, Label, Value, List, Error string }

// Input describes a text input of the rule form with its value and error.
func (v routingRuleView) Input(name, label, value, list string) ruleFormInput {
	return ruleFormInput{Name: name, Label: label, Value: value, List: list, Error: v.Errors[name]}
}
