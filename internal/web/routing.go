package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/routing"
)

// registerRouting registers routing (docs/routing.md): the rules and their
// order, the settings, the "test this rule" box, routing an order by hand
// and an order's routing decisions with their explanations.
func (s *Server) registerRouting() {
	if s.cfg.Routing == nil {
		// Purchasing (registered before) takes the assignments; without it
		// the rules, settings, test box and decisions still work.
		var sink routing.Sink
		if s.cfg.Purchasing != nil {
			sink = s.cfg.Purchasing
		}
		s.cfg.Routing = routing.NewRouter(s.cfg.DB, routing.NewService(s.cfg.DB, s.now), s.cfg.Orders, s.cfg.Inventory, sink, s.cfg.Promise, s.now)
	}
	tags := []string{"Routing"}
	operation(s, huma.Operation{OperationID: "list-routing-rules", Method: http.MethodGet, Path: "/routing/rules",
		Summary: "List routing rules", Tags: tags,
		Description: "In the order they are tried: the first enabled rule whose conditions all hold picks the strategy and " +
			"the supplier preference list; when none does, the settings' default strategy applies."},
		auth.RoutingRead, s.listRoutingRules)
	operation(s, huma.Operation{OperationID: "create-routing-rule", Method: http.MethodPost, Path: "/routing/rules",
		Summary: "Create a routing rule", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "Goes at `position` (1 = tried first), last by default. 422 for an unknown strategy or supplier id, " +
			"a country that is not an ISO 3166-1 alpha-2 code, a negative total, or collections (the catalog has none: use tags)."},
		auth.RoutingWrite, s.createRoutingRule)
	operation(s, huma.Operation{OperationID: "get-routing-rule", Method: http.MethodGet, Path: "/routing/rules/{id}",
		Summary: "Get a routing rule", Tags: tags}, auth.RoutingRead, s.getRoutingRule)
	operation(s, huma.Operation{OperationID: "update-routing-rule", Method: http.MethodPut, Path: "/routing/rules/{id}",
		Summary: "Replace a routing rule", Tags: tags,
		Description: "Replaces the rule; `position` 0 (or absent) keeps its place."},
		auth.RoutingWrite, s.updateRoutingRule)
	operation(s, huma.Operation{OperationID: "delete-routing-rule", Method: http.MethodDelete, Path: "/routing/rules/{id}",
		Summary: "Delete a routing rule", Tags: tags, DefaultStatus: http.StatusNoContent}, auth.RoutingWrite, s.deleteRoutingRule)
	operation(s, huma.Operation{OperationID: "reorder-routing-rules", Method: http.MethodPut, Path: "/routing/rules-order",
		Summary: "Reorder routing rules", Tags: tags,
		Description: "`ids` lists every rule once, the first tried first."},
		auth.RoutingWrite, s.reorderRoutingRules)
	operation(s, huma.Operation{OperationID: "get-routing-settings", Method: http.MethodGet, Path: "/routing/settings",
		Summary: "Get routing settings", Tags: tags,
		Description: "The default strategy (when no rule matches) and the most suppliers one order is split across."},
		auth.RoutingRead, s.getRoutingSettings)
	operation(s, huma.Operation{OperationID: "set-routing-settings", Method: http.MethodPut, Path: "/routing/settings",
		Summary: "Set routing settings", Tags: tags}, auth.RoutingWrite, s.setRoutingSettings)
	operation(s, huma.Operation{OperationID: "test-routing", Method: http.MethodPost, Path: "/routing/test",
		Summary: "Try the routing rules on an order", Tags: tags,
		Description: "Paste an order shaped like the intake body (lines with `sku` and `quantity`, `shipping_address`, " +
			"`channel`) and get the decision routing would take now, from the current rules, settings and stock, with " +
			"the why of every line. Nothing is written or reserved."},
		auth.RoutingRead, s.testRouting)
	operation(s, huma.Operation{OperationID: "route-order", Method: http.MethodPost, Path: "/orders/{number}/route",
		Summary: "Route an order now", Tags: tags,
		Description: "Routes the order's allocated lines not yet with a supplier (routing also runs by itself when an " +
			"order becomes ready). `routed` is false when there was nothing to route: already routed, on hold, or " +
			"waiting for stock."},
		auth.OrdersWrite, s.routeOrder)
	operation(s, huma.Operation{OperationID: "get-order-routing", Method: http.MethodGet, Path: "/orders/{number}/routing",
		Summary: "An order's routing decisions", Tags: tags,
		Description: "Every decision, oldest first: what triggered it (confirmed, restocked, manual, rejected, timeout), " +
			"the rule and strategy, and per line the supplier chosen and why the others were not."},
		auth.RoutingRead, s.getOrderRouting)
}

// RoutingRule, RoutingRuleInput, RoutingSettings and RoutingDecision are
// the routing types under their API names (pricing has rules too, promise
// settings).
type (
	RoutingRule      routing.Rule
	RoutingRuleInput routing.RuleInput
	RoutingSettings  routing.Settings
	RoutingDecision  routing.Decision
)

func routingRules(rs []routing.Rule) []RoutingRule {
	out := make([]RoutingRule, len(rs))
	for i, r := range rs {
		out[i] = RoutingRule(r)
	}
	return out
}

type routingRulesOutput struct {
	Body struct {
		Rules []RoutingRule `json:"rules"`
	}
}

func (s *Server) listRoutingRules(ctx context.Context, _ *struct{}) (*routingRulesOutput, error) {
	rs, err := s.cfg.Routing.Rules().Rules(ctx)
	if err != nil {
		return nil, err
	}
	out := &routingRulesOutput{}
	out.Body.Rules = routingRules(rs)
	return out, nil
}

type routingRuleOutput struct {
	Body RoutingRule
}

