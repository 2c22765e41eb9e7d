//! The only place with SQL: SQLite through sqlx, migrations at start-up, and typed reads and
//! writes inside transactions.
//!
//! Every operation runs on a [`Tx`]: [`Store::read`] for a consistent snapshot, [`Store::write`]
//! for a change (`BEGIN IMMEDIATE`, so concurrent writers queue instead of failing half-way).
//! Every query is parameterised and filtered by workspace.

mod alert_states;
mod audit;
mod backup;
mod budgets;
mod costs;
mod items;
mod outbox;
mod rates;
mod raw;
mod request_keys;
mod rollups;
mod schedules;
mod sites;
mod workspaces;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use alert_states::AlertState;
pub use audit::AuditRecord;
pub use backup::{Holdings, IdTable};
pub use costs::{CostFilter, CostLine};
pub use items::Removed;
pub use outbox::OutboxEntry;
pub use request_keys::{KeySlot, KeyedWrite};
pub use rollups::{Detail, FORMAT as ROLLUP_FORMAT, ItemRollups, ReadModelProgress, RollupMismatch};
pub use schedules::StoredSchedule;

/// A failure in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The item name is already used by another live item of the same kind in the workspace.
    #[error("the name is already taken")]
    NameTaken,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let Some(db) = error.as_database_error()
            && db.is_unique_violation()
            && db.message().contains("items.")
        {
            return StoreError::NameTaken;
        }
        StoreError::Internal(anyhow::Error::new(error))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database: a pool of SQLite connections.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database at `url`, applies pending migrations and brings
    /// item name keys up to date (see `refresh_name_keys`).
    ///
    /// `url` may be `sqlite://path/to/file.db`, `sqlite:file.db` or a plain file path. The file
    /// runs in WAL mode with foreign keys on.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        Store::open_with(url, &mut |_| {}).await
    }

    /// [`Store::open`], telling `progress` how building the read model goes when an older
    /// database has none yet (see [`Store::ensure_read_model`]).
    pub async fn open_with(url: &str, progress: &mut dyn FnMut(ReadModelProgress)) -> anyhow::Result<Store> {
        let url = if url.starts_with("sqlite:") { url.to_string() } else { format!("sqlite://{url}") };
        let options = SqliteConnectOptions::from_str(&url)
            .with_context(|| format!("DATABASE_URL `{url}` is not a SQLite URL (try sqlite://jarvis.db)"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            // Readers of a WAL database do not block each other: enough connections that a
            // quick read (a request key, a language) never waits behind long ones.
            .max_connections(16)
            .connect_with(options)
            .await
            .with_context(|| format!("could not open the database {url}"))?;
        sqlx::migrate!("./migrations").run(&pool).await.context("could not apply the database migrations")?;
        let store = Store { pool };
        store.refresh_name_keys(Utc::now()).await.context("could not bring the items' name keys up to date")?;
        store.ensure_read_model(progress).await.context("could not build the read model")?;
        Ok(store)
    }

    /// A read-only snapshot.
    pub async fn read(&self) -> anyhow::Result<Tx> {
        let tx = self.pool.begin().await.context("could not start a read transaction")?;
        Ok(Tx { tx, commits: None, request_key: None, key_recorded: false, changes: Default::default(), writes: false })
    }

    /// A write transaction; nothing is visible to others until [`Tx::commit`].
    pub async fn write(&self) -> anyhow::Result<Tx> {
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .context("could not start a write transaction (is another Jarvis holding the database?)")?;
        Ok(Tx { tx, commits: None, request_key: None, key_recorded: false, changes: Default::default(), writes: true })
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// An open transaction. Dropping it without [`Tx::commit`] rolls everything back.
pub struct Tx {
    tx: Transaction<'static, Sqlite>,
    /// Counted once this transaction has committed.
    commits: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// A request key to record with the first audited change (see `request_keys.rs`).
    request_key: Option<KeySlot>,
    /// Whether this transaction recorded its request key.
    key_recorded: bool,
    /// Items and records changed, for the read model (see `rollups.rs`).
    changes: rollups::Changes,
    /// Whether this transaction may write (a reader's copies must not take what it has not
    /// committed).
    writes: bool,
}

impl Tx {
    /// Counts this transaction in `counter` once it has committed (not before: whoever watches
    /// the counter then reads what was written).
    pub fn count_commit_in(&mut self, counter: std::sync::Arc<std::sync::atomic::AtomicU64>) {
        self.commits = Some(counter);
    }

    /// Whether this transaction may write.
    pub fn writes(&self) -> bool {
        self.writes
    }

    pub async fn commit(mut self) -> anyhow::Result<()> {
        self.flush_read_model().await.context("could not update the read model")?;
        let recorded_key = self.recorded_key();
        self.tx.commit().await.context("could not commit the transaction")?;
        if let Some(slot) = recorded_key {
            slot.lock().expect("the key lock is never poisoned").take();
        }
        if let Some(counter) = self.commits {
            counter.fetch_add(1, std::sync::atomic::Ordering::Release);
        }
        Ok(())
    }
}

/// Checks that a write touched exactly one row; anything else means the row changed under us.
fn exactly_one(done: sqlx::sqlite::SqliteQueryResult, what: impl FnOnce() -> String) -> Result<()> {
    match done.rows_affected() {
        1 => Ok(()),
        _ => Err(anyhow::anyhow!("{} vanished while being written", what()).into()),
    }
}

/// Instants are stored as RFC 3339 UTC with microseconds, so text order is time order.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_timestamp(text: &str) -> anyhow::Result<DateTime<Utc>> {
    fast_timestamp(text).map_or_else(
        || {
            Ok(DateTime::parse_from_rfc3339(text)
                .with_context(|| format!("bad stored timestamp {text:?}"))?
                .with_timezone(&Utc))
        },
        Ok,
    )
}

/// The timestamps Jarvis writes (`2026-11-30T12:00:00.123456Z`) without a format parser.
fn fast_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    if bytes.len() != 27 || bytes[10] != b'T' || bytes[26] != b'Z' || bytes[19] != b'.' {
        return None;
    }
    let date = fast_date(&text[..10])?;
    let number = |range: std::ops::Range<usize>| digits(&bytes[range]);
    let time =
        chrono::NaiveTime::from_hms_micro_opt(number(11..13)?, number(14..16)?, number(17..19)?, number(20..26)?)?;
    (bytes[13] == b':' && bytes[16] == b':').then(|| date.and_time(time).and_utc())
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

/// A `YYYY-MM-DD` date without a format parser (stored dates are read by the thousand).
fn fast_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(&bytes[0..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(&bytes[5..7])?, digits(&bytes[8..10])?)
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_date(text: &str) -> anyhow::Result<NaiveDate> {
    fast_date(text).with_context(|| format!("bad stored date {text:?}"))
}

/// Decimals are stored as text, exactly.
fn decimal(d: Decimal) -> String {
    d.normalize().to_string()
}

fn parse_decimal(text: &str) -> anyhow::Result<Decimal> {
    Decimal::from_str(text).with_context(|| format!("bad stored decimal {text:?}"))
}
