//! AI provider cost connections: an admin connects a usage-billed AI provider item to its
//! provider's organisation cost API with an admin key (sealed at rest, see `secrets.rs`), and
//! Jarvis pulls the provider's daily costs and usage: the current and previous month on
//! connect, then daily (the bot's scheduler) or on demand. A pull replaces the records of the
//! days it covers in one transaction, so it is never doubled and, cut short, leaves the last
//! pull's records whole.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use super::items::{ItemRef, resolve};
use super::secrets::{SECRET_KEY_VAR, SecretKey};
use super::{App, AppError, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::connection::{ApiSecret, PullFailure, Pulled, PulledDay, Vendor};
use crate::domain::cost::{CostSource, NewCostRecord};
use crate::domain::item::{ApiKeyStatus, BillingPeriod, Details, Item, Kind};
use crate::domain::money::{MAX_AMOUNT, Money};
use crate::domain::text::{Notes, name_key};
use crate::domain::workspace::WorkspaceId;
use crate::providers::{Client, Endpoints, PullError};
use crate::store::{NewConnection, PullOutcome, StoredConnection, UsageDay, pulled_by};

/// How often a connection is pulled.
pub const PULL_EVERY: Duration = Duration::days(1);
/// Days before the last day pulled that each pull covers again: providers settle a day's figures
/// over the next day or two.
const SETTLE_DAYS: i64 = 2;
/// The longest wait before trying a failed pull again.
const MAX_BACKOFF: Duration = Duration::hours(1);

/// The provider clients and the secret key: injected like the clock (tests point the clients
/// at local fakes).
#[derive(Default)]
pub struct AiNet {
    endpoints: Endpoints,
    client: OnceLock<Client>,
    secret: Option<SecretKey>,
}

impl AiNet {
    pub fn new(endpoints: Endpoints, secret: Option<SecretKey>) -> AiNet {
        AiNet { endpoints, client: OnceLock::new(), secret }
    }

    fn client(&self) -> Result<&Client> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = Client::new(self.endpoints.clone()).map_err(AppError::Internal)?;
        Ok(self.client.get_or_init(|| client))
    }

    fn secret(&self) -> Result<&SecretKey, UserError> {
        self.secret.as_ref().ok_or_else(|| {
            UserError::Conflict(format!(
                "Jarvis keeps provider keys encrypted with {SECRET_KEY_VAR}, and it is not set, so nothing was stored; set it to 32 random bytes (`openssl rand -hex 32`) where Jarvis runs, restart it, and connect again"
            ))
        })
    }
}

/// A connection as people see it (never the key: only its masked prefix).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub item_id: i64,
    pub item_uuid: uuid::Uuid,
    pub item: String,
    pub provider: Vendor,
    /// The key's first characters, e.g. `sk-admin-Ab…`.
    pub key: String,
    pub connected_at: DateTime<Utc>,
    pub connected_by: String,
    /// The first day pulls cover: the previous month's first, or the day after the last record
    /// of the item that was typed, imported or pushed.
    pub pull_from: NaiveDate,
    pub last_success_at: Option<DateTime<Utc>>,
    pub pulled_through: Option<NaiveDate>,
    pub next_pull_at: DateTime<Utc>,
    /// Why the last attempt failed, and since when.
    pub failure: Option<PullFailure>,
    pub failure_message: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
}

impl ConnectionView {
    fn of(connection: &StoredConnection, item: &Item) -> ConnectionView {
        ConnectionView {
            item_id: item.id,
            item_uuid: item.uuid,
            item: item.name.as_str().to_string(),
            provider: connection.vendor,
            key: connection.key_hint.clone(),
            connected_at: connection.created_at,
            connected_by: connection.created_by.clone(),
            pull_from: connection.pull_from,
            last_success_at: connection.last_success_at,
            pulled_through: connection.pulled_through,
            next_pull_at: connection.next_pull_at,
            failure: connection.failure,
            failure_message: connection.failure_message.clone(),
            failing_since: connection.failing_since,
        }
    }
}

