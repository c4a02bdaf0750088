package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
)

// registerOrders registers the orders API: placing orders, listing and
// reading them with their timeline and payments, and the changes staff make
// (cancel, hold, release, new address, send, ship, deliver).
func (s *Server) registerOrders() {
	tags := []string{"Orders"}
	reg := s.api.OpenAPI().Components.Schemas
	place := huma.Operation{OperationID: "place-order", Method: http.MethodPost, Path: "/orders",
		Summary: "Place an order", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "Places an order in one transaction: the customer is matched by email (or created), each line's units " +
			"are reserved, or backordered / pre-ordered where the SKU's stock policy allows, the address and payment signals " +
			"are checked (a failing one puts the order on hold), and the timeline records who placed it.\n\n" +
			"Answers `201` with the new order. The same `channel` + `external_id` placed again answers `200` with the order " +
			"placed first, changing nothing. An order whose lines cannot be met is refused with `409` (code `unavailable`): " +
			"`errors` has one entry per refused line, `lines[i].quantity`, whose `value` gives the SKU, the units wanted and " +
			"the units available. Bad input is `422` with each field named (`lines[0].sku`, `customer.email`, ...).",
		Responses: map[string]*huma.Response{
			"200": {Description: "The order was placed before (same channel and external_id): the existing order",
				Content: map[string]*huma.MediaType{"application/json": {Schema: reg.Schema(reflect.TypeFor[orders.Order](), true, "")}}},
			"409": {Description: "Refused: some line cannot be met (code unavailable, one error per line)",
				Content: map[string]*huma.MediaType{"application/problem+json": {Schema: reg.Schema(reflect.TypeFor[Problem](), true, "")}}},
		},
	}
	operation(s, place, auth.OrdersWrite, s.placeOrder)
	operation(s, huma.Operation{OperationID: "list-orders", Method: http.MethodGet, Path: "/orders",
		Summary: "List orders", Tags: tags,
		Description: "Orders newest first (by number), paginated by keyset. Filters combine with AND. `q` finds an order by " +
			"number (`1042` or `#1042`), external id, the start of the customer's email, or a SKU on one of its lines. " +
			"`from` and `to` bound `placed_at`: RFC 3339 times, or dates (`2026-03-01`, UTC) where `to` includes the whole day."},
		auth.OrdersRead, s.listOrders)
	operation(s, huma.Operation{OperationID: "get-order", Method: http.MethodGet, Path: "/orders/{number}",
		Summary: "Get an order with its lines and holds", Tags: tags}, auth.OrdersRead, s.getOrder)
	operation(s, huma.Operation{OperationID: "get-order-timeline", Method: http.MethodGet, Path: "/orders/{number}/timeline",
		Summary: "Get an order's timeline", Tags: tags,
		Description: "Everything that happened to the order, oldest first: who (a user, an API token, a channel or a " +
			"system job), what, when, the state before and after, and why."},
		auth.OrdersRead, s.getOrderTimeline)
	operation(s, huma.Operation{OperationID: "list-order-payments", Method: http.MethodGet, Path: "/orders/{number}/payments",
		Summary: "List an order's refunds and charges", Tags: tags,
		Description: "Refunds due (from cancellations) and charges recorded for the order, oldest first."},
		auth.OrdersRead, s.listOrderPayments)
	operation(s, huma.Operation{OperationID: "cancel-order", Method: http.MethodPost, Path: "/orders/{number}/cancel",
		Summary: "Cancel an order or some of its units", Tags: tags,
		Description: "Without `lines`, every unit not yet shipped is cancelled; with `lines`, the units named (quantity 0 or " +
			"absent: all that can still be cancelled of that line). Reservations, backorder and pre-order slots are given back " +
			"(freed stock goes first to orders waiting for it), and the refund due is computed and returned. Shipped units " +
			"cannot be cancelled; an order already cancelled, shipped or delivered answers `409` naming its state."},
		auth.OrdersWrite, s.cancelOrder)
	operation(s, huma.Operation{OperationID: "hold-order", Method: http.MethodPost, Path: "/orders/{number}/holds",
		Summary: "Put an order on hold", Tags: tags,
		Description: "Adds a manual hold: the order goes to no supplier until every open hold is released."},
		auth.OrdersWrite, s.holdOrder)
	operation(s, huma.Operation{OperationID: "release-order-hold", Method: http.MethodPost, Path: "/orders/{number}/holds/{hold}/release",
		Summary: "Release a hold", Tags: tags,
		Description: "Releases one open hold (any reason) with a note saying what was checked or fixed. When the last hold " +
			"goes, the order moves on (awaiting stock or ready to route)."},
		auth.OrdersWrite, s.releaseOrderHold)
	operation(s, huma.Operation{OperationID: "set-order-shipping-address", Method: http.MethodPut, Path: "/orders/{number}/shipping-address",
		Summary: "Change an order's shipping address", Tags: tags,
		Description: "Only before anything of the order went to a supplier (else `409`). The new address is checked: a failing " +
			"one puts the order on hold (reason `address`), a good one releases an open address hold. The timeline keeps both."},
		auth.OrdersWrite, s.setOrderAddress)
	operation(s, huma.Operation{OperationID: "send-order", Method: http.MethodPost, Path: "/orders/{number}/send",
		Summary: "Record that lines were sent to their supplier", Tags: tags,
		Description: "Only lines with all their units reserved, and not while the order is on hold. No `lines`: every such line."},
		auth.OrdersWrite, fulfilOrder(s.cfg.Orders.SendToSupplier))
	operation(s, huma.Operation{OperationID: "ship-order", Method: http.MethodPost, Path: "/orders/{number}/ship",
		Summary: "Record that lines shipped", Tags: tags,
		Description: "Their reserved units leave the supplier's stock. Only lines sent to a supplier. No `lines`: every such line."},
		auth.OrdersWrite, fulfilOrder(s.cfg.Orders.Ship))
	operation(s, huma.Operation{OperationID: "deliver-order", Method: http.MethodPost, Path: "/orders/{number}/deliver",
		Summary: "Record that lines were delivered", Tags: tags,
		Description: "Only shipped lines. No `lines`: every shipped line."},
		auth.OrdersWrite, fulfilOrder(s.cfg.Orders.Deliver))
}

