package shopify_test

import (
	"testing"

	"github.com/orderly-oms/orderly/internal/integrations/shopify"
)

func TestVerifyHMAC(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":450789469}`)
	secret := []byte("hush")
	// Computed independently: python3 -c 'import hmac,hashlib,base64;
	// print(base64.b64encode(hmac.new(b"hush",b"{\"id\":450789469}",hashlib.sha256).digest()))'
	const good = "QPF8T1ti8Gpf6xXRoKZDI2G/2Fp8v4tKnau8MqDdx3o="

	for _, tc := range []struct {
		name   string
		body   []byte
		header string
		secret []byte
		want   bool
	}{
		{"good", body, good, secret, true},
		{"surrounding spaces are ignored", body, " " + good + " ", secret, true},
		{"empty body, its own signature", nil, "Knm8rWjeSXNIt2H0AOMT7DQ8/YSy8sQi/pEjbuUmGMs=", secret, true},
		{"missing header", body, "", secret, false},
		{"one character of the MAC changed", body, "RPF8T1ti8Gpf6xXRoKZDI2G/2Fp8v4tKnau8MqDdx3o=", secret, false},
		{"one byte of the body changed", []byte(`{"id":450789468}`), good, secret, false},
		{"body re-serialised with a space", []byte(`{"id": 450789469}`), good, secret, false},
		{"wrong secret", body, good, []byte("hush!"), false},
		{"no secret configured", body, good, nil, false},
		{"hex instead of base64", body, "40f17c4f5b62f06a5feb15d1a0a6432361bfd85a7cbf8b4a9dabbc32a0ddc77a", secret, false},
		{"not base64", body, "not base64 at all!", secret, false},
		{"truncated MAC", body, good[:40], secret, false},
		{"oversized header", body, good + string(make([]byte, 200)), secret, false},
	} {
		if got := shopify.VerifyHMAC(tc.body, tc.header, tc.secret); got != tc.want {
			t.Errorf("%s: VerifyHMAC = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := shopify.Sign(body, secret); got != good {
		t.Errorf("Sign = %q, want %q", got, good)
	}
}

func BenchmarkVerifyHMAC(b *testing.B) {
	body := make([]byte, 32<<10) // a large order
	secret := []byte("a shared secret of ordinary length")
	sig := shopify.Sign(body, secret)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if !shopify.VerifyHMAC(body, sig, secret) {
			b.Fatal("did not verify")
		}
	}
}
