-- Scheduled Jarvis reports: where, how often, at what local time, and the last slot posted (so
-- a restart never posts twice and downtime posts once).
CREATE TABLE report_schedules (
    workspace_id     TEXT PRIMARY KEY NOT NULL REFERENCES workspaces (id),
    channel_id       TEXT NOT NULL,
    cadence          TEXT NOT NULL,
    at_time          TEXT NOT NULL,
    -- RFC 3339 UTC instant of the slot last posted
    last_posted_slot TEXT,
    updated_at       TEXT NOT NULL
) STRICT;
