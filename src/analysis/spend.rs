//! Spending per month from the cost history, in the base currency: completed months, the current
//! month to date, and its projected month-end total.
//!
//! Each record's amount is spread evenly over the days it pays for (a yearly renewal counts
//! 1/365 a day), so a month's spend is what its days cost. Costs that no record holds yet (this
//! month's share of a subscription before month close, usage so far) arrive as the ledger's
//! pending lines, from the same rules the jobs use, so the figures match what will be recorded.
//!
//! Sums are exact ([`ExactSum`]) and rounded once, when the month is read: the figures do not
//! depend on the order records (or roll-ups) are read in, so the read model and the records give
//! the same decimals.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::Ledger;
use crate::domain::calendar::{DateRange, Month};
use crate::domain::cost::{CostSource, accrued};
use crate::domain::exact::ExactSum;
use crate::domain::item::{BillingPeriod, Category, Item, Usage};
use crate::domain::money::{Currency, Money};
use crate::domain::rates::{MissingRate, dedup_missing};
use crate::domain::rollup::MonthRollup;
use crate::domain::summary::{RunRate, RunRateBasis, paced};

/// What one month cost, in the base currency.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MonthSpend {
    pub month: Month,
    pub total: Decimal,
    /// Every category, zero when nothing was spent.
    pub by_category: BTreeMap<Category, Decimal>,
    pub by_item: HashMap<i64, Decimal>,
    /// The first day any record pays for in this month.
    pub first_day: Option<NaiveDate>,
    /// Whether any record touches this month (a month of zeros after the first record still
    /// counts as history; months before it do not), converted or not.
    pub has_data: bool,
    /// Whether amounts of this month were left out for want of an exchange rate (see
    /// [`Spend::missing`]): the month has history, but its total is short.
    pub incomplete: bool,
}

impl MonthSpend {
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
    /// The month-end forecast: what is spent so far, the rest of the month of what is already
    /// paid ahead (renewals, base fees), subscriptions for the days left, and usage at its pace
    /// so far (spend so far / days elapsed x days left; from last month's usage when the meter
    /// has not been read this cycle).
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
    /// Rates that were missing, with the days of the amounts they left out.
    pub missing: Vec<MissingRate>,
}

impl Spend {
    /// Completed months from the first full one with data: the history trends and forecasts use.
    /// A first month whose records start after its 1st (tracking began mid-month) is left out
    /// when later months follow, so it does not read as growth.
    pub fn history(&self) -> &[MonthSpend] {
        let Some(first) = self.completed.iter().position(|m| m.has_data) else { return &[] };
        let partial = self.completed[first].first_day.is_some_and(|d| d > self.completed[first].month.first_day());
        let start = if partial && first + 1 < self.completed.len() { first + 1 } else { first };
        &self.completed[start..]
    }
}

/// The share of `amount` (paid for `period`) that falls on the days of `range`.
fn share(amount: Decimal, period: DateRange, range: DateRange) -> Decimal {
    period.share(amount, range)
}

/// A month's spend while it is summed: every sum exact (see [`ExactSum`]), rounded once when the
/// month is read ([`Tally::spend`]).
#[derive(Clone)]
struct Tally {
    month: Month,
    total: ExactSum,
    by_category: BTreeMap<Category, ExactSum>,
    by_item: HashMap<i64, ExactSum>,
    first_day: Option<NaiveDate>,
    has_data: bool,
    incomplete: bool,
}

impl Tally {
    /// A month's tally, with room for `items` items.
    fn new(month: Month, items: usize) -> Tally {
        Tally {
            month,
            total: ExactSum::default(),
            by_category: Category::ALL.iter().map(|c| (*c, ExactSum::default())).collect(),
            by_item: HashMap::with_capacity(items),
            first_day: None,
            has_data: false,
            incomplete: false,
        }
    }

    fn add(&mut self, item_id: i64, category: Category, amount: &ExactSum) {
        self.total.add_sum(amount);
        self.by_category.entry(category).or_default().add_sum(amount);
        self.by_item.entry(item_id).or_default().add_sum(amount);
    }

