//! The HTTP API (`/api/cost/...`), a thin adapter over the app layer like the CLI and the bot:
//! it parses a request, calls one app function with the caller's workspace, and answers with the
//! same views as JSON. The only module that knows axum and tower-http.
//!
//! - `extract.rs`: the token (every `/api/cost` handler takes a [`extract::Caller`]), JSON
//!   bodies with exact numbers, language, paging, `Idempotency-Key`, `If-Match`.
//! - `problem.rs`: errors as RFC 9457 problem details.
//! - `items.rs`: the item collections (`infrastructure`, `ai-providers`, `third-party`,
//!   `packages`, `other`).
//! - `ledger.rs`: cost records, budgets, rates, settings, sites, alerts, the analysis pages.

// A `Problem` is made once per failed request, on its way out: its size does not matter.
#![allow(clippy::result_large_err)]

mod cache;
mod extract;
mod imports;
mod items;
mod ledger;
mod openapi;
mod problem;
mod usage;
mod web;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

use crate::app::{App, AppError, Earlier, RequestKey};
use crate::domain::workspace::Language;
use crate::render::{Flavor, Renderer};
use extract::{Caller, IdempotencyKey};
use openapi::{Op, Routes};
pub use problem::Problem;

/// How the API server runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where it listens (`JARVIS_HTTP_ADDR`, 127.0.0.1:8080 by default).
    pub addr: SocketAddr,
    /// Requests per second each token may make (`JARVIS_API_RATE`), with bursts of twice that;
    /// `None`: no limit.
    pub rate: Option<NonZeroU32>,
    /// How long one request may take before it is answered 503 (and its work dropped, which
    /// rolls back any write in progress).
    pub timeout: Duration,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The address people reach the pages at (`JARVIS_PUBLIC_URL`), when it is not
    /// `http://<addr>`; an `https` one makes the session cookie `Secure`.
    pub public_url: Option<url::Url>,
}

impl Options {
    pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
    pub const DEFAULT_RATE: u32 = 20;

    /// The defaults, listening on `addr`.
    pub fn new(addr: SocketAddr) -> Options {
        Options {
            addr,
            rate: NonZeroU32::new(Options::DEFAULT_RATE),
            timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            public_url: None,
        }
    }

    /// Where people reach the pages: the public address, else the one listened on.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_string(),
            None => format!("http://{}", self.addr),
        }
    }

    /// Whether cookies are sent only over https (the public address is https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_ref().is_some_and(|url| url.scheme() == "https")
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct Api {
    app: App,
    options: Arc<Options>,
    limits: Arc<Limits>,
    metrics: Arc<Metrics>,
    answers: Arc<cache::Answers>,
    tokens: Arc<cache::Tokens>,
    /// The OpenAPI document, as served.
    document: Arc<str>,
}

/// The API server, bound and ready to serve.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Server {
    /// Binds `options.addr`; a refusal says which address and what to change.
    pub async fn bind(app: App, options: Options) -> anyhow::Result<Server> {
        let listener = tokio::net::TcpListener::bind(options.addr).await.map_err(|error| {
            anyhow::anyhow!(
                "could not listen on {} ({error}); set JARVIS_HTTP_ADDR to a free address, e.g. 127.0.0.1:8081",
                options.addr
            )
        })?;
        Ok(Server { listener, router: router(app, options) })
    }

    /// Where it listens (with the port the system chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes the requests in progress.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let addr = self.local_addr();
        tracing::info!("the API listens on http://{addr}");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|error| anyhow::anyhow!("the API server on {addr} stopped: {error}"))?;
        tracing::info!("the API on http://{addr} stopped");
        Ok(())
    }
}

/// Every route, with its description.
fn routes() -> Routes {
    let routes = Routes::new()
        .route(
            "/healthz",
            Op::get("Alive").public().tag("service").answers_text(200, "The process answers: `ok`.", "text/plain"),
            healthz,
        )
        .route(
            "/readyz",
            Op::get("Ready")
                .public()
                .tag("service")
                .answers_text(200, "The ledger answers too: `ready`.", "text/plain")
                .answers_text(503, "The ledger does not answer.", "text/plain"),
            readyz,
        )
        .route(
            "/metrics",
            Op::get("Prometheus metrics")
                .public()
                .tag("service")
                .describe("Requests by method, route and status; latencies by route; the outbox's depth.")
                .answers_text(200, "OpenMetrics text.", "application/openmetrics-text"),
            metrics,
        )
        .route(
            "/api/openapi.json",
            Op::get("This document").public().tag("service").answers_schema(
                200,
                "The OpenAPI 3.1 document of this API.",
                utoipa::openapi::schema::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Object),
            ),
            openapi_json,
        );
    usage::routes(imports::routes(ledger::routes(items::routes(routes))))
}

/// The OpenAPI 3.1 document describing every route, as JSON.
async fn openapi_json(State(api): State<Api>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], api.document.to_string()).into_response()
}

