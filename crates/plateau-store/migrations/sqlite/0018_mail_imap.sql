-- IMAP polling of mailboxes (sqlite). Kept in step with the other backend's 0018_mail_imap.sql.
-- A mailbox may also be fetched from an IMAP server. The poller stores each
-- message in mail_inbound before it advances last_uid or marks the message
-- \Seen, so a crash refetches at most a few (dropped by Message-ID) and
-- loses none. UIDs only mean something within one uid_validity.
-- The password is kept to log in again at every poll; the API never returns it.
CREATE TABLE mailbox_imap (
    address TEXT PRIMARY KEY REFERENCES mailboxes(address) ON DELETE CASCADE,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    host TEXT NOT NULL,
    port BIGINT NOT NULL,
    security TEXT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    folder TEXT NOT NULL,
    poll_seconds BIGINT NOT NULL,
    ca_pem TEXT,
    uid_validity BIGINT,
    last_uid BIGINT NOT NULL,
    last_polled_at BIGINT,
    last_ok_at BIGINT,
    last_error TEXT,
    failures BIGINT NOT NULL,
    fetched BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX mailbox_imap_tenant ON mailbox_imap (tenant_id, address);

-- The sanitised HTML of a received e-mail message, shown on request next to
-- its text version (the message body). Only HTML that went through the
-- sanitiser is stored here.
CREATE TABLE mail_message_html (
    message_id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    conversation_id BLOB NOT NULL REFERENCES conversations(id),
    html TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_message_html_conversation ON mail_message_html (tenant_id, conversation_id);
