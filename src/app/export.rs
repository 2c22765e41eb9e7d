//! `export`: a workspace's items (removed ones included) and cost history, as JSON or CSV, or
//! the whole workspace as a backup (`all`, see `backup.rs`). Stored amounts are exact in every
//! format: `0.0000008 USD` is never `0.00`.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::views::{CostView, ItemView};
use super::{App, Result};
use crate::domain::UserError;
use crate::domain::choice::choice_enum;
use crate::domain::money::{Currency, exact_amount, plain_amount};
use crate::domain::rates::RateBook;
use crate::domain::workspace::WorkspaceId;
use crate::store::{CostFilter, Removed};

/// A workspace's items and cost history as views (what `export items` and `export history`
/// write).
#[derive(Clone, Debug, Serialize)]
pub struct ExportData {
    pub workspace: WorkspaceId,
    pub exported_at: DateTime<Utc>,
    pub base_currency: Currency,
    pub items: Vec<ItemView>,
    pub history: Vec<CostView>,
}

choice_enum! {
    /// What `export` writes.
    pub enum ExportWhat as "export" {
        /// The whole workspace as a backup, which `import jarvis` restores.
        All = "all",
        Items = "items",
        History = "history",
    }
}

choice_enum! {
    /// The format `export` writes.
    pub enum ExportFormat as "export format" {
        Json = "json",
        Csv = "csv",
    }
}

/// An export, ready to write out.
#[derive(Clone, Debug)]
pub struct Exported {
    pub content: String,
    /// How many items and cost records it holds.
    pub items: usize,
    pub records: usize,
}

impl App {
    /// The workspace's items or history in `format`, or (`all`) the whole workspace as a backup
    /// in JSON. CSV holds one table, so `all` needs JSON.
    pub async fn export(&self, workspace: &WorkspaceId, what: ExportWhat, format: ExportFormat) -> Result<Exported> {
        if (what, format) == (ExportWhat::All, ExportFormat::Csv) {
            return Err(UserError::Conflict(
                "A CSV file holds one table: export `items` or `history` (or use --format json for a backup of everything)"
                    .into(),
            )
            .into());
        }
        let (content, items, records) = match (what, format) {
            (ExportWhat::All, _) => self.backup_json(workspace).await?,
            (ExportWhat::Items, _) => {
                let items = self.export_data(workspace).await?.items;
                let content = if format == ExportFormat::Csv { items_csv(&items)? } else { pretty_json(&items)? };
                (content, items.len(), 0)
            }
            (ExportWhat::History, _) => {
                let history = self.export_data(workspace).await?.history;
                let content = if format == ExportFormat::Csv { history_csv(&history)? } else { pretty_json(&history)? };
                (content, 0, history.len())
            }
        };
        Ok(Exported { content, items, records })
    }

    /// Everything the workspace holds, removed items included.
    pub async fn export_data(&self, workspace: &WorkspaceId) -> Result<ExportData> {
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let items = tx.items(workspace, Removed::Included).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let records = tx.cost_records(workspace, CostFilter::default()).await?;
        let by_id: HashMap<i64, _> = items.iter().map(|i| (i.id, i)).collect();
        let run_rates = super::items::run_rates(&mut tx, workspace, &items, &rates, today).await?;
        Ok(ExportData {
            workspace: workspace.clone(),
            exported_at: self.now(),
            base_currency: settings.base_currency,
            items: items.iter().map(|i| ItemView::new(i, &settings, &rates, today, &run_rates)).collect(),
            history: records
                .iter()
                .map(|r| CostView::new(r, by_id.get(&r.item_id).copied(), settings.base_currency, &rates))
                .collect(),
        })
    }
}

