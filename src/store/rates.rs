//! Exchange rates, one per workspace, pair and effective date.

use anyhow::Context as _;
use chrono::{DateTime, Datelike as _, Utc};

use super::sql::{Columns, args};
use super::{Result, Tx};
use crate::domain::money::Currency;
use crate::domain::rates::ExchangeRate;
use crate::domain::workspace::WorkspaceId;

impl Tx {
    /// Sets the rate for its pair and date, returning the rate it replaced.
    pub async fn set_rate(
        &mut self,
        workspace: &WorkspaceId,
        rate: &ExchangeRate,
        now: DateTime<Utc>,
    ) -> Result<Option<ExchangeRate>> {
        // Conversions on the rate's day and later may change.
        self.conversion_changed(workspace, rate.date.year());
        let previous = self
            .fetch_optional(
                "SELECT base_currency, quote_currency, rate, effective_date FROM exchange_rates
                 WHERE workspace_id = ?1 AND base_currency = ?2 AND quote_currency = ?3 AND effective_date = ?4",
                args![workspace.as_str(), rate.base.code(), rate.quote.code(), rate.date],
                rate_from_row,
            )
            .await?;
        self.execute(
            "INSERT INTO exchange_rates
                 (workspace_id, base_currency, quote_currency, rate, effective_date, updated_at, uuid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (workspace_id, base_currency, quote_currency, effective_date)
             DO UPDATE SET rate = excluded.rate, updated_at = excluded.updated_at",
            args![
                workspace.as_str(),
                rate.base.code(),
                rate.quote.code(),
                rate.rate,
                rate.date,
                now,
                super::public_id(now)
            ],
        )
        .await?;
        Ok(previous)
    }

    /// All of the workspace's rates, by pair then date.
    pub async fn rates(&mut self, workspace: &WorkspaceId) -> Result<Vec<ExchangeRate>> {
        self.fetch(
            "SELECT base_currency, quote_currency, rate, effective_date FROM exchange_rates
             WHERE workspace_id = ?1 ORDER BY base_currency, quote_currency, effective_date",
            args![workspace.as_str()],
            rate_from_row,
        )
        .await
    }
}

/// A rate from `base_currency, quote_currency, rate, effective_date`, in that order.
fn rate_from_row(row: &dyn Columns) -> anyhow::Result<ExchangeRate> {
    let read = || -> anyhow::Result<ExchangeRate> {
        Ok(ExchangeRate {
            base: Currency::parse(row.required_text(0)?)?,
            quote: Currency::parse(row.required_text(1)?)?,
            rate: row.required_decimal(2)?,
            date: row.required_date(3)?,
        })
    };
    read().context("an exchange rate in the database is damaged")
}
