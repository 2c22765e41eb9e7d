//! Exact money: ISO 4217 currencies, decimal amounts, parsing of user input and display rounding.
//!
//! Amounts are `rust_decimal::Decimal` end to end. Nothing is rounded while computing; rounding
//! (half-to-even, to the currency's minor units) happens only when a value is shown.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::error::UserError;

/// Largest amount Jarvis accepts for any price or charge: one trillion (10^12).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 10^12
/// Decimal places kept for typed amounts: enough for per-token prices such as 0.00000015.
pub const AMOUNT_SCALE: u32 = 8;
/// Decimal places kept for usage quantities (requests, GB, tokens...).
pub const QUANTITY_SCALE: u32 = 6;
/// Largest usage quantity accepted (10^15).
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0); // 10^15
/// Decimal places of a typed exchange rate: as many as an amount has. A currency worth less than
/// that is set the other way round (`rate set USD VND 25400`, not `rate set VND USD 0.0000394`).
pub const RATE_SCALE: u32 = 8;
/// Decimal places of exchange rates stored before rates were held to [`RATE_SCALE`], read back
/// from backups.
pub const STORED_RATE_SCALE: u32 = 10;
/// Largest exchange rate accepted: a billion units of one currency for one of another (the most
/// devalued currencies trade at tens of thousands to the dollar).
pub const MAX_RATE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0); // 10^9
/// Decimal places an amount Jarvis computed may have (a day's share of a price): all a decimal
/// holds.
pub const COMPUTED_SCALE: u32 = 28;

/// An ISO 4217 currency that has minor units (so not funds, metals or test codes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub const USD: Currency = Currency(iso_currency::Currency::USD);

    /// Parses a three-letter code, case-insensitively (`usd`, `THB`).
    pub fn parse(input: &str) -> Result<Currency, UserError> {
        let code = input.trim().to_ascii_uppercase();
        let currency = iso_currency::Currency::from_code(&code)
            .filter(|c| c.exponent().is_some() && !c.is_fund() && c.is_superseded().is_none())
            .ok_or_else(|| {
                UserError::invalid("currency", input, "use a three-letter ISO 4217 code such as USD, EUR, THB or JPY")
            })?;
        Ok(Currency(currency))
    }

    /// The three-letter code, e.g. `USD`.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point when shown: JPY 0, USD 2, KWD 3.
    pub fn minor_units(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(2))
    }

    /// The English name, e.g. `Thai baht`.
    pub fn name(self) -> String {
        self.0.name().to_string()
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = UserError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

crate::domain::schema::by_hand!(Currency, crate::domain::schema::string("An ISO 4217 currency code.", "USD"));

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// An exact amount in a currency. Arithmetic keeps full precision; see [`Money::rounded`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money::new(Decimal::ZERO, currency)
    }

    /// The amount rounded half-to-even to the currency's minor units: what users see.
    pub fn rounded(&self) -> Decimal {
        round_for_display(self.amount, self.currency)
    }

    /// The amount as shown, without the currency: `1,234.50`.
    pub fn format_amount(&self) -> String {
        group_thousands(self.rounded(), self.currency.minor_units())
    }

    /// Adds an amount in the same currency. Panics on a currency mismatch: that is a bug.
    pub fn plus(self, other: Money) -> Money {
        assert_eq!(self.currency, other.currency, "adding money in different currencies");
        Money::new(self.amount + other.amount, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format_amount(), self.currency)
    }
}

/// `{"amount": "12.50", "currency": "USD"}`, the amount as a decimal string rounded for display.
impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &plain_amount(self.amount, self.currency))?;
        st.serialize_field("currency", &self.currency)?;
        st.end()
    }
}

crate::domain::schema::by_hand!(
    Money,
    crate::domain::schema::money("An amount, rounded to the currency's minor units, and its currency.")
);

/// An optional amount exactly as it is (`0.000125`), not rounded for display: for
/// `#[serde(serialize_with)]` on figures smaller than a cent.
pub fn serialize_exact<S: serde::Serializer>(money: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    match money {
        None => s.serialize_none(),
        Some(money) => {
            let mut st = s.serialize_struct("Money", 2)?;
            st.serialize_field("amount", &exact_amount(money.amount, money.currency))?;
            st.serialize_field("currency", &money.currency)?;
            st.end()
        }
    }
}

