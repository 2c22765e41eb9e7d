//! RDAP lookups against a fake RDAP server on 127.0.0.1 serving real registry answers.

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

/// A fake RDAP server answering for .com under `/` and for .click under `/click` (a base URL
/// without a trailing slash), and a client routed to it.
struct Fake {
    client: RdapClient,
    seen: Seen,
    origin: String,
}

impl Fake {
    async fn start() -> Fake {
        let seen = Seen::default();
        let app = Router::new()
            .route("/domain/{name}", get(answer))
            .route("/click/domain/{name}", get(answer))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let bootstrap = Bootstrap::from_json(&format!(
            r#"{{"version": "1.0", "publication": "2026-01-01T00:00:00Z", "services": [
                [["com"], ["{origin}/"]],
                [["click"], ["{origin}/click"]]
            ]}}"#
        ))
        .expect("test bootstrap");
        Fake { client: RdapClient::new(Arc::new(bootstrap)), seen, origin }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }
}

async fn answer(State(seen): State<Seen>, uri: Uri, Path(name): Path<String>) -> Response {
    seen.lock().expect("lock").push(uri.path().to_owned());
    let rdap = |body: String| ([(header::CONTENT_TYPE, "application/rdap+json")], body).into_response();
    match name.as_str() {
        "google.com" => rdap(GOOGLE.to_owned()),
        "themarquetry.com" => rdap(MARQUETRY.to_owned()),
        "microsoft.click" => rdap(MICROSOFT.to_owned()),
        "moved.com" => (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, "/domain/google.com")]).into_response(),
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
async fn follows_redirects() {
    let fake = Fake::start().await;
    let registration = fake.client.lookup("moved.com").await.expect("lookup");
    assert_eq!(fake.seen(), ["/domain/moved.com", "/domain/google.com"]);
    assert_eq!(registration.domain, "google.com");
    assert_eq!(registration.source, format!("{}/domain/google.com", fake.origin));
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
    let error = RdapClient::new(Arc::new(bootstrap)).lookup("example.com").await.expect_err("nothing listens");
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
