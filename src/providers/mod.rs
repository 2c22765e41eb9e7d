//! The network behind AI provider cost connections: OpenAI's and Anthropic's organisation cost
//! and usage APIs, read into `domain::connection` values. No SQL, no serenity, no axum.
//!
//! [`Client::pull`] asks one provider for the daily buckets of a range of UTC days (its cost
//! report, then its usage report), follows every page cursor, and merges the buckets into one
//! [`PulledDay`] per day. Amounts are read exactly from the JSON text, never through `f64`; what
//! the answers mean is worked out in `wire`, without I/O. The admin key goes into one request
//! header and nowhere else: every error is scrubbed of it before it leaves this module.
//!
//! [`PulledDay`]: crate::domain::connection::PulledDay

mod anthropic;
mod openai;
mod wire;

use std::collections::HashSet;
use std::error::Error as StdError;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::domain::calendar::DateRange;
use crate::domain::connection::{ApiSecret, Pulled, Vendor};

/// How long to wait for a TCP (and TLS) connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take, from sending it to the last byte of the answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Pages followed per report before giving up. Ten years of days is 21 pages at 180 a page and
/// 118 at 31: a thousand means the cursors never end.
const MAX_PAGES: usize = 1000;
/// Longest provider message kept in [`PullError::Refused`].
const MESSAGE_LIMIT: usize = 300;
/// Longest description kept in the other errors: enough for a path and a reason.
const DETAIL_LIMIT: usize = 500;

/// Where each provider's API is: the real ones by default, a fake in tests, or a proxy. A path in
/// the URL is kept as a prefix (`https://proxy.example/openai` reads
/// `https://proxy.example/openai/v1/organization/costs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub openai: Url,
    pub anthropic: Url,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            openai: Url::parse("https://api.openai.com").expect("a fixed URL"),
            anthropic: Url::parse("https://api.anthropic.com").expect("a fixed URL"),
        }
    }
}

/// Reads providers' cost and usage reports. Cheap to clone: clones share the connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    /// One pool for every pull. It follows no redirects: a redirect would carry the key's header
    /// to wherever it points.
    http: reqwest::Client,
    endpoints: Endpoints,
    /// The limit on each request; [`REQUEST_TIMEOUT`] unless a test shortens it.
    request_timeout: Duration,
}

impl Client {
    /// A client for `endpoints`: rustls with the webpki roots, connections within 10 s, each
    /// request answered within 30 s.
    pub fn new(endpoints: Endpoints) -> anyhow::Result<Client> {
        // reqwest is built without a default crypto provider; ring is the one compiled in. An
        // error here only means another provider was installed first, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("jarvis/", env!("CARGO_PKG_VERSION"), " (+provider costs)"))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("could not build the HTTP client for the providers' APIs")?;
        Ok(Client { http, endpoints, request_timeout: REQUEST_TIMEOUT })
    }

    /// The same client with another limit on each request (30 s by default), so tests of a slow
    /// provider need not wait 30 s.
    pub fn with_request_timeout(self, timeout: Duration) -> Client {
        Client { request_timeout: timeout, ..self }
    }

    /// Every page of costs and usage for the UTC days `days` (inclusive range), merged per day.
    pub async fn pull(&self, vendor: Vendor, key: &ApiSecret, days: DateRange) -> Result<Pulled, PullError> {
        let pulled = match vendor {
            Vendor::OpenAi => openai::pull(self, key, days).await,
            Vendor::Anthropic => anthropic::pull(self, key, days).await,
        };
        pulled.map_err(|err| {
            let err = err.scrubbed(key);
            tracing::debug!(provider = vendor.title(), error = %err, "provider pull failed");
            err
        })
    }

