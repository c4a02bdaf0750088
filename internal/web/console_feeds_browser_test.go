package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestConsoleBrowserFeeds drives the feed pages in a real Chromium: the
// operations user logs in, types a mapping, previews it on a sample file
// (a bad quantity cell is marked, a good row shows as it would apply),
// saves it, lets the guards judge the seed's two SKUs, uploads a file that
// applies, then one that takes every SKU in stock to 0: it is quarantined
// and nothing changes until the user approves it, and then stock drops.
func TestConsoleBrowserFeeds(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	screenshotOnFailure(t, ctx)

	db := storetest.Open(t, store.SQLite)
	s, base := newConsoleServer(t, db)
	seed := seedConsole(t, s)
	email, password := consoleUser(t, s, auth.Operations, "ops@example.com")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sample := write("sample.csv", "Code;Stock;Price\nLC-100-B;40;6,00\nLC-100-R;lots;6,00\n")
	stock := write("stock.csv", "Code;Stock;Price\nLC-100-B;50;6,00\nLC-100-R;3;6,00\n")
	zero := write("zero.csv", "Code;Stock;Price\nLC-100-B;0;6,00\nLC-100-R;0;6,00\n")
	feedPage := base + supplierFeedPath(seed.lisbon.ID)
	bg := context.Background()
	blue := seed.variants["MUG-BLUE"].ID

	step(t, ctx, "log in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".cards")),
	)
	step(t, ctx, "open the feeds overview and the supplier's mapping",
		chromedp.Click(chromedp.CSS(`nav a[href="/console/feeds"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#feed-rows tr[data-supplier]`)),
		chromedp.Navigate(feedPage+"/mapping"),
		chromedp.WaitVisible(chromedp.CSS("#sku")),
	)
	step(t, ctx, "type a mapping and preview it on a sample file",
		chromedp.SendKeys(chromedp.CSS("#sku"), "Code"),
		chromedp.SendKeys(chromedp.CSS("#quantity"), "Stock"),
		chromedp.SendKeys(chromedp.CSS("#cost"), "Price"),
		chromedp.SendKeys(chromedp.CSS("#default_currency"), "EUR"),
		chromedp.Click(chromedp.CSS("#decimal_comma")),
		chromedp.SetUploadFiles(chromedp.CSS("#sample"), []string{sample}),
		chromedp.Click(chromedp.CSS("#preview-button")),
		chromedp.WaitVisible(chromedp.CSS("#preview-table")),
	)
	got := pollJS(t, ctx, "read the preview", `(() => {
		const good = document.querySelector('#preview-table tr[data-line="2"]');
		const bad = document.querySelector('#preview-table tr[data-line="3"] td.cell-error');
		return good && bad ? good.lastElementChild.textContent.trim() + " | " + bad.textContent.trim() : "";
	})()`)
	if !strings.HasPrefix(got, "LC-100-B · quantity 40 · cost 6.00 EUR | lots") || !strings.Contains(got, "quantity") {
		t.Fatalf("preview shows %q", got)
	}
	if st, _ := s.cfg.Feeds.Settings(bg, seed.lisbon.ID); st.Saved {
		t.Fatal("the preview saved the mapping")
	}

	// The form kept what was typed: save it, then the guards.
	step(t, ctx, "save the mapping",
		chromedp.Click(chromedp.CSS("#save-mapping")),
		chromedp.WaitVisible(chromedp.CSS("#mapping-summary")),
	)
	if st, _ := s.cfg.Feeds.Settings(bg, seed.lisbon.ID); !st.Saved || st.Mapping.Quantity != "Stock" || !st.Mapping.DecimalComma {
		t.Fatalf("saved mapping: %+v", st.Mapping)
	}
	step(t, ctx, "let the guards judge two SKUs",
		chromedp.SetValue(chromedp.CSS("#min_skus"), "0"),
		chromedp.Click(chromedp.CSS(`form[action$="/guards"] button[type="submit"]`)),
	)
	waitLocation(t, ctx, "done=guards-saved")
	step(t, ctx, "upload a file that applies",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{stock}),
		chromedp.Click(chromedp.CSS(`form[action$="/upload"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`h1 [data-status="applied"]`)),
	)
	before, err := s.cfg.Inventory.ATS(bg, db.R, blue)
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "upload a file that zeroes every SKU",
		chromedp.Navigate(feedPage),
		chromedp.WaitVisible(chromedp.CSS("#file")),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{zero}),
		chromedp.Click(chromedp.CSS(`form[action$="/upload"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#approve")),
	)
	reason := pollJS(t, ctx, "read why", `document.querySelector("#run-reason").textContent`)
	if !strings.Contains(reason, "would drop to 0") {
		t.Fatalf("quarantine reason %q", reason)
	}
	if now, _ := s.cfg.Inventory.ATS(bg, db.R, blue); now != before {
		t.Fatalf("a quarantined run changed MUG-BLUE's ATS from %d to %d", before, now)
	}
	step(t, ctx, "approve it",
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitVisible(chromedp.CSS(`h1 [data-status="approved"]`)),
	)
	if now, _ := s.cfg.Inventory.ATS(bg, db.R, blue); now >= before {
		t.Fatalf("MUG-BLUE's ATS is %d after approving a run that zeroes Lisbon, was %d", now, before)
	}
	if loc := location(t, ctx); !strings.Contains(loc, "/console/feeds/runs/") || !strings.Contains(loc, "done=run-approved") {
		t.Errorf("after approving the browser is at %s", loc)
	}
}

// waitLocation waits until the browser's address contains part (a form
// post's redirect), going on through the navigation's own errors.
func waitLocation(t *testing.T, ctx context.Context, part string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var loc string
	for time.Now().Before(deadline) {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		l, err := chromedp.Run(sctx, chromedp.Location())
		cancel()
		if err == nil {
			if loc = l; strings.Contains(loc, part) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the browser is at %s, waiting for an address with %q", loc, part)
}
