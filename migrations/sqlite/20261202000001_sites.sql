-- Website and domain health: monitored sites, their checks, and what registries say about
-- domains (RDAP), per workspace.
ALTER TABLE workspaces ADD COLUMN site_down_after INTEGER NOT NULL DEFAULT 3 CHECK (site_down_after BETWEEN 1 AND 20);
ALTER TABLE workspaces ADD COLUMN site_up_after INTEGER NOT NULL DEFAULT 2 CHECK (site_up_after BETWEEN 1 AND 20);

CREATE TABLE sites (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id),
    url              TEXT NOT NULL,
    keyword          TEXT,
    interval_minutes INTEGER NOT NULL CHECK (interval_minutes BETWEEN 1 AND 1440),
    -- decided by consecutive checks: 'unknown' until the first success or enough failures
    state            TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('unknown', 'up', 'down')),
    state_since      TEXT,
    failures         INTEGER NOT NULL DEFAULT 0,
    successes        INTEGER NOT NULL DEFAULT 0,
    -- the last check, as JSON (domain::site::Probe)
    last_checked_at  TEXT,
    last_probe       TEXT CHECK (last_probe IS NULL OR json_valid(last_probe)),
    -- the last certificate seen (a check that got no handshake keeps the one before), as JSON
    last_tls         TEXT CHECK (last_tls IS NULL OR json_valid(last_tls)),
    created_at       TEXT NOT NULL,
    UNIQUE (workspace_id, url)
) STRICT;

-- One row per check, for uptime; pruned after 90 days.
CREATE TABLE site_checks (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    site_id    INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    checked_at TEXT NOT NULL,
    ok         INTEGER NOT NULL CHECK (ok IN (0, 1)),
    status     INTEGER,
    ttfb_ms    INTEGER,
    PRIMARY KEY (site_id, checked_at)
) STRICT, WITHOUT ROWID;

-- The last RDAP lookup of each registrable domain (at most one a day).
CREATE TABLE domain_lookups (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    domain       TEXT NOT NULL,
    looked_up_at TEXT NOT NULL,
    -- JSON (domain::site::Lookup)
    lookup       TEXT NOT NULL CHECK (json_valid(lookup)),
    -- the ledger's renewal date for the domain when it was looked up (stale once it moves)
    ledger_date  TEXT,
    PRIMARY KEY (workspace_id, domain)
) STRICT;
