//! What the providers' answers mean, without I/O: exact decimal amounts read from the JSON text,
//! minor units turned into major units, exact sums, daily buckets merged into whole UTC days,
//! `Retry-After` and error bodies. The network shell around these is in `providers/mod.rs`.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::domain::calendar::DateRange;
use crate::domain::connection::{Pulled, PulledCost, PulledDay};
use crate::domain::money::Currency;

/// Reads `body` as `T`, saying where it went wrong (`data[3].results[0].amount.value: ...`),
/// without quoting the body.
pub(super) fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = without_position(err.inner().to_string());
        if path == "." { inner } else { format!("{path}: {inner}") }
    })?;
    deserializer
        .end()
        .map_err(|err| format!("there is more after the JSON value: {}", without_position(err.to_string())))?;
    Ok(value)
}

/// serde_json's message without its ` at line 1 column 4711`: the body is not shown, so the
/// position only adds noise to the path.
fn without_position(text: String) -> String {
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Deserializes a JSON number (`0.06`, `1e-7`) or a decimal string (`"123.45"`) into the exact
/// decimal its text says: the number is taken from its text through `RawValue`, never through
/// `f64`. Anything a decimal cannot hold exactly is refused.
pub(super) fn exact_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw: Box<RawValue> = Deserialize::deserialize(deserializer)?;
    let text = raw.get();
    let digits = if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(D::Error::custom)?
    } else {
        text.to_string()
    };
    parse_exact(&digits).ok_or_else(|| {
        D::Error::custom(format!("`{}` is not a decimal amount that Jarvis can hold exactly", shorten(&digits, 60)))
    })
}

/// Parses `-12.5`, `0.000000000001`, `1e-7`, `1.5E+3` exactly; `None` for anything else (`NaN`,
/// `1_000`, `+1`, `.5`), for more than 28 decimal places or a value beyond 96 bits of mantissa.
pub(super) fn parse_exact(text: &str) -> Option<Decimal> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    // rust_decimal's own parser also takes `_` separators and a leading `+`: check the shape
    // first, so only plain decimals get through.
    let unsigned = mantissa.strip_prefix('-').unwrap_or(mantissa);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    let mut value = Decimal::from_str_exact(mantissa).ok()?;
    let Some(exponent) = exponent else { return Some(value) };
    let unsigned_exponent = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
    if !digits(unsigned_exponent) || unsigned_exponent.len() > 4 {
        return None;
    }
    let exponent: i32 = exponent.parse().ok()?;
    if value.is_zero() {
        return Some(Decimal::ZERO);
    }
    if exponent < 0 {
        // Moving the point left keeps every digit: only the scale grows (to 28 at most).
        value = value.normalize();
        value.set_scale(value.scale().checked_add(exponent.unsigned_abs())?).ok()?;
    } else {
        let exponent = exponent.unsigned_abs();
        let shift = exponent.min(value.scale());
        value.set_scale(value.scale() - shift).ok()?;
        for _ in 0..(exponent - shift).min(30) {
            value = value.checked_mul(Decimal::TEN)?;
        }
    }
    Some(value)
}

/// `a + b` exactly, or `None` when the exact sum does not fit a decimal (rust_decimal's own `+`
/// would round it silently).
pub(super) fn exact_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let scale = a.scale().max(b.scale());
    let widen = |value: Decimal| value.mantissa().checked_mul(10i128.checked_pow(scale - value.scale())?);
    let mut sum = widen(a)?.checked_add(widen(b)?)?;
    let mut scale = scale;
    // Trailing zeros are not precision: drop them until the mantissa fits 96 bits.
    while scale > 0 && sum % 10 == 0 && sum.unsigned_abs() >= 1u128 << 96 {
        sum /= 10;
        scale -= 1;
    }
    Decimal::try_from_i128_with_scale(sum, scale).ok()
}

/// An amount in the currency's lowest units (Anthropic's cents) in its major units (dollars),
/// exactly: the decimal point moves by the currency's minor units (2 for USD, 0 for JPY).
/// `None` when that needs more than 28 decimal places.
pub(super) fn minor_to_major(amount: Decimal, currency: Currency) -> Option<Decimal> {
    let mut value = amount.normalize();
    value.set_scale(value.scale().checked_add(currency.minor_units())?).ok()?;
    Some(value)
}

/// Deserializes an ISO 4217 code in any case (`usd`, `USD`) into a [`Currency`].
pub(super) fn currency<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Currency, D::Error> {
    let code = String::deserialize(deserializer)?;
    Currency::parse(&code)
        .map_err(|_| D::Error::custom(format!("`{}` is not an ISO 4217 currency code", shorten(&code, 20))))
}

