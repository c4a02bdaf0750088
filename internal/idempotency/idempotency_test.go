package idempotency_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/idempotency"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestClaimLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		req := idempotency.Request{Principal: "token:1 shop", Key: "k", Method: "POST", Path: "/api/v1/x", Hash: "h1"}
		other := req
		other.Hash = "h2"

		claim := func(r idempotency.Request, at time.Time) (idempotency.Outcome, idempotency.Ticket, *idempotency.Response) {
			t.Helper()
			o, tk, resp, err := idempotency.Claim(ctx, db, r, at)
			if err != nil {
				t.Fatal(err)
			}
			return o, tk, resp
		}

		o, first, _ := claim(req, t0)
		if o != idempotency.Claimed {
			t.Fatalf("first claim: %v", o)
		}
		if o, _, _ := claim(req, t0.Add(time.Minute)); o != idempotency.InFlight {
			t.Fatalf("while running: %v, want InFlight", o)
		}
		if o, _, _ := claim(other, t0.Add(time.Minute)); o != idempotency.Mismatch {
			t.Fatalf("other request while running: %v, want Mismatch", o)
		}

		// An unanswered claim older than StaleClaim is taken over; the old
		// ticket can then neither complete nor release the new claim.
		o, second, _ := claim(req, t0.Add(idempotency.StaleClaim+time.Second))
		if o != idempotency.Claimed {
			t.Fatalf("stale claim: %v, want Claimed", o)
		}
		if err := idempotency.Complete(ctx, db, first, idempotency.Response{Status: 409}); err != nil {
			t.Fatal(err)
		}
		if err := idempotency.Release(ctx, db, first); err != nil {
			t.Fatal(err)
		}
		if o, _, _ := claim(req, t0.Add(idempotency.StaleClaim+2*time.Second)); o != idempotency.InFlight {
			t.Fatalf("after the stale ticket's writes: %v, want the new claim still InFlight", o)
		}

		h := http.Header{"Location": {"/api/v1/x/1"}}
		if err := idempotency.Complete(ctx, db, second, idempotency.Response{Status: 201, Header: h, Body: []byte(`{"id":1}`)}); err != nil {
			t.Fatal(err)
		}
		o, _, resp := claim(req, t0.Add(time.Hour))
		if o != idempotency.Replay || resp.Status != 201 || string(resp.Body) != `{"id":1}` || resp.Header.Get("Location") != "/api/v1/x/1" {
			t.Fatalf("replay: %v %+v", o, resp)
		}
		if o, _, _ := claim(other, t0.Add(time.Hour)); o != idempotency.Mismatch {
			t.Fatalf("other request after: %v, want Mismatch", o)
		}

		// After the retention the key is free again, for any request.
		if o, _, _ := claim(other, second.CreatedAt.Add(idempotency.Retention+time.Second)); o != idempotency.Claimed {
			t.Fatalf("after retention: %v, want Claimed", o)
		}
	})
}

func TestPrune(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		for i, age := range []time.Duration{25 * time.Hour, 24*time.Hour + time.Second, 23 * time.Hour, 0} {
			req := idempotency.Request{Principal: "anonymous", Key: string(rune('a' + i)), Method: "POST", Path: "/p", Hash: "h"}
			if _, _, _, err := idempotency.Claim(ctx, db, req, now.Add(-age)); err != nil {
				t.Fatal(err)
			}
		}
		n, err := idempotency.Prune(ctx, db.W, now)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("pruned %d keys, want the 2 older than 24h", n)
		}
	})
}
