package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/shipping"
)

// TrackingSignatureHeader carries the HMAC-SHA256 of a tracking webhook's
// body under the configured secret, hex encoded ("sha256=" prefix allowed).
const TrackingSignatureHeader = "X-Orderly-Signature"

// TrackingEventsPath receives carrier tracking events.
const TrackingEventsPath = "/tracking/events"

// registerShipping registers shipments (staff and supplier portal) and the
// tracking webhook (docs/shipping.md). Supplier routes take the supplier
// from the caller: another supplier's lines and shipments are 404.
func (s *Server) registerShipping() {
	if s.cfg.Shipping == nil {
		po := purchasing.New(s.cfg.DB, s.now, purchasing.Options{Timeline: s.cfg.Orders, Logger: s.log})
		s.cfg.Shipping = shipping.New(s.cfg.DB, po, s.cfg.Orders, s.now, shipping.Options{Logger: s.log})
	}
	tags := []string{"Shipments"}
	csvBody := &huma.RequestBody{Required: true, Description: "The tracking CSV (raw, or a multipart form with the part `file`).",
		Content: map[string]*huma.MediaType{"text/csv": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
			"multipart/form-data": {}}}
	const csvDoc = "Columns po_number or order_number, supplier_sku or po_line_id, quantity, carrier, tracking_number, " +
		"shipped_at (optional, RFC 3339 or YYYY-MM-DD). Each row is one line of a parcel; rows of one parcel (same order, " +
		"carrier and tracking number) make one shipment. Rows with errors are listed with their line numbers and the good " +
		"rows apply; `dry_run=true` checks every row and keeps nothing."
	operation(s, huma.Operation{OperationID: "list-order-shipments", Method: http.MethodGet, Path: "/orders/{number}/shipments",
		Summary: "List an order's shipments", Tags: tags, Description: "Every parcel of the order, newest first, with its lines."},
		auth.OrdersRead, s.listOrderShipments)
	operation(s, huma.Operation{OperationID: "get-shipment", Method: http.MethodGet, Path: "/shipments/{id}",
		Summary: "Get a shipment with its tracking events", Tags: tags},
		auth.OrdersRead, s.getShipment)
	operation(s, huma.Operation{OperationID: "add-supplier-shipment", Method: http.MethodPost, Path: "/suppliers/{id}/shipments",
		DefaultStatus: http.StatusCreated, Summary: "Add a shipment on behalf of a supplier", Tags: tags,
		Description: "As the supplier would (POST /supplier/shipments): the PO lines must be that supplier's."},
		auth.OrdersWrite, s.addSupplierShipment)
	operation(s, huma.Operation{OperationID: "upload-supplier-tracking", Method: http.MethodPost, Path: "/suppliers/{id}/shipments/tracking",
		Summary: "Upload a tracking CSV on behalf of a supplier", Tags: tags, Description: csvDoc, RequestBody: csvBody},
		auth.OrdersWrite, s.uploadSupplierTracking)

	portal := []string{"Supplier portal"}
	operation(s, huma.Operation{OperationID: "list-own-shipments", Method: http.MethodGet, Path: "/supplier/shipments",
		Summary: "Your shipments (supplier users)", Tags: portal, Description: "Newest first; filter by order."},
		auth.SupplierPortal, s.listOwnShipments)
	operation(s, huma.Operation{OperationID: "get-own-shipment", Method: http.MethodGet, Path: "/supplier/shipments/{id}",
		Summary: "One of your shipments, with its tracking events", Tags: portal, Description: "404 for another supplier's shipment."},
		auth.SupplierPortal, s.getOwnShipment)
	operation(s, huma.Operation{OperationID: "add-own-shipment", Method: http.MethodPost, Path: "/supplier/shipments",
		DefaultStatus: http.StatusCreated, Summary: "Add a shipment (a parcel) with its tracking number", Tags: portal,
		Description: "Ships units of your PO lines of one order (partial quantities allowed; several parcels are several " +
			"shipments). The tracking number is checked against the carrier's format: a known carrier with a malformed " +
			"number is 422 naming the carrier; an unknown carrier is accepted with a warning. Reporting the same parcel " +
			"again (same order, carrier and tracking number) adds the units to it (`merged`). Another supplier's line is 404."},
		auth.SupplierPortal, s.addOwnShipment)
	operation(s, huma.Operation{OperationID: "upload-own-tracking", Method: http.MethodPost, Path: "/supplier/shipments/tracking",
		Summary: "Upload a tracking CSV", Tags: portal, Description: csvDoc, RequestBody: csvBody},
		auth.SupplierPortal, s.uploadOwnTracking)

	operation(s, huma.Operation{OperationID: "receive-tracking-events", Method: http.MethodPost, Path: TrackingEventsPath,
		Summary: "Receive carrier tracking events (aggregator webhook)", Tags: []string{"Webhooks"},
		Description: "Body: `{\"source\": \"aftership\", \"events\": [{\"id\", \"carrier\", \"tracking_number\", \"status\" " +
			"(in_transit, out_for_delivery, delivered, exception, returned), \"description\", \"location\", \"occurred_at\" " +
			"(RFC 3339)}]}`. Authenticated by the header `" + TrackingSignatureHeader + "`: the hex HMAC-SHA256 of the raw " +
			"body under the server's tracking webhook secret (401 and nothing stored when it does not match; 503 when no " +
			"secret is configured). Events are deduplicated by (source, id); each gets its own outcome (applied, recorded, " +
			"duplicate, unknown_tracking_number, invalid). See docs/shipping.md.",
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {}}}},
		auth.Public, s.receiveTrackingEvents)
}

