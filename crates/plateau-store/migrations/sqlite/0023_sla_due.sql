-- The most urgent running SLA clock of each open conversation (sqlite). Kept in
-- step with the other backend's 0023_sla_due.sql. Derived data, like the
-- search index: the SLA watcher recomputes a row from the conversation's
-- history whenever the conversation changes, when its check_at comes (the
-- next warning or breach), and in full when policies change. It lets the
-- inbox sort by "breaching soon" and the watcher look only at conversations
-- whose clocks have something to report.
CREATE TABLE sla_due (
    conversation_id BLOB PRIMARY KEY REFERENCES conversations(id),
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    metric TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    warning BOOLEAN NOT NULL,
    breached BOOLEAN NOT NULL,
    check_at BIGINT,
    computed_at BIGINT NOT NULL
);
CREATE INDEX sla_due_order ON sla_due (tenant_id, due_at, conversation_id);
CREATE INDEX sla_due_check ON sla_due (check_at);
