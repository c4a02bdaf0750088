package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/idempotency"
)

// IdempotencyKeyHeader is the request header that makes a POST safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

// replayedHeaders are the response headers stored with an idempotent response
// and sent again on replay; per-request headers (Date, X-Request-Id) are not.
var replayedHeaders = []string{"Content-Type", "Content-Language", "Location", "ETag", "Last-Modified", "Link"}

// documentIdempotency adds the Idempotency-Key header, which the middleware
// handles for every POST, to a POST operation's OpenAPI description.
func documentIdempotency(op *huma.Operation) {
	minLen, maxLen := 1, 255
	op.Parameters = append(op.Parameters, &huma.Param{
		Name: IdempotencyKeyHeader,
		In:   "header",
		Description: "Makes the request safe to retry: a retry with the same key and the same body gets the first " +
			"response again, with `Idempotent-Replayed: true`. The same key with another body is refused (422); while " +
			"the first request runs, a retry gets 409. Keys are kept 24 hours, per caller.",
		Schema: &huma.Schema{Type: "string", MinLength: &minLen, MaxLength: &maxLen},
	})
}

// idempotency honours Idempotency-Key on every POST under /api/v1: the first
// request with a key runs and its response is stored; a retry with the same
// key and the same request (method, path and body) gets that response again,
// marked Idempotent-Replayed: true. Keys are scoped per caller.
func (s *Server) idempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values, sent := r.Header[IdempotencyKeyHeader]
		if !sent || r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, APIPrefix+"/") {
			next.ServeHTTP(w, r)
			return
		}
		key := values[0]
		if len(values) > 1 || len(key) < 1 || len(key) > 255 {
			writeProblem(w, r, http.StatusUnprocessableEntity, apperr.Invalid,
				IdempotencyKeyHeader+" must be one value of 1 to 255 characters")
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if isMaxBytesError(err) {
				writeProblem(w, r, http.StatusRequestEntityTooLarge, TooLarge, tooLargeDetail(s.cfg.MaxBodyBytes))
				return
			}
			writeProblem(w, r, http.StatusBadRequest, apperr.Invalid, "could not read the request body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))

		h := sha256.New()
		io.WriteString(h, r.Method+" "+r.URL.RequestURI()+"\n")
		h.Write(body)
		req := idempotency.Request{
			Principal: auth.FromContext(r.Context()).Actor(),
			Key:       key,
			Method:    r.Method,
			Path:      r.URL.Path,
			Hash:      hex.EncodeToString(h.Sum(nil)),
		}
		outcome, ticket, stored, err := idempotency.Claim(r.Context(), s.cfg.DB, req, s.now())
		if err != nil {
			s.log.ErrorContext(r.Context(), "idempotency key", "err", err)
			writeProblem(w, r, http.StatusServiceUnavailable, apperr.Unavailable, "could not check the "+IdempotencyKeyHeader+"; retry")
			return
		}
		switch outcome {
		case idempotency.Mismatch:
			writeProblem(w, r, http.StatusUnprocessableEntity, apperr.Invalid,
				IdempotencyKeyHeader+" "+strconv.Quote(key)+" was already used for a different request (method, path or body differ); send a new key for a new request")
			return
		case idempotency.InFlight:
			w.Header().Set("Retry-After", "1")
			writeProblem(w, r, http.StatusConflict, apperr.Conflict,
				"a request with "+IdempotencyKeyHeader+" "+strconv.Quote(key)+" is still being processed; retry shortly")
			return
		case idempotency.Replay:
			for name, vs := range stored.Header {
				w.Header()[name] = vs
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(stored.Status)
			w.Write(stored.Body)
			return
		}

		// Claimed: run the request and keep what it answered. The bookkeeping
		// outlives a client that hung up, so the key is never left claimed.
		bg := context.WithoutCancel(r.Context())
		cw := &captureWriter{ResponseWriter: w}
		completed := false
		defer func() {
			if completed {
				return
			}
			// The handler panicked: free the key so a retry can run.
			ctx, cancel := context.WithTimeout(bg, 5*time.Second)
			defer cancel()
			if err := idempotency.Release(ctx, s.cfg.DB, ticket); err != nil {
				s.log.ErrorContext(ctx, "release idempotency key", "err", err)
			}
		}()
		next.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), idempotencyScopeKey{}, req.Principal+"\x00"+key)))
		completed = true

		ctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		status := cw.status
		if status == 0 {
			status = http.StatusOK
		}
		if status >= 500 || status == http.StatusUnsupportedMediaType {
			// Server errors are not answers, and a 415 depends on a header
			// the key does not cover: the retry should run again.
			if err := idempotency.Release(ctx, s.cfg.DB, ticket); err != nil {
				s.log.ErrorContext(ctx, "release idempotency key", "err", err)
			}
			return
		}
		if err := idempotency.Complete(ctx, s.cfg.DB, ticket, idempotency.Response{Status: status, Header: cw.header, Body: cw.body.Bytes()}); err != nil {
			s.log.ErrorContext(ctx, "store idempotent response", "err", err)
		}
	})
}

// captureWriter passes a response through and keeps a copy of its status,
// replayable headers and body.
type captureWriter struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
		w.header = http.Header{}
		for _, name := range replayedHeaders {
			if vs := w.ResponseWriter.Header().Values(name); len(vs) > 0 {
				w.header[name] = append([]string(nil), vs...)
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type idempotencyScopeKey struct{}

// idempotencyID returns a stable id for the request's Idempotency-Key, scoped
// to the caller, if the request carried one. Handlers that write in one
// transaction record it there (e.g. as the order's delivery id), so a retry
// that takes over a claim left by a crashed instance finds the first result
// instead of acting twice.
func idempotencyID(ctx context.Context) (string, bool) {
	scope, ok := ctx.Value(idempotencyScopeKey{}).(string)
	if !ok {
		return "", false
	}
	sum := sha256.Sum256([]byte(scope))
	return "idempotency-key:" + hex.EncodeToString(sum[:16]), true
}
