-- +goose Up
-- Outbound webhooks for integrators (issue 8, item 7; decision 0017;
-- docs/webhooks.md). Not to be confused with webhook_deliveries (00008),
-- which deduplicates the webhooks Shopify sends us.
--
-- A subscription is a URL that receives signed POSTs of the order events it
-- lists; secret is the HMAC key (shown once, at creation).
--   events  JSON array of event types ("order.placed", ...) or ["*"]
CREATE TABLE webhook_subscriptions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL DEFAULT '["*"]',
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- One row per order event that at least one subscription wanted: the order
-- as it was when the event was handled (data, JSON), so every subscription
-- and every attempt sends the same body. An event is (event, order, timeline
-- entry): a retried event job finds its row. A test event has no order.
CREATE TABLE webhook_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event TEXT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    entry_id BIGINT NOT NULL DEFAULT 0,
    occurred_at TIMESTAMPTZ NOT NULL,
    data TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (event, order_id, entry_id)
);

-- One delivery of one event to one subscription (unique: a retried event job
-- never adds a second). Claimed for an attempt by setting lease_until, so two
-- instances never send it at once.
--   state  pending (an attempt is due at next_attempt_at), delivered, failed (gave up)
CREATE TABLE webhook_sends (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES webhook_events (id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    lease_until TIMESTAMPTZ,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_sends_event ON webhook_sends (event_id);

-- Each HTTP attempt of a delivery: automatic, a replay by a user, or a test.
--   status  the HTTP status, 0 when there was no response
--   outcome delivered, retry (another attempt is scheduled), failed
CREATE TABLE webhook_send_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    send_id BIGINT NOT NULL REFERENCES webhook_sends (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('auto', 'replay', 'test')),
    actor TEXT NOT NULL DEFAULT '',
    started_at TIMESTAMPTZ NOT NULL,
    duration_ms INTEGER NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    response TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed'))
);
CREATE INDEX webhook_send_attempts_send ON webhook_send_attempts (send_id);

-- +goose Down
DROP TABLE webhook_send_attempts;
DROP TABLE webhook_sends;
DROP TABLE webhook_events;
DROP TABLE webhook_subscriptions;
