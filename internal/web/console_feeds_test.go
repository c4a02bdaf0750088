package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// postForm posts a multipart form (with a file when filename is set) as a
// browser does; the file's input is "sample" on the mapping editor, "file"
// elsewhere.
func (c *consoleClient) postForm(path string, fields map[string]string, filename string, content []byte) consoleResponse {
	c.t.Helper()
	input := "file"
	if strings.Contains(path, "/mapping") {
		input = "sample"
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if filename != "" {
		fw, err := mw.CreateFormFile(input, filename)
		if err != nil {
			c.t.Fatal(err)
		}
		fw.Write(content)
	}
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	ctype := mw.FormDataContentType()
	req, err := http.NewRequest(http.MethodPost, c.base+path, &b)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// redirected checks a 303 to a path starting with prefix and ending with
// ?done=done (when given), and returns the path without the query.
func redirected(t *testing.T, r consoleResponse, prefix, done string) string {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.header.Get("Location")
	// Parsed as the browser does: a query after a fragment ("/x#pull?done=…")
	// is part of the fragment, and the page would show no flash.
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(u.Path, prefix) || (done != "" && (u.RawQuery != "done="+done || strings.Contains(u.Fragment, "done="))) {
		t.Fatalf("redirect to %q, want %s…?done=%s", loc, prefix, done)
	}
	return u.Path
}

// feedMapping is the seed's feed mapping as the editor sends it.
func feedMapping() map[string]string {
	return map[string]string{"format": "auto", "encoding": "auto", "delimiter": "", "sku": "Code", "quantity": "Stock",
		"cost": "Price", "default_currency": "eur"}
}

// TestConsoleFeeds walks the feed pages as operations (who may change
// feeds) and read-only (who may only look): the mapping editor with its
// validation and preview, guards, an upload that applies, one that is
// quarantined and approved, the run's errors and their CSV, and linking and
// ignoring the unknown supplier SKUs.
func TestConsoleFeeds(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		seed := seedConsole(t, s)
		email, password := consoleUser(t, s, auth.Operations, "ops@example.com")
		ops := newConsoleClient(t, base)
		ops.login(email, password)
		remail, rpassword := consoleUser(t, s, auth.ReadOnly, "ro@example.com")
		ro := newConsoleClient(t, base)
		ro.login(remail, rpassword)
		lisbon := supplierFeedPath(seed.lisbon.ID)

		r := ops.get("/console/feeds")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `href="/console/feeds" aria-current="page"`, "Lisbon Ceramics", "Milan Textiles", `<span class="badge warn">no mapping</span>`,
			"no runs yet", `id="no-quarantine"`)
		wantBody(t, ops.get("/"), `href="/console/feeds"`, "quarantined feed runs awaiting approval")

		// The editor: a bad delimiter is named next to its input, then the
		// service's checks next to theirs.
		r = ops.get(lisbon + "/mapping")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `enctype="multipart/form-data"`, `id="save-mapping"`, `formaction="`+lisbon+`/mapping/preview"`)
		bad := feedMapping()
		bad["delimiter"], bad["default_currency"] = ";;", "EURO"
		r = ops.postForm(lisbon+"/mapping", bad, "", nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="delimiter" name="delimiter" type="text" value=";;" autocomplete="off" aria-invalid="true"`, "enter one character",
			`id="default_currency-err">unknown currency &#34;EURO&#34;`)
		bad = feedMapping()
		bad["sku"], bad["date_format"], bad["in_stock_words"] = "", "dd/mm/yyyy", "yes"
		r = ops.postForm(lisbon+"/mapping", bad, "", nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="sku-err">must name the column that holds the supplier SKU`, `id="date_format-err">&#34;dd/mm/yyyy&#34; is not a date layout`,
			`id="in_stock_quantity-err">must be between 1`, "Please correct the fields marked below.", `value="Stock"`)
		if st, _ := s.cfg.Feeds.Settings(context.Background(), seed.lisbon.ID); st.Saved {
			t.Fatal("a refused mapping was saved")
		}

		// Preview a sample with the unsaved mapping: per-cell errors, rows as applied.
		sample := []byte("Code;Stock;Price\nLC-100-B;40;6,00\nLC-100-R;x;6,00\nLC-NEW;3;1.234,50\n")
		preview := feedMapping()
		preview["decimal_comma"] = "1"
		r = ops.postForm(lisbon+"/mapping/preview", preview, "sample.csv", sample)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Preview of sample.csv", "Read as csv, utf-8, delimiter <code>;</code> with the mapping", `Code<br><span class="badge ok">supplier SKU</span>`,
			"LC-100-B · quantity 40 · cost 6.00 EUR", "LC-NEW · quantity 3 · cost 1234.50 EUR",
			`<td class="cell-error" style="background:#fdecea" title=`, `<option value="Stock">`, `name="decimal_comma" type="checkbox" value="1" checked`)
		if !regexp.MustCompile(`(?s)data-line="3" class="bad-row".*?cell-error.*?>x<br>`).MatchString(r.body) {
			t.Errorf("line 3's quantity cell is not marked:\n%s", r.body)
		}
		// A column the file lacks: the error lists the file's columns.
		missing := feedMapping()
		missing["quantity"] = "Qty"
		r = ops.postForm(lisbon+"/mapping/preview", missing, "sample.csv", sample)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="preview-error"`, `no column &#34;Qty&#34; (quantity)`)
		r = ops.postForm(lisbon+"/mapping/preview", feedMapping(), "", nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="sample-err">Choose a sample file`)
		if st, _ := s.cfg.Feeds.Settings(context.Background(), seed.lisbon.ID); st.Saved {
			t.Fatal("a preview saved the mapping")
		}

		// Read-only sees the editor but cannot save, preview, upload or set guards.
		r = ro.get(lisbon + "/mapping")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `<fieldset style="border:0;padding:0;margin:0" disabled>`)
		wantNotBody(t, r, `id="save-mapping"`)
		wantStatus(t, ro.postForm(lisbon+"/mapping", feedMapping(), "", nil), http.StatusForbidden)
		wantStatus(t, ro.postForm(lisbon+"/mapping/preview", feedMapping(), "sample.csv", sample), http.StatusForbidden)

		redirected(t, ops.postForm(lisbon+"/mapping", feedMapping(), "", nil), lisbon, "mapping-saved")
		r = ops.get(lisbon + "?done=mapping-saved")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Mapping saved", "<dt>Supplier SKU</dt><dd>Code</dd>", "<dt>Currency</dt><dd>not mapped (default EUR)</dd>",
			`action="`+lisbon+`/upload"`, `id="min_skus" name="min_skus" type="number" min="0" step="1" inputmode="numeric" value="10"`, "No runs yet.")

		// Guards: a bad number is named; MinSKUs 0 lets the seed's two SKUs be judged.
		guards := url.Values{"min_rows_percent": {"50"}, "zero_percent": {"lots"}, "cost_jump_percent": {"50"}, "cost_rows_percent": {"10"}, "min_skus": {"0"}}
		r = ops.post(lisbon+"/guards", guards)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="zero_percent-err">enter a whole number, got &#34;lots&#34;`)
		guards.Set("zero_percent", "30")
		wantStatus(t, ro.post(lisbon+"/guards", guards), http.StatusForbidden)
		redirected(t, ops.post(lisbon+"/guards", guards), lisbon, "guards-saved")
		if st, _ := s.cfg.Feeds.Settings(context.Background(), seed.lisbon.ID); st.Guards.MinSKUs != 0 || st.Mapping.SKU != "Code" {
			t.Fatalf("settings after the guards: %+v", st)
		}

		// Upload: one change, two unknown SKUs, one bad row.
		file := "Code,Stock,Price\nLC-100-B,50,6.00\nLC-100-R,3,6.00\nUNK-1,5,2.00\nUNK-2,1,2.00\nLC-100-X,lots,6.00\n"
		wantStatus(t, ro.postForm(lisbon+"/upload", nil, "stock.csv", []byte(file)), http.StatusForbidden)
		r = ops.postForm(lisbon+"/upload", nil, "", nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="upload-error">Choose the supplier`)
		runPath := redirected(t, ops.postForm(lisbon+"/upload", nil, "stock.csv", []byte(file)), "/console/feeds/runs/", "feed-uploaded")
		r = ops.get(runPath + "?done=feed-uploaded")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "File received", `data-status="applied"`, `<dd data-count="read">5</dd>`, `<dd data-count="changed">1</dd>`,
			`<dd data-count="unknown">2`, `<dd data-count="errors">1</dd>`, `<td class="num">6</td>`, "Stock", "lots",
			`href="`+runPath+`/errors.csv"`, `<span class="badge ok">passed</span>`, "5 rows; no run was applied before")
		wantNotBody(t, r, `id="approve"`)
		csv := ro.get(runPath + "/errors.csv")
		wantStatus(t, csv, http.StatusOK)
		if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") ||
			!strings.HasPrefix(csv.body, "line,column,value,reason\n6,Stock,lots,") ||
			!strings.Contains(csv.header.Get("Content-Disposition"), "errors.csv") {
			t.Errorf("errors.csv: %s %q", ct, csv.body)
		}
		wantStatus(t, newConsoleClient(t, base).get(runPath+"/errors.csv"), http.StatusSeeOther) // no session: login

		// Both SKUs in stock drop to 0: quarantined, nothing written.
		zero := strings.NewReplacer("LC-100-B,50", "LC-100-B,0", "LC-100-R,3", "LC-100-R,0").Replace(file)
		qPath := redirected(t, ops.postForm(lisbon+"/upload", nil, "zero.csv", []byte(zero)), "/console/feeds/runs/", "feed-uploaded")
		r = ro.get(qPath)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `data-status="quarantined"`, "2 of the 2 SKUs in stock (100%) would drop to 0", `data-guard="zero"`,
			`<span class="badge bad">tripped</span>`, "It waits for someone", "5 rows, 100% of the 5 of the last applied run")
		wantNotBody(t, r, `id="approve"`)
		wantStatus(t, ro.post(qPath+"/approve", url.Values{}), http.StatusForbidden)
		r = ops.get("/console/feeds")
		wantBody(t, r, `class="quarantined"`, "1 awaiting approval", "Run "+strings.TrimPrefix(qPath, "/console/feeds/runs/")+"</a> of")
		if !regexp.MustCompile(`<a class="card" href="/console/feeds">\s*<span class="count">1</span>`).MatchString(ops.get("/").body) {
			t.Errorf("the home tile does not count the quarantined run")
		}
		blue := seed.variants["MUG-BLUE"].ID
		before, _ := s.cfg.Inventory.ATS(context.Background(), db.R, blue)
		r = ops.get(qPath)
		wantBody(t, r, `id="approve"`, `id="reject"`)
		redirected(t, ops.post(qPath+"/approve", url.Values{}), qPath, "run-approved")
		after, _ := s.cfg.Inventory.ATS(context.Background(), db.R, blue)
		if after >= before {
			t.Errorf("MUG-BLUE ATS %d after approving a run that zeroes Lisbon, was %d", after, before)
		}
		wantBody(t, ops.get(qPath), `data-status="approved"`, "<dt>Decided</dt><dd>by staff:1 ops@example.com")
		r = ops.post(qPath+"/approve", url.Values{})
		wantStatus(t, r, http.StatusConflict)
		wantBody(t, r, `id="decide-error">Feed run`, "only a quarantined run can be approved")

		// Row errors page by 50; "Load more" fetches the rest as rows.
		var many strings.Builder
		many.WriteString("Code,Stock,Price\nLC-100-B,0,6.00\nLC-100-R,0,6.00\n")
		for i := range 55 {
			fmt.Fprintf(&many, "BAD-%d,-%d,6.00\n", i, i+1)
		}
		manyPath := redirected(t, ops.postForm(lisbon+"/upload", nil, "many.csv", []byte(many.String())), "/console/feeds/runs/", "feed-uploaded")
		r = ops.get(manyPath)
		wantBody(t, r, `<dd data-count="errors">55</dd>`, `data-line="53"`, `hx-get="`+manyPath+`?after=`)
		wantNotBody(t, r, `data-line="54"`) // lines 4–58 have errors: the first 50 are 4–53
		next := regexp.MustCompile(`hx-get="(` + regexp.QuoteMeta(manyPath) + `\?after=[^"]+)"`).FindStringSubmatch(r.body)
		if next == nil {
			t.Fatal("no Load more link for the row errors")
		}
		r = ops.htmx(strings.ReplaceAll(next[1], "&amp;", "&"))
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `data-line="54"`, `data-line="58"`)
		wantNotBody(t, r, `data-line="53"`, "<html")

		// Unlinked SKUs: search, read-only cannot act, a bad link is named, link, ignore.
		r = ro.get("/console/feeds/unlinked?q=unk-")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `data-sku="UNK-1"`, `data-sku="UNK-2"`, "2.00 EUR", `<span class="badge warn">open</span>`)
		wantNotBody(t, r, ">Link</button>")
		wantNotBody(t, ro.get("/console/feeds/unlinked?q=zzz"), `data-sku="UNK-1"`)
		list, _, err := s.cfg.Feeds.UnlinkedSKUs(context.Background(), feeds.UnlinkedFilter{Query: "unk-1"})
		if err != nil || len(list) != 1 {
			t.Fatalf("unlinked UNK-1: %+v, %v", list, err)
		}
		link := "/console/feeds/unlinked/" + strconv.FormatInt(list[0].ID, 10) + "/link"
		wantStatus(t, ro.post(link, url.Values{"sku": {"TOTE-1"}}), http.StatusForbidden)
		r = ops.post(link, url.Values{"sku": {"NOPE-1"}, "q": {"unk"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="sku-`+strconv.FormatInt(list[0].ID, 10)+`-err">no variant has SKU &#34;NOPE-1&#34;`, `value="NOPE-1"`)
		r = ops.post(link, url.Values{"sku": {"TOTE-1"}, "q": {"unk"}})
		if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != "/console/feeds/unlinked?q=unk&done=sku-linked" {
			t.Fatalf("link: %d to %q", r.status, loc)
		}
		tote, _ := s.cfg.Inventory.ATS(context.Background(), db.R, seed.variants["TOTE-1"].ID)
		if tote != 4 { // 5 less Lisbon's 10% buffer, rounded up
			t.Errorf("TOTE-1 ATS %d after linking UNK-1 (last quantity 5, buffer 1)", tote)
		}
		other, _, _ := s.cfg.Feeds.UnlinkedSKUs(context.Background(), feeds.UnlinkedFilter{Query: "UNK-2"})
		redirected(t, ops.post("/console/feeds/unlinked/"+strconv.FormatInt(other[0].ID, 10)+"/ignore", url.Values{}), unlinkedPath, "sku-ignored")
		r = ops.get("/console/feeds/unlinked")
		wantNotBody(t, r, `data-sku="UNK-1"`, `data-sku="UNK-2"`)
		wantBody(t, ops.get("/console/feeds/unlinked?status=linked"), `data-sku="UNK-1"`, "ops@example.com")

		// Pages of things that do not exist.
		wantStatus(t, ops.get("/console/feeds/runs/999999"), http.StatusNotFound)
		wantStatus(t, ops.get("/console/feeds/suppliers/999999"), http.StatusNotFound)
		wantStatus(t, ops.get("/console/feeds/runs/999999/errors.csv"), http.StatusNotFound)
	})
}

