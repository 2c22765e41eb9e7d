//! `doctor`: checks that the read model (the month roll-ups analysis reads) matches the cost
//! records, and rebuilds it, for a database restored or edited outside Jarvis.

use serde::Serialize;

use super::{App, Result};
use crate::domain::audit::{Actor, Change};
use crate::domain::workspace::WorkspaceId;

/// What `doctor` found in one workspace.
#[derive(Clone, Debug, Serialize)]
pub struct DoctorReport {
    pub workspace: WorkspaceId,
    /// Item-months compared (or, after a rebuild, item-years written).
    pub checked: usize,
    /// Months whose stored roll-up differed from the records (before any rebuild).
    pub mismatches: Vec<DoctorMismatch>,
    /// Whether the read model was rebuilt.
    pub rebuilt: bool,
}

/// A month that differed.
#[derive(Clone, Debug, Serialize)]
pub struct DoctorMismatch {
    pub item_id: i64,
    pub month: crate::domain::calendar::Month,
    /// `missing` (the records make a roll-up nobody stored), `stale` (it differs) or `orphan`
    /// (stored without records).
    pub problem: &'static str,
}

impl App {
    /// Checks `workspaces` (all of them when `None`), and with `rebuild` builds their read model
    /// again from the records, each in one transaction, audited.
    pub async fn doctor(&self, workspaces: Option<&[WorkspaceId]>, rebuild: bool) -> Result<Vec<DoctorReport>> {
        let all = match workspaces {
            Some(list) => list.to_vec(),
            None => self.store.read().await?.workspace_ids().await?,
        };
        let mut reports = Vec::with_capacity(all.len());
        for workspace in all {
            let mut tx = if rebuild { self.store.write().await? } else { self.store.read().await? };
            let found = tx.check_rollups(&workspace).await?;
            let mismatches = found
                .iter()
                .map(|m| DoctorMismatch {
                    item_id: m.item_id,
                    month: m.month,
                    problem: match (&m.stored, &m.expected) {
                        (None, _) => "missing",
                        (_, None) => "orphan",
                        _ => "stale",
                    },
                })
                .collect();
            let mut checked = tx
                .rollups(&workspace, (1, 9999), crate::store::Detail::DaysOnly)
                .await?
                .values()
                .map(|m| m.len())
                .sum();
            if rebuild {
                checked = tx.rebuild_rollups(&workspace, &mut |_, _| {}).await?;
                let change = Change {
                    action: "read_model.rebuild",
                    entity: "workspace",
                    entity_id: Some(workspace.to_string()),
                    before: Some(serde_json::json!({ "mismatched_months": found.len() })),
                    after: Some(serde_json::json!({ "item_years_written": checked })),
                };
                tx.audit(&workspace, &Actor::Cli, self.now(), &change).await?;
                tx.commit().await?;
            }
            reports.push(DoctorReport { workspace, checked, mismatches, rebuilt: rebuild });
        }
        Ok(reports)
    }
}
