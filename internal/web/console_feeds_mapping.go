package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// The mapping editor: a supplier's mapping as a form, saved as a whole, and
// a preview of a sample file read with the mapping as typed (not saved yet):
// the first rows with each cell as in the file, the cells the mapping cannot
// read marked with why, and each good row as it would be applied.

// previewRows is how many rows of a sample file the editor shows.
const previewRows = 20 // feed_mapping.html says 20

// mappingFormMemory is how much of the editor's form is held in memory; the
// rest of a large sample file waits in a temporary file.
const mappingFormMemory = 4 << 20

// mappingForm is a mapping as typed into the editor.
type mappingForm struct {
	Format, Encoding, Delimiter, Sheet                        string
	SKU, Quantity, Cost, Currency, LeadTime, RestockDate      string
	Discontinued, DefaultCurrency, DateFormat                 string
	InStockWords, InStockQuantity, OutOfStockWords, DiscWords string
	DecimalComma                                              bool
}

func mappingFormOf(m feeds.Mapping) mappingForm {
	f := mappingForm{Format: m.Format, Encoding: m.Encoding, Delimiter: m.Delimiter, Sheet: m.Sheet, SKU: m.SKU,
		Quantity: m.Quantity, Cost: m.Cost, Currency: m.Currency, LeadTime: m.LeadTime, RestockDate: m.RestockDate,
		Discontinued: m.Discontinued, DefaultCurrency: m.DefaultCurrency, DateFormat: m.DateFormat,
		InStockWords: strings.Join(m.InStockWords, ", "), OutOfStockWords: strings.Join(m.OutOfStockWords, ", "),
		DiscWords: strings.Join(m.DiscontinuedWords, ", "), DecimalComma: m.DecimalComma}
	if m.Delimiter == "\t" {
		f.Delimiter = "tab"
	}
	if m.InStockQuantity != 0 {
		f.InStockQuantity = strconv.Itoa(m.InStockQuantity)
	}
	return f
}

