package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/promise"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
)

// registerPromise registers delivery promises (for product pages and carts)
// and their configuration: supplier calendars, carrier services, zones,
// remote-area rules and the default confidence (docs/promise.md).
func (s *Server) registerPromise() {
	tags := []string{"Delivery promise"}
	operation(s, huma.Operation{OperationID: "get-promise", Method: http.MethodGet, Path: "/promise",
		Summary: "Promise delivery of one SKU", Tags: tags,
		Description: "The ship-by day, the delivery window [earliest, latest] in the destination and the cutoff " +
			"(\"order within 3 h 12 min to ship today\") for `qty` of `sku` sent to `country` and `postal_code`, from the " +
			"suppliers with an active offer that has the quantity available and a delivery calendar. For a product page: " +
			"call it from the storefront's server with a token whose role holds `stock:read` (e.g. read_only). " +
			"404 for an unknown SKU; 422 for a bad country, postal code, past `at` or confidence; 409 when no supplier " +
			"with the stock can be promised (no calendar, no carrier for the lane)."},
		auth.StockRead, s.getPromise)
	operation(s, huma.Operation{OperationID: "promise-cart", Method: http.MethodPost, Path: "/promise",
		Summary: "Promise delivery of a cart", Tags: tags,
		Description: "As GET /promise for several lines: each line goes to the supplier that delivers it soonest; the " +
			"window is the one of the last parcel, the cutoff the first of the shipments'. Computes only: nothing is stored."},
		auth.StockRead, s.postPromise)

	operation(s, huma.Operation{OperationID: "list-supplier-calendars", Method: http.MethodGet, Path: "/promise/calendars",
		Summary: "List supplier calendars", Tags: tags}, auth.StockRead, s.listCalendars)
	operation(s, huma.Operation{OperationID: "get-supplier-calendar", Method: http.MethodGet, Path: "/promise/calendars/{supplier_id}",
		Summary: "Get a supplier's calendar", Tags: tags}, auth.StockRead, s.getCalendar)
	operation(s, huma.Operation{OperationID: "set-supplier-calendar", Method: http.MethodPut, Path: "/promise/calendars/{supplier_id}",
		Summary: "Set a supplier's calendar", Tags: tags,
		Description: "Creates or replaces the calendar (closures and carrier services too). Times and days are in the " +
			"supplier's time zone, set on the supplier."},
		auth.SettingsWrite, s.setCalendar)
	operation(s, huma.Operation{OperationID: "delete-supplier-calendar", Method: http.MethodDelete, Path: "/promise/calendars/{supplier_id}",
		Summary: "Delete a supplier's calendar", Tags: tags, DefaultStatus: http.StatusNoContent,
		Description: "The supplier can no longer be promised (its orders get no promise)."},
		auth.SettingsWrite, s.deleteCalendar)

	operation(s, huma.Operation{OperationID: "list-carrier-services", Method: http.MethodGet, Path: "/promise/carrier-services",
		Summary: "List carrier services", Tags: tags}, auth.StockRead, s.listCarrierServices)
	operation(s, huma.Operation{OperationID: "create-carrier-service", Method: http.MethodPost, Path: "/promise/carrier-services",
		Summary: "Create a carrier service", Tags: tags, DefaultStatus: http.StatusCreated}, auth.SettingsWrite, s.createCarrierService)
	operation(s, huma.Operation{OperationID: "get-carrier-service", Method: http.MethodGet, Path: "/promise/carrier-services/{id}",
		Summary: "Get a carrier service", Tags: tags}, auth.StockRead, s.getCarrierService)
	operation(s, huma.Operation{OperationID: "update-carrier-service", Method: http.MethodPut, Path: "/promise/carrier-services/{id}",
		Summary: "Replace a carrier service", Tags: tags, Description: "Replaces the service, its transit table included."},
		auth.SettingsWrite, s.updateCarrierService)
	operation(s, huma.Operation{OperationID: "delete-carrier-service", Method: http.MethodDelete, Path: "/promise/carrier-services/{id}",
		Summary: "Delete a carrier service", Tags: tags, DefaultStatus: http.StatusNoContent}, auth.SettingsWrite, s.deleteCarrierService)

	operation(s, huma.Operation{OperationID: "list-remote-area-rules", Method: http.MethodGet, Path: "/promise/remote-rules",
		Summary: "List remote-area rules", Tags: tags}, auth.StockRead, s.listRemoteRules)
	operation(s, huma.Operation{OperationID: "create-remote-area-rule", Method: http.MethodPost, Path: "/promise/remote-rules",
		Summary: "Create a remote-area rule", Tags: tags, DefaultStatus: http.StatusCreated,
		Description: "Deliveries into the postal-code range (compared on letters and digits, as prefixes) take `extra_days` more."},
		auth.SettingsWrite, s.createRemoteRule)
	operation(s, huma.Operation{OperationID: "update-remote-area-rule", Method: http.MethodPut, Path: "/promise/remote-rules/{id}",
		Summary: "Replace a remote-area rule", Tags: tags}, auth.SettingsWrite, s.updateRemoteRule)
	operation(s, huma.Operation{OperationID: "delete-remote-area-rule", Method: http.MethodDelete, Path: "/promise/remote-rules/{id}",
		Summary: "Delete a remote-area rule", Tags: tags, DefaultStatus: http.StatusNoContent}, auth.SettingsWrite, s.deleteRemoteRule)

	operation(s, huma.Operation{OperationID: "get-shipping-zones", Method: http.MethodGet, Path: "/promise/zones",
		Summary: "List shipping zones", Tags: tags,
		Description: "Country → zone. A country not listed is a zone of its own, named by its code."}, auth.StockRead, s.getZones)
	operation(s, huma.Operation{OperationID: "set-shipping-zones", Method: http.MethodPut, Path: "/promise/zones",
		Summary: "Replace shipping zones", Tags: tags}, auth.SettingsWrite, s.setZones)
	operation(s, huma.Operation{OperationID: "get-promise-settings", Method: http.MethodGet, Path: "/promise/settings",
		Summary: "Get promise settings", Tags: tags}, auth.StockRead, s.getPromiseSettings)
	operation(s, huma.Operation{OperationID: "set-promise-settings", Method: http.MethodPut, Path: "/promise/settings",
		Summary: "Set promise settings", Tags: tags}, auth.SettingsWrite, s.setPromiseSettings)
}

