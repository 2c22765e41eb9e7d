//! Website and domain health: a 0-100 score per site from named parts with their inputs, the
//! workspace's website health for the Jarvis score, and the alerts (site down, certificates,
//! domains and what their registries say).
//!
//! A site's parts: availability (uptime over 7 days), latency (median time to first byte over
//! 24 hours), TLS (the certificate's validity and time left) and domain (the registry's expiry).
//! A part with nothing to judge is unknown and its weight is shared out; a site that is down, a
//! certificate that is not valid and a domain that lapsed cap the score whatever the parts say.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::alerts::{Alert, AlertKind, Severity};
use super::{ItemTag, Ledger, Text, percent, text};
use crate::domain::choice::choice_enum;
use crate::domain::item::Item;
use crate::domain::site::{
    CheckFailure, DomainLookup, Failure, Hysteresis, Lookup, Registration, Site, SiteState, Streak, TlsProblem, Uptime,
};

/// What the analysis knows about the workspace's websites and domains.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Web {
    pub sites: Vec<SiteFacts>,
    /// The last registry lookup of each domain (sites' and domain items').
    pub lookups: Vec<DomainLookup>,
    /// AI cost connections whose pulls have been failing long enough to report (see
    /// `alerts::pull_alerts`).
    pub failing_pulls: Vec<FailingPull>,
}

/// An AI cost connection whose pulls keep failing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingPull {
    pub item_id: i64,
    /// The provider's name (`OpenAI`).
    pub provider: String,
    /// What the last attempt said.
    pub message: String,
    pub since: chrono::DateTime<chrono::Utc>,
}

/// A site with its figures from the recorded checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteFacts {
    pub site: Site,
    /// Its registrable domain (`www.acme.dev` -> `acme.dev`), when it has one.
    pub domain: Option<String>,
    pub uptime_24h: Uptime,
    pub uptime_7d: Uptime,
    pub uptime_30d: Uptime,
    /// Median time to first byte of the successful checks of the last 24 hours.
    pub median_ttfb_ms: Option<u32>,
}

choice_enum! {
    /// The parts of a site's score.
    pub enum SitePart as "site part" {
        Availability = "availability",
        Latency = "latency",
        Tls = "tls",
        Domain = "domain",
    }
}

choice_enum! {
    /// A site's state as shown: [`SiteState`] with a site that was checked and is failing, but
    /// not long enough to call it down, told apart from one not checked yet.
    pub enum ShownState as "site state" {
        /// Not checked yet.
        Unknown = "unknown",
        /// Checked and failing, not yet down (see [`SiteHealth::failing`]).
        Failing = "failing",
        Up = "up",
        Down = "down",
    }
}

impl ShownState {
    /// How a site in `streak` shows.
    pub fn of(streak: Streak) -> ShownState {
        match streak.state {
            SiteState::Up => ShownState::Up,
            SiteState::Down => ShownState::Down,
            SiteState::Unknown if streak.failures > 0 => ShownState::Failing,
            SiteState::Unknown => ShownState::Unknown,
        }
    }
}

impl SitePart {
    pub fn weight(self) -> u32 {
        match self {
            SitePart::Availability => 40,
            SitePart::Latency => 20,
            SitePart::Tls => 20,
            SitePart::Domain => 20,
        }
    }
}

/// One part of a site's score.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct PartScore {
    pub part: SitePart,
    pub weight: u32,
    /// 0 to `weight`; `None` when unknown.
    pub points: Option<u32>,
    /// The figure it was judged on, or why it is unknown.
    pub input: Text,
}

/// A site's health, for pages and the Jarvis score.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct SiteHealth {
    pub id: i64,
    pub url: String,
    pub keyword: Option<String>,
    pub interval_minutes: u32,
    /// Up or down as the checks in a row decide; before that, `failing` once a check failed
    /// (with the count in `failing`), `unknown` while not checked yet.
    pub state: ShownState,
    /// Failed checks in a row of a site not yet down (state `unknown` after a failed check):
    /// the site was checked and is failing, it is not "not checked yet".
    pub failing: Option<u32>,
    /// Failed checks in a row that make a site down (the workspace's rule).
    pub down_after: u32,
    pub state_since: Option<String>,
    pub last_checked: Option<String>,
    /// What the last check found, in words.
    pub last_result: Option<Text>,
    pub uptime_24h: Option<String>,
    pub uptime_7d: Option<String>,
    pub uptime_30d: Option<String>,
    pub domain: Option<String>,
    /// 0-100; `None` until something is known.
    pub score: Option<u32>,
    pub parts: Vec<PartScore>,
    /// Why the score was held down.
    pub caps: Vec<Text>,
}

/// Highest score of a site that is down, or whose domain lapsed.
pub const DOWN_CAP: u32 = 20;
/// Highest score of a site whose certificate is not valid.
pub const TLS_CAP: u32 = 50;

/// Uptime at or below this (percent) earns no availability points; 100% earns them all.
const UPTIME_FLOOR: i64 = 95;
/// Median response times at or under this (ms) earn every latency point ...
const FAST_MS: u32 = 300;
/// ... and at or over this, none.
const SLOW_MS: u32 = 3_000;
/// Days of validity left (certificate or domain) that earn every point.
const COMFORT_DAYS: i64 = 30;

/// `weight` x `share` (0 to 1), rounded.
fn points(weight: u32, share: Decimal) -> u32 {
    let share = share.clamp(Decimal::ZERO, Decimal::ONE);
    (Decimal::from(weight) * share).round().to_string().parse().unwrap_or(0)
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn tls_problem_name(problem: &TlsProblem) -> &'static str {
    match problem {
        TlsProblem::Expired => "expired",
        TlsProblem::NotYetValid => "not_yet_valid",
        TlsProblem::SelfSigned => "self_signed",
        TlsProblem::UntrustedIssuer => "untrusted_issuer",
        TlsProblem::WrongHost => "wrong_host",
        TlsProblem::Other(_) => "other",
    }
}

/// What a failed check ran into: a kind (`name.site_failure.<kind>`) and the particulars.
fn failure_parts(failure: &CheckFailure) -> (&'static str, String) {
    match failure {
        CheckFailure::Status(status) => ("status", status.to_string()),
        CheckFailure::KeywordMissing => ("keyword", String::new()),
        CheckFailure::NoAnswer(failure) => match failure {
            Failure::Refused { reason } => ("refused", reason.clone()),
            Failure::Dns(reason) => ("dns", reason.clone()),
            Failure::Connect(reason) => ("connect", reason.clone()),
            Failure::Timeout => ("timeout", String::new()),
            Failure::Tls(reason) => ("tls", reason.clone()),
            Failure::TooManyRedirects => ("redirects", String::new()),
            Failure::RedirectOffSite { to } => ("off_site", to.clone()),
            Failure::Http(reason) => ("http", reason.clone()),
        },
    }
}

