package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/refunds"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// The orders pages of the console: the list with its filters and search, and
// one order with its lines, holds, timeline, payments and the actions staff
// take on it. Every action is a form post that calls one orders.Service
// method and redirects back (POST/redirect/GET); a refused action shows the
// page again with the reason.

func (s *Server) registerConsoleOrders() {
	s.page("GET /console/orders", auth.OrdersRead, s.ordersPage)
	s.page("GET /console/orders/{number}", auth.OrdersRead, s.orderPage)
	s.page("GET /console/orders/{number}/timeline", auth.OrdersRead, s.orderTimelinePart)
	s.page("POST /console/orders/{number}/cancel", auth.OrdersWrite, s.orderCancel)
	s.page("POST /console/orders/{number}/hold", auth.OrdersWrite, s.orderHold)
	s.page("POST /console/orders/{number}/holds/{hold}/release", auth.OrdersWrite, s.orderReleaseHold)
	s.page("POST /console/orders/{number}/address", auth.OrdersWrite, s.orderEditAddress)
	s.page("POST /console/orders/{number}/send", auth.OrdersWrite, s.orderFulfil("send", s.cfg.Orders.SendToSupplier))
	s.page("POST /console/orders/{number}/ship", auth.OrdersWrite, s.orderFulfil("ship", s.cfg.Orders.Ship))
	s.page("POST /console/orders/{number}/deliver", auth.OrdersWrite, s.orderFulfil("deliver", s.cfg.Orders.Deliver))
	s.page("POST /console/orders/{number}/route", auth.OrdersWrite, s.orderRoute)
}

// orderFlashes are the confirmations the order page shows after an action.
var orderFlashes = map[string]string{
	"cancelled":       "Cancelled. Any refund due is listed under Payments.",
	"held":            "Order put on hold.",
	"released":        "Hold released.",
	"address-changed": "Shipping address changed.",
	"sent":            "Lines recorded as sent to the supplier.",
	"shipped":         "Lines recorded as shipped.",
	"delivered":       "Lines recorded as delivered.",
	"routed":          "Routed: the lines go on their suppliers' purchase orders (see Routing for why).",
	"route-nothing":   "Nothing to route: the lines are with suppliers already, on hold, or waiting for stock.",
}

// stateBadge is an order or line state as the console shows it: a label and
// a badge colour.
type stateBadge string

// Label is the state in words ("on hold").
func (b stateBadge) Label() string { return strings.ReplaceAll(string(b), "_", " ") }

// Class is the badge's colour class: red for what needs a person, amber for
// what waits, green for what is done.
func (b stateBadge) Class() string {
	switch b {
	case stateBadge(orders.OnHold), stateBadge(orders.LineShort):
		return "bad"
	case stateBadge(orders.AwaitingStock), stateBadge(orders.LineBackordered), stateBadge(orders.LinePreordered):
		return "warn"
	case stateBadge(orders.Shipped), stateBadge(orders.Delivered):
		return "ok"
	}
	return ""
}

// ---- the list ---------------------------------------------------------------

// ordersFilter is the list's filters as they appear in the URL and the form.
type ordersFilter struct {
	Q, State, Hold, Channel, From, To string
	Backordered, Preordered, AtRisk   bool
}

