-- +goose Up
-- Staleness and safety rules (docs/concepts.md, "Stale feeds" and "Minimum
-- quantity"). Like the buffers of 00005 they fold into each position's
-- effective buffer (inventory.EffectiveBuffer), so reservations stay one
-- conditional UPDATE and the stock_levels triggers of 00005 keep ATS in step
-- unchanged: a rule change rewrites stock_positions.buffer, which fires them.

-- One row per supplier, made by its first report or setting (no row: never
-- stale, no minimum). Settings and the feed state live together:
--   max_feed_age_s    0 = never stale; else stale once now − last_feed_at exceeds it
--   stale_mode        exclude: its stock stops counting toward ATS;
--                     buffer: stale_percent_bp more of each reported quantity is held back
--   last_feed_at      the newest supplier report or applied feed run (inventory.MarkReported);
--                     a supplier-level column because a feed run that changes nothing writes
--                     no position, yet proves the figures are current
--   stale             the state in force: positions' buffers were computed with it; the
--                     staleness job and MarkReported flip it, recomputing positions in the
--                     same transaction
--   min_quantity      a reported quantity below it counts as 0 (the SKU's rule may be larger)
CREATE TABLE supplier_stock_rules (
    supplier_id BIGINT PRIMARY KEY REFERENCES suppliers (id) ON DELETE CASCADE,
    max_feed_age_s BIGINT NOT NULL DEFAULT 0 CHECK (max_feed_age_s >= 0),
    stale_mode TEXT NOT NULL DEFAULT 'exclude' CHECK (stale_mode IN ('exclude', 'buffer')),
    stale_percent_bp INTEGER NOT NULL DEFAULT 0 CHECK (stale_percent_bp BETWEEN 0 AND 10000),
    min_quantity INTEGER NOT NULL DEFAULT 0 CHECK (min_quantity >= 0),
    last_feed_at TIMESTAMPTZ,
    stale BOOLEAN NOT NULL DEFAULT FALSE,
    stale_since TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
-- The staleness job visits the suppliers with a maximum age or in force stale.
CREATE INDEX supplier_stock_rules_watched ON supplier_stock_rules (supplier_id) WHERE max_feed_age_s > 0 OR stale;

-- Per-SKU minimum quantity: a reported quantity below it counts as 0 on
-- every offer of the SKU. The larger of the SKU's and the supplier's applies.
CREATE TABLE variant_stock_rules (
    variant_id BIGINT PRIMARY KEY REFERENCES variants (id) ON DELETE CASCADE,
    min_quantity INTEGER NOT NULL DEFAULT 0 CHECK (min_quantity >= 0),
    updated_at TIMESTAMPTZ NOT NULL
);

-- Suppliers that reported before this migration start from their newest report.
INSERT INTO supplier_stock_rules (supplier_id, last_feed_at, updated_at)
SELECT o.supplier_id, MAX(sp.reported_at), now() FROM supplier_offers o JOIN stock_positions sp ON sp.offer_id = o.id
WHERE sp.reported_at IS NOT NULL GROUP BY o.supplier_id;

-- stock_levels_refresh (00005) in PL/pgSQL instead of SQL, same statement:
-- PL/pgSQL keeps the statement's plan for the session, where the SQL-language
-- function, called from the row trigger, was planned again on every call. It
-- runs once per changed position (every reservation, report, rule change);
-- a staleness flip changes thousands at once. Measured in one run
-- (BenchmarkLevelRefresh, BenchmarkStaleFlip): see docs/performance.md.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION stock_levels_refresh(v BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE stock_levels SET ats = COALESCE((SELECT SUM(sp.available) FROM supplier_offers o
        JOIN suppliers su ON su.id = o.supplier_id JOIN stock_positions sp ON sp.offer_id = o.id
        WHERE o.variant_id = v AND o.status = 'active' AND su.status = 'active'), 0)
    WHERE variant_id = v;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION stock_levels_refresh(v BIGINT) RETURNS void LANGUAGE sql AS $$
    UPDATE stock_levels SET ats = COALESCE((SELECT SUM(sp.available) FROM supplier_offers o
        JOIN suppliers su ON su.id = o.supplier_id JOIN stock_positions sp ON sp.offer_id = o.id
        WHERE o.variant_id = v AND o.status = 'active' AND su.status = 'active'), 0)
    WHERE variant_id = v
$$;
-- +goose StatementEnd
DROP TABLE variant_stock_rules;
DROP TABLE supplier_stock_rules;
