//! Websites and domains, as values: what one check of a site found, what the registry says
//! about a domain, when a site counts as down (with hysteresis against flapping) and its uptime.
//! `probe/` produces these values over the network; `analysis::website` judges them.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use url::{Host, Url};

use super::choice::choice_enum;
use super::error::UserError;

/// What one check of a site found. Stored as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Probe {
    /// The URL as asked.
    pub url: String,
    /// The URL of the last answer, after the redirects followed.
    pub final_url: String,
    /// How many redirects were followed.
    pub redirects: u8,
    /// The HTTP status of the last answer, when one came (a redirect's when the chain broke off).
    pub status: Option<u16>,
    /// Time to first byte of the last answer: from sending the request (connection set-up
    /// included, when one was needed) until its headers arrived, in whole milliseconds.
    pub ttfb_ms: Option<u32>,
    /// Whether the keyword is on the page; `None` when no keyword was asked.
    pub keyword: Option<KeywordCheck>,
    /// The certificate of the first https hop, when a handshake got that far.
    pub tls: Option<TlsCheck>,
    /// Why the check did not get an answer; `None` when the site answered, whatever the status.
    pub failure: Option<Failure>,
}

/// Whether the keyword was found in the first first MiB of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeywordCheck {
    Found,
    Missing,
    /// The body could not be read (the check failed or timed out first, or the body broke off).
    NotChecked,
}

/// The server certificate as an ordinary client would judge it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TlsCheck {
    /// What a browser would object to; `None` when the certificate is valid for the host.
    pub problem: Option<TlsProblem>,
    /// The leaf certificate's notAfter.
    pub expires_at: Option<DateTime<Utc>>,
    /// The leaf's issuer, as a distinguished name (`C=US, O=Let's Encrypt, CN=R11`).
    pub issuer: Option<String>,
    /// The leaf's subject, as a distinguished name.
    pub subject: Option<String>,
}

/// Why a certificate is not valid for the site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum TlsProblem {
    Expired,
    NotYetValid,
    /// Not issued by a trusted CA, and issued by itself.
    SelfSigned,
    /// Not issued by a trusted CA (or the server did not send the intermediates).
    UntrustedIssuer,
    /// Valid, but not for this host name.
    WrongHost,
    /// Anything else, as rustls words it.
    Other(String),
}

/// Why a check got no answer from the site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Failure {
    /// The policy forbids the address; `reason` names it and says how to allow it.
    Refused { reason: String },
    /// The host name could not be resolved.
    Dns(String),
    /// No connection could be made (refused, unreachable, timed out).
    Connect(String),
    /// The whole check took longer than the check's timeout.
    Timeout,
    /// The TLS handshake failed for a reason other than the certificate (which is only recorded).
    Tls(String),
    /// More redirects than the redirect limit.
    TooManyRedirects,
    /// A redirect to another site (or to a non-web scheme), which is not followed.
    RedirectOffSite { to: String },
    /// The HTTP exchange itself failed (a broken response, a redirect to an invalid address).
    Http(String),
}

/// The longest reason a check keeps: what a site sends back (a `Location` header, an error
/// message) is not trusted to be short.
pub const MAX_REASON: usize = 200;

impl Failure {
    /// The failure with its reason cut to [`MAX_REASON`] characters.
    pub fn shortened(self) -> Failure {
        fn cut(text: String) -> String {
            match text.char_indices().nth(MAX_REASON) {
                Some((at, _)) => format!("{}…", &text[..at]),
                None => text,
            }
        }
        match self {
            Failure::Refused { reason } => Failure::Refused { reason: cut(reason) },
            Failure::Dns(reason) => Failure::Dns(cut(reason)),
            Failure::Connect(reason) => Failure::Connect(cut(reason)),
            Failure::Tls(reason) => Failure::Tls(cut(reason)),
            Failure::RedirectOffSite { to } => Failure::RedirectOffSite { to: cut(to) },
            Failure::Http(reason) => Failure::Http(cut(reason)),
            other @ (Failure::Timeout | Failure::TooManyRedirects) => other,
        }
    }
}

/// Why a check counts as failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckFailure {
    NoAnswer(Failure),
    Status(u16),
    KeywordMissing,
}

