package web

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/routing"
	"github.com/orderly-oms/orderly/internal/shipping"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// The supplier isolation matrix (issue 7, item 5): every route with the
// permission supplier:portal — API and console — is walked from the server's
// route table, and each must have a case below. Supplier A acts against
// supplier B's resources: a route naming one answers 404 and changes nothing;
// a list or export answers 200 without any of B's data (its PO number, SKUs,
// customer, address, tracking number, digest). A's own resources work through
// the same routes; staff get 403 on every supplier route, and a supplier token
// gets 403 on every staff API route.

// isoSide is one supplier's seeded world: an order routed to it on a sent PO,
// a parcel, a digest, an API token and a logged-in user.
type isoSide struct {
	supplier, variant, offer int64
	order, po, line          int64
	shipment                 int64
	question                 int64 // an open restock question about its variant
	token                    string
	tokenID                  int64
	user                     *consoleClient
	// marks are strings only this supplier's data carries: none may show
	// to the other supplier.
	marks []string
}

type isoEnv struct {
	t    *testing.T
	s    *Server
	db   *store.DB
	base string
	a, b isoSide
	// seq makes each own-write's tracking number unique.
	seq int
}

// isoSpec describes a supplier's seed.
type isoSpec struct {
	name, sku, supSKU, title string
	customer, email, street  string
	city, postal, country    string
	tracking, carrier        string
	digest, tokenName        string
	quantity, shipped        int
}

