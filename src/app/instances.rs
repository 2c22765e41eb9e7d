//! Several Jarvis instances on one ledger, working as one: every piece of shared work is claimed
//! for a lease (renewed while it lasts, released at the end, taken over when its instance died),
//! each instance serves its own range of Discord's gateway shards, says it is alive with a
//! heartbeat, and `jarvis status` shows who does what.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{App, Result};
use crate::domain::UserError;
use crate::domain::workspace::WorkspaceId;

/// How long a claim lasts without renewal by default (`JARVIS_LEASE`): far longer than one
/// renewal interval (a third of it), short enough that another instance takes over soon after one
/// dies. An instance silent for two leases is shown as gone.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(60);

/// The most shards a deployment may ask for (Discord wants one per 1,000 servers at most; this
/// is far past any self-hosted bot).
const MAX_SHARDS: u32 = 1024;

/// The gateway shards an instance serves: one range, `FIRST-LAST` or a single `N`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
}

impl ShardRange {
    /// Reads `0-1` or `3`.
    pub fn parse(input: &str) -> Result<ShardRange, UserError> {
        let bad = |reason: String| UserError::invalid("shard range", input, reason);
        let number = |part: &str| {
            part.trim()
                .parse::<u32>()
                .map_err(|_| bad("write FIRST-LAST (e.g. 0-1) or one shard number (e.g. 2)".into()))
        };
        let (first, last) = match input.split_once('-') {
            Some((first, last)) => (number(first)?, number(last)?),
            None => {
                let shard = number(input)?;
                (shard, shard)
            }
        };
        if first > last {
            return Err(bad(format!("it runs backwards; write {last}-{first}")));
        }
        Ok(ShardRange { first, last })
    }
}

impl std::fmt::Display for ShardRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last { write!(f, "{}", self.first) } else { write!(f, "{}-{}", self.first, self.last) }
    }
}

/// How many shards the whole deployment runs: a number, or what Discord recommends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ShardCount {
    Fixed(u32),
    /// Asked from Discord at start (`GET /gateway/bot`).
    Auto,
}

impl ShardCount {
    /// Reads `4` or `auto`.
    pub fn parse(input: &str) -> Result<ShardCount, UserError> {
        if input.trim().eq_ignore_ascii_case("auto") {
            return Ok(ShardCount::Auto);
        }
        match input.trim().parse::<u32>() {
            Ok(count @ 1..=MAX_SHARDS) => Ok(ShardCount::Fixed(count)),
            _ => Err(UserError::invalid(
                "shard count",
                input,
                format!("give a number from 1 to {MAX_SHARDS}, or auto (Discord's recommendation)"),
            )),
        }
    }
}

/// The shards this instance serves, out of the deployment's count.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct ShardPlan {
    pub first: u32,
    pub last: u32,
    pub count: u32,
}

impl ShardPlan {
    /// Every shard of `count` (one instance alone).
    pub fn all(count: u32) -> ShardPlan {
        ShardPlan { first: 0, last: count.saturating_sub(1), count }
    }

    /// `range` (all shards when `None`) out of `count`, refused when it does not fit.
    pub fn new(range: Option<ShardRange>, count: u32) -> Result<ShardPlan, UserError> {
        if count == 0 || count > MAX_SHARDS {
            return Err(UserError::invalid("shard count", count.to_string(), format!("give 1 to {MAX_SHARDS}")));
        }
        let Some(range) = range else { return Ok(ShardPlan::all(count)) };
        if range.last >= count {
            return Err(UserError::invalid(
                "shard range",
                range.to_string(),
                format!("with a shard count of {count} the shards are 0 to {}", count - 1),
            ));
        }
        Ok(ShardPlan { first: range.first, last: range.last, count })
    }

    /// The shards served, in order.
    pub fn shards(&self) -> impl Iterator<Item = u32> {
        self.first..=self.last
    }

    /// Whether this instance serves shard 0 (it registers the commands).
    pub fn has_shard_zero(&self) -> bool {
        self.first == 0
    }

    /// The claim that makes `shard` this instance's.
    fn job(shard: u32, count: u32) -> String {
        format!("shard {shard}/{count}")
    }

    /// Reads a shard claim's job name back: (shard, count).
    fn parse_job(job: &str) -> Option<(u32, u32)> {
        let (shard, count) = job.strip_prefix("shard ")?.split_once('/')?;
        Some((shard.parse().ok()?, count.parse().ok()?))
    }
}

