-- Guided diagnostic trees (sqlite). Kept in step with the other backend's
-- 0009_trees.sql. A tree has one editable draft and immutable published
-- versions; sessions record an advisor's walk through one version.

CREATE TABLE trees (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    title TEXT NOT NULL,
    -- JSON lists: the conversation reasons and product codes that suggest it.
    reasons TEXT NOT NULL,
    products TEXT NOT NULL,
    -- The draft as plateau-core's tree JSON; revision guards concurrent edits.
    draft TEXT NOT NULL,
    revision BIGINT NOT NULL,
    -- 0 while never published.
    published_version BIGINT NOT NULL,
    created_by BLOB REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_by BLOB REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
CREATE INDEX trees_tenant ON trees (tenant_id, title);

-- Never updated once written: sessions and analytics name a version.
CREATE TABLE tree_versions (
    tree_id BLOB NOT NULL REFERENCES trees(id),
    version BIGINT NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_by BLOB REFERENCES users(id),
    published_at BIGINT NOT NULL,
    PRIMARY KEY (tree_id, version)
);

CREATE TABLE tree_sessions (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    tree_id BLOB NOT NULL REFERENCES trees(id),
    version BIGINT NOT NULL,
    conversation_id BLOB NOT NULL REFERENCES conversations(id),
    customer_id BLOB NOT NULL REFERENCES customers(id),
    advisor_id BLOB REFERENCES users(id),
    -- The versions of the sub-trees the walk may jump into, fixed at start
    -- (JSON map of tree id to version) so a replay sees the same screens.
    subtrees TEXT NOT NULL,
    -- The runner's full path (JSON) and its compact trail for analytics.
    path TEXT NOT NULL,
    trail TEXT NOT NULL,
    outcome TEXT,
    revision BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX tree_sessions_version ON tree_sessions (tree_id, version);
CREATE INDEX tree_sessions_conversation ON tree_sessions (conversation_id, started_at);

-- Media for tree screens (images, audio, video), keyed per tenant. Kept in
-- the database until the channels issue brings the object store, so a
-- published tree and its media commit together.
CREATE TABLE blobs (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    blob_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    data BLOB NOT NULL,
    created_by BLOB REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, blob_key)
);
