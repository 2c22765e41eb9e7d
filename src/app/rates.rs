//! Use cases on exchange rates.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::json;

use super::views::RateView;
use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::money::Currency;
use crate::domain::rates::ExchangeRate;
use crate::domain::workspace::WorkspaceId;

impl App {
    /// Sets `1 base = rate quote` from `date` (default: today) on.
    pub async fn set_rate(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        base: Currency,
        quote: Currency,
        rate: Decimal,
        date: Option<NaiveDate>,
    ) -> Result<RateView> {
        if base == quote {
            return Err(UserError::Conflict(format!(
                "A rate from {base} to itself is always 1; give two different currencies"
            ))
            .into());
        }
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let rate = ExchangeRate { base, quote, rate, date: date.unwrap_or_else(|| self.today(&settings)) };
        let previous = tx.set_rate(workspace, &rate, now).await?;
        let change = Change {
            action: "rate.set",
            entity: "exchange_rate",
            entity_id: Some(format!("{base}/{quote}@{}", rate.date)),
            before: previous.map(|p| json!(RateView::from(&p))),
            after: Some(json!(RateView::from(&rate))),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(RateView { replaced: previous.map(|p| p.rate.normalize()), ..RateView::from(&rate) })
    }

    /// Every rate of the workspace, by pair then date.
    pub async fn list_rates(&self, workspace: &WorkspaceId) -> Result<Vec<RateView>> {
        let mut tx = self.store.read().await?;
        Ok(tx.rates(workspace).await?.iter().map(RateView::from).collect())
    }
}
