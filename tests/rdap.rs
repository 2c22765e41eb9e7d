//! RDAP lookups against a fake RDAP server on 127.0.0.1 serving real registry answers: routing,
//! failures, redirects (from this plain-http fake: back to its own address or up to https on its
//! own host; nothing else), answers about another domain, and the private-address refusal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use jarvis::probe::rdap::*;

const GOOGLE: &str = include_str!("fixtures/rdap/rdap_domain_google.com_verisign.json");
const MARQUETRY: &str = include_str!("fixtures/rdap/rdap_domain_themarquetry.com_verisign.json");
const MICROSOFT: &str = include_str!("fixtures/rdap/rdap_domain_microsoft.click_uniregistry.json");

/// The paths the fake server was asked for, in order.
type Seen = Arc<Mutex<Vec<String>>>;

/// A fake RDAP server answering for .com under `/` (and `/v2/`, where `moved.com` moved) and for
/// .click under `/click` (a base URL without a trailing slash), a decoy server on 127.0.0.2 that
/// some answers redirect to, and a client routed to the first with private addresses allowed
/// (the fakes are on loopback).
struct Fake {
    client: RdapClient,
    seen: Seen,
    origin: String,
    /// What the decoy on 127.0.0.2 was asked for: a refused redirect must never reach it.
    decoy: Seen,
    /// `http://127.0.0.2:<port>`.
    decoy_origin: String,
}

#[derive(Clone)]
struct FakeState {
    seen: Seen,
    /// `http://127.0.0.1:<port>` of the fake itself, and `http://127.0.0.2:<port>` of the decoy.
    origin: String,
    decoy: String,
}

impl Fake {
    async fn start() -> Fake {
        let (seen, decoy_seen) = (Seen::default(), Seen::default());
        let decoy_listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.expect("bind 127.0.0.2");
        let decoy = format!("http://{}", decoy_listener.local_addr().expect("address"));
        let decoy_app = Router::new().fallback(get(record)).with_state(decoy_seen.clone());
        tokio::spawn(async move { axum::serve(decoy_listener, decoy_app).await });

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        let state = FakeState { seen: seen.clone(), origin: origin.clone(), decoy: decoy.clone() };
        let app = Router::new()
            .route("/domain/{name}", get(answer))
            .route("/v2/domain/{name}", get(answer))
            .route("/click/domain/{name}", get(answer))
            .with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = RdapClient::new(Arc::new(bootstrap(&origin)), true);
        Fake { client, seen, origin, decoy: decoy_seen, decoy_origin: decoy }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }

    fn decoy_seen(&self) -> Vec<String> {
        self.decoy.lock().expect("lock").clone()
    }
}

/// Routes .com to `origin/` and .click to `origin/click`.
fn bootstrap(origin: &str) -> Bootstrap {
    Bootstrap::from_json(&format!(
        r#"{{"version": "1.0", "publication": "2026-01-01T00:00:00Z", "services": [
            [["com"], ["{origin}/"]],
            [["click"], ["{origin}/click"]]
        ]}}"#
    ))
    .expect("test bootstrap")
}

async fn record(State(seen): State<Seen>, uri: Uri) -> StatusCode {
    seen.lock().expect("lock").push(uri.path().to_owned());
    StatusCode::OK
}

