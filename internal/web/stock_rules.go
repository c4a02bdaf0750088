package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
)

// registerStockRules registers the staleness and safety rules: a supplier's
// maximum feed age and stale behaviour, and the minimum quantity of a
// supplier or a SKU.
func (s *Server) registerStockRules() {
	tags := []string{"Stock"}
	operation(s, huma.Operation{OperationID: "get-supplier-staleness", Method: http.MethodGet, Path: "/stock/suppliers/{supplier_id}/staleness",
		Summary: "Get a supplier's feed staleness", Tags: tags,
		Description: "The supplier's maximum feed age and stale behaviour, when it last reported (a report or an applied feed run), " +
			"how old that is, and whether the supplier is stale now."},
		auth.StockRead, s.getStaleness)
	operation(s, huma.Operation{OperationID: "set-supplier-staleness", Method: http.MethodPut, Path: "/stock/suppliers/{supplier_id}/staleness",
		Summary: "Set a supplier's feed staleness", Tags: tags,
		Description: "Replaces the setting. Once the supplier's last report is older than `max_feed_age` it is stale: " +
			"`stale_mode: exclude` stops its stock counting toward available-to-sell, `stale_mode: buffer` holds back " +
			"`stale_buffer_percent` more of each reported quantity. Reservations already made stay. The state is decided " +
			"again at once with the new setting; a report or feed run makes the supplier fresh."},
		auth.StockWrite, s.setStaleness)
	operation(s, huma.Operation{OperationID: "get-supplier-min-quantity", Method: http.MethodGet, Path: "/stock/suppliers/{supplier_id}/min-quantity",
		Summary: "Get a supplier's minimum quantity", Tags: tags}, auth.StockRead, s.getSupplierMinQuantity)
	operation(s, huma.Operation{OperationID: "set-supplier-min-quantity", Method: http.MethodPut, Path: "/stock/suppliers/{supplier_id}/min-quantity",
		Summary: "Set a supplier's minimum quantity", Tags: tags,
		Description: "A quantity the supplier reports below `min_quantity` counts as 0 (0: no minimum). The larger of the " +
			"supplier's and the SKU's minimum applies."},
		auth.StockWrite, s.setSupplierMinQuantity)
	operation(s, huma.Operation{OperationID: "get-sku-min-quantity", Method: http.MethodGet, Path: "/stock/skus/{sku}/min-quantity",
		Summary: "Get a SKU's minimum quantity", Tags: tags}, auth.StockRead, s.getSKUMinQuantity)
	operation(s, huma.Operation{OperationID: "set-sku-min-quantity", Method: http.MethodPut, Path: "/stock/skus/{sku}/min-quantity",
		Summary: "Set a SKU's minimum quantity", Tags: tags,
		Description: "A quantity any supplier reports for the SKU below `min_quantity` counts as 0 (0: no minimum). The larger of " +
			"the SKU's and the supplier's minimum applies."},
		auth.StockWrite, s.setSKUMinQuantity)
}

// SupplierStaleness is a supplier's staleness setting with its feed state.
type SupplierStaleness struct {
	SupplierID         int64      `json:"supplier_id"`
	MaxFeedAge         string     `json:"max_feed_age" example:"48h" doc:"How old the last report may be before the supplier is stale; \"0\": never stale"`
	MaxFeedAgeSeconds  int64      `json:"max_feed_age_seconds" doc:"max_feed_age in seconds"`
	StaleMode          string     `json:"stale_mode" enum:"exclude,buffer" doc:"exclude: stale stock does not count toward ATS; buffer: stale_buffer_percent more is held back"`
	StaleBufferPercent string     `json:"stale_buffer_percent" example:"25" doc:"Held back on top of the other rules while stale (mode buffer)"`
	LastFeedAt         *time.Time `json:"last_feed_at,omitempty" doc:"The supplier's newest report or applied feed run; absent if never"`
	FeedAgeSeconds     *int64     `json:"feed_age_seconds,omitempty" doc:"How old last_feed_at is now; absent if never"`
	Stale              bool       `json:"stale" doc:"The supplier is stale now: its stale_mode applies"`
	StaleSince         *time.Time `json:"stale_since,omitempty" doc:"When the supplier became stale"`
	Overdue            bool       `json:"overdue" doc:"The feed is older than max_feed_age: stale, or about to be (the staleness job runs every minute)"`
}

