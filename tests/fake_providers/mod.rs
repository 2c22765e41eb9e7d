//! A fake of OpenAI's and Anthropic's organisation cost and usage APIs on 127.0.0.1, answering
//! from a scripted state in the documented shapes, for tests of `jarvis::providers`.
//!
//! Start it with [`FakeProviders::start`] and give a client [`FakeProviders::endpoints`] (both
//! vendors on one server: their paths differ). Script it per vendor: the keys it accepts
//! ([`OPENAI_KEY`] and [`ANTHROPIC_KEY`] by default; others get 401 with the vendor's error
//! body), the cost lines and usage of each day ([`FakeProviders::cost`], [`FakeProviders::usage`]),
//! whether days with nothing are left out of the answer, and a page size that forces pagination.
//! [`FakeProviders::fail_next`] queues failures for the next requests, whatever their path.
//! Afterwards, [`FakeProviders::requests`], [`FakeProviders::queries`] and the last key headers
//! say what the client sent.
//!
//! Like the real APIs it checks the query: `start_time`/`end_time` (OpenAI, Unix seconds) or
//! `starting_at`/`ending_at` (Anthropic, RFC 3339, snapped to the UTC day), `bucket_width=1d`,
//! `limit` within the documented maximum, `page` cursors it gave out, and `group_by`
//! (`group_by=line_item` for OpenAI, `group_by[]=description` for Anthropic; without it a day's
//! lines are summed into one). Amounts are written into the JSON exactly as the test gave them
//! (raw JSON text), so `0.000000000001`, `1e-7` and huge numbers reach the client untouched.
//!
//! Deliberately harsher than OpenAI: its 401 message quotes the whole key presented (OpenAI
//! quotes a masked one), so tests prove the client never passes a key on.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, TimeDelta, Utc};
use jarvis::domain::connection::Vendor;
use jarvis::providers::Endpoints;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
use tokio::task::JoinHandle;

/// The admin keys each vendor accepts unless a test says otherwise.
pub const OPENAI_KEY: &str = "sk-admin-FakeOpenAiAdminKey0123456789abcdefghij";
pub const ANTHROPIC_KEY: &str = "sk-ant-admin01-FakeAnthropicAdminKey0123456789abcdef";

pub const OPENAI_COSTS: &str = "/v1/organization/costs";
pub const OPENAI_USAGE: &str = "/v1/organization/usage/completions";
pub const ANTHROPIC_COSTS: &str = "/v1/organizations/cost_report";
pub const ANTHROPIC_USAGE: &str = "/v1/organizations/usage_report/messages";

/// One cost line of a day.
#[derive(Clone, Debug)]
pub struct CostLine {
    /// OpenAI's `line_item` or Anthropic's `description`.
    pub line: Option<String>,
    /// The amount's JSON text, written as is: OpenAI's `amount.value` (a number in dollars, e.g.
    /// `0.06`) or Anthropic's `amount` (a string in cents, e.g. `"6"`).
    pub amount: String,
    /// As the vendor writes it: `usd` (OpenAI), `USD` (Anthropic).
    pub currency: String,
}

/// One day's usage, as the vendor reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// OpenAI: every input token (`input_tokens`); Anthropic: uncached input tokens only.
    pub input_tokens: u64,
    /// Tokens read from the cache (`input_cached_tokens`, `cache_read_input_tokens`).
    pub cached_tokens: u64,
    /// Anthropic's cache writes (`cache_creation.ephemeral_1h_input_tokens` and `_5m_`).
    pub cache_write_1h: u64,
    pub cache_write_5m: u64,
    pub output_tokens: u64,
    /// OpenAI's `num_model_requests`.
    pub requests: u64,
}

/// What the next request gets instead of its answer.
#[derive(Clone, Debug)]
pub enum Failure {
    /// This status with the vendor's error body, and `Retry-After` when given.
    Status { status: u16, retry_after: Option<String> },
    /// 200 with this body instead of the page (bad JSON, the wrong shape...).
    Body(String),
    /// 200 whose body stops half way: the connection is dropped before the end.
    CutShort,
    /// The normal answer, this much later.
    Delay(Duration),
}

