//! The monthly run-rate: what each item costs in a full month at its current terms and pace,
//! and the workspace's run-rate totalled and broken down by category in the base currency.
//!
//! This is the one meaning of "monthly cost" everywhere (item list, item page, dashboard, report,
//! charts). For subscriptions it is the price per cycle / months per cycle. For usage-billed items
//! it is a full-cycle estimate, never the usage so far (which swings with the day of the month):
//! the cycle's usage carried to its end once the meter was read at least [`PACE_MIN_DAYS`] days
//! into the cycle, else the last full cycle's bill, else an early pace, else the base fee alone.
//! [`RunRateBasis`] says which.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::calendar::{DateRange, Month};
use super::item::{BillingPeriod, Category, Item, Renewal, Usage};
use super::money::{Currency, Money};
use super::rates::{MissingRate, RateBook, dedup_missing};

/// Days a usage reading must be into its cycle before its pace stands for the whole cycle.
pub const PACE_MIN_DAYS: u32 = 7;

/// How an item's run-rate was worked out.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum RunRateBasis {
    /// The price per billing cycle, per month (one-time purchases: zero).
    Price,
    /// This cycle's usage carried to the cycle's end, from the reading on `read_on`, `days` days
    /// into a cycle of `cycle_days`. `early` when that is under [`PACE_MIN_DAYS`] and no full
    /// cycle was billed to go by instead.
    Pace { read_on: NaiveDate, days: u32, cycle_days: u32, early: bool },
    /// The last cycle's bill (`from`..=`to`): this cycle's meter was read too early or not at
    /// all. When records pay for only `billed_days` of its `cycle_days` (tracking began during
    /// it), the bill is carried to the whole cycle.
    LastCycle { from: NaiveDate, to: NaiveDate, billed_days: u32, cycle_days: u32 },
    /// The last cycle's final reading, `days` days into its `cycle_days`, carried to its end:
    /// this cycle's meter was read too early or not at all, and that reading (made before the
    /// cycle ended, so billed short) says more than the bill.
    LastReading { read_on: NaiveDate, days: u32, cycle_days: u32 },
    /// No reading this cycle and no full cycle billed yet: the base fee alone.
    FeeOnly,
}

/// An item's monthly run-rate in its own currency and how it was estimated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RunRate {
    pub monthly: Money,
    pub basis: RunRateBasis,
    /// For usage-billed items: the estimated usage cost of a whole cycle beyond the base fee.
    pub cycle_usage: Option<Decimal>,
}

/// The last full billing cycle before the current one and what its records charged, in the
/// item's currency.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LastCycle {
    pub period: DateRange,
    pub bill: Money,
    /// Days of it that live records (or what the jobs would record) pay for.
    pub billed_days: u32,
}

/// The billing cycle before the one `today` falls in.
pub fn previous_cycle(item: &Item, today: NaiveDate) -> Option<DateRange> {
    let current = item.cycle(today);
    let end = current.start.pred_opt()?;
    let start = match item.renewal {
        Some(renewal) => Renewal { date: current.start, ..renewal }.preceding(item.period)?.date,
        None => Month::of(end).first_day(),
    };
    DateRange::new(start, end)
}

/// What the records charged for the item's previous cycle, in its currency, and for how many of
/// its days. `records` are `(amount, days it pays for, day it converts on)`: records, or their
/// roll-ups' segments (records with the same currency and days, summed). The bill is summed
/// exactly, in any order. `None` when none pays for any of it, or a rate is missing.
pub fn last_cycle(
    item: &Item,
    today: NaiveDate,
    records: impl IntoIterator<Item = (Money, DateRange, NaiveDate)>,
    rates: &RateBook,
) -> Option<LastCycle> {
    let period = previous_cycle(item, today)?;
    let currency = item.cost.currency;
    let mut bill = super::exact::ExactSum::default();
    let mut days = Vec::new();
    for (amount, paid_for, converts_on) in records {
        let Some(overlap) = paid_for.intersect(period) else { continue };
        let share = Money::new(paid_for.share(amount.amount, period), amount.currency);
        bill.add(rates.convert(share, currency, converts_on).ok()?.amount);
        days.push(overlap);
    }
    days.sort();
    let mut billed_days = 0i64;
    let mut next = period.start;
    for range in days {
        let start = range.start.max(next);
        if start <= range.end {
            billed_days += (range.end - start).num_days() + 1;
            next = range.end.succ_opt()?;
        }
    }
    let billed_days = u32::try_from(billed_days).ok().filter(|d| *d > 0)?;
    Some(LastCycle { period, bill: Money::new(bill.value(), currency), billed_days })
}

