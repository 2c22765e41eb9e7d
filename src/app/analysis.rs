//! Use cases of the analysis: dashboard, trends, alerts, the Jarvis report, and budgets.
//!
//! Each loads the workspace's ledger in one read transaction and hands it to the pure
//! `analysis` core.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use serde::Serialize;
use serde_json::json;

use super::{App, Result};
use crate::analysis::alerts::{Alert, alerts};
use crate::analysis::dashboard::{Dashboard, RENEWAL_DAYS, TREND_MONTHS, Trends, dashboard, trends};
use crate::analysis::report::{Report, report};
use crate::analysis::spend::{Spend, spend};
use crate::analysis::{Ledger, Settled, covered_days, run_rates, settle_all};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::budget::{Budget, BudgetScope, Thresholds};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::item::Category;
use crate::domain::money::{Currency, Money};
use crate::domain::page::{Noun, PageInfo, PageRequest};
use crate::domain::rates::RateBook;
use crate::domain::summary::RunRates;
use crate::domain::workspace::{Language, Settings, WorkspaceId};

/// Most months `trends` looks back.
pub const MAX_TREND_MONTHS: u32 = 60;
pub(super) use crate::analysis::RUN_RATE_MONTHS;
/// Months of history alerts (unusual spend) look at.
const ALERT_MONTHS: u32 = 13;

/// What analysis derives from a workspace at one version on one day: items as the jobs would
/// leave them, what they would record, run-rates, and spend by window. Every write that changes
/// what analysis reads (items, records, rates, settings, budgets) moves the version, so a later
/// read of the same version and day reuses it (see [`PreparedCache`]).
pub(super) struct Prepared {
    key: PreparedKey,
    pub(super) settings: Settings,
    pub(super) today: NaiveDate,
    /// Items as the jobs would leave them today, and what they would record.
    pub(super) settled: Settled,
    /// The read model's items and roll-ups.
    pub(super) snapshot: Arc<super::read_model::Snapshot>,
    pub(super) rates: RateBook,
    pub(super) budgets: Vec<Budget>,
    pub(super) run_rates: RunRates,
    /// Spend by months back, computed on first use.
    spends: Mutex<Vec<(u32, Arc<Spend>)>>,
    /// The alerts last found, with the months back and the sites and domains they were found
    /// with (these change between versions, as checks and lookups come in).
    alerts: Mutex<Option<AlertsMemo>>,
    /// The report last made, with the sites and domains it was made with (a page asked for
    /// again and again, by the web pages, is made once per version, day and site facts).
    report: Mutex<Option<(crate::analysis::website::Web, Arc<Report>)>>,
}

/// A workspace's read-model epoch and version, and its day: what it was seen at.
pub(super) type Seen = ((i64, i64), NaiveDate);

/// Alerts found for a workspace when it was seen at a version and day, with the sites and domains
/// they were found with.
pub(super) type AlertsFound = (Seen, crate::analysis::website::Web, Arc<Vec<Alert>>);

/// Alerts found over some months back, with the sites and domains they were found with.
type AlertsMemo = (u32, crate::analysis::website::Web, Arc<Vec<Alert>>);

/// A workspace's read-model epoch and version, its date, and the first day of the window.
type PreparedKey = (i64, i64, NaiveDate, NaiveDate);

/// Prepared analyses, least recently used first; at most [`PREPARED_HELD`] entries, each a
/// workspace and window.
pub(super) struct PreparedCache {
    held: Mutex<Vec<(WorkspaceId, Arc<Prepared>)>>,
    /// One analysis read per workspace at a time (see [`PreparedCache::turn`]): a read arriving
    /// while the workspace is prepared waits and takes the result instead of working it out again.
    turns: Mutex<HashMap<WorkspaceId, Arc<tokio::sync::Mutex<()>>>>,
    /// At most as many workspaces worked out at once as there are cores (see
    /// [`PreparedCache::working`]).
    working: tokio::sync::Semaphore,
}

impl Default for PreparedCache {
    fn default() -> PreparedCache {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        PreparedCache { held: Mutex::default(), turns: Mutex::default(), working: tokio::sync::Semaphore::new(cores) }
    }
}

/// Prepared analyses held at once (a workspace has up to three windows in use).
const PREPARED_HELD: usize = 24;

