-- Arrival counts per hour (the staffing forecast) scan conversations by
-- creation time within a tenant. Kept in step with ../postgres/0002_arrivals_index.sql.
CREATE INDEX conversations_created ON conversations (tenant_id, created_at);
