package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
)

// registerStockPolicies registers the backorder and pre-order policy of a
// SKU. The path sits beside the SKU's buffer (/stock/skus/{sku}/...): a bare
// /stock/{sku}/policy would clash with /stock/skus/{sku} in the router.
func (s *Server) registerStockPolicies() {
	tags := []string{"Stock"}
	operation(s, huma.Operation{OperationID: "get-stock-policy", Method: http.MethodGet, Path: "/stock/skus/{sku}/policy",
		Summary: "Get a SKU's backorder and pre-order policy", Tags: tags,
		Description: "What may be sold beyond available-to-sell, and how much of it is taken now. A SKU never set has the " +
			"zero policy: no backorders, no pre-orders."},
		auth.StockRead, s.getStockPolicy)
	operation(s, huma.Operation{OperationID: "set-stock-policy", Method: http.MethodPut, Path: "/stock/skus/{sku}/policy",
		Summary: "Set a SKU's backorder and pre-order policy", Tags: tags,
		Description: "Replaces the whole policy. `backorder_limit` > 0 lets up to that many units wait for a restock at once. " +
			"`preorder_release_at` (with `preorder_cap` ≥ 1) sells the SKU as a pre-order until that time, within the cap " +
			"and the per-channel caps. Lowering a limit below what is taken is allowed: units already sold keep their place, " +
			"and nothing more is taken until the count falls below it."},
		auth.StockWrite, s.setStockPolicy)
}

// StockPolicy is a SKU's backorder and pre-order policy with its counters.
type StockPolicy struct {
	SKU               string       `json:"sku"`
	BackorderLimit    int          `json:"backorder_limit" doc:"Units that may wait for a restock at once; 0: no backorders"`
	Backordered       int          `json:"backordered" doc:"Units waiting for a restock now"`
	RestockExpectedAt *time.Time   `json:"restock_expected_at,omitempty" doc:"Staff's estimate of the next restock; absent: the shortest lead time of the SKU's offers"`
	PreorderReleaseAt *time.Time   `json:"preorder_release_at,omitempty" doc:"Sold as a pre-order until then; absent: not a pre-order SKU"`
	PreorderCap       int          `json:"preorder_cap" doc:"Pre-order units that may be sold in all"`
	Preordered        int          `json:"preordered" doc:"Pre-order units sold now"`
	Preorder          bool         `json:"preorder" doc:"The SKU sells as a pre-order now (release time in the future)"`
	ChannelCaps       []ChannelCap `json:"channel_caps" nullable:"false" doc:"Per-channel pre-order caps, within the global cap"`
	UpdatedAt         *time.Time   `json:"updated_at,omitempty" doc:"When the policy was last set; absent if never"`
}

// ChannelCap caps the pre-orders of a SKU sold through one channel.
type ChannelCap struct {
	Channel string `json:"channel" example:"shopify"`
	Cap     int    `json:"cap" doc:"Pre-order units this channel may sell"`
	Taken   int    `json:"taken" doc:"Sold through this channel now"`
}

func (s *Server) policyOut(p inventory.Policy) StockPolicy {
	out := StockPolicy{SKU: p.SKU, BackorderLimit: p.BackorderLimit, Backordered: p.Backordered,
		RestockExpectedAt: p.RestockExpectedAt, PreorderReleaseAt: p.PreorderReleaseAt, PreorderCap: p.PreorderCap,
		Preordered: p.Preordered, Preorder: p.IsPreorder(s.now()), ChannelCaps: make([]ChannelCap, len(p.ChannelCaps))}
	for i, c := range p.ChannelCaps {
		out.ChannelCaps[i] = ChannelCap{Channel: c.Channel, Cap: c.Cap, Taken: c.Taken}
	}
	if !p.UpdatedAt.IsZero() {
		at := p.UpdatedAt.UTC()
		out.UpdatedAt = &at
	}
	return out
}

type stockPolicyOutput struct{ Body StockPolicy }

func (s *Server) getStockPolicy(ctx context.Context, in *stockSKUInput) (*stockPolicyOutput, error) {
	p, err := s.cfg.Inventory.Policy(ctx, in.SKU)
	if err != nil {
		return nil, err
	}
	return &stockPolicyOutput{Body: s.policyOut(p)}, nil
}

// channelCapBody is a per-channel pre-order cap in a request.
type channelCapBody struct {
	Channel string `json:"channel" pattern:"^[a-z0-9][a-z0-9_-]{0,39}$" example:"shopify"`
	Cap     int    `json:"cap" minimum:"0" maximum:"1000000000" doc:"At most preorder_cap"`
}

type setStockPolicyInput struct {
	SKU  string `path:"sku" maxLength:"64"`
	Body struct {
		BackorderLimit    int              `json:"backorder_limit,omitempty" minimum:"0" maximum:"1000000000" doc:"Units that may wait for a restock at once; 0 (default): no backorders"`
		RestockExpectedAt *time.Time       `json:"restock_expected_at,omitempty" doc:"When the next restock is expected; absent: derived from the offers' lead time"`
		PreorderReleaseAt *time.Time       `json:"preorder_release_at,omitempty" doc:"Sell as a pre-order until this time; absent: not a pre-order SKU"`
		PreorderCap       int              `json:"preorder_cap,omitempty" minimum:"0" maximum:"1000000000" doc:"Pre-order units that may be sold in all; at least 1 with preorder_release_at"`
		ChannelCaps       []channelCapBody `json:"channel_caps,omitempty" maxItems:"50" doc:"Optional per-channel caps within preorder_cap"`
	}
}

func (s *Server) setStockPolicy(ctx context.Context, in *setStockPolicyInput) (*stockPolicyOutput, error) {
	b := in.Body
	pi := inventory.PolicyInput{BackorderLimit: b.BackorderLimit, RestockExpectedAt: b.RestockExpectedAt,
		PreorderReleaseAt: b.PreorderReleaseAt, PreorderCap: b.PreorderCap}
	for _, c := range b.ChannelCaps {
		pi.ChannelCaps = append(pi.ChannelCaps, inventory.ChannelCap{Channel: c.Channel, Cap: c.Cap})
	}
	p, err := s.cfg.Inventory.SetPolicy(ctx, in.SKU, pi)
	if err != nil {
		return nil, err
	}
	return &stockPolicyOutput{Body: s.policyOut(p)}, nil
}
