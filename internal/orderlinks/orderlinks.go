// Package orderlinks makes and checks the signed, expiring links that let a
// customer open their order page without an account (issue 8).
//
// A token names one order and when the link stops working, and carries an
// HMAC-SHA256 of both under a key only the server knows:
//
//	base64url(version ‖ uvarint(order) ‖ uvarint(expires, Unix seconds)) "." base64url(MAC[:16])
//
// The MAC covers a purpose string as well, so a key could never make a token
// valid for something else. Changing any byte of the token makes Verify fail
// with ErrTampered; a token past its expiry fails with ErrExpired (checked only
// after the MAC, so an expired answer is never given for a forged token). The
// token is the customer's authority on the page: whoever holds an unexpired
// link may see the order and answer its questions, as with any emailed link.
//
// The key is kept in the database (table signing_keys) so that every Orderly
// instance on it signs and verifies alike; Load creates it on first use.
package orderlinks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
)

// Errors of Verify.
var (
	// ErrTampered: the token is malformed or its signature does not match.
	ErrTampered = errors.New("orderlinks: the link is not valid")
	// ErrExpired: the token is genuine but past its expiry.
	ErrExpired = errors.New("orderlinks: the link has expired")
)

const (
	keyName  = "order_links"
	keyBytes = 32
	macBytes = 16
	version  = 1
	purpose  = "orderly order page link v1\x00"
	// MaxTokenLen bounds what Verify reads: a real token is under 40 bytes.
	MaxTokenLen = 128
)

// DefaultTTL is how long a link works when its sender has no setting.
const DefaultTTL = 60 * 24 * time.Hour

// Signer makes and checks tokens with one key.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer with key, which must be at least 32 bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < keyBytes {
		return nil, fmt.Errorf("orderlinks: key of %d bytes, want at least %d", len(key), keyBytes)
	}
	return &Signer{key: bytes.Clone(key)}, nil
}

// Load returns the Signer with the database's order-link key, creating the
// key if this is the first instance to need it. Concurrent first calls from
// several instances agree on one key: each inserts its own candidate with ON
// CONFLICT DO NOTHING and all read back the one that won.
func Load(ctx context.Context, db *store.DB) (*Signer, error) {
	candidate := make([]byte, keyBytes)
	if _, err := rand.Read(candidate); err != nil {
		return nil, fmt.Errorf("orderlinks: new key: %w", err)
	}
	if _, err := db.W.ExecContext(ctx,
		`INSERT INTO signing_keys (name, key, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		keyName, hex.EncodeToString(candidate), time.Now().UTC()); err != nil {
		return nil, fmt.Errorf("orderlinks: store key: %w", err)
	}
	var h string
	if err := db.W.QueryRowContext(ctx, `SELECT key FROM signing_keys WHERE name = $1`, keyName).Scan(&h); err != nil {
		return nil, fmt.Errorf("orderlinks: read key: %w", err)
	}
	key, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("orderlinks: stored key is not hex: %w", err)
	}
	return NewSigner(key)
}

// Token returns the link token for order, valid until expires (to the second).
func (s *Signer) Token(order int64, expires time.Time) string {
	payload := make([]byte, 0, 1+2*binary.MaxVarintLen64)
	payload = append(payload, version)
	payload = binary.AppendUvarint(payload, uint64(order))
	payload = binary.AppendUvarint(payload, uint64(max(expires.Unix(), 0)))
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(s.mac(payload))
}

func (s *Signer) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write(payload)
	return m.Sum(nil)[:macBytes]
}

// Verify checks token at now and returns the order it names and when it
// expires. It fails with ErrTampered for anything not made by Token with this
// key, and with ErrExpired once now is past the expiry.
func (s *Signer) Verify(token string, now time.Time) (order int64, expires time.Time, err error) {
	if len(token) > MaxTokenLen {
		return 0, time.Time{}, ErrTampered
	}
	p, m, ok := strings.Cut(token, ".")
	if !ok {
		return 0, time.Time{}, ErrTampered
	}
	// Strict: a last character with stray low bits would decode to the
	// same bytes, making two spellings of one token.
	enc := base64.RawURLEncoding.Strict()
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(payload)) {
		return 0, time.Time{}, ErrTampered
	}
	// Genuine from here on: only Token writes these bytes.
	if len(payload) < 1 || payload[0] != version {
		return 0, time.Time{}, ErrTampered
	}
	rest := payload[1:]
	o, n := binary.Uvarint(rest)
	if n <= 0 || o == 0 || o > 1<<62 {
		return 0, time.Time{}, ErrTampered
	}
	rest = rest[n:]
	e, n := binary.Uvarint(rest)
	if n <= 0 || n != len(rest) || e > 1<<40 {
		return 0, time.Time{}, ErrTampered
	}
	expires = time.Unix(int64(e), 0).UTC()
	if !now.Before(expires) {
		return int64(o), expires, ErrExpired
	}
	return int64(o), expires, nil
}

// Path is the customer order page's path for token.
func Path(token string) string { return "/o/" + token }
