-- Analytics counters per published tree version (sqlite). Kept in step with the
-- other backend's 0013_tree_tallies.sql. Each walk's start and step adds the
-- change it makes to these counters (plateau_core::tree::tally) in the same
-- transaction as the step, so a report reads counters, not every trail.
-- The row with key 'tally' marks a version counted from its first session:
-- versions published before this migration have none and are reported by
-- reading their trails, as before.
CREATE TABLE tree_tallies (
    tree_id BLOB NOT NULL REFERENCES trees(id),
    version BIGINT NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    key TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (tree_id, version, key)
);
-- Unjustified returns read only the resolved walks of a version: who and
-- when. The index holds every column that read needs, so it never touches
-- the table, whose rows carry the (large) paths.
CREATE INDEX tree_sessions_outcome ON tree_sessions (tree_id, version, outcome, tenant_id, conversation_id, finished_at);
