//! Use cases on cost history: recording a cost by hand, and reading history.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::json;

use super::items::{ItemRef, resolve};
use super::views::{CostHistory, CostView};
use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::cost::{CostSource, NewCostRecord, UsageSnapshot};
use crate::domain::money::{Currency, Money};
use crate::domain::rates::{MissingRate, RateBook};
use crate::domain::text::Notes;
use crate::domain::workspace::WorkspaceId;
use crate::store::{CostFilter, Removed};

/// The days a hand-recorded cost pays for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum CostPeriod {
    /// The current month (the default).
    #[default]
    CurrentMonth,
    Month(Month),
    Day(NaiveDate),
    Range(DateRange),
}

/// A cost an admin records by hand.
#[derive(Clone, Debug)]
pub struct CostInput {
    pub item: ItemRef,
    pub amount: Decimal,
    /// Defaults to the item's currency.
    pub currency: Option<Currency>,
    pub period: CostPeriod,
    /// `manual` (the default), `usage` or `import`; the others are written by jobs.
    pub source: CostSource,
    /// Units used, for usage bills; stored with the item's unit.
    pub usage: Option<Decimal>,
    pub note: Option<Notes>,
}

impl App {
    /// Records a cost against an item.
    pub async fn record_cost(&self, workspace: &WorkspaceId, actor: &Actor, input: &CostInput) -> Result<CostView> {
        if matches!(input.source, CostSource::Renewal | CostSource::Snapshot) {
            return Err(UserError::invalid(
                "source",
                input.source.as_str(),
                "renewal and snapshot records are written by Jarvis's jobs; use manual, usage or import",
            )
            .into());
        }
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let item = resolve(&mut tx, workspace, &input.item).await?;
        let period = match input.period {
            CostPeriod::CurrentMonth => Month::of(today).range(),
            CostPeriod::Month(month) => month.range(),
            CostPeriod::Day(day) => DateRange { start: day, end: day },
            CostPeriod::Range(range) => range,
        };
        if period.start > today {
            return Err(UserError::invalid(
                "period",
                format!("{} to {}", period.start, period.end),
                format!("it starts after today ({today}); record costs once they are incurred"),
            )
            .into());
        }
        let usage = input.usage.map(|used| UsageSnapshot {
            unit: item
                .usage
                .as_ref()
                .map_or_else(|| item.kind().default_unit().to_string(), |u| u.unit.as_str().to_string()),
            used,
            included: item.usage.as_ref().and_then(|u| u.included),
            unit_price: item.usage.as_ref().and_then(|u| u.unit_price),
        });
        let record = NewCostRecord {
            item_id: item.id,
            amount: Money::new(input.amount, input.currency.unwrap_or(item.cost.currency)),
            period,
            source: input.source,
            usage,
            note: input.note.clone(),
        };
        let id = tx
            .insert_cost(workspace, &record, actor, now)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a hand-recorded cost collided with a job's record"))?;
        let stored = tx
            .cost_records(workspace, CostFilter { item_id: Some(item.id), ..Default::default() })
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| anyhow::anyhow!("cost record #{id} vanished after insert"))?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let view = CostView::new(&stored, Some(&item), settings.base_currency, &rates);
        let change = Change {
            action: "cost.record",
            entity: "cost_record",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(serde_json::to_value(&view).unwrap_or_else(|e| json!({ "unserializable": e.to_string() }))),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Cost records, optionally for one item and a date range, with their total in the base
    /// currency.
    pub async fn cost_history(
        &self,
        workspace: &WorkspaceId,
        item: Option<&ItemRef>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<CostHistory> {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(UserError::Conflict(format!("--from {from} is after --to {to}; swap them")).into());
        }
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let item_id = match item {
            Some(reference) => Some(resolve(&mut tx, workspace, reference).await?.id),
            None => None,
        };
        let records = tx.cost_records(workspace, CostFilter { item_id, from, to }).await?;
        let items: HashMap<i64, _> =
            tx.items(workspace, Removed::Included).await?.into_iter().map(|i| (i.id, i)).collect();
        let rates = RateBook::new(tx.rates(workspace).await?);
        let mut missing = BTreeSet::new();
        let views: Vec<CostView> = records
            .iter()
            .map(|record| {
                let view = CostView::new(record, items.get(&record.item_id), settings.base_currency, &rates);
                if view.amount_base.is_none() {
                    missing.insert(MissingRate { from: record.amount.currency, to: settings.base_currency });
                }
                view
            })
            .collect();
        let total = views.iter().filter_map(|v| v.amount_base).fold(Money::zero(settings.base_currency), Money::plus);
        Ok(CostHistory {
            base_currency: settings.base_currency,
            records: views,
            total,
            warnings: missing.iter().map(ToString::to_string).collect(),
        })
    }
}
