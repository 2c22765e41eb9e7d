//! OpenAI's organisation costs (`/v1/organization/costs`, one line per `line_item`) and
//! completions usage (`/v1/organization/usage/completions`), read with an admin key sent as a
//! bearer token.

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::wire::{self, Days, Kind};
use super::{Client, PullError, Report};
use crate::domain::calendar::DateRange;
use crate::domain::connection::{ApiSecret, Pulled, PulledCost, Vendor};
use crate::domain::money::Currency;

const COSTS: &str = "/v1/organization/costs";
const USAGE: &str = "/v1/organization/usage/completions";
/// The largest page of daily cost buckets: "Limit can range between 1 and 180".
const COSTS_PAGE: u32 = 180;
/// The largest page of daily usage buckets: "`bucket_width=1d`: default: 7, max: 31".
const USAGE_PAGE: u32 = 31;

/// A daily bucket: `start_time` and `end_time` in Unix seconds.
#[derive(Deserialize)]
struct Bucket<R> {
    #[serde(with = "chrono::serde::ts_seconds")]
    start_time: DateTime<Utc>,
    #[serde(with = "chrono::serde::ts_seconds")]
    end_time: DateTime<Utc>,
    results: Vec<R>,
}

/// `{"object": "organization.costs.result", "amount": {...}, "line_item": "gpt-4o, input", ...}`.
#[derive(Deserialize)]
struct CostResult {
    amount: Amount,
    /// Given with `group_by=line_item`; may be null.
    #[serde(default)]
    line_item: Option<String>,
}

/// `{"value": 0.06, "currency": "usd"}`: a JSON number in the currency's major units.
#[derive(Deserialize)]
struct Amount {
    #[serde(deserialize_with = "wire::exact_decimal")]
    value: Decimal,
    #[serde(deserialize_with = "wire::currency")]
    currency: Currency,
}

/// `{"object": "organization.usage.completions.result", "input_tokens": ..., ...}`.
#[derive(Deserialize)]
struct UsageResult {
    /// Every input token: "including cached and cache-write tokens. This includes text, audio,
    /// and image tokens", so `input_cached_tokens` and `input_audio_tokens` are not added again.
    input_tokens: u64,
    output_tokens: u64,
    num_model_requests: u64,
}

