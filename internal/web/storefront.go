package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/storefront"
)

// registerStorefront registers the storefront sync settings: targets that
// ATS and prices are published to, their SKU mappings and their outboxes.
// All of it needs settings:write: a target holds an access token or a
// signing secret (stored, never returned).
func (s *Server) registerStorefront() {
	tags := []string{"Storefront sync"}
	perm := auth.SettingsWrite
	operation(s, huma.Operation{OperationID: "list-storefront-targets", Method: http.MethodGet, Path: "/storefront/targets",
		Summary: "List storefront targets", Tags: tags,
		Description: "Every target with its status: variants waiting to be published, the oldest unpublished change, " +
			"the last delivery and the last error. Secrets are never shown."},
		perm, s.listStorefrontTargets)
	operation(s, huma.Operation{OperationID: "create-storefront-target", Method: http.MethodPost, Path: "/storefront/targets",
		Summary: "Create a storefront target", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "A Shopify store (`kind: shopify`: `url` is the store's base URL, `secret` an Admin API access token with " +
			"write_inventory and write_products, `location_id` the location whose available quantity is set) or a signed " +
			"webhook (`kind: webhook`: `url` receives POSTed JSON batches, `secret` (16+ characters) signs them). Every " +
			"variant is queued at once, so the storefront starts from Orderly's values. See docs/storefront.md."},
		perm, s.createStorefrontTarget)
	operation(s, huma.Operation{OperationID: "get-storefront-target", Method: http.MethodGet, Path: "/storefront/targets/{id}",
		Summary: "Get a storefront target", Tags: tags}, perm, s.getStorefrontTarget)
	operation(s, huma.Operation{OperationID: "update-storefront-target", Method: http.MethodPatch, Path: "/storefront/targets/{id}",
		Summary: "Change or disable a storefront target", Tags: tags,
		Description: "Changes the fields given. `enabled: false` stops publishing; changes are still collected and are sent " +
			"once the target is enabled again. A new `secret` replaces the old one."},
		perm, s.updateStorefrontTarget)
	operation(s, huma.Operation{OperationID: "delete-storefront-target", Method: http.MethodDelete, Path: "/storefront/targets/{id}",
		Summary: "Delete a storefront target", Tags: tags, DefaultStatus: http.StatusNoContent,
		Description: "Deletes the target with its mappings and unpublished changes."},
		perm, s.deleteStorefrontTarget)
	operation(s, huma.Operation{OperationID: "resync-storefront-target", Method: http.MethodPost, Path: "/storefront/targets/{id}/resync",
		Summary: "Publish every variant to a target again", Tags: tags,
		Description: "Queues every variant's ATS and price, e.g. after products were added on the storefront. SKUs a " +
			"lookup did not find are looked up again."},
		perm, s.resyncStorefrontTarget)
	operation(s, huma.Operation{OperationID: "put-storefront-mappings", Method: http.MethodPut, Path: "/storefront/targets/{id}/mappings",
		Summary: "Upload SKU mappings of a Shopify target", Tags: tags,
		Description: "Says which Shopify variant, inventory item and product each SKU is (GIDs, or the numeric ids of the " +
			"admin URLs and REST API). Replaces the mappings of the SKUs given, others stay; the SKUs' variants are queued. " +
			"Unmapped SKUs are looked up on the store by SKU; upload a mapping where a SKU is not unique on the store."},
		perm, s.putStorefrontMappings)
	operation(s, huma.Operation{OperationID: "list-storefront-mappings", Method: http.MethodGet, Path: "/storefront/targets/{id}/mappings",
		Summary: "List SKU mappings of a target", Tags: tags,
		Description: "Uploaded and looked-up mappings in SKU order; `found: false` marks SKUs a lookup did not find."},
		perm, s.listStorefrontMappings)
	operation(s, huma.Operation{OperationID: "list-storefront-outbox", Method: http.MethodGet, Path: "/storefront/targets/{id}/outbox",
		Summary: "List a target's unpublished variants", Tags: tags,
		Description: "Variants whose ATS or price changed and are not published yet, in variant order, with those the " +
			"storefront refused (`not_before`, `last_error`)."},
		perm, s.listStorefrontOutbox)
	s.registerConsoleStorefront()
}

type storefrontTargetOutput struct{ Body *storefront.Target }

type storefrontTargetsOutput struct {
	Body struct {
		Items []storefront.Target `json:"items" nullable:"false"`
	}
}

