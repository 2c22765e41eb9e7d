//! Dated exchange rates set by admins, and conversion into a workspace's base currency.
//!
//! A missing rate is an explicit [`MissingRate`] naming the pair and the days it lacks, never a
//! silent zero or 1:1.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::calendar::DateRange;
use super::money::{Currency, Money};

/// `1 base = rate quote` from `date` on, e.g. 1 USD = 35.2 THB.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct ExchangeRate {
    pub base: Currency,
    pub quote: Currency,
    pub rate: Decimal,
    pub date: NaiveDate,
}

/// Amounts that could not be converted for want of a rate: the pair, the days the amounts left
/// out pay for (`first` to `last`), and the pair's earliest rate, when there is one (dated after
/// the first of those days: a rate is only used from its date on). Data, not words: each front end
/// says it in its language with its own command to fix it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, utoipa::ToSchema)]
pub struct MissingRate {
    pub from: Currency,
    pub to: Currency,
    /// The first day lacking a rate: a rate dated on or before it fixes every amount left out.
    pub first: NaiveDate,
    /// The last day the amounts left out pay for.
    pub last: NaiveDate,
    /// The earliest rate between the two currencies, in either direction; `None` when there is
    /// none at all.
    pub earliest_rate: Option<NaiveDate>,
}

impl MissingRate {
    /// The same gap, for an amount paying for `days` (converted at their first day).
    pub fn for_days(self, days: DateRange) -> MissingRate {
        MissingRate { first: days.start, last: days.end, ..self }
    }
}

/// Missing rates, one per currency pair, covering every day any of them lacked (what a warning
/// lists).
pub fn dedup_missing(missing: impl IntoIterator<Item = MissingRate>) -> Vec<MissingRate> {
    let mut merged: std::collections::BTreeMap<(Currency, Currency), MissingRate> = Default::default();
    for gap in missing {
        merged
            .entry((gap.from, gap.to))
            .and_modify(|m| {
                m.first = m.first.min(gap.first);
                m.last = m.last.max(gap.last);
                m.earliest_rate = m.earliest_rate.or(gap.earliest_rate);
            })
            .or_insert(gap);
    }
    merged.into_values().collect()
}

/// All of a workspace's rates, for converting amounts as of a date.
#[derive(Clone, Default, Debug)]
pub struct RateBook {
    rates: Vec<ExchangeRate>,
    /// `(base, quote)` -> `(date, rate)`, by date: analysis converts a month of every item, so a
    /// rate is found by a binary search, not a scan of every rate.
    by_pair: std::collections::HashMap<(Currency, Currency), Vec<(NaiveDate, Decimal)>>,
}

impl RateBook {
    pub fn new(rates: Vec<ExchangeRate>) -> RateBook {
        let mut by_pair: std::collections::HashMap<(Currency, Currency), Vec<(NaiveDate, Decimal)>> =
            Default::default();
        for rate in &rates {
            by_pair.entry((rate.base, rate.quote)).or_default().push((rate.date, rate.rate));
        }
        for dated in by_pair.values_mut() {
            // Stable: of two rates of one day, the later given stays last and wins.
            dated.sort_by_key(|(date, _)| *date);
        }
        RateBook { rates, by_pair }
    }

    /// The latest rate of `(base, quote)` dated on or before `on`.
    fn latest(&self, base: Currency, quote: Currency, on: NaiveDate) -> Option<(NaiveDate, Decimal)> {
        let dated = self.by_pair.get(&(base, quote))?;
        let after = dated.partition_point(|(date, _)| *date <= on);
        after.checked_sub(1).map(|i| dated[i])
    }

    /// `money` in `to`, using the pair's latest rate dated on or before `on`, in either direction.
    /// A rate set for a later day is never used for an earlier one.
    pub fn convert(&self, money: Money, to: Currency, on: NaiveDate) -> Result<Money, MissingRate> {
        let amount = match self.rate(money.currency, to, on) {
            Some(Conversion::Multiply(rate)) => money.amount * rate,
            // Dividing by the rate as typed (not multiplying by its rounded inverse) keeps
            // 3,100 THB at 31 THB per USD exactly 100 USD.
            Some(Conversion::Divide(rate)) => money.amount / rate,
            None => {
                let earliest_rate = self.earliest(money.currency, to);
                return Err(MissingRate { from: money.currency, to, first: on, last: on, earliest_rate });
            }
        };
        Ok(Money::new(amount, to))
    }

    /// The date of the first rate between two currencies, in either direction.
    pub fn earliest(&self, a: Currency, b: Currency) -> Option<NaiveDate> {
        self.rates
            .iter()
            .filter(|r| (r.base == a && r.quote == b) || (r.base == b && r.quote == a))
            .map(|r| r.date)
            .min()
    }

