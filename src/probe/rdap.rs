//! Domain registration lookups over RDAP (RFC 9083), routed by IANA's bootstrap file (RFC 9224).
//!
//! Parsing is pure ([`Bootstrap::from_json`], [`registrable_domain`], [`parse_domain`]); only
//! [`RdapClient::lookup`] touches the network, under the same address policy as site checks: the
//! site checker's guarded resolver (every name's addresses checked after DNS, on every hop), IP
//! literals checked before connecting, no proxy, and at most 3 redirects followed by hand
//! (`check_redirect`). An answer must be about the domain asked for.
//!
//! Plain http: three registries in the bundled bootstrap offer nothing else (.kg
//! `http://rdap.cctld.kg/`, .mg `http://rdap.nic.mg/`, .ng `http://rdap.nic.net.ng/`). Refusing
//! them would leave those domains' expiry unknown, which hides a lapse; an on-path attacker could
//! at worst fake what the registry says (a date, a status), which the admin sees as an alert or a
//! filled-in date and can check at the registrar. So plain http is used only at the very base URL
//! the bootstrap (IANA's, or the operator's own copy) names. Since an on-path attacker also writes
//! such a registry's redirects, they are followed only back to that origin or up to https on the
//! same host, never to another host (not even over https: the attacker's own certificate would
//! pass), and never down from https once a hop was https. An answer that came through any plain
//! http hop is marked ([`Registration::unencrypted`]), and what is filled in from it (a renewal
//! date, a registrar) says it came unencrypted.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;
use url::{Host, Url};

use super::site::{guarded, refused_address, refused_by_resolver};

/// IANA's RDAP bootstrap for DNS: which RDAP service answers for which TLD.
#[derive(Clone, Debug)]
pub struct Bootstrap {
    /// Lower-case label(s) without surrounding dots ("com", "co.uk") -> the preferred base URL.
    services: HashMap<String, Url>,
    /// When IANA published the file, to show how fresh the routing is.
    publication: Option<String>,
}

/// The file as RFC 9224 lays it out: `services` is a list of `[[labels...], [base urls...]]`.
#[derive(serde::Deserialize)]
struct BootstrapFile {
    publication: Option<String>,
    services: Vec<(Vec<String>, Vec<String>)>,
}

impl Bootstrap {
    /// The copy of IANA's file bundled in the binary (`assets/rdap/dns.json`), parsed once.
    pub fn bundled() -> Bootstrap {
        static BUNDLED: LazyLock<Bootstrap> = LazyLock::new(|| {
            Bootstrap::from_json(include_str!("../../assets/rdap/dns.json"))
                .expect("the bundled RDAP bootstrap parses (a unit test proves it)")
        });
        BUNDLED.clone()
    }

