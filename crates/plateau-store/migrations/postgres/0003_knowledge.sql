-- Knowledge base (PostgreSQL). Kept in step with ../sqlite/0003_knowledge.sql:
-- same tables, columns and indexes; only the column types differ.
-- Full-text search is tantivy's job: nothing here indexes article text.

-- The catalogue of products and offers. An offer names the product it is
-- for, a product its family, through parent_id.
CREATE TABLE products (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    attributes TEXT NOT NULL,
    parent_id UUID REFERENCES products(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, code)
);
CREATE INDEX products_parent ON products (tenant_id, parent_id);

-- The current version of each article; every version is also kept in
-- article_versions. `version` guards edits (optimistic concurrency).
CREATE TABLE articles (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    number BIGINT NOT NULL,
    language TEXT NOT NULL,
    translation_group UUID,
    state TEXT NOT NULL,
    audience TEXT NOT NULL,
    title TEXT NOT NULL,
    issue TEXT NOT NULL,
    environment TEXT NOT NULL,
    resolution TEXT NOT NULL,
    cause TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by UUID REFERENCES users(id),
    updated_by UUID REFERENCES users(id),
    view_count BIGINT NOT NULL DEFAULT 0,
    reuse_count BIGINT NOT NULL DEFAULT 0,
    helpful_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, number)
);
-- At most one article per language in a translation group (NULLs are distinct).
CREATE UNIQUE INDEX articles_translation ON articles (translation_group, language);
CREATE INDEX articles_recent ON articles (tenant_id, updated_at, id);
CREATE INDEX articles_state ON articles (tenant_id, state, updated_at, id);
CREATE INDEX articles_tenant_id ON articles (tenant_id, id);

CREATE TABLE article_tags (
    article_id UUID NOT NULL REFERENCES articles(id),
    tag TEXT NOT NULL,
    tenant_id UUID NOT NULL,
    PRIMARY KEY (article_id, tag)
);
CREATE INDEX article_tags_tag ON article_tags (tenant_id, tag);

CREATE TABLE article_products (
    article_id UUID NOT NULL REFERENCES articles(id),
    product_id UUID NOT NULL REFERENCES products(id),
    tenant_id UUID NOT NULL,
    PRIMARY KEY (article_id, product_id)
);
CREATE INDEX article_products_product ON article_products (tenant_id, product_id);

-- Every version, never updated: tags and product ids as JSON arrays, since
-- a version is only ever read whole.
CREATE TABLE article_versions (
    article_id UUID NOT NULL REFERENCES articles(id),
    version BIGINT NOT NULL,
    tenant_id UUID NOT NULL,
    language TEXT NOT NULL,
    state TEXT NOT NULL,
    audience TEXT NOT NULL,
    title TEXT NOT NULL,
    issue TEXT NOT NULL,
    environment TEXT NOT NULL,
    resolution TEXT NOT NULL,
    cause TEXT NOT NULL,
    tags TEXT NOT NULL,
    product_ids TEXT NOT NULL,
    note TEXT NOT NULL,
    author_id UUID REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, version)
);

CREATE TABLE faq_entries (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    language TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    article_id UUID REFERENCES articles(id),
    product_id UUID REFERENCES products(id),
    position BIGINT NOT NULL,
    published BOOLEAN NOT NULL,
    updated_by UUID REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX faq_entries_feed ON faq_entries (tenant_id, language, position);

CREATE TABLE synonym_sets (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    language TEXT NOT NULL,
    rules TEXT NOT NULL,
    updated_by UUID REFERENCES users(id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, language)
);

-- The search log, for analytics. `normalized` groups spellings of one query.
CREATE TABLE search_queries (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    user_id UUID REFERENCES users(id),
    query TEXT NOT NULL,
    normalized TEXT NOT NULL,
    language TEXT,
    surface TEXT NOT NULL,
    result_count BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX search_queries_recent ON search_queries (tenant_id, created_at);

-- The first few article ids each search returned (bounded, see LOGGED_RESULTS).
-- No foreign key: the index may briefly return an id the log outlives.
CREATE TABLE search_results (
    query_id UUID NOT NULL REFERENCES search_queries(id),
    rank BIGINT NOT NULL,
    article_id UUID NOT NULL,
    tenant_id UUID NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (query_id, rank)
);
CREATE INDEX search_results_article ON search_results (tenant_id, article_id, created_at);

-- What followed a search: an article opened or linked.
CREATE TABLE search_outcomes (
    query_id UUID NOT NULL REFERENCES search_queries(id),
    kind TEXT NOT NULL,
    article_id UUID NOT NULL REFERENCES articles(id),
    tenant_id UUID NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (query_id, kind, article_id)
);
CREATE INDEX search_outcomes_tenant ON search_outcomes (tenant_id, kind, created_at);

-- Articles used to answer conversations: one row per pair, so reuse is
-- counted once per conversation.
CREATE TABLE article_links (
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    article_id UUID NOT NULL REFERENCES articles(id),
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    linked_by UUID REFERENCES users(id),
    search_query_id UUID REFERENCES search_queries(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, article_id)
);
CREATE INDEX article_links_article ON article_links (tenant_id, article_id, created_at);

CREATE TABLE article_flags (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    article_id UUID NOT NULL REFERENCES articles(id),
    reason TEXT NOT NULL,
    comment TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by UUID REFERENCES users(id),
    created_at BIGINT NOT NULL,
    resolved_by UUID REFERENCES users(id),
    resolved_at BIGINT,
    resolution_note TEXT NOT NULL
);
CREATE INDEX article_flags_status ON article_flags (tenant_id, status, created_at);
CREATE INDEX article_flags_article ON article_flags (article_id, created_at);
