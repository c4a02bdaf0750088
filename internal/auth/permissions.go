package auth

import "slices"

// Role is what a staff user, API token or supplier user may do. Each role is a
// fixed set of permissions (see table below and docs/permissions.md).
type Role string

const (
	Owner      Role = "owner"      // everything, including owners and billing-level settings
	Admin      Role = "admin"      // everything except managing owners
	Operations Role = "operations" // catalog, suppliers, stock: the daily running of the store
	Support    Role = "support"    // reads everything a customer may ask about; no catalog or stock changes
	Finance    Role = "finance"    // reads catalog, costs and stock; sets pricing rules and decides proposed prices
	ReadOnly   Role = "read_only"  // reads catalog, suppliers and stock
	Supplier   Role = "supplier"   // a supplier's own user: sees only its own supplier's data
)

// StaffRoles are the roles a staff user or API token can hold, most powerful first.
var StaffRoles = []Role{Owner, Admin, Operations, Support, Finance, ReadOnly}

// AllRoles are StaffRoles and Supplier.
var AllRoles = append(slices.Clone(StaffRoles), Supplier)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(AllRoles, r) }

// Permission names one thing a caller may do. Every route declares exactly one.
type Permission string

const (
	// Public routes need no login (health checks, the login page, API docs).
	Public Permission = "public"
	// Authenticated routes need any logged-in caller (the console home, logout, "who am I").
	Authenticated Permission = "authenticated"

	CatalogRead    Permission = "catalog:read"
	CatalogWrite   Permission = "catalog:write"
	SuppliersRead  Permission = "suppliers:read"
	SuppliersWrite Permission = "suppliers:write"
	StockRead      Permission = "stock:read"
	StockWrite     Permission = "stock:write" // manual adjustments, buffers
	UsersRead      Permission = "users:read"
	UsersWrite     Permission = "users:write" // create users, change roles, reset passwords
	TokensWrite    Permission = "tokens:write"
	AuditRead      Permission = "audit:read"
	OrdersRead     Permission = "orders:read"
	OrdersWrite    Permission = "orders:write"  // cancel, edit, hold and release orders; place orders by API
	OrdersImport   Permission = "orders:import" // bulk CSV import of orders
	CustomersRead  Permission = "customers:read"
	// PricingRead shows pricing rules, proposals and price history (costs
	// and margins); PricingWrite changes rules and approves or rejects
	// proposals (see docs/permissions.md for why operations may not).
	PricingRead  Permission = "pricing:read"
	PricingWrite Permission = "pricing:write"
	// SettingsWrite configures integrations with other systems, such as the
	// storefronts stock and prices are published to (their secrets included).
	SettingsWrite Permission = "settings:write"
	// PurchasingRead shows purchase orders to suppliers (with our costs), their
	// sends and the suppliers' fulfilment settings; PurchasingWrite changes
	// those settings, re-sends a PO whose send failed and answers PO lines on
	// a supplier's behalf.
	PurchasingRead  Permission = "purchasing:read"
	PurchasingWrite Permission = "purchasing:write"
	// RoutingRead shows the routing rules and settings and each order's
	// routing decisions with their explanations, and tries the rules on a
	// pasted order; RoutingWrite changes rules and settings.
	RoutingRead  Permission = "routing:read"
	RoutingWrite Permission = "routing:write"
	// WebhooksRead shows the outbound webhook subscriptions (never their
	// secrets) and their delivery logs; WebhooksWrite creates, changes,
	// pauses and deletes them, sends test events and replays deliveries
	// (docs/webhooks.md). Writing is for owner and admin: a subscription
	// sends order data to another system, like settings:write.
	WebhooksRead  Permission = "webhooks:read"
	WebhooksWrite Permission = "webhooks:write"
	// SupplierPortal is the supplier console and API: a supplier user sees only
	// its own supplier's data; the scoping is enforced by the handlers.
	SupplierPortal Permission = "supplier:portal"
	// CouponsRead lists coupons (apology and manual) and the apology-coupon
	// policy; CouponsWrite issues coupons by hand and marks them used.
	// Changing the policy takes SettingsWrite.
	CouponsRead  Permission = "coupons:read"
	CouponsWrite Permission = "coupons:write"
	// RefundsRead lists the refunds due to customers and exports them as
	// CSV; RefundsWrite marks them issued (paid back by the provider).
	RefundsRead  Permission = "refunds:read"
	RefundsWrite Permission = "refunds:write"
)

// table is the one permission table: which roles hold each permission.
// docs/permissions.md shows the same table; a test keeps them in step.
var table = map[Permission][]Role{
	CatalogRead:     {Owner, Admin, Operations, Support, Finance, ReadOnly},
	CatalogWrite:    {Owner, Admin, Operations},
	SuppliersRead:   {Owner, Admin, Operations, Support, Finance, ReadOnly},
	SuppliersWrite:  {Owner, Admin, Operations},
	StockRead:       {Owner, Admin, Operations, Support, Finance, ReadOnly},
	StockWrite:      {Owner, Admin, Operations},
	UsersRead:       {Owner, Admin},
	UsersWrite:      {Owner, Admin},
	TokensWrite:     {Owner, Admin},
	AuditRead:       {Owner, Admin},
	OrdersRead:      {Owner, Admin, Operations, Support, Finance, ReadOnly},
	OrdersWrite:     {Owner, Admin, Operations, Support},
	OrdersImport:    {Owner, Admin, Operations},
	CustomersRead:   {Owner, Admin, Operations, Support, Finance},
	PricingRead:     {Owner, Admin, Operations, Finance},
	PricingWrite:    {Owner, Admin, Finance},
	SettingsWrite:   {Owner, Admin},
	SupplierPortal:  {Supplier},
	PurchasingRead:  {Owner, Admin, Operations, Support, Finance, ReadOnly},
	PurchasingWrite: {Owner, Admin, Operations},
	RoutingRead:     {Owner, Admin, Operations, Support, Finance, ReadOnly},
	RoutingWrite:    {Owner, Admin, Operations},
	WebhooksRead:    {Owner, Admin, Operations},
	WebhooksWrite:   {Owner, Admin},
	CouponsRead:     {Owner, Admin, Operations, Support, Finance},
	CouponsWrite:    {Owner, Admin, Operations, Support},
	RefundsRead:     {Owner, Admin, Operations, Support, Finance},
	RefundsWrite:    {Owner, Admin, Finance},
}

// Permissions lists every permission that roles can hold, in table order.
func Permissions() []Permission {
	return []Permission{CatalogRead, CatalogWrite, SuppliersRead, SuppliersWrite, StockRead, StockWrite,
		UsersRead, UsersWrite, TokensWrite, AuditRead, OrdersRead, OrdersWrite, OrdersImport, CustomersRead, PricingRead, PricingWrite, SettingsWrite, SupplierPortal,
		PurchasingRead, PurchasingWrite, RoutingRead, RoutingWrite, WebhooksRead, WebhooksWrite,
		CouponsRead, CouponsWrite, RefundsRead, RefundsWrite}
}

// RolesWith returns the roles that hold p.
func RolesWith(p Permission) []Role { return slices.Clone(table[p]) }

// Can reports whether role r holds permission p. Public and Authenticated are
// checked by the caller's presence, not here: Can returns true for them.
func (r Role) Can(p Permission) bool {
	if p == Public || p == Authenticated {
		return true
	}
	return slices.Contains(table[p], r)
}
