//! Alerts: what needs someone's attention today, each with a stable key so a later run (and,
//! later, the alert poster) recognises the same alert. A key names the fact and the threshold it
//! crossed, e.g. `renewal:12:2027-01-15:7`: the 7-day alert for the renewal on 2027-01-15 of
//! item 12, which stays the same until the next lead time is crossed.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::spend::{MonthSpend, Spend};
use super::{ItemTag, Ledger, Text, percent, text};
use crate::domain::budget::{Budget, BudgetScope};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::choice::choice_enum;
use crate::domain::item::{ApiKeyStatus, BillingPeriod, Category, Details, Item, ManualStatus, Status};
use crate::domain::money::{AMOUNT_SCALE, Currency, Money, format_exact, format_quantity};
use crate::domain::rates::{MissingRate, dedup_missing};

choice_enum! {
    /// How urgent an alert is.
    pub enum Severity as "severity" {
        Info = "info",
        Warning = "warning",
        Critical = "critical",
    }
}

choice_enum! {
    /// What an alert is about (in the order alerts of one severity are listed).
    pub enum AlertKind as "alert kind" {
        Expired = "expired",
        ApiKey = "api_key",
        AiPull = "ai_pull",
        Integration = "integration",
        Budget = "budget",
        BudgetForecast = "budget_forecast",
        UsageLimit = "usage_limit",
        FreeTier = "free_tier",
        Renewal = "renewal",
        UnusualSpend = "unusual_spend",
        MissingRate = "missing_rate",
        SiteDown = "site_down",
        Certificate = "certificate",
        Domain = "domain",
    }
}

/// Something that needs attention.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Alert {
    /// Stable while the fact and the crossed threshold stay the same.
    pub key: String,
    pub kind: AlertKind,
    pub severity: Severity,
    pub title: Text,
    /// The facts behind it, with the figures.
    pub detail: Text,
    /// What to do about it.
    pub action: Text,
    pub item: Option<ItemTag>,
    /// The day it is about, when there is one: the renewal or expiry date.
    pub date: Option<NaiveDate>,
}

/// A free tier or usage limit reading against the billing cycle.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Allowance {
    pub cycle: DateRange,
    pub used: Decimal,
    pub allowed: Decimal,
    /// Used / allowed, as a percentage.
    pub percent: Decimal,
    /// The day the allowance runs out at the cycle's pace so far, if before the cycle ends.
    pub runs_out: Option<NaiveDate>,
}

/// Smallest rise over the usual month worth an alert, as a share (+20%).
const UNUSUAL_RISE: Decimal = Decimal::from_parts(2, 0, 0, false, 1);
/// Modified z-score above which a month is unusual (Iglewicz and Hoaglin).
const UNUSUAL_Z: Decimal = Decimal::from_parts(35, 0, 0, false, 1);
/// Months of an item's or category's own history needed to judge a month unusual.
pub const UNUSUAL_MIN_MONTHS: usize = 6;

/// Every alert for the ledger, most severe first.
pub fn alerts(ledger: &Ledger, spend: &Spend) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for item in ledger.live_items() {
        alerts.extend(renewal(ledger, item));
        alerts.extend(expired(ledger, item));
        alerts.extend(service(item));
        alerts.extend(allowances(ledger.today, item));
    }
    alerts.extend(budgets(ledger, spend));
    alerts.extend(unusual_spend(ledger, spend));
    alerts.extend(missing_rates(ledger, spend));
    alerts.extend(super::website::website_alerts(ledger));
    alerts.extend(pull_alerts(ledger));
    // Most severe first; within a severity, by kind, then soonest, then by item and key.
    alerts.sort_by_cached_key(|a| {
        (std::cmp::Reverse(a.severity), a.kind, a.date, a.item.as_ref().map(|i| i.name.to_lowercase()), a.key.clone())
    });
    alerts.dedup_by(|a, b| a.key == b.key);
    alerts
}

fn money(amount: Decimal, currency: Currency) -> String {
    Money::new(amount, currency).to_string()
}

/// The renewal alert for the tightest lead time crossed: with lead times 30, 7 and 1 and a
/// renewal in 5 days, the 7-day alert, even when no check ran on the 7th day before ("crossed",
/// not "equal"). Auto-renewing items only use lead times up to half their billing cycle, so a
/// monthly subscription is not always 30 days from its next charge; usage bills, which follow the
/// usage, raise none.
fn renewal(ledger: &Ledger, item: &Item) -> Option<Alert> {
    let today = ledger.today;
    if !matches!(item.status(today, 0), Status::Active | Status::Expiring) || item.period == BillingPeriod::UsageBased {
        return None;
    }
    let date = item.next_renewal(today)?;
    let days = (date - today).num_days();
    let lead_times = item.lead_times.as_ref().unwrap_or(&ledger.settings.lead_times);
    let cycle_days = item
        .renewal
        .and_then(|r| r.following(item.period))
        .map(|next| (next.date - item.renewal.expect("renewal").date).num_days())
        .unwrap_or(i64::MAX);
    let applies = |lead: u32| !item.auto_renew || i64::from(lead) * 2 <= cycle_days;
    let lead = lead_times.days().iter().copied().filter(|l| applies(*l) && days <= i64::from(*l)).min()?;
    let severity = if !item.auto_renew {
        Severity::Critical
    } else if lead <= 7 {
        Severity::Warning
    } else {
        Severity::Info
    };
    let cost = item.cycle_cost().to_string();
    let name = item.name.as_str();
    let (title, detail, action) = if item.auto_renew {
        (
            text!("alert.renewal.title", item = name, days = days),
            text!("alert.renewal.detail", item = name, date = date, cost = cost, lead = lead),
            text!("alert.renewal.action", item = name),
        )
    } else {
        (
            text!("alert.expiry.title", item = name, days = days),
            text!("alert.expiry.detail", item = name, date = date, cost = cost, lead = lead),
            text!("alert.expiry.action", item = name),
        )
    };
    Some(Alert {
        key: format!("renewal:{}:{date}:{lead}", item.id),
        kind: AlertKind::Renewal,
        severity,
        title,
        detail,
        action,
        item: Some(ItemTag::of(item)),
        date: Some(date),
    })
}

