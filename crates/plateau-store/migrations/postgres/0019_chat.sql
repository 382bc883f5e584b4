-- The web chat (postgres). Kept in step with the other backend's 0019_chat.sql.
-- A brand turns its chat on (chat_settings); each widget session holds a
-- token (only its SHA-256 is stored) that resumes the same conversation
-- after a reload. state: live (open hours), offline (a message left while
-- closed; replies go by e-mail), ended (the customer said goodbye).
CREATE TABLE chat_settings (
    tenant_id UUID PRIMARY KEY REFERENCES tenants(id),
    enabled BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE chat_sessions (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    conversation_id UUID REFERENCES conversations(id),
    customer_id UUID REFERENCES customers(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX chat_sessions_conversation ON chat_sessions (tenant_id, conversation_id);
