//! Calendar arithmetic: strict date parsing, calendar months, inclusive date ranges and adding
//! months to a date anchored to its original day (Jan 31 + 1 month = Feb 28, then Mar 31).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::UserError;

/// Years a typed date or month may fall in: a ledger's dates are this century's (a typo such as
/// `9999-12-31` or `1026-10-01` is refused, not turned into periods centuries long).
pub const TYPED_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Parses `YYYY-MM-DD` strictly, explaining what is wrong with near misses such as `2026-02-30`;
/// the year must be within [`TYPED_YEARS`].
pub fn parse_date(field: &'static str, input: &str) -> Result<NaiveDate, UserError> {
    let text = input.trim();
    let bad = |reason: String| UserError::invalid(field, input, reason);
    let parts: Vec<&str> = text.split('-').collect();
    let shaped = parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
    if !shaped {
        return Err(bad("use YYYY-MM-DD, e.g. 2026-12-31".into()));
    }
    let (year, month, day): (i32, u32, u32) =
        (parts[0].parse().unwrap_or(0), parts[1].parse().unwrap_or(0), parts[2].parse().unwrap_or(0));
    if !(1..=12).contains(&month) {
        return Err(bad(format!("there is no month {month}; use YYYY-MM-DD")));
    }
    if !TYPED_YEARS.contains(&year) {
        return Err(bad(format!(
            "Jarvis takes dates from {}-01-01 to {}-12-31",
            TYPED_YEARS.start(),
            TYPED_YEARS.end()
        )));
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        let month = Month::new(year, month).expect("month checked above");
        bad(format!("{} has {} days; use YYYY-MM-DD", month.long_name(), month.days()))
    })
}

