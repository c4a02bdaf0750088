package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// skuRows returns the SKUs of the stock rows in body, in order.
func skuRows(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `<tr data-sku="`)[1:] {
		sku, _, _ := strings.Cut(part, `"`)
		out = append(out, sku)
	}
	return out
}

// atsOf returns the ATS shown in the stock row of sku.
func atsOf(body, sku string) string {
	row := between(body, `<tr data-sku="`+sku+`">`, `</tr>`)
	return between(row, `data-ats="`, `"`)
}

func TestConsoleStockList(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seed := seedConsole(t, s)
		email, password := consoleUser(t, s, auth.ReadOnly, "ro@example.com")
		c := newConsoleClient(t, base)
		c.login(email, password)

		r := c.get("/console/stock")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `<th scope="col" class="num">ATS</th>`, `<option value="`+strconv.FormatInt(seed.milan.ID, 10)+`">Milan Textiles</option>`)
		if got := fmt.Sprint(skuRows(r.body)); got != "[APRON-NAT MUG-BLUE MUG-RED TOTE-1]" {
			t.Fatalf("rows %s", got)
		}
		for sku, v := range seed.variants {
			ats, err := s.cfg.Inventory.ATS(context.Background(), db.R, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := atsOf(r.body, sku); got != strconv.Itoa(ats) {
				t.Errorf("%s: page shows ATS %q, service says %d", sku, got, ats)
			}
		}
		if got := atsOf(r.body, "MUG-BLUE"); got != "48" {
			t.Errorf("MUG-BLUE ATS %s, want 48 (40 − 10%% buffer + 12)", got)
		}

		tests := []struct {
			name, query string
			want        string
		}{
			{"SKU prefix, any case", "q=mug-", "[MUG-BLUE MUG-RED]"},
			{"title word", "q=apron", "[APRON-NAT]"},
			{"low stock", "low=1", "[APRON-NAT MUG-RED TOTE-1]"},
			{"supplier", "supplier=" + strconv.FormatInt(seed.milan.ID, 10), "[APRON-NAT MUG-BLUE]"},
			{"supplier and low", "low=1&supplier=" + strconv.FormatInt(seed.lisbon.ID, 10), "[MUG-RED]"},
			{"nothing", "q=zzz", "[]"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := c.htmx("/console/stock?" + tt.query)
				wantStatus(t, r, http.StatusOK)
				wantNotBody(t, r, "<html", "<nav")
				if got := fmt.Sprint(skuRows(r.body)); got != tt.want {
					t.Errorf("rows %s, want %s", got, tt.want)
				}
				full := c.get("/console/stock?" + tt.query)
				wantBody(t, full, "<html")
				if got := fmt.Sprint(skuRows(full.body)); got != tt.want {
					t.Errorf("full page rows %s, want %s", got, tt.want)
				}
			})
		}
		wantBody(t, c.htmx("/console/stock?q=zzz"), "No SKUs match these filters.")
		wantStatus(t, c.get("/console/stock?after=garbage!"), http.StatusUnprocessableEntity)
	})
}

// TestConsoleStockLoadMore pages through more SKUs than fit on one page by
// following the "Load more" link, as htmx does.
func TestConsoleStockLoadMore(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, base := newConsoleServer(t, db)
	const n = consolePageSize + 7
	np := catalog.NewProduct{Title: "Bulk item"}
	for i := range n {
		np.Variants = append(np.Variants, catalog.NewVariant{SKU: fmt.Sprintf("BULK-%03d", i), Title: strconv.Itoa(i), Price: money.Money{Amount: 100, Currency: "EUR"}})
	}
	if _, err := s.cfg.Catalog.CreateProduct(auth.WithPrincipal(context.Background(), auth.System("seed")), np); err != nil {
		t.Fatal(err)
	}
	email, password := consoleUser(t, s, auth.Finance, "fin@example.com")
	c := newConsoleClient(t, base)
	c.login(email, password)

	var seen []string
	page := c.get("/console/stock?q=bulk")
	for range 5 {
		wantStatus(t, page, http.StatusOK)
		seen = append(seen, skuRows(page.body)...)
		more := between(between(page.body, `class="more-row"`, `</tr>`), `hx-get="`, `"`)
		if !strings.Contains(page.body, "Load more") {
			break
		}
		if !strings.Contains(more, "q=bulk") {
			t.Fatalf("the Load more link %q loses the search", more)
		}
		page = c.htmx(strings.ReplaceAll(more, "&amp;", "&"))
	}
	if len(seen) != n {
		t.Fatalf("saw %d SKUs over the pages, want %d", len(seen), n)
	}
	for i, sku := range seen {
		if want := fmt.Sprintf("BULK-%03d", i); sku != want {
			t.Fatalf("row %d is %s, want %s (pages overlap or skip)", i, sku, want)
		}
	}
}

