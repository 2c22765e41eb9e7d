//! Test sites for the probe on 127.0.0.1: axum over plain TCP or over tokio-rustls, with
//! certificates from a test CA made at run time, counting the connections each site accepted.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::Listener;
use chrono::{Datelike, Days, Utc};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use url::Url;

/// A certificate authority for one test; its root goes into `ProbeConfig::extra_roots`.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate chain and its key, ready for a server.
pub struct Leaf {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl TestCa {
    /// The "Jarvis Test CA".
    pub fn new() -> TestCa {
        TestCa::named("Jarvis Test CA")
    }

    /// A CA with another name (two CAs with one name would be confused for each other).
    pub fn named(name: &str) -> TestCa {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        TestCa { issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap() }
    }

    pub fn root(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A leaf for `names` (DNS names or IP addresses), valid over `days` counted from today.
    pub fn leaf(&self, names: &[&str], days: Range<i64>) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = leaf_params(names, days).signed_by(&key, &self.issuer).unwrap();
        Leaf { chain: vec![cert.der().clone(), self.root()], key: private_key(&key) }
    }
}

/// A leaf that signs itself.
pub fn self_signed(names: &[&str], days: Range<i64>) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let cert = leaf_params(names, days).self_signed(&key).unwrap();
    Leaf { chain: vec![cert.der().clone()], key: private_key(&key) }
}

fn leaf_params(names: &[&str], days: Range<i64>) -> CertificateParams {
    let mut params = CertificateParams::new(names.iter().map(|name| name.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    // Midnight UTC of today + `offset` days.
    let day = |offset: i64| {
        let date = Utc::now().date_naive();
        let date = if offset < 0 { date - Days::new(offset.unsigned_abs()) } else { date + Days::new(offset as u64) };
        rcgen::date_time_ymd(date.year(), date.month() as u8, date.day() as u8)
    };
    params.not_before = day(days.start);
    params.not_after = day(days.end);
    params
}

fn private_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivatePkcs8KeyDer::from(key.serialize_der()).into()
}

/// A running test site. It lives until the test's runtime shuts down.
pub struct Site {
    addr: SocketAddr,
    scheme: &'static str,
    connections: Arc<AtomicUsize>,
}

impl Site {
    /// Serves `router` over plain HTTP.
    pub async fn http(router: Router) -> Site {
        Site::start(router, None).await
    }

    /// Serves `router` over HTTPS with `leaf`.
    pub async fn https(router: Router, leaf: Leaf) -> Site {
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(leaf.chain, leaf.key)
            .unwrap();
        Site::start(router, Some(TlsAcceptor::from(Arc::new(config)))).await
    }

    async fn start(router: Router, tls: Option<TlsAcceptor>) -> Site {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let listener = TestListener { tcp, tls, connections: Arc::clone(&connections) };
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Site { addr, scheme, connections }
    }

    /// `path` on this site, addressed by IP.
    pub fn url(&self, path: &str) -> Url {
        self.url_at("127.0.0.1", path)
    }

    /// `path` on this site, addressed by `host` (which must resolve to 127.0.0.1).
    pub fn url_at(&self, host: &str, path: &str) -> Url {
        format!("{}://{host}:{}{path}", self.scheme, self.addr.port()).parse().unwrap()
    }

    /// How many TCP connections the site has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Accepts TCP connections, counts them, and completes the TLS handshake when there is TLS.
struct TestListener {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    connections: Arc<AtomicUsize>,
}

impl Listener for TestListener {
    type Io = Box<dyn Stream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, SocketAddr) {
        loop {
            let Ok((tcp, peer)) = self.tcp.accept().await else { continue };
            self.connections.fetch_add(1, Ordering::SeqCst);
            match &self.tls {
                None => return (Box::new(tcp), peer),
                Some(tls) => match tls.accept(tcp).await {
                    Ok(stream) => return (Box::new(stream), peer),
                    Err(_) => continue, // a client that gave up on the handshake
                },
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

const GOOGLE: &str = include_str!("../fixtures/rdap/rdap_domain_google.com_verisign.json");
const MARQUETRY: &str = include_str!("../fixtures/rdap/rdap_domain_themarquetry.com_verisign.json");

/// A site whose status the test sets; counts requests.
pub struct Switchable {
    pub site: Site,
    pub status: Arc<AtomicU16>,
    pub requests: Arc<AtomicUsize>,
}

pub async fn switchable(body: &'static str) -> Switchable {
    let status = Arc::new(AtomicU16::new(200));
    let requests = Arc::new(AtomicUsize::new(0));
    let (s, r) = (status.clone(), requests.clone());
    let router = Router::new().route(
        "/",
        get(move || {
            let (s, r) = (s.clone(), r.clone());
            async move {
                r.fetch_add(1, Ordering::SeqCst);
                (StatusCode::from_u16(s.load(Ordering::SeqCst)).unwrap(), body)
            }
        }),
    );
    Switchable { site: Site::http(router).await, status, requests }
}

/// A fake RDAP server: google.com and themarquetry.com as their registry answered, a domain
/// without an expiration event, Google's answer when asked for ldhmismatch.com, a redirect of
/// redirected.com to 127.0.0.2, 404 for the rest, and 429 for everything while `failing`.
pub struct FakeRdap {
    pub bootstrap: jarvis::probe::rdap::Bootstrap,
    /// Lookups answered (or refused).
    pub lookups: Arc<AtomicUsize>,
    pub failing: Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Clone)]
struct RdapState {
    lookups: Arc<AtomicUsize>,
    failing: Arc<std::sync::atomic::AtomicBool>,
    /// The fake's port (on 127.0.0.1).
    port: u16,
}

pub async fn fake_rdap() -> FakeRdap {
    async fn answer(State(state): State<RdapState>, Path(name): Path<String>) -> Response {
        state.lookups.fetch_add(1, Ordering::SeqCst);
        if state.failing.load(Ordering::SeqCst) {
            return (StatusCode::TOO_MANY_REQUESTS, r#"{"errorCode": 429}"#).into_response();
        }
        let rdap = |body: String| ([(header::CONTENT_TYPE, "application/rdap+json")], body).into_response();
        match name.as_str() {
            "google.com" => rdap(GOOGLE.to_string()),
            "themarquetry.com" => rdap(MARQUETRY.to_string()),
            "ldhmismatch.com" => rdap(GOOGLE.to_string()),
            "redirected.com" => (
                StatusCode::FOUND,
                [(header::LOCATION, format!("http://127.0.0.2:{}/domain/redirected.com", state.port))],
            )
                .into_response(),
            "noexpiry.com" => rdap(
                r#"{"objectClassName": "domain", "ldhName": "NOEXPIRY.COM", "status": ["active"],
                    "events": [{"eventAction": "registration", "eventDate": "2020-01-01T00:00:00Z"}]}"#
                    .to_string(),
            ),
            _ => (StatusCode::NOT_FOUND, r#"{"errorCode": 404}"#).into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let port = listener.local_addr().unwrap().port();
    let state = RdapState { lookups: Arc::default(), failing: Arc::default(), port };
    let router = Router::new().route("/domain/{name}", get(answer)).with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let bootstrap = jarvis::probe::rdap::Bootstrap::from_json(&format!(
        r#"{{"version": "1.0", "publication": "2026-01-01T00:00:00Z", "services": [[["com"], ["{origin}/"]]]}}"#
    ))
    .unwrap();
    FakeRdap { bootstrap, lookups: state.lookups, failing: state.failing }
}
