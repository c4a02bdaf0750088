package web

import (
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/money"
)

// Feed upload paths: their bodies may be as large as a feed file, so the
// general body limit does not apply to them (see feedUploadLimit).
const (
	feedPushPath = APIPrefix + "/supplier/feed"
)

// registerFeeds registers supplier feed settings, uploads, runs, their
// errors, quarantine decisions, unlinked supplier SKUs, and the suppliers'
// own push endpoint.
func (s *Server) registerFeeds() {
	if s.cfg.Feeds == nil {
		var err error
		s.cfg.Feeds, err = feeds.New(s.cfg.DB, s.cfg.Inventory, s.cfg.Suppliers, s.cfg.Orders, nil, s.now, feeds.Options{Logger: s.log})
		if err != nil {
			panic(fmt.Sprintf("feeds service: %v", err)) // only a queue that cannot be built fails here
		}
	}
	tags := []string{"Feeds"}
	operation(s, huma.Operation{OperationID: "get-feed-settings", Method: http.MethodGet, Path: "/suppliers/{id}/feed",
		Summary: "Get a supplier's feed mapping and guards", Tags: tags,
		Description: "How the supplier's files are read (the mapping) and the thresholds that quarantine a run that looks wrong. " +
			"A supplier whose settings were never saved shows the default guards and `saved: false`."},
		auth.SuppliersRead, s.getFeedSettings)
	operation(s, huma.Operation{OperationID: "set-feed-settings", Method: http.MethodPut, Path: "/suppliers/{id}/feed",
		Summary: "Save a supplier's feed mapping and guards", Tags: tags,
		Description: "Replaces the settings. The mapping names the file's columns (`sku` is required, and at least one of " +
			"quantity, cost, lead time, restock date, discontinued). Omitted guards take the defaults. See docs/feeds.md."},
		auth.SuppliersWrite, s.setFeedSettings)
	operation(s, huma.Operation{OperationID: "get-feed-source", Method: http.MethodGet, Path: "/suppliers/{id}/feed/source",
		Summary: "Get where a supplier's feed is pulled from, and how the last pull went", Tags: tags,
		Description: "The URL, schedule and timeout, the credential's header name (never its value), the validators of the last " +
			"file (ETag, Last-Modified), and the last pull: when, its status (fetched, not_modified, failed), error, HTTP status " +
			"and run, and when the next is due. 404 when the supplier has no URL."},
		auth.SuppliersRead, s.getFeedSource)
	operation(s, huma.Operation{OperationID: "set-feed-source", Method: http.MethodPut, Path: "/suppliers/{id}/feed/source",
		Summary: "Set the URL a supplier's feed is pulled from", Tags: tags,
		Description: "An http or https URL, an optional credential (a header such as `Authorization: Bearer …`, or basic auth), " +
			"how often to pull (`every`, e.g. `1h`; empty or `0` pulls only on request) and the timeout of one attempt. A " +
			"scheduled source is pulled within a minute, then every interval. Omitting `auth` keeps the stored credential " +
			"while the URL stays on the same host; `\"auth\": {}` removes it. See docs/feeds.md (sources)."},
		auth.SuppliersWrite, s.setFeedSource)
	operation(s, huma.Operation{OperationID: "delete-feed-source", Method: http.MethodDelete, Path: "/suppliers/{id}/feed/source",
		DefaultStatus: http.StatusNoContent, Summary: "Stop pulling a supplier's feed", Tags: tags,
		Description: "Removes the URL, its credential and the pull status. Runs already made stay."},
		auth.SuppliersWrite, s.deleteFeedSource)
	operation(s, huma.Operation{OperationID: "pull-feed", Method: http.MethodPost, Path: "/suppliers/{id}/feed/pull",
		Summary: "Pull a supplier's feed now", Tags: tags,
		Description: "Fetches the URL now (with the validators of the last file, retrying network errors, 5xx and 429) and " +
			"applies the file as an upload would. The answer is the source with this pull's outcome and, when a file was " +
			"received, its run. 409 while another pull of the supplier runs."},
		auth.SuppliersWrite, s.pullFeed)
	upload := huma.Operation{OperationID: "upload-feed", Method: http.MethodPost, Path: "/suppliers/{id}/feed/runs",
		DefaultStatus: http.StatusCreated, Summary: "Apply a feed file of a supplier", Tags: tags,
		Description: "Send the file as the raw body (`Content-Type: text/csv`, `application/json`, or the XLSX type) or as " +
			"`multipart/form-data` with a part named `file`; at most 64 MiB. The file is read with the supplier's saved " +
			"mapping and applied at once: the answer is the run (status applied, unchanged, quarantined or failed).",
		RequestBody: feedRequestBody()}
	operation(s, upload, auth.SuppliersWrite, s.uploadFeed)
	push := huma.Operation{OperationID: "push-feed", Method: http.MethodPost, Path: "/supplier/feed",
		DefaultStatus: http.StatusCreated, Summary: "Push your feed file (supplier users)", Tags: tags,
		Description: "A supplier's own user (its session) or a supplier API token sends its stock file, as in the staff " +
			"upload; it applies to that supplier only.",
		RequestBody: feedRequestBody()}
	operation(s, push, auth.SupplierPortal, s.pushFeed)
	operation(s, huma.Operation{OperationID: "list-feed-runs", Method: http.MethodGet, Path: "/feeds/runs",
		Summary: "List feed runs", Tags: tags, Description: "Newest first."},
		auth.SuppliersRead, s.listFeedRuns)
	operation(s, huma.Operation{OperationID: "get-feed-run", Method: http.MethodGet, Path: "/feeds/runs/{id}",
		Summary: "Get a feed run with its first row errors", Tags: tags},
		auth.SuppliersRead, s.getFeedRun)
	operation(s, huma.Operation{OperationID: "list-feed-run-errors", Method: http.MethodGet, Path: "/feeds/runs/{id}/errors",
		Summary: "List a feed run's row errors", Tags: tags, Description: "In file order."},
		auth.SuppliersRead, s.listFeedRunErrors)
	operation(s, huma.Operation{OperationID: "download-feed-run-errors", Method: http.MethodGet, Path: "/feeds/runs/{id}/errors.csv",
		Summary: "Download a feed run's row errors as CSV", Tags: tags,
		Description: "Columns line, column, value, reason.",
		Responses: map[string]*huma.Response{"200": {Description: "CSV", Content: map[string]*huma.MediaType{
			"text/csv": {Schema: &huma.Schema{Type: "string"}}}}}},
		auth.SuppliersRead, s.downloadFeedRunErrors)
	operation(s, huma.Operation{OperationID: "approve-feed-run", Method: http.MethodPost, Path: "/feeds/runs/{id}/approve",
		Summary: "Approve a quarantined feed run", Tags: tags,
		Description: "Applies the run's kept file now, without the guards, against the stock as it is now."},
		auth.SuppliersWrite, s.approveFeedRun)
	operation(s, huma.Operation{OperationID: "reject-feed-run", Method: http.MethodPost, Path: "/feeds/runs/{id}/reject",
		Summary: "Reject a quarantined feed run", Tags: tags, Description: "Nothing of it is written; its kept file is deleted."},
		auth.SuppliersWrite, s.rejectFeedRun)
	operation(s, huma.Operation{OperationID: "list-unlinked-skus", Method: http.MethodGet, Path: "/feeds/unlinked",
		Summary: "List supplier SKUs not linked to a variant", Tags: tags,
		Description: "Supplier SKUs seen in feeds that no offer uses, with the last figures the feed gave."},
		auth.SuppliersRead, s.listUnlinked)
	operation(s, huma.Operation{OperationID: "link-unlinked-sku", Method: http.MethodPost, Path: "/feeds/unlinked/{id}/link",
		Summary: "Link a supplier SKU to one of our SKUs", Tags: tags,
		Description: "Creates the supplier's offer for the SKU (cost and lead time from the feed unless given) and reports " +
			"the feed's last quantity for it."},
		auth.SuppliersWrite, s.linkUnlinked)
	operation(s, huma.Operation{OperationID: "ignore-unlinked-sku", Method: http.MethodPost, Path: "/feeds/unlinked/{id}/ignore",
		Summary: "Ignore a supplier SKU", Tags: tags, Description: "It leaves the open list, also when later feeds name it."},
		auth.SuppliersWrite, s.ignoreUnlinked)
}