func TestConsoleSKUPageAndAdjust(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seed := seedConsole(t, s)
		mug := seed.variants["MUG-BLUE"]
		path := "/console/stock/" + strconv.FormatInt(mug.ID, 10)
		lisbonOffer := strconv.FormatInt(seed.offers["LC-100-B"].ID, 10)

		ro := newConsoleClient(t, base)
		ro.login(consoleUser(t, s, auth.ReadOnly, "ro@example.com"))
		r := ro.get(path)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `<strong id="ats" class="">48</strong>`, "Lisbon Ceramics", "Milan Textiles", "LC-100-B", "the supplier&#39;s percentage buffer")
		wantNotBody(t, r, "Adjust stock")
		wantStatus(t, ro.post(path+"/adjust", url.Values{"offer": {lisbonOffer}, "mode": {"add"}, "units": {"5"}, "reason": {"found more"}}), http.StatusForbidden)

		ops := newConsoleClient(t, base)
		ops.login(consoleUser(t, s, auth.Operations, "ops@example.com"))
		r = ops.get(path)
		wantBody(t, r, "Adjust stock", `<label for="reason">Reason</label>`)

		tests := []struct {
			name   string
			form   url.Values
			status int
			want   string
		}{
			{"reason missing", url.Values{"offer": {lisbonOffer}, "mode": {"add"}, "units": {"5"}, "reason": {""}}, http.StatusUnprocessableEntity, `id="reason-err"`},
			{"units not a number", url.Values{"offer": {lisbonOffer}, "mode": {"add"}, "units": {"five"}, "reason": {"recount"}}, http.StatusUnprocessableEntity, `id="units-err"`},
			{"units empty", url.Values{"offer": {lisbonOffer}, "mode": {"add"}, "units": {""}, "reason": {"recount"}}, http.StatusUnprocessableEntity, `id="units-err"`},
			{"below zero", url.Values{"offer": {lisbonOffer}, "mode": {"add"}, "units": {"-41"}, "reason": {"recount"}}, http.StatusUnprocessableEntity, "negative"},
			{"set negative", url.Values{"offer": {lisbonOffer}, "mode": {"set"}, "units": {"-1"}, "reason": {"recount"}}, http.StatusUnprocessableEntity, `id="units-err"`},
			{"offer of another SKU", url.Values{"offer": {strconv.FormatInt(seed.offers["MT-AP-N"].ID, 10)}, "mode": {"add"}, "units": {"1"}, "reason": {"recount"}}, http.StatusUnprocessableEntity, `id="offer-err"`},
			{"bad mode", url.Values{"offer": {lisbonOffer}, "mode": {"double"}, "units": {"1"}, "reason": {"recount"}}, http.StatusUnprocessableEntity, `id="mode-err"`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ops.post(path+"/adjust", tt.form)
				wantStatus(t, r, tt.status)
				wantBody(t, r, tt.want, `role="alert"`, `<strong id="ats" class="">48</strong>`)
			})
		}

		r = ops.post(path+"/adjust", url.Values{"offer": {lisbonOffer}, "mode": {"add"}, "units": {"-10"}, "reason": {"3 broken in the warehouse"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != path+"?done=adjusted" {
			t.Fatalf("redirect to %q", loc)
		}
		r = ops.get(path + "?done=adjusted")
		// Lisbon: 30 reported − 3 buffer (10%) = 27, plus Milan 12.
		wantBody(t, r, "Stock adjusted.", `<strong id="ats" class="">39</strong>`, "3 broken in the warehouse", "staff:", "ops@example.com")
		ats, err := s.cfg.Inventory.ATS(context.Background(), db.R, mug.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ats != 39 {
			t.Fatalf("ATS after adjustment %d, want 39", ats)
		}
		r = ops.post(path+"/adjust", url.Values{"offer": {lisbonOffer}, "mode": {"set"}, "units": {"0"}, "reason": {"supplier sold out"}})
		wantStatus(t, r, http.StatusSeeOther)
		wantBody(t, ops.get(path), `<strong id="ats" class="">12</strong>`)

		wantStatus(t, ops.get("/console/stock/999999"), http.StatusNotFound)
		wantStatus(t, ops.get("/console/stock/abc"), http.StatusNotFound)
	})
}

func TestConsoleProductsAndSuppliers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seed := seedConsole(t, s)
		c := newConsoleClient(t, base)
		c.login(consoleUser(t, s, auth.Support, "support@example.com"))

		r := c.get("/console/products")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "MUG-BLUE", "Stoneware mug — Blue", "Colour: Blue", "18.00 EUR", "APRON-NAT", "TOTE-1")
		r = c.htmx("/console/products?q=mug")
		wantBody(t, r, "MUG-BLUE", "MUG-RED")
		wantNotBody(t, r, "APRON-NAT", "<html")
		r = c.htmx("/console/products?status=draft")
		wantBody(t, r, "TOTE-1")
		wantNotBody(t, r, "MUG-BLUE")

		mug := seed.variants["MUG-BLUE"]
		r = c.get("/console/products/" + strconv.FormatInt(mug.ProductID, 10))
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "<h1>Stoneware mug</h1>", "kitchen", "MUG-BLUE", "MUG-RED", `<td class="num">48</td>`)
		wantStatus(t, c.get("/console/products/999999"), http.StatusNotFound)

		r = c.get("/console/suppliers")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Lisbon Ceramics", "Milan Textiles", `title="Portugal"`)
		r = c.htmx("/console/suppliers?q=milan")
		wantBody(t, r, "Milan Textiles")
		wantNotBody(t, r, "Lisbon Ceramics")

		r = c.get("/console/suppliers/" + strconv.FormatInt(seed.lisbon.ID, 10))
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Europe/Lisbon", "Ana Silva", "ana@lisbon.example", "LC-100-B", "LC-100-R", "6.00 EUR")
		wantNotBody(t, r, "MT-MUG-B")
		wantStatus(t, c.get("/console/suppliers/999999"), http.StatusNotFound)
	})
}