/// What a failed check ran into, in words.
pub fn failure_text(failure: &CheckFailure) -> Text {
    let (kind, reason) = failure_parts(failure);
    text!("site.failure", kind = kind, reason = reason)
}

/// The registration of `domain`, if it was looked up and found.
fn registration<'a>(lookups: &'a [DomainLookup], domain: &str) -> Option<&'a Registration> {
    lookups.iter().find(|l| l.domain == domain).and_then(|l| l.lookup.registration())
}

/// Why a domain's expiry is unknown.
fn unknown_expiry(lookups: &[DomainLookup], domain: &str) -> Text {
    match lookups.iter().find(|l| l.domain == domain).map(|l| &l.lookup) {
        None => text!("site.domain.not_looked_up", domain = domain),
        Some(Lookup::NoService { tld }) => text!("site.domain.no_service", domain = domain, tld = tld),
        Some(Lookup::NotFound) => text!("site.domain.not_found", domain = domain),
        Some(Lookup::Failed { error, .. }) => text!("site.domain.failed", domain = domain, error = error),
        Some(Lookup::Found(_)) => text!("site.domain.no_expiry", domain = domain),
    }
}

/// A site's health on `today`, under the workspace's rules for up and down.
pub fn site_health(facts: &SiteFacts, lookups: &[DomainLookup], rules: Hysteresis, today: NaiveDate) -> SiteHealth {
    let site = &facts.site;
    let probe = site.last_probe.as_ref();
    let mut parts = Vec::new();
    let mut caps = Vec::new();

    // Availability: uptime over 7 days, 95% and under earning nothing.
    let uptime = facts.uptime_7d;
    parts.push(match uptime.percent() {
        Some(pct) => PartScore {
            part: SitePart::Availability,
            weight: SitePart::Availability.weight(),
            points: Some(points(
                SitePart::Availability.weight(),
                (pct - Decimal::from(UPTIME_FLOOR)) / Decimal::from(100 - UPTIME_FLOOR),
            )),
            input: text!("site.input.uptime", percent = percent(pct), ok = uptime.ok, checks = uptime.checks),
        },
        None => unknown_part(SitePart::Availability, text!("site.input.not_checked")),
    });

    // Latency: the median over 24 hours, linear between fast and slow.
    parts.push(match facts.median_ttfb_ms {
        Some(ms) => PartScore {
            part: SitePart::Latency,
            weight: SitePart::Latency.weight(),
            points: Some(points(
                SitePart::Latency.weight(),
                Decimal::from(SLOW_MS.saturating_sub(ms)) / Decimal::from(SLOW_MS - FAST_MS),
            )),
            input: text!("site.input.latency", ms = ms),
        },
        None => unknown_part(SitePart::Latency, text!("site.input.no_answer_24h")),
    });

    // TLS: plain http earns nothing; a certificate problem earns nothing and caps the score.
    let tls_weight = SitePart::Tls.weight();
    // An http address that redirects to https is judged on the certificate it redirects to.
    let https = site.url.starts_with("https:") || site.last_tls.is_some();
    parts.push(match site.last_tls.as_ref().map(|tls| judged(tls, today)).as_ref() {
        _ if !https => PartScore {
            part: SitePart::Tls,
            weight: tls_weight,
            points: Some(0),
            input: text!("site.input.plain_http"),
        },
        Some(tls) => match (&tls.problem, tls.expires_at) {
            (Some(problem), _) => {
                caps.push(text!("site.cap.tls", cap = TLS_CAP, problem = tls_problem_name(problem)));
                PartScore {
                    part: SitePart::Tls,
                    weight: tls_weight,
                    points: Some(0),
                    input: text!("site.input.tls_problem", problem = tls_problem_name(problem)),
                }
            }
            (None, Some(expires)) => {
                let days = (expires.date_naive() - today).num_days();
                PartScore {
                    part: SitePart::Tls,
                    weight: tls_weight,
                    points: Some(points(tls_weight, Decimal::from(days) / Decimal::from(COMFORT_DAYS))),
                    input: text!("site.input.tls_valid", days = days, date = expires.date_naive()),
                }
            }
            (None, None) => unknown_part(SitePart::Tls, text!("site.input.tls_unknown")),
        },
        None => unknown_part(SitePart::Tls, text!("site.input.tls_unknown")),
    });

    // Domain: the registry's expiry; a lapsed domain caps the score.
    let domain_weight = SitePart::Domain.weight();
    parts.push(match &facts.domain {
        None => unknown_part(SitePart::Domain, text!("site.input.no_domain")),
        Some(domain) => match registration(lookups, domain) {
            Some(reg) if reg.in_redemption() || reg.pending_delete() => {
                let status = if reg.pending_delete() { "pending_delete" } else { "redemption" };
                caps.push(text!("site.cap.domain", cap = DOWN_CAP, domain = domain));
                PartScore {
                    part: SitePart::Domain,
                    weight: domain_weight,
                    points: Some(0),
                    input: text!("site.input.domain_status", domain = domain, status = status),
                }
            }
            Some(Registration { expires: Some(expires), .. }) => {
                let days = (expires.date_naive() - today).num_days();
                if days < 0 {
                    caps.push(text!("site.cap.domain", cap = DOWN_CAP, domain = domain));
                }
                PartScore {
                    part: SitePart::Domain,
                    weight: domain_weight,
                    points: Some(points(domain_weight, Decimal::from(days) / Decimal::from(COMFORT_DAYS))),
                    input: if days < 0 {
                        text!("site.input.domain_lapsed", domain = domain, date = expires.date_naive())
                    } else {
                        text!("site.input.domain", domain = domain, date = expires.date_naive(), days = days)
                    },
                }
            }
            _ => unknown_part(SitePart::Domain, unknown_expiry(lookups, domain)),
        },
    });

    if site.streak.state == SiteState::Down {
        caps.insert(0, text!("site.cap.down", cap = DOWN_CAP));
    }
    let known: u32 = parts.iter().filter(|p| p.points.is_some()).map(|p| p.weight).sum();
    let earned: u32 = parts.iter().filter_map(|p| p.points).sum();
    let mut score = (known > 0).then(|| points(100, Decimal::from(earned) / Decimal::from(known)));
    let cap = caps.iter().filter_map(|c| c.args.get("cap").and_then(|cap| cap.parse::<u32>().ok())).min();
    if let (Some(value), Some(cap)) = (score, cap) {
        score = Some(value.min(cap));
    }
    if cap.is_none() {
        caps.clear();
    }

    let uptime_text = |u: Uptime| u.percent().map(percent);
    SiteHealth {
        id: site.id,
        url: site.url.clone(),
        keyword: site.keyword.clone(),
        interval_minutes: site.interval_minutes,
        state: ShownState::of(site.streak),
        failing: (site.streak.state == SiteState::Unknown && site.streak.failures > 0).then_some(site.streak.failures),
        down_after: rules.down_after,
        state_since: site.state_since.map(day),
        last_checked: site.last_checked_at.map(day),
        last_result: probe.map(|p| match p.failure() {
            Some(failure) => failure_text(&failure),
            None => text!(
                "site.last.ok",
                status = p.status.unwrap_or_default(),
                ms = p.ttfb_ms.map_or("?".to_string(), |ms| ms.to_string())
            ),
        }),
        uptime_24h: uptime_text(facts.uptime_24h),
        uptime_7d: uptime_text(facts.uptime_7d),
        uptime_30d: uptime_text(facts.uptime_30d),
        domain: facts.domain.clone(),
        score,
        parts,
        caps,
    }
}

