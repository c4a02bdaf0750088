package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/pricing"
)

// registerPricing registers the pricing API: rules, proposals, price
// history and the preview of a rule on one SKU (docs/pricing.md).
func (s *Server) registerPricing() {
	tags := []string{"Pricing"}
	operation(s, huma.Operation{OperationID: "list-pricing-rules", Method: http.MethodGet, Path: "/pricing/rules",
		Summary: "List pricing rules", Tags: tags, Description: "Rules in id order, paginated by keyset."},
		auth.PricingRead, s.listPricingRules)
	operation(s, huma.Operation{OperationID: "create-pricing-rule", Method: http.MethodPost, Path: "/pricing/rules",
		Summary: "Create a pricing rule", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "A rule covers the store (one per currency), a collection (a product tag, one per tag and currency) " +
			"or one SKU. The most specific rule covering a variant prices it. Creating a rule reprices the variants it " +
			"covers in the background, in batches. 409 when the target already has a rule."},
		auth.PricingWrite, s.createPricingRule)
	operation(s, huma.Operation{OperationID: "get-pricing-rule", Method: http.MethodGet, Path: "/pricing/rules/{id}",
		Summary: "Get a pricing rule", Tags: tags}, auth.PricingRead, s.getPricingRule)
	operation(s, huma.Operation{OperationID: "replace-pricing-rule", Method: http.MethodPut, Path: "/pricing/rules/{id}",
		Summary: "Replace a pricing rule", Tags: tags,
		Description: "Replaces the whole rule (fields left out take their defaults) and reprices what it covered and covers now."},
		auth.PricingWrite, s.replacePricingRule)
	operation(s, huma.Operation{OperationID: "delete-pricing-rule", Method: http.MethodDelete, Path: "/pricing/rules/{id}",
		Summary: "Delete a pricing rule", Tags: tags, DefaultStatus: http.StatusNoContent,
		Description: "The variants it covered are repriced by the next most specific rule, if any; open proposals stay open."},
		auth.PricingWrite, s.deletePricingRule)

	operation(s, huma.Operation{OperationID: "list-price-proposals", Method: http.MethodGet, Path: "/pricing/proposals",
		Summary: "List price proposals", Tags: tags,
		Description: "Newest first, paginated by keyset. `status=open` lists those waiting for approval."},
		auth.PricingRead, s.listPriceProposals)
	operation(s, huma.Operation{OperationID: "get-price-proposal", Method: http.MethodGet, Path: "/pricing/proposals/{id}",
		Summary: "Get a price proposal", Tags: tags}, auth.PricingRead, s.getPriceProposal)
	operation(s, huma.Operation{OperationID: "approve-price-proposal", Method: http.MethodPost, Path: "/pricing/proposals/{id}/approve",
		Summary: "Approve a price proposal", Tags: tags,
		Description: "Applies the proposed price and records it in the price history with you as the actor. 409 when the " +
			"proposal is not open, or when the price changed since it was proposed."},
		auth.PricingWrite, s.approvePriceProposal)
	operation(s, huma.Operation{OperationID: "reject-price-proposal", Method: http.MethodPost, Path: "/pricing/proposals/{id}/reject",
		Summary: "Reject a price proposal", Tags: tags,
		Description: "Closes the proposal; the same price is not proposed again from the same current price. 409 when it is not open."},
		auth.PricingWrite, s.rejectPriceProposal)

	operation(s, huma.Operation{OperationID: "get-price-history", Method: http.MethodGet, Path: "/pricing/skus/{sku}/history",
		Summary: "A SKU's price history", Tags: tags,
		Description: "Every price pricing set (by rule or approval), newest first, with the cost, the reason and who. " +
			"Paginated by keyset."},
		auth.PricingRead, s.getPriceHistory)
	operation(s, huma.Operation{OperationID: "preview-pricing", Method: http.MethodPost, Path: "/pricing/preview",
		Summary: "Preview a rule on a SKU", Tags: tags,
		Description: "What a rule would do to one SKU's price now, changing nothing: the formula's steps, the resulting " +
			"margin, and whether the price would be applied, proposed or left. Give `rule_id` (a saved rule), `rule` (an " +
			"unsaved one) or neither (the rule that covers the SKU now). A SKU that cannot be priced (no rule, no active " +
			"offer, cost in another currency) is answered with `action: cannot` and the reason in `why`."},
		auth.PricingRead, s.previewPricing)
}

