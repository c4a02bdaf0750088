-- +goose Up
-- Routing, purchase orders, acknowledgements, shipments and tracking (issue 7;
-- decision 0013; docs/routing.md, docs/purchasing.md, docs/shipping.md).
--
-- The flow: routing assigns each reserved order line (or part of it) to one
-- supplier offer and adds it to that supplier's open purchase order; the PO is
-- sent at once or at the supplier's next cutoff; the supplier accepts or
-- rejects each PO line (partial quantities allowed; rejected units are routed
-- again); shipments carry accepted units, and tracking events move them to
-- delivered.

-- Routing rules, tried in position order: the first enabled rule whose
-- conditions all hold decides the strategy and the supplier preference list.
--   conditions  JSON (routing.Conditions): countries, regions, skus, tags,
--               collections, channels, min_total, max_total (minor units)
--   strategy    lowest_cost, fastest, priority, fewest_shipments
--   suppliers   JSON array of supplier ids, most preferred first; [] = every
--               supplier with an offer
--   only_listed suppliers not listed are never used (else they are the last alternates)
CREATE TABLE routing_rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    conditions TEXT NOT NULL DEFAULT '{}',
    strategy TEXT NOT NULL CHECK (strategy IN ('lowest_cost', 'fastest', 'priority', 'fewest_shipments')),
    suppliers TEXT NOT NULL DEFAULT '[]',
    only_listed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX routing_rules_position ON routing_rules (position, id);

-- The store's routing settings: one row (no row: the defaults in routing.Settings).
--   max_parts  an order is split across at most this many suppliers
CREATE TABLE routing_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    default_strategy TEXT NOT NULL CHECK (default_strategy IN ('lowest_cost', 'fastest', 'priority', 'fewest_shipments')),
    max_parts INTEGER NOT NULL CHECK (max_parts BETWEEN 1 AND 10),
    updated_at TIMESTAMP NOT NULL
);

-- Each routing decision of an order, with its explanation (JSON: the rule,
-- the strategy, and per line the supplier chosen and why the others were not).
--   trigger  confirmed, rejected, timeout, manual
CREATE TABLE routing_decisions (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    trigger TEXT NOT NULL,
    rule_id BIGINT,
    strategy TEXT NOT NULL,
    explanation TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX routing_decisions_order_id ON routing_decisions (order_id, id);

-- How each supplier receives purchase orders and how fast it must answer
-- (no row: console only, sent at once, 24 h to answer, no re-routing).
--   channel             email (CSV attached), webhook (signed JSON), console
--   batch               immediate, or cutoffs: gathered until the next of
--                       cutoff_minutes (JSON array of minutes after local midnight)
--   ack_sla_minutes     time to accept or reject each line once sent
--   reroute_on_timeout  lines not answered in time are routed again
--   shipping_estimate   per parcel, in the offers' cost currency, for landed cost
CREATE TABLE supplier_fulfilment (
    supplier_id BIGINT PRIMARY KEY REFERENCES suppliers (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'console')),
    email_to TEXT NOT NULL DEFAULT '',
    webhook_url TEXT NOT NULL DEFAULT '',
    webhook_secret TEXT NOT NULL DEFAULT '',
    batch TEXT NOT NULL CHECK (batch IN ('immediate', 'cutoffs')),
    cutoff_minutes TEXT NOT NULL DEFAULT '[]',
    ack_sla_minutes INTEGER NOT NULL CHECK (ack_sla_minutes BETWEEN 15 AND 20160),
    reroute_on_timeout BOOLEAN NOT NULL DEFAULT FALSE,
    shipping_estimate_amount BIGINT NOT NULL DEFAULT 0 CHECK (shipping_estimate_amount >= 0),
    shipping_estimate_currency TEXT NOT NULL DEFAULT '',
    locale TEXT NOT NULL DEFAULT 'en',
    updated_at TIMESTAMP NOT NULL
);

-- Purchase orders: lines routed to one supplier, sent together. PO numbers
-- start at 5001.
--   state  open (gathering lines until send_after), sending (claimed by the
--          send job), sent, acknowledged (no line pending), closed (nothing
--          left to ship), cancelled (every line cancelled before it was sent)
CREATE TABLE purchase_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    state TEXT NOT NULL CHECK (state IN ('open', 'sending', 'sent', 'acknowledged', 'closed', 'cancelled')),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'console')),
    currency TEXT NOT NULL,              -- the cost currency of its lines
    total_cost_amount BIGINT NOT NULL DEFAULT 0 CHECK (total_cost_amount >= 0),
    send_after TIMESTAMP NOT NULL,       -- when it goes out: at once, or the next cutoff
    sent_at TIMESTAMP,
    ack_due_at TIMESTAMP,                -- sent_at + the supplier's SLA
    send_attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('purchase_orders', 5000);
CREATE INDEX purchase_orders_supplier_id ON purchase_orders (supplier_id, id);
CREATE INDEX purchase_orders_state ON purchase_orders (state, send_after);
-- At most one open PO per supplier and currency gathers new lines.
CREATE UNIQUE INDEX purchase_orders_one_open ON purchase_orders (supplier_id, currency) WHERE state = 'open';

