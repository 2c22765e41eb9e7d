-- Each running Jarvis bot instance (see SQLite's migration of the same version).
CREATE TABLE instances (
    id         TEXT PRIMARY KEY NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    shards     TEXT
);
