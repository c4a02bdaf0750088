package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
)

// registerStock registers the stock API: levels and available-to-sell per
// SKU, supplier reports, manual adjustments and safety buffers.
func (s *Server) registerStock() {
	if s.cfg.Inventory == nil {
		s.cfg.Inventory = inventory.New(s.cfg.DB, s.now, inventory.Options{})
	}
	tags := []string{"Stock"}
	operation(s, huma.Operation{OperationID: "list-stock", Method: http.MethodGet, Path: "/stock",
		Summary: "List stock per SKU", Tags: tags,
		Description: "SKUs in SKU order, paginated by keyset, with available-to-sell (ATS) and the reported, buffered and " +
			"reserved quantities of their sellable offers. `low_stock=true` keeps SKUs with ATS at or below `threshold` " +
			"(default: the server's low-stock setting). `stale=true` keeps SKUs with an active offer of a supplier whose feed is stale."},
		auth.StockRead, s.listStock)
	operation(s, huma.Operation{OperationID: "get-stock", Method: http.MethodGet, Path: "/stock/skus/{sku}",
		Summary: "Get the stock of a SKU", Tags: tags,
		Description: "ATS of one SKU explained offer by offer: reported quantity, buffer and the rule that set it, reserved, contribution."},
		auth.StockRead, s.getStock)
	operation(s, huma.Operation{OperationID: "get-sku-buffer", Method: http.MethodGet, Path: "/stock/skus/{sku}/buffer",
		Summary: "Get a SKU's safety buffer", Tags: tags}, auth.StockRead, s.getSKUBuffer)
	operation(s, huma.Operation{OperationID: "set-sku-buffer", Method: http.MethodPut, Path: "/stock/skus/{sku}/buffer",
		Summary: "Set a SKU's safety buffer", Tags: tags,
		Description: "Units and/or a percentage of each offer's reported quantity (rounded up) held back from sale. " +
			"The larger of the SKU's and the supplier's rules applies to each offer."},
		auth.StockWrite, s.setSKUBuffer)
	operation(s, huma.Operation{OperationID: "get-supplier-buffer", Method: http.MethodGet, Path: "/stock/suppliers/{supplier_id}/buffer",
		Summary: "Get a supplier's safety buffer", Tags: tags}, auth.StockRead, s.getSupplierBuffer)
	operation(s, huma.Operation{OperationID: "set-supplier-buffer", Method: http.MethodPut, Path: "/stock/suppliers/{supplier_id}/buffer",
		Summary: "Set a supplier's safety buffer", Tags: tags,
		Description: "Applies to every offer of the supplier; the larger of the supplier's and the SKU's rules wins."},
		auth.StockWrite, s.setSupplierBuffer)
	operation(s, huma.Operation{OperationID: "report-stock", Method: http.MethodPut, Path: "/stock/offers/{offer_id}/reported",
		Summary: "Set the quantity a supplier reports for an offer", Tags: tags,
		Description: "Records the supplier's figure and when the supplier reported it (default now); the change is listed with the adjustments."},
		auth.StockWrite, s.reportStock)
	operation(s, huma.Operation{OperationID: "create-stock-adjustment", Method: http.MethodPost, Path: "/stock/adjustments",
		Summary: "Adjust stock by hand", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "Set an offer's reported quantity (`mode: set`, `quantity`) or add a signed `delta` (`mode: add`), with a reason. " +
			"The result can never be negative."},
		auth.StockWrite, s.createAdjustment)
	operation(s, huma.Operation{OperationID: "list-stock-adjustments", Method: http.MethodGet, Path: "/stock/adjustments",
		Summary: "List stock adjustments", Tags: tags,
		Description: "Supplier reports and manual adjustments, newest first, with who made them and why."},
		auth.StockRead, s.listAdjustments)
	s.registerStockRules()
}

// StockBuffer is a safety-buffer rule as the API shows it.
type StockBuffer struct {
	Units   int    `json:"units" doc:"Units held back"`
	Percent string `json:"percent" doc:"Percentage of the reported quantity held back, rounded up to whole units; a decimal string, e.g. \"12.5\"" example:"12.5"`
}

func bufferOut(b inventory.Buffer) StockBuffer {
	return StockBuffer{Units: b.Units, Percent: b.Percent.String()}
}

