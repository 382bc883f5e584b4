-- Replies to social and messaging networks (sqlite). Kept in step with the other
-- backend's 0022_webhook_out.sql. An advisor's reply in a conversation that
-- came through a connector is queued here in the same transaction as the
-- message, and a worker posts it, signed, to the connector's outbound URL,
-- retrying with backoff while the connector is down. States as mail_outbox:
-- queued, sending, sent, failed (last_error says why).
CREATE TABLE webhook_outbox (
    message_id BLOB PRIMARY KEY REFERENCES messages(id),
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    conversation_id BLOB NOT NULL REFERENCES conversations(id),
    connector_id BLOB REFERENCES connectors(id),
    thread_id TEXT NOT NULL,
    in_reply_to TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    response_status BIGINT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_attempt_at);
CREATE INDEX webhook_outbox_conversation ON webhook_outbox (tenant_id, conversation_id);
