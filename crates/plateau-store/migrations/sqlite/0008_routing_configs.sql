-- Each brand's queues and workflows (sqlite). Kept in step with the other
-- backend's 0008_routing_configs.sql. The configuration is the validated JSON
-- of plateau-core's RoutingConfig; version guards concurrent edits.
CREATE TABLE routing_configs (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants(id),
    config TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_by BLOB REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
