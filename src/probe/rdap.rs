//! Domain registration lookups over RDAP (RFC 9083), routed by IANA's bootstrap file (RFC 9224).
//!
//! Parsing is pure ([`Bootstrap::from_json`], [`registrable_domain`], [`parse_domain`]); only
//! [`RdapClient::lookup`] touches the network.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

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
    let domain = text(json, "ldhName")
        .and_then(non_empty)
        .map_or_else(|| queried.to_owned(), |name| name.trim_end_matches('.').to_lowercase());
    let statuses =
        items(json, "status").filter_map(Value::as_str).filter_map(non_empty).map(str::to_lowercase).collect();
    Ok(Registration {
        domain,
        expires: event(json, "expiration"),
        registered: event(json, "registration"),
        registrar: registrar(json),
        statuses,
        source: source.to_owned(),
    })
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

    /// No answer: connection refused, timeout, TLS failure, too many redirects.
    #[error("Could not reach the RDAP service for {domain} ({reason}); check the network and try again later")]
    Network { domain: String, reason: String },

    /// An answer that is not an RDAP domain object: not JSON, too large, another object class.
    #[error("The RDAP service for {domain} sent an answer Jarvis cannot read ({reason}); try again later")]
    BadAnswer { domain: String, reason: String },

    /// A bootstrap file that cannot be read or is not in the RFC 9224 shape.
    #[error("Jarvis cannot use the RDAP bootstrap file: {reason}; use a copy of https://data.iana.org/rdap/dns.json")]
    BadBootstrap { reason: String },
}

/// The most of an answer Jarvis reads: real domain answers are a few KiB.
const MAX_BODY: usize = 1024 * 1024;

/// Looks domains up at the RDAP service the bootstrap names for their TLD.
#[derive(Clone, Debug)]
pub struct RdapClient {
    /// Which service answers for which TLD; shared, as it only changes when reconfigured.
    bootstrap: Arc<Bootstrap>,
    /// Connection pool with the RDAP headers, connect timeout and redirect limit.
    http: reqwest::Client,
    /// Limit on a whole lookup; applied per request so `with_timeout` keeps the pool.
    timeout: Duration,
}

impl RdapClient {
    /// A client routing by `bootstrap`: connects within 5 s, answers within 10 s, follows up to
    /// 3 redirects, asks for `application/rdap+json` as `jarvis/<version> (+rdap)`.
    pub fn new(bootstrap: Arc<Bootstrap>) -> RdapClient {
        // reqwest is built without a default crypto provider; ring is the one compiled in. An
        // error here only means another provider was installed first, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let headers = reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/rdap+json"),
        )]);
        let http = reqwest::Client::builder()
            .user_agent(concat!("jarvis/", env!("CARGO_PKG_VERSION"), " (+rdap)"))
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .expect("a client with fixed settings and the ring provider builds");
        RdapClient { bootstrap, http, timeout: Duration::from_secs(10) }
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
        let url = domain_url(base, &domain);
        tracing::debug!(%url, "RDAP lookup");

        let network = |err: reqwest::Error| RdapError::Network { domain: domain.clone(), reason: self.reason(&err) };
        let mut response = self.http.get(url).timeout(self.timeout).send().await.map_err(network)?;
        match response.status() {
            StatusCode::NOT_FOUND => return Err(RdapError::NotFound { domain }),
            status if !status.is_success() => return Err(RdapError::Http { domain, status: status.as_u16() }),
            _ => {}
        }
        let source = response.url().to_string();
        let bad = |reason: String| RdapError::BadAnswer { domain: domain.clone(), reason };
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(bad("it is larger than 1 MiB".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        let json: Value = serde_json::from_slice(&body).map_err(|err| bad(format!("it is not JSON: {err}")))?;
        parse(&json, &source, &domain)
    }

    /// Why a request failed, in a few words: the innermost cause, which names the real problem.
    fn reason(&self, err: &reqwest::Error) -> String {
        if err.is_timeout() {
            return format!("no answer within {:?}", self.timeout);
        }
        if err.is_redirect() {
            return "more than 3 redirects".to_owned();
        }
        let mut cause: &dyn std::error::Error = err;
        while let Some(source) = cause.source() {
            cause = source;
        }
        cause.to_string()
    }
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
