//! Cost history and the rules that write it: renewal advancement (charges an auto-renewing item
//! each time its date passes), month close (records each billable item's cost for elapsed days no
//! record covers yet) and settling an item before its terms change. All pure: they say what to
//! write; the app layer writes it.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::calendar::{DateRange, Month};
use super::choice::choice_enum;
use super::item::{Item, ManualStatus, Renewal, Usage};
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

/// The usage behind a charge, kept with the record so history explains itself.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct UsageSnapshot {
    pub unit: String,
    pub used: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
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
    /// One charge per renewal date that passed, oldest first, except cycles a record already pays
    /// for (an invoice recorded by hand).
    pub charges: Vec<NewCostRecord>,
    /// The renewal date to store afterwards (on or after today).
    pub next: Renewal,
    /// Whether the usage meter restarts: it is billed per unit and a new cycle began.
    pub resets_usage: bool,
}

impl RenewalRun {
    /// The item as it is after the run: next renewal date stored, meter restarted.
    pub fn applied_to(&self, item: &Item) -> Item {
        let mut item = item.clone();
        item.renewal = Some(self.next);
        if self.resets_usage
            && let Some(usage) = &mut item.usage
        {
            usage.used = Decimal::ZERO;
        }
        item
    }
}

/// The charges due for an auto-renewing item whose renewal date has passed (is before `today`).
///
/// Subscriptions are paid in advance: the charge on a renewal date pays for the cycle that starts
/// then. Usage is paid in arrears: the charge on a billing date pays for the cycle that just ended.
/// Each passed date is charged once; the first charge carries the meter's usage, later ones (after
/// downtime) only the price, since the meter counts one cycle. A cycle whose first day a record
/// in `covered` already pays for is not charged again. `None` when nothing is due.
pub fn due_renewals(item: &Item, today: NaiveDate, covered: &[DateRange]) -> Option<RenewalRun> {
    if !item.auto_renew || item.status != ManualStatus::Active || !item.period.is_recurring() {
        return None;
    }
    let mut renewal = item.renewal.filter(|r| r.date < today)?;
    let mut charges = Vec::new();
    let mut first = true;
    while renewal.date < today {
        let next = renewal.following(item.period)?;
        let cycle = if item.period.bills_in_arrears() {
            DateRange::new(renewal.preceding(item.period)?.date, renewal.date.pred_opt()?)?
        } else {
            DateRange::new(renewal.date, next.date.pred_opt()?)?
        };
        if !covered.iter().any(|c| c.contains(cycle.start)) {
            charges.push(NewCostRecord {
                item_id: item.id,
                amount: if first { item.cycle_cost() } else { item.cost },
                period: cycle,
                source: CostSource::Renewal,
                usage: if first { item.usage.as_ref().map(UsageSnapshot::from) } else { None },
                note: None,
            });
        }
        first = false;
        renewal = next;
    }
    let resets_usage = item.usage.as_ref().is_some_and(|u| u.unit_price.is_some());
    Some(RenewalRun { charges, next: renewal, resets_usage })
}