/// One vendor's books.
struct Books {
    keys: Vec<String>,
    costs: BTreeMap<NaiveDate, Vec<CostLine>>,
    usage: BTreeMap<NaiveDate, Usage>,
    /// Leave out the buckets of days with nothing, instead of answering them with no results.
    omit_empty_days: bool,
    /// Buckets per page at most, below the client's `limit`.
    page_size: Option<u32>,
    /// The last key header: `Authorization` (OpenAI) or `x-api-key` (Anthropic).
    last_key_header: Option<String>,
    /// Anthropic's last `anthropic-version`.
    last_version: Option<String>,
}

impl Books {
    fn new(key: &str) -> Books {
        Books {
            keys: vec![key.to_string()],
            costs: BTreeMap::new(),
            usage: BTreeMap::new(),
            omit_empty_days: false,
            page_size: None,
            last_key_header: None,
            last_version: None,
        }
    }
}

struct Script {
    openai: Books,
    anthropic: Books,
    failures: VecDeque<Failure>,
    /// Requests per path.
    requests: HashMap<String, usize>,
    /// Every request's path and query pairs, in order.
    queries: Vec<(String, Vec<(String, String)>)>,
}

impl Script {
    fn books(&mut self, vendor: Vendor) -> &mut Books {
        match vendor {
            Vendor::OpenAi => &mut self.openai,
            Vendor::Anthropic => &mut self.anthropic,
        }
    }
}

type Shared = Arc<Mutex<Script>>;

pub struct FakeProviders {
    base: url::Url,
    script: Shared,
    server: JoinHandle<()>,
}

impl Drop for FakeProviders {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeProviders {
    pub async fn start() -> FakeProviders {
        let script = Arc::new(Mutex::new(Script {
            openai: Books::new(OPENAI_KEY),
            anthropic: Books::new(ANTHROPIC_KEY),
            failures: VecDeque::new(),
            requests: HashMap::new(),
            queries: Vec::new(),
        }));
        let app = Router::new()
            .route(
                OPENAI_COSTS,
                get(|s: State<Shared>, h: HeaderMap, q: RawQuery| answer(s, Endpoint::OpenAiCosts, h, q)),
            )
            .route(
                OPENAI_USAGE,
                get(|s: State<Shared>, h: HeaderMap, q: RawQuery| answer(s, Endpoint::OpenAiUsage, h, q)),
            )
            .route(
                ANTHROPIC_COSTS,
                get(|s: State<Shared>, h: HeaderMap, q: RawQuery| answer(s, Endpoint::AnthropicCosts, h, q)),
            )
            .route(
                ANTHROPIC_USAGE,
                get(|s: State<Shared>, h: HeaderMap, q: RawQuery| answer(s, Endpoint::AnthropicUsage, h, q)),
            )
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let base = url::Url::parse(&format!("http://{}", listener.local_addr().expect("address"))).expect("a URL");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake providers' server");
        });
        FakeProviders { base, script, server }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> url::Url {
        self.base.clone()
    }

