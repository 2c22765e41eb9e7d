//! Month roll-ups: what one item's cost records pay for, calendar month by calendar month. They
//! are the read model's unit: kept beside the records in the same transaction as every write, so
//! that reading a year of spending costs a row per item and month, not a row per record.
//!
//! A record spreads its amount evenly over the days it pays for (a yearly charge counts 1/365 a
//! day), converted (at read time, with the rates then known) at the rate of its first day. Each
//! month a record touches holds a [`Segment`] for it: its whole days, the days of them in that
//! month, and its whole amount. Records of one item with the same currency and the same days are
//! one segment, their amounts summed exactly in the order the records were written. So a month's
//! spend is worked out from a segment exactly as from the records: the whole amount converted,
//! then its share of the days wanted; and building the roll-ups of the same records always gives
//! the same decimals: roll-ups kept up write by write equal roll-ups rebuilt from all the records,
//! to the last digit.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::calendar::{DateRange, Month};
use super::money::{Currency, Money};

/// Records in one currency paying for the same days, as one month sees them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Segment {
    pub currency: Currency,
    /// The days the records pay for, whole (this month's and others'): their amount is spread
    /// over these, and converted at the rate in force on the first.
    pub period: DateRange,
    /// The days of `period` within this month.
    pub days: DateRange,
    /// The records' whole amounts, summed (not this month's share).
    pub amount: Decimal,
}

impl Segment {
    /// The day the amount converts on: the records' first.
    pub fn converts_on(&self) -> NaiveDate {
        self.period.start
    }

    /// The part of `amount` (this segment's, or its converted value) that falls on `range`.
    pub fn share_of(&self, amount: Decimal, range: DateRange) -> Decimal {
        self.period.share(amount, range)
    }
}

/// One item's month.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MonthRollup {
    pub month: Month,
    /// Days any record pays for or dealt with, removed records included (the jobs do not charge
    /// those days again): bit `d - 1` for day `d`.
    pub covered: u32,
    /// Days live records pay for.
    pub paid: u32,
    /// Sorted by currency and period.
    pub segments: Vec<Segment>,
}

impl MonthRollup {
    fn empty(month: Month) -> MonthRollup {
        MonthRollup { month, covered: 0, paid: 0, segments: Vec::new() }
    }

    /// Whether live records pay for `day` (of this month).
    pub fn is_paid(&self, day: NaiveDate) -> bool {
        self.paid & day_bit(day) != 0
    }
}

/// One item's roll-ups by month.
pub type ItemRollups = BTreeMap<Month, MonthRollup>;

/// A record as roll-ups see it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RollupRecord {
    pub amount: Money,
    pub period: DateRange,
    /// Removed records count only for the days they dealt with.
    pub live: bool,
}

/// The bits of the days of `range` within its month (`range` must lie in one month).
pub fn day_bits(range: DateRange) -> u32 {
    let first = range.start.day();
    let last = range.end.day();
    let width = last - first + 1;
    let ones = if width >= 32 { u32::MAX } else { (1u32 << width) - 1 };
    ones << (first - 1)
}

fn day_bit(day: NaiveDate) -> u32 {
    1 << (day.day() - 1)
}

/// The months a period touches, each with the days of it within the month.
pub fn months_of(period: DateRange) -> impl Iterator<Item = (Month, DateRange)> {
    let mut month = Month::of(period.start);
    let last = Month::of(period.end);
    std::iter::from_fn(move || {
        if month > last {
            return None;
        }
        let days = month.range().intersect(period).expect("the period reaches this month");
        let out = (month, days);
        month = month.next();
        Some(out)
    })
}

/// The roll-ups of the months in `months` (inclusive) from an item's records, in the order they
/// were written (by id). Months no record touches are left out.
pub fn build(records: impl IntoIterator<Item = RollupRecord>, months: (Month, Month)) -> BTreeMap<Month, MonthRollup> {
    let mut built: BTreeMap<Month, MonthRollup> = BTreeMap::new();
    let mut sums: BTreeMap<(Month, Currency, DateRange), (DateRange, Decimal)> = BTreeMap::new();
    for record in records {
        for (month, days) in months_of(record.period) {
            if month < months.0 || month > months.1 {
                continue;
            }
            let rollup = built.entry(month).or_insert_with(|| MonthRollup::empty(month));
            let bits = day_bits(days);
            rollup.covered |= bits;
            if record.live {
                rollup.paid |= bits;
                let sum = sums.entry((month, record.amount.currency, record.period)).or_insert((days, Decimal::ZERO));
                sum.1 += record.amount.amount;
            }
        }
    }
    for ((month, currency, period), (days, amount)) in sums {
        let rollup = built.get_mut(&month).expect("a segment's month is built");
        rollup.segments.push(Segment { currency, period, days, amount });
    }
    built
}

