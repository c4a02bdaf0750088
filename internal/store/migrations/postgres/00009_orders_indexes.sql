-- +goose Up
-- Indexes for the orders list's filters and search (console and API), found
-- by BenchmarkConsoleOrders on 100k orders (internal/web/console_orders_bench_test.go):
-- the storefront's id on its own (search by external id: the unique index
-- leads with channel), and the few lines that wait for stock, so "backordered"
-- and "pre-ordered" look up a small index instead of every order's lines.
CREATE INDEX orders_external_id ON orders (external_id);
CREATE INDEX order_lines_backordered_order ON order_lines (order_id) WHERE qty_backordered > 0;
CREATE INDEX order_lines_preordered_order ON order_lines (order_id) WHERE qty_preordered > 0;

-- +goose Down
DROP INDEX order_lines_preordered_order;
DROP INDEX order_lines_backordered_order;
DROP INDEX orders_external_id;
