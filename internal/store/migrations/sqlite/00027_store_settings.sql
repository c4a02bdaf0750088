-- +goose Up
-- Store-wide settings that belong to no one domain (internal/storesettings):
-- one row; no row means the defaults. time_zone is the IANA name of the
-- store's time zone: customers read dates and times in it (notifications,
-- their order page) and a coupon's last day ends in it. Instants stay
-- stored in UTC everywhere.
CREATE TABLE store_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE store_settings;
