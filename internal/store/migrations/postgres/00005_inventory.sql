-- +goose Up
-- Stock positions: what each supplier offer can ship. One row per offer,
-- created the first time the supplier reports a quantity (an offer without a
-- row counts as 0 reported).
--
-- buffer is the effective safety buffer in units (the largest of the buffer
-- rules that apply, see inventory.EffectiveBuffer); it is recomputed in the
-- same transaction as every change of the reported quantity or of a buffer
-- rule, so a reservation is one conditional UPDATE on this row alone.
CREATE TABLE stock_positions (
    offer_id BIGINT PRIMARY KEY REFERENCES supplier_offers (id) ON DELETE CASCADE,
    reported INTEGER NOT NULL DEFAULT 0 CHECK (reported >= 0),
    reported_at TIMESTAMPTZ,               -- when the supplier last reported; NULL if never
    buffer INTEGER NOT NULL DEFAULT 0 CHECK (buffer >= 0),
    reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    -- What this offer adds to available-to-sell when it is sellable.
    available INTEGER GENERATED ALWAYS AS (GREATEST(0, reported - buffer - reserved)) STORED,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Safety buffers: units and/or percent (basis points: 1250 = 12.5%) held back
-- from what a supplier reports. Per supplier and per variant; the largest
-- applicable value wins.
CREATE TABLE supplier_stock_buffers (
    supplier_id BIGINT PRIMARY KEY REFERENCES suppliers (id) ON DELETE CASCADE,
    units INTEGER NOT NULL DEFAULT 0 CHECK (units >= 0),
    percent_bp INTEGER NOT NULL DEFAULT 0 CHECK (percent_bp BETWEEN 0 AND 10000),
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE variant_stock_buffers (
    variant_id BIGINT PRIMARY KEY REFERENCES variants (id) ON DELETE CASCADE,
    units INTEGER NOT NULL DEFAULT 0 CHECK (units >= 0),
    percent_bp INTEGER NOT NULL DEFAULT 0 CHECK (percent_bp BETWEEN 0 AND 10000),
    updated_at TIMESTAMPTZ NOT NULL
);

-- Reservations: units held on an offer for a reference (e.g. an order line).
-- One row per offer a reservation drew from, so Release undoes it exactly.
CREATE TABLE stock_reservations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ref TEXT NOT NULL,
    variant_id BIGINT NOT NULL REFERENCES variants (id),
    offer_id BIGINT NOT NULL REFERENCES supplier_offers (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX stock_reservations_ref ON stock_reservations (ref, offer_id);
CREATE INDEX stock_reservations_offer_id ON stock_reservations (offer_id);

-- Every change of a reported quantity: supplier reports and manual
-- adjustments, with who made it and why.
CREATE TABLE stock_adjustments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    offer_id BIGINT NOT NULL REFERENCES supplier_offers (id) ON DELETE CASCADE,
    variant_id BIGINT NOT NULL REFERENCES variants (id),
    kind TEXT NOT NULL CHECK (kind IN ('report', 'set', 'add', 'consume')),
    before_qty INTEGER NOT NULL,
    after_qty INTEGER NOT NULL CHECK (after_qty >= 0),
    delta INTEGER NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX stock_adjustments_offer_id ON stock_adjustments (offer_id, id);
CREATE INDEX stock_adjustments_variant_id ON stock_adjustments (variant_id, id);

-- +goose Down
DROP TABLE stock_adjustments;
DROP TABLE stock_reservations;
DROP TABLE variant_stock_buffers;
DROP TABLE supplier_stock_buffers;
DROP TABLE stock_positions;
