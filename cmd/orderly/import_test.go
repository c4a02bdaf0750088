package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/orders"
	"github.com/orderly-oms/orderly/internal/orders/orderstest"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

const importTestdata = "../../internal/orders/csvimport/testdata/"

func TestImportOrdersCommand(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, engine)
			db, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			f := orderstest.New(t, db, orders.Options{})
			f.AddSKU("MUG-1", 100)
			f.AddSKU("TEE-M", 100)
			f.AddSKU("LOW-1", 2)
			countOrders := func() int {
				var n int
				if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			runCmd := func(args ...string) (string, error) {
				var out, errOut bytes.Buffer
				err := run(ctx, append(args, "--db", dsn, "--log-format", "text", "--log-level", "error"), &out, &errOut)
				return out.String(), err
			}

			// A dry run writes nothing and says what would happen.
			out, err := runCmd("import", "orders", importTestdata+"mixed.csv", "--dry-run")
			if err == nil || err.Error() != "import orders: 2 of 6 orders failed" {
				t.Fatalf("dry run: %v\n%s", err, out)
			}
			for _, want := range []string{
				"Dry run of " + importTestdata + "mixed.csv: 6 orders in 9 rows: 4 valid, 0 duplicates, 2 failed. Nothing was written.",
				`  B1: line 5, column sku: unknown SKU "NOPE-9"`,
				`  B2: line 7, column quantity: must be a whole number ≥ 1, got "-2"`,
				"  B3: line 9, column quantity: wanted 5 of LOW-1, 2 available to sell",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("dry run output lacks %q:\n%s", want, out)
				}
			}
			if n := countOrders(); n != 0 {
				t.Fatalf("dry run wrote %d orders", n)
			}

			// The real import, flags after the file name, with a report.
			report := filepath.Join(t.TempDir(), "report.csv")
			out, err = runCmd("import", "orders", importTestdata+"mixed.csv", "--report", report)
			if err == nil || err.Error() != "import orders: 3 of 6 orders failed" {
				t.Fatalf("import: %v\n%s", err, out)
			}
			if _, usage := err.(usageError); usage {
				t.Fatal("a failed order is not a usage error (exit status 1, not 2)")
			}
			for _, want := range []string{
				"6 orders in 9 rows: 3 created, 0 duplicates, 3 failed.",
				`  B3: line 9, column quantity: refused: wanted 5, 2 available, and the SKU takes no backorders`,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("import output lacks %q:\n%s", want, out)
				}
			}
			if n := countOrders(); n != 3 {
				t.Fatalf("%d orders, want 3", n)
			}
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			rows := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(rows) != 7 || !strings.HasPrefix(rows[0], "order_ref,channel,outcome,number,") ||
				!strings.HasPrefix(rows[1], "G1,csv,created,") || !strings.HasPrefix(rows[2], `B1,csv,failed,,,4,5,"line 5, column sku: unknown SKU`) {
				t.Fatalf("report:\n%s", b)
			}

			// The same orders from standard input: all duplicates, exit 0.
			good, err := os.ReadFile(importTestdata + "example.csv")
			if err != nil {
				t.Fatal(err)
			}
			importStdin = bytes.NewReader(good)
			defer func() { importStdin = os.Stdin }()
			if out, err = runCmd("import", "orders", "-", "--channel", "legacy"); err != nil || !strings.Contains(out, "2 created, 0 duplicates, 0 failed") {
				t.Fatalf("stdin: %v\n%s", err, out)
			}
			importStdin = bytes.NewReader(good)
			if out, err = runCmd("import", "orders", "--channel=legacy", "-"); err != nil || !strings.Contains(out, "0 created, 2 duplicates, 0 failed") {
				t.Fatalf("stdin again: %v\n%s", err, out)
			}

			// A header that cannot be used stops the run.
			bad := filepath.Join(t.TempDir(), "bad.csv")
			os.WriteFile(bad, []byte("order_ref,email,currency,sku,qty\n"), 0o600)
			if _, err := runCmd("import", "orders", bad); err == nil || !strings.Contains(err.Error(), `line 1: unknown column "qty"`) {
				t.Fatalf("bad header: %v", err)
			}

			for _, args := range [][]string{
				{"import"},
				{"import", "products", "x.csv"},
				{"import", "orders"},
				{"import", "orders", "a.csv", "b.csv"},
				{"import", "orders", "a.csv", "--frobnicate"},
				{"import", "orders", "a.csv", "--channel", "Trade Fair"},
			} {
				if _, err := runCmd(args...); err == nil {
					t.Errorf("%v succeeded", args)
				} else if _, usage := err.(usageError); !usage {
					t.Errorf("%v: %v is not a usage error", args, err)
				}
			}
			if _, err := runCmd("import", "orders", filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.Contains(err.Error(), "no such file") {
				t.Errorf("missing file: %v", err)
			}
		})
	}
}