// Query returns the filters as a URL query, with the keyset cursor after.
func (f ordersFilter) Query(after string) template.URL {
	q := url.Values{}
	for _, kv := range [][2]string{{"q", f.Q}, {"state", f.State}, {"hold", f.Hold}, {"channel", f.Channel},
		{"from", f.From}, {"to", f.To}, {"after", after}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	if f.Backordered {
		q.Set("backordered", "1")
	}
	if f.Preordered {
		q.Set("preordered", "1")
	}
	if f.AtRisk {
		q.Set("at_risk", "1")
	}
	return template.URL(q.Encode())
}

// dateLayout is how the date filters are written (what <input type=date> sends).
const dateLayout = "2006-01-02"

// parseOrdersFilter reads the list's filters from q into the service's
// filter. Dates are days in UTC; "to" includes its whole day.
func parseOrdersFilter(q url.Values, canReadCustomers bool) (ordersFilter, orders.ListFilter, error) {
	f := ordersFilter{
		Q: strings.TrimSpace(q.Get("q")), State: q.Get("state"), Hold: q.Get("hold"),
		Channel: strings.ToLower(strings.TrimSpace(q.Get("channel"))),
		From:    strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Backordered: q.Get("backordered") != "", Preordered: q.Get("preordered") != "",
		AtRisk: q.Get("at_risk") != "",
	}
	lf := orders.ListFilter{Q: f.Q, State: orders.State(f.State), HoldReason: orders.HoldReason(f.Hold),
		Backordered: f.Backordered, Preordered: f.Preordered, AtRisk: f.AtRisk, Channel: f.Channel, Limit: consolePageSize}
	var fe apperr.Fields
	if f.From != "" {
		t, err := time.Parse(dateLayout, f.From)
		if err != nil {
			fe.Add("from", "%q is not a date like 2026-03-01", f.From)
		}
		lf.From = t
	}
	if f.To != "" {
		t, err := time.Parse(dateLayout, f.To)
		if err != nil {
			fe.Add("to", "%q is not a date like 2026-03-31", f.To)
		} else {
			lf.To = t.AddDate(0, 0, 1)
		}
	}
	if !lf.From.IsZero() && !lf.To.IsZero() && !lf.From.Before(lf.To) {
		fe.Add("to", "must not be before the from date")
	}
	if strings.Contains(f.Q, "@") && !canReadCustomers {
		// Orders found by email would tell who ordered; roles without
		// customers:read do not see customers' details.
		fe.Add("q", "searching by email needs the customers:read permission")
	}
	if err := fe.Err(); err != nil {
		return f, lf, err
	}
	if err := DecodeCursor(q.Get("after"), &lf.Before); err != nil {
		return f, lf, err
	}
	return f, lf, nil
}

type orderRow struct {
	orders.Summary
	State stateBadge
}

// HoldList is the open holds' reasons, comma-separated.
func (r orderRow) HoldList() string {
	out := make([]string, len(r.Holds))
	for i, h := range r.Holds {
		out[i] = string(h)
	}
	return strings.Join(out, ", ")
}

// RiskReasons is the open at-risk flags' reasons, space-separated.
func (r orderRow) RiskReasons() string {
	out := make([]string, len(r.AtRisk))
	for i, k := range r.AtRisk {
		out[i] = string(k.Reason)
	}
	return strings.Join(out, " ")
}

// RiskDetails is the open at-risk flags' texts, one a line (the badge's title).
func (r orderRow) RiskDetails() string {
	out := make([]string, len(r.AtRisk))
	for i, k := range r.AtRisk {
		out[i] = k.Detail
	}
	return strings.Join(out, "\n")
}

// riskLabels name the at-risk reasons in the console.
var riskLabels = map[orders.RiskReason]string{
	orders.RiskNotSent:      "not sent",
	orders.RiskNotShipped:   "not shipped",
	orders.RiskRestockLate:  "restock late",
	orders.RiskLate:         "late",
	orders.RiskDiscontinued: "item discontinued",
}

// RiskLabel is an at-risk reason in words.
func (v *orderView) RiskLabel(r orders.RiskReason) string {
	if l, ok := riskLabels[r]; ok {
		return l
	}
	return strings.ReplaceAll(string(r), "_", " ")
}

func orderRows(list []orders.Summary) []orderRow {
	out := make([]orderRow, len(list))
	for i, m := range list {
		out[i] = orderRow{Summary: m, State: stateBadge(m.State)}
	}
	return out
}

type ordersView struct {
	Filter ordersFilter
	States []stateBadge
	Holds  []orders.HoldReason
	// Channels are suggestions for the channel filter; any channel can be typed.
	Channels []string
	// ShowEmail is false for roles that may not see customers' details.
	ShowEmail bool
	Rows      []orderRow
	After     string
	Next      string
	// Error is why the filters could not be applied; Errors says which.
	Error  string
	Errors map[string]string
}

// ordersPage lists orders newest first with filters and search. An htmx
// request gets only the rows (search as you type, "Load more").
func (s *Server) ordersPage(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	var states []stateBadge
	for _, st := range orders.States() {
		states = append(states, stateBadge(st))
	}
	v := ordersView{States: states, Holds: []orders.HoldReason{orders.HoldAddress, orders.HoldPayment, orders.HoldStock, orders.HoldManual},
		Channels: []string{"api", "csv", "shopify"}, ShowEmail: p.Can(auth.CustomersRead), After: r.URL.Query().Get("after"),
		Errors: map[string]string{}}
	f, lf, err := parseOrdersFilter(r.URL.Query(), v.ShowEmail)
	v.Filter = f
	status := http.StatusOK
	if err == nil {
		var list []orders.Summary
		var more bool
		list, more, err = s.cfg.Orders.List(r.Context(), lf)
		if err == nil {
			v.Rows = orderRows(list)
			if more && len(list) > 0 {
				v.Next = EncodeCursor(list[len(list)-1].Number)
			}
		}
	}
	if err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		status = statusFor(err)
		v.Errors = fieldErrors(renameFields(err, map[string]string{"query.after": "after"}))
		v.Error = errMessage(err)
	}
	if isHTMX(r) {
		// htmx swaps only 2xx answers: a filter error goes in the rows.
		s.renderPartial(w, r, "orders.html", "rows", v)
		return
	}
	s.render(w, r, status, "orders.html", view{Title: "Orders", Active: "orders", Data: v})
}

