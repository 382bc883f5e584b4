-- Calls from a PBX, scanned letters and customer merges (postgres). Kept in
-- step with the other backend's 0021_voice_letters_merges.sql.

-- One row per PBX call: the state its last accepted event left it in, and
-- the conversation its events show in. A call is known by the connector
-- that reported it and the PBX's own id.
CREATE TABLE calls (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    connector_id UUID NOT NULL REFERENCES connectors(id),
    call_id TEXT NOT NULL,
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    state TEXT NOT NULL,
    caller TEXT NOT NULL,
    dialled TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (connector_id, call_id)
);
CREATE INDEX calls_conversation ON calls (tenant_id, conversation_id);

-- Every accepted event; the key makes a second delivery of the same
-- (call, event, instant) a duplicate rather than a second event.
CREATE TABLE call_events (
    call_uuid UUID NOT NULL REFERENCES calls(id),
    event TEXT NOT NULL,
    at BIGINT NOT NULL,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (call_uuid, event, at)
);

-- The metadata an advisor typed in for a scanned letter; the scan itself
-- is in blobs, and the letter opened the conversation.
CREATE TABLE letters (
    conversation_id UUID PRIMARY KEY REFERENCES conversations(id),
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    sender_name TEXT NOT NULL,
    postal_address TEXT NOT NULL,
    received_on TEXT NOT NULL,
    reference TEXT NOT NULL,
    summary TEXT NOT NULL,
    blob_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_by UUID,
    created_at BIGINT NOT NULL
);

-- A merged customer keeps its row (its id may be quoted elsewhere) and
-- points at the survivor.
ALTER TABLE customers ADD COLUMN merged_into UUID;

-- What each merge moved, so that undoing it moves exactly that back.
-- identities and conversations are JSON arrays.
CREATE TABLE customer_merges (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    survivor_id UUID NOT NULL REFERENCES customers(id),
    merged_id UUID NOT NULL REFERENCES customers(id),
    identities TEXT NOT NULL,
    conversations TEXT NOT NULL,
    created_by UUID,
    created_at BIGINT NOT NULL,
    undone_by UUID,
    undone_at BIGINT
);
CREATE INDEX customer_merges_survivor ON customer_merges (tenant_id, survivor_id, created_at);
