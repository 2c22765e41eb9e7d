-- The cost ledger: workspaces, items, cost history, exchange rates and the audit trail.
--
-- Money is stored as decimal TEXT (exact, e.g. '12.5', '0.00000015') next to its ISO 4217 code;
-- dates as 'YYYY-MM-DD'; instants as RFC 3339 UTC with microseconds ('2026-11-30T09:00:00.000000Z'),
-- so text order is time order. Every workspace-owned row carries workspace_id.

CREATE TABLE workspaces (
    id                   TEXT PRIMARY KEY NOT NULL,
    base_currency        TEXT NOT NULL DEFAULT 'USD',
    timezone             TEXT NOT NULL DEFAULT 'UTC',
    language             TEXT NOT NULL DEFAULT 'en',
    expiring_window_days INTEGER NOT NULL DEFAULT 30 CHECK (expiring_window_days BETWEEN 1 AND 366),
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) STRICT;

CREATE TABLE items (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id       TEXT NOT NULL REFERENCES workspaces (id),
    kind               TEXT NOT NULL CHECK (kind IN
                           ('domain', 'hosting', 'cdn', 'storage', 'ai_provider', 'integration', 'package', 'other')),
    name               TEXT NOT NULL,
    -- lower-cased name: names are unique per workspace and kind, case-insensitively
    name_key           TEXT NOT NULL,
    provider           TEXT,
    cost_amount        TEXT NOT NULL,
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    billing_period     TEXT NOT NULL CHECK (billing_period IN
                           ('one_time', 'monthly', 'quarterly', 'yearly', 'usage_based')),
    renewal_date       TEXT,
    -- the day of month renewals come back to (Jan 31 -> Feb 28 -> Mar 31)
    renewal_anchor_day INTEGER CHECK (renewal_anchor_day BETWEEN 1 AND 31),
    auto_renew         INTEGER NOT NULL DEFAULT 0 CHECK (auto_renew IN (0, 1)),
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'cancelled', 'expired')),
    notes              TEXT,
    -- usage meter (all NULL when the item has none)
    usage_unit         TEXT,
    unit_price         TEXT,
    included_units     TEXT,
    used_units         TEXT,
    usage_limit        TEXT,
    -- units of the open cycle already billed (when the item's terms changed mid-cycle)
    billed_units       TEXT,
    -- kind-specific attributes as JSON, e.g. {"registrar": "Namecheap"}
    details            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
    -- the local day from which month close records the item's cost (added, or billable again)
    billed_from        TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    -- removed items keep their history; they no longer count or take up their name
    deleted_at         TEXT,
    UNIQUE (workspace_id, id)
) STRICT;

CREATE UNIQUE INDEX items_unique_name ON items (workspace_id, kind, name_key) WHERE deleted_at IS NULL;
CREATE INDEX items_by_workspace ON items (workspace_id, deleted_at);

CREATE TABLE cost_records (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    item_id      INTEGER NOT NULL,
    amount       TEXT NOT NULL,
    currency     TEXT NOT NULL CHECK (length(currency) = 3),
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL CHECK (period_end >= period_start),
    source       TEXT NOT NULL CHECK (source IN ('manual', 'renewal', 'usage', 'snapshot', 'import')),
    -- {"unit": "request", "used": "1200", "included": "1000", "unit_price": "0.002"}
    usage        TEXT CHECK (usage IS NULL OR json_valid(usage)),
    note         TEXT,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    -- removed by an admin: no longer counted, but its days still count as dealt with, so jobs
    -- do not charge them again
    deleted_at   TEXT,
    -- a record can only point at an item of its own workspace
    FOREIGN KEY (workspace_id, item_id) REFERENCES items (workspace_id, id)
) STRICT;

-- A backstop for the jobs (which only fill days no record covers): one live renewal or snapshot
-- record per item and first day.
CREATE UNIQUE INDEX cost_records_renewal_once ON cost_records (item_id, period_start)
    WHERE source = 'renewal' AND deleted_at IS NULL;
CREATE UNIQUE INDEX cost_records_snapshot_once ON cost_records (item_id, period_start)
    WHERE source = 'snapshot' AND deleted_at IS NULL;
CREATE INDEX cost_records_by_workspace ON cost_records (workspace_id, period_start);
CREATE INDEX cost_records_by_item ON cost_records (item_id, period_start);

CREATE TABLE exchange_rates (
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id),
    base_currency  TEXT NOT NULL CHECK (length(base_currency) = 3),
    quote_currency TEXT NOT NULL CHECK (length(quote_currency) = 3),
    -- 1 base = rate quote, from effective_date on
    rate           TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, base_currency, quote_currency, effective_date)
) STRICT;

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    at           TEXT NOT NULL,
    -- a Discord user id, 'cli', or 'jarvis' for jobs
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT,
    before       TEXT CHECK (before IS NULL OR json_valid(before)),
    after        TEXT CHECK (after IS NULL OR json_valid(after))
) STRICT;

CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, id);