// ---- one order --------------------------------------------------------------

// decisionPart is one bucket of a line's units, in words.
type decisionPart struct {
	Text  string
	Class string
}

type lineRow struct {
	orders.Line
	State stateBadge
	// Cancellable is how many units can still be cancelled.
	Cancellable int
	Decision    []decisionPart
}

func newLineRow(l orders.Line) lineRow {
	row := lineRow{Line: l, State: stateBadge(l.State), Cancellable: l.Cancellable()}
	add := func(n int, class, format string, args ...any) {
		if n > 0 {
			row.Decision = append(row.Decision, decisionPart{Text: fmt.Sprintf(format, append([]any{n}, args...)...), Class: class})
		}
	}
	expected := func(prefix string) string {
		if l.ExpectedAt == nil {
			return ""
		}
		return ", " + prefix + " " + day(*l.ExpectedAt)
	}
	add(l.Reserved, "ok", "%d reserved")
	add(l.Backordered, "warn", "%d backordered%s", expected("expected"))
	add(l.Preordered, "warn", "%d pre-ordered%s", expected("released"))
	add(l.Short, "bad", "%d short: no stock")
	add(l.Shipped, "ok", "%d shipped")
	add(l.Cancelled, "", "%d cancelled")
	return row
}

// day formats a date for the console: "Tue 10 Mar 2026".
func day(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006") }

// entryRow is one timeline entry as shown.
type entryRow struct {
	orders.Entry
	// Who is the actor's name (an email, a token or job name); Kind is
	// staff, token, channel or system.
	Who, Kind string
	What      string
	From, To  stateBadge
	// Line is the line's position for entries about one line (0: the order).
	Line int
	// Summary is the entry's detail in words.
	Summary string
}

// splitActor turns "staff:3 ana@example.com" into ("ana@example.com",
// "staff"), "system:restock" into ("restock", "system").
func splitActor(actor string) (who, kind string) {
	kind, rest, ok := strings.Cut(actor, ":")
	if !ok {
		return actor, ""
	}
	if id, name, ok := strings.Cut(rest, " "); ok && id != "" && strings.Trim(id, "0123456789") == "" {
		return name, kind
	}
	return rest, kind
}

var eventLabels = map[string]string{
	"placed":            "Placed",
	"held":              "Put on hold",
	"hold_released":     "Hold released",
	"state_changed":     "State changed",
	"address_changed":   "Shipping address changed",
	"cancelled":         "Cancelled",
	"sent_to_supplier":  "Sent to supplier",
	"shipped":           "Shipped",
	"delivered":         "Delivered",
	"restocked":         "Stock arrived",
	"preorder_released": "Pre-order released",
	"at_risk":           "At risk",
	"at_risk_cleared":   "No longer at risk",
}

func eventLabel(e string) string {
	if l, ok := eventLabels[e]; ok {
		return l
	}
	l := strings.ReplaceAll(e, "_", " ")
	if l == "" {
		return l
	}
	return strings.ToUpper(l[:1]) + l[1:]
}

// entryDetail is the union of what the orders service writes in a timeline
// entry's detail.
type entryDetail struct {
	Channel    string             `json:"channel"`
	ExternalID string             `json:"external_id"`
	Lines      json.RawMessage    `json:"lines"`
	Reason     string             `json:"reason"`
	From       *customers.Address `json:"from"`
	To         *customers.Address `json:"to"`
	Problems   []customers.Problem
	Line       int    `json:"line"`
	SKU        string `json:"sku"`
	Reserved   int    `json:"reserved"`
}

// placedLine is one line of a "placed" entry's detail.
type placedLine struct {
	Line        int    `json:"line"`
	SKU         string `json:"sku"`
	Quantity    int    `json:"quantity"`
	Reserved    int    `json:"reserved"`
	Backordered int    `json:"backordered"`
	Preordered  int    `json:"preordered"`
	Short       int    `json:"short"`
}

// summarize says what an entry's detail holds, in words. Addresses are left
// out for roles that may not see customers' details.
func summarize(e orders.Entry, showAddress bool) (string, int) {
	var d entryDetail
	if e.Detail == "" || json.Unmarshal([]byte(e.Detail), &d) != nil {
		return "", 0
	}
	var parts []string
	switch e.Event {
	case "placed":
		var lines []placedLine
		_ = json.Unmarshal(d.Lines, &lines)
		for _, l := range lines {
			var b []string
			for _, x := range []struct {
				n    int
				what string
			}{{l.Reserved, "reserved"}, {l.Backordered, "backordered"}, {l.Preordered, "pre-ordered"}, {l.Short, "short"}} {
				if x.n > 0 {
					b = append(b, fmt.Sprintf("%d %s", x.n, x.what))
				}
			}
			parts = append(parts, fmt.Sprintf("line %d %s × %d: %s", l.Line, l.SKU, l.Quantity, strings.Join(b, ", ")))
		}
		if d.Channel != "" {
			ch := "via " + d.Channel
			if d.ExternalID != "" {
				ch += " (" + d.ExternalID + ")"
			}
			parts = append([]string{ch}, parts...)
		}
	case "cancelled":
		var rp []orders.RefundPart
		_ = json.Unmarshal(d.Lines, &rp)
		for _, p := range rp {
			if p.Shipping {
				parts = append(parts, "shipping, refund "+p.Amount.String())
				continue
			}
			parts = append(parts, fmt.Sprintf("line %d: %d %s, refund %s", p.Line, p.Units, plural(p.Units, "unit", "units"), p.Amount))
		}
	case "held", "hold_released":
		if d.Reason != "" {
			parts = append(parts, d.Reason+" hold")
		}
	case "address_changed":
		if showAddress && d.To != nil {
			parts = append(parts, "to "+strings.Join(addressLines(*d.To), ", "))
		}
		for _, p := range d.Problems {
			parts = append(parts, p.Message)
		}
	case "sent_to_supplier", "shipped", "delivered":
		var ls []int
		_ = json.Unmarshal(d.Lines, &ls)
		if len(ls) > 0 {
			ns := make([]string, len(ls))
			for i, n := range ls {
				ns[i] = strconv.Itoa(n)
			}
			parts = append(parts, plural(len(ls), "line ", "lines ")+strings.Join(ns, ", "))
		}
	}
	return strings.Join(parts, "; "), d.Line
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// entryRows returns a timeline newest first, as people read it.
func entryRows(list []orders.Entry, showAddress bool) []entryRow {
	out := make([]entryRow, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		row := entryRow{Entry: e, What: eventLabel(e.Event), From: stateBadge(e.FromState), To: stateBadge(e.ToState)}
		row.Who, row.Kind = splitActor(e.Actor)
		row.Summary, row.Line = summarize(e, showAddress)
		out = append(out, row)
	}
	return out
}

type paymentRow struct {
	orders.Payment
	Who   string
	Parts string
	// Refund is the refund's state (pending or issued); nil for a charge.
	Refund *refunds.Refund
}

func paymentRows(list []orders.Payment) []paymentRow {
	out := make([]paymentRow, len(list))
	for i, p := range list {
		row := paymentRow{Payment: p}
		var parts []orders.RefundPart
		if json.Unmarshal([]byte(p.Detail), &parts) == nil {
			var s []string
			for _, rp := range parts {
				if rp.Shipping {
					s = append(s, "shipping "+rp.Amount.String())
				} else {
					s = append(s, fmt.Sprintf("line %d × %d: %s", rp.Line, rp.Units, rp.Amount))
				}
			}
			row.Parts = strings.Join(s, "; ")
		}
		row.Who, _ = splitActor(p.Actor)
		out[i] = row
	}
	return out
}

// addressLines is an address as written on an envelope, one line per entry.
func addressLines(a customers.Address) []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	add(a.Name)
	add(a.Company)
	add(a.Line1)
	add(a.Line2)
	add(strings.TrimSpace(a.PostalCode + " " + a.City))
	add(a.Region)
	if name := suppliers.Country(a.Country).Name(); name != "" {
		add(name)
	} else {
		add(a.Country)
	}
	add(a.Phone)
	return out
}

// orderView is the order page. Form, FormLine and Values are the form that
// was posted and refused, so it is shown again with its values and errors.
type orderView struct {
	*orders.Order
	State     stateBadge
	Lines     []lineRow
	OpenHolds []orders.Hold
	PastHolds []orders.Hold
	Timeline  []entryRow
	Payments  []paymentRow
	Customer  *customers.Customer
	// ShowCustomer is false for roles without customers:read: they see
	// neither the email nor the address.
	ShowCustomer bool
	Address      []string

	CanCancel, CanHold, CanEditAddress bool
	// ToSend, ToShip and ToDeliver are the lines each fulfilment step can take.
	ToSend, ToShip, ToDeliver []lineRow

	// Routing is the order's routing decisions, newest first (routing:read);
	// POLines its purchase order lines (purchasing:read); Parcels its
	// shipments with their last tracking events. ShowRouting and
	// ShowPurchasing say whether the role sees those sections; CanRoute
	// whether "Route now" has lines to route.
	Routing                     []routing.StoredDecision
	POLines                     []purchasing.OrderLine
	Parcels                     []parcelRow
	ShowRouting, ShowPurchasing bool
	CanRoute                    bool

	// Notifications is the delivery log of the customer's notifications
	// (console_notifications.go); recipients show with ShowCustomer only.
	Notifications []notify.Notification
	// Coupons are the coupons issued for this order (apology or by hand);
	// nil when the viewer may not read coupons.
	Coupons []coupons.Coupon

	// CustomerChoices are what the customer may choose for waiting or
	// delayed lines (customer_page.go); CustomerLink opens the customer's
	// page (orders:write only: a choice made there counts).
	CustomerChoices []orders.LineChoices
	CustomerLink    string

	// Failed is the refused action's message, shown at the top of the page.
	Failed string
	Form   string
	Values url.Values
	Errors map[string]string
}

// Err returns the error of field in form, if form is the one refused.
func (v *orderView) Err(form, field string) string {
	if v.Form != form {
		return ""
	}
	return v.Errors[field]
}

// Value returns what was typed into field of form when form was refused,
// else def.
func (v *orderView) Value(form, field string, def any) string {
	if v.Form == form && v.Values != nil {
		if _, ok := v.Values[field]; ok {
			return v.Values.Get(field)
		}
	}
	if def == nil {
		return ""
	}
	return fmt.Sprint(def)
}

// Who is an actor ("staff:3 ana@example.com") as shown: the name alone.
func (v *orderView) Who(actor string) string {
	who, _ := splitActor(actor)
	return who
}

// Opened reports whether form was refused, to open its <details>.
func (v *orderView) Opened(form string) bool { return v.Form == form }

// loadOrder gathers the order page.
func (s *Server) loadOrder(r *http.Request) (*orderView, error) {
	number, err := pathID(r, "number")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	o, err := s.cfg.Orders.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	p := auth.FromContext(ctx)
	v := &orderView{Order: o, State: stateBadge(o.State), ShowCustomer: p.Can(auth.CustomersRead), Errors: map[string]string{}}
	for _, l := range o.Lines {
		row := newLineRow(l)
		v.Lines = append(v.Lines, row)
		if row.Cancellable > 0 {
			v.CanCancel = true
		}
		switch l.State {
		case orders.LineAllocated:
			if o.State != orders.OnHold {
				v.ToSend = append(v.ToSend, row)
			}
		case orders.LineSentToSupplier:
			v.ToShip = append(v.ToShip, row)
		case orders.LineShipped:
			v.ToDeliver = append(v.ToDeliver, row)
		}
	}
	for _, h := range o.Holds {
		if h.ReleasedAt == nil {
			v.OpenHolds = append(v.OpenHolds, h)
		} else {
			v.PastHolds = append(v.PastHolds, h)
		}
	}
	switch o.State {
	case orders.Cancelled, orders.Shipped, orders.Delivered:
		v.CanCancel = false
	default:
		v.CanHold = true
	}
	v.CanEditAddress = o.Editable()
	if v.ShowCustomer {
		v.Address = addressLines(o.ShippingAddress)
		if v.Customer, err = s.cfg.Customers.Get(ctx, o.CustomerID); err != nil {
			return nil, err
		}
	}
	tl, err := s.cfg.Orders.Timeline(ctx, number)
	if err != nil {
		return nil, err
	}
	v.Timeline = entryRows(tl, v.ShowCustomer)
	pays, err := s.cfg.Orders.Payments(ctx, number)
	if err != nil {
		return nil, err
	}
	v.Payments = paymentRows(pays)
	if p.Can(auth.RefundsRead) {
		states, err := s.cfg.Refunds.ForOrder(ctx, number)
		if err != nil {
			return nil, err
		}
		for i := range states {
			for j := range v.Payments {
				if v.Payments[j].ID == states[i].ID {
					v.Payments[j].Refund = &states[i]
				}
			}
		}
	}
	if p.Can(auth.CouponsRead) {
		if v.Coupons, err = s.cfg.Coupons.ForOrder(ctx, number); err != nil {
			return nil, err
		}
	}
	if s.cfg.Notify != nil {
		if v.Notifications, err = s.cfg.Notify.ForOrder(ctx, number); err != nil {
			return nil, err
		}
	}
	if err := s.loadFulfilment(r, v); err != nil {
		return nil, err
	}
	if v.CustomerChoices, err = s.cfg.Orders.Choices(ctx, number); err != nil {
		return nil, err
	}
	if p.Can(auth.OrdersWrite) && s.cfg.OrderLinks != nil {
		// A link valid for a day: staff see the page as the customer does.
		v.CustomerLink = orderlinks.Path(s.cfg.OrderLinks.Token(number, s.now().Add(24*time.Hour)))
	}
	return v, nil
}

// parcelEvents is how many of a parcel's tracking events the order page shows.
const parcelEvents = 3

// parcelRow is one shipment of the order as shown.
type parcelRow struct {
	shipping.Shipment
	// Lines are the parcel's units in words ("line 1 MUG-1 × 2").
	Lines []string
	// Last are the newest tracking events, newest first.
	Last []shipping.StoredEvent
}

// loadFulfilment adds the routing decisions, purchase order lines and
// parcels of the order to the page, each for the roles that may see it.
func (s *Server) loadFulfilment(r *http.Request, v *orderView) error {
	ctx := r.Context()
	p := auth.FromContext(ctx)
	v.ShowRouting = p.Can(auth.RoutingRead) && s.cfg.Routing != nil
	v.ShowPurchasing = p.Can(auth.PurchasingRead) && s.cfg.Purchasing != nil
	if v.ShowRouting {
		ds, err := s.cfg.Routing.Rules().Decisions(ctx, v.Number)
		if err != nil {
			return err
		}
		for i := len(ds) - 1; i >= 0; i-- {
			v.Routing = append(v.Routing, ds[i])
		}
	}
	// Lines allocated with no open purchase order line can be routed now.
	var onPO map[int64]bool
	if s.cfg.Purchasing != nil {
		ls, err := s.cfg.Purchasing.OrderLines(ctx, v.Number)
		if err != nil {
			return err
		}
		onPO = map[int64]bool{}
		for _, l := range ls {
			if l.Open() > 0 || l.Shipped > 0 {
				onPO[l.OrderLineID] = true
			}
		}
		if v.ShowPurchasing {
			v.POLines = ls
		}
	}
	position := map[int64]int{}
	for _, l := range v.Order.Lines {
		position[l.ID] = l.Position
		if l.State == orders.LineAllocated && !onPO[l.ID] && v.Order.State != orders.OnHold && v.Order.State != orders.AwaitingStock && s.cfg.Routing != nil {
			v.CanRoute = true
		}
	}
	if s.cfg.Shipping == nil {
		return nil
	}
	list, err := s.cfg.Shipping.List(ctx, shipping.Filter{OrderNumber: v.Number, Limit: 100})
	if err != nil {
		return err
	}
	for _, sh := range list {
		full, err := s.cfg.Shipping.Get(ctx, 0, sh.ID)
		if err != nil {
			return err
		}
		row := parcelRow{Shipment: *full}
		for _, l := range full.Lines {
			row.Lines = append(row.Lines, fmt.Sprintf("line %d %s × %d", position[l.OrderLineID], l.SKU, l.Quantity))
		}
		for i := len(full.Events) - 1; i >= 0 && len(row.Last) < parcelEvents; i-- {
			row.Last = append(row.Last, full.Events[i])
		}
		v.Parcels = append(v.Parcels, row)
	}
	return nil
}

// TriggerLabel is what started a routing decision, in words.
func (v *orderView) TriggerLabel(trigger string) string {
	switch trigger {
	case routing.TriggerConfirmed:
		return "order ready"
	case routing.TriggerRestocked:
		return "stock arrived"
	case routing.TriggerManual:
		return "routed by hand"
	case routing.TriggerRejected:
		return "supplier rejected"
	case routing.TriggerTimeout:
		return "supplier did not answer"
	}
	return trigger
}

// StrategyLabel is a routing strategy in words.
func (v *orderView) StrategyLabel(st routing.Strategy) string { return strategyLabel(st) }

// orderRoute routes the order's allocated lines not yet with a supplier
// ("Route now"). Nothing to route is said in the flash; an error is shown on
// the page.
func (s *Server) orderRoute(w http.ResponseWriter, r *http.Request) {
	number, err := pathID(r, "number")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	d, err := s.cfg.Routing.Route(r.Context(), number, routing.TriggerManual)
	if err == nil {
		done := "route-nothing"
		if d != nil && d.Unrouted < len(d.Lines) {
			done = "routed"
		}
		seeOther(w, r, "/console/orders/"+strconv.FormatInt(number, 10), done)
		return
	}
	if statusFor(err) >= 500 {
		s.consoleError(w, r, err)
		return
	}
	v, lerr := s.loadOrder(r)
	if lerr != nil {
		s.consoleError(w, r, lerr)
		return
	}
	v.Form = "route"
	v.Failed = "Could not route the order: " + errMessage(err)
	s.renderOrder(w, r, statusFor(err), v)
}

func (s *Server) renderOrder(w http.ResponseWriter, r *http.Request, status int, v *orderView) {
	title := "Order " + strconv.FormatInt(v.Number, 10)
	vw := view{Title: title, Active: "orders", Data: v, Flash: orderFlashes[r.URL.Query().Get("done")]}
	s.render(w, r, status, "order.html", vw)
}

// orderPage shows one order.
func (s *Server) orderPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadOrder(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderOrder(w, r, http.StatusOK, v)
}

// orderTimelinePart is an order's timeline alone, for the customer page,
// which opens it in place (htmx). A plain request goes to the order page.
func (s *Server) orderTimelinePart(w http.ResponseWriter, r *http.Request) {
	number, err := pathID(r, "number")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if !isHTMX(r) {
		http.Redirect(w, r, "/console/orders/"+strconv.FormatInt(number, 10)+"#timeline", http.StatusSeeOther)
		return
	}
	tl, err := s.cfg.Orders.Timeline(r.Context(), number)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderPartial(w, r, "customer.html", "timeline", entryRows(tl, auth.FromContext(r.Context()).Can(auth.CustomersRead)))
}

// orderAction runs one action of the order page: act calls the service. On
// success it redirects to the order with the flash done; on failure it shows
// the order again with the form's errors, under the status of the error.
func (s *Server) orderAction(w http.ResponseWriter, r *http.Request, form, what, done string, fields map[string]string,
	act func(number int64) error) {
	number, err := pathID(r, "number")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "the form could not be read: %v", err))
		return
	}
	if err = act(number); err == nil {
		seeOther(w, r, "/console/orders/"+strconv.FormatInt(number, 10), done)
		return
	}
	if statusFor(err) >= 500 {
		s.consoleError(w, r, err)
		return
	}
	// An unknown order gets its 404 page here.
	v, lerr := s.loadOrder(r)
	if lerr != nil {
		s.consoleError(w, r, lerr)
		return
	}
	v.Form, v.Values = form, r.PostForm
	v.Errors = fieldErrors(renameFields(err, fields))
	v.Failed = "Could not " + what + ": " + errMessage(err)
	s.renderOrder(w, r, statusFor(err), v)
}

