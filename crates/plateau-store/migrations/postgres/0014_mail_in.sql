-- Inbound e-mail (postgres). Kept in step with the other backend's 0014_mail_in.sql.
-- A receiver (SMTP/LMTP, IMAP) first writes the raw message to mail_inbound
-- and only then acknowledges it, so an accepted message survives a crash and
-- can always be processed again; mail_message_ids holds every Message-ID a
-- tenant received or sent, for threading and for dropping duplicates.

-- Which tenant (and team) a recipient address delivers to.
CREATE TABLE mailboxes (
    address TEXT PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    team_id UUID REFERENCES teams(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX mailboxes_tenant ON mailboxes (tenant_id, address);

-- state: pending (stored, not processed yet), ingested (became a message),
-- machine (auto-reply, bounce or bulk: stored, no conversation opened),
-- duplicate (a Message-ID seen before), dead (could not be processed;
-- detail says why; an administrator can replay or discard it), discarded.
CREATE TABLE mail_inbound (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    source TEXT NOT NULL,
    envelope_from TEXT NOT NULL,
    envelope_to TEXT NOT NULL,
    message_id TEXT,
    subject TEXT NOT NULL,
    raw BYTEA NOT NULL,
    size_bytes BIGINT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT,
    conversation_id UUID REFERENCES conversations(id),
    message_uuid UUID,
    attempts BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX mail_inbound_state ON mail_inbound (state, received_at);
CREATE INDEX mail_inbound_tenant ON mail_inbound (tenant_id, state, received_at);

-- inbound_id is the mail_inbound row that claimed an id first: processing
-- the same row again (after a crash) finds its own claim, any other row
-- with that id is a duplicate.
CREATE TABLE mail_message_ids (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    message_id TEXT NOT NULL,
    conversation_id UUID REFERENCES conversations(id),
    inbound_id UUID,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, message_id)
);