/// An item whose date passed without auto-renew (an admin setting it expired is not news).
fn expired(ledger: &Ledger, item: &Item) -> Option<Alert> {
    if item.status != ManualStatus::Active || item.status(ledger.today, 0) != Status::Expired {
        return None;
    }
    let date = item.renewal?.date;
    let name = item.name.as_str();
    Some(Alert {
        key: format!("expired:{}:{date}", item.id),
        kind: AlertKind::Expired,
        severity: Severity::Critical,
        title: text!("alert.expired.title", item = name),
        detail: text!("alert.expired.detail", item = name, date = date, days = (ledger.today - date).num_days()),
        action: text!("alert.expired.action", item = name),
        item: Some(ItemTag::of(item)),
        date: Some(date),
    })
}

/// AI cost connections whose pulls keep failing: one alert per connection, whatever the failure
/// of the moment, so a network outage is reported once and resolved when a pull gets through.
fn pull_alerts(ledger: &Ledger) -> Vec<Alert> {
    ledger
        .web
        .failing_pulls
        .iter()
        .filter_map(|failing| {
            let item = ledger.live_items().find(|i| i.id == failing.item_id)?;
            let name = item.name.as_str();
            let since = failing.since.format("%Y-%m-%d %H:%M UTC").to_string();
            Some(Alert {
                key: format!("ai_pull:{}", item.id),
                kind: AlertKind::AiPull,
                severity: Severity::Warning,
                title: text!("alert.ai_pull.title", item = name, provider = failing.provider.as_str()),
                detail: text!(
                    "alert.ai_pull.detail",
                    item = name,
                    provider = failing.provider.as_str(),
                    since = since.as_str(),
                    reason = failing.message.as_str()
                ),
                action: text!("alert.ai_pull.action", item = name, provider = failing.provider.as_str()),
                item: Some(ItemTag::of(item)),
                date: None,
            })
        })
        .collect()
}

/// API keys that stopped working and integrations that are suspended or expired.
fn service(item: &Item) -> Option<Alert> {
    let name = item.name.as_str();
    match (&item.details, item.status) {
        (Details::AiProvider { api_key_status, .. }, ManualStatus::Active)
            if matches!(api_key_status, ApiKeyStatus::Expired | ApiKeyStatus::Invalid) =>
        {
            Some(Alert {
                key: format!("api_key:{}:{api_key_status}", item.id),
                kind: AlertKind::ApiKey,
                severity: Severity::Critical,
                title: text!("alert.api_key.title", item = name, status = api_key_status),
                detail: text!("alert.api_key.detail", item = name, status = api_key_status),
                action: text!("alert.api_key.action", item = name),
                item: Some(ItemTag::of(item)),
                date: None,
            })
        }
        (Details::Integration { .. }, status @ (ManualStatus::Suspended | ManualStatus::Expired)) => Some(Alert {
            key: format!("integration:{}:{status}", item.id),
            kind: AlertKind::Integration,
            severity: if status == ManualStatus::Expired { Severity::Critical } else { Severity::Warning },
            title: text!("alert.integration.title", item = name, status = status),
            detail: text!("alert.integration.detail", item = name, status = status),
            action: text!("alert.integration.action", item = name),
            item: Some(ItemTag::of(item)),
            date: None,
        }),
        _ => None,
    }
}

/// How much of `allowed` is used, and when it runs out at the pace so far.
pub fn allowance(today: NaiveDate, cycle: DateRange, used: Decimal, allowed: Decimal) -> Allowance {
    let percent = (used * Decimal::ONE_HUNDRED).checked_div(allowed).map_or(Decimal::ONE_HUNDRED, |p| p.round_dp(2));
    let elapsed = Decimal::from((today - cycle.start).num_days() + 1);
    let runs_out = if used >= allowed || used.is_zero() {
        None
    } else {
        // Units a day so far; the allowance lasts (allowed - used) / pace more days, which only
        // matters if that is before the cycle ends (a slow pace can mean billions of days).
        let pace = used / elapsed;
        let days_left = ((allowed - used) / pace).ceil();
        let cycle_left = Decimal::from((cycle.end - today).num_days());
        (days_left <= cycle_left)
            .then(|| days_left.to_string().parse::<u64>().ok())
            .flatten()
            .and_then(|days| today.checked_add_days(chrono::Days::new(days)))
    };
    Allowance { cycle, used, allowed, percent, runs_out }
}

/// Where an item's usage stands against its free tier and its limit this cycle, with the days
/// they run out at the pace so far (the reading's: units used by the day it was read).
pub fn usage_readings(today: NaiveDate, item: &Item) -> (Option<Allowance>, Option<Allowance>) {
    let Some(usage) = &item.usage else { return (None, None) };
    let cycle = item.cycle(today);
    let as_of = usage.read_on.filter(|d| cycle.contains(*d) && *d <= today).unwrap_or(today);
    let free = usage.included.filter(|f| !f.is_zero()).map(|free| allowance(as_of, cycle, usage.used, free));
    let limit = usage.limit.map(|limit| allowance(as_of, cycle, usage.used, limit));
    (free, limit)
}