/// How long a `Retry-After` value asks to wait: delay-seconds (`120`) or an HTTP-date (a date
/// already past means now). `None` when it is neither.
pub(super) fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // A delay too long for a u64 is as good as forever.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = http_date(value)?;
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// An HTTP-date: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms RFC
/// 9110 asks recipients to accept, RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`).
fn http_date(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc2822(value) {
        return Some(at.with_timezone(&Utc));
    }
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .map(|at| at.and_utc())
}

/// The message of an error body: both providers answer `{"error": {"message": "...", ...}}`
/// (Anthropic inside `{"type": "error", ...}`).
pub(super) fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?;
    let text = error.get("message").and_then(serde_json::Value::as_str).or_else(|| error.as_str())?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// `text` cut to at most `limit` characters, an ellipsis marking the cut.
pub(super) fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut short: String = text.chars().take(limit.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// `00:00 UTC` of the first day and of the day after the last: the instants a pull asks between.
pub(super) fn bounds(days: DateRange) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
    (midnight(days.start), midnight(days.end.succ_opt().unwrap_or(NaiveDate::MAX)))
}

/// Which endpoint a bucket came from: each may give a day once.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Kind {
    Costs,
    Usage,
}

/// A pull being put together: every asked day, in order, filled from the buckets of both
/// endpoints.
pub(super) struct Days {
    range: DateRange,
    by_day: Vec<(NaiveDate, PulledDay)>,
    /// The days each report has given, so one given twice (a cursor that goes back) is caught
    /// instead of counted twice.
    seen: HashSet<(Kind, NaiveDate)>,
}

impl Days {
    /// Every day of `range`, with no costs or tokens yet, and `requests` (zero for a provider
    /// that counts requests, `None` for one that does not).
    pub(super) fn new(range: DateRange, requests: Option<u64>) -> Days {
        let by_day = range
            .start
            .iter_days()
            .take_while(|day| *day <= range.end)
            .map(|day| (day, PulledDay { requests, ..PulledDay::default() }))
            .collect();
        Days { range, by_day, seen: HashSet::new() }
    }

