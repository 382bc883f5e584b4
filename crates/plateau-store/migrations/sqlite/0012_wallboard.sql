-- The supervisor's wallboard (sqlite). Kept in step with the other backend's
-- 0012_wallboard.sql. On PostgreSQL only the process holding a tenant's
-- router knows its live state, so that process publishes it here (every few
-- seconds and on change) and any process serves the wallboard from it.
-- One row per queue; the row with queue '' carries the tenant's advisors
-- by state (an advisor serving several queues is counted once there).
CREATE TABLE routing_snapshots (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    queue TEXT NOT NULL,
    waiting BIGINT NOT NULL,
    oldest_since BIGINT,
    advisors TEXT NOT NULL,
    written_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, queue)
);
-- One row per answered or abandoned contact, as the router counted it in its
-- queue's service level (kind: answered_within, answered_late, abandoned,
-- short_abandon), so today's figures survive restarts and hand-overs.
CREATE TABLE routing_outcomes (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    conversation_id BLOB NOT NULL REFERENCES conversations(id),
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    waited_micros BIGINT NOT NULL,
    at BIGINT NOT NULL
);
-- Today's counts read this index alone.
CREATE INDEX routing_outcomes_day ON routing_outcomes (tenant_id, at, queue, kind);
