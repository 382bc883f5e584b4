-- The advisors' forum (postgres). Kept in step with the other backend's
-- 0011_forum.sql. A thread's question is its first post; every post edit is
-- kept in forum_revisions; counts shown on posts are read from their tables.

CREATE TABLE forum_threads (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    title TEXT NOT NULL,
    product_id UUID REFERENCES products(id),
    -- JSON list; forum_thread_tags holds the same tags for filtering.
    tags TEXT NOT NULL,
    conversation_id UUID REFERENCES conversations(id),
    customer_words TEXT NOT NULL,
    tried TEXT NOT NULL,
    author_id UUID REFERENCES users(id),
    status TEXT NOT NULL,
    accepted_post_id UUID,
    promoted_article_id UUID REFERENCES articles(id),
    -- Defect escalation: 0 while the thread is not a defect.
    defect BOOLEAN NOT NULL,
    escalated_to TEXT NOT NULL,
    escalation_ref TEXT NOT NULL,
    escalated_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX forum_threads_recent ON forum_threads (tenant_id, updated_at, id);
CREATE INDEX forum_threads_product ON forum_threads (tenant_id, product_id, updated_at);

CREATE TABLE forum_thread_tags (
    thread_id UUID NOT NULL REFERENCES forum_threads(id),
    tag TEXT NOT NULL,
    tenant_id UUID NOT NULL,
    PRIMARY KEY (thread_id, tag)
);
CREATE INDEX forum_thread_tags_tag ON forum_thread_tags (tenant_id, tag);

CREATE TABLE forum_posts (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    thread_id UUID NOT NULL REFERENCES forum_threads(id),
    kind TEXT NOT NULL,
    -- A comment's question or answer; NULL for questions and answers.
    parent_id UUID REFERENCES forum_posts(id),
    author_id UUID REFERENCES users(id),
    body TEXT NOT NULL,
    revision BIGINT NOT NULL,
    hidden BOOLEAN NOT NULL,
    verified_by UUID REFERENCES users(id),
    verified_at BIGINT,
    -- JSON list of the sources the verifier checked.
    sources TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX forum_posts_thread ON forum_posts (thread_id, created_at);
CREATE INDEX forum_posts_author ON forum_posts (tenant_id, author_id);

-- Every version of every post, never updated.
CREATE TABLE forum_revisions (
    post_id UUID NOT NULL REFERENCES forum_posts(id),
    revision BIGINT NOT NULL,
    tenant_id UUID NOT NULL,
    title TEXT,
    body TEXT NOT NULL,
    editor_id UUID REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, revision)
);

CREATE TABLE forum_votes (
    post_id UUID NOT NULL REFERENCES forum_posts(id),
    user_id UUID NOT NULL REFERENCES users(id),
    tenant_id UUID NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

-- A post that helped answer a conversation (KCS reuse).
CREATE TABLE forum_reuses (
    post_id UUID NOT NULL REFERENCES forum_posts(id),
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    tenant_id UUID NOT NULL,
    user_id UUID REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, conversation_id)
);
CREATE INDEX forum_reuses_tenant ON forum_reuses (tenant_id, created_at);

CREATE TABLE forum_flags (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    post_id UUID NOT NULL REFERENCES forum_posts(id),
    user_id UUID NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    comment TEXT NOT NULL,
    weight BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_by UUID REFERENCES users(id),
    decided_at BIGINT
);
CREATE INDEX forum_flags_post ON forum_flags (post_id, status);
CREATE INDEX forum_flags_open ON forum_flags (tenant_id, status, created_at);
-- One open flag per user per post.
CREATE UNIQUE INDEX forum_flags_one_open ON forum_flags (post_id, user_id) WHERE status = 'open';

-- target_kind is product or tag; target is the product id as text or the tag.
CREATE TABLE forum_follows (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    user_id UUID NOT NULL REFERENCES users(id),
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, target_kind, target)
);
CREATE INDEX forum_follows_target ON forum_follows (tenant_id, target_kind, target);

CREATE TABLE forum_notifications (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    user_id UUID NOT NULL REFERENCES users(id),
    thread_id UUID NOT NULL REFERENCES forum_threads(id),
    post_id UUID REFERENCES forum_posts(id),
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX forum_notifications_user ON forum_notifications (tenant_id, user_id, created_at);

-- Conversations marked as affected by a defect thread, beyond its reuses.
CREATE TABLE forum_affected (
    thread_id UUID NOT NULL REFERENCES forum_threads(id),
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    tenant_id UUID NOT NULL,
    marked_by UUID REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (thread_id, conversation_id)
);

-- Who a promotion credits: the asker, the answer's author, the verifier.
CREATE TABLE forum_credits (
    article_id UUID NOT NULL REFERENCES articles(id),
    user_id UUID NOT NULL REFERENCES users(id),
    tenant_id UUID NOT NULL,
    thread_id UUID NOT NULL REFERENCES forum_threads(id),
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, user_id)
);
CREATE INDEX forum_credits_user ON forum_credits (tenant_id, user_id);

CREATE TABLE forum_badges (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    user_id UUID NOT NULL REFERENCES users(id),
    badge_key TEXT NOT NULL,
    awarded_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, badge_key)
);

CREATE TABLE forum_settings (
    tenant_id UUID PRIMARY KEY REFERENCES tenants(id),
    settings TEXT NOT NULL,
    updated_by UUID REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
