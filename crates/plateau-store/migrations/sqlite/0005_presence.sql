-- Advisor presence (sqlite). Kept in step with the other backend's 0005_presence.sql.
-- Presence belongs to the person, not to a brand: an advisor serving two
-- brands is on a break for both.

-- The current state, one row per person who ever declared one.
CREATE TABLE presence (
    user_id BLOB PRIMARY KEY REFERENCES users(id),
    state TEXT NOT NULL,
    reason TEXT,
    since BIGINT NOT NULL,
    break_postponed_until BIGINT
);

-- Every state with its reason and how long it lasted (ended_at is NULL for
-- the current one).
CREATE TABLE presence_log (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    state TEXT NOT NULL,
    reason TEXT,
    started_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX presence_log_user ON presence_log (user_id, started_at);

-- Breaks pushed back during a peak, so supervisors see who did and how often.
CREATE TABLE break_postponements (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    minutes BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX break_postponements_user ON break_postponements (user_id, created_at);