/// Every route, with its middleware.
pub fn router(app: App, options: Options) -> Router {
    let (routes, document) = routes().finish();
    let document = document.to_pretty_json().expect("the OpenAPI document serializes");
    // Answers are kept by the query parameters the routes are described with.
    let parameters = openapi::query_parameters(&serde_json::from_str(&document).expect("just serialized"));
    let api = Api {
        app,
        limits: Arc::new(Limits::new(options.rate)),
        options: Arc::new(options),
        metrics: Arc::new(Metrics::new()),
        answers: Arc::new(cache::Answers::new(parameters)),
        tokens: Arc::default(),
        document: Arc::from(document),
    };
    routes
        .merge(web::router())
        .route_layer(middleware::from_fn_with_state(api.clone(), observe))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(api)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
}

/// One span per request, its time limit, and its figures in `/metrics`.
async fn observe(State(api): State<Api>, matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    let route = matched.as_ref().map_or("unmatched", |m| m.as_str()).to_string();
    let method = request.method().clone();
    let span =
        tracing::info_span!("request", %method, %route, token = tracing::field::Empty, status = tracing::field::Empty);
    let started = Instant::now();
    // An import reads a whole bill as it is uploaded: it has longer.
    let timeout = if route == "/api/cost/imports" && method == axum::http::Method::POST {
        imports::IMPORT_TIMEOUT.max(api.options.timeout)
    } else {
        api.options.timeout
    };
    let response = match tokio::time::timeout(timeout, next.run(request)).instrument(span.clone()).await {
        Ok(response) => response,
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "The request took too long",
            format!(
                "The request took longer than {} s and was stopped; nothing it was writing was kept. Try again, or ask for less (a smaller page)",
                timeout.as_secs()
            ),
        )
        .into_response(),
    };
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.record("status", status);
    tracing::debug!(parent: &span, elapsed_ms = elapsed.as_secs_f64() * 1000.0, "answered");
    api.metrics.observe(method.as_str(), &route, status, elapsed);
    response
}

async fn not_found(request: Request) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/api/") && !matches!(path, "/healthz" | "/readyz" | "/metrics") {
        return web::not_found(request.headers());
    }
    Problem::not_found(format!("There is no {path} here; /api/openapi.json describes every route")).into_response()
}

async fn method_not_allowed(request: Request) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!(
            "{} does not take {}; /api/openapi.json says what each route takes",
            request.uri().path(),
            request.method()
        ),
    )
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    Problem::from(AppError::Internal(anyhow::anyhow!("a request handler panicked"))).into_response()
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready: the ledger answers too.
async fn readyz(State(api): State<Api>) -> Response {
    match api.app.outbox_depth().await {
        Ok(_) => "ready\n".into_response(),
        Err(error) => {
            tracing::warn!("not ready: {error:#}");
            (StatusCode::SERVICE_UNAVAILABLE, "the ledger does not answer\n").into_response()
        }
    }
}

/// The figures in Prometheus's text format.
async fn metrics(State(api): State<Api>) -> Response {
    if let Ok(depth) = api.app.outbox_depth().await {
        api.metrics.outbox_depth.set(depth);
    }
    let mut text = String::new();
    if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &api.metrics.registry) {
        return Problem::from(AppError::Internal(anyhow::anyhow!("could not encode the metrics: {error}")))
            .into_response();
    }
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

/// Requests per token and second, over a keyed token bucket.
struct Limits {
    limiter: Option<governor::DefaultKeyedRateLimiter<uuid::Uuid>>,
}

impl Limits {
    fn new(rate: Option<NonZeroU32>) -> Limits {
        let limiter = rate.map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::new(2).expect("two"));
            governor::RateLimiter::keyed(governor::Quota::per_second(rate).allow_burst(burst))
        });
        Limits { limiter }
    }

    /// Counts one request by `token`; too many is a 429 saying when to come back.
    fn check(&self, token: &uuid::Uuid) -> Result<(), Problem> {
        use governor::clock::Clock as _;
        let Some(limiter) = &self.limiter else { return Ok(()) };
        limiter.check_key(token).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
            Problem {
                retry_after: Some(seconds),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many requests",
                    format!("This token sent more requests than it may; try again in {seconds} s"),
                )
            }
        })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type Histograms = prometheus_client::metrics::family::Family<
    RouteLabels,
    prometheus_client::metrics::histogram::Histogram,
    fn() -> prometheus_client::metrics::histogram::Histogram,
>;

struct Metrics {
    registry: prometheus_client::registry::Registry,
    requests: prometheus_client::metrics::family::Family<RequestLabels, prometheus_client::metrics::counter::Counter>,
    latency: Histograms,
    outbox_depth: prometheus_client::metrics::gauge::Gauge,
}