// TestConsoleFeedPull shows a supplier's pull source on its feed page and
// pulls it now: a file becomes a run, the same file again is not modified.
func TestConsoleFeedPull(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		file := "Code,Stock,Price\nLC-100-B,25,6.00\n"
		var hits atomic.Int32
		supplier := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			if r.Header.Get("X-Api-Key") != "k-123" {
				http.Error(w, "no key", http.StatusUnauthorized)
				return
			}
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Type", "text/csv")
			io.WriteString(w, file)
		}))
		t.Cleanup(supplier.Close)
		inv := inventory.New(db, time.Now, inventory.Options{})
		sup := suppliers.NewService(db, time.Now)
		// The test's supplier server is on 127.0.0.1, which pulls refuse by default.
		fs, err := feeds.New(db, inv, sup, nil, nil, time.Now, feeds.Options{PullAllowPrivate: true, PullAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler), Inventory: inv, Suppliers: sup, Feeds: fs})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		t.Cleanup(ts.Close)
		seed := seedConsole(t, s)
		ctx := context.Background()
		if _, err := fs.SaveSettings(ctx, seed.lisbon.ID, feeds.Settings{Mapping: feeds.Mapping{SKU: "Code", Quantity: "Stock", Cost: "Price",
			DefaultCurrency: "EUR"}, Guards: feeds.DefaultGuards}); err != nil {
			t.Fatal(err)
		}
		lisbon := supplierFeedPath(seed.lisbon.ID)
		email, password := consoleUser(t, s, auth.Operations, "ops@example.com")
		ops := newConsoleClient(t, ts.URL)
		ops.login(email, password)
		remail, rpassword := consoleUser(t, s, auth.Support, "support@example.com")
		sp := newConsoleClient(t, ts.URL)
		sp.login(remail, rpassword)

		wantBody(t, ops.get(lisbon), `id="no-pull"`)
		wantNotBody(t, ops.get(lisbon), `id="pull-now"`)
		source := url.Values{"url": {"ftp://supplier.example/stock.csv"}, "every": {"soon"}, "timeout": {"60s"},
			"auth_header": {"X-Api-Key"}, "auth_value": {"k-123"}}
		wantStatus(t, sp.post(lisbon+"/pull-source", source), http.StatusForbidden)
		r := ops.post(lisbon+"/pull-source", source)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="every-err">enter a duration such as 1h`)
		source.Set("every", "1h")
		r = ops.post(lisbon+"/pull-source", source)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="url-err">must be an http or https URL`, `value="ftp://supplier.example/stock.csv"`)
		wantNotBody(t, r, "k-123")
		source.Set("url", supplier.URL+"/stock.csv")
		redirected(t, ops.post(lisbon+"/pull-source", source), lisbon, "pull-source-set")
		r = ops.get(lisbon)
		wantBody(t, r, supplier.URL+"/stock.csv", "every 1h", `id="pull-now"`, "<dt>Last pull</dt><dd>never",
			"sent as the X-Api-Key header (not shown)")
		wantNotBody(t, r, "k-123")
		wantBody(t, ops.get("/console/feeds"), "pulled from a URL")
		r = sp.get(lisbon)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, supplier.URL+"/stock.csv")
		wantNotBody(t, r, `id="pull-now"`)
		wantStatus(t, sp.post(lisbon+"/pull", url.Values{}), http.StatusForbidden)
		if hits.Load() != 0 {
			t.Fatalf("the supplier's server was called %d times before anyone pulled", hits.Load())
		}

		runPath := redirected(t, ops.post(lisbon+"/pull", url.Values{}), "/console/feeds/runs/", "feed-pulled")
		r = ops.get(runPath + "?done=feed-pulled")
		wantBody(t, r, "File pulled", `data-status="applied"`, "<dd>url, by", `<dd data-count="changed">1</dd>`)
		wantBody(t, ops.get(lisbon), `id="pull-status">fetched</span> (HTTP 200)`, `<a href="`+runPath+`">run`)

		redirected(t, ops.post(lisbon+"/pull", url.Values{}), lisbon, "pull-done")
		wantBody(t, ops.get(lisbon), `id="pull-status">not_modified</span> (HTTP 304)`)
		if hits.Load() != 2 {
			t.Errorf("the supplier's server was called %d times, want 2", hits.Load())
		}
		// Changing the schedule keeps the credential; stopping removes the source.
		redirected(t, ops.post(lisbon+"/pull-source", url.Values{"url": {supplier.URL + "/stock.csv"}, "every": {""}}), lisbon, "pull-source-set")
		src, err := fs.PullSource(ctx, seed.lisbon.ID)
		if err != nil || src == nil || src.Every != 0 || !src.AuthSet {
			t.Fatalf("source after a schedule change: %+v, %v", src, err)
		}
		redirected(t, ops.post(lisbon+"/pull-source/delete", url.Values{}), lisbon, "pull-source-off")
		wantBody(t, ops.get(lisbon), `id="no-pull"`)
	})
}

