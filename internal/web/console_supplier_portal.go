package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/digests"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/shipping"
)

// The supplier console (docs/console.md, "Supplier console"): a supplier's
// user sees its own purchase orders, answers each line, adds parcels with
// their tracking numbers, uploads reply and tracking CSVs, downloads its open
// lines, and reads its daily digests. Every handler takes the supplier from
// the logged-in principal and passes it to the services, which filter by it:
// another supplier's purchase order is "not found".

func (s *Server) registerConsoleSupplierPortal() {
	s.page("GET /console/supplier", auth.SupplierPortal, s.portalPOsPage)
	s.page("GET /console/supplier/purchase-orders/{id}", auth.SupplierPortal, s.portalPOPage)
	s.page("POST /console/supplier/purchase-orders/{id}/lines/{line}/answer", auth.SupplierPortal, s.portalAnswer)
	s.page("POST /console/supplier/purchase-orders/{id}/shipments", auth.SupplierPortal, s.portalShip)
	s.page("POST /console/supplier/replies", auth.SupplierPortal, s.portalReply)
	s.page("POST /console/supplier/tracking", auth.SupplierPortal, s.portalTracking)
	s.page("GET /console/supplier/open-lines.csv", auth.SupplierPortal, s.portalExport)
	s.page("GET /console/supplier/digests", auth.SupplierPortal, s.portalDigestsPage)
}

// portalSupplier is the logged-in supplier's id; staff never reach these
// pages (the permission is the supplier role's alone).
func portalSupplier(r *http.Request) (int64, error) {
	p := auth.FromContext(r.Context())
	if p == nil || p.Role != auth.Supplier || p.SupplierID == 0 {
		return 0, apperr.New(apperr.Forbidden, "only a supplier's own user may open the supplier console")
	}
	return p.SupplierID, nil
}

type portalPOsView struct {
	Filter string // "", "unanswered", "overdue"
	POs    []purchasing.PurchaseOrder
	More   bool
	Next   int64 // the id to page back from when More
	Reply  *purchasing.ReplyResult
	Track  *shipping.CSVResult
	Error  string
}

func (s *Server) portalPOsPage(w http.ResponseWriter, r *http.Request) {
	v := &portalPOsView{Filter: r.URL.Query().Get("filter")}
	s.renderPortalPOs(w, r, http.StatusOK, v)
}

func (s *Server) renderPortalPOs(w http.ResponseWriter, r *http.Request, status int, v *portalPOsView) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	f := purchasing.Filter{SupplierID: sup, Limit: consolePageSize}
	switch v.Filter {
	case "unanswered":
		f.Unacknowledged = true
	case "overdue":
		f.Overdue = true
	default:
		v.Filter = ""
	}
	if b := r.URL.Query().Get("before"); b != "" {
		if f.Before, err = strconv.ParseInt(b, 10, 64); err != nil || f.Before <= 0 {
			s.consoleError(w, r, apperr.InvalidField("before", "must be a purchase order number, not %q", b))
			return
		}
	}
	if v.POs, v.More, err = s.cfg.Purchasing.List(r.Context(), f); err != nil {
		s.consoleError(w, r, err)
		return
	}
	if v.More && len(v.POs) > 0 {
		v.Next = v.POs[len(v.POs)-1].ID
	}
	s.render(w, r, status, "portal_pos.html", view{Title: "Purchase orders", Active: "portal", Data: v})
}

type portalPOView struct {
	PO        *purchasing.PurchaseOrder
	Doc       purchasing.PODocument
	Shipments []shipping.Shipment
	Errors    map[string]string // by form: "answer-<line>", "ship"
	Warning   string            // of the last parcel added (an unknown carrier)
	Carriers  []string
}

// OrderLines returns the PO's lines of one order, for the parcel form.
func (v *portalPOView) OrderLines(order int64) []purchasing.Line {
	var out []purchasing.Line
	for _, l := range v.PO.Lines {
		if l.OrderID == order {
			out = append(out, l)
		}
	}
	return out
}