impl Probe {
    /// Whether the site worked: it answered below 400, with the keyword when one is asked for.
    /// A certificate problem is reported on its own (see [`TlsCheck`]), not as downtime.
    pub fn failure(&self) -> Option<CheckFailure> {
        if let Some(failure) = &self.failure {
            return Some(CheckFailure::NoAnswer(failure.clone()));
        }
        match self.status {
            Some(status) if status >= 400 => Some(CheckFailure::Status(status)),
            None => Some(CheckFailure::NoAnswer(Failure::Http("no answer".into()))),
            Some(_) if self.keyword == Some(KeywordCheck::Missing) => Some(CheckFailure::KeywordMissing),
            Some(_) => None,
        }
    }

    pub fn succeeded(&self) -> bool {
        self.failure().is_none()
    }
}

choice_enum! {
    /// Whether a site is up, as decided by consecutive checks.
    pub enum SiteState as "site state" {
        /// Not checked yet, or failing but not long enough to call it down.
        Unknown = "unknown",
        Up = "up",
        Down = "down",
    }
}

/// How many checks in a row change a site's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Hysteresis {
    /// Consecutive failures before a site is down.
    pub down_after: u32,
    /// Consecutive successes before a down site is up again.
    pub up_after: u32,
}

impl Default for Hysteresis {
    fn default() -> Self {
        Hysteresis { down_after: 3, up_after: 2 }
    }
}

/// A site's state and the run of checks behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Streak {
    pub state: SiteState,
    /// Consecutive failed checks (0 after a success).
    pub failures: u32,
    /// Consecutive successful checks (0 after a failure).
    pub successes: u32,
}

impl Default for Streak {
    fn default() -> Self {
        Streak { state: SiteState::Unknown, failures: 0, successes: 0 }
    }
}

impl Streak {
    /// The streak after one more check. A site goes down after `down_after` failures in a row
    /// and comes back after `up_after` successes in a row; a first success makes an unchecked
    /// site up at once.
    pub fn after(self, ok: bool, rules: Hysteresis) -> Streak {
        if ok {
            let successes = self.successes.saturating_add(1);
            let state = match self.state {
                SiteState::Down if successes < rules.up_after => SiteState::Down,
                _ => SiteState::Up,
            };
            Streak { state, failures: 0, successes }
        } else {
            let failures = self.failures.saturating_add(1);
            let state = if failures >= rules.down_after { SiteState::Down } else { self.state };
            Streak { state, failures, successes: 0 }
        }
    }
}

/// Checks in a window and how many succeeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Uptime {
    pub checks: u32,
    pub ok: u32,
}

impl Uptime {
    /// Percent of checks that succeeded, to two places; `None` without checks.
    pub fn percent(self) -> Option<Decimal> {
        (self.checks > 0)
            .then(|| (Decimal::from(self.ok) * Decimal::ONE_HUNDRED / Decimal::from(self.checks)).round_dp(2))
    }
}