    /// The rate in force on `on` between two currencies: the newest one on or before that day; a
    /// direct rate beats an inverse one of the same day.
    fn rate(&self, from: Currency, to: Currency, on: NaiveDate) -> Option<Conversion> {
        if from == to {
            return Some(Conversion::Multiply(Decimal::ONE));
        }
        match (self.latest(from, to, on), self.latest(to, from, on)) {
            (Some((direct_on, rate)), Some((inverse_on, _))) if direct_on >= inverse_on => {
                Some(Conversion::Multiply(rate))
            }
            (_, Some((_, rate))) => Some(Conversion::Divide(rate)),
            (Some((_, rate)), None) => Some(Conversion::Multiply(rate)),
            (None, None) => None,
        }
    }
}

#[derive(Clone, Copy)]
enum Conversion {
    Multiply(Decimal),
    Divide(Decimal),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{c, d, dec};

    fn rate(base: &str, quote: &str, rate: &str, date: &str) -> ExchangeRate {
        ExchangeRate { base: c(base), quote: c(quote), rate: dec(rate), date: d(date) }
    }

    fn book() -> RateBook {
        RateBook::new(vec![
            rate("USD", "THB", "35", "2026-01-01"),
            rate("USD", "THB", "35.2", "2026-11-01"),
            rate("EUR", "USD", "1.08", "2026-06-01"),
            rate("USD", "JPY", "150", "2026-06-01"),
        ])
    }

    /// (amount, from, to, on) -> expected amount rounded for display, or the missing pair.
    #[track_caller]
    fn check(amount: &str, from: &str, to: &str, on: &str, expected: Result<&str, (&str, &str)>) {
        let actual = book().convert(Money::new(dec(amount), c(from)), c(to), d(on));
        match (actual, expected) {
            (Ok(money), Ok(want)) => assert_eq!(money.rounded(), dec(want), "{amount} {from} -> {to} on {on}"),
            (Err(missing), Err((f, t))) => assert_eq!((missing.from, missing.to), (c(f), c(t))),
            (actual, expected) => panic!("{amount} {from} -> {to}: got {actual:?}, want {expected:?}"),
        }
    }

    #[test]
    fn conversion() {
        check("10", "USD", "USD", "2026-11-30", Ok("10"));
        check("10", "USD", "THB", "2026-11-30", Ok("352"));
        check("10", "USD", "THB", "2026-10-31", Ok("350")); // the rate in force that day
        check("352", "THB", "USD", "2026-11-30", Ok("10")); // inverse
        check("800", "THB", "USD", "2026-11-30", Ok("22.73"));
        check("10", "EUR", "USD", "2026-11-30", Ok("10.80"));
        check("10", "USD", "THB", "2025-06-01", Err(("USD", "THB"))); // before every rate: missing
        check("1000", "JPY", "USD", "2026-11-30", Ok("6.67"));
        check("10", "EUR", "THB", "2026-11-30", Err(("EUR", "THB"))); // no chaining through USD
        check("10", "GBP", "USD", "2026-11-30", Err(("GBP", "USD")));
    }

    #[test]
    fn a_missing_rate_says_which_days_lack_one_and_the_earliest_rate() {
        let gap = |from: &str, to: &str, on: &str| {
            book().convert(Money::new(dec("1"), c(from)), c(to), d(on)).expect_err("no rate that day")
        };
        let before = gap("USD", "THB", "2025-06-01");
        assert_eq!(
            (before.first, before.last, before.earliest_rate),
            (d("2025-06-01"), d("2025-06-01"), Some(d("2026-01-01")))
        );
        // Rates of the other direction count as the pair's.
        assert_eq!(gap("JPY", "USD", "2026-05-31").earliest_rate, Some(d("2026-06-01")));
        assert_eq!(gap("GBP", "USD", "2026-11-30").earliest_rate, None);
        let october = DateRange::new(d("2025-10-01"), d("2025-10-31")).unwrap();
        let widened = before.for_days(october);
        assert_eq!((widened.first, widened.last), (d("2025-10-01"), d("2025-10-31")));
    }

    #[test]
    fn missing_rates_are_listed_once_per_pair_over_every_day_they_lack() {
        let gap = |from: &str, first: &str, last: &str| MissingRate {
            from: c(from),
            to: c("USD"),
            first: d(first),
            last: d(last),
            earliest_rate: Some(d("2026-12-01")),
        };
        let gaps = [
            gap("THB", "2026-11-01", "2026-11-30"),
            gap("THB", "2026-01-01", "2026-01-31"),
            gap("EUR", "2026-05-31", "2026-05-31"),
            gap("THB", "2026-03-15", "2026-04-14"),
        ];
        let listed: Vec<String> =
            dedup_missing(gaps).iter().map(|m| format!("{}->{} {}..{}", m.from, m.to, m.first, m.last)).collect();
        assert_eq!(listed, ["EUR->USD 2026-05-31..2026-05-31", "THB->USD 2026-01-01..2026-11-30"]);
    }
}
