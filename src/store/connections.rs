//! AI provider connections (their sealed keys and the state of their pulls), the usage per item
//! and day that pulls and pushes bring, the pushed events' idempotency keys, and the cost records
//! that pulls and pushes write (told apart by who wrote them: [`PULLED_BY`], [`PUSHED_BY`]).

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::costs::{RECORD_COLUMNS, record_from_row};
use super::sql::{Arg, args};
use super::{Result, Tx};
use crate::domain::calendar::DateRange;
use crate::domain::connection::{PullFailure, Vendor};
use crate::domain::cost::{CostRecord, UsageSnapshot};
use crate::domain::money::Money;
use crate::domain::workspace::WorkspaceId;

/// `created_by` of the records a pull from `vendor` wrote: `pull:openai`, `pull:anthropic`.
pub fn pulled_by(vendor: Vendor) -> String {
    format!("{PULLED_BY}{vendor}")
}

/// The start of `created_by` of pulled records.
pub const PULLED_BY: &str = "pull:";

/// `created_by` of the records the usage push writes (one per item and day).
pub const PUSHED_BY: &str = "usage push";

/// A connection as stored; the key stays sealed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredConnection {
    pub id: i64,
    pub workspace: WorkspaceId,
    pub item_id: i64,
    pub vendor: Vendor,
    pub key_sealed: Vec<u8>,
    pub key_hint: String,
    pub sealed_by: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub pull_from: NaiveDate,
    pub next_pull_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub pulled_through: Option<NaiveDate>,
    pub failure: Option<PullFailure>,
    pub failure_message: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub failures: i64,
}

/// A new connection, or a new key for a connected item.
pub struct NewConnection<'a> {
    pub item_id: i64,
    pub vendor: Vendor,
    pub key_sealed: &'a [u8],
    pub key_hint: &'a str,
    pub sealed_by: &'a str,
    pub created_by: &'a str,
    pub pull_from: NaiveDate,
}

/// How an attempt to pull went, as stored.
pub enum PullOutcome<'a> {
    /// Pulled through this day.
    Pulled { through: NaiveDate },
    /// Failed: why, and what to tell people.
    Failed { failure: PullFailure, message: &'a str },
    /// Nothing to pull yet: the days start later.
    Waiting,
}

/// One item's usage on one day, from pushes or a pull.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct UsageDay {
    pub requests: Option<i64>,
    pub quantity: Decimal,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

const COLUMNS: &str = "id, workspace_id, item_id, vendor, key_sealed, key_hint, sealed_by, created_at, created_by, \
     pull_from, next_pull_at, last_attempt_at, last_success_at, pulled_through, failure, failure_message, \
     failing_since, failures";

fn read(row: &dyn super::sql::Columns) -> anyhow::Result<StoredConnection> {
    Ok(StoredConnection {
        id: row.required_int(0)?,
        workspace: WorkspaceId::parse(row.required_text(1)?)?,
        item_id: row.required_int(2)?,
        vendor: row.required_text(3)?.parse().context("a stored connection's provider")?,
        key_sealed: row.blob(4)?.context("a connection without its key")?.to_vec(),
        key_hint: row.required_text(5)?.to_string(),
        sealed_by: row.required_text(6)?.to_string(),
        created_at: row.required_time(7)?,
        created_by: row.required_text(8)?.to_string(),
        pull_from: row.required_date(9)?,
        next_pull_at: row.required_time(10)?,
        last_attempt_at: row.time(11)?,
        last_success_at: row.time(12)?,
        pulled_through: row.date(13)?,
        failure: row.text(14)?.map(str::parse).transpose().context("a stored pull failure")?,
        failure_message: row.text(15)?.map(str::to_string),
        failing_since: row.time(16)?,
        failures: row.required_int(17)?,
    })
}

