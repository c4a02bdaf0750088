-- +goose Up
-- Responses to POST requests that carried an Idempotency-Key, replayed on retry.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY,
    principal TEXT NOT NULL,        -- who sent it: keys are scoped per caller
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    request_hash TEXT NOT NULL,     -- sha256 of method, path and body
    status INTEGER NOT NULL DEFAULT 0, -- 0 while the first request is still running
    response_headers TEXT NOT NULL DEFAULT '{}',
    response_body BLOB,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (principal, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
