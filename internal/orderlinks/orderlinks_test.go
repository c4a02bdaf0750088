package orderlinks

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var (
	now     = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	testKey = bytes.Repeat([]byte{7}, 32)
)

func signer(t testing.TB, key []byte) *Signer {
	t.Helper()
	s, err := NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	s := signer(t, testKey)
	for _, order := range []int64{1, 127, 128, 1001, 1 << 40} {
		exp := now.Add(DefaultTTL)
		tok := s.Token(order, exp)
		got, gotExp, err := s.Verify(tok, now)
		if err != nil || got != order || !gotExp.Equal(exp) {
			t.Fatalf("Verify(Token(%d)) = %d, %v, %v; want %d, %v, nil", order, got, gotExp, err, order, exp)
		}
		if p := Path(tok); p != "/o/"+tok {
			t.Fatalf("Path = %q", p)
		}
	}
}

func TestExpired(t *testing.T) {
	s := signer(t, testKey)
	exp := now.Add(time.Hour)
	tok := s.Token(42, exp)
	if _, _, err := s.Verify(tok, exp.Add(-time.Second)); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	for _, at := range []time.Time{exp, exp.Add(time.Second), exp.Add(365 * 24 * time.Hour)} {
		order, _, err := s.Verify(tok, at)
		if !errors.Is(err, ErrExpired) || order != 42 {
			t.Fatalf("Verify at %v = %d, %v; want 42, ErrExpired", at, order, err)
		}
	}
}

// TestTampered: changing any one character of a token, cutting it, or
// signing with another key is refused as tampered, never as expired or valid.
func TestTampered(t *testing.T) {
	s := signer(t, testKey)
	tok := s.Token(1001, now.Add(time.Hour))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	for i := range len(tok) {
		for _, c := range []byte(alphabet) {
			if c == tok[i] {
				continue
			}
			bad := tok[:i] + string(c) + tok[i+1:]
			if _, _, err := s.Verify(bad, now); !errors.Is(err, ErrTampered) {
				t.Fatalf("token with byte %d changed to %q: err = %v, want ErrTampered", i, c, err)
			}
		}
	}
	other := signer(t, bytes.Repeat([]byte{8}, 32))
	for _, bad := range []string{"", ".", tok[:len(tok)-1], tok + "A", "x" + tok, other.Token(1001, now.Add(time.Hour)),
		tok[:len(tok)/2], string(bytes.Repeat([]byte("A"), MaxTokenLen+1))} {
		if _, _, err := s.Verify(bad, now); !errors.Is(err, ErrTampered) {
			t.Fatalf("Verify(%q) = %v, want ErrTampered", bad, err)
		}
	}
	// An expired token from another key is still tampered, not expired.
	if _, _, err := s.Verify(other.Token(5, now.Add(-time.Hour)), now); !errors.Is(err, ErrTampered) {
		t.Fatalf("expired token of another key: %v, want ErrTampered", err)
	}
}

func TestNewSignerShortKey(t *testing.T) {
	if _, err := NewSigner(make([]byte, 31)); err == nil {
		t.Fatal("a 31-byte key was accepted")
	}
}

// TestLoadSharedKey: instances on one database sign with one key, whoever
// created it, even when they all start at once.
func TestLoadSharedKey(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			db := storetest.Open(t, e)
			ctx := context.Background()
			const n = 6
			signers := make([]*Signer, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					signers[i], errs[i] = Load(ctx, db)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("Load %d: %v", i, err)
				}
			}
			tok := signers[0].Token(9, now.Add(time.Hour))
			for i, s := range signers {
				if got, _, err := s.Verify(tok, now); err != nil || got != 9 {
					t.Fatalf("signer %d: Verify = %d, %v", i, got, err)
				}
			}
			again, err := Load(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.key, signers[0].key) {
				t.Fatal("a later Load returned another key")
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	s := signer(f, testKey)
	f.Add(s.Token(1001, now.Add(time.Hour)))
	f.Add(s.Token(1, now.Add(-time.Hour)))
	f.Add("AQ.AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		order, exp, err := s.Verify(tok, now)
		if err == nil || errors.Is(err, ErrExpired) {
			// Only tokens this signer made get past the MAC: re-signing
			// what Verify read must give the same token back.
			if order <= 0 || s.Token(order, exp) != tok {
				t.Fatalf("Verify(%q) accepted order %d, expiry %v: not a token Token makes", tok, order, exp)
			}
		} else if !errors.Is(err, ErrTampered) {
			t.Fatalf("Verify(%q) = %v", tok, err)
		}
	})
}