/// What one pull did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PullReport {
    pub connection: ConnectionView,
    /// The days asked for.
    pub days: Option<DateRange>,
    /// Days whose records changed (replaced or new).
    pub days_changed: usize,
    /// Records written for them.
    pub records: usize,
    /// What the days asked for cost, per currency, exactly as the provider reports.
    pub total: Vec<super::views::TypedMoney>,
    /// Why it failed, when it did (the connection's `failure_message`).
    pub error: Option<String>,
}

impl PullReport {
    /// A pull with no days to cover yet (they start after today).
    fn nothing_yet(connection: &StoredConnection, item: &Item) -> PullReport {
        PullReport {
            connection: ConnectionView::of(connection, item),
            days: None,
            days_changed: 0,
            records: 0,
            total: Vec::new(),
            error: None,
        }
    }
}

/// A pull's failure, sorted for what comes next.
struct Failed {
    kind: PullFailure,
    message: String,
    /// Try again after this long.
    wait: Duration,
}

impl Failed {
    fn of(error: &PullError, vendor: Vendor, failures: i64) -> Failed {
        // 1, 2, 4 ... minutes, at most an hour.
        let backoff = Duration::minutes(1 << failures.clamp(0, 6)).min(MAX_BACKOFF);
        let at_least = |after: Option<std::time::Duration>| {
            after.and_then(|a| Duration::from_std(a).ok()).map_or(backoff, |a| a.max(backoff)).min(Duration::days(1))
        };
        let title = vendor.title();
        match error {
            PullError::Refused { status, message } => Failed {
                kind: PullFailure::Refused,
                message: format!(
                    "{title} refused the key ({status}: {message}); it was revoked, or it is not an organisation admin key; connect again with a working admin key"
                ),
                wait: PULL_EVERY,
            },
            PullError::RateLimited { retry_after } => Failed {
                kind: PullFailure::RateLimited,
                message: format!("{title} asked Jarvis to slow down (429); it tries again later"),
                wait: at_least(*retry_after),
            },
            PullError::Unavailable { status, retry_after } => Failed {
                kind: PullFailure::Unavailable,
                message: format!("{title}'s API answered {status} (a fault on its side); Jarvis tries again later"),
                wait: at_least(*retry_after),
            },
            PullError::Network(why) => Failed {
                kind: PullFailure::Network,
                message: format!("{title}'s API could not be reached ({why}); Jarvis tries again later"),
                wait: backoff,
            },
            PullError::Malformed(why) => Failed {
                kind: PullFailure::Malformed,
                message: format!("{title}'s answer was not what its API documents ({why}); Jarvis tries again later"),
                wait: backoff.max(Duration::minutes(30)),
            },
        }
    }
}

impl App {
    /// This app with these provider clients and secret key.
    pub fn with_ai(self, ai: AiNet) -> App {
        App { ai: std::sync::Arc::new(ai), ..self }
    }

