//! Alert pings: which alerts to post, remind about or mark resolved, queued in the outbox in the
//! same transaction that remembers them. Warnings and critical alerts are posted; info alerts
//! stay in `/alerts`.

use chrono::{Duration, NaiveDate};

use serde_json::json;

use super::{App, Result};
use crate::analysis::alerts::{Alert, Severity};
use crate::domain::alerting::{Action, Raised, family, plan};
use crate::domain::workspace::{Language, WorkspaceId};
use crate::render::{Flavor, Renderer};
use crate::store::OutboxEntry;

fn rank(severity: Severity) -> u8 {
    match severity {
        Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Critical => 2,
    }
}

/// The site a `site_down:ID:SINCE` alert family is about.
fn site_of(family: &str) -> Option<i64> {
    family.strip_prefix("site_down:")?.split(':').next()?.parse().ok()
}

impl App {
    /// Plans alert messages for every workspace with an alert channel; returns how many were
    /// queued.
    pub async fn evaluate_alerts(&self) -> Result<usize> {
        let workspaces = self.store.read().await?.workspace_ids().await?;
        let mut queued = 0;
        for workspace in workspaces {
            queued += self.evaluate_alerts_in(&workspace).await?;
        }
        Ok(queued)
    }

    async fn evaluate_alerts_in(&self, workspace: &WorkspaceId) -> Result<usize> {
        // One read for the settings, the alerts and what was posted of them before.
        let turn = self.prepared.turn(workspace).await;
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let Some(channel) = settings.alert_channel else { return Ok(0) };
        let found = self.alerts_in(&mut tx, workspace, settings.clone()).await?.alerts;
        let states = tx.alert_states(workspace).await?;
        drop((tx, turn));
        let alerts: Vec<Alert> = found.into_iter().filter(|a| a.severity >= Severity::Warning).collect();
        let raised: Vec<Raised> = alerts
            .iter()
            .map(|a| Raised { family: family(&a.key), key: a.key.clone(), severity: rank(a.severity) })
            .collect();
        let now = self.now();
        let remind_every = Duration::hours(i64::from(settings.remind_hours));
        // Most evaluations change nothing: planned on a read first, written only when there is
        // something to post, remind or resolve (then planned again inside the write).
        let remembered: Vec<_> = states.iter().map(|s| s.remembered.clone()).collect();
        if plan(&raised, &remembered, now, remind_every).is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.write().await?;
        let states = tx.alert_states(workspace).await?;
        let remembered: Vec<_> = states.iter().map(|s| s.remembered.clone()).collect();
        let renderer = Renderer::get(settings.language, Flavor::Plain);
        let mut queued = 0;
        let mut to_edit = std::collections::BTreeSet::new();
        for action in plan(&raised, &remembered, now, remind_every) {
            match action {
                Action::Post(families) => {
                    for family in &families {
                        let alert =
                            alerts.iter().find(|a| &crate::domain::alerting::family(&a.key) == family).expect("raised");
                        tx.alert_posted(
                            workspace,
                            family,
                            &alert.key,
                            rank(alert.severity),
                            &renderer.text(&alert.title),
                            now,
                        )
                        .await?;
                    }
                    tx.enqueue(workspace, "alerts", channel, &json!({ "families": families, "reminder": false }), now)
                        .await?;
                    queued += 1;
                }
                Action::Remind(families) => {
                    for family in &families {
                        tx.alert_reminded(workspace, family, now).await?;
                    }
                    tx.enqueue(workspace, "alerts", channel, &json!({ "families": families, "reminder": true }), now)
                        .await?;
                    queued += 1;
                }
                Action::Resolve(family) => {
                    tx.alert_resolved(workspace, &family, now).await?;
                    let state = states.iter().find(|s| s.remembered.family == family);
                    if let Some(posted) = state.and_then(|s| s.channel_id.zip(s.message_id)) {
                        to_edit.insert(posted);
                    }
                    // A site back up is news of its own, not only an edit nobody is notified of.
                    if let Some(site) = site_of(&family)
                        && let Some(site) = tx.sites(workspace).await?.into_iter().find(|s| s.id == site)
                    {
                        let payload = json!({ "recovered": site.url });
                        tx.enqueue(workspace, "notice", channel, &payload, now).await?;
                        queued += 1;
                    }
                }
            }
        }
        // One edit per message, however many of its alerts cleared.
        for (channel, message) in to_edit {
            tx.enqueue(workspace, "alert_resolved", channel, &json!({ "message_id": message.to_string() }), now)
                .await?;
            queued += 1;
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// The alerts an `alerts` outbox message stands for, as they are now, and the workspace's
    /// language.
    pub async fn alerts_for(&self, entry: &OutboxEntry) -> Result<(Vec<Alert>, Language)> {
        let families: Vec<String> = entry.payload["families"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(str::to_string))
            .collect();
        let list = self.alerts(&entry.workspace).await?;
        let alerts = list.alerts.into_iter().filter(|a| families.contains(&family(&a.key))).collect();
        Ok((alerts, self.language(&entry.workspace).await?))
    }

    /// The alert states carried by one posted message, for its resolution edit.
    pub async fn alerts_on_message(
        &self,
        workspace: &WorkspaceId,
        message_id: u64,
    ) -> Result<Vec<crate::store::AlertState>> {
        let states = self.store.read().await?.alert_states(workspace).await?;
        Ok(states.into_iter().filter(|s| s.message_id == Some(message_id)).collect())
    }
}

/// What a member can do about an alert from its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertAction {
    /// Stops reminders until it escalates.
    Acknowledge,
    /// Quiet for a week.
    Snooze,
    /// For renewals: renewed by hand; the date moves on a period and the charge is recorded.
    Renewed,
}

impl AlertAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertAction::Acknowledge => "ack",
            AlertAction::Snooze => "snooze",
            AlertAction::Renewed => "renewed",
        }
    }

    pub fn parse(text: &str) -> Option<AlertAction> {
        [AlertAction::Acknowledge, AlertAction::Snooze, AlertAction::Renewed].into_iter().find(|a| a.as_str() == text)
    }
}