// words splits a comma-separated list of words.
func words(s string) []string {
	var out []string
	for w := range strings.SplitSeq(s, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// parseMappingForm reads the editor's form into a mapping; the error names
// the inputs it could not read (the feed service checks the rest).
func parseMappingForm(r *http.Request) (mappingForm, feeds.Mapping, error) {
	val := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := mappingForm{Format: val("format"), Encoding: val("encoding"), Delimiter: r.PostFormValue("delimiter"), Sheet: val("sheet"),
		SKU: val("sku"), Quantity: val("quantity"), Cost: val("cost"), Currency: val("currency"), LeadTime: val("lead_time"),
		RestockDate: val("restock_date"), Discontinued: val("discontinued"), DefaultCurrency: strings.ToUpper(val("default_currency")),
		DateFormat: val("date_format"), InStockWords: val("in_stock_words"), InStockQuantity: val("in_stock_quantity"),
		OutOfStockWords: val("out_of_stock_words"), DiscWords: val("discontinued_words"), DecimalComma: r.PostFormValue("decimal_comma") != ""}
	m := feeds.Mapping{Format: f.Format, Encoding: f.Encoding, Sheet: f.Sheet, SKU: f.SKU, Quantity: f.Quantity, Cost: f.Cost,
		Currency: f.Currency, LeadTime: f.LeadTime, RestockDate: f.RestockDate, Discontinued: f.Discontinued,
		DefaultCurrency: f.DefaultCurrency, DateFormat: f.DateFormat, DecimalComma: f.DecimalComma,
		InStockWords: words(f.InStockWords), OutOfStockWords: words(f.OutOfStockWords), DiscontinuedWords: words(f.DiscWords)}
	if m.Format == "auto" {
		m.Format = ""
	}
	if m.Encoding == "auto" {
		m.Encoding = ""
	}
	var fe apperr.Fields
	switch d := f.Delimiter; {
	case strings.EqualFold(strings.TrimSpace(d), "tab"), d == `\t`, d == "\t":
		m.Delimiter = "\t"
	case d == " ":
		m.Delimiter = " "
	default:
		m.Delimiter = strings.TrimSpace(d)
		f.Delimiter = m.Delimiter
	}
	if len([]rune(m.Delimiter)) > 1 {
		fe.Add("delimiter", "enter one character (such as , ; or |), the word tab, or nothing to detect it; got %q", f.Delimiter)
	}
	if f.InStockQuantity != "" {
		n, err := strconv.Atoi(f.InStockQuantity)
		if err != nil {
			fe.Add("in_stock_quantity", "enter a whole number of units, got %q", f.InStockQuantity)
		}
		m.InStockQuantity = n
	}
	return f, m, fe.Err()
}

// withReaderChecks adds to the form's own errors (inputs it could not read)
// what the feed reader finds wrong with the rest of the mapping, so that
// every problem is shown at once. The reader checks the mapping before it
// reads a byte, so an empty file is enough.
func withReaderChecks(formErr error, m feeds.Mapping) error {
	var fe, re *apperr.Error
	if !errors.As(formErr, &fe) {
		return formErr
	}
	_, err := feeds.Preview(strings.NewReader(""), m, 1)
	if !errors.As(err, &re) || len(re.Fields) == 0 {
		return formErr
	}
	var all apperr.Fields
	for _, f := range fe.Fields {
		all.Add(f.Field, "%s", f.Message)
	}
	for _, f := range re.Fields {
		all.Add(f.Field, "%s", f.Message)
	}
	return all.Err()
}

// mappingInputs are the editor's inputs, named as the mapping's fields.
var mappingInputs = []string{"format", "encoding", "delimiter", "sheet", "sku", "quantity", "cost", "currency", "lead_time",
	"restock_date", "discontinued", "default_currency", "decimal_comma", "date_format", "in_stock_words", "in_stock_quantity",
	"out_of_stock_words", "discontinued_words"}

// mappingFieldNames maps the feed service's field names (mapping.sku) to
// the editor's inputs (sku); "mapping" itself (nothing mapped) goes to the
// columns' group.
var mappingFieldNames = func() map[string]string {
	out := map[string]string{"mapping": "columns"}
	for _, n := range mappingInputs {
		out["mapping."+n] = n
	}
	return out
}()

// previewCell is one cell of the preview: the value as in the file, and why
// the mapping cannot read it.
type previewCell struct {
	Value, Error string
}

type previewLine struct {
	Line   int
	Cells  []previewCell
	Parsed string   // the row as it would be applied, when it has no problem
	Errors []string // its problems with the row as a whole, or in columns not shown
}

// previewColumn is one column of the sample file, with the field the
// mapping reads from it.
type previewColumn struct {
	Name, Field string
}

type previewView struct {
	FileName string
	// Format, Encoding, Delimiter and Sheet are what the reader found (or
	// was told).
	Format, Encoding, Delimiter, Sheet string
	Columns                            []previewColumn
	Rows                               []previewLine
	More                               bool
	// Error says why the file cannot be read with the mapping at all.
	Error string
}

type mappingView struct {
	Supplier suppliers.Supplier
	Saved    bool
	Form     mappingForm
	Errors   map[string]string
	Preview  *previewView
	MaxFile  string
	// Columns of the sample file, offered in the column inputs.
	Columns []string
	// The form's text inputs, laid out from Form and Errors.
	ColumnInputs, FileInputs, ValueInputs []formInput
	Formats, Encodings                    []string
}

func (s *Server) loadMapping(r *http.Request) (*mappingView, feeds.Settings, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, feeds.Settings{}, err
	}
	sup, err := s.cfg.Suppliers.Supplier(r.Context(), id)
	if err != nil {
		return nil, feeds.Settings{}, err
	}
	st, err := s.cfg.Feeds.Settings(r.Context(), id)
	if err != nil {
		return nil, feeds.Settings{}, err
	}
	v := &mappingView{Supplier: sup, Saved: st.Saved, Form: mappingFormOf(st.Mapping), Errors: map[string]string{},
		MaxFile: formatBytes(s.cfg.Feeds.MaxFileBytes())}
	if !st.Saved {
		v.Form.DefaultCurrency = "" // nothing typed yet
	}
	return v, st, nil
}

func (s *Server) renderMapping(w http.ResponseWriter, r *http.Request, status int, v *mappingView) {
	in := func(name, label, value string) formInput {
		return formInput{Name: name, Label: label, Value: value, Error: v.Errors[name]}
	}
	f := v.Form
	v.ColumnInputs = []formInput{
		in("sku", "Supplier SKU (required)", f.SKU),
		in("quantity", "Quantity", f.Quantity),
		in("cost", "Cost", f.Cost),
		in("currency", "Currency of the cost", f.Currency),
		in("lead_time", "Lead time (days)", f.LeadTime),
		in("restock_date", "Restock date", f.RestockDate),
		in("discontinued", "Discontinued flag", f.Discontinued),
	}
	v.FileInputs = []formInput{
		in("delimiter", "Delimiter: one character such as , ; or |, the word tab, or empty to detect it", f.Delimiter),
		in("sheet", "XLSX sheet (empty: the first)", f.Sheet),
	}
	v.ValueInputs = []formInput{
		in("default_currency", "Cost currency when no column gives it (ISO code, e.g. EUR)", f.DefaultCurrency),
		in("date_format", "Date format: 2 January 2006 written the supplier's way, e.g. 02/01/2006 (empty: 2006-01-02 or RFC 3339)", f.DateFormat),
		in("in_stock_words", "Words meaning in stock, comma-separated (e.g. yes, disponibile)", f.InStockWords),
		in("in_stock_quantity", "Units an in-stock word counts as", f.InStockQuantity),
		in("out_of_stock_words", "Words meaning out of stock, comma-separated (e.g. no, esaurito)", f.OutOfStockWords),
		in("discontinued_words", "Words of the discontinued column meaning yes (empty: yes, true, 1, x, …)", f.DiscWords),
	}
	v.Formats = []string{"auto", "csv", "tsv", "json", "xlsx"}
	v.Encodings = []string{"auto", "utf-8", "windows-1252", "iso-8859-1"}
	s.render(w, r, status, "feed_mapping.html", view{Title: "Feed mapping of " + v.Supplier.Name, Active: "feeds", Data: v})
}

// feedMappingPage shows the mapping editor with the saved mapping.
func (s *Server) feedMappingPage(w http.ResponseWriter, r *http.Request) {
	v, _, err := s.loadMapping(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderMapping(w, r, http.StatusOK, v)
}

// readMappingForm reads the editor's multipart form (bounded like a feed
// upload); false when it answered already.
func (s *Server) readMappingForm(w http.ResponseWriter, r *http.Request, v *mappingView) bool {
	limit := s.feedFileLimit()
	tooLarge := func() {
		v.Errors["mapping"] = "The sample file is larger than the feed limit of " + v.MaxFile + "."
		s.renderMapping(w, r, http.StatusRequestEntityTooLarge, v)
	}
	if r.ContentLength > limit {
		tooLarge()
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		err = r.ParseMultipartForm(mappingFormMemory)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		if isMaxBytesError(err) {
			tooLarge()
			return false
		}
		v.Errors["mapping"] = "The form could not be read: send it again."
		s.renderMapping(w, r, http.StatusBadRequest, v)
		return false
	}
	return true
}

// feedSaveMapping saves the mapping as typed, keeping the guards.
func (s *Server) feedSaveMapping(w http.ResponseWriter, r *http.Request) {
	v, st, err := s.loadMapping(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if !s.readMappingForm(w, r, v) {
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	form, m, err := parseMappingForm(r)
	if err != nil {
		err = withReaderChecks(err, m)
	} else {
		_, err = s.cfg.Feeds.SaveSettings(r.Context(), v.Supplier.ID, feeds.Settings{Mapping: m, Guards: st.Guards, MissingAsZero: st.MissingAsZero})
	}
	if err != nil {
		if statusFor(err) >= 500 {
			s.consoleError(w, r, err)
			return
		}
		v.Form = form
		v.Errors = formErrors(renameFields(err, mappingFieldNames), "mapping")
		s.renderMapping(w, r, statusFor(err), v)
		return
	}
	seeOther(w, r, supplierFeedPath(v.Supplier.ID), "mapping-saved")
}

// feedPreviewMapping reads the first rows of the sample file with the
// mapping as typed and shows the editor again with them; nothing is saved.
func (s *Server) feedPreviewMapping(w http.ResponseWriter, r *http.Request) {
	v, _, err := s.loadMapping(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if !s.readMappingForm(w, r, v) {
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	form, m, err := parseMappingForm(r)
	v.Form = form
	if err != nil {
		v.Errors = formErrors(err, "mapping")
		s.renderMapping(w, r, statusFor(err), v)
		return
	}
	file, header, ferr := r.FormFile("sample")
	if ferr != nil {
		v.Errors["sample"] = "Choose a sample file of the supplier to preview the mapping on."
		s.renderMapping(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	defer file.Close()
	res, err := feeds.Preview(file, m, previewRows)
	pv := &previewView{FileName: header.Filename, Format: res.File.Format, Encoding: res.File.Encoding,
		Delimiter: delimiterLabel(res.File.Delimiter), Sheet: res.File.Sheet, More: res.More}
	if res.File.Delimiter == "" {
		pv.Delimiter = ""
	}
	v.Preview, v.Columns = pv, res.Columns
	status := http.StatusOK
	var fileErr *feeds.FileError
	var ae *apperr.Error
	switch {
	case err == nil:
	case errors.As(err, &fileErr):
		pv.Error = "The file cannot be read with this mapping: " + fileErr.Error() + "."
		status = http.StatusUnprocessableEntity
	case errors.As(err, &ae) && ae.Code != apperr.Internal:
		v.Errors = formErrors(renameFields(err, mappingFieldNames), "mapping")
		pv.Error = "Correct the mapping to see the rows."
		status = statusFor(err)
	default:
		s.consoleError(w, r, err)
		return
	}
	previewTable(pv, m, res)
	s.renderMapping(w, r, status, v)
}

// previewTable lays out a preview: the file's columns with the field each
// one feeds, and each row's cells with their problems.
func previewTable(pv *previewView, m feeds.Mapping, res feeds.PreviewResult) {
	fields := map[string]string{}
	for _, c := range []struct{ col, field string }{{m.SKU, "supplier SKU"}, {m.Quantity, "quantity"}, {m.Cost, "cost"},
		{m.Currency, "currency"}, {m.LeadTime, "lead time"}, {m.RestockDate, "restock date"}, {m.Discontinued, "discontinued"}} {
		if k := strings.ToLower(strings.TrimSpace(c.col)); k != "" {
			fields[k] = c.field
		}
	}
	index := map[string]int{}
	for i, c := range res.Columns {
		pv.Columns = append(pv.Columns, previewColumn{Name: c, Field: fields[strings.ToLower(c)]})
		if _, dup := index[c]; !dup {
			index[c] = i
		}
	}
	for _, row := range res.Rows {
		pl := previewLine{Line: row.Line, Cells: make([]previewCell, len(res.Columns))}
		for i := range pl.Cells {
			if i < len(row.Cells) {
				pl.Cells[i].Value = row.Cells[i]
			}
		}
		for _, e := range row.Errors {
			i, ok := index[e.Column]
			if e.Column == "" || !ok || i >= len(pl.Cells) {
				pl.Errors = append(pl.Errors, e.Reason)
				continue
			}
			if pl.Cells[i].Error != "" {
				pl.Cells[i].Error += "; "
			}
			pl.Cells[i].Error += e.Reason
		}
		if row.Row != nil {
			pl.Parsed = describeRow(row.Row)
		}
		pv.Rows = append(pv.Rows, pl)
	}
}

// describeRow writes a mapped row as it would be applied.
func describeRow(r *feeds.Row) string {
	parts := []string{r.SupplierSKU}
	if r.Quantity != nil {
		parts = append(parts, "quantity "+strconv.Itoa(*r.Quantity))
	}
	if r.Cost != nil {
		parts = append(parts, "cost "+r.Cost.String())
	}
	if r.LeadTimeDays != nil {
		parts = append(parts, "lead time "+strconv.Itoa(*r.LeadTimeDays)+" d")
	}
	if r.RestockDate != nil {
		parts = append(parts, "restock "+r.RestockDate.Format("2006-01-02"))
	}
	if r.Discontinued {
		parts = append(parts, "discontinued")
	}
	return strings.Join(parts, " · ")
}