// seesCustomers reports whether the caller may see customers' personal data
// (email, name, address). Roles that read orders without customers:read
// (read_only) get orders without it.
func seesCustomers(ctx context.Context) bool {
	p := auth.FromContext(ctx)
	return p != nil && p.Can(auth.CustomersRead)
}

// orderOut is an order as the caller may see it: without the customer's
// email and address (but the country) for roles without customers:read.
func orderOut(ctx context.Context, o *orders.Order) orders.Order {
	out := *o
	if out.AtRisk == nil {
		out.AtRisk = []orders.Risk{}
	}
	if !seesCustomers(ctx) {
		out.Email = ""
		out.ShippingAddress = customers.Address{Country: o.ShippingAddress.Country}
	}
	return out
}

// moneyBody is an optional amount in a request: absent means zero.
type moneyBody = *money.Money

func amount(m moneyBody) money.Money {
	if m == nil {
		return money.Money{}
	}
	return *m
}

// addressBody is a postal address in a request. Every field is optional
// here: an address that would not arrive does not refuse the order, it holds
// it (reason address) until staff fix it.
type addressBody struct {
	Name       string `json:"name,omitempty" maxLength:"200" example:"Giulia Rossi"`
	Company    string `json:"company,omitempty" maxLength:"200"`
	Line1      string `json:"line1,omitempty" maxLength:"200" example:"Via Roma 10"`
	Line2      string `json:"line2,omitempty" maxLength:"200"`
	City       string `json:"city,omitempty" maxLength:"200" example:"Milano"`
	Region     string `json:"region,omitempty" maxLength:"200" doc:"State, province or county"`
	PostalCode string `json:"postal_code,omitempty" maxLength:"20" example:"20121"`
	Country    string `json:"country,omitempty" maxLength:"2" doc:"ISO 3166-1 alpha-2 code" example:"IT"`
	Phone      string `json:"phone,omitempty" maxLength:"50"`
}

