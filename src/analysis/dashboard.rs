//! The money views: the dashboard (run-rate, this month, trend, renewals, alerts, providers) and
//! trends (monthly actuals, the month so far with its projection, and a forecast).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Ledger;
use super::alerts::{Alert, Severity};
use super::forecast::{self, Estimate};
use super::spend::{MonthSpend, Spend};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::item::{BillingPeriod, Category, Details, Item, Kind, Status};
use crate::domain::money::{Currency, Money, plain_amount};
use crate::domain::rates::{MissingRate, dedup_missing};
use crate::domain::summary::monthly_totals;

/// Months the dashboard's trend shows.
pub const TREND_MONTHS: u32 = 12;
/// Days ahead the dashboard lists renewals for, by default.
pub const RENEWAL_DAYS: u32 = 30;
/// Months forecast ahead of the current one.
pub const FORECAST_MONTHS: usize = 3;
/// Renewals and alerts the dashboard lists at most (the soonest, the most severe); `renewals` and
/// `alerts` list them all. A dashboard stays a glance, and its JSON small, at 10,000 items.
pub const DASHBOARD_LIST: usize = 25;

/// An amount in the base currency that JSON shows as a bare decimal string (`"842.64"`, rounded
/// for display), the currency being the view's `base_currency`: the dashboard's core fields.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BaseAmount(pub Money);

impl std::ops::Deref for BaseAmount {
    type Target = Money;
    fn deref(&self) -> &Money {
        &self.0
    }
}

impl Serialize for BaseAmount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&plain_amount(self.0.amount, self.0.currency))
    }
}

crate::domain::schema::by_hand!(
    BaseAmount,
    crate::domain::schema::decimal("An amount in the base currency (`base_currency`), rounded for display.")
);

/// One month's total.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct MonthTotal {
    pub month: Month,
    pub cost: BaseAmount,
    /// Some of the month's amounts had no exchange rate and are left out of `cost` (see
    /// `missing_rates`); only present when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
}

/// This month so far and where it is heading.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct MonthToDate {
    pub month: Month,
    pub to_date: Money,
    pub projected: Money,
    pub elapsed_days: u32,
    pub days_in_month: u32,
    /// Amounts left out for want of an exchange rate (see `missing_rates`).
    pub incomplete: bool,
}

/// This month's projection against last month's actual spend.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct MonthChange {
    pub previous_month: Month,
    pub previous: Money,
    pub projected: Money,
    pub change: Money,
    /// The change as a percentage of last month, to one decimal place as pages show it; `None`
    /// when last month cost nothing.
    pub percent: Option<Decimal>,
}

/// A renewal coming up.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct UpcomingRenewal {
    /// The item's name.
    pub item: String,
    pub item_id: i64,
    pub kind: Kind,
    pub date: NaiveDate,
    pub days: i64,
    /// One cycle's price in the base currency; `null` when no rate converts it.
    pub cost: Option<BaseAmount>,
    /// The same in the item's own currency.
    pub price: Money,
    pub auto_renew: bool,
}

/// One provider's line in the status grid.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderRow {
    pub provider: String,
    pub items: usize,
    pub monthly: Money,
    /// The worst status among its items: expired, suspended, expiring, active, cancelled.
    pub worst_status: Status,
    /// The most severe alert on its items.
    pub worst_alert: Option<Severity>,
}

/// An AI provider fed by its provider's cost API or by the usage push: this month at a glance.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct AiLine {
    pub item_id: i64,
    pub item: String,
    /// The cost API it is connected to (`openai`, `anthropic`); none when usage is pushed.
    pub connected_to: Option<crate::domain::connection::Vendor>,
    /// Spent this month so far, in the base currency (`None` when a rate is missing).
    pub this_month: Option<Money>,
    /// Model requests this month, when counted (pushed events, OpenAI's usage report).
    pub requests: Option<i64>,
    /// This month's cost / its requests, to 6 decimal places (not rounded to cents).
    #[serde(serialize_with = "crate::domain::money::serialize_exact")]
    pub cost_per_request: Option<Money>,
    /// Tokens this month, in and out, when the provider reports them.
    pub tokens: Option<i64>,
    /// The free tier used this cycle, as a percentage, and the day it runs out at this pace.
    pub free_tier_used_percent: Option<Decimal>,
    pub free_tier_runs_out: Option<NaiveDate>,
    pub api_key_status: crate::domain::item::ApiKeyStatus,
    pub last_pull: Option<chrono::DateTime<chrono::Utc>>,
    /// Why pulls are failing, when they are.
    pub failing: Option<String>,
}

