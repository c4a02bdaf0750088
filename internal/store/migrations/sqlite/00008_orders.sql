-- +goose Up
-- Stock policies per variant: backorders (temporarily out, restock expected)
-- and pre-orders (not yet released, capped). The counters are the pools:
-- "backordered" units wait for stock, "preordered" units hold a pre-order slot.
-- Both are changed only by conditional UPDATEs that cannot pass the limit.
CREATE TABLE variant_stock_policies (
    variant_id BIGINT PRIMARY KEY REFERENCES variants (id) ON DELETE CASCADE,
    backorder_limit INTEGER NOT NULL DEFAULT 0 CHECK (backorder_limit >= 0), -- 0: no backorders
    backordered INTEGER NOT NULL DEFAULT 0 CHECK (backordered >= 0),
    restock_expected_at TIMESTAMP,        -- set by staff; else derived from the offers' lead time
    preorder_release_at TIMESTAMP,        -- not NULL: a pre-order SKU until this time
    preorder_cap INTEGER NOT NULL DEFAULT 0 CHECK (preorder_cap >= 0),
    preordered INTEGER NOT NULL DEFAULT 0 CHECK (preordered >= 0),
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX variant_stock_policies_release ON variant_stock_policies (preorder_release_at) WHERE preorder_release_at IS NOT NULL;

-- Optional per-channel pre-order caps, within the global cap.
CREATE TABLE preorder_channel_caps (
    variant_id BIGINT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    cap INTEGER NOT NULL CHECK (cap >= 0),
    taken INTEGER NOT NULL DEFAULT 0 CHECK (taken >= 0),
    PRIMARY KEY (variant_id, channel)
);

-- Orders. Order numbers start at 1001; the id is the number.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,                -- api, csv, shopify, ...
    external_id TEXT,                     -- the storefront's order id, unique per channel
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,              -- lower-cased, for search
    locale TEXT NOT NULL DEFAULT 'en',
    state TEXT NOT NULL CHECK (state IN ('on_hold', 'awaiting_stock', 'ready_to_route', 'sent_to_supplier',
        'partially_shipped', 'shipped', 'delivered', 'cancelled')),
    currency TEXT NOT NULL,
    subtotal_amount BIGINT NOT NULL,      -- Σ line unit price × quantity
    discount_amount BIGINT NOT NULL,      -- line discounts + order discount
    shipping_amount BIGINT NOT NULL,
    tax_amount BIGINT NOT NULL,
    taxes_included BOOLEAN NOT NULL,
    total_amount BIGINT NOT NULL,         -- what the customer owes for the order as it stands
    refunded_amount BIGINT NOT NULL DEFAULT 0, -- Σ refunds due recorded in order_payments
    charged_amount BIGINT NOT NULL,       -- what was charged: the total at placement plus later charges
    ship_name TEXT NOT NULL DEFAULT '',
    ship_company TEXT NOT NULL DEFAULT '',
    ship_line1 TEXT NOT NULL DEFAULT '',
    ship_line2 TEXT NOT NULL DEFAULT '',
    ship_city TEXT NOT NULL DEFAULT '',
    ship_region TEXT NOT NULL DEFAULT '',
    ship_postal_code TEXT NOT NULL DEFAULT '',
    ship_country TEXT NOT NULL DEFAULT '',
    ship_phone TEXT NOT NULL DEFAULT '',
    payment_status TEXT NOT NULL DEFAULT 'paid',
    risk TEXT NOT NULL DEFAULT 'low',
    note TEXT NOT NULL DEFAULT '',
    placed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (total_amount >= 0 AND refunded_amount >= 0 AND charged_amount >= 0),
    CONSTRAINT orders_channel_external_id UNIQUE (channel, external_id)
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('orders', 1000);
CREATE INDEX orders_state_id ON orders (state, id);
CREATE INDEX orders_customer_id ON orders (customer_id, id);
CREATE INDEX orders_email_key ON orders (email_key, id);
CREATE INDEX orders_channel_id ON orders (channel, id);
CREATE INDEX orders_placed_at ON orders (placed_at, id);

-- Lines. Every unit of a line is in exactly one bucket:
-- quantity = reserved + backordered + preordered + short + shipped + cancelled.
CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    position INTEGER NOT NULL,
    variant_id BIGINT NOT NULL REFERENCES variants (id),
    sku TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('allocated', 'backordered', 'preordered', 'short', 'sent_to_supplier',
        'shipped', 'delivered', 'cancelled')),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_amount BIGINT NOT NULL CHECK (unit_price_amount >= 0),
    discount_amount BIGINT NOT NULL DEFAULT 0,      -- the line's own discount plus its share of the order discount
    tax_amount BIGINT NOT NULL DEFAULT 0,
    total_amount BIGINT NOT NULL,                   -- what the line's units cost the customer, all included
    refunded_amount BIGINT NOT NULL DEFAULT 0,
    qty_reserved INTEGER NOT NULL DEFAULT 0 CHECK (qty_reserved >= 0),
    qty_backordered INTEGER NOT NULL DEFAULT 0 CHECK (qty_backordered >= 0),
    qty_preordered INTEGER NOT NULL DEFAULT 0 CHECK (qty_preordered >= 0),
    qty_short INTEGER NOT NULL DEFAULT 0 CHECK (qty_short >= 0),
    qty_shipped INTEGER NOT NULL DEFAULT 0 CHECK (qty_shipped >= 0),
    qty_cancelled INTEGER NOT NULL DEFAULT 0 CHECK (qty_cancelled >= 0),
    backorder_expected_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (quantity = qty_reserved + qty_backordered + qty_preordered + qty_short + qty_shipped + qty_cancelled),
    CONSTRAINT order_lines_position UNIQUE (order_id, position)
);
CREATE INDEX order_lines_sku ON order_lines (sku, order_id);
-- The queues restock and pre-order release walk, in order of arrival.
CREATE INDEX order_lines_backordered ON order_lines (variant_id, id) WHERE qty_backordered > 0;
CREATE INDEX order_lines_preordered ON order_lines (variant_id, id) WHERE qty_preordered > 0;

-- Holds keep an order from going to a supplier until staff release them.
CREATE TABLE order_holds (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    reason TEXT NOT NULL CHECK (reason IN ('address', 'payment', 'stock', 'manual')),
    detail TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    released_by TEXT,
    released_at TIMESTAMP,
    release_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_holds_order_id ON order_holds (order_id, id);
CREATE INDEX order_holds_open ON order_holds (reason, order_id) WHERE released_at IS NULL;

-- The timeline: every change of an order, who made it and why.
CREATE TABLE order_timeline (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    line_id BIGINT,
    event TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}',  -- JSON
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX order_timeline_order_id ON order_timeline (order_id, id);

-- Money owed back to the customer (refund) or by the customer (charge) after
-- cancellations and edits, computed exactly and recorded when decided.
CREATE TABLE order_payments (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    kind TEXT NOT NULL CHECK (kind IN ('refund', 'charge')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',  -- JSON: the parts per line and shipping
    actor TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX order_payments_order_id ON order_payments (order_id, id);

-- Storefront webhook deliveries already processed (deduplication by delivery id).
CREATE TABLE webhook_deliveries (
    source TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    order_id BIGINT REFERENCES orders (id),
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, delivery_id)
);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE order_payments;
DROP TABLE order_timeline;
DROP TABLE order_holds;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE preorder_channel_caps;
DROP TABLE variant_stock_policies;