/// The median of `values` (the lower middle one of an even count); `None` when empty.
pub fn median(values: &mut [u32]) -> Option<u32> {
    values.sort_unstable();
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// The registrable domain of a host name ("www.example.co.uk" -> "example.co.uk"), via the public
/// suffix list. Lowercases, trims a trailing dot and surrounding whitespace, turns Unicode into
/// its `xn--` form, and accepts a URL such as `https://www.example.com/path` (taking its host).
/// None for an IP address, a bare public suffix ("co.uk"), a name with no known suffix
/// ("localhost", "example.invalid"), or an empty or invalid name.
///
/// Only the list's ICANN section counts: registries answer for `herokuapp.com`, not for
/// `myapp.herokuapp.com`, which the list's private section would call registrable.
pub fn registrable_domain(name: &str) -> Option<String> {
    let name = name.trim();
    let has_scheme = name.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    let url = if has_scheme { Url::parse(name) } else { Url::parse(&format!("http://{name}")) };
    let host = match url.ok()?.host()? {
        Host::Domain(host) => host.trim_end_matches('.').to_ascii_lowercase(),
        Host::Ipv4(_) | Host::Ipv6(_) => return None,
    };
    let domain = icann_registrable(&host)?;
    domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.').then(|| domain.to_owned())
}

/// `host` cut to one label under its public suffix from the list's ICANN section.
fn icann_registrable(host: &str) -> Option<&str> {
    let mut suffix = psl::suffix(host.as_bytes())?;
    while suffix.typ() == Some(psl::Type::Private) {
        let (_, parent) = std::str::from_utf8(suffix.as_bytes()).ok()?.split_once('.')?;
        suffix = psl::suffix(parent.as_bytes())?;
    }
    if suffix.typ() != Some(psl::Type::Icann) {
        return None;
    }
    let suffix_len = suffix.as_bytes().len();
    let owner = host.get(..host.len().checked_sub(suffix_len)?)?.strip_suffix('.')?;
    let label = owner.rsplit('.').next().filter(|label| !label.is_empty())?;
    host.get(owner.len() - label.len()..)
}

/// The registrable domain of each live domain item in `items`, one item per domain: the item
/// named exactly as its domain, else the first (`www.acme.dev` stands for `acme.dev` when no
/// item is called that). Removed items and names without a registrable domain are left out.
pub fn domain_items<'a>(
    items: impl IntoIterator<Item = &'a crate::domain::item::Item>,
) -> Vec<(String, &'a crate::domain::item::Item)> {
    let mut found: Vec<(String, &crate::domain::item::Item)> = Vec::new();
    for item in items {
        if item.removed_at.is_some() || !matches!(item.details, crate::domain::item::Details::Domain { .. }) {
            continue;
        }
        let Some(domain) = registrable_domain(item.name.as_str()) else { continue };
        let exact = item.name.as_str().eq_ignore_ascii_case(&domain);
        match found.iter_mut().find(|(d, _)| *d == domain) {
            Some(slot) if exact => slot.1 = item,
            Some(_) => {}
            None => found.push((domain, item)),
        }
    }
    found
}

/// What the registry says about a domain (RDAP).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Registration {
    /// The registrable domain, lower case.
    pub domain: String,
    /// The `expiration` event; `None` when the registry gives none (never guessed).
    pub expires: Option<DateTime<Utc>>,
    pub registered: Option<DateTime<Utc>>,
    pub registrar: Option<String>,
    /// As the registry gives them, lower case (`client transfer prohibited`, `redemption period`...).
    pub statuses: Vec<String>,
    /// The URL that answered.
    pub source: String,
    /// Some hop of the lookup (the registry's own address, or the answer's) was plain http, so
    /// anyone on the path could have changed or redirected the answer. Left out of stored
    /// answers when false; answers stored before it existed count by their `source`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
}

impl Registration {
    /// In the registry's redemption (or restore) period: it lapsed and is about to be released.
    pub fn in_redemption(&self) -> bool {
        self.statuses.iter().any(|s| s == "redemption period" || s == "pending restore")
    }

    pub fn pending_delete(&self) -> bool {
        self.statuses.iter().any(|s| s == "pending delete")
    }

    /// The answer came over plain http, on any hop (a registry with no https, such as .kg, .mg
    /// and .ng in IANA's bootstrap, even when it redirects to https): anyone on the path could
    /// have changed it, so it is cited as such.
    pub fn unencrypted(&self) -> bool {
        self.plain_http || self.source.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
    }
}

/// The outcome of looking a domain up, as remembered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Lookup {
    Found(Registration),
    /// The TLD has no RDAP service in the bootstrap file: the expiry is unknown.
    NoService {
        tld: String,
    },
    /// The registry does not know the domain.
    NotFound,
    /// The lookup failed (network, server error, rate limit); tried again within the hour. What
    /// the registry said before still stands meanwhile.
    Failed {
        error: String,
        #[serde(default)]
        previous: Option<Registration>,
    },
}

impl Lookup {
    /// What the registry last said: this answer, or the one before a failed lookup.
    pub fn registration(&self) -> Option<&Registration> {
        match self {
            Lookup::Found(registration) | Lookup::Failed { previous: Some(registration), .. } => Some(registration),
            _ => None,
        }
    }
}

/// A domain's remembered lookup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DomainLookup {
    pub domain: String,
    pub looked_up_at: DateTime<Utc>,
    pub lookup: Lookup,
    /// The renewal date the ledger had for the domain when it was looked up: once the ledger's
    /// date moves (renewed, edited), the answer is stale until the next lookup.
    pub ledger_date: Option<NaiveDate>,
}

/// How often a domain is looked up at most.
pub const LOOKUP_EVERY: chrono::Duration = chrono::Duration::hours(24);

/// How soon a failed lookup is tried again.
pub const RETRY_FAILED: chrono::Duration = chrono::Duration::hours(1);

