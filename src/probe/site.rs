//! Website checks: status, time to first byte, a keyword, the certificate, without letting a
//! URL (or a redirect, or a DNS answer) reach a private address.
//!
//! A [`Prober`] makes one fresh HTTP client per check, with a resolver that drops refused
//! addresses and a certificate verifier that records the verdict instead of enforcing it, follows
//! redirects itself (only within the site), and reports everything in a [`Probe`], never an error.

mod address;
mod input;
mod tls;

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use reqwest::header::LOCATION;
use reqwest::{Client, Response, StatusCode, redirect};
use rustls::ClientConfig;
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::pki_types::CertificateDer;
use tokio::sync::Semaphore;
use url::{Host, Url};

pub use address::is_public;
pub use input::{UrlError, parse_site_url};

use address::{GuardedResolver, ResolveError};
use tls::CertRecorder;

const USER_AGENT: &str = concat!("jarvis/", env!("CARGO_PKG_VERSION"), " (+site check)");

/// How the probe behaves; [`Default`] is the production policy.
#[derive(Clone, Debug)]
pub struct ProbeConfig {
    /// Let checks reach private, loopback and other non-public addresses (see [`is_public`]).
    /// Off by default so a URL typed by a user cannot probe the network Jarvis runs in; tests
    /// and self-hosted set-ups that watch internal sites turn it on.
    pub allow_private: bool,
    /// How long to wait for a TCP connection (per address tried).
    pub connect_timeout: Duration,
    /// The whole check: every hop and the body read. Past it the check is a [`Failure::Timeout`].
    pub timeout: Duration,
    /// How many same-site redirects to follow before giving up with [`Failure::TooManyRedirects`].
    pub max_redirects: u8,
    /// The keyword is searched in the first `max_body` bytes of the body only.
    pub max_body: usize,
    /// Certificates trusted as roots in addition to webpki-roots (a company CA, a test CA).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// At most this many checks run at once per [`Prober`]; the others wait their turn.
    pub concurrency: usize,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            allow_private: false,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_redirects: 5,
            max_body: 1024 * 1024,
            extra_roots: Vec::new(),
            concurrency: 8,
        }
    }
}

pub use crate::domain::site::{Failure, KeywordCheck, Probe, TlsCheck, TlsProblem};

/// Checks websites. Cheap to clone: clones share the configuration and the concurrency limit.
#[derive(Clone, Debug)]
pub struct Prober {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: ProbeConfig,
    /// webpki-roots plus `extra_roots`; each check wraps it in its own [`CertRecorder`].
    verifier: Arc<WebPkiServerVerifier>,
    /// The TLS settings every check starts from (no session resumption: resumed sessions skip
    /// the certificate, and each check must see it).
    tls: ClientConfig,
    /// One permit per running check.
    permits: Semaphore,
}

impl Prober {
    /// A prober with `config`. Extra roots that cannot be parsed are skipped with a warning.
    pub fn new(config: ProbeConfig) -> Prober {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let (_, ignored) = roots.add_parsable_certificates(config.extra_roots.iter().cloned());
        if ignored > 0 {
            tracing::warn!(ignored, "some extra root certificates could not be parsed and are not trusted");
        }
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()
            .expect("webpki-roots is not empty");
        let mut tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_webpki_verifier(Arc::clone(&verifier))
            .with_no_client_auth();
        tls.resumption = Resumption::disabled();
        let permits = Semaphore::new(config.concurrency.clamp(1, Semaphore::MAX_PERMITS));
        Prober { shared: Arc::new(Shared { config, verifier, tls, permits }) }
    }

    /// Checks `url` once; never panics, never returns Err: every failure is described in the Probe.
    pub async fn check(&self, url: &Url, keyword: Option<&str>) -> Probe {
        // The semaphore is never closed, so acquiring only waits.
        let _permit = self.shared.permits.acquire().await;
        let config = &self.shared.config;
        let mut probe = Probe {
            url: url.to_string(),
            final_url: url.to_string(),
            redirects: 0,
            status: None,
            ttfb_ms: None,
            keyword: keyword.map(|_| KeywordCheck::NotChecked),
            tls: None,
            failure: None,
        };
        let recorder = Arc::new(CertRecorder::new(Arc::clone(&self.shared.verifier)));
        probe.failure = match self.client(&recorder) {
            Ok(client) => tokio::time::timeout(config.timeout, self.visit(&client, url, keyword, &mut probe))
                .await
                .unwrap_or(Err(Failure::Timeout))
                .err(),
            Err(err) => Some(Failure::Http(format!("could not set up the HTTP client: {}", root_cause(&err)))),
        };
        probe.failure = probe.failure.map(Failure::shortened);
        probe.tls = recorder.take();
        tracing::debug!(url = %probe.url, status = ?probe.status, failure = ?probe.failure, "site checked");
        probe
    }

