-- A message queued because someone asked for it (`/jarvis report post`) carries a key made from
-- that request (the Discord interaction's id): the same request, delivered twice, queues it once.
ALTER TABLE outbox ADD COLUMN dedup_key TEXT;

CREATE UNIQUE INDEX outbox_dedup ON outbox (workspace_id, dedup_key) WHERE dedup_key IS NOT NULL;
