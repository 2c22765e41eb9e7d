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

/// No rate links two currencies, so an amount could not be converted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize)]
pub struct MissingRate {
    pub from: Currency,
    pub to: Currency,
}

impl fmt::Display for MissingRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "No exchange rate between {from} and {to}, so {from} amounts are left out of {to} totals; set one with `rate set {to} {from} <how many {from} one {to} buys>`",
            from = self.from,
            to = self.to,
        )
    }
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

    /// `money` in `to`, using the pair's latest rate dated on or before `on` (either direction);
    /// when every rate for the pair is newer than `on`, the oldest one.
    pub fn convert(&self, money: Money, to: Currency, on: NaiveDate) -> Result<Money, MissingRate> {
        let factor = self.factor(money.currency, to, on).ok_or(MissingRate { from: money.currency, to })?;
        Ok(Money::new(money.amount * factor, to))
    }

    /// How many `to` one `from` buys as of `on`, and the date of the rate used.
    pub fn factor(&self, from: Currency, to: Currency, on: NaiveDate) -> Option<Decimal> {
        if from == to {
            return Some(Decimal::ONE);
        }
        // (date, is_inverse, factor): direct rates beat inverse ones set on the same day.
        let candidates = self.rates.iter().filter_map(|r| {
            if r.base == from && r.quote == to {
                Some((r.date, false, r.rate))
            } else if r.base == to && r.quote == from {
                Some((r.date, true, Decimal::ONE / r.rate))
            } else {
                None
            }
        });
        let (mut before, mut after): (Vec<_>, Vec<_>) = candidates.partition(|(date, _, _)| *date <= on);
        before.sort_by_key(|(date, inverse, _)| (std::cmp::Reverse(*date), *inverse));
        after.sort_by_key(|(date, inverse, _)| (*date, *inverse));
        before.first().or(after.first()).map(|(_, _, factor)| *factor)
    }
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
        check("10", "USD", "THB", "2025-06-01", Ok("350")); // older than every rate: the oldest
        check("1000", "JPY", "USD", "2026-11-30", Ok("6.67"));
        check("10", "EUR", "THB", "2026-11-30", Err(("EUR", "THB"))); // no chaining through USD
        check("10", "GBP", "USD", "2026-11-30", Err(("GBP", "USD")));
    }

    #[test]
    fn missing_rate_message_names_the_pair_and_the_fix() {
        let message = MissingRate { from: c("THB"), to: c("USD") }.to_string();
        assert!(message.contains("No exchange rate between THB and USD"), "{message}");
        assert!(message.contains("rate set USD THB"), "{message}");
    }
}
