-- +goose Up
-- Staff and supplier users. Emails are stored lower-cased, so the unique
-- constraint is case-insensitive. A supplier user belongs to exactly one
-- supplier; staff users to none.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operations', 'support', 'finance', 'read_only', 'supplier')),
    supplier_id INTEGER REFERENCES suppliers (id),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    -- Sessions that began before this time are no longer valid (password
    -- change, role change, disabling).
    sessions_valid_after TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((role = 'supplier') = (supplier_id IS NOT NULL))
);
CREATE INDEX users_supplier_id ON users (supplier_id);

-- API tokens: only a SHA-256 hash of the token is kept.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operations', 'support', 'finance', 'read_only')),
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);

-- Console sessions (scs). The token column holds a hash of the cookie value.
CREATE TABLE sessions (
    token TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    expiry TIMESTAMP NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

-- Failed logins, counted per account and per client IP to throttle guessing.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,  -- "account:EMAIL" or "ip:ADDRESS"
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_scope_at ON login_failures (scope, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- Security events: logins, tokens, user changes.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
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
