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
    /// A claim was left on it: an instance died or stopped mid-delivery, could not record the
    /// outcome, or its last post's outcome is unknown (a network failure, a server error). It may
    /// be in the channel already, so the channel is looked at before posting again.
    pub maybe_posted: bool,
    pub created_at: DateTime<Utc>,
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

    /// When the next pending message is due (now or in the past when one is waiting already); a
    /// message another instance is delivering is due when its claim's lease runs out.
    pub async fn next_attempt(&mut self) -> Result<Option<DateTime<Utc>>> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, next_attempt_at))) FROM outbox
                 WHERE status = 'pending'"
            }
            Backend::Postgres => {
                "SELECT MIN(GREATEST(next_attempt_at, lease_until)) FROM outbox WHERE status = 'pending'"
            }
        };
        self.fetch_one(sql, args![], |row| row.time(0)).await
    }

    /// Claims for `owner`, until `lease_until`, up to `limit` pending messages whose time has come
    /// and that nobody else is delivering (no claim, or its lease ran out: its instance died), the
    /// oldest first. A message stays claimed until it is marked sent, retried or failed, or its
    /// lease runs out.
    pub async fn claim_deliverable(
        &mut self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        // PostgreSQL skips rows another transaction is claiming; SQLite's writers queue anyway.
        let lock = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "SELECT id, workspace_id, kind, channel_id, payload, attempts, claimed_by IS NOT NULL, created_at
             FROM outbox
             WHERE status = 'pending' AND next_attempt_at <= ?2
               AND (lease_until IS NULL OR lease_until <= ?2 OR claimed_by = ?1)
             ORDER BY id LIMIT ?3 {lock}"
        );
        let mut entries = self
            .fetch(&sql, args![owner, now, i64::from(limit)], |row| {
                Ok(OutboxEntry {
                    id: row.required_int(0)?,
                    workspace: WorkspaceId::parse(row.required_text(1)?)?,
                    kind: row.required_text(2)?.to_string(),
                    channel_id: row.required_text(3)?.parse()?,
                    payload: serde_json::from_str(&row.required_json(4)?)?,
                    attempts: row.required_int(5)?.try_into()?,
                    maybe_posted: row.required_bool(6)?,
                    created_at: row.required_time(7)?,
                })
            })
            .await?;
        if entries.is_empty() {
            return Ok(entries);
        }
        let ids: Vec<i64> = entries.iter().map(|entry| entry.id).collect();
        let sql = format!("UPDATE outbox SET claimed_by = ?1, lease_until = ?2 WHERE {}", self.in_ids("id", 3));
        self.execute(&sql, &[Arg::from(owner), Arg::from(lease_until), Arg::Ids(&ids)]).await?;
        entries.sort_by_key(|entry| entry.id);
        Ok(entries)
    }

    /// Extends `owner`'s claim on message `id` to `lease_until`; whether `owner` still held it.
    pub async fn renew_outbox_claim(&mut self, id: i64, owner: &str, lease_until: DateTime<Utc>) -> Result<bool> {
        let renewed = self
            .execute(
                "UPDATE outbox SET lease_until = ?3 WHERE id = ?1 AND claimed_by = ?2 AND status = 'pending'",
                args![id, owner, lease_until],
            )
            .await?;
        Ok(renewed == 1)
    }

    pub async fn mark_sent(&mut self, id: i64, message_id: u64, now: DateTime<Utc>) -> Result<()> {
        let changed = self
            .execute(
                "UPDATE outbox SET status = 'sent', message_id = ?2, sent_at = ?3, attempts = attempts + 1,
                     claimed_by = NULL, lease_until = NULL
                 WHERE id = ?1",
                args![id, message_id.to_string(), now],
            )
            .await?;
        exactly_one(changed, || format!("outbox message #{id}"))
    }

    /// Tries again at `next`, noting why it failed. When the post may have reached the channel
    /// (`maybe_posted`: its outcome is unknown), the claim's owner is kept (its lease ended) so
    /// that whoever tries next looks in the channel first.
    pub async fn retry_later(&mut self, id: i64, next: DateTime<Utc>, error: &str, maybe_posted: bool) -> Result<()> {
        let changed = self
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3,
                     claimed_by = CASE WHEN ?4 THEN claimed_by END, lease_until = NULL
                 WHERE id = ?1 AND status = 'pending'",
                args![id, next, error, maybe_posted],
            )
            .await?;
        exactly_one(changed, || format!("outbox message #{id}"))
    }

    /// Gives up on a message.
    pub async fn mark_failed(&mut self, id: i64, error: &str) -> Result<()> {
        let changed = self
            .execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2,
                     claimed_by = NULL, lease_until = NULL
                 WHERE id = ?1 AND status = 'pending'",
                args![id, error],
            )
            .await?;
        exactly_one(changed, || format!("outbox message #{id}"))
    }
}
