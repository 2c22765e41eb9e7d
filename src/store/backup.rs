//! What restoring a backup checks before it writes: what the workspace already holds, and which
//! ids the database has given out (ids are unique across workspaces).

use sqlx::Row as _;

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
}

impl Tx {
    /// What the workspace holds.
    pub async fn holdings(&mut self, workspace: &WorkspaceId) -> Result<Holdings> {
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM items WHERE workspace_id = ?1) AS items,
                    (SELECT count(*) FROM cost_records WHERE workspace_id = ?1) AS cost_records,
                    (SELECT count(*) FROM exchange_rates WHERE workspace_id = ?1) AS exchange_rates,
                    (SELECT count(*) FROM budgets WHERE workspace_id = ?1) AS budgets,
                    (SELECT count(*) FROM sites WHERE workspace_id = ?1) AS sites,
                    (SELECT count(*) FROM report_schedules WHERE workspace_id = ?1) AS schedules",
        )
        .bind(workspace.as_str())
        .fetch_one(&mut *self.tx)
        .await?;
        let count = |column: &str| -> Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0)) };
        Ok(Holdings {
            items: count("items")?,
            cost_records: count("cost_records")?,
            exchange_rates: count("exchange_rates")?,
            budgets: count("budgets")?,
            sites: count("sites")?,
            report_schedule: count("schedules")? > 0,
        })
    }

    /// Whether any of `ids` is already used in `table`, by any workspace.
    pub async fn ids_taken(&mut self, table: IdTable, ids: &[i64]) -> Result<bool> {
        let sql = match table {
            IdTable::Items => "SELECT EXISTS (SELECT 1 FROM items WHERE id IN (SELECT value FROM json_each(?1)))",
            IdTable::CostRecords => {
                "SELECT EXISTS (SELECT 1 FROM cost_records WHERE id IN (SELECT value FROM json_each(?1)))"
            }
            IdTable::Sites => "SELECT EXISTS (SELECT 1 FROM sites WHERE id IN (SELECT value FROM json_each(?1)))",
        };
        let ids = serde_json::to_string(ids).map_err(anyhow::Error::new)?;
        Ok(sqlx::query_scalar(sql).bind(ids).fetch_one(&mut *self.tx).await?)
    }
}
