package refunds

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVHeader is the first row of the export.
var CSVHeader = []string{"refund_id", "order_number", "external_id", "customer_email", "amount", "currency", "breakdown",
	"reason", "created_at", "state", "issued_at", "provider_ref"}

// WriteCSV writes the refunds f selects (every one, not a page: Limit is
// ignored) as CSV for the payment provider, oldest first: one row per
// refund, the amount as a decimal in the currency's minor units ("12.34"),
// and the breakdown as "line 1 MUG-1 x2 20.00; shipping 4.90", whose amounts
// sum to the refund. Times are RFC 3339 in UTC.
func (s *Service) WriteCSV(ctx context.Context, w io.Writer, f Filter) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write refunds CSV: %w", err)
	}
	f.After, f.Limit = 0, 1000
	for {
		page, err := s.List(ctx, f)
		if err != nil {
			return err
		}
		for _, r := range page {
			issued := ""
			if r.IssuedAt != nil {
				issued = r.IssuedAt.Format(time.RFC3339)
			}
			row := []string{strconv.FormatInt(r.ID, 10), strconv.FormatInt(r.Order, 10), cell(r.ExternalID), cell(r.Email),
				r.Amount.Decimal(), r.Amount.Currency, cell(Breakdown(r.Parts)), cell(r.Reason), r.CreatedAt.Format(time.RFC3339),
				string(r.State), issued, cell(r.ProviderRef)}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write refunds CSV: %w", err)
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("write refunds CSV: %w", err)
		}
		if len(page) < f.Limit {
			return nil
		}
		f.After = page[len(page)-1].ID
	}
}

// Breakdown writes a refund's parts in one line: "line 1 MUG-1 x2 20.00;
// shipping 4.90".
func Breakdown(parts []RefundShare) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Shipping {
			b.WriteString("shipping " + p.Amount.Decimal())
			continue
		}
		fmt.Fprintf(&b, "line %d", p.Line)
		if p.SKU != "" {
			b.WriteString(" " + p.SKU)
		}
		if p.Units > 0 {
			fmt.Fprintf(&b, " x%d", p.Units)
		}
		b.WriteString(" " + p.Amount.Decimal())
	}
	return b.String()
}

// cell guards a text cell against formula injection when the file is opened
// in a spreadsheet: a value starting with =, +, -, @, a tab or a carriage
// return is prefixed with a quote (OWASP's advice).
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
