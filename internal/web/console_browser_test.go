package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/demo"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Chromium for t with a fresh profile and returns
// a chromedp context for one tab. Without Chromium the test is skipped, or
// fails when CI is set (CI must run the browser tests).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		p, lerr := exec.LookPath("chromium")
		if lerr != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI is set but Chromium is missing (%s): install Debian's chromium package", chromiumPath)
			}
			t.Skipf("browser test skipped: Chromium not found at %s (apt-get install chromium)", chromiumPath)
		}
		path = p
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		// Root in a container has no usable sandbox.
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// Start the browser now, on a context without a deadline (a deadline on
	// the first Run would bound the browser's whole life).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// screenshotOnFailure saves a full-page screenshot when t has failed, so a
// broken page can be looked at. It goes to t.ArtifactDir(): a temporary
// directory, kept when the tests run with -artifacts=DIR.
func screenshotOnFailure(t *testing.T, ctx context.Context) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Logf("no failure screenshot: %v", err)
			return
		}
		path := filepath.Join(t.ArtifactDir(), "failure.png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Logf("no failure screenshot: %v", err)
			return
		}
		t.Logf("failure screenshot: %s (run go test with -artifacts=DIR to keep it)", path)
	})
}

// step runs browser actions with a time limit, failing t with what was being
// done.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// pollJS evaluates a JavaScript expression until it returns a non-empty
// string, and returns that string.
func pollJS(t *testing.T, ctx context.Context, what, expr string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Poll[string](fmt.Sprintf("(() => { const v = %s; return v ? String(v) : false })()", expr),
		chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return strings.TrimSpace(v)
}

// TestConsoleBrowserStockSearch drives the console in a real Chromium over
// the demo store: it logs in through the login form as the demo operations
// user, opens the stock page, types a demo SKU into the search box and checks
// that the row shows the SKU's ATS, then opens the SKU's page.
func TestConsoleBrowserStockSearch(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	screenshotOnFailure(t, ctx)

	db := storetest.Open(t, store.SQLite)
	if _, err := demo.Load(context.Background(), db, time.Now); err != nil {
		t.Fatalf("load the demo store: %v", err)
	}
	s, base := newConsoleServer(t, db)
	var login demo.Login
	for _, l := range demo.Logins {
		if l.Role == auth.Operations {
			login = l
		}
	}
	sku := demo.FirstSKU
	id, err := s.cfg.Inventory.VariantID(context.Background(), sku)
	if err != nil {
		t.Fatal(err)
	}
	ats, err := s.cfg.Inventory.ATS(context.Background(), db.R, id)
	if err != nil {
		t.Fatal(err)
	}

	// An anonymous visit to the stock page lands on the login form.
	step(t, ctx, "open the stock page",
		chromedp.Navigate(base+"/console/stock"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
	)
	if loc := location(t, ctx); !strings.Contains(loc, "/login?next=%2Fconsole%2Fstock") {
		t.Fatalf("anonymous visit went to %s, want the login page", loc)
	}
	step(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS("#email"), login.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), login.Password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#stock-rows")),
	)
	if loc := location(t, ctx); loc != base+"/console/stock" {
		t.Fatalf("after login the browser is at %s, want the stock page", loc)
	}

	// Type the SKU in lower case: htmx replaces the rows with the matches.
	typed := strings.ToLower(sku)
	step(t, ctx, "search", chromedp.SendKeys(chromedp.CSS("#q"), typed))
	got := pollJS(t, ctx, "wait for the search results", `(() => {
		const rows = [...document.querySelectorAll("#stock-rows tr[data-sku]")];
		if (rows.length === 0 || !rows.every(r => r.dataset.sku.startsWith(`+strconv.Quote(sku)+`))) return "";
		const row = rows.find(r => r.dataset.sku === `+strconv.Quote(sku)+`);
		return row ? row.querySelector("[data-ats]").textContent : "";
	})()`)
	if got != strconv.Itoa(ats) {
		t.Fatalf("%s shows ATS %q, want %d", sku, got, ats)
	}
	// The search is in the address bar, so the page can be shared or reloaded.
	if loc := location(t, ctx); !strings.Contains(loc, "q="+url.QueryEscape(typed)) {
		t.Errorf("address after search is %s, want it to carry the search", loc)
	}

	// The SKU link opens the detail page with the same ATS.
	step(t, ctx, "open the SKU page",
		chromedp.Click(chromedp.CSS(`#stock-rows tr[data-sku="`+sku+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#ats")),
	)
	detail, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#ats")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(detail) != strconv.Itoa(ats) {
		t.Fatalf("SKU page shows ATS %q, want %d", detail, ats)
	}
}

// location returns the browser's current URL.
func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
