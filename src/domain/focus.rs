//! FOCUS cost and usage rows (the FinOps Foundation's open billing format, versions 1.0 to 1.3):
//! which columns Jarvis reads, found by name in any order, and each row read exactly as the
//! export wrote it. Real exports are forgiving about form, so this is too: `NULL` or an empty
//! cell for nothing, datetimes with a space and no zone as well as RFC 3339, numbers with an
//! exponent, enum values in any case. Amounts never pass through a float.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

use super::calendar::DateRange;
use super::item::Kind;
use super::money::Currency;

/// A column Jarvis reads.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Column {
    BilledCost,
    BillingCurrency,
    ChargePeriodStart,
    ChargePeriodEnd,
    ChargeCategory,
    ServiceCategory,
    ServiceName,
    /// `ProviderName` (1.0 to 1.2) or `ServiceProviderName` (1.3).
    Provider,
    BillingAccountId,
    /// An AWS member account, an Azure subscription, a Google Cloud project (optional).
    SubAccountId,
    BillingPeriodStart,
    BillingPeriodEnd,
    EffectiveCost,
    ListCost,
}

impl Column {
    /// Every column, the required ones first.
    pub const ALL: [Column; 14] = [
        Column::BilledCost,
        Column::BillingCurrency,
        Column::ChargePeriodStart,
        Column::ChargePeriodEnd,
        Column::ChargeCategory,
        Column::ServiceName,
        Column::Provider,
        Column::BillingAccountId,
        Column::BillingPeriodStart,
        Column::BillingPeriodEnd,
        Column::ServiceCategory,
        Column::SubAccountId,
        Column::EffectiveCost,
        Column::ListCost,
    ];

    /// The names it goes by, the current one first.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Column::BilledCost => &["BilledCost"],
            Column::BillingCurrency => &["BillingCurrency"],
            Column::ChargePeriodStart => &["ChargePeriodStart"],
            Column::ChargePeriodEnd => &["ChargePeriodEnd"],
            Column::ChargeCategory => &["ChargeCategory"],
            Column::ServiceCategory => &["ServiceCategory"],
            Column::ServiceName => &["ServiceName"],
            Column::Provider => &["ServiceProviderName", "ProviderName"],
            Column::BillingAccountId => &["BillingAccountId"],
            Column::SubAccountId => &["SubAccountId"],
            Column::BillingPeriodStart => &["BillingPeriodStart"],
            Column::BillingPeriodEnd => &["BillingPeriodEnd"],
            Column::EffectiveCost => &["EffectiveCost"],
            Column::ListCost => &["ListCost"],
        }
    }

    /// Whether a file without it cannot be imported.
    pub fn required(self) -> bool {
        !matches!(self, Column::ServiceCategory | Column::SubAccountId | Column::EffectiveCost | Column::ListCost)
    }

    /// The name to show: the one the file used, else the current one.
    pub fn name(self) -> &'static str {
        self.names()[0]
    }
}

/// Where each column Jarvis reads is in a file's rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    at: [Option<usize>; Column::ALL.len()],
    /// The name each found column goes by in this file.
    named: [&'static str; Column::ALL.len()],
    /// The FOCUS version its columns show.
    pub version: FocusVersion,
    /// How many columns the file has.
    pub width: usize,
}

/// Which FOCUS version the header looks like: the newest whose added columns it has (a file may
/// leave optional columns out, so this is the version it is at least).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum FocusVersion {
    V1_0,
    /// Adds `ServiceSubcategory`, `SkuMeter`, `CapacityReservationId`, `CommitmentDiscountQuantity`.
    V1_1,
    /// Adds `InvoiceId` and `PricingCurrency`.
    V1_2,
    /// Renames `ProviderName` and `PublisherName` to `ServiceProviderName` and `HostProviderName`.
    V1_3,
}

