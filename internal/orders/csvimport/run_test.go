package csvimport_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/demo"
	"github.com/orderly-oms/orderly/internal/inventory"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/csvimport"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var ctx = auth.WithPrincipal(context.Background(), auth.System("cli"))

// shop is a store with the SKUs the test files name.
type shop struct {
	f        *orderstest.Fixture
	im       *csvimport.Importer
	mug, low orderstest.SKU
}

func newShop(t *testing.T, db *store.DB) *shop {
	f := orderstest.New(t, db, orders.Options{})
	s := &shop{f: f, mug: f.AddSKU("MUG-1", 100), low: f.AddSKU("LOW-1", 2)}
	f.AddSKU("TEE-M", 100)
	s.im = csvimport.New(f.Orders, db, f.Inventory, f.Clock.Now, nil)
	return s
}

func (s *shop) run(t *testing.T, file string, opts csvimport.Options) *csvimport.Report {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rep, err := s.im.Run(ctx, fh, opts)
	if err != nil {
		t.Fatalf("run %s: %v", file, err)
	}
	return rep
}

func (s *shop) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := s.f.DB.R.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// failures returns each failed order's problems as strings.
func failures(rep *csvimport.Report) map[string][]string {
	out := map[string][]string{}
	for _, r := range rep.Failures {
		for _, p := range r.Problems {
			out[r.Ref] = append(out[r.Ref], p.String())
		}
	}
	return out
}

type counts struct{ Orders, Created, Duplicates, Failed, Valid int }

func countsOf(r *csvimport.Report) counts {
	return counts{r.Orders, r.Created, r.Duplicates, r.Failed, r.Valid}
}

func TestImportGoodAndBadOrders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		var seen []string
		rep := s.run(t, "testdata/mixed.csv", csvimport.Options{KeepResults: 100, OnResult: func(r csvimport.Result) error {
			seen = append(seen, r.Ref+":"+string(r.Outcome))
			return nil
		}})
		if d := cmp.Diff(counts{Orders: 6, Created: 3, Failed: 3}, countsOf(rep)); d != "" {
			t.Fatalf("counts (-want +got):\n%s", d)
		}
		if want := []string{"G1:created", "B1:failed", "G2:created", "B2:failed", "B3:failed", "G3:created"}; !cmp.Equal(want, seen) {
			t.Fatalf("results in order %v, want %v", seen, want)
		}
		want := map[string][]string{
			"B1": {`line 5, column sku: unknown SKU "NOPE-9"`},
			"B2": {`line 7, column quantity: must be a whole number ≥ 1, got "-2"`},
			"B3": {`line 9, column quantity: refused: wanted 5, 2 available, and the SKU takes no backorders`},
		}
		if d := cmp.Diff(want, failures(rep)); d != "" {
			t.Fatalf("failures (-want +got):\n%s", d)
		}
		if rep.Rows != 9 || rep.Stopped != "" || rep.OK() {
			t.Fatalf("rows %d stopped %q ok %v", rep.Rows, rep.Stopped, rep.OK())
		}

		// Only the good orders are in the database, each whole: G1 has two
		// lines, G2 and G3 one; nothing of B1 (whose first line was fine)
		// or B3 (whose first line had stock) was written or reserved.
		if n, l := s.count(t, "orders"), s.count(t, "order_lines"); n != 3 || l != 4 {
			t.Fatalf("%d orders with %d lines, want 3 with 4", n, l)
		}
		if ats := s.f.ATS(s.mug); ats != 100-2-1 {
			t.Fatalf("MUG-1 ATS %d, want 97", ats)
		}
		if ats := s.f.ATS(s.low); ats != 2 {
			t.Fatalf("LOW-1 ATS %d, want 2 (the refused order reserved nothing)", ats)
		}
		byRef := map[string]csvimport.Result{}
		for _, r := range rep.Results {
			byRef[r.Ref] = r
		}
		g1, err := s.f.Orders.Get(ctx, byRef["G1"].Number)
		if err != nil {
			t.Fatal(err)
		}
		if g1.Channel != "csv" || g1.ExternalID != "G1" || len(g1.Lines) != 2 || g1.Lines[0].UnitPrice.Amount != 1250 ||
			g1.Lines[1].UnitPrice.Amount != 1000 || g1.Shipping.Amount != 490 || g1.Total.Amount != 2*1250+1000+490 {
			t.Fatalf("G1 as placed: %+v", g1)
		}
		if tl, err := s.f.Orders.Timeline(ctx, g1.Number); err != nil || tl[0].Actor != "system:cli" {
			t.Fatalf("timeline %+v %v", tl, err)
		}
		// G3's postal code is not Italian: created, on hold.
		if g3 := byRef["G3"]; g3.State != orders.OnHold || len(g3.Holds) != 1 || !strings.HasPrefix(g3.Holds[0], "address: ") {
			t.Fatalf("G3 %+v", g3)
		}

		// The same file again: the good orders are duplicates, the bad ones
		// fail again, and nothing new is written.
		rep = s.run(t, "testdata/mixed.csv", csvimport.Options{KeepResults: 100})
		if d := cmp.Diff(counts{Orders: 6, Duplicates: 3, Failed: 3}, countsOf(rep)); d != "" {
			t.Fatalf("second run counts (-want +got):\n%s", d)
		}
		for _, r := range rep.Results {
			if r.Outcome == csvimport.Duplicate && r.Number != byRef[r.Ref].Number {
				t.Errorf("duplicate %s names order %d, want %d", r.Ref, r.Number, byRef[r.Ref].Number)
			}
		}
		if n, l := s.count(t, "orders"), s.count(t, "order_lines"); n != 3 || l != 4 {
			t.Fatalf("after the second run %d orders with %d lines, want 3 with 4", n, l)
		}
	})
}