/// The monthly run-rate of `item` as of `today`; `last` is its previous cycle's bill (see
/// [`last_cycle`]), used for usage-billed items whose meter was not read far enough into this
/// cycle.
pub fn run_rate(item: &Item, today: NaiveDate, last: Option<LastCycle>) -> RunRate {
    let currency = item.cost.currency;
    let Some(months) = item.period.months() else {
        return RunRate { monthly: Money::zero(currency), basis: RunRateBasis::Price, cycle_usage: None };
    };
    let per_month = |cycle: Decimal| Money::new(cycle / Decimal::from(months), currency);
    let usage = item.usage.as_ref().filter(|u| u.unit_price.is_some());
    let (usage, BillingPeriod::UsageBased) = (usage, item.period) else {
        return RunRate { monthly: item.monthly_cost(), basis: RunRateBasis::Price, cycle_usage: None };
    };
    let fee = item.cost.amount;
    let Some(meter) = usage else {
        // No meter: billed by its bills (imported), so its last cycle's bill is its pace.
        return match last.filter(|l| l.billed_days >= PACE_MIN_DAYS) {
            Some(l) => {
                let cycle_days = u32::try_from(l.period.days()).unwrap_or(u32::MAX);
                let whole = l.bill.amount * Decimal::from(cycle_days) / Decimal::from(l.billed_days);
                let basis = RunRateBasis::LastCycle {
                    from: l.period.start,
                    to: l.period.end,
                    billed_days: l.billed_days,
                    cycle_days,
                };
                RunRate { monthly: per_month(whole.max(fee)), basis, cycle_usage: None }
            }
            None => RunRate { monthly: per_month(fee), basis: RunRateBasis::FeeOnly, cycle_usage: None },
        };
    };
    let rate = |usage: Decimal, basis: RunRateBasis| RunRate {
        monthly: per_month(fee + usage),
        basis,
        cycle_usage: Some(usage),
    };
    let pace = paced(item, meter, today);
    let previous = previous_cycle(item, today);
    // The last cycle, from its bill: carried to the whole cycle when records pay for only part
    // of it (at least a week).
    let from_bill = last.filter(|l| l.billed_days >= PACE_MIN_DAYS).map(|l| {
        let cycle_days = u32::try_from(l.period.days()).unwrap_or(u32::MAX);
        let whole = l.bill.amount * Decimal::from(cycle_days) / Decimal::from(l.billed_days);
        let basis =
            RunRateBasis::LastCycle { from: l.period.start, to: l.period.end, billed_days: l.billed_days, cycle_days };
        rate((whole - fee).max(Decimal::ZERO), basis)
    });
    // The last cycle, from its final reading when that was made before the cycle ended (and so
    // billed short): a week in at least, carried to the cycle's end.
    let from_reading = meter.last_cycle.filter(|r| Some(r.cycle) == previous).and_then(|r| {
        let days = u32::try_from((r.read_on - r.cycle.start).num_days() + 1).ok()?;
        let cycle_days = u32::try_from(r.cycle.days()).ok()?;
        (days >= PACE_MIN_DAYS && days < cycle_days).then(|| {
            let units = r.used * Decimal::from(cycle_days) / Decimal::from(days);
            rate(meter.cost_of(units, 1), RunRateBasis::LastReading { read_on: r.read_on, days, cycle_days })
        })
    });
    // The higher of the two: a bill made from an early reading understates the cycle, and a bill
    // entered by hand above what the meter said is what was paid.
    let from_last = match (from_bill, from_reading) {
        (Some(bill), Some(reading)) => Some(if reading.monthly.amount > bill.monthly.amount { reading } else { bill }),
        (bill, reading) => bill.or(reading),
    };
    match (pace, from_last) {
        (Some(pace), Some(last)) if pace.early => last,
        (Some(Pace { units, read_on, days, cycle_days, .. }), last) => {
            let early = days < PACE_MIN_DAYS && last.is_none();
            rate(meter.cost_of(units, 1), RunRateBasis::Pace { read_on, days, cycle_days, early })
        }
        (None, Some(last)) => last,
        (None, None) => rate(Decimal::ZERO, RunRateBasis::FeeOnly),
    }
}

