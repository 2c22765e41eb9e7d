//! Use cases on websites and domains: monitor a site, check it, list sites with their health;
//! look domains up in their registries (RDAP) at most once a day, and fill in a new domain's
//! renewal date and registrar from its registry.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use serde_json::json;

use super::{App, Result};
use crate::analysis::website::{SiteHealth, site_health};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::item::{ItemChanges, Kind};
use crate::domain::site::{
    DEFAULT_INTERVAL_MINUTES, DomainLookup, Lookup, Probe, Site, SiteState, check_interval, domain_items, lookup_due,
};
use crate::domain::text::Label;
use crate::domain::workspace::WorkspaceId;
use crate::probe::rdap::{Bootstrap, RdapClient, RdapError, registrable_domain};
use crate::probe::site::{ProbeConfig, Prober, parse_site_url};
use crate::store::Removed;

/// The network behind website and domain health: the site prober and the RDAP client.
#[derive(Clone)]
pub struct Net {
    pub prober: Prober,
    /// `None`: no registry lookups (an offline machine, or tests).
    pub rdap: Option<RdapClient>,
}

impl Net {
    /// Probes under `config`; registry lookups routed by `bootstrap`, or none, under the same
    /// address policy (`config.allow_private`).
    pub fn new(config: ProbeConfig, bootstrap: Option<Bootstrap>) -> Net {
        let allow_private = config.allow_private;
        Net { prober: Prober::new(config), rdap: bootstrap.map(|b| RdapClient::new(Arc::new(b), allow_private)) }
    }
}

impl Default for Net {
    /// Public addresses only, and no registry lookups: `App::new` never reaches a registry
    /// unless it is given a `Net` that does (`jarvis` itself does, see `cli::net_from_env`).
    fn default() -> Self {
        Net::new(ProbeConfig::default(), None)
    }
}

/// The longest site address Jarvis monitors (pages and alerts show it whole).
const MAX_URL: usize = 300;
/// The longest keyword a site check looks for.
const MAX_KEYWORD: usize = 200;
/// Checks are kept this long (uptime looks 30 days back).
const KEEP_CHECKS: Duration = Duration::days(90);

/// Sites and their health.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SiteList {
    pub today: chrono::NaiveDate,
    pub sites: Vec<SiteHealth>,
}

/// A site after a change or a check, with what Jarvis did on its own.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SiteChanged {
    pub site: SiteHealth,
    pub notices: Vec<String>,
}

/// How users point at a site: `#3`, its URL, or its host name.
fn find_site<'a>(sites: &'a [Site], query: &str) -> Result<&'a Site, UserError> {
    let query = query.trim();
    if let Some(id) = query.strip_prefix('#').and_then(|id| id.parse::<i64>().ok()) {
        return sites.iter().find(|s| s.id == id).ok_or_else(|| UserError::NotFound {
            what: "site",
            query: query.to_string(),
            suggestions: Vec::new(),
        });
    }
    let normalised = parse_site_url(query).map(|u| u.to_string()).unwrap_or_else(|_| query.to_string());
    let host = |url: &str| url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let matches: Vec<&Site> = sites
        .iter()
        .filter(|s| s.url == normalised || host(&s.url).is_some_and(|h| h == query.to_ascii_lowercase()))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(UserError::NotFound {
            what: "site",
            query: query.to_string(),
            suggestions: crate::domain::error::close_matches(query, sites.iter().map(|s| s.url.as_str())),
        }),
        _ => Err(UserError::Conflict(format!(
            "`{query}` matches {} sites; give the whole URL or its number (#{})",
            matches.len(),
            matches[0].id
        ))),
    }
}

/// A site as typed, checked: its normalised URL, keyword and check interval (default 5 minutes).
/// Sites added by hand and sites restored from a backup go through the same rules, and the
/// command line checks them before it asks for anything (a bad URL is a bad argument).
pub fn site_fields<'a>(
    url: &str,
    keyword: Option<&'a str>,
    interval_minutes: Option<u32>,
) -> Result<(url::Url, Option<&'a str>, u32), UserError> {
    let url = parse_site_url(url).map_err(|e| UserError::invalid("site URL", url, e.to_string()))?;
    if url.as_str().chars().count() > MAX_URL {
        return Err(UserError::invalid(
            "site URL",
            url.as_str(),
            format!("use an address of at most {MAX_URL} characters (the page to check, without tracking parameters)"),
        ));
    }
    let keyword = keyword.map(str::trim).filter(|k| !k.is_empty());
    if let Some(keyword) = keyword
        && (keyword.chars().count() > MAX_KEYWORD || keyword.contains('\n'))
    {
        return Err(UserError::invalid(
            "keyword",
            keyword,
            format!("use one line of at most {MAX_KEYWORD} characters that the page should contain"),
        ));
    }
    let interval = check_interval(interval_minutes.unwrap_or(DEFAULT_INTERVAL_MINUTES))?;
    Ok((url, keyword, interval))
}

