//! Cost records: written by hand, by renewal advancement and by month close.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};

use super::sql::{Arg, Backend, Columns, args};
use super::{Result, Tx};
use crate::domain::audit::Actor;
use crate::domain::calendar::DateRange;
use crate::domain::cost::{CostRecord, NewCostRecord, UsageSnapshot};
use crate::domain::money::{Currency, Money};
use crate::domain::text::Notes;
use crate::domain::workspace::WorkspaceId;

/// The columns `record_from_row` reads, in its order.
pub(super) const RECORD_COLUMNS: &str =
    "id, item_id, amount, currency, period_start, period_end, source, usage, note, created_at, created_by, uuid";

/// Which records to read.
#[derive(Clone, Copy, Default, Debug)]
pub struct CostFilter {
    pub item_id: Option<i64>,
    /// Records whose period ends on or after this day.
    pub from: Option<NaiveDate>,
    /// Records whose period starts on or before this day.
    pub to: Option<NaiveDate>,
}

/// A live record as a history's total reads it: its id, amount and days.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CostLine {
    pub id: i64,
    pub amount: Money,
    pub period: DateRange,
}

impl CostFilter {
    /// `from` and `to` (the earliest and latest days both backends store when not given).
    fn days(&self) -> (NaiveDate, NaiveDate) {
        (
            self.from.unwrap_or(NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid day")),
            self.to.unwrap_or(NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid day")),
        )
    }

    /// The `WHERE` condition selecting live records of `workspace` matching this filter, with its
    /// arguments (`?1`...). One statement per shape, so SQLite uses the item's index when an item
    /// is given (an `?2 IS NULL OR item_id = ?2` makes it scan the workspace's records).
    fn condition<'a>(&self, workspace: &'a WorkspaceId) -> (&'static str, Vec<Arg<'a>>) {
        let (from, to) = self.days();
        match self.item_id {
            Some(item) => (
                "workspace_id = ?1 AND item_id = ?2 AND deleted_at IS NULL AND period_end >= ?3 AND period_start <= ?4",
                args![workspace.as_str(), item, from, to].to_vec(),
            ),
            None => (
                "workspace_id = ?1 AND deleted_at IS NULL AND period_end >= ?2 AND period_start <= ?3",
                args![workspace.as_str(), from, to].to_vec(),
            ),
        }
    }
}

impl Tx {
    /// Writes a record. Returns `None` when an identical renewal or snapshot record (same item and
    /// period start) already exists: jobs rely on this to charge each period once.
    pub async fn insert_cost(
        &mut self,
        workspace: &WorkspaceId,
        record: &NewCostRecord,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let usage = record.usage.as_ref().map(serde_json::to_string).transpose().context("usage to JSON")?;
        let id = self
            .fetch_optional(
                "INSERT INTO cost_records
                     (workspace_id, item_id, amount, currency, period_start, period_end, source, usage, note, created_at,
                      created_by, uuid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT DO NOTHING
                 RETURNING id",
                args![
                    workspace.as_str(),
                    record.item_id,
                    record.amount.amount,
                    record.amount.currency.code(),
                    record.period.start,
                    record.period.end,
                    record.source.as_str(),
                    Arg::json(usage),
                    record.note.as_ref().map(|n| n.as_str()),
                    now,
                    actor.as_str(),
                    super::public_id(now),
                ],
                |row| row.required_int(0),
            )
            .await?;
        if id.is_some() {
            self.records_changed(workspace, record.item_id, record.period);
        }
        Ok(id)
    }

    /// Records matching `filter`, in history order: by period start, then id.
    pub async fn cost_records(&mut self, workspace: &WorkspaceId, filter: CostFilter) -> Result<Vec<CostRecord>> {
        let (condition, args) = filter.condition(workspace);
        let sql = format!("SELECT {RECORD_COLUMNS} FROM cost_records WHERE {condition} ORDER BY period_start, id");
        self.fetch(&sql, &args, record_from_row).await
    }

    /// The id, amount and days of every live record matching `filter`, in history order: what a
    /// history's total and its pages are worked out from. Read from a covering index of live
    /// records by their last day (the table is not touched) and sorted here, which is quicker than
    /// SQLite's sorter.
    pub async fn cost_lines(&mut self, workspace: &WorkspaceId, filter: CostFilter) -> Result<Vec<CostLine>> {
        let (condition, args) = filter.condition(workspace);
        let sql = format!("SELECT id, amount, currency, period_start, period_end FROM cost_records WHERE {condition}");
        // Most records share a few currencies: each code is looked up once.
        let mut currencies: Vec<(String, Currency)> = Vec::new();
        let mut lines = self
            .fetch(&sql, &args, |row| {
                let code = row.required_text(2)?;
                let currency = match currencies.iter().find(|(c, _)| c == code) {
                    Some((_, currency)) => *currency,
                    None => {
                        let currency = Currency::parse(code)?;
                        currencies.push((code.to_string(), currency));
                        currency
                    }
                };
                let period = DateRange::new(row.required_date(3)?, row.required_date(4)?)
                    .context("a stored cost period ends before it starts")?;
                Ok(CostLine {
                    id: row.required_int(0)?,
                    amount: Money::new(row.required_decimal(1)?, currency),
                    period,
                })
            })
            .await?;
        lines.sort_unstable_by_key(|line| (line.period.start, line.id));
        Ok(lines)
    }

    /// The live records of `workspace` with these ids, in the order of `ids` (ids of no such
    /// record are passed over).
    pub async fn cost_records_by_id(&mut self, workspace: &WorkspaceId, ids: &[i64]) -> Result<Vec<CostRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // `+workspace_id`: SQLite finds them by id (the rowid), then checks, never by scanning the
        // workspace. PostgreSQL has no such hint (nor needs it: the ids are the selective part).
        let same_workspace = match self.backend() {
            Backend::Sqlite => "+workspace_id = ?1",
            Backend::Postgres => "workspace_id = ?1",
        };
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM cost_records
             WHERE {} AND {same_workspace} AND deleted_at IS NULL",
            self.in_ids("id", 2)
        );
        let mut records = self.fetch(&sql, args![workspace.as_str(), Arg::Ids(ids)], record_from_row).await?;
        let position: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        records.sort_by_key(|r| position.get(&r.id).copied().unwrap_or(usize::MAX));
        Ok(records)
    }

