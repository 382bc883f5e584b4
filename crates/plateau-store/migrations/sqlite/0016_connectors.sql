-- Social and messaging connectors (sqlite). Kept in step with the other
-- backend's 0016_connectors.sql. A connector (a bridge to Twitter/X,
-- Facebook, WhatsApp…) signs what it posts to the inbound webhook with its
-- secret; a signature is accepted once (replays are refused), and each
-- network message once (external_id).
CREATE TABLE connectors (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    secret TEXT NOT NULL,
    outbound_url TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE webhook_signatures (
    connector_id BLOB NOT NULL REFERENCES connectors(id),
    signature TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (connector_id, signature)
);
CREATE INDEX webhook_signatures_age ON webhook_signatures (received_at);

-- One row per network message received; thread_id groups a network
-- conversation into one of ours while it is open.
CREATE TABLE social_messages (
    connector_id BLOB NOT NULL REFERENCES connectors(id),
    external_id TEXT NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    thread_id TEXT NOT NULL,
    conversation_id BLOB NOT NULL REFERENCES conversations(id),
    message_id BLOB,
    public BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (connector_id, external_id)
);
CREATE INDEX social_messages_thread ON social_messages (connector_id, thread_id, created_at);
CREATE INDEX social_messages_conversation ON social_messages (tenant_id, conversation_id);
