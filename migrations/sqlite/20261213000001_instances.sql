-- Each running Jarvis bot instance, by its id (host, process, random part): when it started and
-- when it was last seen (its heartbeat, every tick). One silent for two leases is shown as gone.
CREATE TABLE instances (
    id         TEXT PRIMARY KEY NOT NULL,
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    -- the gateway shards it serves, e.g. '0-1 of 4' (none yet: one instance serves them all)
    shards     TEXT
) STRICT;