// cancelFields maps the service's field names to the cancel form's.
var cancelFields = map[string]string{"lines[0].quantity": "quantity", "lines[0].line": "line"}

// orderCancel cancels the whole order (no line) or some units of one line.
func (s *Server) orderCancel(w http.ResponseWriter, r *http.Request) {
	line := strings.TrimSpace(r.PostFormValue("line"))
	form := "cancel"
	if line != "" {
		form = "cancel-" + line
	}
	s.orderAction(w, r, form, "cancel", "cancelled", cancelFields, func(number int64) error {
		in := orders.CancelInput{Reason: r.PostFormValue("reason")}
		if line != "" {
			var fe apperr.Fields
			pos, err := strconv.Atoi(line)
			if err != nil || pos < 1 {
				fe.Add("line", "%q is not a line number", line)
			}
			qty := 0
			if q := strings.TrimSpace(r.PostFormValue("quantity")); q != "" {
				n, err := strconv.Atoi(q)
				switch {
				case err != nil:
					fe.Add("quantity", "%q is not a whole number", q)
				case n < 1:
					fe.Add("quantity", "cancel at least 1 unit")
				}
				qty = n
			}
			if err := fe.Err(); err != nil {
				return err
			}
			in.Lines = []orders.LineQuantity{{Line: pos, Quantity: qty}}
		}
		_, err := s.cfg.Orders.Cancel(r.Context(), number, in)
		return err
	})
}

