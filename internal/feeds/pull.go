package feeds

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/netguard"
)

// pullLease bounds how long a pull holds its source's claim: a pull whose
// instance died is taken up again after it. A pull is its attempts (each
// within the source's timeout), their waits, and the apply.
const pullLease = 30 * time.Minute

// PullResult is what a pull did: the source as it is now, and the run the
// file became (nil for 304 or a failed pull).
type PullResult struct {
	Source *PullSource
	Run    *Run
}

// errNotDue is a scheduled pull that found its source claimed by another
// instance or no longer due.
var errNotDue = errors.New("feed source not due")

// Pull fetches a supplier's feed from its URL now and applies it. A 304
// (the file of the last pull, by ETag or Last-Modified) records
// not_modified and counts as a fresh report; a 200 becomes a run like an
// upload (source url). Network errors, 5xx and 429 are retried with
// backoff (Retry-After honoured). The outcome is recorded on the source
// (last pull, status, error, next pull) whatever it is; the error returned
// is for pulls that could not start: no source, or one being pulled.
func (s *Service) Pull(ctx context.Context, supplierID int64) (*PullResult, error) {
	return s.pull(ctx, supplierID, false)
}

func (s *Service) pull(ctx context.Context, supplierID int64, scheduled bool) (*PullResult, error) {
	src, err := s.PullSource(ctx, supplierID)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, apperr.New(apperr.NotFound, "supplier %d has no feed URL: set one (PUT /api/v1/suppliers/%d/feed/source)", supplierID, supplierID)
	}
	ok, err := s.claimPull(ctx, supplierID, scheduled)
	if err != nil {
		return nil, err
	}
	if !ok {
		if scheduled {
			return nil, errNotDue
		}
		return nil, apperr.New(apperr.Conflict, "the feed of supplier %d is being pulled now; try again when it finishes", supplierID)
	}
	// The outcome is recorded even if the caller goes away.
	ctx = context.WithoutCancel(ctx)
	out := s.fetchAndApply(ctx, src)
	if err := s.finishPull(ctx, src, out); err != nil {
		return nil, err
	}
	res := &PullResult{Run: out.run}
	if res.Source, err = s.PullSource(ctx, supplierID); err != nil {
		return nil, err
	}
	return res, nil
}