impl std::fmt::Display for ShardPlan {
    /// `0-1/4`: shards 0 and 1 of 4.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", ShardRange { first: self.first, last: self.last }, self.count)
    }
}

impl App {
    /// This app with its claims lasting `lease` without renewal (`JARVIS_LEASE`).
    pub fn with_lease(&self, lease: std::time::Duration) -> App {
        App { lease, ..self.clone() }
    }

    /// How long this instance's claims last without renewal.
    pub fn lease(&self) -> std::time::Duration {
        self.lease
    }

    /// How often claims are renewed: three times a lease, so one slow renewal loses nothing.
    pub fn renew_every(&self) -> std::time::Duration {
        self.lease / 3
    }

    /// When a claim taken or renewed now runs out.
    fn lease_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.clock.span(self.lease)
    }

    /// Messages owed to Discord whose time has come, claimed for this instance (see
    /// [`App::instance`]) for a lease: no other instance delivers them meanwhile, and they go
    /// back to everyone when the lease runs out (this instance died mid-way).
    pub async fn deliverable(&self, limit: u32) -> Result<Vec<crate::store::OutboxEntry>> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let claimed = tx.claim_deliverable(self.instance(), now, self.lease_until(now), limit).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Renews this instance's claim on `entry` for another lease; `false` when it is no longer
    /// this instance's to deliver (taken over, or done).
    pub async fn renew_delivery(&self, entry: &crate::store::OutboxEntry) -> Result<bool> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let renewed = tx.renew_outbox_claim(entry.id, self.instance(), self.lease_until(now)).await?;
        tx.commit().await?;
        Ok(renewed)
    }

    /// Runs `work`, a job this instance does about every `cadence`, when it can claim `job`:
    /// one instance at a time does it, `None` when another holds it. The claim is renewed while
    /// the work lasts and released at the end. The job then stays with this instance (its caches
    /// warm for the next run) while it lives and keeps doing it: another instance takes it only
    /// when this one is gone (silent for two leases, or stopped) or the job was not done for two
    /// cadences. A claim whose instance died runs out with its lease.
    pub async fn claimed<T>(
        &self,
        job: &str,
        cadence: std::time::Duration,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<Option<T>> {
        self.run_claimed(job, Some(cadence), work).await
    }

    /// [`App::claimed`] out of turn (after a change this instance made): taken from the job's
    /// last owner too, unless it is doing the job right now.
    pub async fn claimed_now<T>(
        &self,
        job: &str,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<Option<T>> {
        self.run_claimed(job, None, work).await
    }

    async fn run_claimed<T>(
        &self,
        job: &str,
        cadence: Option<std::time::Duration>,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<Option<T>> {
        if !self.claim(job, cadence).await? {
            tracing::debug!(job, "another instance holds this job");
            return Ok(None);
        }
        let done = self.while_renewing(work, || self.claim(job, None), job).await;
        let mut tx = self.store.write().await?;
        tx.release_job(job, self.instance(), self.now()).await?;
        tx.commit().await?;
        done.map(Some)
    }

    /// Runs `work`, calling `renew` (which says whether this instance still holds its claim)
    /// every third of a lease meanwhile, so that the claim lasts while the work does. `what`
    /// names the claim in the log when it was lost (this instance was paused past its lease).
    pub async fn while_renewing<T, R>(
        &self,
        work: impl std::future::Future<Output = T>,
        mut renew: impl FnMut() -> R,
        what: &str,
    ) -> T
    where
        R: std::future::Future<Output = Result<bool>>,
    {
        let mut work = std::pin::pin!(work);
        let mut every = tokio::time::interval(self.renew_every());
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            tokio::select! {
                done = &mut work => return done,
                _ = every.tick() => match renew().await {
                    Ok(true) => {}
                    Ok(false) => tracing::error!(what, "this instance lost its claim while working (it was paused past its lease); another may do the same work"),
                    Err(error) => tracing::warn!(what, "could not renew a claim: {error:#}"),
                },
            }
        }
    }

    /// Takes or renews the claim on `job` for a lease (kept with its last owner for a job done
    /// every `cadence`); whether this instance holds it.
    async fn claim(&self, job: &str, cadence: Option<std::time::Duration>) -> Result<bool> {
        let now = self.now();
        let handover = cadence.map(|cadence| crate::store::Handover {
            owner_seen_since: now - self.clock.span(self.lease * 2),
            done_before: now - self.clock.span(cadence * 2),
        });
        let mut tx = self.store.write().await?;
        let held = tx.claim_job_kept(job, self.instance(), now, self.lease_until(now), handover).await?;
        tx.commit().await?;
        Ok(held)
    }

    /// Makes `plan`'s shards this instance's before it connects. A shard still claimed by an
    /// instance that died is waited for (its lease runs out, at most one lease); one served by a
    /// live instance (it keeps renewing), or a deployment running another shard count, is
    /// refused with what to change.
    pub async fn claim_shards(&self, plan: &ShardPlan) -> Result<()> {
        // The lease end first seen on each shard claim in the way.
        let mut waited: std::collections::HashMap<String, DateTime<Utc>> = Default::default();
        // A claim that neither runs out nor is renewed within two leases of real time (a stopped
        // clock) counts as a live instance's.
        let give_up = tokio::time::Instant::now() + self.lease * 2;
        loop {
            let now = self.now();
            let mut tx = self.store.write().await?;
            let held = tx.held_jobs(now).await?;
            let mut blocked = None;
            for job in held.iter().filter(|job| job.owner != self.instance()) {
                let Some((shard, count)) = ShardPlan::parse_job(&job.job) else { continue };
                // In the way: a shard of another count (any), or one of ours.
                let other_count = count != plan.count;
                if !other_count && !plan.shards().any(|mine| mine == shard) {
                    continue;
                }
                // Renewed since first seen: its instance is alive.
                let first_end = *waited.entry(job.job.clone()).or_insert(job.lease_until);
                if job.lease_until > first_end || tokio::time::Instant::now() > give_up {
                    let message = if other_count {
                        format!(
                            "instance {} serves shard {shard} of {count}, and this one was asked for {plan}: every instance must run with the same --shard-count (JARVIS_SHARD_COUNT); to change it, stop them all first",
                            job.owner
                        )
                    } else {
                        format!(
                            "shard {shard} of {count} is served by instance {}, which is alive: two instances must not serve one shard; give this one another range with --shards (JARVIS_SHARDS) (`jarvis status` shows who serves what)",
                            job.owner
                        )
                    };
                    return Err(UserError::Conflict(message).into());
                }
                // Not renewed yet: its instance may have died; its claim runs out within a lease.
                blocked = Some((shard, job.owner.clone(), job.lease_until));
            }
            if let Some((shard, owner, until)) = blocked {
                drop(tx);
                tracing::info!(shard, %owner, %until, "waiting for a shard still claimed by an instance that stopped answering");
                // Until that claim runs out (and a little), looking again at least twice a second.
                let wait = self.clock.real(until - now).min(std::time::Duration::from_millis(500));
                tokio::time::sleep(wait + std::time::Duration::from_millis(20)).await;
                continue;
            }
            let lease_until = self.lease_until(now);
            for shard in plan.shards() {
                if !tx.claim_job(&ShardPlan::job(shard, plan.count), self.instance(), now, lease_until).await? {
                    // Cannot happen (the look and the claims are one write transaction); said
                    // plainly if it ever does.
                    return Err(super::AppError::Internal(anyhow::anyhow!(
                        "shard {shard} was claimed by another instance while this one started; start it again"
                    )));
                }
            }
            tx.commit().await?;
            return Ok(());
        }
    }

    /// Says that this instance (running since `started_at`, serving `shards`) is alive now, and
    /// renews its shards' claims: the shards another instance took over meanwhile (this one was
    /// paused or cut off past its lease), which it must stop serving.
    pub async fn heartbeat(&self, started_at: DateTime<Utc>, shards: Option<&ShardPlan>) -> Result<Vec<u32>> {
        let now = self.now();
        let lease_until = self.lease_until(now);
        let mut tx = self.store.write().await?;
        tx.heartbeat(self.instance(), started_at, now, shards.map(ToString::to_string).as_deref()).await?;
        let mut lost = Vec::new();
        for shard in shards.into_iter().flat_map(ShardPlan::shards) {
            let count = shards.map_or(1, |plan| plan.count);
            if !tx.claim_job(&ShardPlan::job(shard, count), self.instance(), now, lease_until).await? {
                lost.push(shard);
            }
        }
        tx.commit().await?;
        Ok(lost)
    }

    /// This instance stops: it is forgotten, and what it claimed (jobs, shards, and messages when
    /// `messages_done`: none can still be on its way) is free for the others at once. Messages it
    /// may still be posting stay claimed until their leases run out, and are then looked for in
    /// their channels before being posted again.
    pub async fn instance_stopped(&self, messages_done: bool) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.instance_stopped(self.instance(), messages_done.then(|| self.now())).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The instances sharing this ledger, the shards and jobs they hold, and what is owed to
    /// Discord and the last report slot: in `workspace` only (what a Discord server's admins
    /// see), or in every workspace (`jarvis status`).
    pub async fn status(&self, workspace: Option<&WorkspaceId>) -> Result<StatusView> {
        let now = self.now();
        let gone_before = now - self.clock.span(self.lease * 2);
        let mut tx = self.store.read().await?;
        let instances: Vec<InstanceView> = tx
            .instances(now - chrono::Duration::days(1))
            .await?
            .into_iter()
            .map(|row| InstanceView {
                live: row.seen_at >= gone_before,
                seen_seconds_ago: (now - row.seen_at).num_seconds().max(0),
                id: row.id,
                started_at: row.started_at,
                seen_at: row.seen_at,
                shards: row.shards,
            })
            .collect();
        let held = tx.held_jobs(now).await?;
        let (shard_claims, jobs): (Vec<_>, Vec<_>) =
            held.into_iter().partition(|job| ShardPlan::parse_job(&job.job).is_some());
        // Shards are counted from the deployment's count as the instances' claims and heartbeats
        // name it; a shard nobody live serves is unserved.
        let plans: Vec<(bool, ShardPlan)> =
            instances.iter().filter_map(|i| Some((i.live, parse_plan(i.shards.as_deref()?)?))).collect();
        let count = plans.iter().find(|(live, _)| *live).or(plans.first()).map(|(_, plan)| plan.count);
        let unserved_shards = match count {
            Some(count) => (0..count)
                .filter(|shard| {
                    !shard_claims.iter().any(|job| {
                        ShardPlan::parse_job(&job.job) == Some((*shard, count))
                            && instances.iter().any(|i| i.live && i.id == job.owner)
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        let scope = workspace.map(WorkspaceId::as_str);
        let (oldest_owed, owed) = tx.oldest_owed(scope).await?;
        let last_report_slot =
            tx.last_report_slot(scope).await?.map(|(workspace, slot)| ReportSlot { workspace, slot });
        Ok(StatusView {
            now,
            instances,
            shard_count: count,
            unserved_shards,
            jobs,
            owed,
            oldest_owed,
            last_report_slot,
        })
    }

    /// Whether the slash commands with `fingerprint` are registered already (this deployment's:
    /// by this instance before, or another).
    pub async fn commands_registered(&self, fingerprint: &str) -> Result<bool> {
        Ok(self.store.read().await?.registered_commands().await?.as_deref() == Some(fingerprint))
    }

    /// Notes that the commands with `fingerprint` were registered.
    pub async fn record_commands_registered(&self, fingerprint: &str) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.set_registered_commands(fingerprint).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Reads a heartbeat's `0-1/4` back.
fn parse_plan(text: &str) -> Option<ShardPlan> {
    let (range, count) = text.split_once('/')?;
    let range = ShardRange::parse(range).ok()?;
    Some(ShardPlan { first: range.first, last: range.last, count: count.parse().ok()? })
}

/// What `jarvis status` and `/jarvis status` show: the instances, the shards, what they hold,
/// what is owed.
#[derive(Clone, Debug, Serialize)]
pub struct StatusView {
    pub now: DateTime<Utc>,
    /// Instances seen in the last day, the latest seen first.
    pub instances: Vec<InstanceView>,
    /// The deployment's shard count, as its instances name it.
    pub shard_count: Option<u32>,
    /// Shards no live instance serves (servers on them get no answers).
    pub unserved_shards: Vec<u32>,
    /// Background jobs claimed now (shards aside).
    pub jobs: Vec<crate::store::HeldJob>,
    /// Messages still owed to Discord, and the oldest of them.
    pub owed: i64,
    pub oldest_owed: Option<crate::store::Owed>,
    /// The latest report slot claimed in any workspace.
    pub last_report_slot: Option<ReportSlot>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InstanceView {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
    /// The shards it serves, `0-1/4`.
    pub shards: Option<String>,
    /// Seen within two leases; otherwise gone (stopped without saying so, or dead).
    pub live: bool,
    pub seen_seconds_ago: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReportSlot {
    pub workspace: String,
    pub slot: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ranges_read_and_refuse_clearly() {
        assert_eq!(ShardRange::parse("0-1").unwrap(), ShardRange { first: 0, last: 1 });
        assert_eq!(ShardRange::parse("3").unwrap(), ShardRange { first: 3, last: 3 });
        assert_eq!(ShardRange::parse(" 2 - 5 ").unwrap(), ShardRange { first: 2, last: 5 });
        let backwards = ShardRange::parse("2-1").unwrap_err().to_string();
        assert!(backwards.contains("runs backwards; write 1-2"), "{backwards}");
        let words = ShardRange::parse("first").unwrap_err().to_string();
        assert!(words.contains("FIRST-LAST"), "{words}");
        assert!(ShardRange::parse("0-1,3").is_err());
        assert!(ShardRange::parse("-1").is_err());
    }

    #[test]
    fn shard_counts_are_numbers_or_auto() {
        assert_eq!(ShardCount::parse("4").unwrap(), ShardCount::Fixed(4));
        assert_eq!(ShardCount::parse("AUTO").unwrap(), ShardCount::Auto);
        let zero = ShardCount::parse("0").unwrap_err().to_string();
        assert!(zero.contains("from 1 to 1024"), "{zero}");
        assert!(ShardCount::parse("many").is_err());
    }

    #[test]
    fn a_plan_fits_its_count() {
        let plan = ShardPlan::new(Some(ShardRange::parse("2-3").unwrap()), 4).unwrap();
        assert_eq!(plan.shards().collect::<Vec<_>>(), [2, 3]);
        assert_eq!(plan.to_string(), "2-3/4");
        assert!(!plan.has_shard_zero());
        assert_eq!(parse_plan("2-3/4"), Some(plan));
        let outside = ShardPlan::new(Some(ShardRange::parse("3-4").unwrap()), 4).unwrap_err().to_string();
        assert!(outside.contains("the shards are 0 to 3"), "{outside}");
        let all = ShardPlan::new(None, 1).unwrap();
        assert_eq!((all.to_string(), all.has_shard_zero()), ("0/1".to_string(), true));
        assert_eq!(ShardPlan::parse_job(&ShardPlan::job(5, 8)), Some((5, 8)));
        assert_eq!(ShardPlan::parse_job("housekeeping"), None);
    }
}

#[cfg(test)]
mod page_tests {
    use super::*;
    use crate::domain::workspace::Language;
    use crate::render::{Flavor, Page, Renderer};

    fn status(live: bool) -> StatusView {
        let now: DateTime<Utc> = "2026-12-06T12:00:00Z".parse().unwrap();
        StatusView {
            now,
            instances: vec![InstanceView {
                id: "web-1/4127/9f3a1c".into(),
                started_at: now,
                seen_at: now,
                shards: Some("0-1/4".into()),
                live,
                seen_seconds_ago: if live { 3 } else { 150 },
            }],
            shard_count: Some(4),
            unserved_shards: if live { vec![2, 3] } else { vec![0, 1, 2, 3] },
            jobs: vec![crate::store::HeldJob {
                job: "alert evaluation".into(),
                owner: "web-1/4127/9f3a1c".into(),
                lease_until: now,
            }],
            owed: 2,
            oldest_owed: Some(crate::store::Owed {
                id: 7,
                workspace: "4242".into(),
                kind: "report".into(),
                created_at: now,
                attempts: 1,
                claimed_by: None,
                lease_until: None,
            }),
            last_report_slot: None,
        }
    }

    #[test]
    fn the_status_page_reads_in_both_languages() {
        let en = Renderer::get(Language::English, Flavor::Discord).page(Page::Status, &status(true), 4096).unwrap();
        assert!(en.contains("🟢 `web-1/4127/9f3a1c` · shards 0-1/4 · seen 3 s ago"), "{en}");
        assert!(en.contains("Shards nobody serves (servers on them get no answers) out of 4: 2, 3"), "{en}");
        assert!(en.contains("`alert evaluation` is being done by `web-1/4127/9f3a1c`"), "{en}");
        assert!(en.contains("2 message(s) owed to this server; the oldest (report)"), "{en}");
        let gone = Renderer::get(Language::English, Flavor::Discord).page(Page::Status, &status(false), 4096).unwrap();
        assert!(gone.contains("🔴 `web-1/4127/9f3a1c` · shards 0-1/4 · GONE: silent for 150 s"), "{gone}");
        let th = Renderer::get(Language::Thai, Flavor::Discord).page(Page::Status, &status(true), 4096).unwrap();
        assert!(th.contains("ชาร์ด 0-1/4") && th.contains("ยังไม่เคยโพสต์รายงานตามกำหนดที่นี่"), "{th}");
    }
}
