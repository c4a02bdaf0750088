package feeds

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Guards are a supplier's thresholds for quarantining a run that looks
// wrong. Percentages are whole numbers.
type Guards struct {
	// MinRowsPercent: a file with fewer rows than this share of the last
	// applied run's rows is quarantined (default 50).
	MinRowsPercent int `json:"min_rows_percent" minimum:"0" maximum:"100"`
	// ZeroPercent: a run that takes more than this share of the SKUs in stock
	// to 0 at once is quarantined (default 30).
	ZeroPercent int `json:"zero_percent" minimum:"0" maximum:"100"`
	// CostJumpPercent is how far a cost may move (up or down, relative to the
	// current cost) before the row counts as a jump (default 50).
	CostJumpPercent int `json:"cost_jump_percent" minimum:"0" maximum:"10000"`
	// CostRowsPercent: a run in which more than this share of the rows with a
	// cost jump is quarantined (default 10).
	CostRowsPercent int `json:"cost_rows_percent" minimum:"0" maximum:"100"`
	// MinSKUs: the guards judge shares only from this many SKUs on (the last
	// run's rows, the SKUs in stock, the rows with a cost); below it a
	// share is noise (default 10).
	MinSKUs int `json:"min_skus" minimum:"0"`
}

// DefaultGuards are the thresholds of a supplier that set none.
var DefaultGuards = Guards{MinRowsPercent: 50, ZeroPercent: 30, CostJumpPercent: 50, CostRowsPercent: 10, MinSKUs: 10}

// Validate checks the thresholds, naming fields under prefix.
func (g Guards) Validate(f *apperr.Fields, prefix string) {
	pct := func(name string, v, hi int) {
		if v < 0 || v > hi {
			f.Add(prefix+name, "must be between 0 and %d, got %d", hi, v)
		}
	}
	pct("min_rows_percent", g.MinRowsPercent, 100)
	pct("zero_percent", g.ZeroPercent, 100)
	pct("cost_jump_percent", g.CostJumpPercent, 10000)
	pct("cost_rows_percent", g.CostRowsPercent, 100)
	pct("min_skus", g.MinSKUs, 1_000_000)
}

