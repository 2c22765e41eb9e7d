//! Spending per month from the cost history, in the base currency: completed months, the current
//! month to date, and its projected month-end total.
//!
//! Each record's amount is spread evenly over the days it pays for (a yearly renewal counts
//! 1/365 a day), so a month's spend is what its days cost. Costs that no record holds yet (this
//! month's share of a subscription before month close, usage so far) come from the same rules the
//! jobs use ([`settle`]), so the figures match what will be recorded.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::{CostLine, Ledger};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::cost::settle;
use crate::domain::item::{BillingPeriod, Category, Item};
use crate::domain::money::Currency;
use crate::domain::rates::{MissingRate, dedup_missing};

/// What one month cost, in the base currency.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MonthSpend {
    pub month: Month,
    pub total: Decimal,
    /// Every category, zero when nothing was spent.
    pub by_category: BTreeMap<Category, Decimal>,
    pub by_item: HashMap<i64, Decimal>,
    /// Whether any record touches this month (a month of zeros after the first record still
    /// counts as history; months before it do not).
    pub has_data: bool,
}

impl MonthSpend {
    fn empty(month: Month) -> MonthSpend {
        MonthSpend {
            month,
            total: Decimal::ZERO,
            by_category: Category::ALL.iter().map(|c| (*c, Decimal::ZERO)).collect(),
            by_item: HashMap::new(),
            has_data: false,
        }
    }

    fn add(&mut self, item_id: i64, category: Category, amount: Decimal) {
        self.total += amount;
        *self.by_category.entry(category).or_default() += amount;
        *self.by_item.entry(item_id).or_default() += amount;
    }

    pub fn category(&self, category: Category) -> Decimal {
        self.by_category.get(&category).copied().unwrap_or_default()
    }

    pub fn item(&self, id: i64) -> Decimal {
        self.by_item.get(&id).copied().unwrap_or_default()
    }
}

/// The month that is running.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CurrentMonth {
    /// Days of the month up to and including today.
    pub elapsed_days: u32,
    pub days_in_month: u32,
    /// Spent from the 1st through today.
    pub to_date: MonthSpend,
    /// The month-end forecast: recurring costs for the rest of the month, and usage at its
    /// month-to-date pace (spend so far / days elapsed x days in month).
    pub projected: MonthSpend,
}

/// Spending over a window of months ending with the current one.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Spend {
    pub base: Currency,
    /// Completed months, oldest first, ending with last month (months before the first record
    /// included, with `has_data` false).
    pub completed: Vec<MonthSpend>,
    pub current: CurrentMonth,
    /// Rates that were missing: those amounts are left out.
    pub missing: Vec<MissingRate>,
}

impl Spend {
    /// Completed months from the first one with data: the history trends and forecasts use.
    pub fn history(&self) -> &[MonthSpend] {
        let first = self.completed.iter().position(|m| m.has_data).unwrap_or(self.completed.len());
        &self.completed[first..]
    }

    /// Last month, if it is in the window.
    pub fn last_month(&self) -> Option<&MonthSpend> {
        self.completed.last()
    }
}

/// The days of `line` within `range`, as a share of its amount (already converted).
fn share(amount: Decimal, period: DateRange, range: DateRange) -> Decimal {
    match period.intersect(range) {
        Some(overlap) if overlap == period => amount,
        Some(overlap) => amount * Decimal::from(overlap.days()) / Decimal::from(period.days()),
        None => Decimal::ZERO,
    }
}

/// What the jobs would record for `item` if everything up to and including today were settled:
/// renewals due today or earlier, subscription days through today, usage so far.
fn pending(item: &Item, today: NaiveDate, covered: &[DateRange]) -> Vec<CostLine> {
    let Some(tomorrow) = today.succ_opt() else { return Vec::new() };
    settle(item, tomorrow, covered, None)
        .1
        .into_iter()
        .map(|r| CostLine { item_id: r.item_id, amount: r.amount, period: r.period })
        .collect()
}