/// A remembered certificate as it stands on `today`: one whose date has passed is expired,
/// whatever it was when it was seen (a site unreachable since keeps an old verdict).
fn judged(tls: &crate::domain::site::TlsCheck, today: NaiveDate) -> crate::domain::site::TlsCheck {
    let mut tls = tls.clone();
    if tls.problem.is_none() && tls.expires_at.is_some_and(|at| at.date_naive() < today) {
        tls.problem = Some(TlsProblem::Expired);
    }
    tls
}

fn unknown_part(part: SitePart, why: Text) -> PartScore {
    PartScore { part, weight: part.weight(), points: None, input: why }
}

/// Every site's health.
pub fn sites_health(ledger: &Ledger) -> Vec<SiteHealth> {
    let rules = ledger.settings.site_checks;
    ledger.web.sites.iter().map(|facts| site_health(facts, &ledger.web.lookups, rules, ledger.today)).collect()
}

/// The website health component's inputs and deductions: the component scores the sites'
/// average, rounded once, and each site below 100 takes its share of the gap (largest
/// remainders get the odd points, so ten sites at 96 lose 4 between them). `None` without sites
/// scored yet.
pub fn website_deductions(sites: &[SiteHealth]) -> Option<WebsiteScore> {
    let scored: Vec<(&SiteHealth, u32)> = sites.iter().filter_map(|s| Some((s, s.score?))).collect();
    if scored.is_empty() {
        return None;
    }
    let count = Decimal::from(scored.len());
    let shares: Vec<Decimal> = scored.iter().map(|(_, score)| Decimal::from(100 - score) / count).collect();
    let total = points(100, shares.iter().sum::<Decimal>() / Decimal::ONE_HUNDRED);
    let mut lost: Vec<u32> = shares.iter().map(|share| share.floor().to_string().parse().unwrap_or(0)).collect();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by(|a, b| shares[*b].fract().cmp(&shares[*a].fract()).then(a.cmp(b)));
    let handed_out: u32 = lost.iter().sum();
    for index in by_remainder.into_iter().take(total.saturating_sub(handed_out) as usize) {
        lost[index] += 1;
    }
    let inputs = vec![text!("site.input.sites", count = scored.len())];
    let deductions = scored
        .iter()
        .zip(lost)
        .filter(|(_, lost)| *lost > 0)
        .map(|((site, score), lost)| (lost, text!("site.deduction", url = site.url, score = score)))
        .collect();
    Some(WebsiteScore { inputs, deductions })
}

/// The website health component's inputs and its deductions (points, and the site they cite).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebsiteScore {
    pub inputs: Vec<Text>,
    pub deductions: Vec<(u32, Text)>,
}

/// Days before a certificate expires that alerts fire.
pub const CERT_LEAD_DAYS: [i64; 3] = [21, 14, 7];

/// The alerts about sites and domains.
pub fn website_alerts(ledger: &Ledger) -> Vec<Alert> {
    let today = ledger.today;
    let mut alerts = Vec::new();
    for facts in &ledger.web.sites {
        let site = &facts.site;
        let url = site.url.as_str();
        if site.streak.state == SiteState::Down {
            let since = site.state_since.map(day).unwrap_or_default();
            let since_key = site.state_since.map_or(0, |at| at.timestamp());
            let detail = match site.last_probe.as_ref().and_then(|p| p.failure()) {
                Some(failure) => {
                    let (kind, reason) = failure_parts(&failure);
                    text!(
                        "alert.site_down.detail",
                        url = url,
                        since = since,
                        failures = site.streak.failures,
                        kind = kind,
                        reason = reason
                    )
                }
                // Answering again, not yet for long enough to count as up.
                None => text!(
                    "alert.site_down.recovering",
                    url = url,
                    since = since,
                    more = ledger.settings.site_checks.up_after.saturating_sub(site.streak.successes)
                ),
            };
            alerts.push(site_alert(
                format!("site_down:{}:{since_key}", site.id),
                AlertKind::SiteDown,
                Severity::Critical,
                text!("alert.site_down.title", url = url),
                detail,
                text!("alert.site_down.action", url = url),
                None,
            ));
        }
        let Some(tls) = site.last_tls.as_ref().map(|tls| judged(tls, today)) else { continue };
        let tls = &tls;
        match (&tls.problem, tls.expires_at) {
            (Some(problem), _) => alerts.push(site_alert(
                format!("cert_invalid:{}:{}", site.id, tls_problem_name(problem)),
                AlertKind::Certificate,
                Severity::Critical,
                text!("alert.cert_invalid.title", url = url, problem = tls_problem_name(problem)),
                text!("alert.cert_invalid.detail", url = url, problem = tls_problem_name(problem)),
                text!("alert.cert_invalid.action", url = url),
                None,
            )),
            (None, Some(expires)) => {
                let date = expires.date_naive();
                let days = (date - today).num_days();
                if let Some(lead) = CERT_LEAD_DAYS.iter().copied().filter(|lead| days <= *lead).min() {
                    alerts.push(site_alert(
                        format!("cert:{}:{date}:{lead}", site.id),
                        AlertKind::Certificate,
                        if lead <= 7 { Severity::Critical } else { Severity::Warning },
                        text!("alert.cert.title", url = url, days = days),
                        text!("alert.cert.detail", url = url, date = date, days = days, lead = lead),
                        text!("alert.cert.action", url = url),
                        Some(date),
                    ));
                }
            }
            (None, None) => {}
        }
    }
    alerts.extend(domain_alerts(ledger));
    alerts
}

