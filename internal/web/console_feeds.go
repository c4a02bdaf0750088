package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// The console's feed pages (docs/console.md, "Feeds"): every supplier's last
// run and feed age, a supplier's feed settings and runs with an upload form,
// a run's detail with its guards, row errors and the quarantine decision,
// the mapping editor with a preview of a sample file (console_feeds_mapping.go),
// and the supplier SKUs no offer uses yet (console_feeds_unlinked.go).

func (s *Server) registerConsoleFeeds() {
	s.page("GET /console/feeds", auth.SuppliersRead, s.feedsPage)
	s.page("GET /console/feeds/suppliers/{id}", auth.SuppliersRead, s.feedSupplierPage)
	s.page("POST /console/feeds/suppliers/{id}/upload", auth.SuppliersWrite, s.feedUpload)
	s.page("POST /console/feeds/suppliers/{id}/guards", auth.SuppliersWrite, s.feedSaveGuards)
	s.page("POST /console/feeds/suppliers/{id}/pull", auth.SuppliersWrite, s.feedPullNow)
	s.page("POST /console/feeds/suppliers/{id}/pull-source", auth.SuppliersWrite, s.feedSetPullSource)
	s.page("POST /console/feeds/suppliers/{id}/pull-source/delete", auth.SuppliersWrite, s.feedDeletePullSource)
	s.page("GET /console/feeds/suppliers/{id}/mapping", auth.SuppliersRead, s.feedMappingPage)
	s.page("POST /console/feeds/suppliers/{id}/mapping", auth.SuppliersWrite, s.feedSaveMapping)
	s.page("POST /console/feeds/suppliers/{id}/mapping/preview", auth.SuppliersWrite, s.feedPreviewMapping)
	s.page("GET /console/feeds/runs/{id}", auth.SuppliersRead, s.feedRunPage)
	s.page("GET /console/feeds/runs/{id}/errors.csv", auth.SuppliersRead, s.feedRunErrorsCSV)
	s.page("POST /console/feeds/runs/{id}/approve", auth.SuppliersWrite, s.feedApprove)
	s.page("POST /console/feeds/runs/{id}/reject", auth.SuppliersWrite, s.feedReject)
	s.page("GET /console/feeds/unlinked", auth.SuppliersRead, s.feedUnlinkedPage)
	s.page("POST /console/feeds/unlinked/{id}/link", auth.SuppliersWrite, s.feedLink)
	s.page("POST /console/feeds/unlinked/{id}/ignore", auth.SuppliersWrite, s.feedIgnore)
}

// consoleFeedUploadLimit says that the console's feed uploads bound their
// own bodies (0), so that a file too large gets a console page rather than
// a problem document; false for other requests.
func consoleFeedUploadLimit(r *http.Request) (int64, bool) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/console/feeds/suppliers/") {
		return 0, false
	}
	p := r.URL.Path
	if strings.HasSuffix(p, "/upload") || strings.HasSuffix(p, "/mapping") || strings.HasSuffix(p, "/mapping/preview") {
		return 0, true
	}
	return 0, false
}

// feedFileLimit is the body limit of a console feed upload: the feed file
// limit and room for the form around it.
func (s *Server) feedFileLimit() int64 { return s.cfg.Feeds.MaxFileBytes() + 1<<20 }

// quarantinedShown bounds the quarantined runs listed at the top of the
// overview (and counted on the home page): staff decide them one by one.
const quarantinedShown = 200

// feedRow is one supplier on the feeds overview.
type feedRow struct {
	Supplier    suppliers.Supplier
	Saved       bool // a mapping is saved: files can be applied
	Last        *feeds.Run
	Feed        inventory.SupplierFeed
	Age         string
	MaxAge      string
	Overdue     bool
	Quarantined []feeds.Run
	Pull        *feeds.PullSource // nil: the feed is not pulled from a URL
}

type feedsView struct {
	Q           string
	Rows        []feedRow
	Quarantined []feeds.Run
	// MoreQuarantined is true when more runs wait than are listed.
	MoreQuarantined bool
	Names           map[int64]string // supplier names of the quarantined runs
	After           string
	Next            string
}

