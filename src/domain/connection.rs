//! AI provider cost connections as values: which provider's organisation cost API an item is
//! connected to, the admin key (a secret that never prints), and what a pull brought back, day by
//! day. The network is in `providers/`; storing and deciding is in `app/connections.rs`.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::calendar::DateRange;
use super::choice::choice_enum;
use super::error::UserError;
use super::item::{Item, Usage};
use super::money::Currency;
use super::text::name_key;

choice_enum! {
    /// A provider whose organisation cost API Jarvis can read.
    pub enum Vendor as "provider" {
        /// OpenAI: `/v1/organization/costs` and `/v1/organization/usage/completions`.
        OpenAi = "openai",
        /// Anthropic: `/v1/organizations/cost_report` and `/v1/organizations/usage_report/messages`.
        Anthropic = "anthropic",
    }
}

impl Vendor {
    /// The provider's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Vendor::OpenAi => "OpenAI",
            Vendor::Anthropic => "Anthropic",
        }
    }
}

choice_enum! {
    /// Why a pull failed.
    pub enum PullFailure as "pull failure" {
        /// The provider refused the key (401, 403).
        Refused = "refused",
        /// 429: too many requests.
        RateLimited = "rate_limited",
        /// 5xx: a fault on the provider's side.
        Unavailable = "unavailable",
        /// The provider could not be reached.
        Network = "network",
        /// The answer was not what the provider documents, or could not be stored.
        Malformed = "malformed",
        /// The stored key could not be opened (no or another `JARVIS_SECRET_KEY`).
        Sealed = "sealed",
    }
}

/// A failing pull is reported (an alert) once it has failed this long, or at once when a person
/// must act.
pub const REPORT_AFTER: chrono::Duration = chrono::Duration::hours(1);

impl PullFailure {
    /// Whether a person must act before pulls can work again (the answer is not what the provider
    /// documents, the key cannot be opened), so it is reported at once.
    pub fn needs_a_person(self) -> bool {
        matches!(self, PullFailure::Malformed | PullFailure::Sealed)
    }

    /// Whether pulls failing like this since `since` are worth an alert at `now`: a refused key is
    /// the API key alert's (through the item's key status); anything else after
    /// [`REPORT_AFTER`], or at once when a person must act.
    pub fn worth_reporting(self, since: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> bool {
        self != PullFailure::Refused && (self.needs_a_person() || since <= now - REPORT_AFTER)
    }
}

/// An admin API key. It is never printed: `Debug` and `Display` show only its masked prefix, and
/// the text itself is reached through [`ApiSecret::expose`], at the one place that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiSecret(String);

/// The longest key accepted: real admin keys are about 100 characters.
const MAX_SECRET_LEN: usize = 1024;

impl ApiSecret {
    /// A key as pasted: surrounding whitespace (a newline from `echo`) is dropped; what remains
    /// must be one line of visible ASCII, as every provider's keys are.
    pub fn parse(input: &str) -> Result<ApiSecret, UserError> {
        let key = input.trim();
        // The refusals never repeat the input: it is a secret, typed wrong or not.
        let refuse = |why: &str| UserError::invalid("API key", "(hidden)", why);
        if key.is_empty() {
            return Err(refuse("it is empty; paste the organisation's admin key"));
        }
        if key.len() > MAX_SECRET_LEN {
            return Err(refuse("it is longer than any provider's key; paste the key alone"));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(refuse("it holds spaces or characters no API key has; paste the key alone, on one line"));
        }
        if key.len() < 16 {
            return Err(refuse("it is too short to be an admin API key; paste the whole key"));
        }
        Ok(ApiSecret(key.to_string()))
    }

    /// The key's text, for the request header that carries it and for encryption. Nothing else
    /// should call this.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What may be shown of the key: its first characters (the provider's prefix and a few
    /// more, at most a quarter of the key) and an ellipsis, e.g. `sk-admin-Ab…`.
    pub fn masked(&self) -> String {
        masked_prefix(&self.0)
    }
}

/// The shown prefix of a key: at most 11 characters and at most a quarter of it.
pub fn masked_prefix(key: &str) -> String {
    let shown = (key.len() / 4).min(11);
    format!("{}…", &key[..shown])
}

impl fmt::Debug for ApiSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiSecret({})", self.masked())
    }
}

