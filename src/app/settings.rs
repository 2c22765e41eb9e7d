//! Use cases on workspace settings, and the audit trail.

use serde_json::json;

use super::views::{RateView, SettingsPage, SettingsView};
use super::{App, Result};
use crate::domain::audit::{Actor, Change};
use crate::domain::workspace::{SettingKey, WorkspaceId};
use crate::store::AuditRecord;

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
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let before = tx.settings(workspace).await?;
        let after = before.with(key, value)?;
        tx.save_settings(workspace, &after, now).await?;
        let change = Change {
            action: "settings.set",
            entity: "settings",
            entity_id: Some(key.as_str().to_string()),
            before: Some(json!(before)),
            after: Some(json!(after)),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(SettingsView { workspace: workspace.clone(), today: self.today(&after), settings: after })
    }

    /// The newest `limit` audit entries, newest first.
    pub async fn audit_log(&self, workspace: &WorkspaceId, limit: u32) -> Result<Vec<AuditRecord>> {
        let mut tx = self.store.read().await?;
        Ok(tx.audit_log(workspace, limit).await?)
    }
}