impl Metrics {
    fn new() -> Metrics {
        use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
        let mut registry = prometheus_client::registry::Registry::with_prefix("jarvis");
        let requests = prometheus_client::metrics::family::Family::default();
        let latency: Histograms = prometheus_client::metrics::family::Family::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let outbox_depth = prometheus_client::metrics::gauge::Gauge::default();
        registry.register("http_requests", "HTTP requests answered, by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "Time to answer an HTTP request, by route", latency.clone());
        registry.register("outbox_depth", "Messages owed to Discord, in all workspaces", outbox_depth.clone());
        Metrics { registry, requests, latency, outbox_depth }
    }

    fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let (method, route) = (method.to_string(), route.to_string());
        self.requests.get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status }).inc();
        self.latency.get_or_create(&RouteLabels { method, route }).observe(elapsed.as_secs_f64());
    }
}

/// A successful answer: a status, a JSON body, and the headers that go with it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Answer {
    status: u16,
    body: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
}

impl Answer {
    pub fn ok(body: serde_json::Value) -> Answer {
        Answer { status: 200, body, location: None, etag: None }
    }

    pub fn created(body: serde_json::Value, location: String) -> Answer {
        Answer { status: 201, body, location: Some(location), etag: None }
    }

    pub fn with_etag(mut self, etag: &str) -> Answer {
        self.etag = (!etag.is_empty()).then(|| etag.to_string());
        self
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut response = (status, axum::Json(self.body)).into_response();
        let headers = response.headers_mut();
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, location);
        }
        if let Some(etag) = self.etag.and_then(|e| HeaderValue::from_str(&format!("\"{e}\"")).ok()) {
            headers.insert(header::ETAG, etag);
        }
        response
    }
}

impl Api {
    /// A read route's JSON answer, worked out by `work` in the language to use, or kept from a
    /// moment ago (see `cache.rs`).
    async fn kept<F, Fut>(
        &self,
        caller: &Caller,
        lang: extract::Lang,
        uri: &axum::http::Uri,
        work: F,
    ) -> Result<Response, Problem>
    where
        F: FnOnce(Language) -> Fut,
        Fut: Future<Output = Result<serde_json::Value, Problem>>,
    {
        let key = self.answers.key(caller.workspace(), uri, lang.0);
        let body = self
            .answers
            .get(
                &key,
                || self.app.answer_version(),
                || async {
                    let language = self.language(caller, lang).await?;
                    let value = work(language).await?;
                    Ok(axum::body::Bytes::from(serde_json::to_vec(&value).expect("JSON values serialize")))
                },
            )
            .await?;
        Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response())
    }

    /// The language to word texts in: the one asked for, else the workspace's.
    async fn language(&self, caller: &Caller, asked: extract::Lang) -> Result<Language, Problem> {
        match asked.0 {
            Some(lang) => Ok(lang),
            None => Ok(self.app.language(caller.workspace()).await?),
        }
    }

    /// Runs a write once per `Idempotency-Key`: the first time it runs and its answer is kept;
    /// the same key again (with the same method, path and body) gets that answer back without
    /// writing; the key with another request is refused.
    async fn write_once<F, Fut>(
        &self,
        caller: &Caller,
        key: &IdempotencyKey,
        request: (&str, &str, &[u8]),
        write: F,
    ) -> Result<Response, Problem>
    where
        F: FnOnce(App) -> Fut,
        Fut: Future<Output = Result<Answer, Problem>>,
    {
        let Some(key) = &key.0 else { return Ok(write(self.app.clone()).await?.into_response()) };
        let (method, path, body) = request;
        let fingerprint = crate::app::sha256_hex(&[method.as_bytes(), b" ", path.as_bytes(), b"\n", body]);
        let request_key = RequestKey::http(&caller.token.uuid, key);
        let workspace = caller.workspace();
        match self.app.earlier_request(workspace, &request_key, &fingerprint).await? {
            Earlier::Nothing => {}
            Earlier::OtherRequest => {
                return Err(Problem::invalid(
                    "Idempotency-Key",
                    "This Idempotency-Key was used for another request (another path or body) in the last 24 hours; use a new key for a new request",
                ));
            }
            Earlier::Answered(answer) => {
                let answer: Answer = serde_json::from_str(&answer).map_err(|e| AppError::Internal(e.into()))?;
                let mut response = answer.into_response();
                response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
                return Ok(response);
            }
            Earlier::Unrecorded(done) => return Err(AppError::Repeated(done).into()),
        }
        let answer = write(self.app.keyed(request_key.clone())).await?;
        let stored = serde_json::to_string(&answer).map_err(|e| AppError::Internal(e.into()))?;
        if let Err(error) = self.app.save_answer(workspace, &request_key, &fingerprint, &stored).await {
            // The write is done; a retry will be told so rather than get this answer.
            tracing::warn!("could not keep the answer of a keyed request: {error:#}");
        }
        Ok(answer.into_response())
    }
}

/// A view as JSON, its texts worded in `lang`.
fn view<T: Serialize>(lang: Language, value: &T) -> serde_json::Value {
    Renderer::get(lang, Flavor::Plain).resolve(value)
}
