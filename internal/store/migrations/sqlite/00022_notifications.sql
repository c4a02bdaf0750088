-- +goose Up
-- Customer notifications (issue 8, items 1-3; docs/notifications.md, decision 0014).
--
-- notification_settings: one row, the store's SMTP server (used instead of the
-- --smtp-* flags when host is set) and its branding. The password is never
-- shown back; link_days is how long the customer's order link stays valid.
CREATE TABLE notification_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    smtp_host TEXT NOT NULL DEFAULT '',
    smtp_port INTEGER NOT NULL DEFAULT 0,
    smtp_username TEXT NOT NULL DEFAULT '',
    smtp_password TEXT NOT NULL DEFAULT '',
    smtp_tls TEXT NOT NULL DEFAULT '',
    store_name TEXT NOT NULL DEFAULT '',
    logo_url TEXT NOT NULL DEFAULT '',
    accent_color TEXT NOT NULL DEFAULT '',
    support_email TEXT NOT NULL DEFAULT '',
    from_address TEXT NOT NULL DEFAULT '',
    base_url TEXT NOT NULL DEFAULT '',
    link_days INTEGER NOT NULL DEFAULT 0,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);

-- notification_templates: the store's own subject and body for one kind and
-- locale, replacing the built-in one.
CREATE TABLE notification_templates (
    kind TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, locale)
);

-- notifications: one message to a customer and its delivery log. The unique
-- (order_id, kind, entry_id) is the send-once key: an event handler that runs
-- again (retry, restart, another instance) finds the row and adds nothing.
--   state  queued (waiting for its send job), sending (claimed by a send job),
--          sent (the mail server took it), failed (the last attempt failed;
--          retried while the job has attempts, else final until a resend)
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    entry_id BIGINT NOT NULL,
    locale TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    claimed_at TIMESTAMP,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (order_id, kind, entry_id)
);
CREATE INDEX notifications_state ON notifications (state, id);

-- +goose Down
DROP TABLE notifications;
DROP TABLE notification_templates;
DROP TABLE notification_settings;
