-- Roll-ups are read a workspace's years at a time (the dashboard's window, whole): keyed by year
-- before item, so such a read is one range of the table rather than a seek per item and year.
-- One item's years (its upkeep after a write, doctor) go by `spend_rollups_by_item`.
CREATE TABLE spend_rollups_next (
    workspace_id TEXT    NOT NULL,
    year         INTEGER NOT NULL CHECK (year BETWEEN 1 AND 9999),
    item_id      INTEGER NOT NULL,
    -- the months, encoded by src/store/rollups.rs: days covered and paid, and the records' whole
    -- amounts per currency and days
    months       BLOB    NOT NULL,
    -- the workspace's version when it was last written (see workspaces.version)
    version      INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, year, item_id),
    FOREIGN KEY (workspace_id, item_id) REFERENCES items (workspace_id, id)
) WITHOUT ROWID;

INSERT INTO spend_rollups_next (workspace_id, year, item_id, months, version)
    SELECT workspace_id, year, item_id, months, version FROM spend_rollups;
DROP TABLE spend_rollups;
ALTER TABLE spend_rollups_next RENAME TO spend_rollups;
CREATE INDEX spend_rollups_by_item ON spend_rollups (workspace_id, item_id, year);
CREATE INDEX spend_rollups_by_version ON spend_rollups (workspace_id, version);