// Settings is how one supplier's feed is read and guarded.
type Settings struct {
	SupplierID int64   `json:"supplier_id"`
	Mapping    Mapping `json:"mapping"`
	Guards     Guards  `json:"guards"`
	// MissingAsZero: a SKU of the supplier absent from the file reports 0.
	// Off by default: many suppliers send only what changed or what they
	// stock, and an absent row is not a report.
	MissingAsZero bool `json:"missing_as_zero"`
	// Saved is false for a supplier whose settings were never saved (the
	// defaults are shown, and a feed cannot be applied without a mapping).
	Saved     bool       `json:"saved"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

var (
	formats   = []string{"", "auto", "csv", "tsv", "json", "xlsx"}
	encodings = []string{"", "auto", "utf-8", "windows-1252", "iso-8859-1"}
)

// validateMapping checks what applying needs from a mapping: a SKU column,
// at least one mapped value, and known names. The reader checks the rest
// (columns present in the file) when it reads.
func validateMapping(m Mapping, f *apperr.Fields) {
	readerChecks(m, f) // the SKU column, words, date layout, default currency
	if m.Quantity == "" && m.Cost == "" && m.LeadTime == "" && m.RestockDate == "" && m.Discontinued == "" {
		f.Add("mapping", "map at least one of quantity, cost, lead_time, restock_date, discontinued")
	}
	if !slices.Contains(formats, strings.ToLower(m.Format)) {
		f.Add("mapping.format", "must be auto, csv, tsv, json or xlsx, got %q", m.Format)
	}
	if !slices.Contains(encodings, strings.ToLower(m.Encoding)) {
		f.Add("mapping.encoding", "must be auto, utf-8, windows-1252 or iso-8859-1, got %q", m.Encoding)
	}
	if len([]rune(m.Delimiter)) > 1 {
		f.Add("mapping.delimiter", "must be one character or empty (detected), got %q", m.Delimiter)
	}
	if m.Cost != "" && m.Currency == "" && m.DefaultCurrency == "" {
		f.Add("mapping.default_currency", "is required when costs are mapped without a currency column")
	}
}

// Settings returns the feed settings of a supplier (the defaults, with
// Saved false, if none were saved).
func (s *Service) Settings(ctx context.Context, supplierID int64) (Settings, error) {
	return s.settings(ctx, s.db.R, supplierID)
}

func (s *Service) settings(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, supplierID int64) (Settings, error) {
	st := Settings{SupplierID: supplierID, Guards: DefaultGuards}
	var mapping sql.NullString
	var updated sql.NullTime
	var g Guards
	var missing sql.NullBool
	err := q.QueryRowContext(ctx, `SELECT fs.mapping, fs.guard_min_rows_percent, fs.guard_zero_percent, fs.guard_cost_jump_percent,
		fs.guard_cost_rows_percent, fs.guard_min_skus, fs.missing_as_zero, fs.updated_at
		FROM suppliers su LEFT JOIN feed_settings fs ON fs.supplier_id = su.id WHERE su.id = $1`, supplierID).
		Scan(&mapping, nullInt(&g.MinRowsPercent), nullInt(&g.ZeroPercent), nullInt(&g.CostJumpPercent),
			nullInt(&g.CostRowsPercent), nullInt(&g.MinSKUs), &missing, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return st, apperr.New(apperr.NotFound, "supplier %d not found", supplierID)
	}
	if err != nil {
		return st, fmt.Errorf("feed settings of supplier %d: %w", supplierID, err)
	}
	if !mapping.Valid {
		return st, nil
	}
	if err := json.Unmarshal([]byte(mapping.String), &st.Mapping); err != nil {
		return st, fmt.Errorf("feed settings of supplier %d: mapping: %w", supplierID, err)
	}
	st.Guards, st.MissingAsZero, st.Saved = g, missing.Bool, true
	t := updated.Time.UTC()
	st.UpdatedAt = &t
	return st, nil
}

// nullIntDest scans a nullable integer into an int (0 when NULL).
type nullIntDest struct{ p *int }

func nullInt(p *int) *nullIntDest { return &nullIntDest{p} }

func (d *nullIntDest) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*d.p = int(n.Int64)
	return nil
}

// SaveSettings saves the feed settings of a supplier.
func (s *Service) SaveSettings(ctx context.Context, supplierID int64, in Settings) (Settings, error) {
	var f apperr.Fields
	validateMapping(in.Mapping, &f)
	in.Guards.Validate(&f, "guards.")
	if err := f.Err(); err != nil {
		return Settings{}, err
	}
	in.Mapping.Format = strings.ToLower(in.Mapping.Format)
	in.Mapping.Encoding = strings.ToLower(in.Mapping.Encoding)
	js, err := json.Marshal(in.Mapping)
	if err != nil {
		return Settings{}, fmt.Errorf("feed mapping: %w", err)
	}
	g := in.Guards
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM suppliers WHERE id = $1`, supplierID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "supplier %d not found", supplierID)
		}
		if err != nil {
			return fmt.Errorf("supplier %d: %w", supplierID, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO feed_settings (supplier_id, mapping, guard_min_rows_percent, guard_zero_percent,
			guard_cost_jump_percent, guard_cost_rows_percent, guard_min_skus, missing_as_zero, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (supplier_id) DO UPDATE SET mapping = excluded.mapping, guard_min_rows_percent = excluded.guard_min_rows_percent,
				guard_zero_percent = excluded.guard_zero_percent, guard_cost_jump_percent = excluded.guard_cost_jump_percent,
				guard_cost_rows_percent = excluded.guard_cost_rows_percent, guard_min_skus = excluded.guard_min_skus,
				missing_as_zero = excluded.missing_as_zero, updated_at = excluded.updated_at`,
			supplierID, string(js), g.MinRowsPercent, g.ZeroPercent, g.CostJumpPercent, g.CostRowsPercent, g.MinSKUs,
			in.MissingAsZero, s.clock())
		if err != nil {
			return fmt.Errorf("save feed settings of supplier %d: %w", supplierID, err)
		}
		return nil
	})
	if err != nil {
		return Settings{}, err
	}
	return s.Settings(ctx, supplierID)
}