    /// Connects `item` (a usage-billed AI provider) to `vendor`'s cost API with the admin `key`:
    /// the key is tried on the days to pull first (a key the provider refuses is not stored),
    /// then stored sealed, and what that pull brought is written.
    pub async fn connect_ai(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        reference: &ItemRef,
        vendor: Vendor,
        key: &ApiSecret,
    ) -> Result<PullReport> {
        let secret = self.ai.secret()?;
        let today = self.now().date_naive();
        // Pulls start with the previous month, or after the last record of the item that people
        // or apps wrote (typed, imported or pushed): the provider's bill would count those days
        // again.
        let backfill = Month::of(today).prev().first_day();
        let (item, last_other) = {
            let mut tx = self.store.read().await?;
            let item = resolve(&mut tx, workspace, &reference.clone().with_kinds(&[Kind::AiProvider])).await?;
            connectable(&item)?;
            let last_other = tx.last_record_not_pulled(workspace, item.id, backfill).await?;
            (item, last_other)
        };
        let pull_from = last_other.and_then(|day| day.succ_opt()).map_or(backfill, |day| day.max(backfill));
        // The key is tried first (on the days to pull, or on today alone when there are none
        // yet): a key the provider refuses is not stored.
        let days = DateRange::new(pull_from, today);
        let pulled = self.ai.client()?.pull(vendor, key, days.unwrap_or(DateRange { start: today, end: today })).await;
        if let Err(PullError::Refused { status, message }) = &pulled {
            return Err(UserError::Conflict(format!(
                "{} refused the key ({status}: {message}), so it was not stored; give an organisation admin key (OpenAI: sk-admin-..., from the organisation's Admin keys page; Anthropic: sk-ant-admin..., from the Console's Admin keys)",
                vendor.title()
            ))
            .into());
        }
        let now = self.now();
        let sealed = secret.seal(workspace, item.id, key)?;
        let mut tx = self.write(workspace).await?;
        let connection = tx
            .connect_item(
                workspace,
                &NewConnection {
                    item_id: item.id,
                    vendor,
                    key_sealed: &sealed,
                    key_hint: &key.masked(),
                    sealed_by: &secret.id(),
                    created_by: actor.as_str(),
                    pull_from,
                },
                now,
            )
            .await?;
        let change = Change {
            action: "ai.connect",
            entity: "item",
            entity_id: Some(item.id.to_string()),
            before: None,
            after: Some(json!({ "provider": vendor, "key": key.masked(), "pull_from": pull_from })),
        };
        tx.audit(workspace, actor, now, &change).await?;
        // The connection stands on its own: a first pull that fails (429, an outage) is tried
        // again by the scheduler.
        tx.commit().await?;
        match days {
            Some(days) => self.finish_pull(workspace, connection, days, pulled).await,
            None => Ok(PullReport::nothing_yet(&connection, &item)),
        }
    }

    /// Refuses, saying what to do, when this Jarvis cannot store provider keys (no
    /// `JARVIS_SECRET_KEY`): checked before a key is asked for.
    pub fn can_store_keys(&self) -> Result<()> {
        self.ai.secret()?;
        Ok(())
    }