impl FocusVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            FocusVersion::V1_0 => "1.0",
            FocusVersion::V1_1 => "1.1",
            FocusVersion::V1_2 => "1.2",
            FocusVersion::V1_3 => "1.3",
        }
    }

    /// The version a header with these (lower-cased) column names is at least.
    fn of(names: &[String]) -> FocusVersion {
        let has = |name: &str| names.iter().any(|n| n == name);
        if has("serviceprovidername") || has("hostprovidername") {
            FocusVersion::V1_3
        } else if has("invoiceid") || has("pricingcurrency") {
            FocusVersion::V1_2
        } else if has("servicesubcategory")
            || has("skumeter")
            || has("capacityreservationid")
            || has("commitmentdiscountquantity")
        {
            FocusVersion::V1_1
        } else {
            FocusVersion::V1_0
        }
    }
}

/// A file that is not a FOCUS export Jarvis can read.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NotFocus {
    /// The required columns it lacks, by their current names.
    pub missing: Vec<&'static str>,
}

impl std::fmt::Display for NotFocus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "This file is not a FOCUS cost and usage export Jarvis can read: it has no {} column{} (FOCUS 1.0 to 1.3 name them in the first row; export the bill as FOCUS from your cloud's billing console)",
            self.missing.join(", "),
            if self.missing.len() == 1 { "" } else { "s" }
        )
    }
}

impl Header {
    /// The columns of a header row (names in any order and case, a byte-order mark and spaces
    /// around them ignored; other columns, such as `x_` ones, skipped).
    pub fn read<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Header, NotFocus> {
        let names: Vec<String> =
            names.into_iter().map(|n| n.trim_start_matches('\u{feff}').trim().to_ascii_lowercase()).collect();
        let mut at = [None; Column::ALL.len()];
        let mut named = [""; Column::ALL.len()];
        for (slot, column) in Column::ALL.iter().enumerate() {
            for name in column.names() {
                if let Some(index) = names.iter().position(|n| *n == name.to_ascii_lowercase()) {
                    at[slot] = Some(index);
                    named[slot] = name;
                    break;
                }
            }
        }
        let missing: Vec<&'static str> = Column::ALL
            .iter()
            .enumerate()
            .filter(|(slot, c)| c.required() && at[*slot].is_none())
            .map(|(_, c)| c.name())
            .collect();
        if !missing.is_empty() {
            return Err(NotFocus { missing });
        }
        Ok(Header { at, named, version: FocusVersion::of(&names), width: names.len() })
    }

    fn slot(column: Column) -> usize {
        Column::ALL.iter().position(|c| *c == column).expect("every column is listed")
    }

    /// Where `column` is, if the file has it.
    pub fn index(&self, column: Column) -> Option<usize> {
        self.at[Header::slot(column)]
    }