// PromiseOut is a delivery promise.
type PromiseOut struct {
	ShipBy     string         `json:"ship_by" example:"2026-12-02" doc:"The last ship-by day of the shipments, in each supplier's zone"`
	Delivery   DeliveryWindow `json:"delivery"`
	Confidence float64        `json:"confidence" example:"0.9"`
	Cutoff     CutoffOut      `json:"cutoff"`
	Shipments  []ShipmentOut  `json:"shipments" nullable:"false"`
}

// DeliveryWindow is the range of days the order arrives in, in the destination.
type DeliveryWindow struct {
	Earliest string `json:"earliest" example:"2026-12-16"`
	Latest   string `json:"latest" example:"2026-12-31"`
}

// CutoffOut is when to order by for the promise to hold.
type CutoffOut struct {
	At          time.Time `json:"at" doc:"Order before this instant for this promise"`
	SecondsLeft int64     `json:"seconds_left" doc:"From the order time to at"`
	Left        string    `json:"left" example:"3 h 12 min"`
	ShipsToday  bool      `json:"ships_today"`
	Message     string    `json:"message" example:"order within 3 h 12 min to ship today"`
}

// ShipmentOut is what one supplier ships.
type ShipmentOut struct {
	SupplierID      int64          `json:"supplier_id"`
	SupplierName    string         `json:"supplier_name"`
	SKUs            []string       `json:"skus" nullable:"false"`
	Received        string         `json:"received" doc:"The supplier's day the order counts as received"`
	ShipBy          string         `json:"ship_by"`
	Delivery        DeliveryWindow `json:"delivery"`
	Cutoff          CutoffOut      `json:"cutoff"`
	Carriers        []string       `json:"carriers" nullable:"false"`
	HandlingSource  string         `json:"handling_source" enum:"configured,learned"`
	TransitSource   string         `json:"transit_source" enum:"configured,learned"`
	RemoteArea      string         `json:"remote_area,omitempty" doc:"The remote-area rule that added remote_extra_days"`
	RemoteExtraDays int            `json:"remote_extra_days,omitempty"`
}

func cutoffOut(c promise.Cutoff, shipBy promise.Date) CutoffOut {
	return CutoffOut{At: c.At, SecondsLeft: int64(c.Left / time.Second), Left: promise.FormatLeft(c.Left), ShipsToday: c.ShipsToday,
		Message: c.Message(shipBy)}
}

