-- Public ids: a UUID (v7, time-ordered) for every row a user can name, as the API, exports and
-- links use them (integer ids stay as internal keys). Existing rows get one made from the instant
-- they were created (or last set), with random bits, so their order is kept.
-- PostgreSQL's migration of the same version does the same.

ALTER TABLE workspaces ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
UPDATE workspaces SET uuid =
    substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' || substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX workspaces_by_uuid ON workspaces (uuid);

ALTER TABLE items ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
UPDATE items SET uuid =
    substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' || substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX items_by_uuid ON items (uuid);

ALTER TABLE cost_records ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
UPDATE cost_records SET uuid =
    substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' || substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX cost_records_by_uuid ON cost_records (uuid);

ALTER TABLE budgets ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
UPDATE budgets SET uuid =
    substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' || substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX budgets_by_uuid ON budgets (uuid);

ALTER TABLE exchange_rates ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
UPDATE exchange_rates SET uuid =
    substr(printf('%012x', CAST((julianday(updated_at) - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' || substr(printf('%012x', CAST((julianday(updated_at) - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX exchange_rates_by_uuid ON exchange_rates (uuid);

ALTER TABLE sites ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
UPDATE sites SET uuid =
    substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' || substr(printf('%012x', CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX sites_by_uuid ON sites (uuid);

ALTER TABLE report_schedules ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
UPDATE report_schedules SET uuid =
    substr(printf('%012x', CAST((julianday(updated_at) - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' || substr(printf('%012x', CAST((julianday(updated_at) - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX report_schedules_by_uuid ON report_schedules (uuid);

ALTER TABLE alert_states ADD COLUMN uuid TEXT NOT NULL DEFAULT '';
UPDATE alert_states SET uuid =
    substr(printf('%012x', CAST((julianday(last_posted) - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' || substr(printf('%012x', CAST((julianday(last_posted) - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX alert_states_by_uuid ON alert_states (uuid);
