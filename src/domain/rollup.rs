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
//!
//! Each month also keeps its spend already converted to the workspace's base currency
//! ([`Converted`], made by [`MonthRollup::convert`] with the rates in force when it was stored,
//! and made again in the transaction of every change to the rates or the base currency): an exact
//! sum ([`ExactSum`]) of the very shares a reader would add up from the segments. A completed
//! month then costs a reader one sum per item instead of a segment per record group, and its
//! segments need not be read at all.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::calendar::{DateRange, Month};
use super::exact::ExactSum;
use super::money::{Currency, Money};
use super::rates::RateBook;

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
    /// The month's spend in the base currency, when every segment had a rate (see
    /// [`MonthRollup::convert`]).
    pub converted: Option<Converted>,
    /// Sorted by currency and period. `None` when the month was read without them (its
    /// `converted` total or its days were all the reader wanted).
    pub segments: Option<Vec<Segment>>,
}

/// A month's spend converted to the base currency.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Converted {
    pub base: Currency,
    /// The exact sum of each segment's share of the month, converted (see
    /// [`MonthRollup::convert`]).
    pub total: ExactSum,
}

impl MonthRollup {
    fn empty(month: Month) -> MonthRollup {
        MonthRollup { month, covered: 0, paid: 0, converted: None, segments: Some(Vec::new()) }
    }

    /// The month's segments.
    ///
    /// # Panics
    /// When the month was read without them: a reader that needs segments must ask for them.
    pub fn segments(&self) -> &[Segment] {
        self.segments.as_deref().expect("the segments of this month were read")
    }

    /// The month's spend in `base`, each segment counted as a reader counts records: its whole
    /// amount converted at its first day's rate, then its share of this month's days; summed
    /// exactly. `None` when a segment has no rate.
    pub fn convert(&self, rates: &RateBook, base: Currency) -> Option<Converted> {
        let mut total = ExactSum::default();
        for segment in self.segments() {
            let money = Money::new(segment.amount, segment.currency);
            let converted = rates.convert(money, base, segment.converts_on()).ok()?;
            total.add(segment.share_of(converted.amount, segment.days));
        }
        Some(Converted { base, total })
    }

    /// The first day live records pay for, if any.
    pub fn first_paid_day(&self) -> Option<NaiveDate> {
        (self.paid != 0).then(|| self.month.first_day() + chrono::Duration::days(i64::from(self.paid.trailing_zeros())))
    }

    /// Whether live records pay for `day` (of this month).
    pub fn is_paid(&self, day: NaiveDate) -> bool {
        self.paid & day_bit(day) != 0
    }
}

/// One item's roll-ups, one per month, in month order: a sorted vector (a large workspace holds
/// hundreds of thousands of them; a map's nodes would double what they take).
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct ItemRollups(Vec<MonthRollup>);

impl ItemRollups {
    pub fn new() -> ItemRollups {
        ItemRollups(Vec::new())
    }

    /// The roll-up of `month`, if any record touches it.
    pub fn get(&self, month: &Month) -> Option<&MonthRollup> {
        self.0.binary_search_by_key(month, |m| m.month).ok().map(|at| &self.0[at])
    }

