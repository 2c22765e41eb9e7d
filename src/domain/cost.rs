//! Cost history and the rules that write it: renewal advancement (charges an auto-renewing item
//! each time its date passes), month close (records each billable item's cost for elapsed days no
//! record covers yet) and settling an item before its terms change. All pure: they say what to
//! write; the app layer writes it.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::calendar::{DateRange, Month};
use super::choice::choice_enum;
use super::error::UserError;
use super::item::{CycleReading, Item, ManualStatus, Renewal, Usage};
use super::money::Money;
use super::text::Notes;

choice_enum! {
    /// Where a cost record came from.
    pub enum CostSource as "cost source" {
        /// Entered by an admin.
        Manual = "manual",
        /// Charged by renewal advancement when an auto-renewing item's date passed.
        Renewal = "renewal",
        /// A usage bill entered by an admin or an integration.
        Usage = "usage",
        /// Written by month close from the item's monthly cost.
        Snapshot = "snapshot",
        /// Brought in from elsewhere (e.g. the demo's history or a spreadsheet).
        Import = "import",
    }
}

impl CostSource {
    /// The source, if a person may record a cost with it: renewal and snapshot records are
    /// written by Jarvis's jobs only.
    pub fn for_hand_records(self) -> Result<CostSource, UserError> {
        match self {
            CostSource::Renewal | CostSource::Snapshot => Err(UserError::invalid(
                "source",
                self.as_str(),
                "renewal and snapshot records are written by Jarvis's jobs; use manual, usage or import",
            )),
            CostSource::Manual | CostSource::Usage | CostSource::Import => Ok(self),
        }
    }
}

/// The usage behind a charge, kept with the record so history explains itself.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UsageSnapshot {
    pub unit: String,
    pub used: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
}

impl UsageSnapshot {
    /// `used` units of `item`, in its meter's unit (or its kind's default) at its meter's prices.
    pub fn of(item: &Item, used: Decimal) -> UsageSnapshot {
        let meter = item.usage.as_ref();
        UsageSnapshot {
            unit: meter.map_or_else(|| item.kind().default_unit().to_string(), |u| u.unit.as_str().to_string()),
            used,
            included: meter.and_then(|u| u.included),
            unit_price: meter.and_then(|u| u.unit_price),
        }
    }
}

impl From<&Usage> for UsageSnapshot {
    fn from(usage: &Usage) -> Self {
        UsageSnapshot {
            unit: usage.unit.as_str().to_string(),
            used: usage.used,
            included: usage.included,
            unit_price: usage.unit_price,
        }
    }
}

/// The longest period a cost recorded by hand may pay for, in years: the longest term anything
/// Jarvis tracks is sold for (a domain registers for at most 10 years). A longer one is almost
/// surely a typo (`2100` for `2010`), and would spread one figure over decades of trends.
pub const MAX_RECORDED_YEARS: u32 = 10;

/// The days `from` to `to` typed for a cost recorded by hand: in order, and at most
/// [`MAX_RECORDED_YEARS`] long.
pub fn recorded_period(from: NaiveDate, to: NaiveDate) -> Result<DateRange, UserError> {
    let range = DateRange::between(from, to)?;
    let limit = from.checked_add_months(chrono::Months::new(12 * MAX_RECORDED_YEARS));
    if limit.is_some_and(|limit| to >= limit) {
        return Err(UserError::invalid(
            "period",
            format!("{from} to {to}"),
            format!(
                "it is more than {MAX_RECORDED_YEARS} years long, and nothing is paid for that far ahead (a domain \
                 registers for {MAX_RECORDED_YEARS} years at most); check the dates, or record each term on its own"
            ),
        ));
    }
    Ok(range)
}

/// A cost record about to be written.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewCostRecord {
    pub item_id: i64,
    pub amount: Money,
    /// The days this cost pays for; trends spread the amount over them.
    pub period: DateRange,
    pub source: CostSource,
    pub usage: Option<UsageSnapshot>,
    pub note: Option<Notes>,
}