// feedsPage lists suppliers with their last feed run and feed age, and the
// quarantined runs of every supplier first.
func (s *Server) feedsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	v := feedsView{Q: strings.TrimSpace(q.Get("q")), After: q.Get("after"), Names: map[int64]string{}}
	f := suppliers.SupplierFilter{Query: v.Q, Limit: consolePageSize + 1}
	if err := DecodeCursor(v.After, &f.After); err != nil {
		s.consoleError(w, r, err)
		return
	}
	list, err := s.cfg.Suppliers.ListSuppliers(ctx, f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if len(list) > consolePageSize {
		list = list[:consolePageSize]
		v.Next = EncodeCursor(list[len(list)-1].ID)
	}
	quarantined, more, err := s.cfg.Feeds.Runs(ctx, feeds.RunFilter{Status: feeds.StatusQuarantined, Limit: quarantinedShown})
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Quarantined, v.MoreQuarantined = quarantined, more
	byID := map[int64][]feeds.Run{}
	for _, run := range quarantined {
		byID[run.SupplierID] = append(byID[run.SupplierID], run)
	}
	ids := make([]int64, len(list))
	for i, sup := range list {
		ids[i] = sup.ID
	}
	states, err := s.cfg.Inventory.SupplierFeeds(ctx, ids)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	sources, err := s.cfg.Feeds.PullSources(ctx)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	pulls := map[int64]*feeds.PullSource{}
	for i := range sources {
		pulls[sources[i].SupplierID] = &sources[i]
	}
	now := s.now()
	for _, sup := range list {
		row := feedRow{Supplier: sup, Feed: states[sup.ID], Quarantined: byID[sup.ID], Pull: pulls[sup.ID]}
		row.MaxAge, row.Overdue = inventory.FormatFeedAge(row.Feed.Staleness.MaxAge), row.Feed.Overdue(now)
		if !row.Feed.LastFeedAt.IsZero() {
			row.Age = humanAge(row.Feed.Age(now))
		}
		// One indexed query a supplier (feed_runs_supplier): a page has 50.
		last, _, err := s.cfg.Feeds.Runs(ctx, feeds.RunFilter{SupplierID: sup.ID, Limit: 1})
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		if len(last) == 1 {
			row.Last = &last[0]
		}
		st, err := s.cfg.Feeds.Settings(ctx, sup.ID)
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		row.Saved = st.Saved
		v.Rows = append(v.Rows, row)
	}
	if err := s.supplierNames(ctx, v.Names, quarantined); err != nil {
		s.consoleError(w, r, err)
		return
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "feeds.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "feeds.html", view{Title: "Feeds", Active: "feeds", Data: v})
}

// supplierNames fills names with the names of the runs' suppliers.
func (s *Server) supplierNames(ctx context.Context, names map[int64]string, runs []feeds.Run) error {
	for _, run := range runs {
		if _, ok := names[run.SupplierID]; ok {
			continue
		}
		sup, err := s.cfg.Suppliers.Supplier(ctx, run.SupplierID)
		if err != nil {
			return err
		}
		names[run.SupplierID] = sup.Name
	}
	return nil
}

// guardsForm is the guard thresholds as typed into the form.
type guardsForm struct {
	MinRows, Zero, CostJump, CostRows, MinSKUs string
	MissingAsZero                              bool
}

func guardsFormOf(st feeds.Settings) guardsForm {
	g := st.Guards
	return guardsForm{MinRows: strconv.Itoa(g.MinRowsPercent), Zero: strconv.Itoa(g.ZeroPercent),
		CostJump: strconv.Itoa(g.CostJumpPercent), CostRows: strconv.Itoa(g.CostRowsPercent), MinSKUs: strconv.Itoa(g.MinSKUs),
		MissingAsZero: st.MissingAsZero}
}

// feedSupplierView is a supplier's feed page.
type feedSupplierView struct {
	Supplier suppliers.Supplier
	Settings feeds.Settings
	Mapping  []mappingLine
	Feed     feedView // age, maximum age, stale (console_stock_rules.go)
	Guards   guardsForm
	// GuardInputs lays out the guards' inputs from Guards and Errors.
	GuardInputs []formInput
	Runs        []feeds.Run
	After       string
	Next        string
	MaxFile     string
	Errors      map[string]string
	// Pull is where the feed is pulled from, and how the last pull went
	// (nil: no pull source; it is set over the API).
	Pull      *feeds.PullSource
	PullEvery string
	PullForm  pullForm // console_feeds_pull.go
	// PullInputs and AuthInputs lay out the pull source form.
	PullInputs, AuthInputs []formInput
}

// mappingLine is one line of the mapping summary.
type mappingLine struct{ Label, Value string }

func mappingSummary(m feeds.Mapping) []mappingLine {
	or := func(v, def string) string {
		if strings.TrimSpace(v) == "" {
			return def
		}
		return v
	}
	lines := []mappingLine{
		{"Supplier SKU", or(m.SKU, "—")},
		{"Quantity", or(m.Quantity, "not mapped")},
		{"Cost", or(m.Cost, "not mapped")},
		{"Currency", or(m.Currency, "not mapped") + or(" (default "+m.DefaultCurrency+")", "")},
		{"Lead time", or(m.LeadTime, "not mapped")},
		{"Restock date", or(m.RestockDate, "not mapped")},
		{"Discontinued", or(m.Discontinued, "not mapped")},
		{"Format", or(m.Format, "auto")},
		{"Encoding", or(m.Encoding, "auto")},
		{"Delimiter", delimiterLabel(m.Delimiter)},
	}
	if m.DefaultCurrency == "" {
		lines[3].Value = or(m.Currency, "not mapped")
	}
	if m.Sheet != "" {
		lines = append(lines, mappingLine{"Sheet", m.Sheet})
	}
	dec := "point (1,234.56)"
	if m.DecimalComma {
		dec = "comma (1.234,56)"
	}
	lines = append(lines, mappingLine{"Decimal separator", dec}, mappingLine{"Date format", or(m.DateFormat, "2006-01-02 or RFC 3339")})
	if len(m.InStockWords) > 0 {
		lines = append(lines, mappingLine{"In-stock words", strings.Join(m.InStockWords, ", ") + " = " + strconv.Itoa(m.InStockQuantity) + " units"})
	}
	if len(m.OutOfStockWords) > 0 {
		lines = append(lines, mappingLine{"Out-of-stock words", strings.Join(m.OutOfStockWords, ", ")})
	}
	if len(m.DiscontinuedWords) > 0 {
		lines = append(lines, mappingLine{"Discontinued words", strings.Join(m.DiscontinuedWords, ", ")})
	}
	return lines
}

func delimiterLabel(d string) string {
	switch d {
	case "":
		return "detected"
	case "\t":
		return "tab"
	case " ":
		return "space"
	}
	return d
}

func (s *Server) loadFeedSupplier(r *http.Request, after string) (*feedSupplierView, error) {
	ctx := r.Context()
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	sup, err := s.cfg.Suppliers.Supplier(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := s.cfg.Feeds.Settings(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &feedSupplierView{Supplier: sup, Settings: st, Guards: guardsFormOf(st), After: after,
		MaxFile: formatBytes(s.cfg.Feeds.MaxFileBytes()), Errors: map[string]string{}}
	if st.Saved {
		v.Mapping = mappingSummary(st.Mapping)
	}
	if v.Feed, err = s.loadFeed(ctx, id); err != nil {
		return nil, err
	}
	if v.Pull, err = s.cfg.Feeds.PullSource(ctx, id); err != nil {
		return nil, err
	}
	if v.Pull != nil && v.Pull.Every > 0 {
		v.PullEvery = feeds.FormatDuration(v.Pull.Every)
	}
	v.PullForm = pullFormOf(v.Pull)
	f := feeds.RunFilter{SupplierID: id, Limit: consolePageSize}
	if err := DecodeCursor(after, &f.BeforeID); err != nil {
		return nil, err
	}
	runs, more, err := s.cfg.Feeds.Runs(ctx, f)
	if err != nil {
		return nil, err
	}
	v.Runs = runs
	if more {
		v.Next = EncodeCursor(runs[len(runs)-1].ID)
	}
	return v, nil
}

func (s *Server) renderFeedSupplier(w http.ResponseWriter, r *http.Request, status int, v *feedSupplierView) {
	in := func(name, label, value string) formInput {
		return formInput{Name: name, Label: label, Value: value, Error: v.Errors[name]}
	}
	g := v.Guards
	v.GuardInputs = []formInput{
		in("min_rows_percent", "Quarantine a file with fewer rows than this % of the last applied run's", g.MinRows),
		in("zero_percent", "Quarantine when more than this % of the SKUs in stock drop to 0", g.Zero),
		in("cost_jump_percent", "A cost moving by more than this % is a jump", g.CostJump),
		in("cost_rows_percent", "Quarantine when more than this % of the rows with a cost jump", g.CostRows),
		in("min_skus", "Judge shares only from this many SKUs on (fewer: no quarantine)", g.MinSKUs),
	}
	p := v.PullForm
	v.PullInputs = []formInput{
		in("url", "URL of the supplier's file (http or https)", p.URL),
		in("every", "Pull every (e.g. 1h, 30m; empty: only on request)", p.Every),
		in("timeout", "Give up an attempt after (e.g. 60s)", p.Timeout),
	}
	v.AuthInputs = []formInput{
		in("auth_header", "Header (default Authorization)", p.AuthHeader),
		in("auth_value", "Header value, e.g. Bearer abc123", ""),
		in("auth_username", "Or a username", p.AuthUsername),
		in("auth_password", "and its password", ""),
	}
	s.render(w, r, status, "feed_supplier.html", view{Title: "Feed of " + v.Supplier.Name, Active: "feeds", Data: v})
}

// feedSupplierPage shows a supplier's feed settings, its runs (newest first,
// "Load more" for older ones) and the upload form.
func (s *Server) feedSupplierPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadFeedSupplier(r, r.URL.Query().Get("after"))
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "feed_supplier.html", "rows", v)
		return
	}
	s.renderFeedSupplier(w, r, http.StatusOK, v)
}

