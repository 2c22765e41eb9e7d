//! What restoring a backup checks before it writes: what the workspace already holds, and which
//! ids the database has given out (ids are unique across workspaces).

use super::sql::{Arg, args};
use super::{Result, Tx};
use crate::domain::workspace::WorkspaceId;

/// What a workspace holds, counted (removed items and records included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holdings {
    pub items: u64,
    pub cost_records: u64,
    pub exchange_rates: u64,
    pub budgets: u64,
    pub sites: u64,
    pub report_schedule: bool,
}

impl Holdings {
    pub fn is_empty(&self) -> bool {
        *self == Holdings::default()
    }
}

/// A table whose ids are numbered across all workspaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdTable {
    Items,
    CostRecords,
    Sites,
    Imports,
    ImportServices,
}

impl Tx {
    /// What the workspace holds.
    pub async fn holdings(&mut self, workspace: &WorkspaceId) -> Result<Holdings> {
        let counts = self
            .fetch_one(
                "SELECT (SELECT count(*) FROM items WHERE workspace_id = ?1) AS items,
                        (SELECT count(*) FROM cost_records WHERE workspace_id = ?1) AS cost_records,
                        (SELECT count(*) FROM exchange_rates WHERE workspace_id = ?1) AS exchange_rates,
                        (SELECT count(*) FROM budgets WHERE workspace_id = ?1) AS budgets,
                        (SELECT count(*) FROM sites WHERE workspace_id = ?1) AS sites,
                        (SELECT count(*) FROM report_schedules WHERE workspace_id = ?1) AS schedules",
                args![workspace.as_str()],
                |row| {
                    let mut counts = [0u64; 6];
                    for (index, count) in counts.iter_mut().enumerate() {
                        *count = u64::try_from(row.required_int(index)?).unwrap_or(0);
                    }
                    Ok(counts)
                },
            )
            .await?;
        let [items, cost_records, exchange_rates, budgets, sites, schedules] = counts;
        Ok(Holdings { items, cost_records, exchange_rates, budgets, sites, report_schedule: schedules > 0 })
    }

    /// Whether any of `ids` is already used in `table`, by any workspace.
    pub async fn ids_taken(&mut self, table: IdTable, ids: &[i64]) -> Result<bool> {
        let table = match table {
            IdTable::Items => "items",
            IdTable::CostRecords => "cost_records",
            IdTable::Sites => "sites",
            IdTable::Imports => "imports",
            IdTable::ImportServices => "import_services",
        };
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE {})", self.in_ids("id", 1));
        self.fetch_one(&sql, &[Arg::Ids(ids)], |row| row.required_bool(0)).await
    }
}
