package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
)

// registerCustomerChoices registers the staff API of the customer's choices
// (docs/customer-page.md): what a customer may choose for an order's waiting
// or delayed lines, applying a choice on the customer's behalf, and the
// store's backorder consent deadline.
func (s *Server) registerCustomerChoices() {
	tags := []string{"Orders"}
	operation(s, huma.Operation{OperationID: "list-order-choices", Method: http.MethodGet, Path: "/orders/{number}/choices",
		Summary: "What the customer may choose for an order's waiting or delayed lines", Tags: tags,
		Description: "One entry per line whose units wait for stock, or any open line while the order is at risk: the choices " +
			"open now (`wait`, `swap` when in-stock alternatives exist and nothing went to a supplier, `cancel`), the " +
			"alternatives (other variants of the same product no dearer in the catalog, with enough available-to-sell), " +
			"the customer's answer for the current wait and the consent deadline (`due_at`). The customer sees the same " +
			"on their order page."},
		auth.OrdersRead, s.listOrderChoices)
	operation(s, huma.Operation{OperationID: "choose-for-order-line", Method: http.MethodPost, Path: "/orders/{number}/lines/{line}/choice",
		Summary: "Apply a customer's choice for a waiting or delayed line", Tags: tags,
		Description: "Staff answering for the customer (by phone or email), as the customer would on their order page; the " +
			"timeline names the staff member. `wait` records the expected date as accepted (the consent deadline then " +
			"keeps the line); `swap` moves the line's open units to `sku`, one of the line's alternatives, reserved at once, " +
			"at the price the customer paid (no money moves); `cancel` cancels the line's open units with the refund recorded " +
			"and, by the store's policy, an apology coupon. The same choice again changes nothing (`repeated`); a line with " +
			"nothing to choose is `409`."},
		auth.OrdersWrite, s.chooseForOrderLine)
	operation(s, huma.Operation{OperationID: "get-backorder-consent", Method: http.MethodGet, Path: "/settings/backorder-consent",
		Summary: "The backorder consent deadline", Tags: []string{"Settings"},
		Description: "How many hours a customer has to accept the wait of backordered units before they are cancelled " +
			"(with refund and, by policy, an apology coupon); 0 means the customer is not asked."},
		auth.OrdersRead, s.getBackorderConsent)
	operation(s, huma.Operation{OperationID: "set-backorder-consent", Method: http.MethodPut, Path: "/settings/backorder-consent",
		Summary: "Set the backorder consent deadline", Tags: []string{"Settings"},
		Description: "`deadline_hours` from 0 (do not ask) to 2160 (90 days). Turning the deadline on starts asking now: lines " +
			"backordered before are never cancelled by it."},
		auth.SettingsWrite, s.setBackorderConsent)
}

type listOrderChoicesInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The order number"`
}

type listOrderChoicesOutput struct {
	Body struct {
		Lines []orders.LineChoices `json:"lines" nullable:"false"`
	}
}

func (s *Server) listOrderChoices(ctx context.Context, in *listOrderChoicesInput) (*listOrderChoicesOutput, error) {
	cs, err := s.cfg.Orders.Choices(ctx, in.Number)
	if err != nil {
		return nil, err
	}
	out := &listOrderChoicesOutput{}
	out.Body.Lines = cs
	return out, nil
}

type chooseForOrderLineInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The order number"`
	Line   int   `path:"line" minimum:"1" doc:"The line's position, from 1"`
	Body   struct {
		Choice orders.Choice `json:"choice" enum:"wait,swap,cancel" doc:"What the customer chose"`
		SKU    string        `json:"sku,omitempty" maxLength:"64" doc:"swap: the alternative (any case)" example:"TEE-L"`
	}
}

type chooseOutput struct {
	Body ChoiceOut
}

// ChoiceOut is the outcome of a customer's choice.
type ChoiceOut struct {
	Order      orders.Order  `json:"order"`
	Line       int           `json:"line"`
	Choice     orders.Choice `json:"choice"`
	Repeated   bool          `json:"repeated" doc:"The same choice had already been applied: nothing changed"`
	Refund     money.Money   `json:"refund" doc:"Due back to the customer (a cancel)"`
	Coupon     string        `json:"coupon,omitempty" doc:"The apology coupon's code (a cancel), if the store gives one"`
	SwapLine   int           `json:"swap_line,omitempty" doc:"A swap: the position of the new line"`
	ExpectedAt *time.Time    `json:"expected_at,omitempty" doc:"A wait: the restock date accepted"`
}

func (s *Server) chooseForOrderLine(ctx context.Context, in *chooseForOrderLineInput) (*chooseOutput, error) {
	r, err := s.cfg.Orders.Choose(ctx, in.Number, orders.ChoiceInput{Line: in.Line, Choice: in.Body.Choice, SKU: in.Body.SKU})
	if err != nil {
		return nil, err
	}
	return &chooseOutput{Body: ChoiceOut{Order: orderOut(ctx, r.Order), Line: r.Line, Choice: r.Choice, Repeated: r.Repeated,
		Refund: r.Refund, Coupon: r.Coupon, SwapLine: r.SwapLine, ExpectedAt: r.ExpectedAt}}, nil
}

type backorderConsentOutput struct {
	Body orders.ConsentSettings
}

func (s *Server) getBackorderConsent(ctx context.Context, _ *struct{}) (*backorderConsentOutput, error) {
	c, err := s.cfg.Orders.ConsentSettings(ctx)
	if err != nil {
		return nil, err
	}
	return &backorderConsentOutput{Body: c}, nil
}

type setBackorderConsentInput struct {
	Body struct {
		DeadlineHours int `json:"deadline_hours" minimum:"0" maximum:"2160" doc:"Hours a customer has to accept a backorder's wait; 0 = do not ask" example:"72"`
	}
}

func (s *Server) setBackorderConsent(ctx context.Context, in *setBackorderConsentInput) (*backorderConsentOutput, error) {
	c, err := s.cfg.Orders.SetConsentDeadline(ctx, in.Body.DeadlineHours)
	if err != nil {
		return nil, err
	}
	return &backorderConsentOutput{Body: c}, nil
}