    /// The name `column` goes by in this file.
    pub fn name(&self, column: Column) -> &'static str {
        match self.named[Header::slot(column)] {
            "" => column.name(),
            name => name,
        }
    }

    /// One row, from its fields; `cache` keeps what the previous rows' texts were read as.
    pub fn row<'a>(
        &self,
        cache: &mut RowCache,
        field: impl Fn(usize) -> Option<&'a str>,
    ) -> Result<Charge<'a>, BadValue> {
        let text = |column: Column| -> Option<&'a str> {
            let value = field(self.index(column)?)?.trim();
            (!value.is_empty() && !value.eq_ignore_ascii_case("null")).then_some(value)
        };
        let bad = |column: Column, value: &str, reason: String| BadValue {
            column: self.name(column),
            value: value.chars().take(80).collect(),
            reason,
        };
        let required = |column: Column| -> Result<&'a str, BadValue> {
            text(column).ok_or_else(|| bad(column, "", "it is empty, and every row needs it".to_string()))
        };
        let amount = |column: Column| -> Result<Option<Decimal>, BadValue> {
            text(column).map(|value| decimal(value).map_err(|reason| bad(column, value, reason))).transpose()
        };
        let instant = |column: Column| -> Result<NaiveDateTime, BadValue> {
            let value = required(column)?;
            datetime(value).map_err(|reason| bad(column, value, reason))
        };
        let billed = amount(Column::BilledCost)?
            .ok_or_else(|| bad(Column::BilledCost, "", "it is empty, and every row needs it".to_string()))?;
        let currency_text = required(Column::BillingCurrency)?;
        let currency = match &cache.currency {
            Some((text, currency)) if text == currency_text => *currency,
            _ => {
                let currency = Currency::parse(currency_text).map_err(|_| {
                    bad(Column::BillingCurrency, currency_text, "it is not an ISO 4217 currency code".to_string())
                })?;
                cache.currency = Some((currency_text.to_string(), currency));
                currency
            }
        };
        let category_text = required(Column::ChargeCategory)?;
        let category = ChargeCategory::parse(category_text).ok_or_else(|| {
            bad(
                Column::ChargeCategory,
                category_text,
                "it is not one of Usage, Purchase, Tax, Credit, Adjustment".to_string(),
            )
        })?;
        let (start, end) = (instant(Column::ChargePeriodStart)?, instant(Column::ChargePeriodEnd)?);
        let days = charge_days(start, end).ok_or_else(|| {
            bad(Column::ChargePeriodEnd, &end.to_string(), format!("it is before the charge period's start, {start}"))
        })?;
        // The billing period is the same on row after row: read once while its text stays.
        let (start_text, end_text) = (required(Column::BillingPeriodStart)?, required(Column::BillingPeriodEnd)?);
        let billing_period = match &cache.billing_period {
            Some((start, end, period)) if start == start_text && end == end_text => *period,
            _ => {
                let (period_start, period_end) =
                    (instant(Column::BillingPeriodStart)?, instant(Column::BillingPeriodEnd)?);
                let period = charge_days(period_start, period_end).ok_or_else(|| {
                    bad(
                        Column::BillingPeriodEnd,
                        &period_end.to_string(),
                        format!("it is before the billing period's start, {period_start}"),
                    )
                })?;
                cache.billing_period = Some((start_text.to_string(), end_text.to_string(), period));
                period
            }
        };
        Ok(Charge {
            provider: required(Column::Provider)?,
            service: required(Column::ServiceName)?,
            service_category: text(Column::ServiceCategory),
            category,
            billed,
            effective: amount(Column::EffectiveCost)?,
            list: amount(Column::ListCost)?,
            currency,
            days,
            billing_account: required(Column::BillingAccountId)?,
            sub_account: text(Column::SubAccountId),
            billing_period,
        })
    }
}

/// What the previous rows' repeated texts (the billing period, the currency) were read as, so
/// that row after row with the same text is not read again.
#[derive(Clone, Debug, Default)]
pub struct RowCache {
    billing_period: Option<(String, String, DateRange)>,
    currency: Option<(String, Currency)>,
}

/// A value a row cannot be read with.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BadValue {
    pub column: &'static str,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for BadValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "column {}: {}", self.column, self.reason)
        } else {
            write!(f, "column {}, value `{}`: {}", self.column, self.value, self.reason)
        }
    }
}

/// What kind of charge a row is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ChargeCategory {
    Usage,
    Purchase,
    Tax,
    /// A reduction: its cost is negative.
    Credit,
    Adjustment,
}

impl ChargeCategory {
    fn parse(text: &str) -> Option<ChargeCategory> {
        [
            ("usage", ChargeCategory::Usage),
            ("purchase", ChargeCategory::Purchase),
            ("tax", ChargeCategory::Tax),
            ("credit", ChargeCategory::Credit),
            ("adjustment", ChargeCategory::Adjustment),
        ]
        .into_iter()
        .find(|(name, _)| text.eq_ignore_ascii_case(name))
        .map(|(_, category)| category)
    }
}