func (a addressBody) address() customers.Address {
	return customers.Address{Name: a.Name, Company: a.Company, Line1: a.Line1, Line2: a.Line2, City: a.City,
		Region: a.Region, PostalCode: a.PostalCode, Country: a.Country, Phone: a.Phone}
}

// orderLineBody is one line of a new order.
type orderLineBody struct {
	SKU       string    `json:"sku,omitempty" maxLength:"64" example:"85123A-1" doc:"Required, any case"`
	Quantity  int       `json:"quantity,omitempty" minimum:"1" maximum:"100000" example:"2" doc:"Required"`
	UnitPrice moneyBody `json:"unit_price,omitempty" doc:"Price of one unit in the order's currency; default the variant's catalog price (which must then be in the order's currency)"`
	Discount  moneyBody `json:"discount,omitempty" doc:"The line's own discount over all its units"`
	Tax       moneyBody `json:"tax,omitempty" doc:"Tax on the whole line"`
}

// placeOrderBody is an order as a client sends it.
type placeOrderBody struct {
	Channel    string `json:"channel,omitempty" pattern:"^[a-z0-9][a-z0-9_-]{0,39}$" doc:"Where the order came from: api (default), or a storefront's name" example:"api"`
	ExternalID string `json:"external_id,omitempty" maxLength:"200" doc:"The storefront's id of the order, unique per channel: placing the same one again returns the first order (200)" example:"WEB-1001"`
	Currency   string `json:"currency,omitempty" maxLength:"3" doc:"Required. ISO 4217 code; every amount in the order is in it" example:"EUR"`
	Customer   struct {
		Email  string `json:"email,omitempty" maxLength:"254" doc:"Required. Customers are matched by email, any case" example:"giulia@example.com"`
		Name   string `json:"name,omitempty" maxLength:"200"`
		Phone  string `json:"phone,omitempty" maxLength:"50"`
		Locale string `json:"locale,omitempty" maxLength:"35" doc:"Language of customer messages: en (default), pt-BR or it; variants such as pt_BR or it-IT are accepted"`
	} `json:"customer,omitempty" doc:"Required"`
	ShippingAddress addressBody     `json:"shipping_address,omitempty" doc:"Checked per country; a failing address holds the order (reason address)"`
	Lines           []orderLineBody `json:"lines,omitempty" minItems:"1" maxItems:"250" doc:"Required: 1 to 250 lines"`
	Shipping        moneyBody       `json:"shipping,omitempty" doc:"What the customer pays for shipping; default 0"`
	Discount        moneyBody       `json:"discount,omitempty" doc:"Order-level discount, spread over the lines by value so the parts sum to it exactly"`
	TaxesIncluded   bool            `json:"taxes_included,omitempty" doc:"Prices include the line taxes; if false (default) taxes are added to the total"`
	Payment         struct {
		Status string `json:"status,omitempty" enum:"paid,authorized,pending,partially_paid,refunded,partially_refunded,voided" doc:"Default paid; pending and voided hold the order"`
		Risk   string `json:"risk,omitempty" enum:"low,medium,high" doc:"Fraud risk, default low; high holds the order"`
	} `json:"payment,omitempty"`
	Note     string     `json:"note,omitempty" maxLength:"2000"`
	PlacedAt *time.Time `json:"placed_at,omitempty" doc:"When the customer placed it (default now)"`
}

