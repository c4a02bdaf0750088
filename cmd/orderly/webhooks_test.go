package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/integrations/shopify"
	"github.com/orderly-oms/orderly/internal/web"
)

// TestShopifyWebhookSecretWiring: the secret reaches the server from the
// variable and from the flag (a delivery signed with it passes the signature
// check and stops at the topic check), an unsigned one is refused, and
// without a secret the route answers 503.
func TestShopifyWebhookSecretWiring(t *testing.T) {
	bin := orderlyBinary(t)
	const secret = "wiring-test-secret"
	body := []byte(`{"id":1}`)
	post := func(t *testing.T, base, sig string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+web.ShopifyOrdersCreatePath, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(shopify.HeaderTopic, "products/update")
		if sig != "" {
			req.Header.Set(shopify.HeaderHMAC, sig)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	signature := shopify.Sign(body, []byte(secret))

	t.Run("variable", func(t *testing.T) {
		t.Setenv("ORDERLY_SHOPIFY_WEBHOOK_SECRET", secret)
		base := startServe(t, bin, filepath.Join(t.TempDir(), "orderly.db")).baseURL(t)
		if got := post(t, base, ""); got != http.StatusUnauthorized {
			t.Errorf("unsigned: %d, want 401", got)
		}
		if got := post(t, base, signature); got != http.StatusUnprocessableEntity {
			t.Errorf("signed, wrong topic: %d, want 422 (past the signature check)", got)
		}
	})
	t.Run("flag", func(t *testing.T) {
		base := startServe(t, bin, filepath.Join(t.TempDir(), "orderly.db"), "--shopify-webhook-secret", secret).baseURL(t)
		if got := post(t, base, signature); got != http.StatusUnprocessableEntity {
			t.Errorf("signed, wrong topic: %d, want 422", got)
		}
	})
	t.Run("none", func(t *testing.T) {
		t.Setenv("ORDERLY_SHOPIFY_WEBHOOK_SECRET", "")
		base := startServe(t, bin, filepath.Join(t.TempDir(), "orderly.db")).baseURL(t)
		if got := post(t, base, signature); got != http.StatusServiceUnavailable {
			t.Errorf("no secret: %d, want 503", got)
		}
	})
}

// TestHelpDoesNotPrintTheWebhookSecret: -h lists the setting but not the
// value taken from the environment.
func TestHelpDoesNotPrintTheWebhookSecret(t *testing.T) {
	t.Setenv("ORDERLY_SHOPIFY_WEBHOOK_SECRET", "do-not-print-me")
	var stderr bytes.Buffer
	run(context.Background(), []string{"serve", "-h"}, &stderr, &stderr)
	if out := stderr.String(); !strings.Contains(out, "shopify-webhook-secret") || strings.Contains(out, "do-not-print-me") {
		t.Errorf("serve -h:\n%s\nwant the flag listed and the secret not shown", out)
	}
}