fn site_alert(
    key: String,
    kind: AlertKind,
    severity: Severity,
    title: Text,
    detail: Text,
    action: Text,
    date: Option<NaiveDate>,
) -> Alert {
    Alert { key, kind, severity, title, detail, action, item: None, date }
}

/// A domain the registry says expires on `expires`, at the tightest of `lead_times` crossed
/// (critical at the tightest one, once lapsed, or when it does not renew by itself).
fn expiring(
    ledger: &Ledger,
    domain: &str,
    reg: &Registration,
    expires: NaiveDate,
    lead_times: &crate::domain::workspace::LeadTimes,
    item: Option<&Item>,
) -> Option<Alert> {
    let days = (expires - ledger.today).num_days();
    let lead = lead_times.days().iter().copied().filter(|l| days <= i64::from(*l)).min()?;
    let tightest = lead_times.days().iter().copied().min().unwrap_or(lead);
    let critical = days < 0 || lead == tightest || item.is_some_and(|i| !i.auto_renew);
    Some(Alert {
        key: format!("domain_expiring:{domain}:{expires}:{lead}"),
        kind: AlertKind::Domain,
        severity: if critical { Severity::Critical } else { Severity::Warning },
        title: text!("alert.domain_expiring.title", domain = domain, days = days, lapsed = days < 0, ago = -days),
        detail: text!(
            "alert.domain_expiring.detail",
            domain = domain,
            date = expires,
            days = days,
            registrar = reg.registrar.as_deref().unwrap_or_default(),
            tracked = item.is_some(),
            undated = item.is_some_and(|i| i.renewal.is_none()),
            lapsed = days < 0
        ),
        action: text!("alert.domain_expiring.action", domain = domain, tracked = item.is_some()),
        item: item.map(ItemTag::of),
        date: Some(expires),
    })
}

/// Days past its expiry before an auto-renewing domain whose registry date did not move is an
/// alert: registries renew at expiry, registrars may take a day to report it.
const RENEWAL_GRACE_DAYS: i64 = 2;

