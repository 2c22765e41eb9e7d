-- Alert pings: where they go, whom they ping, how often they remind, and what was posted.
ALTER TABLE workspaces ADD COLUMN alert_channel_id TEXT;
ALTER TABLE workspaces ADD COLUMN alert_role_id TEXT;
ALTER TABLE workspaces ADD COLUMN remind_hours INTEGER NOT NULL DEFAULT 24 CHECK (remind_hours BETWEEN 1 AND 720);

-- One row per alert family (the fact, without the threshold it crossed) once posted.
CREATE TABLE alert_states (
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id),
    family          TEXT NOT NULL,
    -- the key and severity (0 info, 1 warning, 2 critical) last posted
    alert_key       TEXT NOT NULL,
    severity        INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 2),
    -- its title as posted, in the workspace's language (shown once it is resolved)
    title           TEXT NOT NULL,
    last_posted     TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    snoozed_until   TEXT,
    resolved_at     TEXT,
    -- the Discord message that carries it, once delivered
    channel_id      TEXT,
    message_id      TEXT,
    PRIMARY KEY (workspace_id, family)
) STRICT;