func (b *placeOrderBody) input() orders.PlaceInput {
	in := orders.PlaceInput{Channel: b.Channel, ExternalID: b.ExternalID, Currency: b.Currency,
		ShippingAddress: b.ShippingAddress.address(), Shipping: amount(b.Shipping), Discount: amount(b.Discount),
		TaxesIncluded: b.TaxesIncluded, Note: b.Note}
	in.Customer = orders.CustomerInput{Email: b.Customer.Email, Name: b.Customer.Name, Phone: b.Customer.Phone, Locale: b.Customer.Locale}
	in.Payment = orders.PaymentSignal{Status: b.Payment.Status, Risk: b.Payment.Risk}
	if b.PlacedAt != nil {
		in.PlacedAt = *b.PlacedAt
	}
	for _, l := range b.Lines {
		in.Lines = append(in.Lines, orders.LineInput{SKU: l.SKU, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			Discount: amount(l.Discount), Tax: amount(l.Tax)})
	}
	return in
}

type placeOrderInput struct {
	Body placeOrderBody
}

type placeOrderOutput struct {
	Status   int
	Location string `header:"Location" doc:"The order's address in the API"`
	Body     orders.Order
}

func (s *Server) placeOrder(ctx context.Context, in *placeOrderInput) (*placeOrderOutput, error) {
	pi := in.Body.input()
	if id, ok := idempotencyID(ctx); ok && pi.ExternalID == "" {
		// The key is recorded in the order's own transaction (decision 0003).
		pi.DeliveryID = id
	}
	placed, err := s.cfg.Orders.Place(ctx, pi)
	if err != nil {
		return nil, refusedLines(err)
	}
	status := http.StatusOK
	if placed.Created {
		status = http.StatusCreated
	}
	return &placeOrderOutput{Status: status, Location: APIPrefix + "/orders/" + strconv.FormatInt(placed.Order.Number, 10),
		Body: orderOut(ctx, placed.Order)}, nil
}

// RefusedLine is the value of a refused line's error in a 409 problem.
type RefusedLine struct {
	SKU       string `json:"sku"`
	Wanted    int    `json:"wanted" doc:"Units the line asked for"`
	Available int    `json:"available" doc:"Units that could be had"`
}

// refusedLines makes a refused order's problem name each line: its field
// (lines[i].quantity), its SKU and why, with the numbers as the value.
func refusedLines(err error) error {
	var re *orders.RefusalError
	if !apperr.Is(err, apperr.Unavailable) || !errors.As(err, &re) {
		return err
	}
	e := &apperr.Error{Code: apperr.Unavailable, Message: re.Error(), Err: err}
	for _, r := range re.Lines {
		e.Fields = append(e.Fields, apperr.FieldError{Field: fmt.Sprintf("lines[%d].quantity", r.Line),
			Message: r.SKU + ": " + r.Reason, Value: RefusedLine{SKU: r.SKU, Wanted: r.Wanted, Available: r.Available}})
	}
	return e
}

type orderListInput struct {
	ListParams
	State       string `query:"state" enum:"on_hold,awaiting_stock,ready_to_route,sent_to_supplier,partially_shipped,shipped,delivered,cancelled" doc:"Only orders in this state"`
	Hold        string `query:"hold" enum:"address,payment,stock,manual" doc:"Only orders with an open hold of this reason"`
	Backordered bool   `query:"backordered" doc:"Only orders with units waiting for a restock"`
	Preordered  bool   `query:"preordered" doc:"Only orders with pre-ordered units"`
	AtRisk      bool   `query:"at_risk" doc:"Only orders with an open at-risk flag (they may miss their promised window)"`
	RiskReason  string `query:"at_risk_reason" enum:"not_sent,not_shipped,restock_late,late,not_acknowledged,tracking_stalled,discontinued" doc:"Only orders with an open at-risk flag of this reason"`
	Channel     string `query:"channel" pattern:"^[a-z0-9][a-z0-9_-]{0,39}$" doc:"Only orders from this channel"`
	Customer    int64  `query:"customer" minimum:"1" doc:"Only this customer's orders (customer id)"`
	From        string `query:"from" doc:"Placed at or after: RFC 3339 time or a date (UTC)" example:"2026-03-01"`
	To          string `query:"to" doc:"Placed before this RFC 3339 time, or on or before this date (UTC)" example:"2026-03-31"`
	Q           string `query:"q" maxLength:"200" doc:"Order number, external id, start of the email, or a SKU"`
}