-- A PO line: some units of one order line, from one offer. Every unit is in
-- exactly one bucket: quantity = pending + accepted + shipped + rejected + cancelled.
-- supplier_id repeats the PO's so every supplier-scoped query filters one table.
--   state  derived from the buckets: pending, accepted, partially_shipped,
--          shipped, rejected, cancelled
--   overdue_at  when the SLA job flagged its pending units (once)
CREATE TABLE purchase_order_lines (
    id INTEGER PRIMARY KEY,
    purchase_order_id BIGINT NOT NULL REFERENCES purchase_orders (id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    order_id BIGINT NOT NULL REFERENCES orders (id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    offer_id BIGINT NOT NULL REFERENCES supplier_offers (id),
    variant_id BIGINT NOT NULL REFERENCES variants (id),
    sku TEXT NOT NULL,
    supplier_sku TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'partially_shipped', 'shipped', 'rejected', 'cancelled')),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    qty_pending INTEGER NOT NULL DEFAULT 0 CHECK (qty_pending >= 0),
    qty_accepted INTEGER NOT NULL DEFAULT 0 CHECK (qty_accepted >= 0),
    qty_shipped INTEGER NOT NULL DEFAULT 0 CHECK (qty_shipped >= 0),
    qty_rejected INTEGER NOT NULL DEFAULT 0 CHECK (qty_rejected >= 0),
    qty_cancelled INTEGER NOT NULL DEFAULT 0 CHECK (qty_cancelled >= 0),
    unit_cost_amount BIGINT NOT NULL CHECK (unit_cost_amount >= 0),
    cost_currency TEXT NOT NULL,
    reject_reason TEXT NOT NULL DEFAULT '',
    answered_by TEXT NOT NULL DEFAULT '',
    answered_at TIMESTAMP,
    overdue_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (quantity = qty_pending + qty_accepted + qty_shipped + qty_rejected + qty_cancelled)
);
CREATE INDEX purchase_order_lines_po ON purchase_order_lines (purchase_order_id, id);
CREATE INDEX purchase_order_lines_supplier_id ON purchase_order_lines (supplier_id, id);
CREATE INDEX purchase_order_lines_order_line_id ON purchase_order_lines (order_line_id, id);
CREATE INDEX purchase_order_lines_order_id ON purchase_order_lines (order_id, id);
-- The unacknowledged queue and the SLA job.
CREATE INDEX purchase_order_lines_pending ON purchase_order_lines (supplier_id, purchase_order_id) WHERE qty_pending > 0;

-- Every attempt to send a PO, by its channel.
CREATE TABLE purchase_order_sends (
    id INTEGER PRIMARY KEY,
    purchase_order_id BIGINT NOT NULL REFERENCES purchase_orders (id),
    channel TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    ok BOOLEAN NOT NULL,
    detail TEXT NOT NULL DEFAULT '',     -- the error, or the message id / HTTP status
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX purchase_order_sends_po ON purchase_order_sends (purchase_order_id, id);

-- Shipments: one parcel of one order from one supplier.
--   carrier        carriers.Code (ups, usps, fedex, dhl_express, correios,
--                  poste_italiane, royal_mail) or the name given for an unknown carrier
--   tracking_number normalised: upper case, no spaces
--   status         shipped, in_transit, out_for_delivery, delivered, exception, returned
--   warning        e.g. "unknown carrier: tracking number not checked"
CREATE TABLE shipments (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    order_id BIGINT NOT NULL REFERENCES orders (id),
    carrier TEXT NOT NULL,
    carrier_known BOOLEAN NOT NULL,
    tracking_number TEXT NOT NULL,
    tracking_url TEXT NOT NULL DEFAULT '',
    warning TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('shipped', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned')),
    shipped_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    last_event_at TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT shipments_order_tracking UNIQUE (order_id, carrier, tracking_number)
);
CREATE INDEX shipments_tracking ON shipments (tracking_number, carrier);
CREATE INDEX shipments_supplier_id ON shipments (supplier_id, id);
CREATE INDEX shipments_order_id ON shipments (order_id, id);
-- Open shipments, for stalled-tracking checks.
CREATE INDEX shipments_open ON shipments (status, last_event_at) WHERE delivered_at IS NULL;

-- The units of PO lines in a shipment.
CREATE TABLE shipment_lines (
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    purchase_order_line_id BIGINT NOT NULL REFERENCES purchase_order_lines (id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (shipment_id, purchase_order_line_id)
);
CREATE INDEX shipment_lines_po_line ON shipment_lines (purchase_order_line_id);

-- Carrier tracking events, deduplicated by the sender's event id.
CREATE TABLE tracking_events (
    id INTEGER PRIMARY KEY,
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    occurred_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    CONSTRAINT tracking_events_dedupe UNIQUE (source, event_id, shipment_id)
);
CREATE INDEX tracking_events_shipment_id ON tracking_events (shipment_id, occurred_at);

-- +goose Down
DROP TABLE tracking_events;
DROP TABLE shipment_lines;
DROP TABLE shipments;
DROP TABLE purchase_order_sends;
DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
DELETE FROM sqlite_sequence WHERE name = 'purchase_orders';
DROP TABLE supplier_fulfilment;
DROP TABLE routing_decisions;
DROP TABLE routing_settings;
DROP TABLE routing_rules;