impl PreparedCache {
    fn get(&self, workspace: &WorkspaceId, key: PreparedKey) -> Option<Arc<Prepared>> {
        let mut held = self.held.lock().expect("the analysis lock is never poisoned");
        let at = held.iter().position(|(w, p)| w == workspace && p.key == key)?;
        let entry = held.remove(at);
        let prepared = Arc::clone(&entry.1);
        held.push(entry);
        Some(prepared)
    }

    /// Waits for the workspace's turn: taken before a read transaction opens, so a read waiting
    /// for another's preparation holds no database connection meanwhile.
    pub(super) async fn turn(&self, workspace: &WorkspaceId) -> tokio::sync::OwnedMutexGuard<()> {
        let turn = {
            let mut turns = self.turns.lock().expect("the analysis lock is never poisoned");
            Arc::clone(turns.entry(workspace.clone()).or_default())
        };
        turn.lock_owned().await
    }

    /// Waits until fewer workspaces than there are cores are being worked out. Working out more
    /// at once would not finish any sooner, only share the cores, and starve the bot's interaction
    /// callbacks of them (many servers opening their dashboards after a start, say).
    async fn working(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.working.acquire().await.expect("the semaphore is never closed")
    }

    fn put(&self, workspace: &WorkspaceId, prepared: Arc<Prepared>) {
        let mut held = self.held.lock().expect("the analysis lock is never poisoned");
        // Another version of the same window is of no more use.
        held.retain(|(w, p)| !(w == workspace && p.key.3 == prepared.key.3));
        held.push((workspace.clone(), prepared));
        if held.len() > PREPARED_HELD {
            held.remove(0);
        }
    }
}

impl Prepared {
    /// Spend over `months_back` completed months, computed once.
    fn spend(&self, web: &crate::analysis::website::Web, months_back: u32) -> Arc<Spend> {
        if let Some((_, spend)) =
            self.spends.lock().expect("the spend lock is never poisoned").iter().find(|(m, _)| *m == months_back)
        {
            return Arc::clone(spend);
        }
        let spend = Arc::new(crate::blocking(|| spend(&self.ledger(web), months_back)));
        self.spends.lock().expect("the spend lock is never poisoned").push((months_back, Arc::clone(&spend)));
        spend
    }

    fn ledger<'a>(&'a self, web: &'a crate::analysis::website::Web) -> Ledger<'a> {
        Ledger {
            today: self.today,
            settings: &self.settings,
            items: &self.settled.items,
            rollups: &self.snapshot.rollups,
            pending: &self.settled.pending,
            rates: &self.rates,
            budgets: &self.budgets,
            web,
            run_rates: &self.run_rates,
        }
    }
}

/// A workspace's ledger, loaded: what is prepared, and its sites and domains as they are now.
struct Loaded {
    prepared: Arc<Prepared>,
    web: crate::analysis::website::Web,
}

impl std::ops::Deref for Loaded {
    type Target = Prepared;
    fn deref(&self) -> &Prepared {
        &self.prepared
    }
}

impl Loaded {
    fn ledger(&self) -> Ledger<'_> {
        self.prepared.ledger(&self.web)
    }

    fn spend(&self, months_back: u32) -> Arc<Spend> {
        self.prepared.spend(&self.web, months_back)
    }
}

/// The alerts, with the workspace's date.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AlertList {
    pub today: NaiveDate,
    pub alerts: Vec<Alert>,
    pub counts: crate::analysis::dashboard::AlertCounts,
}

/// A page of the renewals coming up.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RenewalList {
    pub today: NaiveDate,
    pub days: u32,
    pub base_currency: Currency,
    /// This page's renewals, soonest first.
    pub renewals: Vec<crate::analysis::dashboard::UpcomingRenewal>,
    /// Which page this is, of how many, and how many renewals there are in all.
    pub paging: PageInfo,
}

/// The renewals in a range of days (a month of the calendar, a year of the feed).
#[derive(Clone, Debug, Serialize)]
pub struct RenewalCalendar {
    pub today: NaiveDate,
    pub range: DateRange,
    pub base_currency: Currency,
    /// The workspace's renewal reminders (days before), for the feed's alarms.
    pub lead_times: crate::domain::workspace::LeadTimes,
    /// Items' own reminders, where they have them, by item id.
    #[serde(skip)]
    pub own_lead_times: HashMap<i64, crate::domain::workspace::LeadTimes>,
    pub renewals: Vec<crate::analysis::dashboard::UpcomingRenewal>,
}

