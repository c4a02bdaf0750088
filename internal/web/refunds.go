package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/refunds"
)

// registerRefunds registers refunds (docs/coupons-refunds.md): the refunds
// due to customers, marking them issued, and the CSV for the payment
// provider.
func (s *Server) registerRefunds() {
	if s.cfg.Refunds == nil {
		s.cfg.Refunds = refunds.New(s.cfg.DB, s.cfg.Orders, s.now)
	}
	tags := []string{"Refunds"}
	operation(s, huma.Operation{OperationID: "list-refunds", Method: http.MethodGet, Path: "/refunds",
		Summary: "List refunds", Tags: tags,
		Description: "Refunds recorded when orders were cancelled or shrunk, oldest first, with their parts per line and " +
			"shipping (which sum to the amount exactly) and their state: pending, or issued (when, by whom, the provider's reference)."},
		auth.RefundsRead, s.listRefunds)
	operation(s, huma.Operation{OperationID: "export-refunds", Method: http.MethodGet, Path: "/refunds.csv",
		Summary: "Export refunds as CSV", Tags: tags,
		Description: "Every refund the filters select, for the payment provider: refund_id, order_number, external_id, " +
			"customer_email, amount (decimal), currency, breakdown (\"line 1 MUG-1 x2 19.50; shipping 4.90\"), reason, " +
			"created_at, state, issued_at, provider_ref.",
		Responses: map[string]*huma.Response{"200": {Description: "CSV", Content: map[string]*huma.MediaType{
			"text/csv": {Schema: &huma.Schema{Type: "string"}}}}}},
		auth.RefundsRead, s.exportRefunds)
	operation(s, huma.Operation{OperationID: "get-refund", Method: http.MethodGet, Path: "/refunds/{id}",
		Summary: "Get a refund", Tags: tags}, auth.RefundsRead, s.getRefund)
	operation(s, huma.Operation{OperationID: "issue-refund", Method: http.MethodPost, Path: "/refunds/{id}/issue",
		Summary: "Mark a refund issued", Tags: tags,
		Description: "Records that the refund was paid back, with the payment provider's reference. A refund is issued " +
			"once: 409 if it was already (saying when and by whom)."},
		auth.RefundsWrite, s.issueRefund)
	operation(s, huma.Operation{OperationID: "issue-refunds", Method: http.MethodPost, Path: "/refunds/issue",
		Summary: "Mark several refunds issued", Tags: tags,
		Description: "All or none: if any refund is unknown (404) or issued already (409), nothing is marked."},
		auth.RefundsWrite, s.issueRefunds)
}

type refundListInput struct {
	ListParams
	State string `query:"state" enum:"pending,issued"`
	Order int64  `query:"order" minimum:"1" doc:"Only this order's refunds"`
	From  string `query:"from" doc:"Recorded at or after: RFC 3339 time or a date (UTC)" example:"2026-03-01"`
	To    string `query:"to" doc:"Recorded before this RFC 3339 time, or on or before this date (UTC)" example:"2026-03-31"`
}

func (in *refundListInput) filter() (refunds.Filter, error) {
	f := refunds.Filter{State: refunds.State(in.State), Order: in.Order}
	var fe apperr.Fields
	f.From = timeParam(&fe, "from", in.From, false)
	f.To = timeParam(&fe, "to", in.To, true)
	if err := fe.Err(); err != nil {
		return f, err
	}
	return f, DecodeCursor(in.After, &f.After)
}

func (s *Server) listRefunds(ctx context.Context, in *refundListInput) (*ListOutput[refunds.Refund], error) {
	f, err := in.filter()
	if err != nil {
		return nil, err
	}
	limit := in.Limit
	if limit <= 0 {
		limit = 50
	}
	f.Limit = limit + 1
	list, err := s.cfg.Refunds.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &ListOutput[refunds.Refund]{Body: Page[refunds.Refund]{Items: []refunds.Refund{}}}
	for i, r := range list {
		if i == limit {
			out.Body.Next = EncodeCursor(list[i-1].ID)
			break
		}
		out.Body.Items = append(out.Body.Items, r)
	}
	return out, nil
}

type refundExportInput struct {
	State string `query:"state" enum:"pending,issued"`
	Order int64  `query:"order" minimum:"1"`
	From  string `query:"from" doc:"Recorded at or after: RFC 3339 time or a date (UTC)"`
	To    string `query:"to" doc:"Recorded before this time, or on or before this date (UTC)"`
}

func (s *Server) exportRefunds(ctx context.Context, in *refundExportInput) (*huma.StreamResponse, error) {
	f, err := (&refundListInput{State: in.State, Order: in.Order, From: in.From, To: in.To}).filter()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := s.cfg.Refunds.WriteCSV(ctx, &buf, f); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("refunds-%s.csv", s.now().UTC().Format("2006-01-02"))
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		hc.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hc.SetHeader("Content-Disposition", `attachment; filename="`+name+`"`)
		hc.BodyWriter().Write(buf.Bytes())
	}}, nil
}

type refundOutput struct {
	Body refunds.Refund
}

func (s *Server) getRefund(ctx context.Context, in *struct {
	ID int64 `path:"id" minimum:"1"`
}) (*refundOutput, error) {
	r, err := s.cfg.Refunds.Get(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &refundOutput{Body: *r}, nil
}

type issueRefundInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		ProviderRef string `json:"provider_ref,omitempty" maxLength:"200" doc:"The payment provider's reference of the refund"`
	}
}

func (s *Server) issueRefund(ctx context.Context, in *issueRefundInput) (*refundOutput, error) {
	r, err := s.cfg.Refunds.MarkIssued(ctx, in.ID, in.Body.ProviderRef)
	if err != nil {
		return nil, err
	}
	return &refundOutput{Body: *r}, nil
}

type issueRefundsOutput struct {
	Body struct {
		Refunds []refunds.Refund `json:"refunds" nullable:"false"`
	}
}

// IssueRefundsInput is the body of POST /refunds/issue.
type IssueRefundsInput struct {
	IDs         []int64 `json:"ids" minItems:"1" maxItems:"500" doc:"The refunds to mark issued"`
	ProviderRef string  `json:"provider_ref,omitempty" maxLength:"200" doc:"The payment provider's reference (e.g. a payout batch)"`
}

func (s *Server) issueRefunds(ctx context.Context, in *struct{ Body IssueRefundsInput }) (*issueRefundsOutput, error) {
	rs, err := s.cfg.Refunds.MarkIssuedBulk(ctx, in.Body.IDs, in.Body.ProviderRef)
	if err != nil {
		return nil, err
	}
	out := &issueRefundsOutput{}
	out.Body.Refunds = rs
	return out, nil
}
