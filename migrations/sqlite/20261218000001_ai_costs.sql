-- AI provider costs by themselves (issue 16).
--
-- An AI provider item connected to its provider's organisation cost API. The admin key is kept
-- sealed (ChaCha20-Poly1305 under JARVIS_SECRET_KEY, bound to its workspace and item: a sealed
-- key copied to another row does not open); `key_hint` is the masked prefix shown to people and
-- `sealed_by` which secret key sealed it (the first bytes of its SHA-256), so a changed
-- JARVIS_SECRET_KEY is named as such. Disconnecting deletes the row, and the key with it.
CREATE TABLE ai_connections (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id),
    item_id         INTEGER NOT NULL,
    vendor          TEXT NOT NULL CHECK (vendor IN ('openai', 'anthropic')),
    key_sealed      BLOB NOT NULL,
    key_hint        TEXT NOT NULL,
    sealed_by       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    -- the first day pulls cover (the backfill's start)
    pull_from       TEXT NOT NULL,
    -- when the scheduler pulls next: a day after a success, later after a failure
    next_pull_at    TEXT NOT NULL,
    last_attempt_at TEXT,
    last_success_at TEXT,
    -- the last day the last successful pull covered
    pulled_through  TEXT,
    -- why the last attempt failed: refused, rate_limited, unavailable, network, malformed, sealed
    failure         TEXT,
    failure_message TEXT,
    failing_since   TEXT,
    -- failed attempts in a row (for backing off)
    failures        INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (workspace_id, item_id) REFERENCES items (workspace_id, id)
) STRICT;
CREATE UNIQUE INDEX ai_connections_by_item ON ai_connections (workspace_id, item_id);
CREATE INDEX ai_connections_by_next_pull ON ai_connections (next_pull_at);

-- Requests, tokens and pushed units per item and day: from the usage push (`origin` push:
-- events counted, quantities summed) or a provider's usage report (`origin` pull: replaced with
-- each pull of the day). Costs are cost records, not here.
CREATE TABLE usage_days (
    workspace_id  TEXT NOT NULL,
    item_id       INTEGER NOT NULL,
    day           TEXT NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('push', 'pull')),
    -- model requests (pushed events), when known
    requests      INTEGER,
    -- units of the item's meter pushed (0 for pulls)
    quantity      TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, item_id, day, origin),
    FOREIGN KEY (workspace_id, item_id) REFERENCES items (workspace_id, id)
) STRICT;

-- The idempotency keys of pushed usage events: an event whose key is here was counted already.
-- Kept 30 days.
CREATE TABLE usage_keys (
    workspace_id TEXT NOT NULL,
    key          TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key)
) STRICT;
CREATE INDEX usage_keys_by_age ON usage_keys (created_at);
