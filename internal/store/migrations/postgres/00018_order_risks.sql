-- +goose Up
-- At-risk orders (issue 6, docs/promise.md "At-risk orders"): the flags the
-- periodic at-risk job raises on open orders that will miss their promised
-- window. One open flag (cleared_at NULL) per order and reason; a cleared
-- flag stays as history and a new one may be raised later.
--   reason  not_sent, not_shipped, restock_late, late (orders.RiskReason)
--   detail  the human text, stable while the condition holds
CREATE TABLE order_risks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    flagged_at TIMESTAMPTZ NOT NULL,
    cleared_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX order_risks_open ON order_risks (order_id, reason) WHERE cleared_at IS NULL;
-- The orders list filter (?at_risk=true, newest first) and the history of an order.
CREATE INDEX order_risks_open_reason ON order_risks (reason, order_id) WHERE cleared_at IS NULL;
CREATE INDEX order_risks_order_id ON order_risks (order_id, id);

-- +goose Down
DROP TABLE order_risks;
