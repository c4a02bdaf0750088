package web

import (
	"net/http"
	"strings"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/orders"
)

// The customers pages: a searchable list, and one customer with every order
// they placed, each order's state and, in place, its timeline: the one page
// that answers "where is my order?".

func (s *Server) registerConsoleCustomers() {
	s.page("GET /console/customers", auth.CustomersRead, s.customersPage)
	s.page("GET /console/customers/{id}", auth.CustomersRead, s.customerPage)
}

type customersView struct {
	Q     string
	Rows  []customers.Customer
	After string
	Next  string
}

// customersPage lists customers by id, searchable by a part of the email or
// the name. An htmx request gets only the rows.
func (s *Server) customersPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := customersView{Q: strings.TrimSpace(q.Get("q")), After: q.Get("after")}
	f := customers.ListFilter{Q: v.Q, Limit: consolePageSize}
	if err := DecodeCursor(v.After, &f.After); err != nil {
		s.consoleError(w, r, err)
		return
	}
	list, more, err := s.cfg.Customers.List(r.Context(), f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Rows = list
	if more && len(list) > 0 {
		v.Next = EncodeCursor(list[len(list)-1].ID)
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "customers.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "customers.html", view{Title: "Customers", Active: "customers", Data: v})
}

// customerOrder is one of the customer's orders, with its timeline when it
// is shown open.
type customerOrder struct {
	orderRow
	Timeline []entryRow
}

// timelinePart is what the "timeline" template takes, shaped like the view
// an htmx partial gets.
type timelinePart struct{ Data []entryRow }

// Part is the order's timeline for the "timeline" template.
func (o customerOrder) Part() timelinePart { return timelinePart{Data: o.Timeline} }

type customerView struct {
	*customers.Customer
	Orders []customerOrder
	After  string
	Next   string
}

// AddressLines is a saved address as written on an envelope.
func (v customerView) AddressLines(a customers.Address) []string { return addressLines(a) }

// customerPage shows a customer, their addresses and their orders newest
// first. The newest order's timeline is open; the others open in place.
// "Load more" (htmx) fetches older orders.
func (s *Server) customerPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	ctx := r.Context()
	c, err := s.cfg.Customers.Get(ctx, id)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v := customerView{Customer: c, After: r.URL.Query().Get("after")}
	f := orders.ListFilter{CustomerID: c.ID, Limit: consolePageSize}
	if err := DecodeCursor(v.After, &f.Before); err != nil {
		s.consoleError(w, r, err)
		return
	}
	list, more, err := s.cfg.Orders.List(ctx, f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	for _, row := range orderRows(list) {
		v.Orders = append(v.Orders, customerOrder{orderRow: row})
	}
	if more && len(list) > 0 {
		v.Next = EncodeCursor(list[len(list)-1].Number)
	}
	if v.After == "" && len(v.Orders) > 0 {
		tl, err := s.cfg.Orders.Timeline(ctx, v.Orders[0].Number)
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		v.Orders[0].Timeline = entryRows(tl, true)
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "customer.html", "orders", v)
		return
	}
	title := c.Name
	if title == "" {
		title = c.Email
	}
	s.render(w, r, http.StatusOK, "customer.html", view{Title: title, Active: "customers", Data: v})
}
