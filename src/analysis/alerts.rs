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
use crate::domain::item::{ApiKeyStatus, BillingPeriod, Category, Details, Item, ManualStatus, Renewal, Status};
use crate::domain::money::{Currency, Money};
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
    /// What an alert is about.
    pub enum AlertKind as "alert kind" {
        Renewal = "renewal",
        Expired = "expired",
        Integration = "integration",
        ApiKey = "api_key",
        Budget = "budget",
        BudgetForecast = "budget_forecast",
        FreeTier = "free_tier",
        UsageLimit = "usage_limit",
        UnusualSpend = "unusual_spend",
        MissingRate = "missing_rate",
    }
}

/// Something that needs attention.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemTag>,
}

/// A free tier or usage limit reading against the billing cycle.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
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
    alerts.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.key.cmp(&b.key)));
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
    })
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
        }),
        _ => None,
    }
}

/// The billing cycle `today` falls in: from the previous renewal to the day before the next (a
/// renewal today starts a cycle), or the calendar month for items without a renewal date.
pub fn cycle(item: &Item, today: NaiveDate) -> DateRange {
    let month = Month::of(today).range();
    let cycle = || {
        let renewal = item.renewal?;
        let mut next = Renewal { date: item.next_renewal(today)?, ..renewal };
        if next.date <= today {
            next = next.following(item.period)?;
        }
        let start = next.preceding(item.period)?;
        DateRange::new(start.date, next.date.pred_opt()?).filter(|c| c.contains(today))
    };
    cycle().unwrap_or(month)
}

/// How much of `allowed` is used, and when it runs out at the pace so far.
pub fn allowance(today: NaiveDate, cycle: DateRange, used: Decimal, allowed: Decimal) -> Allowance {
    let percent = if allowed.is_zero() { Decimal::ONE_HUNDRED } else { used * Decimal::ONE_HUNDRED / allowed };
    let elapsed = Decimal::from((today - cycle.start).num_days() + 1);
    let runs_out = if used >= allowed || used.is_zero() {
        None
    } else {
        // Units a day so far; the allowance lasts (allowed - used) / pace more days.
        let pace = used / elapsed;
        let days_left = ((allowed - used) / pace).ceil();
        days_left
            .to_string()
            .parse::<i64>()
            .ok()
            .and_then(|days| today.checked_add_signed(chrono::Duration::days(days)))
            .filter(|date| *date <= cycle.end)
    };
    Allowance { cycle, used, allowed, percent, runs_out }
}

