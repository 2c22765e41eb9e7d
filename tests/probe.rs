//! The website probe against real sites on 127.0.0.1: status, time to first byte, keywords,
//! certificates from a test CA, redirects, timeouts and the private-address refusal.

mod probe_support;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, Redirect};
use axum::routing::get;
use chrono::{TimeDelta, Utc};
use jarvis::probe::site::{Failure, KeywordCheck, Probe, ProbeConfig, Prober, TlsCheck, TlsProblem};
use probe_support::{Leaf, Site, TestCa, self_signed};
use url::Url;

/// The pages every test site serves.
fn routes() -> Router {
    Router::new()
        .route("/", get(|| async { Html("<h1>Welcome to Jarvis</h1>") }))
        .route("/error", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "Jarvis is down") }))
        .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(10)).await }))
        .route("/agent", get(|headers: HeaderMap| async move { format!("{:?}", headers[header::USER_AGENT]) }))
        .route("/long", get(|| async { format!("{}Needle", "x".repeat(100)) }))
        .route("/chunked", get(|| async { Body::from_stream(slow_chunks(&["<p>Welcome to Jar", "VIS</p>"])) }))
        .route("/a", get(|| async { Redirect::temporary("/b") }))
        .route("/b", get(|| async { Redirect::permanent("c") }))
        .route("/c", get(|| async { "arrived" }))
        .route("/away", get(|| async { Redirect::temporary("https://elsewhere.example/") }))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
}

/// A body sent in separate chunks, 50 ms apart.
fn slow_chunks(chunks: &'static [&'static str]) -> impl futures_util::Stream<Item = Result<&'static str, Infallible>> {
    futures_util::stream::unfold(chunks.iter(), |mut rest| async move {
        let chunk = rest.next()?;
        tokio::time::sleep(Duration::from_millis(50)).await;
        Some((Ok(*chunk), rest))
    })
}

/// The test policy: 127.0.0.1 allowed, a short overall timeout.
fn local() -> ProbeConfig {
    ProbeConfig { allow_private: true, timeout: Duration::from_secs(5), ..ProbeConfig::default() }
}

/// What a probe of `url` that got a direct answer says, time to first byte aside.
fn answered(url: &Url, status: u16, keyword: Option<KeywordCheck>) -> Probe {
    Probe {
        url: url.to_string(),
        final_url: url.to_string(),
        redirects: 0,
        status: Some(status),
        ttfb_ms: None,
        keyword,
        tls: None,
        failure: None,
    }
}

/// Checks `url` with `prober`, asserts a time to first byte was measured, and drops it.
async fn probe(prober: &Prober, url: &Url, keyword: Option<&str>) -> Probe {
    let probe = prober.check(url, keyword).await;
    assert!(probe.status.is_none() || probe.ttfb_ms.is_some(), "an answer without a ttfb: {probe:?}");
    Probe { ttfb_ms: None, ..probe }
}

#[tokio::test]
async fn a_healthy_site_answers_with_the_keyword_in_any_case() {
    let site = Site::http(routes()).await;
    let url = site.url("/");
    let found = probe(&Prober::new(local()), &url, Some("WELCOME to jarvis")).await;
    assert_eq!(found, answered(&url, 200, Some(KeywordCheck::Found)));
}

#[tokio::test]
async fn a_missing_keyword_is_reported() {
    let site = Site::http(routes()).await;
    let url = site.url("/");
    let missing = probe(&Prober::new(local()), &url, Some("Maintenance")).await;
    assert_eq!(missing, answered(&url, 200, Some(KeywordCheck::Missing)));
}

#[tokio::test]
async fn a_keyword_split_across_chunks_is_found() {
    let site = Site::http(routes()).await;
    let url = site.url("/chunked");
    let found = probe(&Prober::new(local()), &url, Some("jarvis")).await;
    assert_eq!(found, answered(&url, 200, Some(KeywordCheck::Found)));
}

#[tokio::test]
async fn only_the_first_max_body_bytes_are_searched() {
    let site = Site::http(routes()).await;
    let url = site.url("/long");
    let small = Prober::new(ProbeConfig { max_body: 64, ..local() });
    assert_eq!(probe(&small, &url, Some("needle")).await.keyword, Some(KeywordCheck::Missing));
    assert_eq!(probe(&Prober::new(local()), &url, Some("needle")).await.keyword, Some(KeywordCheck::Found));
}

#[tokio::test]
async fn a_server_error_is_an_answer_not_a_failure() {
    let site = Site::http(routes()).await;
    let url = site.url("/error");
    assert_eq!(probe(&Prober::new(local()), &url, None).await, answered(&url, 500, None));
}

#[tokio::test]
async fn the_user_agent_names_jarvis() {
    let site = Site::http(routes()).await;
    let agent = concat!("jarvis/", env!("CARGO_PKG_VERSION"), " (+site check)");
    let probe = probe(&Prober::new(local()), &site.url("/agent"), Some(agent)).await;
    assert_eq!(probe.keyword, Some(KeywordCheck::Found));
}