// StockItem is one SKU in the stock list.
type StockItem struct {
	VariantID      int64       `json:"variant_id"`
	SKU            string      `json:"sku"`
	Title          string      `json:"title"`
	ATS            int         `json:"ats" doc:"Available to sell: Σ over sellable offers of max(0, reported − buffer − reserved)"`
	Reported       int         `json:"reported" doc:"Sum over sellable offers"`
	Buffer         int         `json:"buffer" doc:"Sum of the sellable offers' effective buffers"`
	Reserved       int         `json:"reserved" doc:"Sum over sellable offers"`
	SellableOffers int         `json:"sellable_offers" doc:"Active offers of active suppliers"`
	StaleOffers    int         `json:"stale_offers" doc:"Sellable offers whose supplier's feed is stale: their stock is excluded or buffered more"`
	SKUBuffer      StockBuffer `json:"sku_buffer"`
	LowStock       bool        `json:"low_stock" doc:"ATS is at or below the threshold in force"`
}

type stockListInput struct {
	ListParams
	Q          string `query:"q" maxLength:"200" doc:"A SKU prefix or part of the title, any case"`
	SupplierID int64  `query:"supplier_id" minimum:"1" doc:"Only SKUs this supplier has an offer for"`
	LowStock   bool   `query:"low_stock" doc:"Only SKUs with ATS at or below threshold"`
	Stale      bool   `query:"stale" doc:"Only SKUs with an active offer of a supplier whose feed is stale"`
	Threshold  string `query:"threshold" doc:"Low-stock threshold, a whole number ≥ 0 (default: the server's setting)"`
}

func (s *Server) listStock(ctx context.Context, in *stockListInput) (*ListOutput[StockItem], error) {
	f := inventory.ListFilter{Q: in.Q, SupplierID: in.SupplierID, LowStock: in.LowStock, Stale: in.Stale, Limit: in.Limit}
	if in.Threshold != "" {
		n, err := strconv.Atoi(in.Threshold)
		if err != nil || n < 0 || n > 1_000_000_000 {
			return nil, apperr.InvalidField("query.threshold", "must be a whole number from 0 to 1000000000, got %q", in.Threshold)
		}
		f.Threshold = &n
	}
	if err := DecodeCursor(in.After, &f.AfterSKU); err != nil {
		return nil, err
	}
	lines, more, err := s.cfg.Inventory.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &ListOutput[StockItem]{Body: Page[StockItem]{Items: make([]StockItem, len(lines))}}
	for i, l := range lines {
		out.Body.Items[i] = StockItem{VariantID: l.VariantID, SKU: l.SKU, Title: l.Title, ATS: l.ATS, Reported: l.Reported,
			Buffer: l.Buffer, Reserved: l.Reserved, SellableOffers: l.SellableOffers, StaleOffers: l.StaleOffers, SKUBuffer: bufferOut(l.SKUBuffer),
			LowStock: l.LowStock}
	}
	if more && len(lines) > 0 {
		out.Body.Next = EncodeCursor(lines[len(lines)-1].SKU)
	}
	return out, nil
}

// OfferStockItem is one offer's line in a SKU's stock breakdown.
type OfferStockItem struct {
	OfferID        int64      `json:"offer_id"`
	SupplierID     int64      `json:"supplier_id"`
	SupplierName   string     `json:"supplier_name"`
	SupplierSKU    string     `json:"supplier_sku"`
	Priority       int        `json:"priority"`
	OfferStatus    string     `json:"offer_status"`
	SupplierStatus string     `json:"supplier_status"`
	Sellable       bool       `json:"sellable" doc:"The offer and its supplier are both active"`
	Reported       int        `json:"reported"`
	ReportedAt     *time.Time `json:"reported_at,omitempty" doc:"When the supplier last reported; absent if never"`
	Buffer         int        `json:"buffer" doc:"Effective buffer: the largest applicable rule"`
	BufferRule     string     `json:"buffer_rule" enum:"none,supplier_units,supplier_percent,sku_units,sku_percent,supplier_min_quantity,sku_min_quantity,stale_excluded,stale_percent" doc:"The rule that set buffer (min_quantity: reported below the minimum, all held back; stale_excluded: the supplier's feed is stale, all held back; stale_percent: stale, its stale percentage added)"`
	Reserved       int        `json:"reserved"`
	Contribution   int        `json:"contribution" doc:"What this offer adds to ATS"`
	Stale          bool       `json:"stale" doc:"The supplier's feed is stale: its stale_mode applies"`
	StaleMode      string     `json:"stale_mode" enum:"exclude,buffer" doc:"What the supplier's staleness does (when stale)"`
	LastFeedAt     *time.Time `json:"last_feed_at,omitempty" doc:"The supplier's newest report or applied feed run; absent if never"`
}