/// A meter's reading carried to the end of its cycle.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Units the cycle ends at, at the reading's pace.
    pub units: Decimal,
    pub read_on: NaiveDate,
    /// Days of the cycle up to and including the reading.
    pub days: u32,
    pub cycle_days: u32,
    /// Under [`PACE_MIN_DAYS`] days of usage to go by.
    pub early: bool,
}

/// The reading's pace over the cycle `today` falls in: units used by the day the meter was read,
/// carried to the cycle's end. `None` when the meter was not read this cycle.
pub fn paced(item: &Item, usage: &Usage, today: NaiveDate) -> Option<Pace> {
    if !item.read_this_cycle(today) {
        return None;
    }
    let cycle = item.cycle(today);
    let read_on = usage.read_on?;
    let days = u32::try_from((read_on - cycle.start).num_days() + 1).ok()?;
    let cycle_days = u32::try_from(cycle.days()).ok()?;
    let units = usage.used * Decimal::from(cycle_days) / Decimal::from(days);
    Some(Pace { units, read_on, days, cycle_days, early: days < PACE_MIN_DAYS })
}

/// Run-rates of a workspace's items, by item id.
#[derive(Clone, Debug)]
pub struct RunRates {
    today: NaiveDate,
    rates: HashMap<i64, RunRate>,
}

impl RunRates {
    /// Run-rates of `items` as of `today`; `records` holds the cost records (or their roll-ups'
    /// segments) and what the jobs would record now, as `(item id, amount, days, day it converts
    /// on)`, at least over each usage-billed item's previous cycle.
    pub fn new<'a>(
        items: impl IntoIterator<Item = &'a Item>,
        today: NaiveDate,
        records: impl IntoIterator<Item = (i64, Money, DateRange, NaiveDate)>,
        rates: &RateBook,
    ) -> RunRates {
        let items: Vec<&Item> = items.into_iter().collect();
        let mut by_item: HashMap<i64, Vec<(Money, DateRange, NaiveDate)>> = HashMap::new();
        let usage_billed: std::collections::HashSet<i64> =
            items.iter().filter(|i| i.period == BillingPeriod::UsageBased).map(|i| i.id).collect();
        for (id, amount, days, converts_on) in records {
            if usage_billed.contains(&id) {
                by_item.entry(id).or_default().push((amount, days, converts_on));
            }
        }
        let rates = items
            .iter()
            .map(|item| {
                let records = by_item.remove(&item.id).unwrap_or_default();
                let last = last_cycle(item, today, records, rates);
                (item.id, run_rate(item, today, last))
            })
            .collect();
        RunRates { today, rates }
    }

    /// The run-rate of `item`. Items not given to [`RunRates::new`] are worked out without their
    /// history (as if no cycle had been billed).
    pub fn of(&self, item: &Item) -> RunRate {
        self.rates.get(&item.id).copied().unwrap_or_else(|| run_rate(item, self.today, None))
    }
}

/// An item's run-rate in its own currency and, when a rate allows, in the base currency.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ItemMonthly {
    pub monthly: Money,
    /// `None` when no rate converts the item's currency: the item is left out of totals.
    pub monthly_base: Option<Money>,
    pub basis: RunRateBasis,
}

/// The run-rate totals.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub base_currency: Currency,
    /// Sum of billable items' run-rates, in the base currency.
    pub monthly: Money,
    /// Every category, in a fixed order, with its run-rate (zero when empty).
    pub by_category: Vec<(Category, Money)>,
    /// Pairs that had no rate; their items are not in the totals.
    pub missing_rates: Vec<MissingRate>,
    /// How many billable items the missing rates left out.
    pub items_left_out: usize,
}

/// The run-rate of `item` as of `today`, converted with `rates` into `base`.
pub fn item_monthly(
    item: &Item,
    run_rates: &RunRates,
    base: Currency,
    rates: &RateBook,
    today: NaiveDate,
) -> ItemMonthly {
    let rate = run_rates.of(item);
    ItemMonthly {
        monthly: rate.monthly,
        monthly_base: rates.convert(rate.monthly, base, today).ok(),
        basis: rate.basis,
    }
}

