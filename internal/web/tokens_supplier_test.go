package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

// Supplier tokens act for one supplier on the supplier endpoints only.
func TestSupplierTokens(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Admin, orders.Options{})
		a.fx.AddSKU("TOK-1", 10)
		sup := a.fx.Supplier
		var other int64
		if err := db.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at)
			VALUES ('Other Supplier', 'Europe/Lisbon', 'PT', 'active', $1, $1) RETURNING id`, a.fx.Clock.Now()).Scan(&other); err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(a.base, web.APIPrefix)
		a.must(200, "PUT", fmt.Sprintf("/suppliers/%d/feed", sup), `{"mapping":{"sku":"Code","quantity":"Stock"}}`)
		a.must(200, "PUT", fmt.Sprintf("/suppliers/%d/feed", other), `{"mapping":{"sku":"Code","quantity":"Stock"}}`)

		// Staff create one; the role follows from supplier_id.
		c := a.must(201, "POST", "/tokens", fmt.Sprintf(`{"name":"stock export","supplier_id":%d}`, sup))
		if c.str("role") != "supplier" || c.str("supplier_id") != fmt.Sprint(sup) || !strings.HasPrefix(c.str("token"), "oy_") {
			t.Fatalf("create: %s", c.raw)
		}
		tok := &apiClient{t: t, base: a.base, token: c.str("token")}

		// It pushes its own supplier's feed.
		st, raw, _ := sendRaw(t, nil, "POST", a.base+"/supplier/feed?filename=push.csv", tok.token, "text/csv", strings.NewReader("Code,Stock\nSUP-1,33\n"))
		p := asReply(t, st, raw)
		if st != 201 || p.str("status") != "applied" || p.str("source") != "push" || p.str("supplier_id") != fmt.Sprint(sup) ||
			p.str("actor") != "token:"+c.str("id")+" stock export" {
			t.Fatalf("push with a supplier token: %d %s", st, raw)
		}
		if s := a.must(200, "GET", "/stock/skus/TOK-1", ""); s.str("ats") != "33" {
			t.Errorf("ATS after the push: %s", s.raw)
		}
		// Staff routes are closed to it, another supplier's feed included.
		for _, r := range []struct{ method, path, body string }{
			{"GET", "/stock", ""},
			{"GET", "/stock/skus/TOK-1", ""},
			{"GET", "/suppliers", ""},
			{"GET", "/orders", ""},
			{"GET", "/tokens", ""},
			{"POST", "/tokens", `{"name":"more","role":"admin"}`},
			{"PUT", fmt.Sprintf("/suppliers/%d/feed", other), `{"mapping":{"sku":"Code","quantity":"Stock"}}`},
			{"POST", fmt.Sprintf("/suppliers/%d/feed/pull", other), ""},
		} {
			if got := tok.do(r.method, r.path, r.body); got.status != 403 {
				t.Errorf("supplier token %s %s: %d %s", r.method, r.path, got.status, got.raw)
			}
		}
		if st, raw, _ := sendRaw(t, nil, "POST", fmt.Sprintf("%s/suppliers/%d/feed/runs", a.base, other), tok.token, "text/csv",
			strings.NewReader("Code,Stock\nSUP-1,1\n")); st != 403 {
			t.Errorf("supplier token uploading for another supplier: %d %s", st, raw)
		}
		// A token cannot mint tokens, even for its own supplier.
		if got := tok.do("POST", "/supplier/tokens", `{"name":"child"}`); got.status != 403 || !strings.Contains(got.raw, "supplier API token cannot") {
			t.Errorf("token creating a token: %d %s", got.status, got.raw)
		}
		if l := tok.must(200, "GET", "/supplier/tokens", ""); l.str("items.0.id") != c.str("id") || l.str("items.1.id") != "" {
			t.Errorf("the supplier's tokens: %s", l.raw)
		}
		a.checkProblems([]problemCase{
			{"supplier role without supplier", "POST", "/tokens", `{"name":"x","role":"supplier"}`, 422, "invalid", "supplier_id", ""},
			{"staff role with supplier", "POST", "/tokens", fmt.Sprintf(`{"name":"x","role":"admin","supplier_id":%d}`, sup), 422, "invalid", "role", ""},
			{"unknown supplier", "POST", "/tokens", `{"name":"x","supplier_id":999}`, 404, "not_found", "", ""},
		})

		// The supplier's own user, logged in, makes and revokes its tokens, and only its own.
		ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
		if _, err := auth.NewService(db, a.fx.Clock.Now).CreateUser(ctx, auth.NewUser{Email: "ops@supplier.example", Name: "Sup ops",
			Role: auth.Supplier, SupplierID: sup, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"email": {"ops@supplier.example"}, "password": {"correct horse battery"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := hc.Do(req)
		if err != nil || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("supplier login: %v %v", res.StatusCode, err)
		}
		res.Body.Close()
		st, raw, _ = sendRaw(t, hc, "POST", a.base+"/supplier/tokens", "", "application/json", strings.NewReader(`{"name":"nightly"}`))
		own := asReply(t, st, raw)
		if st != 201 || own.str("role") != "supplier" || own.str("supplier_id") != fmt.Sprint(sup) || !strings.HasPrefix(own.str("created_by"), "supplier:") {
			t.Fatalf("supplier user creating a token: %d %s", st, raw)
		}
		otherTok := a.must(201, "POST", "/tokens", fmt.Sprintf(`{"name":"theirs","supplier_id":%d}`, other))
		if st, raw, _ := sendRaw(t, hc, "DELETE", a.base+"/supplier/tokens/"+otherTok.str("id"), "", "", nil); st != 404 {
			t.Errorf("revoking another supplier's token: %d %s", st, raw)
		}
		if st, raw, _ := sendRaw(t, hc, "DELETE", a.base+"/supplier/tokens/"+c.str("id"), "", "", nil); st != 200 || !strings.Contains(raw, `"revoked_at"`) {
			t.Errorf("revoking its own token: %d %s", st, raw)
		}
		// Revoked: it authenticates nothing.
		if st, raw, _ := sendRaw(t, nil, "POST", a.base+"/supplier/feed", tok.token, "text/csv", strings.NewReader("Code,Stock\nSUP-1,1\n")); st != 401 {
			t.Errorf("push with a revoked token: %d %s", st, raw)
		}
		// Staff revoke supplier tokens too.
		a.must(200, "DELETE", "/tokens/"+own.str("id"), "")
		if got := (&apiClient{t: t, base: a.base, token: own.str("token")}).do("GET", "/supplier/tokens", ""); got.status != 401 {
			t.Errorf("a token revoked by staff: %d", got.status)
		}
	})
}