func promiseOut(p promise.Promise) PromiseOut {
	out := PromiseOut{ShipBy: p.ShipBy.String(), Delivery: DeliveryWindow{p.Earliest.String(), p.Latest.String()},
		Confidence: p.Confidence, Cutoff: cutoffOut(p.Cutoff, p.ShipBy), Shipments: []ShipmentOut{}}
	for _, sh := range p.Shipments {
		out.Shipments = append(out.Shipments, ShipmentOut{SupplierID: sh.SupplierID, SupplierName: sh.SupplierName, SKUs: sh.SKUs,
			Received: sh.Received.String(), ShipBy: sh.ShipBy.String(), Delivery: DeliveryWindow{sh.Earliest.String(), sh.Latest.String()},
			Cutoff: cutoffOut(sh.Cutoff, sh.ShipBy), Carriers: sh.Carriers, HandlingSource: string(sh.Handling), TransitSource: string(sh.Transit),
			RemoteArea: sh.Remote, RemoteExtraDays: sh.RemoteDays})
	}
	return out
}

type promiseOutput struct{ Body PromiseOut }

// parseAt reads the optional order time.
func parseAt(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, apperr.InvalidField("at", "%q is not an RFC 3339 time (e.g. 2026-12-01T15:04:05Z)", s)
	}
	return t, nil
}

type getPromiseInput struct {
	SKU        string  `query:"sku" required:"true" maxLength:"64" example:"MUG-BLUE"`
	Qty        int     `query:"qty" minimum:"1" maximum:"1000000" default:"1"`
	Country    string  `query:"country" required:"true" maxLength:"60" example:"BR" doc:"ISO 3166-1 alpha-2 (or a country name)"`
	PostalCode string  `query:"postal_code" maxLength:"20" example:"01310-100"`
	At         string  `query:"at" maxLength:"40" doc:"When the order would be placed (RFC 3339); default now. A time in the past is refused."`
	Confidence float64 `query:"confidence" minimum:"0" maximum:"1" doc:"0.5 to 0.99; default the store's"`
}

func (s *Server) getPromise(ctx context.Context, in *getPromiseInput) (*promiseOutput, error) {
	at, err := parseAt(in.At)
	if err != nil {
		return nil, err
	}
	qty := in.Qty
	if qty == 0 {
		qty = 1
	}
	p, err := s.cfg.Promise.Promise(ctx, calendars.Request{Lines: []calendars.CartLine{{SKU: in.SKU, Quantity: qty}},
		Country: in.Country, PostalCode: in.PostalCode, At: at, Confidence: in.Confidence})
	if err != nil {
		return nil, err
	}
	return &promiseOutput{Body: promiseOut(p)}, nil
}

type postPromiseInput struct {
	Body struct {
		Lines []struct {
			SKU      string `json:"sku" maxLength:"64" example:"MUG-BLUE"`
			Quantity int    `json:"quantity" minimum:"1" maximum:"1000000" example:"1"`
		} `json:"lines" minItems:"1" maxItems:"100"`
		Country    string  `json:"country" maxLength:"60" example:"BR"`
		PostalCode string  `json:"postal_code,omitempty" maxLength:"20" example:"01310-100"`
		At         string  `json:"at,omitempty" maxLength:"40" doc:"When the order would be placed (RFC 3339); default now"`
		Confidence float64 `json:"confidence,omitempty" minimum:"0" maximum:"1" doc:"0.5 to 0.99; default the store's"`
	}
}

func (s *Server) postPromise(ctx context.Context, in *postPromiseInput) (*promiseOutput, error) {
	at, err := parseAt(in.Body.At)
	if err != nil {
		return nil, err
	}
	req := calendars.Request{Country: in.Body.Country, PostalCode: in.Body.PostalCode, At: at, Confidence: in.Body.Confidence}
	for _, l := range in.Body.Lines {
		req.Lines = append(req.Lines, calendars.CartLine{SKU: l.SKU, Quantity: l.Quantity})
	}
	p, err := s.cfg.Promise.Promise(ctx, req)
	if err != nil {
		return nil, err
	}
	return &promiseOutput{Body: promiseOut(p)}, nil
}

// --- calendars ---

type calendarsOutput struct {
	Body struct {
		Calendars []calendars.Calendar `json:"calendars" nullable:"false"`
	}
}

func (s *Server) listCalendars(ctx context.Context, _ *struct{}) (*calendarsOutput, error) {
	list, err := s.cfg.Promise.Calendars(ctx)
	if err != nil {
		return nil, err
	}
	out := &calendarsOutput{}
	out.Body.Calendars = list
	return out, nil
}