func (s *Server) stalenessOut(f inventory.SupplierFeed) SupplierStaleness {
	now := s.now()
	out := SupplierStaleness{SupplierID: f.SupplierID, MaxFeedAge: inventory.FormatFeedAge(f.Staleness.MaxAge),
		MaxFeedAgeSeconds: int64(f.Staleness.MaxAge / time.Second), StaleMode: string(f.Staleness.Mode),
		StaleBufferPercent: f.Staleness.Percent.String(), Stale: f.Stale, Overdue: f.Overdue(now)}
	if !f.LastFeedAt.IsZero() {
		at, age := f.LastFeedAt, int64(f.Age(now)/time.Second)
		out.LastFeedAt, out.FeedAgeSeconds = &at, &age
	}
	if !f.StaleSince.IsZero() {
		at := f.StaleSince
		out.StaleSince = &at
	}
	return out
}

type stalenessOutput struct{ Body SupplierStaleness }

func (s *Server) getStaleness(ctx context.Context, in *supplierIDInput) (*stalenessOutput, error) {
	f, err := s.cfg.Inventory.SupplierFeed(ctx, in.SupplierID)
	if err != nil {
		return nil, err
	}
	return &stalenessOutput{Body: s.stalenessOut(f)}, nil
}

type setStalenessInput struct {
	SupplierID int64 `path:"supplier_id" minimum:"1"`
	Body       struct {
		MaxFeedAge         string `json:"max_feed_age" maxLength:"20" example:"48h" doc:"A duration (48h, 90m, 1h30m), a number of days (2d), or \"0\" for never stale; at least 1m, at most 366d"`
		StaleMode          string `json:"stale_mode,omitempty" enum:"exclude,buffer" doc:"What a stale feed does (default exclude)"`
		StaleBufferPercent string `json:"stale_buffer_percent,omitempty" maxLength:"20" example:"25" doc:"Mode buffer: the percentage of each reported quantity held back on top of the other rules, above 0 and at most 100"`
	}
}

func (s *Server) setStaleness(ctx context.Context, in *setStalenessInput) (*stalenessOutput, error) {
	b := in.Body
	age, err := inventory.ParseFeedAge("max_feed_age", b.MaxFeedAge)
	if err != nil {
		return nil, err
	}
	pct, err := inventory.ParsePercent("stale_buffer_percent", b.StaleBufferPercent)
	if err != nil {
		return nil, err
	}
	mode := inventory.StaleMode(b.StaleMode)
	if mode == "" {
		mode = inventory.StaleExclude
	}
	f, err := s.cfg.Inventory.SetStaleness(ctx, in.SupplierID, inventory.Staleness{MaxAge: age, Mode: mode, Percent: pct})
	if err != nil {
		return nil, err
	}
	return &stalenessOutput{Body: s.stalenessOut(f)}, nil
}

// MinQuantity is a minimum-quantity rule.
type MinQuantity struct {
	MinQuantity int `json:"min_quantity" minimum:"0" maximum:"1000000000" doc:"A reported quantity below it counts as 0; 0: no minimum"`
}

type minQuantityOutput struct{ Body MinQuantity }

func (s *Server) getSupplierMinQuantity(ctx context.Context, in *supplierIDInput) (*minQuantityOutput, error) {
	n, err := s.cfg.Inventory.SupplierMinQuantity(ctx, in.SupplierID)
	if err != nil {
		return nil, err
	}
	return &minQuantityOutput{Body: MinQuantity{MinQuantity: n}}, nil
}

type setSupplierMinQuantityInput struct {
	SupplierID int64 `path:"supplier_id" minimum:"1"`
	Body       MinQuantity
}

func (s *Server) setSupplierMinQuantity(ctx context.Context, in *setSupplierMinQuantityInput) (*minQuantityOutput, error) {
	if err := s.cfg.Inventory.SetSupplierMinQuantity(ctx, in.SupplierID, in.Body.MinQuantity); err != nil {
		return nil, err
	}
	return &minQuantityOutput{Body: in.Body}, nil
}

func (s *Server) getSKUMinQuantity(ctx context.Context, in *stockSKUInput) (*minQuantityOutput, error) {
	n, err := s.cfg.Inventory.SKUMinQuantity(ctx, in.SKU)
	if err != nil {
		return nil, err
	}
	return &minQuantityOutput{Body: MinQuantity{MinQuantity: n}}, nil
}

type setSKUMinQuantityInput struct {
	SKU  string `path:"sku" maxLength:"64"`
	Body MinQuantity
}

func (s *Server) setSKUMinQuantity(ctx context.Context, in *setSKUMinQuantityInput) (*minQuantityOutput, error) {
	if err := s.cfg.Inventory.SetSKUMinQuantity(ctx, in.SKU, in.Body.MinQuantity); err != nil {
		return nil, err
	}
	return &minQuantityOutput{Body: in.Body}, nil
}