// PricingRuleSettings is what a rule says about prices; ruleBody adds what it
// covers. It is exported only so huma flattens it into ruleBody.
type PricingRuleSettings struct {
	Currency       string       `json:"currency,omitempty" maxLength:"3" example:"EUR" doc:"The currency of the prices the rule sets; required except for SKU rules (default: the SKU's)"`
	Priority       *int         `json:"priority,omitempty" minimum:"0" maximum:"10000" doc:"Collection rules: the smallest wins when several cover a variant (default 100)"`
	MarginPercent  string       `json:"margin_percent" maxLength:"20" example:"30" doc:"Target contribution margin, percent of the price after cost, shipping, packaging and fees"`
	FeePercent     string       `json:"fee_percent,omitempty" maxLength:"20" example:"2.9" doc:"Payment fee, percent of the price (default 0)"`
	FeeFixed       *money.Money `json:"fee_fixed,omitempty" doc:"Payment fee, fixed per unit (default 0)"`
	Shipping       *money.Money `json:"shipping,omitempty" doc:"Estimated shipping cost per unit paid by the store (default 0)"`
	Packaging      *money.Money `json:"packaging,omitempty" doc:"Estimated packaging cost per unit (default 0)"`
	Ending         string       `json:"ending,omitempty" enum:".99,.90,whole,none" doc:"Round the price up to this ending (default none: the next minor unit)"`
	MinPrice       *money.Money `json:"min_price,omitempty" doc:"Never price below this"`
	MaxPrice       *money.Money `json:"max_price,omitempty" doc:"Never price above this"`
	MaxDailyChange string       `json:"max_daily_change_percent,omitempty" maxLength:"20" example:"10" doc:"A larger change within 24 hours waits for approval; absent: no limit"`
	Mode           string       `json:"mode,omitempty" enum:"propose,apply" doc:"propose (default): every new price waits for approval; apply: applied within the daily limit"`
}

type ruleBody struct {
	Scope string `json:"scope" enum:"store,collection,sku" doc:"What the rule covers"`
	Tag   string `json:"tag,omitempty" maxLength:"64" doc:"Collection rules: the product tag"`
	SKU   string `json:"sku,omitempty" maxLength:"64" doc:"SKU rules: the SKU"`
	PricingRuleSettings
}

func (b PricingRuleSettings) input() pricing.RuleInput {
	return pricing.RuleInput{Currency: b.Currency, Priority: b.Priority, Margin: b.MarginPercent, FeePercent: b.FeePercent,
		FeeFixed: b.FeeFixed, Shipping: b.Shipping, Packaging: b.Packaging, Ending: b.Ending, MinPrice: b.MinPrice,
		MaxPrice: b.MaxPrice, MaxDailyChange: b.MaxDailyChange, Mode: b.Mode}
}

func (b ruleBody) input() pricing.RuleInput {
	in := b.PricingRuleSettings.input()
	in.Scope, in.Tag, in.SKU = b.Scope, b.Tag, b.SKU
	return in
}

type pricingRuleListInput struct {
	ListParams
	Scope    string `query:"scope" enum:"store,collection,sku" doc:"Only rules of this scope"`
	Currency string `query:"currency" maxLength:"3" doc:"Only rules in this currency"`
}

func (s *Server) listPricingRules(ctx context.Context, in *pricingRuleListInput) (*ListOutput[pricing.Rule], error) {
	f := pricing.RuleFilter{Scope: pricing.Scope(in.Scope), Currency: in.Currency, Limit: in.Limit + 1}
	if err := DecodeCursor(in.After, &f.After); err != nil {
		return nil, err
	}
	items, err := s.cfg.Pricing.ListRules(ctx, f)
	if err != nil {
		return nil, err
	}
	return &ListOutput[pricing.Rule]{Body: page(items, in.Limit, func(r pricing.Rule) int64 { return r.ID })}, nil
}

type pricingRuleOutput struct{ Body pricing.Rule }

type createPricingRuleInput struct{ Body ruleBody }

func (s *Server) createPricingRule(ctx context.Context, in *createPricingRuleInput) (*pricingRuleOutput, error) {
	r, err := s.cfg.Pricing.CreateRule(ctx, in.Body.input())
	if err != nil {
		return nil, err
	}
	return &pricingRuleOutput{Body: r}, nil
}