    /// The roll-ups of the months in `months`, in order.
    pub fn range(&self, months: impl std::ops::RangeBounds<Month>) -> std::slice::Iter<'_, MonthRollup> {
        use std::ops::Bound;
        let start = match months.start_bound() {
            Bound::Included(m) => self.0.partition_point(|r| r.month < *m),
            Bound::Excluded(m) => self.0.partition_point(|r| r.month <= *m),
            Bound::Unbounded => 0,
        };
        let end = match months.end_bound() {
            Bound::Included(m) => self.0.partition_point(|r| r.month <= *m),
            Bound::Excluded(m) => self.0.partition_point(|r| r.month < *m),
            Bound::Unbounded => self.0.len(),
        };
        self.0[start..end.max(start)].iter()
    }

    /// The roll-ups, in month order.
    pub fn into_values(self) -> Vec<MonthRollup> {
        self.0
    }

    pub fn values(&self) -> std::slice::Iter<'_, MonthRollup> {
        self.0.iter()
    }

    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, MonthRollup> {
        self.0.iter_mut()
    }

    /// The months held, in order.
    pub fn months(&self) -> impl DoubleEndedIterator<Item = Month> + '_ {
        self.0.iter().map(|m| m.month)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Puts `months` (all of `year`, in order) in place of the year's months held.
    pub fn replace_year(&mut self, year: i32, months: Vec<MonthRollup>) {
        let start = self.0.partition_point(|m| m.month.year() < year);
        let end = self.0.partition_point(|m| m.month.year() <= year);
        self.0.splice(start..end, months);
    }

    /// Adds `months` (in order) after the months held, all earlier.
    pub fn extend_later(&mut self, months: Vec<MonthRollup>) {
        debug_assert!(
            self.0.last().zip(months.first()).is_none_or(|(last, first)| last.month < first.month),
            "months come in order"
        );
        if self.0.is_empty() {
            self.0 = months;
        } else {
            self.0.reserve_exact(months.len());
            self.0.extend(months);
        }
    }

    /// The roll-ups of the months `year` holds.
    pub fn year(&self, year: i32) -> ItemRollups {
        let (start, end) = (Month::new(year, 1).expect("January"), Month::new(year, 12).expect("December"));
        ItemRollups(self.range(start..=end).cloned().collect())
    }
}

impl FromIterator<MonthRollup> for ItemRollups {
    /// From roll-ups in any order; of two for one month, the last.
    fn from_iter<I: IntoIterator<Item = MonthRollup>>(months: I) -> ItemRollups {
        let by_month: BTreeMap<Month, MonthRollup> = months.into_iter().map(|m| (m.month, m)).collect();
        ItemRollups(by_month.into_values().collect())
    }
}

impl std::ops::Index<&Month> for ItemRollups {
    type Output = MonthRollup;

    fn index(&self, month: &Month) -> &MonthRollup {
        self.get(month).expect("a roll-up for the month")
    }
}

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
pub fn build(records: impl IntoIterator<Item = RollupRecord>, months: (Month, Month)) -> ItemRollups {
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
        rollup.segments.get_or_insert_default().push(Segment { currency, period, days, amount });
    }
    ItemRollups(built.into_values().collect())
}

/// Makes each month's `converted` total with `rates` into `base` (see [`MonthRollup::convert`]).
pub fn convert_all(rollups: &mut ItemRollups, rates: &RateBook, base: Currency) {
    for month in rollups.values_mut() {
        month.converted = month.convert(rates, base);
    }
}