func TestImportSameFileTwiceAllDuplicates(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		rep := s.run(t, "testdata/example.csv", csvimport.Options{})
		if d := cmp.Diff(counts{Orders: 2, Created: 2}, countsOf(rep)); d != "" || !rep.OK() {
			t.Fatalf("first run (-want +got):\n%s%v", d, failures(rep))
		}
		rep = s.run(t, "testdata/example.csv", csvimport.Options{})
		if d := cmp.Diff(counts{Orders: 2, Duplicates: 2}, countsOf(rep)); d != "" || !rep.OK() {
			t.Fatalf("second run (-want +got):\n%s", d)
		}
		// Another channel is another store: the same refs are new orders.
		rep = s.run(t, "testdata/example.csv", csvimport.Options{Channel: "legacy-shop"})
		if rep.Created != 2 || s.count(t, "orders") != 4 {
			t.Fatalf("channel legacy-shop: %+v", countsOf(rep))
		}
	})
}

func TestDryRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		rep := s.run(t, "testdata/mixed.csv", csvimport.Options{DryRun: true, KeepResults: 100})
		// The dry run cannot know that Place will refuse B3 (LOW-1 has 2 to
		// sell, 5 wanted): it passes with a warning on that line.
		if d := cmp.Diff(counts{Orders: 6, Valid: 4, Failed: 2}, countsOf(rep)); d != "" {
			t.Fatalf("counts (-want +got):\n%s", d)
		}
		want := map[string][]string{
			"B1": {`line 5, column sku: unknown SKU "NOPE-9"`},
			"B2": {`line 7, column quantity: must be a whole number ≥ 1, got "-2"`},
		}
		if d := cmp.Diff(want, failures(rep)); d != "" {
			t.Fatalf("failures (-want +got):\n%s", d)
		}
		warnings := map[string][]string{}
		for _, r := range rep.Results {
			for _, w := range r.Warnings {
				warnings[r.Ref] = append(warnings[r.Ref], w.String())
			}
		}
		wantWarnings := map[string][]string{
			"B3": {`line 9, column quantity: wanted 5 of LOW-1, 2 available to sell (after the earlier orders of this file): the SKU takes no backorders, so the order would be refused (or held, if the store accepts short orders)`},
			"G3": {`line 10, column ship_postal_code: the order would be held for its address: postal code "ABC" does not match the Italian format 00000`},
		}
		if d := cmp.Diff(wantWarnings, warnings); d != "" {
			t.Errorf("warnings (-want +got):\n%s", d)
		}
		if n := s.count(t, "orders") + s.count(t, "customers"); n != 0 {
			t.Fatalf("a dry run wrote %d orders and customers", n)
		}
		if ats := s.f.ATS(s.mug); ats != 100 {
			t.Fatalf("a dry run changed ATS to %d", ats)
		}

		// After the real import, a dry run sees the placed orders as duplicates.
		s.run(t, "testdata/mixed.csv", csvimport.Options{})
		rep = s.run(t, "testdata/mixed.csv", csvimport.Options{DryRun: true})
		if d := cmp.Diff(counts{Orders: 6, Duplicates: 3, Valid: 1, Failed: 2}, countsOf(rep)); d != "" {
			t.Fatalf("dry run after import (-want +got):\n%s", d)
		}
	})
}

func TestImportMalformedFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		rep := s.run(t, "testdata/malformed.csv", csvimport.Options{})
		// M2's quote is never closed: lines 3–4 cannot be read, and since
		// they might hold more rows of M1, M1 is not placed either.
		want := map[string][]string{"M1": {`line 4: not imported: malformed CSV, lines 3–4 could not be read and may hold rows of this order: ` +
			`a quoted value starting on line 3 is not closed, or has text after its closing quote (a " inside a quoted value must be doubled as "")`}}
		if d := cmp.Diff(want, failures(rep)); d != "" {
			t.Fatalf("failures (-want +got):\n%s", d)
		}
		if rep.OK() || s.count(t, "orders") != 0 {
			t.Fatalf("report %+v, %d orders", countsOf(rep), s.count(t, "orders"))
		}
	})
}

func TestHeaderErrorStopsTheRun(t *testing.T) {
	im := csvimport.New(&fakePlacer{}, nil, nil, nil, nil)
	rep, err := im.Run(ctx, strings.NewReader("order_ref,email,currency,sku,qty\nA,a@x.io,EUR,MUG-1,1\n"), csvimport.Options{})
	var fe *csvimport.FileError
	if !errors.As(err, &fe) || fe.Line != 1 || !strings.Contains(err.Error(), `unknown column "qty"`) || rep.Stopped != err.Error() || rep.Orders != 0 {
		t.Fatalf("err %v, report %+v", err, rep)
	}
}

// fakePlacer fails with err, or succeeds.
type fakePlacer struct {
	err    error
	calls  int
	cancel func()
}

func (p *fakePlacer) Place(ctx context.Context, in orders.PlaceInput) (orders.Placed, error) {
	p.calls++
	if p.cancel != nil && p.calls == 2 {
		p.cancel()
		return orders.Placed{}, ctx.Err()
	}
	if p.err != nil {
		return orders.Placed{}, p.err
	}
	return orders.Placed{Order: &orders.Order{Number: int64(1000 + p.calls)}, Created: true}, nil
}

func manyOrders(n int) string {
	var b strings.Builder
	b.WriteString("order_ref,email,currency,sku,quantity\n")
	for i := range n {
		b.WriteString("R")
		b.WriteString(strings.Repeat("x", i%3))
		b.WriteByte(byte('a' + i%26))
		b.WriteString(",a@x.io,EUR,MUG-1,1\n")
	}
	return b.String()
}