/// A stored cost record.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CostRecord {
    pub id: i64,
    /// Public id (a UUID v7): what exports, links and the API name it by.
    pub uuid: uuid::Uuid,
    pub item_id: i64,
    pub amount: Money,
    pub period: DateRange,
    pub source: CostSource,
    pub usage: Option<UsageSnapshot>,
    pub note: Option<Notes>,
    pub created_at: DateTime<Utc>,
    /// Who wrote it: a Discord user id, `cli`, or `jarvis` for jobs.
    pub created_by: String,
}

impl CostRecord {
    /// The share of this record's amount that falls within `range`, spreading it evenly over the
    /// days it pays for (a yearly charge counts 1/365 a day).
    pub fn amount_within(&self, range: DateRange) -> Decimal {
        match self.period.intersect(range) {
            Some(overlap) if overlap == self.period => self.amount.amount,
            Some(overlap) => self.amount.amount * Decimal::from(overlap.days()) / Decimal::from(self.period.days()),
            None => Decimal::ZERO,
        }
    }
}

/// What renewal advancement does to one item.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RenewalRun {
    /// The charges for the cycles whose renewal (or billing) date passed, oldest first, each only
    /// for days no record pays for yet.
    pub charges: Vec<NewCostRecord>,
    /// Cycles not charged at all because records (e.g. invoices entered by hand) already pay for
    /// every one of their days.
    pub skipped: Vec<DateRange>,
    /// The renewal date to store afterwards (on or after today).
    pub next: Renewal,
    /// For usage billing: the first day of the new, open cycle; the meter restarts.
    pub new_cycle_from: Option<NaiveDate>,
}

impl RenewalRun {
    /// The item as it is after the run: next renewal date stored; for usage, the meter restarted
    /// for the cycle that began.
    pub fn applied_to(&self, item: &Item) -> Item {
        let before = item;
        let mut item = item.clone();
        item.renewal = Some(self.next);
        if let Some(from) = self.new_cycle_from {
            item.billed_from = from;
            if let Some(usage) = &mut item.usage {
                if let Some(read_on) = usage.read_on {
                    usage.last_cycle = Some(CycleReading { used: usage.used, read_on, cycle: before.cycle(read_on) });
                }
                usage.used = Decimal::ZERO;
                usage.billed = Decimal::ZERO;
                usage.read_on = None;
            }
        }
        item
    }
}

/// Records for the days of `period` that `covered` leaves open, sharing out `amount` by days: one
/// record per open run. Nothing when every day is covered or the amount is zero.
fn fill(
    item: &Item,
    period: DateRange,
    amount: Money,
    source: CostSource,
    usage: Option<UsageSnapshot>,
    covered: &[DateRange],
) -> Vec<NewCostRecord> {
    if amount.amount.is_zero() {
        return Vec::new();
    }
    let total_days = Decimal::from(period.days());
    uncovered_runs(period, covered)
        .into_iter()
        .map(|run| NewCostRecord {
            item_id: item.id,
            amount: if run == period {
                amount
            } else {
                Money::new(amount.amount * Decimal::from(run.days()) / total_days, amount.currency)
            },
            period: run,
            source,
            usage: usage.clone(),
            note: None,
        })
        .collect()
}