    /// Disconnects `item`: its key is deleted; what was pulled stays in its history.
    pub async fn disconnect_ai(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        reference: &ItemRef,
    ) -> Result<ConnectionView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let item = resolve(&mut tx, workspace, &reference.clone().with_kinds(&[Kind::AiProvider])).await?;
        let Some(connection) = tx.connection(workspace, item.id).await? else {
            return Err(
                UserError::Conflict(format!("`{}` is not connected to a provider's cost API", item.name)).into()
            );
        };
        tx.disconnect_item(workspace, item.id).await?;
        let view = ConnectionView::of(&connection, &item);
        let change = Change {
            action: "ai.disconnect",
            entity: "item",
            entity_id: Some(item.id.to_string()),
            before: Some(json!({ "provider": connection.vendor, "key": connection.key_hint })),
            after: None,
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The workspace's connections, by item.
    pub async fn connections(&self, workspace: &WorkspaceId) -> Result<Vec<ConnectionView>> {
        let mut tx = self.store.read().await?;
        let connections = tx.connections(workspace).await?;
        let ids: Vec<i64> = connections.iter().map(|c| c.item_id).collect();
        let items = tx.items_by_id(workspace, &ids).await?;
        Ok(connections
            .iter()
            .filter_map(|c| Some(ConnectionView::of(c, items.iter().find(|i| i.id == c.item_id)?)))
            .collect())
    }

    /// Pulls now: `item`'s connection, or every connection of the workspace.
    pub async fn pull_ai(&self, workspace: &WorkspaceId, reference: Option<&ItemRef>) -> Result<Vec<PullReport>> {
        let connections = {
            let mut tx = self.store.read().await?;
            match reference {
                Some(reference) => {
                    let item = resolve(&mut tx, workspace, &reference.clone().with_kinds(&[Kind::AiProvider])).await?;
                    let connection = tx.connection(workspace, item.id).await?.ok_or_else(|| {
                        UserError::Conflict(format!(
                            "`{}` is not connected to a provider's cost API; connect it first (`ai connect`)",
                            item.name
                        ))
                    })?;
                    vec![connection]
                }
                None => tx.connections(workspace).await?,
            }
        };
        if connections.is_empty() {
            return Err(UserError::Conflict(
                "No AI provider is connected to its cost API here; connect one first (`ai connect`)".into(),
            )
            .into());
        }
        let mut reports = Vec::new();
        for connection in connections {
            reports.push(self.pull_connection(connection).await?);
        }
        Ok(reports)
    }

    /// Whether any connection is due to be pulled (a read, before claiming the work).
    pub async fn ai_pulls_due(&self) -> Result<bool> {
        Ok(!self.store.read().await?.due_connections(self.now()).await?.is_empty())
    }

    /// Pulls every connection that is due, in every workspace (the bot's scheduler, every
    /// tick); how many were pulled.
    pub async fn pull_due_ai(&self) -> Result<usize> {
        let due = self.store.read().await?.due_connections(self.now()).await?;
        let count = due.len();
        for connection in due {
            let workspace = connection.workspace.clone();
            if let Err(error) = self.pull_connection(connection).await {
                tracing::error!(%workspace, "could not pull AI provider costs: {error:#}");
            }
        }
        Ok(count)
    }

    /// One pull of `connection`: the days from a little before the last day pulled (or from the
    /// start) through today (UTC, as the providers count days).
    async fn pull_connection(&self, connection: StoredConnection) -> Result<PullReport> {
        let workspace = connection.workspace.clone();
        let today = self.now().date_naive();
        let start = connection
            .pulled_through
            .map_or(connection.pull_from, |through| (through - Duration::days(SETTLE_DAYS)).max(connection.pull_from));
        let Some(days) = DateRange::new(start, today) else {
            // Nothing to pull before `start` (the day after records people wrote): come back then.
            let mut tx = self.write(&workspace).await?;
            let next = start.and_time(chrono::NaiveTime::MIN).and_utc();
            let outcome = PullOutcome::Waiting;
            tx.record_pull(&workspace, &connection, &outcome, self.now(), next).await?;
            let item = item_of(&mut tx, &connection).await?;
            tx.commit().await?;
            return Ok(PullReport::nothing_yet(&StoredConnection { next_pull_at: next, ..connection }, &item));
        };
        let pulled = match self.open_key(&connection) {
            Ok(key) => self.ai.client()?.pull(connection.vendor, &key, days).await,
            Err(why) => {
                let failed = Failed { kind: PullFailure::Sealed, message: why, wait: PULL_EVERY };
                return self.pull_failed(&workspace, &connection, failed).await;
            }
        };
        self.finish_pull(&workspace, connection, days, pulled).await
    }

    /// The connection's key, or why it cannot be opened.
    fn open_key(&self, connection: &StoredConnection) -> Result<ApiSecret, String> {
        let Some(secret) = self.ai.secret.as_ref() else {
            return Err(format!(
                "{SECRET_KEY_VAR} is not set, so the stored key cannot be opened; set it as it was when the key was connected"
            ));
        };
        if secret.id() != connection.sealed_by {
            return Err(format!(
                "the key was stored under another {SECRET_KEY_VAR}; set the one it was stored with, or connect the item again"
            ));
        }
        secret.open(&connection.workspace, connection.item_id, &connection.key_sealed).ok_or_else(|| {
            "the stored key does not open (it was changed outside Jarvis); connect the item again".to_string()
        })
    }

    /// Writes what a pull brought (or that it failed), in one transaction.
    async fn finish_pull(
        &self,
        workspace: &WorkspaceId,
        connection: StoredConnection,
        days: DateRange,
        pulled: Result<Pulled, PullError>,
    ) -> Result<PullReport> {
        // Every day's records are made before anything is written: an amount Jarvis cannot
        // hold fails the pull as a whole, like an answer that is not the documented shape.
        let made =
            pulled.map_err(|error| Failed::of(&error, connection.vendor, connection.failures)).and_then(|pulled| {
                let records = pulled
                    .by_day
                    .iter()
                    .map(|(day, figures)| day_records(connection.item_id, *day, figures))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|why| Failed {
                        kind: PullFailure::Malformed,
                        message: format!("{}'s answer could not be stored: {why}", connection.vendor.title()),
                        wait: PULL_EVERY,
                    })?;
                Ok((pulled, records))
            });
        let (pulled, made) = match made {
            Ok(made) => made,
            Err(failed) => return self.pull_failed(workspace, &connection, failed).await,
        };
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        // Disconnected, or connected again with another key, while the pull was on its way: what
        // it brought is not this connection's (the transaction is dropped, nothing written).
        let pulled_now = PullOutcome::Pulled { through: pulled.days.end };
        if !tx.record_pull(workspace, &connection, &pulled_now, now, now + PULL_EVERY).await? {
            return Err(UserError::Conflict(
                "The item was disconnected or connected again during the pull; nothing was written".into(),
            )
            .into());
        }
        let settings = tx.settings(workspace).await?;
        let mut item = item_of(&mut tx, &connection).await?;
        let by = pulled_by(connection.vendor);
        // Jarvis's own estimates for the days pulled give way, days that cost nothing included:
        // the provider's figures are the item's bill.
        super::costs::give_way(&mut tx, workspace, &Actor::Jarvis, &item, pulled.days, settings.base_currency, now)
            .await?;
        let existing = tx.pulled_records(workspace, item.id, days).await?;
        let mut days_changed = 0;
        let mut written = 0;
        let mut totals: Vec<Money> = Vec::new();
        for ((day, figures), new) in pulled.by_day.iter().zip(made) {
            for record in &new {
                match totals.iter_mut().find(|t| t.currency == record.amount.currency) {
                    Some(total) => *total = total.plus(record.amount),
                    None => totals.push(record.amount),
                }
            }
            let old: Vec<&crate::domain::cost::CostRecord> =
                existing.iter().filter(|r| r.period.start == *day && r.period.end == *day).collect();
            let same = old.len() == new.len()
                && old.iter().zip(&new).all(|(o, n)| o.amount == n.amount && o.note == n.note && o.usage == n.usage);
            if !same {
                let span = DateRange { start: *day, end: *day };
                let ids: Vec<i64> = old.iter().map(|r| r.id).collect();
                tx.delete_fed_records(workspace, item.id, &ids, span).await?;
                for record in &new {
                    tx.insert_cost(workspace, record, &Actor::Token(by.clone()), now)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("a pulled record collided with a job's record"))?;
                }
                days_changed += 1;
                written += new.len();
            }
            let usage = UsageDay {
                requests: figures.requests.map(|r| i64::try_from(r).unwrap_or(i64::MAX)),
                quantity: Decimal::ZERO,
                input_tokens: i64::try_from(figures.input_tokens).unwrap_or(i64::MAX),
                output_tokens: i64::try_from(figures.output_tokens).unwrap_or(i64::MAX),
            };
            tx.set_pulled_usage(workspace, item.id, *day, &usage, now).await?;
        }
        // The meter follows what the provider counted this cycle, when it counts requests or
        // tokens; the pulled records bill them, so they count as billed.
        let today = self.today(&settings);
        let mut changed_item = false;
        if let Some(meter) = item.usage.clone() {
            // What the provider counted this cycle, from its first day (even when the item was
            // added to Jarvis later in it), when it counts what the meter counts: a meter in
            // another unit, or requests from a provider that counts none (Anthropic), keeps its
            // reading. Either way the provider bills every unit: they count as billed.
            let counted = match Measure::of(meter.unit.as_str()) {
                Some(measure) => {
                    let cycle = DateRange { start: item.cycle(today).start, end: today };
                    let usage = tx.usage_over(workspace, cycle).await?;
                    usage
                        .into_iter()
                        .find(|(id, _)| *id == item.id)
                        .map_or(Some(Decimal::ZERO), |(_, u)| measure.count(&u))
                }
                None => None,
            };
            let used = counted.unwrap_or(meter.used);
            if used != meter.used || meter.billed != used {
                let read_on = if used != meter.used { Some(pulled.days.end.min(today)) } else { meter.read_on };
                item.usage = Some(crate::domain::item::Usage { used, billed: used, read_on, ..meter });
                changed_item = true;
            }
        }
        let key_was = key_status(&item);
        if key_was != Some(ApiKeyStatus::Active) {
            set_key_status(&mut item, ApiKeyStatus::Active);
            changed_item = true;
        }
        if changed_item {
            item.updated_at = now;
            tx.update_item(workspace, &item).await?;
        }
        if days_changed > 0 || changed_item {
            let change = Change {
                action: "ai.pull",
                entity: "item",
                entity_id: Some(item.id.to_string()),
                before: None,
                after: Some(json!({
                    "provider": connection.vendor,
                    "days": pulled.days,
                    "days_changed": days_changed,
                    "records": written,
                    "total": totals,
                    "key_status": (key_was != Some(ApiKeyStatus::Active)).then_some("active"),
                })),
            };
            tx.audit(workspace, &Actor::Jarvis, now, &change).await?;
        }
        tx.commit().await?;
        let connection = StoredConnection {
            last_attempt_at: Some(now),
            last_success_at: Some(now),
            pulled_through: Some(pulled.days.end),
            next_pull_at: now + PULL_EVERY,
            failure: None,
            failure_message: None,
            failing_since: None,
            failures: 0,
            ..connection
        };
        Ok(PullReport {
            connection: ConnectionView::of(&connection, &item),
            days: Some(days),
            days_changed,
            records: written,
            total: totals.into_iter().map(super::views::TypedMoney).collect(),
            error: None,
        })
    }

    /// Records a failed pull: when to try again and, when the provider refused the key, the
    /// item's API key status (invalid, which raises the API key alert).
    async fn pull_failed(
        &self,
        workspace: &WorkspaceId,
        connection: &StoredConnection,
        failed: Failed,
    ) -> Result<PullReport> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let mut item = item_of(&mut tx, connection).await?;
        let outcome = PullOutcome::Failed { failure: failed.kind, message: &failed.message };
        if !tx.record_pull(workspace, connection, &outcome, now, now + failed.wait).await? {
            // Disconnected, or connected again with another key, while this pull was on its way:
            // its failure says nothing about the connection there is now.
            return Err(UserError::Conflict(
                "The item was disconnected or connected again during the pull; nothing was recorded".into(),
            )
            .into());
        }
        if failed.kind == PullFailure::Refused && key_status(&item) != Some(ApiKeyStatus::Invalid) {
            let was = key_status(&item);
            set_key_status(&mut item, ApiKeyStatus::Invalid);
            item.updated_at = now;
            tx.update_item(workspace, &item).await?;
            let change = Change {
                action: "ai.key_refused",
                entity: "item",
                entity_id: Some(item.id.to_string()),
                before: Some(json!({ "api_key_status": was })),
                after: Some(json!({ "api_key_status": ApiKeyStatus::Invalid, "reason": failed.message })),
            };
            tx.audit(workspace, &Actor::Jarvis, now, &change).await?;
        }
        tx.commit().await?;
        if connection.failures == 0 {
            tracing::warn!(%workspace, item = connection.item_id, provider = %connection.vendor, "AI cost pull failed: {}", failed.message);
        }
        let connection = StoredConnection {
            last_attempt_at: Some(now),
            next_pull_at: now + failed.wait,
            failure: Some(failed.kind),
            failure_message: Some(failed.message.clone()),
            failing_since: connection.failing_since.or(Some(now)),
            failures: connection.failures + 1,
            ..connection.clone()
        };
        Ok(PullReport {
            connection: ConnectionView::of(&connection, &item),
            days: None,
            days_changed: 0,
            records: 0,
            total: Vec::new(),
            error: Some(failed.message),
        })
    }
}