/// One row of a FOCUS file, borrowing its text.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Charge<'a> {
    pub provider: &'a str,
    pub service: &'a str,
    pub service_category: Option<&'a str>,
    pub category: ChargeCategory,
    /// What the invoice says, in `currency`: the amount Jarvis records.
    pub billed: Decimal,
    /// After commitment discounts are spread (amortised), when the file has it.
    pub effective: Option<Decimal>,
    /// At list price, when the file has it.
    pub list: Option<Decimal>,
    pub currency: Currency,
    /// The days the charge is for: from the charge period's start to the day of its end
    /// (exclusive, so a charge ending at midnight ends the day before).
    pub days: DateRange,
    pub billing_account: &'a str,
    /// The sub-account (AWS member account, Azure subscription, Google Cloud project), if given.
    pub sub_account: Option<&'a str>,
    /// The billing period, as days.
    pub billing_period: DateRange,
}

/// The days from `start` (inclusive) to `end` (exclusive); a charge shorter than a day is for
/// the day it starts. `None` when it ends before it starts.
fn charge_days(start: NaiveDateTime, end: NaiveDateTime) -> Option<DateRange> {
    if end < start {
        return None;
    }
    let last = if end == start { start } else { end - Duration::nanoseconds(1) };
    DateRange::between(start.date(), last.date().max(start.date())).ok()
}

/// The largest amount a row may carry (a quadrillion): a billion such rows still add up exactly.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// A decimal as an export writes it: `12.5`, `-0.000001`, `1.5E-7`, `"3"` (quotes are the CSV
/// reader's), read exactly.
pub fn decimal(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    match plain_decimal(text.as_bytes()) {
        Some(value) => Ok(value),
        None => any_decimal(text),
    }
}

/// [`decimal`] for any form: exponents, many digits, out of range.
fn any_decimal(text: &str) -> Result<Decimal, String> {
    // Digits past what a decimal holds would be rounded away silently: refused instead.
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    let (whole, fraction) = mantissa.trim_start_matches(['-', '+']).split_once('.').unwrap_or((mantissa, ""));
    let whole = whole.trim_start_matches(['-', '+']).trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let significant =
        if whole.is_empty() { fraction.trim_start_matches('0').len() } else { whole.len() + fraction.len() };
    if significant > 28 || (!text.contains(['e', 'E']) && fraction.len() > 28) {
        return Err("it has more digits than Jarvis keeps exactly (28)".to_string());
    }
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).map_err(|_| "it is not a number".to_string())
    } else {
        text.parse::<Decimal>().map_err(|_| "it is not a number".to_string())
    };
    let value = parsed?.normalize();
    // Far past any bill line, and so many of them still add up within a decimal's range.
    if value.abs() > Decimal::from(MAX_AMOUNT) {
        return Err(format!("it is larger than any bill line ({MAX_AMOUNT} at most)"));
    }
    Ok(value)
}

/// The form nearly every amount has (`-12.50`, `0.0004166667`: a sign, at most 18 digits, a
/// point), read without the general parser, trailing zeros of the fraction dropped as
/// [`Decimal::normalize`] would. `None` for anything else, which the general path reads.
fn plain_decimal(text: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let point = digits.iter().position(|b| *b == b'.');
    let (whole, fraction) = match point {
        Some(at) => (&digits[..at], &digits[at + 1..]),
        None => (digits, &digits[digits.len()..]),
    };
    let fraction = &fraction[..fraction.iter().rposition(|b| *b != b'0').map_or(0, |last| last + 1)];
    // 18 digits always fit an i64; fifteen whole digits stay within MAX_AMOUNT.
    if whole.len() + fraction.len() > 18 || whole.len() > 15 || (whole.is_empty() && point.is_none()) {
        return None;
    }
    let mut mantissa: i64 = 0;
    for byte in whole.iter().chain(fraction) {
        if !byte.is_ascii_digit() {
            return None;
        }
        mantissa = mantissa * 10 + i64::from(byte - b'0');
    }
    if whole.is_empty() && fraction.is_empty() && digits.len() <= 1 {
        return None;
    }
    let value = Decimal::new(if negative { -mantissa } else { mantissa }, u32::try_from(fraction.len()).ok()?);
    Some(value)
}

