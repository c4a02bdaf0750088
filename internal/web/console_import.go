package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/orders/csvimport"
)

// The order import page of the console: upload a CSV file of orders (see
// docs/import.md), optionally as a dry run, and read what became of each
// order, with the file lines of every problem. Files larger than a few
// thousand orders are better imported with `orderly import orders`, which
// streams any size and shows progress.

const importPath = "/console/orders/import"

// DefaultMaxUploadBytes bounds an uploaded import file when
// Config.MaxUploadBytes is not set.
const DefaultMaxUploadBytes = 20 << 20

// importFormMemory is how much of an upload is held in memory; the rest of
// the file waits in a temporary file until the import has read it.
const importFormMemory = 4 << 20

// importShown bounds the orders the page lists by outcome; the counts are
// always complete.
const importShown = 500

func (s *Server) registerConsoleImport() {
	s.page("GET "+importPath, auth.OrdersImport, s.importPage)
	s.page("POST "+importPath, auth.OrdersImport, s.importUpload)
	s.page("GET "+importPath+"/example.csv", auth.OrdersImport, importExample)
}

// maxUploadBytes is the upload limit in force.
func (s *Server) maxUploadBytes() int64 {
	if s.cfg.MaxUploadBytes > 0 {
		return s.cfg.MaxUploadBytes
	}
	return DefaultMaxUploadBytes
}

// bodyLimit is the largest body limitBody lets r send, or 0 when the
// handler bounds the body itself: the import upload is larger than the API's
// limit, and its handler answers an oversized file with a console page
// rather than a problem document.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && r.URL.Path == importPath {
		return 0
	}
	if limit, ok := s.feedUploadLimit(r); ok { // feeds.go
		return limit
	}
	if limit, ok := consoleFeedUploadLimit(r); ok { // console_feeds.go
		return limit
	}
	return s.cfg.MaxBodyBytes
}

type importForm struct {
	DryRun  bool
	Channel string
}

type importView struct {
	Form     importForm
	MaxBytes string
	Columns  []string
	// Error is a problem with the upload as a whole (no file, too large, a
	// header that cannot be used).
	Error    string
	FileName string
	Report   *csvimport.Report
	// Failed, Warned and Done list the orders by outcome, up to importShown.
	Failed []csvimport.Result
	Warned []csvimport.Result
	Done   []importRow
	// MoreFailed, MoreWarned and MoreDone count the orders not listed.
	MoreFailed, MoreWarned, MoreDone int
}

// importRow is a created, duplicate or valid order as the page lists it.
type importRow struct{ csvimport.Result }

// StateLabel is the order's state in words ("on hold").
func (r importRow) StateLabel() string { return strings.ReplaceAll(string(r.State), "_", " ") }

func (s *Server) newImportView() *importView {
	return &importView{Form: importForm{DryRun: true, Channel: csvimport.DefaultChannel},
		MaxBytes: formatBytes(s.maxUploadBytes()), Columns: csvimport.ColumnNames()}
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, status int, v *importView) {
	s.render(w, r, status, "import.html", view{Title: "Import orders", Active: "orders", Data: v})
}

// importPage shows the upload form.
func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
	s.renderImport(w, r, http.StatusOK, s.newImportView())
}

// importExample serves the example file of docs/import.md.
func importExample(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="orders-example.csv"`)
	w.Write([]byte(csvimport.Example))
}

// importUpload runs the import of the uploaded file within the request and
// shows the report. Each order is placed in its own transaction by the
// logged-in user; if the request is cancelled the import stops between
// two orders.
func (s *Server) importUpload(w http.ResponseWriter, r *http.Request) {
	v := s.newImportView()
	limit := s.maxUploadBytes()
	tooLarge := func() {
		v.Error = "The file is larger than the upload limit of " + v.MaxBytes +
			". Split it, or import it with the command line: orderly import orders FILE (any size)."
		s.renderImport(w, r, http.StatusRequestEntityTooLarge, v)
	}
	if r.ContentLength > limit {
		tooLarge()
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(importFormMemory); err != nil {
		if isMaxBytesError(err) {
			tooLarge()
			return
		}
		v.Error = "The upload could not be read: send the form with a CSV file chosen."
		s.renderImport(w, r, http.StatusBadRequest, v)
		return
	}
	defer r.MultipartForm.RemoveAll()
	v.Form = importForm{DryRun: r.PostFormValue("dry_run") != "", Channel: strings.TrimSpace(r.PostFormValue("channel"))}
	if v.Form.Channel == "" {
		v.Form.Channel = csvimport.DefaultChannel
	}
	if !csvimport.ValidChannel(v.Form.Channel) {
		v.Error = "The channel must be 1 to 40 lower-case letters, digits, - or _ (for example csv or trade-fair)."
		s.renderImport(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		v.Error = "Choose a CSV file to import."
		s.renderImport(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	defer file.Close()
	v.FileName = header.Filename

	im := csvimport.New(s.cfg.Orders, s.cfg.DB, s.cfg.Inventory, s.now, s.log)
	opts := csvimport.Options{Channel: v.Form.Channel, DryRun: v.Form.DryRun, KeepFailures: importShown,
		OnResult: func(res csvimport.Result) error {
			switch {
			case res.Outcome == csvimport.Failed:
				// Report.Failures keeps these.
			case len(res.Warnings) > 0:
				if len(v.Warned) < importShown {
					v.Warned = append(v.Warned, res)
				} else {
					v.MoreWarned++
				}
			default:
				if len(v.Done) < importShown {
					v.Done = append(v.Done, importRow{res})
				} else {
					v.MoreDone++
				}
			}
			return nil
		}}
	rep, err := im.Run(r.Context(), file, opts)
	v.Report, v.Failed = rep, rep.Failures
	v.MoreFailed = rep.Failed - len(rep.Failures)
	status := http.StatusOK
	var fe *csvimport.FileError
	switch {
	case errors.As(err, &fe):
		v.Error = "The file cannot be imported: " + fe.Error() + "."
		status = http.StatusUnprocessableEntity
	case err != nil && r.Context().Err() != nil:
		return // the client went away; nobody reads the page
	case err != nil:
		s.log.ErrorContext(r.Context(), "order import stopped", "file", v.FileName, "err", err)
		v.Error = "The import stopped early because of an error on our side (it is logged). The orders listed below have their outcome; " +
			"import the file again to continue: orders already created count as duplicates."
		status = http.StatusInternalServerError
	}
	s.renderImport(w, r, status, v)
}