/// Free tier and usage limit alerts at 80% and 100%, and a free tier on pace to run out before
/// the cycle ends.
fn allowances(today: NaiveDate, item: &Item) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let Some(usage) = &item.usage else { return alerts };
    if !item.status(today, 0).is_billable() {
        return alerts;
    }
    let cycle = cycle(item, today);
    let name = item.name.as_str();
    let unit = usage.unit.as_str();
    if let Some(free) = usage.included.filter(|f| !f.is_zero()) {
        let reading = allowance(today, cycle, usage.used, free);
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
                            used = usage.used.normalize(),
                            free = free.normalize(),
                            unit = unit,
                            price = money(price, item.cost.currency),
                            end = cycle.end
                        ),
                        None => text!(
                            "alert.free_tier.used_up.detail",
                            item = name,
                            used = usage.used.normalize(),
                            free = free.normalize(),
                            unit = unit,
                            end = cycle.end
                        ),
                    },
                    action: text!("alert.free_tier.action", item = name),
                    item: Some(tag),
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
                        used = usage.used.normalize(),
                        free = free.normalize(),
                        unit = unit,
                        percent = percent(reading.percent),
                        runs_out = runs_out,
                        end = cycle.end
                    ),
                    action: text!("alert.free_tier.action", item = name),
                    item: Some(tag),
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
                    used = usage.used.normalize(),
                    free = free.normalize(),
                    unit = unit,
                    percent = percent(reading.percent),
                    runs_out = runs_out,
                    end = cycle.end
                ),
                action: text!("alert.free_tier.action", item = name),
                item: Some(ItemTag::of(item)),
            }),
            _ => {}
        }
    }
    if let Some(limit) = usage.limit {
        let reading = allowance(today, cycle, usage.used, limit);
        if let Some(threshold) = [100, 80].into_iter().find(|t| reading.percent >= Decimal::from(*t)) {
            alerts.push(Alert {
                key: format!("usage_limit:{}:{}:{threshold}", item.id, cycle.start),
                kind: AlertKind::UsageLimit,
                severity: if threshold >= 100 { Severity::Critical } else { Severity::Warning },
                title: text!("alert.usage_limit.title", item = name, percent = percent(reading.percent)),
                detail: text!(
                    "alert.usage_limit.detail",
                    item = name,
                    used = usage.used.normalize(),
                    limit = limit.normalize(),
                    unit = unit,
                    percent = percent(reading.percent),
                    runs_out = reading.runs_out.map(|d| d.to_string()).unwrap_or_default()
                ),
                action: text!("alert.usage_limit.action", item = name),
                item: Some(ItemTag::of(item)),
            });
        }
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
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct BudgetCheck {
    pub scope: BudgetScope,
    pub budget: Money,
    pub spent: Money,
    pub forecast: Money,
    /// Spent / budget as a percentage; `None` for a zero budget.
    pub spent_percent: Option<Decimal>,
    pub forecast_percent: Option<Decimal>,
    /// The highest threshold the spend (and the forecast) crossed.
    pub spent_crossed: Option<u32>,
    pub forecast_crossed: Option<u32>,
}

/// The highest threshold `amount` reaches; a zero budget is crossed by any spending at all.
fn crossed(amount: Decimal, budget: Decimal, thresholds: &[u32]) -> Option<u32> {
    if budget.is_zero() {
        return (amount > Decimal::ZERO).then(|| thresholds.last().copied()).flatten();
    }
    thresholds.iter().copied().filter(|t| amount * Decimal::ONE_HUNDRED >= budget * Decimal::from(*t)).max()
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
            let share =
                |amount: Decimal| (!limit.amount.is_zero()).then(|| amount * Decimal::ONE_HUNDRED / limit.amount);
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
                    action: text!("alert.missing_rate.action", from = gap.from, to = gap.to, on = gap.on),
                    item: None,
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
            });
        }
    }
    alerts
}

/// How unusual `value` is against `history`: the median, the median absolute deviation and the
/// modified z-score 0.6745 (x - median) / MAD. With a MAD of zero (more than half the months the
/// same), the mean absolute deviation stands in: (x - median) / (1.2533 x meanAD); with that zero
/// too (a flat history), any rise is infinitely unusual (`z` is `None`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
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
    let mut values = history.to_vec();
    let med = median(&mut values);
    let mut deviations: Vec<Decimal> = history.iter().map(|v| (v - med).abs()).collect();
    let mad = median(&mut deviations);
    let mean_ad = deviations.iter().sum::<Decimal>() / Decimal::from(deviations.len());
    let above = value - med;
    let z = if !mad.is_zero() {
        Some(Decimal::new(6745, 4) * above / mad)
    } else if !mean_ad.is_zero() {
        Some(above / (Decimal::new(12533, 4) * mean_ad))
    } else {
        None
    };
    let rise = (!med.is_zero()).then(|| above / med);
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
            let series: Vec<Decimal> = before[first..].iter().rev().take(12).map(|m| amount(m)).collect();
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
        if let Err(gap) = ledger.rates.convert(item.monthly_cost(), base, ledger.today) {
            gaps.push(gap);
        }
    }
    dedup_missing(gaps)
        .into_iter()
        .map(|gap| Alert {
            key: format!("missing_rate:{}:{}", gap.from, gap.to),
            kind: AlertKind::MissingRate,
            severity: Severity::Warning,
            title: text!("alert.missing_rate.title", from = gap.from, to = gap.to),
            detail: text!("alert.missing_rate.detail", from = gap.from, to = gap.to, on = gap.on),
            action: text!("alert.missing_rate.action", from = gap.from, to = gap.to, on = gap.on),
            item: None,
        })
        .collect()
}
