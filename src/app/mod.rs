//! The app layer: one function per use case, shared by every front end (the CLI, Discord and
//! HTTP). It loads what a use case needs from the store, asks the pure domain what to do,
//! writes the result and an audit entry in one transaction, and returns view models.

mod alert_pings;
mod analysis;
mod backup;
mod connections;
mod costs;
mod database;
mod demo;
mod doctor;
mod error;
mod export;
pub mod focus_file;
pub mod focus_sample;
mod forms;
mod imports;
mod instances;
mod items;
mod jobs;
mod rates;
mod read_model;
mod schedules;
mod secrets;
mod seed;
mod settings;
mod sites;
pub mod stream;
mod tokens;
mod usage;
pub mod views;
pub mod web;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::domain::workspace::{Settings, Timezone, WorkspaceId};
use crate::store::{Store, Tx};

pub use alert_pings::{AlertAction, SNOOZE};
pub use analysis::{AlertList, BudgetList, BudgetView, MAX_TREND_MONTHS, RenewalCalendar, RenewalList};
pub use backup::{BACKUP_FORMAT, BACKUP_VERSION, Restored};
pub use connections::{AiNet, ConnectionView, PullReport};
pub use costs::{CostInput, CostPeriod};
pub use database::{CopyReport, DatabaseStatus, TableCopied, TableRows, database_status, location};
pub use doctor::{DoctorMismatch, DoctorReport};
pub use error::AppError;
pub use export::{ExportData, ExportFormat, ExportWhat, Exported, history_csv, items_csv};
pub use forms::{CLEARABLE, ItemForm};
pub use imports::{
    ImportChange, ImportList, ImportOptions, ImportProgress, ImportSummary, ImportView, Reconciled, ScopeView,
    ServiceLine, ServiceMap, ServiceMapped,
};
pub use instances::{DEFAULT_LEASE, InstanceView, ReportSlot, ShardCount, ShardPlan, ShardRange, StatusView};
pub use items::{ItemChoice, ItemFilter, ItemRef, ItemSort};
pub use jobs::JobReport;
pub use schedules::{AfterFailure, DeliveryFailure, DueReport, ON_TIME, QueuedReport, ScheduleView};
pub use secrets::{SECRET_KEY_VAR, SecretKey};
pub use seed::{DEFAULT_SEED, KindCount, SeedOptions, SeedProgress, SeedSize, SeedSummary};
pub use sites::{Net, SiteChanged, SiteList, site_fields};
pub use tokens::{CreatedToken, TokenAuth, TokenScope, TokenView};
pub use usage::{KEYS_KEPT, MAX_EVENTS, PushSummary, PushedDay, UsageEvent};

/// What time it is. Injected so tests (and `--today`) can fix it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// How far this clock moves while `real` time passes (leases are real time): the same span,
    /// except on a test clock that runs fast.
    fn span(&self, real: std::time::Duration) -> chrono::Duration {
        chrono::Duration::from_std(real).unwrap_or(chrono::Duration::MAX)
    }

    /// How much real time passes while this clock moves `span` (nothing for a span in the past).
    fn real(&self, span: chrono::Duration) -> std::time::Duration {
        span.to_std().unwrap_or_default()
    }

    /// The workspace's date: `now` in its timezone.
    fn today(&self, timezone: Timezone) -> NaiveDate {
        timezone.today(self.now())
    }
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A clock that says it is `date` in every timezone (noon UTC for timestamps); for `--today`.
#[derive(Clone, Copy, Debug)]
pub struct FixedDate(pub NaiveDate);

impl Clock for FixedDate {
    fn now(&self) -> DateTime<Utc> {
        self.0.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon")).and_utc()
    }

    fn today(&self, _: Timezone) -> NaiveDate {
        self.0
    }
}

/// A clock that runs from a given instant, `speed` times as fast as real time: several processes
/// given the same start, anchor and speed agree on the time. For tests that need report slots
/// every few seconds (`JARVIS_FAKE_NOW="2026-11-30T09:00:00Z x60 @1796000000000"`).
#[derive(Clone, Copy, Debug)]
pub struct RunningClock {
    /// What the clock read at `anchor`.
    pub start: DateTime<Utc>,
    /// The real instant it read `start`.
    pub anchor: DateTime<Utc>,
    pub speed: u32,
}

impl Clock for RunningClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + (Utc::now() - self.anchor) * self.speed as i32
    }

    fn span(&self, real: std::time::Duration) -> chrono::Duration {
        chrono::Duration::from_std(real).unwrap_or(chrono::Duration::MAX) * self.speed as i32
    }

    fn real(&self, span: chrono::Duration) -> std::time::Duration {
        (span / self.speed as i32).to_std().unwrap_or_default()
    }
}