/// How many alerts of each severity.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct AlertCounts {
    pub critical: usize,
    pub warning: usize,
    pub info: usize,
}

impl AlertCounts {
    pub fn of(alerts: &[Alert]) -> AlertCounts {
        let count = |s: Severity| alerts.iter().filter(|a| a.severity == s).count();
        AlertCounts {
            critical: count(Severity::Critical),
            warning: count(Severity::Warning),
            info: count(Severity::Info),
        }
    }
}

/// The dashboard.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub today: NaiveDate,
    pub base_currency: Currency,
    /// The run-rate: billable items' monthly costs, in the base currency.
    pub total_monthly_cost: BaseAmount,
    /// Every category's run-rate, in a fixed order.
    pub by_category: BTreeMap<Category, BaseAmount>,
    pub this_month: MonthToDate,
    pub month_over_month: Option<MonthChange>,
    /// Completed months, oldest first (up to 12, from the first month with records).
    pub trends: Vec<MonthTotal>,
    /// Renewals in the next `renewal_days` days, soonest first: the first [`DASHBOARD_LIST`].
    pub upcoming_renewals: Vec<UpcomingRenewal>,
    /// How many renewals fall in those days, listed or not.
    pub upcoming_renewals_total: usize,
    pub renewal_days: u32,
    pub alert_counts: AlertCounts,
    /// The most severe [`DASHBOARD_LIST`] alerts, as `alerts` orders them.
    pub alerts: Vec<Alert>,
    /// How many alerts there are, listed or not.
    pub alerts_total: usize,
    pub providers: Vec<ProviderRow>,
    /// AI providers fed by their cost APIs or the usage push (filled by the app layer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ai_providers: Vec<AiLine>,
    /// Exchange rates that are missing, with the days of the amounts they leave out (the
    /// run-rate's, today; the history's, the days its records pay for).
    pub missing_rates: Vec<MissingRate>,
    /// Billable items left out of the run-rate for want of a rate.
    pub items_left_out: usize,
}

pub fn month_to_date(spend: &Spend, month: Month, pick: impl Fn(&MonthSpend) -> Decimal) -> MonthToDate {
    MonthToDate {
        month,
        to_date: Money::new(pick(&spend.current.to_date), spend.base),
        projected: Money::new(pick(&spend.current.projected), spend.base),
        elapsed_days: spend.current.elapsed_days,
        days_in_month: spend.current.days_in_month,
        incomplete: spend.current.to_date.incomplete || spend.current.projected.incomplete,
    }
}

/// Renewals of live, billable items within `days` of today, soonest first (then by name and id).
/// Usage bills, which follow the usage, are not renewals.
pub fn upcoming_renewals(ledger: &Ledger, days: u32) -> Vec<UpcomingRenewal> {
    let today = ledger.today;
    let mut upcoming: Vec<UpcomingRenewal> = renewing_items(ledger)
        .filter_map(|item| {
            let date = item.next_renewal(today)?;
            (0..=i64::from(days)).contains(&(date - today).num_days()).then(|| renewal_of(ledger, item, date))
        })
        .collect();
    sort_renewals(&mut upcoming);
    upcoming
}

/// Every renewal (and expiry) in `range`: each cycle of auto-renewing items, soonest first (the
/// renewal calendar and its feed).
pub fn renewals_in(ledger: &Ledger, range: DateRange) -> Vec<UpcomingRenewal> {
    let mut renewals: Vec<UpcomingRenewal> = renewing_items(ledger)
        .flat_map(|item| {
            item.renewals_in(ledger.today, range).into_iter().map(move |date| renewal_of(ledger, item, date))
        })
        .collect();
    sort_renewals(&mut renewals);
    renewals
}

