package web

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/purchasing"
)

// registerSupplierPortal registers the suppliers' own purchase-order routes
// (docs/purchasing.md). Every handler takes the supplier from the caller and
// scopes every read and change to it: another supplier's PO or line is 404.
func (s *Server) registerSupplierPortal() {
	if s.cfg.Purchasing == nil {
		s.cfg.Purchasing = purchasing.New(s.cfg.DB, s.now, purchasing.Options{Timeline: s.cfg.Orders, Logger: s.log})
	}
	tags := []string{"Supplier portal"}
	operation(s, huma.Operation{OperationID: "list-own-purchase-orders", Method: http.MethodGet, Path: "/supplier/purchase-orders",
		Summary: "Your purchase orders (supplier users)", Tags: tags,
		Description: "The caller's supplier's POs, newest first; same filters as the staff list."},
		auth.SupplierPortal, s.listOwnPurchaseOrders)
	operation(s, huma.Operation{OperationID: "get-own-purchase-order", Method: http.MethodGet, Path: "/supplier/purchase-orders/{id}",
		Summary: "One of your purchase orders, with its lines and where to ship them", Tags: tags,
		Description: "The PO with its lines, and the document as sent: the lines grouped by order with each order's " +
			"shipping address. 404 for another supplier's PO."},
		auth.SupplierPortal, s.getOwnPurchaseOrder)
	operation(s, huma.Operation{OperationID: "answer-own-purchase-order-line", Method: http.MethodPost,
		Path: "/supplier/purchase-orders/{id}/lines/{line}/answer", Summary: "Accept or reject a PO line", Tags: tags,
		Description: "Accept and/or reject pending units of one of your lines (partial quantities allowed; a rejection " +
			"needs a reason)."},
		auth.SupplierPortal, s.answerOwnLine)
	operation(s, huma.Operation{OperationID: "upload-own-purchase-order-reply", Method: http.MethodPost,
		Path: "/supplier/purchase-orders/reply", Summary: "Answer PO lines with a reply CSV", Tags: tags,
		Description: "Columns po_line_id (or po_number and supplier_sku), accepted_qty, rejected_qty, reason; other " +
			"columns are ignored, so the PO's CSV filled in is a reply. All or nothing: with any bad row nothing is " +
			"applied and every row's problem is listed with its line number. `dry_run=true` checks without applying.",
		RequestBody: &huma.RequestBody{Required: true, Description: "The reply CSV (raw, or a multipart form with the part `file`).",
			Content: map[string]*huma.MediaType{"text/csv": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
				"multipart/form-data": {}}}},
		auth.SupplierPortal, s.uploadOwnReply)
	operation(s, huma.Operation{OperationID: "export-own-open-lines", Method: http.MethodGet, Path: "/supplier/purchase-orders/open.csv",
		Summary: "Export your open PO lines as CSV", Tags: tags,
		Description: "Every line of your sent POs still to answer or ship, in the PO CSV format (the reply template).",
		Responses: map[string]*huma.Response{"200": {Description: "CSV", Content: map[string]*huma.MediaType{
			"text/csv": {Schema: &huma.Schema{Type: "string"}}}}}},
		auth.SupplierPortal, s.exportOwnOpenLines)
}

// apiSupplier is the caller's supplier; Forbidden for anyone else.
func apiSupplier(ctx context.Context) (int64, error) {
	p := auth.FromContext(ctx)
	if p == nil || p.Role != auth.Supplier || p.SupplierID == 0 {
		return 0, apperr.New(apperr.Forbidden, "only a supplier's own user or supplier token can use the supplier portal")
	}
	return p.SupplierID, nil
}

func (s *Server) listOwnPurchaseOrders(ctx context.Context, in *purchaseOrdersInput) (*ListOutput[PurchaseOrder], error) {
	sup, err := apiSupplier(ctx)
	if err != nil {
		return nil, err
	}
	return s.purchaseOrderPage(ctx, in, sup)
}

// OwnPurchaseOrder is a PO as its supplier sees it: with the document as
// sent (its lines grouped by order, with each order's shipping address).
type OwnPurchaseOrder struct {
	PurchaseOrder
	Document purchasing.PODocument `json:"document"`
}

