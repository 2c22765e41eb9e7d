//! The outbox: messages owed to Discord, until Discord accepts them.

use chrono::{DateTime, Utc};

use super::sql::{Arg, Backend, args};
use super::{Result, Tx, exactly_one};
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
        self.fetch_one(
            "INSERT INTO outbox (workspace_id, kind, channel_id, payload, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             RETURNING id",
            args![workspace.as_str(), kind, channel_id.to_string(), Arg::json(Some(payload.to_string())), now],
            |row| row.required_int(0),
        )
        .await
    }

    /// Whether a notice about `channel` was queued since `since`.
    pub async fn noticed_since(&mut self, workspace: &WorkspaceId, channel: u64, since: DateTime<Utc>) -> Result<bool> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT 1 FROM outbox WHERE workspace_id = ?1 AND kind = 'notice'
                 AND json_extract(payload, '$.channel') = ?2 AND created_at >= ?3 LIMIT 1"
            }
            Backend::Postgres => {
                "SELECT 1 FROM outbox WHERE workspace_id = ?1 AND kind = 'notice'
                 AND payload->>'channel' = ?2 AND created_at >= ?3 LIMIT 1"
            }
        };
        let found = self.fetch_optional(sql, args![workspace.as_str(), channel.to_string(), since], |_| Ok(())).await?;
        Ok(found.is_some())
    }

    /// Forgets what is over: outbox messages sent or given up on before `outbox_before`, and
    /// alerts resolved before `alerts_before`. Returns how many of each went.
    pub async fn prune_delivery_history(
        &mut self,
        outbox_before: DateTime<Utc>,
        alerts_before: DateTime<Utc>,
    ) -> Result<(u64, u64)> {
        let outbox = self
            .execute("DELETE FROM outbox WHERE status IN ('sent', 'failed') AND created_at < ?1", args![outbox_before])
            .await?;
        let alerts = self
            .execute(
                "DELETE FROM alert_states WHERE resolved_at IS NOT NULL AND resolved_at < ?1",
                args![alerts_before],
            )
            .await?;
        Ok((outbox, alerts))
    }

    /// When the next pending message is due (now or in the past when one is waiting already).
    pub async fn next_attempt(&mut self) -> Result<Option<DateTime<Utc>>> {
        self.fetch_one("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'", args![], |row| row.time(0))
            .await
    }

    /// Pending messages whose time has come, oldest first.
    pub async fn deliverable(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<OutboxEntry>> {
        self.fetch(
            "SELECT id, workspace_id, kind, channel_id, payload, attempts FROM outbox
             WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
            args![now, i64::from(limit)],
            |row| {
                Ok(OutboxEntry {
                    id: row.required_int(0)?,
                    workspace: WorkspaceId::parse(row.required_text(1)?)?,
                    kind: row.required_text(2)?.to_string(),
                    channel_id: row.required_text(3)?.parse()?,
                    payload: serde_json::from_str(&row.required_json(4)?)?,
                    attempts: row.required_int(5)?.try_into()?,
                })
            },
        )
        .await
    }

    pub async fn mark_sent(&mut self, id: i64, message_id: u64, now: DateTime<Utc>) -> Result<()> {
        let changed = self
            .execute(
                "UPDATE outbox SET status = 'sent', message_id = ?2, sent_at = ?3, attempts = attempts + 1 WHERE id = ?1",
                args![id, message_id.to_string(), now],
            )
            .await?;
        exactly_one(changed, || format!("outbox message #{id}"))
    }

    /// Tries again at `next`, noting why it failed.
    pub async fn retry_later(&mut self, id: i64, next: DateTime<Utc>, error: &str) -> Result<()> {
        let changed = self
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
                args![id, next, error],
            )
            .await?;
        exactly_one(changed, || format!("outbox message #{id}"))
    }

    /// Gives up on a message.
    pub async fn mark_failed(&mut self, id: i64, error: &str) -> Result<()> {
        let changed = self
            .execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                args![id, error],
            )
            .await?;
        exactly_one(changed, || format!("outbox message #{id}"))
    }
}
