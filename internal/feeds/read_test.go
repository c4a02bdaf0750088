package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/xuri/excelize/v2"
)

func ip(n int) *int { return &n }

func cost(s, cur string) *money.Money {
	m, err := money.Parse(s, cur)
	if err != nil {
		panic(err)
	}
	return &m
}

func day(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

// latin1 encodes s in ISO-8859-1 (every rune below U+0100).
func latin1(s string) []byte {
	var b []byte
	for _, r := range s {
		if r > 0xFF {
			panic(fmt.Sprintf("%q is not latin-1", r))
		}
		b = append(b, byte(r))
	}
	return b
}

// readRows reads a whole feed: its rows, its row errors, and the fatal
// error that stopped it (nil at io.EOF).
func readRows(t *testing.T, data []byte, m Mapping) ([]Row, []RowError, error) {
	t.Helper()
	rd, err := NewReader(bytes.NewReader(data), m)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var rows []Row
	var errs []RowError
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return rows, errs, nil
		}
		var re *RowError
		if errors.As(err, &re) {
			if row.Line != re.Line {
				t.Errorf("row error on line %d comes with a row of line %d", re.Line, row.Line)
			}
			errs = append(errs, *re)
			continue
		}
		if err != nil {
			return rows, errs, err
		}
		rows = append(rows, row)
	}
}

// italian is the mapping of an Italian supplier's semicolon CSV.
var italian = Mapping{
	SKU: "Codice", Quantity: "Disponibilità", Cost: "Prezzo", RestockDate: "Arrivo", Discontinued: "Fuori produzione",
	LeadTime: "Consegna", DefaultCurrency: "EUR", DecimalComma: true, DateFormat: "02/01/2006",
	InStockWords: []string{"Disponibile"}, InStockQuantity: 10, OutOfStockWords: []string{"esaurito", "non disponibile"},
	DiscontinuedWords: []string{"sì", "si"},
}