/// Pretty JSON with a trailing newline.
fn pretty_json<T: Serialize>(value: &T) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// Text typed by users, made safe for spreadsheets: a leading `=`, `+`, `-`, `@` or control
/// character would start a formula, so such text gets a `'` in front.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// One row per item. Typed amounts (`cost`, `unit_price`, `yearly_price`, `plan_price`) are
/// exact; monthly equivalents are computed and rounded for display.
pub fn items_csv(items: &[ItemView]) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "id",
        "kind",
        "category",
        "name",
        "provider",
        "cost",
        "currency",
        "billing_period",
        "monthly_cost",
        "monthly_cost_base",
        "base_currency",
        "renewal_date",
        "next_renewal",
        "auto_renew",
        "status",
        "usage_unit",
        "unit_price",
        "free_tier",
        "used",
        "usage_limit",
        "registrar",
        "server_type",
        "specs",
        "service_type",
        "pricing_model",
        "api_key_status",
        "integration_type",
        "features",
        "notes",
        "created_at",
        "updated_at",
        "removed_at",
        "yearly_price",
        "plan_price",
    ])?;
    for item in items {
        let usage = item.usage.as_ref();
        let currency = item.cost.0.currency;
        writer.write_record([
            item.id.to_string(),
            item.kind.to_string(),
            item.category.to_string(),
            cell(&item.name),
            cell(&opt(item.provider.as_ref())),
            exact_amount(item.cost.0.amount, currency),
            currency.to_string(),
            item.billing_period.to_string(),
            plain_amount(item.monthly_cost.amount, currency),
            opt(item.monthly_cost_base.map(|m| plain_amount(m.amount, m.currency))),
            opt(item.monthly_cost_base.map(|m| m.currency)),
            opt(item.renewal_date),
            opt(item.next_renewal),
            item.auto_renew.to_string(),
            item.status.to_string(),
            cell(&opt(usage.map(|u| &u.unit))),
            opt(usage.and_then(|u| u.unit_price).map(|p| exact_amount(p.0.amount, currency))),
            opt(usage.and_then(|u| u.free_tier)),
            opt(usage.map(|u| u.used)),
            opt(usage.and_then(|u| u.limit)),
            cell(&opt(item.registrar.as_ref())),
            cell(&opt(item.server_type.as_ref())),
            cell(&opt(item.specs.as_ref())),
            opt(item.service_type),
            opt(item.pricing_model),
            opt(item.api_key_status),
            opt(item.integration_type),
            cell(&item.features.as_ref().map(|f| f.join("; ")).unwrap_or_default()),
            cell(&opt(item.notes.as_ref())),
            instant(item.created_at),
            instant(item.updated_at),
            opt(item.removed_at.map(instant)),
            opt(item.yearly_price.map(|p| exact_amount(p.0.amount, currency))),
            opt(item.plan_price.map(|p| exact_amount(p.0.amount, currency))),
        ])?;
    }
    finish(writer)
}

/// One row per cost record: `amount` exactly as stored, `amount_base` converted and rounded for
/// display.
pub fn history_csv(history: &[CostView]) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "id",
        "item_id",
        "item",
        "kind",
        "amount",
        "currency",
        "amount_base",
        "base_currency",
        "period_start",
        "period_end",
        "source",
        "usage_unit",
        "usage_used",
        "note",
        "created_at",
        "created_by",
    ])?;
    for record in history {
        writer.write_record([
            record.id.to_string(),
            record.item_id.to_string(),
            cell(&record.item),
            record.kind.to_string(),
            exact_amount(record.amount.amount, record.amount.currency),
            record.amount.currency.to_string(),
            opt(record.amount_base.map(|m| plain_amount(m.amount, m.currency))),
            opt(record.amount_base.map(|m| m.currency)),
            record.period_start.to_string(),
            record.period_end.to_string(),
            record.source.to_string(),
            cell(&opt(record.usage.as_ref().map(|u| &u.unit))),
            opt(record.usage.as_ref().map(|u| u.used)),
            cell(&opt(record.note.as_ref())),
            instant(record.created_at),
            record.created_by.clone(),
        ])?;
    }
    finish(writer)
}

/// An instant as every export writes it, CSV and JSON alike: RFC 3339 in UTC with `Z`
/// (`2026-11-30T12:00:00Z`, fractions of a second only when there are any), as chrono's serde does.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn finish(writer: csv::Writer<Vec<u8>>) -> anyhow::Result<String> {
    let bytes = writer.into_inner().context("could not finish the CSV")?;
    String::from_utf8(bytes).context("the CSV is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::{cell, instant};

    /// CSV writes instants as JSON does (chrono's serde), to the fraction of a second.
    #[test]
    fn instants_read_the_same_in_csv_and_json() {
        for text in [
            "2026-11-30T12:00:00Z",
            "2026-11-30T12:00:00.5Z",
            "2026-11-30T12:00:00.123456Z",
            "2026-11-30T12:00:00.000000001Z",
        ] {
            let at: chrono::DateTime<chrono::Utc> = text.parse().unwrap();
            let json = serde_json::to_value(at).unwrap();
            assert_eq!(instant(at), json.as_str().unwrap(), "{text}");
            assert!(instant(at).ends_with('Z'), "{text}");
        }
    }

    #[test]
    fn cells_never_start_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@everyone"), "'@everyone");
        assert_eq!(cell("-5"), "'-5");
        assert_eq!(cell("acme.com"), "acme.com");
        assert_eq!(cell(""), "");
    }
}
