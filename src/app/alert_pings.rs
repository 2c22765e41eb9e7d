//! Alert pings: which alerts to post, remind about or mark resolved, queued in the outbox in the
//! same transaction that remembers them. Warnings and critical alerts are posted; info alerts
//! stay in `/alerts`.

use chrono::Duration;
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
        let settings = self.store.read().await?.settings(workspace).await?;
        let Some(channel) = settings.alert_channel else { return Ok(0) };
        let alerts: Vec<Alert> =
            self.alerts(workspace).await?.alerts.into_iter().filter(|a| a.severity >= Severity::Warning).collect();
        let raised: Vec<Raised> = alerts
            .iter()
            .map(|a| Raised { family: family(&a.key), key: a.key.clone(), severity: rank(a.severity) })
            .collect();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let states = tx.alert_states(workspace).await?;
        let remembered: Vec<_> = states.iter().map(|s| s.remembered.clone()).collect();
        let renderer = Renderer::get(settings.language, Flavor::Plain);
        let mut queued = 0;
        for action in plan(&raised, &remembered, now, Duration::hours(i64::from(settings.remind_hours))) {
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
                Action::Remind(family) => {
                    tx.alert_reminded(workspace, &family, now).await?;
                    tx.enqueue(workspace, "alerts", channel, &json!({ "families": [family], "reminder": true }), now)
                        .await?;
                    queued += 1;
                }
                Action::Resolve(family) => {
                    tx.alert_resolved(workspace, &family, now).await?;
                    let state = states.iter().find(|s| s.remembered.family == family);
                    if let Some((channel, message)) = state.and_then(|s| s.channel_id.zip(s.message_id)) {
                        tx.enqueue(
                            workspace,
                            "alert_resolved",
                            channel,
                            &json!({ "message_id": message.to_string() }),
                            now,
                        )
                        .await?;
                        queued += 1;
                    }
                }
            }
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
