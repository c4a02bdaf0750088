package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/orders"
)

// customerOrdersPage is how many of a customer's orders GET /customers/{id}
// shows; the rest are a GET /orders?customer= away.
const customerOrdersPage = 20

// registerCustomers registers the customers API (read only: customers are
// created and updated by the orders they place).
func (s *Server) registerCustomers() {
	tags := []string{"Customers"}
	operation(s, huma.Operation{OperationID: "list-customers", Method: http.MethodGet, Path: "/customers",
		Summary: "List customers", Tags: tags,
		Description: "Customers in id order (oldest first), paginated by keyset. `q` matches any part of the email address or the name, any case."},
		auth.CustomersRead, s.listCustomers)
	operation(s, huma.Operation{OperationID: "get-customer", Method: http.MethodGet, Path: "/customers/{id}",
		Summary: "Get a customer with their addresses and orders", Tags: tags,
		Description: "The customer, the addresses they have shipped to (most recently used first), and their newest orders. " +
			"`orders_count` counts all their orders; continue the list with `GET /orders?customer={id}&after={orders.next}`."},
		auth.CustomersRead, s.getCustomer)
}

type customerListInput struct {
	ListParams
	Q string `query:"q" maxLength:"254" doc:"Part of the email address or the name, any case"`
}

func (s *Server) listCustomers(ctx context.Context, in *customerListInput) (*ListOutput[customers.Customer], error) {
	f := customers.ListFilter{Q: in.Q, Limit: in.Limit}
	if err := DecodeCursor(in.After, &f.After); err != nil {
		return nil, err
	}
	items, more, err := s.cfg.Customers.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &ListOutput[customers.Customer]{Body: Page[customers.Customer]{Items: items}}
	if more && len(items) > 0 {
		out.Body.Next = EncodeCursor(items[len(items)-1].ID)
	}
	return out, nil
}

// CustomerDetail is a customer with their addresses and newest orders.
type CustomerDetail struct {
	customers.Customer
	Orders Page[orders.Summary] `json:"orders" doc:"The customer's newest orders; next continues with GET /orders?customer={id}&after={next}"`
}

type customerOutput struct {
	Body CustomerDetail
}

func (s *Server) getCustomer(ctx context.Context, in *idInput) (*customerOutput, error) {
	c, err := s.cfg.Customers.Get(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if c.Addresses == nil {
		c.Addresses = []customers.SavedAddress{}
	}
	list, more, err := s.cfg.Orders.List(ctx, orders.ListFilter{CustomerID: c.ID, Limit: customerOrdersPage})
	if err != nil {
		return nil, err
	}
	return &customerOutput{Body: CustomerDetail{Customer: *c, Orders: summaryPage(ctx, list, more)}}, nil
}
