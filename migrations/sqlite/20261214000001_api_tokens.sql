-- API tokens: each reaches one workspace with one scope. Only a hash of the token is kept (the
-- token is shown once, when it is made); `prefix` is its visible start, to tell tokens apart.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid         TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    prefix       TEXT NOT NULL,
    -- SHA-256 of the whole token, hex
    hash         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;
CREATE UNIQUE INDEX api_tokens_by_uuid ON api_tokens (uuid);
CREATE UNIQUE INDEX api_tokens_by_hash ON api_tokens (hash);
-- A name is one live token's in its workspace (a revoked token's name may be used again).
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (workspace_id, name) WHERE revoked_at IS NULL;
