//! Use cases of scheduled reports: set, show and turn off a workspace's schedule, and claim the
//! reports due now (each slot once, whatever restarts happen).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;

use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::schedule::{Cadence, Schedule, parse_time};
use crate::domain::workspace::WorkspaceId;
use crate::store::StoredSchedule;

/// A schedule as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub cadence: Cadence,
    /// Local time, HH:MM.
    pub at: String,
    pub timezone: String,
    pub channel_id: u64,
    /// The next report, in the workspace's local time.
    pub next: Option<String>,
}

/// A report to post now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueReport {
    pub workspace: WorkspaceId,
    pub channel_id: u64,
    pub slot: DateTime<Utc>,
    /// Posted well after its time (after downtime).
    pub late: bool,
}

/// A report queued to post now, on someone's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QueuedReport {
    /// Where it will appear: the report channel if there is a schedule, else where it was asked.
    pub channel_id: u64,
}

/// How long after its slot a report still counts as on time.
pub const ON_TIME: Duration = Duration::minutes(15);

impl App {
    async fn schedule_view(&self, workspace: &WorkspaceId, stored: &StoredSchedule) -> Result<ScheduleView> {
        let settings = self.store.read().await?.settings(workspace).await?;
        let tz = settings.timezone.0;
        let next = stored
            .schedule
            .next_slot(tz, self.now())
            .map(|slot| slot.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string());
        Ok(ScheduleView {
            cadence: stored.schedule.cadence,
            at: stored.schedule.at.format("%H:%M").to_string(),
            timezone: tz.name().to_string(),
            channel_id: stored.channel_id,
            next,
        })
    }

    /// Posts the Jarvis report to `channel_id` on `cadence` (`daily`, `weekly monday`,
    /// `monthly 1`) at `at` (HH:MM, the workspace's timezone).
    pub async fn set_schedule(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        channel_id: u64,
        cadence: &str,
        at: &str,
    ) -> Result<ScheduleView> {
        let schedule = Schedule { cadence: Cadence::parse(cadence)?, at: parse_time(at)? };
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let before = tx.schedule(workspace).await?;
        tx.set_schedule(workspace, &schedule, channel_id, now).await?;
        // A new or changed schedule starts from now: it does not post for a slot already past.
        let settings = tx.settings(workspace).await?;
        if let Some(slot) = schedule.last_slot(settings.timezone.0, now) {
            tx.claim_slot(workspace, slot).await?;
        }
        let change = Change {
            action: "schedule.set",
            entity: "schedule",
            entity_id: None,
            before: before.map(
                |b| json!({ "cadence": b.schedule.cadence, "at": b.schedule.at, "channel": b.channel_id.to_string() }),
            ),
            after: Some(json!({ "cadence": schedule.cadence, "at": schedule.at, "channel": channel_id.to_string() })),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        let stored = self.store.read().await?.schedule(workspace).await?.expect("just written");
        self.schedule_view(workspace, &stored).await
    }

    /// The workspace's schedule, if any.
    pub async fn schedule(&self, workspace: &WorkspaceId) -> Result<Option<ScheduleView>> {
        let stored = self.store.read().await?.schedule(workspace).await?;
        match stored {
            Some(stored) => Ok(Some(self.schedule_view(workspace, &stored).await?)),
            None => Ok(None),
        }
    }

    /// Turns the schedule off.
    pub async fn remove_schedule(&self, workspace: &WorkspaceId, actor: &Actor) -> Result<()> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        if !tx.remove_schedule(workspace).await? {
            return Err(UserError::Missing("There is no report schedule to turn off".into()).into());
        }
        let change = Change { action: "schedule.off", entity: "schedule", entity_id: None, before: None, after: None };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reports due now in every workspace, each slot claimed in the database first and queued in
    /// the outbox with the claim, so it is owed once however often this runs and whoever
    /// restarts. After downtime over several slots, one late report.
    pub async fn claim_due_reports(&self) -> Result<Vec<DueReport>> {
        let now = self.now();
        let schedules = self.store.read().await?.schedules().await?;
        let mut due = Vec::new();
        for stored in schedules {
            let mut tx = self.store.write().await?;
            let settings = tx.settings(&stored.workspace).await?;
            if let Some(report) = stored.schedule.due(settings.timezone.0, now, stored.last_posted, ON_TIME)
                && tx.claim_slot(&stored.workspace, report.slot).await?
            {
                // Owed from now on, in the same transaction as the claim: nothing is lost.
                let payload = json!({ "slot": report.slot, "late": report.late });
                tx.enqueue(&stored.workspace, "report", stored.channel_id, &payload, now).await?;
                due.push(DueReport {
                    workspace: stored.workspace.clone(),
                    channel_id: stored.channel_id,
                    slot: report.slot,
                    late: report.late,
                });
            }
            tx.commit().await?;
        }
        Ok(due)
    }

    /// Queues the report to post now, like a scheduled one (the outbox retries it, and its nonce
    /// keeps a retry from posting it twice): in the report channel if there is a schedule, else
    /// in `here`. Under a request key (see [`App::keyed`]) the same request queues it once. The
    /// delivery loop is woken at once.
    pub async fn queue_report(&self, workspace: &WorkspaceId, actor: &Actor, here: u64) -> Result<QueuedReport> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let channel_id = tx.schedule(workspace).await?.map_or(here, |s| s.channel_id);
        let payload = json!({ "requested": now });
        let id = tx.enqueue(workspace, "report", channel_id, &payload, now).await?;
        let change = Change {
            action: "report.post",
            entity: "outbox",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(json!({ "channel": channel_id.to_string() })),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        self.outbox_ready.notify_one();
        Ok(QueuedReport { channel_id })
    }
}

/// Why a delivery failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryFailure {
    /// Worth trying again (server error, network, rate limit): after `after` if Discord said.
    /// `maybe_posted` when Discord may have taken it all the same (no answer, a server error).
    Retry { after: Option<Duration>, error: String, maybe_posted: bool },
    /// Discord will not take it (the channel is gone, no access): stop.
    Refused { error: String },
}

