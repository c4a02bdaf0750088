-- +goose Up
-- Staff and supplier users. Emails are stored lower-cased, so the unique
-- constraint is case-insensitive. A supplier user belongs to exactly one
-- supplier; staff users to none.
CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operations', 'support', 'finance', 'read_only', 'supplier')),
    supplier_id BIGINT REFERENCES suppliers (id),
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    -- Sessions that began before this time are no longer valid (password
    -- change, role change, disabling).
    sessions_valid_after TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK ((role = 'supplier') = (supplier_id IS NOT NULL))
);
CREATE INDEX users_supplier_id ON users (supplier_id);

-- API tokens: only a SHA-256 hash of the token is kept.
CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operations', 'support', 'finance', 'read_only')),
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

-- Console sessions (scs). The token column holds a hash of the cookie value.
CREATE TABLE sessions (
    token TEXT PRIMARY KEY,
    data BYTEA NOT NULL,
    expiry TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

-- Failed logins, counted per account and per client IP to throttle guessing.
CREATE TABLE login_failures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope TEXT NOT NULL,  -- "account:EMAIL" or "ip:ADDRESS"
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_scope_at ON login_failures (scope, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- Security events: logins, tokens, user changes.
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_event_id ON audit_log (event, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE users;
