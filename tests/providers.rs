//! Pulling costs and usage from OpenAI's and Anthropic's organisation APIs, against the fake of
//! both in `fake_providers`: pagination, exact amounts, days without buckets, and every way a
//! pull fails (a refused key that never shows in the error, rate limits, outages, bad answers,
//! no connection).

mod fake_providers;

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use jarvis::domain::calendar::DateRange;
use jarvis::domain::connection::{ApiSecret, Pulled, PulledCost, PulledDay, Vendor};
use jarvis::domain::money::Currency;
use jarvis::providers::{Client, Endpoints, PullError};
use rust_decimal::Decimal;

use fake_providers::*;

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn days(start: &str, end: &str) -> DateRange {
    DateRange::new(day(start), day(end)).expect("a range")
}

fn key(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::OpenAi => OPENAI_KEY,
        Vendor::Anthropic => ANTHROPIC_KEY,
    }
}

async fn pull_with(fake: &FakeProviders, vendor: Vendor, key: &str, range: DateRange) -> Result<Pulled, PullError> {
    let client = Client::new(fake.endpoints()).expect("a client");
    client.pull(vendor, &ApiSecret::parse(key).expect("a key"), range).await
}

async fn pull(fake: &FakeProviders, vendor: Vendor, range: DateRange) -> Result<Pulled, PullError> {
    pull_with(fake, vendor, key(vendor), range).await
}

fn cost(line: Option<&str>, amount: &str) -> PulledCost {
    PulledCost { line: line.map(String::from), amount: dec(amount), currency: Currency::USD }
}

/// The day `date` of a pull.
fn on<'a>(pulled: &'a Pulled, date: &str) -> &'a PulledDay {
    let date = day(date);
    &pulled.by_day.iter().find(|(d, _)| *d == date).unwrap_or_else(|| panic!("{date} is missing")).1
}

/// The error, after checking that neither its message nor its `Debug` holds `key`.
#[track_caller]
fn without_key(result: Result<Pulled, PullError>, key: &str) -> PullError {
    let err = result.expect_err("the pull should fail");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(key), "the key shows in {shown}");
    }
    err
}

/// Every day of `range` once, in order.
#[track_caller]
fn assert_every_day(pulled: &Pulled, range: DateRange) {
    assert_eq!(pulled.days, range);
    let expected: Vec<NaiveDate> = range.start.iter_days().take_while(|d| *d <= range.end).collect();
    let actual: Vec<NaiveDate> = pulled.by_day.iter().map(|(d, _)| *d).collect();
    assert_eq!(actual, expected);
}

fn query_value<'a>(query: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    query.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).collect()
}

