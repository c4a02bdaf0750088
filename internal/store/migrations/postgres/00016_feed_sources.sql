-- +goose Up
-- Feed sources (issue 5): a supplier's feed pulled from a URL on a schedule,
-- with the validators of the last file (ETag, Last-Modified) and the outcome
-- of the last pull; and API tokens bound to one supplier, for the supplier
-- endpoints (the feed push). See docs/feeds.md and docs/permissions.md.

-- One row per supplier that has a URL. interval_seconds 0: no schedule (only
-- "pull now"). The auth header value is a secret: the API never shows it.
-- claimed_until is the row claim of the instance pulling it now: a pull
-- takes the row with a conditional UPDATE, so two instances never pull the
-- same supplier at once; a crashed pull's claim expires.
CREATE TABLE feed_sources (
    supplier_id BIGINT PRIMARY KEY REFERENCES suppliers (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    auth_header TEXT NOT NULL DEFAULT '',              -- header name, e.g. Authorization; '' none
    auth_value TEXT NOT NULL DEFAULT '',               -- its value (secret)
    interval_seconds INTEGER NOT NULL DEFAULT 0 CHECK (interval_seconds >= 0),
    timeout_seconds INTEGER NOT NULL DEFAULT 60 CHECK (timeout_seconds > 0),
    etag TEXT NOT NULL DEFAULT '',                     -- of the last file applied or unchanged
    last_modified TEXT NOT NULL DEFAULT '',            -- idem, as the server sent it
    validators_at TIMESTAMPTZ,                         -- when they were stored
    last_pull_at TIMESTAMPTZ,
    last_status TEXT NOT NULL DEFAULT '' CHECK (last_status IN ('', 'fetched', 'not_modified', 'failed')),
    last_error TEXT NOT NULL DEFAULT '',
    last_http_status INTEGER NOT NULL DEFAULT 0,
    last_run_id BIGINT REFERENCES feed_runs (id) ON DELETE SET NULL,
    next_pull_at TIMESTAMPTZ,                          -- NULL: not scheduled
    claimed_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX feed_sources_due ON feed_sources (next_pull_at) WHERE interval_seconds > 0;

-- API tokens may be bound to a supplier (role supplier).
ALTER TABLE api_tokens ADD COLUMN supplier_id BIGINT REFERENCES suppliers (id) ON DELETE CASCADE;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('owner', 'admin', 'operations', 'support', 'finance', 'read_only', 'supplier'));
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_supplier_check CHECK ((role = 'supplier') = (supplier_id IS NOT NULL));
CREATE INDEX api_tokens_supplier ON api_tokens (supplier_id) WHERE supplier_id IS NOT NULL;

-- +goose Down
DELETE FROM api_tokens WHERE supplier_id IS NOT NULL;
DROP INDEX api_tokens_supplier;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_supplier_check;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('owner', 'admin', 'operations', 'support', 'finance', 'read_only'));
ALTER TABLE api_tokens DROP COLUMN supplier_id;
DROP TABLE feed_sources;