/// The charges due for an auto-renewing item whose renewal date has passed (is before `today`).
///
/// Subscriptions are paid in advance: each passed renewal date charges the price for the cycle
/// that starts then. Usage is paid in arrears: the passed billing dates charge, in one record, the
/// stretch from the open cycle's start to the last of them: the base fee per cycle plus the
/// meter's usage not billed yet (with one free tier per cycle); the meter then restarts. Either
/// way each charge covers only days no record in `covered` pays for, so running it again, or
/// after an invoice was recorded by hand, charges nothing twice. `None` when nothing is due.
pub fn due_renewals(item: &Item, today: NaiveDate, covered: &[DateRange]) -> Option<RenewalRun> {
    if !item.auto_renew || item.status != ManualStatus::Active || !item.period.is_recurring() {
        return None;
    }
    let first = item.renewal.filter(|r| r.date < today)?;
    let mut passed = vec![first];
    let mut next = first.following(item.period)?;
    while next.date < today {
        passed.push(next);
        next = next.following(item.period)?;
    }
    let mut run = RenewalRun { charges: Vec::new(), skipped: Vec::new(), next, new_cycle_from: None };
    if item.period.bills_in_arrears() {
        let last = *passed.last().expect("at least one date passed");
        run.new_cycle_from = Some(last.date);
        let cycles = passed.len() as u32;
        let usage = item.usage.as_ref().map_or(Decimal::ZERO, |u| u.unbilled_cost(cycles));
        let amount = Money::new(item.cost.amount * Decimal::from(cycles) + usage, item.cost.currency);
        // Without a meter or a fee the item is billed only by its (imported) bills.
        let billed_by_bills = item.usage.is_none() && amount.amount.is_zero();
        if let Some(stretch) = DateRange::new(item.billed_from, last.date.pred_opt()?).filter(|_| !billed_by_bills) {
            run.charges =
                fill(item, stretch, amount, CostSource::Renewal, item.usage.as_ref().map(Into::into), covered);
            if run.charges.is_empty() && !amount.amount.is_zero() {
                run.skipped.push(stretch);
            }
        }
    } else {
        let mut covered = covered.to_vec();
        for renewal in passed {
            let cycle = DateRange::new(renewal.date, renewal.following(item.period)?.date.pred_opt()?)?;
            let charges = fill(item, cycle, item.cost, CostSource::Renewal, None, &covered);
            if charges.is_empty() && !item.cost.amount.is_zero() {
                run.skipped.push(cycle);
            }
            covered.extend(charges.iter().map(|c| c.period));
            run.charges.extend(charges);
        }
    }
    Some(run)
}

/// Records a subscription's price for the days from `billed_from` through `through` that no
/// record in `covered` pays for yet, split by calendar month (a month's share is the monthly
/// price x days / days in the month). An item that does not auto-renew is billed up to its expiry
/// date. Nothing for items that are not billed this way: one-time, free, usage-based (their bills
/// cover their cycles), or set suspended, cancelled or expired.
pub fn close_through(item: &Item, through: NaiveDate, covered: &[DateRange]) -> Vec<NewCostRecord> {
    let monthly = item.monthly_cost();
    let billed_by_time = item.period.is_recurring() && !item.period.bills_in_arrears();
    if item.status != ManualStatus::Active || !billed_by_time || monthly.amount.is_zero() {
        return Vec::new();
    }
    let end = match item.renewal {
        Some(expiry) if !item.auto_renew => through.min(expiry.date),
        _ => through,
    };
    let Some(span) = DateRange::new(item.billed_from, end) else { return Vec::new() };
    let mut records = Vec::new();
    let mut month = Month::of(span.start);
    while month <= Month::of(span.end) {
        let days = span.intersect(month.range()).expect("the month overlaps the span");
        let share = monthly.amount * Decimal::from(days.days()) / Decimal::from(month.days());
        records.extend(fill(item, days, Money::new(share, monthly.currency), CostSource::Snapshot, None, covered));
        month = month.next();
    }
    records
}

/// Month close for one item: [`close_through`] the last day of the month before `today`.
pub fn month_close(item: &Item, today: NaiveDate, covered: &[DateRange]) -> Vec<NewCostRecord> {
    let last_month_end = Month::of(today).first_day().pred_opt().expect("not the first day of time");
    close_through(item, last_month_end, covered)
}

