-- +goose Up
-- Delivery promises (issue 6, docs/promise.md): supplier calendars, carrier
-- services with their transit tables, shipping zones, remote-area rules, the
-- store's default confidence, and the promise stored on each order.
-- Calendar dates (closures, promised days) are TEXT written YYYY-MM-DD on
-- both engines: they are days, not instants, and sort as text.

-- A supplier's working calendar. No row: the supplier cannot be promised.
--   processing_days  "mon,tue,wed,thu,fri" (promise.Weekdays)
--   cutoff_minute    minutes after local midnight (the supplier's time zone)
--   handling_days    processing days from the day received to the day handed over
--   country_holidays closed on its country's public holidays
CREATE TABLE supplier_calendars (
    supplier_id BIGINT PRIMARY KEY REFERENCES suppliers (id) ON DELETE CASCADE,
    processing_days TEXT NOT NULL,
    cutoff_minute INTEGER NOT NULL CHECK (cutoff_minute BETWEEN 0 AND 1439),
    handling_days INTEGER NOT NULL CHECK (handling_days BETWEEN 0 AND 60),
    country_holidays BOOLEAN NOT NULL,
    origin_postal_code TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);

-- Days a supplier is closed besides weekends and holidays, both ends included.
CREATE TABLE supplier_closures (
    supplier_id BIGINT NOT NULL REFERENCES supplier_calendars (supplier_id) ON DELETE CASCADE,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    CHECK (ends_on >= starts_on)
);
CREATE INDEX supplier_closures_supplier_id ON supplier_closures (supplier_id, starts_on);

-- A carrier service: the days it collects and delivers.
CREATE TABLE carrier_services (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    pickup_days TEXT NOT NULL,
    delivery_days TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX carrier_services_lower_name ON carrier_services (lower(name));

-- Transit time in delivery days from an origin zone to a destination zone.
CREATE TABLE carrier_transit (
    carrier_service_id BIGINT NOT NULL REFERENCES carrier_services (id) ON DELETE CASCADE,
    from_zone TEXT NOT NULL,
    to_zone TEXT NOT NULL,
    min_days INTEGER NOT NULL CHECK (min_days >= 0),
    max_days INTEGER NOT NULL CHECK (max_days >= min_days AND max_days <= 120),
    PRIMARY KEY (carrier_service_id, from_zone, to_zone)
);

-- The carrier services a supplier ships with (none: any with a lane).
CREATE TABLE supplier_calendar_carriers (
    supplier_id BIGINT NOT NULL REFERENCES supplier_calendars (supplier_id) ON DELETE CASCADE,
    carrier_service_id BIGINT NOT NULL REFERENCES carrier_services (id) ON DELETE CASCADE,
    PRIMARY KEY (supplier_id, carrier_service_id)
);
CREATE INDEX supplier_calendar_carriers_carrier ON supplier_calendar_carriers (carrier_service_id);

-- Country → zone. A country not listed is a zone of its own, named by its code.
CREATE TABLE shipping_zones (
    country TEXT PRIMARY KEY,
    zone TEXT NOT NULL
);

-- Postal-code ranges (prefixes of the letters and digits) that take longer.
CREATE TABLE remote_area_rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    postal_from TEXT NOT NULL,
    postal_to TEXT NOT NULL,
    extra_days INTEGER NOT NULL CHECK (extra_days BETWEEN 1 AND 60),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The store's promise settings: one row. confidence_bp: the default
-- confidence in basis points (9000 = 0.9).
CREATE TABLE promise_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    confidence_bp INTEGER NOT NULL CHECK (confidence_bp BETWEEN 5000 AND 9900),
    updated_at TIMESTAMP NOT NULL
);

-- The promise made when the order was placed (NULL: none could be made).
ALTER TABLE orders ADD COLUMN promised_ship_by TEXT;
ALTER TABLE orders ADD COLUMN promised_earliest TEXT;
ALTER TABLE orders ADD COLUMN promised_latest TEXT;
ALTER TABLE orders ADD COLUMN promise_confidence_bp INTEGER;
ALTER TABLE orders ADD COLUMN promised_at TIMESTAMP;

-- +goose Down
ALTER TABLE orders DROP COLUMN promised_at;
ALTER TABLE orders DROP COLUMN promise_confidence_bp;
ALTER TABLE orders DROP COLUMN promised_latest;
ALTER TABLE orders DROP COLUMN promised_earliest;
ALTER TABLE orders DROP COLUMN promised_ship_by;
DROP TABLE promise_settings;
DROP TABLE remote_area_rules;
DROP TABLE shipping_zones;
DROP TABLE supplier_calendar_carriers;
DROP TABLE carrier_transit;
DROP TABLE carrier_services;
DROP TABLE supplier_closures;
DROP TABLE supplier_calendars;