/// Whether a domain is due to be looked up at `now`: never looked up, a day since, an hour since
/// a failure or since an answer whose expiry had passed, or the ledger's renewal date
/// (`ledger_date`) moved since.
pub fn lookup_due(last: Option<&DomainLookup>, ledger_date: Option<NaiveDate>, now: DateTime<Utc>) -> bool {
    let Some(last) = last else { return true };
    // A failure, or a registry date already past (has it renewed yet?), is asked again hourly.
    let past = last.lookup.registration().and_then(|r| r.expires).is_some_and(|expires| expires < now);
    let every = if past || matches!(last.lookup, Lookup::Failed { .. }) { RETRY_FAILED } else { LOOKUP_EVERY };
    now - last.looked_up_at >= every || last.ledger_date != ledger_date
}

/// A monitored website.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Site {
    pub id: i64,
    /// Public id (a UUID v7): what exports, links and the API name it by.
    pub uuid: uuid::Uuid,
    pub url: String,
    /// Text the page must contain (case-insensitive, in its first MiB).
    pub keyword: Option<String>,
    pub interval_minutes: u32,
    pub streak: Streak,
    /// When it last changed state.
    pub state_since: Option<DateTime<Utc>>,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_probe: Option<Probe>,
    /// The last certificate seen: a check that failed before the handshake keeps this one, so a
    /// blip does not clear (and re-raise) certificate alerts.
    pub last_tls: Option<TlsCheck>,
    pub created_at: DateTime<Utc>,
}

impl Site {
    /// Whether its next check is due at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.last_checked_at
            .is_none_or(|last| now - last >= chrono::Duration::minutes(i64::from(self.interval_minutes)))
    }
}

/// Allowed check intervals, in minutes.
pub const INTERVAL_MINUTES: std::ops::RangeInclusive<u32> = 1..=1440;

/// The default check interval, in minutes.
pub const DEFAULT_INTERVAL_MINUTES: u32 = 5;

/// A check interval in minutes, within [`INTERVAL_MINUTES`].
pub fn check_interval(minutes: u32) -> Result<u32, UserError> {
    INTERVAL_MINUTES
        .contains(&minutes)
        .then_some(minutes)
        .ok_or_else(|| UserError::invalid("check interval", minutes.to_string(), "give minutes from 1 to 1440 (a day)"))
}