/// Rounds half-to-even to the currency's minor units.
pub fn round_for_display(amount: Decimal, currency: Currency) -> Decimal {
    amount.round_dp_with_strategy(currency.minor_units(), RoundingStrategy::MidpointNearestEven)
}

/// The amount rounded for display, as a plain decimal string with exactly the currency's minor
/// units: `12.50`, `1500`, `1.250`.
pub fn plain_amount(amount: Decimal, currency: Currency) -> String {
    let mut rounded = round_for_display(amount, currency);
    rounded.rescale(currency.minor_units());
    rounded.to_string()
}

/// A typed amount as shown to people: exact, grouped, at least the minor units: `1,290.00`, `0.0004`.
pub fn format_exact(amount: Decimal, currency: Currency) -> String {
    let normalized = amount.normalize();
    group_thousands(normalized, normalized.scale().max(currency.minor_units()))
}

/// A quantity as shown to people: exact and grouped, `2,150,000` or `6.1`.
pub fn format_quantity(value: Decimal) -> String {
    let normalized = value.normalize();
    group_thousands(normalized, normalized.scale())
}

/// A typed (never computed) amount exactly as stored, padded to the currency's minor units:
/// `12.50`, `0.0004`.
pub fn exact_amount(amount: Decimal, currency: Currency) -> String {
    let mut value = amount.normalize();
    if value.scale() < currency.minor_units() {
        value.rescale(currency.minor_units());
    }
    value.to_string()
}