    /// Parses a bootstrap file, such as a newer copy of <https://data.iana.org/rdap/dns.json>.
    /// Every base URL must be an absolute http(s) URL; when a label has several, https wins.
    pub fn from_json(text: &str) -> Result<Bootstrap, RdapError> {
        let bad = |reason: String| RdapError::BadBootstrap { reason };
        let file: BootstrapFile =
            serde_json::from_str(text).map_err(|err| bad(format!("it is not an RFC 9224 bootstrap file ({err})")))?;
        let mut services = HashMap::new();
        for (labels, urls) in file.services {
            let urls = urls
                .iter()
                .map(|url| match Url::parse(url) {
                    Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(parsed),
                    _ => Err(bad(format!("`{url}` is not an http(s) URL"))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let Some(best) = urls.iter().find(|url| url.scheme() == "https").or(urls.first()) else { continue };
            for label in labels {
                let key = label.trim().trim_matches('.').to_ascii_lowercase();
                if key.is_empty() {
                    return Err(bad(format!("the service at {best} lists an empty TLD")));
                }
                let slot = services.entry(key).or_insert_with(|| best.clone());
                if slot.scheme() != "https" && best.scheme() == "https" {
                    *slot = best.clone();
                }
            }
        }
        Ok(Bootstrap { services, publication: file.publication })
    }

    /// Reads and parses the bootstrap file at `path`; errors name the path.
    pub fn load(path: &Path) -> Result<Bootstrap, RdapError> {
        let text = std::fs::read_to_string(path).map_err(|err| RdapError::BadBootstrap {
            reason: format!("`{}` could not be read ({err})", path.display()),
        })?;
        Bootstrap::from_json(&text).map_err(|err| match err {
            RdapError::BadBootstrap { reason } => {
                RdapError::BadBootstrap { reason: format!("`{}`: {reason}", path.display()) }
            }
            other => other,
        })
    }

    /// The file's `publication` timestamp, as written.
    pub fn publication(&self) -> Option<&str> {
        self.publication.as_deref()
    }

    /// The base URL of the RDAP service for `tld`, which may also be any name under it
    /// ("com", ".COM", "example.co.uk"): the longest label match wins, so a "co.uk" entry
    /// would beat "uk". Case-insensitive; an https base is preferred over an http one.
    pub fn base_url(&self, tld: &str) -> Option<&Url> {
        let name = tld.trim().trim_matches('.').to_ascii_lowercase();
        let mut rest = name.as_str();
        loop {
            if let Some(url) = self.services.get(rest) {
                return Some(url);
            }
            rest = rest.split_once('.')?.1;
        }
    }
}

pub use crate::domain::site::Registration;
pub use crate::domain::site::registrable_domain;

/// Parses an RDAP domain answer fetched from `source`. Dates are RFC 3339 (offsets and
/// fractional seconds accepted); a date that does not parse counts as absent. Without an
/// `ldhName`, the domain is taken from the last path segment of `source` (the name asked for).
pub fn parse_domain(json: &Value, source: &str) -> Result<Registration, RdapError> {
    let queried = Url::parse(source)
        .ok()
        .and_then(|url| url.path_segments()?.next_back().map(str::to_owned))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| source.to_owned());
    parse(json, source, &queried)
}

fn parse(json: &Value, source: &str, queried: &str) -> Result<Registration, RdapError> {
    let bad = |reason: String| RdapError::BadAnswer { domain: queried.to_owned(), reason };
    match text(json, "objectClassName") {
        Some(class) if class.eq_ignore_ascii_case("domain") => {}
        Some(class) => return Err(bad(format!("it is an RDAP `{class}` object, not a domain"))),
        None => return Err(bad("it is not an RDAP object".to_owned())),
    }
    let ldh_name = text(json, "ldhName").and_then(non_empty);
    // An answer about another domain (a misrouted or confused registry) says nothing about this one.
    for name in [ldh_name, text(json, "unicodeName").and_then(non_empty)].into_iter().flatten() {
        if !names_domain(name, queried) {
            return Err(RdapError::OtherDomain { domain: queried.to_owned(), answered: name.to_owned() });
        }
    }
    let domain = ldh_name.map_or_else(|| queried.to_owned(), |name| name.trim_end_matches('.').to_lowercase());
    let statuses = items(json, "status")
        .filter_map(Value::as_str)
        .filter_map(non_empty)
        .map(|s| super::printable(&s.to_lowercase()))
        .collect();
    Ok(Registration {
        domain,
        expires: event(json, "expiration"),
        registered: event(json, "registration"),
        registrar: registrar(json).map(|name| super::printable(&name)).filter(|name| !name.trim().is_empty()),
        statuses,
        source: source.to_owned(),
        // Set by the lookup, which knows every hop; `unencrypted` also reads `source`.
        plain_http: false,
    })
}

/// Whether `name` (an answer's `ldhName` or `unicodeName`) names the domain `asked`: both in
/// ASCII (IDNA, so `bücher.ch` names `xn--bcher-kva.ch`), ignoring case and a trailing dot.
fn names_domain(name: &str, asked: &str) -> bool {
    let ascii = |name: &str| match Host::parse(name.trim().trim_end_matches('.')) {
        Ok(Host::Domain(domain)) => Some(domain),
        _ => None,
    };
    ascii(name).is_some_and(|name| Some(name) == ascii(asked))
}

/// The date of the first `action` event with a readable date.
fn event(json: &Value, action: &str) -> Option<DateTime<Utc>> {
    items(json, "events")
        .filter(|event| text(event, "eventAction").is_some_and(|a| a.eq_ignore_ascii_case(action)))
        .find_map(|event| DateTime::parse_from_rfc3339(text(event, "eventDate")?.trim()).ok())
        .map(|date| date.with_timezone(&Utc))
}

/// The first top-level entity with the `registrar` role that has a name, public id or handle.
fn registrar(json: &Value) -> Option<String> {
    items(json, "entities")
        .filter(|entity| {
            items(entity, "roles").any(|role| role.as_str().is_some_and(|r| r.eq_ignore_ascii_case("registrar")))
        })
        .find_map(|entity| {
            vcard_fn(entity)
                .or_else(|| items(entity, "publicIds").find_map(public_id))
                .or_else(|| text(entity, "handle").and_then(non_empty).map(str::to_owned))
        })
}

/// The `fn` (formatted name) of an entity's jCard: `["vcard", [[name, params, type, value], ...]]`.
fn vcard_fn(entity: &Value) -> Option<String> {
    let properties = entity.get("vcardArray")?.get(1)?.as_array()?;
    properties
        .iter()
        .filter(|property| property.get(0).and_then(Value::as_str).is_some_and(|name| name.eq_ignore_ascii_case("fn")))
        .find_map(|property| non_empty(property.get(3)?.as_str()?))
        .map(str::to_owned)
}

/// A public id as "IANA Registrar ID 292", or just the identifier when it has no type.
fn public_id(id: &Value) -> Option<String> {
    let identifier = non_empty(text(id, "identifier")?)?;
    Some(match text(id, "type").and_then(non_empty) {
        Some(kind) => format!("{kind} {identifier}"),
        None => identifier.to_owned(),
    })
}

fn text<'a>(json: &'a Value, key: &str) -> Option<&'a str> {
    json.get(key)?.as_str()
}

fn items<'a>(json: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    json.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