    /// Reads every page of `report`, handing each bucket to `on_bucket`; stops at the first
    /// failure. Errors from `on_bucket` are located (`page 2, data[3]: ...`) as `Malformed`.
    async fn each_bucket<B: DeserializeOwned>(
        &self,
        report: &Report<'_>,
        mut on_bucket: impl FnMut(B) -> Result<(), String>,
    ) -> Result<(), PullError> {
        let url = endpoint_url(report.base, report.path);
        let mut followed = HashSet::new();
        let mut cursor: Option<String> = None;
        for number in 1..=MAX_PAGES {
            let body = self.get(report, &url, cursor.as_deref()).await?;
            let malformed = |what: String| {
                PullError::Malformed(format!("{} {}, page {number}: {what}", report.vendor.title(), report.path))
            };
            let page: Page<B> = wire::from_json(&body).map_err(malformed)?;
            tracing::debug!(
                provider = report.vendor.title(),
                endpoint = report.path,
                page = number,
                buckets = page.data.len(),
                "read a page of a provider report"
            );
            for (index, bucket) in page.data.into_iter().enumerate() {
                on_bucket(bucket).map_err(|what| {
                    // `results[2]: ...` continues the path: `data[0].results[2]: ...`.
                    let joint = if what.starts_with("results[") { "." } else { ": " };
                    malformed(format!("data[{index}]{joint}{what}"))
                })?;
            }
            if !page.has_more {
                return Ok(());
            }
            let next = page
                .next_page
                .filter(|next| !next.is_empty())
                .ok_or_else(|| malformed("has_more is true but there is no next_page cursor to follow".to_string()))?;
            if !followed.insert(next.clone()) {
                return Err(malformed(format!(
                    "the next_page cursor `{}` was already followed, so the pages would loop",
                    wire::shorten(&next, 60)
                )));
            }
            cursor = Some(next);
        }
        Err(PullError::Malformed(format!(
            "{} {}: more than {MAX_PAGES} pages, so the page cursors never end",
            report.vendor.title(),
            report.path
        )))
    }

    /// One page of `report`: its body when the answer is a success, else the error it means.
    async fn get(&self, report: &Report<'_>, url: &Url, cursor: Option<&str>) -> Result<Vec<u8>, PullError> {
        let mut request = self
            .http
            .get(url.clone())
            .headers(report.headers.clone())
            .query(&report.query)
            .timeout(self.request_timeout);
        if let Some(cursor) = cursor {
            request = request.query(&[("page", cursor)]);
        }
        let response = request.send().await.map_err(|err| self.network(report, &err))?;
        let status = response.status();
        if status.is_success() {
            let body = response.bytes().await.map_err(|err| self.network(report, &err))?;
            return Ok(body.to_vec());
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| wire::retry_after(value, Utc::now()));
        // The body only explains the refusal: one that does not arrive explains nothing.
        let body = response.bytes().await.unwrap_or_default();
        let message = wire::error_message(&body);
        let code = status.as_u16();
        tracing::debug!(
            provider = report.vendor.title(),
            endpoint = report.path,
            status = code,
            "provider refused a request"
        );
        Err(match code {
            401 | 403 => PullError::Refused {
                status: code,
                message: message.unwrap_or_else(|| "the provider gave no reason".to_string()),
            },
            429 => PullError::RateLimited { retry_after },
            500..=599 => PullError::Unavailable { status: code, retry_after },
            _ => PullError::Malformed(format!(
                "{} {} answered HTTP {status}{}",
                report.vendor.title(),
                report.path,
                message.map(|message| format!(": {message}")).unwrap_or_default()
            )),
        })
    }

    /// What a failed request means, in words: no answer in time, no connection, or an answer
    /// cut off.
    fn network(&self, report: &Report<'_>, err: &reqwest::Error) -> PullError {
        let title = report.vendor.title();
        let host = match (report.base.host_str(), report.base.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => report.base.to_string(),
        };
        PullError::Network(if err.is_timeout() {
            format!("{title} ({host}) did not answer {} within {}", report.path, seconds(self.request_timeout))
        } else if err.is_connect() {
            format!("could not connect to {title} at {host}: {}", root_cause(err))
        } else if err.is_body() || err.is_decode() {
            format!("the connection to {title} ({host}) broke while {} was answering: {}", report.path, root_cause(err))
        } else {
            format!("the request to {title} ({host}) failed: {}", root_cause(err))
        })
    }
}

/// `30 s`, or `0.2 s` for a test's short limit.
fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

/// The innermost cause of a reqwest error (`Connection refused (os error 111)`): reqwest's own
/// message repeats the URL and says less.
fn root_cause(err: &reqwest::Error) -> String {
    let mut cause: &(dyn StdError + 'static) = err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// `base` with `path` appended to its own path.
fn endpoint_url(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url.set_query(None);
    url
}

/// One report to read every page of.
struct Report<'a> {
    vendor: Vendor,
    /// The endpoint's path, appended to `base` and named in messages.
    path: &'static str,
    base: &'a Url,
    /// The key's header (marked sensitive, so no `Debug` shows it) and any other the API needs.
    headers: HeaderMap,
    /// Everything but the page cursor.
    query: Vec<(&'static str, String)>,
}

/// The page envelope both providers use: `{"data": [...], "has_more": true, "next_page": "..."}`.
#[derive(Deserialize)]
struct Page<B> {
    data: Vec<B>,
    has_more: bool,
    #[serde(default)]
    next_page: Option<String>,
}

/// Why a pull failed, written for the admin who set up the connection. No variant ever holds the
/// key: provider messages that quote it show its mask instead.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// 401 or 403: the key was revoked, is not an admin key, or lacks the permission.
    #[error(
        "The provider refused the key (HTTP {status}: {message}); check that it is an organisation admin key that may read costs and usage and that it has not been revoked"
    )]
    Refused { status: u16, message: String },
    /// 429: wait at least this long (Retry-After seconds or HTTP date; None when absent).
    #[error("The provider is limiting requests; {}", wait_hint(.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx.
    #[error("The provider is unavailable (HTTP {status}); {}", wait_hint(.retry_after))]
    Unavailable { status: u16, retry_after: Option<Duration> },
    /// Connection refused, DNS, TLS, timeout.
    #[error("The provider could not be reached: {0}; check the network and try again")]
    Network(String),
    /// The answer was not the documented shape (bad JSON, a missing field, an amount that is
    /// not a decimal, an unknown currency, a page cursor that repeats...): what and where
    /// (endpoint, page number), not the whole body.
    #[error("The provider's answer is not what its documentation describes: {0}")]
    Malformed(String),
}