// timeParam reads a from/to query parameter: an RFC 3339 time, or a date
// (UTC) meaning its start, or for an end bound (to) the start of the next
// day, so that the day is included.
func timeParam(f *apperr.Fields, name, v string, end bool) time.Time {
	if v == "" {
		return time.Time{}
	}
	// A '+' offset sent unencoded in a query string arrives as a space.
	if t, err := time.Parse(time.RFC3339, strings.ReplaceAll(v, " ", "+")); err == nil {
		return t
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	f.Add("query."+name, "must be a date like 2026-03-01 or an RFC 3339 time like 2026-03-01T09:30:00Z, got %q", v)
	return time.Time{}
}

func (in *orderListInput) filter() (orders.ListFilter, error) {
	f := orders.ListFilter{State: orders.State(in.State), HoldReason: orders.HoldReason(in.Hold), Backordered: in.Backordered,
		Preordered: in.Preordered, Channel: in.Channel, CustomerID: in.Customer, Q: in.Q, Limit: in.Limit,
		AtRisk: in.AtRisk, AtRiskReason: orders.RiskReason(in.RiskReason)}
	var fe apperr.Fields
	f.From = timeParam(&fe, "from", in.From, false)
	f.To = timeParam(&fe, "to", in.To, true)
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		fe.Add("query.to", "must be after from (%s), got %q", in.From, in.To)
	}
	if err := fe.Err(); err != nil {
		return f, err
	}
	return f, DecodeCursor(in.After, &f.Before)
}

func (s *Server) listOrders(ctx context.Context, in *orderListInput) (*ListOutput[orders.Summary], error) {
	if strings.Contains(in.Q, "@") && !seesCustomers(ctx) {
		// Orders found by email would tell who ordered.
		return nil, apperr.InvalidField("query.q", "searching by email needs the customers:read permission")
	}
	f, err := in.filter()
	if err != nil {
		return nil, err
	}
	items, more, err := s.cfg.Orders.List(ctx, f)
	if err != nil {
		return nil, err
	}
	return &ListOutput[orders.Summary]{Body: summaryPage(ctx, items, more)}, nil
}

// summaryPage is a page of order summaries as the caller may see them.
func summaryPage(ctx context.Context, items []orders.Summary, more bool) Page[orders.Summary] {
	if items == nil {
		items = []orders.Summary{}
	}
	if !seesCustomers(ctx) {
		for i := range items {
			items[i].Email = ""
		}
	}
	p := Page[orders.Summary]{Items: items}
	if more && len(items) > 0 {
		p.Next = EncodeCursor(items[len(items)-1].Number)
	}
	return p
}

type orderNumberInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The order number"`
}

type orderOutput struct {
	Body orders.Order
}

func (s *Server) getOrder(ctx context.Context, in *orderNumberInput) (*orderOutput, error) {
	o, err := s.cfg.Orders.Get(ctx, in.Number)
	if err != nil {
		return nil, err
	}
	return &orderOutput{Body: orderOut(ctx, o)}, nil
}