func (s *Server) portalPO(w http.ResponseWriter, r *http.Request) (*portalPOView, bool) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return nil, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.consoleError(w, r, apperr.New(apperr.NotFound, "purchase order %q not found", r.PathValue("id")))
		return nil, false
	}
	v := &portalPOView{Errors: map[string]string{}, Carriers: carrierChoices}
	ctx := r.Context()
	if v.PO, err = s.cfg.Purchasing.Get(ctx, sup, id); err != nil {
		s.consoleError(w, r, err)
		return nil, false
	}
	if v.Doc, err = s.cfg.Purchasing.PODocument(ctx, sup, id); err != nil {
		s.consoleError(w, r, err)
		return nil, false
	}
	// The parcels of the PO's orders that this supplier sent (few per order).
	for _, o := range v.Doc.Orders {
		list, err := s.cfg.Shipping.List(ctx, shipping.Filter{SupplierID: sup, OrderNumber: o.OrderID})
		if err != nil {
			s.consoleError(w, r, err)
			return nil, false
		}
		v.Shipments = append(v.Shipments, list...)
	}
	return v, true
}

// carrierChoices are offered in the parcel form; any other name is accepted
// (with a warning that its numbers are not checked).
var carrierChoices = []string{"UPS", "USPS", "FedEx", "DHL Express", "Correios", "Poste Italiane", "Royal Mail"}

func (s *Server) portalPOPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.portalPO(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "portal_po.html", view{Title: v.PO.Number, Active: "portal", Data: v})
}

// portalAnswer records the supplier's answer to one line: units accepted and
// units rejected (with a reason).
func (s *Server) portalAnswer(w http.ResponseWriter, r *http.Request) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	lineID, err := strconv.ParseInt(r.PathValue("line"), 10, 64)
	if err != nil || lineID <= 0 {
		s.consoleError(w, r, apperr.New(apperr.NotFound, "purchase order line %q not found", r.PathValue("line")))
		return
	}
	key := "answer-" + r.PathValue("line")
	accepted, err1 := formCount(r, "accepted")
	rejected, err2 := formCount(r, "rejected")
	if err == nil {
		err = err1
	}
	if err == nil {
		err = err2
	}
	if err == nil {
		err = s.portalLineOfPO(r, sup, lineID)
	}
	if err == nil {
		_, err = s.cfg.Purchasing.Answer(r.Context(), sup, lineID, accepted, rejected, r.PostFormValue("reason"))
	}
	if err != nil {
		if statusFor(err) == http.StatusNotFound {
			s.consoleError(w, r, err)
			return
		}
		v, ok := s.portalPO(w, r)
		if !ok {
			return
		}
		v.Errors[key] = errMessage(err)
		s.render(w, r, statusFor(err), "portal_po.html", view{Title: v.PO.Number, Active: "portal", Data: v})
		return
	}
	seeOther(w, r, "/console/supplier/purchase-orders/"+r.PathValue("id"), "po-answered")
}

// portalLineOfPO is NotFound unless lineID is a line of the supplier's on
// the purchase order the path names (as the API's answerOwnLine checks): a
// form posted to another purchase order's address changes nothing.
func (s *Server) portalLineOfPO(r *http.Request, sup, lineID int64) error {
	l, err := s.cfg.Purchasing.Line(r.Context(), sup, lineID)
	if err != nil {
		return err
	}
	if strconv.FormatInt(l.PurchaseOrderID, 10) != r.PathValue("id") {
		return apperr.New(apperr.NotFound, "purchase order %s has no line %d", r.PathValue("id"), lineID)
	}
	return nil
}

// formCount reads a form field as a count of units; empty is 0.
func formCount(r *http.Request, field string) (int, error) {
	s := strings.TrimSpace(r.PostFormValue(field))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, apperr.InvalidField(field, "%s must be a whole number of units, 0 or more, not %q", strings.ReplaceAll(field, "_", " "), s)
	}
	return n, nil
}