impl App {
    /// The AI providers fed by a cost API or the usage push, with this month's cost, requests,
    /// cost per request, free tier, key status and last pull; by this month's cost, dearest
    /// first.
    pub async fn ai_lines(&self, workspace: &WorkspaceId) -> Result<Vec<crate::analysis::dashboard::AiLine>> {
        // One read: the fed items, their usage and their records this month (each item's
        // cost added up as the cost history adds it, in the base currency).
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let month = DateRange { start: Month::of(today).first_day(), end: today };
        let connections = tx.connections(workspace).await?;
        let usage = tx.usage_over(workspace, month).await?;
        // Most workspaces feed no provider: every dashboard and report asks, so they stop here.
        if connections.is_empty() && usage.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<i64> = connections.iter().map(|c| c.item_id).chain(usage.iter().map(|(id, _)| *id)).collect();
        ids.sort_unstable();
        ids.dedup();
        let items = tx.items_by_id(workspace, &ids).await?;
        let rates = crate::domain::rates::RateBook::new(tx.rates(workspace).await?);
        let mut lines = Vec::new();
        for item in items.iter().filter(|i| i.removed_at.is_none()) {
            let connection = connections.iter().find(|c| c.item_id == item.id);
            let used = usage.iter().find(|(id, _)| *id == item.id).map(|(_, u)| u);
            let filter =
                crate::store::CostFilter { item_id: Some(item.id), from: Some(month.start), to: Some(month.end) };
            let mut spent = super::costs::HistoryTotal::new(settings.base_currency);
            for line in tx.cost_lines(workspace, filter).await? {
                spent.add(line.amount, line.period, month, &rates);
            }
            let this_month = spent.left_out.is_empty().then_some(spent.total);
            let requests = used.and_then(|u| u.requests);
            let cost_per_request = match (this_month, requests) {
                (Some(cost), Some(requests)) if requests > 0 => {
                    Some(Money::new((cost.amount / Decimal::from(requests)).round_dp(6).normalize(), cost.currency))
                }
                _ => None,
            };
            let tokens = used.map(|u| u.input_tokens + u.output_tokens).filter(|t| *t > 0);
            let (free_tier, _) = crate::analysis::alerts::usage_readings(today, item);
            lines.push(crate::analysis::dashboard::AiLine {
                item_id: item.id,
                item: item.name.as_str().to_string(),
                connected_to: connection.map(|c| c.vendor),
                this_month,
                requests,
                cost_per_request,
                tokens,
                free_tier_used_percent: free_tier.as_ref().map(|f| f.percent),
                free_tier_runs_out: free_tier.and_then(|f| f.runs_out),
                api_key_status: key_status(item).unwrap_or(ApiKeyStatus::Unknown),
                last_pull: connection.and_then(|c| c.last_success_at),
                failing: connection.and_then(|c| c.failure_message.clone()),
            });
        }
        lines.sort_by(|a, b| {
            let cost = |l: &crate::analysis::dashboard::AiLine| l.this_month.map_or(Decimal::ZERO, |m| m.amount);
            cost(b).cmp(&cost(a)).then_with(|| a.item.cmp(&b.item))
        });
        Ok(lines)
    }
}

