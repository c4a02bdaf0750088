-- +goose Up
-- Apology coupons and refund records (issue 8, item 6; docs/coupons-refunds.md,
-- decision 0016).
--
-- The store's apology-coupon policy: one row (id 1). kind percent takes
-- percent (whole percent, 1..100); kind amount takes amount in minor units of
-- currency (the store's currency).
CREATE TABLE coupon_policy (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    enabled BOOLEAN NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('percent', 'amount')),
    percent INTEGER NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    amount BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
    currency TEXT NOT NULL DEFAULT '',
    validity_days INTEGER NOT NULL CHECK (validity_days BETWEEN 1 AND 3650),
    prefix TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL
);

-- Coupons. source apology: issued by Orderly for an order and a reason (at
-- most one per order and reason); manual: issued by staff. A coupon is used
-- once: used_at is set by a conditional UPDATE that only one caller wins.
CREATE TABLE coupons (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('apology', 'manual')),
    kind TEXT NOT NULL CHECK (kind IN ('percent', 'amount')),
    percent INTEGER NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    amount BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
    currency TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    reason TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    used_ref TEXT NOT NULL DEFAULT '',  -- what it was used on (the storefront's order), as reported
    used_by TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX coupons_apology ON coupons (order_id, reason) WHERE source = 'apology';
CREATE INDEX coupons_order_id ON coupons (order_id, id);
CREATE INDEX coupons_created_at ON coupons (created_at, id);

-- A coupon's delivery to each storefront target: claimed by a lease
-- (claimed_until), done once pushed_at is set (or skipped: the target cannot
-- take it). Never sent again once done.
CREATE TABLE coupon_pushes (
    coupon_id BIGINT NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
    target_id BIGINT NOT NULL REFERENCES storefront_targets (id) ON DELETE CASCADE,
    pushed_at TIMESTAMPTZ,
    skipped TEXT NOT NULL DEFAULT '',   -- why the target cannot take the coupon
    remote_id TEXT NOT NULL DEFAULT '', -- the storefront's id of the discount
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    claimed_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (coupon_id, target_id)
);

-- Refund state beside order_payments (whose refund rows the orders package
-- writes): a refund with no row here is pending; a row says it was issued to
-- the customer, once (the primary key refuses a second issue).
CREATE TABLE refund_issues (
    payment_id BIGINT PRIMARY KEY REFERENCES order_payments (id),
    issued_at TIMESTAMPTZ NOT NULL,
    issued_by TEXT NOT NULL,
    provider_ref TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_payments_kind_created ON order_payments (kind, created_at, id);

-- +goose Down
DROP INDEX order_payments_kind_created;
DROP TABLE refund_issues;
DROP TABLE coupon_pushes;
DROP TABLE coupons;
DROP TABLE coupon_policy;