    /// Notes that records pay for `days` of this month.
    fn touched(&mut self, days: DateRange) {
        self.has_data = true;
        self.first_day = Some(self.first_day.map_or(days.start, |d| d.min(days.start)));
    }

    fn spend(&self) -> MonthSpend {
        MonthSpend {
            month: self.month,
            total: self.total.value(),
            by_category: self.by_category.iter().map(|(c, sum)| (*c, sum.value())).collect(),
            by_item: self.by_item.iter().map(|(id, sum)| (*id, sum.value())).collect(),
            first_day: self.first_day,
            has_data: self.has_data,
            incomplete: self.incomplete,
        }
    }
}

/// What an item pays for some days of one month: a roll-up segment (records with the same
/// currency and days), or a pending line (what the jobs would record now) within a month. Both
/// are counted the same way, as the records themselves would be: the whole amount converted at
/// its first day's rate, then its share of the days wanted.
struct Piece {
    item_id: i64,
    /// The whole amount, for the whole `period`.
    amount: Money,
    period: DateRange,
    /// The days of `period` within one month.
    days: DateRange,
    /// From a pending line: `Some(source)`.
    pending: Option<CostSource>,
}

/// Spend for the `months_back` completed months before the current one, and the current month.
pub fn spend(ledger: &Ledger, months_back: u32) -> Spend {
    let today = ledger.today;
    let base = ledger.settings.base_currency;
    let current = Month::of(today);
    let first = current.plus(-(months_back as i32));
    let window = DateRange { start: first.first_day(), end: today };
    // The rest of this month, if any.
    let rest = today.succ_opt().and_then(|tomorrow| DateRange::new(tomorrow, current.last_day()));
    let items = ledger.items.len();
    let mut months: Vec<Tally> = (0..=months_back as i32).map(|i| Tally::new(first.plus(i), items)).collect();
    let categories: HashMap<i64, Category> = ledger.items.iter().map(|i| (i.id, i.category())).collect();
    let mut missing = Vec::new();
    let mut flow = Flow::default();
    for line in ledger.pending {
        flow.pending.entry(line.item_id).or_default().push(line.period);
    }

    // Completed months converted when stored count as their totals (the same exact sums of the
    // same shares, see `MonthRollup::convert`).
    let converted = |month: &MonthRollup| month.converted.filter(|c| month.month < current && c.base == base);
    for (item, rollups) in ledger.rollups {
        for month in rollups.range(first..current) {
            let (Some(total), Some(day)) = (converted(month), month.first_paid_day()) else { continue };
            let slot = &mut months[month_index(first, month.month)];
            slot.touched(DateRange { start: day, end: day });
            let category = categories.get(item).copied().unwrap_or(Category::Other);
            slot.add(*item, category, &total.total);
        }
    }
    // The other months' segments in the window, then what the jobs would record now.
    let recorded = ledger.rollups.iter().flat_map(|(item, months)| {
        months.range(first..=current).filter(move |month| converted(month).is_none()).flat_map(move |month| {
            month.segments().iter().map(move |s| Piece {
                item_id: *item,
                amount: Money::new(s.amount, s.currency),
                period: s.period,
                days: s.days,
                pending: None,
            })
        })
    });
    let pending = ledger.pending.iter().flat_map(|line| {
        crate::domain::rollup::months_of(line.period).filter(|(month, _)| *month >= first && *month <= current).map(
            move |(_, days)| Piece {
                item_id: line.item_id,
                amount: line.amount,
                period: line.period,
                days,
                pending: Some(line.source),
            },
        )
    });
    for piece in recorded.chain(pending) {
        let slot = &mut months[month_index(first, Month::of(piece.days.start))];
        let in_window = piece.days.intersect(window);
        let amount = match ledger.rates.convert(piece.amount, base, piece.period.start) {
            Ok(converted) => converted.amount,
            Err(gap) => {
                // Its days (all of them, as for a record) lack a rate; the month has history,
                // short of this amount.
                missing.push(gap.for_days(piece.period));
                if let Some(days) = in_window {
                    slot.touched(days);
                    slot.incomplete = true;
                }
                continue;
            }
        };
        if let Some(ahead) = rest.and_then(|r| piece.days.intersect(r)) {
            flow.paid_ahead.entry(piece.item_id).or_default().add(share(amount, piece.period, ahead));
        }
        let Some(days) = in_window else { continue };
        slot.touched(days);
        let part = share(amount, piece.period, days);
        let category = categories.get(&piece.item_id).copied().unwrap_or(Category::Other);
        slot.add(piece.item_id, category, &part.into());
        if piece.pending == Some(CostSource::Usage) && slot.month == current {
            flow.usage_so_far.entry(piece.item_id).or_default().add(part);
        }
    }

    let to_date = months.pop().expect("the current month");
    let projected = project(ledger, &to_date, &flow, rest, &mut missing);
    Spend {
        base,
        completed: months.iter().map(Tally::spend).collect(),
        current: CurrentMonth {
            elapsed_days: today.day(),
            days_in_month: current.days(),
            to_date: to_date.spend(),
            projected: projected.spend(),
        },
        missing: dedup_missing(missing),
    }
}