fn group_thousands(value: Decimal, scale: u32) -> String {
    let mut value = value;
    value.rescale(scale);
    let text = value.abs().to_string();
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text, None),
    };
    let mut grouped = String::new();
    for (i, ch) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if value.is_sign_negative() && !value.is_zero() { "-" } else { "" };
    match frac_part {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// What kind of number is being parsed, for limits and messages.
#[derive(Clone, Copy, Debug)]
pub struct NumberRule {
    /// The input's name in messages, e.g. `cost`.
    pub field: &'static str,
    pub max: Decimal,
    pub scale: u32,
    /// Whether zero is allowed (exchange rates must be positive).
    pub allow_zero: bool,
    /// What to do about too many decimal places, when there is more to say than "fewer".
    pub scale_tip: &'static str,
}

impl NumberRule {
    pub const fn amount(field: &'static str) -> NumberRule {
        NumberRule { field, max: MAX_AMOUNT, scale: AMOUNT_SCALE, allow_zero: true, scale_tip: "" }
    }
    pub const fn quantity(field: &'static str) -> NumberRule {
        NumberRule { field, max: MAX_QUANTITY, scale: QUANTITY_SCALE, allow_zero: true, scale_tip: "" }
    }
    /// An exchange rate as typed: more than zero, at most [`MAX_RATE`] and [`RATE_SCALE`]
    /// decimal places.
    pub const fn rate(field: &'static str) -> NumberRule {
        NumberRule {
            field,
            max: MAX_RATE,
            scale: RATE_SCALE,
            allow_zero: false,
            scale_tip: "; for a currency worth that little, swap the two currencies and give how many of it one of the other buys",
        }
    }
    /// An exchange rate as stored (older rates may have up to [`STORED_RATE_SCALE`] places).
    pub const fn stored_rate(field: &'static str) -> NumberRule {
        NumberRule { scale: STORED_RATE_SCALE, ..NumberRule::rate(field) }
    }
    /// An amount as Jarvis stores it, typed or computed (a month's share of a yearly price has
    /// many decimal places): read back from a backup exactly.
    pub const fn stored_amount(field: &'static str) -> NumberRule {
        NumberRule { field, max: MAX_AMOUNT, scale: COMPUTED_SCALE, allow_zero: true, scale_tip: "" }
    }

    /// Parses a plain decimal such as `12.50`, `0.0004` or `1500`, enforcing the rule.
    pub fn parse(&self, input: &str) -> Result<Decimal, UserError> {
        let text = input.trim();
        let bad = |reason: String| UserError::invalid(self.field, input, reason);
        if text.is_empty() {
            return Err(bad("it is empty; give a number such as 12.50".into()));
        }
        if text.starts_with('-') {
            return Err(bad("it cannot be negative".into()));
        }
        let digits = text.strip_prefix('+').unwrap_or(text);
        if digits.contains(',') {
            return Err(bad("write it without thousands separators, e.g. 1234.50".into()));
        }
        let well_formed = !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.matches('.').count() <= 1
            && digits.chars().any(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(bad("it is not a number; write it like 12.50".into()));
        }
        let (_, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let fraction_digits = fraction.trim_end_matches('0').len() as u32;
        if fraction_digits > self.scale {
            return Err(bad(format!("it has more than {} decimal places{}", self.scale, self.scale_tip)));
        }
        let integer_digits = digits.split('.').next().unwrap_or("").trim_start_matches('0').len();
        if integer_digits > 20 {
            return Err(bad(format!("it is larger than the maximum of {}", group_thousands(self.max, 0))));
        }
        let value =
            Decimal::from_str(digits).map_err(|_| bad("it is not a number; write it like 12.50".into()))?.normalize();
        if value > self.max {
            return Err(bad(format!("it is larger than the maximum of {}", group_thousands(self.max, 0))));
        }
        if value.is_zero() && !self.allow_zero {
            return Err(bad("it must be greater than zero".into()));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::dec;

    #[test]
    fn constants_are_what_they_say() {
        assert_eq!(MAX_AMOUNT, dec("1000000000000"));
        assert_eq!(MAX_QUANTITY, dec("1000000000000000"));
    }

    #[track_caller]
    fn check_currency(input: &str, expected: Result<(&str, u32), ()>) {
        let actual = Currency::parse(input).map(|c| (c.code(), c.minor_units())).map_err(|_| ());
        assert_eq!(actual, expected, "input {input:?}");
    }

    #[test]
    fn currencies_come_from_iso_4217() {
        check_currency("USD", Ok(("USD", 2)));
        check_currency("usd", Ok(("USD", 2)));
        check_currency(" thb ", Ok(("THB", 2)));
        check_currency("JPY", Ok(("JPY", 0)));
        check_currency("KWD", Ok(("KWD", 3)));
        check_currency("EUR", Ok(("EUR", 2)));
        check_currency("XYZ", Err(()));
        check_currency("US", Err(()));
        check_currency("", Err(()));
        check_currency("XAU", Err(())); // gold has no minor units
        check_currency("XTS", Err(())); // reserved for testing
    }

    #[test]
    fn currency_names() {
        assert_eq!(Currency::parse("THB").unwrap().name(), "Thai baht");
    }

    #[track_caller]
    fn check_display(amount: &str, currency: &str, expected: &str) {
        let money = Money::new(dec(amount), Currency::parse(currency).unwrap());
        assert_eq!(money.to_string(), expected);
    }

    #[test]
    fn display_rounds_half_to_even_to_minor_units() {
        check_display("12.5", "USD", "12.50 USD");
        check_display("0.125", "USD", "0.12 USD");
        check_display("0.135", "USD", "0.14 USD");
        check_display("2.5", "JPY", "2 JPY");
        check_display("3.5", "JPY", "4 JPY");
        check_display("1.0005", "KWD", "1.000 KWD");
        check_display("1.0015", "KWD", "1.002 KWD");
        check_display("1234567.891", "USD", "1,234,567.89 USD");
        check_display("100", "JPY", "100 JPY");
        check_display("1000", "JPY", "1,000 JPY");
        check_display("0", "USD", "0.00 USD");
        check_display("8.333333333333333333333333333", "USD", "8.33 USD");
    }

    #[track_caller]
    fn check_plain(amount: &str, currency: &str, rounded: &str, exact: &str) {
        let currency = Currency::parse(currency).unwrap();
        assert_eq!(plain_amount(dec(amount), currency), rounded);
        assert_eq!(exact_amount(dec(amount), currency), exact);
    }

    #[test]
    fn plain_amounts_for_json() {
        check_plain("12.5", "USD", "12.50", "12.50");
        check_plain("0.0004", "USD", "0.00", "0.0004");
        check_plain("12.505", "USD", "12.50", "12.505");
        check_plain("8.333333333333333333333333333", "USD", "8.33", "8.333333333333333333333333333");
        check_plain("1500", "JPY", "1500", "1500");
        check_plain("1.25", "KWD", "1.250", "1.250");
        assert_eq!(format_exact(dec("1290"), Currency::parse("THB").unwrap()), "1,290.00");
        assert_eq!(format_exact(dec("0.000024"), Currency::USD), "0.000024");
    }

    #[track_caller]
    fn check_amount(input: &str, expected: Result<&str, &str>) {
        let actual = NumberRule::amount("cost").parse(input);
        match (actual, expected) {
            (Ok(value), Ok(want)) => assert_eq!(value, dec(want), "input {input:?}"),
            (Err(error), Err(fragment)) => {
                assert!(error.to_string().contains(fragment), "input {input:?}: {error}")
            }
            (actual, expected) => panic!("input {input:?}: got {actual:?}, want {expected:?}"),
        }
    }

    #[test]
    fn parses_amounts_exactly() {
        check_amount("12.50", Ok("12.5"));
        check_amount("0", Ok("0"));
        check_amount("+3", Ok("3"));
        check_amount(" 7 ", Ok("7"));
        check_amount("0.00000015", Ok("0.00000015"));
        check_amount("1.100000000", Ok("1.1")); // trailing zeros are not precision
        check_amount("1000000000000", Ok("1000000000000"));
        check_amount(".5", Ok("0.5"));
    }

    #[test]
    fn rejects_bad_amounts() {
        check_amount("-1", Err("cannot be negative"));
        check_amount("NaN", Err("not a number"));
        check_amount("inf", Err("not a number"));
        check_amount("1e5", Err("not a number"));
        check_amount("", Err("empty"));
        check_amount("1,234.50", Err("thousands separators"));
        check_amount("1.2.3", Err("not a number"));
        check_amount(".", Err("not a number"));
        check_amount("1000000000000.01", Err("larger than the maximum"));
        check_amount("99999999999999999999999999999999", Err("larger than the maximum"));
        check_amount("0.000000001", Err("more than 8 decimal places"));
        check_amount("12.50 USD", Err("not a number"));
    }

    #[test]
    fn stored_amounts_keep_every_decimal_place() {
        let rule = NumberRule::stored_amount("amount");
        assert_eq!(rule.parse("8.333333333333333333333333333").unwrap(), dec("8.333333333333333333333333333"));
        assert_eq!(rule.parse("0.0000008").unwrap(), dec("0.0000008"));
        assert_eq!(rule.parse("0.000000000012").unwrap(), dec("0.000000000012"));
        assert!(rule.parse("-1").unwrap_err().to_string().contains("cannot be negative"));
        assert!(rule.parse("1e3").unwrap_err().to_string().contains("not a number"));
    }

    #[track_caller]
    fn check_rate(input: &str, expected: Result<&str, &str>) {
        match (NumberRule::rate("rate").parse(input), expected) {
            (Ok(value), Ok(want)) => assert_eq!(value, dec(want), "input {input:?}"),
            (Err(error), Err(fragment)) => assert!(error.to_string().contains(fragment), "{input:?}: {error}"),
            (actual, expected) => panic!("input {input:?}: got {actual:?}, want {expected:?}"),
        }
    }

    #[test]
    fn rates_are_positive_with_at_most_8_decimals_and_a_sane_maximum() {
        check_rate("35.2", Ok("35.2"));
        check_rate("0.00000001", Ok("0.00000001"));
        check_rate("25400", Ok("25400"));
        check_rate("1000000000", Ok("1000000000"));
        check_rate("0", Err("it must be greater than zero"));
        check_rate("0.00000000", Err("it must be greater than zero"));
        check_rate("-35", Err("cannot be negative"));
        check_rate("0.0000000001", Err("more than 8 decimal places; for a currency worth that little, swap the two"));
        check_rate("1000000000.5", Err("larger than the maximum of 1,000,000,000"));
        // Rates stored before the limit still read back from backups.
        assert_eq!(NumberRule::stored_rate("rate").parse("0.0000000394").unwrap(), dec("0.0000000394"));
    }
}
