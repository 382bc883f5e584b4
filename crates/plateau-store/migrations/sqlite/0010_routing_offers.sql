-- The router's current offer per conversation (sqlite). Kept in step with the
-- other backend's 0010_routing_offers.sql. One row per conversation, replaced
-- by each new offer; state is pending, accepted, rejected or lapsed. Accept
-- and lapse race on `state = 'pending'`, so exactly one of them wins.
CREATE TABLE routing_offers (
    conversation_id BLOB PRIMARY KEY REFERENCES conversations(id),
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    advisor_id BLOB NOT NULL REFERENCES users(id),
    state TEXT NOT NULL,
    offered_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX routing_offers_advisor ON routing_offers (advisor_id, state);
