//! Anthropic's Admin API cost report (`/v1/organizations/cost_report`, grouped by description)
//! and Messages usage report (`/v1/organizations/usage_report/messages`), read with an admin key
//! in `x-api-key`.
//!
//! The cost report's `amount` is "Cost amount in lowest currency units (e.g. cents) as a decimal
//! string. For example, "123.45" in "USD" represents $1.23.": it is turned into dollars by moving
//! the decimal point, exactly.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::wire::{self, Days, Kind};
use super::{Client, PullError, Report};
use crate::domain::calendar::DateRange;
use crate::domain::connection::{ApiSecret, Pulled, PulledCost, Vendor};
use crate::domain::money::Currency;

const COSTS: &str = "/v1/organizations/cost_report";
const USAGE: &str = "/v1/organizations/usage_report/messages";
/// The largest page of daily buckets, for both reports: "maximum: 31" (cost report), "`1d`:
/// Default of 7 days, maximum of 31 days" (usage report).
const PAGE: u32 = 31;
/// The API version the reports' documented shapes belong to.
const VERSION: &str = "2023-06-01";

/// A daily bucket: `starting_at` (inclusive) and `ending_at` (exclusive), RFC 3339.
#[derive(Deserialize)]
struct Bucket<R> {
    starting_at: DateTime<Utc>,
    ending_at: DateTime<Utc>,
    results: Vec<R>,
}

/// A cost item. With `group_by[]=description`, `description`, `cost_type`, `model` and
/// `token_type` say what it was for (null otherwise, or for non-token costs).
#[derive(Deserialize)]
struct CostResult {
    /// In the currency's lowest units (cents), as a decimal string.
    #[serde(deserialize_with = "wire::exact_decimal")]
    amount: Decimal,
    #[serde(deserialize_with = "wire::currency")]
    currency: Currency,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    cost_type: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
}

impl CostResult {
    /// The line: the description, else `model, token_type`, else the cost type.
    fn line(&self) -> Option<String> {
        fn given(text: &Option<String>) -> Option<&str> {
            text.as_deref().map(str::trim).filter(|text| !text.is_empty())
        }
        if let Some(description) = given(&self.description) {
            return Some(description.to_string());
        }
        match (given(&self.model), given(&self.token_type)) {
            (Some(model), Some(token_type)) => Some(format!("{model}, {token_type}")),
            (Some(model), None) => Some(model.to_string()),
            (None, _) => given(&self.cost_type).map(str::to_string),
        }
    }
}

/// A usage item: input tokens come in three kinds (uncached, read from the cache, written to
/// it), all of them input.
#[derive(Deserialize)]
struct UsageResult {
    uncached_input_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation: Option<CacheCreation>,
    output_tokens: u64,
}

#[derive(Deserialize)]
struct CacheCreation {
    #[serde(default)]
    ephemeral_1h_input_tokens: Option<u64>,
    #[serde(default)]
    ephemeral_5m_input_tokens: Option<u64>,
}

impl UsageResult {
    fn input_tokens(&self) -> Result<u64, String> {
        let (hour, minutes) = self
            .cache_creation
            .as_ref()
            .map(|cache| (cache.ephemeral_1h_input_tokens, cache.ephemeral_5m_input_tokens))
            .unwrap_or_default();
        wire::tokens(&[
            self.uncached_input_tokens,
            self.cache_read_input_tokens.unwrap_or(0),
            hour.unwrap_or(0),
            minutes.unwrap_or(0),
        ])
    }
}