func (s *Server) listStorefrontTargets(ctx context.Context, _ *struct{}) (*storefrontTargetsOutput, error) {
	ts, err := s.cfg.Storefront.Targets(ctx)
	if err != nil {
		return nil, err
	}
	out := &storefrontTargetsOutput{}
	out.Body.Items = ts
	return out, nil
}

type createStorefrontTargetInput struct {
	Body struct {
		Name          string          `json:"name" maxLength:"100" example:"Main shop"`
		Kind          storefront.Kind `json:"kind" enum:"shopify,webhook"`
		URL           string          `json:"url" maxLength:"2000" example:"https://example.myshopify.com"`
		Secret        string          `json:"secret" maxLength:"500" writeOnly:"true" doc:"Shopify: the Admin API access token (shpat_...); webhook: the signing key, 16+ characters. Never returned."`
		LocationID    string          `json:"location_id,omitempty" maxLength:"100" doc:"Shopify: the location (gid://shopify/Location/123 or 123)"`
		APIVersion    string          `json:"api_version,omitempty" maxLength:"20" doc:"Shopify: the Admin API version, default 2026-01"`
		Currency      string          `json:"currency,omitempty" maxLength:"3" doc:"Shopify: the store's currency; prices in another currency are not sent"`
		RatePerSecond float64         `json:"rate_per_second,omitempty" doc:"Requests per second at most, default 2"`
		BatchSize     int             `json:"batch_size,omitempty" doc:"Variants per request at most, 1-250, default 50"`
		Enabled       *bool           `json:"enabled,omitempty" doc:"Default true"`
	}
}

func (s *Server) createStorefrontTarget(ctx context.Context, in *createStorefrontTargetInput) (*storefrontTargetOutput, error) {
	b := in.Body
	t, err := s.cfg.Storefront.CreateTarget(ctx, storefront.NewTarget{Name: b.Name, Kind: b.Kind, URL: b.URL, Secret: b.Secret,
		LocationID: b.LocationID, APIVersion: b.APIVersion, Currency: b.Currency, RatePerSecond: b.RatePerSecond,
		BatchSize: b.BatchSize, Disabled: b.Enabled != nil && !*b.Enabled})
	if err != nil {
		return nil, err
	}
	return &storefrontTargetOutput{Body: t}, nil
}

func (s *Server) getStorefrontTarget(ctx context.Context, in *idInput) (*storefrontTargetOutput, error) {
	t, err := s.cfg.Storefront.Target(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &storefrontTargetOutput{Body: t}, nil
}

type updateStorefrontTargetInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Name          *string  `json:"name,omitempty" maxLength:"100"`
		URL           *string  `json:"url,omitempty" maxLength:"2000"`
		Secret        *string  `json:"secret,omitempty" maxLength:"500" writeOnly:"true" doc:"A new access token or signing key"`
		LocationID    *string  `json:"location_id,omitempty" maxLength:"100"`
		APIVersion    *string  `json:"api_version,omitempty" maxLength:"20"`
		Currency      *string  `json:"currency,omitempty" maxLength:"3"`
		RatePerSecond *float64 `json:"rate_per_second,omitempty"`
		BatchSize     *int     `json:"batch_size,omitempty"`
		Enabled       *bool    `json:"enabled,omitempty"`
	}
}

func (s *Server) updateStorefrontTarget(ctx context.Context, in *updateStorefrontTargetInput) (*storefrontTargetOutput, error) {
	b := in.Body
	t, err := s.cfg.Storefront.UpdateTarget(ctx, in.ID, storefront.TargetPatch{Name: b.Name, URL: b.URL, Secret: b.Secret,
		LocationID: b.LocationID, APIVersion: b.APIVersion, Currency: b.Currency, RatePerSecond: b.RatePerSecond,
		BatchSize: b.BatchSize, Enabled: b.Enabled})
	if err != nil {
		return nil, err
	}
	return &storefrontTargetOutput{Body: t}, nil
}

func (s *Server) deleteStorefrontTarget(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, s.cfg.Storefront.DeleteTarget(ctx, in.ID)
}

type queuedOutput struct {
	Body struct {
		Queued int `json:"queued" doc:"Variants queued for publishing"`
	}
}

func (s *Server) resyncStorefrontTarget(ctx context.Context, in *idInput) (*queuedOutput, error) {
	n, err := s.cfg.Storefront.Resync(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := &queuedOutput{}
	out.Body.Queued = n
	return out, nil
}

type storefrontMappingBody struct {
	SKU             string `json:"sku" maxLength:"64" example:"MUG-WHITE-350"`
	VariantID       string `json:"variant_id" maxLength:"100" example:"gid://shopify/ProductVariant/44012345678901"`
	InventoryItemID string `json:"inventory_item_id" maxLength:"100" example:"gid://shopify/InventoryItem/46098765432101"`
	ProductID       string `json:"product_id" maxLength:"100" example:"gid://shopify/Product/8012345678901"`
}

type putStorefrontMappingsInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Items []storefrontMappingBody `json:"items" maxItems:"1000" doc:"Up to 1000 mappings per request"`
	}
}

