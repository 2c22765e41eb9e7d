//! The outbox: messages owed to Discord, until Discord accepts them.

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Result, Tx, exactly_one, parse_timestamp, timestamp};
use crate::domain::workspace::WorkspaceId;

/// A message waiting to be delivered.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxEntry {
    pub id: i64,
    pub workspace: WorkspaceId,
    pub kind: String,
    pub channel_id: u64,
    pub payload: serde_json::Value,
    pub attempts: u32,
}

impl Tx {
    /// Queues a message; it is delivered from `now` on.
    pub async fn enqueue(
        &mut self,
        workspace: &WorkspaceId,
        kind: &str,
        channel_id: u64,
        payload: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let done = sqlx::query(
            "INSERT INTO outbox (workspace_id, kind, channel_id, payload, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )
        .bind(workspace.as_str())
        .bind(kind)
        .bind(channel_id.to_string())
        .bind(payload.to_string())
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.last_insert_rowid())
    }

    /// Whether a notice about `channel` was queued since `since`.
    pub async fn noticed_since(&mut self, workspace: &WorkspaceId, channel: u64, since: DateTime<Utc>) -> Result<bool> {
        let found = sqlx::query(
            "SELECT 1 FROM outbox WHERE workspace_id = ?1 AND kind = 'notice'
             AND json_extract(payload, '$.channel') = ?2 AND created_at >= ?3 LIMIT 1",
        )
        .bind(workspace.as_str())
        .bind(channel.to_string())
        .bind(timestamp(since))
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(found.is_some())
    }

    /// Forgets what is over: outbox messages sent or given up on before `outbox_before`, and
    /// alerts resolved before `alerts_before`. Returns how many of each went.
    pub async fn prune_delivery_history(
        &mut self,
        outbox_before: DateTime<Utc>,
        alerts_before: DateTime<Utc>,
    ) -> Result<(u64, u64)> {
        let outbox = sqlx::query("DELETE FROM outbox WHERE status IN ('sent', 'failed') AND created_at < ?1")
            .bind(timestamp(outbox_before))
            .execute(&mut *self.tx)
            .await?;
        let alerts = sqlx::query("DELETE FROM alert_states WHERE resolved_at IS NOT NULL AND resolved_at < ?1")
            .bind(timestamp(alerts_before))
            .execute(&mut *self.tx)
            .await?;
        Ok((outbox.rows_affected(), alerts.rows_affected()))
    }

    /// When the next pending message is due (now or in the past when one is waiting already).
    pub async fn next_attempt(&mut self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<String> =
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'")
                .fetch_one(&mut *self.tx)
                .await?;
        Ok(next.as_deref().map(parse_timestamp).transpose()?)
    }

    /// Pending messages whose time has come, oldest first.
    pub async fn deliverable(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query(
            "SELECT id, workspace_id, kind, channel_id, payload, attempts FROM outbox
             WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
        )
        .bind(timestamp(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await?;
        let read = |row: &sqlx::sqlite::SqliteRow| -> anyhow::Result<OutboxEntry> {
            Ok(OutboxEntry {
                id: row.try_get("id")?,
                workspace: WorkspaceId::parse(row.try_get("workspace_id")?)?,
                kind: row.try_get("kind")?,
                channel_id: row.try_get::<&str, _>("channel_id")?.parse()?,
                payload: serde_json::from_str(row.try_get("payload")?)?,
                attempts: row.try_get::<i64, _>("attempts")?.try_into()?,
            })
        };
        Ok(rows.iter().map(read).collect::<anyhow::Result<_>>()?)
    }

    pub async fn mark_sent(&mut self, id: i64, message_id: u64, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE outbox SET status = 'sent', message_id = ?2, sent_at = ?3, attempts = attempts + 1 WHERE id = ?1",
        )
        .bind(id)
        .bind(message_id.to_string())
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        exactly_one(done, || format!("outbox message #{id}"))
    }

    /// Tries again at `next`, noting why it failed.
    pub async fn retry_later(&mut self, id: i64, next: DateTime<Utc>, error: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
        )
        .bind(id)
        .bind(timestamp(next))
        .bind(error)
        .execute(&mut *self.tx)
        .await?;
        exactly_one(done, || format!("outbox message #{id}"))
    }

    /// Gives up on a message.
    pub async fn mark_failed(&mut self, id: i64, error: &str) -> Result<()> {
        let done =
            sqlx::query("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1")
                .bind(id)
                .bind(error)
                .execute(&mut *self.tx)
                .await?;
        exactly_one(done, || format!("outbox message #{id}"))
    }
}