/// How long a snooze lasts.
pub const SNOOZE: Duration = Duration::days(7);

impl App {
    /// Acts on an alert family for `actor`; returns the sentence to show on its message.
    pub async fn act_on_alert(
        &self,
        workspace: &WorkspaceId,
        actor: &crate::domain::audit::Actor,
        family: &str,
        action: AlertAction,
    ) -> Result<crate::analysis::Text> {
        use crate::analysis::text;
        use crate::domain::UserError;
        let now = self.now();
        // In the workspace's own time, as schedules are shown.
        let timezone = self.store.read().await?.settings(workspace).await?.timezone.0;
        let when = now.with_timezone(&timezone).format("%Y-%m-%d %H:%M %Z").to_string();
        let who = actor.as_str().to_string();
        let done = match action {
            AlertAction::Acknowledge => {
                let mut tx = self.write(workspace).await?;
                let found = tx.alert_acknowledged(workspace, family, &who, now).await?;
                self.audit_alert(&mut tx, workspace, actor, family, action, now).await?;
                tx.commit().await?;
                found.then(|| text!("alert.done.ack", who = who, when = when))
            }
            AlertAction::Snooze => {
                let until = now + SNOOZE;
                let mut tx = self.write(workspace).await?;
                let found = tx.alert_snoozed(workspace, family, until).await?;
                self.audit_alert(&mut tx, workspace, actor, family, action, now).await?;
                tx.commit().await?;
                found.then(|| {
                    text!(
                        "alert.done.snooze",
                        who = who,
                        when = when,
                        until = until.with_timezone(&timezone).format("%Y-%m-%d")
                    )
                })
            }
            AlertAction::Renewed => {
                // renewal:ITEM:DATE or expired:ITEM:DATE: the renewal the alert was about, so a
                // second press (or a second admin) cannot move the date twice.
                let (item, date) = family
                    .strip_prefix("renewal:")
                    .or_else(|| family.strip_prefix("expired:"))
                    .and_then(|rest| rest.split_once(':'))
                    .and_then(|(id, date)| Some((id.parse::<i64>().ok()?, date.parse::<NaiveDate>().ok()?)))
                    .ok_or_else(|| UserError::Conflict("Only renewals can be marked renewed".into()))?;
                let renewed = self.mark_renewed(workspace, actor, item, date).await?;
                Some(text!("alert.done.renewed", who = who, when = when, next = renewed))
            }
        };
        match done {
            Some(done) => Ok(done),
            // Open, but never posted: acknowledging and snoozing are about a ping.
            None if self.alerts(workspace).await?.alerts.iter().any(|a| crate::domain::alerting::family(&a.key) == family) => {
                Err(UserError::Conflict(
                    "This alert has not been posted in the alert channel, so there is nothing to acknowledge or snooze: Jarvis posts alerts of warning severity and above there at its next check once an admin sets the channel (`/settings set alert_channel #alerts` in Discord); to mark a renewal done, use `renewed`".into(),
                )
                .into())
            }
            None => Err(UserError::Conflict("This alert is over already; nothing to do".into()).into()),
        }
    }

    async fn audit_alert(
        &self,
        tx: &mut crate::store::Tx,
        workspace: &WorkspaceId,
        actor: &crate::domain::audit::Actor,
        family: &str,
        action: AlertAction,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let change = crate::domain::audit::Change {
            action: match action {
                AlertAction::Acknowledge => "alert.ack",
                AlertAction::Snooze => "alert.snooze",
                AlertAction::Renewed => "alert.renewed",
            },
            entity: "alert",
            entity_id: Some(family.to_string()),
            before: None,
            after: None,
        };
        tx.audit(workspace, actor, now, &change).await?;
        Ok(())
    }
}

impl App {
    /// Tells the admins, in the alert channel, that a message to `channel` could not be
    /// delivered (once a day at most per channel); false when there is no other channel to say
    /// it in (the caller logs it).
    pub async fn notify_undeliverable(
        &self,
        workspace: &WorkspaceId,
        channel: u64,
        kind: &str,
        error: &str,
    ) -> Result<bool> {
        let settings = self.store.read().await?.settings(workspace).await?;
        let Some(alerts) = settings.alert_channel.filter(|c| *c != channel) else { return Ok(false) };
        let now = self.now();
        let mut tx = self.store.write().await?;
        // One notice a day per channel, however many messages it turned away.
        if !tx.noticed_since(workspace, channel, now - Duration::hours(24)).await? {
            let payload = json!({ "channel": channel.to_string(), "kind": kind, "error": error });
            tx.enqueue(workspace, "notice", alerts, &payload, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
