package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/web"
)

// TestTrackingWebhookSecretWiring: the tracking webhook secret reaches the
// server from the variable and from the flag (a signed batch is accepted,
// an unsigned one refused), and without one the webhook answers 503.
func TestTrackingWebhookSecretWiring(t *testing.T) {
	bin := orderlyBinary(t)
	const secret = "tracking-wiring-secret"
	body := `{"source":"test","events":[]}`
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	signature := hex.EncodeToString(m.Sum(nil))
	post := func(t *testing.T, base, sig string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+web.APIPrefix+web.TrackingEventsPath, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set(web.TrackingSignatureHeader, sig)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	t.Run("variable", func(t *testing.T) {
		t.Setenv("ORDERLY_TRACKING_WEBHOOK_SECRET", secret)
		base := startServe(t, bin, filepath.Join(t.TempDir(), "orderly.db")).baseURL(t)
		if got := post(t, base, ""); got != http.StatusUnauthorized {
			t.Errorf("unsigned: %d, want 401", got)
		}
		if got := post(t, base, signature); got != http.StatusOK {
			t.Errorf("signed: %d, want 200", got)
		}
	})
	t.Run("flag", func(t *testing.T) {
		t.Setenv("ORDERLY_TRACKING_WEBHOOK_SECRET", "")
		base := startServe(t, bin, filepath.Join(t.TempDir(), "orderly.db"), "--tracking-webhook-secret", secret).baseURL(t)
		if got := post(t, base, signature); got != http.StatusOK {
			t.Errorf("signed: %d, want 200", got)
		}
	})
	t.Run("none", func(t *testing.T) {
		t.Setenv("ORDERLY_TRACKING_WEBHOOK_SECRET", "")
		base := startServe(t, bin, filepath.Join(t.TempDir(), "orderly.db")).baseURL(t)
		if got := post(t, base, signature); got != http.StatusServiceUnavailable {
			t.Errorf("no secret: %d, want 503", got)
		}
	})
}