/// What became of a failed delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    GaveUp,
}

impl App {
    /// How long until the next message owed to Discord is due (zero when one is due already);
    /// `None` when nothing is owed. The delivery loop sleeps this long, so a retry goes out at
    /// its backoff (2 s, 4 s...) rather than at the loop's next tick.
    pub async fn next_delivery_in(&self) -> Result<Option<std::time::Duration>> {
        let next = self.store.read().await?.next_attempt().await?;
        Ok(next.map(|at| self.clock.real(at - self.now())))
    }

    /// Discord accepted `entry` as `message_id`; an alert message is remembered as the one
    /// carrying its alerts (for resolution edits).
    pub async fn delivered(&self, entry: &crate::store::OutboxEntry, message_id: u64) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.mark_sent(entry.id, message_id, self.now()).await?;
        if entry.kind == "alerts" && entry.payload["reminder"] != true {
            let families: Vec<String> = entry.payload["families"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect();
            tx.alert_message(&entry.workspace, &families, entry.channel_id, message_id).await?;
            // Cleared while the post was on its way: the message is updated at once.
            let states = tx.alert_states(&entry.workspace).await?;
            if states.iter().any(|s| families.contains(&s.remembered.family) && s.remembered.resolved) {
                let payload = serde_json::json!({ "message_id": message_id.to_string() });
                tx.enqueue(&entry.workspace, "alert_resolved", entry.channel_id, &payload, self.now()).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets delivery history nobody needs any more: outbox messages older than 30 days that
    /// were sent or given up on, and alerts resolved more than 90 days ago (an alert raised again
    /// after that is simply new). Returns how many messages and alerts went.
    pub async fn prune_delivery_history(&self) -> Result<(u64, u64)> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let pruned = tx.prune_delivery_history(now - Duration::days(30), now - Duration::days(90)).await?;
        tx.commit().await?;
        Ok(pruned)
    }

    /// Forgets request keys older than [`super::RequestKey::KEPT`]; returns how many.
    pub async fn prune_request_keys(&self) -> Result<u64> {
        let mut tx = self.store.write().await?;
        let pruned = tx.prune_request_keys(self.now() - super::RequestKey::KEPT).await?;
        tx.commit().await?;
        Ok(pruned)
    }

    /// Drops message `id`: there is nothing left to say (its alerts cleared before it went out).
    pub async fn delivery_cancelled(&self, id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.mark_failed(id, "cancelled: nothing left to post").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed try of message `id` (after `attempts` earlier ones): when to try again,
    /// or that Jarvis gave up.
    pub async fn delivery_failed(&self, id: i64, attempts: u32, failure: &DeliveryFailure) -> Result<AfterFailure> {
        use crate::domain::delivery::{MAX_ATTEMPTS, retry_delay};
        let mut tx = self.store.write().await?;
        let outcome = match failure {
            DeliveryFailure::Retry { after, error, maybe_posted } if attempts + 1 < MAX_ATTEMPTS => {
                let next = self.now() + retry_delay(attempts + 1, *after);
                tx.retry_later(id, next, error, *maybe_posted).await?;
                AfterFailure::RetryAt(next)
            }
            DeliveryFailure::Retry { error, .. } | DeliveryFailure::Refused { error } => {
                tx.mark_failed(id, error).await?;
                AfterFailure::GaveUp
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }
}
