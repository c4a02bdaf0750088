-- +goose Up
-- Storefront sync: where available-to-sell and prices are published (targets),
-- how our SKUs map to a storefront's own ids, and the outbox of variants whose
-- ATS or price changed and are not yet published. See docs/storefront.md.

-- A storefront to publish to: a Shopify store (GraphQL Admin API) or a
-- generic signed webhook. secret is the Shopify access token or the webhook
-- signing key: it is needed in clear to call out, so it is stored as given
-- and never returned by the API.
CREATE TABLE storefront_targets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('shopify', 'webhook')),
    url TEXT NOT NULL,                        -- Shopify: the store's base URL; webhook: the endpoint
    secret TEXT NOT NULL,
    location_id TEXT NOT NULL DEFAULT '',     -- Shopify: the location whose available quantity is set
    api_version TEXT NOT NULL DEFAULT '',     -- Shopify: Admin API version, e.g. 2026-01
    currency TEXT NOT NULL DEFAULT '',        -- Shopify: the store's currency; prices in another are not sent
    rate_per_second DOUBLE PRECISION NOT NULL DEFAULT 2 CHECK (rate_per_second > 0),
    batch_size INTEGER NOT NULL DEFAULT 50 CHECK (batch_size BETWEEN 1 AND 250),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    sent_variants BIGINT NOT NULL DEFAULT 0,  -- variant updates delivered, in all
    last_sent_at TIMESTAMPTZ,
    last_error TEXT NOT NULL DEFAULT '',
    last_error_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT storefront_targets_name_key UNIQUE (name)
);

-- Our SKU -> the storefront's ids (Shopify GIDs). Rows come from an upload
-- (source 'upload') or from looking the SKU up on the storefront (source
-- 'lookup'); found = FALSE remembers that a lookup found nothing, so an
-- unknown SKU is not looked up again on every change.
CREATE TABLE storefront_mappings (
    target_id BIGINT NOT NULL REFERENCES storefront_targets (id) ON DELETE CASCADE,
    sku TEXT COLLATE "C" NOT NULL,
    remote_variant_id TEXT NOT NULL DEFAULT '',
    inventory_item_id TEXT NOT NULL DEFAULT '',
    product_id TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL CHECK (source IN ('upload', 'lookup')),
    found BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (target_id, sku)
);

-- The outbox: one row per (target, variant) with an unpublished change.
-- Repeated changes coalesce into the row (version + 1): only the latest value
-- is ever sent. A sender claims rows (claim, claimed_until: a lease), sends
-- the values current at the claim, and deletes a row only if its version is
-- still the one it sent; otherwise it releases it to be sent again.
CREATE TABLE storefront_outbox (
    target_id BIGINT NOT NULL REFERENCES storefront_targets (id) ON DELETE CASCADE,
    variant_id BIGINT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    version BIGINT NOT NULL DEFAULT 1,
    stock BOOLEAN NOT NULL DEFAULT FALSE,     -- ATS changed since last published
    price BOOLEAN NOT NULL DEFAULT FALSE,     -- price changed since last published
    queued_at TIMESTAMPTZ NOT NULL,           -- the oldest unpublished change: rows drain in this order
    changed_at TIMESTAMPTZ NOT NULL,          -- the latest change
    claim BIGINT,
    claimed_until TIMESTAMPTZ,
    not_before TIMESTAMPTZ,                   -- set aside after an error the storefront blamed on this row
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (target_id, variant_id)
);
CREATE INDEX storefront_outbox_queue ON storefront_outbox (target_id, queued_at, variant_id);
CREATE INDEX storefront_outbox_variant ON storefront_outbox (variant_id);

-- Change capture: every change of a variant's ATS (stock_levels.ats, kept by
-- the inventory triggers whatever wrote the stock: orders, feeds, adjustments,
-- buffers, staleness rules, a paused supplier) or of its price upserts the
-- variant's outbox row for every target, in the same transaction as the
-- change. A rolled-back change leaves nothing; a committed one cannot be
-- missed. Disabled targets capture too, so enabling one again sends exactly
-- what changed meanwhile.
-- +goose StatementBegin
CREATE FUNCTION storefront_stock_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO storefront_outbox (target_id, variant_id, stock, queued_at, changed_at)
    SELECT t.id, NEW.variant_id, TRUE, now(), now() FROM storefront_targets t ORDER BY t.id
    ON CONFLICT (target_id, variant_id) DO UPDATE SET version = storefront_outbox.version + 1,
        stock = TRUE, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER storefront_stock_changed AFTER UPDATE OF ats ON stock_levels
    FOR EACH ROW WHEN (OLD.ats IS DISTINCT FROM NEW.ats) EXECUTE FUNCTION storefront_stock_changed();
-- A variant's price, and its status (a variant that is not active is not for
-- sale: 0 is published for it), are captured the same way.
-- +goose StatementBegin
CREATE FUNCTION storefront_variant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO storefront_outbox (target_id, variant_id, stock, price, queued_at, changed_at)
    SELECT t.id, NEW.id, OLD.status IS DISTINCT FROM NEW.status,
        OLD.price_amount IS DISTINCT FROM NEW.price_amount OR OLD.price_currency IS DISTINCT FROM NEW.price_currency,
        now(), now()
    FROM storefront_targets t ORDER BY t.id
    ON CONFLICT (target_id, variant_id) DO UPDATE SET version = storefront_outbox.version + 1,
        stock = storefront_outbox.stock OR EXCLUDED.stock, price = storefront_outbox.price OR EXCLUDED.price,
        changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER storefront_variant_changed AFTER UPDATE OF price_amount, price_currency, status ON variants
    FOR EACH ROW WHEN (OLD.price_amount IS DISTINCT FROM NEW.price_amount OR OLD.price_currency IS DISTINCT FROM NEW.price_currency
        OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION storefront_variant_changed();

-- +goose Down
DROP TRIGGER IF EXISTS storefront_variant_changed ON variants;
DROP TRIGGER IF EXISTS storefront_stock_changed ON stock_levels;
DROP FUNCTION IF EXISTS storefront_variant_changed();
DROP FUNCTION IF EXISTS storefront_stock_changed();
DROP TABLE storefront_outbox;
DROP TABLE storefront_mappings;
DROP TABLE storefront_targets;
