-- Keys that make a write safe to repeat: a Discord interaction id (and later an HTTP
-- Idempotency-Key). The first write with a key records it in its own transaction; the same key
-- again finds it and writes nothing. Kept a day (the housekeeping job prunes older ones).
CREATE TABLE request_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key          TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    -- the write that used it, as in the audit log
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX request_keys_created ON request_keys (created_at);