/// A key the caller gives a write so that repeating it is safe: the first write with the key
/// records it in its own transaction, and the same key again (within [`RequestKey::KEPT`])
/// writes nothing and is answered with [`AppError::Repeated`]. Discord uses the interaction id, so
/// an interaction delivered twice writes once.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RequestKey(String);

impl RequestKey {
    /// How long a key is remembered.
    pub const KEPT: chrono::Duration = chrono::Duration::hours(24);

    /// The key of a Discord interaction.
    pub fn discord(interaction_id: u64) -> RequestKey {
        RequestKey(format!("discord:{interaction_id}"))
    }

    /// The key of an HTTP write (its `Idempotency-Key`), kept apart per token: two clients
    /// choosing the same key do not collide.
    pub fn http(token: &uuid::Uuid, key: &str) -> RequestKey {
        RequestKey(format!("http:{}:{key}", token.simple()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The application: the store and the clock.
#[derive(Clone)]
pub struct App {
    /// This instance's id in claims on shared work (see [`App::instance`]).
    instance: Arc<str>,
    /// How long its claims last without renewal (see [`App::with_lease`]).
    lease: std::time::Duration,
    store: Store,
    clock: Arc<dyn Clock>,
    /// Counts ledger changes committed, so the bot can re-evaluate alerts right after a change.
    changes: Arc<std::sync::atomic::AtomicU64>,
    /// Counts commits of what views show without being a ledger change (site checks and registry
    /// lookups), as `changes` counts ledger changes: see [`App::answer_version`].
    readings: Arc<std::sync::atomic::AtomicU64>,
    /// Website checks and registry lookups.
    net: Arc<sites::Net>,
    /// AI providers' cost APIs and the key provider keys are sealed with.
    ai: Arc<connections::AiNet>,
    /// Makes this app's writes safe to repeat (see [`App::keyed`]).
    request_key: Option<crate::store::KeySlot>,
    /// Rung when a message is queued that should go out now rather than at the next tick (a
    /// report an admin asked for), so the bot's delivery loop wakes for it.
    outbox_ready: Arc<tokio::sync::Notify>,
    /// Workspaces' items and roll-ups as last read (see `read_model.rs`).
    read_model: Arc<read_model::ReadModelCache>,
    /// Analyses prepared from them (see `analysis.rs`).
    prepared: Arc<analysis::PreparedCache>,
    /// Per workspace, the read-model version and day at which the jobs last found nothing due.
    jobs_done: Arc<std::sync::Mutex<std::collections::HashMap<WorkspaceId, analysis::Seen>>>,
    /// Per workspace, the alerts last found and what from (see `App::alerts`).
    alerts_found: Arc<std::sync::Mutex<std::collections::HashMap<WorkspaceId, analysis::AlertsFound>>>,
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> App {
        App {
            store,
            clock,
            changes: Arc::default(),
            readings: Arc::default(),
            net: Arc::default(),
            ai: Arc::default(),
            request_key: None,
            outbox_ready: Arc::default(),
            read_model: Arc::default(),
            prepared: Arc::default(),
            jobs_done: Arc::default(),
            alerts_found: Arc::default(),
            instance: Arc::from(instance_id().as_str()),
            lease: DEFAULT_LEASE,
        }
    }

    /// This app with another instance id (tests: several instances in one process).
    pub fn with_instance(&self, id: &str) -> App {
        App { instance: Arc::from(id), ..self.clone() }
    }

    /// The id of this Jarvis instance: host, process and a random part
    /// (`web-1/4127/9f3a1c`), in its claims on shared work and its logs.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// This app with its writes keyed by `key`: when the key was used already, a write does
    /// nothing and fails with [`AppError::Repeated`]. The key is recorded with the request's
    /// first audited change; the request's later writes (which a repeat never reaches, since it
    /// stops at the first) are not keyed.
    pub fn keyed(&self, key: RequestKey) -> App {
        App { request_key: Some(Arc::new(std::sync::Mutex::new(Some(key.0)))), ..self.clone() }
    }

    /// Whether a write was done under `key` in `workspace` (within [`RequestKey::KEPT`]).
    pub async fn key_used(&self, workspace: &WorkspaceId, key: &RequestKey) -> Result<bool> {
        Ok(self.keyed_write(workspace, key).await?.is_some())
    }

    /// The write done under `key` in `workspace` (within [`RequestKey::KEPT`]), with what it
    /// answered once that is recorded.
    pub async fn keyed_write(
        &self,
        workspace: &WorkspaceId,
        key: &RequestKey,
    ) -> Result<Option<crate::store::KeyedWrite>> {
        let since = self.now() - RequestKey::KEPT;
        Ok(self.store.read().await?.keyed_write(workspace, key.as_str(), since).await?)
    }

    /// What was done before under `key`, for a request whose method, path and body hash to
    /// `fingerprint` (see [`sha256_hex`]): nothing, the same request (with its answer, once
    /// recorded), or another request that used the key.
    pub async fn earlier_request(
        &self,
        workspace: &WorkspaceId,
        key: &RequestKey,
        fingerprint: &str,
    ) -> Result<Earlier> {
        let Some(done) = self.keyed_write(workspace, key).await? else { return Ok(Earlier::Nothing) };
        Ok(match (done.fingerprint.as_deref(), done.answer.clone()) {
            (Some(earlier), _) if earlier != fingerprint => Earlier::OtherRequest,
            (_, Some(answer)) => Earlier::Answered(answer),
            // Done, its answer not recorded (the process stopped in between): said, not redone.
            _ => Earlier::Unrecorded(Box::new(done)),
        })
    }

    /// Records what the write done under `key` was (`fingerprint`) and answered, for its retries.
    pub async fn save_answer(
        &self,
        workspace: &WorkspaceId,
        key: &RequestKey,
        fingerprint: &str,
        answer: &str,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.save_answer(workspace, key.as_str(), fingerprint, answer).await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many messages are owed to Discord in all workspaces (for `/metrics`); reading it also
    /// proves the ledger answers (for `/readyz`).
    pub async fn outbox_depth(&self) -> Result<i64> {
        Ok(self.store.read().await?.oldest_owed(None).await?.1)
    }

    /// Returns once a message was queued that should go out now (at once if one was queued
    /// since the last wait): the delivery loop waits on this beside its tick.
    pub async fn outbox_queued(&self) {
        self.outbox_ready.notified().await;
    }

    /// How many ledger changes this app (and its clones) committed: when it moves, the ledger
    /// changed.
    pub fn change_count(&self) -> u64 {
        self.changes.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Moves when anything a view shows changed through this app (and its clones): every ledger
    /// change, and every site check and registry lookup recorded. An answer worked
    /// out at one version is current while it stays.
    pub fn answer_version(&self) -> u64 {
        self.change_count() + self.readings.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The instant now, by this app's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn today(&self, settings: &Settings) -> NaiveDate {
        self.clock.today(settings.timezone)
    }

    /// A write transaction on `workspace`, which is created on first use.
    /// Under a request key already used, nothing is written: [`AppError::Repeated`].
    async fn write(&self, workspace: &WorkspaceId) -> Result<Tx> {
        let mut tx = self.store.write().await?;
        tx.count_commit_in(self.changes.clone());
        if let Some(slot) = &self.request_key {
            let key = slot.lock().expect("the key lock is never poisoned").clone();
            if let Some(key) = key {
                let since = self.now() - RequestKey::KEPT;
                if let Some(done) = tx.keyed_write(workspace, &key, since).await? {
                    return Err(AppError::Repeated(Box::new(done)));
                }
                tx.use_key(slot.clone());
            }
        }
        tx.ensure_workspace(workspace, self.now()).await?;
        Ok(tx)
    }
}

/// What was done before under a request's key (see [`App::earlier_request`]).
#[derive(Clone, Debug)]
pub enum Earlier {
    /// The key is new (or older than [`RequestKey::KEPT`]).
    Nothing,
    /// The same request was done; its answer.
    Answered(String),
    /// The same request was done, and its answer is not recorded.
    Unrecorded(Box<crate::store::KeyedWrite>),
    /// Another request (another path or body) used the key.
    OtherRequest,
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `bytes` random bytes from the system's generator, hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String> {
    use ring::rand::SecureRandom as _;
    let mut buffer = vec![0_u8; bytes];
    ring::rand::SystemRandom::new()
        .fill(&mut buffer)
        .map_err(|_| AppError::Internal(anyhow::anyhow!("the system's random number generator failed")))?;
    Ok(hex(&buffer))
}

/// SHA-256 of `parts` one after the other, in hex: API tokens as stored, item version tags,
/// request fingerprints.
pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    parts.iter().for_each(|part| context.update(part));
    hex(context.finish().as_ref())
}

/// A new instance id: host name, process id and 24 random bits.
fn instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".to_string());
    // The random bits of a v7 id (its first 48 bits are the time).
    let random = (uuid::Uuid::now_v7().as_u128() & 0xff_ffff) as u32;
    format!("{host}/{}/{random:06x}", std::process::id())
}