impl fmt::Display for ApiSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// One cost line of a day, as the provider billed it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PulledCost {
    /// The provider's line item (OpenAI: `gpt-4o-2024-08-06, input`; Anthropic: the model and
    /// token type, or the description), when it gave one.
    pub line: Option<String>,
    /// Exact, in `currency`'s major units (dollars, not cents).
    pub amount: Decimal,
    pub currency: Currency,
}

/// What a provider reports for one UTC day.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct PulledDay {
    pub costs: Vec<PulledCost>,
    /// Model requests, when the provider counts them (OpenAI does, Anthropic's report does not).
    pub requests: Option<u64>,
    /// Tokens in (cached or not) and out.
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// What one pull brought back: every day of `days`, in order, each once (a day the provider
/// reported nothing for is there with no costs: it is known to have cost nothing).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Pulled {
    pub days: DateRange,
    pub by_day: Vec<(NaiveDate, PulledDay)>,
}

/// Whether `a` and `b` name the same unit: the same letters in any case, or one the other's
/// plural (`request`, `Requests`).
fn same_unit(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    a == b || format!("{a}s") == b || format!("{b}s") == a
}

/// What pushed usage does to an item: the cost it adds and the meter after it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Pushed {
    /// The cost the units add, in the item's currency: as given, or from the item's pricing.
    pub cost: Decimal,
    /// The item's meter with the units counted (when they fall in its open cycle).
    pub usage: Option<Usage>,
}