// portalShip records a parcel: carrier, tracking number and the units of each
// line of one order in it (fields qty-<po line id>).
func (s *Server) portalShip(w http.ResponseWriter, r *http.Request) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.consoleError(w, r, apperr.New(apperr.Invalid, "the form could not be read"))
		return
	}
	in := shipping.NewShipment{Carrier: strings.TrimSpace(r.PostFormValue("carrier")), TrackingNumber: strings.TrimSpace(r.PostFormValue("tracking_number"))}
	if other := strings.TrimSpace(r.PostFormValue("carrier_other")); in.Carrier == "other" || (in.Carrier == "" && other != "") {
		in.Carrier = other
	}
	for k := range r.PostForm {
		rest, ok := strings.CutPrefix(k, "qty-")
		if !ok {
			continue
		}
		id, perr := strconv.ParseInt(rest, 10, 64)
		n, cerr := formCount(r, k)
		if perr != nil || cerr != nil {
			err = apperr.InvalidField(k, "the units of each line must be a whole number, 0 or more")
			break
		}
		if n > 0 {
			if err = s.portalLineOfPO(r, sup, id); err != nil {
				break
			}
			in.Lines = append(in.Lines, shipping.NewLine{POLineID: id, Quantity: n})
		}
	}
	if err == nil && len(in.Lines) == 0 {
		err = apperr.New(apperr.Invalid, "enter the units of at least one line in the parcel")
	}
	var added *shipping.Added
	if err == nil {
		added, err = s.cfg.Shipping.AddShipment(r.Context(), sup, in)
	}
	if err != nil {
		if statusFor(err) == http.StatusNotFound {
			s.consoleError(w, r, err)
			return
		}
		v, ok := s.portalPO(w, r)
		if !ok {
			return
		}
		v.Errors["ship"] = errMessage(err)
		s.render(w, r, statusFor(err), "portal_po.html", view{Title: v.PO.Number, Active: "portal", Data: v})
		return
	}
	done := "parcel-added"
	if added.Shipment != nil && added.Shipment.Warning != "" {
		done = "parcel-added-unchecked"
	}
	seeOther(w, r, "/console/supplier/purchase-orders/"+r.PathValue("id"), done)
}

// portalUpload reads the "file" of a multipart form within the upload limit.
func (s *Server) portalUpload(w http.ResponseWriter, r *http.Request) (file interface {
	Read([]byte) (int, error)
	Close() error
}, dryRun bool, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxUploadBytes())
	if err := r.ParseMultipartForm(importFormMemory); err != nil {
		if isMaxBytesError(err) {
			return nil, false, apperr.New(apperr.Invalid, "the file is larger than the upload limit of %d MiB", s.maxUploadBytes()>>20)
		}
		return nil, false, apperr.New(apperr.Invalid, "the upload could not be read: send the form with a CSV file chosen")
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, false, apperr.New(apperr.Invalid, "choose a CSV file")
	}
	return f, r.PostFormValue("dry_run") != "", nil
}

// portalReply applies a reply CSV (answers to many lines at once).
func (s *Server) portalReply(w http.ResponseWriter, r *http.Request) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v := &portalPOsView{}
	f, dry, err := s.portalUpload(w, r)
	if err == nil {
		defer f.Close()
		defer r.MultipartForm.RemoveAll()
		var res purchasing.ReplyResult
		res, err = s.cfg.Purchasing.Reply(r.Context(), sup, f, dry)
		v.Reply = &res
	}
	status := http.StatusOK
	if err != nil {
		v.Error, status = errMessage(err), statusFor(err)
	} else if !v.Reply.Applied && !v.Reply.DryRun {
		status = http.StatusUnprocessableEntity
	}
	s.renderPortalPOs(w, r, status, v)
}

// portalTracking applies a tracking CSV (parcels of many lines at once).
func (s *Server) portalTracking(w http.ResponseWriter, r *http.Request) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v := &portalPOsView{}
	f, dry, err := s.portalUpload(w, r)
	if err == nil {
		defer f.Close()
		defer r.MultipartForm.RemoveAll()
		v.Track, err = s.cfg.Shipping.ImportCSV(r.Context(), sup, f, dry)
	}
	status := http.StatusOK
	if err != nil {
		v.Error, status = errMessage(err), statusFor(err)
	}
	s.renderPortalPOs(w, r, status, v)
}

// portalExport downloads the supplier's open lines as CSV (the reply CSV's
// columns, ready to fill in).
func (s *Server) portalExport(w http.ResponseWriter, r *http.Request) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	b, err := s.cfg.Purchasing.ExportOpen(r.Context(), sup)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="open-lines-%s.csv"`, s.now().UTC().Format("2006-01-02")))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

type portalDigestsView struct {
	Digests []digests.Stored
}

func (s *Server) portalDigestsPage(w http.ResponseWriter, r *http.Request) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	list, err := s.cfg.Digests.List(r.Context(), sup, 30)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "portal_digests.html", view{Title: "Daily digests", Active: "portal-digests",
		Data: portalDigestsView{Digests: list}})
}