func supplierFeedPath(id int64) string {
	return "/console/feeds/suppliers/" + strconv.FormatInt(id, 10)
}

func feedRunPath(id int64) string { return "/console/feeds/runs/" + strconv.FormatInt(id, 10) }

// feedUpload applies an uploaded file with the supplier's saved mapping and
// shows the run it made. The file is streamed from the form to the feed
// service (which keeps it on disk while it is applied), not held in memory.
func (s *Server) feedUpload(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadFeedSupplier(r, "")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	fail := func(status int, msg string) {
		v.Errors["upload"] = msg
		s.renderFeedSupplier(w, r, status, v)
	}
	if !v.Settings.Saved {
		fail(http.StatusConflict, "This supplier has no mapping yet: save one (Edit mapping) before uploading a file.")
		return
	}
	limit := s.feedFileLimit()
	if r.ContentLength > limit {
		fail(http.StatusRequestEntityTooLarge, "The file is larger than the feed limit of "+v.MaxFile+".")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	body, name, err := feedFile(r.Header.Get("Content-Type"), "", r.Body)
	if err == nil && !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		err = apperr.InvalidField("file", "send the form with a file chosen")
	}
	if err != nil {
		fail(http.StatusUnprocessableEntity, "Choose the supplier's feed file to upload.")
		return
	}
	run, err := s.cfg.Feeds.Apply(r.Context(), v.Supplier.ID, body, feeds.ApplyInput{Source: feeds.SourceUpload, Filename: name})
	if err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		fail(statusFor(err), errMessage(err))
		return
	}
	seeOther(w, r, feedRunPath(run.ID), "feed-uploaded")
}