// TimelineEntry is one entry of an order's timeline.
type TimelineEntry struct {
	ID        int64           `json:"id"`
	Line      int64           `json:"line_id,omitempty" doc:"The line the entry is about, if one"`
	Event     string          `json:"event" doc:"What happened: placed, held, hold_released, cancelled, address_changed, sent_to_supplier, shipped, delivered, ..." example:"cancelled"`
	FromState string          `json:"from_state,omitempty" doc:"The order's state before"`
	ToState   string          `json:"to_state,omitempty" doc:"The order's state after"`
	Actor     string          `json:"actor" doc:"Who: staff:ID email, token:ID name, channel:NAME, or system:JOB" example:"token:2 ci"`
	Reason    string          `json:"reason,omitempty" doc:"Why, as given"`
	Detail    json.RawMessage `json:"detail,omitempty" doc:"What exactly changed (per event)"`
	At        time.Time       `json:"at"`
}

func (s *Server) getOrderTimeline(ctx context.Context, in *orderNumberInput) (*ListOutput[TimelineEntry], error) {
	entries, err := s.cfg.Orders.Timeline(ctx, in.Number)
	if err != nil {
		return nil, err
	}
	personal := seesCustomers(ctx)
	out := &ListOutput[TimelineEntry]{Body: Page[TimelineEntry]{Items: make([]TimelineEntry, len(entries))}}
	for i, e := range entries {
		t := TimelineEntry{ID: e.ID, Line: e.LineID, Event: e.Event, FromState: e.FromState, ToState: e.ToState,
			Actor: e.Actor, Reason: e.Reason, At: e.At}
		if e.Detail != "" && e.Detail != "{}" && json.Valid([]byte(e.Detail)) {
			t.Detail = json.RawMessage(e.Detail)
		}
		if !personal && e.Event == "address_changed" {
			t.Detail = nil // the old and new address
		}
		out.Body.Items[i] = t
	}
	return out, nil
}

// OrderPayment is a refund or charge recorded for an order.
type OrderPayment struct {
	ID     int64           `json:"id"`
	Kind   string          `json:"kind" enum:"refund,charge"`
	Amount money.Money     `json:"amount"`
	Reason string          `json:"reason"`
	Parts  json.RawMessage `json:"parts,omitempty" doc:"The amount's parts per line (line, units, amount) and shipping"`
	Actor  string          `json:"actor" doc:"Who caused it"`
}

func (s *Server) listOrderPayments(ctx context.Context, in *orderNumberInput) (*ListOutput[OrderPayment], error) {
	if _, err := s.cfg.Orders.Get(ctx, in.Number); err != nil {
		return nil, err // 404 for an unknown order, not an empty list
	}
	ps, err := s.cfg.Orders.Payments(ctx, in.Number)
	if err != nil {
		return nil, err
	}
	out := &ListOutput[OrderPayment]{Body: Page[OrderPayment]{Items: make([]OrderPayment, len(ps))}}
	for i, p := range ps {
		op := OrderPayment{ID: p.ID, Kind: p.Kind, Amount: p.Amount, Reason: p.Reason, Actor: p.Actor}
		if p.Detail != "" && p.Detail != "null" && json.Valid([]byte(p.Detail)) {
			op.Parts = json.RawMessage(p.Detail)
		}
		out.Body.Items[i] = op
	}
	return out, nil
}

// cancelLineBody names units of one line to cancel.
type cancelLineBody struct {
	Line     int `json:"line" minimum:"1" doc:"Line position, from 1"`
	Quantity int `json:"quantity,omitempty" minimum:"0" maximum:"100000" doc:"Units to cancel; 0 or absent: all that can still be cancelled"`
}

type cancelOrderInput struct {
	Number int64 `path:"number" minimum:"1"`
	Body   struct {
		Lines  []cancelLineBody `json:"lines,omitempty" maxItems:"250" doc:"What to cancel; absent or empty: the whole order"`
		Reason string           `json:"reason,omitempty" maxLength:"500" doc:"Required: why; it goes on the timeline" example:"Customer changed their mind"`
	}
}

// CancelResult is the refund a cancellation makes due, and the order after it.
type CancelResult struct {
	Refund      money.Money         `json:"refund" doc:"Due back to the customer for what was cancelled (zero if nothing was charged for it)"`
	RefundParts []orders.RefundPart `json:"refund_parts" nullable:"false" doc:"The refund per line and shipping"`
	Order       orders.Order        `json:"order"`
}

