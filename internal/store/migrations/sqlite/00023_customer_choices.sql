-- +goose Up
-- The customer's choices on a waiting or delayed line and the backorder
-- consent deadline (issue 8, docs/customer-page.md, decision 0015).
--
-- order_lines.backordered_at: when the line's units started waiting for a
-- restock (the episode the customer is asked about). orders.saveLine keeps it:
-- set when a line becomes backordered, kept while it stays so, cleared when no
-- unit waits. A line placed backordered has NULL here and its created_at is
-- the time (Place writes nothing more).
ALTER TABLE order_lines ADD COLUMN backordered_at TIMESTAMP;

-- The customer's latest answer per line (the timeline keeps every answer).
--   choice       wait (accepts the expected date), swap, cancel
--   expected_at  wait: the restock date the customer accepted (NULL: none known)
--   swap_line_id swap: the line that replaced it
CREATE TABLE order_line_choices (
    line_id BIGINT PRIMARY KEY REFERENCES order_lines (id),
    order_id BIGINT NOT NULL REFERENCES orders (id),
    choice TEXT NOT NULL CHECK (choice IN ('wait', 'swap', 'cancel')),
    expected_at TIMESTAMP,
    swap_line_id BIGINT REFERENCES order_lines (id),
    actor TEXT NOT NULL,
    chosen_at TIMESTAMP NOT NULL
);
CREATE INDEX order_line_choices_order_id ON order_line_choices (order_id);

-- The store's backorder consent setting: one row.
--   deadline_hours  a backordered line whose customer has not accepted the
--                   wait this many hours after it was backordered is cancelled
--                   (0: the customer is not asked and nothing is cancelled)
--   asking_since    lines backordered before this are never cancelled by the
--                   deadline (their customers were never asked); NULL: all.
--                   A store that already has orders when this migration runs
--                   starts asking now; a new one from its first order.
CREATE TABLE backorder_consent_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    deadline_hours INTEGER NOT NULL CHECK (deadline_hours BETWEEN 0 AND 2160),
    asking_since TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
-- Times are integer microseconds since the epoch on SQLite (store.Open).
INSERT INTO backorder_consent_settings (id, deadline_hours, asking_since, updated_at)
SELECT 1, 72,
    CASE WHEN EXISTS (SELECT 1 FROM orders) THEN CAST(unixepoch('subsec') * 1000000 AS INTEGER) END,
    CAST(unixepoch('subsec') * 1000000 AS INTEGER);

-- +goose Down
DROP TABLE backorder_consent_settings;
DROP TABLE order_line_choices;
ALTER TABLE order_lines DROP COLUMN backordered_at;