type calendarOutput struct{ Body calendars.Calendar }

func (s *Server) getCalendar(ctx context.Context, in *supplierIDInput) (*calendarOutput, error) {
	c, err := s.cfg.Promise.Calendar(ctx, in.SupplierID)
	if err != nil {
		return nil, err
	}
	return &calendarOutput{Body: c}, nil
}

type setCalendarInput struct {
	SupplierID int64 `path:"supplier_id" minimum:"1"`
	Body       struct {
		ProcessingDays    []string            `json:"processing_days" maxItems:"7" example:"[\"mon-fri\"]" doc:"Day names (mon … sun) or ranges (mon-fri)"`
		Cutoff            string              `json:"cutoff" maxLength:"5" example:"14:00" doc:"HH:MM, the supplier's local time"`
		HandlingDays      int                 `json:"handling_days" minimum:"0" maximum:"60" example:"1"`
		CountryHolidays   bool                `json:"country_holidays,omitempty" doc:"Closed on its country's national public holidays"`
		OriginPostalCode  string              `json:"origin_postal_code,omitempty" maxLength:"20"`
		Closures          []calendars.Closure `json:"closures,omitempty" maxItems:"200"`
		CarrierServiceIDs []int64             `json:"carrier_service_ids,omitempty" maxItems:"50"`
	}
}

func (s *Server) setCalendar(ctx context.Context, in *setCalendarInput) (*calendarOutput, error) {
	b := in.Body
	c, err := s.cfg.Promise.SetCalendar(ctx, in.SupplierID, calendars.CalendarInput{ProcessingDays: b.ProcessingDays, Cutoff: b.Cutoff,
		HandlingDays: b.HandlingDays, CountryHolidays: b.CountryHolidays, OriginPostalCode: b.OriginPostalCode, Closures: b.Closures,
		CarrierServiceIDs: b.CarrierServiceIDs})
	if err != nil {
		return nil, err
	}
	return &calendarOutput{Body: c}, nil
}

func (s *Server) deleteCalendar(ctx context.Context, in *supplierIDInput) (*struct{}, error) {
	return nil, s.cfg.Promise.DeleteCalendar(ctx, in.SupplierID)
}

// --- carrier services ---

type carrierServicesOutput struct {
	Body struct {
		CarrierServices []calendars.CarrierService `json:"carrier_services" nullable:"false"`
	}
}

func (s *Server) listCarrierServices(ctx context.Context, _ *struct{}) (*carrierServicesOutput, error) {
	list, err := s.cfg.Promise.CarrierServices(ctx)
	if err != nil {
		return nil, err
	}
	out := &carrierServicesOutput{}
	out.Body.CarrierServices = list
	return out, nil
}

type carrierServiceOutput struct{ Body calendars.CarrierService }

// CarrierServiceBody creates or replaces a carrier service.
type CarrierServiceBody struct {
	Name         string                 `json:"name" maxLength:"100" example:"Correios SEDEX"`
	PickupDays   []string               `json:"pickup_days" maxItems:"7" example:"[\"mon-fri\"]"`
	DeliveryDays []string               `json:"delivery_days,omitempty" maxItems:"7" example:"[\"mon-fri\"]" doc:"Default Monday to Friday"`
	Transit      []calendars.TransitRow `json:"transit,omitempty" maxItems:"1000"`
}

func (b CarrierServiceBody) input() calendars.CarrierServiceInput {
	return calendars.CarrierServiceInput{Name: b.Name, PickupDays: b.PickupDays, DeliveryDays: b.DeliveryDays, Transit: b.Transit}
}

type createCarrierServiceInput struct{ Body CarrierServiceBody }

func (s *Server) createCarrierService(ctx context.Context, in *createCarrierServiceInput) (*carrierServiceOutput, error) {
	c, err := s.cfg.Promise.CreateCarrierService(ctx, in.Body.input())
	if err != nil {
		return nil, err
	}
	return &carrierServiceOutput{Body: c}, nil
}

func (s *Server) getCarrierService(ctx context.Context, in *idInput) (*carrierServiceOutput, error) {
	c, err := s.cfg.Promise.CarrierService(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &carrierServiceOutput{Body: c}, nil
}

type updateCarrierServiceInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body CarrierServiceBody
}