/// Free tier and usage limit alerts at 80% and 100%, and a free tier on pace to run out before
/// the cycle ends.
fn allowances(today: NaiveDate, item: &Item) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let Some(usage) = &item.usage else { return alerts };
    if !item.status(today, 0).is_billable() {
        return alerts;
    }
    let cycle = item.cycle(today);
    let name = item.name.as_str();
    let unit = usage.unit.as_str();
    let (free_reading, limit_reading) = usage_readings(today, item);
    if let (Some(free), Some(reading)) = (usage.included, free_reading) {
        let crossed = [100, 80].into_iter().find(|t| reading.percent >= Decimal::from(*t));
        let runs_out = reading.runs_out.map(|d| d.to_string()).unwrap_or_default();
        let common = |threshold: u32| {
            let key = format!("free_tier:{}:{}:{threshold}", item.id, cycle.start);
            (key, ItemTag::of(item))
        };
        match crossed {
            Some(100) => {
                let paid = usage.unit_price.filter(|p| !p.is_zero());
                let (key, tag) = common(100);
                alerts.push(Alert {
                    key,
                    kind: AlertKind::FreeTier,
                    severity: if paid.is_some() { Severity::Warning } else { Severity::Critical },
                    title: text!("alert.free_tier.used_up.title", item = name),
                    detail: match paid {
                        Some(price) => text!(
                            "alert.free_tier.used_up.paid",
                            item = name,
                            used = format_quantity(usage.used),
                            free = format_quantity(free),
                            unit = unit,
                            price = format!("{} {}", format_exact(price, item.cost.currency), item.cost.currency),
                            end = cycle.end
                        ),
                        None => text!(
                            "alert.free_tier.used_up.detail",
                            item = name,
                            used = format_quantity(usage.used),
                            free = format_quantity(free),
                            unit = unit,
                            end = cycle.end
                        ),
                    },
                    action: text!("alert.free_tier.action", item = name),
                    item: Some(tag),
                    date: None,
                });
            }
            Some(threshold) => {
                let (key, tag) = common(threshold);
                alerts.push(Alert {
                    key,
                    kind: AlertKind::FreeTier,
                    severity: Severity::Warning,
                    title: text!("alert.free_tier.near.title", item = name, percent = percent(reading.percent)),
                    detail: text!(
                        "alert.free_tier.near.detail",
                        item = name,
                        used = format_quantity(usage.used),
                        free = format_quantity(free),
                        unit = unit,
                        percent = percent(reading.percent),
                        runs_out = runs_out,
                        end = cycle.end
                    ),
                    action: text!("alert.free_tier.action", item = name),
                    item: Some(tag),
                    date: None,
                });
            }
            _ if reading.runs_out.is_some() => alerts.push(Alert {
                key: format!("free_tier:{}:{}:pace", item.id, cycle.start),
                kind: AlertKind::FreeTier,
                severity: Severity::Info,
                title: text!("alert.free_tier.pace.title", item = name, runs_out = runs_out),
                detail: text!(
                    "alert.free_tier.pace.detail",
                    item = name,
                    used = format_quantity(usage.used),
                    free = format_quantity(free),
                    unit = unit,
                    percent = percent(reading.percent),
                    runs_out = runs_out,
                    end = cycle.end
                ),
                action: text!("alert.free_tier.action", item = name),
                item: Some(ItemTag::of(item)),
                date: None,
            }),
            _ => {}
        }
    }
    if let (Some(limit), Some(reading)) = (usage.limit, limit_reading)
        && let Some(threshold) = [100, 80].into_iter().find(|t| reading.percent >= Decimal::from(*t))
    {
        alerts.push(Alert {
            key: format!("usage_limit:{}:{}:{threshold}", item.id, cycle.start),
            kind: AlertKind::UsageLimit,
            severity: if threshold >= 100 { Severity::Critical } else { Severity::Warning },
            title: text!("alert.usage_limit.title", item = name, percent = percent(reading.percent)),
            detail: text!(
                "alert.usage_limit.detail",
                item = name,
                used = format_quantity(usage.used),
                limit = format_quantity(limit),
                unit = unit,
                percent = percent(reading.percent),
                runs_out = reading.runs_out.map(|d| d.to_string()).unwrap_or_default()
            ),
            action: text!("alert.usage_limit.action", item = name),
            item: Some(ItemTag::of(item)),
            date: None,
        });
    }
    alerts
}

/// Spend in a budget's scope.
pub fn scope_amount(month: &MonthSpend, scope: BudgetScope) -> Decimal {
    match scope {
        BudgetScope::Total => month.total,
        BudgetScope::Category(category) => month.category(category),
    }
}

/// A budget checked against this month: spend to date, and the month-end forecast.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetCheck {
    pub scope: BudgetScope,
    pub budget: Money,
    pub spent: Money,
    pub forecast: Money,
    /// Spent / budget as a percentage, to one decimal place as pages show it (`288.8`); `None`
    /// for a zero budget. Thresholds are crossed on the exact amounts, not on this.
    pub spent_percent: Option<Decimal>,
    pub forecast_percent: Option<Decimal>,
    /// The highest threshold the spend (and the forecast) crossed.
    pub spent_crossed: Option<u32>,
    pub forecast_crossed: Option<u32>,
}

/// The highest threshold `amount` reaches. 100% always counts, whatever the thresholds (going
/// over the budget is never just a warning mark), and a zero budget is crossed by any spending.
fn crossed(amount: Decimal, budget: Decimal, thresholds: &[u32]) -> Option<u32> {
    if budget.is_zero() {
        return (amount > Decimal::ZERO).then(|| thresholds.iter().copied().chain([100]).max()).flatten();
    }
    // amount / budget >= t / 100, compared without dividing (or overflowing).
    thresholds
        .iter()
        .copied()
        .chain([100])
        .filter(|t| amount >= budget * Decimal::from(*t) / Decimal::ONE_HUNDRED)
        .max()
}