/// `try again in 30 s`, `try again in 5 min`, or `try again later`.
fn wait_hint(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) if wait.as_secs() < 120 => format!("try again in {} s", wait.as_secs().max(1)),
        Some(wait) => format!("try again in {} min", wait.as_secs().div_ceil(60)),
        None => "try again later".to_string(),
    }
}

impl PullError {
    /// The error with the key replaced by its mask wherever a provider's text quoted it, then
    /// shortened (so a cut can never leave part of the key behind).
    fn scrubbed(self, key: &ApiSecret) -> PullError {
        let clean = |text: String, limit: usize| wire::shorten(&text.replace(key.expose(), &key.masked()), limit);
        match self {
            PullError::Refused { status, message } => {
                PullError::Refused { status, message: clean(message, MESSAGE_LIMIT) }
            }
            PullError::Network(detail) => PullError::Network(clean(detail, DETAIL_LIMIT)),
            PullError::Malformed(detail) => PullError::Malformed(clean(detail, DETAIL_LIMIT)),
            other @ (PullError::RateLimited { .. } | PullError::Unavailable { .. }) => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_a_path_prefix() {
        let check = |base: &str, expected: &str| {
            assert_eq!(endpoint_url(&Url::parse(base).unwrap(), "/v1/organization/costs").as_str(), expected);
        };
        check("https://api.openai.com", "https://api.openai.com/v1/organization/costs");
        check("https://api.openai.com/", "https://api.openai.com/v1/organization/costs");
        check("http://127.0.0.1:8080/openai/", "http://127.0.0.1:8080/openai/v1/organization/costs");
        check("https://proxy.example/openai?x=1", "https://proxy.example/openai/v1/organization/costs");
    }

    #[test]
    fn errors_never_show_the_key() {
        let key = ApiSecret::parse("sk-admin-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789").unwrap();
        let refused = PullError::Refused {
            status: 401,
            message: format!("Incorrect API key provided: {}. {}", key.expose(), "x".repeat(400)),
        }
        .scrubbed(&key);
        for text in [refused.to_string(), format!("{refused:?}")] {
            assert!(!text.contains(key.expose()), "{text}");
            assert!(text.contains("Incorrect API key provided: sk-admin-Ab…."), "{text}");
        }
        let PullError::Refused { message, .. } = &refused else { panic!("{refused:?}") };
        assert_eq!(message.chars().count(), MESSAGE_LIMIT);
        // A key cut in half by the limit is masked before the cut.
        let long = PullError::Malformed(format!("{}{}", "y".repeat(480), key.expose())).scrubbed(&key);
        assert!(!long.to_string().contains("sk-admin-AbCdEf"), "{long}");
    }

    #[test]
    fn messages_say_what_to_do() {
        let check = |err: PullError, expected: &str| assert_eq!(err.to_string(), expected);
        check(
            PullError::RateLimited { retry_after: Some(Duration::from_secs(30)) },
            "The provider is limiting requests; try again in 30 s",
        );
        check(
            PullError::RateLimited { retry_after: Some(Duration::from_secs(301)) },
            "The provider is limiting requests; try again in 6 min",
        );
        check(PullError::RateLimited { retry_after: None }, "The provider is limiting requests; try again later");
        check(
            PullError::Unavailable { status: 503, retry_after: None },
            "The provider is unavailable (HTTP 503); try again later",
        );
        check(
            PullError::Refused { status: 403, message: "not an admin key".into() },
            "The provider refused the key (HTTP 403: not an admin key); check that it is an organisation admin key that may read costs and usage and that it has not been revoked",
        );
        assert_eq!(seconds(Duration::from_secs(30)), "30 s");
        assert_eq!(seconds(Duration::from_millis(200)), "0.2 s");
    }
}
