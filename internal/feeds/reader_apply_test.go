package feeds_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/feeds"
	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestApplyThroughTheReader applies an Italian supplier's semicolon CSV
// (decimal comma, words for stock) with the real reader,
// from a file on disk and then from a stream, and approves a quarantined
// run from the file kept in the database.
func TestApplyThroughTheReader(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		of := orderstest.New(t, db, orders.Options{})
		svc, err := feeds.New(db, of.Inventory, nil, of.Orders, nil, of.Clock.Now, feeds.Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		var skus []orderstest.SKU
		for _, s := range []string{"TAZZA-1", "TAZZA-2", "PIATTO-1"} {
			skus = append(skus, of.AddSKU(s, 4))
		}
		m := feeds.Mapping{SKU: "Codice", Quantity: "Disponibilità", Cost: "Prezzo", DefaultCurrency: "EUR", DecimalComma: true,
			InStockWords: []string{"disponibile"}, InStockQuantity: 10, OutOfStockWords: []string{"esaurito"}}
		if _, err := svc.SaveSettings(ctx, of.Supplier, feeds.Settings{Mapping: m, Guards: feeds.DefaultGuards}); err != nil {
			t.Fatal(err)
		}
		file := "Codice;Disponibilità;Prezzo\nSUP-1;12;5,00\nSUP-2;disponibile;6,50\nSUP-3;esaurito;5,00\nSUP-9;tre;1,00\n"
		path := filepath.Join(t.TempDir(), "listino.csv")
		if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		run, err := svc.Apply(ctx, of.Supplier, fh, feeds.ApplyInput{Filename: "listino.csv"})
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != feeds.StatusApplied || run.RowsRead != 4 || run.RowsChanged != 3 || run.RowsErrors != 1 || run.Detail.CostChanges != 1 {
			t.Fatalf("run %+v", run)
		}
		errs, _, _ := svc.RunErrors(ctx, run.ID, 0, 10)
		if len(errs) != 1 || errs[0].Line != 5 || errs[0].Column != "Disponibilità" {
			t.Errorf("errors %+v", errs)
		}
		if of.ATS(skus[0]) != 12 || of.ATS(skus[1]) != 10 || of.ATS(skus[2]) != 0 {
			t.Errorf("ATS %d %d %d", of.ATS(skus[0]), of.ATS(skus[1]), of.ATS(skus[2]))
		}
		// Only one SKU of three left in stock: the zero guard needs
		// MinSKUs in stock, so lower it; the run is quarantined, then approved.
		g := feeds.DefaultGuards
		g.MinSKUs = 2
		if _, err := svc.SaveSettings(ctx, of.Supplier, feeds.Settings{Mapping: m, Guards: g}); err != nil {
			t.Fatal(err)
		}
		run, err = svc.Apply(ctx, of.Supplier, strings.NewReader("Codice;Disponibilità;Prezzo\nSUP-1;0;5,00\nSUP-2;esaurito;6,50\n"), feeds.ApplyInput{Source: feeds.SourcePush})
		if err != nil || run.Status != feeds.StatusQuarantined || run.Guard != feeds.GuardZero || run.Source != feeds.SourcePush {
			t.Fatalf("run %+v, %v", run, err)
		}
		run, err = svc.Approve(ctx, run.ID)
		if err != nil || run.Status != feeds.StatusApproved || run.RowsChanged != 2 {
			t.Fatalf("approved %+v, %v", run, err)
		}
		if of.ATS(skus[0]) != 0 || of.ATS(skus[1]) != 0 {
			t.Errorf("ATS after approval %d %d", of.ATS(skus[0]), of.ATS(skus[1]))
		}
		// A mapping the reader cannot use is refused when saved.
		bad := m
		bad.DateFormat = "dd/mm/yyyy"
		bad.DefaultCurrency = "EURO"
		if _, err := svc.SaveSettings(ctx, of.Supplier, feeds.Settings{Mapping: bad, Guards: g}); err == nil ||
			!strings.Contains(err.Error(), "mapping.") {
			t.Errorf("bad mapping saved: %v", err)
		}
	})
}