/// The refusal of a site added twice, worded for any front end (no command syntax of one).
fn already_monitored(url: &url::Url, site: &Site) -> UserError {
    let every = match site.interval_minutes {
        1 => "every minute".to_string(),
        minutes => format!("every {minutes} minutes"),
    };
    UserError::Conflict(format!(
        "{url} is already monitored (site #{}, checked {every}), so nothing changed; to change its keyword or interval, remove it and add it again",
        site.id
    ))
}

impl App {
    /// Website checks and RDAP lookups go through `net` (the default refuses private addresses
    /// and uses the bundled bootstrap).
    pub fn with_net(mut self, net: Net) -> App {
        self.net = Arc::new(net);
        self
    }

    /// Starts monitoring a site, checks it once, and looks its domain up.
    pub async fn add_site(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        url: &str,
        keyword: Option<&str>,
        interval_minutes: Option<u32>,
    ) -> Result<SiteChanged> {
        let (url, keyword, interval) = site_fields(url, keyword, interval_minutes)?;
        if let Some(site) = self.store.read().await?.sites(workspace).await?.iter().find(|s| s.url == url.as_str()) {
            return Err(already_monitored(&url, site).into());
        }
        // The first check before anything is written: an address Jarvis will not probe is refused
        // now, with the reason, rather than monitored into failures.
        let probe = self.net.prober.check(&url, keyword).await;
        if let Some(crate::domain::site::Failure::Refused { reason }) = &probe.failure {
            return Err(UserError::invalid("site URL", url.as_str(), reason.clone()).into());
        }
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        if let Some(site) = tx.sites(workspace).await?.iter().find(|s| s.url == url.as_str()) {
            return Err(already_monitored(&url, site).into());
        }
        let id = tx.insert_site(workspace, url.as_str(), keyword, interval, now).await?;
        let change = Change {
            action: "site.add",
            entity: "site",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(json!({ "url": url.as_str(), "keyword": keyword, "interval_minutes": interval })),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        self.record_probe(workspace, id, &probe).await?;
        let mut notices = Vec::new();
        if let Some(domain) = registrable_domain(url.as_str())
            && let Some((Lookup::NoService { tld }, _)) =
                self.lookup_domain(workspace, &domain, self.ledger_date_of(workspace, &domain).await?).await?
        {
            notices.push(format!(
                "There is no RDAP service for .{tld}, so {domain}'s expiry is unknown and the domain part of the score is left out"
            ));
        }
        Ok(SiteChanged { site: self.site_health(workspace, id).await?, notices })
    }

    /// Stops monitoring a site.
    pub async fn remove_site(&self, workspace: &WorkspaceId, actor: &Actor, query: &str) -> Result<SiteHealth> {
        let found = find_site(&self.store.read().await?.sites(workspace).await?, query)?.id;
        let health = self.site_health(workspace, found).await?;
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        if !tx.remove_site(workspace, health.id).await? {
            return Err(UserError::NotFound { what: "site", query: query.to_string(), suggestions: Vec::new() }.into());
        }
        let change = Change {
            action: "site.remove",
            entity: "site",
            entity_id: Some(health.id.to_string()),
            before: Some(
                json!({ "url": health.url, "keyword": health.keyword, "interval_minutes": health.interval_minutes }),
            ),
            after: None,
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(health)
    }

    /// The workspace's sites with their health.
    pub async fn sites(&self, workspace: &WorkspaceId) -> Result<SiteList> {
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let web = Self::load_web(&mut tx, workspace, self.now()).await?;
        let rules = settings.site_checks;
        let sites = web.sites.iter().map(|facts| site_health(facts, &web.lookups, rules, today)).collect();
        Ok(SiteList { today, sites })
    }

    /// The workspace's date.
    pub async fn today_in(&self, workspace: &WorkspaceId) -> Result<chrono::NaiveDate> {
        Ok(self.today(&self.store.read().await?.settings(workspace).await?))
    }

    async fn site_health(&self, workspace: &WorkspaceId, id: i64) -> Result<SiteHealth> {
        let list = self.sites(workspace).await?;
        Ok(list.sites.into_iter().find(|s| s.id == id).ok_or_else(|| anyhow::anyhow!("site #{id} vanished"))?)
    }

    /// Sites to choose from (autocomplete): URLs, best match first.
    pub async fn site_choices(&self, workspace: &WorkspaceId, typed: &str) -> Result<Vec<(i64, String)>> {
        let sites = self.store.read().await?.sites(workspace).await?;
        let typed = typed.trim().to_lowercase();
        let mut found: Vec<(i64, String)> =
            sites.into_iter().filter(|s| s.url.to_lowercase().contains(&typed)).map(|s| (s.id, s.url)).collect();
        found.sort_by_key(|(_, url)| (!url.to_lowercase().contains(&format!("//{typed}")), url.len()));
        found.truncate(25);
        Ok(found)
    }

    /// Checks the workspace's sites now (or the one `query` names), and looks their domains up
    /// when a day has passed.
    pub async fn check_sites_now(&self, workspace: &WorkspaceId, query: Option<&str>) -> Result<SiteList> {
        let sites = self.store.read().await?.sites(workspace).await?;
        let chosen: Vec<&Site> = match query {
            Some(query) => vec![find_site(&sites, query)?],
            None => sites.iter().collect(),
        };
        if chosen.is_empty() {
            return Err(UserError::Missing("No site is monitored yet; add one first".into()).into());
        }
        let checks = chosen.iter().map(|site| self.check_site(workspace, site.id));
        for outcome in futures_util::future::join_all(checks).await {
            outcome?;
        }
        // The registry is asked about the checked sites' domains only, when due.
        let domains: Vec<String> = chosen.iter().filter_map(|site| registrable_domain(&site.url)).collect();
        self.refresh_lookups(workspace, Some(&domains)).await?;
        let mut list = self.sites(workspace).await?;
        if query.is_some() {
            list.sites.retain(|s| chosen.iter().any(|c| c.id == s.id));
        }
        Ok(list)
    }

    /// Checks site `id` once and records the outcome; the probe.
    async fn check_site(&self, workspace: &WorkspaceId, id: i64) -> Result<Probe> {
        let site = self.store.read().await?.sites(workspace).await?.into_iter().find(|s| s.id == id);
        let Some(site) = site else { return Err(anyhow::anyhow!("site #{id} vanished").into()) };
        let url = url::Url::parse(&site.url).map_err(|e| anyhow::anyhow!("stored site URL {}: {e}", site.url))?;
        let probe = self.net.prober.check(&url, site.keyword.as_deref()).await;
        self.record_probe(workspace, id, &probe).await?;
        Ok(probe)
    }

    /// Records a check: the streak moves on under the workspace's hysteresis. A change of state
    /// counts as a change to the ledger, so alerts follow at once.
    pub async fn record_probe(&self, workspace: &WorkspaceId, id: i64, probe: &Probe) -> Result<SiteState> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let settings = tx.settings(workspace).await?;
        let Some(site) = tx.sites(workspace).await?.into_iter().find(|s| s.id == id) else {
            // Removed while it was being checked.
            return Ok(SiteState::Unknown);
        };
        let streak = site.streak.after(probe.succeeded(), settings.site_checks);
        let changed = streak.state != site.streak.state;
        let since = if changed { Some(now) } else { site.state_since };
        tx.record_check(workspace, id, probe, streak, since, now).await?;
        let certificate_changed = site.last_probe.as_ref().map(|p| &p.tls) != Some(&probe.tls);
        // A new state or certificate is a ledger change (alerts follow at once); any check is a
        // reading that views show.
        tx.count_commit_in(if changed || certificate_changed { self.changes.clone() } else { self.readings.clone() });
        tx.commit().await?;
        Ok(streak.state)
    }

    /// Checks every workspace's sites that are due; how many were checked. Checks run
    /// concurrently (the prober bounds how many at once) and each has its own timeout, so a slow
    /// site holds up nothing but itself.
    pub async fn run_due_checks(&self) -> Result<usize> {
        let now = self.now();
        let due: Vec<(WorkspaceId, Site)> =
            self.store.read().await?.all_sites().await?.into_iter().filter(|(_, s)| s.due(now)).collect();
        let checks = due.iter().map(|(workspace, site)| self.check_site(workspace, site.id));
        let mut checked = 0;
        for outcome in futures_util::future::join_all(checks).await {
            match outcome {
                Ok(_) => checked += 1,
                Err(error) => tracing::error!("could not record a site check: {error:#}"),
            }
        }
        Ok(checked)
    }

    /// Looks up every workspace's domains (domain items and sites') not looked up for a day.
    pub async fn run_due_lookups(&self) -> Result<usize> {
        let workspaces = self.store.read().await?.workspace_ids().await?;
        let mut looked_up = 0;
        for workspace in workspaces {
            match self.refresh_lookups(&workspace, None).await {
                Ok(count) => looked_up += count,
                Err(error) => tracing::error!(%workspace, "could not look domains up: {error:#}"),
            }
        }
        Ok(looked_up)
    }

    /// Forgets site checks older than 90 days.
    pub async fn prune_site_checks(&self) -> Result<u64> {
        let mut tx = self.store.write().await?;
        let pruned = tx.prune_site_checks(self.now() - KEEP_CHECKS).await?;
        tx.count_commit_in(self.readings.clone());
        tx.commit().await?;
        Ok(pruned)
    }

    /// The registrable domains the workspace cares about (its live domain items and its sites),
    /// each with the renewal date its domain item has in the ledger.
    async fn watched_domains(&self, workspace: &WorkspaceId) -> Result<Vec<(String, Option<NaiveDate>)>> {
        let mut tx = self.store.read().await?;
        let items = tx.items(workspace, Removed::Excluded).await?;
        let mut domains: Vec<(String, Option<NaiveDate>)> =
            domain_items(&items).into_iter().map(|(domain, item)| (domain, item.renewal.map(|r| r.date))).collect();
        for site in tx.sites(workspace).await? {
            if let Some(domain) = registrable_domain(&site.url)
                && !domains.iter().any(|(d, _)| *d == domain)
            {
                domains.push((domain, None));
            }
        }
        Ok(domains)
    }

    /// Looks up the workspace's due domains (or only `only`'s), and forgets lookups of domains
    /// nobody watches any more; how many were looked up.
    async fn refresh_lookups(&self, workspace: &WorkspaceId, only: Option<&[String]>) -> Result<usize> {
        let now = self.now();
        let watched = self.watched_domains(workspace).await?;
        let names: Vec<String> = watched.iter().map(|(d, _)| d.clone()).collect();
        let mut remembered = self.store.read().await?.domain_lookups(workspace).await?;
        let forget_before = now - Duration::hours(1);
        if remembered.iter().any(|l| !names.contains(&l.domain) && l.looked_up_at < forget_before) {
            let mut tx = self.store.write().await?;
            tx.forget_domain_lookups(workspace, &names, forget_before).await?;
            tx.count_commit_in(self.readings.clone());
            tx.commit().await?;
            remembered.retain(|l| names.contains(&l.domain));
        }
        let mut looked_up = 0;
        for (domain, ledger_date) in watched {
            let last = remembered.iter().find(|l| l.domain == domain);
            if only.is_some_and(|only| !only.contains(&domain)) || !lookup_due(last, ledger_date, now) {
                continue;
            }
            if let Some((_, true)) = self.ask_registry(workspace, &domain, ledger_date, last.cloned()).await? {
                looked_up += 1;
            }
        }
        Ok(looked_up)
    }

    /// What the registry says about `domain`: asked now when due (see [`lookup_due`]), else as
    /// remembered; whether it was asked now. `None` for a name no registry holds, or when
    /// lookups are off. A failed lookup keeps what the registry said before.
    async fn lookup_domain(
        &self,
        workspace: &WorkspaceId,
        domain: &str,
        ledger_date: Option<NaiveDate>,
    ) -> Result<Option<(Lookup, bool)>> {
        let now = self.now();
        let last = self.store.read().await?.domain_lookups(workspace).await?.into_iter().find(|l| l.domain == domain);
        if let Some(last) = last.as_ref().filter(|l| !lookup_due(Some(l), ledger_date, now)) {
            return Ok(Some((last.lookup.clone(), false)));
        }
        self.ask_registry(workspace, domain, ledger_date, last).await
    }

    /// Asks the registry about `domain` now and remembers the answer (a failure keeps what the
    /// registry said before, from `last`); `None` when lookups are off or the name has none.
    async fn ask_registry(
        &self,
        workspace: &WorkspaceId,
        domain: &str,
        ledger_date: Option<NaiveDate>,
        last: Option<DomainLookup>,
    ) -> Result<Option<(Lookup, bool)>> {
        let Some(rdap) = &self.net.rdap else { return Ok(None) };
        let lookup = match rdap.lookup(domain).await {
            Ok(registration) => Lookup::Found(registration),
            Err(RdapError::NoService { tld }) => Lookup::NoService { tld },
            Err(RdapError::NotFound { .. }) => Lookup::NotFound,
            Err(RdapError::NotADomain { .. }) => return Ok(None),
            // What the registry said stands, unless it was said about another ledger date.
            Err(error) => Lookup::Failed {
                error: error.to_string(),
                previous: last
                    .as_ref()
                    .filter(|l| l.ledger_date == ledger_date)
                    .and_then(|l| l.lookup.registration().cloned()),
            },
        };
        // Counted as a change: a new registry date matters to alerts.
        let mut tx = self.write(workspace).await?;
        let record =
            DomainLookup { domain: domain.to_string(), looked_up_at: self.now(), lookup: lookup.clone(), ledger_date };
        tx.save_domain_lookup(workspace, &record).await?;
        tx.commit().await?;
        Ok(Some((lookup, true)))
    }

    /// The renewal date the ledger has for `domain` (its domain item's), if any.
    async fn ledger_date_of(&self, workspace: &WorkspaceId, domain: &str) -> Result<Option<NaiveDate>> {
        Ok(self.watched_domains(workspace).await?.into_iter().find(|(d, _)| d == domain).and_then(|(_, date)| date))
    }

    /// Remembers that the ledger's date for `domain` is `date` as of its last lookup.
    async fn note_ledger_date(&self, workspace: &WorkspaceId, domain: &str, date: NaiveDate) -> Result<()> {
        let mut tx = self.store.write().await?;
        let last = tx.domain_lookups(workspace).await?.into_iter().find(|l| l.domain == domain);
        if let Some(last) = last {
            tx.save_domain_lookup(workspace, &DomainLookup { ledger_date: Some(date), ..last }).await?;
        }
        tx.count_commit_in(self.readings.clone());
        tx.commit().await?;
        Ok(())
    }

    /// Fills a new domain's missing renewal date and registrar from its registry, saying so.
    /// Anything the admin typed stands; a registry that cannot say leaves the fields empty.
    pub(super) async fn fill_from_registry(
        &self,
        workspace: &WorkspaceId,
        kind: Kind,
        changes: &ItemChanges,
    ) -> Result<(ItemChanges, Vec<String>)> {
        let wants_date = changes.renewal_date.flatten().is_none();
        let wants_registrar = changes.registrar.clone().flatten().is_none();
        let name = changes.name.as_ref().map(|n| n.as_str().to_string());
        let (Kind::Domain, true, Some(name)) = (kind, wants_date || wants_registrar, name) else {
            return Ok((changes.clone(), Vec::new()));
        };
        let Some(domain) = registrable_domain(&name) else { return Ok((changes.clone(), Vec::new())) };
        let mut filled = changes.clone();
        let mut notices = Vec::new();
        let ledger_date = self.ledger_date_of(workspace, &domain).await?;
        match self.lookup_domain(workspace, &domain, ledger_date).await?.map(|(lookup, _)| lookup) {
            Some(Lookup::Found(registration)) => {
                let today = self.today(&self.store.read().await?.settings(workspace).await?);
                // Where a filled-in value came from, and whether anyone on the path could have
                // written it.
                let cited = format!(
                    "{}{}",
                    registration.source,
                    if registration.unencrypted() { "; plain http, not encrypted: check it at the registrar" } else { "" }
                );
                if let Some(expires) = registration.expires.map(|e| e.date_naive()).filter(|_| wants_date) {
                    if expires >= today {
                        filled.renewal_date = Some(Some(expires));
                        // The lookup now matches the ledger's date (when this item is the one
                        // that speaks for the domain): not stale.
                        if ledger_date.is_none() || name.eq_ignore_ascii_case(&domain) {
                            self.note_ledger_date(workspace, &domain, expires).await?;
                        }
                        notices.push(format!("Renewal date {expires} filled in from the registry ({cited})"));
                    } else {
                        notices.push(format!(
                            "The registry says {domain} expired on {expires}, so the renewal date is left empty for you to check"
                        ));
                    }
                }
                if let Some(registrar) = registration.registrar.as_deref().filter(|_| wants_registrar)
                    && let Ok(label) = Label::parse("registrar", registrar)
                {
                    filled.registrar = Some(Some(label));
                    notices.push(format!("Registrar {registrar} filled in from the registry ({cited})"));
                }
                if wants_date && registration.expires.is_none() {
                    notices.push(format!("The registry gives no expiry date for {domain}; set the renewal date by hand"));
                }
            }
            Some(Lookup::NoService { tld }) => notices.push(format!(
                "There is no RDAP service for .{tld}, so the renewal date and registrar could not be looked up; set them with edit"
            )),
            Some(Lookup::NotFound) => notices.push(format!("The registry does not know {domain}; check the name")),
            Some(Lookup::Failed { error, .. }) => {
                notices.push(format!("The registry lookup failed ({error}); set the renewal date and registrar by hand"))
            }
            None => {}
        }
        Ok((filled, notices))
    }
}
