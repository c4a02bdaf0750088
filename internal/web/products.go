package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/money"
)

// registerProducts registers the product and variant API.
func (s *Server) registerProducts() {
	if s.cfg.Catalog == nil {
		s.cfg.Catalog = catalog.NewService(s.cfg.DB, s.now)
	}
	tags := []string{"Catalog"}
	operation(s, huma.Operation{OperationID: "list-products", Method: http.MethodGet, Path: "/products",
		Summary: "List products", Tags: tags,
		Description: "Products in id order, paginated by keyset. `q` matches a SKU prefix of any variant or a substring of the title."},
		auth.CatalogRead, s.listProducts)
	operation(s, huma.Operation{OperationID: "create-product", Method: http.MethodPost, Path: "/products",
		Summary: "Create a product", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "Creates a product and, optionally, its variants in one transaction: if any variant is refused " +
			"(for example a SKU that already exists, 409), nothing is created."},
		auth.CatalogWrite, s.createProduct)
	operation(s, huma.Operation{OperationID: "get-product", Method: http.MethodGet, Path: "/products/{id}",
		Summary: "Get a product with its variants", Tags: tags}, auth.CatalogRead, s.getProduct)
	operation(s, huma.Operation{OperationID: "update-product", Method: http.MethodPatch, Path: "/products/{id}",
		Summary: "Change a product", Tags: tags,
		Description: "Only the fields present change. `tags`, when present, replaces the whole list."},
		auth.CatalogWrite, s.updateProduct)
	operation(s, huma.Operation{OperationID: "delete-product", Method: http.MethodDelete, Path: "/products/{id}",
		Summary: "Delete a product", Tags: tags, DefaultStatus: http.StatusNoContent,
		Description: "Deletes a product and its variants. Refused with 409 when a variant has supplier offers, stock " +
			"or orders: archive the product instead (`status: archived`)."},
		auth.CatalogWrite, s.deleteProduct)

	operation(s, huma.Operation{OperationID: "list-variants", Method: http.MethodGet, Path: "/variants",
		Summary: "List variants", Tags: tags,
		Description: "Variants in id order, paginated by keyset. `q` matches a SKU prefix or a substring of the variant or product title."},
		auth.CatalogRead, s.listVariants)
	operation(s, huma.Operation{OperationID: "create-variant", Method: http.MethodPost, Path: "/products/{id}/variants",
		Summary: "Add a variant to a product", Tags: tags, DefaultStatus: http.StatusCreated},
		auth.CatalogWrite, s.createVariant)
	operation(s, huma.Operation{OperationID: "get-variant", Method: http.MethodGet, Path: "/variants/{id}",
		Summary: "Get a variant", Tags: tags}, auth.CatalogRead, s.getVariant)
	operation(s, huma.Operation{OperationID: "get-variant-by-sku", Method: http.MethodGet, Path: "/variants/by-sku/{sku}",
		Summary: "Get a variant by SKU (any case)", Tags: tags}, auth.CatalogRead, s.getVariantBySKU)
	operation(s, huma.Operation{OperationID: "update-variant", Method: http.MethodPatch, Path: "/variants/{id}",
		Summary: "Change a variant", Tags: tags, Description: "Only the fields present change."},
		auth.CatalogWrite, s.updateVariant)
	operation(s, huma.Operation{OperationID: "delete-variant", Method: http.MethodDelete, Path: "/variants/{id}",
		Summary: "Delete a variant", Tags: tags, DefaultStatus: http.StatusNoContent,
		Description: "Refused with 409 when the variant has supplier offers, stock or orders: archive it instead (`status: archived`)."},
		auth.CatalogWrite, s.deleteVariant)
}

// catalogListInput is the query of the product and variant lists.
type catalogListInput struct {
	ListParams
	Status     string `query:"status" enum:"active,draft,archived" doc:"Only this status"`
	Tag        string `query:"tag" doc:"Only products with this tag (any case)"`
	SupplierID int64  `query:"supplier_id" minimum:"1" doc:"Only what this supplier has an offer for"`
	Q          string `query:"q" maxLength:"255" doc:"A SKU prefix or a substring of the title, any case"`
}