pub(super) async fn pull(client: &Client, key: &ApiSecret, days: DateRange) -> Result<Pulled, PullError> {
    let (start, end) = wire::bounds(days);
    let window = || {
        vec![
            ("start_time", start.timestamp().to_string()),
            ("end_time", end.timestamp().to_string()),
            ("bucket_width", "1d".to_string()),
        ]
    };
    let report = |path, extra: &[(&'static str, String)]| Report {
        vendor: Vendor::OpenAi,
        path,
        base: &client.endpoints.openai,
        headers: headers(key),
        query: window().into_iter().chain(extra.iter().cloned()).collect(),
    };
    // OpenAI counts requests: a day it reports nothing for had none.
    let mut out = Days::new(days, Some(0));

    let costs = report(COSTS, &[("group_by", "line_item".to_string()), ("limit", COSTS_PAGE.to_string())]);
    client
        .each_bucket(&costs, |bucket: Bucket<CostResult>| {
            let Some(day) = out.bucket(Kind::Costs, bucket.start_time, bucket.end_time)? else { return Ok(()) };
            for (index, result) in bucket.results.into_iter().enumerate() {
                let line = result.line_item.map(|line| line.trim().to_string()).filter(|line| !line.is_empty());
                let cost = PulledCost { line, amount: result.amount.value, currency: result.amount.currency };
                wire::add_cost(day, cost).map_err(|what| format!("results[{index}]: {what}"))?;
            }
            Ok(())
        })
        .await?;

    let usage = report(USAGE, &[("limit", USAGE_PAGE.to_string())]);
    client
        .each_bucket(&usage, |bucket: Bucket<UsageResult>| {
            let Some(day) = out.bucket(Kind::Usage, bucket.start_time, bucket.end_time)? else { return Ok(()) };
            for (index, result) in bucket.results.into_iter().enumerate() {
                wire::add_usage(day, Some(result.num_model_requests), result.input_tokens, result.output_tokens)
                    .map_err(|what| format!("results[{index}]: {what}"))?;
            }
            Ok(())
        })
        .await?;

    Ok(out.finish())
}

/// `Authorization: Bearer <key>`, marked sensitive so no `Debug` of the request shows it.
fn headers(key: &ApiSecret) -> HeaderMap {
    let mut bearer =
        HeaderValue::from_str(&format!("Bearer {}", key.expose())).expect("an ApiSecret is visible ASCII only");
    bearer.set_sensitive(true);
    HeaderMap::from_iter([(AUTHORIZATION, bearer)])
}

#[cfg(test)]
mod tests {
    use super::super::Page;
    use super::*;
    use crate::domain::testing::dec;

    /// The answer in OpenAI's API reference, with a second result grouped by line item.
    const COSTS_EXAMPLE: &str = r#"{
        "object": "page",
        "data": [{
            "object": "bucket", "start_time": 1730419200, "end_time": 1730505600,
            "results": [
                {"object": "organization.costs.result", "amount": {"value": 0.06, "currency": "usd"},
                 "line_item": null, "project_id": null},
                {"object": "organization.costs.result", "amount": {"value": 1.2e-7, "currency": "usd"},
                 "line_item": "gpt-4o-2024-08-06, input", "project_id": null}
            ]
        }],
        "has_more": false,
        "next_page": null
    }"#;

    const USAGE_EXAMPLE: &str = r#"{
        "object": "page",
        "data": [{
            "object": "bucket", "start_time": 1730419200, "end_time": 1730505600,
            "results": [{
                "object": "organization.usage.completions.result",
                "input_tokens": 1000, "output_tokens": 500, "input_cached_tokens": 800,
                "input_audio_tokens": 0, "output_audio_tokens": 0, "num_model_requests": 5,
                "project_id": null, "user_id": null, "api_key_id": null, "model": null, "batch": null
            }]
        }],
        "has_more": true,
        "next_page": "AAAAAGdGxdEiJdKOAAAAAGcqsYA="
    }"#;

    #[test]
    fn reads_the_documented_cost_page() {
        let page: Page<Bucket<CostResult>> = wire::from_json(COSTS_EXAMPLE.as_bytes()).unwrap();
        assert!(!page.has_more);
        let bucket = &page.data[0];
        assert_eq!(bucket.start_time.to_rfc3339(), "2024-11-01T00:00:00+00:00");
        assert_eq!(bucket.end_time.to_rfc3339(), "2024-11-02T00:00:00+00:00");
        assert_eq!(bucket.results[0].amount.value, dec("0.06"));
        assert_eq!(bucket.results[0].amount.currency, Currency::USD);
        assert_eq!(bucket.results[0].line_item, None);
        assert_eq!(bucket.results[1].amount.value, dec("0.00000012"));
        assert_eq!(bucket.results[1].line_item.as_deref(), Some("gpt-4o-2024-08-06, input"));
    }

    #[test]
    fn reads_the_documented_usage_page() {
        let page: Page<Bucket<UsageResult>> = wire::from_json(USAGE_EXAMPLE.as_bytes()).unwrap();
        assert!(page.has_more);
        assert_eq!(page.next_page.as_deref(), Some("AAAAAGdGxdEiJdKOAAAAAGcqsYA="));
        let result = &page.data[0].results[0];
        assert_eq!((result.input_tokens, result.output_tokens, result.num_model_requests), (1000, 500, 5));
    }

    #[test]
    fn says_where_an_answer_is_wrong() {
        let check = |json: &str, expected: &str| {
            let err = wire::from_json::<Page<Bucket<CostResult>>>(json.as_bytes()).err().unwrap_or_default();
            assert_eq!(err, expected, "{json}");
        };
        let bucket = |result: &str| {
            format!(r#"{{"data": [{{"start_time": 0, "end_time": 86400, "results": [{result}]}}], "has_more": false}}"#)
        };
        check(
            &bucket(r#"{"amount": {"value": "abc", "currency": "usd"}}"#),
            "data[0].results[0].amount.value: `abc` is not a decimal amount that Jarvis can hold exactly",
        );
        check(
            &bucket(r#"{"amount": {"value": 1, "currency": "zzz"}}"#),
            "data[0].results[0].amount.currency: `zzz` is not an ISO 4217 currency code",
        );
        check(&bucket(r#"{"line_item": "x"}"#), "data[0].results[0]: missing field `amount`");
        check(r#"{"data": [], "has_more": "no"}"#, "has_more: invalid type: string \"no\", expected a boolean");
        check(r#"{"object": "page"}"#, "missing field `data`");
        let usage = wire::from_json::<Page<Bucket<UsageResult>>>(
            br#"{"data": [{"start_time": 0, "end_time": 86400, "results": [{"input_tokens": 1.5, "output_tokens": 1, "num_model_requests": 1}]}], "has_more": false}"#,
        );
        assert_eq!(
            usage.err().as_deref(),
            Some("data[0].results[0].input_tokens: invalid type: floating point `1.5`, expected u64")
        );
    }

    #[test]
    fn the_key_header_is_sensitive() {
        let key = ApiSecret::parse("sk-admin-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789").unwrap();
        let headers = headers(&key);
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert!(!format!("{headers:?}").contains(key.expose()));
    }
}