// feedUploadLimit is the body limit of a feed upload (the feed file limit
// and room for a multipart form's framing), or false for other requests.
func (s *Server) feedUploadLimit(r *http.Request) (int64, bool) {
	if r.Method != http.MethodPost || s.cfg.Feeds == nil {
		return 0, false
	}
	if r.URL.Path == feedPushPath || (strings.HasPrefix(r.URL.Path, APIPrefix+"/suppliers/") && strings.HasSuffix(r.URL.Path, "/feed/runs")) {
		return s.cfg.Feeds.MaxFileBytes() + 1<<20, true
	}
	return 0, false
}

// feedRequestBody documents the upload body. Only the binary types carry a
// schema: a JSON or multipart schema would make huma read and decode the
// body itself, and the file is streamed instead (feedFileInput).
func feedRequestBody() *huma.RequestBody {
	file := &huma.Schema{Type: "string", Format: "binary"}
	return &huma.RequestBody{Required: true, Description: "The feed file: the raw file, or a multipart form with the part `file`.",
		Content: map[string]*huma.MediaType{
			"text/csv":                  {Schema: file},
			"text/tab-separated-values": {Schema: file},
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {Schema: file},
			"application/octet-stream": {Schema: file},
			"application/json":         {},
			"multipart/form-data":      {},
		}}
}