/// What to record before an item's terms change (price, period, dates, status) or it is removed,
/// so the past stays billed at the terms it had: renewals that passed are charged, a subscription
/// is closed up to yesterday (or up to `expires`, a new expiry date that is already past), and a
/// usage item is billed for the usage of its open cycle so far. Returns the item brought up to
/// date and the records to write.
pub fn settle(
    item: &Item,
    today: NaiveDate,
    covered: &[DateRange],
    expires: Option<NaiveDate>,
) -> (Item, Vec<NewCostRecord>) {
    let mut records = Vec::new();
    let mut current = item.clone();
    if let Some(run) = due_renewals(item, today, covered) {
        current = run.applied_to(item);
        records = run.charges;
    }
    let mut covered = covered.to_vec();
    covered.extend(records.iter().map(|r| r.period));
    let yesterday = today.pred_opt().expect("not the first day of time");
    if !current.period.bills_in_arrears() {
        let through = expires.map_or(yesterday, |expiry| expiry.min(yesterday));
        records.extend(close_through(&current, through, &covered));
    } else if current.status == ManualStatus::Active
        && let Some(usage) = current.usage.clone()
        && let Some(so_far) = DateRange::new(current.billed_from, yesterday)
    {
        let amount = Money::new(usage.unbilled_cost(1), current.cost.currency);
        records.extend(fill(&current, so_far, amount, CostSource::Usage, Some((&usage).into()), &covered));
        current.usage = Some(Usage { billed: usage.used, ..usage });
        current.billed_from = today;
    }
    (current, records)
}

/// What the ledger would hold if every cost up to and including `today` were recorded now: the
/// renewals due by today, subscription days through today, and for a usage-based item its usage
/// so far and its base fee's share of the open cycle (which the cycle's bill will charge). Returns
/// the item as the jobs would leave it (renewals applied, a meter restarted when its cycle was
/// billed) and those records. Nothing is written: this is what analysis counts as spent so far.
pub fn accrued(item: &Item, today: NaiveDate, covered: &[DateRange]) -> (Item, Vec<NewCostRecord>) {
    let Some(tomorrow) = today.succ_opt() else { return (item.clone(), Vec::new()) };
    let run = due_renewals(item, tomorrow, covered);
    let current = run.as_ref().map_or_else(|| item.clone(), |run| run.applied_to(item));
    let (_, mut records) = settle(item, tomorrow, covered, None);
    let fee = current.cost;
    if current.period.bills_in_arrears()
        && current.status == ManualStatus::Active
        && !fee.amount.is_zero()
        && let Some(next) = current.renewal.filter(|r| r.date > today)
        && let Some(open) = DateRange::new(current.billed_from, next.date.pred_opt().unwrap_or(next.date))
    {
        let mut dealt = covered.to_vec();
        dealt.extend(run.iter().flat_map(|r| r.charges.iter().map(|c| c.period)));
        records.extend(fill(&current, open, fee, CostSource::Renewal, None, &dealt));
    }
    (current, records)
}