    /// A client for one check: its own certificate recorder, the guarded resolver, no proxy (a
    /// proxy would resolve names itself), and no automatic redirects.
    fn client(&self, recorder: &Arc<CertRecorder>) -> reqwest::Result<Client> {
        let mut tls = self.shared.tls.clone();
        tls.dangerous().set_certificate_verifier(Arc::clone(recorder) as _);
        let config = &self.shared.config;
        guarded(Client::builder(), config.allow_private)
            .use_preconfigured_tls(tls)
            .redirect(redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .user_agent(USER_AGENT)
            .build()
    }

    /// Requests `url`, follows same-site redirects and reads the keyword, filling `probe` as it
    /// goes so a timeout keeps what was learnt.
    async fn visit(&self, client: &Client, url: &Url, keyword: Option<&str>, probe: &mut Probe) -> Result<(), Failure> {
        let config = &self.shared.config;
        let mut current = url.clone();
        let response = loop {
            refuse_literal(&current, config.allow_private)?;
            let sent = Instant::now();
            let response = client.get(current.clone()).send().await.map_err(|err| failure(&err))?;
            probe.ttfb_ms = Some(u32::try_from(sent.elapsed().as_millis()).unwrap_or(u32::MAX));
            probe.status = Some(response.status().as_u16());
            let Some(next) = redirect_target(&current, &response)? else { break response };
            if !input::same_site(&current, &next) {
                return Err(Failure::RedirectOffSite { to: next.into() });
            }
            if probe.redirects >= config.max_redirects {
                return Err(Failure::TooManyRedirects);
            }
            probe.redirects += 1;
            probe.final_url = next.to_string();
            current = next;
        };
        if let Some(keyword) = keyword {
            match read_prefix(response, config.max_body).await {
                Ok(body) => probe.keyword = Some(search(&body, keyword)),
                Err(err) => tracing::debug!(url = %current, error = %root_cause(&err), "body unreadable"),
            }
        }
        Ok(())
    }
}

/// Refuses a URL whose host is an IP address the policy forbids (reqwest's resolver, which
/// checks names, never sees IP literals).
fn refuse_literal(url: &Url, allow_private: bool) -> Result<(), Failure> {
    match refused_address(url, allow_private) {
        Some(reason) => Err(Failure::Refused { reason }),
        None => Ok(()),
    }
}

/// Why the policy refuses `url` before any connection: its host is an IP address that is not
/// public (names are judged by the resolver [`guarded`] installs). Shared with the RDAP client.
pub(super) fn refused_address(url: &Url, allow_private: bool) -> Option<String> {
    let ip = match url.host()? {
        Host::Ipv4(ip) => ip.into(),
        Host::Ipv6(ip) => ip.into(),
        Host::Domain(_) => return None,
    };
    address::refused_literal(ip).filter(|_| !allow_private)
}

/// `builder` with the resolver site checks use, which drops the addresses the policy refuses
/// from every name it resolves (every hop), and no proxy (a proxy would resolve names itself).
/// Shared with the RDAP client.
pub(super) fn guarded(builder: reqwest::ClientBuilder, allow_private: bool) -> reqwest::ClientBuilder {
    builder.dns_resolver(Arc::new(GuardedResolver { allow_private })).no_proxy()
}

/// Why a request failed because the guarded resolver refused every address its host has, if so.
pub(super) fn refused_by_resolver(err: &reqwest::Error) -> Option<String> {
    match find::<ResolveError>(err)? {
        refused @ ResolveError::Refused { .. } => Some(refused.to_string()),
        _ => None,
    }
}

/// Where a redirect answer points, resolved against the URL asked; `None` for other answers.
fn redirect_target(current: &Url, response: &Response) -> Result<Option<Url>, Failure> {
    let redirects = [
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::FOUND,
        StatusCode::SEE_OTHER,
        StatusCode::TEMPORARY_REDIRECT,
        StatusCode::PERMANENT_REDIRECT,
    ];
    let Some(location) = response.headers().get(LOCATION).filter(|_| redirects.contains(&response.status())) else {
        return Ok(None);
    };
    let invalid = || Failure::Http(format!("the site redirects to {location:?}, which is not a valid address"));
    let location = location.to_str().map_err(|_| invalid())?;
    current.join(location).map(Some).map_err(|_| invalid())
}

/// The first `max` bytes of the body; the rest is never read.
async fn read_prefix(response: Response, max: usize) -> reqwest::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while body.len() < max
        && let Some(chunk) = chunks.next().await
    {
        let chunk = chunk?;
        body.extend_from_slice(&chunk[..chunk.len().min(max - body.len())]);
    }
    Ok(body)
}