/// Records the item's cost for the days from `billed_from` through `through` that no record in
/// `covered` pays for yet, at its current terms, split by calendar month (each month's share is
/// its monthly cost x days / days in the month). Nothing for items that are not billed: one-time,
/// free, or set suspended, cancelled or expired. An item that does not auto-renew is billed up to
/// its expiry date; a usage-billed item not past its open cycle, which its billing date charges.
pub fn close_through(item: &Item, through: NaiveDate, covered: &[DateRange]) -> Vec<NewCostRecord> {
    let monthly = item.monthly_cost();
    if item.status != ManualStatus::Active || !item.period.is_recurring() || monthly.amount.is_zero() {
        return Vec::new();
    }
    let mut end = through;
    if let Some(renewal) = item.renewal {
        if !item.auto_renew {
            end = end.min(renewal.date);
        } else if item.period.bills_in_arrears()
            && let Some(open_cycle) = renewal.preceding(item.period)
        {
            end = end.min(open_cycle.date.pred_opt().unwrap_or(open_cycle.date));
        }
    }
    let Some(span) = DateRange::new(item.billed_from, end) else { return Vec::new() };
    let mut records = Vec::new();
    let mut month = Month::of(span.start);
    while month <= Month::of(span.end) {
        let within = span.intersect(month.range()).expect("the month overlaps the span");
        for gap in uncovered_runs(within, covered) {
            records.push(NewCostRecord {
                item_id: item.id,
                amount: Money::new(
                    monthly.amount * Decimal::from(gap.days()) / Decimal::from(month.days()),
                    monthly.currency,
                ),
                period: gap,
                source: CostSource::Snapshot,
                usage: None,
                note: None,
            });
        }
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
/// so the past stays billed at the terms it had: renewals that passed are charged, and the days up
/// to yesterday are closed. A usage-billed item that `stops` is billed for its open cycle's usage.
/// Returns the item brought up to date (renewal advanced) and the records to write.
pub fn settle(item: &Item, today: NaiveDate, covered: &[DateRange], stops: bool) -> (Item, Vec<NewCostRecord>) {
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
        records.extend(close_through(&current, yesterday, &covered));
    } else if stops && current.status == ManualStatus::Active {
        let open_cycle_start = match current.renewal.filter(|_| current.auto_renew) {
            Some(renewal) => renewal.preceding(current.period).map_or(renewal.date, |r| r.date),
            None => Month::of(today).first_day(),
        };
        let start = open_cycle_start.max(current.billed_from);
        let cost = current.cycle_cost();
        if !cost.amount.is_zero() && !covered.iter().any(|c| c.contains(start)) {
            records.push(NewCostRecord {
                item_id: current.id,
                amount: cost,
                period: DateRange { start, end: yesterday.max(start) },
                source: CostSource::Usage,
                usage: current.usage.as_ref().map(UsageSnapshot::from),
                note: Notes::parse("usage of the last, unfinished cycle").ok(),
            });
        }
    }
    (current, records)
}

/// The maximal runs of days in `span` that none of `covered` contains.
fn uncovered_runs(span: DateRange, covered: &[DateRange]) -> Vec<DateRange> {
    let mut runs = Vec::new();
    let mut start: Option<NaiveDate> = None;
    for day in span.start.iter_days().take_while(|d| *d <= span.end) {
        let is_covered = covered.iter().any(|r| r.contains(day));
        match (is_covered, start) {
            (false, None) => start = Some(day),
            (true, Some(s)) => {
                runs.push(DateRange { start: s, end: day.pred_opt().expect("after start") });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push(DateRange { start: s, end: span.end });
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
            unit: Label::parse("unit", "request").unwrap(),
            unit_price: Some(dec("0.01")),
            included: Some(dec("100")),
            used: dec(used),
            limit: None,
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
    fn a_cycle_paid_by_hand_is_not_charged_again() {
        let monthly = item("20", BillingPeriod::Monthly, Some("2026-10-12"), true);
        let invoice = [range("2026-10-01", "2026-10-31")];
        check_renewals(&monthly, "2026-11-13", &invoice, &[("2026-11-12", "2026-12-11", "20")], Some("2026-12-12"));
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
        let ai = metered(item("5", BillingPeriod::UsageBased, Some("2026-10-01"), true), "600");
        let run = due_renewals(&ai, d("2026-11-02"), &[]).unwrap();
        // The Oct 1 bill pays for September, with the metered usage; Nov 1 pays for October.
        assert_eq!(rows(&run.charges), want(&[("2026-09-01", "2026-09-30", "10"), ("2026-10-01", "2026-10-31", "5")]));
        assert_eq!(run.charges[0].usage.as_ref().unwrap().used, dec("600"));
        assert!(run.charges[1].usage.is_none());
        assert!(run.resets_usage);
        assert_eq!(run.applied_to(&ai).usage.unwrap().used, Decimal::ZERO);
    }

    #[test]
    fn quota_meters_without_a_price_are_not_reset() {
        let mut supabase = item("25", BillingPeriod::Monthly, Some("2026-10-01"), true);
        supabase.usage = Some(Usage {
            unit: Label::parse("u", "GB").unwrap(),
            unit_price: None,
            included: None,
            used: dec("6.1"),
            limit: Some(dec("8")),
        });
        let run = due_renewals(&supabase, d("2026-10-02"), &[]).unwrap();
        assert!(!run.resets_usage);
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
    fn month_close_leaves_an_open_usage_cycle_to_its_bill() {
        // Billed on the 15th in arrears: Nov 15 - Dec 14 is charged on Dec 15, not by month close.
        let ai =
            billed_from(metered(item("0", BillingPeriod::UsageBased, Some("2026-12-15"), true), "500"), "2026-11-20");
        check_close(&ai, "2026-12-01", &[range("2026-10-15", "2026-11-14")], &[]);
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
        let (_, records) = settle(&monthly, d("2026-11-16"), &[], false);
        assert_eq!(rows(&records), want(&[("2026-11-01", "2026-11-15", "15")]));
    }

    #[test]
    fn settling_charges_passed_renewals_first() {
        let monthly = billed_from(item("30", BillingPeriod::Monthly, Some("2026-11-05"), true), "2026-11-05");
        let (current, records) = settle(&monthly, d("2026-12-10"), &[], true);
        assert_eq!(current.renewal.unwrap().date, d("2027-01-05"));
        // Nov 5 and Dec 5 renewals pay for Nov 5 - Jan 4; nothing is left to close.
        assert_eq!(rows(&records), want(&[("2026-11-05", "2026-12-04", "30"), ("2026-12-05", "2027-01-04", "30")]));
    }

    #[test]
    fn a_stopping_usage_item_is_billed_for_its_open_cycle() {
        let ai =
            billed_from(metered(item("0", BillingPeriod::UsageBased, Some("2026-12-01"), true), "1100"), "2026-10-01");
        let (_, records) = settle(&ai, d("2026-11-20"), &[], true);
        assert_eq!(rows(&records), want(&[("2026-11-01", "2026-11-19", "10")]));
        assert_eq!(records[0].source, CostSource::Usage);
        // Not stopping (e.g. a price change): the open cycle is billed on its date as usual.
        assert!(settle(&ai, d("2026-11-20"), &[], false).1.is_empty());
    }

    #[test]
    fn records_spread_over_their_days() {
        let record = CostRecord {
            id: 1,
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
    }
}