// orderHold puts the order on hold by hand.
func (s *Server) orderHold(w http.ResponseWriter, r *http.Request) {
	s.orderAction(w, r, "hold", "put the order on hold", "held", nil, func(number int64) error {
		_, err := s.cfg.Orders.Hold(r.Context(), number, r.PostFormValue("reason"))
		return err
	})
}

// orderReleaseHold releases one hold with a note.
func (s *Server) orderReleaseHold(w http.ResponseWriter, r *http.Request) {
	hold := r.PathValue("hold")
	s.orderAction(w, r, "release-"+hold, "release the hold", "released", nil, func(number int64) error {
		id, err := pathID(r, "hold")
		if err != nil {
			return err
		}
		_, err = s.cfg.Orders.ReleaseHold(r.Context(), number, id, r.PostFormValue("note"))
		return err
	})
}

// addressInput is one input of the address form, named as the Address's JSON.
type addressInput struct {
	Name, Label string
	get         func(customers.Address) string
}

// Of returns the input's value in a.
func (f addressInput) Of(a customers.Address) string { return f.get(a) }

var addressInputs = []addressInput{
	{"name", "Name", func(a customers.Address) string { return a.Name }},
	{"company", "Company", func(a customers.Address) string { return a.Company }},
	{"line1", "Address line 1", func(a customers.Address) string { return a.Line1 }},
	{"line2", "Address line 2", func(a customers.Address) string { return a.Line2 }},
	{"postal_code", "Postal code", func(a customers.Address) string { return a.PostalCode }},
	{"city", "City", func(a customers.Address) string { return a.City }},
	{"region", "Region, state or province", func(a customers.Address) string { return a.Region }},
	{"country", "Country (ISO code, e.g. IT)", func(a customers.Address) string { return a.Country }},
	{"phone", "Phone", func(a customers.Address) string { return a.Phone }},
}