/// A datetime as exports write it, in UTC: RFC 3339 (`2026-11-01T00:00:00Z`, with an offset or
/// fractional seconds), or without a zone (`2026-11-01 00:00:00`, `2026-11-01T00:00`), or a day
/// alone (`2026-11-01`).
pub fn datetime(text: &str) -> Result<NaiveDateTime, String> {
    let text = text.trim();
    if let Some(at) = plain_datetime(text.as_bytes()) {
        return Ok(at);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.naive_utc());
    }
    let spaced = text.replacen(' ', "T", 1);
    if let Ok(at) = DateTime::parse_from_rfc3339(&spaced) {
        return Ok(at.naive_utc());
    }
    let bare = spaced.trim_end_matches(['Z', 'z']);
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(bare, format) {
            return Ok(at);
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(bare, "%Y-%m-%d") {
        return Ok(day.and_time(NaiveTime::MIN));
    }
    Err("it is not a date and time (FOCUS writes them as 2026-11-01T00:00:00Z)".to_string())
}

/// The forms nearly every row has, read without a general parser (a file has four datetimes a
/// row): `2026-11-01T00:00:00Z`, `2026-11-01 00:00:00`, with or without the `Z`.
fn plain_datetime(text: &[u8]) -> Option<NaiveDateTime> {
    let text = text.strip_suffix(b"Z").unwrap_or(text);
    if text.len() != 19 || text[4] != b'-' || text[7] != b'-' || !matches!(text[10], b'T' | b' ') {
        return None;
    }
    if text[13] != b':' || text[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        text[range].iter().try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    let day = NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?)?;
    Some(day.and_time(NaiveTime::from_hms_opt(number(11..13)?, number(14..16)?, number(17..19)?)?))
}