// claimPull takes the source's claim: a conditional UPDATE, so of several
// instances (or a scheduled and a manual pull) exactly one gets it.
func (s *Service) claimPull(ctx context.Context, supplierID int64, scheduled bool) (bool, error) {
	now := s.clock()
	q := `UPDATE feed_sources SET claimed_until = $2 WHERE supplier_id = $1 AND (claimed_until IS NULL OR claimed_until <= $3)`
	if scheduled {
		q += ` AND interval_seconds > 0 AND next_pull_at <= $3`
	}
	res, err := s.db.W.ExecContext(ctx, q, supplierID, now.Add(pullLease), now)
	if err != nil {
		return false, fmt.Errorf("claim feed source of supplier %d: %w", supplierID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim feed source of supplier %d: %w", supplierID, err)
	}
	return n == 1, nil
}

// pullOutcome is what one pull found.
type pullOutcome struct {
	status     string // PullFetched, PullNotModified, PullFailed
	err        string
	httpStatus int
	run        *Run
	// etag and lastModified are the validators to keep (fetched runs that
	// were applied, unchanged or quarantined), or "" to forget them.
	etag, lastModified string
}

func failed(format string, args ...any) pullOutcome {
	return pullOutcome{status: PullFailed, err: fmt.Sprintf(format, args...)}
}

// finishPull records the outcome and releases the claim.
func (s *Service) finishPull(ctx context.Context, src *PullSource, out pullOutcome) error {
	now := s.clock()
	var next any
	if src.Every > 0 {
		next = now.Add(src.Every)
	}
	var runID any
	if out.run != nil {
		runID = out.run.ID
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE feed_sources SET claimed_until = NULL, last_pull_at = $2, last_status = $3, last_error = $4,
			last_http_status = $5, last_run_id = COALESCE($6, last_run_id), next_pull_at = $7
			WHERE supplier_id = $1`, src.SupplierID, now, out.status, out.err, out.httpStatus, runID, next)
		if err != nil {
			return fmt.Errorf("record pull of supplier %d: %w", src.SupplierID, err)
		}
		switch out.status {
		case PullFetched:
			_, err = tx.ExecContext(ctx, `UPDATE feed_sources SET etag = $2, last_modified = $3, validators_at = $4 WHERE supplier_id = $1`,
				src.SupplierID, out.etag, out.lastModified, now)
		case PullNotModified:
			// The supplier confirms its file: the feed counts as fresh.
			err = s.markReported(ctx, tx, src.SupplierID, now)
		}
		if err != nil {
			return fmt.Errorf("record pull of supplier %d: %w", src.SupplierID, err)
		}
		return nil
	})
}

// fetchAndApply gets the file, with retries, and applies it.
func (s *Service) fetchAndApply(ctx context.Context, src *PullSource) pullOutcome {
	st, err := s.Settings(ctx, src.SupplierID)
	if err != nil {
		return failed("%v", err)
	}
	if !st.Saved {
		return failed("the supplier has no feed mapping yet: save one before pulling")
	}
	// The validators hold only for files read with the current mapping: a
	// mapping saved since the last pull fetches the file again.
	conditional := src.validatorsAt != nil && (st.UpdatedAt == nil || !st.UpdatedAt.After(*src.validatorsAt))
	var last pullOutcome
	for attempt := 1; ; attempt++ {
		out, wait, retry := s.attempt(ctx, src, conditional)
		if !retry {
			return out
		}
		last = out
		if attempt >= s.opts.PullAttempts {
			last.err = fmt.Sprintf("%s (gave up after %d attempts)", last.err, attempt)
			return last
		}
		if wait <= 0 {
			wait = s.opts.PullBackoff << (attempt - 1)
		}
		if wait > s.opts.PullMaxWait {
			last.err = fmt.Sprintf("%s; the server asks to retry after %s, longer than a pull waits: the next pull will try again", last.err, fmtDuration(wait))
			return last
		}
		if err := s.sleep(ctx, wait); err != nil {
			last.err = fmt.Sprintf("%s; stopped waiting to retry: %v", last.err, err)
			return last
		}
	}
}

// attempt makes one request. retry says the outcome is worth another
// attempt (after wait, if the server said how long).
func (s *Service) attempt(ctx context.Context, src *PullSource, conditional bool) (out pullOutcome, wait time.Duration, retry bool) {
	rctx, cancel := context.WithTimeout(ctx, src.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return failed("the URL cannot be requested: %v", err), 0, false
	}
	req.Header.Set("User-Agent", "Orderly feed pull")
	if src.AuthHeader != "" {
		req.Header.Set(src.AuthHeader, src.authValue)
	}
	if conditional {
		if src.ETag != "" {
			req.Header.Set("If-None-Match", src.ETag)
		}
		if src.LastModified != "" {
			req.Header.Set("If-Modified-Since", src.LastModified)
		}
	}
	resp, err := s.pullClient(src).Do(req)
	if err != nil {
		return failed("%s", netReason(err, src.Timeout)), 0, !isPermanent(err)
	}
	defer resp.Body.Close()
	out.httpStatus = resp.StatusCode
	switch {
	case resp.StatusCode == http.StatusNotModified:
		if !conditional {
			out.status, out.err = PullFailed, "the server answered 304 Not Modified to a request without validators"
			return out, 0, false
		}
		out.status = PullNotModified
		return out, 0, false
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		out.status, out.err = PullFailed, "the server answered "+resp.Status
		return out, s.retryAfter(resp.Header.Get("Retry-After")), true
	case resp.StatusCode != http.StatusOK:
		out.status, out.err = PullFailed, "the server answered "+resp.Status
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			out.err += ": check the source's credential"
		}
		return out, 0, false
	}
	if resp.ContentLength > s.opts.MaxFileBytes {
		out.status, out.err = PullFailed, fmt.Sprintf("the file is %d bytes, larger than the %d MiB a feed may be", resp.ContentLength, s.opts.MaxFileBytes>>20)
		return out, 0, false
	}
	body := &watchedBody{r: resp.Body}
	run, err := s.Apply(ctx, src.SupplierID, body, ApplyInput{Source: SourceURL, Filename: pullFilename(resp)})
	if body.err != nil {
		// The connection broke (or timed out) while the file came in: no run
		// was made.
		return failed("the file could not be received: %s", netReason(body.err, src.Timeout)), 0, true
	}
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			if ae.Code == tooLarge {
				return failed("the file is larger than the %d MiB a feed may be", s.opts.MaxFileBytes>>20), 0, false
			}
			return failed("%s", ae.Message), 0, false
		}
		return failed("%v", err), 0, false
	}
	out.status, out.run = PullFetched, run
	switch run.Status {
	case StatusApplied, StatusUnchanged, StatusQuarantined:
		out.etag, out.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	}
	return out, 0, false
}

// watchedBody keeps the first read error of a response body that is not
// the end of it: the file did not arrive whole.
type watchedBody struct {
	r   io.Reader
	err error
}

func (w *watchedBody) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF && w.err == nil {
		w.err = err
	}
	return n, err
}

// pullFilename is the file's name for the run: Content-Disposition's, or the
// URL path's last element.
func pullFilename(resp *http.Response) string {
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		return path.Base(params["filename"])
	}
	if b := path.Base(resp.Request.URL.Path); b != "/" && b != "." {
		return b
	}
	return resp.Request.URL.Host
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 0 when
// absent or unreadable.
func (s *Service) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(s.now()), 0)
	}
	return 0
}

// errBlockedAddress is a connection refused by the address policy.
type errBlockedAddress struct{ addr netip.Addr }

func (e *errBlockedAddress) Error() string {
	return fmt.Sprintf("the host resolves to %s, a private or local address: pulls go to public addresses only", e.addr)
}

// errRedirect is a redirect a pull does not follow.
type errRedirect struct{ msg string }

func (e *errRedirect) Error() string { return e.msg }

// isPermanent reports errors that another attempt would repeat.
func isPermanent(err error) bool {
	var blocked *errBlockedAddress
	var redirect *errRedirect
	var dns *net.DNSError
	return errors.As(err, &blocked) || errors.As(err, &redirect) || (errors.As(err, &dns) && dns.IsNotFound)
}

// netReason says why a request failed, in words.
func netReason(err error, timeout time.Duration) string {
	var blocked *errBlockedAddress
	var redirect *errRedirect
	switch {
	case errors.As(err, &blocked):
		return blocked.Error()
	case errors.As(err, &redirect):
		return redirect.Error()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("no complete answer within the timeout (%s)", fmtDuration(timeout))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// pullClient is the HTTP client of one source: at most MaxPullRedirects
// redirects, http and https only, the credential sent to the source's own
// host only, and (unless Options.PullAllowPrivate) public addresses only.
func (s *Service) pullClient(src *PullSource) *http.Client {
	origin, _ := url.Parse(src.URL)
	return &http.Client{Transport: s.pullTransport, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxPullRedirects {
			return &errRedirect{fmt.Sprintf("stopped after %d redirects (the last to %s)", MaxPullRedirects, req.URL.Redacted())}
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return &errRedirect{fmt.Sprintf("redirected to %s, which is not an http or https URL", req.URL.Redacted())}
		}
		if origin == nil || !strings.EqualFold(req.URL.Host, origin.Host) {
			// The credential is for the supplier's host, not for wherever it
			// sends us (a CDN, a signed storage URL).
			if src.AuthHeader != "" {
				req.Header.Del(src.AuthHeader)
			}
			req.Header.Del("Authorization")
		}
		return nil
	}}
}

// newPullTransport is the transport of pulls: the default one's settings,
// with a dialer that refuses private and local addresses unless allowed. The
// check is on the address actually dialled, after DNS, so a public name that
// resolves to 10.0.0.1 or 169.254.169.254 is refused too.
func newPullTransport(allowPrivate bool) *http.Transport {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("pull address %q: %w", address, err)
			}
			if a := ap.Addr().Unmap(); !netguard.Public(a) {
				return &errBlockedAddress{a}
			}
			return nil
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = d.DialContext
	t.Proxy = nil // a proxy would dial the address for us, unchecked
	return t
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