/// The days of `range` that the roll-ups' `covered` (or, with `paid_only`, `paid`) bits hold, as
/// ranges.
pub fn ranges(rollups: &BTreeMap<Month, MonthRollup>, range: DateRange, paid_only: bool) -> Vec<DateRange> {
    let mut out: Vec<DateRange> = Vec::new();
    for (month, days) in months_of(range) {
        let Some(rollup) = rollups.get(&month) else { continue };
        let wanted = day_bits(days);
        let bits = (if paid_only { rollup.paid } else { rollup.covered }) & wanted;
        if bits == 0 {
            continue;
        }
        if bits == wanted {
            match out.last_mut() {
                Some(last) if last.end.succ_opt() == Some(days.start) => last.end = days.end,
                _ => out.push(days),
            }
            continue;
        }
        // Runs of set bits, each a range of days.
        let mut rest = bits;
        while rest != 0 {
            let first = rest.trailing_zeros();
            let run = (rest >> first).trailing_ones();
            let start = month.first_day() + chrono::Duration::days(i64::from(first));
            let end = start + chrono::Duration::days(i64::from(run) - 1);
            match out.last_mut() {
                Some(last) if last.end.succ_opt() == Some(start) => last.end = end,
                _ => out.push(DateRange { start, end }),
            }
            rest &= !(if first + run >= 32 { u32::MAX << first } else { ((1u32 << run) - 1) << first });
        }
    }
    out
}

