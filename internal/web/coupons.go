package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/money"
)

// registerCoupons registers coupons (docs/coupons-refunds.md): the
// apology-coupon policy, listing, manual issue, an order's coupons, and
// marking a coupon used (the storefront reports it); and the console pages
// of coupons and refunds.
func (s *Server) registerCoupons() {
	if s.cfg.Coupons == nil {
		s.cfg.Coupons = coupons.New(s.cfg.DB, s.now, nil)
	}
	tags := []string{"Coupons"}
	operation(s, huma.Operation{OperationID: "get-coupon-policy", Method: http.MethodGet, Path: "/coupon-policy",
		Summary: "Get the apology-coupon policy", Tags: tags,
		Description: "Whether a cancellation earns the customer a coupon, and which: `percent` (a whole percent, 10 = 10 % off) " +
			"or `amount` (in the store's currency), valid `validity_days` from issue, codes starting with `prefix`."},
		auth.CouponsRead, s.getCouponPolicy)
	operation(s, huma.Operation{OperationID: "set-coupon-policy", Method: http.MethodPut, Path: "/coupon-policy",
		Summary: "Set the apology-coupon policy", Tags: tags,
		Description: "Replaces the policy. Coupons issued before keep their value. 422 for a percent outside 1..100, an " +
			"amount that is not positive, an unknown currency, validity outside 1..3650 days, or a prefix other than A-Z and digits."},
		auth.SettingsWrite, s.setCouponPolicy)
	operation(s, huma.Operation{OperationID: "list-coupons", Method: http.MethodGet, Path: "/coupons",
		Summary: "List coupons", Tags: tags, Description: "Newest first."},
		auth.CouponsRead, s.listCoupons)
	operation(s, huma.Operation{OperationID: "issue-coupon", Method: http.MethodPost, Path: "/coupons",
		Summary: "Issue a coupon by hand", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "A coupon with a fresh code, recorded with who issued it and why, and pushed to the enabled " +
			"storefront targets by a job. `percent` is a whole percent (kind percent); `amount` is for kind amount."},
		auth.CouponsWrite, s.issueCoupon)
	operation(s, huma.Operation{OperationID: "get-coupon", Method: http.MethodGet, Path: "/coupons/{code}",
		Summary: "Get a coupon", Tags: tags, Description: "With its delivery to each storefront target."},
		auth.CouponsRead, s.getCoupon)
	operation(s, huma.Operation{OperationID: "redeem-coupon", Method: http.MethodPost, Path: "/coupons/{code}/redeem",
		Summary: "Mark a coupon used", Tags: tags,
		Description: "A coupon is used once: the storefront (or staff) reports the use, with `ref` saying on what " +
			"(e.g. the storefront's order). 409 if it was used already (saying when and on what) or has expired."},
		auth.CouponsWrite, s.redeemCoupon)
	operation(s, huma.Operation{OperationID: "push-coupon", Method: http.MethodPost, Path: "/coupons/{code}/push",
		Summary: "Push a coupon to the storefronts again", Tags: tags,
		Description: "For a storefront target added after the coupon was issued, or one that skipped it (another " +
			"currency, a discount Shopify refused) and may take it now: a job sends it to every enabled target that " +
			"does not have it. Targets that have it are not sent it again. 409 for a used or expired coupon."},
		auth.CouponsWrite, s.pushCoupon)
	operation(s, huma.Operation{OperationID: "list-order-coupons", Method: http.MethodGet, Path: "/orders/{number}/coupons",
		Summary: "An order's coupons", Tags: tags, Description: "The coupons issued for the order, oldest first."},
		auth.CouponsRead, s.listOrderCoupons)
	// The console's coupon and refund pages (console_coupons.go).
	s.registerConsoleCoupons()
}

// Coupon is a coupon under its API name, with its deliveries.
type Coupon struct {
	coupons.Coupon
	Pushes []coupons.Push `json:"pushes,omitempty" doc:"Its delivery to each storefront target (single-coupon reads only)"`
}

// CouponPolicy is the apology-coupon policy under its API name.
type CouponPolicy coupons.Policy

type couponPolicyOutput struct {
	Body CouponPolicy
}

func (s *Server) getCouponPolicy(ctx context.Context, _ *struct{}) (*couponPolicyOutput, error) {
	p, err := s.cfg.Coupons.Policy(ctx)
	if err != nil {
		return nil, err
	}
	return &couponPolicyOutput{Body: CouponPolicy(p)}, nil
}

// CouponPolicyInput is the body of PUT /coupon-policy.
type CouponPolicyInput struct {
	Enabled      bool         `json:"enabled"`
	Kind         coupons.Kind `json:"kind" enum:"percent,amount"`
	Percent      int          `json:"percent,omitempty" minimum:"0" maximum:"100" doc:"Whole percent off, for kind percent"`
	Amount       *money.Money `json:"amount,omitempty" doc:"Amount off in the store's currency, for kind amount (for kind percent, its currency is the store's)"`
	ValidityDays int          `json:"validity_days" minimum:"1" maximum:"3650"`
	Prefix       string       `json:"prefix,omitempty" maxLength:"12" doc:"Codes start with this and a hyphen"`
}