#[tokio::test]
async fn a_slow_site_times_out_on_time() {
    let site = Site::http(routes()).await;
    let prober = Prober::new(ProbeConfig { timeout: Duration::from_secs(1), ..local() });
    let started = Instant::now();
    let probe = probe(&prober, &site.url("/slow"), Some("anything")).await;
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    assert_eq!(probe.failure, Some(Failure::Timeout));
    assert_eq!((probe.status, probe.keyword), (None, Some(KeywordCheck::NotChecked)));
}

#[tokio::test]
async fn a_closed_port_is_a_connect_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url: Url = format!("http://127.0.0.1:{port}/").parse().unwrap();
    let probe = probe(&Prober::new(local()), &url, Some("anything")).await;
    assert!(matches!(probe.failure, Some(Failure::Connect(_))), "{probe:?}");
    assert_eq!((probe.status, probe.keyword), (None, Some(KeywordCheck::NotChecked)));
}

#[tokio::test]
async fn speaking_tls_to_a_plain_http_server_is_a_tls_failure() {
    let site = Site::http(routes()).await;
    let mut url = site.url("/");
    url.set_scheme("https").unwrap();
    let probe = probe(&Prober::new(local()), &url, None).await;
    assert!(matches!(probe.failure, Some(Failure::Tls(_))), "{probe:?}");
    assert_eq!((probe.status, probe.tls), (None, None));
}

/// Checks `https://host/` on a site serving `leaf`, with `trusted` as an extra root; the site must
/// answer whatever its certificate.
async fn tls_check(leaf: Leaf, trusted: &TestCa, host: &str) -> TlsCheck {
    let site = Site::https(routes(), leaf).await;
    let prober = Prober::new(ProbeConfig { extra_roots: vec![trusted.root()], ..local() });
    let probe = probe(&prober, &site.url_at(host, "/"), Some("welcome")).await;
    assert_eq!((probe.status, probe.keyword, &probe.failure), (Some(200), Some(KeywordCheck::Found), &None));
    probe.tls.expect("an https site has a certificate check")
}

#[tokio::test]
async fn a_valid_certificate_has_no_problem_and_its_details() {
    let ca = TestCa::new();
    let tls = tls_check(ca.leaf(&["localhost", "127.0.0.1"], -1..90), &ca, "localhost").await;
    assert_eq!(tls.problem, None);
    let left = tls.expires_at.unwrap() - Utc::now();
    assert!(left > TimeDelta::days(89) && left <= TimeDelta::days(90), "expires in {left}");
    assert_eq!(tls.issuer.as_deref(), Some("CN=Jarvis Test CA"));
    assert_eq!(tls.subject.as_deref(), Some("CN=localhost"));
}

#[tokio::test]
async fn a_certificate_expiring_soon_is_still_valid() {
    let ca = TestCa::new();
    let tls = tls_check(ca.leaf(&["localhost", "127.0.0.1"], -1..4), &ca, "127.0.0.1").await;
    assert_eq!(tls.problem, None);
    let left = tls.expires_at.unwrap() - Utc::now();
    assert!(left > TimeDelta::zero() && left < TimeDelta::days(5), "expires in {left}");
}

#[tokio::test]
async fn an_expired_certificate_is_reported_and_the_site_still_measured() {
    let ca = TestCa::new();
    let tls = tls_check(ca.leaf(&["localhost", "127.0.0.1"], -30..-1), &ca, "127.0.0.1").await;
    assert_eq!(tls.problem, Some(TlsProblem::Expired));
    assert!(tls.expires_at.unwrap() < Utc::now());
}

#[tokio::test]
async fn a_certificate_not_yet_valid_is_reported() {
    let ca = TestCa::new();
    let tls = tls_check(ca.leaf(&["localhost", "127.0.0.1"], 10..100), &ca, "127.0.0.1").await;
    assert_eq!(tls.problem, Some(TlsProblem::NotYetValid));
}

