-- +goose Up
-- Suppliers: the dropshipping partners who hold stock and ship for us.
CREATE TABLE suppliers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT,                      -- name lower-cased in Go (Unicode); set by the suppliers service
    timezone TEXT NOT NULL,             -- IANA name, e.g. Europe/Lisbon
    country TEXT NOT NULL,              -- ISO 3166-1 alpha-2
    status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
    notes TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- Names are unique regardless of case: "Lisboa Cerâmica" and "LISBOA CERÂMICA" are one supplier.
-- lower(name) guards every writer; name_key adds Unicode case folding, which
-- SQLite's lower() lacks (it folds ASCII only).
CREATE UNIQUE INDEX suppliers_lower_name ON suppliers (lower(name));
CREATE UNIQUE INDEX suppliers_name_key ON suppliers (name_key);
CREATE INDEX suppliers_status_id ON suppliers (status, id);
CREATE INDEX suppliers_country_id ON suppliers (country, id);

CREATE TABLE supplier_contacts (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT ''
);
CREATE INDEX supplier_contacts_supplier_id ON supplier_contacts (supplier_id, id);

-- An offer: one supplier can supply one of our variants under its own SKU, at
-- a cost, with a lead time and a minimum order quantity.
CREATE TABLE supplier_offers (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    variant_id BIGINT NOT NULL REFERENCES variants (id),
    supplier_sku TEXT NOT NULL,
    cost_amount BIGINT NOT NULL CHECK (cost_amount >= 0),
    cost_currency TEXT NOT NULL,
    lead_time_days INTEGER NOT NULL CHECK (lead_time_days BETWEEN 0 AND 365),
    min_order_qty INTEGER NOT NULL CHECK (min_order_qty >= 1),
    priority INTEGER NOT NULL,          -- smaller is preferred
    status TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT supplier_offers_supplier_variant_key UNIQUE (supplier_id, variant_id),
    CONSTRAINT supplier_offers_supplier_sku_key UNIQUE (supplier_id, supplier_sku)
);
CREATE INDEX supplier_offers_supplier_id ON supplier_offers (supplier_id, id);
CREATE INDEX supplier_offers_variant_id ON supplier_offers (variant_id, id);
CREATE INDEX supplier_offers_status_id ON supplier_offers (status, id);

-- +goose Down
DROP TABLE supplier_offers;
DROP TABLE supplier_contacts;
DROP TABLE suppliers;