/// How far ahead of today records can pay for days: a yearly cycle, and a day to spare.
pub const CYCLE_AHEAD_DAYS: i64 = 367;

/// What the lines say about the rest of the month, per item (amounts in the base currency).
#[derive(Default)]
struct Flow {
    /// Days each item's pending records pay for.
    pending: HashMap<i64, Vec<DateRange>>,
    /// Shares of records that pay for days after today this month (renewals paid in advance,
    /// base fees of open usage cycles).
    paid_ahead: HashMap<i64, ExactSum>,
    /// This month's usage so far, from the meters.
    usage_so_far: HashMap<i64, ExactSum>,
}

fn month_index(first: Month, month: Month) -> usize {
    ((month.year() - first.year()) * 12 + month.month() as i32 - first.month() as i32) as usize
}

/// The month-end forecast from the month to date; see [`CurrentMonth::projected`].
fn project(
    ledger: &Ledger,
    to_date: &Tally,
    flow: &Flow,
    rest: Option<DateRange>,
    missing: &mut Vec<MissingRate>,
) -> Tally {
    let mut projected = to_date.clone();
    let today = ledger.today;
    // On the month's last day no day is left, but a meter read earlier is still carried to the
    // month's end.
    let days_left = rest.unwrap_or(DateRange { start: today, end: today });
    let base = ledger.settings.base_currency;
    let mut incomplete = false;
    let mut to_base = |money: Money| match ledger.rates.convert(money, base, today) {
        Ok(converted) => converted.amount,
        Err(gap) => {
            missing.push(gap.for_days(days_left));
            incomplete = true;
            Decimal::ZERO
        }
    };
    for (id, amount) in &flow.paid_ahead {
        let category = ledger.item(*id).map_or(Category::Other, Item::category);
        projected.add(*id, category, amount);
    }
    for item in ledger.live_items().filter(|i| i.status(today, 0).is_billable()) {
        let more = if item.period == BillingPeriod::UsageBased {
            let rate = ledger.run_rates.of(item);
            match usage_in_month(item, &rate, today) {
                Some(month) => {
                    let so_far = flow.usage_so_far.get(&item.id).map(ExactSum::value).unwrap_or_default();
                    (to_base(month) - so_far).max(Decimal::ZERO)
                }
                // Read too early or not at all this cycle: the rest of the month at the run-rate's
                // estimate of a cycle's usage (the last full cycle's, when there is one).
                None => rest.map_or(Decimal::ZERO, |rest| to_base(usage_ahead(item, &rate, today, rest))),
            }
        } else if let Some(rest) = rest {
            // What the jobs will record for the days left: renewals due by month-end (paid in
            // advance) and month close for days nothing pays for.
            // Days records deal with from tomorrow on, up to a year ahead (a renewal due by
            // month-end charges its whole cycle, less what records pay for already).
            let ahead = DateRange { start: rest.start, end: rest.start + chrono::Duration::days(CYCLE_AHEAD_DAYS) };
            let mut covered = ledger
                .rollups
                .get(&item.id)
                .map(|months| crate::domain::rollup::ranges(months, ahead, false))
                .unwrap_or_default();
            covered.extend(flow.pending.get(&item.id).into_iter().flatten());
            let from_tomorrow = Item { billed_from: item.billed_from.max(rest.start), ..item.clone() };
            let records = accrued(&from_tomorrow, rest.end, &covered).1;
            records.iter().map(|r| share(to_base(r.amount), r.period, rest)).sum::<ExactSum>().value()
        } else {
            Decimal::ZERO
        };
        if !more.is_zero() {
            projected.add(item.id, item.category(), &more.into());
        }
    }
    projected.incomplete |= incomplete;
    projected
}