// ShipmentInput is a parcel: units of the supplier's PO lines of one order.
type ShipmentInput struct {
	OrderNumber    int64               `json:"order_number,omitempty" minimum:"1" doc:"Optional: the PO lines imply the order"`
	Carrier        string              `json:"carrier" minLength:"1" maxLength:"100" example:"ups" doc:"A carrier code (docs/carriers.md) or any name"`
	TrackingNumber string              `json:"tracking_number" minLength:"1" maxLength:"100" example:"1Z999AA10123456784"`
	ShippedAt      *time.Time          `json:"shipped_at,omitempty" doc:"Default now; not in the future"`
	Lines          []ShipmentLineInput `json:"lines" minItems:"1" maxItems:"500"`
}

// ShipmentLineInput is some units of one PO line.
type ShipmentLineInput struct {
	POLineID int64 `json:"po_line_id" minimum:"1"`
	Quantity int   `json:"quantity" minimum:"1" maximum:"100000"`
}

func (in ShipmentInput) shipment() shipping.NewShipment {
	ns := shipping.NewShipment{OrderNumber: in.OrderNumber, Carrier: in.Carrier, TrackingNumber: in.TrackingNumber}
	if in.ShippedAt != nil {
		ns.ShippedAt = *in.ShippedAt
	}
	for _, l := range in.Lines {
		ns.Lines = append(ns.Lines, shipping.NewLine{POLineID: l.POLineID, Quantity: l.Quantity})
	}
	return ns
}

type addedOutput struct{ Body shipping.Added }

type shipmentOutput struct{ Body *shipping.Shipment }

type shipmentsOutput struct {
	Body struct {
		Items []shipping.Shipment `json:"items" nullable:"false"`
	}
}

func shipmentsOut(list []shipping.Shipment) *shipmentsOutput {
	out := &shipmentsOutput{}
	out.Body.Items = list
	return out
}

func (s *Server) listOrderShipments(ctx context.Context, in *struct {
	Number int64 `path:"number" minimum:"1"`
}) (*shipmentsOutput, error) {
	if _, err := s.cfg.Orders.Get(ctx, in.Number); err != nil {
		return nil, err
	}
	list, err := s.cfg.Shipping.List(ctx, shipping.Filter{OrderNumber: in.Number, Limit: 500})
	if err != nil {
		return nil, err
	}
	return shipmentsOut(list), nil
}

func (s *Server) getShipment(ctx context.Context, in *struct {
	ID int64 `path:"id" minimum:"1"`
}) (*shipmentOutput, error) {
	sh, err := s.cfg.Shipping.Get(ctx, 0, in.ID)
	if err != nil {
		return nil, err
	}
	return &shipmentOutput{Body: sh}, nil
}

func (s *Server) addSupplierShipment(ctx context.Context, in *struct {
	ID   int64 `path:"id" minimum:"1"`
	Body ShipmentInput
}) (*addedOutput, error) {
	added, err := s.cfg.Shipping.AddShipment(ctx, in.ID, in.Body.shipment())
	if err != nil {
		return nil, err
	}
	return &addedOutput{Body: *added}, nil
}

// trackingCSVInput is an uploaded tracking CSV.
type trackingCSVInput struct {
	ID          int64  `path:"id" minimum:"1"`
	DryRun      bool   `query:"dry_run" doc:"Check every row, keep nothing"`
	ContentType string `header:"Content-Type"`
	body        io.Reader
}

// Resolve keeps the raw body for the handler.
func (in *trackingCSVInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	return nil
}

// ownTrackingCSVInput is trackingCSVInput without the supplier in the path.
type ownTrackingCSVInput struct {
	DryRun      bool   `query:"dry_run" doc:"Check every row, keep nothing"`
	ContentType string `header:"Content-Type"`
	body        io.Reader
}

// Resolve keeps the raw body for the handler.
func (in *ownTrackingCSVInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	return nil
}

type csvResultOutput struct{ Body *shipping.CSVResult }

func (s *Server) uploadSupplierTracking(ctx context.Context, in *trackingCSVInput) (*csvResultOutput, error) {
	return s.importTracking(ctx, in.ID, in.ContentType, in.body, in.DryRun)
}

func (s *Server) uploadOwnTracking(ctx context.Context, in *ownTrackingCSVInput) (*csvResultOutput, error) {
	sup, err := callerSupplier(ctx)
	if err != nil {
		return nil, err
	}
	return s.importTracking(ctx, sup, in.ContentType, in.body, in.DryRun)
}

