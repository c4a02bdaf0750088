package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
)

// registerIntake registers the list of storefront orders Orderly could not
// place (refused for stock, or invalid), for staff to handle.
func (s *Server) registerIntake() {
	tags := []string{"Orders"}
	operation(s, huma.Operation{OperationID: "list-intake-rejections", Method: http.MethodGet, Path: "/intake/rejections",
		Summary: "List storefront orders that could not be placed", Tags: tags,
		Description: "A storefront (Shopify) has already sold these orders, but Orderly refused them (not enough stock under " +
			"`--short-orders refuse`) or found them invalid (unknown SKU, bad payload). Each keeps the payload as received, the " +
			"reason, and how many deliveries tried it. Newest first; `open=true` lists only those not resolved. A later " +
			"successful delivery of the same order resolves its rejection by itself. Needs orders:write: the payload holds the " +
			"customer's personal data."},
		auth.OrdersWrite, s.listRejections)
	operation(s, huma.Operation{OperationID: "resolve-intake-rejection", Method: http.MethodPost, Path: "/intake/rejections/{id}/resolve",
		Summary: "Mark a rejected storefront order handled", Tags: tags,
		Description: "Records who handled it and how (`note`, required: refunded at the storefront, placed by hand as order N, ...). " +
			"Resolving one already resolved is `409`."},
		auth.OrdersWrite, s.resolveRejection)
}

type rejectionListInput struct {
	Open  bool   `query:"open" doc:"Only rejections not resolved yet"`
	After string `query:"after" doc:"Cursor from the previous page's next"`
	Limit int    `query:"limit" minimum:"0" maximum:"200" doc:"Page size, default 50"`
}

func (s *Server) listRejections(ctx context.Context, in *rejectionListInput) (*ListOutput[orders.Rejection], error) {
	f := orders.RejectionFilter{Open: in.Open, Limit: in.Limit}
	if err := DecodeCursor(in.After, &f.Before); err != nil {
		return nil, err
	}
	items, more, err := s.cfg.Orders.Rejections(ctx, f)
	if err != nil {
		return nil, err
	}
	p := Page[orders.Rejection]{Items: items}
	if more && len(items) > 0 {
		p.Next = EncodeCursor(items[len(items)-1].ID)
	}
	return &ListOutput[orders.Rejection]{Body: p}, nil
}

type resolveRejectionInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Note string `json:"note,omitempty" maxLength:"500" doc:"Required: how it was handled"`
	}
}

type rejectionOutput struct {
	Body orders.Rejection
}

func (s *Server) resolveRejection(ctx context.Context, in *resolveRejectionInput) (*rejectionOutput, error) {
	r, err := s.cfg.Orders.ResolveRejection(ctx, in.ID, in.Body.Note)
	if err != nil {
		return nil, err
	}
	return &rejectionOutput{Body: r}, nil
}