    /// Removes a record from history (a soft delete).
    pub async fn remove_cost(&mut self, workspace: &WorkspaceId, id: i64, now: DateTime<Utc>) -> Result<()> {
        let removed = self
            .fetch_optional(
                "UPDATE cost_records SET deleted_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL
                 RETURNING item_id, period_start, period_end",
                args![workspace.as_str(), id, now],
                |row| {
                    let period = DateRange::new(row.required_date(1)?, row.required_date(2)?)
                        .context("a stored cost period ends before it starts")?;
                    Ok((row.required_int(0)?, period))
                },
            )
            .await?;
        let (item, period) = removed.with_context(|| format!("cost record #{id} vanished while being written"))?;
        self.records_changed(workspace, item, period);
        Ok(())
    }

    /// When record `id` was removed and who removed it (the actor of the newest audit entry that
    /// removed or replaced it, when there is one); `None` when no removed record has that id.
    pub async fn cost_record_removal(
        &mut self,
        workspace: &WorkspaceId,
        id: i64,
    ) -> Result<Option<(DateTime<Utc>, Option<String>)>> {
        self.fetch_optional(
            "SELECT c.deleted_at,
                    (SELECT a.actor FROM audit_log a
                      WHERE a.workspace_id = c.workspace_id AND a.entity = 'cost_record'
                        AND a.entity_id = CAST(c.id AS TEXT) AND a.action IN ('cost.remove', 'cost.replace')
                      ORDER BY a.id DESC LIMIT 1)
             FROM cost_records c WHERE c.workspace_id = ?1 AND c.id = ?2 AND c.deleted_at IS NOT NULL",
            args![workspace.as_str(), id],
            |row| Ok((row.required_time(0)?, row.text(1)?.map(str::to_string))),
        )
        .await
    }