/// The maximal runs of days in `span` that none of `covered` contains: a sweep over the covered
/// ranges in start order, so a long span with many records stays cheap.
fn uncovered_runs(span: DateRange, covered: &[DateRange]) -> Vec<DateRange> {
    let mut inside: Vec<DateRange> = covered.iter().filter_map(|r| r.intersect(span)).collect();
    inside.sort_unstable_by_key(|r| r.start);
    let mut runs = Vec::new();
    // The first day not yet known to be covered; `None` once past the span's end.
    let mut next = Some(span.start);
    for range in inside {
        let Some(from) = next else { break };
        if range.start > from {
            runs.push(DateRange { start: from, end: range.start.pred_opt().expect("after from") });
        }
        if range.end >= from {
            next = range.end.succ_opt().filter(|d| *d <= span.end);
        }
    }
    if let Some(from) = next {
        runs.push(DateRange { start: from, end: span.end });
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::item::{BillingPeriod, ItemChanges, Kind};
    use crate::domain::money::Currency;
    use crate::domain::testing::{d, dec};
    use crate::domain::text::{ItemName, Label};

    fn range(a: &str, b: &str) -> DateRange {
        DateRange::new(d(a), d(b)).unwrap()
    }

    #[test]
    fn periods_recorded_by_hand_run_forwards_for_at_most_ten_years() {
        #[track_caller]
        fn check(from: &str, to: &str, expected: Result<(), &str>) {
            let found = recorded_period(d(from), d(to)).map(|_| ()).map_err(|e| e.to_string());
            match (found, expected) {
                (Ok(()), Ok(())) => {}
                (Err(error), Err(fragment)) => assert!(error.contains(fragment), "{from} to {to}: {error}"),
                (found, expected) => panic!("{from} to {to}: got {found:?}, want {expected:?}"),
            }
        }
        check("2026-11-01", "2026-11-01", Ok(()));
        check("2026-01-01", "2035-12-31", Ok(()));
        check("2024-02-29", "2034-02-27", Ok(()));
        check(
            "2026-01-01",
            "2036-01-01",
            Err("The period `2026-01-01 to 2036-01-01` is not valid: it is more than 10 years long"),
        );
        check("2000-01-01", "2100-12-31", Err("record each term on its own"));
        check("2026-12-01", "2026-11-01", Err("The dates run backwards: 2026-12-01 is after 2026-11-01; swap them"));
    }

    /// An item billed from 2026-01-01 (unless changed), with the given terms.
    fn item(cost: &str, period: BillingPeriod, renewal: Option<&str>, auto_renew: bool) -> Item {
        let changes = ItemChanges {
            name: Some(ItemName::parse("x").unwrap()),
            cost: Some(dec(cost)),
            period: Some(BillingPeriod::Monthly),
            ..Default::default()
        };
        let now = "2026-01-01T00:00:00Z".parse().unwrap();
        let (mut item, _) = Item::create(Kind::Other, &changes, Currency::USD, d("2026-01-01"), now).unwrap();
        item.id = 7;
        item.period = period;
        item.renewal = renewal.map(|r| Renewal::on(d(r)));
        item.auto_renew = auto_renew;
        item
    }

    fn metered(mut item: Item, used: &str) -> Item {
        item.usage = Some(Usage {
            last_cycle: None,
            unit: Label::parse("unit", "request").unwrap(),
            unit_price: Some(dec("0.01")),
            included: Some(dec("100")),
            used: dec(used),
            limit: None,
            billed: Decimal::ZERO,
            read_on: None,
        });
        item
    }

    type Row = (NaiveDate, NaiveDate, Decimal);

    fn rows(records: &[NewCostRecord]) -> Vec<Row> {
        records.iter().map(|r| (r.period.start, r.period.end, r.amount.rounded())).collect()
    }

    fn want(expected: &[(&str, &str, &str)]) -> Vec<Row> {
        expected.iter().map(|(a, b, m)| (d(a), d(b), dec(m))).collect()
    }

    /// (period start, period end, amount) of each charge, and the next renewal date.
    #[track_caller]
    fn check_renewals(
        item: &Item,
        today: &str,
        covered: &[DateRange],
        expected: &[(&str, &str, &str)],
        next: Option<&str>,
    ) {
        let run = due_renewals(item, d(today), covered);
        assert_eq!(rows(run.as_ref().map_or(&[][..], |r| &r.charges)), want(expected), "charges as of {today}");
        assert_eq!(run.map(|r| r.next.date), next.map(d), "next renewal as of {today}");
    }

    #[test]
    fn renewal_advancement() {
        use BillingPeriod::*;
        let monthly = item("30", Monthly, Some("2026-01-31"), true);
        check_renewals(&monthly, "2026-01-31", &[], &[], None); // due today: not yet passed
        check_renewals(&monthly, "2026-02-01", &[], &[("2026-01-31", "2026-02-27", "30")], Some("2026-02-28"));
        // Downtime across three renewals charges each once, anchored to the 31st.
        check_renewals(
            &monthly,
            "2026-04-02",
            &[],
            &[
                ("2026-01-31", "2026-02-27", "30"),
                ("2026-02-28", "2026-03-30", "30"),
                ("2026-03-31", "2026-04-29", "30"),
            ],
            Some("2026-04-30"),
        );
        let leap = item("12", Yearly, Some("2028-02-29"), true);
        check_renewals(&leap, "2028-03-01", &[], &[("2028-02-29", "2029-02-27", "12")], Some("2029-02-28"));
        let quarterly = item("90", Quarterly, Some("2026-11-30"), true);
        check_renewals(&quarterly, "2026-12-01", &[], &[("2026-11-30", "2027-02-27", "90")], Some("2027-02-28"));
        check_renewals(&item("30", Monthly, Some("2026-01-31"), false), "2026-06-01", &[], &[], None);
        check_renewals(&item("30", OneTime, Some("2026-01-31"), false), "2026-06-01", &[], &[], None);
        check_renewals(&item("30", Monthly, None, true), "2026-06-01", &[], &[], None);
    }

    #[test]
    fn days_paid_by_hand_are_not_charged_again() {
        let monthly = item("20", BillingPeriod::Monthly, Some("2026-10-12"), true);
        // October was paid by hand: the Oct 12 cycle is charged only for Nov 1-11.
        let invoice = [range("2026-10-01", "2026-10-31")];
        check_renewals(
            &monthly,
            "2026-11-13",
            &invoice,
            &[("2026-11-01", "2026-11-11", "7.10"), ("2026-11-12", "2026-12-11", "20")],
            Some("2026-12-12"),
        );
        // A cycle paid entirely by hand is skipped, and reported as such.
        let run = due_renewals(&monthly, d("2026-10-13"), &[range("2026-10-12", "2026-11-11")]).unwrap();
        assert!(run.charges.is_empty());
        assert_eq!(run.skipped, [range("2026-10-12", "2026-11-11")]);
    }

    #[test]
    fn renewal_is_idempotent_once_the_next_date_is_stored() {
        let monthly = item("30", BillingPeriod::Monthly, Some("2026-10-15"), true);
        let run = due_renewals(&monthly, d("2026-11-30"), &[]).unwrap();
        assert_eq!(run.charges.len(), 2);
        assert_eq!(due_renewals(&run.applied_to(&monthly), d("2026-11-30"), &[]), None);
    }

    #[test]
    fn suspended_items_are_not_charged() {
        let mut monthly = item("30", BillingPeriod::Monthly, Some("2026-10-15"), true);
        monthly.status = ManualStatus::Suspended;
        assert_eq!(due_renewals(&monthly, d("2026-11-30"), &[]), None);
    }

    #[test]
    fn usage_is_charged_in_arrears_and_the_meter_restarts() {
        let ai =
            billed_from(metered(item("5", BillingPeriod::UsageBased, Some("2026-10-01"), true), "600"), "2026-09-01");
        // The Oct 1 bill is for September; Nov 1's for October. After downtime both are due, in
        // one charge for the stretch: two base fees, and the meter's usage less two free tiers.
        let run = due_renewals(&ai, d("2026-11-02"), &[]).unwrap();
        assert_eq!(rows(&run.charges), want(&[("2026-09-01", "2026-10-31", "14")])); // 2 x 5 + (600 - 200) x 0.01
        assert_eq!(run.charges[0].usage.as_ref().unwrap().used, dec("600"));
        let after = run.applied_to(&ai);
        assert_eq!(after.usage.as_ref().unwrap().used, Decimal::ZERO);
        assert_eq!(after.billed_from, d("2026-11-01"));
        assert_eq!(after.renewal.unwrap().date, d("2026-12-01"));
        // The reading the bill went by is kept for the run-rate (an unread meter keeps none).
        let mut read = ai.clone();
        read.usage.as_mut().unwrap().read_on = Some(d("2026-09-20"));
        let kept =
            due_renewals(&read, d("2026-10-02"), &[]).unwrap().applied_to(&read).usage.unwrap().last_cycle.unwrap();
        assert_eq!(
            (kept.used, kept.read_on, kept.cycle.start, kept.cycle.end),
            (dec("600"), d("2026-09-20"), d("2026-09-01"), d("2026-09-30"))
        );
        assert_eq!(after.usage.as_ref().unwrap().last_cycle, None);
        // On time, one cycle: one base fee and one free tier.
        let run = due_renewals(&ai, d("2026-10-02"), &[]).unwrap();
        assert_eq!(rows(&run.charges), want(&[("2026-09-01", "2026-09-30", "10")])); // 5 + (600 - 100) x 0.01
    }

    #[test]
    fn quota_meters_without_a_price_are_not_reset() {
        let mut supabase = item("25", BillingPeriod::Monthly, Some("2026-10-01"), true);
        supabase.usage = Some(Usage {
            last_cycle: None,
            unit: Label::parse("u", "GB").unwrap(),
            unit_price: None,
            included: None,
            used: dec("6.1"),
            limit: Some(dec("8")),
            billed: Decimal::ZERO,
            read_on: None,
        });
        let run = due_renewals(&supabase, d("2026-10-02"), &[]).unwrap();
        assert_eq!(run.applied_to(&supabase).usage.unwrap().used, dec("6.1"));
    }

    #[track_caller]
    fn check_close(item: &Item, today: &str, covered: &[DateRange], expected: &[(&str, &str, &str)]) {
        assert_eq!(rows(&month_close(item, d(today), covered)), want(expected), "month close on {today}");
    }

    fn billed_from(mut item: Item, date: &str) -> Item {
        item.billed_from = d(date);
        item
    }

    #[test]
    fn month_close_records_elapsed_months_and_prorates_partial_ones() {
        let monthly = billed_from(item("31", BillingPeriod::Monthly, None, false), "2026-10-01");
        check_close(&monthly, "2026-10-30", &[], &[]); // October has not ended
        check_close(
            &monthly,
            "2026-12-01",
            &[],
            &[("2026-10-01", "2026-10-31", "31"), ("2026-11-01", "2026-11-30", "31")],
        );
        check_close(
            &billed_from(monthly.clone(), "2026-10-21"),
            "2026-11-01",
            &[],
            &[("2026-10-21", "2026-10-31", "11")],
        );
        let yearly = billed_from(item("120", BillingPeriod::Yearly, None, false), "2026-09-01");
        check_close(&yearly, "2026-10-15", &[], &[("2026-09-01", "2026-09-30", "10")]);
    }

    #[test]
    fn month_close_fills_only_what_no_record_covers() {
        let monthly = billed_from(item("31", BillingPeriod::Monthly, None, false), "2026-10-01");
        // A renewal charge for Oct 15 - Nov 14 leaves Oct 1-14 and Nov 15-30 to month close.
        let covered = [range("2026-10-15", "2026-11-14")];
        check_close(
            &monthly,
            "2026-12-05",
            &covered,
            &[("2026-10-01", "2026-10-14", "14"), ("2026-11-15", "2026-11-30", "16.53")],
        );
        // Running it again, with what it wrote now stored, writes nothing.
        let mut all = covered.to_vec();
        all.extend(month_close(&monthly, d("2026-12-05"), &covered).iter().map(|r| r.period));
        check_close(&monthly, "2026-12-05", &all, &[]);
    }

    #[test]
    fn month_close_stops_at_the_expiry_date() {
        // Not auto-renewing: paid up to Nov 10, and that last part of November still counts.
        let domain = billed_from(item("30", BillingPeriod::Monthly, Some("2026-11-10"), false), "2026-10-01");
        check_close(
            &domain,
            "2026-12-02",
            &[],
            &[("2026-10-01", "2026-10-31", "30"), ("2026-11-01", "2026-11-10", "10")],
        );
    }

    #[test]
    fn month_close_leaves_usage_to_its_bills() {
        let ai =
            billed_from(metered(item("0", BillingPeriod::UsageBased, Some("2026-12-15"), true), "500"), "2026-11-15");
        check_close(&ai, "2026-12-01", &[], &[]);
    }

    #[test]
    fn month_close_skips_what_is_not_billed() {
        check_close(&item("31", BillingPeriod::OneTime, None, false), "2026-12-05", &[], &[]);
        check_close(&item("0", BillingPeriod::Monthly, None, false), "2026-12-05", &[], &[]);
        let mut cancelled = item("31", BillingPeriod::Monthly, None, false);
        cancelled.status = ManualStatus::Cancelled;
        check_close(&cancelled, "2026-12-05", &[], &[]);
    }

    #[test]
    fn settling_before_a_price_change_closes_up_to_yesterday_at_the_old_price() {
        let monthly = billed_from(item("30", BillingPeriod::Monthly, None, false), "2026-11-01");
        let (_, records) = settle(&monthly, d("2026-11-16"), &[], None);
        assert_eq!(rows(&records), want(&[("2026-11-01", "2026-11-15", "15")]));
        // A new expiry date that already passed caps it.
        let (_, records) = settle(&monthly, d("2026-11-30"), &[], Some(d("2026-11-10")));
        assert_eq!(rows(&records), want(&[("2026-11-01", "2026-11-10", "10")]));
    }

    #[test]
    fn settling_charges_passed_renewals_first() {
        let monthly = billed_from(item("30", BillingPeriod::Monthly, Some("2026-11-05"), true), "2026-11-05");
        let (current, records) = settle(&monthly, d("2026-12-10"), &[], None);
        assert_eq!(current.renewal.unwrap().date, d("2027-01-05"));
        // Nov 5 and Dec 5 renewals pay for Nov 5 - Jan 4; nothing is left to close.
        assert_eq!(rows(&records), want(&[("2026-11-05", "2026-12-04", "30"), ("2026-12-05", "2027-01-04", "30")]));
    }

    #[test]
    fn settling_a_usage_item_bills_its_usage_so_far_and_the_bill_the_rest() {
        let ai =
            billed_from(metered(item("0", BillingPeriod::UsageBased, Some("2026-12-01"), true), "1100"), "2026-11-01");
        let (settled, records) = settle(&ai, d("2026-11-20"), &[], None);
        assert_eq!(rows(&records), want(&[("2026-11-01", "2026-11-19", "10")])); // (1100 - 100) x 0.01
        assert_eq!(records[0].source, CostSource::Usage);
        assert_eq!(settled.billed_from, d("2026-11-20"));
        // The meter keeps the provider's count for the cycle; the bill charges only the rest.
        let mut later = settled.clone();
        later.usage.as_mut().unwrap().used = dec("1500");
        let run = due_renewals(&later, d("2026-12-02"), &[]).unwrap();
        assert_eq!(rows(&run.charges), want(&[("2026-11-20", "2026-11-30", "4")])); // 14 - 10
    }

    #[test]
    fn records_spread_over_their_days() {
        let record = CostRecord {
            id: 1,
            uuid: uuid::Uuid::nil(),
            item_id: 7,
            amount: Money::new(dec("365"), Currency::USD),
            period: range("2026-01-01", "2026-12-31"),
            source: CostSource::Renewal,
            usage: None,
            note: None,
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            created_by: "jarvis".into(),
        };
        assert_eq!(record.amount_within(range("2026-02-01", "2026-02-28")), dec("28"));
        assert_eq!(record.amount_within(range("2025-01-01", "2027-12-31")), dec("365"));
        assert_eq!(record.amount_within(range("2027-01-01", "2027-01-31")), dec("0"));
    }

    #[test]
    fn uncovered_runs_split_around_coverage() {
        let span = range("2026-11-01", "2026-11-30");
        assert_eq!(uncovered_runs(span, &[]), [span]);
        assert_eq!(uncovered_runs(span, &[range("2026-10-01", "2026-12-31")]), []);
        assert_eq!(
            uncovered_runs(span, &[range("2026-11-05", "2026-11-10"), range("2026-11-20", "2026-11-30")]),
            [range("2026-11-01", "2026-11-04"), range("2026-11-11", "2026-11-19")]
        );
        // Unsorted, overlapping and nested ranges, and ranges outside the span.
        let covered = [
            range("2026-11-20", "2026-11-25"),
            range("2026-11-03", "2026-11-08"),
            range("2026-11-05", "2026-11-06"),
            range("2026-11-07", "2026-11-12"),
            range("2026-12-01", "2026-12-31"),
            range("2026-10-01", "2026-11-01"),
        ];
        assert_eq!(
            uncovered_runs(span, &covered),
            [range("2026-11-02", "2026-11-02"), range("2026-11-13", "2026-11-19"), range("2026-11-26", "2026-11-30")]
        );
        // Adjacent ranges leave no gap; the span's last day alone is a run.
        let adjacent = [range("2026-11-01", "2026-11-10"), range("2026-11-11", "2026-11-29")];
        assert_eq!(uncovered_runs(span, &adjacent), [range("2026-11-30", "2026-11-30")]);
    }
}