func TestRunStopsWhenTheDatabaseKeepsFailing(t *testing.T) {
	p := &fakePlacer{err: errors.New("database is locked")}
	im := csvimport.New(p, nil, nil, nil, discardLogger())
	var b strings.Builder
	b.WriteString("order_ref,email,currency,sku,quantity\n")
	for i := range 30 {
		b.WriteString(string(rune('A'+i)) + ",a@x.io,EUR,MUG-1,1\n")
	}
	rep, err := im.Run(ctx, strings.NewReader(b.String()), csvimport.Options{})
	if err == nil || p.calls != 10 || rep.Failed != 10 || !strings.Contains(rep.Stopped, "10 orders in a row failed with an internal error") {
		t.Fatalf("err %v, %d calls, report %+v", err, p.calls, rep)
	}
	if got := rep.Failures[0].Problems[0].String(); got != "line 2: not placed because of an internal error (it is logged); try again later" {
		t.Fatalf("problem %q", got)
	}
	// Validation errors are the order's fault, not the database's: the run goes on.
	p = &fakePlacer{err: apperr.InvalidField("customer.email", "is not an email address")}
	rep, err = csvimport.New(p, nil, nil, nil, discardLogger()).Run(ctx, strings.NewReader(b.String()), csvimport.Options{})
	if err != nil || rep.Failed != 30 || rep.Failures[3].Problems[0].String() != "line 5, column email: is not an email address" {
		t.Fatalf("err %v, report %+v", err, rep.Failures[3])
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	c, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &fakePlacer{cancel: cancel}
	rep, err := csvimport.New(p, nil, nil, nil, discardLogger()).Run(c, strings.NewReader("order_ref,email,currency,sku,quantity\nA,a@x.io,EUR,M,1\nB,b@x.io,EUR,M,1\nC,c@x.io,EUR,M,1\n"), csvimport.Options{})
	if !errors.Is(err, context.Canceled) || rep.Created != 1 || rep.Orders != 1 || p.calls != 2 || !strings.HasPrefix(rep.Stopped, "stopped: ") {
		t.Fatalf("err %v, calls %d, report %+v", err, p.calls, rep)
	}
}

func TestReportKeepsBoundedFailures(t *testing.T) {
	p := &fakePlacer{err: apperr.New(apperr.Invalid, "no")}
	var progress []csvimport.Progress
	rep, err := csvimport.New(p, nil, nil, nil, nil).Run(ctx, strings.NewReader(manyOrders(50)), csvimport.Options{KeepFailures: 5,
		OnProgress: func(pr csvimport.Progress) { progress = append(progress, pr) }})
	if err != nil || rep.Failed != 50 || len(rep.Failures) != 5 || len(rep.Results) != 0 {
		t.Fatalf("err %v failed %d kept %d results %d", err, rep.Failed, len(rep.Failures), len(rep.Results))
	}
	last := progress[len(progress)-1]
	if len(progress) != 50 || last.Orders != 50 || last.Rows != 50 || last.Bytes == 0 {
		t.Fatalf("progress %d calls, last %+v", len(progress), last)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestReportWriter(t *testing.T) {
	var b strings.Builder
	rw, err := csvimport.NewReportWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(csvimport.Result{Ref: "A", Channel: "csv", Outcome: csvimport.Created, Number: 1001, State: orders.OnHold, FirstLine: 2, LastLine: 3,
		Holds: []string{"address: no city", "payment: pending"}})
	rw.Write(csvimport.Result{Ref: "B,2", Channel: "csv", Outcome: csvimport.Failed, FirstLine: 4, LastLine: 4,
		Problems: []csvimport.Problem{{Line: 4, Column: "sku", Message: `unknown SKU "X"`}, {Line: 4, Message: "two"}}})
	if err := rw.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "order_ref,channel,outcome,number,state,first_line,last_line,problems,warnings,holds\n" +
		"A,csv,created,1001,on_hold,2,3,,,address: no city | payment: pending\n" +
		`"B,2",csv,failed,,,4,4,"line 4, column sku: unknown SKU ""X"" | line 4: two",,` + "\n"
	if b.String() != want {
		t.Fatalf("report:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestDemoFile imports testdata/demo.csv, the file the README's tour uses,
// into the demo store.
func TestDemoFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		clock := orderstest.NewClock(orderstest.T0)
		if _, err := demo.Load(ctx, db, clock.Now); err != nil {
			t.Fatal(err)
		}
		inv := inventory.New(db, clock.Now, inventory.Options{})
		svc, err := orders.New(db, inv, customers.NewService(db, clock.Now), nil, clock.Now, orders.Options{})
		if err != nil {
			t.Fatal(err)
		}
		im := csvimport.New(svc, db, inv, clock.Now, nil)
		f, err := os.Open("testdata/demo.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rep, err := im.Run(ctx, f, csvimport.Options{KeepResults: 10})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(counts{Orders: 4, Created: 3, Failed: 1}, countsOf(rep)); d != "" {
			t.Fatalf("counts (-want +got):\n%s%v", d, failures(rep))
		}
		want := map[string][]string{"FAIR-004": {`line 7, column sku: unknown SKU "NOT-A-SKU"`}}
		if d := cmp.Diff(want, failures(rep)); d != "" {
			t.Fatalf("failures (-want +got):\n%s", d)
		}
		states := map[string]orders.State{}
		for _, r := range rep.Results {
			states[r.Ref] = r.State
		}
		if d := cmp.Diff(map[string]orders.State{"FAIR-001": orders.ReadyToRoute, "FAIR-002": orders.ReadyToRoute, "FAIR-003": orders.OnHold, "FAIR-004": ""}, states); d != "" {
			t.Fatalf("states (-want +got):\n%s", d)
		}
	})
}
