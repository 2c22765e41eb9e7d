//! Cost history and the two jobs that write it: renewal advancement (charges an auto-renewing
//! item each time its date passes) and month close (records each billable recurring item's cost
//! for every elapsed month that no record covers yet). Both are pure: they say what to write.

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

/// What renewal advancement does to one item.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RenewalRun {
    /// One charge per renewal date that passed, oldest first.
    pub charges: Vec<NewCostRecord>,
    /// The renewal date to store afterwards (on or after today).
    pub next: Renewal,
    /// Whether the usage meter restarts (a new billing cycle began).
    pub resets_usage: bool,
}

/// The charges due for an auto-renewing item whose renewal date has passed (is before `today`).
/// Each passed date is charged once; the first charge carries the cycle's usage, later ones (after
/// downtime) only the price, since the meter restarts with each cycle. `None` when nothing is due.
pub fn due_renewals(item: &Item, today: NaiveDate) -> Option<RenewalRun> {
    if !item.auto_renew || item.status != ManualStatus::Active || !item.period.is_recurring() {
        return None;
    }
    let mut renewal = item.renewal.filter(|r| r.date < today)?;
    let mut charges = Vec::new();
    while renewal.date < today {
        let next = renewal.following(item.period)?;
        let first = charges.is_empty();
        let amount = if first { item.cycle_cost() } else { item.cost };
        let covers = DateRange::new(renewal.date, next.date.pred_opt()?)?;
        charges.push(NewCostRecord {
            item_id: item.id,
            amount,
            period: covers,
            source: CostSource::Renewal,
            usage: if first { item.usage.as_ref().map(UsageSnapshot::from) } else { None },
            note: None,
        });
        renewal = next;
    }
    Some(RenewalRun { charges, next: renewal, resets_usage: item.usage.is_some() })
}

