-- Public ids: a UUID (v7, time-ordered) for every row a user can name (see SQLite's migration of
-- the same version). Existing rows get one made from the instant they were created, with random
-- bits.
CREATE FUNCTION jarvis_uuid_v7(at TIMESTAMPTZ) RETURNS UUID LANGUAGE SQL VOLATILE AS $$
    SELECT (substr(ts, 1, 8) || '-' || substr(ts, 9, 4) || '-7' || substr(md5(random()::text), 1, 3) || '-'
        || substr('89ab', 1 + floor(random() * 4)::int, 1) || substr(md5(random()::text), 1, 3) || '-'
        || substr(md5(random()::text), 1, 12))::uuid
    FROM (SELECT lpad(to_hex(floor(extract(epoch FROM at) * 1000)::bigint), 12, '0') AS ts) AS t
$$;

ALTER TABLE workspaces ADD COLUMN uuid UUID;
UPDATE workspaces SET uuid = jarvis_uuid_v7(created_at);
ALTER TABLE workspaces ALTER COLUMN uuid SET NOT NULL;
CREATE UNIQUE INDEX workspaces_by_uuid ON workspaces (uuid);

ALTER TABLE items ADD COLUMN uuid UUID;
UPDATE items SET uuid = jarvis_uuid_v7(created_at);
ALTER TABLE items ALTER COLUMN uuid SET NOT NULL;
CREATE UNIQUE INDEX items_by_uuid ON items (uuid);

ALTER TABLE cost_records ADD COLUMN uuid UUID;
UPDATE cost_records SET uuid = jarvis_uuid_v7(created_at);
ALTER TABLE cost_records ALTER COLUMN uuid SET NOT NULL;
CREATE UNIQUE INDEX cost_records_by_uuid ON cost_records (uuid);

ALTER TABLE budgets ADD COLUMN uuid UUID;
UPDATE budgets SET uuid = jarvis_uuid_v7(created_at);
ALTER TABLE budgets ALTER COLUMN uuid SET NOT NULL;
CREATE UNIQUE INDEX budgets_by_uuid ON budgets (uuid);

ALTER TABLE exchange_rates ADD COLUMN uuid UUID;
UPDATE exchange_rates SET uuid = jarvis_uuid_v7(updated_at);
ALTER TABLE exchange_rates ALTER COLUMN uuid SET NOT NULL;
CREATE UNIQUE INDEX exchange_rates_by_uuid ON exchange_rates (uuid);

ALTER TABLE sites ADD COLUMN uuid UUID;
UPDATE sites SET uuid = jarvis_uuid_v7(created_at);
ALTER TABLE sites ALTER COLUMN uuid SET NOT NULL;
CREATE UNIQUE INDEX sites_by_uuid ON sites (uuid);

ALTER TABLE report_schedules ADD COLUMN uuid UUID;
UPDATE report_schedules SET uuid = jarvis_uuid_v7(updated_at);
ALTER TABLE report_schedules ALTER COLUMN uuid SET NOT NULL;
CREATE UNIQUE INDEX report_schedules_by_uuid ON report_schedules (uuid);

ALTER TABLE alert_states ADD COLUMN uuid UUID;
UPDATE alert_states SET uuid = jarvis_uuid_v7(last_posted);
ALTER TABLE alert_states ALTER COLUMN uuid SET NOT NULL;
CREATE UNIQUE INDEX alert_states_by_uuid ON alert_states (uuid);

DROP FUNCTION jarvis_uuid_v7(TIMESTAMPTZ);