    /// One record by id.
    pub async fn cost_record(&mut self, workspace: &WorkspaceId, id: i64) -> Result<Option<CostRecord>> {
        self.fetch_optional(
            &format!(
                "SELECT {RECORD_COLUMNS} FROM cost_records WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL"
            ),
            args![workspace.as_str(), id],
            record_from_row,
        )
        .await
    }
}

impl Tx {
    /// Every record of the workspace, removed ones too (with when they were removed), by id:
    /// what a backup holds.
    pub async fn every_cost_record(
        &mut self,
        workspace: &WorkspaceId,
    ) -> Result<Vec<(CostRecord, Option<DateTime<Utc>>)>> {
        self.fetch(
            &format!("SELECT {RECORD_COLUMNS}, deleted_at FROM cost_records WHERE workspace_id = ?1 ORDER BY id"),
            args![workspace.as_str()],
            |row| {
                let record = record_from_row(row)?;
                let removed =
                    row.time(12).with_context(|| format!("cost record #{} in the database is damaged", record.id))?;
                Ok((record, removed))
            },
        )
        .await
    }

    /// Stores a record read from a backup as it was: who wrote it and when, its removal, and its
    /// id when `keep_id` (the caller checked the id is free, and calls [`Tx::ids_kept`] once all are in);
    /// returns its id.
    pub async fn insert_cost_from_backup(
        &mut self,
        workspace: &WorkspaceId,
        record: &CostRecord,
        removed_at: Option<DateTime<Utc>>,
        keep_id: bool,
    ) -> Result<i64> {
        let usage = record.usage.as_ref().map(serde_json::to_string).transpose().context("usage to JSON")?;
        const COLUMNS: &str = "workspace_id, item_id, amount, currency, period_start, period_end, source, usage,
                 note, created_at, created_by, deleted_at, uuid";
        const VALUES: &str = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13";
        // The backup's public id with its id; a new one otherwise (or from a backup without).
        let uuid = if keep_id && !record.uuid.is_nil() { record.uuid } else { super::public_id(record.created_at) };
        let mut args = args![
            workspace.as_str(),
            record.item_id,
            record.amount.amount,
            record.amount.currency.code(),
            record.period.start,
            record.period.end,
            record.source.as_str(),
            Arg::json(usage),
            record.note.as_ref().map(|n| n.as_str()),
            record.created_at,
            record.created_by.as_str(),
            removed_at,
            uuid,
        ]
        .to_vec();
        let sql = if keep_id {
            args.push(Arg::from(record.id));
            match self.backend() {
                Backend::Sqlite => {
                    format!("INSERT INTO cost_records ({COLUMNS}, id) VALUES ({VALUES}, ?14) RETURNING id")
                }
                Backend::Postgres => format!(
                    "INSERT INTO cost_records ({COLUMNS}, id) OVERRIDING SYSTEM VALUE VALUES ({VALUES}, ?14) RETURNING id"
                ),
            }
        } else {
            // The database gives the next id.
            format!("INSERT INTO cost_records ({COLUMNS}) VALUES ({VALUES}) RETURNING id")
        };
        let id = self.fetch_one(&sql, &args, |row| row.required_int(0)).await?;
        self.records_changed(workspace, record.item_id, record.period);
        Ok(id)
    }
}

/// A record from `RECORD_COLUMNS`, in their order.
pub(super) fn record_from_row(row: &dyn Columns) -> anyhow::Result<CostRecord> {
    let id = row.required_int(0)?;
    let read = || -> anyhow::Result<CostRecord> {
        let start = row.required_date(4)?;
        let end = row.required_date(5)?;
        Ok(CostRecord {
            id,
            item_id: row.required_int(1)?,
            amount: Money::new(row.required_decimal(2)?, Currency::parse(row.required_text(3)?)?),
            period: DateRange::new(start, end).context("period ends before it starts")?,
            source: row.required_text(6)?.parse()?,
            usage: row.json(7)?.as_deref().map(serde_json::from_str::<UsageSnapshot>).transpose()?,
            note: row.text(8)?.map(Notes::from_stored).transpose()?,
            created_at: row.required_time(9)?,
            created_by: row.required_text(10)?.to_string(),
            uuid: row.required_uuid(11)?,
        })
    };
    read().with_context(|| format!("cost record #{id} in the database is damaged"))
}
