-- +goose Up
-- Keys Orderly signs its own links with (issue 8: the customer's order page,
-- internal/orderlinks). Kept in the database so that every instance on it
-- signs and verifies with the same key; created by the first instance that
-- needs one (INSERT ... ON CONFLICT DO NOTHING), never shown anywhere.
--   name  what the key signs, e.g. order_links
--   key   hex of 32 random bytes
CREATE TABLE signing_keys (
    name TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE signing_keys;
