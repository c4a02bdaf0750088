package web

import (
	"net/http"
	"strconv"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/scorecards"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// The staff's purchase-order pages (docs/console.md, "Purchase orders"): the
// list with its unanswered and overdue queues, one PO with its lines, answers
// and send attempts (and a resend), and the supplier scorecards.

func (s *Server) registerConsolePurchasing() {
	s.page("GET /console/purchase-orders", auth.PurchasingRead, s.consolePOList)
	s.page("GET /console/purchase-orders/{id}", auth.PurchasingRead, s.consolePODetail)
	s.page("POST /console/purchase-orders/{id}/resend", auth.PurchasingWrite, s.consolePOResend)
	s.page("GET /console/suppliers/scorecards", auth.SuppliersRead, s.consoleScorecards)
}

type purchaseOrdersView struct {
	Suppliers []suppliers.Supplier
	Supplier  int64
	State     string
	Queue     string // "", "unanswered", "overdue", "late"
	States    []purchasing.POState
	POs       []purchasing.PurchaseOrder
	More      bool
	Next      int64
}

func (s *Server) consolePOList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &purchaseOrdersView{Queue: q.Get("queue"), State: q.Get("state"),
		States: []purchasing.POState{purchasing.POOpen, purchasing.POSending, purchasing.POSent, purchasing.POAcknowledged, purchasing.POClosed, purchasing.POCancelled}}
	f := purchasing.Filter{Limit: consolePageSize, State: purchasing.POState(v.State)}
	var err error
	for name, dst := range map[string]*int64{"supplier": &v.Supplier, "before": &f.Before} {
		if raw := q.Get(name); raw != "" {
			if *dst, err = strconv.ParseInt(raw, 10, 64); err != nil || *dst <= 0 {
				s.consoleError(w, r, apperr.InvalidField(name, "must be a positive whole number, not %q", raw))
				return
			}
		}
	}
	f.SupplierID = v.Supplier
	switch v.Queue {
	case "unanswered":
		f.Unacknowledged = true
	case "overdue":
		f.Overdue = true
	case "late":
		f.LateToShip = true
	default:
		v.Queue = ""
	}
	ctx := r.Context()
	if v.POs, v.More, err = s.cfg.Purchasing.List(ctx, f); err != nil {
		s.consoleError(w, r, err)
		return
	}
	if v.More && len(v.POs) > 0 {
		v.Next = v.POs[len(v.POs)-1].ID
	}
	if v.Suppliers, err = s.cfg.Suppliers.ListSuppliers(ctx, suppliers.SupplierFilter{Limit: 500}); err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "purchase_orders.html", view{Title: "Purchase orders", Active: "purchase-orders", Data: v})
}

type purchaseOrderView struct {
	PO  *purchasing.PurchaseOrder
	Doc purchasing.PODocument
}

func (s *Server) consolePODetail(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.consoleError(w, r, apperr.New(apperr.NotFound, "purchase order %q not found", r.PathValue("id")))
		return
	}
	v := &purchaseOrderView{}
	if v.PO, err = s.cfg.Purchasing.Get(r.Context(), 0, id); err != nil {
		s.consoleError(w, r, err)
		return
	}
	if v.Doc, err = s.cfg.Purchasing.PODocument(r.Context(), 0, id); err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "purchase_order.html", view{Title: v.PO.Number, Active: "purchase-orders", Data: v})
}

func (s *Server) consolePOResend(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.consoleError(w, r, apperr.New(apperr.NotFound, "purchase order %q not found", r.PathValue("id")))
		return
	}
	if _, err := s.cfg.Purchasing.Resend(r.Context(), id); err != nil {
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, "/console/purchase-orders/"+r.PathValue("id"), "po-resend")
}

type scorecardsView struct {
	Days    int
	Periods []int
	Cards   []scorecards.Scorecard
}

// Percent writes a rate as a whole percentage, or a dash when there was
// nothing to measure.
func (scorecardsView) Percent(r float64, of int) string {
	if of == 0 {
		return "—"
	}
	return strconv.FormatFloat(100*r, 'f', 0, 64) + "%"
}

// Hours writes minutes as hours with one decimal.
func (scorecardsView) Hours(min int, of int) string {
	if of == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(min)/60, 'f', 1, 64) + " h"
}

func (s *Server) consoleScorecards(w http.ResponseWriter, r *http.Request) {
	v := scorecardsView{Days: 30, Periods: []int{7, 30, 90}}
	if raw := r.URL.Query().Get("days"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 365 {
			s.consoleError(w, r, apperr.InvalidField("days", "the window must be 1 to 365 days, not %q", raw))
			return
		}
		v.Days = n
	}
	now := s.now().UTC()
	var err error
	if v.Cards, err = scorecards.Compute(r.Context(), s.cfg.DB.R, now.AddDate(0, 0, -v.Days), now, now); err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "scorecards.html", view{Title: "Supplier scorecards", Active: "suppliers", Data: v})
}