/// What the registries say about the domains the workspace watches (its live domain items and
/// its sites'): lapsing domains, and domain items whose ledger disagrees with the registry (or
/// whose auto-renewal did not happen there). A lookup taken before the item's renewal date last
/// moved is stale and says nothing until the next one.
fn domain_alerts(ledger: &Ledger) -> Vec<Alert> {
    let today = ledger.today;
    let items = crate::domain::site::domain_items(ledger.live_items());
    let sites: Vec<&str> = ledger.web.sites.iter().filter_map(|s| s.domain.as_deref()).collect();
    let mut alerts = Vec::new();
    for lookup in &ledger.web.lookups {
        let domain = lookup.domain.as_str();
        let item = items.iter().find(|(d, _)| d == domain).map(|(_, item)| *item);
        if item.is_none() && !sites.contains(&domain) {
            // Nobody watches it any more (its item or site is gone).
            continue;
        }
        let Some(reg) = lookup.lookup.registration() else { continue };
        if item.is_some_and(|item| item.renewal.map(|r| r.date) != lookup.ledger_date) {
            continue;
        }
        if reg.in_redemption() || reg.pending_delete() {
            let status = if reg.pending_delete() { "pending_delete" } else { "redemption" };
            alerts.push(Alert {
                key: format!("domain_status:{domain}:{status}"),
                kind: AlertKind::Domain,
                severity: Severity::Critical,
                title: text!("alert.domain_status.title", domain = domain, status = status),
                detail: text!("alert.domain_status.detail", domain = domain, status = status),
                action: text!("alert.domain_status.action", domain = domain),
                item: item.map(ItemTag::of),
                date: None,
            });
            continue;
        }
        let Some(expires) = reg.expires.map(|e| e.date_naive()) else { continue };
        let Some(item) = item else {
            // A site's domain Jarvis does not track as an item: the workspace's lead times.
            alerts.extend(expiring(ledger, domain, reg, expires, &ledger.settings.lead_times, None));
            continue;
        };
        let lead_times = item.lead_times.as_ref().unwrap_or(&ledger.settings.lead_times);
        let ledger_date = item.renewal.map(|r| r.date);
        if item.auto_renew && (today - expires).num_days() > RENEWAL_GRACE_DAYS {
            alerts.push(Alert {
                key: format!("registry_not_renewed:{}:{expires}", item.id),
                kind: AlertKind::Domain,
                severity: Severity::Critical,
                title: text!("alert.registry_not_renewed.title", domain = domain),
                detail: text!(
                    "alert.registry_not_renewed.detail",
                    domain = domain,
                    registry = expires,
                    ledger = ledger_date.map(|d| d.to_string()).unwrap_or_default()
                ),
                action: text!("alert.registry_not_renewed.action", domain = domain),
                item: Some(ItemTag::of(item)),
                date: Some(expires),
            });
            continue;
        }
        let Some(ledger_date) = ledger_date else {
            // No date in the ledger: the registry's is all there is.
            alerts.extend(expiring(ledger, domain, reg, expires, lead_times, Some(item)));
            continue;
        };
        if item.auto_renew && expires <= today && ledger_date > expires {
            // Renewed in the ledger on its date; the registry has a couple of days to follow.
            continue;
        }
        if (expires - ledger_date).num_days().abs() > 1 {
            // An expiry already past is no date to copy into the ledger: the domain needs renewing.
            let lapsed = expires < today;
            alerts.push(Alert {
                key: format!("registry_mismatch:{}:{expires}:{ledger_date}", item.id),
                kind: AlertKind::Domain,
                severity: Severity::Warning,
                title: text!("alert.registry_mismatch.title", domain = domain),
                detail: text!(
                    "alert.registry_mismatch.detail",
                    domain = domain,
                    registry = expires,
                    ledger = ledger_date,
                    registrar = reg.registrar.as_deref().unwrap_or_default(),
                    lapsed = lapsed
                ),
                action: text!("alert.registry_mismatch.action", domain = domain, registry = expires, lapsed = lapsed),
                item: Some(ItemTag::of(item)),
                date: Some(expires),
            });
            // The registry's date comes first: it warns at the item's lead times.
            if expires < ledger_date {
                alerts.extend(expiring(ledger, domain, reg, expires, lead_times, Some(item)));
            }
        }
        // Otherwise the ledger's renewal alerts speak for it.
    }
    alerts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testing::Fixture;
    use crate::domain::site::{KeywordCheck, Probe, Streak, TlsCheck};
    use crate::domain::workspace::Language;
    use crate::render::{Flavor, Renderer};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn probe(url: &str, status: Option<u16>, tls: Option<TlsCheck>) -> Probe {
        Probe {
            url: url.into(),
            final_url: url.into(),
            redirects: 0,
            status,
            ttfb_ms: Some(250),
            keyword: None,
            tls,
            failure: None,
        }
    }

    fn tls(problem: Option<TlsProblem>, expires: &str) -> TlsCheck {
        TlsCheck { problem, expires_at: Some(at(expires)), issuer: None, subject: None }
    }

    fn facts(id: i64, url: &str, state: SiteState, last: Option<Probe>) -> SiteFacts {
        SiteFacts {
            site: Site {
                id,
                uuid: uuid::Uuid::nil(),
                url: url.into(),
                keyword: None,
                interval_minutes: 5,
                streak: Streak { state, failures: if state == SiteState::Down { 3 } else { 0 }, successes: 0 },
                state_since: Some(at("2026-12-01T09:00:00Z")),
                last_checked_at: Some(at("2026-12-01T10:00:00Z")),
                last_tls: last.as_ref().and_then(|p| p.tls.clone()),
                last_probe: last,
                created_at: at("2026-11-01T00:00:00Z"),
            },
            domain: crate::probe::rdap::registrable_domain(url),
            uptime_24h: Uptime { checks: 288, ok: 288 },
            uptime_7d: Uptime { checks: 2016, ok: 2006 },
            uptime_30d: Uptime { checks: 8640, ok: 8600 },
            median_ttfb_ms: Some(300),
        }
    }

    fn found(domain: &str, expires: Option<&str>, statuses: &[&str]) -> DomainLookup {
        found_when(domain, expires, statuses, None)
    }

    /// A lookup taken while the ledger said `ledger` (the domain item's renewal date).
    fn found_when(domain: &str, expires: Option<&str>, statuses: &[&str], ledger: Option<&str>) -> DomainLookup {
        DomainLookup {
            domain: domain.into(),
            looked_up_at: at("2026-12-01T00:00:00Z"),
            ledger_date: ledger.map(|d| d.parse().unwrap()),
            lookup: Lookup::Found(Registration {
                domain: domain.into(),
                expires: expires.map(at),
                registered: None,
                registrar: Some("Example Registrar".into()),
                statuses: statuses.iter().map(|s| s.to_string()).collect(),
                source: "https://rdap.example/domain/x".into(),
                plain_http: false,
            }),
        }
    }

    fn score_of(health: &SiteHealth) -> (Option<u32>, Vec<Option<u32>>) {
        (health.score, health.parts.iter().map(|p| p.points).collect())
    }

    #[test]
    fn a_site_scores_from_named_parts_with_unknown_ones_shared_out() {
        let today: NaiveDate = "2026-12-01".parse().unwrap();
        let valid = tls(None, "2027-03-01T00:00:00Z");
        let site = facts(
            1,
            "https://www.acme.dev/",
            SiteState::Up,
            Some(probe("https://www.acme.dev/", Some(200), Some(valid))),
        );
        // Uptime 2006/2016 = 99.50%: 40 x (99.50 - 95) / 5 = 36. Median 300 ms: 20. Certificate
        // 90 days left: 20. Domain not looked up: unknown, so 76 of 80 known = 95.
        let health = site_health(&site, &[], Hysteresis::default(), today);
        assert_eq!(score_of(&health), (Some(95), vec![Some(36), Some(20), Some(20), None]));
        assert_eq!(health.domain.as_deref(), Some("acme.dev"));
        // The domain 15 days from expiry: 20 x 15/30 = 10; (36 + 20 + 20 + 10) / 100 = 86.
        let lookups = [found("acme.dev", Some("2026-12-16T00:00:00Z"), &[])];
        assert_eq!(
            score_of(&site_health(&site, &lookups, Hysteresis::default(), today)),
            (Some(86), vec![Some(36), Some(20), Some(20), Some(10)])
        );
        // Slow (1,650 ms: half way between 300 and 3,000 ms) and plain http.
        let mut slow = facts(2, "http://acme.dev/", SiteState::Up, Some(probe("http://acme.dev/", Some(200), None)));
        slow.median_ttfb_ms = Some(1_650);
        assert_eq!(
            score_of(&site_health(&slow, &lookups, Hysteresis::default(), today)),
            (Some(56), vec![Some(36), Some(10), Some(0), Some(10)])
        );
        // Never checked: nothing known.
        let mut new = facts(3, "https://acme.dev/", SiteState::Unknown, None);
        new.uptime_7d = Uptime::default();
        new.median_ttfb_ms = None;
        assert_eq!(site_health(&new, &[], Hysteresis::default(), today).score, None);
    }

    /// A site checked once and failing (the keyword is missing) is not "not known yet": the
    /// list shows it failing with the very score the report deducts for, 0/100 included.
    #[test]
    fn a_failing_site_not_yet_down_shows_the_score_the_report_deducts() {
        let today: NaiveDate = "2026-12-01".parse().unwrap();
        let missing = Probe { keyword: Some(KeywordCheck::Missing), ..probe("http://shop.acme.dev/", Some(200), None) };
        let mut failing = facts(1, "http://shop.acme.dev/", SiteState::Unknown, Some(missing));
        failing.site.keyword = Some("Add to cart".into());
        failing.site.streak.failures = 1;
        // Still in its first state: no change of state to date.
        failing.site.state_since = None;
        failing.uptime_24h = Uptime { checks: 1, ok: 0 };
        failing.uptime_7d = Uptime { checks: 1, ok: 0 };
        failing.uptime_30d = Uptime { checks: 1, ok: 0 };
        failing.median_ttfb_ms = None;
        let health = site_health(&failing, &[], Hysteresis::default(), today);
        // Availability 0/40 (0 of 1 check), plain http 0/20, latency and domain unknown.
        assert_eq!((health.state, health.failing, health.score), (ShownState::Failing, Some(1), Some(0)));
        // JSON says so too: `unknown` is for sites not checked yet.
        assert_eq!(serde_json::to_value(&health).unwrap()["state"], "failing");
        let fine = site_health(
            &facts(2, "https://acme.dev/", SiteState::Up, Some(probe("https://acme.dev/", Some(200), None))),
            &[],
            Hysteresis::default(),
            today,
        );
        let report = website_deductions(&[health.clone(), fine]).expect("scored sites");
        let renderer = Renderer::get(Language::English, Flavor::Plain);
        let cited: Vec<(u32, String)> = report.deductions.iter().map(|(p, t)| (*p, renderer.text(t))).collect();
        assert_eq!(cited[0], (50, "http://shop.acme.dev/ scores 0/100".to_string()));
        let view = serde_json::json!({ "today": today, "sites": [health] });
        let page = renderer.page(crate::render::Page::Sites, &view, usize::MAX).unwrap();
        assert!(page.contains("### 🟠 http://shop.acme.dev/ · 0/100\n"), "{page}");
        assert!(page.contains("- failing: 1 failed check in a row (down after 3) · last check"), "{page}");
        assert!(!page.contains("not known yet") && !page.contains("not checked yet"), "{page}");
        // Never checked: not checked yet, and no score.
        let mut new = facts(3, "https://new.acme.dev/", SiteState::Unknown, None);
        new.site.last_checked_at = None;
        new.uptime_7d = Uptime::default();
        new.median_ttfb_ms = None;
        let unchecked = site_health(&new, &[], Hysteresis::default(), today);
        assert_eq!((unchecked.state, unchecked.failing), (ShownState::Unknown, None));
        let view = serde_json::json!({ "today": today, "sites": [unchecked] });
        let page = renderer.page(crate::render::Page::Sites, &view, usize::MAX).unwrap();
        assert!(page.contains("### ⚪ https://new.acme.dev/\n- not checked yet"), "{page}");
    }

    #[test]
    fn down_invalid_certificates_and_lapsed_domains_cap_the_score() {
        let today: NaiveDate = "2026-12-01".parse().unwrap();
        let lookups = [found("acme.dev", Some("2027-12-16T00:00:00Z"), &[])];
        let valid = tls(None, "2027-03-01T00:00:00Z");
        let down =
            facts(1, "https://acme.dev/", SiteState::Down, Some(probe("https://acme.dev/", Some(503), Some(valid))));
        let health = site_health(&down, &lookups, Hysteresis::default(), today);
        assert_eq!(health.score, Some(DOWN_CAP));
        assert_eq!(health.caps[0].id, "site.cap.down");
        let expired = tls(Some(TlsProblem::Expired), "2026-11-20T00:00:00Z");
        let bad_cert =
            facts(2, "https://acme.dev/", SiteState::Up, Some(probe("https://acme.dev/", Some(200), Some(expired))));
        // 36 + 20 + 0 + 20 = 76, held at 50.
        let health = site_health(&bad_cert, &lookups, Hysteresis::default(), today);
        assert_eq!(health.score, Some(TLS_CAP));
        assert_eq!(health.parts[2].points, Some(0));
        let lapsed = [found("acme.dev", Some("2026-11-20T00:00:00Z"), &["redemption period"])];
        let ok = facts(
            3,
            "https://acme.dev/",
            SiteState::Up,
            Some(probe("https://acme.dev/", Some(200), Some(tls(None, "2027-03-01T00:00:00Z")))),
        );
        assert_eq!(site_health(&ok, &lapsed, Hysteresis::default(), today).score, Some(DOWN_CAP));
        // No cap, no cap texts.
        assert!(site_health(&ok, &lookups, Hysteresis::default(), today).caps.is_empty());
    }

    #[test]
    fn website_health_takes_each_sites_share_of_the_gap() {
        let mut sites = Vec::new();
        for (id, score) in [(1, Some(100)), (2, Some(60)), (3, None)] {
            let today: NaiveDate = "2026-12-01".parse().unwrap();
            let mut health =
                site_health(&facts(id, "https://acme.dev/", SiteState::Up, None), &[], Hysteresis::default(), today);
            health.score = score;
            sites.push(health);
        }
        let WebsiteScore { inputs, deductions } = website_deductions(&sites).unwrap();
        assert_eq!(inputs[0].args["count"], "2");
        assert_eq!(deductions.iter().map(|(points, _)| *points).collect::<Vec<_>>(), [20]);
        assert_eq!(deductions[0].1.args["score"], "60");
        assert!(website_deductions(&sites[2..]).is_none());
        // The gap is rounded once: ten sites at 96 lose 4 points between them, not 0.
        let lost = |scores: &[u32]| -> Vec<u32> {
            let today: NaiveDate = "2026-12-01".parse().unwrap();
            let sites: Vec<SiteHealth> = scores
                .iter()
                .enumerate()
                .map(|(id, score)| SiteHealth {
                    score: Some(*score),
                    ..site_health(
                        &facts(id as i64, "https://acme.dev/", SiteState::Up, None),
                        &[],
                        Hysteresis::default(),
                        today,
                    )
                })
                .collect();
            website_deductions(&sites).unwrap().deductions.iter().map(|(points, _)| *points).collect()
        };
        assert_eq!(lost(&[96; 10]), [1, 1, 1, 1]);
        assert_eq!(lost(&[99, 99]), [1]);
        assert_eq!(lost(&[100, 60]), [20]);
        assert_eq!(lost(&[0, 100, 100]), [33]);
    }

    fn keys(alerts: &[Alert]) -> Vec<(String, Severity)> {
        alerts.iter().map(|a| (a.key.clone(), a.severity)).collect()
    }

    #[test]
    fn site_and_certificate_alerts() {
        let mut fixture = Fixture::new("2026-12-01");
        let soon = tls(None, "2026-12-13T00:00:00Z");
        let mut down =
            facts(1, "https://acme.dev/", SiteState::Down, Some(probe("https://acme.dev/", Some(500), Some(soon))));
        down.site.last_probe.as_mut().unwrap().keyword = Some(KeywordCheck::Found);
        let self_signed = tls(Some(TlsProblem::SelfSigned), "2027-12-13T00:00:00Z");
        let invalid = facts(
            2,
            "https://shop.acme.dev/",
            SiteState::Up,
            Some(probe("https://shop.acme.dev/", Some(200), Some(self_signed))),
        );
        let fine = facts(
            3,
            "https://blog.acme.dev/",
            SiteState::Up,
            Some(probe("https://blog.acme.dev/", Some(200), Some(tls(None, "2027-06-01T00:00:00Z")))),
        );
        fixture.web.sites = vec![down, invalid, fine];
        let ledger = fixture.ledger();
        let alerts = website_alerts(&ledger);
        // 12 days left: the 14-day warning (crossed, though no check ran on day 14).
        assert_eq!(
            keys(&alerts),
            [
                ("site_down:1:1796115600".to_string(), Severity::Critical),
                ("cert:1:2026-12-13:14".to_string(), Severity::Warning),
                ("cert_invalid:2:self_signed".to_string(), Severity::Critical),
            ]
        );
        let renderer = Renderer::get(Language::English, Flavor::Plain);
        assert_eq!(renderer.text(&alerts[0].title), "https://acme.dev/ is down");
        assert_eq!(
            renderer.text(&alerts[0].detail),
            "https://acme.dev/ has been down since 2026-12-01 09:00 UTC: 3 failed checks in a row. Last check: an HTTP error status (500)."
        );
        assert_eq!(renderer.text(&alerts[2].title), "https://shop.acme.dev/: certificate self-signed");
        for language in [Language::English, Language::Thai] {
            let renderer = Renderer::get(language, Flavor::Plain);
            for alert in &alerts {
                for text in [&alert.title, &alert.detail, &alert.action] {
                    let shown = renderer.text(text);
                    assert!(!shown.starts_with('[') && !shown.contains("null"), "{language:?}: {shown}");
                }
            }
        }
        // Six days left: the 7-day alert, critical.
        fixture.today = "2026-12-07".parse().unwrap();
        let ledger = fixture.ledger();
        assert!(keys(&website_alerts(&ledger)).contains(&("cert:1:2026-12-13:7".to_string(), Severity::Critical)));
        // A certificate remembered past its date (the site unreachable since) is expired.
        fixture.today = "2026-12-20".parse().unwrap();
        let ledger = fixture.ledger();
        assert!(keys(&website_alerts(&ledger)).contains(&("cert_invalid:1:expired".to_string(), Severity::Critical)));
        // Down, but answering again: said so, the key unchanged.
        let site = &mut fixture.web.sites[0].site;
        site.last_probe.as_mut().unwrap().status = Some(200);
        site.streak.successes = 1;
        let ledger = fixture.ledger();
        let alerts = website_alerts(&ledger);
        let down = alerts.iter().find(|a| a.key == "site_down:1:1796115600").unwrap();
        assert_eq!(
            renderer.text(&down.detail),
            "https://acme.dev/ has been down since 2026-12-01 09:00 UTC. It answers again, and counts as up after 1 more good check."
        );
    }

    #[test]
    fn registry_alerts_compare_the_ledger_with_the_registry() {
        let mut fixture = Fixture::new("2026-12-01");
        let renews = fixture.add("domain", "acme.dev", "12", "yearly", Some("2027-03-01"), true);
        let lapsed = fixture.add("domain", "old.dev", "12", "yearly", Some("2027-11-20"), true);
        fixture.add("domain", "agrees.dev", "12", "yearly", Some("2027-05-05"), false);
        let sooner = fixture.add("domain", "www.sooner.dev", "12", "yearly", Some("2027-05-01"), true);
        let undated = fixture.add("domain", "undated.dev", "12", "yearly", None, false);
        fixture.add("domain", "renewed.dev", "12", "yearly", Some("2027-12-10"), false);
        // Auto-renewed in the ledger yesterday; the registry has a couple of days to follow.
        fixture.add("domain", "following.dev", "12", "yearly", Some("2027-11-30"), true);
        let removed = fixture.add("domain", "removed.dev", "12", "yearly", Some("2027-01-01"), false);
        fixture.item(removed).removed_at = Some(at("2026-11-30T00:00:00Z"));
        for (id, url) in [(1, "https://shop.acme-store.com/"), (2, "https://gone-shop.com/")] {
            fixture.web.sites.push(facts(id, url, SiteState::Up, None));
        }
        // The registry said a different date; today's lookup failed, and what it said stands.
        let answered =
            found_when("acme.dev", Some("2027-06-01T04:00:00Z"), &["client transfer prohibited"], Some("2027-03-01"));
        let failed = DomainLookup {
            lookup: Lookup::Failed { error: "HTTP 429".into(), previous: answered.lookup.registration().cloned() },
            ..answered
        };
        fixture.web.lookups = vec![
            // Auto-renewing, but the registry's expiry passed (more than 2 days ago) without moving.
            found_when("old.dev", Some("2026-11-20T04:00:00Z"), &["auto renew period"], Some("2027-11-20")),
            // Agrees (to the day): nothing to say.
            found_when("agrees.dev", Some("2027-05-05T23:00:00Z"), &[], Some("2027-05-05")),
            // Only a site's domain, expiring in 5 days: the workspace's 7-day lead time.
            found("acme-store.com", Some("2026-12-06T00:00:00Z"), &[]),
            found("gone-shop.com", None, &["pending delete"]),
            DomainLookup {
                domain: "acme.io".into(),
                looked_up_at: at("2026-12-01T00:00:00Z"),
                lookup: Lookup::NoService { tld: "io".into() },
                ledger_date: None,
            },
            // Nobody watches these: not an item, not a site's (or the item was removed).
            found("quiet.example", Some("2026-12-02T00:00:00Z"), &[]),
            found_when("removed.dev", Some("2026-12-02T00:00:00Z"), &[], Some("2027-01-01")),
            // The registry's date comes before the ledger's, in 4 days: the item's 7-day alert;
            // an item named by a sub-domain is matched by its registrable domain.
            found_when("sooner.dev", Some("2026-12-05T00:00:00Z"), &[], Some("2027-05-01")),
            // No date in the ledger: the registry's, at the item's lead times.
            found_when("undated.dev", Some("2026-12-20T00:00:00Z"), &[], None),
            // Looked up before the ledger's date moved (renewed by hand since): stale, silent.
            found_when("renewed.dev", Some("2026-12-10T00:00:00Z"), &[], Some("2026-12-10")),
            found_when("following.dev", Some("2026-11-30T04:00:00Z"), &[], Some("2027-11-30")),
            failed,
        ];
        let ledger = fixture.ledger();
        let alerts = domain_alerts(&ledger);
        assert_eq!(
            keys(&alerts),
            [
                (format!("registry_not_renewed:{lapsed}:2026-11-20"), Severity::Critical),
                ("domain_expiring:acme-store.com:2026-12-06:7".to_string(), Severity::Warning),
                ("domain_status:gone-shop.com:pending_delete".to_string(), Severity::Critical),
                (format!("registry_mismatch:{sooner}:2026-12-05:2027-05-01"), Severity::Warning),
                ("domain_expiring:sooner.dev:2026-12-05:7".to_string(), Severity::Warning),
                ("domain_expiring:undated.dev:2026-12-20:30".to_string(), Severity::Critical),
                (format!("registry_mismatch:{renews}:2027-06-01:2027-03-01"), Severity::Warning),
            ]
        );
        assert_eq!(alerts[5].item.as_ref().map(|i| i.id), Some(undated));
        assert_eq!(
            Renderer::get(Language::English, Flavor::Plain).text(&alerts[5].detail),
            "The registry says undated.dev, registered through Example Registrar, expires on 2026-12-20 (19 days). The ledger has no renewal date for it."
        );
        let renderer = Renderer::get(Language::English, Flavor::Plain);
        assert_eq!(renderer.text(&alerts[1].title), "acme-store.com expires in 5 days");
        // Lapsed: said as such, not "in -3 days".
        fixture.today = "2026-12-09".parse().unwrap();
        let ledger = fixture.ledger();
        let lapsed_alerts = domain_alerts(&ledger);
        let store = lapsed_alerts.iter().find(|a| a.key.starts_with("domain_expiring:acme-store.com")).unwrap();
        assert_eq!(renderer.text(&store.title), "acme-store.com expired 3 days ago");
        assert_eq!(
            renderer.text(&alerts[6].detail),
            "The registry says acme.dev, registered through Example Registrar, expires on 2027-06-01; the ledger says it renews on 2027-03-01."
        );
        // Every alert and input is worded in both languages.
        for language in [Language::English, Language::Thai] {
            let renderer = Renderer::get(language, Flavor::Plain);
            for alert in &alerts {
                for text in [&alert.title, &alert.detail, &alert.action] {
                    let shown = renderer.text(text);
                    assert!(!shown.starts_with('[') && !shown.contains("null"), "{language:?}: {shown}");
                }
            }
        }
    }

    /// A registry date that differs from the ledger's: when it is still ahead, the alert offers
    /// it as the renewal date; when it has passed, it says to renew (or find out what happened)
    /// and never suggests setting the renewal date to a day already gone.
    #[test]
    fn a_mismatch_on_a_lapsed_registration_says_to_renew_not_to_copy_the_date() {
        #[track_caller]
        fn check(registry: &str, language: Language, detail: &str, action: &str) {
            let mut fixture = Fixture::new("2026-12-01");
            let id = fixture.add("domain", "acme.dev", "12", "yearly", Some("2027-03-01"), false);
            fixture.web.lookups =
                vec![found_when("acme.dev", Some(&format!("{registry}T04:00:00Z")), &[], Some("2027-03-01"))];
            let ledger = fixture.ledger();
            let alerts = domain_alerts(&ledger);
            let key = format!("registry_mismatch:{id}:{registry}:2027-03-01");
            let alert =
                alerts.iter().find(|a| a.key == key).unwrap_or_else(|| panic!("no {key} in {:?}", keys(&alerts)));
            let renderer = Renderer::get(language, Flavor::Plain);
            assert_eq!(renderer.text(&alert.detail), detail, "{registry} {language:?}");
            assert_eq!(renderer.text(&alert.action), action, "{registry} {language:?}");
        }
        check(
            "2027-06-01",
            Language::English,
            "The registry says acme.dev, registered through Example Registrar, expires on 2027-06-01; the ledger says it renews on 2027-03-01.",
            "If the registry is right, set the renewal date of acme.dev to 2027-06-01.",
        );
        check(
            "2026-11-20",
            Language::English,
            "The registry says acme.dev, registered through Example Registrar, expired on 2026-11-20; the ledger says it renews on 2027-03-01.",
            "Renew acme.dev at its registrar now, or find out whether it lapsed or was moved to another registrar; \
             then set its renewal date to the new expiry the registry shows.",
        );
        check(
            "2027-06-01",
            Language::Thai,
            "นายทะเบียนระบุว่า acme.dev หมดอายุวันที่ 2027-06-01 (จดทะเบียนผ่าน Example Registrar) แต่ในบัญชีระบุว่าต่ออายุวันที่ 2027-03-01",
            "ถ้าข้อมูลนายทะเบียนถูกต้อง ให้ตั้งวันต่ออายุของ acme.dev เป็น 2027-06-01",
        );
        check(
            "2026-11-20",
            Language::Thai,
            "นายทะเบียนระบุว่า acme.dev หมดอายุแล้วเมื่อ 2026-11-20 (จดทะเบียนผ่าน Example Registrar) แต่ในบัญชีระบุว่าต่ออายุวันที่ 2027-03-01",
            "ต่ออายุ acme.dev กับผู้รับจดทะเบียนทันที หรือตรวจสอบว่าโดเมนหลุดไปแล้วหรือถูกย้ายไปอยู่กับผู้รับจดทะเบียนรายอื่น \
             จากนั้นจึงตั้งวันต่ออายุเป็นวันหมดอายุใหม่ที่นายทะเบียนแสดง",
        );
        // The registry is not the registrar: an answer naming none says nothing about one.
        let mut fixture = Fixture::new("2026-12-01");
        fixture.add("domain", "acme.dev", "12", "yearly", Some("2027-03-01"), false);
        let mut lookup = found_when("acme.dev", Some("2027-06-01T04:00:00Z"), &[], Some("2027-03-01"));
        if let Lookup::Found(registration) = &mut lookup.lookup {
            registration.registrar = None;
        }
        fixture.web.lookups = vec![lookup];
        let alerts = domain_alerts(&fixture.ledger());
        let alert = alerts.iter().find(|a| a.key.starts_with("registry_mismatch:")).expect("a mismatch");
        for (language, detail) in [
            (
                Language::English,
                "The registry says acme.dev expires on 2027-06-01; the ledger says it renews on 2027-03-01.",
            ),
            (Language::Thai, "นายทะเบียนระบุว่า acme.dev หมดอายุวันที่ 2027-06-01 แต่ในบัญชีระบุว่าต่ออายุวันที่ 2027-03-01"),
        ] {
            assert_eq!(Renderer::get(language, Flavor::Plain).text(&alert.detail), detail);
        }
    }
}
