package purchasing

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func TestReplyCSV(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		b := f.supplier("Beta", "Europe/Rome")
		a1, a2, a3 := f.order(f.Supplier, 3, eur(100)), f.order(f.Supplier, 2, eur(100)), f.order(f.Supplier, 1, eur(100))
		f.add(a1, a2, a3, f.order(b, 1, eur(100)))
		f.svc.SendDue(ctx)
		po, _ := f.svc.Get(ctx, f.Supplier, 5001)
		l1, l2, l3 := po.Lines[0], po.Lines[1], po.Lines[2]
		beta, _ := f.svc.Get(ctx, b, 5002)

		// The export is the reply template.
		exp, err := f.svc.ExportOpen(ctx, f.Supplier)
		if err != nil || !strings.HasPrefix(string(exp), strings.Join(CSVHeader, ",")) || strings.Count(string(exp), "\n") != 4 {
			t.Fatalf("export: %v\n%s", err, exp)
		}

		bad := "po_line_id,po_number,supplier_sku,accepted_qty,rejected_qty,reason\n" +
			fmt.Sprintf("%d,,,2,1,too few\n", l1.ID) + // good
			fmt.Sprintf(",PO-5001,%s,x,,\n", l2.SupplierSKU) + // bad number
			fmt.Sprintf("%d,,,,,\n", l3.ID) + // skipped
			fmt.Sprintf("%d,,,1,,\n", beta.Lines[0].ID) + // another supplier's line
			",PO-5001,NOPE,1,,\n" + // unknown SKU
			fmt.Sprintf("%d,,,0,2,\n", l2.ID) // rejection without reason
		res, err := f.svc.Reply(ctx, f.Supplier, strings.NewReader(bad), false)
		if err != nil {
			t.Fatal(err)
		}
		lines := []int{}
		for _, e := range res.Errors {
			lines = append(lines, e.Line)
		}
		if res.Applied || res.Rows != 6 || res.Skipped != 1 || fmt.Sprint(lines) != "[3 5 6 7]" {
			t.Fatalf("bad file: %+v (error lines %v)", res, lines)
		}
		if l, _ := f.svc.Line(ctx, f.Supplier, l1.ID); l.Pending != 3 {
			t.Fatalf("a bad file changed line %+v", l)
		}

		good := "po_number,supplier_sku,accepted_qty,rejected_qty,reason\n" +
			fmt.Sprintf("PO-5001,%s,2,1,only two\n", l1.SupplierSKU) +
			fmt.Sprintf("po-5001,%s,2,,\n", l2.SupplierSKU)
		res, err = f.svc.Reply(ctx, f.Supplier, strings.NewReader(good), true)
		if err != nil || res.Applied || !res.DryRun || res.Answers != 2 || len(res.Errors) != 0 || res.Lines[0].Rejected != 1 {
			t.Fatalf("dry run: %+v %v", res, err)
		}
		if l, _ := f.svc.Line(ctx, f.Supplier, l1.ID); l.Pending != 3 {
			t.Fatalf("a dry run changed line %+v", l)
		}
		f.rr.got = nil
		res, err = f.svc.Reply(ctx, f.Supplier, strings.NewReader(good), false)
		if err != nil || !res.Applied || res.Answers != 2 {
			t.Fatalf("apply: %+v %v", res, err)
		}
		if l, _ := f.svc.Line(ctx, f.Supplier, l1.ID); l.Accepted != 2 || l.Rejected != 1 || l.RejectReason != "only two" {
			t.Fatalf("line 1 after reply %+v", l)
		}
		if len(f.rr.got) != 1 || f.rr.got[0].Quantity != 1 {
			t.Fatalf("reroutes %+v", f.rr.got)
		}
		if _, err := f.svc.Reply(ctx, f.Supplier, strings.NewReader("foo,bar\n1,2\n"), false); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("wrong header: %v", err)
		}
	})
}