// FeedMapping is feeds.Mapping under its own name in the API (the
// storefront has mappings too).
type FeedMapping feeds.Mapping

// FeedSettings is how a supplier's feed is read and guarded.
type FeedSettings struct {
	SupplierID    int64        `json:"supplier_id"`
	Mapping       FeedMapping  `json:"mapping"`
	Guards        feeds.Guards `json:"guards"`
	MissingAsZero bool         `json:"missing_as_zero" doc:"A SKU absent from the file reports 0"`
	Saved         bool         `json:"saved" doc:"false: never saved; the defaults are shown and no file can be applied yet"`
	UpdatedAt     *time.Time   `json:"updated_at,omitempty"`
	Source        *FeedSource  `json:"source,omitempty" doc:"Where the feed is pulled from (set with PUT .../feed/source); absent: no URL"`
}

type feedSettingsOutput struct{ Body FeedSettings }

func settingsOut(st feeds.Settings) *feedSettingsOutput {
	return &feedSettingsOutput{Body: FeedSettings{SupplierID: st.SupplierID, Mapping: FeedMapping(st.Mapping), Guards: st.Guards,
		MissingAsZero: st.MissingAsZero, Saved: st.Saved, UpdatedAt: st.UpdatedAt}}
}

func (s *Server) getFeedSettings(ctx context.Context, in *supplierPathInput) (*feedSettingsOutput, error) {
	st, err := s.cfg.Feeds.Settings(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := settingsOut(st)
	src, err := s.cfg.Feeds.PullSource(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if src != nil {
		out.Body.Source = feedSourceOut(src)
	}
	return out, nil
}

type supplierPathInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type setFeedSettingsInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Mapping       FeedMapping   `json:"mapping"`
		Guards        *feeds.Guards `json:"guards,omitempty" doc:"Omitted: the defaults"`
		MissingAsZero bool          `json:"missing_as_zero,omitempty" doc:"A SKU absent from the file reports 0 (default false: unchanged)"`
	}
}

