//! What was posted about each alert family: for reminders, escalations and resolution edits.

use chrono::{DateTime, Utc};

use super::sql::args;
use super::{Result, Tx};
use crate::domain::alerting::Remembered;
use crate::domain::workspace::WorkspaceId;

/// A remembered alert and the message that carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertState {
    pub remembered: Remembered,
    /// Its title as posted.
    pub title: String,
    pub channel_id: Option<u64>,
    pub message_id: Option<u64>,
}

impl Tx {
    /// The workspace's alert states, by family (in byte order on both backends: PostgreSQL's own
    /// order of text follows the database's collation).
    pub async fn alert_states(&mut self, workspace: &WorkspaceId) -> Result<Vec<AlertState>> {
        let mut states = self
            .fetch(
                "SELECT family, alert_key, severity, title, last_posted, acknowledged_at, snoozed_until, resolved_at,
                    channel_id, message_id
             FROM alert_states WHERE workspace_id = ?1 ORDER BY family",
                args![workspace.as_str()],
                |row| {
                    Ok(AlertState {
                        remembered: Remembered {
                            family: row.required_text(0)?.to_string(),
                            key: row.required_text(1)?.to_string(),
                            severity: row.required_int(2)?.try_into()?,
                            last_posted: row.required_time(4)?,
                            acknowledged: row.time(5)?.is_some(),
                            snoozed_until: row.time(6)?,
                            resolved: row.time(7)?.is_some(),
                        },
                        title: row.required_text(3)?.to_string(),
                        channel_id: row.text(8)?.map(str::parse).transpose()?,
                        message_id: row.text(9)?.map(str::parse).transpose()?,
                    })
                },
            )
            .await?;
        states.sort_by(|a, b| a.remembered.family.cmp(&b.remembered.family));
        Ok(states)
    }

    /// A family posted (new or escalated): a fresh state, waiting for its message.
    pub async fn alert_posted(
        &mut self,
        workspace: &WorkspaceId,
        family: &str,
        key: &str,
        severity: u8,
        title: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO alert_states (workspace_id, family, alert_key, severity, title, last_posted, uuid)
             VALUES (?1, ?2, ?3, ?4, ?6, ?5, ?7)
             ON CONFLICT (workspace_id, family) DO UPDATE
             SET alert_key = excluded.alert_key, severity = excluded.severity, title = excluded.title,
                 last_posted = excluded.last_posted,
                 acknowledged_by = NULL, acknowledged_at = NULL, snoozed_until = NULL, resolved_at = NULL,
                 channel_id = NULL, message_id = NULL",
            args![workspace.as_str(), family, key, i64::from(severity), now, title, super::public_id(now)],
        )
        .await?;
        Ok(())
    }

    pub async fn alert_reminded(&mut self, workspace: &WorkspaceId, family: &str, now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "UPDATE alert_states SET last_posted = ?3 WHERE workspace_id = ?1 AND family = ?2",
            args![workspace.as_str(), family, now],
        )
        .await?;
        Ok(())
    }

    pub async fn alert_resolved(&mut self, workspace: &WorkspaceId, family: &str, now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "UPDATE alert_states SET resolved_at = ?3 WHERE workspace_id = ?1 AND family = ?2",
            args![workspace.as_str(), family, now],
        )
        .await?;
        Ok(())
    }

    /// The message that now carries `families`.
    pub async fn alert_message(
        &mut self,
        workspace: &WorkspaceId,
        families: &[String],
        channel_id: u64,
        message_id: u64,
    ) -> Result<()> {
        for family in families {
            self.execute(
                "UPDATE alert_states SET channel_id = ?3, message_id = ?4 WHERE workspace_id = ?1 AND family = ?2",
                args![workspace.as_str(), family.as_str(), channel_id.to_string(), message_id.to_string()],
            )
            .await?;
        }
        Ok(())
    }

    /// Marks a family acknowledged by `by` (until it escalates); whether there was one.
    pub async fn alert_acknowledged(
        &mut self,
        workspace: &WorkspaceId,
        family: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let changed = self
            .execute(
                "UPDATE alert_states SET acknowledged_by = ?3, acknowledged_at = ?4
                 WHERE workspace_id = ?1 AND family = ?2 AND resolved_at IS NULL",
                args![workspace.as_str(), family, by, now],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Snoozes a family until `until`; whether there was one.
    pub async fn alert_snoozed(&mut self, workspace: &WorkspaceId, family: &str, until: DateTime<Utc>) -> Result<bool> {
        let changed = self
            .execute(
                "UPDATE alert_states SET snoozed_until = ?3 WHERE workspace_id = ?1 AND family = ?2 AND resolved_at IS NULL",
                args![workspace.as_str(), family, until],
            )
            .await?;
        Ok(changed == 1)
    }
}