/// The kind of item a service becomes, from its FOCUS ServiceCategory (README, "Importing
/// bills", has the table).
pub fn kind_of(service_category: Option<&str>) -> Kind {
    let Some(category) = service_category else { return Kind::Other };
    match category.trim().to_ascii_lowercase().as_str() {
        "compute" | "web" => Kind::Hosting,
        "storage" => Kind::Storage,
        "networking" => Kind::Cdn,
        "ai and machine learning" => Kind::AiProvider,
        "analytics"
        | "business applications"
        | "databases"
        | "developer tools"
        | "identity"
        | "integration"
        | "internet of things"
        | "management and governance"
        | "media"
        | "migration"
        | "mobile"
        | "multicloud"
        | "security" => Kind::Integration,
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{d, dec};

    const HEADER_10: &str = "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargePeriodEnd,ChargePeriodStart,EffectiveCost,ListCost,ProviderName,ServiceCategory,ServiceName";

    fn header(line: &str) -> Result<Header, NotFocus> {
        Header::read(line.split(','))
    }

    fn row(header: &Header, line: &str) -> Result<Charge<'static>, BadValue> {
        let fields: Vec<&'static str> = Box::leak(line.to_string().into_boxed_str()).split(',').collect();
        header.row(&mut RowCache::default(), |i| fields.get(i).copied())
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_and_case_across_versions() {
        let h = header(HEADER_10).unwrap();
        assert_eq!(h.version, FocusVersion::V1_0);
        assert_eq!(h.index(Column::BilledCost), Some(0));
        let shuffled = "\u{feff}servicename, BILLEDCOST,x_Team,ChargePeriodStart,ChargePeriodEnd,BillingCurrency,ChargeCategory,ServiceProviderName,BillingAccountId,BillingPeriodStart,BillingPeriodEnd";
        let h = header(shuffled).unwrap();
        assert_eq!(h.version, FocusVersion::V1_3);
        assert_eq!((h.index(Column::ServiceName), h.index(Column::BilledCost)), (Some(0), Some(1)));
        assert_eq!(h.index(Column::ServiceCategory), None);
        assert_eq!(h.name(Column::Provider), "ServiceProviderName");
    }

    #[test]
    fn a_file_that_is_not_focus_names_what_it_lacks() {
        let missing = header("Date,Service,Cost").unwrap_err();
        assert!(missing.missing.contains(&"BilledCost") && missing.missing.contains(&"ServiceProviderName"));
        assert!(missing.to_string().contains("no BilledCost, BillingCurrency"), "{missing}");
    }

    #[test]
    fn rows_are_read_exactly_whatever_their_form() {
        let h = header(HEADER_10).unwrap();
        let c = row(&h, "1.5E-7,acct-1,usd,2026-12-01T00:00:00Z,2026-11-01T00:00:00Z,usage,2026-11-02 00:00:00,2026-11-01 00:00:00,NULL,,AWS,Compute,Amazon EC2").unwrap();
        assert_eq!(c.billed, dec("0.00000015"));
        assert_eq!(c.currency.code(), "USD");
        assert_eq!(c.category, ChargeCategory::Usage);
        assert_eq!(c.days, DateRange::between(d("2026-11-01"), d("2026-11-01")).unwrap());
        assert_eq!(c.billing_period, DateRange::between(d("2026-11-01"), d("2026-11-30")).unwrap());
        assert_eq!((c.effective, c.list), (None, None));
        assert_eq!((c.provider, c.service, c.service_category), ("AWS", "Amazon EC2", Some("Compute")));
        // Credits are negative; an hour is its day; a month-long charge spans its days.
        let c = row(&h, "-12.345678901234,acct-1,EUR,2026-12-01,2026-11-01,CREDIT,2026-11-03T14:00:00+00:00,2026-11-03T13:00:00.000Z,-12.3,-20,Azure,Databases,SQL").unwrap();
        assert_eq!(c.billed, dec("-12.345678901234"));
        assert_eq!(c.days, DateRange::between(d("2026-11-03"), d("2026-11-03")).unwrap());
        let c = row(
            &h,
            "30,acct-1,USD,2026-12-01,2026-11-01,Purchase,2026-12-01T00:00:00Z,2026-11-01T00:00:00Z,1,2,GCP,,Support",
        )
        .unwrap();
        assert_eq!(c.days, DateRange::between(d("2026-11-01"), d("2026-11-30")).unwrap());
        assert_eq!(c.service_category, None);
    }

    #[test]
    fn a_bad_value_names_its_column_and_value() {
        let h = header(HEADER_10).unwrap();
        let bad = |line: &str| row(&h, line).unwrap_err().to_string();
        let ok = "1,a,USD,2026-12-01,2026-11-01,Usage,2026-11-02,2026-11-01,,,AWS,Compute,EC2";
        assert!(row(&h, ok).is_ok());
        assert_eq!(bad(&ok.replacen("1,", "one,", 1)), "column BilledCost, value `one`: it is not a number");
        assert!(bad(&ok.replace("USD", "ZZZ")).contains("column BillingCurrency, value `ZZZ`"));
        assert!(bad(&ok.replace("Usage", "Refund")).contains("not one of Usage, Purchase"));
        assert!(
            bad(&ok.replace("2026-11-02,2026-11-01", "2026-10-02,2026-11-01"))
                .contains("before the charge period's start")
        );
        assert!(bad(&ok.replace("2026-11-02,", "yesterday,")).contains("column ChargePeriodEnd, value `yesterday`"));
        assert_eq!(bad(&ok.replace(",AWS,", ",NULL,")), "column ProviderName: it is empty, and every row needs it");
        assert!(bad(&ok.replacen("1,", "1e400,", 1)).contains("not a number"));
        assert!(bad(&ok.replacen("1,", "5E+28,", 1)).contains("larger than any bill line"));
        assert!(bad(&ok.replacen("1,", "0.12345678901234567890123456789,", 1)).contains("more digits"));
    }

    #[test]
    fn datetimes_in_every_form_mean_the_same_instant() {
        let at = d("2026-11-01").and_hms_opt(13, 5, 9).unwrap();
        for text in [
            "2026-11-01T13:05:09Z",
            "2026-11-01 13:05:09",
            "2026-11-01T13:05:09",
            "2026-11-01T13:05:09.000Z",
            "2026-11-01T20:05:09+07:00",
            " 2026-11-01 13:05:09Z ",
        ] {
            assert_eq!(datetime(text), Ok(at), "{text}");
        }
        assert_eq!(datetime("2026-11-01"), Ok(d("2026-11-01").and_hms_opt(0, 0, 0).unwrap()));
        for text in ["2026-02-30T00:00:00Z", "2026-11-01T24:00:00Z", "5/1/25", "2026-11-01X13:05:09"] {
            assert!(datetime(text).is_err(), "{text}");
        }
    }

    #[test]
    fn plain_amounts_take_the_quick_path() {
        for (text, read) in
            [("12.50", "12.5"), ("-0.0004166667", "-0.0004166667"), ("+3", "3"), ("100.", "100"), (".5", "0.5")]
        {
            assert_eq!(plain_decimal(text.as_bytes()).map(|d| d.to_string()), Some(read.to_string()), "{text}");
        }
        for text in ["1E-8", "1,5", "-", ".", "", "1234567890123456", "0.1234567890123456789"] {
            assert_eq!(plain_decimal(text.as_bytes()), None, "{text}");
        }
    }

    proptest::proptest! {
        /// The quick path reads plain amounts as the general one does, to the scale.
        #[test]
        fn plain_amounts_read_as_the_general_path_does(
            mantissa in -10_i64.pow(17)..10_i64.pow(17),
            scale in 0u32..=17,
            zeros in 0usize..3,
            sign in proptest::sample::select(vec!["", "+"]),
        ) {
            let sign = if mantissa < 0 { "" } else { sign };
            let text = format!("{sign}{}{}", Decimal::new(mantissa, scale), if scale > 0 { "0".repeat(zeros) } else { String::new() });
            match (plain_decimal(text.as_bytes()), any_decimal(&text)) {
                (Some(quick), Ok(general)) => proptest::prop_assert_eq!(quick.to_string(), general.to_string(), "{}", text),
                (Some(quick), Err(refused)) => proptest::prop_assert!(false, "{text}: read as {quick}, refused as {refused}"),
                (None, _) => {}
            }
        }

        /// Any amount an export writes, plain or with an exponent, reads back exactly.
        #[test]
        fn amounts_read_back_exactly(mantissa in -10_i64.pow(15)..10_i64.pow(15), scale in 0u32..=16) {
            let value = Decimal::new(mantissa, scale);
            proptest::prop_assert_eq!(decimal(&value.to_string()).unwrap(), value.normalize());
            proptest::prop_assert_eq!(decimal(&format!("{mantissa}E-{scale}")).unwrap(), value.normalize());
            proptest::prop_assert_eq!(decimal(&format!("{mantissa}e-{scale}")).unwrap(), value.normalize());
        }
    }

    #[test]
    fn service_categories_map_to_kinds() {
        assert_eq!(kind_of(Some("Compute")), Kind::Hosting);
        assert_eq!(kind_of(Some("storage")), Kind::Storage);
        assert_eq!(kind_of(Some("Networking")), Kind::Cdn);
        assert_eq!(kind_of(Some("AI and Machine Learning")), Kind::AiProvider);
        assert_eq!(kind_of(Some("Databases")), Kind::Integration);
        assert_eq!(kind_of(Some("Developer Tools")), Kind::Integration);
        assert_eq!(kind_of(Some("Other")), Kind::Other);
        assert_eq!(kind_of(None), Kind::Other);
    }
}