impl Tx {
    /// Connects an item, or gives a connected item a new key (its pull state starts over); the
    /// connection as stored. The first pull is due at `now`.
    pub async fn connect_item(
        &mut self,
        workspace: &WorkspaceId,
        new: &NewConnection<'_>,
        now: DateTime<Utc>,
    ) -> Result<StoredConnection> {
        self.fetch_one(
            &format!(
                "INSERT INTO ai_connections (workspace_id, item_id, vendor, key_sealed, key_hint, sealed_by, created_at,
                     created_by, pull_from, next_pull_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?7)
                 ON CONFLICT (workspace_id, item_id) DO UPDATE SET vendor = excluded.vendor,
                     key_sealed = excluded.key_sealed, key_hint = excluded.key_hint, sealed_by = excluded.sealed_by,
                     created_at = excluded.created_at, created_by = excluded.created_by,
                     pull_from = excluded.pull_from, next_pull_at = excluded.next_pull_at, last_attempt_at = NULL,
                     last_success_at = NULL, pulled_through = NULL, failure = NULL, failure_message = NULL,
                     failing_since = NULL, failures = 0
                 RETURNING {COLUMNS}"
            ),
            args![
                workspace.as_str(),
                new.item_id,
                new.vendor.as_str(),
                new.key_sealed,
                new.key_hint,
                new.sealed_by,
                now,
                new.created_by,
                new.pull_from,
            ],
            read,
        )
        .await
    }

    /// The connections of `workspace`, by item id.
    pub async fn connections(&mut self, workspace: &WorkspaceId) -> Result<Vec<StoredConnection>> {
        self.fetch(
            &format!("SELECT {COLUMNS} FROM ai_connections WHERE workspace_id = ?1 ORDER BY item_id"),
            args![workspace.as_str()],
            read,
        )
        .await
    }

    /// The connection of `item`, if it has one.
    pub async fn connection(&mut self, workspace: &WorkspaceId, item: i64) -> Result<Option<StoredConnection>> {
        self.fetch_optional(
            &format!("SELECT {COLUMNS} FROM ai_connections WHERE workspace_id = ?1 AND item_id = ?2"),
            args![workspace.as_str(), item],
            read,
        )
        .await
    }

    /// Every connection of a live item due to be pulled at `now`, in every workspace (the
    /// scheduler's one query across workspaces), the longest waiting first.
    pub async fn due_connections(&mut self, now: DateTime<Utc>) -> Result<Vec<StoredConnection>> {
        self.fetch(
            &format!(
                "SELECT {COLUMNS} FROM ai_connections c
                 WHERE next_pull_at <= ?1
                     AND EXISTS (SELECT 1 FROM items i
                                 WHERE i.workspace_id = c.workspace_id AND i.id = c.item_id AND i.deleted_at IS NULL)
                 ORDER BY next_pull_at, id"
            ),
            args![now],
            read,
        )
        .await
    }

    /// Disconnects `item`: the row goes, and the sealed key with it. Whether it was connected.
    pub async fn disconnect_item(&mut self, workspace: &WorkspaceId, item: i64) -> Result<bool> {
        let deleted = self
            .execute(
                "DELETE FROM ai_connections WHERE workspace_id = ?1 AND item_id = ?2",
                args![workspace.as_str(), item],
            )
            .await?;
        Ok(deleted > 0)
    }

    /// Records how an attempt to pull `connection` went at `now`, and when to pull next; false
    /// when the connection is no longer the one pulled (disconnected, or connected again since).
    pub async fn record_pull(
        &mut self,
        workspace: &WorkspaceId,
        connection: &StoredConnection,
        outcome: &PullOutcome<'_>,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<bool> {
        const SAME: &str = "workspace_id = ?1 AND id = ?2 AND created_at = ?3";
        let (id, created_at) = (connection.id, connection.created_at);
        let updated = match outcome {
            PullOutcome::Pulled { through } => {
                self.execute(
                    &format!(
                        "UPDATE ai_connections SET last_attempt_at = ?4, last_success_at = ?4, pulled_through = ?5,
                             next_pull_at = ?6, failure = NULL, failure_message = NULL, failing_since = NULL,
                             failures = 0
                         WHERE {SAME}"
                    ),
                    args![workspace.as_str(), id, created_at, now, *through, next],
                )
                .await?
            }
            PullOutcome::Failed { failure, message } => {
                self.execute(
                    &format!(
                        "UPDATE ai_connections SET last_attempt_at = ?4, next_pull_at = ?5, failure = ?6,
                             failure_message = ?7, failing_since = COALESCE(failing_since, ?4), failures = failures + 1
                         WHERE {SAME}"
                    ),
                    args![workspace.as_str(), id, created_at, now, next, failure.as_str(), *message],
                )
                .await?
            }
            PullOutcome::Waiting => {
                self.execute(
                    &format!("UPDATE ai_connections SET next_pull_at = ?4 WHERE {SAME}"),
                    args![workspace.as_str(), id, created_at, next],
                )
                .await?
            }
        };
        Ok(updated > 0)
    }

    /// The last day of `item`'s live records that people or apps wrote (typed, imported, pushed:
    /// neither Jarvis's estimates nor pulls) reaching `from` or later.
    pub async fn last_record_not_pulled(
        &mut self,
        workspace: &WorkspaceId,
        item: i64,
        from: NaiveDate,
    ) -> Result<Option<NaiveDate>> {
        let last = self
            .fetch_optional(
                "SELECT MAX(period_end) FROM cost_records
                 WHERE workspace_id = ?1 AND item_id = ?2 AND period_end >= ?3 AND deleted_at IS NULL
                     AND created_by <> 'jarvis' AND created_by NOT LIKE 'pull:%'",
                args![workspace.as_str(), item, from],
                |row| row.date(0),
            )
            .await?;
        Ok(last.flatten())
    }

    /// The live records pulls wrote for `item` whose days lie within `days`, in history order.
    pub async fn pulled_records(
        &mut self,
        workspace: &WorkspaceId,
        item: i64,
        days: DateRange,
    ) -> Result<Vec<CostRecord>> {
        self.fetch(
            &format!(
                "SELECT {RECORD_COLUMNS} FROM cost_records
                 WHERE workspace_id = ?1 AND item_id = ?2 AND period_start >= ?3 AND period_end <= ?4
                     AND deleted_at IS NULL AND created_by LIKE 'pull:%'
                 ORDER BY period_start, id"
            ),
            args![workspace.as_str(), item, days.start, days.end],
            record_from_row,
        )
        .await
    }

    /// Deletes the records `ids` of `item` outright (pulled records a newer pull replaces: the
    /// provider's figures are the record, and the pull's audit entry says what changed).
    pub async fn delete_fed_records(
        &mut self,
        workspace: &WorkspaceId,
        item: i64,
        ids: &[i64],
        days: DateRange,
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql =
            format!("DELETE FROM cost_records WHERE workspace_id = ?1 AND item_id = ?2 AND {}", self.in_ids("id", 3));
        self.execute(&sql, args![workspace.as_str(), item, Arg::Ids(ids)]).await?;
        self.records_changed(workspace, item, days);
        Ok(())
    }

    /// Sets the amount and usage of record `id` (the usage push's record of a day, as more
    /// events arrive).
    pub async fn set_pushed_record(
        &mut self,
        workspace: &WorkspaceId,
        record: &CostRecord,
        amount: Money,
        usage: &UsageSnapshot,
    ) -> Result<()> {
        let usage = serde_json::to_string(usage).context("usage to JSON")?;
        self.execute(
            "UPDATE cost_records SET amount = ?3, usage = ?4 WHERE workspace_id = ?1 AND id = ?2",
            args![workspace.as_str(), record.id, amount.amount, Arg::json(Some(usage))],
        )
        .await?;
        self.records_changed(workspace, record.item_id, record.period);
        Ok(())
    }

    /// Records `keys` as counted in `workspace`, in one statement; the ones that were new (the
    /// others were counted before).
    pub async fn claim_usage_keys(
        &mut self,
        workspace: &WorkspaceId,
        keys: &[&str],
        now: DateTime<Utc>,
    ) -> Result<std::collections::HashSet<String>> {
        let mut new = std::collections::HashSet::new();
        for chunk in keys.chunks(500) {
            let values: Vec<String> = (0..chunk.len()).map(|i| format!("(?1, ?{}, ?2)", i + 3)).collect();
            let sql = format!(
                "INSERT INTO usage_keys (workspace_id, key, created_at) VALUES {} ON CONFLICT DO NOTHING RETURNING key",
                values.join(", ")
            );
            let mut args = vec![Arg::from(workspace.as_str()), Arg::from(now)];
            args.extend(chunk.iter().map(|key| Arg::from(*key)));
            new.extend(self.fetch(&sql, &args, |row| Ok(row.required_text(0)?.to_string())).await?);
        }
        Ok(new)
    }

    /// The records the usage push keeps for `items` on the days of `days`, live ones, one per
    /// item and day.
    pub async fn pushed_records(
        &mut self,
        workspace: &WorkspaceId,
        items: &[i64],
        days: DateRange,
    ) -> Result<Vec<CostRecord>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM cost_records
             WHERE workspace_id = ?1 AND {} AND period_start >= ?3 AND period_start <= ?4
                 AND period_end = period_start AND created_by = ?5 AND deleted_at IS NULL
             ORDER BY id",
            self.in_ids("item_id", 2)
        );
        self.fetch(&sql, args![workspace.as_str(), Arg::Ids(items), days.start, days.end, PUSHED_BY], record_from_row)
            .await
    }

    /// The pushed usage of `items` on the days of `days`: (item, day, usage).
    pub async fn pushed_usage(
        &mut self,
        workspace: &WorkspaceId,
        items: &[i64],
        days: DateRange,
    ) -> Result<Vec<(i64, NaiveDate, UsageDay)>> {
        let sql = format!(
            "SELECT item_id, day, requests, quantity, input_tokens, output_tokens FROM usage_days
             WHERE workspace_id = ?1 AND {} AND day >= ?3 AND day <= ?4 AND origin = 'push'",
            self.in_ids("item_id", 2)
        );
        self.fetch(&sql, args![workspace.as_str(), Arg::Ids(items), days.start, days.end], |row| {
            Ok((row.required_int(0)?, row.required_date(1)?, read_usage_at(row, 2)?))
        })
        .await
    }

    /// Sets the pushed usage of each (item, day), in one statement per 100.
    pub async fn put_pushed_usage(
        &mut self,
        workspace: &WorkspaceId,
        rows: &[(i64, NaiveDate, UsageDay)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for chunk in rows.chunks(100) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let n = 3 + i * 6;
                    format!("(?1, ?{n}, ?{}, 'push', ?{}, ?{}, ?{}, ?{}, ?2)", n + 1, n + 2, n + 3, n + 4, n + 5)
                })
                .collect();
            let sql = format!(
                "INSERT INTO usage_days (workspace_id, item_id, day, origin, requests, quantity, input_tokens,
                     output_tokens, updated_at)
                 VALUES {}
                 ON CONFLICT (workspace_id, item_id, day, origin) DO UPDATE SET requests = excluded.requests,
                     quantity = excluded.quantity, input_tokens = excluded.input_tokens,
                     output_tokens = excluded.output_tokens, updated_at = excluded.updated_at",
                values.join(", ")
            );
            let mut args = vec![Arg::from(workspace.as_str()), Arg::from(now)];
            for (item, day, usage) in chunk {
                args.extend([
                    Arg::from(*item),
                    Arg::from(*day),
                    Arg::from(usage.requests),
                    Arg::from(usage.quantity),
                    Arg::from(usage.input_tokens),
                    Arg::from(usage.output_tokens),
                ]);
            }
            self.execute(&sql, &args).await?;
        }
        Ok(())
    }

    /// Forgets idempotency keys recorded before `before`; how many.
    pub async fn prune_usage_keys(&mut self, before: DateTime<Utc>) -> Result<u64> {
        self.execute("DELETE FROM usage_keys WHERE created_at < ?1", args![before]).await
    }

    /// Sets the pulled usage of `item`'s `day`.
    pub async fn set_pulled_usage(
        &mut self,
        workspace: &WorkspaceId,
        item: i64,
        day: NaiveDate,
        usage: &UsageDay,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.put_usage_day(workspace, item, day, "pull", usage, now).await
    }

    async fn put_usage_day(
        &mut self,
        workspace: &WorkspaceId,
        item: i64,
        day: NaiveDate,
        origin: &str,
        usage: &UsageDay,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO usage_days (workspace_id, item_id, day, origin, requests, quantity, input_tokens, output_tokens,
                 updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (workspace_id, item_id, day, origin) DO UPDATE SET requests = excluded.requests,
                 quantity = excluded.quantity, input_tokens = excluded.input_tokens,
                 output_tokens = excluded.output_tokens, updated_at = excluded.updated_at",
            args![
                workspace.as_str(),
                item,
                day,
                origin,
                usage.requests,
                usage.quantity,
                usage.input_tokens,
                usage.output_tokens,
                now
            ],
        )
        .await?;
        Ok(())
    }

    /// Usage per item over `days` in `workspace`, pushed and pulled added up: requests (`None`
    /// when no day of it counted them), quantity and tokens.
    pub async fn usage_over(&mut self, workspace: &WorkspaceId, days: DateRange) -> Result<Vec<(i64, UsageDay)>> {
        let rows = self
            .fetch(
                "SELECT item_id, requests, quantity, input_tokens, output_tokens FROM usage_days
                 WHERE workspace_id = ?1 AND day >= ?2 AND day <= ?3",
                args![workspace.as_str(), days.start, days.end],
                |row| Ok((row.required_int(0)?, read_usage_at(row, 1)?)),
            )
            .await?;
        let mut totals: Vec<(i64, UsageDay)> = Vec::new();
        for (item, day) in rows {
            let total = match totals.iter_mut().find(|(id, _)| *id == item) {
                Some((_, total)) => total,
                None => {
                    totals.push((item, UsageDay::default()));
                    &mut totals.last_mut().expect("just pushed").1
                }
            };
            total.requests = match (total.requests, day.requests) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
            };
            total.quantity += day.quantity;
            total.input_tokens += day.input_tokens;
            total.output_tokens += day.output_tokens;
        }
        totals.sort_by_key(|(id, _)| *id);
        Ok(totals)
    }
}

fn read_usage_at(row: &dyn super::sql::Columns, at: usize) -> anyhow::Result<UsageDay> {
    Ok(UsageDay {
        requests: row.int(at)?,
        quantity: row.required_decimal(at + 1)?,
        input_tokens: row.required_int(at + 2)?,
        output_tokens: row.required_int(at + 3)?,
    })
}
