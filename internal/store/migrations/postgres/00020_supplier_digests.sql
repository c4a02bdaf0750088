-- +goose Up
-- The daily follow-up with each supplier (issue 7, item 6; docs/followup.md):
-- one digest per supplier and local day, claimed by inserting its row, so two
-- instances (or a retry) never send it twice. The body is kept: the supplier
-- console shows past digests.
--   local_day  YYYY-MM-DD in the supplier's time zone
--   status     sending (claimed), sent, failed, no_recipient, empty (nothing to report: not sent)
CREATE TABLE supplier_digests (
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    local_day TEXT NOT NULL,
    locale TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'no_recipient', 'empty')),
    recipients TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (supplier_id, local_day)
);

-- +goose Down
DROP TABLE supplier_digests;
