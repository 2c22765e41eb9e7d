-- Each item-year's roll-ups in two columns (format 4, see src/store/rollups.rs): `days`, the days
-- covered and paid and each month's total converted to the base currency, which every read
-- wants; and `segments`, the records' whole amounts, which only reads of recent months want.
-- SQLite loads a column only when it is asked for, so a read of older years never touches the
-- segments' pages. The rows are built again at start-up (the format recorded is dropped here).
DROP TABLE spend_rollups;
CREATE TABLE spend_rollups (
    workspace_id TEXT    NOT NULL,
    year         INTEGER NOT NULL CHECK (year BETWEEN 1 AND 9999),
    item_id      INTEGER NOT NULL,
    -- the workspace's version when it was last written (see workspaces.version)
    version      INTEGER NOT NULL,
    days         BLOB    NOT NULL,
    segments     BLOB    NOT NULL,
    PRIMARY KEY (workspace_id, year, item_id),
    FOREIGN KEY (workspace_id, item_id) REFERENCES items (workspace_id, id)
) WITHOUT ROWID;
CREATE INDEX spend_rollups_by_item ON spend_rollups (workspace_id, item_id, year);
CREATE INDEX spend_rollups_by_version ON spend_rollups (workspace_id, version);
DELETE FROM store_state WHERE key = 'rollups_format';
