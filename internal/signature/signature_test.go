package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/signature"
)

func TestSignVerify(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt_1"}`)
	key := []byte("whsec_k")
	h := signature.Sign(key, now, body)
	// The scheme, computed independently.
	m := hmac.New(sha256.New, key)
	m.Write([]byte("1796212800." + string(body)))
	if want := "t=1796212800,v1=" + hex.EncodeToString(m.Sum(nil)); h != want {
		t.Fatalf("Sign = %q, want %q", h, want)
	}
	for _, c := range []struct {
		name   string
		secret []byte
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", key, h, body, now.Add(4 * time.Minute), nil},
		{"replayed after the tolerance", key, h, body, now.Add(6 * time.Minute), signature.ErrStale},
		{"from the future", key, h, body, now.Add(-6 * time.Minute), signature.ErrStale},
		{"tampered body", key, h, []byte(`{"id":"evt_2"}`), now, signature.ErrBadSignature},
		{"other secret", []byte("whsec_x"), h, body, now, signature.ErrBadSignature},
		{"no secret", nil, h, body, now, signature.ErrBadSignature},
		{"no header", key, "", body, now, signature.ErrNoSignature},
		{"no v1", key, "t=1796212800", body, now, signature.ErrNoSignature},
		{"rotated: a second v1 matches", key, "t=1796212800,v1=00ff," + h[len("t=1796212800,"):], body, now, nil},
	} {
		if err := signature.Verify(c.secret, c.header, c.body, c.at, signature.DefaultTolerance); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}