// StockDetail is one SKU's stock with its per-offer breakdown.
type StockDetail struct {
	VariantID int64       `json:"variant_id"`
	SKU       string      `json:"sku"`
	Title     string      `json:"title"`
	ATS       int         `json:"ats"`
	LowStock  bool        `json:"low_stock" doc:"ATS is at or below the server's low-stock threshold"`
	SKUBuffer StockBuffer `json:"sku_buffer"`
	// MinQuantity is the SKU's own minimum quantity.
	MinQuantity int              `json:"min_quantity" doc:"A quantity reported below it counts as 0 (the SKU's rule; a supplier's may be larger)"`
	Offers      []OfferStockItem `json:"offers" nullable:"false"`
}

type stockSKUInput struct {
	SKU string `path:"sku" maxLength:"64"`
}

type stockDetailOutput struct{ Body StockDetail }

func (s *Server) getStock(ctx context.Context, in *stockSKUInput) (*stockDetailOutput, error) {
	st, err := s.cfg.Inventory.Stock(ctx, in.SKU)
	if err != nil {
		return nil, err
	}
	d := StockDetail{VariantID: st.VariantID, SKU: st.SKU, Title: st.Title, ATS: st.ATS, SKUBuffer: bufferOut(st.Buffer), MinQuantity: st.MinQuantity,
		LowStock: st.ATS <= s.cfg.Inventory.LowStockThreshold(), Offers: make([]OfferStockItem, len(st.Offers))}
	for i, o := range st.Offers {
		item := OfferStockItem{OfferID: o.OfferID, SupplierID: o.SupplierID, SupplierName: o.SupplierName, SupplierSKU: o.SupplierSKU,
			Priority: o.Priority, OfferStatus: o.OfferStatus, SupplierStatus: o.SupplierStatus, Sellable: o.Sellable,
			Reported: o.Reported, Buffer: o.Buffer, BufferRule: string(o.BufferRule), Reserved: o.Reserved, Contribution: o.Contribution,
			Stale: o.Stale, StaleMode: string(o.StaleMode)}
		if !o.ReportedAt.IsZero() {
			at := o.ReportedAt
			item.ReportedAt = &at
		}
		if !o.LastFeedAt.IsZero() {
			at := o.LastFeedAt
			item.LastFeedAt = &at
		}
		d.Offers[i] = item
	}
	return &stockDetailOutput{Body: d}, nil
}

type bufferOutput struct{ Body StockBuffer }

// bufferBody is the body of a buffer PUT: the whole rule.
type bufferBody struct {
	Units   int    `json:"units" minimum:"0" maximum:"1000000000" doc:"Units held back (0 for none)"`
	Percent string `json:"percent,omitempty" maxLength:"20" doc:"Percentage held back, 0 to 100 with at most two decimals, as a string (\"12.5\"); default 0" example:"12.5"`
}

func (b bufferBody) rule() (inventory.Buffer, error) {
	p, err := inventory.ParsePercent("percent", b.Percent)
	if err != nil {
		return inventory.Buffer{}, err
	}
	return inventory.Buffer{Units: b.Units, Percent: p}, nil
}

func (s *Server) getSKUBuffer(ctx context.Context, in *stockSKUInput) (*bufferOutput, error) {
	b, err := s.cfg.Inventory.SKUBuffer(ctx, in.SKU)
	if err != nil {
		return nil, err
	}
	return &bufferOutput{Body: bufferOut(b)}, nil
}

type setSKUBufferInput struct {
	SKU  string `path:"sku" maxLength:"64"`
	Body bufferBody
}

func (s *Server) setSKUBuffer(ctx context.Context, in *setSKUBufferInput) (*bufferOutput, error) {
	b, err := in.Body.rule()
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Inventory.SetSKUBuffer(ctx, in.SKU, b); err != nil {
		return nil, err
	}
	return &bufferOutput{Body: bufferOut(b)}, nil
}

type supplierIDInput struct {
	SupplierID int64 `path:"supplier_id" minimum:"1"`
}

func (s *Server) getSupplierBuffer(ctx context.Context, in *supplierIDInput) (*bufferOutput, error) {
	b, err := s.cfg.Inventory.SupplierBuffer(ctx, in.SupplierID)
	if err != nil {
		return nil, err
	}
	return &bufferOutput{Body: bufferOut(b)}, nil
}

type setSupplierBufferInput struct {
	SupplierID int64 `path:"supplier_id" minimum:"1"`
	Body       bufferBody
}

func (s *Server) setSupplierBuffer(ctx context.Context, in *setSupplierBufferInput) (*bufferOutput, error) {
	b, err := in.Body.rule()
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Inventory.SetSupplierBuffer(ctx, in.SupplierID, b); err != nil {
		return nil, err
	}
	return &bufferOutput{Body: bufferOut(b)}, nil
}

