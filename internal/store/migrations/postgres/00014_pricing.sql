-- +goose Up
-- Pricing rules (internal/pricing): per store (one per currency), per
-- collection (a product tag) and per SKU; the most specific rule that covers
-- a variant prices it, whole. Percentages are basis points (2.9% is 290);
-- amounts are minor units of the rule's currency, which is the currency of
-- the prices it sets.
CREATE TABLE pricing_rules (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('store', 'collection', 'sku')),
    tag TEXT,                              -- collection rules: the product tag
    variant_id BIGINT REFERENCES variants (id) ON DELETE CASCADE, -- SKU rules
    currency TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 100, -- between collection rules of one variant: smaller wins
    margin_bp INTEGER NOT NULL CHECK (margin_bp >= 0),
    fee_bp INTEGER NOT NULL CHECK (fee_bp >= 0),
    fee_fixed_amount BIGINT NOT NULL CHECK (fee_fixed_amount >= 0),
    shipping_amount BIGINT NOT NULL CHECK (shipping_amount >= 0),
    packaging_amount BIGINT NOT NULL CHECK (packaging_amount >= 0),
    ending TEXT NOT NULL CHECK (ending IN ('none', '.99', '.90', 'whole')),
    min_price_amount BIGINT,               -- NULL: no minimum
    max_price_amount BIGINT,               -- NULL: no maximum
    max_change_bp INTEGER,                 -- largest change applied within 24 h; NULL: no limit
    mode TEXT NOT NULL CHECK (mode IN ('propose', 'apply')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL,
    CHECK (margin_bp + fee_bp < 10000),
    CHECK ((scope = 'store' AND tag IS NULL AND variant_id IS NULL)
        OR (scope = 'collection' AND tag IS NOT NULL AND variant_id IS NULL)
        OR (scope = 'sku' AND tag IS NULL AND variant_id IS NOT NULL))
);
CREATE UNIQUE INDEX pricing_rules_store ON pricing_rules (currency) WHERE scope = 'store';
CREATE UNIQUE INDEX pricing_rules_collection ON pricing_rules (tag, currency) WHERE scope = 'collection';
CREATE UNIQUE INDEX pricing_rules_sku ON pricing_rules (variant_id) WHERE scope = 'sku';

-- A new price that waits for staff: the rule proposes only, or the change is
-- beyond the rule's daily limit. At most one open proposal per variant; a
-- later repricing refreshes it in place.
CREATE TABLE price_proposals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    variant_id BIGINT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    rule_id BIGINT REFERENCES pricing_rules (id) ON DELETE SET NULL,
    currency TEXT NOT NULL,
    old_amount BIGINT NOT NULL,            -- the price when proposed
    new_amount BIGINT NOT NULL CHECK (new_amount >= 0),
    cost_amount BIGINT NOT NULL,           -- the unit cost the price was computed from
    margin_bp INTEGER NOT NULL,            -- the contribution margin the new price leaves
    reason TEXT NOT NULL,                  -- what triggered the repricing
    why TEXT NOT NULL,                     -- why it waits instead of applying
    status TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected', 'superseded')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX price_proposals_open ON price_proposals (variant_id) WHERE status = 'open';
CREATE INDEX price_proposals_status_id ON price_proposals (status, id);
CREATE INDEX price_proposals_variant_id ON price_proposals (variant_id, id);

-- Every price pricing changed: old, new, why and who. The rule and the
-- proposal are kept as plain ids so the history outlives them.
CREATE TABLE price_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    variant_id BIGINT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    currency TEXT NOT NULL,
    old_amount BIGINT NOT NULL,
    new_amount BIGINT NOT NULL,
    cost_amount BIGINT,                    -- the unit cost the price was computed from
    rule_id BIGINT,
    proposal_id BIGINT,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX price_history_variant_id ON price_history (variant_id, id);

-- +goose Down
DROP TABLE price_history;
DROP TABLE price_proposals;
DROP TABLE pricing_rules;
