//! Housekeeping jobs: renewal advancement and month close. Both are idempotent, so they can run
//! on a schedule, after downtime, or twice in a row, and each day is charged once.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use super::{App, Result};
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::DateRange;
use crate::domain::cost::{NewCostRecord, due_renewals, month_close};
use crate::domain::item::Item;
use crate::domain::money::Money;
use crate::domain::workspace::WorkspaceId;
use crate::store::{Removed, Tx};

/// One cost record Jarvis wrote.
#[derive(Clone, Debug, Serialize)]
pub struct JobCharge {
    pub item_id: i64,
    pub item: String,
    pub amount: Money,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

/// A cycle Jarvis did not charge because records already pay for all of it.
#[derive(Clone, Debug, Serialize)]
pub struct SkippedCycle {
    pub item_id: i64,
    pub item: String,
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
    /// Renewals not charged because records (e.g. invoices entered by hand) already cover them.
    pub skipped: Vec<SkippedCycle>,
    /// Month-close records written (elapsed days no record covered).
    pub month_close: Vec<JobCharge>,
    /// Why the jobs failed in this workspace, if they did (nothing was written there then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Writes records Jarvis computed for `item`, with one audit entry `action` listing them. Returns
/// what was written (a record already there, from an earlier run, is not written again).
pub(super) async fn record_charges(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    item: &Item,
    records: &[NewCostRecord],
    action: &'static str,
    now: DateTime<Utc>,
) -> Result<Vec<JobCharge>> {
    let mut written = Vec::new();
    for record in records {
        if tx.insert_cost(workspace, record, &Actor::Jarvis, now).await?.is_some() {
            written.push(JobCharge {
                item_id: record.item_id,
                item: item.name.as_str().to_string(),
                amount: record.amount,
                period_start: record.period.start,
                period_end: record.period.end,
            });
        }
    }
    if !written.is_empty() {
        let change = Change {
            action,
            entity: "item",
            entity_id: Some(item.id.to_string()),
            before: None,
            after: Some(json!({ "records": written })),
        };
        tx.audit(workspace, &Actor::Jarvis, now, &change).await?;
    }
    Ok(written)
}

impl App {
    /// Runs renewal advancement, then month close, for one workspace, in one transaction.
    pub async fn run_jobs(&self, workspace: &WorkspaceId) -> Result<JobReport> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        // What the jobs saw: a workspace at the same version on the same day has nothing due.
        let seen = (tx.read_model_version(workspace).await?, today);
        let items = tx.items(workspace, Removed::Excluded).await?;
        let mut covered = super::items::covered_by_records(&mut tx, workspace, &items, today).await?;
        let mut report = JobReport {
            workspace: workspace.clone(),
            today,
            renewals: Vec::new(),
            skipped: Vec::new(),
            month_close: Vec::new(),
            error: None,
        };

        for item in &items {
            let covered = covered.entry(item.id).or_default();
            let mut current = item.clone();
            if let Some(run) = due_renewals(item, today, covered) {
                current = run.applied_to(item);
                current.updated_at = now;
                tx.update_item(workspace, &current).await?;
                let change = Change {
                    action: "renewal.advance",
                    entity: "item",
                    entity_id: Some(item.id.to_string()),
                    before: Some(
                        json!({ "renewal_date": item.renewal.map(|r| r.date), "usage": item.usage.as_ref().map(|u| u.used) }),
                    ),
                    after: Some(
                        json!({ "renewal_date": run.next.date, "usage": current.usage.as_ref().map(|u| u.used) }),
                    ),
                };
                tx.audit(workspace, &Actor::Jarvis, now, &change).await?;
                report
                    .renewals
                    .extend(record_charges(&mut tx, workspace, item, &run.charges, "renewal.charge", now).await?);
                covered.extend(run.charges.iter().map(|c| c.period));
                report.skipped.extend(run.skipped.iter().map(|cycle: &DateRange| SkippedCycle {
                    item_id: item.id,
                    item: item.name.as_str().to_string(),
                    period_start: cycle.start,
                    period_end: cycle.end,
                }));
            }
            let closed = month_close(&current, today, covered);
            report
                .month_close
                .extend(record_charges(&mut tx, workspace, item, &closed, "month_close.record", now).await?);
        }

        tx.commit().await?;
        let wrote = !(report.renewals.is_empty() && report.month_close.is_empty());
        let mut done = self.jobs_done.lock().expect("the jobs lock is never poisoned");
        if wrote {
            done.remove(workspace);
        } else {
            done.insert(workspace.clone(), seen);
        }
        Ok(report)
    }

    /// Runs the jobs for every workspace. A workspace that fails is reported (and logged) and the
    /// others still run. A workspace whose jobs found nothing due at its present version on its
    /// present day is not looked at again until one of them moves (the bot's tick over many
    /// servers).
    pub async fn run_jobs_everywhere(&self) -> Result<Vec<JobReport>> {
        let mut tx = self.store.read().await?;
        let workspaces = tx.workspace_ids().await?;
        let mut reports = Vec::with_capacity(workspaces.len());
        let mut due = Vec::with_capacity(workspaces.len());
        for workspace in workspaces {
            // A workspace that cannot even be read is looked at, to report why.
            let seen = match tx.settings(&workspace).await {
                Ok(settings) => Some((tx.read_model_version(&workspace).await?, self.today(&settings))),
                Err(_) => None,
            };
            let done = seen.is_some_and(|seen| {
                self.jobs_done.lock().expect("the jobs lock is never poisoned").get(&workspace) == Some(&seen)
            });
            if !done {
                due.push(workspace);
            }
        }
        drop(tx);
        for workspace in &due {
            match self.run_jobs(workspace).await {
                Ok(report) => reports.push(report),
                Err(error) => {
                    tracing::error!(%workspace, "jobs failed: {error:#}");
                    reports.push(JobReport {
                        workspace: workspace.clone(),
                        today: self.now().date_naive(),
                        renewals: Vec::new(),
                        skipped: Vec::new(),
                        month_close: Vec::new(),
                        error: Some(format!("{error:#}")),
                    });
                }
            }
        }
        Ok(reports)
    }
}
