// Package idempotency stores the responses to API requests that carried an
// Idempotency-Key, so that a client retrying a request gets the first answer
// again instead of doing the work twice.
//
// A key is claimed with one INSERT before the request runs. The unique
// (principal, key) constraint decides which request wins when several
// instances of Orderly see the same key at once: the loser finds the winner's
// row and either waits for it (conflict) or replays its response.
package idempotency

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
)

// Retention is how long a key and its response are kept. A retry after that
// runs the request again.
const Retention = 24 * time.Hour

// StaleClaim is how long a claim may stay unanswered before another request
// with the same key may take it over. It covers an instance that died while
// running the first request; it is far longer than any request may run.
const StaleClaim = 5 * time.Minute

// Request identifies what a key was used for.
type Request struct {
	Principal string // who sent it: keys are scoped per caller
	Key       string
	Method    string
	Path      string
	Hash      string // hash of method, path and body
}

// Response is a stored response. Status 0 means the first request with this
// key is still running.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Outcome says what Claim found.
type Outcome int

const (
	// Claimed: the key was free and now belongs to this request, which must
	// run and then call Complete or Release.
	Claimed Outcome = iota
	// InFlight: another request with this key is still running.
	InFlight
	// Mismatch: the key was used for a different request.
	Mismatch
	// Replay: the key's request finished; Claim returned its response.
	Replay
)

// Ticket names a claimed key for Complete and Release. It carries the claim
// time as well as the row id because SQLite may hand a deleted row's id to
// the next row: a request whose stale claim was taken over must not write
// into its successor's row.
type Ticket struct {
	ID        int64
	CreatedAt time.Time
}

// Claim takes the key for req, or reports what holds it. With Claimed, the
// ticket names the claimed row; with Replay, the response is the stored one.
func Claim(ctx context.Context, db *store.DB, req Request, now time.Time) (Outcome, Ticket, *Response, error) {
	now = now.UTC().Truncate(time.Microsecond)
	// Two rounds at most: an expired or stale row found in the first is
	// cleared, and the second claims the key again.
	for range 2 {
		var id int64
		err := db.W.QueryRowContext(ctx, `INSERT INTO idempotency_keys (principal, key, method, path, request_hash, status, created_at)
			VALUES ($1, $2, $3, $4, $5, 0, $6)
			ON CONFLICT (principal, key) DO NOTHING
			RETURNING id`, req.Principal, req.Key, req.Method, req.Path, req.Hash, now).Scan(&id)
		if err == nil {
			return Claimed, Ticket{ID: id, CreatedAt: now}, nil, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, Ticket{}, nil, fmt.Errorf("claim idempotency key: %w", err)
		}

		var (
			hash      string
			status    int
			headers   string
			body      []byte
			createdAt time.Time
		)
		err = db.W.QueryRowContext(ctx, `SELECT id, request_hash, status, response_headers, response_body, created_at
			FROM idempotency_keys WHERE principal = $1 AND key = $2`, req.Principal, req.Key).
			Scan(&id, &hash, &status, &headers, &body, &createdAt)
		if errors.Is(err, sql.ErrNoRows) {
			continue // released between our INSERT and SELECT: try again
		}
		if err != nil {
			return 0, Ticket{}, nil, fmt.Errorf("read idempotency key: %w", err)
		}
		expired := createdAt.Before(now.Add(-Retention))
		stale := status == 0 && createdAt.Before(now.Add(-StaleClaim))
		if expired || stale {
			// The condition on created_at makes this safe when several
			// requests find the same old row: one deletes it, one claims.
			if _, err := db.W.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE id = $1 AND created_at = $2`, id, createdAt); err != nil {
				return 0, Ticket{}, nil, fmt.Errorf("clear expired idempotency key: %w", err)
			}
			continue
		}
		if hash != req.Hash {
			return Mismatch, Ticket{}, nil, nil
		}
		if status == 0 {
			return InFlight, Ticket{}, nil, nil
		}
		resp := &Response{Status: status, Header: http.Header{}, Body: body}
		if err := json.Unmarshal([]byte(headers), &resp.Header); err != nil {
			return 0, Ticket{}, nil, fmt.Errorf("decode stored response headers: %w", err)
		}
		return Replay, Ticket{}, resp, nil
	}
	// Someone keeps taking the key between our statements; the client retries.
	return InFlight, Ticket{}, nil, nil
}

// Complete stores the response of the request that holds ticket t.
func Complete(ctx context.Context, db *store.DB, t Ticket, resp Response) error {
	headers, err := json.Marshal(resp.Header)
	if err != nil {
		return fmt.Errorf("encode response headers: %w", err)
	}
	body := resp.Body
	if body == nil {
		body = []byte{}
	}
	if _, err := db.W.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, response_headers = $2, response_body = $3 WHERE id = $4 AND created_at = $5`,
		resp.Status, string(headers), body, t.ID, t.CreatedAt); err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// Release frees the key that ticket t holds, so that a retry runs the request
// again (used when the request failed with a server error).
func Release(ctx context.Context, db *store.DB, t Ticket) error {
	if _, err := db.W.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE id = $1 AND created_at = $2`, t.ID, t.CreatedAt); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// Prune deletes keys older than Retention and returns how many it deleted.
func Prune(ctx context.Context, q store.Querier, now time.Time) (int64, error) {
	cutoff := now.UTC().Truncate(time.Microsecond).Add(-Retention)
	res, err := q.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	return n, nil
}
