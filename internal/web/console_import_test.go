package web

import (
	"bytes"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/csvimport"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// uploadBody is a multipart form with a file and fields, as a browser sends it.
func uploadBody(t testing.TB, filename string, content []byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

// upload posts a file to the import page; body, if set, replaces the
// request body reader (to send it without a Content-Length).
func (c *consoleClient) upload(filename string, content []byte, fields map[string]string, site string) consoleResponse {
	c.t.Helper()
	b, ctype := uploadBody(c.t, filename, content, fields)
	req, err := http.NewRequest(http.MethodPost, c.base+importPath, b)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Sec-Fetch-Site", site)
	return c.do(req)
}

func importTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../orders/csvimport/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConsoleImport(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := orderstest.New(t, db, orders.Options{})
		f.AddSKU("MUG-1", 100)
		f.AddSKU("TEE-M", 100)
		f.AddSKU("LOW-1", 2)
		s, base := newConsoleServer(t, db)
		email, password := consoleUser(t, s, auth.Operations, "ops@example.com")
		c := newConsoleClient(t, base)
		c.login(email, password)
		countOrders := func() int {
			var n int
			if err := db.R.QueryRow("SELECT count(*) FROM orders").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		mixed := importTestdata(t, "mixed.csv")

		r := c.get(importPath)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `enctype="multipart/form-data"`, `name="file" type="file"`, `id="dry_run" name="dry_run" type="checkbox" value="1" checked`,
			"at most 20 MiB", "<code>order_ref</code>", `href="/console/orders/import/example.csv"`)

		// A dry run lists the failures with their lines and writes nothing.
		r = c.upload("mixed.csv", mixed, map[string]string{"dry_run": "1", "channel": "csv"}, "same-origin")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Dry run of mixed.csv", "Dry run: nothing was written.",
			`<dd id="count-valid"><span class="badge ok">4</span>`, `<dd id="count-failed"><span class="badge bad">2</span>`,
			`<strong>line 5</strong>, column <code>sku</code>: unknown SKU &#34;NOPE-9&#34;`,
			`<strong>line 7</strong>, column <code>quantity</code>: must be a whole number ≥ 1, got &#34;-2&#34;`,
			"Valid, with warnings", `<strong>line 9</strong>, column <code>quantity</code>: wanted 5 of LOW-1, 2 available to sell`)
		if n := countOrders(); n != 0 {
			t.Fatalf("dry run wrote %d orders", n)
		}

		// The real import: the good orders are created, the bad ones listed.
		r = c.upload("mixed.csv", mixed, nil, "same-origin")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Imported mixed.csv", `<dd id="count-created"><span class="badge ok">3</span>`,
			`<dd id="count-failed"><span class="badge bad">3</span>`,
			`<strong>line 9</strong>, column <code>quantity</code>: refused: wanted 5, 2 available, and the SKU takes no backorders`,
			`href="/console/orders/1001">#1001</a>`, "on hold<br>", "address: ")
		wantNotBody(t, r, "Dry run: nothing was written.")
		if n := countOrders(); n != 3 {
			t.Fatalf("%d orders, want 3", n)
		}
		tl, err := s.cfg.Orders.Timeline(t.Context(), 1001)
		if err != nil || tl[0].Actor != "staff:1 ops@example.com" {
			t.Fatalf("timeline %+v %v: the logged-in user places imported orders", tl, err)
		}

		// Again: duplicates.
		r = c.upload("mixed.csv", mixed, nil, "same-origin")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `<dd id="count-duplicates"><span class="badge">3</span>`)
		if n := countOrders(); n != 3 {
			t.Fatalf("%d orders after a second import, want 3", n)
		}

		// Problems with the upload as a whole.
		r = c.upload("", nil, map[string]string{"dry_run": "1"}, "same-origin")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "Choose a CSV file to import.")
		r = c.upload("bad.csv", []byte("order_ref,email,currency,sku,qty\nA,a@x.io,EUR,MUG-1,1\n"), nil, "same-origin")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `The file cannot be imported: line 1: unknown column &#34;qty&#34;`)
		r = c.upload("mixed.csv", mixed, map[string]string{"channel": "Trade Fair"}, "same-origin")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "The channel must be 1 to 40 lower-case letters", `value="Trade Fair"`)
		r = c.upload("mixed.csv", mixed, nil, "cross-site")
		wantStatus(t, r, http.StatusForbidden)

		r = c.get(importPath + "/example.csv")
		wantStatus(t, r, http.StatusOK)
		if r.body != csvimport.Example || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("example: %q %q", r.header.Get("Content-Type"), r.body)
		}

		// Support may read orders but not import them.
		email, password = consoleUser(t, s, auth.Support, "support@example.com")
		sc := newConsoleClient(t, base)
		sc.login(email, password)
		wantStatus(t, sc.get(importPath), http.StatusForbidden)
		wantStatus(t, sc.upload("mixed.csv", mixed, nil, "same-origin"), http.StatusForbidden)
	})
}

// TestConsoleImportUploadLimit: a file over the upload limit gets a 413
// page, whether the request declares its length or not; the API's smaller
// body limit does not apply to the upload.
func TestConsoleImportUploadLimit(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 1 << 10, MaxUploadBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	email, password := consoleUser(t, s, auth.Operations, "ops@example.com")
	c := newConsoleClient(t, ts.URL)
	c.login(email, password)

	// 4 KiB: over the 1 KiB API limit, under the 8 KiB upload limit.
	small := []byte("order_ref,email,currency,sku,quantity,note\n" + "A,a@x.io,EUR,NOPE-1,1," + strings.Repeat("x", 4000) + "\n")
	r := c.upload("small.csv", small, map[string]string{"dry_run": "1"}, "same-origin")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `unknown SKU &#34;NOPE-1&#34;`)

	big := bytes.Repeat([]byte("A,a@x.io,EUR,MUG-1,1,\n"), 1000)
	r = c.upload("big.csv", big, nil, "same-origin")
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	wantBody(t, r, "The file is larger than the upload limit of 8 KiB", "orderly import orders FILE")

	// Without a Content-Length (chunked), the limit applies while reading.
	b, ctype := uploadBody(t, "big.csv", big, nil)
	req, err := http.NewRequest(http.MethodPost, ts.URL+importPath, io.MultiReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	r = c.do(req)
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	wantBody(t, r, "The file is larger than the upload limit of 8 KiB")

	// The API keeps its own limit.
	req, _ = http.NewRequest(http.MethodPost, ts.URL+"/api/v1/stock/adjustments", bytes.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	wantStatus(t, c.do(req), http.StatusRequestEntityTooLarge)
}
