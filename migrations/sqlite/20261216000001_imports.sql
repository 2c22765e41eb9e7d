-- Bills read from FOCUS files (issue 14). Each import keeps what the file said (its totals per
-- currency, the billing accounts and periods it covers) so that what the ledger holds for it can
-- be reconciled with the file, to the last digit, at any time.
CREATE TABLE imports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid         TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    file_name    TEXT NOT NULL,
    -- SHA-256 of the bytes as sent (compressed when the file was), hex
    sha256       TEXT NOT NULL,
    focus_version TEXT NOT NULL,
    -- data rows read, and of them skipped (with --skip-bad)
    rows         INTEGER NOT NULL,
    skipped      INTEGER NOT NULL,
    -- {"USD": {"billed": "1234.5", "effective": "1200", "list": "1400"}}: the rows read, summed
    totals       TEXT NOT NULL CHECK (json_valid(totals)),
    -- [{"account": "1234", "start": "2026-11-01", "end": "2026-11-30"}]: billing account and
    -- period pairs; a later import of the same pair replaces this one's records for it
    scopes       TEXT NOT NULL CHECK (json_valid(scopes)),
    records      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    removed_at   TEXT,
    removed_by   TEXT
) STRICT;
CREATE UNIQUE INDEX imports_by_uuid ON imports (uuid);
CREATE INDEX imports_by_workspace ON imports (workspace_id, id);

-- Which item each billed (provider, service) goes into: made on first import, or named by an
-- admin (`--map`, `import map`).
CREATE TABLE import_services (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    provider     TEXT NOT NULL,
    service      TEXT NOT NULL,
    -- its ServiceCategory when first seen
    category     TEXT,
    item_id      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    FOREIGN KEY (workspace_id, item_id) REFERENCES items (workspace_id, id)
) STRICT;
CREATE UNIQUE INDEX import_services_by_name ON import_services (workspace_id, provider, service);

-- An imported record: its import, the service it bills, and the billing account and period it
-- belongs to (what a later import of the same account and period replaces). EffectiveCost and
-- ListCost are kept beside BilledCost (the amount) where the file had them on every row summed.
ALTER TABLE cost_records ADD COLUMN import_id INTEGER REFERENCES imports (id);
ALTER TABLE cost_records ADD COLUMN import_service INTEGER REFERENCES import_services (id);
ALTER TABLE cost_records ADD COLUMN import_account TEXT;
ALTER TABLE cost_records ADD COLUMN import_period TEXT;
ALTER TABLE cost_records ADD COLUMN effective_cost TEXT;
ALTER TABLE cost_records ADD COLUMN list_cost TEXT;
CREATE INDEX cost_records_by_import_scope ON cost_records (workspace_id, import_account, import_period)
    WHERE import_account IS NOT NULL;
CREATE INDEX cost_records_by_import ON cost_records (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX cost_records_by_import_service ON cost_records (import_service) WHERE import_service IS NOT NULL;