/// The days of `range` that the roll-ups' `covered` (or, with `paid_only`, `paid`) bits hold, as
/// ranges.
pub fn ranges(rollups: &ItemRollups, range: DateRange, paid_only: bool) -> Vec<DateRange> {
    let mut out: Vec<DateRange> = Vec::new();
    for rollup in rollups.range(Month::of(range.start)..=Month::of(range.end)) {
        let month = rollup.month;
        let days = month.range().intersect(range).expect("a month of the range");
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
    for segment in months.into_iter().flat_map(MonthRollup::segments) {
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
        assert_eq!(march.segments().len(), 1);
        let segment = march.segments()[0];
        // The whole record, and the days of it in March.
        assert_eq!(segment.amount, dec("365"));
        assert_eq!(segment.period, DateRange::new(d("2026-03-05"), d("2027-03-04")).unwrap());
        assert_eq!(segment.converts_on(), d("2026-03-05"));
        assert_eq!(segment.days, DateRange::new(d("2026-03-05"), d("2026-03-31")).unwrap());
        assert_eq!(segment.share_of(segment.amount, segment.days), dec("27"));
        assert_eq!(march.covered, day_bits(DateRange::new(d("2026-03-05"), d("2026-03-31")).unwrap()));
        let share = |m: &str| {
            let s = built[&month(m)].segments()[0];
            s.share_of(s.amount, s.days)
        };
        assert_eq!(share("2026-04"), dec("30"));
        assert_eq!(share("2027-03"), dec("4"));
        // Each record once, whatever the months.
        assert_eq!(whole_segments(built.values()), [segment]);
        // Only the months asked for.
        let some = build([record("365", "2026-03-05", "2027-03-04", true)], (month("2026-06"), month("2026-07")));
        assert_eq!(some.months().collect::<Vec<_>>(), [month("2026-06"), month("2026-07")]);
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
            .segments()
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
        assert!(october.segments().is_empty() && october.paid == 0 && october.covered != 0);
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

    #[test]
    fn a_month_converts_as_its_segments_would_one_by_one() {
        use crate::domain::rates::ExchangeRate;
        let built = build(
            [
                // 31 USD over March: 1 a day; 620 THB over 2026-03-17..2026-04-05 (20 days, 31 a
                // day), converted on the 17th at 31 THB per USD: 20 USD, 15 of its days in March.
                record("31", "2026-03-01", "2026-03-31", true),
                record("620 THB", "2026-03-17", "2026-04-05", true),
                record("1000", "2026-03-01", "2026-03-02", false),
            ],
            (month("2026-03"), month("2026-04")),
        );
        let rate =
            |on: &str, rate: &str| ExchangeRate { base: c("USD"), quote: c("THB"), rate: dec(rate), date: d(on) };
        let rates = RateBook::new(vec![rate("2026-03-01", "31"), rate("2026-03-20", "40")]);
        let march = built[&month("2026-03")].convert(&rates, c("USD")).unwrap();
        assert_eq!(march.base, c("USD"));
        assert_eq!(march.total.value(), dec("46"));
        // April: the THB record's other 5 days, still at the rate of its first day.
        assert_eq!(built[&month("2026-04")].convert(&rates, c("USD")).unwrap().total.value(), dec("5"));
        // Into baht: no conversion for the baht, the dollars at 31 (March 1) a dollar.
        assert_eq!(built[&month("2026-03")].convert(&rates, c("THB")).unwrap().total.value(), dec("1426"));
        // A segment without a rate leaves the month unconverted.
        assert_eq!(built[&month("2026-03")].convert(&RateBook::new(vec![]), c("USD")), None);
        assert_eq!(built[&month("2026-03")].first_paid_day(), Some(d("2026-03-01")));
        assert_eq!(built[&month("2026-04")].first_paid_day(), Some(d("2026-04-01")));
        let late = build([record("1", "2026-05-09", "2026-05-09", true)], (month("2026-05"), month("2026-05")));
        assert_eq!(late[&month("2026-05")].first_paid_day(), Some(d("2026-05-09")));
        let removed = build([record("1", "2026-05-09", "2026-05-09", false)], (month("2026-05"), month("2026-05")));
        assert_eq!(removed[&month("2026-05")].first_paid_day(), None);
    }

    #[test]
    fn item_rollups_keep_their_months_in_order() {
        let at = |m: &str| MonthRollup::empty(month(m));
        let held: ItemRollups = ["2026-03", "2025-12", "2026-01", "2026-03"].into_iter().map(at).collect();
        let months = |r: &ItemRollups| r.months().map(|m| m.to_string()).collect::<Vec<_>>();
        assert_eq!(months(&held), ["2025-12", "2026-01", "2026-03"]);
        let range =
            |from: &str, to: &str| held.range(month(from)..=month(to)).map(|m| m.month.to_string()).collect::<Vec<_>>();
        assert_eq!(range("2026-01", "2026-03"), ["2026-01", "2026-03"]);
        assert_eq!(range("2026-02", "2026-02"), Vec::<String>::new());
        assert_eq!(held.range(month("2026-01")..month("2026-03")).count(), 1);
        assert_eq!(held.range(..).count(), 3);
        assert!(held.get(&month("2026-02")).is_none());
        assert_eq!(held[&month("2026-01")].month, month("2026-01"));
        // A year's months replaced, the others kept.
        let mut changed = held.clone();
        changed.replace_year(2026, vec![at("2026-02"), at("2026-11")]);
        assert_eq!(months(&changed), ["2025-12", "2026-02", "2026-11"]);
        changed.replace_year(2027, vec![at("2027-01")]);
        changed.replace_year(2025, vec![]);
        assert_eq!(months(&changed), ["2026-02", "2026-11", "2027-01"]);
        assert_eq!(months(&changed.year(2026)), ["2026-02", "2026-11"]);
    }
}
