package feedfile

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite testdata/listino.xlsx")

// listino builds the workbook of an Italian supplier: a notes sheet first,
// then the price list with a blank first row, formatted numbers and dates, a
// blank row, a short row and a note right of the table.
func listino(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Note"))
	must(f.SetCellValue("Note", "A1", "Listino valido dal 1 marzo"))
	_, err := f.NewSheet("Listino")
	must(err)
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	must(err)
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // shown by excelize as mm-dd-yy
	must(err)
	iso, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")})
	must(err)
	must(f.SetSheetRow("Listino", "A2", &[]any{"Codice", "Descrizione", "Disponibilità", "Prezzo", "Valuta", "Arrivo"}))
	must(f.SetSheetRow("Listino", "A3", &[]any{"CF-1", "Caffè macinato 250 g", 12, 1234.5, "EUR", time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)}))
	must(f.SetSheetRow("Listino", "A5", &[]any{"TE-2", "Tè verde", "esaurito", 2.5}))
	must(f.SetSheetRow("Listino", "A6", &[]any{"OR-3", "Orzo", "disponibile", 0.99, "EUR", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), nil, "nota a margine"}))
	must(f.SetCellStyle("Listino", "D3", "D6", money))
	must(f.SetCellStyle("Listino", "F3", "F3", date))
	must(f.SetCellStyle("Listino", "F6", "F6", iso))
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ptr[T any](v T) *T { return &v }

var listinoWant = result{
	Info:   Info{Format: "xlsx", Sheet: "Listino"},
	Header: []string{"Codice", "Descrizione", "Disponibilità", "Prezzo", "Valuta", "Arrivo"},
	Records: []rec{
		{3, []string{"CF-1", "Caffè macinato 250 g", "12", "1,234.50", "EUR", "03-15-26"}},
		{4, []string{"", "", "", "", "", ""}},
		{5, []string{"TE-2", "Tè verde", "esaurito", "2.50", "", ""}},
		{6, []string{"OR-3", "Orzo", "disponibile", "0.99", "EUR", "2026-04-01"}},
	},
}

func TestXLSX(t *testing.T) {
	got := readAll(t, listino(t), Options{Sheet: " listino "})
	if diff := cmp.Diff(listinoWant, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestXLSXFixture reads the committed workbook (made by listino; rewrite it
// with -update), so a change in excelize's reading shows up here.
func TestXLSXFixture(t *testing.T) {
	if *update {
		if err := os.WriteFile("testdata/listino.xlsx", listino(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile("testdata/listino.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, data, Options{Format: "xlsx", Sheet: "Listino"})
	if diff := cmp.Diff(listinoWant, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	f, err := Open(bytes.NewReader(data), Options{Sheet: "Listino"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := f.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !r.PointDecimal(3) {
		t.Error("XLSX cells are not marked as written with a decimal point")
	}
}

func TestXLSXFirstSheetAndErrors(t *testing.T) {
	data := listino(t)
	// The first sheet is the notes sheet: its only row is the header.
	got := readAll(t, data, Options{})
	if got.Info.Sheet != "Note" || len(got.Records) != 0 || got.Header[0] != "Listino valido dal 1 marzo" {
		t.Errorf("first sheet: %+v", got)
	}
	_, err := tryReadAll(data, Options{Sheet: "Prezzi"})
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, `no sheet "Prezzi"; its sheets are: Note, Listino`) {
		t.Errorf("unknown sheet: %v", err)
	}

	f := excelize.NewFile()
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	_, err = tryReadAll(b.Bytes(), Options{})
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, `sheet "Sheet1" is empty`) {
		t.Errorf("empty sheet: %v", err)
	}
}

// TestXLSXStreams reads a 20,000-row sheet written with excelize's stream
// writer: every row comes back, numbered.
func TestXLSXStreams(t *testing.T) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"sku", "qty"})
	const n = 20000
	for i := 2; i <= n+1; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		if err := sw.SetRow(cell, []any{"S" + cell, i % 100}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, b.Bytes(), Options{})
	if len(got.Records) != n {
		t.Fatalf("%d records, want %d", len(got.Records), n)
	}
	last := got.Records[n-1]
	if last.Line != n+1 || last.Fields[0] != "SA20001" || last.Fields[1] != "1" {
		t.Errorf("last record %+v", last)
	}
}
