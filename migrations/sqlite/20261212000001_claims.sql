-- Work that several Jarvis instances share is claimed before it is done: a claim names the
-- instance that holds it and until when (its lease); an expired lease can be taken by another.
-- `job_claims` holds the claims of whole jobs (a tick's housekeeping, alert evaluation...); an
-- outbox message is claimed on its own row while it is being delivered.
CREATE TABLE job_claims (
    job         TEXT PRIMARY KEY NOT NULL,
    owner       TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    claimed_at  TEXT NOT NULL
) STRICT;

ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