type routingRuleInput struct {
	Body RoutingRuleInput
}

func (s *Server) createRoutingRule(ctx context.Context, in *routingRuleInput) (*routingRuleOutput, error) {
	r, err := s.cfg.Routing.Rules().CreateRule(ctx, routing.RuleInput(in.Body))
	if err != nil {
		return nil, err
	}
	return &routingRuleOutput{Body: RoutingRule(r)}, nil
}

type routingRuleIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

func (s *Server) getRoutingRule(ctx context.Context, in *routingRuleIDInput) (*routingRuleOutput, error) {
	r, err := s.cfg.Routing.Rules().Rule(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &routingRuleOutput{Body: RoutingRule(r)}, nil
}

type updateRoutingRuleInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body RoutingRuleInput
}

func (s *Server) updateRoutingRule(ctx context.Context, in *updateRoutingRuleInput) (*routingRuleOutput, error) {
	r, err := s.cfg.Routing.Rules().UpdateRule(ctx, in.ID, routing.RuleInput(in.Body))
	if err != nil {
		return nil, err
	}
	return &routingRuleOutput{Body: RoutingRule(r)}, nil
}

func (s *Server) deleteRoutingRule(ctx context.Context, in *routingRuleIDInput) (*struct{}, error) {
	return nil, s.cfg.Routing.Rules().DeleteRule(ctx, in.ID)
}

type reorderRoutingRulesInput struct {
	Body struct {
		IDs []int64 `json:"ids" maxItems:"200" doc:"Every rule id once, the first tried first"`
	}
}

func (s *Server) reorderRoutingRules(ctx context.Context, in *reorderRoutingRulesInput) (*routingRulesOutput, error) {
	rs, err := s.cfg.Routing.Rules().Reorder(ctx, in.Body.IDs)
	if err != nil {
		return nil, err
	}
	out := &routingRulesOutput{}
	out.Body.Rules = routingRules(rs)
	return out, nil
}

type routingSettingsOutput struct {
	Body RoutingSettings
}

func (s *Server) getRoutingSettings(ctx context.Context, _ *struct{}) (*routingSettingsOutput, error) {
	st, err := s.cfg.Routing.Rules().Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &routingSettingsOutput{Body: RoutingSettings(st)}, nil
}

type setRoutingSettingsInput struct {
	Body RoutingSettings
}

func (s *Server) setRoutingSettings(ctx context.Context, in *setRoutingSettingsInput) (*routingSettingsOutput, error) {
	st, err := s.cfg.Routing.Rules().SetSettings(ctx, routing.Settings(in.Body))
	if err != nil {
		return nil, err
	}
	return &routingSettingsOutput{Body: RoutingSettings(st)}, nil
}

// testRoutingBody is an order to try the rules on: the intake body's lines,
// shipping address and channel (other intake fields are accepted and ignored).
type testRoutingBody struct {
	Channel         string            `json:"channel,omitempty" maxLength:"40" example:"shopify" doc:"Default api"`
	Currency        string            `json:"currency,omitempty" maxLength:"3" doc:"Of unit_price; default the catalog's"`
	ShippingAddress addressBody       `json:"shipping_address,omitempty" doc:"country is required; region and postal_code are used when given"`
	Lines           []testRoutingLine `json:"lines,omitempty" minItems:"1" maxItems:"250"`
}

// testRoutingLine is one line of a pasted order.
type testRoutingLine struct {
	SKU       string    `json:"sku,omitempty" maxLength:"64" example:"85123A-1"`
	Quantity  int       `json:"quantity,omitempty" minimum:"1" maximum:"100000" example:"2"`
	UnitPrice moneyBody `json:"unit_price,omitempty" doc:"For the order-value conditions; default the catalog price"`
}

type testRoutingInput struct {
	Body testRoutingBody
}

type routingDecisionOutput struct {
	Body RoutingDecision
}

func (s *Server) testRouting(ctx context.Context, in *testRoutingInput) (*routingDecisionOutput, error) {
	b := in.Body
	ti := routing.TestInput{Channel: b.Channel, Currency: b.Currency, Country: b.ShippingAddress.Country,
		Region: b.ShippingAddress.Region, PostalCode: b.ShippingAddress.PostalCode}
	for _, l := range b.Lines {
		ti.Lines = append(ti.Lines, routing.TestLine{SKU: l.SKU, Quantity: l.Quantity, UnitPrice: l.UnitPrice})
	}
	d, err := s.cfg.Routing.Test(ctx, ti)
	if err != nil {
		return nil, err
	}
	return &routingDecisionOutput{Body: RoutingDecision(d)}, nil
}

type routeOrderOutput struct {
	Body struct {
		Routed   bool             `json:"routed" doc:"false when nothing was left to route"`
		Decision *RoutingDecision `json:"decision,omitempty"`
	}
}

func (s *Server) routeOrder(ctx context.Context, in *orderNumberInput) (*routeOrderOutput, error) {
	d, err := s.cfg.Routing.Route(ctx, in.Number, routing.TriggerManual)
	if err != nil {
		return nil, err
	}
	out := &routeOrderOutput{}
	out.Body.Routed = d != nil && d.Unrouted < len(d.Lines)
	if d != nil {
		rd := RoutingDecision(*d)
		out.Body.Decision = &rd
	}
	return out, nil
}

type orderRoutingOutput struct {
	Body struct {
		Decisions []routing.StoredDecision `json:"decisions"`
	}
}

func (s *Server) getOrderRouting(ctx context.Context, in *orderNumberInput) (*orderRoutingOutput, error) {
	ds, err := s.cfg.Routing.Rules().Decisions(ctx, in.Number)
	if err != nil {
		return nil, err
	}
	out := &orderRoutingOutput{}
	out.Body.Decisions = ds
	return out, nil
}
