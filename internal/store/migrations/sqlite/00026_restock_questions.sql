-- +goose Up
-- Restock questions (issue 8, item 5; docs/out-of-stock.md): when units of a
-- variant are backordered and no restock date is known, Orderly asks each
-- supplier offering it. At most one open question per (supplier, variant),
-- however many orders wait: the partial unique index is the claim, so a
-- retried event or another instance inserts nothing.
--   status  open, answered, closed (a date became known another way, or no unit waits any more)
--   answer  date, discontinued, unknown (set when answered)
CREATE TABLE restock_questions (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    variant_id BIGINT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    offer_id BIGINT NOT NULL REFERENCES supplier_offers (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    answer TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'date', 'discontinued', 'unknown')),
    expected_at TIMESTAMP,
    note TEXT NOT NULL DEFAULT '',
    answered_by TEXT NOT NULL DEFAULT '',
    closed_reason TEXT NOT NULL DEFAULT '',
    asked_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX restock_questions_open ON restock_questions (supplier_id, variant_id) WHERE status = 'open';
CREATE INDEX restock_questions_supplier ON restock_questions (supplier_id, status, id);
CREATE INDEX restock_questions_variant ON restock_questions (variant_id, status);

-- +goose Down
DROP TABLE restock_questions;
