package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
)

// registerOrderEdits registers the line edits of an order that has not gone
// to a supplier yet: change a line's quantity or variant, add a line, remove
// a line.
func (s *Server) registerOrderEdits() {
	tags := []string{"Orders"}
	const before = "Only before anything of the order went to a supplier (else `409` naming the order's state). "
	const moneyNote = "The answer has the order, the `charge` for units added, the `refund` for units taken away and the " +
		"`net` (charge − refund; negative means money goes back to the customer); both are also recorded with the " +
		"order's payments, and the timeline says who changed what and why."
	operation(s, huma.Operation{OperationID: "edit-order-line", Method: http.MethodPatch, Path: "/orders/{number}/lines/{line}",
		Summary: "Change a line's quantity or variant", Tags: tags,
		Description: before + "Send `quantity` or `sku`, not both.\n\n" +
			"`quantity` is how many units the customer gets. Fewer: the units taken away are cancelled (waiting units " +
			"first) and refunded exactly; freed stock goes to orders waiting for it. More: the added units take stock as a " +
			"new order would (reserved if available, else backordered or pre-ordered per the SKU's policy, else `409` — " +
			"or, if the store holds short orders, short with the order on hold) and are charged at the line's unit price " +
			"plus their share of the line's tax.\n\n" +
			"`sku` swaps the variant: the line's open units are cancelled and refunded (the line stays, as history) and a " +
			"new line of the new SKU with as many units is added at `unit_price` or the SKU's catalog price, keeping the " +
			"old line's discount and tax rate.\n\n" + moneyNote},
		auth.OrdersWrite, s.editOrderLine)
	operation(s, huma.Operation{OperationID: "add-order-line", Method: http.MethodPost, Path: "/orders/{number}/lines",
		Summary: "Add a line to an order", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: before + "The line takes stock as a new order's line would and the customer is charged its total. " + moneyNote},
		auth.OrdersWrite, s.addOrderLine)
	operation(s, huma.Operation{OperationID: "remove-order-line", Method: http.MethodDelete, Path: "/orders/{number}/lines/{line}",
		Summary: "Remove a line from an order", Tags: tags,
		Description: before + "Every open unit of the line is cancelled and refunded exactly; the line stays on the order as " +
			"cancelled. The last open line cannot be removed (`409`): cancel the order instead. " + moneyNote},
		auth.OrdersWrite, s.removeOrderLine)
}

// OrderEdit is an order after a line edit and the money the edit moves.
type OrderEdit struct {
	Order    orders.Order        `json:"order"`
	Charge   money.Money         `json:"charge" doc:"Owed by the customer for units added"`
	Refund   money.Money         `json:"refund" doc:"Due back to the customer for units taken away"`
	Net      money.Money         `json:"net" doc:"charge − refund: positive, the customer pays it; negative, it goes back to the customer"`
	Charged  []orders.RefundPart `json:"charged" nullable:"false" doc:"The charge per line"`
	Refunded []orders.RefundPart `json:"refunded" nullable:"false" doc:"The refund per line"`
}

type orderEditOutput struct {
	Body OrderEdit
}

func (s *Server) editOut(ctx context.Context, r orders.EditResult) *orderEditOutput {
	return &orderEditOutput{Body: OrderEdit{Order: orderOut(ctx, r.Order), Charge: r.Charge, Refund: r.Refund, Net: r.Net,
		Charged: r.Charged, Refunded: r.Refunded}}
}

type editOrderLineInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The order number"`
	Line   int   `path:"line" minimum:"1" doc:"The line's position, from 1"`
	Body   struct {
		Quantity  *int         `json:"quantity,omitempty" minimum:"1" maximum:"100000" doc:"The units the customer gets"`
		SKU       string       `json:"sku,omitempty" maxLength:"64" doc:"Swap the line to this variant (any case)" example:"TEE-L"`
		UnitPrice *money.Money `json:"unit_price,omitempty" doc:"With sku: the new line's unit price; default the SKU's catalog price"`
		Reason    string       `json:"reason" maxLength:"500" doc:"Why; it goes on the timeline" example:"Customer asked for size L"`
	}
}

func (s *Server) editOrderLine(ctx context.Context, in *editOrderLineInput) (*orderEditOutput, error) {
	b := in.Body
	var f apperr.Fields
	switch {
	case b.Quantity != nil && b.SKU != "":
		f.Add("sku", "send quantity or sku, not both: change the quantity after the swap")
	case b.Quantity == nil && b.SKU == "":
		f.Add("quantity", "send quantity (the units the customer gets) or sku (the variant to swap to)")
	case b.UnitPrice != nil && b.SKU == "":
		f.Add("unit_price", "goes with sku: a line's unit price changes only with its variant")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var r orders.EditResult
	var err error
	if b.Quantity != nil {
		r, err = s.cfg.Orders.EditQuantity(ctx, in.Number, in.Line, *b.Quantity, b.Reason)
	} else {
		r, err = s.cfg.Orders.SwapVariant(ctx, in.Number, in.Line, b.SKU, b.UnitPrice, b.Reason)
	}
	if err != nil {
		return nil, err
	}
	return s.editOut(ctx, r), nil
}

type addOrderLineInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The order number"`
	Body   struct {
		SKU       string       `json:"sku" maxLength:"64" doc:"Any case" example:"MUG-BLUE"`
		Quantity  int          `json:"quantity" minimum:"1" maximum:"100000" example:"1"`
		UnitPrice *money.Money `json:"unit_price,omitempty" doc:"Price of one unit in the order's currency; default the SKU's catalog price"`
		Discount  *money.Money `json:"discount,omitempty" doc:"The line's own discount over all its units"`
		Tax       *money.Money `json:"tax,omitempty" doc:"Tax on the whole line (added to the charge when the order's prices exclude tax)"`
		Reason    string       `json:"reason" maxLength:"500" doc:"Why; it goes on the timeline" example:"Customer added a mug by phone"`
	}
}

func (s *Server) addOrderLine(ctx context.Context, in *addOrderLineInput) (*orderEditOutput, error) {
	b := in.Body
	li := orders.LineInput{SKU: b.SKU, Quantity: b.Quantity, UnitPrice: b.UnitPrice}
	if b.Discount != nil {
		li.Discount = *b.Discount
	}
	if b.Tax != nil {
		li.Tax = *b.Tax
	}
	r, err := s.cfg.Orders.AddLine(ctx, in.Number, li, b.Reason)
	if err != nil {
		return nil, err
	}
	return s.editOut(ctx, r), nil
}

type removeOrderLineInput struct {
	Number int64  `path:"number" minimum:"1" doc:"The order number"`
	Line   int    `path:"line" minimum:"1" doc:"The line's position, from 1"`
	Reason string `query:"reason" maxLength:"500" doc:"Why; required, it goes on the timeline" example:"Out of stock for good"`
}

func (s *Server) removeOrderLine(ctx context.Context, in *removeOrderLineInput) (*orderEditOutput, error) {
	if strings.TrimSpace(in.Reason) == "" {
		return nil, apperr.InvalidField("query.reason", "is required: say why, it goes on the order's timeline")
	}
	r, err := s.cfg.Orders.RemoveLine(ctx, in.Number, in.Line, in.Reason)
	if err != nil {
		return nil, err
	}
	return s.editOut(ctx, r), nil
}