impl RenewalCalendar {
    /// The reminders of item `id`'s renewals: its own, else the workspace's.
    pub fn lead_times_of(&self, id: i64) -> &crate::domain::workspace::LeadTimes {
        self.own_lead_times.get(&id).unwrap_or(&self.lead_times)
    }
}

/// A budget as listed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetView {
    pub scope: BudgetScope,
    pub amount: Money,
    pub thresholds: Thresholds,
}

impl From<&Budget> for BudgetView {
    fn from(b: &Budget) -> Self {
        BudgetView { scope: b.scope, amount: b.amount, thresholds: b.thresholds.clone() }
    }
}

/// Budgets and how this month is going against them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetList {
    pub today: NaiveDate,
    pub base_currency: Currency,
    pub budgets: Vec<BudgetView>,
    pub checks: Vec<crate::analysis::alerts::BudgetCheck>,
}

/// The first day analysis looks at: the 1st of the month `months_back` before today's.
pub(super) fn window_start(today: NaiveDate, months_back: u32) -> NaiveDate {
    Month::of(today).plus(-(months_back as i32)).first_day()
}

impl App {
    /// The workspace's language, for rendering.
    pub async fn language(&self, workspace: &WorkspaceId) -> Result<Language> {
        Ok(self.store.read().await?.settings(workspace).await?.language)
    }

    /// Loads everything the analysis needs, with cost history from `months_back` months before
    /// the current one: prepared once per workspace version and day (see [`Prepared`]), the
    /// sites and domains afresh.
    async fn load(&self, workspace: &WorkspaceId, months_back: u32) -> Result<Loaded> {
        let _turn = self.prepared.turn(workspace).await;
        let mut tx = self.store.read().await?;
        let prepared = self.prepare(&mut tx, workspace, months_back).await?;
        let web = Self::load_web(&mut tx, workspace, self.now()).await?;
        Ok(Loaded { prepared, web })
    }

    /// The workspace prepared for analysis with cost history from `months_back` months before
    /// the current one (see [`Prepared`]), from the copy kept for its version and day if there
    /// is one.
    pub(super) async fn prepare(
        &self,
        tx: &mut crate::store::Tx,
        workspace: &WorkspaceId,
        months_back: u32,
    ) -> Result<Arc<Prepared>> {
        let settings = tx.settings(workspace).await?;
        self.prepare_with(tx, workspace, settings, months_back).await
    }

    /// [`App::prepare`] with the workspace's settings already read in `tx`.
    pub(super) async fn prepare_with(
        &self,
        tx: &mut crate::store::Tx,
        workspace: &WorkspaceId,
        settings: Settings,
        months_back: u32,
    ) -> Result<Arc<Prepared>> {
        let today = self.today(&settings);
        // Run-rates look at usage-billed items' previous cycle, which may start two months back.
        let from = window_start(today, months_back.max(RUN_RATE_MONTHS));
        let (epoch, version) = tx.read_model_version(workspace).await?;
        let key = (epoch, version, today, from);
        // Inside a write, what is read may not be committed: worked out afresh and not kept.
        let keep = !tx.writes();
        if keep && let Some(prepared) = self.prepared.get(workspace, key) {
            return Ok(prepared);
        }
        let _working = self.prepared.working().await;

        let (snapshot, settled) = self.settled(tx, workspace, &settings, today, from).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let prepared = Arc::new(Prepared {
            key,
            run_rates: crate::blocking(|| {
                run_rates(&settled.items, &snapshot.rollups, &settled.pending, &rates, today)
            }),
            settled,
            snapshot,
            rates,
            budgets: tx.budgets(workspace).await?,
            settings,
            today,
            spends: Mutex::default(),
            alerts: Mutex::default(),
            report: Mutex::default(),
        });
        if keep {
            self.prepared.put(workspace, Arc::clone(&prepared));
        }
        Ok(prepared)
    }