/// Case-insensitive search of the (lossily decoded) body; a character cut at the limit is lost.
fn search(body: &[u8], keyword: &str) -> KeywordCheck {
    if String::from_utf8_lossy(body).to_lowercase().contains(&keyword.to_lowercase()) {
        KeywordCheck::Found
    } else {
        KeywordCheck::Missing
    }
}

/// Describes a failed request by the error deepest in its chain that we recognise.
fn failure(err: &reqwest::Error) -> Failure {
    if let Some(resolve) = find::<ResolveError>(err) {
        return match resolve {
            ResolveError::Refused { .. } => Failure::Refused { reason: resolve.to_string() },
            _ => Failure::Dns(resolve.to_string()),
        };
    }
    if let Some(tls) = find::<rustls::Error>(err) {
        return Failure::Tls(tls.to_string());
    }
    if err.is_connect() {
        return Failure::Connect(root_cause(err));
    }
    Failure::Http(root_cause(err))
}

/// An error and its causes, looking inside `io::Error`s too (whose `source` skips the error
/// they wrap, where hyper-rustls puts the rustls error).
fn chain<'a>(err: &'a (dyn StdError + 'static)) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&err: &&'a (dyn StdError + 'static)| {
        let wrapped = err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
        wrapped.map(|inner| inner as &(dyn StdError + 'static)).or_else(|| err.source())
    })
}

fn find<'a, E: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    chain(err).find_map(|err| err.downcast_ref::<E>())
}

fn root_cause(err: &(dyn StdError + 'static)) -> String {
    chain(err).last().map_or_else(|| err.to_string(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_search_ignores_case_and_survives_a_cut_character() {
        assert_eq!(search(b"<h1>Welcome to JARVIS</h1>", "jarvis"), KeywordCheck::Found);
        assert_eq!(search("Caf\u{c9} ouvert".as_bytes(), "café"), KeywordCheck::Found);
        assert_eq!(search(b"<h1>Welcome</h1>", "jarvis"), KeywordCheck::Missing);
        // "é" is two bytes; cut after the first, the rest still matches.
        assert_eq!(search(&"ok é".as_bytes()[..4], "ok"), KeywordCheck::Found);
    }

    #[test]
    fn probes_are_stored_as_tagged_json() {
        let probe = Probe {
            url: "https://example.com/".into(),
            final_url: "https://www.example.com/".into(),
            redirects: 1,
            status: Some(200),
            ttfb_ms: Some(42),
            keyword: Some(KeywordCheck::NotChecked),
            tls: Some(TlsCheck { problem: Some(TlsProblem::Expired), expires_at: None, issuer: None, subject: None }),
            failure: Some(Failure::RedirectOffSite { to: "https://example.org/".into() }),
        };
        let json = serde_json::to_value(&probe).unwrap();
        assert_eq!(json["keyword"], "not_checked");
        assert_eq!(json["tls"]["problem"], serde_json::json!({ "kind": "expired" }));
        assert_eq!(
            json["failure"],
            serde_json::json!({ "kind": "redirect_off_site", "detail": { "to": "https://example.org/" } })
        );
        assert_eq!(serde_json::from_value::<Probe>(json).unwrap(), probe);
        let dns = serde_json::to_value(Failure::Dns("no such host".into())).unwrap();
        assert_eq!(dns, serde_json::json!({ "kind": "dns", "detail": "no such host" }));
    }
}