/// Why a lookup gave no registration. Each message is one sentence for the user, without a
/// trailing period.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RdapError {
    /// The input has no registrable domain: an IP address, a bare suffix, an unknown suffix.
    #[error(
        "`{input}` is not a domain name Jarvis can look up (it needs a registered name under a public suffix, such as example.com or example.co.uk)"
    )]
    NotADomain { input: String },

    /// IANA lists no RDAP service for the TLD: the expiry is unknown, which is not worth an alert.
    #[error(
        "There is no RDAP service for .{tld} in IANA's bootstrap file, so Jarvis cannot look up .{tld} domains; their expiry stays as you enter it"
    )]
    NoService { tld: String },

    /// The registry answered 404: it has no such registration.
    #[error("The registry has no registration for {domain}; check the spelling, or the domain may be free to register")]
    NotFound { domain: String },

    /// Any other non-2xx answer, rate limiting (429) included.
    #[error("The RDAP service for {domain} answered HTTP {status}; try again later")]
    Http { domain: String, status: u16 },

    /// No answer: connection refused, timeout, TLS failure.
    #[error("Could not reach the RDAP service for {domain} ({reason}); check the network and try again later")]
    Network { domain: String, reason: String },

    /// The registry's own address is one the address policy refuses (a bootstrap naming a
    /// private or loopback host): nothing was sent.
    #[error("Jarvis did not contact the RDAP service for {domain} at {url}: {reason}")]
    Refused { domain: String, url: String, reason: String },

    /// A redirect Jarvis does not follow (plain http away from the registry's own address, from a
    /// plain-http registry to another host, down from https, a refused address, another scheme, a
    /// 4th redirect): nothing was sent there.
    #[error(
        "The RDAP service for {domain} redirected to {to}, which Jarvis does not follow ({reason}); try again later, or set the dates by hand"
    )]
    Redirect { domain: String, to: String, reason: String },

    /// An answer whose `ldhName` or `unicodeName` is another domain: none of it is used.
    #[error(
        "The RDAP service for {domain} answered about {answered} instead, so Jarvis did not use the answer; try again later, or set the dates by hand"
    )]
    OtherDomain { domain: String, answered: String },

    /// An answer that is not an RDAP domain object: not JSON, too large, another object class.
    #[error("The RDAP service for {domain} sent an answer Jarvis cannot read ({reason}); try again later")]
    BadAnswer { domain: String, reason: String },

    /// A bootstrap file that cannot be read or is not in the RFC 9224 shape.
    #[error("Jarvis cannot use the RDAP bootstrap file: {reason}; use a copy of https://data.iana.org/rdap/dns.json")]
    BadBootstrap { reason: String },
}

/// The most of an answer Jarvis reads: real domain answers are a few KiB.
const MAX_BODY: usize = 1024 * 1024;

/// The most redirects a lookup follows (a moved service, a referral to another RDAP server).
const MAX_REDIRECTS: usize = 3;

/// Looks domains up at the RDAP service the bootstrap names for their TLD.
#[derive(Clone, Debug)]
pub struct RdapClient {
    /// Which service answers for which TLD; shared, as it only changes when reconfigured.
    bootstrap: Arc<Bootstrap>,
    /// Connection pool with the RDAP headers, connect timeout, the guarded resolver and no
    /// automatic redirects.
    http: reqwest::Client,
    /// Limit on a whole lookup (every hop and the body); kept apart so `with_timeout` keeps the pool.
    timeout: Duration,
    /// Whether lookups may reach private, loopback and other non-public addresses: the site
    /// checks' switch (`JARVIS_PROBE_ALLOW_PRIVATE`), for intranet registries and tests.
    allow_private: bool,
}

impl RdapClient {
    /// A client routing by `bootstrap`: connects within 5 s, answers within 10 s, follows up to
    /// 3 redirects (as [`check_redirect`] allows), asks for `application/rdap+json` as
    /// `jarvis/<version> (+rdap)`. Unless `allow_private`, it refuses the addresses site checks
    /// refuse ([`crate::probe::site::is_public`]), after DNS as well as in the URL.
    pub fn new(bootstrap: Arc<Bootstrap>, allow_private: bool) -> RdapClient {
        // reqwest is built without a default crypto provider; ring is the one compiled in. An
        // error here only means another provider was installed first, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let headers = reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/rdap+json"),
        )]);
        let http = guarded(reqwest::Client::builder(), allow_private)
            .user_agent(concat!("jarvis/", env!("CARGO_PKG_VERSION"), " (+rdap)"))
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client with fixed settings and the ring provider builds");
        RdapClient { bootstrap, http, timeout: Duration::from_secs(10), allow_private }
    }

    /// The same client with another limit on a whole lookup (10 s by default).
    pub fn with_timeout(self, timeout: Duration) -> RdapClient {
        RdapClient { timeout, ..self }
    }

    /// Looks up the registrable domain of `name` ("www.example.com" asks for example.com) at
    /// the service the bootstrap names for its TLD.
    pub async fn lookup(&self, name: &str) -> Result<Registration, RdapError> {
        let domain = registrable_domain(name).ok_or_else(|| RdapError::NotADomain { input: name.trim().to_owned() })?;
        let Some(base) = self.bootstrap.base_url(&domain) else {
            let tld = domain.rsplit('.').next().unwrap_or_default().to_owned();
            return Err(RdapError::NoService { tld });
        };
        match tokio::time::timeout(self.timeout, self.fetch(base, &domain)).await {
            Ok(result) => result,
            Err(_) => Err(RdapError::Network { domain, reason: format!("no answer within {:?}", self.timeout) }),
        }
    }

    /// Asks `base` about `domain`, following redirects [`check_redirect`] allows, and parses the answer.
    async fn fetch(&self, base: &Url, domain: &str) -> Result<Registration, RdapError> {
        let mut current = domain_url(base, domain);
        if let Some(reason) = refused_address(&current, self.allow_private) {
            return Err(RdapError::Refused { domain: domain.to_owned(), url: current.into(), reason });
        }
        let mut route = Route::new(base, &current);
        let mut response = loop {
            let redirects = route.redirects();
            tracing::debug!(url = %current, "RDAP lookup");
            let response =
                self.http.get(current.clone()).send().await.map_err(|err| failed(domain, &current, redirects, &err))?;
            let Some(location) = redirect_location(&response) else { break response };
            let redirect = |to: String, reason: String| RdapError::Redirect { domain: domain.to_owned(), to, reason };
            let Some(next) = location.and_then(|location| current.join(location).ok()) else {
                let shown = response.headers().get(LOCATION).map(|l| format!("{l:?}")).unwrap_or_default();
                return Err(redirect(shown, "it is not a valid address".to_owned()));
            };
            if redirects == MAX_REDIRECTS {
                return Err(redirect(next.into(), format!("Jarvis follows at most {MAX_REDIRECTS} redirects")));
            }
            route.follow(&next, self.allow_private).map_err(|reason| redirect(next.to_string(), reason))?;
            current = next;
        };
        let redirects = route.redirects();
        match response.status() {
            StatusCode::NOT_FOUND => return Err(RdapError::NotFound { domain: domain.to_owned() }),
            status if !status.is_success() => {
                return Err(RdapError::Http { domain: domain.to_owned(), status: status.as_u16() });
            }
            _ => {}
        }
        let bad = |reason: String| RdapError::BadAnswer { domain: domain.to_owned(), reason };
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| failed(domain, &current, redirects, &err))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(bad("it is larger than 1 MiB".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        let json: Value = serde_json::from_slice(&body).map_err(|err| bad(format!("it is not JSON: {err}")))?;
        let mut registration = parse(&json, current.as_str(), domain)?;
        registration.plain_http |= route.plain_http();
        Ok(registration)
    }
}