func (in *catalogListInput) filter() (catalog.Filter, error) {
	f := catalog.Filter{Status: catalog.Status(in.Status), Tag: in.Tag, SupplierID: in.SupplierID, Query: in.Q, Limit: in.Limit + 1}
	return f, DecodeCursor(in.After, &f.After)
}

// page trims a list fetched with limit+1 items and sets the cursor.
func page[T any](items []T, limit int, id func(T) int64) Page[T] {
	if limit <= 0 || len(items) <= limit {
		return Page[T]{Items: items}
	}
	items = items[:limit]
	return Page[T]{Items: items, Next: EncodeCursor(id(items[len(items)-1]))}
}

func (s *Server) listProducts(ctx context.Context, in *catalogListInput) (*ListOutput[catalog.Product], error) {
	f, err := in.filter()
	if err != nil {
		return nil, err
	}
	items, err := s.cfg.Catalog.ListProducts(ctx, f)
	if err != nil {
		return nil, err
	}
	return &ListOutput[catalog.Product]{Body: page(items, in.Limit, func(p catalog.Product) int64 { return p.ID })}, nil
}

// variantListInput repeats catalogListInput's fields: huma reads query
// parameters from one level of embedding only.
type variantListInput struct {
	ListParams
	Status     string `query:"status" enum:"active,draft,archived" doc:"Only this status"`
	Tag        string `query:"tag" doc:"Only variants of products with this tag (any case)"`
	SupplierID int64  `query:"supplier_id" minimum:"1" doc:"Only variants this supplier has an offer for"`
	Q          string `query:"q" maxLength:"255" doc:"A SKU prefix or a substring of the variant or product title, any case"`
	ProductID  int64  `query:"product_id" minimum:"1" doc:"Only variants of this product"`
}

func (s *Server) listVariants(ctx context.Context, in *variantListInput) (*ListOutput[catalog.Variant], error) {
	f := catalog.Filter{Status: catalog.Status(in.Status), Tag: in.Tag, SupplierID: in.SupplierID, Query: in.Q,
		ProductID: in.ProductID, Limit: in.Limit + 1}
	if err := DecodeCursor(in.After, &f.After); err != nil {
		return nil, err
	}
	items, err := s.cfg.Catalog.ListVariants(ctx, f)
	if err != nil {
		return nil, err
	}
	return &ListOutput[catalog.Variant]{Body: page(items, in.Limit, func(v catalog.Variant) int64 { return v.ID })}, nil
}

// variantBody is a new variant in a request.
type variantBody struct {
	SKU         string           `json:"sku" maxLength:"64" example:"MUG-WHITE-350" doc:"1-64 of A-Z 0-9 . _ - /; stored upper case, unique in any case"`
	Title       string           `json:"title,omitempty" maxLength:"255" doc:"Defaults to the option values, e.g. \"White / 350 ml\""`
	Options     []catalog.Option `json:"options,omitempty" maxItems:"5" doc:"Ordered name/value pairs"`
	Price       money.Money      `json:"price"`
	WeightGrams int64            `json:"weight_grams,omitempty" doc:"Shipping weight in grams, 0 to 1000000"`
	Barcode     string           `json:"barcode,omitempty" maxLength:"64" doc:"GTIN/EAN/UPC, optional"`
	Status      string           `json:"status,omitempty" enum:"active,draft,archived" doc:"Default active"`
}

func (b variantBody) input() catalog.NewVariant {
	return catalog.NewVariant{SKU: b.SKU, Title: b.Title, Options: b.Options, Price: b.Price,
		WeightGrams: b.WeightGrams, Barcode: b.Barcode, Status: b.Status}
}

type createProductInput struct {
	Body struct {
		Title       string        `json:"title" maxLength:"255" example:"White Hanging Heart T-Light Holder"`
		Description string        `json:"description,omitempty" maxLength:"20000"`
		Vendor      string        `json:"vendor,omitempty" maxLength:"255"`
		Tags        []string      `json:"tags,omitempty" maxItems:"50"`
		Status      string        `json:"status,omitempty" enum:"active,draft,archived" doc:"Default active"`
		Variants    []variantBody `json:"variants,omitempty" maxItems:"100"`
	}
}