/// Prices `quantity` units used on `day` (in the workspace's timezone) by `item` as of `today`.
///
/// In the item's open billing cycle the units are added to its meter; without a `cost` given,
/// they cost what the meter's pricing says (the free tier is used up first). Since the push
/// records that cost itself, the units count as billed: the cycle's bill does not charge them
/// again. Units of a cycle that has closed (a late event) must come with their cost, and
/// leave the meter alone.
pub fn price_pushed(
    item: &Item,
    day: NaiveDate,
    today: NaiveDate,
    quantity: Decimal,
    unit: Option<&str>,
    cost: Option<Decimal>,
) -> Result<Pushed, UserError> {
    if day > today {
        return Err(UserError::invalid(
            "at",
            day.to_string(),
            format!("it is after today ({today}); send usage once it happened"),
        ));
    }
    if let (Some(unit), Some(meter)) = (unit, &item.usage)
        && !same_unit(unit, meter.unit.as_str())
    {
        return Err(UserError::invalid(
            "unit",
            unit,
            format!(
                "`{}` counts its usage in `{}`; send quantities in that unit, or leave unit out",
                item.name, meter.unit
            ),
        ));
    }
    // The open cycle from its first day, even for an item added to Jarvis later in it: the
    // units were used in this cycle all the same.
    let cycle = item.cycle(today);
    let open = day >= cycle.start;
    let Some(meter) = item.usage.as_ref().filter(|_| open) else {
        let why = if open {
            format!("`{}` has no usage meter with a price per unit to work it out from", item.name)
        } else {
            format!(
                "{day} is in a billing cycle of `{}` that has closed (the open one started {})",
                item.name, cycle.start
            )
        };
        return cost
            .map(|cost| Pushed { cost, usage: item.usage.clone() })
            .ok_or_else(|| UserError::Missing(format!("Give this event's cost: {why}")));
    };
    let after = meter.used + quantity;
    let cost = match cost {
        Some(cost) => cost,
        None if meter.unit_price.is_some() => meter.cost_of(after, 1) - meter.cost_of(meter.used, 1),
        None => {
            return Err(UserError::Missing(format!(
                "Give this event's cost: `{}` has no price per unit to work it out from (set one with --unit-price)",
                item.name
            )));
        }
    };
    let mut usage = meter.clone();
    usage.used = after;
    usage.billed += quantity;
    usage.read_on = Some(usage.read_on.map_or(day, |read| read.max(day)));
    Ok(Pushed { cost, usage: Some(usage) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_whole() {
        let key = ApiSecret::parse("  sk-admin-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n").unwrap();
        assert_eq!(key.expose(), "sk-admin-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789");
        assert_eq!(key.masked(), "sk-admin-Ab…");
        assert_eq!(format!("{key:?}"), "ApiSecret(sk-admin-Ab…)");
        assert_eq!(key.to_string(), "sk-admin-Ab…");
        // A short key shows a quarter of itself at most.
        assert_eq!(ApiSecret::parse("abcdefghijklmnop").unwrap().masked(), "abcd…");
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        for bad in ["", "   ", "short-key", "sk-admin has spaces in it", "sk-ünïcödé-0123456789"] {
            let err = ApiSecret::parse(bad).unwrap_err().to_string();
            assert!(bad.trim().is_empty() || !err.contains(bad.trim()), "{err}");
        }
    }

    fn metered(free: &str, price: &str) -> Item {
        use crate::domain::item::{BillingPeriod, ItemChanges, Kind};
        use crate::domain::testing::{d, dec};
        use crate::domain::text::{ItemName, Label};
        let changes = ItemChanges {
            name: Some(ItemName::parse("Gemini").unwrap()),
            cost: Some(Decimal::ZERO),
            period: Some(BillingPeriod::UsageBased),
            unit: Some(Label::parse("unit", "request").unwrap()),
            unit_price: Some(Some(dec(price))),
            free_tier: Some(Some(dec(free))),
            renewal_date: Some(Some(d("2026-12-01"))),
            auto_renew: Some(true),
            ..Default::default()
        };
        let now = "2026-12-06T09:00:00Z".parse().unwrap();
        Item::create(Kind::AiProvider, &changes, Currency::USD, d("2026-12-06"), now).unwrap().0
    }

    #[test]
    fn pushed_units_use_the_free_tier_first_and_count_as_billed() {
        use crate::domain::testing::{d, dec};
        let item = metered("100", "0.002");
        let today = d("2026-12-06");
        // 80 free units: nothing to pay.
        let first = price_pushed(&item, today, today, dec("80"), Some("Requests"), None).unwrap();
        assert_eq!(first.cost, Decimal::ZERO);
        let mut item = Item { usage: first.usage, ..item };
        let meter = item.usage.as_ref().unwrap();
        assert_eq!((meter.used, meter.billed, meter.read_on), (dec("80"), dec("80"), Some(today)));
        // 50 more: 20 free, 30 at 0.002. The cycle's bill has nothing left to charge.
        let second = price_pushed(&item, d("2026-12-03"), today, dec("50"), None, None).unwrap();
        assert_eq!(second.cost, dec("0.06"));
        item.usage = second.usage;
        let meter = item.usage.as_ref().unwrap();
        assert_eq!(meter.unbilled_cost(1), Decimal::ZERO);
        assert_eq!(meter.read_on, Some(today), "a late reading does not move the day back");
        // A cost given is taken as is, units still counted.
        let given = price_pushed(&item, today, today, dec("1"), None, Some(dec("0.000000000012"))).unwrap();
        assert_eq!((given.cost, given.usage.unwrap().used), (dec("0.000000000012"), dec("131")));
    }

    #[test]
    fn pushed_units_outside_the_open_cycle_or_in_another_unit_are_refused() {
        use crate::domain::testing::{d, dec};
        let item = metered("100", "0.002");
        let today = d("2026-12-06");
        let closed = price_pushed(&item, d("2026-11-30"), today, dec("1"), None, None).unwrap_err().to_string();
        assert!(closed.contains("Give this event's cost") && closed.contains("2026-12-01"), "{closed}");
        let late = price_pushed(&item, d("2026-11-30"), today, dec("1"), None, Some(dec("0.5"))).unwrap();
        assert_eq!((late.cost, late.usage), (dec("0.5"), item.usage.clone()), "a closed cycle's meter is left alone");
        let future = price_pushed(&item, d("2026-12-07"), today, dec("1"), None, None).unwrap_err().to_string();
        assert!(future.contains("after today"), "{future}");
        let unit = price_pushed(&item, today, today, dec("1"), Some("tokens"), None).unwrap_err().to_string();
        assert!(unit.contains("`request`"), "{unit}");
    }
}