/// Items with renewals to show: billable, and not billed by usage (those are bills, not
/// renewals).
fn renewing_items<'a>(ledger: &'a Ledger<'_>) -> impl Iterator<Item = &'a Item> {
    let today = ledger.today;
    ledger.live_items().filter(move |i| i.status(today, 0).is_billable() && i.period != BillingPeriod::UsageBased)
}

fn renewal_of(ledger: &Ledger, item: &Item, date: NaiveDate) -> UpcomingRenewal {
    let today = ledger.today;
    UpcomingRenewal {
        item: item.name.as_str().to_string(),
        item_id: item.id,
        kind: item.kind(),
        date,
        days: (date - today).num_days(),
        cost: ledger.rates.convert(item.cycle_cost(), ledger.settings.base_currency, today).ok().map(BaseAmount),
        price: item.cycle_cost(),
        auto_renew: item.auto_renew,
    }
}

fn sort_renewals(renewals: &mut [UpcomingRenewal]) {
    renewals.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.item.cmp(&b.item)).then(a.item_id.cmp(&b.item_id)));
}

/// Who an item is bought from: its provider, else its registrar, else its own name.
pub fn provider_of(item: &Item) -> String {
    let registrar = match &item.details {
        Details::Domain { registrar } => registrar.as_ref(),
        _ => None,
    };
    item.provider.as_ref().or(registrar).map_or_else(|| item.name.as_str().to_string(), |p| p.as_str().to_string())
}

fn status_rank(status: Status) -> u8 {
    match status {
        Status::Cancelled => 0,
        Status::Active => 1,
        Status::Expiring => 2,
        Status::Suspended => 3,
        Status::Expired => 4,
    }
}

fn providers(ledger: &Ledger, alerts: &[Alert]) -> Vec<ProviderRow> {
    let today = ledger.today;
    let base = ledger.settings.base_currency;
    let window = ledger.settings.expiring_window_days;
    let mut worst_alert: HashMap<i64, Severity> = HashMap::new();
    for alert in alerts {
        if let Some(tag) = &alert.item {
            let worst = worst_alert.entry(tag.id).or_insert(alert.severity);
            *worst = (*worst).max(alert.severity);
        }
    }
    let mut rows: BTreeMap<String, ProviderRow> = BTreeMap::new();
    for item in ledger.live_items() {
        let name = provider_of(item);
        let status = item.status(today, window);
        let row = rows.entry(crate::domain::text::name_key(&name)).or_insert_with(|| ProviderRow {
            provider: name,
            items: 0,
            monthly: Money::zero(base),
            worst_status: status,
            worst_alert: None,
        });
        row.items += 1;
        if status.is_billable()
            && let Ok(monthly) = ledger.rates.convert(ledger.run_rates.of(item).monthly, base, today)
        {
            row.monthly = row.monthly.plus(monthly);
        }
        if status_rank(status) > status_rank(row.worst_status) {
            row.worst_status = status;
        }
        row.worst_alert = row.worst_alert.max(worst_alert.get(&item.id).copied());
    }
    let mut rows: Vec<ProviderRow> = rows.into_values().collect();
    rows.sort_by(|a, b| b.monthly.amount.cmp(&a.monthly.amount).then_with(|| a.provider.cmp(&b.provider)));
    rows
}