func isoSeed(t *testing.T, s *Server, base string, fx *orderstest.Fixture, sup int64, sp isoSpec) isoSide {
	t.Helper()
	ctx := context.Background()
	db := s.cfg.DB
	now := fx.Clock.Now()
	side := isoSide{supplier: sup}
	insert := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.W.QueryRow(q+" RETURNING id", args...).Scan(&id); err != nil {
			t.Fatalf("seed %q: %v", q, err)
		}
		return id
	}
	p := insert(`INSERT INTO products (title, status, created_at, updated_at) VALUES ($1, 'active', $2, $2)`, sp.title, now)
	side.variant = insert(`INSERT INTO variants (product_id, sku, title, price_amount, price_currency, status, created_at, updated_at)
		VALUES ($1, $2, '', 1000, 'EUR', 'active', $3, $3)`, p, sp.sku, now)
	side.offer = insert(`INSERT INTO supplier_offers (supplier_id, variant_id, supplier_sku, cost_amount, cost_currency, lead_time_days,
		min_order_qty, priority, status, created_at, updated_at)
		VALUES ($1, $2, $3, 500, 'EUR', 3, 1, 1, 'active', $4, $4)`, sup, side.variant, sp.supSKU, now)
	if _, err := fx.Inventory.Report(ctx, side.offer, 20, time.Time{}, "test"); err != nil {
		t.Fatal(err)
	}
	placed, err := fx.Orders.Place(ctx, orders.PlaceInput{Currency: "EUR",
		Customer:        orders.CustomerInput{Email: sp.email, Name: sp.customer},
		ShippingAddress: customers.Address{Name: sp.customer, Line1: sp.street, City: sp.city, PostalCode: sp.postal, Country: sp.country},
		Lines:           []orders.LineInput{{SKU: sp.sku, Quantity: sp.quantity}}})
	if err != nil {
		t.Fatal(err)
	}
	side.order = placed.Order.Number
	l := placed.Order.Lines[0]
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		return s.cfg.Purchasing.AddTx(ctx, tx, []routing.Assignment{{OrderID: side.order, OrderLineID: l.ID, Position: l.Position,
			SupplierID: sup, OfferID: side.offer, VariantID: l.VariantID, SKU: l.SKU, SupplierSKU: sp.supSKU, Title: l.Title,
			Quantity: sp.quantity, UnitCost: money.Money{Amount: 500, Currency: "EUR"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.Orders.SendToSupplier(ctx, side.order, nil, "routed"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.cfg.Purchasing.SendDue(ctx); err != nil || n != 1 {
		t.Fatalf("SendDue: %d, %v", n, err)
	}
	if err := db.R.QueryRow(`SELECT purchase_order_id, id FROM purchase_order_lines WHERE order_id = $1`, side.order).Scan(&side.po, &side.line); err != nil {
		t.Fatal(err)
	}
	added, err := s.cfg.Shipping.AddShipment(ctx, sup, shipping.NewShipment{Carrier: sp.carrier, TrackingNumber: sp.tracking,
		Lines: []shipping.NewLine{{POLineID: side.line, Quantity: sp.shipped}}})
	if err != nil {
		t.Fatalf("seed shipment: %v", err)
	}
	side.shipment = added.Shipment.ID
	side.question = insert(`INSERT INTO restock_questions (supplier_id, variant_id, offer_id, status, asked_at, updated_at)
		VALUES ($1, $2, $3, 'open', $4, $4)`, sup, side.variant, side.offer, now)
	if _, err := db.W.Exec(`INSERT INTO supplier_digests (supplier_id, local_day, locale, status, recipients, subject, body, created_at, updated_at)
		VALUES ($1, '2026-03-02', 'en', 'no_recipient', '', $2, $3, $4, $4)`,
		sup, "Your day: "+sp.digest, sp.digest+": "+sp.customer+", "+sp.street, now); err != nil {
		t.Fatal(err)
	}
	sctx := auth.WithPrincipal(ctx, auth.System("test"))
	var tok *auth.Token
	if side.token, tok, err = s.cfg.Auth.CreateToken(sctx, auth.NewToken{Name: sp.tokenName, Role: auth.Supplier, SupplierID: sup}); err != nil {
		t.Fatal(err)
	}
	side.tokenID = tok.ID
	const password = "correct horse battery"
	if _, err := s.cfg.Auth.CreateUser(sctx, auth.NewUser{Email: "user@" + strings.ToLower(sp.name) + ".example", Name: sp.name + " user",
		Role: auth.Supplier, Password: password, SupplierID: sup}); err != nil {
		t.Fatal(err)
	}
	side.user = newConsoleClient(t, base)
	side.marks = []string{fmt.Sprintf("PO-%d", side.po), sp.sku, sp.supSKU, sp.title, sp.customer, sp.email, sp.street, sp.postal,
		sp.tracking, sp.digest, sp.tokenName}
	return side
}

// apiCall sends one API request with a bearer token (none: hc's cookies).
func apiCall(t *testing.T, hc *http.Client, base, token, method, path, ctype, body string) consoleResponse {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return consoleResponse{status: res.StatusCode, header: res.Header, body: string(b)}
}

// api calls the API as supplier A with its token.
func (e *isoEnv) api(method, path, ctype, body string) consoleResponse {
	e.t.Helper()
	return apiCall(e.t, nil, e.base, e.a.token, method, APIPrefix+path, ctype, body)
}

// upload posts a multipart form with a CSV "file" as A's logged-in user.
func (e *isoEnv) upload(path, csv string) consoleResponse {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", "upload.csv")
	if err != nil {
		e.t.Fatal(err)
	}
	io.WriteString(fw, csv)
	if err := mw.Close(); err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.base+path, &b)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return e.a.user.do(req)
}

// state is everything of B's that a write by A could change, and A's
// purchase-order line (for the mixed cases naming A's and B's ids).
func (e *isoEnv) state() string {
	e.t.Helper()
	var b strings.Builder
	row := func(q string, args ...any) {
		e.t.Helper()
		rows, err := e.db.R.Query(q, args...)
		if err != nil {
			e.t.Fatalf("state %q: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			fmt.Fprintf(&b, "%v\n", vals)
		}
		if err := rows.Err(); err != nil {
			e.t.Fatal(err)
		}
	}
	for _, l := range []int64{e.a.line, e.b.line} {
		row(`SELECT state, qty_pending, qty_accepted, qty_shipped, qty_rejected, qty_cancelled, reject_reason, answered_by
			FROM purchase_order_lines WHERE id = $1`, l)
	}
	row(`SELECT state FROM purchase_orders WHERE id = $1`, e.b.po)
	row(`SELECT state, qty_reserved, qty_shipped, qty_cancelled FROM order_lines WHERE order_id = $1`, e.b.order)
	row(`SELECT COUNT(*) FROM shipments WHERE supplier_id = $1 OR order_id = $2`, e.b.supplier, e.b.order)
	row(`SELECT COUNT(*), COALESCE(SUM(quantity), 0) FROM shipment_lines WHERE purchase_order_line_id = $1`, e.b.line)
	row(`SELECT COUNT(*) FROM order_timeline WHERE order_id = $1`, e.b.order)
	row(`SELECT COUNT(*) FROM supplier_digests WHERE supplier_id = $1`, e.b.supplier)
	row(`SELECT id, status, answer, expected_at, answered_by FROM restock_questions WHERE supplier_id = $1 ORDER BY id`, e.b.supplier)
	row(`SELECT COUNT(*) FROM supplier_offer_restocks WHERE offer_id = $1`, e.b.offer)
	ats, err := e.s.cfg.Inventory.ATS(context.Background(), e.db.R, e.b.variant)
	if err != nil {
		e.t.Fatal(err)
	}
	fmt.Fprintf(&b, "ats %d\n", ats)
	toks, err := e.s.cfg.Auth.SupplierTokens(auth.WithPrincipal(context.Background(), auth.System("test")), e.b.supplier, 0, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, tk := range toks {
		fmt.Fprintf(&b, "token %d %s revoked=%v\n", tk.ID, tk.Name, tk.RevokedAt != nil)
	}
	return b.String()
}

// noB fails unless r's body is free of B's identifying data.
func (e *isoEnv) noB(what string, r consoleResponse) {
	e.t.Helper()
	for _, m := range e.b.marks {
		if strings.Contains(r.body, m) {
			e.t.Errorf("%s: supplier A sees B's %q (status %d):\n%s", what, m, r.status, r.body)
		}
	}
}

func (e *isoEnv) want(what string, r consoleResponse, status int, parts ...string) {
	e.t.Helper()
	if r.status != status {
		e.t.Errorf("%s: status %d, want %d:\n%s", what, r.status, status, r.body)
		return
	}
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			e.t.Errorf("%s: body lacks %q:\n%s", what, p, r.body)
		}
	}
}

// notFound wants a 404 that tells nothing of B.
func (e *isoEnv) notFound(what string, r consoleResponse) {
	e.t.Helper()
	e.want(what, r, http.StatusNotFound)
	e.noB(what, r)
}

// listed wants a 200 free of B's data.
func (e *isoEnv) listed(what string, r consoleResponse) {
	e.t.Helper()
	e.want(what, r, http.StatusOK)
	e.noB(what, r)
}

// ownQuestion closes A's open restock questions and opens a new one, for a
// case that answers it.
func (e *isoEnv) ownQuestion() int64 {
	e.t.Helper()
	if _, err := e.db.W.Exec(`UPDATE restock_questions SET status = 'closed' WHERE supplier_id = $1 AND status = 'open'`, e.a.supplier); err != nil {
		e.t.Fatal(err)
	}
	var id int64
	if err := e.db.W.QueryRow(`INSERT INTO restock_questions (supplier_id, variant_id, offer_id, status, asked_at, updated_at)
		VALUES ($1, $2, $3, 'open', $4, $4) RETURNING id`, e.a.supplier, e.a.variant, e.a.offer, e.s.now()).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *isoEnv) tracking() string {
	e.seq++
	return fmt.Sprintf("ALPHA-OWN-%d", e.seq)
}

// isoCase is one supplier route: cross acts as A on B's resources, own as A
// on its own.
type isoCase struct {
	cross, own func(e *isoEnv)
}

func isoCases() map[string]isoCase {
	sp := "/api/v1/supplier"
	return map[string]isoCase{
		"GET " + sp + "/purchase-orders": {
			cross: func(e *isoEnv) {
				e.listed("list POs", e.api("GET", "/supplier/purchase-orders", "", ""))
				e.listed("list POs, B's supplier asked", e.api("GET", fmt.Sprintf("/supplier/purchase-orders?supplier_id=%d", e.b.supplier), "", ""))
				e.listed("list POs, unanswered", e.api("GET", "/supplier/purchase-orders?unacknowledged=true", "", ""))
			},
			own: func(e *isoEnv) {
				e.want("own POs", e.api("GET", "/supplier/purchase-orders", "", ""), 200, fmt.Sprintf(`"id":%d`, e.a.po))
			},
		},
		"GET " + sp + "/purchase-orders/{id}": {
			cross: func(e *isoEnv) {
				e.notFound("B's PO", e.api("GET", fmt.Sprintf("/supplier/purchase-orders/%d", e.b.po), "", ""))
			},
			own: func(e *isoEnv) {
				e.want("own PO", e.api("GET", fmt.Sprintf("/supplier/purchase-orders/%d", e.a.po), "", ""), 200, e.a.marks[4], e.a.marks[6])
			},
		},
		"POST " + sp + "/purchase-orders/{id}/lines/{line}/answer": {
			cross: func(e *isoEnv) {
				for _, ids := range [][2]int64{{e.b.po, e.b.line}, {e.a.po, e.b.line}, {e.b.po, e.a.line}} {
					e.notFound(fmt.Sprintf("answer PO %d line %d", ids[0], ids[1]), e.api("POST",
						fmt.Sprintf("/supplier/purchase-orders/%d/lines/%d/answer", ids[0], ids[1]), "application/json", `{"accepted":1}`))
					e.notFound("reject B's line", e.api("POST", fmt.Sprintf("/supplier/purchase-orders/%d/lines/%d/answer", ids[0], ids[1]),
						"application/json", `{"rejected":1,"reason":"no"}`))
				}
			},
			own: func(e *isoEnv) {
				e.want("answer own line", e.api("POST", fmt.Sprintf("/supplier/purchase-orders/%d/lines/%d/answer", e.a.po, e.a.line),
					"application/json", `{"accepted":1}`), 200)
			},
		},
		"POST " + sp + "/purchase-orders/reply": {
			cross: func(e *isoEnv) {
				r := e.api("POST", "/supplier/purchase-orders/reply", "text/csv", fmt.Sprintf("po_line_id,accepted_qty\n%d,1\n", e.b.line))
				e.noB("reply naming B's line", r)
				e.notApplied("reply naming B's line", r)
				r = e.api("POST", "/supplier/purchase-orders/reply", "text/csv", fmt.Sprintf("po_number,supplier_sku,rejected_qty,reason\nPO-%d,%s,1,no\n", e.b.po, e.b.marks[2]))
				e.notApplied("reply naming B's PO and SKU", r)
			},
			own: func(e *isoEnv) {
				e.want("own reply", e.api("POST", "/supplier/purchase-orders/reply", "text/csv", fmt.Sprintf("po_line_id,accepted_qty\n%d,1\n", e.a.line)),
					200, `"applied":true`)
			},
		},
		"GET " + sp + "/purchase-orders/open.csv": {
			cross: func(e *isoEnv) {
				e.listed("open lines CSV", e.api("GET", "/supplier/purchase-orders/open.csv", "", ""))
			},
			own: func(e *isoEnv) {
				e.want("own open lines CSV", e.api("GET", "/supplier/purchase-orders/open.csv", "", ""), 200, e.a.marks[2], e.a.marks[4])
			},
		},
		"GET " + sp + "/shipments": {
			cross: func(e *isoEnv) {
				e.listed("list shipments", e.api("GET", "/supplier/shipments", "", ""))
				e.listed("list shipments of B's order", e.api("GET", fmt.Sprintf("/supplier/shipments?order_number=%d", e.b.order), "", ""))
			},
			own: func(e *isoEnv) {
				e.want("own shipments", e.api("GET", "/supplier/shipments", "", ""), 200, e.a.marks[8])
			},
		},
		"GET " + sp + "/shipments/{id}": {
			cross: func(e *isoEnv) {
				e.notFound("B's shipment", e.api("GET", fmt.Sprintf("/supplier/shipments/%d", e.b.shipment), "", ""))
			},
			own: func(e *isoEnv) {
				e.want("own shipment", e.api("GET", fmt.Sprintf("/supplier/shipments/%d", e.a.shipment), "", ""), 200, e.a.marks[8])
			},
		},
		"POST " + sp + "/shipments": {
			cross: func(e *isoEnv) {
				for _, body := range []string{
					fmt.Sprintf(`{"carrier":"Speedy","tracking_number":"CROSS-1","lines":[{"po_line_id":%d,"quantity":1}]}`, e.b.line),
					fmt.Sprintf(`{"carrier":"Speedy","tracking_number":"CROSS-2","lines":[{"po_line_id":%d,"quantity":1},{"po_line_id":%d,"quantity":1}]}`, e.a.line, e.b.line),
					fmt.Sprintf(`{"order_number":%d,"carrier":"Speedy","tracking_number":"CROSS-3","lines":[{"po_line_id":%d,"quantity":1}]}`, e.b.order, e.b.line),
				} {
					e.notFound("ship B's line: "+body, e.api("POST", "/supplier/shipments", "application/json", body))
				}
				// A's line into B's order: refused, and nothing of B is told.
				r := e.api("POST", "/supplier/shipments", "application/json",
					fmt.Sprintf(`{"order_number":%d,"carrier":"Speedy","tracking_number":"CROSS-4","lines":[{"po_line_id":%d,"quantity":1}]}`, e.b.order, e.a.line))
				if r.status < 400 || r.status >= 500 {
					e.t.Errorf("A's line shipped as B's order: status %d:\n%s", r.status, r.body)
				}
				e.noB("A's line shipped as B's order", r)
			},
			own: func(e *isoEnv) {
				e.want("ship own line", e.api("POST", "/supplier/shipments", "application/json",
					fmt.Sprintf(`{"carrier":"Speedy","tracking_number":%q,"lines":[{"po_line_id":%d,"quantity":1}]}`, e.tracking(), e.a.line)), 201)
			},
		},
		"POST " + sp + "/shipments/tracking": {
			cross: func(e *isoEnv) {
				r := e.api("POST", "/supplier/shipments/tracking", "text/csv",
					fmt.Sprintf("po_line_id,quantity,carrier,tracking_number\n%d,1,Speedy,CROSS-5\n", e.b.line))
				e.noB("tracking CSV naming B's line", r)
				e.noneApplied("tracking CSV naming B's line", r)
				r = e.api("POST", "/supplier/shipments/tracking", "text/csv",
					fmt.Sprintf("po_number,supplier_sku,quantity,carrier,tracking_number\nPO-%d,%s,1,Speedy,CROSS-6\n", e.b.po, e.b.marks[2]))
				e.noneApplied("tracking CSV naming B's PO", r)
				r = e.api("POST", "/supplier/shipments/tracking", "text/csv",
					fmt.Sprintf("order_number,supplier_sku,quantity,carrier,tracking_number\n%d,%s,1,Speedy,CROSS-7\n", e.b.order, e.b.marks[2]))
				e.noneApplied("tracking CSV naming B's order", r)
			},
			own: func(e *isoEnv) {
				e.want("own tracking CSV", e.api("POST", "/supplier/shipments/tracking", "text/csv",
					fmt.Sprintf("po_line_id,quantity,carrier,tracking_number\n%d,1,Speedy,%s\n", e.a.line, e.tracking())), 200, `"applied":1`)
			},
		},
		"GET " + sp + "/digests": {
			cross: func(e *isoEnv) { e.listed("list digests", e.api("GET", "/supplier/digests", "", "")) },
			own:   func(e *isoEnv) { e.want("own digests", e.api("GET", "/supplier/digests", "", ""), 200, e.a.marks[9]) },
		},
		"GET " + sp + "/restock-questions": {
			cross: func(e *isoEnv) {
				for _, q := range []string{"", "?status=open", "?status=answered", "?limit=200"} {
					e.listed("restock questions"+q, e.api("GET", "/supplier/restock-questions"+q, "", ""))
				}
			},
			own: func(e *isoEnv) {
				e.want("own restock questions", e.api("GET", "/supplier/restock-questions", "", ""), 200,
					fmt.Sprintf(`"id":%d`, e.a.question), e.a.marks[2])
			},
		},
		"POST " + sp + "/restock-questions/{id}/answer": {
			cross: func(e *isoEnv) {
				for _, body := range []string{`{"answer":"date","expected_on":"2026-04-01"}`, `{"answer":"discontinued"}`} {
					e.notFound("answer B's restock question "+body, e.api("POST", fmt.Sprintf("/supplier/restock-questions/%d/answer", e.b.question),
						"application/json", body))
				}
			},
			own: func(e *isoEnv) {
				e.want("answer own restock question", e.api("POST", fmt.Sprintf("/supplier/restock-questions/%d/answer", e.ownQuestion()),
					"application/json", `{"answer":"date","expected_on":"2026-04-01"}`), 200, `"status":"answered"`, `"answer":"date"`)
			},
		},
		"GET " + sp + "/tokens": {
			cross: func(e *isoEnv) { e.listed("list tokens", e.api("GET", "/supplier/tokens", "", "")) },
			own:   func(e *isoEnv) { e.want("own tokens", e.api("GET", "/supplier/tokens", "", ""), 200, e.a.marks[10]) },
		},
		"POST " + sp + "/tokens": {
			cross: func(e *isoEnv) {
				// A's user asks for a token of B's: the supplier is the caller's, whatever the body says.
				r := apiCall(e.t, e.a.user.http, e.base, "", "POST", APIPrefix+"/supplier/tokens", "application/json",
					fmt.Sprintf(`{"name":"sneaky","supplier_id":%d}`, e.b.supplier))
				if r.status == http.StatusCreated && !strings.Contains(r.body, fmt.Sprintf(`"supplier_id":%d`, e.a.supplier)) {
					e.t.Errorf("A's user made a token not of A: %s", r.body)
				}
				if r.status != http.StatusCreated && r.status != http.StatusUnprocessableEntity {
					e.t.Errorf("token with B's supplier_id: status %d:\n%s", r.status, r.body)
				}
				e.noB("token with B's supplier_id", r)
			},
			own: func(e *isoEnv) {
				e.want("own token", apiCall(e.t, e.a.user.http, e.base, "", "POST", APIPrefix+"/supplier/tokens", "application/json", `{"name":"own"}`),
					201, fmt.Sprintf(`"supplier_id":%d`, e.a.supplier))
			},
		},
		"DELETE " + sp + "/tokens/{id}": {
			cross: func(e *isoEnv) {
				e.notFound("revoke B's token", e.api("DELETE", fmt.Sprintf("/supplier/tokens/%d", e.b.tokenID), "", ""))
				e.notFound("A's user revokes B's token", apiCall(e.t, e.a.user.http, e.base, "", "DELETE",
					fmt.Sprintf("%s/supplier/tokens/%d", APIPrefix, e.b.tokenID), "", ""))
				if r := apiCall(e.t, nil, e.base, e.b.token, "GET", APIPrefix+"/supplier/purchase-orders", "", ""); r.status != 200 {
					e.t.Errorf("B's token after A tried to revoke it: %d", r.status)
				}
			},
			own: func(e *isoEnv) {
				sctx := auth.WithPrincipal(context.Background(), auth.System("test"))
				_, tok, err := e.s.cfg.Auth.CreateToken(sctx, auth.NewToken{Name: "throwaway", Role: auth.Supplier, SupplierID: e.a.supplier})
				if err != nil {
					e.t.Fatal(err)
				}
				e.want("revoke own token", apiCall(e.t, e.a.user.http, e.base, "", "DELETE", fmt.Sprintf("%s/supplier/tokens/%d", APIPrefix, tok.ID), "", ""),
					200, `"revoked_at"`)
			},
		},
		"POST " + sp + "/feed": {
			cross: func(e *isoEnv) {
				// B's supplier SKU in A's feed: B's stock does not move (the state check).
				r := e.api("POST", "/supplier/feed?filename=push.csv", "text/csv", fmt.Sprintf("Code,Stock\n%s,0\n", e.b.marks[2]))
				if r.status >= 500 {
					e.t.Errorf("A's feed naming B's SKU: %d:\n%s", r.status, r.body)
				}
			},
			own: func(e *isoEnv) {
				e.want("own feed", e.api("POST", "/supplier/feed?filename=push.csv", "text/csv", fmt.Sprintf("Code,Stock\n%s,40\n", e.a.marks[2])),
					201, `"status":"applied"`)
			},
		},

		"GET /console/supplier": {
			cross: func(e *isoEnv) {
				for _, q := range []string{"", "?filter=unanswered", "?filter=overdue", fmt.Sprintf("?before=%d", e.b.po+1)} {
					e.listed("console POs"+q, e.a.user.get("/console/supplier"+q))
				}
			},
			own: func(e *isoEnv) { e.want("own console POs", e.a.user.get("/console/supplier"), 200, e.a.marks[0]) },
		},
		"GET /console/supplier/purchase-orders/{id}": {
			cross: func(e *isoEnv) {
				e.notFound("console B's PO", e.a.user.get(fmt.Sprintf("/console/supplier/purchase-orders/%d", e.b.po)))
			},
			own: func(e *isoEnv) {
				e.want("own console PO", e.a.user.get(fmt.Sprintf("/console/supplier/purchase-orders/%d", e.a.po)), 200, e.a.marks[4], e.a.marks[6], e.a.marks[8])
			},
		},
		"POST /console/supplier/purchase-orders/{id}/lines/{line}/answer": {
			cross: func(e *isoEnv) {
				for _, ids := range [][2]int64{{e.b.po, e.b.line}, {e.a.po, e.b.line}, {e.b.po, e.a.line}} {
					e.notFound(fmt.Sprintf("console answer PO %d line %d", ids[0], ids[1]), e.a.user.post(
						fmt.Sprintf("/console/supplier/purchase-orders/%d/lines/%d/answer", ids[0], ids[1]), url.Values{"accepted": {"1"}}))
				}
			},
			own: func(e *isoEnv) {
				e.want("console answer own line", e.a.user.post(fmt.Sprintf("/console/supplier/purchase-orders/%d/lines/%d/answer", e.a.po, e.a.line),
					url.Values{"accepted": {"1"}}), http.StatusSeeOther)
			},
		},
		"POST /console/supplier/purchase-orders/{id}/shipments": {
			cross: func(e *isoEnv) {
				for _, c := range []struct{ po, line int64 }{{e.b.po, e.b.line}, {e.a.po, e.b.line}, {e.b.po, e.a.line}} {
					e.notFound(fmt.Sprintf("console ship PO %d line %d", c.po, c.line), e.a.user.post(
						fmt.Sprintf("/console/supplier/purchase-orders/%d/shipments", c.po),
						url.Values{"carrier": {"other"}, "carrier_other": {"Speedy"}, "tracking_number": {"CROSS-8"}, fmt.Sprintf("qty-%d", c.line): {"1"}}))
				}
			},
			own: func(e *isoEnv) {
				e.want("console ship own line", e.a.user.post(fmt.Sprintf("/console/supplier/purchase-orders/%d/shipments", e.a.po),
					url.Values{"carrier": {"other"}, "carrier_other": {"Speedy"}, "tracking_number": {e.tracking()}, fmt.Sprintf("qty-%d", e.a.line): {"1"}}),
					http.StatusSeeOther)
			},
		},
		"POST /console/supplier/replies": {
			cross: func(e *isoEnv) {
				r := e.upload("/console/supplier/replies", fmt.Sprintf("po_line_id,accepted_qty\n%d,1\n", e.b.line))
				e.noB("console reply naming B's line", r)
				if r.status < 400 || r.status >= 500 || !strings.Contains(r.body, "nothing recorded") {
					e.t.Errorf("console reply naming B's line: status %d:\n%s", r.status, r.body)
				}
			},
			own: func(e *isoEnv) {
				e.want("console own reply", e.upload("/console/supplier/replies", fmt.Sprintf("po_line_id,accepted_qty\n%d,1\n", e.a.line)), 200, "recorded")
			},
		},
		"POST /console/supplier/tracking": {
			cross: func(e *isoEnv) {
				r := e.upload("/console/supplier/tracking", fmt.Sprintf("po_line_id,quantity,carrier,tracking_number\n%d,1,Speedy,CROSS-9\n", e.b.line))
				e.noB("console tracking naming B's line", r)
				if r.status >= 500 || !strings.Contains(r.body, "0 recorded") {
					e.t.Errorf("console tracking naming B's line: status %d:\n%s", r.status, r.body)
				}
			},
			own: func(e *isoEnv) {
				e.want("console own tracking", e.upload("/console/supplier/tracking",
					fmt.Sprintf("po_line_id,quantity,carrier,tracking_number\n%d,1,Speedy,%s\n", e.a.line, e.tracking())), 200, "1 rows, 1 recorded")
			},
		},
		"GET /console/supplier/open-lines.csv": {
			cross: func(e *isoEnv) { e.listed("console open lines", e.a.user.get("/console/supplier/open-lines.csv")) },
			own: func(e *isoEnv) {
				e.want("console own open lines", e.a.user.get("/console/supplier/open-lines.csv"), 200, e.a.marks[2], e.a.marks[6])
			},
		},
		"GET /console/supplier/restock-questions": {
			cross: func(e *isoEnv) {
				for _, q := range []string{"", "?filter=answered", "?filter=closed", "?all=1"} {
					e.listed("console restock questions"+q, e.a.user.get("/console/supplier/restock-questions"+q))
				}
			},
			own: func(e *isoEnv) {
				e.want("console own restock questions", e.a.user.get("/console/supplier/restock-questions?all=1"), 200, e.a.marks[2], e.a.marks[3])
			},
		},
		"POST /console/supplier/restock-questions/{id}/answer": {
			cross: func(e *isoEnv) {
				e.notFound("console answer B's restock question", e.a.user.post(fmt.Sprintf("/console/supplier/restock-questions/%d/answer", e.b.question),
					url.Values{"answer": {"date"}, "expected_on": {"2026-04-01"}}))
			},
			own: func(e *isoEnv) {
				e.want("console answer own restock question", e.a.user.post(fmt.Sprintf("/console/supplier/restock-questions/%d/answer", e.ownQuestion()),
					url.Values{"answer": {"unknown"}}), http.StatusSeeOther)
			},
		},
		"GET /console/supplier/digests": {
			cross: func(e *isoEnv) { e.listed("console digests", e.a.user.get("/console/supplier/digests")) },
			own: func(e *isoEnv) {
				e.want("console own digests", e.a.user.get("/console/supplier/digests"), 200, e.a.marks[9])
			},
		},
	}
}

// notApplied wants a reply CSV answer that recorded nothing.
func (e *isoEnv) notApplied(what string, r consoleResponse) {
	e.t.Helper()
	if r.status >= 500 || r.status < 400 && !strings.Contains(r.body, `"applied":false`) || strings.Contains(r.body, `"applied":true`) {
		e.t.Errorf("%s: status %d, want nothing applied:\n%s", what, r.status, r.body)
	}
}

// noneApplied wants a tracking CSV answer with no row applied.
func (e *isoEnv) noneApplied(what string, r consoleResponse) {
	e.t.Helper()
	if r.status >= 500 || r.status < 400 && !strings.Contains(r.body, `"applied":0`) {
		e.t.Errorf("%s: status %d, want no row applied:\n%s", what, r.status, r.body)
	}
}

var isoParam = regexp.MustCompile(`\{[^}]+\}`)

// TestSupplierIsolationMatrix walks every supplier route (see the comment
// at the top of the file).
func TestSupplierIsolationMatrix(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		fx := orderstest.New(t, db, orders.Options{})
		s, base := newConsoleServerWith(t, Config{DB: db, Now: fx.Clock.Now, Inventory: fx.Inventory, Customers: fx.Customers, Orders: fx.Orders})
		var supB int64
		if err := db.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
			VALUES ('Beta Supplies', 'Europe/Rome', 'IT', 'active', $1, $1) RETURNING id`, fx.Clock.Now()).Scan(&supB); err != nil {
			t.Fatal(err)
		}
		e := &isoEnv{t: t, s: s, db: db, base: base}
		e.a = isoSeed(t, s, base, fx, fx.Supplier, isoSpec{name: "Alpha", sku: "ALPHA-SKU-11", supSKU: "ASUP-11", title: "Alpha Teapot",
			customer: "Ana Alves", email: "ana@alpha.example", street: "Rua Augusta 1", city: "Lisboa", postal: "1100-048", country: "PT",
			carrier: "Speedy", tracking: "ALPHA-TRK-0", digest: "ALPHA-DIGEST", tokenName: "Alpha nightly", quantity: 10, shipped: 1})
		e.b = isoSeed(t, s, base, fx, supB, isoSpec{name: "Beta", sku: "BETA-SKU-77", supSKU: "BSUP-77", title: "Beta Vase",
			customer: "Bruno Bianchi", email: "bruno@beta.example", street: "Via Zamboni 33", city: "Bologna", postal: "40126", country: "IT",
			carrier: "UPS", tracking: "1Z12345E0205271686", digest: "BETA-DIGEST", tokenName: "Beta nightly", quantity: 3, shipped: 1})
		e.b.marks = append(e.b.marks, "Beta Supplies")
		const password = "correct horse battery"
		e.a.user.login("user@alpha.example", password)
		e.b.user.login("user@beta.example", password)

		// A needs a feed mapping to push its feed.
		sctx := auth.WithPrincipal(context.Background(), auth.System("test"))
		admin, _, err := s.cfg.Auth.CreateToken(sctx, auth.NewToken{Name: "setup", Role: auth.Admin})
		if err != nil {
			t.Fatal(err)
		}
		for _, sup := range []int64{e.a.supplier, e.b.supplier} {
			if r := apiCall(t, nil, base, admin, "PUT", fmt.Sprintf("%s/suppliers/%d/feed", APIPrefix, sup), "application/json",
				`{"mapping":{"sku":"Code","quantity":"Stock"}}`); r.status != 200 {
				t.Fatalf("feed mapping: %d %s", r.status, r.body)
			}
		}

		// Every supplier route has a case, and every case a route.
		cases := isoCases()
		var routes []Route
		seen := map[string]bool{}
		var missing []string
		for _, r := range s.Routes() {
			if r.Permission != auth.SupplierPortal {
				continue
			}
			key := r.Method + " " + r.Path
			if _, ok := cases[key]; !ok {
				missing = append(missing, key)
				continue
			}
			seen[key] = true
			routes = append(routes, r)
		}
		if len(missing) > 0 {
			t.Errorf("supplier routes without an isolation case (add one to isoCases): %s", strings.Join(missing, ", "))
		}
		for key := range cases {
			if !seen[key] {
				t.Errorf("isolation case %q names no supplier:portal route", key)
			}
		}
		if len(routes) < 20 {
			t.Fatalf("only %d supplier routes found: the route table is not what this test expects", len(routes))
		}

		// Staff, whatever their role, get 403 on every supplier route.
		fill := func(path string) string {
			return isoParam.ReplaceAllStringFunc(path, func(p string) string {
				if p == "{line}" {
					return fmt.Sprint(e.a.line)
				}
				if strings.Contains(path, "/shipments/") {
					return fmt.Sprint(e.a.shipment)
				}
				if strings.Contains(path, "/tokens/") {
					return fmt.Sprint(e.a.tokenID)
				}
				return fmt.Sprint(e.a.po)
			})
		}
		staffUser, staffPW := consoleUser(t, s, auth.Owner, "owner@example.com")
		staff := newConsoleClient(t, base)
		staff.login(staffUser, staffPW)
		before := e.state()
		for _, r := range routes {
			path := fill(r.Path)
			if r.Console {
				var got consoleResponse
				if r.Method == http.MethodGet {
					got = staff.get(path)
				} else {
					got = staff.post(path, url.Values{"accepted": {"1"}})
				}
				if got.status != http.StatusForbidden {
					t.Errorf("staff user %s %s: status %d, want 403", r.Method, path, got.status)
				}
				continue
			}
			for _, role := range auth.StaffRoles {
				tok, _, err := s.cfg.Auth.CreateToken(sctx, auth.NewToken{Name: "staff " + string(role), Role: role})
				if err != nil {
					t.Fatal(err)
				}
				if got := apiCall(t, nil, base, tok, r.Method, path, "application/json", "{}"); got.status != http.StatusForbidden {
					t.Errorf("%s token %s %s: status %d, want 403: %s", role, r.Method, path, got.status, got.body)
				}
			}
			// The staff user's session on the API too.
			if got := apiCall(t, staff.http, base, "", r.Method, path, "application/json", "{}"); got.status != http.StatusForbidden {
				t.Errorf("staff session %s %s: status %d, want 403: %s", r.Method, path, got.status, got.body)
			}
		}
		if after := e.state(); after != before {
			t.Errorf("staff calls changed the store:\nbefore:\n%s\nafter:\n%s", before, after)
		}

		// Supplier A against B: 404 or lists without B, and nothing of B changes.
		for _, r := range routes {
			key := r.Method + " " + r.Path
			before := e.state()
			cases[key].cross(e)
			if after := e.state(); after != before {
				t.Errorf("%s as supplier A against B changed the store:\nbefore:\n%s\nafter:\n%s", key, before, after)
			}
		}

		// A's own resources work through the same routes.
		for _, r := range routes {
			cases[r.Method+" "+r.Path].own(e)
		}
		var shipped, accepted int
		if err := db.R.QueryRow(`SELECT qty_shipped, qty_accepted FROM purchase_order_lines WHERE id = $1`, e.a.line).Scan(&shipped, &accepted); err != nil {
			t.Fatal(err)
		}
		// Seeded 1, then one parcel each by API, tracking CSV, console form and console CSV.
		if shipped != 5 {
			t.Errorf("A's line has %d units shipped, want 5", shipped)
		}

		// B is still intact for B: its own token and user see its PO.
		if r := apiCall(t, nil, base, e.b.token, "GET", fmt.Sprintf("%s/supplier/purchase-orders/%d", APIPrefix, e.b.po), "", ""); r.status != 200 ||
			!strings.Contains(r.body, "Bruno Bianchi") {
			t.Errorf("B's own PO for B: %d %s", r.status, r.body)
		}
		wantStatus(t, e.b.user.get(fmt.Sprintf("/console/supplier/purchase-orders/%d", e.b.po)), http.StatusOK)

		// A supplier token gets 403 on every staff API route, and a supplier
		// user on every staff console page.
		n := 0
		for _, r := range s.Routes() {
			switch r.Permission {
			case auth.SupplierPortal, auth.Public, auth.Authenticated:
				continue
			}
			path := isoParam.ReplaceAllString(r.Path, "1")
			var got consoleResponse
			switch {
			case r.Console && r.Method == http.MethodGet:
				got = e.a.user.get(path)
			case r.Console:
				got = e.a.user.post(path, url.Values{})
			case strings.HasPrefix(r.Path, APIPrefix+"/"):
				got = apiCall(t, nil, base, e.a.token, r.Method, path, "application/json", "{}")
			default:
				continue
			}
			n++
			if got.status != http.StatusForbidden {
				t.Errorf("supplier on staff route %s %s (%s): status %d, want 403", r.Method, path, r.Permission, got.status)
			}
		}
		if n < 50 {
			t.Errorf("only %d staff routes checked", n)
		}
		if !slices.ContainsFunc(s.Routes(), func(r Route) bool { return r.Path == APIPrefix+"/purchase-orders" }) {
			t.Error("the staff purchase-order list is not registered")
		}
	})
}