/// A calendar month such as 2026-02.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    /// The month a date falls in.
    pub fn of(date: NaiveDate) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("not the first day of time")
    }

    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    pub fn next(self) -> Month {
        self.plus(1)
    }

    pub fn prev(self) -> Month {
        self.plus(-1)
    }

    /// This month moved by `months` (may be negative).
    pub fn plus(self, months: i32) -> Month {
        let index = self.year * 12 + (self.month as i32 - 1) + months;
        Month { year: index.div_euclid(12), month: index.rem_euclid(12) as u32 + 1 }
    }

    /// All the month's days as a range.
    pub fn range(self) -> DateRange {
        DateRange { start: self.first_day(), end: self.last_day() }
    }

    /// `February 2026`.
    pub fn long_name(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = UserError;
    fn from_str(input: &str) -> Result<Month, UserError> {
        let bad = || UserError::invalid("month", input, "use YYYY-MM, e.g. 2026-10");
        let (year, month) = input.trim().split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        let month = Month::new(year, month).ok_or_else(bad)?;
        if !TYPED_YEARS.contains(&year) {
            return Err(UserError::invalid(
                "month",
                input,
                format!("Jarvis takes months from {}-01 to {}-12", TYPED_YEARS.start(), TYPED_YEARS.end()),
            ));
        }
        Ok(month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

crate::domain::schema::by_hand!(Month, crate::domain::schema::string("A month, YYYY-MM.", "2026-11"));

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// An inclusive range of days.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl DateRange {
    /// A range; `None` when `end` is before `start`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Option<DateRange> {
        (start <= end).then_some(DateRange { start, end })
    }

    /// The range `from` to `to` typed by a user, refusing one that ends before it starts.
    pub fn between(from: NaiveDate, to: NaiveDate) -> Result<DateRange, UserError> {
        DateRange::new(from, to)
            .ok_or_else(|| UserError::Conflict(format!("The dates run backwards: {from} is after {to}; swap them")))
    }

    pub fn days(self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    pub fn intersect(self, other: DateRange) -> Option<DateRange> {
        DateRange::new(self.start.max(other.start), self.end.min(other.end))
    }

    /// The share of `amount`, paid for the days of `self`, that falls on the days of `range`:
    /// amounts are spread evenly over the days they pay for (a yearly charge counts 1/365 a day).
    pub fn share(self, amount: Decimal, range: DateRange) -> Decimal {
        match self.intersect(range) {
            Some(overlap) if overlap == self => amount,
            Some(overlap) => amount * Decimal::from(overlap.days()) / Decimal::from(self.days()),
            None => Decimal::ZERO,
        }
    }

    /// The days of this range outside `other`: none, one or two ranges, in order.
    pub fn minus(self, other: DateRange) -> Vec<DateRange> {
        let before = other.start.pred_opt().and_then(|end| DateRange::new(self.start, end.min(self.end)));
        let after = other.end.succ_opt().and_then(|start| DateRange::new(start.max(self.start), self.end));
        before.into_iter().chain(after).collect()
    }
}

/// Moves `date` by whole months (negative: back), landing on `anchor_day` or the month's last day if
/// shorter: with anchor 31, Jan 31 -> Feb 28 -> Mar 31; with anchor 29, 2024-02-29 + 12 -> 2025-02-28.
pub fn add_months_anchored(date: NaiveDate, months: i32, anchor_day: u32) -> NaiveDate {
    let month = Month::of(date).plus(months);
    let day = anchor_day.clamp(1, 31).min(month.days());
    NaiveDate::from_ymd_opt(month.year, month.month, day).expect("day clamped to the month")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::d;

    #[track_caller]
    fn check_parse(input: &str, expected: Result<&str, &str>) {
        match (parse_date("date", input), expected) {
            (Ok(date), Ok(want)) => assert_eq!(date, d(want)),
            (Err(error), Err(fragment)) => {
                assert!(error.to_string().contains(fragment), "{input:?}: {error}")
            }
            (actual, expected) => panic!("{input:?}: got {actual:?}, want {expected:?}"),
        }
    }

    #[test]
    fn parses_dates_strictly() {
        check_parse("2026-12-31", Ok("2026-12-31"));
        check_parse(" 2028-02-29 ", Ok("2028-02-29"));
        check_parse("2026-02-30", Err("February 2026 has 28 days"));
        check_parse("2026-02-29", Err("February 2026 has 28 days"));
        check_parse("2026-04-31", Err("April 2026 has 30 days"));
        check_parse("2026-13-01", Err("there is no month 13"));
        check_parse("2026-1-5", Err("use YYYY-MM-DD"));
        check_parse("31/12/2026", Err("use YYYY-MM-DD"));
        check_parse("tomorrow", Err("use YYYY-MM-DD"));
        check_parse("", Err("use YYYY-MM-DD"));
        check_parse("2000-01-01", Ok("2000-01-01"));
        check_parse("2100-12-31", Ok("2100-12-31"));
        check_parse("1999-12-31", Err("Jarvis takes dates from 2000-01-01 to 2100-12-31"));
        check_parse("2101-01-01", Err("Jarvis takes dates from 2000-01-01 to 2100-12-31"));
        check_parse("9999-12-31", Err("Jarvis takes dates from 2000-01-01 to 2100-12-31"));
        check_parse("0000-01-01", Err("Jarvis takes dates from 2000-01-01 to 2100-12-31"));
    }

    #[track_caller]
    fn check_month(input: &str, expected: Result<&str, &str>) {
        match (input.parse::<Month>(), expected) {
            (Ok(month), Ok(want)) => assert_eq!(month.to_string(), want),
            (Err(error), Err(fragment)) => assert!(error.to_string().contains(fragment), "{input:?}: {error}"),
            (actual, expected) => panic!("{input:?}: got {actual:?}, want {expected:?}"),
        }
    }

    #[test]
    fn parses_months_within_the_typed_years() {
        check_month("2026-10", Ok("2026-10"));
        check_month("2000-01", Ok("2000-01"));
        check_month("2100-12", Ok("2100-12"));
        check_month("2026-13", Err("use YYYY-MM"));
        check_month("1999-12", Err("Jarvis takes months from 2000-01 to 2100-12"));
        check_month("9999-12", Err("Jarvis takes months from 2000-01 to 2100-12"));
    }

    #[track_caller]
    fn check_add(date: &str, months: i32, anchor: u32, expected: &str) {
        assert_eq!(add_months_anchored(d(date), months, anchor), d(expected), "{date} + {months} (anchor {anchor})");
    }

    #[test]
    fn adds_months_keeping_the_anchor_day() {
        check_add("2026-01-31", 1, 31, "2026-02-28");
        check_add("2026-02-28", 1, 31, "2026-03-31");
        check_add("2028-01-31", 1, 31, "2028-02-29");
        check_add("2026-01-30", 1, 30, "2026-02-28");
        check_add("2026-03-31", 1, 31, "2026-04-30");
        check_add("2026-04-30", 1, 31, "2026-05-31");
        check_add("2024-02-29", 12, 29, "2025-02-28");
        check_add("2025-02-28", 12, 29, "2026-02-28");
        check_add("2027-02-28", 12, 29, "2028-02-29");
        check_add("2026-11-30", 3, 30, "2027-02-28");
        check_add("2026-12-15", 1, 15, "2027-01-15");
        check_add("2026-08-31", 6, 31, "2027-02-28");
        check_add("2026-03-31", -1, 31, "2026-02-28");
        check_add("2026-03-31", -12, 31, "2025-03-31");
        check_add("2027-01-15", -3, 15, "2026-10-15");
    }

    #[test]
    fn months() {
        let feb: Month = "2028-02".parse().unwrap();
        assert_eq!(feb.days(), 29);
        assert_eq!(feb.prev().to_string(), "2028-01");
        assert_eq!(Month::new(2026, 12).unwrap().next().to_string(), "2027-01");
        assert_eq!(Month::new(2026, 1).unwrap().plus(-13).to_string(), "2024-12");
        assert_eq!(feb.long_name(), "February 2028");
        assert!("2026-13".parse::<Month>().is_err());
        assert!("26-01".parse::<Month>().is_err());
    }

    #[test]
    fn ranges() {
        let r = DateRange::new(d("2026-11-20"), d("2026-12-14")).unwrap();
        assert_eq!(r.days(), 25);
        let nov = Month::new(2026, 11).unwrap().range();
        assert_eq!(r.intersect(nov), DateRange::new(d("2026-11-20"), d("2026-11-30")));
        assert_eq!(DateRange::new(d("2026-12-02"), d("2026-12-01")), None);
        let range = |a: &str, b: &str| DateRange::new(d(a), d(b)).unwrap();
        assert_eq!(r.minus(nov), [range("2026-12-01", "2026-12-14")]);
        assert_eq!(
            nov.minus(range("2026-11-10", "2026-11-19")),
            [range("2026-11-01", "2026-11-09"), range("2026-11-20", "2026-11-30")]
        );
        assert_eq!(nov.minus(range("2026-10-01", "2026-12-31")), []);
        assert_eq!(nov.minus(range("2027-01-01", "2027-01-31")), [nov]);
    }
}
