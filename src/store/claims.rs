//! Claims on shared work, so that several Jarvis instances on one ledger each do a piece of work
//! once: a claim names its owner (an instance id) and a lease; another instance may take it only
//! once the lease has run out (its owner died or hung). Taken with one conditional write on both
//! backends (writes queue, see `Store::write`), so two instances never both hold it.

use chrono::{DateTime, Utc};

use super::sql::args;
use super::{Result, Tx};

/// When another instance may take a job that its owner released: the job stays with the
/// instance that did it last (its caches warm) while that instance lives and keeps doing it.
#[derive(Clone, Copy, Debug)]
pub struct Handover {
    /// The owner counts as gone when its last heartbeat is older than this.
    pub owner_seen_since: DateTime<Utc>,
    /// The job counts as neglected when it was last done (released) before this.
    pub done_before: DateTime<Utc>,
}

impl Tx {
    /// Takes (or renews) the claim on `job` for `owner` until `lease_until`; whether `owner` holds
    /// it now. Refused while another owner's lease runs.
    pub async fn claim_job(
        &mut self,
        job: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        self.claim_job_kept(job, owner, now, lease_until, None).await
    }

    /// [`Tx::claim_job`], and with a `handover`, a job another instance released is taken only
    /// when that instance is gone or the job was neglected.
    pub async fn claim_job_kept(
        &mut self,
        job: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        handover: Option<Handover>,
    ) -> Result<bool> {
        let held = self
            .fetch_optional(
                "INSERT INTO job_claims (job, owner, lease_until, claimed_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (job) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until,
                     claimed_at = CASE WHEN job_claims.owner = excluded.owner THEN job_claims.claimed_at
                                       ELSE excluded.claimed_at END
                 WHERE job_claims.owner = excluded.owner
                    OR (job_claims.lease_until <= excluded.claimed_at
                        AND (?5 IS NULL
                             OR job_claims.lease_until < ?6
                             OR NOT EXISTS (SELECT 1 FROM instances
                                            WHERE instances.id = job_claims.owner AND instances.seen_at >= ?5)))
                 RETURNING owner",
                args![
                    job,
                    owner,
                    lease_until,
                    now,
                    handover.map(|h| h.owner_seen_since),
                    handover.map(|h| h.done_before)
                ],
                |row| Ok(row.required_text(0)?.to_string()),
            )
            .await?;
        Ok(held.as_deref() == Some(owner))
    }

    /// Gives up `owner`'s claim on `job` at `now`; whether it held it. The row keeps its owner,
    /// for [`Handover`]; without one, another instance may take the job at once.
    pub async fn release_job(&mut self, job: &str, owner: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(self
            .execute(
                "UPDATE job_claims SET lease_until = ?3 WHERE job = ?1 AND owner = ?2 AND lease_until > ?3",
                args![job, owner, now],
            )
            .await?
            == 1)
    }

    /// Who holds `job` and until when, while the lease runs at `now`.
    pub async fn job_holder(&mut self, job: &str, now: DateTime<Utc>) -> Result<Option<(String, DateTime<Utc>)>> {
        self.fetch_optional(
            "SELECT owner, lease_until FROM job_claims WHERE job = ?1 AND lease_until > ?2",
            args![job, now],
            |row| Ok((row.required_text(0)?.to_string(), row.required_time(1)?)),
        )
        .await
    }
}

/// A running (or gone) Jarvis instance, as its heartbeats left it.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct InstanceRow {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
    pub shards: Option<String>,
}

/// A claim on a job, while its lease runs.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct HeldJob {
    pub job: String,
    pub owner: String,
    pub lease_until: DateTime<Utc>,
}

/// The oldest message still owed to Discord.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Owed {
    pub id: i64,
    pub workspace: String,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    /// The instance delivering it now, if one claimed it, and until when.
    pub claimed_by: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
}

impl Tx {
    /// The fingerprint of the slash commands last registered with Discord (see
    /// `discord::commands_fingerprint`).
    pub async fn registered_commands(&mut self) -> Result<Option<String>> {
        self.state("commands_registered").await
    }

    /// Notes the fingerprint of the commands just registered.
    pub async fn set_registered_commands(&mut self, fingerprint: &str) -> Result<()> {
        self.set_state("commands_registered", fingerprint).await
    }