    /// The read model from `from` on (and a year ahead), with every item as the jobs would leave
    /// it today and what they would record (see [`settle_all`]). Completed months before the
    /// last [`RUN_RATE_MONTHS`] are read as their converted totals (see
    /// [`crate::domain::rollup::Converted`]): only the months run-rates and the current month
    /// need are read segment by segment.
    pub(super) async fn settled(
        &self,
        tx: &mut crate::store::Tx,
        workspace: &WorkspaceId,
        settings: &Settings,
        today: NaiveDate,
        from: NaiveDate,
    ) -> Result<(std::sync::Arc<super::read_model::Snapshot>, Settled)> {
        use chrono::Datelike as _;
        let until = today + chrono::Duration::days(crate::analysis::spend::CYCLE_AHEAD_DAYS);
        let segments_from = Month::of(today).plus(-(RUN_RATE_MONTHS as i32));
        let detail = crate::store::Detail::SegmentsFrom(segments_from, settings.base_currency);
        // Usage still to bill is spread from its cycle's start, which may be older than `from`.
        let covered_from = |items: &[crate::domain::item::Item]| {
            items
                .iter()
                .filter(|i| i.removed_at.is_none() && i.period.bills_in_arrears())
                .map(|i| i.billed_from)
                .fold(from, NaiveDate::min)
        };
        let years = |items: &[crate::domain::item::Item]| (covered_from(items).year(), until.year());
        let snapshot = self.snapshot(tx, workspace, &years, detail).await?;
        let covered_from = covered_from(&snapshot.items);
        let settled = crate::blocking(|| {
            let covered = covered_days(&snapshot.rollups, DateRange { start: covered_from, end: until });
            settle_all(snapshot.items.clone(), today, &covered, from)
        });
        Ok((snapshot, settled))
    }

