package feeds_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/money"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
)

var ctx = context.Background()

// fixture is an orders fixture (a supplier, SKUs with offers SUP-n) with a
// feed service on it whose files are read by testCSV.
type fixture struct {
	*orderstest.Fixture
	t     *testing.T
	feeds *feeds.Service
	skus  []orderstest.SKU
}

// testMapping is the mapping testCSV expects.
var testMapping = feeds.Mapping{Format: "csv", SKU: "sku", Quantity: "qty", Cost: "cost", DefaultCurrency: "EUR",
	LeadTime: "lead", RestockDate: "restock", Discontinued: "disc"}

// newFixture makes n SKUs (FEED-1..n, supplier SKUs SUP-1..n) with stock
// each, and saves testMapping for the supplier.
func newFixture(t *testing.T, db *store.DB, n, stock int) *fixture {
	t.Helper()
	f := &fixture{Fixture: orderstest.New(t, db, orders.Options{}), t: t}
	var err error
	f.feeds, err = feeds.New(db, f.Inventory, nil, f.Orders, nil, f.Clock.Now, feeds.Options{BatchSize: 4, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	feeds.SetOpen(f.feeds, openTestCSV)
	for i := 1; i <= n; i++ {
		f.skus = append(f.skus, f.AddSKU(fmt.Sprintf("FEED-%d", i), stock))
	}
	if _, err := f.feeds.SaveSettings(ctx, f.Supplier, feeds.Settings{Mapping: testMapping, Guards: feeds.DefaultGuards}); err != nil {
		t.Fatal(err)
	}
	return f
}

// apply sends a file made of lines (the header is added).
func (f *fixture) apply(lines ...string) *feeds.Run {
	f.t.Helper()
	body := "sku,qty,cost,lead,restock,disc\n" + strings.Join(lines, "\n") + "\n"
	run, err := f.feeds.Apply(ctx, f.Supplier, strings.NewReader(body), feeds.ApplyInput{Source: feeds.SourceUpload, Filename: "feed.csv"})
	if err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	return run
}

// full is a file naming every SKU with qty[i] (and cost 5.00, lead 3).
func (f *fixture) full(qty func(i int) string) []string {
	var lines []string
	for i := range f.skus {
		lines = append(lines, fmt.Sprintf("SUP-%d,%s,5.00,3,,", i+1, qty(i)))
	}
	return lines
}

func (f *fixture) reported(s orderstest.SKU) int {
	f.t.Helper()
	var n int
	if err := f.DB.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(reported), 0) FROM stock_positions WHERE offer_id = $1`, s.Offer).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.DB.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// testCSV reads "sku,qty,cost,lead,restock,disc" files: blank cells are
// absent values; a cell that does not parse is a *RowError.
type testCSV struct {
	r    *csv.Reader
	line int
}

func openTestCSV(r io.Reader, m feeds.Mapping) (feeds.RowSource, error) {
	c := csv.NewReader(r)
	c.FieldsPerRecord = -1
	h, err := c.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if strings.Join(h, ",") != "sku,qty,cost,lead,restock,disc" {
		return nil, errors.New("unknown header " + strings.Join(h, ","))
	}
	return &testCSV{r: c, line: 1}, nil
}

func (c *testCSV) Next() (feeds.Row, error) {
	rec, err := c.r.Read()
	if err != nil {
		return feeds.Row{}, err
	}
	c.line++
	row := feeds.Row{Line: c.line, SupplierSKU: rec[0]}
	for len(rec) < 6 {
		rec = append(rec, "")
	}
	bad := func(col, v string) (feeds.Row, error) {
		return feeds.Row{}, &feeds.RowError{Line: c.line, Column: col, Value: v, Reason: "not a number"}
	}
	if v := rec[1]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return bad("qty", v)
		}
		row.Quantity = &n
	}
	if v := rec[2]; v != "" {
		m, err := money.Parse(v, "EUR")
		if err != nil {
			return bad("cost", v)
		}
		row.Cost = &m
	}
	if v := rec[3]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return bad("lead", v)
		}
		row.LeadTimeDays = &n
	}
	if v := rec[4]; v != "" {
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return bad("restock", v)
		}
		row.RestockDate = &d
	}
	row.Discontinued = rec[5] == "yes"
	return row, nil
}

func asApp(err error, ae **apperr.Error) bool { return errors.As(err, ae) }
