-- +goose Up
-- Supplier feeds: how each supplier's file is read (mapping) and guarded,
-- every run of a feed with its outcome and per-row errors, files kept for
-- approval when a run is quarantined, and supplier SKUs not linked to a
-- variant yet. See docs/feeds.md and docs/decisions/0009-feed-apply.md.

-- Per-supplier feed settings. The guard thresholds are whole percentages; a
-- run that trips one is quarantined (nothing applied) until staff approve it.
-- (The maximum feed age is a staleness rule: see 00012_stock_rules.)
CREATE TABLE feed_settings (
    supplier_id BIGINT PRIMARY KEY REFERENCES suppliers (id) ON DELETE CASCADE,
    mapping TEXT NOT NULL DEFAULT '{}',                 -- feeds.Mapping as JSON
    guard_min_rows_percent INTEGER NOT NULL DEFAULT 50 CHECK (guard_min_rows_percent BETWEEN 0 AND 100),
    guard_zero_percent INTEGER NOT NULL DEFAULT 30 CHECK (guard_zero_percent BETWEEN 0 AND 100),
    guard_cost_jump_percent INTEGER NOT NULL DEFAULT 50 CHECK (guard_cost_jump_percent BETWEEN 0 AND 10000),
    guard_cost_rows_percent INTEGER NOT NULL DEFAULT 10 CHECK (guard_cost_rows_percent BETWEEN 0 AND 100),
    guard_min_skus INTEGER NOT NULL DEFAULT 10 CHECK (guard_min_skus >= 0),
    missing_as_zero BOOLEAN NOT NULL DEFAULT FALSE,     -- a SKU absent from the file reports 0
    -- Bumped by the triggers below whenever an offer of the supplier is added,
    -- removed, or changes supplier SKU or variant: a saved snapshot built at
    -- another version no longer maps the supplier's SKUs to its offers.
    offers_version BIGINT NOT NULL DEFAULT 0,
    snapshot_version BIGINT,                            -- offers_version of the saved snapshot; NULL: none
    updated_at TIMESTAMPTZ NOT NULL
);

-- One run of a feed: a file received (upload, pull from a URL, or push) and
-- what became of it.
CREATE TABLE feed_runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('upload', 'url', 'push')),
    filename TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('applying', 'applied', 'unchanged', 'quarantined', 'approved', 'rejected', 'failed')),
    reason TEXT NOT NULL DEFAULT '',                    -- why quarantined or failed
    guard TEXT NOT NULL DEFAULT '',                     -- the guard that quarantined it: rows, zero, cost, unparsed
    rows_read INTEGER NOT NULL DEFAULT 0,
    rows_changed INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    rows_unknown INTEGER NOT NULL DEFAULT 0,
    rows_errors INTEGER NOT NULL DEFAULT 0,
    changes_written INTEGER NOT NULL DEFAULT 0,         -- progress of the batches
    detail TEXT NOT NULL DEFAULT '{}',                  -- counters as JSON (quantity, cost, lead time ... changes)
    actor TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL,                    -- renewed by every batch: a stale one was interrupted
    finished_at TIMESTAMPTZ,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    decided_by TEXT NOT NULL DEFAULT '',                -- who approved or rejected a quarantined run
    decided_at TIMESTAMPTZ
);
CREATE INDEX feed_runs_supplier ON feed_runs (supplier_id, id);
CREATE INDEX feed_runs_status ON feed_runs (status, id);
-- At most one run of a supplier is being applied at a time.
CREATE UNIQUE INDEX feed_runs_applying ON feed_runs (supplier_id) WHERE status = 'applying';