type productOutput struct {
	Body catalog.Product
}

func (s *Server) createProduct(ctx context.Context, in *createProductInput) (*productOutput, error) {
	np := catalog.NewProduct{Title: in.Body.Title, Description: in.Body.Description, Vendor: in.Body.Vendor,
		Tags: in.Body.Tags, Status: in.Body.Status}
	for _, v := range in.Body.Variants {
		np.Variants = append(np.Variants, v.input())
	}
	p, err := s.cfg.Catalog.CreateProduct(ctx, np)
	if err != nil {
		return nil, err
	}
	return &productOutput{Body: p}, nil
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

func (s *Server) getProduct(ctx context.Context, in *idInput) (*productOutput, error) {
	p, err := s.cfg.Catalog.Product(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &productOutput{Body: p}, nil
}

type updateProductInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Title       *string   `json:"title,omitempty" maxLength:"255"`
		Description *string   `json:"description,omitempty" maxLength:"20000"`
		Vendor      *string   `json:"vendor,omitempty" maxLength:"255"`
		Tags        *[]string `json:"tags,omitempty" maxItems:"50"`
		Status      *string   `json:"status,omitempty" enum:"active,draft,archived"`
	}
}

func (s *Server) updateProduct(ctx context.Context, in *updateProductInput) (*productOutput, error) {
	b := in.Body
	p, err := s.cfg.Catalog.UpdateProduct(ctx, in.ID, catalog.ProductPatch{Title: b.Title, Description: b.Description,
		Vendor: b.Vendor, Tags: b.Tags, Status: b.Status})
	if err != nil {
		return nil, err
	}
	return &productOutput{Body: p}, nil
}

func (s *Server) deleteProduct(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, s.cfg.Catalog.DeleteProduct(ctx, in.ID)
}

type variantOutput struct {
	Body catalog.Variant
}

type createVariantInput struct {
	ID   int64 `path:"id" minimum:"1" doc:"The product"`
	Body variantBody
}

func (s *Server) createVariant(ctx context.Context, in *createVariantInput) (*variantOutput, error) {
	v, err := s.cfg.Catalog.CreateVariant(ctx, in.ID, in.Body.input())
	if err != nil {
		return nil, err
	}
	return &variantOutput{Body: v}, nil
}

func (s *Server) getVariant(ctx context.Context, in *idInput) (*variantOutput, error) {
	v, err := s.cfg.Catalog.Variant(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &variantOutput{Body: v}, nil
}

type skuInput struct {
	SKU string `path:"sku" maxLength:"64"`
}

func (s *Server) getVariantBySKU(ctx context.Context, in *skuInput) (*variantOutput, error) {
	v, err := s.cfg.Catalog.VariantBySKU(ctx, in.SKU)
	if err != nil {
		return nil, err
	}
	return &variantOutput{Body: v}, nil
}

type updateVariantInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		SKU         *string           `json:"sku,omitempty" maxLength:"64"`
		Title       *string           `json:"title,omitempty" maxLength:"255"`
		Options     *[]catalog.Option `json:"options,omitempty" maxItems:"5"`
		Price       *money.Money      `json:"price,omitempty"`
		WeightGrams *int64            `json:"weight_grams,omitempty"`
		Barcode     *string           `json:"barcode,omitempty" maxLength:"64" doc:"An empty string removes the barcode"`
		Status      *string           `json:"status,omitempty" enum:"active,draft,archived"`
	}
}

func (s *Server) updateVariant(ctx context.Context, in *updateVariantInput) (*variantOutput, error) {
	b := in.Body
	v, err := s.cfg.Catalog.UpdateVariant(ctx, in.ID, catalog.VariantPatch{SKU: b.SKU, Title: b.Title, Options: b.Options,
		Price: b.Price, WeightGrams: b.WeightGrams, Barcode: b.Barcode, Status: b.Status})
	if err != nil {
		return nil, err
	}
	return &variantOutput{Body: v}, nil
}

func (s *Server) deleteVariant(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, s.cfg.Catalog.DeleteVariant(ctx, in.ID)
}