    /// Records that instance `id` (started at `started_at`) is alive at `now`.
    pub async fn heartbeat(
        &mut self,
        id: &str,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
        shards: Option<&str>,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO instances (id, started_at, seen_at, shards) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, shards = excluded.shards",
            args![id, started_at, now, shards],
        )
        .await?;
        Ok(())
    }

    /// Forgets instance `id` (it stopped) and frees its job and shard claims; its outbox claims
    /// too, at `messages_done`, when no post of it can still be on its way. Otherwise they run out
    /// with their leases. Either way whoever delivers them next looks in the channel first.
    pub async fn instance_stopped(&mut self, id: &str, messages_done: Option<DateTime<Utc>>) -> Result<()> {
        self.execute("DELETE FROM instances WHERE id = ?1", args![id]).await?;
        self.execute("DELETE FROM job_claims WHERE owner = ?1", args![id]).await?;
        if let Some(now) = messages_done {
            // Free at once, but still named: one whose outcome this instance could not record is
            // looked for in its channel by whoever delivers it.
            self.execute(
                "UPDATE outbox SET lease_until = ?2 WHERE claimed_by = ?1 AND status = 'pending'",
                args![id, now],
            )
            .await?;
        }
        Ok(())
    }

    /// Every instance that sent a heartbeat since `since`, the latest seen first.
    pub async fn instances(&mut self, since: DateTime<Utc>) -> Result<Vec<InstanceRow>> {
        let mut rows = self
            .fetch("SELECT id, started_at, seen_at, shards FROM instances WHERE seen_at >= ?1", args![since], |row| {
                Ok(InstanceRow {
                    id: row.required_text(0)?.to_string(),
                    started_at: row.required_time(1)?,
                    seen_at: row.required_time(2)?,
                    shards: row.text(3)?.map(str::to_string),
                })
            })
            .await?;
        rows.sort_by(|a, b| b.seen_at.cmp(&a.seen_at).then_with(|| a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// The jobs claimed at `now` (their leases running), by job.
    pub async fn held_jobs(&mut self, now: DateTime<Utc>) -> Result<Vec<HeldJob>> {
        let mut jobs = self
            .fetch("SELECT job, owner, lease_until FROM job_claims WHERE lease_until > ?1", args![now], |row| {
                Ok(HeldJob {
                    job: row.required_text(0)?.to_string(),
                    owner: row.required_text(1)?.to_string(),
                    lease_until: row.required_time(2)?,
                })
            })
            .await?;
        jobs.sort_by(|a, b| a.job.cmp(&b.job));
        Ok(jobs)
    }

    /// The oldest message still owed to Discord, and how many are owed (in `workspace`, or in
    /// every workspace).
    pub async fn oldest_owed(&mut self, workspace: Option<&str>) -> Result<(Option<Owed>, i64)> {
        let oldest = self
            .fetch_optional(
                "SELECT id, workspace_id, kind, created_at, attempts, claimed_by, lease_until FROM outbox
                 WHERE status = 'pending' AND (?1 IS NULL OR workspace_id = ?1) ORDER BY id LIMIT 1",
                args![workspace],
                |row| {
                    Ok(Owed {
                        id: row.required_int(0)?,
                        workspace: row.required_text(1)?.to_string(),
                        kind: row.required_text(2)?.to_string(),
                        created_at: row.required_time(3)?,
                        attempts: row.required_int(4)?,
                        claimed_by: row.text(5)?.map(str::to_string),
                        lease_until: row.time(6)?,
                    })
                },
            )
            .await?;
        let count = self
            .fetch_one(
                "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND (?1 IS NULL OR workspace_id = ?1)",
                args![workspace],
                |row| row.required_int(0),
            )
            .await?;
        Ok((oldest, count))
    }

    /// The latest report slot posted (in `workspace`, or in any), with its workspace.
    pub async fn last_report_slot(&mut self, workspace: Option<&str>) -> Result<Option<(String, DateTime<Utc>)>> {
        self.fetch_optional(
            "SELECT workspace_id, last_posted_slot FROM report_schedules
             WHERE last_posted_slot IS NOT NULL AND (?1 IS NULL OR workspace_id = ?1)
             ORDER BY last_posted_slot DESC LIMIT 1",
            args![workspace],
            |row| Ok((row.required_text(0)?.to_string(), row.required_time(1)?)),
        )
        .await
    }
}
