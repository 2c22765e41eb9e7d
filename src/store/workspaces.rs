//! Workspaces and their settings.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Result, Tx, timestamp};
use crate::domain::money::Currency;
use crate::domain::site::Hysteresis;
use crate::domain::workspace::{LeadTimes, RoleId, Settings, Timezone, WorkspaceId};

impl Tx {
    /// Creates the workspace with default settings unless it exists.
    pub async fn ensure_workspace(&mut self, workspace: &WorkspaceId, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO workspaces (id, created_at, updated_at) VALUES (?1, ?2, ?2)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(workspace.as_str())
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The workspace's settings; defaults for a workspace never written to.
    pub async fn settings(&mut self, workspace: &WorkspaceId) -> Result<Settings> {
        let row = sqlx::query(
            "SELECT base_currency, timezone, language, expiring_window_days, renewal_lead_days, admin_role_id,
                    alert_channel_id, alert_role_id, remind_hours, site_down_after, site_up_after
             FROM workspaces WHERE id = ?1",
        )
        .bind(workspace.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(row) = row else { return Ok(Settings::default()) };
        let read = || -> anyhow::Result<Settings> {
            Ok(Settings {
                base_currency: Currency::parse(row.try_get("base_currency")?)?,
                timezone: Timezone::parse(row.try_get("timezone")?)?,
                language: row.try_get::<&str, _>("language")?.parse()?,
                expiring_window_days: row.try_get::<i64, _>("expiring_window_days")?.try_into()?,
                lead_times: LeadTimes::parse(row.try_get("renewal_lead_days")?)?,
                admin_role: row.try_get::<Option<&str>, _>("admin_role_id")?.map(RoleId::parse).transpose()?,
                alert_channel: row.try_get::<Option<&str>, _>("alert_channel_id")?.map(str::parse).transpose()?,
                alert_role: row.try_get::<Option<&str>, _>("alert_role_id")?.map(RoleId::parse).transpose()?,
                remind_hours: row.try_get::<i64, _>("remind_hours")?.try_into()?,
                site_checks: Hysteresis {
                    down_after: row.try_get::<i64, _>("site_down_after")?.try_into()?,
                    up_after: row.try_get::<i64, _>("site_up_after")?.try_into()?,
                },
            })
        };
        Ok(read().with_context(|| format!("bad stored settings for workspace {workspace}"))?)
    }

    pub async fn save_settings(
        &mut self,
        workspace: &WorkspaceId,
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.workspace_changed(workspace);
        self.ensure_workspace(workspace, now).await?;
        let base: Option<String> = sqlx::query_scalar("SELECT base_currency FROM workspaces WHERE id = ?1")
            .bind(workspace.as_str())
            .fetch_optional(&mut *self.tx)
            .await?;
        if base.as_deref() != Some(settings.base_currency.code()) {
            // Every converted total is in the old base currency.
            self.conversion_changed(workspace, i32::MIN);
        }
        sqlx::query(
            "UPDATE workspaces
             SET base_currency = ?2, timezone = ?3, language = ?4, expiring_window_days = ?5, renewal_lead_days = ?6,
                 admin_role_id = ?7, alert_channel_id = ?8, alert_role_id = ?9, remind_hours = ?10, updated_at = ?11,
                 site_down_after = ?12, site_up_after = ?13
             WHERE id = ?1",
        )
        .bind(workspace.as_str())
        .bind(settings.base_currency.code())
        .bind(settings.timezone.name())
        .bind(settings.language.as_str())
        .bind(i64::from(settings.expiring_window_days))
        .bind(settings.lead_times.to_string())
        .bind(settings.admin_role.map(|r| r.0.to_string()))
        .bind(settings.alert_channel.map(|c| c.to_string()))
        .bind(settings.alert_role.map(|r| r.0.to_string()))
        .bind(i64::from(settings.remind_hours))
        .bind(timestamp(now))
        .bind(i64::from(settings.site_checks.down_after))
        .bind(i64::from(settings.site_checks.up_after))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Every workspace that has been written to, for jobs that run across all of them.
    pub async fn workspace_ids(&mut self) -> Result<Vec<WorkspaceId>> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id").fetch_all(&mut *self.tx).await?;
        Ok(ids.iter().map(|id| WorkspaceId::parse(id)).collect::<Result<_, _>>().map_err(anyhow::Error::new)?)
    }
}