func (s *Server) putStorefrontMappings(ctx context.Context, in *putStorefrontMappingsInput) (*queuedOutput, error) {
	ms := make([]storefront.MappingInput, len(in.Body.Items))
	for i, m := range in.Body.Items {
		ms[i] = storefront.MappingInput{SKU: m.SKU, VariantID: m.VariantID, InventoryItemID: m.InventoryItemID, ProductID: m.ProductID}
	}
	n, err := s.cfg.Storefront.PutMappings(ctx, in.ID, ms)
	if err != nil {
		return nil, err
	}
	out := &queuedOutput{}
	out.Body.Queued = n
	return out, nil
}

type storefrontListInput struct {
	ID int64 `path:"id" minimum:"1"`
	ListParams
}

func (s *Server) listStorefrontMappings(ctx context.Context, in *storefrontListInput) (*ListOutput[storefront.Mapping], error) {
	var after string
	if err := DecodeCursor(in.After, &after); err != nil {
		return nil, err
	}
	ms, err := s.cfg.Storefront.Mappings(ctx, in.ID, after, in.Limit+1)
	if err != nil {
		return nil, err
	}
	out := &ListOutput[storefront.Mapping]{Body: Page[storefront.Mapping]{Items: ms}}
	if len(ms) > in.Limit {
		out.Body.Items = ms[:in.Limit]
		out.Body.Next = EncodeCursor(ms[in.Limit-1].SKU)
	}
	return out, nil
}

func (s *Server) listStorefrontOutbox(ctx context.Context, in *storefrontListInput) (*ListOutput[storefront.Pending], error) {
	var after int64
	if err := DecodeCursor(in.After, &after); err != nil {
		return nil, err
	}
	ps, err := s.cfg.Storefront.Outbox(ctx, in.ID, after, in.Limit+1)
	if err != nil {
		return nil, err
	}
	return &ListOutput[storefront.Pending]{Body: page(ps, in.Limit, func(p storefront.Pending) int64 { return p.VariantID })}, nil
}

// The console page: the targets' sync status, with enable/disable and
// resync. Creating targets, secrets and mappings stay in the API.

// storefrontFlashes are the page's confirmation messages (?done=...).
var storefrontFlashes = map[string]string{
	"enabled":  "Target enabled; what changed while it was disabled is being sent.",
	"disabled": "Target disabled; changes are collected and sent once it is enabled again.",
	"resync":   "Every variant is queued for the target.",
}

type storefrontView struct {
	Targets []storefront.Target
	Error   string
}

func (s *Server) registerConsoleStorefront() {
	s.page("GET /console/storefront", auth.SettingsWrite, s.storefrontPage)
	s.page("POST /console/storefront/{id}/enabled", auth.SettingsWrite, s.storefrontSetEnabled)
	s.page("POST /console/storefront/{id}/resync", auth.SettingsWrite, s.storefrontResync)
}

func (s *Server) renderStorefront(w http.ResponseWriter, r *http.Request, status int, actionErr error) {
	ts, err := s.cfg.Storefront.Targets(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v := storefrontView{Targets: ts}
	if actionErr != nil {
		v.Error = errMessage(actionErr)
	}
	s.render(w, r, status, "storefront.html", view{Title: "Storefront sync", Active: "storefront", Data: v,
		Flash: storefrontFlashes[r.URL.Query().Get("done")]})
}

func (s *Server) storefrontPage(w http.ResponseWriter, r *http.Request) {
	s.renderStorefront(w, r, http.StatusOK, nil)
}

func (s *Server) storefrontSetEnabled(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	on := r.PostFormValue("enabled") == "true"
	if _, err := s.cfg.Storefront.UpdateTarget(r.Context(), id, storefront.TargetPatch{Enabled: &on}); err != nil {
		s.renderStorefront(w, r, statusFor(err), err)
		return
	}
	seeOther(w, r, "/console/storefront", map[bool]string{true: "enabled", false: "disabled"}[on])
}

func (s *Server) storefrontResync(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if _, err := s.cfg.Storefront.Resync(r.Context(), id); err != nil {
		s.renderStorefront(w, r, statusFor(err), err)
		return
	}
	seeOther(w, r, "/console/storefront", "resync")
}