/// The item of `connection`.
async fn item_of(tx: &mut crate::store::Tx, connection: &StoredConnection) -> Result<Item> {
    let items = tx.items_by_id(&connection.workspace, &[connection.item_id]).await?;
    Ok(items.into_iter().next().ok_or_else(|| anyhow::anyhow!("a connection's item vanished"))?)
}

/// Refuses items a connection cannot feed: those not billed by usage (their renewals would be
/// counted beside the provider's bill).
fn connectable(item: &Item) -> Result<(), UserError> {
    if item.period == BillingPeriod::UsageBased && !item.cost.amount.is_zero() {
        return Err(UserError::Conflict(format!(
            "`{}` has a base fee of {} a cycle, and a provider's cost API reports usage only: set its --cost to 0 and keep the fee on an item of its own, then connect it",
            item.name, item.cost
        )));
    }
    if item.period != BillingPeriod::UsageBased {
        return Err(UserError::Conflict(format!(
            "`{}` is billed {}, and a provider's cost API reports usage: connect an item billed by usage (`item edit {} --period usage-based`), so its plan and the provider's bill are not counted twice",
            item.name, item.period, item.id
        )));
    }
    Ok(())
}

fn key_status(item: &Item) -> Option<ApiKeyStatus> {
    match &item.details {
        Details::AiProvider { api_key_status, .. } => Some(*api_key_status),
        _ => None,
    }
}