type ownPurchaseOrderOutput struct{ Body OwnPurchaseOrder }

func (s *Server) getOwnPurchaseOrder(ctx context.Context, in *purchaseOrderIDInput) (*ownPurchaseOrderOutput, error) {
	sup, err := apiSupplier(ctx)
	if err != nil {
		return nil, err
	}
	po, err := s.cfg.Purchasing.Get(ctx, sup, in.ID)
	if err != nil {
		return nil, err
	}
	doc, err := s.cfg.Purchasing.PODocument(ctx, sup, in.ID)
	if err != nil {
		return nil, err
	}
	return &ownPurchaseOrderOutput{Body: OwnPurchaseOrder{PurchaseOrder: apiPurchaseOrder(po), Document: doc}}, nil
}

func (s *Server) answerOwnLine(ctx context.Context, in *answerLineInput) (*poLineOutput, error) {
	sup, err := apiSupplier(ctx)
	if err != nil {
		return nil, err
	}
	l, err := s.cfg.Purchasing.Line(ctx, sup, in.Line)
	if err != nil {
		return nil, err
	}
	if l.PurchaseOrderID != in.ID {
		return nil, apperr.New(apperr.NotFound, "purchase order %d has no line %d", in.ID, in.Line)
	}
	l, err = s.cfg.Purchasing.Answer(ctx, sup, l.ID, in.Body.Accepted, in.Body.Rejected, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &poLineOutput{Body: PurchaseOrderLine(l)}, nil
}

type replyUploadInput struct {
	ContentType string `header:"Content-Type"`
	DryRun      bool   `query:"dry_run" doc:"Check the file and show the outcome without applying it"`
	body        io.Reader
}

// Resolve keeps the raw body for the handler.
func (in *replyUploadInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	return nil
}

// PurchaseOrderReply is purchasing.ReplyResult with the lines under their
// API name.
type PurchaseOrderReply struct {
	DryRun  bool                    `json:"dry_run"`
	Applied bool                    `json:"applied" doc:"Every answer was recorded; with any bad row nothing is (all or nothing)"`
	Rows    int                     `json:"rows"`
	Answers int                     `json:"answers"`
	Skipped int                     `json:"skipped" doc:"Rows with neither accepted_qty nor rejected_qty: not answered yet"`
	Errors  []purchasing.ReplyError `json:"errors" nullable:"false"`
	Lines   []PurchaseOrderLine     `json:"lines" nullable:"false" doc:"The answered lines after the answers (as they would be, in a dry run)"`
}

type replyOutput struct{ Body PurchaseOrderReply }

func (s *Server) uploadOwnReply(ctx context.Context, in *replyUploadInput) (*replyOutput, error) {
	sup, err := apiSupplier(ctx)
	if err != nil {
		return nil, err
	}
	body, _, err := feedFile(in.ContentType, "", in.body)
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Purchasing.Reply(ctx, sup, body, in.DryRun)
	if err != nil {
		return nil, err
	}
	out := PurchaseOrderReply{DryRun: res.DryRun, Applied: res.Applied, Rows: res.Rows, Answers: res.Answers,
		Skipped: res.Skipped, Errors: res.Errors, Lines: []PurchaseOrderLine{}}
	for _, l := range res.Lines {
		out.Lines = append(out.Lines, PurchaseOrderLine(l))
	}
	return &replyOutput{Body: out}, nil
}

type exportOpenInput struct{}

func (s *Server) exportOwnOpenLines(ctx context.Context, _ *exportOpenInput) (*huma.StreamResponse, error) {
	sup, err := apiSupplier(ctx)
	if err != nil {
		return nil, err
	}
	data, err := s.cfg.Purchasing.ExportOpen(ctx, sup)
	if err != nil {
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		hc.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hc.SetHeader("Content-Disposition", fmt.Sprintf(`attachment; filename="open-lines-supplier-%d.csv"`, sup))
		hc.BodyWriter().Write(data)
	}}, nil
}
