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
pub mod website;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::budget::Budget;
use crate::domain::calendar::DateRange;
use crate::domain::cost::{CostSource, NewCostRecord, accrued};
use crate::domain::item::Item;
use crate::domain::money::Money;
use crate::domain::rates::RateBook;
use crate::domain::rollup::ItemRollups;
use crate::domain::summary::RunRates;
use crate::domain::workspace::Settings;

/// One cost record as analysis needs it: what it cost, which days it pays for, and where it came
/// from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CostLine {
    pub item_id: i64,
    pub amount: Money,
    pub period: DateRange,
    pub source: CostSource,
}

impl From<&NewCostRecord> for CostLine {
    fn from(r: &NewCostRecord) -> Self {
        CostLine { item_id: r.item_id, amount: r.amount, period: r.period, source: r.source }
    }
}

/// Everything the analysis looks at, for one workspace on one day.
#[derive(Clone, Copy, Debug)]
pub struct Ledger<'a> {
    /// The workspace's date (in its timezone).
    pub today: NaiveDate,
    pub settings: &'a Settings,
    /// Every item as the jobs would leave it today (see [`settle_all`]), removed ones included
    /// (their history still counts).
    pub items: &'a [Item],
    /// Each item's month roll-ups (what its records pay for, month by month; see
    /// [`crate::domain::rollup`]) over the window analysed, and on to a year after today (renewals
    /// paid ahead).
    pub rollups: &'a HashMap<i64, ItemRollups>,
    /// What the jobs would record if they ran now (see [`settle_all`]).
    pub pending: &'a [CostLine],
    pub rates: &'a RateBook,
    pub budgets: &'a [Budget],
    /// Monitored sites and domain lookups.
    pub web: &'a website::Web,
    /// Every item's monthly run-rate (see [`run_rates`]).
    pub run_rates: &'a RunRates,
}

/// The ledger brought up to date without writing anything: each live item as the jobs would
/// leave it today, and the records they would write for days up to today (see
/// [`crate::domain::cost::accrued`]).
#[derive(Clone, Debug, Default)]
pub struct Settled {
    pub items: Vec<Item>,
    pub pending: Vec<CostLine>,
}

/// Settles every live item as of `today`. `covered` holds the days each item's records deal with
/// (removed records included), at least from `window_start` on (and from the open cycle's start for
/// usage-based items). Subscriptions are closed month by month, so days before the window change
/// nothing in it and are skipped.
pub fn settle_all(
    items: Vec<Item>,
    today: NaiveDate,
    covered: &HashMap<i64, Vec<DateRange>>,
    window_start: NaiveDate,
) -> Settled {
    let mut settled = Settled { items: Vec::with_capacity(items.len()), pending: Vec::new() };
    for item in items {
        if item.removed_at.is_some() {
            settled.items.push(item);
            continue;
        }
        let covered = covered.get(&item.id).map(Vec::as_slice).unwrap_or_default();
        let item = if !item.period.bills_in_arrears() && item.billed_from < window_start {
            Item { billed_from: window_start, ..item }
        } else {
            item
        };
        let (current, records) = accrued(&item, today, covered);
        settled.pending.extend(records.iter().map(CostLine::from));
        settled.items.push(current);
    }
    settled
}

/// Months of history run-rates need besides the current one: a usage-billed item's previous
/// cycle may start in the month before last.
pub const RUN_RATE_MONTHS: u32 = 2;

/// The run-rates of settled items, from their roll-ups and what the jobs would record now (a
/// usage bill the jobs have not written yet still counts as the last cycle's).
pub fn run_rates(
    items: &[Item],
    rollups: &HashMap<i64, ItemRollups>,
    pending: &[CostLine],
    rates: &RateBook,
    today: NaiveDate,
) -> RunRates {
    // Only usage-billed items' run-rates look at what was billed, and only their last cycles.
    let usage_billed = items.iter().filter(|i| i.removed_at.is_none() && i.period.bills_in_arrears());
    // Each group of records once, whole (what the records themselves say), from the months of
    // the last cycles.
    let first = crate::domain::calendar::Month::of(today).plus(-(RUN_RATE_MONTHS as i32));
    let recorded = usage_billed.filter_map(|item| rollups.get(&item.id).map(|months| (item.id, months))).flat_map(
        |(item, months)| {
            crate::domain::rollup::whole_segments(months.range(first..))
                .into_iter()
                .map(move |s| (item, Money::new(s.amount, s.currency), s.period, s.converts_on()))
        },
    );
    let pending = pending.iter().map(|l| (l.item_id, l.amount, l.period, l.period.start));
    RunRates::new(items.iter().filter(|i| i.removed_at.is_none()), today, recorded.chain(pending), rates)
}

/// The days each item's records deal with (removed ones included: the jobs do not bill them
/// again) over `range`, from its roll-ups; what [`settle_all`] and the jobs need.
pub fn covered_days(rollups: &HashMap<i64, ItemRollups>, range: DateRange) -> HashMap<i64, Vec<DateRange>> {
    rollups
        .iter()
        .map(|(item, months)| (*item, crate::domain::rollup::ranges(months, range, false)))
        .filter(|(_, ranges)| !ranges.is_empty())
        .collect()
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

// What JSON readers see: views are worded before they are shown (`Renderer::resolve`).
crate::domain::schema::by_hand!(
    Text,
    crate::domain::schema::string("A sentence in the answer's language.", "Renews in 7 days")
);

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
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
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
    crate::domain::summary::monthly_totals(
        ledger.live_items(),
        ledger.run_rates,
        ledger.settings.base_currency,
        ledger.rates,
        ledger.today,
        ledger.settings.expiring_window_days,
    )
    .monthly
    .amount
}

/// How a run-rate was estimated, in words; `None` for a plain price per month.
pub fn run_rate_note(basis: &crate::domain::summary::RunRateBasis) -> Option<Text> {
    use crate::domain::summary::RunRateBasis;
    match *basis {
        RunRateBasis::Price => None,
        RunRateBasis::Pace { read_on, days, cycle_days, early: false } => {
            Some(text!("runrate.pace", read_on = read_on, days = days, cycle_days = cycle_days))
        }
        RunRateBasis::Pace { days, cycle_days, early: true, .. } => {
            Some(text!("runrate.pace_early", days = days, cycle_days = cycle_days))
        }
        RunRateBasis::LastCycle { from, to, billed_days, cycle_days } if billed_days < cycle_days => {
            Some(text!("runrate.last_cycle_part", from = from, to = to, days = billed_days, cycle_days = cycle_days))
        }
        RunRateBasis::LastCycle { from, to, .. } => Some(text!("runrate.last_cycle", from = from, to = to)),
        RunRateBasis::LastReading { read_on, days, cycle_days } => {
            Some(text!("runrate.last_reading", read_on = read_on, days = days, cycle_days = cycle_days))
        }
        RunRateBasis::FeeOnly => Some(text!("runrate.fee_only")),
    }
}

/// A percentage for people: `85%`, `112.5%`.
pub(crate) fn percent(value: rust_decimal::Decimal) -> String {
    format!("{}%", value.round_dp(1).normalize())
}

#[cfg(test)]
pub(crate) mod testing;