func (s *Server) updateCarrierService(ctx context.Context, in *updateCarrierServiceInput) (*carrierServiceOutput, error) {
	c, err := s.cfg.Promise.UpdateCarrierService(ctx, in.ID, in.Body.input())
	if err != nil {
		return nil, err
	}
	return &carrierServiceOutput{Body: c}, nil
}

func (s *Server) deleteCarrierService(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, s.cfg.Promise.DeleteCarrierService(ctx, in.ID)
}

// --- remote-area rules ---

type remoteRulesOutput struct {
	Body struct {
		Rules []calendars.RemoteRule `json:"rules" nullable:"false"`
	}
}

func (s *Server) listRemoteRules(ctx context.Context, _ *struct{}) (*remoteRulesOutput, error) {
	list, err := s.cfg.Promise.RemoteRules(ctx)
	if err != nil {
		return nil, err
	}
	out := &remoteRulesOutput{}
	out.Body.Rules = list
	return out, nil
}

type remoteRuleOutput struct{ Body calendars.RemoteRule }

// RemoteRuleBody creates or replaces a remote-area rule.
type RemoteRuleBody struct {
	Name       string `json:"name" maxLength:"100" example:"Norte: Amazonas"`
	Country    string `json:"country" maxLength:"2" example:"BR"`
	PostalFrom string `json:"postal_from" maxLength:"20" example:"69000"`
	PostalTo   string `json:"postal_to" maxLength:"20" example:"69299"`
	ExtraDays  int    `json:"extra_days" minimum:"1" maximum:"60" example:"5"`
}

func (b RemoteRuleBody) input() calendars.RemoteRuleInput {
	return calendars.RemoteRuleInput{Name: b.Name, Country: b.Country, PostalFrom: b.PostalFrom, PostalTo: b.PostalTo, ExtraDays: b.ExtraDays}
}

type createRemoteRuleInput struct{ Body RemoteRuleBody }

func (s *Server) createRemoteRule(ctx context.Context, in *createRemoteRuleInput) (*remoteRuleOutput, error) {
	r, err := s.cfg.Promise.CreateRemoteRule(ctx, in.Body.input())
	if err != nil {
		return nil, err
	}
	return &remoteRuleOutput{Body: r}, nil
}

type updateRemoteRuleInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body RemoteRuleBody
}

func (s *Server) updateRemoteRule(ctx context.Context, in *updateRemoteRuleInput) (*remoteRuleOutput, error) {
	r, err := s.cfg.Promise.UpdateRemoteRule(ctx, in.ID, in.Body.input())
	if err != nil {
		return nil, err
	}
	return &remoteRuleOutput{Body: r}, nil
}

func (s *Server) deleteRemoteRule(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, s.cfg.Promise.DeleteRemoteRule(ctx, in.ID)
}

// --- zones and settings ---

type zonesBody struct {
	Zones []calendars.Zone `json:"zones" nullable:"false" maxItems:"300"`
}

type zonesOutput struct{ Body zonesBody }

func (s *Server) getZones(ctx context.Context, _ *struct{}) (*zonesOutput, error) {
	z, err := s.cfg.Promise.Zones(ctx)
	if err != nil {
		return nil, err
	}
	return &zonesOutput{Body: zonesBody{Zones: z}}, nil
}

type setZonesInput struct{ Body zonesBody }

func (s *Server) setZones(ctx context.Context, in *setZonesInput) (*zonesOutput, error) {
	z, err := s.cfg.Promise.SetZones(ctx, in.Body.Zones)
	if err != nil {
		return nil, err
	}
	return &zonesOutput{Body: zonesBody{Zones: z}}, nil
}

type promiseSettingsOutput struct{ Body calendars.Settings }

func (s *Server) getPromiseSettings(ctx context.Context, _ *struct{}) (*promiseSettingsOutput, error) {
	st, err := s.cfg.Promise.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &promiseSettingsOutput{Body: st}, nil
}

type setPromiseSettingsInput struct {
	Body struct {
		Confidence float64 `json:"confidence" minimum:"0.5" maximum:"0.99" example:"0.9"`
	}
}

func (s *Server) setPromiseSettings(ctx context.Context, in *setPromiseSettingsInput) (*promiseSettingsOutput, error) {
	st, err := s.cfg.Promise.SetSettings(ctx, calendars.Settings{Confidence: in.Body.Confidence})
	if err != nil {
		return nil, err
	}
	return &promiseSettingsOutput{Body: st}, nil
}