/// Totals over the items that are still paid for (`active` or `expiring`).
pub fn monthly_totals<'a>(
    items: impl IntoIterator<Item = &'a Item>,
    run_rates: &RunRates,
    base: Currency,
    rates: &RateBook,
    today: NaiveDate,
    window_days: u32,
) -> Totals {
    let mut by_category: Vec<(Category, Money)> = Category::ALL.iter().map(|c| (*c, Money::zero(base))).collect();
    let mut missing = Vec::new();
    let mut items_left_out = 0;
    for item in items.into_iter().filter(|i| i.removed_at.is_none() && i.status(today, window_days).is_billable()) {
        match rates.convert(run_rates.of(item).monthly, base, today) {
            Ok(converted) => {
                let slot = by_category.iter_mut().find(|(c, _)| *c == item.category()).expect("all categories");
                slot.1 = slot.1.plus(converted);
            }
            Err(gap) => {
                missing.push(gap);
                items_left_out += 1;
            }
        }
    }
    let monthly = by_category.iter().fold(Money::zero(base), |sum, (_, m)| sum.plus(*m));
    Totals { base_currency: base, monthly, by_category, missing_rates: dedup_missing(missing), items_left_out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::item::{BillingPeriod, ItemChanges, Kind, ManualStatus};
    use crate::domain::rates::ExchangeRate;
    use crate::domain::testing::{c, d, dec};
    use crate::domain::text::ItemName;

    fn item(kind: Kind, cost: &str, currency: &str, period: BillingPeriod) -> Item {
        let changes = ItemChanges {
            name: Some(ItemName::parse("x").unwrap()),
            cost: Some(dec(cost)),
            currency: Some(c(currency)),
            period: Some(period),
            ..Default::default()
        };
        Item::create(kind, &changes, Currency::USD, d("2026-11-30"), "2026-11-30T00:00:00Z".parse().unwrap()).unwrap().0
    }

    #[test]
    fn totals_convert_and_group_by_category() {
        use BillingPeriod::*;
        let mut cancelled = item(Kind::Hosting, "500", "USD", Monthly);
        cancelled.status = ManualStatus::Cancelled;
        let mut items = [
            item(Kind::Domain, "12", "USD", Yearly),
            item(Kind::Domain, "800", "THB", Yearly),
            item(Kind::Hosting, "60", "USD", Monthly),
            item(Kind::AiProvider, "20", "EUR", Monthly),
            item(Kind::Package, "99", "USD", OneTime),
            item(Kind::Other, "10", "GBP", Monthly),
            cancelled,
        ];
        for (id, item) in items.iter_mut().enumerate() {
            item.id = id as i64;
        }
        let rates = RateBook::new(vec![ExchangeRate {
            base: c("USD"),
            quote: c("THB"),
            rate: dec("32"),
            date: d("2026-01-01"),
        }]);
        let run_rates = RunRates::new(&items, d("2026-11-30"), [], &rates);
        let totals = monthly_totals(&items, &run_rates, c("USD"), &rates, d("2026-11-30"), 30);
        let shown: Vec<(&str, String)> = totals.by_category.iter().map(|(c, m)| (c.as_str(), m.to_string())).collect();
        assert_eq!(
            shown,
            [
                ("infrastructure", "63.08 USD".to_string()), // 1 + 800/32/12 + 60
                ("ai_services", "0.00 USD".to_string()),     // EUR has no rate
                ("third_party", "0.00 USD".to_string()),
                ("packages", "0.00 USD".to_string()), // one-time: not monthly
                ("other", "0.00 USD".to_string()),
            ]
        );
        assert_eq!(totals.monthly.to_string(), "63.08 USD");
        let missing: Vec<String> = totals.missing_rates.iter().map(|m| format!("{}->{}", m.from, m.to)).collect();
        assert_eq!(missing, ["EUR->USD", "GBP->USD"]);
        assert_eq!(totals.items_left_out, 2);
    }

    /// A usage-billed AI provider: a base fee of `fee`, 2.00 per unit beyond 100 free, its cycle
    /// the calendar month, billable since `billed_from`, its meter at `used` read on `read_on`.
    fn metered(fee: &str, used: Option<(&str, &str)>, billed_from: &str) -> Item {
        let changes = ItemChanges {
            name: Some(ItemName::parse("OpenAI").unwrap()),
            cost: Some(dec(fee)),
            period: Some(BillingPeriod::UsageBased),
            unit_price: Some(Some(dec("2"))),
            free_tier: Some(Some(dec("100"))),
            unit: Some(crate::domain::text::Label::parse("unit", "request").unwrap()),
            ..Default::default()
        };
        let now = "2026-11-01T00:00:00Z".parse().unwrap();
        let (mut item, _) = Item::create(Kind::AiProvider, &changes, Currency::USD, d(billed_from), now).unwrap();
        item.billed_from = d(billed_from);
        if let (Some((units, day)), Some(usage)) = (used, item.usage.as_mut()) {
            usage.used = dec(units);
            usage.read_on = Some(d(day));
        }
        item
    }

    #[track_caller]
    fn check_run_rate(item: &Item, today: &str, records: &[(&str, &str, &str)], expected: (&str, &str)) {
        let rates = RateBook::new(vec![ExchangeRate {
            base: c("USD"),
            quote: c("THB"),
            rate: dec("32"),
            date: d("2026-01-01"),
        }]);
        let records = records.iter().map(|(amount, from, to)| {
            let (value, currency) = amount.split_once(' ').unwrap_or((amount, "USD"));
            (Money::new(dec(value), c(currency)), DateRange::new(d(from), d(to)).unwrap(), d(from))
        });
        let last = last_cycle(item, d(today), records, &rates);
        let rate = run_rate(item, d(today), last);
        let basis = match rate.basis {
            RunRateBasis::Price => "price".to_string(),
            RunRateBasis::Pace { days, cycle_days, early, .. } => {
                format!("pace {days}/{cycle_days}{}", if early { " early" } else { "" })
            }
            RunRateBasis::LastCycle { from, to, billed_days, cycle_days } if billed_days == cycle_days => {
                format!("last {from}..{to}")
            }
            RunRateBasis::LastCycle { from, to, billed_days, cycle_days } => {
                format!("last {from}..{to} {billed_days}/{cycle_days}")
            }
            RunRateBasis::LastReading { read_on, days, cycle_days } => {
                format!("last reading {read_on} {days}/{cycle_days}")
            }
            RunRateBasis::FeeOnly => "fee".to_string(),
        };
        assert_eq!(
            (rate.monthly.amount.round_dp(4).normalize().to_string(), basis),
            (expected.0.to_string(), expected.1.to_string())
        );
    }

    #[test]
    fn run_rates_estimate_a_full_cycle() {
        use BillingPeriod::*;
        // Subscriptions: the price per month, whatever the day.
        check_run_rate(&item(Kind::Domain, "12", "USD", Yearly), "2026-12-04", &[], ("1", "price"));
        check_run_rate(&item(Kind::Hosting, "60", "USD", Quarterly), "2026-12-04", &[], ("20", "price"));
        check_run_rate(&item(Kind::Package, "99", "USD", OneTime), "2026-12-04", &[], ("0", "price"));
        let october = [("240", "2026-11-01", "2026-11-30")];
        // Read 10 days in (160 units, 16 a day): 496 at the cycle's end, 396 beyond the free 100,
        // x 2.
        let paced = metered("0", Some(("160", "2026-12-10")), "2026-10-01");
        check_run_rate(&paced, "2026-12-12", &october, ("792", "pace 10/31"));
        // A reading on day 7 counts (70 units: 310 by the end, 210 billable), plus the base fee.
        let paced = metered("25", Some(("70", "2026-12-07")), "2026-10-01");
        check_run_rate(&paced, "2026-12-07", &october, ("445", "pace 7/31"));
        // Read 4 days in: too early; November's bill stands for the cycle.
        let early = metered("0", Some(("40", "2026-12-04")), "2026-10-01");
        check_run_rate(&early, "2026-12-04", &october, ("240", "last 2026-11-01..2026-11-30"));
        // Too early and no cycle billed before: the early pace, said to be early. 40 in 4 days
        // is 310 by the 31st, 210 beyond the free tier.
        check_run_rate(&early, "2026-12-04", &[], ("420", "pace 4/31 early"));
        // Not read this cycle: the last cycle's bill, shares of records over its days included
        // (a quarter's record of 90 over Nov..Jan counts 30 for November) and in other currencies.
        let unread = metered("0", Some(("500", "2026-11-28")), "2026-10-01");
        check_run_rate(
            &unread,
            "2026-12-04",
            &[("90", "2026-11-01", "2027-01-29"), ("3200 THB", "2026-11-01", "2026-11-30")],
            ("130", "last 2026-11-01..2026-11-30"),
        );
        // Nothing read and nothing billed: the base fee alone.
        check_run_rate(&metered("25", None, "2026-10-01"), "2026-12-04", &[], ("25", "fee"));
        // Tracked from the middle of November: its 16 billed days carried to the 30-day cycle
        // (100 x 30 / 16 = 187.50); records that together pay for every day count whole; under
        // a week billed says too little.
        let late = metered("25", None, "2026-11-15");
        check_run_rate(
            &late,
            "2026-12-04",
            &[("100", "2026-11-15", "2026-11-30")],
            ("187.5", "last 2026-11-01..2026-11-30 16/30"),
        );
        check_run_rate(&late, "2026-12-04", &[("100", "2026-11-25", "2026-11-30")], ("25", "fee"));
        let split = [("50", "2026-11-01", "2026-11-14"), ("100", "2026-11-10", "2026-11-30")];
        check_run_rate(&late, "2026-12-04", &split, ("150", "last 2026-11-01..2026-11-30"));
        // A bill below the base fee (a credit) never makes usage negative.
        check_run_rate(
            &metered("25", None, "2026-10-01"),
            "2026-12-04",
            &[("10", "2026-11-01", "2026-11-30")],
            ("25", "last 2026-11-01..2026-11-30"),
        );
    }

    #[test]
    fn previous_cycles_follow_the_renewal_anchor() {
        let mut item = metered("0", None, "2026-01-01");
        item.renewal = Some(Renewal { date: d("2026-12-15"), anchor_day: 15 });
        item.auto_renew = true;
        assert_eq!(previous_cycle(&item, d("2026-12-04")), DateRange::new(d("2026-10-15"), d("2026-11-14")));
        item.renewal = Some(Renewal { date: d("2027-01-31"), anchor_day: 31 });
        assert_eq!(previous_cycle(&item, d("2027-01-04")), DateRange::new(d("2026-11-30"), d("2026-12-30")));
    }

    #[test]
    fn a_last_reading_made_before_its_cycle_ended_is_carried_to_the_end() {
        use crate::domain::item::CycleReading;
        let november = DateRange::new(d("2026-11-01"), d("2026-11-30")).unwrap();
        // November was read on the 15th (150 units: 300 by the end, 200 beyond the free 100, x
        // 2 = 400) and billed from that reading (50 x 2 = 100): December, not read yet, goes by
        // the reading's pace, not the short bill.
        let mut item = metered("0", None, "2026-10-01");
        item.usage.as_mut().unwrap().last_cycle =
            Some(CycleReading { used: dec("150"), read_on: d("2026-11-15"), cycle: november });
        let bill = [("100", "2026-11-01", "2026-11-30")];
        check_run_rate(&item, "2026-12-04", &bill, ("400", "last reading 2026-11-15 15/30"));
        // A bill above what the meter said (an invoice entered by hand) is what was paid.
        check_run_rate(
            &item,
            "2026-12-04",
            &[("450", "2026-11-01", "2026-11-30")],
            ("450", "last 2026-11-01..2026-11-30"),
        );
        // A reading of the cycle's last day is what the bill already says; one under a week in
        // says too little; one of an older cycle is not the last cycle's.
        for (read_on, cycle_start) in
            [("2026-11-30", "2026-11-01"), ("2026-11-05", "2026-11-01"), ("2026-10-20", "2026-10-01")]
        {
            let cycle = DateRange::new(d(cycle_start), Month::of(d(cycle_start)).last_day()).unwrap();
            item.usage.as_mut().unwrap().last_cycle =
                Some(CycleReading { used: dec("150"), read_on: d(read_on), cycle });
            check_run_rate(&item, "2026-12-04", &bill, ("100", "last 2026-11-01..2026-11-30"));
        }
    }
}
