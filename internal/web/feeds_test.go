package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
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

// send posts a raw body with a content type and an optional bearer token or
// cookie client, returning the reply (JSON) or the raw text.
func sendRaw(t *testing.T, hc *http.Client, method, u, token, contentType string, body io.Reader) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func asReply(t *testing.T, status int, raw string) reply {
	t.Helper()
	r := reply{status: status, raw: raw}
	if err := json.Unmarshal([]byte(raw), &r.body); err != nil {
		t.Fatalf("not JSON (%d): %s", status, raw)
	}
	return r
}

func TestFeedsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newOrderAPI(t, db, auth.Operations, orders.Options{})
		for i := 1; i <= 12; i++ {
			a.fx.AddSKU(fmt.Sprintf("FEED-%d", i), 10)
		}
		spare := a.fx.AddSKU("SPARE-1", 0)
		if _, err := db.W.Exec(`DELETE FROM supplier_offers WHERE id = $1`, spare.Offer); err != nil { // a variant no offer supplies
			t.Fatal(err)
		}
		sup := a.fx.Supplier
		base := strings.TrimSuffix(a.base, web.APIPrefix)
		feedPath := fmt.Sprintf("/suppliers/%d/feed", sup)

		if r := a.must(200, "GET", feedPath, ""); r.str("saved") != "false" || r.str("guards.zero_percent") != "30" {
			t.Errorf("settings never saved: %s", r.raw)
		}
		// No mapping yet: a file is refused.
		st, raw, _ := sendRaw(t, nil, "POST", a.base+feedPath+"/runs", a.token, "text/csv", strings.NewReader("sku,qty\n"))
		if st != 409 || !strings.Contains(raw, "no feed mapping") {
			t.Errorf("upload without mapping: %d %s", st, raw)
		}
		r := a.must(200, "PUT", feedPath, `{"mapping":{"sku":"Code","quantity":"Stock","cost":"Price","default_currency":"EUR"}}`)
		if r.str("saved") != "true" || r.str("mapping.sku") != "Code" || r.str("guards.min_rows_percent") != "50" {
			t.Errorf("saved settings: %s", r.raw)
		}
		file := func(qty func(i int) int, extra ...string) string {
			var b strings.Builder
			b.WriteString("Code,Stock,Price\n")
			for i := 1; i <= 12; i++ {
				fmt.Fprintf(&b, "SUP-%d,%d,5.00\n", i, qty(i))
			}
			for _, l := range extra {
				b.WriteString(l + "\n")
			}
			return b.String()
		}
		// Raw upload: one SKU changes, one row is bad, one SKU is unknown.
		body := file(func(i int) int { return map[bool]int{true: 15, false: 10}[i == 1] }, "SUP-99,4,2.00", "SUP-77,x,5.00")
		st, raw, _ = sendRaw(t, nil, "POST", a.base+feedPath+"/runs?filename=stock.csv", a.token, "text/csv", strings.NewReader(body))
		run := asReply(t, st, raw)
		if st != 201 || run.str("status") != "applied" || run.str("rows_changed") != "1" || run.str("rows_unknown") != "1" ||
			run.str("rows_errors") != "1" || run.str("filename") != "stock.csv" || run.str("errors.0.line") != "15" || run.str("source") != "upload" {
			t.Fatalf("upload: %d %s", st, raw)
		}
		if s := a.must(200, "GET", "/stock/skus/FEED-1", ""); s.str("ats") != "15" {
			t.Errorf("ATS after the feed: %s", s.raw)
		}
		id := run.str("id")
		st, raw, h := sendRaw(t, nil, "GET", a.base+"/feeds/runs/"+id+"/errors.csv", a.token, "", nil)
		if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(raw, "15,Stock,x,") {
			t.Errorf("errors.csv: %d %s %s", st, h, raw)
		}
		if e := a.must(200, "GET", "/feeds/runs/"+id+"/errors?limit=1", ""); e.str("items.0.column") != "Stock" {
			t.Errorf("errors: %s", e.raw)
		}
		// The same file as multipart: unchanged.
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		fw, _ := mw.CreateFormFile("file", "again.csv")
		io.WriteString(fw, body)
		mw.Close()
		st, raw, _ = sendRaw(t, nil, "POST", a.base+feedPath+"/runs", a.token, mw.FormDataContentType(), &mp)
		if again := asReply(t, st, raw); st != 201 || again.str("status") != "unchanged" || again.str("filename") != "again.csv" {
			t.Errorf("multipart upload: %d %s", st, raw)
		}
		// Quarantine (8 of 12 drop to zero), then reject; the same again, approve.
		zero := file(func(i int) int { return map[bool]int{true: 0, false: 10}[i <= 8] })
		for _, decision := range []string{"reject", "approve"} {
			st, raw, _ = sendRaw(t, nil, "POST", a.base+feedPath+"/runs", a.token, "text/csv", strings.NewReader(zero+strings.Repeat("\n", len(decision))))
			q := asReply(t, st, raw)
			if st != 201 || q.str("status") != "quarantined" || q.str("guard") != "zero" {
				t.Fatalf("zero guard: %d %s", st, raw)
			}
			d := a.must(200, "POST", "/feeds/runs/"+q.str("id")+"/"+decision, "")
			if want := map[string]string{"reject": "rejected", "approve": "approved"}[decision]; d.str("status") != want || d.str("decided_by") != a.actor {
				t.Errorf("%s: %s", decision, d.raw)
			}
		}
		if s := a.must(200, "GET", "/stock/skus/FEED-1", ""); s.str("ats") != "0" {
			t.Errorf("ATS after approval: %s", s.raw)
		}
		if l := a.must(200, "GET", fmt.Sprintf("/feeds/runs?supplier_id=%d&limit=2", sup), ""); l.str("items.0.status") != "approved" || l.str("next") == "" {
			t.Errorf("runs: %s", l.raw)
		}
		if l := a.must(200, "GET", "/feeds/runs?status=rejected", ""); l.str("items.0.status") != "rejected" || l.str("items.1.id") != "" {
			t.Errorf("rejected runs: %s", l.raw)
		}
		// Unlinked: SUP-99 is linked to SPARE-1 with the feed's figures.
		u := a.must(200, "GET", fmt.Sprintf("/feeds/unlinked?supplier_id=%d", sup), "")
		if u.str("items.0.supplier_sku") != "SUP-99" || u.str("items.0.last_quantity") != "4" || u.str("items.0.last_cost.amount") != "2.00" {
			t.Fatalf("unlinked: %s", u.raw)
		}
		l := a.must(200, "POST", "/feeds/unlinked/"+u.str("items.0.id")+"/link", `{"sku":"spare-1"}`)
		if l.str("status") != "linked" || l.str("offer_id") == "" {
			t.Errorf("link: %s", l.raw)
		}
		if s := a.must(200, "GET", "/stock/skus/SPARE-1", ""); s.str("ats") != "4" {
			t.Errorf("ATS of the linked SKU: %s", s.raw)
		}
		a.checkProblems([]problemCase{
			{"bad mapping", "PUT", feedPath, `{"mapping":{"sku":" ","quantity":"Stock"}}`, 422, "invalid", "mapping.sku", ""},
			{"bad guard", "PUT", feedPath, `{"mapping":{"sku":"Code","quantity":"Stock"},"guards":{"zero_percent":120}}`, 422, "invalid", "", ""},
			{"unknown run", "GET", "/feeds/runs/999", "", 404, "not_found", "", ""},
			{"approve applied", "POST", "/feeds/runs/" + id + "/approve", "", 409, "conflict", "", ""},
			{"unknown supplier", "GET", "/suppliers/999/feed", "", 404, "not_found", "", ""},
		})

		// Read-only roles read, and cannot change.
		ro := a.as(auth.ReadOnly)
		ro.must(200, "GET", "/feeds/runs", "")
		ro.must(200, "GET", feedPath, "")
		ro.must(403, "PUT", feedPath, `{"mapping":{"sku":"Code","quantity":"Stock"}}`)
		if st, _, _ := sendRaw(t, nil, "POST", a.base+feedPath+"/runs", ro.token, "text/csv", strings.NewReader(body)); st != 403 {
			t.Errorf("read-only upload: %d", st)
		}
		// Staff cannot push as a supplier.
		if st, raw, _ := sendRaw(t, nil, "POST", a.base+"/supplier/feed", a.token, "text/csv", strings.NewReader(body)); st != 403 {
			t.Errorf("staff push: %d %s", st, raw)
		}

		// A supplier's user pushes its own file through its session.
		ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
		if _, err := auth.NewService(db, a.fx.Clock.Now).CreateUser(ctx, auth.NewUser{Email: "feed@supplier.example", Name: "Feed bot",
			Role: auth.Supplier, SupplierID: sup, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"email": {"feed@supplier.example"}, "password": {"correct horse battery"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := hc.Do(req)
		if err != nil || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("supplier login: %v %v", res.StatusCode, err)
		}
		res.Body.Close()
		pushed := file(func(i int) int { return map[bool]int{true: 2, false: 0}[i <= 8] }) + "SUP-12,7,5.00\n"
		st, raw, _ = sendRaw(t, hc, "POST", a.base+"/supplier/feed?filename=push.csv", "", "text/csv", strings.NewReader(pushed))
		if p := asReply(t, st, raw); st != 201 || p.str("status") != "quarantined" && p.str("status") != "applied" || p.str("source") != "push" ||
			p.str("supplier_id") != fmt.Sprint(sup) || !strings.HasPrefix(p.str("actor"), "supplier:") {
			t.Errorf("push: %d %s", st, raw)
		}
		// The supplier's user reaches no staff feed route.
		if st, _, _ := sendRaw(t, hc, "GET", a.base+"/feeds/runs", "", "", nil); st != 403 {
			t.Errorf("supplier user lists runs: %d", st)
		}
	})
}