func (s *Server) setFeedSettings(ctx context.Context, in *setFeedSettingsInput) (*feedSettingsOutput, error) {
	g := feeds.DefaultGuards
	if in.Body.Guards != nil {
		g = *in.Body.Guards
	}
	st, err := s.cfg.Feeds.SaveSettings(ctx, in.ID, feeds.Settings{Mapping: feeds.Mapping(in.Body.Mapping), Guards: g, MissingAsZero: in.Body.MissingAsZero})
	if err != nil {
		return nil, err
	}
	return settingsOut(st), nil
}

// feedFileInput takes the request body as a stream (huma reads no body for
// it): a feed file may be far larger than the API's JSON bodies.
type feedFileInput struct {
	ContentType string `header:"Content-Type"`
	Filename    string `query:"filename" maxLength:"255" doc:"The file's name, for the run (multipart uploads carry their own)"`
	body        io.Reader
}

// Resolve keeps the raw body for the handler.
func (in *feedFileInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	return nil
}

// uploadFeedInput is feedFileInput with the supplier in the path (fields
// repeated: huma reads the parameters of an embedded struct, not its resolver).
type uploadFeedInput struct {
	ID          int64  `path:"id" minimum:"1"`
	ContentType string `header:"Content-Type"`
	Filename    string `query:"filename" maxLength:"255" doc:"The file's name, for the run (multipart uploads carry their own)"`
	body        io.Reader
}

// Resolve keeps the raw body for the handler.
func (in *uploadFeedInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	return nil
}

// feedFile returns the uploaded file and its name: the raw body, or the part
// named "file" of a multipart form, streamed.
func feedFile(contentType, filename string, body io.Reader) (io.Reader, string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return body, filename, nil
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", apperr.InvalidField("body.file", "the multipart form has no part named file")
		}
		if err != nil {
			return nil, "", apperr.Wrap(err, apperr.Invalid, "the multipart form cannot be read: %v", err)
		}
		if p.FormName() == "file" {
			if filename == "" {
				filename = path.Base(p.FileName())
			}
			return p, filename, nil
		}
	}
}

type feedRunOutput struct{ Body FeedRun }

// FeedRun is a feed run with its first row errors.
type FeedRun struct {
	feeds.Run
	Errors     []feeds.StoredError `json:"errors" nullable:"false" doc:"The first row errors (all of them: GET .../errors or errors.csv)"`
	MoreErrors bool                `json:"more_errors"`
}

func (s *Server) runOut(ctx context.Context, run *feeds.Run) (*feedRunOutput, error) {
	errs, more, err := s.cfg.Feeds.RunErrors(ctx, run.ID, 0, 20)
	if err != nil {
		return nil, err
	}
	if errs == nil {
		errs = []feeds.StoredError{}
	}
	return &feedRunOutput{Body: FeedRun{Run: *run, Errors: errs, MoreErrors: more}}, nil
}

func (s *Server) uploadFeed(ctx context.Context, in *uploadFeedInput) (*feedRunOutput, error) {
	return s.applyUpload(ctx, in.ID, in.ContentType, in.Filename, in.body, feeds.SourceUpload)
}

func (s *Server) pushFeed(ctx context.Context, in *feedFileInput) (*feedRunOutput, error) {
	// A supplier's user (session) or a supplier token: either acts for one
	// supplier only.
	p := auth.FromContext(ctx)
	if p == nil || p.Role != auth.Supplier || p.SupplierID == 0 {
		return nil, apperr.New(apperr.Forbidden, "only a supplier's own user or supplier token can push its feed")
	}
	return s.applyUpload(ctx, p.SupplierID, in.ContentType, in.Filename, in.body, feeds.SourcePush)
}

