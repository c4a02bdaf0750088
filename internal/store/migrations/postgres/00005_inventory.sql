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
    offer_id BIGINT PRIMARY KEY REFERENCES supplier_offers (id), -- no cascade: an offer with stock history is deactivated, not deleted
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
    offer_id BIGINT NOT NULL REFERENCES supplier_offers (id),
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


-- ATS per variant, kept in step with stock_positions, offers and suppliers by
-- the triggers below, in the same transaction as each change. It exists for
-- the low-stock filter: "ATS <= threshold" on a 100k-SKU catalog must not sum
-- every SKU's offers on each page (see inventory.List and its benchmark).
-- Triggers rather than Go code, because two of the events that change ATS
-- (an offer deactivated, a supplier paused) are written by the catalog, which
-- does not call into inventory.
CREATE TABLE stock_levels (
    variant_id BIGINT PRIMARY KEY REFERENCES variants (id) ON DELETE CASCADE,
    ats INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX stock_levels_ats ON stock_levels (ats, variant_id);
INSERT INTO stock_levels (variant_id, ats) SELECT id, 0 FROM variants;

-- +goose StatementBegin
CREATE FUNCTION stock_levels_refresh(v BIGINT) RETURNS void LANGUAGE sql AS $$
    UPDATE stock_levels SET ats = COALESCE((SELECT SUM(sp.available) FROM supplier_offers o
        JOIN suppliers su ON su.id = o.supplier_id JOIN stock_positions sp ON sp.offer_id = o.id
        WHERE o.variant_id = v AND o.status = 'active' AND su.status = 'active'), 0)
    WHERE variant_id = v
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION variants_stock_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stock_levels (variant_id, ats) VALUES (NEW.id, 0);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER variants_stock_level AFTER INSERT ON variants FOR EACH ROW EXECUTE FUNCTION variants_stock_level();
-- +goose StatementBegin
CREATE FUNCTION stock_positions_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM stock_levels_refresh(o.variant_id) FROM supplier_offers o WHERE o.id = OLD.offer_id;
    ELSE
        PERFORM stock_levels_refresh(o.variant_id) FROM supplier_offers o WHERE o.id = NEW.offer_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER stock_positions_level AFTER INSERT OR DELETE OR UPDATE OF reported, buffer, reserved ON stock_positions
    FOR EACH ROW EXECUTE FUNCTION stock_positions_level();
-- +goose StatementBegin
CREATE FUNCTION supplier_offers_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stock_levels_refresh(OLD.variant_id);
    IF TG_OP = 'UPDATE' AND NEW.variant_id <> OLD.variant_id THEN
        PERFORM stock_levels_refresh(NEW.variant_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER supplier_offers_level AFTER DELETE OR UPDATE OF status, variant_id ON supplier_offers
    FOR EACH ROW EXECUTE FUNCTION supplier_offers_level();
-- +goose StatementBegin
CREATE FUNCTION suppliers_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM stock_levels_refresh(x.variant_id) FROM (SELECT DISTINCT variant_id FROM supplier_offers WHERE supplier_id = NEW.id) x;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER suppliers_level AFTER UPDATE OF status ON suppliers FOR EACH ROW EXECUTE FUNCTION suppliers_level();

-- +goose Down
DROP TRIGGER IF EXISTS suppliers_level ON suppliers;
DROP TRIGGER IF EXISTS supplier_offers_level ON supplier_offers;
DROP TRIGGER IF EXISTS variants_stock_level ON variants;
DROP TRIGGER IF EXISTS stock_positions_level ON stock_positions;
DROP TABLE stock_levels;
DROP FUNCTION IF EXISTS suppliers_level();
DROP FUNCTION IF EXISTS supplier_offers_level();
DROP FUNCTION IF EXISTS stock_positions_level();
DROP FUNCTION IF EXISTS variants_stock_level();
DROP FUNCTION IF EXISTS stock_levels_refresh(BIGINT);
DROP TABLE stock_adjustments;
DROP TABLE stock_reservations;
DROP TABLE variant_stock_buffers;
DROP TABLE supplier_stock_buffers;
DROP TABLE stock_positions;
