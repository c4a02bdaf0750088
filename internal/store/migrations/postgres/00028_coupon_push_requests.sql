-- +goose Up
-- "Push again" on a coupon (docs/coupons-refunds.md). River keeps one push job
-- per coupon while one waits or runs, so a request made while the job runs
-- adds no job, and that job may have read the targets before the request.
-- Each request counts here, in its own transaction; the job notes the count
-- before a pass, passes again if it moved, and marks itself completed only
-- in a transaction that holds this row and finds the count unchanged.
ALTER TABLE coupons ADD COLUMN push_requests BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE coupons DROP COLUMN push_requests;