func (s *Server) applyUpload(ctx context.Context, supplierID int64, contentType, filename string, raw io.Reader, src feeds.Source) (*feedRunOutput, error) {
	body, name, err := feedFile(contentType, filename, raw)
	if err != nil {
		return nil, err
	}
	run, err := s.cfg.Feeds.Apply(ctx, supplierID, body, feeds.ApplyInput{Source: src, Filename: name})
	if err != nil {
		return nil, err
	}
	return s.runOut(ctx, run)
}

type feedRunsInput struct {
	ListParams
	SupplierID int64  `query:"supplier_id" minimum:"1" doc:"Only this supplier's runs"`
	Status     string `query:"status" enum:"applying,applied,unchanged,quarantined,approved,rejected,failed" doc:"Only runs in this status"`
}

func (s *Server) listFeedRuns(ctx context.Context, in *feedRunsInput) (*ListOutput[feeds.Run], error) {
	var before int64
	if err := DecodeCursor(in.After, &before); err != nil {
		return nil, err
	}
	runs, _, err := s.cfg.Feeds.Runs(ctx, feeds.RunFilter{SupplierID: in.SupplierID, Status: feeds.Status(in.Status), BeforeID: before, Limit: in.Limit + 1})
	if err != nil {
		return nil, err
	}
	return &ListOutput[feeds.Run]{Body: page(runs, in.Limit, func(r feeds.Run) int64 { return r.ID })}, nil
}

type feedRunIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

func (s *Server) getFeedRun(ctx context.Context, in *feedRunIDInput) (*feedRunOutput, error) {
	run, err := s.cfg.Feeds.Run(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return s.runOut(ctx, run)
}

type feedRunErrorsInput struct {
	ID    int64  `path:"id" minimum:"1"`
	Limit int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Items per page"`
	After string `query:"after" doc:"Cursor from the previous page's next field"`
}

func (s *Server) listFeedRunErrors(ctx context.Context, in *feedRunErrorsInput) (*ListOutput[feeds.StoredError], error) {
	var after int64
	if err := DecodeCursor(in.After, &after); err != nil {
		return nil, err
	}
	errs, more, err := s.cfg.Feeds.RunErrors(ctx, in.ID, after, in.Limit)
	if err != nil {
		return nil, err
	}
	if errs == nil {
		errs = []feeds.StoredError{}
	}
	out := Page[feeds.StoredError]{Items: errs}
	if more {
		out.Next = EncodeCursor(errs[len(errs)-1].ID)
	}
	return &ListOutput[feeds.StoredError]{Body: out}, nil
}

func (s *Server) downloadFeedRunErrors(ctx context.Context, in *feedRunIDInput) (*huma.StreamResponse, error) {
	if _, err := s.cfg.Feeds.Run(ctx, in.ID); err != nil {
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		hc.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hc.SetHeader("Content-Disposition", fmt.Sprintf(`attachment; filename="feed-run-%d-errors.csv"`, in.ID))
		if err := s.cfg.Feeds.WriteErrorsCSV(hc.Context(), in.ID, hc.BodyWriter()); err != nil {
			s.log.ErrorContext(hc.Context(), "feed run errors CSV", "run", in.ID, "err", err)
		}
	}}, nil
}

