package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// registerSuppliers registers the supplier and offer API.
func (s *Server) registerSuppliers() {
	if s.cfg.Suppliers == nil {
		s.cfg.Suppliers = suppliers.NewService(s.cfg.DB, s.now)
	}
	tags := []string{"Suppliers"}
	operation(s, huma.Operation{OperationID: "list-suppliers", Method: http.MethodGet, Path: "/suppliers",
		Summary: "List suppliers", Tags: tags, Description: "Suppliers in id order, paginated by keyset, with their contacts."},
		auth.SuppliersRead, s.listSuppliers)
	operation(s, huma.Operation{OperationID: "create-supplier", Method: http.MethodPost, Path: "/suppliers",
		Summary: "Create a supplier", Tags: tags, DefaultStatus: http.StatusCreated}, auth.SuppliersWrite, s.createSupplier)
	operation(s, huma.Operation{OperationID: "get-supplier", Method: http.MethodGet, Path: "/suppliers/{id}",
		Summary: "Get a supplier", Tags: tags}, auth.SuppliersRead, s.getSupplier)
	operation(s, huma.Operation{OperationID: "update-supplier", Method: http.MethodPatch, Path: "/suppliers/{id}",
		Summary: "Change a supplier", Tags: tags,
		Description: "Only the fields present change. `contacts`, when present, replaces the whole list."},
		auth.SuppliersWrite, s.updateSupplier)
	operation(s, huma.Operation{OperationID: "delete-supplier", Method: http.MethodDelete, Path: "/suppliers/{id}",
		Summary: "Delete a supplier", Tags: tags, DefaultStatus: http.StatusNoContent,
		Description: "Refused with 409 while the supplier has offers: pause it instead (`status: paused`)."},
		auth.SuppliersWrite, s.deleteSupplier)

	operation(s, huma.Operation{OperationID: "list-offers", Method: http.MethodGet, Path: "/offers",
		Summary: "List supplier offers", Tags: tags, Description: "Offers in id order, paginated by keyset."},
		auth.SuppliersRead, s.listOffers)
	operation(s, huma.Operation{OperationID: "create-offer", Method: http.MethodPost, Path: "/offers",
		Summary: "Create a supplier offer", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "Links a supplier SKU to one of our variants (by `variant_id` or `sku`). One offer per supplier and variant."},
		auth.SuppliersWrite, s.createOffer)
	operation(s, huma.Operation{OperationID: "get-offer", Method: http.MethodGet, Path: "/offers/{id}",
		Summary: "Get a supplier offer", Tags: tags}, auth.SuppliersRead, s.getOffer)
	operation(s, huma.Operation{OperationID: "update-offer", Method: http.MethodPatch, Path: "/offers/{id}",
		Summary: "Change a supplier offer", Tags: tags,
		Description: "Only the fields present change. The supplier and variant of an offer never change."},
		auth.SuppliersWrite, s.updateOffer)
	operation(s, huma.Operation{OperationID: "delete-offer", Method: http.MethodDelete, Path: "/offers/{id}",
		Summary: "Delete a supplier offer", Tags: tags, DefaultStatus: http.StatusNoContent,
		Description: "Refused with 409 when stock or orders refer to the offer: set it inactive instead (`status: inactive`)."},
		auth.SuppliersWrite, s.deleteOffer)
}

type supplierListInput struct {
	ListParams
	Status  string `query:"status" enum:"active,paused"`
	Country string `query:"country" pattern:"^[A-Za-z]{2}$" doc:"ISO 3166-1 alpha-2 code"`
	Q       string `query:"q" maxLength:"200" doc:"A substring of the name, any case"`
}

func (s *Server) listSuppliers(ctx context.Context, in *supplierListInput) (*ListOutput[suppliers.Supplier], error) {
	f := suppliers.SupplierFilter{Status: suppliers.Status(in.Status), Country: in.Country, Query: in.Q, Limit: in.Limit + 1}
	if err := DecodeCursor(in.After, &f.After); err != nil {
		return nil, err
	}
	items, err := s.cfg.Suppliers.ListSuppliers(ctx, f)
	if err != nil {
		return nil, err
	}
	return &ListOutput[suppliers.Supplier]{Body: page(items, in.Limit, func(v suppliers.Supplier) int64 { return v.ID })}, nil
}

type supplierOutput struct {
	Body suppliers.Supplier
}

type createSupplierInput struct {
	Body struct {
		Name     string              `json:"name" maxLength:"200" example:"Lisboa Cerâmica Lda"`
		Contacts []suppliers.Contact `json:"contacts,omitempty" maxItems:"20"`
		Timezone string              `json:"timezone" example:"Europe/Lisbon" doc:"IANA time zone name"`
		Country  string              `json:"country" example:"PT" doc:"ISO 3166-1 alpha-2 code"`
		Status   string              `json:"status,omitempty" enum:"active,paused" doc:"Default active"`
		Notes    string              `json:"notes,omitempty" maxLength:"10000"`
	}
}

func (s *Server) createSupplier(ctx context.Context, in *createSupplierInput) (*supplierOutput, error) {
	b := in.Body
	sup, err := s.cfg.Suppliers.CreateSupplier(ctx, suppliers.NewSupplier{Name: b.Name, Contacts: b.Contacts,
		Timezone: b.Timezone, Country: b.Country, Status: b.Status, Notes: b.Notes})
	if err != nil {
		return nil, err
	}
	return &supplierOutput{Body: sup}, nil
}

