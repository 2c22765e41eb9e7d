//! Cost records: written by hand, by renewal advancement and by month close.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use super::raw::{Columns, Param};
use super::{Result, Tx, date, decimal, parse_date, parse_decimal, parse_timestamp, timestamp};
use crate::domain::audit::Actor;
use crate::domain::calendar::DateRange;
use crate::domain::cost::{CostRecord, NewCostRecord, UsageSnapshot};
use crate::domain::money::{Currency, Money};
use crate::domain::text::Notes;
use crate::domain::workspace::WorkspaceId;

/// The columns `record_from_row` reads, in its order.
const RECORD_COLUMNS: &str =
    "id, item_id, amount, currency, period_start, period_end, source, usage, note, created_at, created_by";

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
    /// `from` and `to` as stored text (the earliest and latest days when not given).
    fn days(&self) -> (String, String) {
        (
            self.from.map_or_else(|| "0000-01-01".to_string(), date),
            self.to.map_or_else(|| "9999-12-31".to_string(), date),
        )
    }

    /// The `WHERE` condition selecting live records of `workspace` matching this filter, with its
    /// parameters (`?1`...). One statement per shape, so SQLite uses the item's index when an item
    /// is given (an `?2 IS NULL OR item_id = ?2` makes it scan the workspace's records).
    fn condition<'a>(&self, workspace: &'a WorkspaceId, from: &'a str, to: &'a str) -> (&'static str, Vec<Param<'a>>) {
        match self.item_id {
            Some(item) => (
                "workspace_id = ?1 AND item_id = ?2 AND deleted_at IS NULL AND period_end >= ?3 AND period_start <= ?4",
                vec![Param::Text(workspace.as_str()), Param::Int(item), Param::Text(from), Param::Text(to)],
            ),
            None => (
                "workspace_id = ?1 AND deleted_at IS NULL AND period_end >= ?2 AND period_start <= ?3",
                vec![Param::Text(workspace.as_str()), Param::Text(from), Param::Text(to)],
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
        let id = sqlx::query_scalar(
            "INSERT INTO cost_records
                 (workspace_id, item_id, amount, currency, period_start, period_end, source, usage, note, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .bind(workspace.as_str())
        .bind(record.item_id)
        .bind(decimal(record.amount.amount))
        .bind(record.amount.currency.code())
        .bind(date(record.period.start))
        .bind(date(record.period.end))
        .bind(record.source.as_str())
        .bind(usage)
        .bind(record.note.as_ref().map(|n| n.as_str().to_string()))
        .bind(timestamp(now))
        .bind(actor.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        if id.is_some() {
            self.records_changed(workspace, record.item_id, record.period);
        }
        Ok(id)
    }

    /// Records matching `filter`, in history order: by period start, then id.
    pub async fn cost_records(&mut self, workspace: &WorkspaceId, filter: CostFilter) -> Result<Vec<CostRecord>> {
        let (from, to) = filter.days();
        let (condition, params) = filter.condition(workspace, &from, &to);
        let sql = format!("SELECT {RECORD_COLUMNS} FROM cost_records WHERE {condition} ORDER BY period_start, id");
        self.raw_rows(&sql, &params, |row| record_from_row(row)).await
    }

    /// The id, amount and days of every live record matching `filter`, in history order: what a
    /// history's total and its pages are worked out from. Read from a covering index of live
    /// records by their last day (the table is not touched) and sorted here, which is quicker than
    /// SQLite's sorter.
    pub async fn cost_lines(&mut self, workspace: &WorkspaceId, filter: CostFilter) -> Result<Vec<CostLine>> {
        let (from, to) = filter.days();
        let (condition, params) = filter.condition(workspace, &from, &to);
        let sql = format!("SELECT id, amount, currency, period_start, period_end FROM cost_records WHERE {condition}");
        // Most records share a few currencies: each code is looked up once.
        let mut currencies: Vec<(String, Currency)> = Vec::new();
        let mut lines = self
            .raw_rows(&sql, &params, |row| {
                let code = row.required_text(2)?;
                let currency = match currencies.iter().find(|(c, _)| c == code) {
                    Some((_, currency)) => *currency,
                    None => {
                        let currency = Currency::parse(code)?;
                        currencies.push((code.to_string(), currency));
                        currency
                    }
                };
                let period = DateRange::new(parse_date(row.required_text(3)?)?, parse_date(row.required_text(4)?)?)
                    .context("a stored cost period ends before it starts")?;
                Ok(CostLine {
                    id: row.required_int(0)?,
                    amount: Money::new(parse_decimal(row.required_text(1)?)?, currency),
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
        let list = serde_json::to_string(ids).context("record ids to JSON")?;
        // `+workspace_id`: found by id (the rowid), then checked, never by scanning the workspace.
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM cost_records
             WHERE id IN (SELECT value FROM json_each(?2)) AND +workspace_id = ?1 AND deleted_at IS NULL"
        );
        let mut records = self
            .raw_rows(&sql, &[Param::Text(workspace.as_str()), Param::Text(&list)], |row| record_from_row(row))
            .await?;
        let position: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        records.sort_by_key(|r| position.get(&r.id).copied().unwrap_or(usize::MAX));
        Ok(records)
    }

    /// Removes a record from history (a soft delete).
    pub async fn remove_cost(&mut self, workspace: &WorkspaceId, id: i64, now: DateTime<Utc>) -> Result<()> {
        let removed: Option<(i64, String, String)> = sqlx::query_as(
            "UPDATE cost_records SET deleted_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL
             RETURNING item_id, period_start, period_end",
        )
        .bind(workspace.as_str())
        .bind(id)
        .bind(timestamp(now))
        .fetch_optional(&mut *self.tx)
        .await?;
        let (item, start, end) = removed.with_context(|| format!("cost record #{id} vanished while being written"))?;
        let period = DateRange::new(parse_date(&start)?, parse_date(&end)?)
            .context("a stored cost period ends before it starts")?;
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
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT c.deleted_at,
                    (SELECT a.actor FROM audit_log a
                      WHERE a.workspace_id = c.workspace_id AND a.entity = 'cost_record'
                        AND a.entity_id = CAST(c.id AS TEXT) AND a.action IN ('cost.remove', 'cost.replace')
                      ORDER BY a.id DESC LIMIT 1)
             FROM cost_records c WHERE c.workspace_id = ?1 AND c.id = ?2 AND c.deleted_at IS NOT NULL",
        )
        .bind(workspace.as_str())
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.map(|(at, actor)| parse_timestamp(&at).map(|at| (at, actor))).transpose()?)
    }

    /// One record by id.
    pub async fn cost_record(&mut self, workspace: &WorkspaceId, id: i64) -> Result<Option<CostRecord>> {
        let rows = self
            .raw_rows(
                &format!("SELECT {RECORD_COLUMNS} FROM cost_records WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL"),
                &[Param::Text(workspace.as_str()), Param::Int(id)],
                |row| record_from_row(row),
            )
            .await?;
        Ok(rows.into_iter().next())
    }
}

impl Tx {
    /// Every record of the workspace, removed ones too (with when they were removed), by id:
    /// what a backup holds.
    pub async fn every_cost_record(
        &mut self,
        workspace: &WorkspaceId,
    ) -> Result<Vec<(CostRecord, Option<DateTime<Utc>>)>> {
        let rows = sqlx::query(
            "SELECT id, item_id, amount, currency, period_start, period_end, source, usage, note, created_at, created_by,
                    deleted_at
             FROM cost_records WHERE workspace_id = ?1 ORDER BY id",
        )
        .bind(workspace.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        let read = |row: &SqliteRow| -> anyhow::Result<(CostRecord, Option<DateTime<Utc>>)> {
            let record = record_from_row(row)?;
            let removed = row.try_get::<Option<&str>, _>("deleted_at")?.map(parse_timestamp).transpose();
            let removed = removed.with_context(|| format!("cost record #{} in the database is damaged", record.id))?;
            Ok((record, removed))
        };
        Ok(rows.iter().map(read).collect::<anyhow::Result<_>>()?)
    }

    /// Stores a record read from a backup as it was: who wrote it and when, its removal, and its
    /// id when `keep_id` (the caller checked the id is free); returns its id.
    pub async fn insert_cost_from_backup(
        &mut self,
        workspace: &WorkspaceId,
        record: &CostRecord,
        removed_at: Option<DateTime<Utc>>,
        keep_id: bool,
    ) -> Result<i64> {
        let usage = record.usage.as_ref().map(serde_json::to_string).transpose().context("usage to JSON")?;
        let done = sqlx::query(
            "INSERT INTO cost_records (workspace_id, item_id, amount, currency, period_start, period_end, source, usage,
                 note, created_at, created_by, deleted_at, id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .bind(workspace.as_str())
        .bind(record.item_id)
        .bind(decimal(record.amount.amount))
        .bind(record.amount.currency.code())
        .bind(date(record.period.start))
        .bind(date(record.period.end))
        .bind(record.source.as_str())
        .bind(usage)
        .bind(record.note.as_ref().map(|n| n.as_str().to_string()))
        .bind(timestamp(record.created_at))
        .bind(&record.created_by)
        .bind(removed_at.map(timestamp))
        // NULL lets SQLite give the next id.
        .bind(keep_id.then_some(record.id))
        .execute(&mut *self.tx)
        .await?;
        self.records_changed(workspace, record.item_id, record.period);
        Ok(done.last_insert_rowid())
    }
}

/// A record from `RECORD_COLUMNS`, in their order.
fn record_from_row(row: &impl Columns) -> anyhow::Result<CostRecord> {
    let id = row.required_int(0)?;
    let read = || -> anyhow::Result<CostRecord> {
        let start = parse_date(row.required_text(4)?)?;
        let end = parse_date(row.required_text(5)?)?;
        Ok(CostRecord {
            id,
            item_id: row.required_int(1)?,
            amount: Money::new(parse_decimal(row.required_text(2)?)?, Currency::parse(row.required_text(3)?)?),
            period: DateRange::new(start, end).context("period ends before it starts")?,
            source: row.required_text(6)?.parse()?,
            usage: row.text(7)?.map(serde_json::from_str::<UsageSnapshot>).transpose()?,
            note: row.text(8)?.map(Notes::from_stored).transpose()?,
            created_at: parse_timestamp(row.required_text(9)?)?,
            created_by: row.required_text(10)?.to_string(),
        })
    };
    read().with_context(|| format!("cost record #{id} in the database is damaged"))
}