/// What a failed request to `url` (reached after `redirects` redirects) means for the user: a
/// refusal by the guarded resolver (of the registry itself, or of where it redirected), or no answer.
fn failed(domain: &str, url: &Url, redirects: usize, err: &reqwest::Error) -> RdapError {
    let domain = domain.to_owned();
    match refused_by_resolver(err) {
        Some(reason) if redirects > 0 => RdapError::Redirect { domain, to: url.to_string(), reason },
        Some(reason) => RdapError::Refused { domain, url: url.to_string(), reason },
        None => RdapError::Network { domain, reason: reason(err) },
    }
}

/// Why a request failed, in a few words: the innermost cause, which names the real problem.
fn reason(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// The `Location` of a redirect answer (`Some(None)` when it is not text); `None` for other answers.
fn redirect_location(response: &reqwest::Response) -> Option<Option<&str>> {
    let redirects = [
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::FOUND,
        StatusCode::SEE_OTHER,
        StatusCode::TEMPORARY_REDIRECT,
        StatusCode::PERMANENT_REDIRECT,
    ];
    let location = response.headers().get(LOCATION).filter(|_| redirects.contains(&response.status()))?;
    Some(location.to_str().ok())
}

/// The addresses one lookup asked, in order: whether the next redirect may be followed, and
/// whether any of them was plain http.
#[derive(Clone, Debug)]
struct Route {
    /// The bootstrap's base URL for the TLD: the registry's own address, which plain http may
    /// come back to and which decides whether plain http is in play at all.
    base: Url,
    /// Every address asked so far, the first one (under `base`) included.
    hops: Vec<Url>,
}

impl Route {
    /// A lookup of the registry at `base` that starts by asking `first`.
    fn new(base: &Url, first: &Url) -> Route {
        Route { base: base.clone(), hops: vec![first.clone()] }
    }

    /// Redirects followed so far.
    fn redirects(&self) -> usize {
        self.hops.len() - 1
    }

    /// Some hop was plain http: whatever came back, anyone on the path could have written it.
    fn plain_http(&self) -> bool {
        self.hops.iter().any(|hop| hop.scheme() != "https")
    }

    /// Follows a redirect to `to` if [`check_redirect`] allows it, or says why not.
    fn follow(&mut self, to: &Url, allow_private: bool) -> Result<(), String> {
        check_redirect(&self.base, &self.hops, to, allow_private)?;
        self.hops.push(to.clone());
        Ok(())
    }
}

/// Whether a lookup of the registry at `base` (the bootstrap's base URL), having asked `hops`,
/// may follow a redirect to `to`, or why not.
///
/// - From an https registry, https may go anywhere (registries move services and refer to other
///   RDAP servers; the certificate proves the host).
/// - From a plain-http registry (the few with no https), an on-path attacker writes the redirects,
///   so they may only go to the very origin the bootstrap named (scheme, host and port), or up to
///   https on that same host; never to another host, whatever the scheme.
/// - Once a hop was https, never down to plain http again, not even back to a plain-http base.
///
/// Either way the address policy holds: an IP literal it refuses is refused here, and a name is
/// judged by the guarded resolver when connecting.
fn check_redirect(base: &Url, hops: &[Url], to: &Url, allow_private: bool) -> Result<(), String> {
    let registry = base.origin().ascii_serialization();
    match to.scheme() {
        "https" if base.scheme() == "https" => {}
        "https" if to.host() == base.host() => {}
        "https" => {
            return Err(format!(
                "the registry, {registry}, has no https, so its redirects could be forged; Jarvis only follows them to its own host"
            ));
        }
        "http" if hops.iter().any(|hop| hop.scheme() == "https") => {
            return Err(format!("it leaves https for plain http; the registry is {registry}"));
        }
        "http" if to.origin() != base.origin() => {
            return Err(format!("it is plain http to another address than the registry's own, {registry}"));
        }
        "http" => {}
        other => return Err(format!("`{other}:` addresses are not followed, only https ones")),
    }
    refused_address(to, allow_private).map_or(Ok(()), Err)
}

/// `base` + `domain/<name>`, whether or not `base` ends with a slash.
fn domain_url(base: &Url, domain: &str) -> Url {
    let mut url = base.clone();
    // Only http(s) bases get this far, and those always have a path to extend.
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(["domain", domain]);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOGLE: &str = include_str!("../../tests/fixtures/rdap/rdap_domain_google.com_verisign.json");
    const MARQUETRY: &str = include_str!("../../tests/fixtures/rdap/rdap_domain_themarquetry.com_verisign.json");
    const MICROSOFT: &str = include_str!("../../tests/fixtures/rdap/rdap_domain_microsoft.click_uniregistry.json");

    fn date(text: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(text).expect("test date").with_timezone(&Utc))
    }

    fn parsed(json: &str, source: &str) -> Registration {
        parse_domain(&serde_json::from_str(json).expect("fixture is JSON"), source).expect("fixture parses")
    }

    fn statuses(json: &str) -> Registration {
        let json = format!(r#"{{"objectClassName": "domain", "ldhName": "example.com", "status": {json}}}"#);
        parsed(&json, "https://rdap.example/domain/example.com")
    }

    #[test]
    fn control_characters_from_a_registry_are_dropped() {
        let json = r#"{"objectClassName": "domain", "ldhName": "example.com", "status": ["active\u0000"],
            "entities": [{"roles": ["registrar"], "handle": "Evil\u0000 Registrar\u0007"}]}"#;
        let registration = parsed(json, "https://rdap.example/domain/example.com");
        assert_eq!(registration.registrar.as_deref(), Some("Evil Registrar"));
        assert_eq!(registration.statuses, ["active"]);
    }

    #[test]
    fn bundled_bootstrap_parses_and_routes() {
        let bootstrap = Bootstrap::bundled();
        assert_eq!(bootstrap.publication(), Some("2026-02-13T23:00:01Z"));
        let base = |tld| bootstrap.base_url(tld).map(Url::as_str);
        assert_eq!(base("com"), Some("https://rdap.verisign.com/com/v1/"));
        assert_eq!(base("click"), Some("https://rdap.tucowsregistry.net/rdap/"));
        assert_eq!(base("uk"), Some("https://rdap.nominet.uk/uk/"));
        assert_eq!(base("kg"), Some("http://rdap.cctld.kg/"));
        assert_eq!(base("io"), None);
        assert_eq!(base("COM"), base("com"));
        assert_eq!(base(".Com."), base("com"));
        assert_eq!(base("www.example.co.uk"), base("uk"));
        // The registries with no https, which the module documentation says how Jarvis treats.
        let mut plain: Vec<String> = bootstrap
            .services
            .iter()
            .filter(|(_, url)| url.scheme() != "https")
            .map(|(tld, url)| format!("{tld} {url}"))
            .collect();
        plain.sort();
        assert_eq!(plain, ["kg http://rdap.cctld.kg/", "mg http://rdap.nic.mg/", "ng http://rdap.nic.net.ng/"]);
    }

    #[test]
    fn base_url_prefers_https_and_the_longest_match() {
        let bootstrap = Bootstrap::from_json(
            r#"{"services": [
                [["uk"], ["https://uk.example/"]],
                [["CO.UK"], ["http://plain.example/", "https://secure.example/"]],
                [["org"], ["http://first.example/"]],
                [["org"], ["https://second.example/"]],
                [["net"], []]
            ]}"#,
        )
        .expect("valid bootstrap");
        assert_eq!(bootstrap.publication(), None);
        let base = |name| bootstrap.base_url(name).map(Url::as_str);
        assert_eq!(base("example.co.uk"), Some("https://secure.example/"));
        assert_eq!(base("co.uk"), Some("https://secure.example/"));
        assert_eq!(base("example.org.uk"), Some("https://uk.example/"));
        assert_eq!(base("org"), Some("https://second.example/"));
        assert_eq!(base("net"), None);
        assert_eq!(base("k"), None);
        assert_eq!(base(""), None);
    }

    #[test]
    fn malformed_bootstraps_are_refused() {
        let reason = |text| match Bootstrap::from_json(text) {
            Err(RdapError::BadBootstrap { reason }) => reason,
            other => panic!("expected BadBootstrap for {text}, got {other:?}"),
        };
        assert!(reason("garbage").starts_with("it is not an RFC 9224 bootstrap file"));
        assert!(reason("{}").contains("missing field `services`"));
        assert!(reason(r#"{"services": [["com", ["https://x/"]]]}"#).starts_with("it is not an RFC 9224"));
        assert_eq!(reason(r#"{"services": [[["com"], ["ftp://x/"]]]}"#), "`ftp://x/` is not an http(s) URL");
        assert_eq!(reason(r#"{"services": [[["com"], ["rdap/"]]]}"#), "`rdap/` is not an http(s) URL");
        assert_eq!(
            reason(r#"{"services": [[[" . "], ["https://x/"]]]}"#),
            "the service at https://x/ lists an empty TLD"
        );
    }

    #[test]
    fn load_names_the_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("missing.json");
        let Err(RdapError::BadBootstrap { reason }) = Bootstrap::load(&missing) else { panic!("missing file loaded") };
        assert!(reason.starts_with(&format!("`{}` could not be read", missing.display())), "{reason}");

        let broken = dir.path().join("broken.json");
        std::fs::write(&broken, "[]").expect("write");
        let Err(RdapError::BadBootstrap { reason }) = Bootstrap::load(&broken) else { panic!("broken file loaded") };
        assert!(reason.starts_with(&format!("`{}`: it is not an RFC 9224", broken.display())), "{reason}");

        let good = dir.path().join("dns.json");
        std::fs::write(&good, r#"{"publication": "2026-01-01T00:00:00Z", "services": [[["com"], ["https://x/"]]]}"#)
            .expect("write");
        let bootstrap = Bootstrap::load(&good).expect("good file loads");
        assert_eq!(bootstrap.publication(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(bootstrap.base_url("com").map(Url::as_str), Some("https://x/"));
    }

    #[test]
    fn registrable_domains() {
        let check = |input: &str, expected: Option<&str>| {
            assert_eq!(registrable_domain(input).as_deref(), expected, "input {input:?}");
        };
        check("www.example.co.uk", Some("example.co.uk"));
        check("EXAMPLE.com.", Some("example.com"));
        check("  example.com \n", Some("example.com"));
        check("https://www.example.com/x", Some("example.com"));
        check("HTTPS://user@Shop.Example.COM:8443/path?q=1", Some("example.com"));
        check("www.example.com/path", Some("example.com"));
        check("example.com/login?next=https://other.org/", Some("example.com"));
        check("example.com:8443", Some("example.com"));
        check("example.com", Some("example.com"));
        check("a.b.c.example.click", Some("example.click"));
        check("www.xn--bcher-kva.ch", Some("xn--bcher-kva.ch"));
        check("bücher.ch", Some("xn--bcher-kva.ch"));
        check("myapp.herokuapp.com", Some("herokuapp.com"));
        check("someone.github.io", Some("github.io"));
        check("co.uk", None);
        check("com", None);
        check("127.0.0.1", None);
        check("http://[::1]/", None);
        check("", None);
        check("   ", None);
        check("localhost", None);
        check("printer.local", None);
        check("xn--bcher-kva.example", None);
        check("exa mple.com", None);
        check("under_score.com", None);
    }

    #[test]
    fn google_com() {
        let registration = parsed(GOOGLE, "https://rdap.verisign.com/com/v1/domain/google.com");
        assert_eq!(
            registration,
            Registration {
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
                source: "https://rdap.verisign.com/com/v1/domain/google.com".to_owned(),
                plain_http: false,
            }
        );
        assert!(!registration.in_redemption());
        assert!(!registration.pending_delete());
    }

    #[test]
    fn themarquetry_com() {
        let registration = parsed(MARQUETRY, "https://rdap.verisign.com/com/v1/domain/themarquetry.com");
        assert_eq!(registration.domain, "themarquetry.com");
        assert_eq!(registration.expires, date("2022-03-16T17:07:37Z"));
        assert_eq!(registration.registered, date("2021-03-16T17:07:37Z"));
        assert_eq!(registration.registrar.as_deref(), Some("Hosting Concepts B.V. d/b/a Registrar.eu"));
        assert_eq!(registration.statuses, ["client transfer prohibited"]);
    }

    #[test]
    fn microsoft_click() {
        let registration = parsed(MICROSOFT, "https://rdap.uniregistry.net/domain/microsoft.click");
        assert_eq!(registration.domain, "microsoft.click");
        assert_eq!(registration.expires, date("2024-11-12T19:15:55.283Z"));
        assert_eq!(registration.registered, date("2014-11-12T19:15:55.283Z"));
        // Not the registrant's org, nor the "Markmonitor" abuse contact nested in the registrar.
        assert_eq!(registration.registrar.as_deref(), Some("MarkMonitor Inc."));
        assert_eq!(
            registration.statuses,
            ["client update prohibited", "client transfer prohibited", "client delete prohibited"]
        );
    }

    #[test]
    fn absent_or_unreadable_dates_stay_unknown() {
        let registration = parsed(
            r#"{"objectClassName": "domain", "ldhName": "example.com", "events": [
                {"eventAction": "registration", "eventDate": "yesterday"},
                {"eventAction": "last changed", "eventDate": "2024-01-01T00:00:00Z"}
            ]}"#,
            "https://rdap.example/domain/example.com",
        );
        assert_eq!((registration.expires, registration.registered), (None, None));
    }

    #[test]
    fn dates_with_offsets_become_utc() {
        let registration = parsed(
            r#"{"objectClassName": "domain", "events": [
                {"eventAction": "Expiration", "eventDate": "2027-01-01T09:30:00.5+07:00"}
            ]}"#,
            "https://rdap.example/domain/example.com",
        );
        assert_eq!(registration.expires, date("2027-01-01T02:30:00.5Z"));
    }

    #[test]
    fn domain_falls_back_to_the_name_asked_for() {
        let registration = parsed(r#"{"objectClassName": "domain"}"#, "https://rdap.example/domain/example.com");
        assert_eq!(registration.domain, "example.com");
        assert_eq!((registration.expires, registration.registrar), (None, None));
        assert!(registration.statuses.is_empty());
    }

    #[test]
    fn registrar_falls_back_to_public_id_then_handle() {
        let registrar = |entities: &str| {
            let json = format!(r#"{{"objectClassName": "domain", "entities": {entities}}}"#);
            parsed(&json, "https://rdap.example/domain/example.com").registrar
        };
        let with_id = r#"[{"roles": ["registrar"], "handle": "292", "vcardArray": ["vcard", [["fn", {}, "text", " "]]],
            "publicIds": [{"type": "IANA Registrar ID", "identifier": "292"}]}]"#;
        assert_eq!(registrar(with_id).as_deref(), Some("IANA Registrar ID 292"));
        assert_eq!(registrar(r#"[{"roles": ["technical", "registrar"], "handle": "R-1"}]"#).as_deref(), Some("R-1"));
        assert_eq!(registrar(r#"[{"roles": ["registrant"], "handle": "R-1"}]"#), None);
    }

    #[test]
    fn redemption_and_pending_delete() {
        let redemption = statuses(r#"["Redemption Period", "inactive"]"#);
        assert_eq!(redemption.statuses, ["redemption period", "inactive"]);
        assert!(redemption.in_redemption() && !redemption.pending_delete());
        assert!(statuses(r#"["pending restore"]"#).in_redemption());
        let deleting = statuses(r#"["pending delete", 7]"#);
        assert_eq!(deleting.statuses, ["pending delete"]);
        assert!(deleting.pending_delete() && !deleting.in_redemption());
        assert!(!statuses(r#"["active"]"#).in_redemption());
    }

    #[test]
    fn other_objects_are_bad_answers() {
        let check = |json: &str, reason: &str| {
            let json = serde_json::from_str(json).expect("JSON");
            let expected = RdapError::BadAnswer { domain: "example.com".to_owned(), reason: reason.to_owned() };
            assert_eq!(parse_domain(&json, "https://rdap.example/domain/example.com"), Err(expected));
        };
        check(r#"{"objectClassName": "entity"}"#, "it is an RDAP `entity` object, not a domain");
        check(r#"{"errorCode": 404, "title": "Not Found"}"#, "it is not an RDAP object");
        check("[]", "it is not an RDAP object");
    }

    #[test]
    fn answers_must_name_the_domain_asked_for() {
        #[track_caller]
        fn check(names: &str, asked: &str, expected: Result<&str, &str>) {
            let json = format!(r#"{{"objectClassName": "domain"{names}}}"#);
            let json = serde_json::from_str(&json).expect("JSON");
            let found = parse(&json, "https://rdap.example/domain/x", asked);
            let expected = expected
                .map(str::to_owned)
                .map_err(|answered| RdapError::OtherDomain { domain: asked.to_owned(), answered: answered.to_owned() });
            assert_eq!(found.map(|registration| registration.domain), expected, "{names} asked {asked}");
        }
        check(r#", "ldhName": "GOOGLE.COM""#, "google.com", Ok("google.com"));
        check(r#", "ldhName": "google.com.""#, "google.com", Ok("google.com"));
        check(
            r#", "ldhName": "microsoft.click", "unicodeName": "microsoft.click""#,
            "microsoft.click",
            Ok("microsoft.click"),
        );
        check(
            r#", "ldhName": "xn--bcher-kva.ch", "unicodeName": "Bücher.ch""#,
            "xn--bcher-kva.ch",
            Ok("xn--bcher-kva.ch"),
        );
        check(r#", "unicodeName": "bücher.ch.""#, "xn--bcher-kva.ch", Ok("xn--bcher-kva.ch"));
        check(r#", "ldhName": " ""#, "example.com", Ok("example.com"));
        check("", "example.com", Ok("example.com"));

        check(r#", "ldhName": "google.com""#, "ldhmismatch.com", Err("google.com"));
        check(r#", "ldhName": "www.example.com""#, "example.com", Err("www.example.com"));
        check(r#", "ldhName": "example.com", "unicodeName": "exämple.com""#, "example.com", Err("exämple.com"));
        check(r#", "unicodeName": "bücher.de""#, "xn--bcher-kva.ch", Err("bücher.de"));
        check(r#", "ldhName": "exa mple.com""#, "example.com", Err("exa mple.com"));
        assert_eq!(
            RdapError::OtherDomain { domain: "ldhmismatch.com".to_owned(), answered: "google.com".to_owned() }
                .to_string(),
            "The RDAP service for ldhmismatch.com answered about google.com instead, so Jarvis did not use the \
             answer; try again later, or set the dates by hand"
        );
    }

    #[test]
    fn redirects_go_to_https_or_back_to_the_registry() {
        /// A redirect to `to` as the first hop of a lookup of the registry at `base`.
        #[track_caller]
        fn check(base: &str, to: &str, allow_private: bool, expected: Result<(), &str>) {
            let (base, to) = (Url::parse(base).expect("URL"), Url::parse(to).expect("URL"));
            let first = domain_url(&base, "example.mg");
            let mut route = Route::new(&base, &first);
            assert_eq!(route.follow(&to, allow_private), expected.map_err(str::to_owned), "{base} -> {to}");
        }
        let verisign = "https://rdap.verisign.com/com/v1/";
        check(verisign, "https://rdap.verisign.com/com/v2/domain/example.com", false, Ok(()));
        check(verisign, "https://rdap.registrar.example/domain/example.com", false, Ok(()));
        check(verisign, "https://rdap.verisign.com:8443/domain/example.com", false, Ok(()));
        check(
            verisign,
            "http://rdap.verisign.com/com/v1/domain/example.com",
            false,
            Err("it leaves https for plain http; the registry is https://rdap.verisign.com"),
        );
        check(verisign, "ftp://rdap.verisign.com/x", false, Err("`ftp:` addresses are not followed, only https ones"));
        check(verisign, "file:///etc/passwd", false, Err("`file:` addresses are not followed, only https ones"));

        // A plain-http registry (.mg): its own origin, or up to https on its own host; nowhere else,
        // not even over https (an on-path attacker has a certificate for their own host).
        let mg = "http://rdap.nic.mg/";
        check(mg, "http://rdap.nic.mg/v2/domain/example.mg", false, Ok(()));
        check(mg, "https://rdap.nic.mg/domain/example.mg", false, Ok(()));
        check(mg, "https://rdap.nic.mg:8443/domain/example.mg", false, Ok(()));
        let elsewhere = "it is plain http to another address than the registry's own, http://rdap.nic.mg";
        check(mg, "http://rdap.example.net/domain/example.mg", false, Err(elsewhere));
        check(mg, "http://rdap.nic.mg:8080/domain/example.mg", false, Err(elsewhere));
        check(mg, "http://www.rdap.nic.mg/domain/example.mg", false, Err(elsewhere));
        let forged = "the registry, http://rdap.nic.mg, has no https, so its redirects could be forged; Jarvis \
                      only follows them to its own host";
        check(mg, "https://attacker.example/domain/example.mg", false, Err(forged));
        check(mg, "https://www.rdap.nic.mg/domain/example.mg", false, Err(forged));
        check(mg, "https://rdap.verisign.com/com/v1/domain/example.mg", false, Err(forged));

        // The address policy holds on every hop; the switch lifts it, the scheme rule stays.
        let loopback = "http://127.0.0.1:4000/";
        check(loopback, "http://127.0.0.1:4000/other/domain/x.com", true, Ok(()));
        let other = "it is plain http to another address than the registry's own, http://127.0.0.1:4000";
        check(loopback, "http://127.0.0.2:4000/domain/x.com", true, Err(other));
        check(loopback, "http://localhost:4000/domain/x.com", true, Err(other));
        check(loopback, "http://127.0.0.1:4001/domain/x.com", true, Err(other));
        check(loopback, "https://127.0.0.1:4443/domain/x.com", true, Ok(()));
        let forged = "the registry, http://127.0.0.1:4000, has no https, so its redirects could be forged; Jarvis \
                      only follows them to its own host";
        check(loopback, "https://127.0.0.2:4000/domain/x.com", true, Err(forged));
        let policy = "; Jarvis does not probe those unless JARVIS_PROBE_ALLOW_PRIVATE is on";
        for (to, kind) in [
            ("https://127.0.0.2/domain/x.com", "127.0.0.2 is a loopback address"),
            ("https://10.1.2.3/domain/x.com", "10.1.2.3 is a private address"),
            ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
            ("https://[::ffff:192.168.0.1]/domain/x.com", "::ffff:192.168.0.1 is a private address"),
            ("https://[fd00::1]/domain/x.com", "fd00::1 is a unique local address"),
        ] {
            check(verisign, to, false, Err(&format!("{kind}{policy}")));
            check(verisign, to, true, Ok(()));
        }
        assert_eq!(
            RdapError::Redirect {
                domain: "x.com".to_owned(),
                to: "http://127.0.0.2:4000/domain/x.com".to_owned(),
                reason: other.to_owned()
            }
            .to_string(),
            "The RDAP service for x.com redirected to http://127.0.0.2:4000/domain/x.com, which Jarvis does not \
             follow (it is plain http to another address than the registry's own, http://127.0.0.1:4000); try again \
             later, or set the dates by hand"
        );
    }

    /// Once a hop was https, plain http is refused, even the plain-http registry's own address;
    /// an answer reached through any plain-http hop is unencrypted, wherever it ends.
    #[test]
    fn a_route_never_goes_back_down_from_https_and_remembers_plain_http() {
        let url = |text: &str| Url::parse(text).expect("URL");
        let mg = url("http://rdap.nic.mg/");
        let mut route = Route::new(&mg, &domain_url(&mg, "example.mg"));
        assert!(route.plain_http());
        route.follow(&url("https://rdap.nic.mg/domain/example.mg"), false).expect("up to https on its host");
        assert_eq!(
            route.follow(&url("http://rdap.nic.mg/domain/example.mg"), false),
            Err("it leaves https for plain http; the registry is http://rdap.nic.mg".to_owned())
        );
        assert_eq!(route.redirects(), 1);
        assert!(route.plain_http(), "the first hop was plain http, though the last is https");

        let verisign = url("https://rdap.verisign.com/com/v1/");
        let mut route = Route::new(&verisign, &domain_url(&verisign, "example.com"));
        route.follow(&url("https://rdap.registrar.example/domain/example.com"), false).expect("https anywhere");
        assert!(!route.plain_http());
    }

    #[test]
    fn domain_urls_tolerate_a_base_without_slash() {
        let check = |base: &str, expected: &str| {
            let base = Url::parse(base).expect("URL");
            assert_eq!(domain_url(&base, "example.com").as_str(), expected);
        };
        check("https://rdap.verisign.com/com/v1/", "https://rdap.verisign.com/com/v1/domain/example.com");
        check("https://rdap.example/rdap", "https://rdap.example/rdap/domain/example.com");
        check("http://127.0.0.1:8080", "http://127.0.0.1:8080/domain/example.com");
    }

    #[test]
    fn messages_tell_the_user_what_to_do() {
        assert_eq!(
            RdapError::NoService { tld: "io".to_owned() }.to_string(),
            "There is no RDAP service for .io in IANA's bootstrap file, so Jarvis cannot look up .io domains; \
             their expiry stays as you enter it"
        );
        assert_eq!(
            RdapError::Http { domain: "example.com".to_owned(), status: 429 }.to_string(),
            "The RDAP service for example.com answered HTTP 429; try again later"
        );
    }
}