/// Month close for one item: for every fully elapsed month from the month of `tracked_since`
/// (the day the item was added, in the workspace's timezone) up to the month before `today`, the
/// item's monthly cost for the days no existing record covers (`covered`). A month that records
/// already cover fully gets nothing, so running it again writes nothing.
pub fn month_close(
    item: &Item,
    tracked_since: NaiveDate,
    today: NaiveDate,
    window_days: u32,
    covered: &[DateRange],
) -> Vec<NewCostRecord> {
    let monthly = item.monthly_cost();
    if !item.period.is_recurring() || monthly.amount.is_zero() || !item.status(today, window_days).is_billable() {
        return Vec::new();
    }
    let mut records = Vec::new();
    let mut month = Month::of(tracked_since);
    let current = Month::of(today);
    while month < current {
        let Some(span) = month.range().intersect(DateRange { start: tracked_since, end: month.last_day() }) else {
            month = month.next();
            continue;
        };
        for gap in uncovered_runs(span, covered) {
            let amount = monthly.amount * Decimal::from(gap.days()) / Decimal::from(month.days());
            records.push(NewCostRecord {
                item_id: item.id,
                amount: Money::new(amount, monthly.currency),
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

    fn item(cost: &str, period: BillingPeriod, renewal: Option<&str>, auto_renew: bool) -> Item {
        let changes = ItemChanges {
            name: Some(ItemName::parse("x").unwrap()),
            cost: Some(dec(cost)),
            period: Some(period),
            ..Default::default()
        };
        let (mut item, _) = Item::create(
            Kind::Other,
            &changes,
            Currency::USD,
            d("2000-01-01"),
            "2026-01-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        item.id = 7;
        item.renewal = renewal.map(|r| Renewal::on(d(r)));
        item.auto_renew = auto_renew;
        item
    }

    /// (period start, period end, amount) of each charge, and the next renewal date.
    #[track_caller]
    fn check_renewals(item: &Item, today: &str, expected: &[(&str, &str, &str)], next: Option<&str>) {
        let run = due_renewals(item, d(today));
        let actual: Vec<(NaiveDate, NaiveDate, Decimal)> =
            run.iter().flat_map(|r| &r.charges).map(|c| (c.period.start, c.period.end, c.amount.amount)).collect();
        let expected: Vec<_> = expected.iter().map(|(a, b, m)| (d(a), d(b), dec(m))).collect();
        assert_eq!(actual, expected, "charges as of {today}");
        assert_eq!(run.map(|r| r.next.date), next.map(d), "next renewal as of {today}");
    }

    #[test]
    fn renewal_advancement() {
        use BillingPeriod::*;
        let monthly = item("30", Monthly, Some("2026-01-31"), true);
        check_renewals(&monthly, "2026-01-31", &[], None); // due today: not yet passed
        check_renewals(&monthly, "2026-02-01", &[("2026-01-31", "2026-02-27", "30")], Some("2026-02-28"));
        // A week of downtime across two renewals charges both, once each, anchored to the 31st.
        check_renewals(
            &monthly,
            "2026-04-02",
            &[
                ("2026-01-31", "2026-02-27", "30"),
                ("2026-02-28", "2026-03-30", "30"),
                ("2026-03-31", "2026-04-29", "30"),
            ],
            Some("2026-04-30"),
        );
        let leap = item("12", Yearly, Some("2028-02-29"), true);
        check_renewals(&leap, "2028-03-01", &[("2028-02-29", "2029-02-27", "12")], Some("2029-02-28"));
        let quarterly = item("90", Quarterly, Some("2026-11-30"), true);
        check_renewals(&quarterly, "2026-12-01", &[("2026-11-30", "2027-02-27", "90")], Some("2027-02-28"));
        check_renewals(&item("30", Monthly, Some("2026-01-31"), false), "2026-06-01", &[], None);
        check_renewals(&item("30", OneTime, Some("2026-01-31"), false), "2026-06-01", &[], None);
        check_renewals(&item("30", Monthly, None, true), "2026-06-01", &[], None);
    }

    #[test]
    fn renewal_is_idempotent_once_the_next_date_is_stored() {
        let mut monthly = item("30", BillingPeriod::Monthly, Some("2026-10-15"), true);
        let run = due_renewals(&monthly, d("2026-11-30")).unwrap();
        assert_eq!(run.charges.len(), 2);
        monthly.renewal = Some(run.next);
        assert_eq!(due_renewals(&monthly, d("2026-11-30")), None);
    }

    #[test]
    fn suspended_items_are_not_charged() {
        let mut monthly = item("30", BillingPeriod::Monthly, Some("2026-10-15"), true);
        monthly.status = ManualStatus::Suspended;
        assert_eq!(due_renewals(&monthly, d("2026-11-30")), None);
    }

    #[test]
    fn the_first_charge_carries_usage_and_the_meter_restarts() {
        let mut ai = item("5", BillingPeriod::Monthly, Some("2026-10-01"), true);
        ai.period = BillingPeriod::UsageBased;
        ai.usage = Some(Usage {
            unit: Label::parse("unit", "request").unwrap(),
            unit_price: Some(dec("0.01")),
            included: Some(dec("100")),
            used: dec("600"),
            limit: None,
        });
        let run = due_renewals(&ai, d("2026-11-02")).unwrap();
        let amounts: Vec<Decimal> = run.charges.iter().map(|c| c.amount.amount).collect();
        assert_eq!(amounts, [dec("10"), dec("5")]);
        assert_eq!(run.charges[0].usage.as_ref().unwrap().used, dec("600"));
        assert!(run.charges[1].usage.is_none());
        assert!(run.resets_usage);
    }

    /// (start, end, amount rounded to cents) of each snapshot.
    #[track_caller]
    fn check_close(item: &Item, since: &str, today: &str, covered: &[DateRange], expected: &[(&str, &str, &str)]) {
        let actual: Vec<(NaiveDate, NaiveDate, Decimal)> = month_close(item, d(since), d(today), 30, covered)
            .iter()
            .map(|r| (r.period.start, r.period.end, r.amount.rounded()))
            .collect();
        let expected: Vec<_> = expected.iter().map(|(a, b, m)| (d(a), d(b), dec(m))).collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn month_close_records_elapsed_months_and_prorates_the_first() {
        let monthly = item("31", BillingPeriod::Monthly, None, false);
        check_close(&monthly, "2026-11-20", "2026-11-30", &[], &[]); // November has not ended
        check_close(
            &monthly,
            "2026-10-01",
            "2026-12-01",
            &[],
            &[("2026-10-01", "2026-10-31", "31"), ("2026-11-01", "2026-11-30", "31")],
        );
        check_close(&monthly, "2026-10-21", "2026-11-01", &[], &[("2026-10-21", "2026-10-31", "11")]);
        let yearly = item("120", BillingPeriod::Yearly, None, false);
        check_close(&yearly, "2026-09-01", "2026-10-15", &[], &[("2026-09-01", "2026-09-30", "10")]);
    }

    #[test]
    fn month_close_fills_only_what_no_record_covers() {
        let monthly = item("31", BillingPeriod::Monthly, None, false);
        // A renewal charge for Oct 15 - Nov 14 leaves Oct 1-14 and Nov 15-30 to the snapshot.
        let covered = [range("2026-10-15", "2026-11-14")];
        check_close(
            &monthly,
            "2026-10-01",
            "2026-12-05",
            &covered,
            &[("2026-10-01", "2026-10-14", "14"), ("2026-11-15", "2026-11-30", "16.53")],
        );
        // Running it again, with what it wrote now stored, writes nothing.
        let mut all = covered.to_vec();
        all.extend(month_close(&monthly, d("2026-10-01"), d("2026-12-05"), 30, &covered).iter().map(|r| r.period));
        check_close(&monthly, "2026-10-01", "2026-12-05", &all, &[]);
    }

    #[test]
    fn month_close_skips_what_is_not_billed() {
        check_close(&item("31", BillingPeriod::OneTime, None, false), "2026-01-01", "2026-12-05", &[], &[]);
        check_close(&item("0", BillingPeriod::Monthly, None, false), "2026-01-01", "2026-12-05", &[], &[]);
        check_close(
            &item("31", BillingPeriod::Monthly, Some("2026-06-01"), false),
            "2026-01-01",
            "2026-12-05",
            &[],
            &[],
        ); // expired
        let mut cancelled = item("31", BillingPeriod::Monthly, None, false);
        cancelled.status = ManualStatus::Cancelled;
        check_close(&cancelled, "2026-01-01", "2026-12-05", &[], &[]);
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