/// Spend for the `months_back` completed months before the current one, and the current month.
pub fn spend(ledger: &Ledger, months_back: u32) -> Spend {
    let today = ledger.today;
    let base = ledger.settings.base_currency;
    let current = Month::of(today);
    let first = current.plus(-(months_back as i32));
    let window = DateRange { start: first.first_day(), end: today };
    let mut months: Vec<MonthSpend> = (0..=months_back as i32).map(|i| MonthSpend::empty(first.plus(i))).collect();
    let categories: HashMap<i64, Category> = ledger.items.iter().map(|i| (i.id, i.category())).collect();
    let mut missing = Vec::new();

    let mut extra = Vec::new();
    for item in ledger.live_items() {
        let covered = ledger.covered.get(&item.id).map(Vec::as_slice).unwrap_or_default();
        // Subscriptions are closed month by month, so days before the window change nothing in
        // it; usage still to bill is spread over its whole open stretch, so it keeps its start.
        if !item.period.bills_in_arrears() && item.billed_from < window.start {
            let trimmed = Item { billed_from: window.start, ..item.clone() };
            extra.extend(pending(&trimmed, today, covered));
        } else {
            extra.extend(pending(item, today, covered));
        }
    }
    for line in ledger.history.iter().chain(&extra) {
        let Some(period) = line.period.intersect(window) else { continue };
        let amount = match ledger.rates.convert(line.amount, base, line.period.start) {
            Ok(converted) => converted.amount,
            Err(gap) => {
                missing.push(gap);
                continue;
            }
        };
        let category = categories.get(&line.item_id).copied().unwrap_or(Category::Other);
        let mut month = Month::of(period.start);
        while month <= Month::of(period.end) {
            let index = month_index(first, month);
            let slot = &mut months[index];
            slot.has_data = true;
            let days = month.range().intersect(period).expect("the month overlaps the period");
            slot.add(line.item_id, category, share(amount, line.period, days));
            month = month.next();
        }
    }

    let to_date = months.pop().expect("the current month");
    let projected = project(ledger, &to_date, &mut missing);
    Spend {
        base,
        completed: months,
        current: CurrentMonth { elapsed_days: today.day(), days_in_month: current.days(), to_date, projected },
        missing: dedup_missing(missing),
    }
}

fn month_index(first: Month, month: Month) -> usize {
    ((month.year() - first.year()) * 12 + month.month() as i32 - first.month() as i32) as usize
}

