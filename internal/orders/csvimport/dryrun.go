package csvimport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/catalog"
	"github.com/orderly-oms/orderly/internal/customers"
)

// dryRun checks orders without writing anything. Place decides inside its
// own transaction, so a dry run cannot ask it and roll back; it reads instead:
//
//   - the order is a duplicate if its channel and order_ref exist already;
//   - every SKU must exist and be active, and a line without unit_price
//     needs a catalog price in the order's currency;
//   - warnings (the order would still be placed): an address Place would
//     hold, a payment status that holds the order, and lines wanting more
//     than the SKU's available-to-sell, counting the earlier orders of the
//     same file, with what the SKU's backorder/pre-order policy says.
//
// It does not reserve stock, so orders placed by others meanwhile, and
// Place's own refusal rules for backorder limits and pre-order caps, can
// still change the outcome of the real run.
type dryRun struct {
	im       *Importer
	checker  Checker
	variants map[string]*variantInfo
	// demand is the units wanted per variant by the file's valid orders so far.
	demand map[int64]int
}

type variantInfo struct {
	found    bool
	id       int64
	sku      string
	status   string
	currency string
	// stock is read on first use, when inv is set.
	stockRead bool
	ats       int
	policy    string // what happens to units beyond ATS
}

// maxCachedVariants bounds the dry run's SKU cache.
const maxCachedVariants = 100_000

func (im *Importer) newDryRun() *dryRun {
	d := &dryRun{im: im, variants: map[string]*variantInfo{}, demand: map[int64]int{}}
	d.checker, _ = im.orders.(Checker)
	return d
}

// check decides the dry-run outcome of o into res. It returns an error only
// when a read failed.
func (d *dryRun) check(ctx context.Context, o *Order, res *Result) error {
	in := &o.Input
	var number sql.NullInt64
	err := d.im.db.R.QueryRowContext(ctx, `SELECT id FROM orders WHERE channel = $1 AND external_id = $2`, in.Channel, in.ExternalID).Scan(&number)
	switch {
	case err == nil:
		res.Outcome, res.Number = Duplicate, number.Int64
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		res.Outcome = Failed
		res.Problems = []Problem{{Line: o.FirstLine, Message: "could not be checked because of an internal error (it is logged)"}}
		return fmt.Errorf("look up order %s/%s: %w", in.Channel, in.ExternalID, err)
	}
	if d.checker != nil {
		if err := d.checker.Check(ctx, *in); err != nil {
			res.Outcome, res.Problems = Failed, problemsOf(o, err)
			if isInternal(err) {
				return err
			}
			return nil
		}
		res.Outcome = Valid
		return nil
	}

	infos := make([]*variantInfo, len(in.Lines))
	for i, l := range in.Lines {
		v, err := d.variant(ctx, l.SKU)
		if err != nil {
			res.Outcome = Failed
			res.Problems = []Problem{{Line: o.LineOf(i), Message: "could not be checked because of an internal error (it is logged)"}}
			return err
		}
		infos[i] = v
		line := o.LineOf(i)
		switch {
		case !v.found:
			res.Problems = append(res.Problems, Problem{Line: line, Column: colSKU.String(), Message: fmt.Sprintf("unknown SKU %q", l.SKU)})
		case v.status != string(catalog.StatusActive):
			res.Problems = append(res.Problems, Problem{Line: line, Column: colSKU.String(), Message: fmt.Sprintf("SKU %s is %s, not for sale", v.sku, v.status)})
		case l.UnitPrice == nil && v.currency != in.Currency:
			res.Problems = append(res.Problems, Problem{Line: line, Column: colUnitPrice.String(), Message: fmt.Sprintf(
				"is required: the catalog price of %s is in %s, the order in %s", v.sku, v.currency, in.Currency)})
		}
	}
	if len(res.Problems) > 0 {
		res.Outcome = Failed
		return nil
	}
	res.Outcome = Valid

	for _, p := range customers.CheckAddress(in.ShippingAddress) {
		line, col := o.Locate("shipping_address." + p.Field)
		res.Warnings = append(res.Warnings, Problem{Line: line, Column: col, Message: "the order would be held for its address: " + p.Message})
	}
	if st := in.Payment.Status; st == "pending" || st == "voided" {
		line, col := o.Locate("payment.status")
		res.Warnings = append(res.Warnings, Problem{Line: line, Column: col, Message: "the order would be held: payment is " + st})
	}
	if d.im.inv == nil {
		return nil
	}
	for i, l := range in.Lines {
		v := infos[i]
		if err := d.readStock(ctx, v); err != nil {
			return err
		}
		avail := max(0, v.ats-d.demand[v.id])
		if l.Quantity > avail {
			res.Warnings = append(res.Warnings, Problem{Line: o.LineOf(i), Column: colQuantity.String(), Message: fmt.Sprintf(
				"wanted %d of %s, %d available to sell (after the earlier orders of this file): %s", l.Quantity, v.sku, avail, v.policy)})
		}
	}
	for i, l := range in.Lines {
		d.demand[infos[i].id] += l.Quantity
	}
	return nil
}

func isInternal(err error) bool { return apperr.CodeOf(err) == apperr.Internal }

// variant returns what the dry run needs to know about a SKU, cached.
func (d *dryRun) variant(ctx context.Context, sku string) (*variantInfo, error) {
	if v, ok := d.variants[sku]; ok {
		return v, nil
	}
	if len(d.variants) >= maxCachedVariants {
		clear(d.variants)
	}
	v := &variantInfo{sku: sku}
	err := d.im.db.R.QueryRowContext(ctx, `SELECT id, status, price_currency FROM variants WHERE sku = $1`, sku).Scan(&v.id, &v.status, &v.currency)
	switch {
	case err == nil:
		v.found = true
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("look up SKU %s: %w", sku, err)
	}
	d.variants[sku] = v
	return v, nil
}

// readStock reads a variant's available-to-sell and stock policy once.
func (d *dryRun) readStock(ctx context.Context, v *variantInfo) error {
	if v.stockRead {
		return nil
	}
	ats, err := d.im.inv.ATS(ctx, d.im.db.R, v.id)
	if err != nil {
		return fmt.Errorf("read ATS of %s: %w", v.sku, err)
	}
	pols, err := d.im.inv.Policies(ctx, d.im.db.R, []int64{v.id})
	if err != nil {
		return fmt.Errorf("read stock policy of %s: %w", v.sku, err)
	}
	p := pols[v.id]
	var b strings.Builder
	switch {
	case p.IsPreorder(d.im.now()):
		fmt.Fprintf(&b, "the SKU is on pre-order until %s (%d of %d slots taken); beyond the cap the order is refused or held",
			p.PreorderReleaseAt.UTC().Format("2006-01-02"), p.Preordered, p.PreorderCap)
	case p.BackorderLimit > 0:
		fmt.Fprintf(&b, "the rest would be backordered (%d of %d backorder units taken); beyond the limit the order is refused or held",
			p.Backordered, p.BackorderLimit)
	default:
		b.WriteString("the SKU takes no backorders, so the order would be refused (or held, if the store accepts short orders)")
	}
	v.ats, v.policy, v.stockRead = ats, b.String(), true
	return nil
}
