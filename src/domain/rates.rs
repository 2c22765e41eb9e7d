//! Dated exchange rates set by admins, and conversion into a workspace's base currency.
//!
//! A missing rate is an explicit [`MissingRate`] naming the pair, never a silent zero or 1:1.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::money::{Currency, Money};

/// `1 base = rate quote` from `date` on, e.g. 1 USD = 35.2 THB.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct ExchangeRate {
    pub base: Currency,
    pub quote: Currency,
    pub rate: Decimal,
    pub date: NaiveDate,
}

/// No rate links two currencies on a day, so an amount could not be converted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize)]
pub struct MissingRate {
    pub from: Currency,
    pub to: Currency,
    /// The day that needed a rate.
    pub on: NaiveDate,
}

impl fmt::Display for MissingRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "No exchange rate between {from} and {to} on or before {on}, so those {from} amounts are left out of {to} totals; set one with `rate set {to} {from} <how many {from} one {to} buys> --date {on}`",
            from = self.from,
            to = self.to,
            on = self.on,
        )
    }
}

/// Missing rates, one per currency pair (the earliest day that needed it): what a warning lists.
pub fn dedup_missing(missing: impl IntoIterator<Item = MissingRate>) -> Vec<MissingRate> {
    let mut earliest: std::collections::BTreeMap<(Currency, Currency), MissingRate> = Default::default();
    for gap in missing {
        earliest.entry((gap.from, gap.to)).and_modify(|m| m.on = m.on.min(gap.on)).or_insert(gap);
    }
    earliest.into_values().collect()
}

/// All of a workspace's rates, for converting amounts as of a date.
#[derive(Clone, Default, Debug)]
pub struct RateBook {
    rates: Vec<ExchangeRate>,
}

impl RateBook {
    pub fn new(rates: Vec<ExchangeRate>) -> RateBook {
        RateBook { rates }
    }

    /// `money` in `to`, using the pair's latest rate dated on or before `on`, in either direction.
    /// A rate set for a later day is never used for an earlier one.
    pub fn convert(&self, money: Money, to: Currency, on: NaiveDate) -> Result<Money, MissingRate> {
        let amount = match self.rate(money.currency, to, on) {
            Some(Conversion::Multiply(rate)) => money.amount * rate,
            // Dividing by the rate as typed (not multiplying by its rounded inverse) keeps
            // 3,100 THB at 31 THB per USD exactly 100 USD.
            Some(Conversion::Divide(rate)) => money.amount / rate,
            None => return Err(MissingRate { from: money.currency, to, on }),
        };
        Ok(Money::new(amount, to))
    }

    /// The rate in force on `on` between two currencies: the newest one on or before that day; a
    /// direct rate beats an inverse one of the same day.
    fn rate(&self, from: Currency, to: Currency, on: NaiveDate) -> Option<Conversion> {
        if from == to {
            return Some(Conversion::Multiply(Decimal::ONE));
        }
        self.rates
            .iter()
            .filter(|r| r.date <= on)
            .filter_map(|r| {
                if r.base == from && r.quote == to {
                    Some((r.date, false, Conversion::Multiply(r.rate)))
                } else if r.base == to && r.quote == from {
                    Some((r.date, true, Conversion::Divide(r.rate)))
                } else {
                    None
                }
            })
            .max_by_key(|(date, inverse, _)| (*date, !*inverse))
            .map(|(_, _, conversion)| conversion)
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
    fn missing_rate_message_names_the_pair_and_the_fix() {
        let message = MissingRate { from: c("THB"), to: c("USD"), on: d("2026-11-30") }.to_string();
        assert!(message.contains("No exchange rate between THB and USD on or before 2026-11-30"), "{message}");
        assert!(message.contains("rate set USD THB <how many THB one USD buys> --date 2026-11-30"), "{message}");
    }

    #[test]
    fn missing_rates_are_listed_once_per_pair_with_the_earliest_day() {
        let gaps = [
            MissingRate { from: c("THB"), to: c("USD"), on: d("2026-11-30") },
            MissingRate { from: c("THB"), to: c("USD"), on: d("2026-01-31") },
            MissingRate { from: c("EUR"), to: c("USD"), on: d("2026-05-31") },
        ];
        let listed: Vec<String> =
            dedup_missing(gaps).iter().map(|m| format!("{}->{} {}", m.from, m.to, m.on)).collect();
        assert_eq!(listed, ["EUR->USD 2026-05-31", "THB->USD 2026-01-31"]);
    }
}