#[tokio::test]
async fn openai_forty_days_over_pages_with_exact_amounts() {
    let fake = FakeProviders::start().await;
    let vendor = Vendor::OpenAi;
    fake.set_page_size(vendor, 7);
    fake.cost(vendor, day("2026-01-01"), Some("gpt-4o, input"), "0.000000000001", "usd");
    fake.cost(vendor, day("2026-01-01"), Some("gpt-4o, output"), "12345678901234.123456789012", "usd");
    fake.cost(vendor, day("2026-01-01"), Some("gpt-4o, input"), "0.000000000002", "usd");
    fake.cost(vendor, day("2026-01-01"), None, "1e-7", "usd");
    fake.cost(vendor, day("2026-01-20"), Some("credits"), "-5.25", "USD");
    fake.cost(vendor, day("2026-02-09"), Some("o3, output"), "0.123456789012", "usd");
    let usage = Usage { input_tokens: 1000, cached_tokens: 800, output_tokens: 500, requests: 5, ..Usage::default() };
    fake.usage(vendor, day("2026-01-03"), usage);
    fake.usage(vendor, day("2026-02-09"), Usage { input_tokens: 7, output_tokens: 3, requests: 1, ..Usage::default() });

    let range = days("2026-01-01", "2026-02-09");
    let pulled = pull(&fake, vendor, range).await.expect("a pull");

    assert_every_day(&pulled, range);
    assert_eq!(
        on(&pulled, "2026-01-01").costs,
        vec![
            cost(Some("gpt-4o, input"), "0.000000000003"),
            cost(Some("gpt-4o, output"), "12345678901234.123456789012"),
            cost(None, "0.0000001"),
        ]
    );
    assert_eq!(on(&pulled, "2026-01-20").costs, vec![cost(Some("credits"), "-5.25")]);
    assert_eq!(on(&pulled, "2026-02-09").costs, vec![cost(Some("o3, output"), "0.123456789012")]);
    // input_tokens already counts the cached ones.
    assert_eq!(
        *on(&pulled, "2026-01-03"),
        PulledDay { costs: vec![], requests: Some(5), input_tokens: 1000, output_tokens: 500 }
    );
    assert_eq!(on(&pulled, "2026-02-09").requests, Some(1));
    // A day OpenAI reports nothing for: no costs, no requests.
    assert_eq!(*on(&pulled, "2026-01-15"), PulledDay { requests: Some(0), ..PulledDay::default() });

    // 40 days, 7 a page: 6 pages from each report, asked for as the docs say.
    assert_eq!((fake.requests(OPENAI_COSTS), fake.requests(OPENAI_USAGE)), (6, 6));
    let costs = fake.queries(OPENAI_COSTS);
    assert_eq!(query_value(&costs[0], "start_time"), ["1767225600"]);
    assert_eq!(query_value(&costs[0], "end_time"), ["1770681600"]);
    assert_eq!(query_value(&costs[0], "bucket_width"), ["1d"]);
    assert_eq!(query_value(&costs[0], "group_by"), ["line_item"]);
    assert_eq!(query_value(&costs[0], "limit"), ["180"]);
    assert!(query_value(&costs[0], "page").is_empty());
    assert_eq!(query_value(&costs[1], "page").len(), 1);
    assert_eq!(query_value(&fake.queries(OPENAI_USAGE)[0], "limit"), ["31"]);
    assert_eq!(fake.last_key_header(vendor).as_deref(), Some(format!("Bearer {OPENAI_KEY}").as_str()));
}