func TestReadRealWorldShapes(t *testing.T) {
	italianCSV := "Codice;Descrizione;Disponibilità;Prezzo;Consegna;Arrivo;Fuori produzione\r\n" +
		"CF-250;Caffè macinato 250 g;12;4,90;3 gg;;no\r\n" +
		"CF-1K;Caffè in grani 1 kg;1.200;1.234,56;5-7 giorni;15/03/2026;\r\n" +
		"TE-V;Tè verde;disponibile;2,5;;;\r\n" +
		"OR-1;Orzo solubile;Non  Disponibile;0,99;;0000-00-00;Sì\r\n" +
		";;;;;;\r\n"
	italianRows := []Row{
		{Line: 2, SupplierSKU: "CF-250", Quantity: ip(12), Cost: cost("4.90", "EUR"), LeadTimeDays: ip(3)},
		{Line: 3, SupplierSKU: "CF-1K", Quantity: ip(1200), Cost: cost("1234.56", "EUR"), LeadTimeDays: ip(7), RestockDate: day(2026, 3, 15)},
		{Line: 4, SupplierSKU: "TE-V", Quantity: ip(10), Cost: cost("2.50", "EUR")},
		{Line: 5, SupplierSKU: "OR-1", Quantity: ip(0), Cost: cost("0.99", "EUR"), Discontinued: true},
	}
	xlsx, err := os.ReadFile("feedfile/testdata/listino.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		m    Mapping
		want []Row
		errs []RowError
	}{{
		name: "italian semicolon CSV, UTF-8",
		data: []byte(italianCSV),
		m:    italian,
		want: italianRows,
	}, {
		name: "the same file in ISO-8859-1",
		data: latin1(italianCSV),
		m:    italian,
		want: italianRows,
	}, {
		name: "the same file in ISO-8859-1, encoding given",
		data: latin1(italianCSV),
		m:    func() Mapping { m := italian; m.Encoding = "iso-8859-1"; m.Delimiter = ";"; m.Format = "csv"; return m }(),
		want: italianRows,
	}, {
		name: "Windows-1252 with the euro sign in costs",
		data: append(append([]byte("sku;qty;cost\nE-1;3;"), 0x80, ' ', '1', '2', ',', '5', '0', '\n', 'E', '-', '2', ';', '1', ';', '9', ',', '9', '9', ' '), 0x80, '\n'),
		m:    Mapping{SKU: "sku", Quantity: "qty", Cost: "cost", DecimalComma: true},
		want: []Row{
			{Line: 2, SupplierSKU: "E-1", Quantity: ip(3), Cost: cost("12.50", "EUR")},
			{Line: 3, SupplierSKU: "E-2", Quantity: ip(1), Cost: cost("9.99", "EUR")},
		},
	}, {
		name: "UTF-8 BOM, comma CSV, thousands separators, currency column, mixed-case header",
		data: []byte("\ufeffSupplier SKU,Stock,Unit Cost,CCY,Lead Time,ETA\n" +
			"\"MUG-1\",\"1,500\",\"1,234.56\",usd,5 days,2026-05-01\n" +
			"MUG-2,12.0,$3.20,USD,0,2026-05-01T10:00:00Z\n" +
			"MUG-3,,,,,\n"),
		m: Mapping{SKU: " supplier sku ", Quantity: "STOCK", Cost: "unit cost", Currency: "ccy", LeadTime: "lead time", RestockDate: "eta"},
		want: []Row{
			{Line: 2, SupplierSKU: "MUG-1", Quantity: ip(1500), Cost: cost("1234.56", "USD"), LeadTimeDays: ip(5), RestockDate: day(2026, 5, 1)},
			{Line: 3, SupplierSKU: "MUG-2", Quantity: ip(12), Cost: cost("3.20", "USD"), LeadTimeDays: ip(0), RestockDate: func() *time.Time { t := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC); return &t }()},
			{Line: 4, SupplierSKU: "MUG-3"},
		},
	}, {
		name: "TSV from a US supplier",
		data: []byte("sku\tqty\tcost\tstatus\nA-1\t10+\t2.00\tactive\nA-2\tout of stock\t2.00\tDISCONTINUED\n"),
		m:    Mapping{SKU: "sku", Quantity: "qty", Cost: "cost", Discontinued: "status", DefaultCurrency: "USD", OutOfStockWords: []string{"Out of stock"}},
		want: []Row{
			{Line: 2, SupplierSKU: "A-1", Quantity: ip(10), Cost: cost("2", "USD")},
			{Line: 3, SupplierSKU: "A-2", Quantity: ip(0), Cost: cost("2", "USD"), Discontinued: true},
		},
	}, {
		name: "JSON array: numbers keep their decimal point under a decimal-comma mapping, strings follow it",
		data: []byte(`[{"sku": "J-1", "qty": 5, "cost": 1.250, "eta": "2026-06-30"},
			{"sku": "J-2", "qty": "7", "cost": "1.250,00", "discontinued": true},
			{"sku": "J-3", "qty": 2, "cost": 3, "dims": {"w": 1}},
			{"sku": "J-4", "qty": null, "cost": null}]`),
		m: Mapping{SKU: "sku", Quantity: "qty", Cost: "cost", RestockDate: "eta", Discontinued: "discontinued", DefaultCurrency: "EUR", DecimalComma: true},
		want: []Row{
			{Line: 1, SupplierSKU: "J-1", Quantity: ip(5), Cost: cost("1.25", "EUR"), RestockDate: day(2026, 6, 30)},
			{Line: 2, SupplierSKU: "J-2", Quantity: ip(7), Cost: cost("1250", "EUR"), Discontinued: true},
			{Line: 4, SupplierSKU: "J-4"},
		},
		errs: []RowError{{Line: 3, Column: "dims", Value: "{…}", Reason: `the value of "dims" is an object; feed values must be text, numbers, true/false or null`}},
	}, {
		name: "XLSX fixture: cells as displayed, decimal point whatever the mapping says",
		data: xlsx,
		m: Mapping{Sheet: "Listino", SKU: "codice", Quantity: "Disponibilità", Cost: "Prezzo", Currency: "Valuta", RestockDate: "Arrivo",
			DateFormat: "01-02-06", DecimalComma: true, DefaultCurrency: "EUR",
			InStockWords: []string{"disponibile"}, InStockQuantity: 5, OutOfStockWords: []string{"esaurito"}},
		want: []Row{
			{Line: 3, SupplierSKU: "CF-1", Quantity: ip(12), Cost: cost("1234.50", "EUR"), RestockDate: day(2026, 3, 15)},
			{Line: 5, SupplierSKU: "TE-2", Quantity: ip(0), Cost: cost("2.50", "EUR")},
			{Line: 6, SupplierSKU: "OR-3", Quantity: ip(5), Cost: cost("0.99", "EUR"), RestockDate: day(2026, 4, 1)},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs, err := readRows(t, tt.data, tt.m)
			if err != nil {
				t.Fatalf("fatal: %v", err)
			}
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.errs, errs); diff != "" {
				t.Errorf("row errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadGeneratedXLSX writes a workbook the way a supplier's system
// would (numbers as numbers, a date cell, a title row above the header is
// not supported so it starts at row 1) and reads it through a mapping.
func TestReadGeneratedXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"SKU", "Qty", "Cost (USD)", "Lead days", "Discontinued"},
		{"X-1", 40, 12.5, 3, "no"},
		{"X-2", 0, 0.3333, 3, "yes"},
		{"X-3", -2, 1, 400, ""},
		{"X-1", 1, 1, 1, ""},
		{"X-4", 12.5, "abc", "", "x"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	got, errs, err := readRows(t, b.Bytes(), Mapping{SKU: "sku", Quantity: "qty", Cost: "cost (usd)", LeadTime: "lead days", Discontinued: "discontinued", DefaultCurrency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{Line: 2, SupplierSKU: "X-1", Quantity: ip(40), Cost: cost("12.50", "USD"), LeadTimeDays: ip(3)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	wantErrs := []RowError{
		{Line: 3, Column: "Cost (USD)", Value: "0.3333", Reason: `cost "0.3333" has more than 2 decimals for USD; Orderly does not round costs`},
		{Line: 4, Column: "Qty", Value: "-2", Reason: "quantity must not be negative"},
		{Line: 5, Column: "SKU", Value: "X-1", Reason: "supplier SKU X-1 already on line 2"},
		{Line: 6, Column: "Qty", Value: "12.5", Reason: `quantity "12.5" is not a whole number`},
	}
	if diff := cmp.Diff(wantErrs, errs); diff != "" {
		t.Errorf("row errors (-want +got):\n%s", diff)
	}
}

func TestRowErrors(t *testing.T) {
	m := Mapping{SKU: "sku", Quantity: "qty", Cost: "cost", Currency: "cur", LeadTime: "lead", RestockDate: "eta", DefaultCurrency: "EUR"}
	tests := []struct {
		row  string
		want RowError // Line 2
	}{
		{",1,1,,,", RowError{Column: "sku", Reason: "the supplier SKU is blank"}},
		{strings.Repeat("S", 101) + ",1,,,,", RowError{Column: "sku", Value: strings.Repeat("S", 60) + "…", Reason: "the supplier SKU is longer than 100 characters"}},
		{"A,-3,,,,", RowError{Column: "qty", Value: "-3", Reason: "quantity must not be negative"}},
		{"A,2000000000,,,,", RowError{Column: "qty", Value: "2000000000", Reason: `quantity "2000000000" is more than 1000000000: is this the right column?`}},
		{"A,1e12,,,,", RowError{Column: "qty", Value: "1e12", Reason: `quantity "1e12" is more than 1000000000: is this the right column?`}},
		{"A,many,,,,", RowError{Column: "qty", Value: "many", Reason: `quantity "many" is not a number (if it means in or out of stock, add it to the mapping's in-stock or out-of-stock words)`}},
		{"A,\"1,5\",,,,", RowError{Column: "qty", Value: "1,5", Reason: `quantity "1,5" is not a number like 1234.56 or 1,234.56 (it reads as a number with a decimal comma: set "decimal comma" in the mapping)`}},
		{"A,,\"12,50\",,,", RowError{Column: "cost", Value: "12,50", Reason: `cost "12,50" is not a number like 1234.56 or 1,234.56 (it reads as a number with a decimal comma: set "decimal comma" in the mapping)`}},
		{"A,,-1.00,,,", RowError{Column: "cost", Value: "-1.00", Reason: "cost must not be negative"}},
		{"A,,1.00,XXX,,", RowError{Column: "cur", Value: "XXX", Reason: `unknown currency "XXX" (want an ISO 4217 code such as EUR, USD, BRL)`}},
		{"A,,1.00 USD,EUR,,", RowError{Column: "cost", Value: "1.00 USD", Reason: `cost "1.00 USD" is not in EUR, the row's currency`}},
		{"A,,£1.00,,,", RowError{Column: "cost", Value: "£1.00", Reason: `cost "£1.00" is not in EUR, the row's currency`}},
		{"A,,1.005,,,", RowError{Column: "cost", Value: "1.005", Reason: `cost "1.005" has more than 2 decimals for EUR; Orderly does not round costs`}},
		{"A,,free,,,", RowError{Column: "cost", Value: "free", Reason: `cost "free" is not an amount`}},
		{"A,,,,400,", RowError{Column: "lead", Value: "400", Reason: `lead time "400" must be between 0 and 365 days`}},
		{"A,,,,soon,", RowError{Column: "lead", Value: "soon", Reason: `lead time "soon" is not a number of days`}},
		{"A,,,,,15/03/2026", RowError{Column: "eta", Value: "15/03/2026", Reason: `restock date "15/03/2026" is not a date like 2006-01-02`}},
		{"A,,,,,1900-01-01", RowError{Column: "eta", Value: "1900-01-01", Reason: `restock date "1900-01-01" is out of range (years 2000 to 2200)`}},
		{"A,1", RowError{Reason: "the row has 2 values but the header has 6 columns (a value with an unquoted comma in it? put such values in double quotes)"}},
	}
	for _, tt := range tests {
		t.Run(tt.row, func(t *testing.T) {
			rows, errs, err := readRows(t, []byte("sku,qty,cost,cur,lead,eta\n"+tt.row+"\n"), m)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Line = 2
			if len(rows) != 0 || len(errs) != 1 {
				t.Fatalf("rows %+v, errors %+v; want one error", rows, errs)
			}
			if diff := cmp.Diff(want, errs[0]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(errs[0].Error(), "line 2") {
				t.Errorf("Error() = %q", errs[0].Error())
			}
		})
	}
}

// TestDuplicateSKU: the later line is the error, naming the first; the good
// rows around it still read.
func TestDuplicateSKU(t *testing.T) {
	data := "sku;qty\nA;1\nB;2\n\"A\";3\nC;x\nC;4\n"
	rows, errs, err := readRows(t, []byte(data), Mapping{SKU: "sku", Quantity: "qty"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].SupplierSKU != "A" || rows[1].SupplierSKU != "B" {
		t.Errorf("rows %+v", rows)
	}
	want := []string{
		"line 4, column sku: supplier SKU A already on line 2",
		"line 5, column qty: quantity \"x\" is not a number (if it means in or out of stock, add it to the mapping's in-stock or out-of-stock words)",
		"line 6, column sku: supplier SKU C already on line 5",
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFileErrors(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
	tests := []struct {
		name string
		data string
		m    Mapping
		want string
	}{
		{"a mapped column is missing", "Codice;Prezzo;Qta\nA;1;2\n", Mapping{SKU: "codice", Quantity: "Quantità", Cost: "prezzo"},
			`line 1: the file has no column "Quantità" (quantity); its columns are: "Codice", "Prezzo", "Qta"`},
		{"several are", "Codice;Prezzo\n", Mapping{SKU: "sku", Quantity: "qty", Cost: "Prezzo", LeadTime: "lead"},
			`line 1: the file has no columns "sku" (sku), "qty" (quantity) and "lead" (lead_time); its columns are: "Codice", "Prezzo"`},
		{"not a CSV at all: prose", "Dear customer,\nplease find our price list attached.\n", Mapping{SKU: "sku"},
			`line 1: the file has no column "sku" (sku); its columns are: "Dear customer", ""`},
		{"not a CSV at all: an image", string(png), Mapping{SKU: "sku"}, "the file is binary, not text"},
		{"an HTML error page", "<html><head><title>502 Bad Gateway</title></head></html>", Mapping{SKU: "sku"}, "HTML or XML page"},
		{"two columns with the mapped name", "sku,SKU ,qty\n", Mapping{SKU: "sku"}, `line 1: the header has more than one column named "sku"`},
		{"JSON objects without the key", `[{"code": "A"}]`, Mapping{SKU: "sku"}, `the file has no column "sku" (sku); its columns are: "code"`},
		{"a zip that is not XLSX", "PK\x03\x04garbage", Mapping{SKU: "sku"}, "not a readable XLSX workbook"},
		{"empty", "", Mapping{SKU: "sku"}, "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.data), tt.m)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FileError", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not say %q", err, tt.want)
			}
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("code %s", apperr.CodeOf(err))
			}
		})
	}
}

// TestTruncatedJSON: the rows before the break are read, then a fatal error.
func TestTruncatedJSON(t *testing.T) {
	data := `[{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}, {"sku": "C", "q`
	rows, _, err := readRows(t, []byte(data), Mapping{SKU: "sku", Quantity: "qty"})
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Error(), "the JSON ends unexpectedly in element 3") {
		t.Fatalf("error %v, want a truncation FileError", err)
	}
	if len(rows) != 2 {
		t.Errorf("rows %+v, want the 2 before the break", rows)
	}
}

func TestMappingErrors(t *testing.T) {
	tests := []struct {
		m     Mapping
		field string
	}{
		{Mapping{}, "mapping.sku"},
		{Mapping{SKU: "a", Format: "xml"}, "mapping.format"},
		{Mapping{SKU: "a", Encoding: "ebcdic"}, "mapping.encoding"},
		{Mapping{SKU: "a", Delimiter: "::"}, "mapping.delimiter"},
		{Mapping{SKU: "a", DefaultCurrency: "EURO"}, "mapping.default_currency"},
		{Mapping{SKU: "a", InStockWords: []string{"yes"}}, "mapping.in_stock_quantity"},
		{Mapping{SKU: "a", InStockWords: []string{"ok"}, InStockQuantity: 1, OutOfStockWords: []string{"OK "}}, "mapping.out_of_stock_words"},
		{Mapping{SKU: "a", DateFormat: "dd/mm/yyyy"}, "mapping.date_format"},
		{Mapping{SKU: "a", Quantity: " A"}, "mapping.quantity"},
	}
	for _, tt := range tests {
		_, err := NewReader(strings.NewReader("a,b\n1,2\n"), tt.m)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) == 0 || ae.Fields[0].Field != tt.field {
			t.Errorf("%+v: error %v, want invalid %s", tt.m, err, tt.field)
		}
	}
}

func TestPreview(t *testing.T) {
	data := latin1("Codice;Descrizione;Disponibilità;Prezzo\nCF-1;Caffè;12;4,90\nCF-2;Tè;-1;abc\n;;;\nCF-3;Orzo;esaurito;1\nCF-4;x;1;1\n")
	m := Mapping{SKU: "codice", Quantity: "disponibilità", Cost: "prezzo", DefaultCurrency: "EUR", DecimalComma: true, OutOfStockWords: []string{"esaurito"}}
	p, err := Preview(bytes.NewReader(data), m, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := PreviewResult{
		File:    p.File,
		Columns: []string{"Codice", "Descrizione", "Disponibilità", "Prezzo"},
		Rows: []PreviewRow{
			{Line: 2, Cells: []string{"CF-1", "Caffè", "12", "4,90"}, Row: &Row{Line: 2, SupplierSKU: "CF-1", Quantity: ip(12), Cost: cost("4.90", "EUR")}},
			{Line: 3, Cells: []string{"CF-2", "Tè", "-1", "abc"}, Errors: []RowError{
				{Line: 3, Column: "Disponibilità", Value: "-1", Reason: "quantity must not be negative"},
				{Line: 3, Column: "Prezzo", Value: "abc", Reason: `cost "abc" is not an amount`},
			}},
			{Line: 5, Cells: []string{"CF-3", "Orzo", "esaurito", "1"}, Row: &Row{Line: 5, SupplierSKU: "CF-3", Quantity: ip(0), Cost: cost("1", "EUR")}},
		},
		More: true,
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if p.File.Format != "csv" || p.File.Encoding != "windows-1252" || p.File.Delimiter != ";" {
		t.Errorf("file %+v", p.File)
	}

	// All rows fit: More is false.
	if p, err := Preview(bytes.NewReader(data), m, 10); err != nil || len(p.Rows) != 4 || p.More {
		t.Errorf("preview of 10: %d rows, more %v, error %v", len(p.Rows), p.More, err)
	}

	// A column the file lacks: the error, and the columns to choose from.
	m.Quantity = "Qty"
	p, err = Preview(bytes.NewReader(data), m, 3)
	var fe *FileError
	if !errors.As(err, &fe) || len(p.Columns) != 4 || p.Columns[2] != "Disponibilità" || len(p.Rows) != 0 {
		t.Errorf("missing column: %+v, %v", p, err)
	}

	// A file that does not parse: only the error.
	p, err = Preview(strings.NewReader(`[{"sku": 1`), Mapping{SKU: "sku"}, 3)
	if !errors.As(err, &fe) || p.Columns != nil {
		t.Errorf("broken JSON: %+v, %v", p, err)
	}
}

// TestMixedEncodingSKU: a UTF-8 file with one stray Latin-1 byte far from
// its first accented letter: that row's SKU is refused, not stored garbled.
func TestMixedEncodingSKU(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("sku,name\nA-1,Caffè\n")
	for i := range 10000 { // past the first 64 KiB, where the encoding is decided
		fmt.Fprintf(&b, "N-%d,plain\n", i)
	}
	b.Write(latin1("CAFFÈ-2,x\n"))
	rows, errs, err := readRows(t, b.Bytes(), Mapping{SKU: "sku"})
	if err == nil && len(errs) == 0 {
		t.Fatalf("no error for the stray byte; %d rows", len(rows))
	}
	var found bool
	for _, e := range errs {
		if e.Column == "sku" && strings.Contains(e.Reason, "not valid UTF-8") {
			found = true
		}
	}
	if !found {
		t.Errorf("errors %v", errs)
	}
}

// TestCurrencyColumnCase: currency cells in lower case, repeated (the
// reader remembers the last one it checked), then changing, then bad.
func TestCurrencyColumnCase(t *testing.T) {
	data := "sku,cost,cur\nA,1,usd\nB,2,usd\nC,3,EUR\nD,4,eur\nE,5,\nF,6,xx\nG,7,usd\n"
	rows, errs, err := readRows(t, []byte(data), Mapping{SKU: "sku", Cost: "cost", Currency: "cur", DefaultCurrency: "GBP"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.SupplierSKU+" "+r.Cost.String())
	}
	want := []string{"A 1.00 USD", "B 2.00 USD", "C 3.00 EUR", "D 4.00 EUR", "E 5.00 GBP", "G 7.00 USD"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(errs) != 1 || errs[0].Line != 7 || errs[0].Column != "cur" || errs[0].Value != "xx" {
		t.Errorf("errors %+v", errs)
	}
}
