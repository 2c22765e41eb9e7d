-- Analysis: renewal alert lead times, budgets, the alternative prices recommendations use, and
-- when a usage meter was read.

-- Days before a renewal that alerts fire, largest first, e.g. '30,7,1'.
ALTER TABLE workspaces ADD COLUMN renewal_lead_days TEXT NOT NULL DEFAULT '30,7,1';

-- The item's own lead times, overriding the workspace's (NULL: use the workspace's).
ALTER TABLE items ADD COLUMN lead_days TEXT;
-- What a year would cost if billed yearly (for items billed more often).
ALTER TABLE items ADD COLUMN yearly_price TEXT;
-- What a flat monthly plan would cost (for pay-per-use items).
ALTER TABLE items ADD COLUMN plan_price TEXT;
-- The day the usage meter was last read (NULL since it restarted, or never read).
ALTER TABLE items ADD COLUMN usage_read_on TEXT;

-- A monthly budget for the whole workspace ('total') or one category.
CREATE TABLE budgets (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    scope        TEXT NOT NULL CHECK (scope IN
                     ('total', 'infrastructure', 'ai_services', 'third_party', 'packages', 'other')),
    amount       TEXT NOT NULL,
    currency     TEXT NOT NULL CHECK (length(currency) = 3),
    -- percentages of the budget that raise alerts, ascending, e.g. '80,100'
    thresholds   TEXT NOT NULL DEFAULT '80,100',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, scope)
) STRICT;

-- Analysis reads every record reaching a window of months: item, amount and days, removed ones
-- too (their days stay dealt with). A covering index serves it without touching the table.
CREATE INDEX cost_records_by_end ON cost_records
    (workspace_id, period_end, period_start, item_id, amount, currency, source, deleted_at);