func TestConsoleBuffers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seed := seedConsole(t, s)
		mug := seed.variants["MUG-BLUE"]
		skuPath := "/console/stock/" + strconv.FormatInt(mug.ID, 10)
		milanPath := "/console/suppliers/" + strconv.FormatInt(seed.milan.ID, 10)
		atsNow := func() int {
			t.Helper()
			ats, err := s.cfg.Inventory.ATS(context.Background(), db.R, mug.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ats
		}

		ro := newConsoleClient(t, base)
		ro.login(consoleUser(t, s, auth.ReadOnly, "ro@example.com"))
		r := ro.get(skuPath)
		wantBody(t, r, "Safety buffer for this SKU", `<strong id="sku-buffer">0 units or 0%</strong>`)
		wantNotBody(t, r, "Save buffer")
		wantNotBody(t, ro.get(milanPath), "Save buffer")
		wantStatus(t, ro.post(skuPath+"/buffer", url.Values{"buffer_units": {"5"}}), http.StatusForbidden)
		wantStatus(t, ro.post(milanPath+"/buffer", url.Values{"buffer_units": {"5"}}), http.StatusForbidden)

		ops := newConsoleClient(t, base)
		ops.login(consoleUser(t, s, auth.Operations, "ops@example.com"))
		tests := []struct {
			name string
			form url.Values
			want string
		}{
			{"units not a number", url.Values{"buffer_units": {"five"}}, `id="buffer_units-err"`},
			{"units negative", url.Values{"buffer_units": {"-1"}}, `id="buffer_units-err"`},
			{"percent not a number", url.Values{"buffer_percent": {"ten"}}, `id="buffer_percent-err"`},
			{"percent over 100", url.Values{"buffer_percent": {"101"}}, `id="buffer_percent-err"`},
			{"percent too precise", url.Values{"buffer_percent": {"1.234"}}, `id="buffer_percent-err"`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, path := range []string{skuPath, milanPath} {
					r := ops.post(path+"/buffer", tt.form)
					wantStatus(t, r, http.StatusUnprocessableEntity)
					wantBody(t, r, tt.want, `role="alert"`)
				}
			})
		}
		if got := atsNow(); got != 48 {
			t.Fatalf("refused forms changed ATS to %d", got)
		}

		// A SKU rule of 5 units: Lisbon 40 − max(5, 10% = 4) = 35, Milan 12 − 5 = 7.
		r = ops.post(skuPath+"/buffer", url.Values{"buffer_units": {"5"}, "buffer_percent": {""}})
		wantStatus(t, r, http.StatusSeeOther)
		wantBody(t, ops.get(skuPath+"?done=buffer-set"), "Buffer saved", `<strong id="sku-buffer">5 units or 0%</strong>`, `<strong id="ats" class="">42</strong>`)
		if got := atsNow(); got != 42 {
			t.Fatalf("ATS %d after the SKU buffer, want 42", got)
		}
		// Milan holds back 50%: Milan 12 − max(5, 6) = 6.
		r = ops.post(milanPath+"/buffer", url.Values{"buffer_units": {"0"}, "buffer_percent": {"50"}})
		wantStatus(t, r, http.StatusSeeOther)
		wantBody(t, ops.get(milanPath), `<strong id="supplier-buffer">0 units or 50%</strong>`)
		if got := atsNow(); got != 41 {
			t.Fatalf("ATS %d after the supplier buffer, want 41", got)
		}
		wantStatus(t, ops.post("/console/suppliers/999999/buffer", url.Values{"buffer_units": {"1"}}), http.StatusNotFound)
	})
}
