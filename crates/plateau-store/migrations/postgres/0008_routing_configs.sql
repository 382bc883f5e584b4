-- Each brand's queues and workflows (postgres). Kept in step with the other
-- backend's 0008_routing_configs.sql. The configuration is the validated JSON
-- of plateau-core's RoutingConfig; version guards concurrent edits.
CREATE TABLE routing_configs (
    tenant_id UUID PRIMARY KEY REFERENCES tenants(id),
    config TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_by UUID REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