    /// Both vendors at this fake.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints { openai: self.url(), anthropic: self.url() }
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().expect("the fake's state")
    }

    /// The keys `vendor` accepts from now on (all others get 401).
    pub fn set_keys(&self, vendor: Vendor, keys: &[&str]) {
        self.script().books(vendor).keys = keys.iter().map(|key| key.to_string()).collect();
    }

    /// Adds a cost line to `day`; `amount` is raw JSON text (see [`CostLine::amount`]).
    pub fn cost(&self, vendor: Vendor, day: NaiveDate, line: Option<&str>, amount: &str, currency: &str) {
        let line =
            CostLine { line: line.map(String::from), amount: amount.to_string(), currency: currency.to_string() };
        self.script().books(vendor).costs.entry(day).or_default().push(line);
    }

    /// Sets `day`'s usage.
    pub fn usage(&self, vendor: Vendor, day: NaiveDate, usage: Usage) {
        self.script().books(vendor).usage.insert(day, usage);
    }

    /// Leaves the buckets of days with no cost and no usage out of `vendor`'s answers.
    pub fn omit_empty_days(&self, vendor: Vendor) {
        self.script().books(vendor).omit_empty_days = true;
    }

    /// At most `size` buckets per page for `vendor`, whatever `limit` the client asks.
    pub fn set_page_size(&self, vendor: Vendor, size: u32) {
        self.script().books(vendor).page_size = Some(size);
    }

    /// The next request (any path) gets `failure`; queued after earlier ones.
    pub fn fail_next(&self, failure: Failure) {
        self.script().failures.push_back(failure);
    }

    /// Requests received for `path` (e.g. [`OPENAI_COSTS`]).
    pub fn requests(&self, path: &str) -> usize {
        self.script().requests.get(path).copied().unwrap_or(0)
    }

    /// The query pairs of every request for `path`, in order.
    pub fn queries(&self, path: &str) -> Vec<Vec<(String, String)>> {
        self.script().queries.iter().filter(|(p, _)| p == path).map(|(_, query)| query.clone()).collect()
    }

    /// The last key header `vendor` received: `Authorization` (OpenAI) or `x-api-key`
    /// (Anthropic).
    pub fn last_key_header(&self, vendor: Vendor) -> Option<String> {
        self.script().books(vendor).last_key_header.clone()
    }

    /// The last `anthropic-version` header.
    pub fn last_anthropic_version(&self) -> Option<String> {
        self.script().anthropic.last_version.clone()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Endpoint {
    OpenAiCosts,
    OpenAiUsage,
    AnthropicCosts,
    AnthropicUsage,
}

impl Endpoint {
    fn vendor(self) -> Vendor {
        match self {
            Endpoint::OpenAiCosts | Endpoint::OpenAiUsage => Vendor::OpenAi,
            Endpoint::AnthropicCosts | Endpoint::AnthropicUsage => Vendor::Anthropic,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Endpoint::OpenAiCosts => OPENAI_COSTS,
            Endpoint::OpenAiUsage => OPENAI_USAGE,
            Endpoint::AnthropicCosts => ANTHROPIC_COSTS,
            Endpoint::AnthropicUsage => ANTHROPIC_USAGE,
        }
    }

    /// The documented maximum `limit` for daily buckets.
    fn max_limit(self) -> u32 {
        match self {
            Endpoint::OpenAiCosts => 180,
            _ => 31,
        }
    }
}

async fn answer(
    State(script): State<Shared>,
    endpoint: Endpoint,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let vendor = endpoint.vendor();
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(String::from);
    let failure = {
        let mut script = script.lock().expect("the fake's state");
        *script.requests.entry(endpoint.path().to_string()).or_default() += 1;
        script.queries.push((endpoint.path().to_string(), pairs.clone()));
        let books = script.books(vendor);
        match vendor {
            Vendor::OpenAi => books.last_key_header = header("authorization"),
            Vendor::Anthropic => {
                books.last_key_header = header("x-api-key");
                books.last_version = header("anthropic-version");
            }
        }
        script.failures.pop_front()
    };
    match failure {
        Some(Failure::Status { status, retry_after }) => {
            let mut response = error(vendor, status, &format!("scripted failure {status}"));
            if let Some(retry_after) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, retry_after.parse().expect("a header value"));
            }
            return response;
        }
        Some(Failure::Body(body)) => return ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Some(Failure::CutShort) => {
            // The head and the first bytes go out; a moment later the stream fails, and hyper
            // drops the connection mid-body.
            let body = Body::from_stream(futures_util::stream::unfold(0, |step| async move {
                match step {
                    0 => Some((Ok(Bytes::from_static(br#"{"object": "page", "data": [{"object": "bucket", "#)), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Some((Err(std::io::Error::other("the fake drops the connection")), 2))
                    }
                    _ => None,
                }
            }));
            return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        Some(Failure::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let mut script = script.lock().expect("the fake's state");
    let books = script.books(vendor);
    if let Some(refusal) = refusal(books, vendor, &headers) {
        return refusal;
    }
    match page(books, endpoint, &pairs) {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(message) => error(vendor, 400, &message),
    }
}

/// The vendor's 401 (or 400 for Anthropic without `anthropic-version`), if the request's key is
/// not one it accepts.
fn refusal(books: &Books, vendor: Vendor, headers: &HeaderMap) -> Option<Response> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    match vendor {
        Vendor::OpenAi => match header("authorization").and_then(|value| value.strip_prefix("Bearer ")) {
            Some(key) if books.keys.iter().any(|known| known == key) => None,
            Some(key) => Some(error(
                vendor,
                401,
                &format!(
                    "Incorrect API key provided: {key}. You can find your API key at https://platform.openai.com/account/api-keys."
                ),
            )),
            None => Some(error(
                vendor,
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )),
        },
        Vendor::Anthropic => {
            if header("anthropic-version").is_none() {
                return Some(error(vendor, 400, "anthropic-version: header is required"));
            }
            match header("x-api-key") {
                Some(key) if books.keys.iter().any(|known| known == key) => None,
                _ => Some(error(vendor, 401, "invalid x-api-key")),
            }
        }
    }
}

/// The vendor's error answer: OpenAI's `{"error": {"message", "type", "param", "code"}}` or
/// Anthropic's `{"type": "error", "error": {"type", "message"}, "request_id"}`.
fn error(vendor: Vendor, status: u16, message: &str) -> Response {
    let kind = match (vendor, status) {
        (Vendor::OpenAi, 400 | 401) => "invalid_request_error",
        (Vendor::Anthropic, 400) => "invalid_request_error",
        (Vendor::Anthropic, 401) => "authentication_error",
        (_, 403) => "permission_error",
        (_, 404) => "not_found_error",
        (_, 429) => "rate_limit_error",
        (Vendor::Anthropic, 529) => "overloaded_error",
        (Vendor::Anthropic, _) => "api_error",
        (Vendor::OpenAi, _) => "server_error",
    };
    let body = match vendor {
        Vendor::OpenAi => {
            let code = (status == 401).then_some("invalid_api_key");
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
        Vendor::Anthropic => {
            json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"})
        }
    };
    let status = StatusCode::from_u16(status).expect("a status code");
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The page `pairs` ask for, as JSON text, or why the request is invalid.
fn page(books: &Books, endpoint: Endpoint, pairs: &[(String, String)]) -> Result<String, String> {
    let one = |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let all =
        |name: &str| pairs.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).collect::<Vec<_>>();
    let vendor = endpoint.vendor();
    let day = TimeDelta::days(1);

    let (start, end) = match vendor {
        Vendor::OpenAi => {
            let seconds = |name: &str| -> Result<Option<DateTime<Utc>>, String> {
                one(name)
                    .map(|text| {
                        text.parse::<i64>()
                            .ok()
                            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
                            .ok_or_else(|| format!("Invalid value for '{name}': {text}"))
                    })
                    .transpose()
            };
            (seconds("start_time")?.ok_or("Missing query parameter 'start_time'")?, seconds("end_time")?)
        }
        Vendor::Anthropic => {
            let instant = |name: &str| -> Result<Option<DateTime<Utc>>, String> {
                one(name)
                    .map(|text| {
                        DateTime::parse_from_rfc3339(text)
                            .map(|at| at.with_timezone(&Utc))
                            .map_err(|_| format!("{name}: invalid RFC 3339 timestamp {text}"))
                    })
                    .transpose()
            };
            let start = instant("starting_at")?.ok_or("starting_at: Field required")?;
            // "Each time bucket will be snapped to the start of the minute/hour/day in UTC."
            (start.date_naive().and_time(NaiveTime::MIN).and_utc(), instant("ending_at")?)
        }
    };
    if let Some(width) = one("bucket_width").filter(|width| *width != "1d") {
        return Err(format!("bucket_width: this fake serves only 1d buckets, not {width}"));
    }
    let limit = match one("limit") {
        Some(text) => text.parse::<u32>().map_err(|_| format!("limit: invalid integer {text}"))?,
        None => 7,
    };
    if !(1..=endpoint.max_limit()).contains(&limit) {
        return Err(format!("limit: must be between 1 and {}, not {limit}", endpoint.max_limit()));
    }
    let size = limit.min(books.page_size.unwrap_or(u32::MAX)) as usize;
    let first = match one("page") {
        Some(cursor) => cursor
            .strip_prefix("page_")
            .and_then(|seconds| seconds.parse::<i64>().ok())
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .filter(|at| *at >= start)
            .ok_or_else(|| format!("page: invalid cursor {cursor}"))?,
        None => start,
    };
    let end = end.unwrap_or(first + day * size as i32);
    let starts: Vec<DateTime<Utc>> = std::iter::successors(Some(first), |at| Some(*at + day))
        .take_while(|at| *at < end)
        .filter(|at| {
            let date = at.date_naive();
            !books.omit_empty_days || books.costs.contains_key(&date) || books.usage.contains_key(&date)
        })
        .collect();
    let has_more = starts.len() > size;
    let next_page = starts.get(size).map(|at| format!("page_{}", at.timestamp()));
    let shown = &starts[..starts.len().min(size)];

    let group_by = match vendor {
        Vendor::OpenAi => all("group_by"),
        Vendor::Anthropic => [all("group_by[]"), all("group_by")].concat(),
    };
    let body = match endpoint {
        Endpoint::OpenAiCosts => {
            let grouped = group_by.contains(&"line_item");
            let data = shown
                .iter()
                .map(|at| OpenAiBucket {
                    object: "bucket",
                    start_time: at.timestamp(),
                    end_time: (*at + day).timestamp(),
                    results: lines(books, at.date_naive(), grouped)
                        .into_iter()
                        .map(|line| OpenAiCost {
                            object: "organization.costs.result",
                            amount: OpenAiAmount { value: raw(&line.amount), currency: line.currency },
                            line_item: line.line,
                            project_id: None,
                        })
                        .collect(),
                })
                .collect();
            serde_json::to_string(&Page { object: Some("page"), data, has_more, next_page })
        }
        Endpoint::OpenAiUsage => {
            let data = shown
                .iter()
                .map(|at| OpenAiBucket {
                    object: "bucket",
                    start_time: at.timestamp(),
                    end_time: (*at + day).timestamp(),
                    results: books
                        .usage
                        .get(&at.date_naive())
                        .map(|usage| {
                            json!({
                                "object": "organization.usage.completions.result",
                                "input_tokens": usage.input_tokens,
                                "output_tokens": usage.output_tokens,
                                "input_cached_tokens": usage.cached_tokens,
                                "input_audio_tokens": 0,
                                "output_audio_tokens": 0,
                                "num_model_requests": usage.requests,
                                "project_id": null, "user_id": null, "api_key_id": null, "model": null, "batch": null
                            })
                        })
                        .into_iter()
                        .collect(),
                })
                .collect();
            serde_json::to_string(&Page { object: Some("page"), data, has_more, next_page })
        }
        Endpoint::AnthropicCosts => {
            let grouped = group_by.contains(&"description");
            let data = shown
                .iter()
                .map(|at| AnthropicBucket {
                    starting_at: rfc3339(*at),
                    ending_at: rfc3339(*at + day),
                    results: lines(books, at.date_naive(), grouped)
                        .into_iter()
                        .map(|line| AnthropicCost {
                            currency: line.currency,
                            amount: raw(&line.amount),
                            workspace_id: None,
                            cost_type: grouped.then_some("tokens"),
                            description: line.line,
                            context_window: None,
                            model: None,
                            service_tier: None,
                            token_type: None,
                        })
                        .collect(),
                })
                .collect();
            serde_json::to_string(&Page { object: None, data, has_more, next_page })
        }
        Endpoint::AnthropicUsage => {
            let data = shown
                .iter()
                .map(|at| AnthropicBucket {
                    starting_at: rfc3339(*at),
                    ending_at: rfc3339(*at + day),
                    results: books
                        .usage
                        .get(&at.date_naive())
                        .map(|usage| {
                            json!({
                                "uncached_input_tokens": usage.input_tokens,
                                "cache_creation": {
                                    "ephemeral_1h_input_tokens": usage.cache_write_1h,
                                    "ephemeral_5m_input_tokens": usage.cache_write_5m
                                },
                                "cache_read_input_tokens": usage.cached_tokens,
                                "output_tokens": usage.output_tokens,
                                "server_tool_use": {"web_search_requests": 0},
                                "api_key_id": null, "workspace_id": null, "model": null,
                                "service_tier": null, "context_window": null
                            })
                        })
                        .into_iter()
                        .collect(),
                })
                .collect();
            serde_json::to_string(&Page { object: None, data, has_more, next_page })
        }
    };
    Ok(body.expect("the fake's pages serialize"))
}

/// A day's cost lines: as given when grouped, else summed per currency into lines without a
/// name (amounts that are not plain decimals are passed on unsummed).
fn lines(books: &Books, day: NaiveDate, grouped: bool) -> Vec<CostLine> {
    let given = books.costs.get(&day).cloned().unwrap_or_default();
    if grouped {
        return given;
    }
    let mut sums: Vec<(String, Decimal, bool)> = Vec::new();
    let mut unsummed = Vec::new();
    for line in given {
        let text = line.amount.trim_matches('"');
        let value = Decimal::from_str(text).or_else(|_| Decimal::from_scientific(text));
        match value {
            Ok(value) => match sums.iter_mut().find(|(currency, _, _)| *currency == line.currency) {
                Some((_, sum, _)) => *sum += value,
                None => sums.push((line.currency, value, line.amount.starts_with('"'))),
            },
            Err(_) => unsummed.push(CostLine { line: None, ..line }),
        }
    }
    let summed = sums.into_iter().map(|(currency, sum, quoted)| CostLine {
        line: None,
        amount: if quoted { format!("\"{sum}\"") } else { sum.to_string() },
        currency,
    });
    summed.chain(unsummed).collect()
}

fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_string()).unwrap_or_else(|err| panic!("the amount {json:?} is not JSON: {err}"))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Serialize)]
struct Page<B> {
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<&'static str>,
    data: Vec<B>,
    has_more: bool,
    next_page: Option<String>,
}

#[derive(Serialize)]
struct OpenAiBucket<R> {
    object: &'static str,
    start_time: i64,
    end_time: i64,
    results: Vec<R>,
}

#[derive(Serialize)]
struct OpenAiCost {
    object: &'static str,
    amount: OpenAiAmount,
    line_item: Option<String>,
    project_id: Option<String>,
}

#[derive(Serialize)]
struct OpenAiAmount {
    value: Box<RawValue>,
    currency: String,
}

#[derive(Serialize)]
struct AnthropicBucket<R> {
    starting_at: String,
    ending_at: String,
    results: Vec<R>,
}

#[derive(Serialize)]
struct AnthropicCost {
    currency: String,
    amount: Box<RawValue>,
    workspace_id: Option<String>,
    description: Option<String>,
    cost_type: Option<&'static str>,
    context_window: Option<String>,
    model: Option<String>,
    service_tier: Option<String>,
    token_type: Option<String>,
}
