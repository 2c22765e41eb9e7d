//! Report schedules: one per workspace.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Result, Tx, parse_timestamp, timestamp};
use crate::domain::schedule::{Cadence, Schedule, parse_time};
use crate::domain::workspace::WorkspaceId;

/// A stored schedule: where it posts, and the slot it last posted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSchedule {
    pub workspace: WorkspaceId,
    pub schedule: Schedule,
    /// The Discord channel the report goes to.
    pub channel_id: u64,
    pub last_posted: Option<DateTime<Utc>>,
}

fn from_row(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<StoredSchedule> {
    let workspace: String = row.try_get("workspace_id")?;
    let read = || -> anyhow::Result<StoredSchedule> {
        Ok(StoredSchedule {
            workspace: WorkspaceId::parse(&workspace)?,
            schedule: Schedule {
                cadence: Cadence::parse(row.try_get("cadence")?)?,
                at: parse_time(row.try_get("at_time")?)?,
            },
            channel_id: row.try_get::<&str, _>("channel_id")?.parse()?,
            last_posted: row.try_get::<Option<&str>, _>("last_posted_slot")?.map(parse_timestamp).transpose()?,
        })
    };
    read().with_context(|| format!("the report schedule of workspace {workspace} is damaged"))
}

impl Tx {
    pub async fn schedule(&mut self, workspace: &WorkspaceId) -> Result<Option<StoredSchedule>> {
        let row = sqlx::query("SELECT * FROM report_schedules WHERE workspace_id = ?1")
            .bind(workspace.as_str())
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Every workspace's schedule, for the scheduler.
    pub async fn schedules(&mut self) -> Result<Vec<StoredSchedule>> {
        let rows = sqlx::query("SELECT * FROM report_schedules ORDER BY workspace_id").fetch_all(&mut *self.tx).await?;
        Ok(rows.iter().map(from_row).collect::<anyhow::Result<_>>()?)
    }

    /// Sets the schedule (the caller claims the current slot, so it does not post for a slot
    /// already past).
    pub async fn set_schedule(
        &mut self,
        workspace: &WorkspaceId,
        schedule: &Schedule,
        channel_id: u64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO report_schedules (workspace_id, channel_id, cadence, at_time, last_posted_slot, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (workspace_id) DO UPDATE
             SET channel_id = excluded.channel_id, cadence = excluded.cadence, at_time = excluded.at_time,
                 updated_at = excluded.updated_at",
        )
        .bind(workspace.as_str())
        .bind(channel_id.to_string())
        .bind(schedule.cadence.to_string())
        .bind(schedule.at.format("%H:%M").to_string())
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Stores a schedule read from a backup as it was, with the slot it last posted.
    pub async fn set_schedule_from_backup(&mut self, stored: &StoredSchedule, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO report_schedules (workspace_id, channel_id, cadence, at_time, last_posted_slot, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(stored.workspace.as_str())
        .bind(stored.channel_id.to_string())
        .bind(stored.schedule.cadence.to_string())
        .bind(stored.schedule.at.format("%H:%M").to_string())
        .bind(stored.last_posted.map(timestamp))
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Removes the schedule; whether there was one.
    pub async fn remove_schedule(&mut self, workspace: &WorkspaceId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM report_schedules WHERE workspace_id = ?1")
            .bind(workspace.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records `slot` as posted, unless a later one already is: true when this call claimed it
    /// (so two schedulers never both post the same slot).
    pub async fn claim_slot(&mut self, workspace: &WorkspaceId, slot: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE report_schedules SET last_posted_slot = ?2
             WHERE workspace_id = ?1 AND (last_posted_slot IS NULL OR last_posted_slot < ?2)",
        )
        .bind(workspace.as_str())
        .bind(timestamp(slot))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
