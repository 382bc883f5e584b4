-- SLA warnings and breaches already announced (sqlite). Kept in step with the
-- other backend's 0017_sla_notices.sql. The SLA watcher computes clocks from
-- each open conversation's history; a notice row makes each warning and
-- breach an event exactly once, across restarts and server processes. The
-- due instant is part of the key, so a new next-response cycle can warn again.
CREATE TABLE sla_notices (
    conversation_id BLOB NOT NULL REFERENCES conversations(id),
    metric TEXT NOT NULL,
    kind TEXT NOT NULL,
    due BIGINT NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, metric, kind, due)
);
