package web

import (
	"net/http"
	"strings"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/money"
)

func (s *Server) registerConsoleProducts() {
	s.page("GET /console/products", auth.CatalogRead, s.productsPage)
	s.page("GET /console/products/{id}", auth.CatalogRead, s.productPage)
}

// variantRow is one line of the products page: a variant with its product.
type variantRow struct {
	VariantID   int64
	ProductID   int64
	SKU         string
	Title       string
	Options     string
	Price       money.Money
	WeightGrams int64
	Status      string
	ATS         int
	HasATS      bool
}

type productsView struct {
	Q        string
	Status   string
	Statuses []catalog.Status
	Rows     []variantRow
	After    string
	Next     string
}

var catalogStatuses = []catalog.Status{catalog.StatusActive, catalog.StatusDraft, catalog.StatusArchived}

// productsPage lists variants (one row per SKU) with their product, searchable
// by SKU prefix or title and filtered by status.
func (s *Server) productsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := productsView{Q: strings.TrimSpace(q.Get("q")), Statuses: catalogStatuses, After: q.Get("after")}
	f := catalog.Filter{Query: v.Q, Limit: consolePageSize + 1}
	if st := q.Get("status"); st != "" {
		status, err := catalog.ParseStatus(st)
		if err == nil {
			f.Status, v.Status = status, string(status)
		}
	}
	if err := DecodeCursor(v.After, &f.After); err != nil {
		s.consoleError(w, r, err)
		return
	}
	variants, err := s.cfg.Catalog.ListVariants(r.Context(), f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if len(variants) > consolePageSize {
		variants = variants[:consolePageSize]
		v.Next = EncodeCursor(variants[len(variants)-1].ID)
	}
	for _, vr := range variants {
		row := variantRowOf(vr)
		row.Title = vr.ProductTitle
		if vr.Title != "" && vr.Title != vr.ProductTitle {
			row.Title += " — " + vr.Title
		}
		v.Rows = append(v.Rows, row)
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "products.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "products.html", view{Title: "Products", Active: "products", Data: v})
}

func variantRowOf(v catalog.Variant) variantRow {
	opts := make([]string, 0, len(v.Options))
	for _, o := range v.Options {
		opts = append(opts, o.Name+": "+o.Value)
	}
	return variantRow{
		VariantID: v.ID, ProductID: v.ProductID, SKU: string(v.SKU), Title: v.Title,
		Options: strings.Join(opts, ", "), Price: v.Price, WeightGrams: v.WeightGrams, Status: string(v.Status),
	}
}

type productView struct {
	catalog.Product
	Variants []variantRow
}

// productPage shows one product and its variants, with each variant's ATS
// when the user may read stock.
func (s *Server) productPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	p, err := s.cfg.Catalog.Product(r.Context(), id)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v := productView{Product: p}
	for _, vr := range p.Variants {
		v.Variants = append(v.Variants, variantRowOf(vr))
	}
	if auth.FromContext(r.Context()).Can(auth.StockRead) {
		for i := range v.Variants {
			ats, err := s.cfg.Inventory.ATS(r.Context(), s.cfg.DB.R, v.Variants[i].VariantID)
			if err != nil {
				s.consoleError(w, r, err)
				return
			}
			v.Variants[i].ATS, v.Variants[i].HasATS = ats, true
		}
	}
	s.render(w, r, http.StatusOK, "product.html", view{Title: p.Title, Active: "products", Data: v})
}