/// The dashboard from the ledger, its spend (at least [`TREND_MONTHS`] back) and its alerts.
pub fn dashboard(ledger: &Ledger, spend: &Spend, alerts: Vec<Alert>, renewal_days: u32) -> Dashboard {
    let today = ledger.today;
    let base = ledger.settings.base_currency;
    let totals = monthly_totals(
        ledger.live_items(),
        ledger.run_rates,
        base,
        ledger.rates,
        today,
        ledger.settings.expiring_window_days,
    );
    let this_month = month_to_date(spend, Month::of(today), |m| m.total);
    // A month short of amounts without a rate is no yardstick.
    let month_over_month = spend.history().last().filter(|last| !last.incomplete).map(|last| {
        let change = this_month.projected.amount - last.total;
        MonthChange {
            previous_month: last.month,
            previous: Money::new(last.total, base),
            projected: this_month.projected,
            change: Money::new(change, base),
            percent: (change * Decimal::ONE_HUNDRED).checked_div(last.total).map(|p| p.round_dp(1).normalize()),
        }
    });
    let history = spend.history();
    let trends = history
        .iter()
        .skip(history.len().saturating_sub(TREND_MONTHS as usize))
        .map(|m| MonthTotal { month: m.month, cost: BaseAmount(Money::new(m.total, base)), incomplete: m.incomplete })
        .collect();
    let mut upcoming = upcoming_renewals(ledger, renewal_days);
    let upcoming_total = upcoming.len();
    upcoming.truncate(DASHBOARD_LIST);
    let providers = providers(ledger, &alerts);
    let alert_counts = AlertCounts::of(&alerts);
    let alerts_total = alerts.len();
    let mut alerts = alerts;
    alerts.truncate(DASHBOARD_LIST);
    Dashboard {
        today,
        base_currency: base,
        total_monthly_cost: BaseAmount(totals.monthly),
        by_category: totals.by_category.into_iter().map(|(c, m)| (c, BaseAmount(m))).collect(),
        this_month,
        month_over_month,
        trends,
        upcoming_renewals: upcoming,
        upcoming_renewals_total: upcoming_total,
        renewal_days,
        alert_counts,
        providers,
        ai_providers: Vec::new(),
        alerts,
        alerts_total,
        missing_rates: dedup_missing(totals.missing_rates.into_iter().chain(spend.missing.iter().copied())),
        items_left_out: totals.items_left_out,
    }
}

/// One month of the trend, with its categories.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct TrendMonth {
    pub month: Month,
    pub cost: Money,
    pub by_category: BTreeMap<Category, Money>,
    /// Some of the month's amounts had no exchange rate and are left out (see `missing_rates`).
    pub incomplete: bool,
}

/// A forecast month.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct ForecastMonth {
    pub month: Month,
    pub expected: Money,
    pub low: Money,
    pub high: Money,
}

/// Trends: actuals, the month so far, and the forecast.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Trends {
    pub base_currency: Currency,
    /// `None` for all spending.
    pub category: Option<Category>,
    /// Completed months with history, oldest first.
    pub months: Vec<TrendMonth>,
    pub this_month: MonthToDate,
    pub this_month_by_category: BTreeMap<Category, MonthToDate>,
    /// The monthly run-rate (what a full month costs at today's terms and pace, as on the
    /// dashboard), of the category or of all spending.
    pub run_rate: Money,
    /// The run-rate of each category shown.
    pub run_rate_by_category: BTreeMap<Category, Money>,
    /// Completed months the forecast is fitted on: the latest ones, after any month short of
    /// amounts without a rate.
    pub history_months: usize,
    /// The next months after this one; `None` with fewer than 3 months of history.
    pub forecast: Option<Vec<ForecastMonth>>,
    /// Change per month of the fitted trend.
    pub slope: Option<Money>,
    /// Exchange rates that are missing, with the days of the amounts they leave out.
    pub missing_rates: Vec<MissingRate>,
}