/// A usage-based item's usage cost for the whole of this month, in its currency, from the
/// reading's pace when the run-rate goes by it: units used by the day the meter was read, carried
/// to the end of the cycle and priced with the free tier; spread over the cycle's open days as its
/// bill will be. A cycle that starts before the month ends continues at the same pace, with its
/// base fee. `None` when the run-rate does not go by this cycle's reading.
fn usage_in_month(item: &Item, rate: &RunRate, today: NaiveDate) -> Option<Money> {
    let RunRateBasis::Pace { .. } = rate.basis else { return None };
    let usage = item.usage.as_ref()?;
    let pace = paced(item, usage, today)?;
    let cycle = item.cycle(today);
    let month = Month::of(today).range();
    let cycle_days = Decimal::from(cycle.days());
    let at_end = Usage { used: pace.units, ..usage.clone() };
    let open = DateRange::new(item.billed_from.max(cycle.start), cycle.end)?;
    let mut amount = open.share(at_end.unbilled_cost(1), month);
    if let Some(next) = cycle.end.succ_opt().and_then(|start| DateRange::new(start, month.end)) {
        let daily = (at_end.cost_of(pace.units, 1) + item.cost.amount) / cycle_days;
        amount += daily * Decimal::from(next.days());
    }
    Some(Money::new(amount, item.cost.currency))
}

