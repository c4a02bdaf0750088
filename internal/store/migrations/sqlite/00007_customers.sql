-- +goose Up
-- Customers: created or matched from orders by email, case-insensitively
-- (email_key is the address lower-cased in Go, which folds Unicode).
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    name_key TEXT NOT NULL DEFAULT '',  -- name lower-cased in Go, for case-insensitive search on both engines
    phone TEXT NOT NULL DEFAULT '',
    locale TEXT NOT NULL DEFAULT 'en',   -- en, pt-BR or it: the language of customer-facing text
    orders_count INTEGER NOT NULL DEFAULT 0,
    first_order_at TIMESTAMP,
    last_order_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX customers_last_order ON customers (last_order_at, id);

-- Addresses a customer has shipped to, deduplicated by their normalised form.
CREATE TABLE customer_addresses (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    line1 TEXT NOT NULL DEFAULT '',
    line2 TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    address_key TEXT NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    CONSTRAINT customer_addresses_key UNIQUE (customer_id, address_key)
);

-- +goose Down
DROP TABLE customer_addresses;
DROP TABLE customers;
