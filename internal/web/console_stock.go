package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

func (s *Server) registerConsoleStock() {
	s.page("GET /console/stock", auth.StockRead, s.stockPage)
	s.page("GET /console/stock/{id}", auth.StockRead, s.skuPage)
	s.page("POST /console/stock/{id}/adjust", auth.StockWrite, s.skuAdjust)
	s.page("POST /console/stock/{id}/buffer", auth.StockWrite, s.skuSetBuffer)
	s.page("POST /console/stock/{id}/min-quantity", auth.StockWrite, s.skuSetMinQuantity)
}

// supplierOption is one entry of a supplier filter.
type supplierOption struct {
	ID       int64
	Name     string
	Selected bool
}

type stockRow struct {
	VariantID int64
	SKU       string
	Title     string
	ATS       int
	Reported  int
	Reserved  int
	Buffer    int
	Offers    int
	Stale     int // offers of suppliers whose feed is stale
	Low       bool
}

type stockView struct {
	Q            string
	Low          bool
	Stale        bool // only SKUs with an offer of a stale supplier
	LowThreshold int
	SupplierID   int64
	Suppliers    []supplierOption
	Rows         []stockRow
	After        string
	Next         string
}

// SupplierParam and LowParam are the filter values as they appear in a URL.
func (v stockView) SupplierParam() string {
	if v.SupplierID == 0 {
		return ""
	}
	return strconv.FormatInt(v.SupplierID, 10)
}

func (v stockView) LowParam() string {
	if v.Low {
		return "1"
	}
	return ""
}

func (v stockView) StaleParam() string {
	if v.Stale {
		return "1"
	}
	return ""
}

// maxSupplierOptions bounds the supplier filter's list; a store has tens of
// suppliers, not thousands.
const maxSupplierOptions = 200

// stockPage lists SKUs by SKU with their ATS, searchable by SKU prefix or
// title, and filtered by supplier and low stock. An htmx request gets only
// the rows (search as you type, "Load more").
func (s *Server) stockPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := stockView{Q: strings.TrimSpace(q.Get("q")), Low: q.Get("low") != "", Stale: q.Get("stale") != "", After: q.Get("after"),
		LowThreshold: s.cfg.Inventory.LowStockThreshold()}
	if id, err := strconv.ParseInt(q.Get("supplier"), 10, 64); err == nil && id > 0 {
		v.SupplierID = id
	}
	f := inventory.ListFilter{Q: v.Q, SupplierID: v.SupplierID, LowStock: v.Low, Stale: v.Stale, Limit: consolePageSize}
	if err := DecodeCursor(v.After, &f.AfterSKU); err != nil {
		s.consoleError(w, r, err)
		return
	}
	lines, more, err := s.cfg.Inventory.List(r.Context(), f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	for _, l := range lines {
		v.Rows = append(v.Rows, stockRow{VariantID: l.VariantID, SKU: l.SKU, Title: l.Title, ATS: l.ATS,
			Reported: l.Reported, Reserved: l.Reserved, Buffer: l.Buffer, Offers: l.SellableOffers, Stale: l.StaleOffers, Low: l.LowStock})
	}
	if more && len(lines) > 0 {
		v.Next = EncodeCursor(lines[len(lines)-1].SKU)
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "stock.html", "rows", v)
		return
	}
	// The supplier filter is needed only for the full page.
	sups, err := s.cfg.Suppliers.ListSuppliers(r.Context(), suppliers.SupplierFilter{Limit: maxSupplierOptions})
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	for _, sup := range sups {
		v.Suppliers = append(v.Suppliers, supplierOption{ID: sup.ID, Name: sup.Name, Selected: sup.ID == v.SupplierID})
	}
	s.render(w, r, http.StatusOK, "stock.html", view{Title: "Stock", Active: "stock", Data: v})
}

type offerStockRow struct {
	inventory.OfferStock
	Active     bool
	Status     string
	BufferWhy  string
	StaleWhy   string // why a stale supplier's offer counts less, "" if fresh
	Available  int
	ReportedAt *time.Time
}