func (s *Server) approveFeedRun(ctx context.Context, in *feedRunIDInput) (*feedRunOutput, error) {
	run, err := s.cfg.Feeds.Approve(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return s.runOut(ctx, run)
}

func (s *Server) rejectFeedRun(ctx context.Context, in *feedRunIDInput) (*feedRunOutput, error) {
	run, err := s.cfg.Feeds.Reject(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return s.runOut(ctx, run)
}

type unlinkedListInput struct {
	ListParams
	SupplierID int64  `query:"supplier_id" minimum:"1" doc:"Only this supplier's SKUs"`
	Status     string `query:"status" enum:"open,ignored,linked" default:"open"`
}

func (s *Server) listUnlinked(ctx context.Context, in *unlinkedListInput) (*ListOutput[feeds.Unlinked], error) {
	var after int64
	if err := DecodeCursor(in.After, &after); err != nil {
		return nil, err
	}
	items, _, err := s.cfg.Feeds.UnlinkedSKUs(ctx, feeds.UnlinkedFilter{SupplierID: in.SupplierID, Status: feeds.UnlinkedStatus(in.Status),
		AfterID: after, Limit: in.Limit + 1})
	if err != nil {
		return nil, err
	}
	return &ListOutput[feeds.Unlinked]{Body: page(items, in.Limit, func(u feeds.Unlinked) int64 { return u.ID })}, nil
}

type unlinkedOutput struct{ Body feeds.Unlinked }

type linkUnlinkedInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		SKU          string       `json:"sku" maxLength:"64" doc:"Our SKU to link the supplier SKU to"`
		Cost         *money.Money `json:"cost,omitempty" doc:"Default: the last cost the feed gave"`
		LeadTimeDays *int         `json:"lead_time_days,omitempty" minimum:"0" maximum:"365" doc:"Default: the feed's, else 7"`
		MinOrderQty  *int         `json:"min_order_qty,omitempty" minimum:"1" doc:"Default 1"`
		Priority     *int         `json:"priority,omitempty" minimum:"0" maximum:"10000" doc:"Default 1"`
	}
}

func (s *Server) linkUnlinked(ctx context.Context, in *linkUnlinkedInput) (*unlinkedOutput, error) {
	b := in.Body
	u, err := s.cfg.Feeds.Link(ctx, in.ID, feeds.LinkInput{SKU: b.SKU, Cost: b.Cost, LeadTimeDays: b.LeadTimeDays,
		MinOrderQty: intOr(b.MinOrderQty, 1), Priority: intOr(b.Priority, 1)})
	if err != nil {
		return nil, err
	}
	return &unlinkedOutput{Body: *u}, nil
}

