-- Messages Jarvis owes Discord, delivered with retries: a message counts as sent only once
-- Discord accepted it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id),
    -- what to render: 'report', 'alerts' (new or escalated, posted together), 'alert_resolved' (an
    -- edit), 'notice' (a word to the admins)
    kind            TEXT NOT NULL CHECK (kind IN ('report', 'alerts', 'alert_resolved', 'notice')),
    channel_id      TEXT NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    message_id      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
) STRICT;

CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);