/// Each budget against this month's spend; `Err` for a budget whose currency has no rate.
pub fn check_budgets(ledger: &Ledger, spend: &Spend) -> Vec<Result<BudgetCheck, (Budget, MissingRate)>> {
    let base = spend.base;
    ledger
        .budgets
        .iter()
        .map(|budget| {
            let limit = ledger.rates.convert(budget.amount, base, ledger.today).map_err(|gap| (budget.clone(), gap))?;
            let spent = scope_amount(&spend.current.to_date, budget.scope);
            let forecast = scope_amount(&spend.current.projected, budget.scope);
            let share = |amount: Decimal| {
                (!limit.amount.is_zero())
                    .then(|| (amount * Decimal::ONE_HUNDRED / limit.amount).round_dp(1).normalize())
            };
            Ok(BudgetCheck {
                scope: budget.scope,
                budget: limit,
                spent: Money::new(spent, base),
                forecast: Money::new(forecast, base),
                spent_percent: share(spent),
                forecast_percent: share(forecast),
                spent_crossed: crossed(spent, limit.amount, budget.thresholds.percents()),
                forecast_crossed: crossed(forecast, limit.amount, budget.thresholds.percents()),
            })
        })
        .collect()
}

/// Budget alerts: on the spend to date (critical at 100% and above), and on the forecast when
/// it crosses a higher threshold than the spend so far.
fn budgets(ledger: &Ledger, spend: &Spend) -> Vec<Alert> {
    let month = Month::of(ledger.today);
    let mut alerts = Vec::new();
    for check in check_budgets(ledger, spend) {
        let check = match check {
            Ok(check) => check,
            Err((budget, gap)) => {
                alerts.push(Alert {
                    key: format!("budget:{}:{month}:rate", budget.scope),
                    kind: AlertKind::Budget,
                    severity: Severity::Warning,
                    title: text!("alert.budget.no_rate.title", scope = budget.scope),
                    detail: text!("alert.budget.no_rate.detail", scope = budget.scope, from = gap.from, to = gap.to),
                    action: missing_rate_action(&gap),
                    item: None,
                    date: None,
                });
                continue;
            }
        };
        let figures = |amount: &Money, share: Option<Decimal>| {
            (amount.to_string(), share.map(percent).unwrap_or_else(|| "∞".into()))
        };
        let (spent, spent_share) = figures(&check.spent, check.spent_percent);
        let (forecast, forecast_share) = figures(&check.forecast, check.forecast_percent);
        let scope = check.scope;
        if let Some(threshold) = check.spent_crossed {
            alerts.push(Alert {
                key: format!("budget:{scope}:{month}:spent:{threshold}"),
                kind: AlertKind::Budget,
                severity: if threshold >= 100 { Severity::Critical } else { Severity::Warning },
                title: text!("alert.budget.spent.title", scope = scope, percent = spent_share),
                detail: text!(
                    "alert.budget.spent.detail",
                    scope = scope,
                    spent = spent,
                    budget = check.budget,
                    percent = spent_share,
                    threshold = threshold,
                    forecast = forecast,
                    month = month
                ),
                action: text!("alert.budget.action", scope = scope),
                item: None,
                date: None,
            });
        }
        if let Some(threshold) = check.forecast_crossed.filter(|t| Some(*t) > check.spent_crossed) {
            alerts.push(Alert {
                key: format!("budget:{scope}:{month}:forecast:{threshold}"),
                kind: AlertKind::BudgetForecast,
                severity: if threshold >= 100 { Severity::Warning } else { Severity::Info },
                title: text!("alert.budget.forecast.title", scope = scope, percent = forecast_share),
                detail: text!(
                    "alert.budget.forecast.detail",
                    scope = scope,
                    spent = spent,
                    budget = check.budget,
                    forecast = forecast,
                    percent = forecast_share,
                    threshold = threshold,
                    elapsed = spend.current.elapsed_days,
                    days = spend.current.days_in_month
                ),
                action: text!("alert.budget.action", scope = scope),
                item: None,
                date: None,
            });
        }
    }
    alerts
}

/// How unusual `value` is against `history`: the median, the median absolute deviation and the
/// modified z-score 0.6745 (x - median) / MAD. With a MAD of zero (more than half the months the
/// same), the mean absolute deviation stands in: (x - median) / (1.2533 x meanAD); with that zero
/// too (a flat history), any rise is infinitely unusual (`z` is `None`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Unusual {
    pub median: Decimal,
    pub mad: Decimal,
    pub z: Option<Decimal>,
    /// Rise over the median as a share (0.2 = +20%); `None` when the median is zero.
    pub rise: Option<Decimal>,
}

fn median(values: &mut [Decimal]) -> Decimal {
    values.sort();
    let n = values.len();
    if n == 0 {
        Decimal::ZERO
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / Decimal::TWO
    }
}

/// Judges `value` against `history`; `Some` when it is unusual: z-score above 3.5, at least +20%
/// over the median and at least one unit of currency more.
pub fn unusual(history: &[Decimal], value: Decimal) -> Option<Unusual> {
    if history.len() < UNUSUAL_MIN_MONTHS {
        return None;
    }
    // Amounts spread over days carry rounding dust (69.99999...); statistics on the dust would
    // divide by nearly nothing.
    let tidy = |v: Decimal| v.round_dp(AMOUNT_SCALE);
    let history: Vec<Decimal> = history.iter().copied().map(tidy).collect();
    let value = tidy(value);
    let mut values = history.clone();
    let med = median(&mut values);
    let mut deviations: Vec<Decimal> = history.iter().map(|v| (v - med).abs()).collect();
    let mad = median(&mut deviations);
    let mean_ad = deviations.iter().sum::<Decimal>() / Decimal::from(deviations.len());
    let above = value - med;
    // A z-score too large to compute is as unusual as can be (`None`, shown as ∞).
    let z = if !mad.is_zero() {
        (Decimal::new(6745, 4) * above).checked_div(mad)
    } else if !mean_ad.is_zero() {
        above.checked_div(Decimal::new(12533, 4) * mean_ad)
    } else {
        None
    };
    let rise = if med.is_zero() { None } else { above.checked_div(med) };
    let far = z.is_none_or(|z| z > UNUSUAL_Z);
    let big = rise.is_none_or(|r| r >= UNUSUAL_RISE) && above >= Decimal::ONE;
    (far && big).then_some(Unusual { median: med, mad, z, rise })
}