// feedPullNow fetches the supplier's feed from its URL now and applies it:
// the run's page when a file came, else the feed page with the pull's
// outcome (not modified, or why it failed).
func (s *Server) feedPullNow(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	res, err := s.cfg.Feeds.Pull(r.Context(), id)
	if err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		v, lerr := s.loadFeedSupplier(r, "")
		if lerr != nil {
			s.consoleError(w, r, lerr)
			return
		}
		v.Errors["pull"] = errMessage(err)
		s.renderFeedSupplier(w, r, statusFor(err), v)
		return
	}
	if res.Run != nil {
		seeOther(w, r, feedRunPath(res.Run.ID), "feed-pulled")
		return
	}
	seeOther(w, r, supplierFeedPath(id)+"#pull", "pull-done")
}

// feedSaveGuards saves the guard thresholds and "missing as zero", keeping
// the saved mapping.
func (s *Server) feedSaveGuards(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadFeedSupplier(r, "")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	val := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	form := guardsForm{MinRows: val("min_rows_percent"), Zero: val("zero_percent"), CostJump: val("cost_jump_percent"),
		CostRows: val("cost_rows_percent"), MinSKUs: val("min_skus"), MissingAsZero: r.PostFormValue("missing_as_zero") != ""}
	var fe apperr.Fields
	num := func(name, s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			fe.Add(name, "enter a whole number, got %q", s)
		}
		return n
	}
	g := feeds.Guards{MinRowsPercent: num("min_rows_percent", form.MinRows), ZeroPercent: num("zero_percent", form.Zero),
		CostJumpPercent: num("cost_jump_percent", form.CostJump), CostRowsPercent: num("cost_rows_percent", form.CostRows),
		MinSKUs: num("min_skus", form.MinSKUs)}
	err = fe.Err()
	if err == nil && !v.Settings.Saved {
		err = apperr.New(apperr.Conflict, "save a mapping first: the guards are saved with it")
	}
	if err == nil {
		_, err = s.cfg.Feeds.SaveSettings(r.Context(), v.Supplier.ID, feeds.Settings{Mapping: v.Settings.Mapping, Guards: g, MissingAsZero: form.MissingAsZero})
	}
	if err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		v.Guards = form
		v.Errors = formErrors(renameFields(err, guardFieldNames), "guards")
		s.renderFeedSupplier(w, r, statusFor(err), v)
		return
	}
	seeOther(w, r, supplierFeedPath(v.Supplier.ID), "guards-saved")
}

