-- The web pages. A sign-in link is made by `/jarvis web` or `jarvis web link` for one person and
-- workspace: single use, short-lived. Following it starts a session, kept by a cookie. Only
-- SHA-256 hashes of the link's and the cookie's secrets are stored.
CREATE TABLE web_links (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    -- SHA-256 of the link's secret, hex
    hash         TEXT NOT NULL,
    -- who asked for it (an audit actor: a Discord user id, or `cli:<user>`), and their name
    user_id      TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    -- whether they may change the ledger (Manage Server or the admin role when it was made)
    can_edit     INTEGER NOT NULL CHECK (can_edit IN (0, 1)),
    -- `en` or `th` from their Discord locale; none: the browser's Accept-Language decides
    language     TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
) STRICT;
CREATE UNIQUE INDEX web_links_by_hash ON web_links (hash);

CREATE TABLE web_sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    -- SHA-256 of the cookie's secret, hex
    hash         TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    can_edit     INTEGER NOT NULL CHECK (can_edit IN (0, 1)),
    language     TEXT,
    created_at   TEXT NOT NULL,
    -- noted at most once a minute; a session idle for longer than the idle limit is over
    last_seen_at TEXT NOT NULL,
    ended_at     TEXT
) STRICT;
CREATE UNIQUE INDEX web_sessions_by_hash ON web_sessions (hash);
CREATE INDEX web_sessions_by_workspace ON web_sessions (workspace_id) WHERE ended_at IS NULL;

-- The secret address of a workspace's renewal calendar (iCalendar); only its hash is kept.
CREATE TABLE calendar_feeds (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id),
    hash         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX calendar_feeds_by_hash ON calendar_feeds (hash);
