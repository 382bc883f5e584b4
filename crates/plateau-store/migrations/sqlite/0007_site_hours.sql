-- Opening hours and holidays per site (sqlite). Kept in step with the other
-- backend's 0007_site_hours.sql. Stored as the text people wrote (validated
-- by plateau-core's opening_hours parser), read back into a calendar; no
-- query looks inside. A site without a row is open around the clock.
CREATE TABLE site_hours (
    site_id BLOB PRIMARY KEY REFERENCES sites(id),
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    hours TEXT NOT NULL,
    holidays TEXT NOT NULL,
    updated_by BLOB REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
