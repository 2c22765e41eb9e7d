//! Housekeeping jobs: renewal advancement and month close. Both are idempotent, so they can run
//! on a schedule, after downtime, or twice in a row, and each period is charged once.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use super::{App, Result};
use crate::domain::audit::{Actor, Change};
use crate::domain::cost::{NewCostRecord, due_renewals, month_close};
use crate::domain::money::Money;
use crate::domain::workspace::WorkspaceId;
use crate::store::Removed;

/// One cost record a job wrote.
#[derive(Clone, Debug, Serialize)]
pub struct JobCharge {
    pub item_id: i64,
    pub item: String,
    pub amount: Money,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

/// What a run of the jobs did in one workspace.
#[derive(Clone, Debug, Serialize)]
pub struct JobReport {
    pub workspace: WorkspaceId,
    pub today: NaiveDate,
    /// Renewal charges written (auto-renewing items whose date passed).
    pub renewals: Vec<JobCharge>,
    /// Month-close records written (elapsed months no record covered).
    pub month_close: Vec<JobCharge>,
}

fn charge(name: &str, record: &NewCostRecord) -> JobCharge {
    JobCharge {
        item_id: record.item_id,
        item: name.to_string(),
        amount: record.amount,
        period_start: record.period.start,
        period_end: record.period.end,
    }
}

impl App {
    /// Runs renewal advancement, then month close, for one workspace, in one transaction.
    pub async fn run_jobs(&self, workspace: &WorkspaceId) -> Result<JobReport> {
        let actor = Actor::Jarvis;
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let mut items = tx.items(workspace, Removed::Excluded).await?;
        let mut report =
            JobReport { workspace: workspace.clone(), today, renewals: Vec::new(), month_close: Vec::new() };

        for item in &mut items {
            let Some(run) = due_renewals(item, today) else { continue };
            let before =
                json!({ "renewal_date": item.renewal.map(|r| r.date), "usage": item.usage.as_ref().map(|u| u.used) });
            let mut charged = Vec::new();
            for record in &run.charges {
                // A record already there (same item and period start) was charged by an earlier run.
                if tx.insert_cost(workspace, record, &actor, now).await?.is_some() {
                    charged.push(charge(item.name.as_str(), record));
                }
            }
            item.renewal = Some(run.next);
            if run.resets_usage
                && let Some(usage) = &mut item.usage
            {
                usage.used = Decimal::ZERO;
            }
            item.updated_at = now;
            tx.update_item(workspace, item).await?;
            let change = Change {
                action: "renewal.charge",
                entity: "item",
                entity_id: Some(item.id.to_string()),
                before: Some(before),
                after: Some(json!({
                    "renewal_date": run.next.date,
                    "usage": item.usage.as_ref().map(|u| u.used),
                    "charges": charged,
                })),
            };
            tx.audit(workspace, &actor, now, &change).await?;
            report.renewals.extend(charged);
        }

        for item in &items {
            let covered = tx.covered_periods(workspace, item.id).await?;
            let tracked_since = settings.timezone.today(item.created_at);
            let records = month_close(item, tracked_since, today, settings.expiring_window_days, &covered);
            let mut written = Vec::new();
            for record in &records {
                if tx.insert_cost(workspace, record, &actor, now).await?.is_some() {
                    written.push(charge(item.name.as_str(), record));
                }
            }
            if written.is_empty() {
                continue;
            }
            let change = Change {
                action: "month_close.record",
                entity: "item",
                entity_id: Some(item.id.to_string()),
                before: None,
                after: Some(json!({ "records": written })),
            };
            tx.audit(workspace, &actor, now, &change).await?;
            report.month_close.extend(written);
        }

        tx.commit().await?;
        Ok(report)
    }

    /// Runs the jobs for every workspace.
    pub async fn run_jobs_everywhere(&self) -> Result<Vec<JobReport>> {
        let workspaces = self.store.read().await?.workspace_ids().await?;
        let mut reports = Vec::with_capacity(workspaces.len());
        for workspace in &workspaces {
            reports.push(self.run_jobs(workspace).await?);
        }
        Ok(reports)
    }
}