-- Problems with single rows of a run (the row was skipped, the others applied).
CREATE TABLE feed_run_errors (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES feed_runs (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    column_name TEXT NOT NULL DEFAULT '',
    value TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL
);
CREATE INDEX feed_run_errors_run ON feed_run_errors (run_id, id);

-- The file of a quarantined run, kept in the database (so any instance can
-- approve it) in chunks of at most 1 MiB; deleted when the run is decided.
CREATE TABLE feed_run_files (
    run_id BIGINT NOT NULL REFERENCES feed_runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    chunk BYTEA NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- The supplier's offers with the figures its feed last gave (or confirmed),
-- compactly encoded (feeds/snapshot.go) in chunks of at most 1 MiB: the next
-- run compares its file with this instead of reading every offer, position
-- and restock date back from the tables. Valid while feed_settings'
-- snapshot_version equals offers_version.
CREATE TABLE feed_snapshots (
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    chunk BYTEA NOT NULL,
    PRIMARY KEY (supplier_id, seq)
);

-- The restock date a supplier's feed gave for an offer, so a repeated date
-- is not a change.
CREATE TABLE supplier_offer_restocks (
    offer_id BIGINT PRIMARY KEY REFERENCES supplier_offers (id) ON DELETE CASCADE,
    expected_at TIMESTAMPTZ NOT NULL,
    run_id BIGINT,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Supplier SKUs seen in a feed that no offer of the supplier uses: staff link
-- them to a variant (an offer is created) or ignore them.
CREATE TABLE feed_unlinked_skus (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    supplier_sku TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'ignored', 'linked')),
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    last_run_id BIGINT,
    last_quantity INTEGER,
    last_cost_amount BIGINT,
    last_cost_currency TEXT NOT NULL DEFAULT '',
    last_lead_time_days INTEGER,
    offer_id BIGINT REFERENCES supplier_offers (id) ON DELETE SET NULL,
    decided_by TEXT NOT NULL DEFAULT '',
    decided_at TIMESTAMPTZ,
    CONSTRAINT feed_unlinked_skus_key UNIQUE (supplier_id, supplier_sku)
);
CREATE INDEX feed_unlinked_skus_status ON feed_unlinked_skus (supplier_id, status, id);

-- The lines a restock serves are those with backordered or short units; the
-- feed looks them up by variant for a whole batch (00008 indexes the
-- backordered ones; this adds the short ones).
CREATE INDEX order_lines_short ON order_lines (variant_id, id) WHERE qty_short > 0;

-- Statement-level for inserts and deletes (one UPDATE per statement, so
-- seeding a large catalog stays set-based), row-level with a WHEN for the
-- rare updates that re-point an offer.
-- +goose StatementBegin
CREATE FUNCTION supplier_offers_feed_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feed_settings SET offers_version = offers_version + 1 WHERE supplier_id IN (SELECT DISTINCT supplier_id FROM changed_offers);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER supplier_offers_feed_ins AFTER INSERT ON supplier_offers REFERENCING NEW TABLE AS changed_offers
    FOR EACH STATEMENT EXECUTE FUNCTION supplier_offers_feed_new();
CREATE TRIGGER supplier_offers_feed_del AFTER DELETE ON supplier_offers REFERENCING OLD TABLE AS changed_offers
    FOR EACH STATEMENT EXECUTE FUNCTION supplier_offers_feed_new();
-- +goose StatementBegin
CREATE FUNCTION supplier_offers_feed_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feed_settings SET offers_version = offers_version + 1 WHERE supplier_id IN (NEW.supplier_id, OLD.supplier_id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER supplier_offers_feed_upd AFTER UPDATE OF supplier_sku, variant_id, supplier_id ON supplier_offers
    FOR EACH ROW WHEN (NEW.supplier_sku IS DISTINCT FROM OLD.supplier_sku OR NEW.variant_id IS DISTINCT FROM OLD.variant_id
        OR NEW.supplier_id IS DISTINCT FROM OLD.supplier_id)
    EXECUTE FUNCTION supplier_offers_feed_upd();

-- +goose Down
DROP TRIGGER IF EXISTS supplier_offers_feed_upd ON supplier_offers;
DROP TRIGGER IF EXISTS supplier_offers_feed_del ON supplier_offers;
DROP TRIGGER IF EXISTS supplier_offers_feed_ins ON supplier_offers;
DROP FUNCTION IF EXISTS supplier_offers_feed_upd();
DROP FUNCTION IF EXISTS supplier_offers_feed_new();
DROP INDEX order_lines_short;
DROP TABLE feed_unlinked_skus;
DROP TABLE supplier_offer_restocks;
DROP TABLE feed_snapshots;
DROP TABLE feed_run_files;
DROP TABLE feed_run_errors;
DROP TABLE feed_runs;
DROP TABLE feed_settings;
