-- Foundation schema (PostgreSQL). Kept in step with ../sqlite/0001_foundation.sql:
-- same tables, columns and indexes; only the column types differ.
-- Ids are UUIDv7 as native UUID; times are BIGINT microseconds since the epoch (UTC).

CREATE TABLE tenants (
    id UUID PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    next_number BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE sites (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sites_tenant ON sites (tenant_id);

CREATE TABLE teams (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    site_id UUID REFERENCES sites(id),
    name TEXT NOT NULL,
    tier TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX teams_tenant ON teams (tenant_id);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    locale TEXT NOT NULL,
    platform_admin BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    user_id UUID NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    team_id UUID REFERENCES teams(id),
    site_id UUID REFERENCES sites(id),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE customers (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    age_band TEXT,
    tech_appetite TEXT,
    value_tier TEXT,
    contract_tier TEXT NOT NULL,
    language TEXT NOT NULL,
    preferred_channel TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_tenant_name ON customers (tenant_id, name);

CREATE TABLE customer_identities (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    customer_id UUID NOT NULL REFERENCES customers(id),
    PRIMARY KEY (tenant_id, kind, value)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE conversations (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    number BIGINT NOT NULL,
    customer_id UUID NOT NULL REFERENCES customers(id),
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    reason TEXT,
    assignee_id UUID REFERENCES users(id),
    team_id UUID REFERENCES teams(id),
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    preview TEXT NOT NULL,
    message_count BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_message_at BIGINT NOT NULL,
    UNIQUE (tenant_id, number)
);
-- Inbox views page by (updated_at, id) descending within a tenant.
CREATE INDEX conversations_recent ON conversations (tenant_id, updated_at, id);
CREATE INDEX conversations_status ON conversations (tenant_id, status, updated_at, id);
CREATE INDEX conversations_assignee ON conversations (tenant_id, assignee_id, updated_at, id);
CREATE INDEX conversations_team ON conversations (tenant_id, team_id, updated_at, id);
CREATE INDEX conversations_customer ON conversations (customer_id, updated_at);

CREATE TABLE conversation_tags (
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    tag TEXT NOT NULL,
    tenant_id UUID NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tenant_id, tag);

CREATE TABLE messages (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    direction TEXT NOT NULL,
    channel TEXT NOT NULL,
    author_id UUID REFERENCES users(id),
    body TEXT NOT NULL,
    attachments TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

-- Append-only: rows are inserted in the transaction of the change they record
-- and never updated or deleted.
CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id UUID,
    kind TEXT NOT NULL,
    subject_id UUID,
    actor_id UUID,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Identity values are taken before commit, so a reader could see id 11
    -- before id 10 commits. Readers only take rows whose transaction is older
    -- than every running one (see events.rs), so a tail never skips an event.
    txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX events_tenant ON events (tenant_id, id);
CREATE INDEX events_subject ON events (subject_id, id);
