-- Advisors' routing profiles per brand (postgres). Kept in step with the other
-- backend's 0006_routing_profiles.sql. The profile is validated JSON (skills
-- and levels, languages, tier, capacity per channel): the router reads it
-- whole, and nothing queries inside it.
CREATE TABLE routing_profiles (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    user_id UUID NOT NULL REFERENCES users(id),
    profile TEXT NOT NULL,
    updated_by UUID REFERENCES users(id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
