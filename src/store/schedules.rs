//! Report schedules: one per workspace.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::sql::{Columns, args};
use super::{Result, Tx};
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

/// The columns [`from_row`] reads.
const SELECT_SCHEDULES: &str =
    "SELECT workspace_id, cadence, at_time, channel_id, last_posted_slot FROM report_schedules";

fn from_row(row: &dyn Columns) -> anyhow::Result<StoredSchedule> {
    let workspace = row.required_text(0)?;
    let read = || -> anyhow::Result<StoredSchedule> {
        Ok(StoredSchedule {
            workspace: WorkspaceId::parse(workspace)?,
            schedule: Schedule {
                cadence: Cadence::parse(row.required_text(1)?)?,
                at: parse_time(row.required_text(2)?)?,
            },
            channel_id: row.required_text(3)?.parse()?,
            last_posted: row.time(4)?,
        })
    };
    read().with_context(|| format!("the report schedule of workspace {workspace} is damaged"))
}

impl Tx {
    pub async fn schedule(&mut self, workspace: &WorkspaceId) -> Result<Option<StoredSchedule>> {
        self.fetch_optional(&format!("{SELECT_SCHEDULES} WHERE workspace_id = ?1"), args![workspace.as_str()], from_row)
            .await
    }

    /// Every workspace's schedule, for the scheduler.
    pub async fn schedules(&mut self) -> Result<Vec<StoredSchedule>> {
        self.fetch(&format!("{SELECT_SCHEDULES} ORDER BY workspace_id"), args![], from_row).await
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
        self.execute(
            "INSERT INTO report_schedules (workspace_id, channel_id, cadence, at_time, last_posted_slot, updated_at, uuid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
             ON CONFLICT (workspace_id) DO UPDATE
             SET channel_id = excluded.channel_id, cadence = excluded.cadence, at_time = excluded.at_time,
                 updated_at = excluded.updated_at",
            args![
                workspace.as_str(),
                channel_id.to_string(),
                schedule.cadence.to_string(),
                schedule.at.format("%H:%M").to_string(),
                now,
                super::public_id(now)
            ],
        )
        .await?;
        Ok(())
    }

    /// Stores a schedule read from a backup as it was, with the slot it last posted.
    pub async fn set_schedule_from_backup(&mut self, stored: &StoredSchedule, now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "INSERT INTO report_schedules (workspace_id, channel_id, cadence, at_time, last_posted_slot, updated_at, uuid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            args![
                stored.workspace.as_str(),
                stored.channel_id.to_string(),
                stored.schedule.cadence.to_string(),
                stored.schedule.at.format("%H:%M").to_string(),
                stored.last_posted,
                now,
                super::public_id(now)
            ],
        )
        .await?;
        Ok(())
    }

    /// Removes the schedule; whether there was one.
    pub async fn remove_schedule(&mut self, workspace: &WorkspaceId) -> Result<bool> {
        let removed =
            self.execute("DELETE FROM report_schedules WHERE workspace_id = ?1", args![workspace.as_str()]).await?;
        Ok(removed == 1)
    }

    /// Records `slot` as posted, unless a later one already is: true when this call claimed it
    /// (so two schedulers never both post the same slot).
    pub async fn claim_slot(&mut self, workspace: &WorkspaceId, slot: DateTime<Utc>) -> Result<bool> {
        let claimed = self
            .execute(
                "UPDATE report_schedules SET last_posted_slot = ?2
                 WHERE workspace_id = ?1 AND (last_posted_slot IS NULL OR last_posted_slot < ?2)",
                args![workspace.as_str(), slot],
            )
            .await?;
        Ok(claimed == 1)
    }
}
