// Package web is Orderly's HTTP edge: the JSON API under /api/v1 (huma, with
// its OpenAPI document) and the staff console. Handlers decode input, check
// the caller's permission, call one service method and encode the result; they
// hold no SQL and no business rules.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/coupons"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/digests"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/notify"
	"github.com/orderly-oms/orderly/internal/orderlinks"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/pricing"
	"github.com/orderly-oms/orderly/internal/promise/calendars"
	"github.com/orderly-oms/orderly/internal/purchasing"
	"github.com/orderly-oms/orderly/internal/refunds"
	"github.com/orderly-oms/orderly/internal/restocks"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/storefront"
	"github.com/orderly-oms/orderly/internal/suppliers"
	"github.com/orderly-oms/orderly/internal/webhooks"
)

// APIPrefix is where the JSON API lives.
const APIPrefix = "/api/v1"

// Config wires the server to its services.
type Config struct {
	DB     *store.DB
	Logger *slog.Logger
	Now    func() time.Time
	// MaxBodyBytes bounds request bodies (default 1 MiB); larger ones get 413.
	MaxBodyBytes int64
	// MaxUploadBytes bounds the console's CSV upload (default 20 MiB);
	// larger files get 413.
	MaxUploadBytes int64
	// SecureCookies marks cookies Secure (set it when served over TLS).
	SecureCookies bool
	Version       string
	// Auth manages users, tokens, sessions and the audit log. If nil, New
	// makes one on DB.
	Auth *auth.Service
	// Catalog and Suppliers serve products/variants and suppliers/offers. If
	// nil, New makes them on DB.
	Catalog   *catalog.Service
	Suppliers *suppliers.Service
	// Inventory serves stock, buffers and available-to-sell. If nil, New
	// makes one on DB with the default options.
	Inventory *inventory.Service
	// Customers and Orders serve customers and orders. If nil, New makes
	// them on DB (orders with default options and an insert-only queue).
	Customers *customers.Service
	Orders    *orders.Service
	// Pricing serves pricing rules, proposals and price history. If nil, New
	// makes one on DB (with an insert-only queue), hooked to Suppliers.
	Pricing *pricing.Service
	// Storefront manages storefront sync targets, mappings and outboxes. If
	// nil, New makes one on DB (without a queue: drains are left to the
	// periodic dispatcher).
	Storefront *storefront.Service
	// Feeds applies supplier feed files and keeps their runs. If nil, the
	// server makes one on DB (with an insert-only queue).
	Feeds *feeds.Service
	// Promise stores delivery calendars and answers delivery promises. If
	// nil, New makes one on DB (configured calendars only).
	Promise *calendars.Service
	// Digests keeps the suppliers' daily digests. If nil, New makes one on
	// DB without a mailer (listing works; the job is wired by cmd/orderly).
	Digests *digests.Service
	// Shipping records shipments and tracking events. If nil, New makes one
	// on DB (with a purchasing service of its own).
	Shipping *shipping.Service
	// Routing routes orders to suppliers and keeps the routing rules. If nil,
	// the server makes one on DB with Purchasing as its sink.
	Routing *routing.Router
	// TrackingWebhookSecret is the key carrier tracking webhooks are signed
	// with (X-Orderly-Signature). Empty: tracking webhooks get 503.
	TrackingWebhookSecret string
	// Purchasing keeps purchase orders to suppliers. If nil, New makes one on DB (no mailer: email POs fail to send).
	Purchasing *purchasing.Service
	// Notify keeps customer notifications, the email settings and the
	// templates. If nil, the server makes one on DB (no job queue: nothing
	// is sent from it; email is off unless settings are stored).
	Notify *notify.Service
	// Restocks keeps the restock questions to suppliers. If nil, the server
	// makes one on DB.
	Restocks *restocks.Service
	// OrderLinks signs and checks the links to the customer's order page
	// (/o/{token}). If nil, the server loads the key from DB.
	OrderLinks *orderlinks.Signer
	// ShopifyWebhookSecret is the key Shopify signs webhooks with
	// (X-Shopify-Hmac-Sha256). Empty: Shopify webhooks get 503.
	ShopifyWebhookSecret string
	// Coupons issues and lists coupons and keeps the apology-coupon policy.
	// If nil, the server makes one on DB without a queue (coupons issued
	// through the API are then not pushed to the storefronts).
	Coupons *coupons.Service
	// Refunds tracks the refunds due to customers. If nil, the server makes
	// one on DB.
	Refunds *refunds.Service
	// Webhooks keeps the outbound webhook subscriptions and their delivery
	// log. If nil, the server makes one on DB (replay and test events work;
	// deliveries of order events are the jobs cmd/orderly wires).
	Webhooks *webhooks.Service
}

// Route is one entry of the server's route table: every API operation and
// console page, with the permission it requires. The permission matrix test
// walks this table.
type Route struct {
	Method     string
	Path       string // a ServeMux pattern path, e.g. /api/v1/products/{id}
	Permission auth.Permission
	Console    bool // a console page rather than an API operation
}

// Server is Orderly's HTTP server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
	api     huma.API
	routes  []Route
	handler http.Handler
	// sessions is the console's session manager (session.go).
	sessions *scs.SessionManager
	metrics  *metrics
}