func (s *Server) setCouponPolicy(ctx context.Context, in *struct{ Body CouponPolicyInput }) (*couponPolicyOutput, error) {
	p := coupons.Policy{Enabled: in.Body.Enabled, Kind: in.Body.Kind, Percent: in.Body.Percent, ValidityDays: in.Body.ValidityDays,
		Prefix: in.Body.Prefix}
	if in.Body.Amount != nil {
		p.Amount = *in.Body.Amount
	}
	out, err := s.cfg.Coupons.SetPolicy(ctx, p)
	if err != nil {
		return nil, err
	}
	return &couponPolicyOutput{Body: CouponPolicy(out)}, nil
}

type couponListInput struct {
	ListParams
	State  string `query:"state" enum:"unused,used,expired" doc:"unused: neither used nor expired"`
	Source string `query:"source" enum:"apology,manual"`
	Order  int64  `query:"order" minimum:"1" doc:"Only coupons issued for this order"`
	Code   string `query:"code" maxLength:"40" doc:"A code or its start"`
}

func (s *Server) listCoupons(ctx context.Context, in *couponListInput) (*ListOutput[Coupon], error) {
	var before int64
	if err := DecodeCursor(in.After, &before); err != nil {
		return nil, err
	}
	limit := in.Limit
	if limit <= 0 {
		limit = 50
	}
	list, err := s.cfg.Coupons.List(ctx, coupons.Filter{State: in.State, Source: in.Source, Order: in.Order, Code: in.Code,
		Before: before, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	out := &ListOutput[Coupon]{Body: Page[Coupon]{Items: []Coupon{}}}
	for i, c := range list {
		if i == limit {
			out.Body.Next = EncodeCursor(list[i-1].ID)
			break
		}
		out.Body.Items = append(out.Body.Items, Coupon{Coupon: c})
	}
	return out, nil
}

// IssueCouponInput is the body of POST /coupons.
type IssueCouponInput struct {
	Kind         coupons.Kind `json:"kind" enum:"percent,amount"`
	Percent      int          `json:"percent,omitempty" minimum:"0" maximum:"100" doc:"Whole percent off, for kind percent"`
	Amount       *money.Money `json:"amount,omitempty" doc:"Amount off, for kind amount"`
	ValidityDays int          `json:"validity_days,omitempty" minimum:"0" maximum:"3650" doc:"Days until it expires (default: the policy's)"`
	Order        int64        `json:"order,omitempty" minimum:"0" doc:"The order it is given for (optional)"`
	Reason       string       `json:"reason" maxLength:"500" doc:"Why it is given"`
	Prefix       string       `json:"prefix,omitempty" maxLength:"12" doc:"Code prefix (default: the policy's)"`
}

type couponOutput struct {
	Body Coupon
}

func (s *Server) issueCoupon(ctx context.Context, in *struct{ Body IssueCouponInput }) (*couponOutput, error) {
	nc := coupons.NewCoupon{Kind: in.Body.Kind, Percent: in.Body.Percent, ValidityDays: in.Body.ValidityDays, Order: in.Body.Order,
		Reason: in.Body.Reason, Prefix: in.Body.Prefix}
	if in.Body.Amount != nil {
		nc.Amount = *in.Body.Amount
	}
	c, err := s.cfg.Coupons.Issue(ctx, nc)
	if err != nil {
		return nil, err
	}
	return &couponOutput{Body: Coupon{Coupon: *c}}, nil
}

type couponCodeInput struct {
	Code string `path:"code" maxLength:"40"`
}

func (s *Server) getCoupon(ctx context.Context, in *couponCodeInput) (*couponOutput, error) {
	c, err := s.cfg.Coupons.Get(ctx, in.Code)
	if err != nil {
		return nil, err
	}
	pushes, err := s.cfg.Coupons.Pushes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return &couponOutput{Body: Coupon{Coupon: *c, Pushes: pushes}}, nil
}

type redeemCouponInput struct {
	Code string `path:"code" maxLength:"40"`
	Body struct {
		Ref string `json:"ref,omitempty" maxLength:"200" doc:"What it was used on, e.g. the storefront's order"`
	}
}

func (s *Server) redeemCoupon(ctx context.Context, in *redeemCouponInput) (*couponOutput, error) {
	c, err := s.cfg.Coupons.Redeem(ctx, in.Code, in.Body.Ref)
	if err != nil {
		return nil, err
	}
	return &couponOutput{Body: Coupon{Coupon: *c}}, nil
}

func (s *Server) pushCoupon(ctx context.Context, in *couponCodeInput) (*couponOutput, error) {
	c, err := s.cfg.Coupons.Repush(ctx, in.Code)
	if err != nil {
		return nil, err
	}
	pushes, err := s.cfg.Coupons.Pushes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return &couponOutput{Body: Coupon{Coupon: *c, Pushes: pushes}}, nil
}

type orderCouponsOutput struct {
	Body struct {
		Coupons []Coupon `json:"coupons" nullable:"false"`
	}
}

func (s *Server) listOrderCoupons(ctx context.Context, in *struct {
	Number int64 `path:"number" minimum:"1"`
}) (*orderCouponsOutput, error) {
	if _, err := s.cfg.Orders.Get(ctx, in.Number); err != nil {
		return nil, err
	}
	list, err := s.cfg.Coupons.ForOrder(ctx, in.Number)
	if err != nil {
		return nil, err
	}
	out := &orderCouponsOutput{}
	out.Body.Coupons = []Coupon{}
	for _, c := range list {
		out.Body.Coupons = append(out.Body.Coupons, Coupon{Coupon: c})
	}
	return out, nil
}