// StockAdjustment is one recorded change of an offer's reported quantity.
type StockAdjustment struct {
	ID        int64     `json:"id"`
	OfferID   int64     `json:"offer_id"`
	VariantID int64     `json:"variant_id"`
	SKU       string    `json:"sku"`
	Kind      string    `json:"kind" enum:"report,set,add,consume" doc:"report: from the supplier; set/add: by hand; consume: shipped"`
	Before    int       `json:"before"`
	After     int       `json:"after"`
	Delta     int       `json:"delta"`
	Reason    string    `json:"reason"`
	Actor     string    `json:"actor" doc:"Who made the change"`
	CreatedAt time.Time `json:"created_at"`
}

func adjustmentOut(a inventory.Adjustment) StockAdjustment {
	return StockAdjustment{ID: a.ID, OfferID: a.OfferID, VariantID: a.VariantID, SKU: a.SKU, Kind: a.Kind, Before: a.Before,
		After: a.After, Delta: a.Delta, Reason: a.Reason, Actor: a.Actor, CreatedAt: a.At}
}

type adjustmentOutput struct{ Body StockAdjustment }

type reportStockInput struct {
	OfferID int64 `path:"offer_id" minimum:"1"`
	Body    struct {
		Quantity   int        `json:"quantity" minimum:"0" maximum:"1000000000" doc:"Units the supplier reports"`
		ReportedAt *time.Time `json:"reported_at,omitempty" doc:"When the supplier reported it (default now); not in the future"`
	}
}

func (s *Server) reportStock(ctx context.Context, in *reportStockInput) (*adjustmentOutput, error) {
	var at time.Time
	if in.Body.ReportedAt != nil {
		at = *in.Body.ReportedAt
	}
	a, err := s.cfg.Inventory.Report(ctx, in.OfferID, in.Body.Quantity, at, auth.FromContext(ctx).Actor())
	if err != nil {
		return nil, err
	}
	return &adjustmentOutput{Body: adjustmentOut(a)}, nil
}

type createAdjustmentInput struct {
	Body struct {
		OfferID  int64  `json:"offer_id" minimum:"1" doc:"The supplier offer whose reported quantity changes"`
		Mode     string `json:"mode" enum:"set,add" doc:"set: replace the reported quantity; add: add delta to it"`
		Quantity *int   `json:"quantity,omitempty" minimum:"0" maximum:"1000000000" doc:"The new reported quantity (mode set)"`
		Delta    *int   `json:"delta,omitempty" minimum:"-1000000000" maximum:"1000000000" doc:"Units to add, negative to remove (mode add)"`
		Reason   string `json:"reason" maxLength:"2000" doc:"Why, 3 to 500 characters" example:"Cycle count: two broken in transit"`
	}
}

func (s *Server) createAdjustment(ctx context.Context, in *createAdjustmentInput) (*adjustmentOutput, error) {
	b := in.Body
	a, err := s.cfg.Inventory.Adjust(ctx, inventory.AdjustInput{OfferID: b.OfferID, Mode: b.Mode, Quantity: b.Quantity, Delta: b.Delta,
		Reason: b.Reason}, auth.FromContext(ctx).Actor())
	if err != nil {
		return nil, err
	}
	return &adjustmentOutput{Body: adjustmentOut(a)}, nil
}

type adjustmentListInput struct {
	ListParams
	SKU     string `query:"sku" maxLength:"64" doc:"Only this SKU's adjustments"`
	OfferID int64  `query:"offer_id" minimum:"1" doc:"Only this offer's adjustments"`
}

func (s *Server) listAdjustments(ctx context.Context, in *adjustmentListInput) (*ListOutput[StockAdjustment], error) {
	f := inventory.AdjustmentFilter{OfferID: in.OfferID, Limit: in.Limit}
	if in.SKU != "" {
		id, err := s.cfg.Inventory.VariantID(ctx, in.SKU)
		if err != nil {
			return nil, err
		}
		f.VariantID = id
	}
	if err := DecodeCursor(in.After, &f.BeforeID); err != nil {
		return nil, err
	}
	items, more, err := s.cfg.Inventory.Adjustments(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &ListOutput[StockAdjustment]{Body: Page[StockAdjustment]{Items: make([]StockAdjustment, len(items))}}
	for i, a := range items {
		out.Body.Items[i] = adjustmentOut(a)
	}
	if more && len(items) > 0 {
		out.Body.Next = EncodeCursor(items[len(items)-1].ID)
	}
	return out, nil
}