type adjustForm struct {
	OfferID int64
	Mode    string // inventory.KindAdd or inventory.KindSet
	Units   string
	Reason  string
}

type skuView struct {
	VariantID    int64
	ProductID    int64
	ProductTitle string
	SKU          string
	Title        string
	Price        money.Money
	Status       string
	ATS          int
	Reported     int
	Reserved     int
	Buffer       int
	Low          bool
	Offers       []offerStockRow
	Adjustments  []adjustmentRow
	Form         adjustForm
	SKUBuffer    inventory.Buffer
	BufferForm   bufferForm
	MinQuantity  int    // the SKU's own minimum quantity
	MinForm      string // as typed into its form
	Errors       map[string]string
}

// bufferForm is a buffer rule as typed into a form.
type bufferForm struct {
	Units   string
	Percent string
}

func bufferFormOf(b inventory.Buffer) bufferForm {
	return bufferForm{Units: strconv.Itoa(b.Units), Percent: b.Percent.String()}
}

// parseBufferForm reads the buffer_units and buffer_percent inputs; empty
// inputs mean zero.
func parseBufferForm(r *http.Request) (bufferForm, inventory.Buffer, error) {
	form := bufferForm{Units: strings.TrimSpace(r.PostFormValue("buffer_units")), Percent: strings.TrimSpace(r.PostFormValue("buffer_percent"))}
	var b inventory.Buffer
	var fe apperr.Fields
	if form.Units != "" {
		n, err := strconv.Atoi(form.Units)
		if err != nil {
			fe.Add("buffer_units", "%q is not a whole number", form.Units)
		}
		b.Units = n
	}
	p, err := inventory.ParsePercent("buffer_percent", form.Percent)
	if err != nil {
		return form, b, err
	}
	b.Percent = p
	if err := fe.Err(); err != nil {
		return form, b, err
	}
	return form, b, nil
}

// bufferFieldNames maps the inventory service's buffer fields to the form's.
var bufferFieldNames = map[string]string{"units": "buffer_units", "percent": "buffer_percent"}

type adjustmentRow struct {
	inventory.Adjustment
	SupplierName string
}

var bufferWhy = map[inventory.BufferRule]string{
	inventory.RuleNone:           "no buffer applies",
	inventory.RuleSupplierUnits:  "the supplier's buffer in units",
	inventory.RuleSupplierPct:    "the supplier's percentage buffer",
	inventory.RuleVariantUnits:   "this SKU's buffer in units",
	inventory.RuleVariantPercent: "this SKU's percentage buffer",
	inventory.RuleSupplierMinQty: "below the supplier's minimum quantity: counts as 0",
	inventory.RuleVariantMinQty:  "below this SKU's minimum quantity: counts as 0",
	inventory.RuleStaleExcluded:  "the supplier's feed is stale: its stock does not count",
	inventory.RuleStalePercent:   "the supplier's feed is stale: its stale percentage is added",
}

