package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/storefront"
)

func TestStorefrontSyncIntervalSetting(t *testing.T) {
	t.Setenv("ORDERLY_DB", filepath.Join(t.TempDir(), "orderly.db"))
	for _, args := range [][]string{{"--storefront-sync-interval", "500ms"}, {"--storefront-sync-interval", "soon"}} {
		err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "storefront-sync-interval") {
			t.Errorf("serve %v: %v, want a usage error naming the flag", args, err)
		}
	}
}

// TestStorefrontWiring opens the app as serve does, runs its job queue, and
// checks that a stock change reaches a webhook target: the triggers, the
// dispatcher and the drain worker are all wired.
func TestStorefrontWiring(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []storefront.WebhookItem
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := storefront.Verify([]byte("wiring-test-signing-key"), r.Header.Get(storefront.SignatureHeader), body, time.Now(), storefront.DefaultTolerance); err != nil {
			t.Errorf("delivery does not verify: %v", err)
		}
		var b storefront.WebhookBatch
		if err := json.Unmarshal(body, &b); err != nil {
			t.Errorf("delivery: %v", err)
		}
		mu.Lock()
		got = append(got, b.Items...)
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)

	ctx := context.Background()
	a, err := openApp(ctx, settings{DB: filepath.Join(t.TempDir(), "orderly.db"), LogFormat: "text", LogLevel: "error",
		ShortOrders: "refuse", StorefrontSyncEvery: time.Second}, io.Discard, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.close() })
	if _, err := loadDemo(ctx, a); err != nil {
		t.Fatal(err)
	}
	var offer, variant int64
	var sku string
	if err := a.db.R.QueryRowContext(ctx, `SELECT o.id, v.id, v.sku FROM supplier_offers o JOIN variants v ON v.id = o.variant_id
		WHERE v.status = 'active' AND o.status = 'active' ORDER BY o.id LIMIT 1`).Scan(&offer, &variant, &sku); err != nil {
		t.Fatal(err)
	}
	if _, err := a.storefront.CreateTarget(ctx, storefront.NewTarget{Name: "hook", Kind: storefront.KindWebhook, URL: hook.URL,
		Secret: "wiring-test-signing-key", RatePerSecond: 100, BatchSize: 250}); err != nil {
		t.Fatal(err)
	}
	if err := a.jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a.jobs.Stop(sctx)
	})
	// Wait for the full sync, then change the stock and wait for it.
	waitFor := func(what string, ok func(storefront.WebhookItem) bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			mu.Lock()
			for _, it := range got {
				if ok(it) {
					mu.Unlock()
					return
				}
			}
			mu.Unlock()
			if time.Now().After(deadline) {
				t.Fatalf("%s: not delivered in time", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("the full sync", func(it storefront.WebhookItem) bool { return it.SKU == sku })
	if _, err := a.inventory.Report(ctx, offer, 4321, time.Time{}, "test"); err != nil {
		t.Fatal(err)
	}
	ats, err := a.inventory.ATS(ctx, a.db.R, variant)
	if err != nil {
		t.Fatal(err)
	}
	waitFor("the stock change", func(it storefront.WebhookItem) bool { return it.SKU == sku && it.Available == ats })
}
