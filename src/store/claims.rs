//! Claims on shared work, so that several Jarvis instances on one ledger each do a piece of work
//! once: a claim names its owner (an instance id) and a lease; another instance may take it only
//! once the lease has run out (its owner died or hung). Taken with one conditional write on both
//! backends (writes queue, see `Store::write`), so two instances never both hold it.

use chrono::{DateTime, Utc};

use super::sql::args;
use super::{Result, Tx};

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
        let held = self
            .fetch_optional(
                "INSERT INTO job_claims (job, owner, lease_until, claimed_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (job) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until,
                     claimed_at = CASE WHEN job_claims.owner = excluded.owner THEN job_claims.claimed_at
                                       ELSE excluded.claimed_at END
                 WHERE job_claims.owner = excluded.owner OR job_claims.lease_until < excluded.claimed_at
                 RETURNING owner",
                args![job, owner, lease_until, now],
                |row| Ok(row.required_text(0)?.to_string()),
            )
            .await?;
        Ok(held.as_deref() == Some(owner))
    }

    /// Gives up `owner`'s claim on `job` (another instance may take it at once); whether it held it.
    pub async fn release_job(&mut self, job: &str, owner: &str) -> Result<bool> {
        Ok(self.execute("DELETE FROM job_claims WHERE job = ?1 AND owner = ?2", args![job, owner]).await? == 1)
    }

    /// Who holds `job` and until when, while the lease runs at `now`.
    pub async fn job_holder(&mut self, job: &str, now: DateTime<Utc>) -> Result<Option<(String, DateTime<Utc>)>> {
        self.fetch_optional(
            "SELECT owner, lease_until FROM job_claims WHERE job = ?1 AND lease_until >= ?2",
            args![job, now],
            |row| Ok((row.required_text(0)?.to_string(), row.required_time(1)?)),
        )
        .await
    }
}
