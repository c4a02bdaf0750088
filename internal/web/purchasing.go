package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/purchasing"
)

// registerPurchasing registers the staff's purchase-order routes
// (docs/purchasing.md): POs with their lines and sends, re-sending a failed
// PO, answering a line on the supplier's behalf, and each supplier's
// fulfilment settings.
func (s *Server) registerPurchasing() {
	if s.cfg.Purchasing == nil {
		s.cfg.Purchasing = purchasing.New(s.cfg.DB, s.now, purchasing.Options{Timeline: s.cfg.Orders, Logger: s.log})
	}
	tags := []string{"Purchase orders"}
	operation(s, huma.Operation{OperationID: "list-purchase-orders", Method: http.MethodGet, Path: "/purchase-orders",
		Summary: "List purchase orders", Tags: tags,
		Description: "Newest first, without their lines. Filters: supplier, state, `unacknowledged` (lines still awaiting " +
			"the supplier's answer), `overdue` (lines past the answer deadline) and `late_to_ship` (units not shipped of an " +
			"order past its promised ship-by day)."},
		auth.PurchasingRead, s.listPurchaseOrders)
	operation(s, huma.Operation{OperationID: "get-purchase-order", Method: http.MethodGet, Path: "/purchase-orders/{id}",
		Summary: "Get a purchase order with its lines and send attempts", Tags: tags},
		auth.PurchasingRead, s.getPurchaseOrder)
	operation(s, huma.Operation{OperationID: "resend-purchase-order", Method: http.MethodPost, Path: "/purchase-orders/{id}/resend",
		Summary: "Send a purchase order again after its send failed", Tags: tags,
		Description: "Only a PO left in `sending` with an error can be sent again (409 otherwise); the attempt is recorded " +
			"with the others."},
		auth.PurchasingWrite, s.resendPurchaseOrder)
	operation(s, huma.Operation{OperationID: "answer-purchase-order-line", Method: http.MethodPost,
		Path: "/purchase-orders/{id}/lines/{line}/answer", Summary: "Answer a PO line on the supplier's behalf", Tags: tags,
		Description: "Accept and/or reject pending units (a rejection needs a reason and routes the units again), as the " +
			"supplier would; the timeline names the staff member."},
		auth.PurchasingWrite, s.answerPurchaseOrderLine)
	operation(s, huma.Operation{OperationID: "get-supplier-fulfilment", Method: http.MethodGet, Path: "/suppliers/{id}/fulfilment",
		Summary: "Get how a supplier receives purchase orders", Tags: tags,
		Description: "Channel, batching, answer SLA and re-routing on timeout; the defaults (`default: true`) when never set. " +
			"The webhook secret is never shown here."},
		auth.PurchasingRead, s.getSupplierFulfilment)
	operation(s, huma.Operation{OperationID: "set-supplier-fulfilment", Method: http.MethodPut, Path: "/suppliers/{id}/fulfilment",
		Summary: "Set how a supplier receives purchase orders", Tags: tags,
		Description: "Replaces the settings. A webhook needs an https URL; its signing secret is generated when none is " +
			"given and shown once, in this response."},
		auth.PurchasingWrite, s.setSupplierFulfilment)
}

// PurchaseOrderLine is purchasing.Line under its own name in the API (orders
// have lines too).
type PurchaseOrderLine purchasing.Line

// PurchaseOrder is a purchase order in the API: purchasing.PurchaseOrder with
// its lines under their API name.
type PurchaseOrder struct {
	ID           int64                    `json:"id"`
	Number       string                   `json:"number" doc:"PO-<id>"`
	SupplierID   int64                    `json:"supplier_id"`
	SupplierName string                   `json:"supplier_name"`
	State        purchasing.POState       `json:"state" enum:"open,sending,sent,acknowledged,closed,cancelled"`
	Channel      purchasing.Channel       `json:"channel" enum:"email,webhook,console"`
	Currency     string                   `json:"currency"`
	TotalCost    money.Money              `json:"total_cost" doc:"Our cost of the units not rejected or cancelled"`
	SendAfter    time.Time                `json:"send_after"`
	SentAt       *time.Time               `json:"sent_at,omitempty"`
	AckDueAt     *time.Time               `json:"ack_due_at,omitempty" doc:"When the supplier must have answered every line"`
	SendAttempts int                      `json:"send_attempts"`
	LastError    string                   `json:"last_error,omitempty" doc:"Why the last send failed (the PO stays in sending until it is sent again)"`
	CreatedAt    time.Time                `json:"created_at"`
	UpdatedAt    time.Time                `json:"updated_at"`
	Lines        []PurchaseOrderLine      `json:"lines,omitempty"`
	Sends        []purchasing.SendAttempt `json:"sends,omitempty"`
}

func apiPurchaseOrder(p *purchasing.PurchaseOrder) PurchaseOrder {
	out := PurchaseOrder{ID: p.ID, Number: p.Number, SupplierID: p.SupplierID, SupplierName: p.SupplierName, State: p.State,
		Channel: p.Channel, Currency: p.Currency, TotalCost: p.TotalCost, SendAfter: p.SendAfter, SentAt: p.SentAt,
		AckDueAt: p.AckDueAt, SendAttempts: p.SendAttempts, LastError: p.LastError, CreatedAt: p.CreatedAt,
		UpdatedAt: p.UpdatedAt, Sends: p.Sends}
	for _, l := range p.Lines {
		out.Lines = append(out.Lines, PurchaseOrderLine(l))
	}
	return out
}