func (s *Server) ignoreUnlinked(ctx context.Context, in *feedRunIDInput) (*unlinkedOutput, error) {
	u, err := s.cfg.Feeds.IgnoreUnlinked(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &unlinkedOutput{Body: *u}, nil
}

// FeedSource is where a supplier's feed is pulled from, and how the last pull went.
type FeedSource struct {
	SupplierID     int64      `json:"supplier_id"`
	URL            string     `json:"url"`
	AuthHeader     string     `json:"auth_header,omitempty" doc:"The header the credential is sent in (its value is never shown)"`
	AuthSet        bool       `json:"auth_set" doc:"A credential is stored"`
	Every          string     `json:"every" doc:"How often it is pulled, e.g. 1h; \"0\": only on request"`
	Timeout        string     `json:"timeout" doc:"The timeout of one attempt, e.g. 60s"`
	ETag           string     `json:"etag,omitempty" doc:"Of the last file received (sent as If-None-Match)"`
	LastModified   string     `json:"last_modified,omitempty" doc:"Of the last file received (sent as If-Modified-Since)"`
	LastPullAt     *time.Time `json:"last_pull_at,omitempty"`
	LastStatus     string     `json:"last_status,omitempty" enum:"fetched,not_modified,failed" doc:"fetched: a file became run last_run_id; not_modified: 304, the feed counts as fresh; failed: see last_error"`
	LastError      string     `json:"last_error,omitempty"`
	LastHTTPStatus int        `json:"last_http_status,omitempty"`
	LastRunID      *int64     `json:"last_run_id,omitempty" doc:"The run of the last file received"`
	NextPullAt     *time.Time `json:"next_pull_at,omitempty" doc:"When the next scheduled pull is due; absent: no schedule"`
	Pulling        bool       `json:"pulling" doc:"A pull is running now"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func feedSourceOut(p *feeds.PullSource) *FeedSource {
	return &FeedSource{SupplierID: p.SupplierID, URL: p.URL, AuthHeader: p.AuthHeader, AuthSet: p.AuthSet,
		Every: feeds.FormatDuration(p.Every), Timeout: feeds.FormatDuration(p.Timeout), ETag: p.ETag, LastModified: p.LastModified,
		LastPullAt: p.LastPullAt, LastStatus: p.LastStatus, LastError: p.LastError, LastHTTPStatus: p.LastHTTPStatus,
		LastRunID: p.LastRunID, NextPullAt: p.NextPullAt, Pulling: p.Pulling, UpdatedAt: p.UpdatedAt}
}

type feedSourceOutput struct{ Body *FeedSource }

func (s *Server) getFeedSource(ctx context.Context, in *supplierPathInput) (*feedSourceOutput, error) {
	src, err := s.cfg.Feeds.PullSource(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, apperr.New(apperr.NotFound, "supplier %d has no feed URL", in.ID)
	}
	return &feedSourceOutput{Body: feedSourceOut(src)}, nil
}

// FeedSourceAuth is the credential of a pull: a header and its value, or a
// username and password (basic auth). All empty: none.
type FeedSourceAuth struct {
	Header   string `json:"header,omitempty" maxLength:"100" doc:"Default Authorization when a value is given"`
	Value    string `json:"value,omitempty" maxLength:"4096" doc:"e.g. Bearer abc123"`
	Username string `json:"username,omitempty" maxLength:"200" doc:"Basic auth"`
	Password string `json:"password,omitempty" maxLength:"200" doc:"Basic auth"`
}

type setFeedSourceInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		URL     string          `json:"url" maxLength:"2048" doc:"An http or https URL"`
		Auth    *FeedSourceAuth `json:"auth,omitempty" doc:"Omitted: keep the stored credential (same host only); {}: none"`
		Every   string          `json:"every,omitempty" doc:"How often to pull, 1m to 168h, e.g. 1h; empty or 0: only on request"`
		Timeout string          `json:"timeout,omitempty" doc:"Timeout of one attempt, 1s to 10m (default 60s)"`
	}
}

// parseDuration reads an API duration; "" and "0" are 0.
func parseDuration(field, v string) (time.Duration, error) {
	if v == "" || v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, apperr.InvalidField(field, "must be a duration such as 1h, 30m or 45s, got %q", v)
	}
	return d, nil
}

func (s *Server) setFeedSource(ctx context.Context, in *setFeedSourceInput) (*feedSourceOutput, error) {
	every, err := parseDuration("body.every", in.Body.Every)
	if err != nil {
		return nil, err
	}
	timeout, err := parseDuration("body.timeout", in.Body.Timeout)
	if err != nil {
		return nil, err
	}
	pi := feeds.PullInput{URL: in.Body.URL, Every: every, Timeout: timeout}
	if a := in.Body.Auth; a != nil {
		pi.Auth = &feeds.PullAuth{Header: a.Header, Value: a.Value, Username: a.Username, Password: a.Password}
	}
	src, err := s.cfg.Feeds.SetPullSource(ctx, in.ID, pi)
	if err != nil {
		return nil, err
	}
	return &feedSourceOutput{Body: feedSourceOut(src)}, nil
}

func (s *Server) deleteFeedSource(ctx context.Context, in *supplierPathInput) (*struct{}, error) {
	return nil, s.cfg.Feeds.DeletePullSource(ctx, in.ID)
}

// FeedPull is what a pull did: the source with its outcome, and the run
// of the file received.
type FeedPull struct {
	Source *FeedSource `json:"source"`
	Run    *FeedRun    `json:"run,omitempty" doc:"Absent when nothing was received (not_modified, failed)"`
}

type feedPullOutput struct{ Body FeedPull }

func (s *Server) pullFeed(ctx context.Context, in *supplierPathInput) (*feedPullOutput, error) {
	res, err := s.cfg.Feeds.Pull(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := &feedPullOutput{Body: FeedPull{Source: feedSourceOut(res.Source)}}
	if res.Run != nil {
		run, err := s.runOut(ctx, res.Run)
		if err != nil {
			return nil, err
		}
		out.Body.Run = &run.Body
	}
	return out, nil
}