pub(super) async fn pull(client: &Client, key: &ApiSecret, days: DateRange) -> Result<Pulled, PullError> {
    let (start, end) = wire::bounds(days);
    let window = || {
        vec![
            ("starting_at", start.to_rfc3339_opts(SecondsFormat::Secs, true)),
            ("ending_at", end.to_rfc3339_opts(SecondsFormat::Secs, true)),
            ("bucket_width", "1d".to_string()),
            ("limit", PAGE.to_string()),
        ]
    };
    let report = |path, extra: &[(&'static str, String)]| Report {
        vendor: Vendor::Anthropic,
        path,
        base: &client.endpoints.anthropic,
        headers: headers(key),
        query: window().into_iter().chain(extra.iter().cloned()).collect(),
    };
    // Anthropic's reports do not count requests.
    let mut out = Days::new(days, None);

    let costs = report(COSTS, &[("group_by[]", "description".to_string())]);
    client
        .each_bucket(&costs, |bucket: Bucket<CostResult>| {
            let Some(day) = out.bucket(Kind::Costs, bucket.starting_at, bucket.ending_at)? else { return Ok(()) };
            for (index, result) in bucket.results.into_iter().enumerate() {
                let located = |what: String| format!("results[{index}]: {what}");
                let amount = wire::minor_to_major(result.amount, result.currency).ok_or_else(|| {
                    located(format!("the amount {} has too many decimal places to hold in dollars", result.amount))
                })?;
                let cost = PulledCost { line: result.line(), amount, currency: result.currency };
                wire::add_cost(day, cost).map_err(located)?;
            }
            Ok(())
        })
        .await?;

    let usage = report(USAGE, &[]);
    client
        .each_bucket(&usage, |bucket: Bucket<UsageResult>| {
            let Some(day) = out.bucket(Kind::Usage, bucket.starting_at, bucket.ending_at)? else { return Ok(()) };
            for (index, result) in bucket.results.into_iter().enumerate() {
                let located = |what: String| format!("results[{index}]: {what}");
                let input = result.input_tokens().map_err(located)?;
                wire::add_usage(day, None, input, result.output_tokens).map_err(located)?;
            }
            Ok(())
        })
        .await?;

    Ok(out.finish())
}

/// `x-api-key: <key>` (marked sensitive, so no `Debug` of the request shows it) and
/// `anthropic-version`.
fn headers(key: &ApiSecret) -> HeaderMap {
    let mut secret = HeaderValue::from_str(key.expose()).expect("an ApiSecret is visible ASCII only");
    secret.set_sensitive(true);
    HeaderMap::from_iter([
        (HeaderName::from_static("x-api-key"), secret),
        (HeaderName::from_static("anthropic-version"), HeaderValue::from_static(VERSION)),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::Page;
    use super::*;
    use crate::domain::testing::dec;

    /// The shape in Anthropic's API reference, grouped by description.
    const COSTS_EXAMPLE: &str = r#"{
        "data": [{
            "starting_at": "2025-08-01T00:00:00Z",
            "ending_at": "2025-08-02T00:00:00Z",
            "results": [
                {"currency": "USD", "amount": "123.45", "workspace_id": null,
                 "description": "Claude Sonnet 4 Usage - Input Tokens", "cost_type": "tokens",
                 "context_window": "0-200k", "model": "claude-sonnet-4-20250514",
                 "service_tier": "standard", "token_type": "uncached_input_tokens"},
                {"currency": "USD", "amount": "0.000000000001", "workspace_id": null,
                 "description": null, "cost_type": "web_search", "context_window": null,
                 "model": null, "service_tier": null, "token_type": null}
            ]
        }],
        "has_more": true,
        "next_page": "page_MjAyNS0wNS0xNFQwMDowMDowMFo="
    }"#;

    const USAGE_EXAMPLE: &str = r#"{
        "data": [{
            "starting_at": "2025-08-01T00:00:00Z",
            "ending_at": "2025-08-02T00:00:00Z",
            "results": [{
                "uncached_input_tokens": 1500,
                "cache_creation": {"ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500},
                "cache_read_input_tokens": 200,
                "output_tokens": 500,
                "server_tool_use": {"web_search_requests": 10},
                "api_key_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT",
                "workspace_id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
                "model": "claude-sonnet-4-20250514",
                "service_tier": "standard",
                "context_window": "0-200k"
            }]
        }],
        "has_more": false,
        "next_page": null
    }"#;

    #[test]
    fn reads_the_documented_cost_page() {
        let page: Page<Bucket<CostResult>> = wire::from_json(COSTS_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(page.next_page.as_deref(), Some("page_MjAyNS0wNS0xNFQwMDowMDowMFo="));
        let bucket = &page.data[0];
        assert_eq!(bucket.starting_at.to_rfc3339(), "2025-08-01T00:00:00+00:00");
        let first = &bucket.results[0];
        assert_eq!(first.amount, dec("123.45"));
        // "123.45" in "USD" represents $1.23(45).
        assert_eq!(wire::minor_to_major(first.amount, first.currency), Some(dec("1.2345")));
        assert_eq!(first.line().as_deref(), Some("Claude Sonnet 4 Usage - Input Tokens"));
        let second = &bucket.results[1];
        assert_eq!(wire::minor_to_major(second.amount, second.currency), Some(dec("0.00000000000001")));
        assert_eq!(second.line().as_deref(), Some("web_search"));
    }

    #[test]
    fn lines_fall_back_to_model_and_token_type() {
        let line = |json: &str| wire::from_json::<CostResult>(json.as_bytes()).unwrap().line();
        assert_eq!(
            line(r#"{"amount": "1", "currency": "USD", "model": "claude-opus-4", "token_type": "output_tokens"}"#)
                .as_deref(),
            Some("claude-opus-4, output_tokens")
        );
        assert_eq!(
            line(r#"{"amount": "1", "currency": "USD", "model": "claude-opus-4"}"#).as_deref(),
            Some("claude-opus-4")
        );
        assert_eq!(line(r#"{"amount": "1", "currency": "USD", "description": " "}"#), None);
    }

    #[test]
    fn every_kind_of_input_token_counts_as_input() {
        let page: Page<Bucket<UsageResult>> = wire::from_json(USAGE_EXAMPLE.as_bytes()).unwrap();
        let result = &page.data[0].results[0];
        assert_eq!(result.input_tokens(), Ok(1500 + 200 + 1000 + 500));
        assert_eq!(result.output_tokens, 500);
        let bare: UsageResult =
            wire::from_json(br#"{"uncached_input_tokens": 7, "output_tokens": 1, "cache_creation": null}"#).unwrap();
        assert_eq!(bare.input_tokens(), Ok(7));
        let missing = wire::from_json::<UsageResult>(br#"{"output_tokens": 1}"#).err();
        assert_eq!(missing.as_deref(), Some("missing field `uncached_input_tokens`"));
    }

    #[test]
    fn amounts_must_be_decimals_in_a_known_currency() {
        let check = |json: &str, expected: &str| {
            assert_eq!(wire::from_json::<CostResult>(json.as_bytes()).err().as_deref(), Some(expected), "{json}");
        };
        check(
            r#"{"amount": "1.2.3", "currency": "USD"}"#,
            "amount: `1.2.3` is not a decimal amount that Jarvis can hold exactly",
        );
        check(
            r#"{"amount": null, "currency": "USD"}"#,
            "amount: `null` is not a decimal amount that Jarvis can hold exactly",
        );
        check(r#"{"amount": "1", "currency": "cents"}"#, "currency: `cents` is not an ISO 4217 currency code");
        check(r#"{"currency": "USD"}"#, "missing field `amount`");
    }

    #[test]
    fn the_key_header_is_sensitive() {
        let key = ApiSecret::parse("sk-ant-admin01-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789").unwrap();
        let headers = headers(&key);
        assert!(headers["x-api-key"].is_sensitive());
        assert_eq!(headers["anthropic-version"], "2023-06-01");
        assert!(!format!("{headers:?}").contains(key.expose()));
    }
}
