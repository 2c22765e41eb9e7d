//! Workspaces and their settings.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::sql::{Columns, args};
use super::{Result, Tx};
use crate::domain::money::Currency;
use crate::domain::site::Hysteresis;
use crate::domain::workspace::{LeadTimes, RoleId, Settings, Timezone, WorkspaceId};

impl Tx {
    /// Creates the workspace with default settings unless it exists.
    pub async fn ensure_workspace(&mut self, workspace: &WorkspaceId, now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "INSERT INTO workspaces (id, created_at, updated_at, uuid) VALUES (?1, ?2, ?2, ?3)
             ON CONFLICT (id) DO NOTHING",
            args![workspace.as_str(), now, super::public_id(now)],
        )
        .await?;
        Ok(())
    }

    /// The workspace's settings; defaults for a workspace never written to.
    pub async fn settings(&mut self, workspace: &WorkspaceId) -> Result<Settings> {
        let settings = self
            .fetch_optional(
                "SELECT base_currency, timezone, language, expiring_window_days, renewal_lead_days, admin_role_id,
                        alert_channel_id, alert_role_id, remind_hours, site_down_after, site_up_after
                 FROM workspaces WHERE id = ?1",
                args![workspace.as_str()],
                |row| settings_from_row(row).with_context(|| format!("bad stored settings for workspace {workspace}")),
            )
            .await?;
        Ok(settings.unwrap_or_default())
    }

    pub async fn save_settings(
        &mut self,
        workspace: &WorkspaceId,
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.workspace_changed(workspace);
        self.ensure_workspace(workspace, now).await?;
        let base = self
            .fetch_optional("SELECT base_currency FROM workspaces WHERE id = ?1", args![workspace.as_str()], |row| {
                Ok(row.required_text(0)?.to_string())
            })
            .await?;
        if base.as_deref() != Some(settings.base_currency.code()) {
            // Every converted total is in the old base currency.
            self.conversion_changed(workspace, i32::MIN);
        }
        self.execute(
            "UPDATE workspaces
             SET base_currency = ?2, timezone = ?3, language = ?4, expiring_window_days = ?5, renewal_lead_days = ?6,
                 admin_role_id = ?7, alert_channel_id = ?8, alert_role_id = ?9, remind_hours = ?10, updated_at = ?11,
                 site_down_after = ?12, site_up_after = ?13
             WHERE id = ?1",
            args![
                workspace.as_str(),
                settings.base_currency.code(),
                settings.timezone.name(),
                settings.language.as_str(),
                i64::from(settings.expiring_window_days),
                settings.lead_times.to_string(),
                settings.admin_role.map(|r| r.0.to_string()),
                settings.alert_channel.map(|c| c.to_string()),
                settings.alert_role.map(|r| r.0.to_string()),
                i64::from(settings.remind_hours),
                now,
                i64::from(settings.site_checks.down_after),
                i64::from(settings.site_checks.up_after),
            ],
        )
        .await?;
        Ok(())
    }

    /// Every workspace that has been written to, for jobs that run across all of them.
    pub async fn workspace_ids(&mut self) -> Result<Vec<WorkspaceId>> {
        let mut ids = self
            .fetch("SELECT id FROM workspaces", args![], |row| Ok(WorkspaceId::parse(row.required_text(0)?)?))
            .await?;
        // Byte order on both backends (PostgreSQL's order of text follows its collation).
        ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        Ok(ids)
    }
}

/// The columns of [`Tx::settings`], in its order.
fn settings_from_row(row: &dyn Columns) -> anyhow::Result<Settings> {
    Ok(Settings {
        base_currency: Currency::parse(row.required_text(0)?)?,
        timezone: Timezone::parse(row.required_text(1)?)?,
        language: row.required_text(2)?.parse()?,
        expiring_window_days: row.required_int(3)?.try_into()?,
        lead_times: LeadTimes::parse(row.required_text(4)?)?,
        admin_role: row.text(5)?.map(RoleId::parse).transpose()?,
        alert_channel: row.text(6)?.map(str::parse).transpose()?,
        alert_role: row.text(7)?.map(RoleId::parse).transpose()?,
        remind_hours: row.required_int(8)?.try_into()?,
        site_checks: Hysteresis {
            down_after: row.required_int(9)?.try_into()?,
            up_after: row.required_int(10)?.try_into()?,
        },
    })
}