    /// The workspace's sites with their uptime and response times, and its domain lookups.
    pub(super) async fn load_web(
        tx: &mut crate::store::Tx,
        workspace: &WorkspaceId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::analysis::website::Web> {
        use chrono::Duration;
        let sites = tx.sites(workspace).await?;
        // Two queries for all the sites and windows (none when there are no sites).
        let day = now - Duration::hours(24);
        let (mut times, uptimes) = if sites.is_empty() {
            Default::default()
        } else {
            (
                tx.response_times(workspace, day).await?,
                tx.uptimes(workspace, [day, now - Duration::days(7), now - Duration::days(30)]).await?,
            )
        };
        let sites = sites
            .into_iter()
            .map(|site| {
                let [uptime_24h, uptime_7d, uptime_30d] = uptimes.get(&site.id).copied().unwrap_or_default();
                crate::analysis::website::SiteFacts {
                    domain: crate::probe::rdap::registrable_domain(&site.url),
                    uptime_24h,
                    uptime_7d,
                    uptime_30d,
                    median_ttfb_ms: crate::domain::site::median(
                        times.get_mut(&site.id).map_or(&mut [][..], |t| &mut t[..]),
                    ),
                    site,
                }
            })
            .collect();
        // Pulls that keep failing, once worth an alert.
        let failing_pulls = tx
            .connections(workspace)
            .await?
            .into_iter()
            .filter_map(|c| {
                let since = c.failing_since?;
                c.failure?.worth_reporting(since, now).then(|| crate::analysis::website::FailingPull {
                    item_id: c.item_id,
                    provider: c.vendor.title().to_string(),
                    message: c.failure_message.unwrap_or_default(),
                    since,
                })
            })
            .collect();
        Ok(crate::analysis::website::Web { sites, lookups: tx.domain_lookups(workspace).await?, failing_pulls })
    }

    /// Spend over `months_back` months and the alerts, each worked out once for the same
    /// prepared ledger (and, for alerts, the same sites and domains).
    fn analyse(loaded: &Loaded, months_back: u32) -> (Arc<Spend>, Vec<Alert>) {
        let spend = loaded.spend(months_back);
        let mut memo = loaded.prepared.alerts.lock().expect("the alerts lock is never poisoned");
        if let Some((months, web, found)) = memo.as_ref()
            && *months == months_back
            && *web == loaded.web
        {
            return (spend, found.as_ref().clone());
        }
        let found = crate::blocking(|| alerts(&loaded.ledger(), &spend));
        *memo = Some((months_back, loaded.web.clone(), Arc::new(found.clone())));
        (spend, found)
    }

    /// The dashboard, with renewals in the next `renewal_days` days (default 30).
    pub async fn dashboard(&self, workspace: &WorkspaceId, renewal_days: Option<u32>) -> Result<Dashboard> {
        Ok(self.dashboard_and_trends(workspace, renewal_days).await?.0)
    }

    /// The dashboard and the default trends from one read of the ledger: what a dashboard with
    /// its chart needs.
    pub async fn dashboard_and_trends(
        &self,
        workspace: &WorkspaceId,
        renewal_days: Option<u32>,
    ) -> Result<(Dashboard, Trends)> {
        let loaded = self.load(workspace, ALERT_MONTHS).await?;
        let (spend, found) = Self::analyse(&loaded, ALERT_MONTHS);
        let ledger = loaded.ledger();
        let trends = trends(&ledger, &spend, TREND_MONTHS as usize, None);
        let mut dashboard = dashboard(&ledger, &spend, found, renewal_days.unwrap_or(RENEWAL_DAYS));
        dashboard.ai_providers = self.ai_lines(workspace).await?;
        Ok((dashboard, trends))
    }

    /// Monthly actuals over the last `months` completed months (default 12), this month so far
    /// with its projection, and the forecast; all spending or one category.
    pub async fn trends(
        &self,
        workspace: &WorkspaceId,
        months: Option<u32>,
        category: Option<Category>,
    ) -> Result<Trends> {
        let months = months.unwrap_or(TREND_MONTHS);
        if !(1..=MAX_TREND_MONTHS).contains(&months) {
            return Err(UserError::invalid(
                "months",
                months.to_string(),
                format!("give 1 to {MAX_TREND_MONTHS} months"),
            )
            .into());
        }
        // The forecast is fitted on a year at least, whatever is shown.
        let window = months.max(TREND_MONTHS);
        let loaded = self.load(workspace, window).await?;
        let spend = loaded.spend(window);
        Ok(trends(&loaded.ledger(), &spend, months as usize, category))
    }

    /// A page of the renewals in the next `days` days (default 30), soonest first (then by
    /// item name and id).
    pub async fn renewals(&self, workspace: &WorkspaceId, days: Option<u32>, page: PageRequest) -> Result<RenewalList> {
        let turn = self.prepared.turn(workspace).await;
        let loaded = self.prepare(&mut self.store.read().await?, workspace, 0).await?;
        drop(turn);
        let days = days.unwrap_or(RENEWAL_DAYS);
        let all = crate::analysis::dashboard::upcoming_renewals(&loaded.ledger(&Default::default()), days);
        let (renewals, paging) = page.take(all, Noun::RENEWALS)?;
        Ok(RenewalList { today: loaded.today, days, base_currency: loaded.settings.base_currency, renewals, paging })
    }

    /// Every renewal (and expiry) in `range`, soonest first: each cycle of auto-renewing items
    /// (the renewal calendar and its iCalendar feed).
    pub async fn renewals_between(&self, workspace: &WorkspaceId, range: DateRange) -> Result<RenewalCalendar> {
        let turn = self.prepared.turn(workspace).await;
        let loaded = self.prepare(&mut self.store.read().await?, workspace, 0).await?;
        drop(turn);
        let web = Default::default();
        let ledger = loaded.ledger(&web);
        let renewals = crate::analysis::dashboard::renewals_in(&ledger, range);
        let own_lead_times = ledger.live_items().filter_map(|item| Some((item.id, item.lead_times.clone()?))).collect();
        Ok(RenewalCalendar {
            today: loaded.today,
            range,
            base_currency: loaded.settings.base_currency,
            lead_times: loaded.settings.lead_times.clone(),
            own_lead_times,
            renewals,
        })
    }

    /// Every alert, most severe first. The alerts last found for each workspace are kept with
    /// what they were found from (version, day, sites and domains), so evaluating many
    /// workspaces' alerts again and again costs a few queries each until one of those moves.
    pub async fn alerts(&self, workspace: &WorkspaceId) -> Result<AlertList> {
        let _turn = self.prepared.turn(workspace).await;
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        self.alerts_in(&mut tx, workspace, settings).await
    }

    /// [`App::alerts`] in a read transaction the caller holds, with the workspace's turn taken
    /// and its settings read.
    pub(super) async fn alerts_in(
        &self,
        tx: &mut crate::store::Tx,
        workspace: &WorkspaceId,
        settings: Settings,
    ) -> Result<AlertList> {
        let today = self.today(&settings);
        let key = (tx.read_model_version(workspace).await?, today);
        let web = Self::load_web(tx, workspace, self.now()).await?;
        let kept = self
            .alerts_found
            .lock()
            .expect("the alerts lock is never poisoned")
            .get(workspace)
            .and_then(|(at, seen, found)| (*at == key && *seen == web).then(|| found.as_ref().clone()));
        let found = match kept {
            Some(found) => found,
            None => {
                let prepared = self.prepare_with(tx, workspace, settings, ALERT_MONTHS).await?;
                let loaded = Loaded { prepared, web };
                let (_, found) = Self::analyse(&loaded, ALERT_MONTHS);
                let entry = (key, loaded.web, Arc::new(found.clone()));
                self.alerts_found.lock().expect("the alerts lock is never poisoned").insert(workspace.clone(), entry);
                found
            }
        };
        Ok(AlertList { today, counts: crate::analysis::dashboard::AlertCounts::of(&found), alerts: found })
    }

    /// The Jarvis report.
    pub async fn report(&self, workspace: &WorkspaceId) -> Result<Report> {
        let mut made = self.report_alone(workspace).await?;
        made.ai_providers = self.ai_lines(workspace).await?;
        Ok(made)
    }

    /// [`App::report`] without the AI providers' lines (kept with the prepared analysis).
    async fn report_alone(&self, workspace: &WorkspaceId) -> Result<Report> {
        let loaded = self.load(workspace, ALERT_MONTHS).await?;
        if let Some((web, made)) = loaded.prepared.report.lock().expect("the report lock is never poisoned").as_ref()
            && *web == loaded.web
        {
            return Ok(made.as_ref().clone());
        }
        let (spend, found) = Self::analyse(&loaded, ALERT_MONTHS);
        let made = crate::blocking(|| report(&loaded.ledger(), &spend, &found));
        *loaded.prepared.report.lock().expect("the report lock is never poisoned") =
            Some((loaded.web.clone(), Arc::new(made.clone())));
        Ok(made)
    }

    /// The budgets, and this month against them.
    pub async fn budgets(&self, workspace: &WorkspaceId) -> Result<BudgetList> {
        // Last month too: an unread meter is projected from it.
        let loaded = self.load(workspace, 1).await?;
        let ledger = loaded.ledger();
        let spend = loaded.spend(1);
        let checks =
            crate::analysis::alerts::check_budgets(&ledger, &spend).into_iter().filter_map(|c| c.ok()).collect();
        Ok(BudgetList {
            today: loaded.today,
            base_currency: loaded.settings.base_currency,
            budgets: loaded.budgets.iter().map(BudgetView::from).collect(),
            checks,
        })
    }

    /// Sets the monthly budget for `scope` (in the base currency unless given), with alert
    /// thresholds (default 80% and 100%, or the budget's current ones).
    pub async fn set_budget(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        scope: BudgetScope,
        amount: Decimal,
        currency: Option<Currency>,
        thresholds: Option<Thresholds>,
    ) -> Result<BudgetView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let before = tx.budgets(workspace).await?.into_iter().find(|b| b.scope == scope);
        let budget = Budget {
            scope,
            amount: Money::new(amount, currency.unwrap_or(settings.base_currency)),
            thresholds: thresholds.or_else(|| before.as_ref().map(|b| b.thresholds.clone())).unwrap_or_default(),
        };
        tx.set_budget(workspace, &budget, now).await?;
        let view = BudgetView::from(&budget);
        let change = Change {
            action: "budget.set",
            entity: "budget",
            entity_id: Some(scope.as_str().to_string()),
            before: before.as_ref().map(|b| json!(BudgetView::from(b))),
            after: Some(json!(view)),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Removes the budget for `scope`.
    pub async fn remove_budget(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        scope: BudgetScope,
    ) -> Result<BudgetView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let before = tx.budgets(workspace).await?.into_iter().find(|b| b.scope == scope).ok_or_else(|| {
            UserError::Missing(format!("There is no {scope} budget to remove; `budget list` shows the budgets set"))
        })?;
        tx.remove_budget(workspace, scope).await?;
        let view = BudgetView::from(&before);
        let change = Change {
            action: "budget.remove",
            entity: "budget",
            entity_id: Some(scope.as_str().to_string()),
            before: Some(json!(view)),
            after: None,
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }
}
