-- +goose Up
-- Orders a storefront sent that Orderly could not place (refused for stock,
-- or invalid: unknown SKU, bad payload). The sale happened at the storefront,
-- so it must not live only in a log: staff see it here, fix the cause, and
-- mark it resolved. A later successful placement resolves it by itself.
CREATE TABLE intake_rejections (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    ref TEXT NOT NULL,                  -- the storefront's order id, or "delivery:<id>" when it has none
    external_id TEXT NOT NULL DEFAULT '',
    delivery_id TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,                 -- unavailable (refused for stock) or invalid
    reason TEXT NOT NULL,
    payload TEXT NOT NULL,              -- the body as received
    attempts INTEGER NOT NULL DEFAULT 1,
    first_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by TEXT NOT NULL DEFAULT '',
    resolution TEXT NOT NULL DEFAULT '',
    CONSTRAINT intake_rejections_ref UNIQUE (channel, ref)
);
CREATE INDEX intake_rejections_open ON intake_rejections (id) WHERE resolved_at IS NULL;

-- +goose Down
DROP TABLE intake_rejections;