/// A check interval as typed (`10`), checked like [`check_interval`].
pub fn parse_interval(input: &str) -> Result<u32, UserError> {
    let minutes = input
        .trim()
        .parse::<u32>()
        .map_err(|_| UserError::invalid("check interval", input, "give whole minutes from 1 to 1440 (a day)"))?;
    check_interval(minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(status: Option<u16>, keyword: Option<KeywordCheck>, failure: Option<Failure>) -> Probe {
        Probe {
            url: "https://acme.dev/".into(),
            final_url: "https://acme.dev/".into(),
            redirects: 0,
            status,
            ttfb_ms: Some(120),
            keyword,
            tls: None,
            failure,
        }
    }

    #[test]
    fn a_check_succeeds_below_400_with_its_keyword() {
        assert!(probe(Some(200), None, None).succeeded());
        assert!(probe(Some(301), Some(KeywordCheck::Found), None).succeeded());
        assert_eq!(probe(Some(500), None, None).failure(), Some(CheckFailure::Status(500)));
        assert_eq!(probe(Some(404), Some(KeywordCheck::Found), None).failure(), Some(CheckFailure::Status(404)));
        assert_eq!(probe(Some(200), Some(KeywordCheck::Missing), None).failure(), Some(CheckFailure::KeywordMissing));
        // An unreadable body is not a missing keyword.
        assert!(probe(Some(200), Some(KeywordCheck::NotChecked), None).succeeded());
        assert_eq!(probe(None, None, Some(Failure::Timeout)).failure(), Some(CheckFailure::NoAnswer(Failure::Timeout)));
    }

    /// Runs `checks` ('+' success, '-' failure) from an unchecked site; the states after each.
    fn states(checks: &str, rules: Hysteresis) -> String {
        let mut streak = Streak::default();
        checks
            .chars()
            .map(|c| {
                streak = streak.after(c == '+', rules);
                match streak.state {
                    SiteState::Unknown => '?',
                    SiteState::Up => 'U',
                    SiteState::Down => 'D',
                }
            })
            .collect()
    }

    #[test]
    fn down_after_three_failures_up_after_two_successes() {
        let rules = Hysteresis::default();
        for (checks, expected) in [
            ("+", "U"),
            ("---", "??D"),
            ("+--+--", "UUUUUU"),
            ("+---", "UUUD"),
            // Flapping while down stays down: one success is not enough.
            ("---+-+-", "??DDDDD"),
            ("---++", "??DDU"),
            ("---++-+-", "??DDUUUU"),
        ] {
            assert_eq!(states(checks, rules), expected, "{checks}");
        }
        let strict = Hysteresis { down_after: 1, up_after: 1 };
        assert_eq!(states("+-+-", strict), "UDUD");
    }

    #[test]
    fn failure_reasons_are_kept_short() {
        let long = Failure::RedirectOffSite { to: "x".repeat(6_000) }.shortened();
        let Failure::RedirectOffSite { to } = long else { panic!() };
        assert_eq!(to.chars().count(), MAX_REASON + 1);
        assert_eq!(Failure::Dns("no such host".into()).shortened(), Failure::Dns("no such host".into()));
    }

    #[test]
    fn uptime_is_the_share_of_successful_checks() {
        assert_eq!(Uptime { checks: 0, ok: 0 }.percent(), None);
        assert_eq!(Uptime { checks: 3, ok: 2 }.percent(), Some("66.67".parse().unwrap()));
        assert_eq!(Uptime { checks: 288, ok: 288 }.percent(), Some(Decimal::ONE_HUNDRED));
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [300, 100, 200]), Some(200));
        assert_eq!(median(&mut [400, 100, 300, 200]), Some(200));
    }

    #[test]
    fn lookups_at_most_daily_and_statuses() {
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let at = |looked: &str, lookup: Lookup, ledger: Option<&str>| DomainLookup {
            domain: "acme.dev".into(),
            looked_up_at: looked.parse().unwrap(),
            lookup,
            ledger_date: ledger.map(|d| d.parse().unwrap()),
        };
        let date = |d: &str| Some(d.parse::<NaiveDate>().unwrap());
        assert!(lookup_due(None, None, now));
        let today = at("2026-12-01T00:00:00Z", Lookup::NotFound, Some("2027-01-01"));
        assert!(!lookup_due(Some(&today), date("2027-01-01"), now));
        // The ledger's date moved (renewed by hand): stale, due at once.
        assert!(lookup_due(Some(&today), date("2028-01-01"), now));
        assert!(lookup_due(Some(&at("2026-11-30T12:00:00Z", Lookup::NotFound, None)), None, now));
        // A failure is retried within the hour, keeping what the registry said before.
        let failed = |looked| at(looked, Lookup::Failed { error: "429".into(), previous: None }, None);
        assert!(!lookup_due(Some(&failed("2026-12-01T11:30:00Z")), None, now));
        assert!(lookup_due(Some(&failed("2026-12-01T11:00:00Z")), None, now));
        let mut registration = Registration {
            domain: "acme.dev".into(),
            expires: None,
            registered: None,
            registrar: None,
            statuses: vec!["client transfer prohibited".into()],
            source: String::new(),
            plain_http: false,
        };
        assert!(!registration.in_redemption() && !registration.pending_delete());
        registration.statuses.push("redemption period".into());
        assert!(registration.in_redemption());
        registration.statuses = vec!["pending delete".into()];
        assert!(registration.pending_delete());
    }

    #[test]
    fn answers_over_plain_http_are_unencrypted() {
        #[track_caller]
        fn check(source: &str, plain_http: bool, expected: bool) {
            let registration = Registration {
                domain: "example.mg".into(),
                expires: None,
                registered: None,
                registrar: None,
                statuses: Vec::new(),
                source: source.into(),
                plain_http,
            };
            assert_eq!(registration.unencrypted(), expected, "{source} {plain_http}");
        }
        check("http://rdap.nic.mg/domain/example.mg", false, true);
        check("HTTP://rdap.nic.mg/domain/example.mg", false, true);
        check("https://rdap.verisign.com/com/v1/domain/example.com", false, false);
        check("", false, false);
        // Asked over http, answered over https: an on-path attacker chose where it went.
        check("https://rdap.nic.mg/domain/example.mg", true, true);
    }
}