// AddressInputs are the address form's inputs.
func (v *orderView) AddressInputs() []addressInput { return addressInputs }

// fulfilStep is one of the fulfilment forms.
type fulfilStep struct{ Key, Title, Button string }

// FulfilSteps are the fulfilment forms, in lifecycle order.
func (v *orderView) FulfilSteps() []fulfilStep {
	return []fulfilStep{
		{"send", "Sent to the supplier", "Record as sent"},
		{"ship", "Shipped", "Record as shipped"},
		{"deliver", "Delivered", "Record as delivered"},
	}
}

// LinesFor returns the lines a fulfilment step can take.
func (v *orderView) LinesFor(step string) []lineRow {
	switch step {
	case "send":
		return v.ToSend
	case "ship":
		return v.ToShip
	case "deliver":
		return v.ToDeliver
	}
	return nil
}

// orderEditAddress replaces the shipping address. A failing address is not
// refused: the service holds the order (reason "address") and says why.
func (s *Server) orderEditAddress(w http.ResponseWriter, r *http.Request) {
	s.orderAction(w, r, "address", "change the address", "address-changed", nil, func(number int64) error {
		f := func(k string) string { return r.PostFormValue(k) }
		a := customers.Address{Name: f("name"), Company: f("company"), Line1: f("line1"), Line2: f("line2"), City: f("city"),
			Region: f("region"), PostalCode: f("postal_code"), Country: f("country"), Phone: f("phone")}
		if a.IsZero() {
			return apperr.InvalidField("line1", "enter the new address")
		}
		_, err := s.cfg.Orders.EditAddress(r.Context(), number, a, r.PostFormValue("reason"))
		return err
	})
}

var fulfilWords = map[string][2]string{
	"send":    {"send lines to the supplier", "sent"},
	"ship":    {"record lines as shipped", "shipped"},
	"deliver": {"record lines as delivered", "delivered"},
}

// orderFulfil records by hand that the ticked lines were sent, shipped or
// delivered.
func (s *Server) orderFulfil(step string, fn func(ctx context.Context, number int64, positions []int, note string) (*orders.Order, error)) http.HandlerFunc {
	words := fulfilWords[step]
	return func(w http.ResponseWriter, r *http.Request) {
		s.orderAction(w, r, step, words[0], words[1], nil, func(number int64) error {
			var positions []int
			for _, v := range r.PostForm["line"] {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return apperr.InvalidField("line", "%q is not a line number", v)
				}
				positions = append(positions, n)
			}
			if len(positions) == 0 {
				return apperr.InvalidField("line", "tick at least one line")
			}
			_, err := fn(r.Context(), number, positions, r.PostFormValue("note"))
			return err
		})
	}
}
