package web

import (
	"net/http"
	"strings"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

func (s *Server) registerConsoleSuppliers() {
	s.page("GET /console/suppliers", auth.SuppliersRead, s.suppliersPage)
	s.page("GET /console/suppliers/{id}", auth.SuppliersRead, s.supplierPage)
}

type suppliersView struct {
	Q        string
	Status   string
	Statuses []suppliers.Status
	Rows     []suppliers.Supplier
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
	if isHTMX(r) {
		s.renderPartial(w, r, "suppliers.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "suppliers.html", view{Title: "Suppliers", Active: "suppliers", Data: v})
}

type supplierView struct {
	suppliers.Supplier
	Offers []suppliers.Offer
	After  string
	Next   string
}

// supplierPage shows one supplier with its contacts and a page of its offers;
// "Load more" fetches the next page of offers.
func (s *Server) supplierPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	sup, err := s.cfg.Suppliers.Supplier(r.Context(), id)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v := supplierView{Supplier: sup, After: r.URL.Query().Get("after")}
	f := suppliers.OfferFilter{SupplierID: id, Limit: consolePageSize + 1}
	if err := DecodeCursor(v.After, &f.After); err != nil {
		s.consoleError(w, r, err)
		return
	}
	offers, err := s.cfg.Suppliers.ListOffers(r.Context(), f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if len(offers) > consolePageSize {
		offers = offers[:consolePageSize]
		v.Next = EncodeCursor(offers[len(offers)-1].ID)
	}
	v.Offers = offers
	if isHTMX(r) {
		s.renderPartial(w, r, "supplier.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "supplier.html", view{Title: sup.Name, Active: "suppliers", Data: v})
}