func (s *Server) getPricingRule(ctx context.Context, in *idInput) (*pricingRuleOutput, error) {
	r, err := s.cfg.Pricing.Rule(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &pricingRuleOutput{Body: r}, nil
}

type replacePricingRuleInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body ruleBody
}

func (s *Server) replacePricingRule(ctx context.Context, in *replacePricingRuleInput) (*pricingRuleOutput, error) {
	r, err := s.cfg.Pricing.UpdateRule(ctx, in.ID, in.Body.input())
	if err != nil {
		return nil, err
	}
	return &pricingRuleOutput{Body: r}, nil
}

func (s *Server) deletePricingRule(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, s.cfg.Pricing.DeleteRule(ctx, in.ID)
}

type priceProposalListInput struct {
	ListParams
	Status string `query:"status" enum:"open,approved,rejected,superseded" doc:"Only proposals in this status"`
	SKU    string `query:"sku" maxLength:"64" doc:"Only this SKU's proposals (any case)"`
}

func (s *Server) listPriceProposals(ctx context.Context, in *priceProposalListInput) (*ListOutput[pricing.Proposal], error) {
	f := pricing.ProposalFilter{Status: pricing.ProposalStatus(in.Status), SKU: in.SKU, Limit: in.Limit + 1}
	if err := DecodeCursor(in.After, &f.Before); err != nil {
		return nil, err
	}
	items, err := s.cfg.Pricing.ListProposals(ctx, f)
	if err != nil {
		return nil, err
	}
	return &ListOutput[pricing.Proposal]{Body: page(items, in.Limit, func(p pricing.Proposal) int64 { return p.ID })}, nil
}

type priceProposalOutput struct{ Body pricing.Proposal }

func (s *Server) getPriceProposal(ctx context.Context, in *idInput) (*priceProposalOutput, error) {
	p, err := s.cfg.Pricing.Proposal(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &priceProposalOutput{Body: p}, nil
}

type decideProposalInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Note string `json:"note,omitempty" maxLength:"500" doc:"Why, for the record"`
	}
}

func (s *Server) approvePriceProposal(ctx context.Context, in *decideProposalInput) (*priceProposalOutput, error) {
	p, err := s.cfg.Pricing.Approve(ctx, in.ID, in.Body.Note)
	if err != nil {
		return nil, err
	}
	return &priceProposalOutput{Body: p}, nil
}

func (s *Server) rejectPriceProposal(ctx context.Context, in *decideProposalInput) (*priceProposalOutput, error) {
	p, err := s.cfg.Pricing.Reject(ctx, in.ID, in.Body.Note)
	if err != nil {
		return nil, err
	}
	return &priceProposalOutput{Body: p}, nil
}

type priceHistoryInput struct {
	ListParams
	SKU string `path:"sku" maxLength:"64" doc:"The SKU, any case"`
}

func (s *Server) getPriceHistory(ctx context.Context, in *priceHistoryInput) (*ListOutput[pricing.Change], error) {
	f := pricing.HistoryFilter{Limit: in.Limit + 1}
	if err := DecodeCursor(in.After, &f.Before); err != nil {
		return nil, err
	}
	items, err := s.cfg.Pricing.History(ctx, in.SKU, f)
	if err != nil {
		return nil, err
	}
	return &ListOutput[pricing.Change]{Body: page(items, in.Limit, func(c pricing.Change) int64 { return c.ID })}, nil
}

type previewPricingInput struct {
	Body struct {
		SKU    string               `json:"sku" minLength:"1" maxLength:"64" doc:"The SKU to preview"`
		RuleID int64                `json:"rule_id,omitempty" minimum:"1" doc:"A saved rule to apply"`
		Rule   *PricingRuleSettings `json:"rule,omitempty" doc:"An unsaved rule to apply"`
	}
}

type previewPricingOutput struct{ Body pricing.Plan }

func (s *Server) previewPricing(ctx context.Context, in *previewPricingInput) (*previewPricingOutput, error) {
	pi := pricing.PreviewInput{SKU: in.Body.SKU, RuleID: in.Body.RuleID}
	if in.Body.Rule != nil {
		ri := in.Body.Rule.input()
		pi.Rule = &ri
	}
	p, err := s.cfg.Pricing.Preview(ctx, pi)
	if err != nil {
		return nil, err
	}
	return &previewPricingOutput{Body: p}, nil
}
