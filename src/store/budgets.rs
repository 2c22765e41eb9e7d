//! Budgets: one per workspace and scope.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::sql::args;
use super::{Result, Tx};
use crate::domain::budget::{Budget, BudgetScope, Thresholds};
use crate::domain::money::{Currency, Money};
use crate::domain::workspace::WorkspaceId;

impl Tx {
    /// The workspace's budgets, the total first, then by category.
    pub async fn budgets(&mut self, workspace: &WorkspaceId) -> Result<Vec<Budget>> {
        let mut budgets = self
            .fetch(
                "SELECT scope, amount, currency, thresholds FROM budgets WHERE workspace_id = ?1",
                args![workspace.as_str()],
                |row| {
                    let scope: BudgetScope = row.required_text(0)?.parse()?;
                    let read = || -> anyhow::Result<Budget> {
                        Ok(Budget {
                            scope,
                            amount: Money::new(row.required_decimal(1)?, Currency::parse(row.required_text(2)?)?),
                            thresholds: Thresholds::parse(row.required_text(3)?)?,
                        })
                    };
                    read().with_context(|| format!("the {scope} budget in the database is damaged"))
                },
            )
            .await?;
        budgets.sort_by_key(|b| b.scope);
        Ok(budgets)
    }

    /// Sets the budget for its scope, replacing any there was.
    pub async fn set_budget(&mut self, workspace: &WorkspaceId, budget: &Budget, now: DateTime<Utc>) -> Result<()> {
        self.workspace_changed(workspace);
        self.execute(
            "INSERT INTO budgets (workspace_id, scope, amount, currency, thresholds, created_at, updated_at, uuid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
             ON CONFLICT (workspace_id, scope) DO UPDATE
             SET amount = excluded.amount, currency = excluded.currency, thresholds = excluded.thresholds,
                 updated_at = excluded.updated_at",
            args![
                workspace.as_str(),
                budget.scope.as_str(),
                budget.amount.amount,
                budget.amount.currency.code(),
                budget.thresholds.to_string(),
                now,
                super::public_id(now),
            ],
        )
        .await?;
        Ok(())
    }

    /// Removes the budget for `scope`; whether there was one.
    pub async fn remove_budget(&mut self, workspace: &WorkspaceId, scope: BudgetScope) -> Result<bool> {
        self.workspace_changed(workspace);
        let changed = self
            .execute(
                "DELETE FROM budgets WHERE workspace_id = ?1 AND scope = ?2",
                args![workspace.as_str(), scope.as_str()],
            )
            .await?;
        Ok(changed == 1)
    }
}