// New builds the server and registers every route.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Inventory == nil {
		cfg.Inventory = inventory.New(cfg.DB, cfg.Now, inventory.Options{})
	}
	if cfg.Customers == nil {
		cfg.Customers = customers.NewService(cfg.DB, cfg.Now)
	}
	if cfg.Orders == nil {
		var err error
		if cfg.Orders, err = orders.New(cfg.DB, cfg.Inventory, cfg.Customers, nil, cfg.Now, orders.Options{Logger: cfg.Logger}); err != nil {
			return nil, err
		}
	}
	if cfg.Pricing == nil {
		if cfg.Suppliers == nil {
			cfg.Suppliers = suppliers.NewService(cfg.DB, cfg.Now)
		}
		var err error
		if cfg.Pricing, err = pricing.New(cfg.DB, cfg.Suppliers, nil, cfg.Now, pricing.Options{Logger: cfg.Logger}); err != nil {
			return nil, err
		}
	}
	if cfg.Storefront == nil {
		cfg.Storefront = storefront.New(cfg.DB, cfg.Now, nil)
	}
	if cfg.Promise == nil {
		cfg.Promise = calendars.New(cfg.DB, cfg.Now, calendars.Options{})
	}
	if cfg.Digests == nil {
		cfg.Digests = digests.New(cfg.DB, nil, cfg.Now, digests.Options{Logger: cfg.Logger})
	}
	if cfg.Suppliers == nil {
		cfg.Suppliers = suppliers.NewService(cfg.DB, cfg.Now)
	}
	s := &Server{cfg: cfg, log: withRequestIDs(cfg.Logger), now: cfg.Now, mux: http.NewServeMux()}

	hc := huma.DefaultConfig("Orderly API", cfg.Version)
	hc.Formats = jsonFormats // malformed JSON errors say where (jsonpos.go)
	hc.Info.Description = "Order management for dropshipping microbrands. Authenticate with `Authorization: Bearer TOKEN` " +
		"(create one with `orderly token create`). Every POST accepts an `Idempotency-Key` header."
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API token from `orderly token create` or the console."},
	}
	hc.Security = []map[string][]string{{"bearer": {}}}
	hc.CreateHooks = nil // no $schema links in bodies: responses stay plain
	s.api = humago.NewWithPrefix(s.mux, APIPrefix, hc)
	s.api.UseMiddleware(s.checkPermission)

	s.routes = append(s.routes,
		Route{Method: http.MethodGet, Path: APIPrefix + "/openapi.json", Permission: auth.Public},
		Route{Method: http.MethodGet, Path: APIPrefix + "/docs", Permission: auth.Public},
	)
	s.registerRoutes()
	s.handler = s.middleware(s.mux)
	return s, nil
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// API returns the huma API (for the OpenAPI document).
func (s *Server) API() huma.API { return s.api }

// Routes returns the route table.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// registerRoutes lists every resource's routes; each lives in its own file.
func (s *Server) registerRoutes() {
	s.registerAuth()
	s.registerOps()
	s.registerProducts()
	s.registerSuppliers()
	s.registerStock()
	s.registerStockPolicies()
	s.registerOrders()
	s.registerOrderEdits()
	s.registerCustomers()
	s.registerPricing()
	s.registerStorefront()
	s.registerCoupons()
	s.registerRefunds()
	s.registerFeeds()
	s.registerPromise()
	s.registerPromiseCalibration()
	s.registerShipping()
	s.registerFollowup()
	s.registerPurchasing()
	s.registerNotifications()
	s.registerSupplierPortal()
	s.registerRestocks()
	s.registerRouting()
	s.registerWebhooks()
	s.registerCustomerChoices()
	s.registerConsoleConsent()
	s.registerStoreSettings()
	s.registerCustomerPage()
	s.registerConsole()
	s.registerConsolePromiseCalibration()
	s.registerConsoleImport()
	s.registerShopifyWebhooks()
	s.registerIntake()
}

// operation registers one API operation that requires perm. Service errors are
// turned into problem documents here, in one place.
func operation[I, O any](s *Server, op huma.Operation, perm auth.Permission, h func(context.Context, *I) (*O, error)) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata["permission"] = perm
	if op.MaxBodyBytes == 0 {
		op.MaxBodyBytes = s.cfg.MaxBodyBytes // one limit, set in Config
	}
	if op.Method == http.MethodPost {
		documentIdempotency(&op)
	}
	if perm == auth.Public {
		op.Security = []map[string][]string{}
	}
	if op.Description == "" {
		op.Description = op.Summary
	}
	op.Description += "\n\nRequires permission `" + string(perm) + "`."
	s.routes = append(s.routes, Route{Method: op.Method, Path: APIPrefix + op.Path, Permission: perm})
	huma.Register(s.api, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			p := problemFrom(err)
			if p.Status >= 500 {
				s.log.ErrorContext(ctx, "request failed", "operation", op.OperationID, "err", err)
			}
			return nil, p
		}
		return out, nil
	})
}

// page registers one console route that requires perm.
func (s *Server) page(pattern string, perm auth.Permission, h http.HandlerFunc) {
	method, path, _ := cutPattern(pattern)
	s.routes = append(s.routes, Route{Method: method, Path: path, Permission: perm, Console: true})
	s.mux.Handle(pattern, s.requirePage(perm, h))
}

func cutPattern(p string) (method, path string, ok bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == ' ' {
			return p[:i], p[i+1:], true
		}
	}
	return "", p, false
}

// checkPermission enforces each API operation's permission.
func (s *Server) checkPermission(ctx huma.Context, next func(huma.Context)) {
	perm, _ := ctx.Operation().Metadata["permission"].(auth.Permission)
	p := auth.FromContext(ctx.Context())
	switch {
	case perm == auth.Public:
	case p == nil:
		huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "authentication required: send Authorization: Bearer TOKEN")
		return
	case !p.Can(perm):
		huma.WriteErr(s.api, ctx, http.StatusForbidden, "your role "+string(p.Role)+" lacks permission "+string(perm))
		return
	}
	next(ctx)
}