type purchaseOrdersInput struct {
	ListParams
	SupplierID     int64  `query:"supplier_id" minimum:"1" doc:"Only this supplier's POs"`
	State          string `query:"state" enum:"open,sending,sent,acknowledged,closed,cancelled" doc:"Only POs in this state"`
	Unacknowledged bool   `query:"unacknowledged" doc:"Only POs with lines awaiting the supplier's answer"`
	Overdue        bool   `query:"overdue" doc:"Only POs with lines past their answer deadline"`
	LateToShip     bool   `query:"late_to_ship" doc:"Only POs with units not shipped of an order flagged not_shipped (its ship-by day ended)"`
}

func (s *Server) listPurchaseOrders(ctx context.Context, in *purchaseOrdersInput) (*ListOutput[PurchaseOrder], error) {
	return s.purchaseOrderPage(ctx, in, in.SupplierID)
}

// purchaseOrderPage lists POs for staff (supplierID as filtered) or for a
// supplier (its own id, always).
func (s *Server) purchaseOrderPage(ctx context.Context, in *purchaseOrdersInput, supplierID int64) (*ListOutput[PurchaseOrder], error) {
	var before int64
	if err := DecodeCursor(in.After, &before); err != nil {
		return nil, err
	}
	list, more, err := s.cfg.Purchasing.List(ctx, purchasing.Filter{SupplierID: supplierID, State: purchasing.POState(in.State),
		Unacknowledged: in.Unacknowledged, Overdue: in.Overdue, LateToShip: in.LateToShip, Before: before, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	out := &ListOutput[PurchaseOrder]{Body: Page[PurchaseOrder]{Items: []PurchaseOrder{}}}
	for i := range list {
		out.Body.Items = append(out.Body.Items, apiPurchaseOrder(&list[i]))
	}
	if more && len(list) > 0 {
		out.Body.Next = EncodeCursor(list[len(list)-1].ID)
	}
	return out, nil
}

type purchaseOrderIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type purchaseOrderOutput struct{ Body PurchaseOrder }

func (s *Server) getPurchaseOrder(ctx context.Context, in *purchaseOrderIDInput) (*purchaseOrderOutput, error) {
	po, err := s.cfg.Purchasing.Get(ctx, 0, in.ID)
	if err != nil {
		return nil, err
	}
	return &purchaseOrderOutput{Body: apiPurchaseOrder(po)}, nil
}

func (s *Server) resendPurchaseOrder(ctx context.Context, in *purchaseOrderIDInput) (*purchaseOrderOutput, error) {
	po, err := s.cfg.Purchasing.Resend(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &purchaseOrderOutput{Body: apiPurchaseOrder(po)}, nil
}

// AnswerInput is a supplier's answer for some pending units of one PO line.
type AnswerInput struct {
	Accepted int    `json:"accepted,omitempty" minimum:"0" doc:"Units accepted: the supplier will ship them"`
	Rejected int    `json:"rejected,omitempty" minimum:"0" doc:"Units rejected: they are routed to another supplier"`
	Reason   string `json:"reason,omitempty" maxLength:"500" doc:"Why units are rejected (required to reject)"`
}

type answerLineInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Line int64 `path:"line" minimum:"1"`
	Body AnswerInput
}

type poLineOutput struct{ Body PurchaseOrderLine }

func (s *Server) answerPurchaseOrderLine(ctx context.Context, in *answerLineInput) (*poLineOutput, error) {
	l, err := s.cfg.Purchasing.Line(ctx, 0, in.Line)
	if err != nil {
		return nil, err
	}
	if l.PurchaseOrderID != in.ID {
		return nil, apperr.New(apperr.NotFound, "purchase order %d has no line %d", in.ID, in.Line)
	}
	l, err = s.cfg.Purchasing.Answer(ctx, l.SupplierID, l.ID, in.Body.Accepted, in.Body.Rejected, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &poLineOutput{Body: PurchaseOrderLine(l)}, nil
}

type supplierFulfilmentInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type supplierFulfilmentOutput struct{ Body purchasing.Fulfilment }

func (s *Server) getSupplierFulfilment(ctx context.Context, in *supplierFulfilmentInput) (*supplierFulfilmentOutput, error) {
	f, err := s.cfg.Purchasing.Fulfilment(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &supplierFulfilmentOutput{Body: f}, nil
}

type setSupplierFulfilmentInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body purchasing.FulfilmentInput
}

func (s *Server) setSupplierFulfilment(ctx context.Context, in *setSupplierFulfilmentInput) (*supplierFulfilmentOutput, error) {
	f, err := s.cfg.Purchasing.PutFulfilment(ctx, in.ID, in.Body)
	if err != nil {
		return nil, err
	}
	return &supplierFulfilmentOutput{Body: f}, nil
}