func (s *Server) importTracking(ctx context.Context, supplierID int64, contentType string, body io.Reader, dryRun bool) (*csvResultOutput, error) {
	file, _, err := feedFile(contentType, "", body)
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Shipping.ImportCSV(ctx, supplierID, file, dryRun)
	if err != nil {
		if isMaxBytesError(err) {
			return nil, newProblem(http.StatusRequestEntityTooLarge, TooLarge, tooLargeDetail(s.cfg.MaxBodyBytes), nil)
		}
		return nil, err
	}
	return &csvResultOutput{Body: res}, nil
}

func (s *Server) listOwnShipments(ctx context.Context, in *struct {
	OrderNumber int64  `query:"order_number" minimum:"1" doc:"Only this order's shipments"`
	Status      string `query:"status" enum:"shipped,in_transit,out_for_delivery,delivered,exception,returned"`
	Limit       int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Before      int64  `query:"before" minimum:"1" doc:"Only shipments with a smaller id (the next page)"`
}) (*shipmentsOutput, error) {
	sup, err := callerSupplier(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.cfg.Shipping.List(ctx, shipping.Filter{SupplierID: sup, OrderNumber: in.OrderNumber,
		Status: shipping.Status(in.Status), Limit: in.Limit, AfterID: in.Before})
	if err != nil {
		return nil, err
	}
	return shipmentsOut(list), nil
}

func (s *Server) getOwnShipment(ctx context.Context, in *struct {
	ID int64 `path:"id" minimum:"1"`
}) (*shipmentOutput, error) {
	sup, err := callerSupplier(ctx)
	if err != nil {
		return nil, err
	}
	sh, err := s.cfg.Shipping.Get(ctx, sup, in.ID)
	if err != nil {
		return nil, err
	}
	return &shipmentOutput{Body: sh}, nil
}

func (s *Server) addOwnShipment(ctx context.Context, in *struct{ Body ShipmentInput }) (*addedOutput, error) {
	sup, err := callerSupplier(ctx)
	if err != nil {
		return nil, err
	}
	added, err := s.cfg.Shipping.AddShipment(ctx, sup, in.Body.shipment())
	if err != nil {
		return nil, err
	}
	return &addedOutput{Body: *added}, nil
}

// TrackingWebhook is the body of POST /api/v1/tracking/events.
type TrackingWebhook struct {
	Source string                   `json:"source"`
	Events []shipping.TrackingEvent `json:"events"`
}

// TrackingWebhookReply says what became of each event, in order.
type TrackingWebhookReply struct {
	Results []shipping.TrackingResult `json:"results" nullable:"false"`
}

type trackingInput struct {
	Signature string `header:"X-Orderly-Signature" doc:"hex HMAC-SHA256 of the body under the tracking webhook secret"`
	body      io.Reader
}

// Resolve keeps the raw body: the signature is over its bytes.
func (in *trackingInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	return nil
}

type trackingOutput struct{ Body TrackingWebhookReply }

// VerifyTrackingSignature reports whether sig (hex, optionally prefixed
// "sha256=") is the HMAC-SHA256 of body under secret.
func VerifyTrackingSignature(body []byte, sig string, secret []byte) bool {
	sig = strings.TrimPrefix(strings.TrimSpace(sig), "sha256=")
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

func (s *Server) receiveTrackingEvents(ctx context.Context, in *trackingInput) (*trackingOutput, error) {
	secret := s.cfg.TrackingWebhookSecret
	if secret == "" {
		return nil, newProblem(http.StatusServiceUnavailable, apperr.Unavailable,
			"tracking webhooks are not configured (--tracking-webhook-secret)", nil)
	}
	body, err := io.ReadAll(in.body)
	if err != nil {
		if isMaxBytesError(err) {
			return nil, newProblem(http.StatusRequestEntityTooLarge, TooLarge, tooLargeDetail(s.cfg.MaxBodyBytes), nil)
		}
		return nil, apperr.New(apperr.Invalid, "could not read the request body")
	}
	if !VerifyTrackingSignature(body, in.Signature, []byte(secret)) {
		s.log.WarnContext(ctx, "tracking webhook refused: bad signature", "signed", in.Signature != "")
		detail := "the " + TrackingSignatureHeader + " signature does not match the body: is the webhook secret right?"
		if strings.TrimSpace(in.Signature) == "" {
			detail = "the " + TrackingSignatureHeader + " header is missing"
		}
		return nil, apperr.New(apperr.Unauthenticated, "%s", detail)
	}
	var hook TrackingWebhook
	if err := json.Unmarshal(body, &hook); err != nil {
		return nil, apperr.New(apperr.Invalid, "the body is not a tracking webhook: %v", err)
	}
	res, err := s.cfg.Shipping.RecordEvents(ctx, hook.Source, hook.Events)
	if err != nil {
		return nil, err
	}
	return &trackingOutput{Body: TrackingWebhookReply{Results: res}}, nil
}
