-- Work that several Jarvis instances share is claimed before it is done (see SQLite's migration
-- of the same version).
CREATE TABLE job_claims (
    job         TEXT PRIMARY KEY NOT NULL,
    owner       TEXT NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL,
    claimed_at  TIMESTAMPTZ NOT NULL
);

ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TIMESTAMPTZ;