// TestConsoleFeedUploadTooLarge: a file over the feed limit is refused on
// the feed page, and nothing becomes a run.
func TestConsoleFeedUploadTooLarge(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	inv := inventory.New(db, time.Now, inventory.Options{})
	sup := suppliers.NewService(db, time.Now)
	fs, err := feeds.New(db, inv, sup, nil, nil, time.Now, feeds.Options{MaxFileBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler), Inventory: inv, Suppliers: sup, Feeds: fs})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	seed := seedConsole(t, s)
	if _, err := fs.SaveSettings(context.Background(), seed.lisbon.ID, feeds.Settings{Mapping: feeds.Mapping{SKU: "Code", Quantity: "Stock"},
		Guards: feeds.DefaultGuards}); err != nil {
		t.Fatal(err)
	}
	email, password := consoleUser(t, s, auth.Operations, "ops@example.com")
	ops := newConsoleClient(t, ts.URL)
	ops.login(email, password)
	r := ops.postForm(supplierFeedPath(seed.lisbon.ID)+"/upload", nil, "big.csv", []byte("Code,Stock\n"+strings.Repeat("LC-100-B,1\n", 20)))
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	wantBody(t, r, `id="upload-error">The feed file is larger than`, "<h1>Feed of Lisbon Ceramics</h1>")
	if runs, _, err := fs.Runs(context.Background(), feeds.RunFilter{}); err != nil || len(runs) != 0 {
		t.Errorf("runs after a refused upload: %+v, %v", runs, err)
	}
}