/// Trends over the last `months` completed months, optionally one category. The forecast is
/// fitted on all the history in `spend`'s window (at least the months shown).
pub fn trends(ledger: &Ledger, spend: &Spend, months: usize, category: Option<Category>) -> Trends {
    let base = spend.base;
    let pick = |m: &MonthSpend| category.map_or(m.total, |c| m.category(c));
    let history = spend.history();
    let shown = &history[history.len().saturating_sub(months)..];
    let money = |amount: Decimal| Money::new(amount, base);
    // Fitted on a year of history at least, whatever is shown (and whatever the window holds),
    // from after the last month short of amounts without a rate: a short month would read as a
    // drop.
    let fitted = &history[history.len().saturating_sub(months.max(TREND_MONTHS as usize))..];
    let fitted = &fitted[fitted.iter().rposition(|m| m.incomplete).map_or(0, |i| i + 1)..];
    let totals: Vec<Decimal> = fitted.iter().map(pick).collect();
    let trend = forecast::linear(&totals, 1, FORECAST_MONTHS);
    let current = Month::of(ledger.today);
    let this_month_by_category = Category::ALL
        .iter()
        .filter(|c| category.is_none_or(|only| only == **c))
        .map(|c| (*c, month_to_date(spend, current, |m| m.category(*c))))
        .collect();
    let totals = monthly_totals(
        ledger.live_items(),
        ledger.run_rates,
        base,
        ledger.rates,
        ledger.today,
        ledger.settings.expiring_window_days,
    );
    let run_rate_by_category: BTreeMap<Category, Money> =
        totals.by_category.into_iter().filter(|(c, _)| category.is_none_or(|only| only == *c)).collect();
    Trends {
        run_rate: run_rate_by_category.values().fold(Money::zero(base), |sum, m| sum.plus(*m)),
        run_rate_by_category,
        base_currency: base,
        category,
        months: shown
            .iter()
            .map(|m| TrendMonth {
                month: m.month,
                cost: money(pick(m)),
                by_category: m
                    .by_category
                    .iter()
                    .filter(|(c, _)| category.is_none_or(|only| only == **c))
                    .map(|(c, v)| (*c, money(*v)))
                    .collect(),
                incomplete: m.incomplete,
            })
            .collect(),
        this_month: month_to_date(spend, current, pick),
        this_month_by_category,
        history_months: fitted.len(),
        slope: trend.as_ref().map(|t| money(t.slope)),
        forecast: trend.map(|t| {
            t.ahead
                .iter()
                .enumerate()
                .map(|(i, e): (usize, &Estimate)| ForecastMonth {
                    month: current.plus(i as i32 + 1),
                    expected: money(e.expected),
                    low: money(e.low),
                    high: money(e.high),
                })
                .collect()
        }),
        missing_rates: dedup_missing(totals.missing_rates.into_iter().chain(spend.missing.iter().copied())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::alerts::alerts;
    use crate::analysis::spend::spend;
    use crate::analysis::testing::Fixture;

    #[test]
    fn the_dashboard_lists_the_soonest_renewals_and_most_severe_alerts_and_counts_the_rest() {
        let mut f = Fixture::new("2026-06-10");
        // 40 domains renewing over the next 40 days, none auto-renewing: each one an alert too.
        for day in 0..40 {
            let renews = (f.today + chrono::Duration::days(day)).to_string();
            f.add("domain", &format!("site{day:02}.com"), "12", "yearly", Some(&renews), false);
        }
        let ledger = f.ledger();
        let spent = spend(&ledger, TREND_MONTHS);
        let found = alerts(&ledger, &spent);
        let severities: Vec<Severity> = found.iter().map(|a| a.severity).collect();
        let all = found.len();
        let view = dashboard(&ledger, &spent, found, 30);

        assert_eq!(view.upcoming_renewals_total, 31, "today and the next 30 days");
        assert_eq!(view.upcoming_renewals.len(), DASHBOARD_LIST);
        let listed: Vec<&str> = view.upcoming_renewals.iter().map(|r| r.item.as_str()).collect();
        let soonest: Vec<String> = (0..DASHBOARD_LIST).map(|day| format!("site{day:02}.com")).collect();
        assert_eq!(listed, soonest);

        assert!(all > DASHBOARD_LIST, "{all} alerts");
        assert_eq!(view.alerts_total, all);
        assert_eq!(view.alerts.len(), DASHBOARD_LIST);
        let counts = view.alert_counts;
        assert_eq!(counts.critical + counts.warning + counts.info, all, "counts cover every alert");
        let listed: Vec<Severity> = view.alerts.iter().map(|a| a.severity).collect();
        assert_eq!(listed, severities[..DASHBOARD_LIST], "the most severe first, as alerts orders them");
    }
}
