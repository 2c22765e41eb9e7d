//! Exchange rates, one per workspace, pair and effective date.

use anyhow::Context as _;
use chrono::{DateTime, Datelike as _, Utc};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use super::{Result, Tx, date, decimal, parse_date, parse_decimal, timestamp};
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
        let previous = sqlx::query(
            "SELECT base_currency, quote_currency, rate, effective_date FROM exchange_rates
             WHERE workspace_id = ?1 AND base_currency = ?2 AND quote_currency = ?3 AND effective_date = ?4",
        )
        .bind(workspace.as_str())
        .bind(rate.base.code())
        .bind(rate.quote.code())
        .bind(date(rate.date))
        .fetch_optional(&mut *self.tx)
        .await?
        .as_ref()
        .map(rate_from_row)
        .transpose()?;
        sqlx::query(
            "INSERT INTO exchange_rates (workspace_id, base_currency, quote_currency, rate, effective_date, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (workspace_id, base_currency, quote_currency, effective_date)
             DO UPDATE SET rate = excluded.rate, updated_at = excluded.updated_at",
        )
        .bind(workspace.as_str())
        .bind(rate.base.code())
        .bind(rate.quote.code())
        .bind(decimal(rate.rate))
        .bind(date(rate.date))
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(previous)
    }

    /// All of the workspace's rates, by pair then date.
    pub async fn rates(&mut self, workspace: &WorkspaceId) -> Result<Vec<ExchangeRate>> {
        let rows = sqlx::query(
            "SELECT base_currency, quote_currency, rate, effective_date FROM exchange_rates
             WHERE workspace_id = ?1 ORDER BY base_currency, quote_currency, effective_date",
        )
        .bind(workspace.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(rows.iter().map(rate_from_row).collect::<anyhow::Result<_>>()?)
    }
}

fn rate_from_row(row: &SqliteRow) -> anyhow::Result<ExchangeRate> {
    let read = || -> anyhow::Result<ExchangeRate> {
        Ok(ExchangeRate {
            base: Currency::parse(row.try_get("base_currency")?)?,
            quote: Currency::parse(row.try_get("quote_currency")?)?,
            rate: parse_decimal(row.try_get("rate")?)?,
            date: parse_date(row.try_get("effective_date")?)?,
        })
    };
    read().context("an exchange rate in the database is damaged")
}