/// Each segment of the roll-ups once (a segment appears in every month its period touches), by
/// currency and period: the records' whole amounts and days.
pub fn whole_segments<'a>(months: impl IntoIterator<Item = &'a MonthRollup>) -> Vec<Segment> {
    let mut seen: BTreeMap<(Currency, DateRange), Segment> = BTreeMap::new();
    for segment in months.into_iter().flat_map(|month| &month.segments) {
        seen.entry((segment.currency, segment.period)).or_insert(*segment);
    }
    seen.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{c, d, dec};

    fn record(amount: &str, from: &str, to: &str, live: bool) -> RollupRecord {
        let (value, currency) = amount.split_once(' ').unwrap_or((amount, "USD"));
        RollupRecord {
            amount: Money::new(dec(value), c(currency)),
            period: DateRange::new(d(from), d(to)).unwrap(),
            live,
        }
    }

    fn month(text: &str) -> Month {
        text.parse().unwrap()
    }

    #[test]
    fn records_split_into_months_by_their_days() {
        // A yearly charge of 365 from 2026-03-05: 1 a day; March has 27 of its days, April 30.
        let built = build([record("365", "2026-03-05", "2027-03-04", true)], (month("2026-01"), month("2027-12")));
        assert_eq!(built.len(), 13);
        let march = &built[&month("2026-03")];
        assert_eq!(march.segments.len(), 1);
        let segment = march.segments[0];
        // The whole record, and the days of it in March.
        assert_eq!(segment.amount, dec("365"));
        assert_eq!(segment.period, DateRange::new(d("2026-03-05"), d("2027-03-04")).unwrap());
        assert_eq!(segment.converts_on(), d("2026-03-05"));
        assert_eq!(segment.days, DateRange::new(d("2026-03-05"), d("2026-03-31")).unwrap());
        assert_eq!(segment.share_of(segment.amount, segment.days), dec("27"));
        assert_eq!(march.covered, day_bits(DateRange::new(d("2026-03-05"), d("2026-03-31")).unwrap()));
        let share = |m: &str| {
            let s = built[&month(m)].segments[0];
            s.share_of(s.amount, s.days)
        };
        assert_eq!(share("2026-04"), dec("30"));
        assert_eq!(share("2027-03"), dec("4"));
        // Each record once, whatever the months.
        assert_eq!(whole_segments(built.values()), [segment]);
        // Only the months asked for.
        let some = build([record("365", "2026-03-05", "2027-03-04", true)], (month("2026-06"), month("2026-07")));
        assert_eq!(some.keys().copied().collect::<Vec<_>>(), [month("2026-06"), month("2026-07")]);
    }

    #[test]
    fn segments_sum_alike_records_and_keep_others_apart() {
        let built = build(
            [
                record("10", "2026-11-01", "2026-11-30", true),
                record("5", "2026-11-01", "2026-11-30", true),
                record("300 THB", "2026-11-01", "2026-11-30", true),
                record("7", "2026-11-16", "2026-11-30", true),
                record("99", "2026-11-01", "2026-11-15", false),
            ],
            (month("2026-11"), month("2026-11")),
        );
        let november = &built[&month("2026-11")];
        let shown: Vec<(String, String, Decimal)> = november
            .segments
            .iter()
            .map(|s| (s.currency.to_string(), format!("{}..{}", s.days.start, s.days.end), s.amount))
            .collect();
        assert_eq!(
            shown,
            [
                ("THB".to_string(), "2026-11-01..2026-11-30".to_string(), dec("300")),
                ("USD".to_string(), "2026-11-01..2026-11-30".to_string(), dec("15")),
                ("USD".to_string(), "2026-11-16..2026-11-30".to_string(), dec("7")),
            ]
        );
        // The removed record's days are covered (dealt with), not paid.
        assert_eq!(november.covered, day_bits(month("2026-11").range()));
        assert_eq!(november.paid, day_bits(month("2026-11").range()));
        let removed_only =
            build([record("99", "2026-10-01", "2026-10-15", false)], (month("2026-10"), month("2026-10")));
        let october = &removed_only[&month("2026-10")];
        assert!(october.segments.is_empty() && october.paid == 0 && october.covered != 0);
    }

    #[test]
    fn the_same_records_always_give_the_same_decimals() {
        // Thirds of a 31-day month do not terminate: the sums are still the same on every build.
        let records = || {
            (0..7).map(|i| record(&format!("{}.01", i + 1), "2026-12-01", "2027-01-30", i % 3 != 0)).collect::<Vec<_>>()
        };
        let range = (month("2026-12"), month("2027-01"));
        assert_eq!(build(records(), range), build(records(), range));
    }

    #[track_caller]
    fn check_ranges(days: &[(&str, &str)], range: (&str, &str), expected: &[(&str, &str)]) {
        let records = days.iter().map(|(from, to)| record("1", from, to, true));
        let built = build(records, (month("2000-01"), month("2100-12")));
        let range = DateRange::new(d(range.0), d(range.1)).unwrap();
        let got: Vec<(String, String)> =
            ranges(&built, range, false).iter().map(|r| (r.start.to_string(), r.end.to_string())).collect();
        let want: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn covered_days_read_back_as_ranges() {
        check_ranges(&[("2026-10-01", "2026-12-31")], ("2026-11-10", "2026-11-20"), &[("2026-11-10", "2026-11-20")]);
        check_ranges(&[("2026-10-01", "2026-12-31")], ("2026-09-01", "2027-01-31"), &[("2026-10-01", "2026-12-31")]);
        check_ranges(
            &[("2026-10-01", "2026-10-05"), ("2026-10-07", "2026-11-02")],
            ("2026-10-01", "2026-11-30"),
            &[("2026-10-01", "2026-10-05"), ("2026-10-07", "2026-11-02")],
        );
        check_ranges(&[("2026-10-31", "2026-11-01")], ("2026-10-01", "2026-11-30"), &[("2026-10-31", "2026-11-01")]);
        check_ranges(&[], ("2026-10-01", "2026-11-30"), &[]);
    }

    #[test]
    fn day_bits_cover_whole_months() {
        assert_eq!(day_bits(month("2026-01").range()), u32::MAX >> 1);
        assert_eq!(day_bits(month("2026-02").range()), (1 << 28) - 1);
        assert_eq!(day_bits(DateRange::new(d("2026-01-31"), d("2026-01-31")).unwrap()), 1 << 30);
    }
}
