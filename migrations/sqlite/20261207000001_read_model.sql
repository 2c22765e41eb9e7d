-- The read model (see ARCHITECTURE.md, "Read model"): per item and calendar year, what its cost
-- records pay for each month, kept in the same transaction as every write that touches records.
-- It is derived: `jarvis doctor --rebuild` makes it again from the records.
CREATE TABLE spend_rollups (
    workspace_id TEXT    NOT NULL,
    item_id      INTEGER NOT NULL,
    year         INTEGER NOT NULL CHECK (year BETWEEN 1 AND 9999),
    -- the months, encoded by src/store/rollups.rs (format 1): days covered and paid, and segments
    -- of exact decimal amounts per currency, conversion day and days
    months       BLOB    NOT NULL,
    -- the workspace's version when it was last written (see workspaces.version)
    version      INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, item_id, year),
    FOREIGN KEY (workspace_id, item_id) REFERENCES items (workspace_id, id)
) WITHOUT ROWID;
CREATE INDEX spend_rollups_by_year ON spend_rollups (workspace_id, year);
CREATE INDEX spend_rollups_by_version ON spend_rollups (workspace_id, version);

-- Bumped by every transaction that changes a workspace's items or records; items and roll-ups
-- carry the version that last wrote them, so a reader holding an older copy fetches only what
-- changed since.
ALTER TABLE workspaces ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- Bumped when the roll-ups are rebuilt: a reader's copy from before is thrown away whole.
ALTER TABLE workspaces ADD COLUMN read_model_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- A usage meter's last reading of the cycle billed before the open one, as JSON
-- ({"used", "read_on", "cycle_start", "cycle_end"}): early in a cycle the run-rate goes by its pace.
ALTER TABLE items ADD COLUMN usage_last_cycle TEXT;
CREATE INDEX items_by_version ON items (workspace_id, version);
-- An item named in a command is looked up by its name's key, not by reading every item.
CREATE INDEX items_by_name_key ON items (workspace_id, name_key);

-- Records of one item by their days, for rebuilding an item's roll-ups and for the overlap check
-- of a hand-recorded cost.
CREATE INDEX cost_records_by_item_end ON cost_records (workspace_id, item_id, period_end);

-- What the store built once, by name: the roll-ups' format, so a newer Jarvis rebuilds them.
CREATE TABLE store_state (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Analysis reads roll-ups now, not a window of records: the wide covering index for that goes
-- (every record write paid for it); history by date keeps a narrow one.
DROP INDEX cost_records_by_end;
CREATE INDEX cost_records_by_workspace_end ON cost_records (workspace_id, period_end);
