package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/web"
)

func catalogClock() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// apiClient calls the real API of a server on a real database with a real
// API token of the given role.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func newAPIClient(t *testing.T, db *store.DB, role auth.Role) *apiClient {
	t.Helper()
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.DiscardHandler), Now: catalogClock})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	secret, _, err := auth.NewService(db, catalogClock).CreateToken(ctx, auth.NewToken{Name: "catalog-test", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, base: ts.URL + web.APIPrefix, token: secret}
}

// reply is a decoded response.
type reply struct {
	status int
	body   map[string]any
	raw    string
}

// str returns the string at a dotted path such as "errors.0.field".
func (r reply) str(path string) string {
	var v any = r.body
	for _, k := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[k]
		case []any:
			i := 0
			for _, ch := range k {
				i = i*10 + int(ch-'0')
			}
			if i >= len(c) {
				return ""
			}
			v = c[i]
		default:
			return ""
		}
	}
	switch c := v.(type) {
	case string:
		return c
	case float64:
		b, _ := json.Marshal(c)
		return string(b)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (c *apiClient) do(method, path, body string) reply {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := reply{status: res.StatusCode, raw: string(b)}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &r.body); err != nil {
			c.t.Fatalf("%s %s: response is not a JSON object: %s", method, path, b)
		}
	}
	return r
}

// must calls do and fails the test unless the status is want.
func (c *apiClient) must(want int, method, path, body string) reply {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != want {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, r.status, want, r.raw)
	}
	return r
}

// problemCase is one bad request and what its problem document must say.
type problemCase struct {
	name         string
	method, path string
	body         string
	status       int
	code         string
	field        string // errors[0].field; "" means no check
	detail       string // a substring of detail
}

func (c *apiClient) checkProblems(tests []problemCase) {
	c.t.Helper()
	for _, tt := range tests {
		r := c.do(tt.method, tt.path, tt.body)
		if r.status != tt.status || r.str("code") != tt.code {
			c.t.Errorf("%s: %d %s, want %d %s: %s", tt.name, r.status, r.str("code"), tt.status, tt.code, r.raw)
			continue
		}
		if tt.field != "" && r.str("errors.0.field") != tt.field {
			c.t.Errorf("%s: errors[0].field = %q, want %q: %s", tt.name, r.str("errors.0.field"), tt.field, r.raw)
		}
		if !strings.Contains(r.str("detail"), tt.detail) {
			c.t.Errorf("%s: detail %q does not contain %q", tt.name, r.str("detail"), tt.detail)
		}
	}
}

const heartProduct = `{"title":"White Hanging Heart T-Light Holder","vendor":"Acme","tags":["Home","Gift"],
	"variants":[
		{"sku":"heart-w","options":[{"name":"Colour","value":"White"}],"price":{"amount":"2.55","currency":"GBP"},"weight_grams":300},
		{"sku":"HEART-R","options":[{"name":"Colour","value":"Red"}],"price":{"amount":"2.95","currency":"GBP"},"barcode":"5012345678900"}
	]}`

func TestProductsAPI(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := newAPIClient(t, db, auth.Operations)
		p := c.must(201, "POST", "/products", heartProduct)
		if p.str("variants.0.sku") != "HEART-W" || p.str("variants.0.title") != "White" || p.str("variants.1.price.amount") != "2.95" ||
			p.str("tags") != `["gift","home"]` || p.str("status") != "active" {
			t.Errorf("created product: %s", p.raw)
		}
		id := p.str("id")
		variantID := p.str("variants.0.id")
		c.must(200, "GET", "/products/"+id, "")
		if v := c.must(200, "GET", "/variants/by-sku/heart-r", ""); v.str("barcode") != "5012345678900" {
			t.Errorf("by sku: %s", v.raw)
		}

		// PATCH changes only the fields present.
		u := c.must(200, "PATCH", "/products/"+id, `{"status":"draft"}`)
		if u.str("status") != "draft" || u.str("vendor") != "Acme" || u.str("title") != "White Hanging Heart T-Light Holder" {
			t.Errorf("patched product: %s", u.raw)
		}
		v := c.must(200, "PATCH", "/variants/"+variantID, `{"price":{"amount":"3.10","currency":"GBP"}}`)
		if v.str("price.amount") != "3.10" || v.str("sku") != "HEART-W" || v.str("weight_grams") != "300" {
			t.Errorf("patched variant: %s", v.raw)
		}
		nv := c.must(201, "POST", "/products/"+id+"/variants", `{"sku":"heart-p","title":"Pink","price":{"amount":"3","currency":"GBP"}}`)
		c.must(204, "DELETE", "/variants/"+nv.str("id"), "")
		c.must(404, "GET", "/variants/"+nv.str("id"), "")

		c.checkProblems([]problemCase{
			{"duplicate SKU in another case", "POST", "/products",
				`{"title":"X","variants":[{"sku":"Heart-W","price":{"amount":"1","currency":"GBP"}}]}`,
				409, "conflict", "variants[0].sku", `SKU "HEART-W" already exists`},
			{"duplicate SKU on a new variant", "POST", "/products/" + id + "/variants",
				`{"sku":"heart-r","price":{"amount":"1","currency":"GBP"}}`, 409, "conflict", "sku", `"HEART-R"`},
			{"rename to a taken SKU", "PATCH", "/variants/" + variantID, `{"sku":"HEART-R"}`, 409, "conflict", "sku", `"HEART-R"`},
			{"variant of unknown product", "POST", "/products/99999/variants",
				`{"sku":"NEW-1","price":{"amount":"1","currency":"GBP"}}`, 404, "not_found", "", "product 99999 not found"},
			{"unknown product", "GET", "/products/99999", "", 404, "not_found", "", "product 99999"},
			{"unknown variant", "PATCH", "/variants/99999", `{"title":"x"}`, 404, "not_found", "", "variant 99999"},
			{"negative price", "POST", "/products",
				`{"title":"X","variants":[{"sku":"N-1","price":{"amount":"-0.01","currency":"GBP"}}]}`,
				422, "invalid", "variants[0].price.amount", "must not be negative"},
			{"absurd price", "POST", "/products/" + id + "/variants",
				`{"sku":"N-2","price":{"amount":"1000000001","currency":"GBP"}}`, 422, "invalid", "price.amount", "at most 1000000000"},
			{"negative weight", "POST", "/products/" + id + "/variants",
				`{"sku":"N-3","price":{"amount":"1","currency":"GBP"},"weight_grams":-5}`, 422, "invalid", "weight_grams", "between 0"},
			{"bad SKU characters", "POST", "/products/" + id + "/variants",
				`{"sku":"N 4","price":{"amount":"1","currency":"GBP"}}`, 422, "invalid", "sku", "letters A-Z"},
			{"SKU too long", "POST", "/products/" + id + "/variants",
				`{"sku":"` + strings.Repeat("A", 65) + `","price":{"amount":"1","currency":"GBP"}}`, 422, "invalid", "sku", ""},
			{"money as float with too many decimals", "POST", "/products/" + id + "/variants",
				`{"sku":"N-5","price":{"amount":"1.005","currency":"GBP"}}`, 422, "invalid", "", "more than 2 decimals"},
			{"bad status", "PATCH", "/products/" + id, `{"status":"gone"}`, 422, "invalid", "status", ""},
			{"empty title", "PATCH", "/products/" + id, `{"title":"  "}`, 422, "invalid", "title", "must not be empty"},
			{"unknown field", "PATCH", "/products/" + id, `{"titel":"x"}`, 422, "invalid", "", "titel"},
			{"malformed JSON", "POST", "/products", `{"title":"X",`, 400, "invalid", "", ""},
			{"bad cursor", "GET", "/products?after=garbage", "", 422, "invalid", "query.after", "cursor"},
			{"limit too big", "GET", "/variants?limit=5000", "", 422, "invalid", "query.limit", ""},
			{"delete variant with offers is checked elsewhere; unknown variant", "DELETE", "/variants/99999", "", 404, "not_found", "", ""},
		})
	})
}

