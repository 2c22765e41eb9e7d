//! The pure core: values in, values out. No I/O, no clock, no database; `today` and `now` are
//! always arguments.

pub mod alerting;
pub mod audit;
pub mod budget;
pub mod calendar;
pub(crate) mod choice;
pub mod connection;
pub mod cost;
pub mod delivery;
pub mod error;
pub mod exact;
pub mod focus;
pub mod item;
pub mod money;
mod numbers;
pub mod page;
pub mod rates;
pub mod rollup;
pub mod schedule;
pub mod schema;
pub mod site;
pub mod summary;
pub mod text;
pub mod workspace;

pub use error::UserError;

/// Short constructors for test tables: `d("2026-11-30")`, `dec("12.50")`, `c("THB")`.
#[cfg(test)]
pub(crate) mod testing {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::money::Currency;

    pub fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    pub fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    pub fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }
}
