//! Use cases on workspace settings, and the audit trail.

use serde_json::json;

use super::views::{AuditLog, RateView, SettingsPage, SettingsView};
use super::{App, Result};
use crate::domain::audit::{Actor, Change};
use crate::domain::page::{Noun, PageRequest};
use crate::domain::workspace::{SettingKey, WorkspaceId};

impl App {
    pub async fn settings(&self, workspace: &WorkspaceId) -> Result<SettingsView> {
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        Ok(SettingsView { workspace: workspace.clone(), today: self.today(&settings), settings })
    }

    /// The settings with the exchange rates: what `/settings show` shows.
    pub async fn settings_page(&self, workspace: &WorkspaceId) -> Result<SettingsPage> {
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let rates = tx.rates(workspace).await?.iter().map(RateView::from).collect();
        Ok(SettingsPage {
            settings: SettingsView { workspace: workspace.clone(), today: self.today(&settings), settings },
            rates,
        })
    }

    /// Sets one setting from the user's text.
    pub async fn set_setting(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        key: SettingKey,
        value: &str,
    ) -> Result<SettingsView> {
        self.set_settings(workspace, actor, &[(key, value.to_string())]).await
    }

    /// Sets several settings from the user's text, all or none: one refused value writes
    /// nothing. One audit entry per setting.
    pub async fn set_settings(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        values: &[(SettingKey, String)],
    ) -> Result<SettingsView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let mut current = tx.settings(workspace).await?;
        let mut changes = Vec::new();
        for (key, value) in values {
            let next = current.with(*key, value)?;
            changes.push(Change {
                action: "settings.set",
                entity: "settings",
                entity_id: Some(key.as_str().to_string()),
                before: Some(json!(current)),
                after: Some(json!(next)),
            });
            current = next;
        }
        tx.save_settings(workspace, &current, now).await?;
        for change in &changes {
            tx.audit(workspace, actor, now, change).await?;
        }
        tx.commit().await?;
        Ok(SettingsView { workspace: workspace.clone(), today: self.today(&current), settings: current })
    }

    /// A page of the audit log, newest first (page 1 holds the newest entries).
    pub async fn audit_log(&self, workspace: &WorkspaceId, page: PageRequest) -> Result<AuditLog> {
        let mut tx = self.store.read().await?;
        let paging = page.locate(tx.audit_count(workspace).await?, Noun::AUDIT_ENTRIES)?;
        let entries = tx.audit_log(workspace, paging.offset(), paging.per_page.into()).await?;
        Ok(AuditLog { entries, paging })
    }
}
