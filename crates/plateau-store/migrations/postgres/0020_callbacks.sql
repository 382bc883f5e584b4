-- Callback appointments (postgres). Kept in step with the other backend's
-- 0020_callbacks.sql. A callback is a task in an existing conversation: call
-- the customer back at phone_number between not_before and deadline (UTC
-- microseconds; time_zone is the customer's IANA zone, kept for display),
-- preferably by preferred_advisor. state: scheduled, offered, done, missed or
-- cancelled; assigned_to is the advisor the router gave it to. The router
-- rebuilds its pending callbacks from this table on start.
CREATE TABLE callbacks (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    phone_number TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    preferred_advisor_id UUID REFERENCES users(id),
    assigned_to UUID REFERENCES users(id),
    state TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX callbacks_conversation ON callbacks (conversation_id, created_at);
CREATE INDEX callbacks_due ON callbacks (tenant_id, state, not_before);