/// The month-end forecast from the month to date: each live subscription adds its monthly cost
/// for the days left (up to its expiry if it does not renew); usage-based items continue at their
/// pace so far; anything else (one-time purchases, cancelled or removed items) stays as spent.
fn project(ledger: &Ledger, to_date: &MonthSpend, missing: &mut Vec<MissingRate>) -> MonthSpend {
    let today = ledger.today;
    let month = Month::of(today);
    let elapsed = Decimal::from(today.day());
    let days = Decimal::from(month.days());
    let mut projected = to_date.clone();
    for item in ledger.live_items() {
        if !item.status(today, 0).is_billable() {
            continue;
        }
        let so_far = to_date.item(item.id);
        let more = if item.period == BillingPeriod::UsageBased {
            so_far * days / elapsed - so_far
        } else if item.period.is_recurring() {
            let end = match item.renewal {
                Some(expiry) if !item.auto_renew => expiry.date.min(month.last_day()),
                _ => month.last_day(),
            };
            let left = (end - today).num_days().max(0);
            match ledger.rates.convert(item.monthly_cost(), ledger.settings.base_currency, today) {
                Ok(monthly) => monthly.amount * Decimal::from(left) / days,
                Err(gap) => {
                    missing.push(gap);
                    Decimal::ZERO
                }
            }
        } else {
            Decimal::ZERO
        };
        if !more.is_zero() {
            projected.add(item.id, item.category(), more);
        }
    }
    projected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testing::{Fixture, line};
    use crate::domain::item::ItemChanges;
    use crate::domain::testing::{d, dec};
    use crate::domain::text::ItemName;

    #[test]
    fn records_spread_over_their_days_into_months() {
        let mut f = Fixture::new("2026-03-10");
        let domain = f.add("domain", "acme.com", "365", "yearly", Some("2026-12-01"), true);
        let hosting = f.add("hosting", "web", "62", "monthly", None, false);
        // The domain's yearly charge of 365 over 2025-12-01..2026-11-30: 1 a day.
        f.history.push(line(domain, "365", "2025-12-01", "2026-11-30"));
        let spend = spend(&f.ledger(), 3);
        let shown: Vec<(String, Decimal)> = spend.completed.iter().map(|m| (m.month.to_string(), m.total)).collect();
        assert_eq!(
            shown,
            [("2025-12".into(), dec("31")), ("2026-01".into(), dec("31")), ("2026-02".into(), dec("28"))]
        );
        // March to date: 10 days of the domain; the hosting item, added today, has no record
        // yet: month close would bill it from today, 1 day of 62/31 = 2.
        let to_date = &spend.current.to_date;
        assert_eq!(to_date.item(domain), dec("10"));
        assert_eq!(to_date.item(hosting), dec("2"));
        assert_eq!(to_date.total, dec("12"));
        // Projected: the domain is paid ahead (its 21 remaining days, 21); hosting's 21 days at 2.
        // The domain's monthly run-rate (365/12 a month) stands in for the paid-ahead days.
        assert_eq!(spend.current.projected.item(hosting), dec("2") + dec("42"));
        assert_eq!(spend.current.projected.item(domain), dec("10") + dec("365") / dec("12") * dec("21") / dec("31"));
        assert_eq!(spend.current.elapsed_days, 10);
        assert_eq!(spend.history().len(), 3);
    }

    #[test]
    fn months_before_the_first_record_are_not_history() {
        let mut f = Fixture::new("2026-03-10");
        let web = f.add("hosting", "web", "31", "monthly", None, false);
        f.history.push(line(web, "31", "2026-01-01", "2026-01-31"));
        f.history.push(line(web, "28", "2026-02-01", "2026-02-28"));
        let spend = spend(&f.ledger(), 12);
        assert_eq!(spend.completed.len(), 12);
        let history: Vec<String> = spend.history().iter().map(|m| m.month.to_string()).collect();
        assert_eq!(history, ["2026-01", "2026-02"]);
    }

    #[test]
    fn usage_is_projected_at_its_pace() {
        let mut f = Fixture::new("2026-04-10");
        let changes = ItemChanges {
            name: Some(ItemName::parse("OpenAI").unwrap()),
            period: Some(BillingPeriod::UsageBased),
            unit_price: Some(Some(dec("2"))),
            usage: Some(dec("50")),
            ..Default::default()
        };
        let ai = f.add_with("ai_provider", changes);
        // Its cycle started on 2026-04-01 (billed from then): 50 units x 2 = 100 over 10 days.
        f.item(ai).billed_from = d("2026-04-01");
        let spend = spend(&f.ledger(), 1);
        assert_eq!(spend.current.to_date.item(ai), dec("100"));
        // 100 / 10 days x 30 days.
        assert_eq!(spend.current.projected.item(ai), dec("300"));
    }

    #[test]
    fn amounts_without_a_rate_are_left_out_and_named() {
        let mut f = Fixture::new("2026-03-10");
        let office = f.add("other", "office", "3100 THB", "monthly", None, false);
        let eu = f.add("other", "eu", "31 EUR", "monthly", None, false);
        f.rate("USD", "THB", "31", "2026-01-01");
        f.history.push(line(office, "3100 THB", "2026-02-01", "2026-02-28"));
        f.history.push(line(eu, "28 EUR", "2026-02-01", "2026-02-28"));
        let spend = spend(&f.ledger(), 1);
        assert_eq!(spend.completed[0].total, dec("100"));
        let missing: Vec<String> = spend.missing.iter().map(|m| format!("{}->{} {}", m.from, m.to, m.on)).collect();
        assert_eq!(missing, ["EUR->USD 2026-02-01"]);
    }
}
