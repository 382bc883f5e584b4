-- Outbound e-mail (sqlite). Kept in step with the other backend's 0015_mail_out.sql.
-- A reply by e-mail is queued here in the same transaction as the message
-- itself, so no reply is lost while the SMTP relay is down; the sender
-- worker delivers it, retrying with backoff, and records how it went.
-- state: queued (waiting or between retries), sending (taken by a worker;
-- back to queued if it died), sent, failed (a permanent refusal, or too many
-- attempts; last_error says why).
CREATE TABLE mail_outbox (
    message_id BLOB PRIMARY KEY REFERENCES messages(id),
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    conversation_id BLOB NOT NULL REFERENCES conversations(id),
    to_address TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    smtp_message_id TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);
CREATE INDEX mail_outbox_conversation ON mail_outbox (tenant_id, conversation_id);