    /// The day a daily bucket covers, to add its results to; `None` for a bucket outside the
    /// asked days (skipped). A bucket must start at 00:00 UTC and end later that day or at the
    /// next midnight (today's bucket may end now): one that straddles days cannot be split, so it
    /// is refused, as is a day given twice by the same report.
    pub(super) fn bucket(
        &mut self,
        kind: Kind,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Option<&mut PulledDay>, String> {
        let day = start.date_naive();
        let next_midnight = day.succ_opt().map(|next| next.and_time(NaiveTime::MIN).and_utc());
        let one_day = start.time() == NaiveTime::MIN && start < end && next_midnight.is_some_and(|next| end <= next);
        if !one_day {
            let show = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
            return Err(format!("the bucket from {} to {} is not one UTC day", show(start), show(end)));
        }
        if !self.range.contains(day) {
            return Ok(None);
        }
        if !self.seen.insert((kind, day)) {
            return Err(format!("{day} is given twice"));
        }
        let index = (day - self.range.start).num_days();
        Ok(usize::try_from(index).ok().and_then(|index| self.by_day.get_mut(index)).map(|(_, pulled)| pulled))
    }

    pub(super) fn finish(self) -> Pulled {
        Pulled { days: self.range, by_day: self.by_day }
    }
}

/// Adds a cost line to its day: kept apart from the day's other lines, added (exactly) to the
/// same line in the same currency when the provider gives it twice.
pub(super) fn add_cost(day: &mut PulledDay, cost: PulledCost) -> Result<(), String> {
    match day.costs.iter_mut().find(|known| known.line == cost.line && known.currency == cost.currency) {
        Some(known) => {
            known.amount = exact_add(known.amount, cost.amount).ok_or_else(|| {
                format!(
                    "the line {:?} adds up to more than a decimal holds exactly",
                    cost.line.as_deref().unwrap_or("")
                )
            })?;
        }
        None => day.costs.push(cost),
    }
    Ok(())
}

/// Adds a usage result to its day.
pub(super) fn add_usage(day: &mut PulledDay, requests: Option<u64>, input: u64, output: u64) -> Result<(), String> {
    let overflow = || "the token counts add up to more than 2^64".to_string();
    day.input_tokens = day.input_tokens.checked_add(input).ok_or_else(overflow)?;
    day.output_tokens = day.output_tokens.checked_add(output).ok_or_else(overflow)?;
    if let Some(requests) = requests {
        let known = day.requests.unwrap_or(0);
        day.requests =
            Some(known.checked_add(requests).ok_or_else(|| "the request counts add up to more than 2^64".to_string())?);
    }
    Ok(())
}

/// The sum of token counts, refusing one beyond a u64.
pub(super) fn tokens(parts: &[u64]) -> Result<u64, String> {
    parts
        .iter()
        .try_fold(0u64, |sum, part| sum.checked_add(*part))
        .ok_or_else(|| "the token counts add up to more than 2^64".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{d as day, dec};

    #[track_caller]
    fn check_exact(text: &str, expected: Option<&str>) {
        let actual = parse_exact(text);
        assert_eq!(actual, expected.map(dec), "{text}");
        // Scale kept as written, so 0.060 and 0.06 compare equal but show what was sent.
        if let (Some(actual), Some(expected)) = (actual, expected) {
            assert_eq!(actual.normalize().to_string(), dec(expected).normalize().to_string(), "{text}");
        }
    }

    #[test]
    fn amounts_are_read_exactly_from_their_text() {
        check_exact("0.06", Some("0.06"));
        check_exact("0", Some("0"));
        check_exact("-0", Some("0"));
        check_exact("-12.5", Some("-12.5"));
        check_exact("0.000000000001", Some("0.000000000001"));
        check_exact("12345678901234.123456789012", Some("12345678901234.123456789012"));
        check_exact("1e-7", Some("0.0000001"));
        check_exact("1E-7", Some("0.0000001"));
        check_exact("2.5e-27", Some("0.0000000000000000000000000025"));
        check_exact("1.5e3", Some("1500"));
        check_exact("1.5E+3", Some("1500"));
        check_exact("1.25e1", Some("12.5"));
        check_exact("0e-400", Some("0"));
        check_exact("79228162514264337593543950335", Some("79228162514264337593543950335"));
        // Digits a float would lose are kept.
        check_exact("0.1000000000000000055511151231", Some("0.1000000000000000055511151231"));
        check_exact("9007199254740993", Some("9007199254740993"));
    }

    #[test]
    fn what_a_decimal_cannot_hold_exactly_is_refused() {
        for bad in [
            "",
            "-",
            "NaN",
            "Infinity",
            "+1",
            ".5",
            "5.",
            "1_000",
            "1,000",
            " 1",
            "0x10",
            "1e",
            "1e+",
            "1e309",
            "1e-29",
            "1.5e-28",
            "79228162514264337593543950336",
            "0.00000000000000000000000000001",
            "0.12345678901234567890123456789",
            "1e99999",
        ] {
            assert_eq!(parse_exact(bad), None, "{bad:?}");
        }
    }

    #[derive(Deserialize, Debug)]
    struct Amount {
        #[serde(deserialize_with = "exact_decimal")]
        value: Decimal,
        #[serde(deserialize_with = "currency")]
        currency: Currency,
    }

    #[test]
    fn json_numbers_and_strings_become_decimals_without_floats() {
        let read = |json: &str| from_json::<Amount>(json.as_bytes()).map(|a| (a.value, a.currency));
        assert_eq!(read(r#"{"value": 0.06, "currency": "usd"}"#), Ok((dec("0.06"), Currency::USD)));
        assert_eq!(read(r#"{"value": "123.45", "currency": "USD"}"#), Ok((dec("123.45"), Currency::USD)));
        assert_eq!(read(r#"{"value": 1e-7, "currency": "Usd"}"#), Ok((dec("0.0000001"), Currency::USD)));
        assert_eq!(
            read(r#"{"value": 0.30000000000000004, "currency": "usd"}"#),
            Ok((dec("0.30000000000000004"), Currency::USD))
        );
        let err = read(r#"{"value": "12,50", "currency": "usd"}"#).unwrap_err();
        assert_eq!(err, "value: `12,50` is not a decimal amount that Jarvis can hold exactly");
        let err = read(r#"{"value": true, "currency": "usd"}"#).unwrap_err();
        assert_eq!(err, "value: `true` is not a decimal amount that Jarvis can hold exactly");
        let err = read(r#"{"value": 1, "currency": "credits"}"#).unwrap_err();
        assert_eq!(err, "currency: `credits` is not an ISO 4217 currency code");
        let err = read(r#"{"value": 1}"#).unwrap_err();
        assert_eq!(err, "missing field `currency`");
        let err = read(r#"{"value": 1, "currency": "usd"} x"#).unwrap_err();
        assert!(err.starts_with("there is more after the JSON value"), "{err}");
        let err = read(r#"{"value": 1, "curr"#).unwrap_err();
        assert!(err.contains("EOF"), "{err}");
        assert!(!err.contains("line"), "{err}");
    }

    #[test]
    fn sums_are_exact_or_refused() {
        let add = |a: &str, b: &str| exact_add(dec(a), dec(b));
        assert_eq!(add("0.000000000001", "0.000000000002"), Some(dec("0.000000000003")));
        assert_eq!(add("12345678901234.123456789012", "0.000000000001"), Some(dec("12345678901234.123456789013")));
        assert_eq!(add("1.5", "-2"), Some(dec("-0.5")));
        assert_eq!(add("79228162514264337593543950335", "0"), Some(dec("79228162514264337593543950335")));
        // Plain `+` would round this to 28 digits; it needs 30.
        assert_eq!(add("12345678901234567890.12345678", "0.0000000001"), None);
        assert_eq!(add("79228162514264337593543950335", "1"), None);
        // Trailing zeros of the exact sum are dropped when the digits would not fit otherwise.
        assert_eq!(add("7922816251426433759354395033.5", "0.5"), Some(dec("7922816251426433759354395034")));
    }

    #[test]
    fn lowest_units_become_major_units_exactly() {
        let jpy = Currency::parse("JPY").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(minor_to_major(dec("123.45"), Currency::USD), Some(dec("1.2345")));
        assert_eq!(minor_to_major(dec("12345"), Currency::USD), Some(dec("123.45")));
        assert_eq!(minor_to_major(dec("-250"), Currency::USD), Some(dec("-2.5")));
        assert_eq!(minor_to_major(dec("0.000000000001"), Currency::USD), Some(dec("0.00000000000001")));
        assert_eq!(minor_to_major(dec("1500"), jpy), Some(dec("1500")));
        assert_eq!(minor_to_major(dec("1500"), kwd), Some(dec("1.5")));
        assert_eq!(
            minor_to_major(dec("0.00000000000000000000000001"), Currency::USD),
            Some(dec("0.0000000000000000000000000001"))
        );
        assert_eq!(minor_to_major(dec("0.000000000000000000000000001"), Currency::USD), None);
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("1994-11-06T08:49:00Z").unwrap().with_timezone(&Utc);
        let check = |value: &str, expected: Option<u64>| {
            assert_eq!(retry_after(value, now), expected.map(Duration::from_secs), "{value:?}");
        };
        check("120", Some(120));
        check(" 0 ", Some(0));
        check("99999999999999999999999", Some(u64::MAX));
        check("Sun, 06 Nov 1994 08:49:37 GMT", Some(37));
        check("Sunday, 06-Nov-94 08:49:37 GMT", Some(37));
        check("Sun Nov  6 08:49:37 1994", Some(37));
        check("Sun, 06 Nov 1994 08:00:00 GMT", Some(0)); // past: no wait
        check("-5", None);
        check("1.5", None);
        check("soon", None);
        check("", None);
    }

    #[test]
    fn error_bodies_give_their_message() {
        let openai = br#"{"error": {"message": "Incorrect API key provided: sk-admin-****abcd.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#;
        assert_eq!(error_message(openai).as_deref(), Some("Incorrect API key provided: sk-admin-****abcd."));
        let anthropic = br#"{"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}, "request_id": "req_1"}"#;
        assert_eq!(error_message(anthropic).as_deref(), Some("invalid x-api-key"));
        assert_eq!(error_message(br#"{"error": "Forbidden\n  here"}"#).as_deref(), Some("Forbidden here"));
        assert_eq!(error_message(b"<html>403 Forbidden</html>"), None);
        assert_eq!(error_message(br#"{"error": {"message": "  "}}"#), None);
        assert_eq!(error_message(b""), None);
    }

    #[test]
    fn shortening_counts_characters() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "ab…");
        assert_eq!(shorten("ééééé", 4), "ééé…");
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn cost(line: Option<&str>, amount: &str) -> PulledCost {
        PulledCost { line: line.map(String::from), amount: dec(amount), currency: Currency::USD }
    }

    #[test]
    fn buckets_fill_whole_utc_days_in_order() {
        let range = DateRange::new(day("2026-01-30"), day("2026-02-02")).unwrap();
        assert_eq!(bounds(range), (at("2026-01-30T00:00:00Z"), at("2026-02-03T00:00:00Z")));
        let mut days = Days::new(range, Some(0));
        let jan31 = days.bucket(Kind::Costs, at("2026-01-31T00:00:00Z"), at("2026-02-01T00:00:00Z")).unwrap().unwrap();
        add_cost(jan31, cost(Some("gpt-4o, input"), "0.000000000001")).unwrap();
        add_cost(jan31, cost(Some("gpt-4o, output"), "2")).unwrap();
        add_cost(jan31, cost(Some("gpt-4o, input"), "0.000000000002")).unwrap();
        add_cost(jan31, cost(None, "-1.5")).unwrap();
        // Today's bucket may end before midnight.
        let feb2 = days.bucket(Kind::Usage, at("2026-02-02T00:00:00Z"), at("2026-02-02T13:05:00Z")).unwrap().unwrap();
        add_usage(feb2, Some(3), 10, 20).unwrap();
        add_usage(feb2, Some(4), 1, 2).unwrap();
        // Outside the asked days: skipped.
        assert!(days.bucket(Kind::Costs, at("2026-02-03T00:00:00Z"), at("2026-02-04T00:00:00Z")).unwrap().is_none());
        assert!(days.bucket(Kind::Costs, at("2026-01-29T00:00:00Z"), at("2026-01-30T00:00:00Z")).unwrap().is_none());
        // The same day from the other report is fine; twice from one is not.
        assert!(days.bucket(Kind::Usage, at("2026-01-31T00:00:00Z"), at("2026-02-01T00:00:00Z")).is_ok());
        assert_eq!(
            days.bucket(Kind::Costs, at("2026-01-31T00:00:00Z"), at("2026-02-01T00:00:00Z")).err().as_deref(),
            Some("2026-01-31 is given twice")
        );
        let pulled = days.finish();
        assert_eq!(pulled.days, range);
        let dates: Vec<String> = pulled.by_day.iter().map(|(d, _)| d.to_string()).collect();
        assert_eq!(dates, ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]);
        assert_eq!(pulled.by_day[0].1, PulledDay { requests: Some(0), ..PulledDay::default() });
        assert_eq!(
            pulled.by_day[1].1.costs,
            vec![cost(Some("gpt-4o, input"), "0.000000000003"), cost(Some("gpt-4o, output"), "2"), cost(None, "-1.5")]
        );
        assert_eq!(
            pulled.by_day[3].1,
            PulledDay { costs: vec![], requests: Some(7), input_tokens: 11, output_tokens: 22 }
        );
    }

    #[test]
    fn buckets_that_are_not_one_utc_day_are_refused() {
        let range = DateRange::new(day("2026-01-01"), day("2026-01-10")).unwrap();
        let mut days = Days::new(range, None);
        for (start, end) in [
            ("2026-01-02T00:00:00Z", "2026-01-03T00:00:01Z"),
            ("2026-01-02T00:00:00Z", "2026-01-04T00:00:00Z"),
            ("2026-01-02T01:00:00Z", "2026-01-03T01:00:00Z"),
            ("2026-01-02T00:00:00+07:00", "2026-01-03T00:00:00+07:00"),
            ("2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z"),
            ("2026-01-03T00:00:00Z", "2026-01-02T00:00:00Z"),
        ] {
            let err = days.bucket(Kind::Costs, at(start), at(end)).err();
            assert!(err.as_deref().is_some_and(|e| e.ends_with("is not one UTC day")), "{start} {end}: {err:?}");
        }
        assert_eq!(
            days.bucket(Kind::Costs, at("2026-01-02T01:00:00Z"), at("2026-01-03T00:00:00Z")).err().as_deref(),
            Some("the bucket from 2026-01-02T01:00:00Z to 2026-01-03T00:00:00Z is not one UTC day")
        );
    }

    #[test]
    fn counts_that_overflow_are_refused() {
        let mut day = PulledDay::default();
        add_usage(&mut day, None, u64::MAX, 0).unwrap();
        assert_eq!(day.requests, None);
        assert!(add_usage(&mut day, None, 1, 0).is_err());
        assert_eq!(tokens(&[1, 2, 3]), Ok(6));
        assert!(tokens(&[u64::MAX, 1]).is_err());
        let mut huge = PulledDay::default();
        add_cost(&mut huge, cost(Some("a"), "79228162514264337593543950335")).unwrap();
        assert!(add_cost(&mut huge, cost(Some("a"), "1")).is_err());
    }
}
