package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// The unlinked supplier SKUs page: SKUs seen in feeds that no offer uses,
// searchable, each linked to one of our SKUs (an offer is made with the
// feed's figures) or ignored.

const unlinkedPath = "/console/feeds/unlinked"

// maxSuppliersListed bounds the supplier filter's choices.
const maxSuppliersListed = 500

type unlinkedView struct {
	Q          string
	SupplierID int64
	Status     string
	Statuses   []feeds.UnlinkedStatus
	Suppliers  []suppliers.Supplier
	Names      map[int64]string
	Rows       []feeds.Unlinked
	After      string
	Next       string
	// Typed and Errors keep a refused link form's input and message, by
	// unlinked SKU.
	Typed  map[int64]linkForm
	Errors map[int64]map[string]string
}

type linkForm struct{ SKU, Cost string }

// filters returns the list's filters as a query, for links and redirects.
func (v *unlinkedView) filters() url.Values {
	q := url.Values{}
	if v.Q != "" {
		q.Set("q", v.Q)
	}
	if v.SupplierID != 0 {
		q.Set("supplier_id", strconv.FormatInt(v.SupplierID, 10))
	}
	if v.Status != "" && v.Status != string(feeds.UnlinkedOpen) {
		q.Set("status", v.Status)
	}
	return q
}

// SupplierParam and StatusParam are the filters as query values ("" when
// not filtered), for "Load more".
func (v *unlinkedView) SupplierParam() string { return v.filters().Get("supplier_id") }

// StatusParam is the status filter ("" for open, the default).
func (v *unlinkedView) StatusParam() string { return v.filters().Get("status") }

// unlinkedFilters reads the list's filters from vals (the URL's query, or a
// form's hidden inputs).
func unlinkedFilters(vals url.Values) *unlinkedView {
	v := &unlinkedView{Q: strings.TrimSpace(vals.Get("q")), Status: string(feeds.UnlinkedOpen),
		Statuses: []feeds.UnlinkedStatus{feeds.UnlinkedOpen, feeds.UnlinkedIgnored, feeds.UnlinkedLinked},
		Names:    map[int64]string{}, Typed: map[int64]linkForm{}, Errors: map[int64]map[string]string{}}
	if id, err := strconv.ParseInt(vals.Get("supplier_id"), 10, 64); err == nil && id > 0 {
		v.SupplierID = id
	}
	for _, st := range v.Statuses {
		if vals.Get("status") == string(st) {
			v.Status = string(st)
		}
	}
	return v
}

func (s *Server) loadUnlinked(r *http.Request, v *unlinkedView) error {
	ctx := r.Context()
	f := feeds.UnlinkedFilter{SupplierID: v.SupplierID, Status: feeds.UnlinkedStatus(v.Status), Query: v.Q, Limit: consolePageSize + 1}
	if err := DecodeCursor(v.After, &f.AfterID); err != nil {
		return err
	}
	list, _, err := s.cfg.Feeds.UnlinkedSKUs(ctx, f)
	if err != nil {
		return err
	}
	if len(list) > consolePageSize {
		list = list[:consolePageSize]
		v.Next = EncodeCursor(list[len(list)-1].ID)
	}
	v.Rows = list
	sups, err := s.cfg.Suppliers.ListSuppliers(ctx, suppliers.SupplierFilter{Limit: maxSuppliersListed})
	if err != nil {
		return err
	}
	v.Suppliers = sups
	for _, sup := range sups {
		v.Names[sup.ID] = sup.Name
	}
	for _, u := range list {
		if _, ok := v.Names[u.SupplierID]; !ok {
			sup, err := s.cfg.Suppliers.Supplier(ctx, u.SupplierID)
			if err != nil {
				return err
			}
			v.Names[sup.ID] = sup.Name
		}
	}
	return nil
}

func (s *Server) renderUnlinked(w http.ResponseWriter, r *http.Request, status int, v *unlinkedView) {
	s.render(w, r, status, "feed_unlinked.html", view{Title: "Unlinked supplier SKUs", Active: "feeds", Data: v})
}

// feedUnlinkedPage lists unlinked supplier SKUs (open ones by default),
// searchable by supplier SKU and filtered by supplier.
func (s *Server) feedUnlinkedPage(w http.ResponseWriter, r *http.Request) {
	v := unlinkedFilters(r.URL.Query())
	v.After = r.URL.Query().Get("after")
	if err := s.loadUnlinked(r, v); err != nil {
		s.consoleError(w, r, err)
		return
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "feed_unlinked.html", "rows", v)
		return
	}
	s.renderUnlinked(w, r, http.StatusOK, v)
}

// backToUnlinked redirects to the list with the filters the form carried.
func backToUnlinked(w http.ResponseWriter, r *http.Request, v *unlinkedView, done string) {
	to := unlinkedPath
	if q := v.filters().Encode(); q != "" {
		to += "?" + q
	}
	seeOther(w, r, to, done)
}

// feedLink links an unlinked supplier SKU to our SKU typed in its row. A
// refused link shows the list again with the message next to the row's
// input.
func (s *Server) feedLink(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "the form could not be read"))
		return
	}
	v := unlinkedFilters(r.PostForm)
	form := linkForm{SKU: strings.TrimSpace(r.PostFormValue("sku")), Cost: strings.TrimSpace(r.PostFormValue("cost"))}
	in := feeds.LinkInput{SKU: form.SKU}
	var fe apperr.Fields
	if form.SKU == "" {
		fe.Add("sku", "enter our SKU to link this supplier SKU to")
	}
	if form.Cost != "" {
		amount, cur, _ := strings.Cut(form.Cost, " ")
		c, err := money.Parse(strings.TrimSpace(amount), strings.ToUpper(strings.TrimSpace(cur)))
		if err != nil {
			fe.Add("cost", "enter the cost as an amount and a currency, such as 6.50 EUR (%v)", err)
		}
		in.Cost = &c
	}
	err = fe.Err()
	if err == nil {
		_, err = s.cfg.Feeds.Link(r.Context(), id, in)
	}
	if err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		v.Typed[id] = form
		v.Errors[id] = formErrors(renameFields(err, map[string]string{"supplier_sku": "sku", "variant_id": "sku",
			"cost.amount": "cost", "cost.currency": "cost"}), "link")
		if lerr := s.loadUnlinked(r, v); lerr != nil {
			s.consoleError(w, r, lerr)
			return
		}
		s.renderUnlinked(w, r, statusFor(err), v)
		return
	}
	backToUnlinked(w, r, v, "sku-linked")
}

// feedIgnore marks an unlinked supplier SKU as ignored.
func (s *Server) feedIgnore(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm() // the list's filters, to go back to; none if unreadable
	id, err := pathID(r, "id")
	if err == nil {
		_, err = s.cfg.Feeds.IgnoreUnlinked(r.Context(), id)
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	backToUnlinked(w, r, unlinkedFilters(r.PostForm), "sku-ignored")
}
