//! What was posted about each alert family: for reminders, escalations and resolution edits.

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Result, Tx, parse_timestamp, timestamp};
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
    pub async fn alert_states(&mut self, workspace: &WorkspaceId) -> Result<Vec<AlertState>> {
        let rows = sqlx::query(
            "SELECT family, alert_key, severity, title, last_posted, acknowledged_at, snoozed_until, resolved_at,
                    channel_id, message_id
             FROM alert_states WHERE workspace_id = ?1 ORDER BY family",
        )
        .bind(workspace.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        let read = |row: &sqlx::sqlite::SqliteRow| -> anyhow::Result<AlertState> {
            Ok(AlertState {
                remembered: Remembered {
                    family: row.try_get("family")?,
                    key: row.try_get("alert_key")?,
                    severity: row.try_get::<i64, _>("severity")?.try_into()?,
                    last_posted: parse_timestamp(row.try_get("last_posted")?)?,
                    acknowledged: row.try_get::<Option<&str>, _>("acknowledged_at")?.is_some(),
                    snoozed_until: row.try_get::<Option<&str>, _>("snoozed_until")?.map(parse_timestamp).transpose()?,
                    resolved: row.try_get::<Option<&str>, _>("resolved_at")?.is_some(),
                },
                title: row.try_get("title")?,
                channel_id: row.try_get::<Option<&str>, _>("channel_id")?.map(str::parse).transpose()?,
                message_id: row.try_get::<Option<&str>, _>("message_id")?.map(str::parse).transpose()?,
            })
        };
        Ok(rows.iter().map(read).collect::<anyhow::Result<_>>()?)
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
        sqlx::query(
            "INSERT INTO alert_states (workspace_id, family, alert_key, severity, title, last_posted)
             VALUES (?1, ?2, ?3, ?4, ?6, ?5)
             ON CONFLICT (workspace_id, family) DO UPDATE
             SET alert_key = excluded.alert_key, severity = excluded.severity, title = excluded.title,
                 last_posted = excluded.last_posted,
                 acknowledged_by = NULL, acknowledged_at = NULL, snoozed_until = NULL, resolved_at = NULL,
                 channel_id = NULL, message_id = NULL",
        )
        .bind(workspace.as_str())
        .bind(family)
        .bind(key)
        .bind(i64::from(severity))
        .bind(timestamp(now))
        .bind(title)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn alert_reminded(&mut self, workspace: &WorkspaceId, family: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE alert_states SET last_posted = ?3 WHERE workspace_id = ?1 AND family = ?2")
            .bind(workspace.as_str())
            .bind(family)
            .bind(timestamp(now))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn alert_resolved(&mut self, workspace: &WorkspaceId, family: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE alert_states SET resolved_at = ?3 WHERE workspace_id = ?1 AND family = ?2")
            .bind(workspace.as_str())
            .bind(family)
            .bind(timestamp(now))
            .execute(&mut *self.tx)
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
            sqlx::query(
                "UPDATE alert_states SET channel_id = ?3, message_id = ?4 WHERE workspace_id = ?1 AND family = ?2",
            )
            .bind(workspace.as_str())
            .bind(family)
            .bind(channel_id.to_string())
            .bind(message_id.to_string())
            .execute(&mut *self.tx)
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
        let done = sqlx::query(
            "UPDATE alert_states SET acknowledged_by = ?3, acknowledged_at = ?4
             WHERE workspace_id = ?1 AND family = ?2 AND resolved_at IS NULL",
        )
        .bind(workspace.as_str())
        .bind(family)
        .bind(by)
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Snoozes a family until `until`; whether there was one.
    pub async fn alert_snoozed(&mut self, workspace: &WorkspaceId, family: &str, until: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE alert_states SET snoozed_until = ?3 WHERE workspace_id = ?1 AND family = ?2 AND resolved_at IS NULL",
        )
        .bind(workspace.as_str())
        .bind(family)
        .bind(timestamp(until))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