func TestMalformedJSONSaysWhere(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	c := newAPIClient(t, db, auth.Operations)
	r := c.do("POST", "/products", "{\"title\": \"X\",\n \"tags\": [\"a\" \"b\"]}")
	if r.status != 400 || r.str("code") != "invalid" {
		t.Fatalf("malformed JSON = %d: %s", r.status, r.raw)
	}
	if !strings.Contains(r.str("detail"), "line 2, column 15") {
		t.Errorf("problem does not say where the JSON is broken: %s", r.raw)
	}
}

func TestCatalogListsAndPermissions(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := newAPIClient(t, db, auth.Operations)
		for _, body := range []string{
			`{"title":"Red Retrospot Cake Stand","tags":["kitchen"],"variants":[{"sku":"CAKE-1","price":{"amount":"9.95","currency":"GBP"}}]}`,
			`{"title":"Jumbo Bag Red Retrospot","status":"draft","tags":["bags"],"variants":[{"sku":"BAG-1","price":{"amount":"1.95","currency":"GBP"}}]}`,
			`{"title":"Lunch Box I Love London","tags":["kitchen"],"variants":[{"sku":"BOX-1","price":{"amount":"1.65","currency":"GBP"}},{"sku":"BOX-2","price":{"amount":"1.65","currency":"GBP"}}]}`,
		} {
			c.must(201, "POST", "/products", body)
		}
		first := c.must(200, "GET", "/variants?limit=2", "")
		if first.str("items.0.sku") != "CAKE-1" || first.str("items.1.sku") != "BAG-1" || first.str("next") == "" {
			t.Fatalf("first page: %s", first.raw)
		}
		second := c.must(200, "GET", "/variants?limit=2&after="+first.str("next"), "")
		if second.str("items.0.sku") != "BOX-1" || second.str("items.1.sku") != "BOX-2" || second.str("next") != "" {
			t.Errorf("second page: %s", second.raw)
		}
		tests := []struct{ query, want string }{
			{"/products?tag=KITCHEN", `["Red Retrospot Cake Stand","Lunch Box I Love London"]`},
			{"/products?status=draft", `["Jumbo Bag Red Retrospot"]`},
			{"/products?q=retro", `["Red Retrospot Cake Stand","Jumbo Bag Red Retrospot"]`},
			{"/products?q=box-", `["Lunch Box I Love London"]`},
			{"/products?supplier_id=1", `[]`},
		}
		for _, tt := range tests {
			r := c.must(200, "GET", tt.query, "")
			var titles []string
			for _, it := range r.body["items"].([]any) {
				titles = append(titles, it.(map[string]any)["title"].(string))
			}
			got, _ := json.Marshal(titles)
			if titles == nil {
				got = []byte("[]")
			}
			if string(got) != tt.want {
				t.Errorf("%s = %s, want %s", tt.query, got, tt.want)
			}
		}
		if r := c.must(200, "GET", "/variants?q=red&status=active", ""); r.str("items.0.sku") != "CAKE-1" || r.str("items.1.sku") != "BAG-1" {
			t.Errorf("variant search by product title: %s", r.raw)
		}

		ro := newAPIClient(t, db, auth.ReadOnly)
		ro.must(200, "GET", "/products", "")
		ro.checkProblems([]problemCase{
			{"read-only cannot create", "POST", "/products", `{"title":"X"}`, 403, "forbidden", "", "catalog:write"},
		})
	})
}
