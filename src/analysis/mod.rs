//! The analysis core: dashboard, trends and forecast, alerts, and the Jarvis health report.
//!
//! Pure like `domain/`: everything it needs arrives in a [`Ledger`] (items, cost history,
//! exchange rates, budgets, settings and `today`), and it returns plain values. Sentences are
//! [`Text`]s, a message id with its arguments, so the renderer can word them in the reader's
//! language from `prompts/`.

pub mod alerts;
pub mod dashboard;
pub mod forecast;
pub mod report;
pub mod spend;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::budget::Budget;
use crate::domain::calendar::DateRange;
use crate::domain::item::Item;
use crate::domain::money::Money;
use crate::domain::rates::RateBook;
use crate::domain::workspace::Settings;

/// One cost record as analysis needs it: what it cost and which days it pays for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CostLine {
    pub item_id: i64,
    pub amount: Money,
    pub period: DateRange,
}

/// Everything the analysis looks at, for one workspace on one day.
#[derive(Clone, Copy, Debug)]
pub struct Ledger<'a> {
    /// The workspace's date (in its timezone).
    pub today: NaiveDate,
    pub settings: &'a Settings,
    /// Every item, removed ones included (their history still counts).
    pub items: &'a [Item],
    /// Live cost records.
    pub history: &'a [CostLine],
    /// Days each item's records deal with, removed records included (see `store::covered_periods`).
    pub covered: &'a HashMap<i64, Vec<DateRange>>,
    pub rates: &'a RateBook,
    pub budgets: &'a [Budget],
}

impl Ledger<'_> {
    /// Items that still count: not removed.
    pub fn live_items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.removed_at.is_none())
    }

    pub fn item(&self, id: i64) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }
}

/// A sentence to show: a message id from `prompts/<language>/messages.json` and its arguments,
/// already formatted (amounts with their currency, dates as YYYY-MM-DD).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Text {
    pub id: &'static str,
    pub args: BTreeMap<&'static str, String>,
}

/// `text!("alert.renewal.title", item = name, days = 7)`.
macro_rules! text {
    ($id:literal $(, $key:ident = $value:expr)* $(,)?) => {
        $crate::analysis::Text {
            id: $id,
            args: ::std::collections::BTreeMap::from([$((stringify!($key), ($value).to_string())),*]),
        }
    };
}
pub(crate) use text;

/// The item an alert or suggestion is about.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ItemTag {
    pub id: i64,
    pub name: String,
    pub kind: crate::domain::item::Kind,
}

impl ItemTag {
    pub fn of(item: &Item) -> ItemTag {
        ItemTag { id: item.id, name: item.name.as_str().to_string(), kind: item.kind() }
    }
}

/// The run-rate: billable live items' monthly costs in the base currency (items without a rate
/// left out, as in every total).
pub(crate) fn summary_total(ledger: &Ledger) -> rust_decimal::Decimal {
    let live: Vec<Item> = ledger.live_items().cloned().collect();
    crate::domain::summary::monthly_totals(
        &live,
        ledger.settings.base_currency,
        ledger.rates,
        ledger.today,
        ledger.settings.expiring_window_days,
    )
    .monthly
    .amount
}

/// A percentage for people: `85%`, `112.5%`.
pub(crate) fn percent(value: rust_decimal::Decimal) -> String {
    format!("{}%", value.round_dp(1).normalize())
}

#[cfg(test)]
pub(crate) mod testing;