var guardFieldNames = map[string]string{
	"guards.min_rows_percent": "min_rows_percent", "guards.zero_percent": "zero_percent",
	"guards.cost_jump_percent": "cost_jump_percent", "guards.cost_rows_percent": "cost_rows_percent", "guards.min_skus": "min_skus",
}

// guardVerdict is one guard measured on a run.
type guardVerdict struct {
	Name      string // rows, zero, cost
	Label     string
	Measured  string
	Threshold string
	// Tripped: this guard quarantined the run. Judged: the run had enough
	// SKUs for the guard to judge a share (Guards.MinSKUs).
	Tripped, Judged bool
}

// verdicts measures the three guards on a run's figures against the
// supplier's thresholds (as they are now: they may have changed since).
func verdicts(run *feeds.Run, g feeds.Guards) []guardVerdict {
	d, floor := run.Detail, max(g.MinSKUs, 1)
	pct := func(a, b int) string {
		if b == 0 {
			return "—"
		}
		return strconv.Itoa(a*100/b) + "%"
	}
	rows := fmt.Sprintf("%d rows, %s of the %d of the last applied run", run.RowsRead, pct(run.RowsRead, d.PreviousRows), d.PreviousRows)
	if d.PreviousRows == 0 {
		rows = fmt.Sprintf("%d rows; no run was applied before", run.RowsRead)
	}
	return []guardVerdict{
		{Name: feeds.GuardRows, Label: "Rows against the last applied run",
			Measured:  rows,
			Threshold: fmt.Sprintf("quarantined below %d%%", g.MinRowsPercent),
			Tripped:   run.Guard == feeds.GuardRows, Judged: g.MinRowsPercent > 0 && d.PreviousRows >= floor},
		{Name: feeds.GuardZero, Label: "SKUs in stock dropping to 0",
			Measured:  fmt.Sprintf("%d of %d in stock (%s)", d.Zeroed, d.InStock, pct(d.Zeroed, d.InStock)),
			Threshold: fmt.Sprintf("quarantined above %d%%", g.ZeroPercent),
			Tripped:   run.Guard == feeds.GuardZero, Judged: d.InStock >= floor},
		{Name: feeds.GuardCost, Label: "Cost jumps",
			Measured:  fmt.Sprintf("%d of %d rows with a cost (%s) move by more than %d%%", d.CostJumps, d.CostCompared, pct(d.CostJumps, d.CostCompared), g.CostJumpPercent),
			Threshold: fmt.Sprintf("quarantined above %d%% of the rows", g.CostRowsPercent),
			Tripped:   run.Guard == feeds.GuardCost, Judged: d.CostCompared >= floor},
	}
}