// loadSKU gathers the SKU page: the variant, its stock offer by offer.
func (s *Server) loadSKU(r *http.Request) (*skuView, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	vr, err := s.cfg.Catalog.Variant(r.Context(), id)
	if err != nil {
		return nil, err
	}
	st, err := s.cfg.Inventory.Stock(r.Context(), string(vr.SKU))
	if err != nil {
		return nil, err
	}
	v := &skuView{VariantID: vr.ID, ProductID: vr.ProductID, ProductTitle: vr.ProductTitle, SKU: string(vr.SKU),
		Title: st.Title, Price: vr.Price, Status: string(vr.Status), ATS: st.ATS, Errors: map[string]string{}}
	v.Low = st.ATS <= s.cfg.Inventory.LowStockThreshold()
	supplierOf := map[int64]string{}
	for _, o := range st.Offers {
		supplierOf[o.OfferID] = o.SupplierName
		row := offerStockRow{OfferStock: o, Active: o.Sellable, Available: o.Contribution, BufferWhy: bufferWhy[o.BufferRule], StaleWhy: staleWhy(o)}
		row.Status = o.OfferStatus
		if o.SupplierStatus != "active" {
			row.Status = "supplier " + o.SupplierStatus
		}
		if !o.ReportedAt.IsZero() {
			t := o.ReportedAt
			row.ReportedAt = &t
		}
		if o.Sellable {
			v.Reported += o.Reported
			v.Reserved += o.Reserved
			v.Buffer += o.Buffer
		}
		v.Offers = append(v.Offers, row)
	}
	v.SKUBuffer, v.BufferForm = st.Buffer, bufferFormOf(st.Buffer)
	v.MinQuantity, v.MinForm = st.MinQuantity, strconv.Itoa(st.MinQuantity)
	v.Form = adjustForm{Mode: inventory.KindAdd}
	if len(v.Offers) > 0 {
		v.Form.OfferID = v.Offers[0].OfferID
	}
	adjs, _, err := s.cfg.Inventory.Adjustments(r.Context(), inventory.AdjustmentFilter{VariantID: vr.ID, Limit: recentAdjustments})
	if err != nil {
		return nil, err
	}
	for _, a := range adjs {
		v.Adjustments = append(v.Adjustments, adjustmentRow{Adjustment: a, SupplierName: supplierOf[a.OfferID]})
	}
	return v, nil
}

// recentAdjustments is how many adjustments the SKU page shows.
const recentAdjustments = 20

// skuPage shows one SKU's stock, offer by offer, with the adjustment form
// for users who may change stock.
func (s *Server) skuPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadSKU(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sku.html", view{Title: v.SKU, Active: "stock", Data: v})
}

// skuAdjust records a manual stock adjustment of one offer, made by the
// logged-in user, and redirects back to the SKU page.
func (s *Server) skuAdjust(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadSKU(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	form := adjustForm{Mode: r.PostFormValue("mode"), Units: strings.TrimSpace(r.PostFormValue("units")),
		Reason: r.PostFormValue("reason")}
	in := inventory.AdjustInput{Mode: form.Mode, Reason: form.Reason}
	var fe apperr.Fields
	form.OfferID, _ = strconv.ParseInt(r.PostFormValue("offer"), 10, 64)
	if !slices.ContainsFunc(v.Offers, func(o offerStockRow) bool { return o.OfferID == form.OfferID }) {
		fe.Add("offer", "choose one of this SKU's offers")
	}
	n, err := strconv.Atoi(form.Units)
	switch {
	case form.Units == "":
		fe.Add("units", "enter a whole number of units")
	case err != nil:
		fe.Add("units", "%q is not a whole number", form.Units)
	case form.Mode == inventory.KindSet:
		in.Quantity = &n
	default:
		in.Delta = &n
	}
	in.OfferID = form.OfferID
	err = fe.Err()
	if err == nil {
		_, err = s.cfg.Inventory.Adjust(r.Context(), in, auth.FromContext(r.Context()).Actor())
	}
	if err != nil {
		v.Form = form
		v.Errors = formErrors(renameFields(err, map[string]string{"delta": "units", "quantity": "units", "offer_id": "offer"}), "adjust")
		s.render(w, r, statusFor(err), "sku.html", view{Title: v.SKU, Active: "stock", Data: v})
		return
	}
	seeOther(w, r, "/console/stock/"+strconv.FormatInt(v.VariantID, 10), "adjusted")
}

// skuSetBuffer sets the SKU's own safety buffer rule.
func (s *Server) skuSetBuffer(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadSKU(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	form, b, err := parseBufferForm(r)
	if err == nil {
		err = s.cfg.Inventory.SetSKUBuffer(r.Context(), v.SKU, b)
	}
	if err != nil {
		v.BufferForm = form
		v.Errors = formErrors(renameFields(err, bufferFieldNames), "buffer")
		s.render(w, r, statusFor(err), "sku.html", view{Title: v.SKU, Active: "stock", Data: v})
		return
	}
	seeOther(w, r, "/console/stock/"+strconv.FormatInt(v.VariantID, 10), "buffer-set")
}