#[tokio::test]
async fn a_self_signed_certificate_is_reported() {
    let tls = tls_check(self_signed(&["localhost", "127.0.0.1"], -1..90), &TestCa::new(), "127.0.0.1").await;
    assert_eq!(tls.problem, Some(TlsProblem::SelfSigned));
    assert_eq!(tls.issuer, tls.subject);
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_reported() {
    let stranger = TestCa::named("Stranger CA");
    let tls = tls_check(stranger.leaf(&["localhost", "127.0.0.1"], -1..90), &TestCa::new(), "127.0.0.1").await;
    assert_eq!(tls.problem, Some(TlsProblem::UntrustedIssuer));
}

#[tokio::test]
async fn a_certificate_for_another_host_is_reported() {
    let ca = TestCa::new();
    let tls = tls_check(ca.leaf(&["wrong.example"], -1..90), &ca, "127.0.0.1").await;
    assert_eq!(tls.problem, Some(TlsProblem::WrongHost));
    assert_eq!(tls.subject.as_deref(), Some("CN=wrong.example"));
}

#[tokio::test]
async fn redirects_on_the_same_host_are_followed() {
    let site = Site::http(routes()).await;
    let url = site.url("/a");
    let probe = probe(&Prober::new(local()), &url, Some("arrived")).await;
    let final_url = site.url("/c");
    assert_eq!(
        probe,
        Probe { redirects: 2, final_url: final_url.to_string(), ..answered(&url, 200, Some(KeywordCheck::Found)) }
    );
}

#[tokio::test]
async fn an_upgrade_to_https_is_followed_and_its_certificate_checked() {
    let ca = TestCa::new();
    let secure = Site::https(routes(), ca.leaf(&["localhost", "127.0.0.1"], -1..90)).await;
    let target = secure.url("/");
    let plain = Site::http(Router::new().route(
        "/",
        get(move || {
            let target = target.clone();
            async move { Redirect::permanent(target.as_str()) }
        }),
    ))
    .await;
    let prober = Prober::new(ProbeConfig { extra_roots: vec![ca.root()], ..local() });
    let probe = probe(&prober, &plain.url("/"), Some("welcome")).await;
    assert_eq!((probe.redirects, probe.final_url.as_str()), (1, secure.url("/").as_str()));
    assert_eq!((probe.status, probe.keyword, probe.failure), (Some(200), Some(KeywordCheck::Found), None));
    assert_eq!(probe.tls.map(|tls| tls.problem), Some(None));
}

#[tokio::test]
async fn a_redirect_to_another_site_is_not_followed() {
    let site = Site::http(routes()).await;
    let url = site.url("/away");
    let probe = probe(&Prober::new(local()), &url, None).await;
    assert_eq!(
        probe,
        Probe {
            failure: Some(Failure::RedirectOffSite { to: "https://elsewhere.example/".into() }),
            ..answered(&url, 307, None)
        }
    );
}

#[tokio::test]
async fn a_redirect_loop_stops_at_max_redirects() {
    let site = Site::http(routes()).await;
    let prober = Prober::new(ProbeConfig { max_redirects: 3, ..local() });
    let probe = probe(&prober, &site.url("/loop"), Some("anything")).await;
    assert_eq!(probe.failure, Some(Failure::TooManyRedirects));
    assert_eq!((probe.redirects, probe.keyword), (3, Some(KeywordCheck::NotChecked)));
}

/// Checks `url` under the default policy, which must refuse it before connecting, and returns why.
async fn refusal(site: &Site, url: &Url) -> String {
    let probe = probe(&Prober::new(ProbeConfig::default()), url, Some("welcome")).await;
    assert_eq!(site.connections(), 0, "the site was contacted: {probe:?}");
    assert_eq!((probe.status, probe.keyword), (None, Some(KeywordCheck::NotChecked)));
    // The same site does answer when private addresses are allowed, so the count above means something.
    assert_eq!(probe_allowed(url).await, Some(200));
    assert_eq!(site.connections(), 1);
    match probe.failure {
        Some(Failure::Refused { reason }) => reason,
        other => panic!("not refused: {other:?}"),
    }
}

async fn probe_allowed(url: &Url) -> Option<u16> {
    Prober::new(local()).check(url, None).await.status
}

#[tokio::test]
async fn a_private_ip_address_is_refused() {
    let site = Site::http(routes()).await;
    let reason = refusal(&site, &site.url("/")).await;
    assert_eq!(
        reason,
        "127.0.0.1 is a loopback address; Jarvis does not probe those unless JARVIS_PROBE_ALLOW_PRIVATE is on"
    );
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_refused() {
    let site = Site::http(routes()).await;
    let reason = refusal(&site, &site.url_at("localhost", "/")).await;
    assert!(reason.starts_with("localhost resolves to "), "{reason}");
    assert!(
        reason.ends_with(", a loopback address; Jarvis does not probe those unless JARVIS_PROBE_ALLOW_PRIVATE is on")
    );
}

/// Other spellings of loopback and private addresses in a URL are refused too, before any
/// connection: decimal, hex, octal and short IPv4 forms, IPv4-mapped IPv6.
#[tokio::test]
async fn other_spellings_of_private_addresses_are_refused() {
    let site = Site::http(routes()).await;
    let port = site.url("/").port().unwrap();
    let prober = Prober::new(ProbeConfig::default());
    for host in ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::1]"] {
        let url: Url = format!("http://{host}:{port}/").parse().unwrap();
        let probe = prober.check(&url, None).await;
        assert!(matches!(probe.failure, Some(Failure::Refused { .. })), "{host}: {probe:?}");
    }
    assert_eq!(site.connections(), 0);
}

#[tokio::test]
async fn a_prober_runs_at_most_concurrency_checks_at_once() {
    let peak = Arc::new(AtomicUsize::new(0));
    let busy = {
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::clone(&peak));
        get(move || {
            let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
            async move {
                peak.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200)).await;
                running.fetch_sub(1, Ordering::SeqCst);
            }
        })
    };
    let site = Site::http(Router::new().route("/", busy)).await;
    let prober = Prober::new(ProbeConfig { concurrency: 2, ..local() });
    let checks: Vec<_> = (0..5)
        .map(|_| {
            let (prober, url) = (prober.clone(), site.url("/"));
            tokio::spawn(async move { prober.check(&url, None).await.status })
        })
        .collect();
    for check in checks {
        assert_eq!(check.await.unwrap(), Some(200));
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}