fn set_key_status(item: &mut Item, status: ApiKeyStatus) {
    if let Details::AiProvider { api_key_status, .. } = &mut item.details {
        *api_key_status = status;
    }
}

/// A day's records: one per line the provider billed (a line item, a model and token type).
fn day_records(item_id: i64, day: NaiveDate, figures: &PulledDay) -> Result<Vec<NewCostRecord>, String> {
    let mut records = Vec::new();
    for cost in &figures.costs {
        if cost.amount.abs() > MAX_AMOUNT {
            return Err(format!(
                "it billed {} {} for one line of {day}, more than Jarvis's maximum of 1,000,000,000,000, so nothing was written",
                cost.amount, cost.currency
            ));
        }
        let note = cost.line.as_deref().map(|line| {
            let line: String = line.chars().filter(|c| !c.is_control()).take(200).collect();
            Notes::parse(&line).ok()
        });
        records.push(NewCostRecord {
            item_id,
            amount: Money::new(cost.amount, cost.currency),
            period: DateRange { start: day, end: day },
            source: CostSource::Usage,
            usage: None,
            note: note.flatten(),
        });
    }
    // The same order every time, so an unchanged day compares equal.
    records.sort_by(|a, b| {
        (a.note.as_ref().map(|n| n.as_str()), a.amount.currency.code(), a.amount.amount).cmp(&(
            b.note.as_ref().map(|n| n.as_str()),
            b.amount.currency.code(),
            b.amount.amount,
        ))
    });
    Ok(records)
}

/// What a meter's unit counts of what providers report.
#[derive(Clone, Copy)]
enum Measure {
    Requests,
    /// Tokens in and out, per this many.
    Tokens(u32),
}

impl Measure {
    /// `request`, `requests`, `call`: requests; `token`, `1K tokens`, `1M tokens`: tokens.
    fn of(unit: &str) -> Option<Measure> {
        let unit = name_key(unit).replace(' ', "");
        match unit.as_str() {
            "request" | "requests" | "call" | "calls" => Some(Measure::Requests),
            "token" | "tokens" => Some(Measure::Tokens(1)),
            "1ktokens" | "ktokens" | "1ktoken" => Some(Measure::Tokens(1_000)),
            "1mtokens" | "mtokens" | "1mtoken" => Some(Measure::Tokens(1_000_000)),
            _ => None,
        }
    }

    /// What `usage` holds of this measure; `None` when the provider did not count it.
    fn count(self, usage: &UsageDay) -> Option<Decimal> {
        match self {
            Measure::Requests => usage.requests.map(Decimal::from),
            Measure::Tokens(per) => {
                Some(Decimal::from(usage.input_tokens.saturating_add(usage.output_tokens)) / Decimal::from(per))
            }
        }
    }
}