type cancelOrderOutput struct {
	Body CancelResult
}

func (s *Server) cancelOrder(ctx context.Context, in *cancelOrderInput) (*cancelOrderOutput, error) {
	ci := orders.CancelInput{Reason: in.Body.Reason}
	for _, l := range in.Body.Lines {
		ci.Lines = append(ci.Lines, orders.LineQuantity{Line: l.Line, Quantity: l.Quantity})
	}
	res, err := s.cfg.Orders.Cancel(ctx, in.Number, ci)
	if err != nil {
		return nil, err
	}
	parts := res.Parts
	if parts == nil {
		parts = []orders.RefundPart{}
	}
	return &cancelOrderOutput{Body: CancelResult{Order: orderOut(ctx, res.Order), Refund: res.Refund, RefundParts: parts}}, nil
}

type holdOrderInput struct {
	Number int64 `path:"number" minimum:"1"`
	Body   struct {
		Reason string `json:"reason,omitempty" maxLength:"500" doc:"Required: why; it goes on the timeline" example:"Customer asked to wait for a second item"`
	}
}

func (s *Server) holdOrder(ctx context.Context, in *holdOrderInput) (*orderOutput, error) {
	o, err := s.cfg.Orders.Hold(ctx, in.Number, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &orderOutput{Body: orderOut(ctx, o)}, nil
}

type releaseHoldInput struct {
	Number int64 `path:"number" minimum:"1"`
	Hold   int64 `path:"hold" minimum:"1" doc:"The hold's id (from the order's holds)"`
	Body   struct {
		Note string `json:"note,omitempty" maxLength:"500" doc:"Required: what was checked or fixed; it goes on the timeline" example:"Called the customer: payment confirmed"`
	}
}

func (s *Server) releaseOrderHold(ctx context.Context, in *releaseHoldInput) (*orderOutput, error) {
	o, err := s.cfg.Orders.ReleaseHold(ctx, in.Number, in.Hold, in.Body.Note)
	if err != nil {
		return nil, err
	}
	return &orderOutput{Body: orderOut(ctx, o)}, nil
}

type setOrderAddressInput struct {
	Number int64 `path:"number" minimum:"1"`
	Body   struct {
		Address addressBody `json:"address"`
		Reason  string      `json:"reason,omitempty" maxLength:"500" doc:"Why, for the timeline"`
	}
}

func (s *Server) setOrderAddress(ctx context.Context, in *setOrderAddressInput) (*orderOutput, error) {
	o, err := s.cfg.Orders.EditAddress(ctx, in.Number, in.Body.Address.address(), in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &orderOutput{Body: orderOut(ctx, o)}, nil
}

type fulfilOrderInput struct {
	Number int64 `path:"number" minimum:"1"`
	Body   *struct {
		Lines []int  `json:"lines,omitempty" maxItems:"250" doc:"Line positions (from 1); absent: every line in the right state"`
		Note  string `json:"note,omitempty" maxLength:"500" doc:"For the timeline, e.g. a tracking number"`
	}
}

// fulfilOrder is the handler of a fulfilment step (send, ship, deliver):
// step is the orders.Service method that records it.
func fulfilOrder(step func(ctx context.Context, number int64, lines []int, note string) (*orders.Order, error)) func(context.Context, *fulfilOrderInput) (*orderOutput, error) {
	return func(ctx context.Context, in *fulfilOrderInput) (*orderOutput, error) {
		var lines []int
		var note string
		if in.Body != nil {
			lines, note = in.Body.Lines, in.Body.Note
		}
		o, err := step(ctx, in.Number, lines, note)
		if err != nil {
			return nil, err
		}
		return &orderOutput{Body: orderOut(ctx, o)}, nil
	}
}