#[tokio::test]
async fn anthropic_forty_days_over_pages_with_cents_made_dollars() {
    let fake = FakeProviders::start().await;
    let vendor = Vendor::Anthropic;
    fake.set_page_size(vendor, 7);
    let first = day("2026-03-01");
    fake.cost(vendor, first, Some("Claude Sonnet 4 Usage - Input Tokens"), r#""0.000000000001""#, "USD");
    fake.cost(vendor, first, Some("Claude Sonnet 4 Usage - Output Tokens"), r#""1234567890123412.3456789012""#, "USD");
    fake.cost(vendor, first, Some("Claude Sonnet 4 Usage - Input Tokens"), r#""0.000000000002""#, "USD");
    fake.cost(vendor, first, Some("Web Search"), r#""1e-7""#, "usd");
    fake.cost(vendor, day("2026-03-10"), Some("Credit"), r#""-250""#, "USD");
    fake.cost(vendor, day("2026-04-09"), Some("Claude Haiku"), r#""12345""#, "USD");
    let usage = Usage {
        input_tokens: 1500,
        cached_tokens: 200,
        cache_write_1h: 1000,
        cache_write_5m: 500,
        output_tokens: 500,
        requests: 99,
    };
    fake.usage(vendor, day("2026-03-02"), usage);

    let range = days("2026-03-01", "2026-04-09");
    let pulled = pull(&fake, vendor, range).await.expect("a pull");

    assert_every_day(&pulled, range);
    assert_eq!(
        on(&pulled, "2026-03-01").costs,
        vec![
            cost(Some("Claude Sonnet 4 Usage - Input Tokens"), "0.00000000000003"),
            cost(Some("Claude Sonnet 4 Usage - Output Tokens"), "12345678901234.123456789012"),
            cost(Some("Web Search"), "0.000000001"),
        ]
    );
    assert_eq!(on(&pulled, "2026-03-10").costs, vec![cost(Some("Credit"), "-2.5")]);
    assert_eq!(on(&pulled, "2026-04-09").costs, vec![cost(Some("Claude Haiku"), "123.45")]);
    // Uncached, cache reads and both cache writes are all input; Anthropic counts no requests.
    assert_eq!(
        *on(&pulled, "2026-03-02"),
        PulledDay { costs: vec![], requests: None, input_tokens: 3200, output_tokens: 500 }
    );
    assert_eq!(*on(&pulled, "2026-03-20"), PulledDay::default());

    assert_eq!((fake.requests(ANTHROPIC_COSTS), fake.requests(ANTHROPIC_USAGE)), (6, 6));
    let costs = fake.queries(ANTHROPIC_COSTS);
    assert_eq!(query_value(&costs[0], "starting_at"), ["2026-03-01T00:00:00Z"]);
    assert_eq!(query_value(&costs[0], "ending_at"), ["2026-04-10T00:00:00Z"]);
    assert_eq!(query_value(&costs[0], "bucket_width"), ["1d"]);
    assert_eq!(query_value(&costs[0], "group_by[]"), ["description"]);
    assert_eq!(query_value(&costs[0], "limit"), ["31"]);
    assert_eq!(query_value(&fake.queries(ANTHROPIC_USAGE)[0], "limit"), ["31"]);
    assert_eq!(fake.last_key_header(vendor).as_deref(), Some(ANTHROPIC_KEY));
    assert_eq!(fake.last_anthropic_version().as_deref(), Some("2023-06-01"));
}

#[tokio::test]
async fn days_without_a_bucket_are_there_and_empty() {
    for vendor in [Vendor::OpenAi, Vendor::Anthropic] {
        let fake = FakeProviders::start().await;
        fake.omit_empty_days(vendor);
        let amount = if vendor == Vendor::OpenAi { "2.5" } else { r#""250""# };
        fake.cost(vendor, day("2026-05-02"), Some("a line"), amount, "USD");
        fake.usage(
            vendor,
            day("2026-05-04"),
            Usage { input_tokens: 10, output_tokens: 20, requests: 2, ..Usage::default() },
        );

        let range = days("2026-05-01", "2026-05-05");
        let pulled = pull(&fake, vendor, range).await.expect("a pull");

        assert_every_day(&pulled, range);
        let requests = |n: u64| (vendor == Vendor::OpenAi).then_some(n);
        let empty = PulledDay { requests: requests(0), ..PulledDay::default() };
        for date in ["2026-05-01", "2026-05-03", "2026-05-05"] {
            assert_eq!(*on(&pulled, date), empty, "{vendor} {date}");
        }
        assert_eq!(on(&pulled, "2026-05-02").costs, vec![cost(Some("a line"), "2.5")], "{vendor}");
        let used = on(&pulled, "2026-05-04");
        assert_eq!((used.requests, used.input_tokens, used.output_tokens), (requests(2), 10, 20), "{vendor}");
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_without_showing_it() {
    for vendor in [Vendor::OpenAi, Vendor::Anthropic] {
        let fake = FakeProviders::start().await;
        fake.set_keys(vendor, &["sk-admin-TheNewKeyThatReplacedIt0123456789"]);
        let err = without_key(pull(&fake, vendor, days("2026-01-01", "2026-01-31")).await, key(vendor));
        let PullError::Refused { status, message } = &err else { panic!("{vendor}: {err:?}") };
        assert_eq!(*status, 401, "{vendor}");
        match vendor {
            // The fake quotes the whole key, as a careless server might: only its mask is kept.
            Vendor::OpenAi => assert!(message.starts_with("Incorrect API key provided: sk-admin-Fa…."), "{message}"),
            Vendor::Anthropic => assert_eq!(message, "invalid x-api-key"),
        }
        assert!(err.to_string().contains("has not been revoked"), "{err}");
        // Refused at the first request: nothing else was asked.
        let (costs, usage) = match vendor {
            Vendor::OpenAi => (OPENAI_COSTS, OPENAI_USAGE),
            Vendor::Anthropic => (ANTHROPIC_COSTS, ANTHROPIC_USAGE),
        };
        assert_eq!((fake.requests(costs), fake.requests(usage)), (1, 0));
    }
}

#[tokio::test]
async fn a_key_without_the_permission_is_refused() {
    for vendor in [Vendor::OpenAi, Vendor::Anthropic] {
        let fake = FakeProviders::start().await;
        fake.fail_next(Failure::Status { status: 403, retry_after: None });
        let err = without_key(pull(&fake, vendor, days("2026-01-01", "2026-01-02")).await, key(vendor));
        assert!(
            matches!(&err, PullError::Refused { status: 403, message } if message == "scripted failure 403"),
            "{vendor}: {err:?}"
        );
    }
}

#[tokio::test]
async fn rate_limits_say_how_long_to_wait() {
    for vendor in [Vendor::OpenAi, Vendor::Anthropic] {
        let fake = FakeProviders::start().await;
        let range = days("2026-01-01", "2026-01-02");

        fake.fail_next(Failure::Status { status: 429, retry_after: Some("17".into()) });
        let err = without_key(pull(&fake, vendor, range).await, key(vendor));
        assert!(
            matches!(err, PullError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(17)),
            "{vendor}: {err:?}"
        );
        assert_eq!(err.to_string(), "The provider is limiting requests; try again in 17 s");

        let in_two_minutes = (Utc::now() + chrono::TimeDelta::seconds(120)).format("%a, %d %b %Y %H:%M:%S GMT");
        fake.fail_next(Failure::Status { status: 429, retry_after: Some(in_two_minutes.to_string()) });
        let err = pull(&fake, vendor, range).await.expect_err("rate limited");
        let PullError::RateLimited { retry_after: Some(wait) } = err else { panic!("{vendor}: {err:?}") };
        assert!((Duration::from_secs(100)..=Duration::from_secs(121)).contains(&wait), "{vendor}: {wait:?}");

        fake.fail_next(Failure::Status { status: 429, retry_after: None });
        let err = pull(&fake, vendor, range).await.expect_err("rate limited");
        assert!(matches!(err, PullError::RateLimited { retry_after: None }), "{vendor}: {err:?}");

        // The usage report's page can be the limited one too.
        fake.fail_next(Failure::Delay(Duration::ZERO));
        fake.fail_next(Failure::Status { status: 429, retry_after: Some("3".into()) });
        let err = pull(&fake, vendor, range).await.expect_err("rate limited");
        assert!(matches!(err, PullError::RateLimited { retry_after: Some(_) }), "{vendor}: {err:?}");
    }
}

#[tokio::test]
async fn server_errors_are_unavailable() {
    for (vendor, status) in
        [(Vendor::OpenAi, 500), (Vendor::OpenAi, 503), (Vendor::Anthropic, 500), (Vendor::Anthropic, 529)]
    {
        let fake = FakeProviders::start().await;
        fake.fail_next(Failure::Status { status, retry_after: (status != 500).then(|| "5".to_string()) });
        let err = without_key(pull(&fake, vendor, days("2026-01-01", "2026-01-02")).await, key(vendor));
        let retry_after = (status != 500).then(|| Duration::from_secs(5));
        assert!(
            matches!(&err, PullError::Unavailable { status: s, retry_after: r } if *s == status && *r == retry_after),
            "{vendor} {status}: {err:?}"
        );
    }
}

#[tokio::test]
async fn answers_that_are_not_the_documented_shape_are_malformed() {
    let cases: [(Vendor, Vec<Failure>, &str); 6] = [
        (
            Vendor::OpenAi,
            vec![Failure::Body(r#"{"object": "page", "data": [{"object": "bucket", "#.into())],
            "OpenAI /v1/organization/costs, page 1: ",
        ),
        (
            Vendor::Anthropic,
            vec![Failure::Body("<html>Bad gateway</html>".into())],
            "Anthropic /v1/organizations/cost_report, page 1: expected value",
        ),
        // The second page (the usage report's first) is the bad one.
        (
            Vendor::OpenAi,
            vec![Failure::Delay(Duration::ZERO), Failure::Body(r#"{"data": [], "has_more": "no"}"#.into())],
            "OpenAI /v1/organization/usage/completions, page 1: has_more: invalid type",
        ),
        (
            Vendor::Anthropic,
            vec![Failure::Body(r#"{"data": [{"starting_at": "2026-01-01T00:00:00Z", "ending_at": "2026-01-02T00:00:00Z", "results": [{"amount": "12.5"}]}], "has_more": false}"#.into())],
            "Anthropic /v1/organizations/cost_report, page 1: data[0].results[0]: missing field `currency`",
        ),
        (
            Vendor::OpenAi,
            vec![Failure::Body(r#"{"data": [{"start_time": 1767268800, "end_time": 1767355200, "results": []}], "has_more": false}"#.into())],
            "OpenAI /v1/organization/costs, page 1: data[0]: the bucket from 2026-01-01T12:00:00Z to 2026-01-02T12:00:00Z is not one UTC day",
        ),
        (
            Vendor::OpenAi,
            vec![Failure::Body(r#"{"data": [], "has_more": true, "next_page": null}"#.into())],
            "OpenAI /v1/organization/costs, page 1: has_more is true but there is no next_page cursor to follow",
        ),
    ];
    for (vendor, failures, expected) in cases {
        let fake = FakeProviders::start().await;
        for failure in failures {
            fake.fail_next(failure);
        }
        let err = without_key(pull(&fake, vendor, days("2026-01-01", "2026-01-02")).await, key(vendor));
        let PullError::Malformed(detail) = &err else { panic!("{expected}: {err:?}") };
        assert!(detail.starts_with(expected), "{detail}\n  should start with {expected}");
    }
}

#[tokio::test]
async fn amounts_that_are_not_decimals_or_currencies_are_malformed() {
    let cases = [
        (Vendor::OpenAi, r#""abc""#, "usd", "data[0].results[0].amount.value: `abc` is not a decimal amount"),
        (Vendor::OpenAi, "1e309", "usd", "data[0].results[0].amount.value: `1e309` is not a decimal amount"),
        (Vendor::OpenAi, "1", "credits", "data[0].results[0].amount.currency: `credits` is not an ISO 4217"),
        (Vendor::Anthropic, r#""NaN""#, "USD", "data[0].results[0].amount: `NaN` is not a decimal amount"),
        (
            Vendor::Anthropic,
            r#""0.000000000000000000000000001""#,
            "USD",
            "data[0].results[0]: the amount 0.000000000000000000000000001 has too many decimal places",
        ),
    ];
    for (vendor, amount, currency, expected) in cases {
        let fake = FakeProviders::start().await;
        fake.cost(vendor, day("2026-01-01"), Some("a line"), amount, currency);
        let err = without_key(pull(&fake, vendor, days("2026-01-01", "2026-01-01")).await, key(vendor));
        let PullError::Malformed(detail) = &err else { panic!("{expected}: {err:?}") };
        assert!(detail.contains(expected), "{detail}\n  should contain {expected}");
    }
}

#[tokio::test]
async fn a_page_cursor_that_repeats_is_malformed() {
    let page = r#"{"data": [], "has_more": true, "next_page": "page_again"}"#;
    let fake = FakeProviders::start().await;
    fake.fail_next(Failure::Body(page.into()));
    fake.fail_next(Failure::Body(page.into()));
    let err = pull(&fake, Vendor::Anthropic, days("2026-01-01", "2026-01-02")).await.expect_err("a loop");
    let PullError::Malformed(detail) = &err else { panic!("{err:?}") };
    assert_eq!(
        detail,
        "Anthropic /v1/organizations/cost_report, page 2: the next_page cursor `page_again` was already followed, so the pages would loop"
    );
    assert_eq!(fake.requests(ANTHROPIC_COSTS), 2);
}

#[tokio::test]
async fn buckets_outside_the_asked_days_are_skipped() {
    let fake = FakeProviders::start().await;
    let page = r#"{"data": [
        {"start_time": 1767139200, "end_time": 1767225600, "results": [{"amount": {"value": 9, "currency": "usd"}, "line_item": "before"}]},
        {"start_time": 1767225600, "end_time": 1767312000, "results": [{"amount": {"value": 1, "currency": "usd"}, "line_item": "in"}]},
        {"start_time": 1767312000, "end_time": 1767398400, "results": [{"amount": {"value": 9, "currency": "usd"}, "line_item": "after"}]}
    ], "has_more": false, "next_page": null}"#;
    fake.fail_next(Failure::Body(page.into()));
    let range = days("2026-01-01", "2026-01-01");
    let pulled = pull(&fake, Vendor::OpenAi, range).await.expect("a pull");
    assert_every_day(&pulled, range);
    assert_eq!(on(&pulled, "2026-01-01").costs, vec![cost(Some("in"), "1")]);
}

#[tokio::test]
async fn an_unexpected_status_is_malformed_with_the_providers_reason() {
    let fake = FakeProviders::start().await;
    fake.fail_next(Failure::Status { status: 404, retry_after: None });
    let err = pull(&fake, Vendor::OpenAi, days("2026-01-01", "2026-01-02")).await.expect_err("not found");
    let PullError::Malformed(detail) = &err else { panic!("{err:?}") };
    assert_eq!(detail, "OpenAI /v1/organization/costs answered HTTP 404 Not Found: scripted failure 404");
}

#[tokio::test]
async fn a_body_cut_short_is_a_network_failure() {
    for vendor in [Vendor::OpenAi, Vendor::Anthropic] {
        let fake = FakeProviders::start().await;
        fake.fail_next(Failure::CutShort);
        let err = without_key(pull(&fake, vendor, days("2026-01-01", "2026-01-02")).await, key(vendor));
        let PullError::Network(detail) = &err else { panic!("{vendor}: {err:?}") };
        assert!(detail.contains("broke while"), "{detail}");
    }
}

#[tokio::test]
async fn a_closed_port_is_a_network_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = url::Url::parse(&format!("http://{}", listener.local_addr().expect("address"))).expect("a URL");
    drop(listener);
    let client = Client::new(Endpoints { openai: closed.clone(), anthropic: closed }).expect("a client");
    for vendor in [Vendor::OpenAi, Vendor::Anthropic] {
        let secret = ApiSecret::parse(key(vendor)).expect("a key");
        let err = without_key(client.pull(vendor, &secret, days("2026-01-01", "2026-01-02")).await, key(vendor));
        let PullError::Network(detail) = &err else { panic!("{vendor}: {err:?}") };
        assert!(detail.starts_with(&format!("could not connect to {} at 127.0.0.1:", vendor.title())), "{detail}");
    }
}

#[tokio::test]
async fn a_provider_that_does_not_answer_in_time_is_a_network_failure() {
    let fake = FakeProviders::start().await;
    fake.fail_next(Failure::Delay(Duration::from_secs(5)));
    let client = Client::new(fake.endpoints()).expect("a client").with_request_timeout(Duration::from_millis(200));
    let secret = ApiSecret::parse(OPENAI_KEY).expect("a key");
    let err = client.pull(Vendor::OpenAi, &secret, days("2026-01-01", "2026-01-02")).await.expect_err("too slow");
    let PullError::Network(detail) = &err else { panic!("{err:?}") };
    assert!(detail.ends_with("did not answer /v1/organization/costs within 0.2 s"), "{detail}");
}
