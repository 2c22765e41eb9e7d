//! Budgets: one per workspace and scope.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Result, Tx, decimal, parse_decimal, timestamp};
use crate::domain::budget::{Budget, BudgetScope, Thresholds};
use crate::domain::money::{Currency, Money};
use crate::domain::workspace::WorkspaceId;

impl Tx {
    /// The workspace's budgets, the total first, then by category.
    pub async fn budgets(&mut self, workspace: &WorkspaceId) -> Result<Vec<Budget>> {
        let rows = sqlx::query("SELECT scope, amount, currency, thresholds FROM budgets WHERE workspace_id = ?1")
            .bind(workspace.as_str())
            .fetch_all(&mut *self.tx)
            .await?;
        let mut budgets = rows
            .iter()
            .map(|row| -> anyhow::Result<Budget> {
                let scope: BudgetScope = row.try_get::<&str, _>("scope")?.parse()?;
                let read = || -> anyhow::Result<Budget> {
                    Ok(Budget {
                        scope,
                        amount: Money::new(
                            parse_decimal(row.try_get("amount")?)?,
                            Currency::parse(row.try_get("currency")?)?,
                        ),
                        thresholds: Thresholds::parse(row.try_get("thresholds")?)?,
                    })
                };
                read().with_context(|| format!("the {scope} budget in the database is damaged"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        budgets.sort_by_key(|b| b.scope);
        Ok(budgets)
    }

    /// Sets the budget for its scope, replacing any there was.
    pub async fn set_budget(&mut self, workspace: &WorkspaceId, budget: &Budget, now: DateTime<Utc>) -> Result<()> {
        self.workspace_changed(workspace);
        sqlx::query(
            "INSERT INTO budgets (workspace_id, scope, amount, currency, thresholds, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (workspace_id, scope) DO UPDATE
             SET amount = excluded.amount, currency = excluded.currency, thresholds = excluded.thresholds,
                 updated_at = excluded.updated_at",
        )
        .bind(workspace.as_str())
        .bind(budget.scope.as_str())
        .bind(decimal(budget.amount.amount))
        .bind(budget.amount.currency.code())
        .bind(budget.thresholds.to_string())
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Removes the budget for `scope`; whether there was one.
    pub async fn remove_budget(&mut self, workspace: &WorkspaceId, scope: BudgetScope) -> Result<bool> {
        self.workspace_changed(workspace);
        let done = sqlx::query("DELETE FROM budgets WHERE workspace_id = ?1 AND scope = ?2")
            .bind(workspace.as_str())
            .bind(scope.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
