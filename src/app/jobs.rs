//! Housekeeping jobs: renewal advancement and month close. Both are idempotent, so they can run
//! on a schedule, after downtime, or twice in a row, and each period is charged once.

use chrono::NaiveDate;
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
    /// Month-close records written (elapsed days no record covered).
    pub month_close: Vec<JobCharge>,
    /// Why the jobs failed in this workspace, if they did (nothing was written there then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
        let items = tx.items(workspace, Removed::Excluded).await?;
        let mut covered = tx.covered_periods(workspace, None).await?;
        let mut report = JobReport {
            workspace: workspace.clone(),
            today,
            renewals: Vec::new(),
            month_close: Vec::new(),
            error: None,
        };

        for item in &items {
            let covered = covered.entry(item.id).or_default();
            let mut current = item.clone();
            if let Some(run) = due_renewals(item, today, covered) {
                current = run.applied_to(item);
                current.updated_at = now;
                let mut charged = Vec::new();
                for record in &run.charges {
                    // An identical renewal record means an earlier run charged it already.
                    if tx.insert_cost(workspace, record, &actor, now).await?.is_some() {
                        charged.push(charge(item.name.as_str(), record));
                    }
                    covered.push(record.period);
                }
                tx.update_item(workspace, &current).await?;
                let change = Change {
                    action: "renewal.charge",
                    entity: "item",
                    entity_id: Some(item.id.to_string()),
                    before: Some(
                        json!({ "renewal_date": item.renewal.map(|r| r.date), "usage": item.usage.as_ref().map(|u| u.used) }),
                    ),
                    after: Some(json!({
                        "renewal_date": run.next.date,
                        "usage": current.usage.as_ref().map(|u| u.used),
                        "charges": charged,
                    })),
                };
                tx.audit(workspace, &actor, now, &change).await?;
                report.renewals.extend(charged);
            }

            let mut written = Vec::new();
            for record in month_close(&current, today, covered) {
                if tx.insert_cost(workspace, &record, &actor, now).await?.is_some() {
                    written.push(charge(item.name.as_str(), &record));
                }
            }
            if !written.is_empty() {
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
        }

        tx.commit().await?;
        Ok(report)
    }

    /// Runs the jobs for every workspace. A workspace that fails is reported (and logged) and the
    /// others still run.
    pub async fn run_jobs_everywhere(&self) -> Result<Vec<JobReport>> {
        let workspaces = self.store.read().await?.workspace_ids().await?;
        let mut reports = Vec::with_capacity(workspaces.len());
        for workspace in &workspaces {
            match self.run_jobs(workspace).await {
                Ok(report) => reports.push(report),
                Err(error) => {
                    tracing::error!(%workspace, "jobs failed: {error:#}");
                    reports.push(JobReport {
                        workspace: workspace.clone(),
                        today: self.clock.today(crate::domain::workspace::Timezone(chrono_tz::UTC)),
                        renewals: Vec::new(),
                        month_close: Vec::new(),
                        error: Some(format!("{error:#}")),
                    });
                }
            }
        }
        Ok(reports)
    }
}
