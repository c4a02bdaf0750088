package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

func (s *Server) registerConsoleSuppliers() {
	s.page("GET /console/suppliers", auth.SuppliersRead, s.suppliersPage)
	s.page("GET /console/suppliers/{id}", auth.SuppliersRead, s.supplierPage)
	s.page("POST /console/suppliers/{id}/buffer", auth.StockWrite, s.supplierSetBuffer)
	s.page("POST /console/suppliers/{id}/staleness", auth.StockWrite, s.supplierSetStaleness)
	s.page("POST /console/suppliers/{id}/min-quantity", auth.StockWrite, s.supplierSetMinQuantity)
}

type suppliersView struct {
	Q        string
	Status   string
	Statuses []suppliers.Status
	Rows     []suppliers.Supplier
	Stale    map[int64]bool // suppliers whose feed is stale
	After    string
	Next     string
}

// suppliersPage lists suppliers by id, searchable by name and filtered by status.
func (s *Server) suppliersPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := suppliersView{Q: strings.TrimSpace(q.Get("q")), After: q.Get("after"),
		Statuses: []suppliers.Status{suppliers.StatusActive, suppliers.StatusPaused}}
	f := suppliers.SupplierFilter{Query: v.Q, Limit: consolePageSize + 1}
	if st := q.Get("status"); st != "" {
		if status, err := suppliers.ParseStatus(st); err == nil {
			f.Status, v.Status = status, string(status)
		}
	}
	if err := DecodeCursor(v.After, &f.After); err != nil {
		s.consoleError(w, r, err)
		return
	}
	list, err := s.cfg.Suppliers.ListSuppliers(r.Context(), f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if len(list) > consolePageSize {
		list = list[:consolePageSize]
		v.Next = EncodeCursor(list[len(list)-1].ID)
	}
	v.Rows = list
	ids := make([]int64, len(list))
	for i, sup := range list {
		ids[i] = sup.ID
	}
	feeds, err := s.cfg.Inventory.SupplierFeeds(r.Context(), ids)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Stale = map[int64]bool{}
	for id, f := range feeds {
		v.Stale[id] = f.Stale
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "suppliers.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "suppliers.html", view{Title: "Suppliers", Active: "suppliers", Data: v})
}

type supplierView struct {
	suppliers.Supplier
	Offers     []suppliers.Offer
	After      string
	Next       string
	Buffer     inventory.Buffer
	BufferForm bufferForm
	Feed       feedView // last feed, staleness and minimum quantity (console_stock_rules.go)
	Errors     map[string]string
}

// supplierPage shows one supplier with its contacts, its safety buffer and a
// page of its offers; "Load more" fetches the next page of offers.
func (s *Server) supplierPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadSupplier(r, r.URL.Query().Get("after"))
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "supplier.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "supplier.html", view{Title: v.Name, Active: "suppliers", Data: v})
}

func (s *Server) loadSupplier(r *http.Request, after string) (*supplierView, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	sup, err := s.cfg.Suppliers.Supplier(r.Context(), id)
	if err != nil {
		return nil, err
	}
	v := &supplierView{Supplier: sup, After: after, Errors: map[string]string{}}
	f := suppliers.OfferFilter{SupplierID: id, Limit: consolePageSize + 1}
	if err := DecodeCursor(after, &f.After); err != nil {
		return nil, err
	}
	offers, err := s.cfg.Suppliers.ListOffers(r.Context(), f)
	if err != nil {
		return nil, err
	}
	if len(offers) > consolePageSize {
		offers = offers[:consolePageSize]
		v.Next = EncodeCursor(offers[len(offers)-1].ID)
	}
	v.Offers = offers
	if v.Buffer, err = s.cfg.Inventory.SupplierBuffer(r.Context(), id); err != nil {
		return nil, err
	}
	v.BufferForm = bufferFormOf(v.Buffer)
	if v.Feed, err = s.loadFeed(r.Context(), id); err != nil {
		return nil, err
	}
	return v, nil
}

// supplierSetBuffer sets the supplier's safety buffer rule.
func (s *Server) supplierSetBuffer(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadSupplier(r, "")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	form, b, err := parseBufferForm(r)
	if err == nil {
		err = s.cfg.Inventory.SetSupplierBuffer(r.Context(), v.ID, b)
	}
	if err != nil {
		v.BufferForm = form
		v.Errors = formErrors(renameFields(err, bufferFieldNames), "buffer")
		s.render(w, r, statusFor(err), "supplier.html", view{Title: v.Name, Active: "suppliers", Data: v})
		return
	}
	seeOther(w, r, "/console/suppliers/"+strconv.FormatInt(v.ID, 10), "buffer-set")
}