/// Usage for the `rest` of the month at the run-rate's estimate of a cycle's usage, a day at a
/// time; days past the cycle's end start the next cycle, with its base fee.
fn usage_ahead(item: &Item, rate: &RunRate, today: NaiveDate, rest: DateRange) -> Money {
    let cycle = item.cycle(today);
    let usage = rate.cycle_usage.unwrap_or_default();
    let daily = usage / Decimal::from(cycle.days());
    let within = rest.intersect(cycle).map_or(0, DateRange::days);
    let after = cycle.end.succ_opt().and_then(|start| DateRange::new(start.max(rest.start), rest.end));
    let next = after.map_or(Decimal::ZERO, |days| {
        (usage + item.cost.amount) * Decimal::from(days.days()) / Decimal::from(cycle.days())
    });
    Money::new(daily * Decimal::from(within) + next, item.cost.currency)
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
        // Projected: the domain's record already pays for the 21 days left, 1 a day: 31; hosting's
        // 21 days, which no record pays for yet, at 2 a day, as month close will record them: 44.
        assert_eq!(spend.current.projected.item(domain), dec("31"));
        assert_eq!(spend.current.projected.item(hosting), dec("44"));
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
    fn a_first_month_tracked_from_its_middle_is_not_history() {
        let mut f = Fixture::new("2026-11-02");
        let web = f.add("hosting", "web", "31", "monthly", None, false);
        f.history.push(line(web, "11", "2026-08-21", "2026-08-31"));
        f.history.push(line(web, "31", "2026-09-01", "2026-09-30"));
        f.history.push(line(web, "31", "2026-10-01", "2026-10-31"));
        let result = spend(&f.ledger(), 12);
        let history: Vec<String> = result.history().iter().map(|m| m.month.to_string()).collect();
        assert_eq!(history, ["2026-09", "2026-10"]);
        // Alone, a partial month is all there is.
        let mut f = Fixture::new("2026-09-02");
        let web = f.add("hosting", "web", "31", "monthly", None, false);
        f.history.push(line(web, "11", "2026-08-21", "2026-08-31"));
        assert_eq!(spend(&f.ledger(), 12).history().len(), 1);
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
        let missing: Vec<String> =
            spend.missing.iter().map(|m| format!("{}->{} {}..{}", m.from, m.to, m.first, m.last)).collect();
        // The days of the amounts left out: February's record, and this month's share and
        // projection of the live EUR item. Their months are history, marked short.
        assert_eq!(missing, ["EUR->USD 2026-02-01..2026-03-31"]);
        assert!(spend.completed[0].has_data && spend.completed[0].incomplete);
        assert!(spend.current.to_date.incomplete && spend.current.projected.incomplete);
        // Without any rate, the month is still history (not "no history yet").
        let mut f = Fixture::new("2026-03-10");
        let eu = f.add("other", "eu", "31 EUR", "monthly", None, false);
        f.history.push(line(eu, "28 EUR", "2026-02-01", "2026-02-28"));
        let spend = super::spend(&f.ledger(), 1);
        let history: Vec<(String, bool)> =
            spend.history().iter().map(|m| (m.month.to_string(), m.incomplete)).collect();
        assert_eq!(history, [("2026-02".to_string(), true)]);
        assert_eq!(spend.history()[0].total, dec("0"));
    }

    /// Supabase-like: a 25.00 base fee per monthly cycle (billed at its end, with the usage), 8 GB
    /// free, then 0.125 a GB; the cycle runs 2026-11-01 to 2026-11-30.
    fn metered_plan(f: &mut Fixture, used: Option<&str>) -> i64 {
        let changes = ItemChanges {
            name: Some(ItemName::parse("Supabase").unwrap()),
            cost: Some(dec("25")),
            period: Some(BillingPeriod::UsageBased),
            unit_price: Some(Some(dec("0.125"))),
            free_tier: Some(Some(dec("8"))),
            usage: used.map(dec),
            renewal_date: Some(Some(d("2026-12-01"))),
            auto_renew: Some(true),
            ..Default::default()
        };
        let id = f.add_with("integration", changes);
        f.item(id).billed_from = d("2026-11-01");
        id
    }

    #[test]
    fn a_usage_plan_accrues_its_base_fee_day_by_day() {
        let mut f = Fixture::new("2026-11-20");
        let id = metered_plan(&mut f, Some("5"));
        let result = spend(&f.ledger(), 1);
        // 5 GB is within the free 8: only the fee, 25 x 20/30 so far, all 25 by month-end.
        assert_eq!(result.current.to_date.item(id).round_dp(2), dec("16.67"));
        assert_eq!(result.current.projected.item(id).round_dp(2), dec("25.00"));
        // 48 GB by the 20th: 40 x 0.125 = 5.00 so far. At 2.4 GB a day the cycle ends at 72 GB,
        // 64 beyond the free tier: 8.00 (the units are paced, not the cost: the free tier only
        // counts once).
        let mut f = Fixture::new("2026-11-20");
        let id = metered_plan(&mut f, Some("48"));
        let result = spend(&f.ledger(), 1);
        assert_eq!(result.current.to_date.item(id).round_dp(2), dec("21.67"));
        assert_eq!(result.current.projected.item(id).round_dp(2), dec("33.00"));
    }

    #[test]
    fn a_renewal_later_this_month_is_projected_as_it_will_be_charged() {
        // 3,650 a year (10 a day), paid 2026-02-05 for a year, renewing 2027-02-05.
        let mut f = Fixture::new("2027-02-02");
        let big = f.add("package", "Big", "3650", "yearly", Some("2027-02-05"), true);
        f.history.push(line(big, "3650", "2026-02-05", "2027-02-04"));
        // February: 4 days of the old year (40), then the renewal's 24 days at 10 (240).
        assert_eq!(spend(&f.ledger(), 1).current.projected.item(big), dec("280"));
        // Days a record deals with (here a zero one: paid elsewhere) are not projected again.
        let mut f = Fixture::new("2027-02-02");
        let big = f.add("package", "Big", "3650", "yearly", Some("2028-02-05"), true);
        f.history.push(line(big, "0", "2027-02-01", "2027-02-28"));
        let ledger = f.ledger();
        assert_eq!(spend(&ledger, 1).current.projected.item(big), dec("0"));
    }

    #[test]
    fn usage_is_paced_from_the_reading_and_the_cycle_start() {
        // A cycle from the 15th: 60 units by the 20th (6 days) is 10 a day, 1 each.
        let mut f = Fixture::new("2026-11-20");
        let changes = ItemChanges {
            name: Some(ItemName::parse("Claude").unwrap()),
            period: Some(BillingPeriod::UsageBased),
            unit_price: Some(Some(dec("1"))),
            usage: Some(dec("60")),
            renewal_date: Some(Some(d("2026-12-15"))),
            auto_renew: Some(true),
            ..Default::default()
        };
        let id = f.add_with("ai_provider", changes);
        f.item(id).billed_from = d("2026-11-15");
        // The cycle (Nov 15 to Dec 14, 30 days) ends at 300 units: 300.00, 16 of its days in
        // November: 160.00.
        let result = spend(&f.ledger(), 1);
        assert_eq!(result.current.projected.item(id).round_dp(2), dec("160.00"));
        // Read on the 17th and not since: the pace is the reading's (60 in 3 days).
        f.today = d("2026-11-25");
        f.item(id).usage.as_mut().unwrap().read_on = Some(d("2026-11-17"));
        let result = spend(&f.ledger(), 1);
        assert_eq!(result.current.projected.item(id).round_dp(2), dec("320.00"));
    }

    #[test]
    fn an_unread_meter_is_projected_from_the_last_cycle() {
        let mut f = Fixture::new("2026-11-10");
        let id = metered_plan(&mut f, None);
        // October's bill: the 25.00 fee and 75.00 of usage.
        f.history.push(line(id, "100", "2026-10-01", "2026-10-31"));
        let result = spend(&f.ledger(), 1);
        // The fee: 25 x 10/30 so far and the rest ahead; usage: the run-rate's 75 a cycle, for
        // the 20 days left of November's 30-day cycle: 50.
        assert_eq!(result.current.to_date.item(id).round_dp(2), dec("8.33"));
        assert_eq!(result.current.projected.item(id).round_dp(2), dec("75.00"));
        let item = f.items[0].clone();
        assert_eq!(f.ledger().run_rates.of(&item).monthly.amount, dec("100"));
    }

    #[test]
    fn an_early_reading_defers_to_the_last_cycle() {
        // Read on the 3rd (12 GB): too early to carry to the cycle's end, so the rest of the
        // month goes at October's usage (75 a cycle); what was used so far still counts.
        let mut f = Fixture::new("2026-11-03");
        let id = metered_plan(&mut f, Some("12"));
        f.history.push(line(id, "100", "2026-10-01", "2026-10-31"));
        let result = spend(&f.ledger(), 1);
        // So far: 3 days of the fee (2.50) and 4 GB beyond the free 8 (0.50).
        assert_eq!(result.current.to_date.item(id).round_dp(2), dec("3.00"));
        // Projected: the whole fee, the 0.50 so far, and 27 days at 75/30 a day (67.50).
        assert_eq!(result.current.projected.item(id).round_dp(2), dec("93.00"));
    }

    #[test]
    fn on_the_months_last_day_a_reading_is_still_carried_to_its_end() {
        // Read on the 15th (60 units, 1 each): 124 by the 31st, on the 30th and on the 31st alike.
        for today in ["2026-12-30", "2026-12-31"] {
            let mut f = Fixture::new(today);
            let changes = ItemChanges {
                name: Some(ItemName::parse("Claude").unwrap()),
                period: Some(BillingPeriod::UsageBased),
                unit_price: Some(Some(dec("1"))),
                usage: Some(dec("60")),
                ..Default::default()
            };
            let id = f.add_with("ai_provider", changes);
            f.item(id).billed_from = d("2026-12-01");
            f.item(id).usage.as_mut().unwrap().read_on = Some(d("2026-12-15"));
            let result = spend(&f.ledger(), 1);
            assert_eq!(result.current.to_date.item(id), dec("60"), "{today}");
            assert_eq!(result.current.projected.item(id), dec("124"), "{today}");
        }
    }
}
