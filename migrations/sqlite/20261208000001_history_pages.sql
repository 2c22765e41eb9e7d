-- Cost history reads the id, amount and days of every live record reaching its window (its total
-- covers every page) and sorts them itself: a covering index over live records by their last day
-- serves that without touching the table (`deleted_at`, always NULL in it, is there so that SQLite
-- sees the index covers the query's `deleted_at IS NULL`). It replaces the narrow index history
-- used before.
DROP INDEX cost_records_by_workspace_end;
CREATE INDEX cost_records_live_by_end
    ON cost_records (workspace_id, period_end, period_start, amount, currency, deleted_at)
    WHERE deleted_at IS NULL;