async fn answer(State(state): State<FakeState>, uri: Uri, Path(name): Path<String>) -> Response {
    let path = uri.path().to_owned();
    state.seen.lock().expect("lock").push(path.clone());
    let rdap = |body: String| ([(header::CONTENT_TYPE, "application/rdap+json")], body).into_response();
    let redirect = |status: StatusCode, to: String| (status, [(header::LOCATION, to)]).into_response();
    match name.as_str() {
        "google.com" => rdap(GOOGLE.to_owned()),
        "themarquetry.com" => rdap(MARQUETRY.to_owned()),
        "microsoft.click" => rdap(MICROSOFT.to_owned()),
        // Google's real answer, as if the registry had it under the name asked for.
        "moved.com" if path.starts_with("/v2/") => rdap(GOOGLE.replace(r#""GOOGLE.COM""#, r#""MOVED.COM""#)),
        "moved.com" => redirect(StatusCode::TEMPORARY_REDIRECT, "/v2/domain/moved.com".to_owned()),
        // The issue's cases: an answer about another domain, directly or through a redirect.
        "ldhmismatch.com" => rdap(GOOGLE.to_owned()),
        "stolen.com" => redirect(StatusCode::FOUND, "/domain/google.com".to_owned()),
        // Redirects off the registry's own address: another loopback address, another name for
        // this very server, another port.
        "elsewhere.com" => redirect(StatusCode::FOUND, format!("{}/domain/elsewhere.com", state.decoy)),
        "renamed.com" => {
            let port = state.origin.rsplit(':').next().expect("port");
            redirect(StatusCode::MOVED_PERMANENTLY, format!("http://localhost:{port}/domain/renamed.com"))
        }
        "nowhere.com" => redirect(StatusCode::SEE_OTHER, "ftp://127.0.0.1/domain/nowhere.com".to_owned()),
        // From this plain-http registry to https: on another host (what an on-path attacker
        // would do, with a certificate for their own host), and on its own host.
        "hijacked.com" => {
            let decoy = state.decoy.replacen("http://", "https://", 1);
            redirect(StatusCode::FOUND, format!("{decoy}/domain/hijacked.com"))
        }
        "upgraded.com" => {
            let secure = state.origin.replacen("http://", "https://", 1);
            redirect(StatusCode::MOVED_PERMANENTLY, format!("{secure}/domain/upgraded.com"))
        }
        "loop.com" => redirect(StatusCode::TEMPORARY_REDIRECT, "/domain/loop.com".to_owned()),
        "broken.com" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        "busy.com" => StatusCode::TOO_MANY_REQUESTS.into_response(),
        "garbage.com" => "<html>not RDAP</html>".into_response(),
        "huge.com" => rdap(" ".repeat(2 * 1024 * 1024)),
        "slow.com" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            rdap(GOOGLE.to_owned())
        }
        _ => (StatusCode::NOT_FOUND, r#"{"errorCode": 404, "title": "Not Found"}"#).into_response(),
    }
}

fn date(text: &str) -> Option<DateTime<Utc>> {
    Some(text.parse().expect("RFC 3339 date"))
}

#[tokio::test]
async fn looks_up_the_registrable_domain() {
    let fake = Fake::start().await;
    let registration = fake.client.lookup("www.google.com").await.expect("lookup");
    assert_eq!(fake.seen(), ["/domain/google.com"]);
    assert_eq!(registration.domain, "google.com");
    assert_eq!(registration.expires, date("2028-09-14T04:00:00Z"));
    assert_eq!(registration.registered, date("1997-09-15T04:00:00Z"));
    assert_eq!(registration.registrar.as_deref(), Some("MarkMonitor Inc."));
    assert_eq!(registration.statuses.len(), 6);
    assert!(registration.statuses.iter().all(|status| status.ends_with(" prohibited")));
    assert_eq!(registration.source, format!("{}/domain/google.com", fake.origin));
    // The fake registry, like .kg, .mg and .ng, speaks plain http: the answer says so.
    assert!(registration.unencrypted());
}

#[tokio::test]
async fn google_com_answer_fields() {
    let fake = Fake::start().await;
    let registration = fake.client.lookup("google.com").await.expect("lookup");
    let expected = Registration {
        domain: "google.com".to_owned(),
        expires: date("2028-09-14T04:00:00Z"),
        registered: date("1997-09-15T04:00:00Z"),
        registrar: Some("MarkMonitor Inc.".to_owned()),
        statuses: [
            "client delete prohibited",
            "client transfer prohibited",
            "client update prohibited",
            "server delete prohibited",
            "server transfer prohibited",
            "server update prohibited",
        ]
        .map(str::to_owned)
        .to_vec(),
        source: format!("{}/domain/google.com", fake.origin),
        plain_http: true,
    };
    assert_eq!(registration, expected);
}

#[tokio::test]
async fn base_url_without_trailing_slash() {
    let fake = Fake::start().await;
    let registration = fake.client.lookup("https://shop.microsoft.click/cart").await.expect("lookup");
    assert_eq!(fake.seen(), ["/click/domain/microsoft.click"]);
    assert_eq!(registration.domain, "microsoft.click");
    assert_eq!(registration.expires, date("2024-11-12T19:15:55.283Z"));
    assert_eq!(registration.registrar.as_deref(), Some("MarkMonitor Inc."));
}

#[tokio::test]
async fn follows_redirects_on_the_registry_host() {
    let fake = Fake::start().await;
    let registration = fake.client.lookup("moved.com").await.expect("lookup");
    assert_eq!(fake.seen(), ["/domain/moved.com", "/v2/domain/moved.com"]);
    assert_eq!(registration.domain, "moved.com");
    assert_eq!(registration.registrar.as_deref(), Some("MarkMonitor Inc."));
    assert_eq!(registration.source, format!("{}/v2/domain/moved.com", fake.origin));
}

/// What looking `name` up says when it must fail.
async fn lookup_error(fake: &Fake, name: &str) -> RdapError {
    fake.client.lookup(name).await.expect_err("the lookup is refused")
}

#[tokio::test]
async fn an_answer_about_another_domain_is_refused() {
    #[track_caller]
    fn check(error: RdapError, domain: &str) {
        assert_eq!(error, RdapError::OtherDomain { domain: domain.to_owned(), answered: "GOOGLE.COM".to_owned() });
        let message = error.to_string();
        assert!(message.contains(domain) && message.contains("GOOGLE.COM"), "{message}");
    }
    let fake = Fake::start().await;
    check(lookup_error(&fake, "ldhmismatch.com").await, "ldhmismatch.com");
    check(lookup_error(&fake, "stolen.com").await, "stolen.com");
    assert_eq!(fake.seen(), ["/domain/ldhmismatch.com", "/domain/stolen.com", "/domain/google.com"]);
}

/// Redirects off the registry's own address over plain http are refused before any request
/// there, though private addresses are allowed: the scheme rule is not the address policy.
#[tokio::test]
async fn plain_http_redirects_leave_only_for_the_registry_itself() {
    let fake = Fake::start().await;
    let port = fake.origin.rsplit(':').next().expect("port");
    let elsewhere = format!("it is plain http to another address than the registry's own, {}", fake.origin);
    let check = |name: &str, to: String, reason: &str, error: RdapError| {
        assert_eq!(error, RdapError::Redirect { domain: name.to_owned(), to, reason: reason.to_owned() }, "{name}");
    };
    check(
        "elsewhere.com",
        format!("{}/domain/elsewhere.com", fake.decoy_origin),
        &elsewhere,
        lookup_error(&fake, "elsewhere.com").await,
    );
    check(
        "renamed.com",
        format!("http://localhost:{port}/domain/renamed.com"),
        &elsewhere,
        lookup_error(&fake, "renamed.com").await,
    );
    check(
        "nowhere.com",
        "ftp://127.0.0.1/domain/nowhere.com".to_owned(),
        "`ftp:` addresses are not followed, only https ones",
        lookup_error(&fake, "nowhere.com").await,
    );
    assert!(fake.decoy_seen().is_empty(), "the decoy was asked: {:?}", fake.decoy_seen());
    assert_eq!(
        fake.seen(),
        ["/domain/elsewhere.com", "/domain/renamed.com", "/domain/nowhere.com"],
        "only the registry's own address was asked"
    );
    // The decoy does answer, so its empty record above means something.
    let direct = reqwest::Client::builder().no_proxy().build().expect("client");
    direct.get(format!("{}/domain/x", fake.decoy_origin)).send().await.expect("the decoy answers");
    assert_eq!(fake.decoy_seen(), ["/domain/x"]);
}

/// A plain-http registry's redirect to https on another host is refused before any request
/// there (an on-path attacker could send it to their own host, with a valid certificate); to https
/// on its own host it is followed (here the fake has no TLS, so the followed hop fails to
/// connect rather than being refused).
#[tokio::test]
async fn plain_http_registries_go_up_to_https_only_on_their_own_host() {
    let fake = Fake::start().await;
    let to = format!("{}/domain/hijacked.com", fake.decoy_origin.replacen("http://", "https://", 1));
    let reason = format!(
        "the registry, {}, has no https, so its redirects could be forged; Jarvis only follows them to its own host",
        fake.origin
    );
    assert_eq!(
        lookup_error(&fake, "hijacked.com").await,
        RdapError::Redirect { domain: "hijacked.com".to_owned(), to, reason }
    );
    let error = lookup_error(&fake, "upgraded.com").await;
    assert!(matches!(&error, RdapError::Network { domain, .. } if domain == "upgraded.com"), "{error:?}");
    assert!(fake.decoy_seen().is_empty(), "the decoy was asked: {:?}", fake.decoy_seen());
    assert_eq!(fake.seen(), ["/domain/hijacked.com", "/domain/upgraded.com"]);
}

#[tokio::test]
async fn a_redirect_loop_stops_after_three_redirects() {
    let fake = Fake::start().await;
    let error = lookup_error(&fake, "loop.com").await;
    assert_eq!(
        error,
        RdapError::Redirect {
            domain: "loop.com".to_owned(),
            to: format!("{}/domain/loop.com", fake.origin),
            reason: "Jarvis follows at most 3 redirects".to_owned(),
        }
    );
    assert_eq!(fake.seen(), ["/domain/loop.com"; 4]);
}

/// Without the switch, a registry on a private or loopback address is refused before any
/// connection, whether the bootstrap names it by address or by a name resolving to it.
#[tokio::test]
async fn private_registries_are_refused_without_the_switch() {
    let fake = Fake::start().await;
    let port = fake.origin.rsplit(':').next().expect("port");
    let policy = "; Jarvis does not probe those unless JARVIS_PROBE_ALLOW_PRIVATE is on";
    for (origin, reason) in [
        (fake.origin.clone(), format!("127.0.0.1 is a loopback address{policy}")),
        (format!("http://localhost:{port}"), format!("localhost resolves to 127.0.0.1, a loopback address{policy}")),
    ] {
        let client = RdapClient::new(Arc::new(bootstrap(&origin)), false);
        let error = client.lookup("google.com").await.expect_err("refused");
        let url = format!("{origin}/domain/google.com");
        assert_eq!(
            error,
            RdapError::Refused { domain: "google.com".to_owned(), url: url.clone(), reason: reason.clone() }
        );
        assert_eq!(
            error.to_string(),
            format!("Jarvis did not contact the RDAP service for google.com at {url}: {reason}")
        );
    }
    assert!(fake.seen().is_empty(), "the registry was asked: {:?}", fake.seen());
    // With the switch on, the same registries answer.
    for origin in [fake.origin.clone(), format!("http://localhost:{port}")] {
        let client = RdapClient::new(Arc::new(bootstrap(&origin)), true);
        assert_eq!(client.lookup("google.com").await.expect("lookup").domain, "google.com");
    }
    assert_eq!(fake.seen(), ["/domain/google.com"; 2]);
}

#[tokio::test]
async fn unknown_domain_is_not_found() {
    let fake = Fake::start().await;
    let result = fake.client.lookup("nosuch.com").await;
    assert_eq!(result, Err(RdapError::NotFound { domain: "nosuch.com".to_owned() }));
    assert_eq!(fake.seen(), ["/domain/nosuch.com"]);
}

#[tokio::test]
async fn tld_without_service_asks_nobody() {
    let fake = Fake::start().await;
    let result = fake.client.lookup("example.io").await;
    assert_eq!(result, Err(RdapError::NoService { tld: "io".to_owned() }));
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn not_a_domain_asks_nobody() {
    let fake = Fake::start().await;
    for input in ["127.0.0.1", "co.uk", " ", "localhost"] {
        let result = fake.client.lookup(input).await;
        assert_eq!(result, Err(RdapError::NotADomain { input: input.trim().to_owned() }));
    }
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn server_errors_say_try_again_later() {
    let fake = Fake::start().await;
    for (name, status) in [("broken.com", 500), ("busy.com", 429)] {
        let error = fake.client.lookup(name).await.expect_err("non-2xx fails");
        assert_eq!(error, RdapError::Http { domain: name.to_owned(), status });
        assert!(error.to_string().ends_with("try again later"), "{error}");
    }
}

#[tokio::test]
async fn slow_answer_is_a_network_error() {
    let fake = Fake::start().await;
    let client = fake.client.clone().with_timeout(Duration::from_millis(300));
    let error = client.lookup("slow.com").await.expect_err("times out");
    let RdapError::Network { domain, reason } = error else { panic!("expected a network error, got {error:?}") };
    assert_eq!(domain, "slow.com");
    assert_eq!(reason, "no answer within 300ms");
}

#[tokio::test]
async fn unreachable_service_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let origin = format!("http://{}/", listener.local_addr().expect("address"));
    drop(listener);
    let bootstrap = Bootstrap::from_json(&format!(r#"{{"services": [[["com"], ["{origin}"]]]}}"#)).expect("bootstrap");
    let error = RdapClient::new(Arc::new(bootstrap), true).lookup("example.com").await.expect_err("nothing listens");
    assert!(matches!(&error, RdapError::Network { domain, .. } if domain == "example.com"), "{error:?}");
}

#[tokio::test]
async fn non_json_is_a_bad_answer() {
    let fake = Fake::start().await;
    let error = fake.client.lookup("garbage.com").await.expect_err("not JSON");
    let RdapError::BadAnswer { domain, reason } = error else { panic!("expected a bad answer, got {error:?}") };
    assert_eq!(domain, "garbage.com");
    assert!(reason.starts_with("it is not JSON"), "{reason}");
}

#[tokio::test]
async fn oversized_answer_is_a_bad_answer() {
    let fake = Fake::start().await;
    let error = fake.client.lookup("huge.com").await.expect_err("too large");
    assert_eq!(
        error,
        RdapError::BadAnswer { domain: "huge.com".to_owned(), reason: "it is larger than 1 MiB".to_owned() }
    );
}