/// Unusual spend for each category and live item, in last month and (from the 7th) in this
/// month's forecast, against up to 12 months of its own history since it first cost anything.
fn unusual_spend(ledger: &Ledger, spend: &Spend) -> Vec<Alert> {
    type Amount<'a> = Box<dyn Fn(&MonthSpend) -> Decimal + 'a>;
    let history = spend.history();
    let base = spend.base;
    // (key, category id or "", item name or "", the item, its monthly amounts)
    let mut scopes: Vec<(String, &str, &str, Option<ItemTag>, Amount)> = Vec::new();
    for category in Category::ALL.iter().copied() {
        scopes.push((
            format!("category:{category}"),
            category.as_str(),
            "",
            None,
            Box::new(move |m| m.category(category)),
        ));
    }
    for item in ledger.live_items() {
        let id = item.id;
        scopes.push((
            format!("item:{id}"),
            "",
            item.name.as_str(),
            Some(ItemTag::of(item)),
            Box::new(move |m| m.item(id)),
        ));
    }
    let mut alerts = Vec::new();
    for (key, category, item, tag, amount) in &scopes {
        let mut checks: Vec<(Month, &[MonthSpend], Decimal, bool)> = Vec::new();
        if let Some((last, before)) = history.split_last() {
            checks.push((last.month, before, amount(last), false));
        }
        if spend.current.elapsed_days >= 7 {
            checks.push((Month::of(ledger.today), history, amount(&spend.current.projected), true));
        }
        for (month, before, value, projected) in checks {
            // The scope's own history: from its first month with any cost, the last 12 months.
            let first = before.iter().position(|m| !amount(m).is_zero()).unwrap_or(before.len());
            let series: Vec<Decimal> = before[first..].iter().rev().take(12).map(amount).collect();
            let Some(found) = unusual(&series, value) else { continue };
            let rise = found.rise.map(|r| format!("+{}", percent(r * Decimal::ONE_HUNDRED))).unwrap_or_default();
            let z = found.z.map(|z| z.round_dp(1).to_string()).unwrap_or_else(|| "∞".into());
            alerts.push(Alert {
                key: format!("unusual:{key}:{month}"),
                kind: AlertKind::UnusualSpend,
                severity: Severity::Warning,
                title: text!("alert.unusual.title", category = category, item = item, month = month),
                detail: text!(
                    "alert.unusual.detail",
                    category = category,
                    item = item,
                    month = month,
                    amount = money(value, base),
                    projected = if projected { "yes" } else { "" },
                    median = money(found.median, base),
                    months = series.len(),
                    rise = rise,
                    z = z
                ),
                action: text!("alert.unusual.action", category = category, item = item),
                item: tag.clone(),
                date: None,
            });
        }
    }
    alerts
}

/// Exchange rates that are missing, so some amounts are left out of totals.
fn missing_rates(ledger: &Ledger, spend: &Spend) -> Vec<Alert> {
    let base = ledger.settings.base_currency;
    let mut gaps: Vec<MissingRate> = spend.missing.clone();
    for item in ledger.live_items().filter(|i| i.status(ledger.today, 0).is_billable()) {
        if let Err(gap) = ledger.rates.convert(ledger.run_rates.of(item).monthly, base, ledger.today) {
            gaps.push(gap);
        }
    }
    dedup_missing(gaps)
        .into_iter()
        .map(|gap| Alert {
            key: format!("missing_rate:{}:{}", gap.from, gap.to),
            kind: AlertKind::MissingRate,
            severity: Severity::Warning,
            title: text!("alert.missing_rate.title", from = gap.from, to = gap.to, earliest = earliest(&gap)),
            detail: text!(
                "alert.missing_rate.detail",
                from = gap.from,
                to = gap.to,
                first = gap.first,
                last = gap.last,
                earliest = earliest(&gap)
            ),
            action: missing_rate_action(&gap),
            item: None,
            date: None,
        })
        .collect()
}

/// The earliest rate's date as a message argument (empty when there is none).
fn earliest(gap: &MissingRate) -> String {
    gap.earliest_rate.map(|d| d.to_string()).unwrap_or_default()
}

/// What fixes a missing rate: one dated on or before its first day (each front end words the
/// command its own way).
fn missing_rate_action(gap: &MissingRate) -> Text {
    text!("alert.missing_rate.action", from = gap.from, to = gap.to, first = gap.first)
}