func (s *Server) getSupplier(ctx context.Context, in *idInput) (*supplierOutput, error) {
	sup, err := s.cfg.Suppliers.Supplier(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &supplierOutput{Body: sup}, nil
}

type updateSupplierInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Name     *string              `json:"name,omitempty" maxLength:"200"`
		Contacts *[]suppliers.Contact `json:"contacts,omitempty" maxItems:"20"`
		Timezone *string              `json:"timezone,omitempty"`
		Country  *string              `json:"country,omitempty"`
		Status   *string              `json:"status,omitempty" enum:"active,paused"`
		Notes    *string              `json:"notes,omitempty" maxLength:"10000"`
	}
}

func (s *Server) updateSupplier(ctx context.Context, in *updateSupplierInput) (*supplierOutput, error) {
	b := in.Body
	sup, err := s.cfg.Suppliers.UpdateSupplier(ctx, in.ID, suppliers.SupplierPatch{Name: b.Name, Contacts: b.Contacts,
		Timezone: b.Timezone, Country: b.Country, Status: b.Status, Notes: b.Notes})
	if err != nil {
		return nil, err
	}
	return &supplierOutput{Body: sup}, nil
}

func (s *Server) deleteSupplier(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, s.cfg.Suppliers.DeleteSupplier(ctx, in.ID)
}

type offerListInput struct {
	ListParams
	SupplierID int64  `query:"supplier_id" minimum:"1"`
	VariantID  int64  `query:"variant_id" minimum:"1"`
	SKU        string `query:"sku" maxLength:"64" doc:"Our SKU, exact, any case"`
	Status     string `query:"status" enum:"active,inactive"`
}

func (s *Server) listOffers(ctx context.Context, in *offerListInput) (*ListOutput[suppliers.Offer], error) {
	f := suppliers.OfferFilter{SupplierID: in.SupplierID, VariantID: in.VariantID, SKU: in.SKU,
		Status: suppliers.OfferStatus(in.Status), Limit: in.Limit + 1}
	if err := DecodeCursor(in.After, &f.After); err != nil {
		return nil, err
	}
	items, err := s.cfg.Suppliers.ListOffers(ctx, f)
	if err != nil {
		return nil, err
	}
	return &ListOutput[suppliers.Offer]{Body: page(items, in.Limit, func(o suppliers.Offer) int64 { return o.ID })}, nil
}

type offerOutput struct {
	Body suppliers.Offer
}

type createOfferInput struct {
	Body struct {
		SupplierID   int64       `json:"supplier_id" doc:"The supplier"`
		VariantID    int64       `json:"variant_id,omitempty" doc:"Our variant; or give sku"`
		SKU          string      `json:"sku,omitempty" maxLength:"64" doc:"Our SKU, when variant_id is not given"`
		SupplierSKU  string      `json:"supplier_sku" maxLength:"100" doc:"The supplier's own code, unique per supplier"`
		Cost         money.Money `json:"cost" doc:"What the supplier charges us per unit"`
		LeadTimeDays int         `json:"lead_time_days" doc:"Days from order to dispatch, 0 to 365"`
		MinOrderQty  *int        `json:"min_order_qty,omitempty" default:"1" doc:"Minimum order quantity, at least 1"`
		Priority     *int        `json:"priority,omitempty" default:"100" doc:"Smaller is preferred when several suppliers offer a SKU, 0 to 10000"`
		Status       string      `json:"status,omitempty" enum:"active,inactive" doc:"Default active"`
	}
}

func (s *Server) createOffer(ctx context.Context, in *createOfferInput) (*offerOutput, error) {
	b := in.Body
	o, err := s.cfg.Suppliers.CreateOffer(ctx, suppliers.NewOffer{SupplierID: b.SupplierID, VariantID: b.VariantID, SKU: b.SKU,
		SupplierSKU: b.SupplierSKU, Cost: b.Cost, LeadTimeDays: b.LeadTimeDays, MinOrderQty: intOr(b.MinOrderQty, 1),
		Priority: intOr(b.Priority, 100), Status: b.Status})
	if err != nil {
		return nil, err
	}
	return &offerOutput{Body: o}, nil
}

// intOr returns *p, or def when p is nil.
func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func (s *Server) getOffer(ctx context.Context, in *idInput) (*offerOutput, error) {
	o, err := s.cfg.Suppliers.Offer(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &offerOutput{Body: o}, nil
}

type updateOfferInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		SupplierSKU  *string      `json:"supplier_sku,omitempty" maxLength:"100"`
		Cost         *money.Money `json:"cost,omitempty"`
		LeadTimeDays *int         `json:"lead_time_days,omitempty"`
		MinOrderQty  *int         `json:"min_order_qty,omitempty"`
		Priority     *int         `json:"priority,omitempty"`
		Status       *string      `json:"status,omitempty" enum:"active,inactive"`
	}
}

func (s *Server) updateOffer(ctx context.Context, in *updateOfferInput) (*offerOutput, error) {
	b := in.Body
	o, err := s.cfg.Suppliers.UpdateOffer(ctx, in.ID, suppliers.OfferPatch{SupplierSKU: b.SupplierSKU, Cost: b.Cost,
		LeadTimeDays: b.LeadTimeDays, MinOrderQty: b.MinOrderQty, Priority: b.Priority, Status: b.Status})
	if err != nil {
		return nil, err
	}
	return &offerOutput{Body: o}, nil
}

func (s *Server) deleteOffer(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, s.cfg.Suppliers.DeleteOffer(ctx, in.ID)
}