type feedRunView struct {
	Run      *feeds.Run
	Supplier suppliers.Supplier
	Guards   []guardVerdict
	MinSKUs  int
	Duration string
	Errors   []feeds.StoredError
	After    string
	Next     string
	// Decided is the message of a refused decision.
	Decided string
}

func (s *Server) loadFeedRun(r *http.Request, after string) (*feedRunView, error) {
	ctx := r.Context()
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	run, err := s.cfg.Feeds.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &feedRunView{Run: run, After: after, Duration: formatDuration(time.Duration(run.DurationMS) * time.Millisecond)}
	if v.Supplier, err = s.cfg.Suppliers.Supplier(ctx, run.SupplierID); err != nil {
		return nil, err
	}
	st, err := s.cfg.Feeds.Settings(ctx, run.SupplierID)
	if err != nil {
		return nil, err
	}
	v.Guards, v.MinSKUs = verdicts(run, st.Guards), st.Guards.MinSKUs
	var afterID int64
	if err := DecodeCursor(after, &afterID); err != nil {
		return nil, err
	}
	errs, more, err := s.cfg.Feeds.RunErrors(ctx, id, afterID, consolePageSize)
	if err != nil {
		return nil, err
	}
	v.Errors = errs
	if more {
		v.Next = EncodeCursor(errs[len(errs)-1].ID)
	}
	return v, nil
}

// formatDuration writes a run's duration: "850 ms", "12.4 s", "3m 05s".
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	}
	return fmt.Sprintf("%dm %02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
}

func (s *Server) renderFeedRun(w http.ResponseWriter, r *http.Request, status int, v *feedRunView) {
	s.render(w, r, status, "feed_run.html", view{Title: "Feed run " + strconv.FormatInt(v.Run.ID, 10), Active: "feeds", Data: v})
}

// feedRunPage shows a run: its counts, the guards, the decision buttons of a
// quarantined run, and its row errors ("Load more" pages through them).
func (s *Server) feedRunPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadFeedRun(r, r.URL.Query().Get("after"))
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "feed_run.html", "rows", v)
		return
	}
	s.renderFeedRun(w, r, http.StatusOK, v)
}

// feedRunErrorsCSV serves the run's row errors as CSV, as the API's
// errors.csv does, for a logged-in user.
func (s *Server) feedRunErrorsCSV(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		_, err = s.cfg.Feeds.Run(r.Context(), id)
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="feed-run-%d-errors.csv"`, id))
	w.Header().Set("Cache-Control", "no-store")
	if err := s.cfg.Feeds.WriteErrorsCSV(r.Context(), id, w); err != nil {
		// The header is sent: the download ends short, and the log says why.
		s.log.ErrorContext(r.Context(), "feed run errors CSV", "run", id, "err", err)
	}
}

func (s *Server) feedApprove(w http.ResponseWriter, r *http.Request) {
	s.decideRun(w, r, s.cfg.Feeds.Approve, "run-approved")
}

func (s *Server) feedReject(w http.ResponseWriter, r *http.Request) {
	s.decideRun(w, r, s.cfg.Feeds.Reject, "run-rejected")
}

// decideRun approves or rejects a quarantined run; a run decided meanwhile
// shows its page with why the decision was refused.
func (s *Server) decideRun(w http.ResponseWriter, r *http.Request, decide func(context.Context, int64) (*feeds.Run, error), done string) {
	id, err := pathID(r, "id")
	if err == nil {
		_, err = decide(r.Context(), id)
	}
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Code == apperr.Conflict {
			v, lerr := s.loadFeedRun(r, "")
			if lerr == nil {
				v.Decided = errMessage(err)
				s.renderFeedRun(w, r, http.StatusConflict, v)
				return
			}
		}
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, feedRunPath(id), done)
}