/// A missing rate as a sentence with its fix, for the warnings under lists and totals.
pub fn missing_rate_text(gap: &MissingRate) -> Text {
    text!("rate.gap", from = gap.from, to = gap.to, first = gap.first, last = gap.last, earliest = earliest(gap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::spend::spend;
    use crate::analysis::testing::{Fixture, line};
    use crate::domain::item::{ItemChanges, Renewal, ServiceType};
    use crate::domain::testing::{d, dec};
    use crate::domain::text::{ItemName, Label};
    use crate::domain::workspace::LeadTimes;

    fn keys(f: &mut Fixture) -> Vec<(String, Severity)> {
        let ledger = f.ledger();
        let spend = spend(&ledger, 13);
        alerts(&ledger, &spend).into_iter().map(|a| (a.key, a.severity)).collect()
    }

    fn only(f: &mut Fixture, prefix: &str) -> Vec<(String, Severity)> {
        keys(f).into_iter().filter(|(k, _)| k.starts_with(prefix)).collect()
    }

    #[test]
    fn renewal_alerts_fire_at_crossed_lead_times_once_per_renewal() {
        use Severity::*;
        // (today, the alert expected for a domain expiring 2027-01-15 without auto-renew)
        let cases: &[(&str, Option<(&str, Severity)>)] = &[
            ("2026-12-15", None),                                        // 31 days ahead
            ("2026-12-16", Some(("renewal:1:2027-01-15:30", Critical))), // 30 days: crossed
            ("2026-12-20", Some(("renewal:1:2027-01-15:30", Critical))), // same key: fires once
            ("2027-01-08", Some(("renewal:1:2027-01-15:7", Critical))),
            // A late run (nothing ran 7 days before) still raises the 7-day alert.
            ("2027-01-10", Some(("renewal:1:2027-01-15:7", Critical))),
            ("2027-01-14", Some(("renewal:1:2027-01-15:1", Critical))),
            ("2027-01-15", Some(("renewal:1:2027-01-15:1", Critical))),
            ("2027-01-16", Some(("expired:1:2027-01-15", Critical))),
        ];
        for (today, expected) in cases {
            let mut f = Fixture::new(today);
            f.add("domain", "acme.com", "12", "yearly", Some("2027-01-15"), false);
            let found: Vec<(String, Severity)> = keys(&mut f)
                .into_iter()
                .filter(|(k, _)| k.starts_with("renewal") || k.starts_with("expired"))
                .collect();
            let expected: Vec<(String, Severity)> = expected.iter().map(|(k, s)| (k.to_string(), *s)).collect();
            assert_eq!(found, expected, "on {today}");
        }
    }

    #[test]
    fn auto_renewing_items_use_lead_times_within_half_their_cycle() {
        // Monthly, auto-renewing, next on 2027-01-01: the 30-day lead time does not apply.
        let mut f = Fixture::new("2026-12-10");
        f.add("hosting", "web", "60", "monthly", Some("2027-01-01"), true);
        assert_eq!(only(&mut f, "renewal"), []);
        f.today = d("2026-12-25");
        assert_eq!(only(&mut f, "renewal"), [("renewal:1:2027-01-01:7".to_string(), Severity::Warning)]);
        // Yearly, auto-renewing: 30 days ahead is an info alert.
        let mut f = Fixture::new("2026-12-10");
        f.add("domain", "acme.com", "12", "yearly", Some("2027-01-05"), true);
        assert_eq!(only(&mut f, "renewal"), [("renewal:1:2027-01-05:30".to_string(), Severity::Info)]);
        // The item's own lead times win over the workspace's.
        f.item(1).lead_times = Some(LeadTimes::parse("60,3").unwrap());
        f.today = d("2026-11-20");
        assert_eq!(only(&mut f, "renewal"), [("renewal:1:2027-01-05:60".to_string(), Severity::Info)]);
        // So do the workspace's over the defaults.
        f.item(1).lead_times = None;
        f.settings.lead_times = LeadTimes::parse("90").unwrap();
        assert_eq!(only(&mut f, "renewal"), [("renewal:1:2027-01-05:90".to_string(), Severity::Info)]);
        // Suspended items raise nothing.
        f.item(1).status = ManualStatus::Suspended;
        assert_eq!(only(&mut f, "renewal"), []);
    }

    /// A workspace on 2026-03-10 (day 10 of 31): a monthly 310 hosting plan (10 a day) and an AI
    /// provider billed per use, 100 units x 1.50 = 150 so far this month. Spent so far: 100 + 150
    /// = 250. Forecast: hosting 310, AI 150 / 10 days x 31 = 465, so 775.
    fn budgeted() -> Fixture {
        let mut f = Fixture::new("2026-03-10");
        let web = f.add("hosting", "web", "310", "monthly", None, false);
        f.item(web).billed_from = d("2026-03-01");
        let ai = f.add_with(
            "ai_provider",
            ItemChanges {
                name: Some(ItemName::parse("OpenAI").unwrap()),
                unit_price: Some(Some(dec("1.5"))),
                usage: Some(dec("100")),
                period: Some(BillingPeriod::UsageBased),
                ..Default::default()
            },
        );
        f.item(ai).billed_from = d("2026-03-01");
        f.item(ai).renewal = Some(Renewal::on(d("2026-04-01")));
        f
    }

    #[test]
    fn budgets_alert_on_spend_so_far_and_on_the_forecast() {
        use Severity::*;
        // (budget for the total, the alerts: spent 250 and forecast 775)
        let cases: &[(&str, &[(&str, Severity)])] = &[
            ("1000", &[]),                                              // 25%, forecast 77.5%
            ("900", &[("budget:total:2026-03:forecast:80", Info)]),     // forecast 86%
            ("500", &[("budget:total:2026-03:forecast:100", Warning)]), // 50%, forecast 155%
            ("300", &[("budget:total:2026-03:spent:80", Warning), ("budget:total:2026-03:forecast:100", Warning)]), // 83%, forecast 258%
            ("250", &[("budget:total:2026-03:spent:100", Critical)]), // exactly 100%: the forecast adds nothing
            ("0", &[("budget:total:2026-03:spent:100", Critical)]),   // a zero budget: any spend is over
        ];
        for (amount, expected) in cases {
            let mut f = budgeted();
            f.budget("total", amount);
            let mut found = only(&mut f, "budget");
            found.sort();
            let mut expected: Vec<(String, Severity)> = expected.iter().map(|(k, s)| (k.to_string(), *s)).collect();
            expected.sort();
            assert_eq!(found, expected, "budget {amount}");
        }
    }

    #[test]
    fn going_over_a_budget_is_critical_whatever_the_thresholds() {
        for amount in ["200", "0"] {
            let mut f = budgeted();
            f.budget("total", amount);
            f.budgets[0].thresholds = crate::domain::budget::Thresholds::parse("50,80").unwrap();
            assert_eq!(
                only(&mut f, "budget"),
                [("budget:total:2026-03:spent:100".to_string(), Severity::Critical)],
                "budget {amount}"
            );
        }
    }

    #[test]
    fn budget_checks_show_the_figures() {
        let mut f = budgeted();
        f.budget("ai_services", "400");
        f.budget("packages", "0");
        let ledger = f.ledger();
        let spend = spend(&ledger, 1);
        let checks: Vec<BudgetCheck> = check_budgets(&ledger, &spend).into_iter().map(Result::unwrap).collect();
        let ai = &checks[0];
        assert_eq!((ai.spent.amount, ai.forecast.amount), (dec("150"), dec("465")));
        assert_eq!(ai.spent_percent, Some(dec("37.5")));
        // 116.25% to one decimal place, as the pages show it (half to even).
        assert_eq!(ai.forecast_percent, Some(dec("116.2")));
        assert_eq!((ai.spent_crossed, ai.forecast_crossed), (None, Some(100)));
        // Nothing spent against a zero budget: no percentage, nothing crossed.
        let packages = &checks[1];
        assert_eq!((packages.spent_percent, packages.spent_crossed, packages.forecast_crossed), (None, None, None));
    }

    /// An AI provider with 1,000 free requests a cycle (2026-03-01 to 2026-03-31), `used` of them
    /// used by 2026-03-10, day 10 of the cycle.
    fn free_tier(used: &str, unit_price: Option<&str>) -> Vec<Alert> {
        let mut f = Fixture::new("2026-03-10");
        let changes = ItemChanges {
            name: Some(ItemName::parse("Gemini").unwrap()),
            cost: Some(dec("0")),
            unit: Some(Label::parse("unit", "request").unwrap()),
            free_tier: Some(Some(dec("1000"))),
            usage: Some(dec(used)),
            unit_price: Some(unit_price.map(dec)),
            period: Some(if unit_price.is_some() { BillingPeriod::UsageBased } else { BillingPeriod::Monthly }),
            renewal_date: Some(Some(d("2026-04-01"))),
            auto_renew: Some(true),
            service_type: Some(ServiceType::Text),
            ..Default::default()
        };
        f.add_with("ai_provider", changes);
        let ledger = f.ledger();
        let spend = spend(&ledger, 1);
        alerts(&ledger, &spend).into_iter().filter(|a| a.kind == AlertKind::FreeTier).collect()
    }

    #[test]
    fn free_tiers_alert_at_80_and_100_percent_and_on_pace_to_run_out() {
        use Severity::*;
        // (used by day 10, unit price, expected key suffix, severity, runs out on)
        type Case<'a> = (&'a str, Option<&'a str>, Option<(&'a str, Severity)>, &'a str);
        let cases: &[Case] = &[
            // 30 a day: 700 left lasts 24 more days, past the cycle's end: nothing.
            ("300", Some("0.01"), None, ""),
            // 40 a day: 600 left lasts 15 days, to 2026-03-25, before the end.
            ("400", Some("0.01"), Some(("pace", Info)), "2026-03-25"),
            // 85 a day: 150 left lasts 1.8, so 2 days: 2026-03-12.
            ("850", Some("0.01"), Some(("80", Warning)), "2026-03-12"),
            ("1000", Some("0.01"), Some(("100", Warning)), ""),
            // No paid usage beyond the free tier: running out stops the service.
            ("1200", None, Some(("100", Critical)), ""),
        ];
        for (used, price, expected, runs_out) in cases {
            let found = free_tier(used, *price);
            match expected {
                None => assert!(found.is_empty(), "{used}: {found:?}"),
                Some((suffix, severity)) => {
                    assert_eq!(found.len(), 1, "{used}: {found:?}");
                    assert_eq!(found[0].key, format!("free_tier:1:2026-03-01:{suffix}"), "{used}");
                    assert_eq!(found[0].severity, *severity, "{used}");
                    assert_eq!(found[0].detail.args.get("runs_out").map(String::as_str).unwrap_or(""), *runs_out);
                }
            }
        }
    }

    #[test]
    fn allowance_pace_and_run_out_date() {
        let cycle = DateRange::new(d("2026-03-01"), d("2026-03-31")).unwrap();
        let reading = allowance(d("2026-03-10"), cycle, dec("400"), dec("1000"));
        assert_eq!(reading.percent, dec("40"));
        assert_eq!(reading.runs_out, Some(d("2026-03-25")));
        // Nothing used yet: no pace, no date.
        assert_eq!(allowance(d("2026-03-10"), cycle, dec("0"), dec("1000")).runs_out, None);
        // On the cycle's first day, all of it used in one day: out tomorrow.
        assert_eq!(allowance(d("2026-03-01"), cycle, dec("500"), dec("1000")).runs_out, Some(d("2026-03-02")));
        // A pace so slow it would last longer than any calendar: no date, and no panic.
        assert_eq!(allowance(d("2026-03-10"), cycle, dec("0.000001"), dec("1000000000000")).runs_out, None);
    }

    #[test]
    fn usage_limits_warn_at_80_and_are_critical_at_100() {
        for (used, expected) in
            [("7", None), ("8", Some(("80", Severity::Warning))), ("8.5", Some(("100", Severity::Critical)))]
        {
            let mut f = Fixture::new("2026-03-10");
            let changes = ItemChanges {
                name: Some(ItemName::parse("Supabase").unwrap()),
                cost: Some(dec("25")),
                unit: Some(Label::parse("unit", "GB").unwrap()),
                usage: Some(dec(used)),
                usage_limit: Some(Some(dec(if used == "8.5" { "8.5" } else { "10" }))),
                ..Default::default()
            };
            f.add_with("integration", changes);
            let found = only(&mut f, "usage_limit");
            let expected: Vec<(String, Severity)> =
                expected.iter().map(|(t, s)| (format!("usage_limit:1:2026-03-01:{t}"), *s)).collect();
            assert_eq!(found, expected, "{used}");
        }
    }

    #[test]
    fn broken_keys_and_integrations_alert() {
        let mut f = Fixture::new("2026-03-10");
        f.add_with(
            "ai_provider",
            ItemChanges {
                name: Some(ItemName::parse("OpenAI").unwrap()),
                cost: Some(dec("20")),
                api_key_status: Some(ApiKeyStatus::Invalid),
                ..Default::default()
            },
        );
        let stripe = f.add("integration", "Stripe", "0", "monthly", None, false);
        f.item(stripe).status = ManualStatus::Suspended;
        let supabase = f.add("integration", "Supabase", "25", "monthly", None, false);
        f.item(supabase).status = ManualStatus::Expired;
        let mut found = keys(&mut f);
        found.sort();
        assert_eq!(
            found,
            [
                ("api_key:1:invalid".to_string(), Severity::Critical),
                ("integration:2:suspended".to_string(), Severity::Warning),
                ("integration:3:expired".to_string(), Severity::Critical),
            ]
        );
    }

    #[test]
    fn unusual_months_stand_out_from_flat_and_noisy_history() {
        let h = |values: &[&str]| values.iter().map(|v| dec(v)).collect::<Vec<_>>();
        let flat = h(&["100", "100", "100", "100", "100", "100"]);
        assert_eq!(unusual(&flat, dec("100")), None);
        assert_eq!(unusual(&flat, dec("119")), None, "under +20%");
        let found = unusual(&flat, dec("130")).unwrap();
        assert_eq!((found.median, found.z, found.rise), (dec("100"), None, Some(dec("0.3"))));
        // Noisy: median 102.5; deviations 2.5 2.5 7.5 7.5 12.5 17.5, MAD 7.5.
        let noisy = h(&["100", "120", "90", "110", "105", "95"]);
        // 130 is +26.8% but z = 0.6745 x 27.5 / 7.5 = 2.47: within the noise.
        assert_eq!(unusual(&noisy, dec("130")), None);
        // 200: z = 0.6745 x 97.5 / 7.5 = 8.77.
        let found = unusual(&noisy, dec("200")).unwrap();
        assert_eq!((found.median, found.mad), (dec("102.5"), dec("7.5")));
        assert_eq!(found.z.unwrap().round_dp(2), dec("8.77"));
        // Fewer than 6 months: no judgement.
        assert_eq!(unusual(&noisy[..5], dec("1000")), None);
        // From nothing to something: unusual when it is at least one unit of currency.
        let zeros = h(&["0", "0", "0", "0", "0", "0"]);
        assert!(unusual(&zeros, dec("50")).is_some());
        assert_eq!(unusual(&zeros, dec("0.50")), None);
        // Rounding dust is not variation: a flat 70 with one 69.99999...9 month is flat.
        let dusty = h(&["70", "70", "69.999999999999999999999999", "70", "70", "70"]);
        let found = unusual(&dusty, dec("1000")).unwrap();
        assert_eq!((found.median, found.z), (dec("70"), None));
        // More than half the months equal (MAD 0): the mean absolute deviation stands in.
        let mostly = h(&["100", "100", "100", "100", "160", "40"]);
        let found = unusual(&mostly, dec("200")).unwrap();
        assert_eq!(found.mad, dec("0"));
        assert_eq!(found.z.unwrap().round_dp(2), dec("3.99")); // 100 / (1.2533 x 20)
    }

    #[test]
    fn unusual_spend_is_raised_for_the_item_and_its_category() {
        let mut f = Fixture::new("2026-08-03");
        let ai = f.add("ai_provider", "OpenAI", "100", "monthly", Some("2026-09-01"), true);
        for (month, amount) in [("01", "100"), ("02", "110"), ("03", "95"), ("04", "105"), ("05", "100"), ("06", "98")]
        {
            let last = crate::domain::calendar::Month::new(2026, month.parse().unwrap()).unwrap().last_day();
            f.history.push(line(ai, amount, &format!("2026-{month}-01"), &last.to_string()));
        }
        f.history.push(line(ai, "400", "2026-07-01", "2026-07-31"));
        let found: Vec<String> =
            keys(&mut f).into_iter().map(|(k, _)| k).filter(|k| k.starts_with("unusual")).collect();
        assert_eq!(found, ["unusual:category:ai_services:2026-07", "unusual:item:1:2026-07"]);
    }

    #[test]
    fn missing_rates_are_an_alert_naming_the_pair() {
        let mut f = Fixture::new("2026-03-10");
        f.add("other", "office", "1290 THB", "monthly", None, false);
        assert_eq!(only(&mut f, "missing_rate"), [("missing_rate:THB:USD".to_string(), Severity::Warning)]);
        f.rate("USD", "THB", "35", "2026-01-01");
        assert_eq!(only(&mut f, "missing_rate"), []);
    }

    #[test]
    fn an_empty_workspace_has_no_alerts() {
        let mut f = Fixture::new("2026-03-10");
        f.budget("total", "100");
        assert_eq!(keys(&mut f), []);
    }
}
