//! The only place with SQL: SQLite or PostgreSQL through sqlx, migrations at start-up, and typed
//! reads and writes inside transactions.
//!
//! Every operation runs on a [`Tx`]: [`Store::read`] for a consistent snapshot, [`Store::write`]
//! for a change. Writers queue instead of failing half-way: SQLite's `BEGIN IMMEDIATE`, and on
//! PostgreSQL a transaction-scoped advisory lock taken first, so both backends see writes one
//! after another, each on everything committed before it. Every query is parameterised and
//! filtered by workspace; `sql.rs` runs one SQL text on either backend.

mod alert_states;
mod audit;
mod backup;
mod budgets;
mod claims;
mod connections;
mod copy;
mod costs;
mod imports;
mod items;
mod outbox;
mod rates;
mod request_keys;
mod rollups;
mod schedules;
mod sites;
pub(crate) mod sql;
mod tokens;
mod web;
mod workspaces;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use alert_states::AlertState;
pub use audit::AuditRecord;
pub use backup::{Holdings, IdTable};
pub use claims::{Handover, HeldJob, InstanceRow, Owed};
pub use connections::{NewConnection, PULLED_BY, PUSHED_BY, PullOutcome, StoredConnection, UsageDay, pulled_by};
pub use copy::{CopyProgress, CopyState, Migration, TABLES as COPIED_TABLES, Table as CopiedTable, Type as ColumnType};
pub use costs::{CostFilter, CostLine};
pub use imports::{ImportLine, ImportService, ImportedRecord, NewImport, RecordImport, Scope, StoredImport};
pub use items::Removed;
pub use outbox::OutboxEntry;
pub use request_keys::{KeySlot, KeyedWrite};
pub use rollups::{Detail, FORMAT as ROLLUP_FORMAT, ItemRollups, ReadModelProgress, RollupMismatch};
pub use schedules::StoredSchedule;
pub use sql::Backend;
pub use tokens::StoredToken;
pub use web::{StoredFeed, StoredSession, WebUser};

/// A failure in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The item name is already used by another live item of the same kind in the workspace.
    #[error("the name is already taken")]
    NameTaken,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database: a pool of SQLite or PostgreSQL connections.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// SQLite: this process's writers queue here, first come first served, rather than in
    /// SQLite's busy handler, whose growing sleeps (up to 100 ms a try) make a writer that
    /// arrives while another writes wait far longer than the write takes.
    writers: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// How long a writer waits for the others in this process before giving up, as SQLite's busy
/// timeout does for other processes.
const WRITE_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The open transaction's connection.
enum Conn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// The key of the advisory lock every PostgreSQL write takes first ("jarvis" in ASCII).
const WRITE_LOCK: i64 = 0x6a61_7276_6973;

/// The oldest PostgreSQL Jarvis runs on (`server_version_num`).
const OLDEST_POSTGRES: i64 = 150_000;

impl Store {
    /// Opens (creating if needed) the database at `url`, applies pending migrations and brings
    /// item name keys up to date (see `refresh_name_keys`).
    ///
    /// `url` may be `postgres://...` or `postgresql://...` (PostgreSQL 15 or newer), or
    /// `sqlite://path/to/file.db`, `sqlite:file.db` or a plain file path. A SQLite file runs in
    /// WAL mode with foreign keys on.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        Store::open_with(url, &mut |_| {}).await
    }

    /// [`Store::open`], telling `progress` how building the read model goes when an older
    /// database has none yet (see [`Store::ensure_read_model`]).
    pub async fn open_with(url: &str, progress: &mut dyn FnMut(ReadModelProgress)) -> anyhow::Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        if let Some(CopyState::Unfinished { source, started }) = store.unfinished_copy().await? {
            anyhow::bail!(
                "this database holds a copy of a ledger that did not finish (from {source}, started {started}); \
                 Jarvis will not run on it. Copy again from the source with `jarvis db copy --to URL --restart`"
            );
        }
        store.refresh_name_keys(Utc::now()).await.context("could not bring the items' name keys up to date")?;
        store.ensure_read_model(progress).await.context("could not build the read model")?;
        Ok(store)
    }

    /// Connects to the database at `url` without touching its schema.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        check_scheme(url)?;
        if is_postgres_url(url) { connect_postgres(url).await } else { connect_sqlite(url, false).await }
    }

    /// Connects to look only: a SQLite file is opened read-only as it is (not created, its
    /// journal mode left alone), for `db status` on a live ledger or a backup.
    pub async fn connect_to_look(url: &str) -> anyhow::Result<Store> {
        check_scheme(url)?;
        if is_postgres_url(url) { connect_postgres(url).await } else { connect_sqlite(url, true).await }
    }

    /// Applies the migrations this release has and the database lacks. Several instances starting
    /// together apply them once: they take turns (PostgreSQL: sqlx's advisory lock; SQLite: an
    /// exclusive lock on the database file).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                // sqlx takes no lock on SQLite: processes opening one file together would apply
                // the same migration twice. An exclusive lock on the file (flock, apart from
                // SQLite's own locks) makes them take turns; the later ones find nothing to do.
                let path = pool.connect_options().get_filename().to_path_buf();
                let _turn = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<std::fs::File>> {
                    if !path.is_file() {
                        return Ok(None);
                    }
                    let file = std::fs::File::open(&path)?;
                    file.lock()?;
                    Ok(Some(file))
                })
                .await
                .context("could not wait for the migration lock")?
                .context("could not take the migration lock on the database file")?;
                sqlx::migrate!("./migrations/sqlite").run(pool).await
            }
            Pool::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .context("could not apply the database migrations")
    }

    /// The backend this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A read-only snapshot.
    pub async fn read(&self) -> anyhow::Result<Tx> {
        let conn = match &self.pool {
            Pool::Sqlite(pool) => Conn::Sqlite(pool.begin().await.context("could not start a read transaction")?),
            Pool::Postgres(pool) => Conn::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await
                    .context("could not start a read transaction")?,
            ),
        };
        Ok(Tx::new(conn, false))
    }

    /// A write transaction; nothing is visible to others until [`Tx::commit`].
    pub async fn write(&self) -> anyhow::Result<Tx> {
        let mut turn = None;
        let conn = match &self.pool {
            Pool::Sqlite(pool) => Conn::Sqlite({
                turn = Some(
                    tokio::time::timeout(WRITE_WAIT, std::sync::Arc::clone(&self.writers).lock_owned())
                        .await
                        .map_err(|_| anyhow::anyhow!("could not start a write transaction within {} s: the writes before it in this process did not finish (is another Jarvis holding the database?)", WRITE_WAIT.as_secs()))?,
                );
                pool.begin_with("BEGIN IMMEDIATE")
                    .await
                    .context("could not start a write transaction (is another Jarvis holding the database?)")?
            }),
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await.context("could not start a write transaction")?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await
                    .context("could not start a write transaction")?;
                Conn::Postgres(tx)
            }
        };
        Ok(Tx { _turn: turn, ..Tx::new(conn, true) })
    }

    /// Closes every connection (on SQLite, checkpointing the WAL).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    matches!(scheme(url).as_deref(), Some("postgres" | "postgresql"))
}

/// The scheme of `url` (lower-cased), when it has one (`scheme://`).
fn scheme(url: &str) -> Option<String> {
    let (scheme, _) = url.split_once("://")?;
    let valid = !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Refuses a URL of another kind than SQLite or PostgreSQL, naming only its scheme: the rest may
/// hold a password.
fn check_scheme(url: &str) -> anyhow::Result<()> {
    match scheme(url).as_deref() {
        None | Some("sqlite" | "postgres" | "postgresql") => Ok(()),
        Some(other) => Err(ConnectFailed(format!(
            "DATABASE_URL starts with `{other}://`; Jarvis opens sqlite://, postgres:// or postgresql:// URLs (or a file path)"
        ))
        .into()),
    }
}

/// Whether `error` says the database could not be reached or went away (no connection within
/// the connect timeout, a connection dropped, the server shutting down), rather than that
/// something was wrong with what was asked: front ends then say "try again in a minute".
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<sqlx::Error>().is_some_and(|error| match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
            // SQLSTATE classes 08 (connection exception) and 57P (operator intervention: the
            // server shutting down or restarting).
            sqlx::Error::Database(db) => {
                db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
            }
            _ => false,
        })
    })
}

async fn connect_sqlite(url: &str, read_only: bool) -> anyhow::Result<Store> {
    let url = if url.to_ascii_lowercase().starts_with("sqlite:") { url.to_string() } else { format!("sqlite://{url}") };
    let options = SqliteConnectOptions::from_str(&url)
        .with_context(|| format!("DATABASE_URL `{url}` is not a SQLite URL (try sqlite://jarvis.db)"))?
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let options = if read_only {
        if !options.get_filename().exists() {
            return Err(ConnectFailed(format!("there is no database at {}", options.get_filename().display())).into());
        }
        options.read_only(true)
    } else {
        options.create_if_missing(true).journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal)
    };
    let pool = SqlitePoolOptions::new()
        // Readers of a WAL database do not block each other: enough connections that a
        // quick read (a request key, a language) never waits behind long ones.
        .max_connections(16)
        .connect_with(options)
        .await
        .with_context(|| format!("could not open the database {url}"))?;
    Ok(Store { pool: Pool::Sqlite(pool), writers: Default::default() })
}

/// PostgreSQL's settings, from the environment (see README.md, "Configuration").
struct PostgresSettings {
    pool_size: u32,
    connect_timeout: Duration,
    statement_timeout: Duration,
}

impl PostgresSettings {
    fn from_env() -> anyhow::Result<PostgresSettings> {
        fn number(name: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> anyhow::Result<u64> {
            let Ok(text) = std::env::var(name) else { return Ok(default) };
            let value: u64 =
                text.trim().parse().with_context(|| format!("{name} must be a whole number, not {text:?}"))?;
            anyhow::ensure!(
                range.contains(&value),
                "{name} must be between {} and {}, not {value}",
                range.start(),
                range.end()
            );
            Ok(value)
        }
        Ok(PostgresSettings {
            pool_size: u32::try_from(number("JARVIS_DB_POOL_SIZE", 10, 1..=1000)?).expect("at most 1000"),
            connect_timeout: Duration::from_secs(number("JARVIS_DB_CONNECT_TIMEOUT", 10, 1..=600)?),
            statement_timeout: Duration::from_secs(number("JARVIS_DB_STATEMENT_TIMEOUT", 60, 1..=86_400)?),
        })
    }
}

/// Where a PostgreSQL URL points, for messages: host, port and database, never the password.
pub fn postgres_place(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => format!(
            "{}:{} database {}",
            parsed.host_str().filter(|h| !h.is_empty()).unwrap_or("localhost"),
            parsed.port().unwrap_or(5432),
            parsed.path().trim_start_matches('/').split('/').next().filter(|d| !d.is_empty()).unwrap_or("(default)")
        ),
        Err(_) => "(an unreadable URL)".to_string(),
    }
}

async fn connect_postgres(url: &str) -> anyhow::Result<Store> {
    let place = postgres_place(url);
    let settings = PostgresSettings::from_env()?;
    let options = PgConnectOptions::from_str(url)
        .map_err(|_| anyhow::anyhow!("DATABASE_URL for PostgreSQL ({place}) could not be read; the form is postgres://USER:PASSWORD@HOST:PORT/DATABASE"))?
        .application_name("jarvis")
        .options([("statement_timeout", format!("{}ms", settings.statement_timeout.as_millis()))]);
    let pool = match PgPoolOptions::new()
        .max_connections(settings.pool_size)
        .acquire_timeout(settings.connect_timeout)
        .connect_with(options.clone())
        .await
    {
        Ok(pool) => pool,
        Err(error) => {
            // The pool retries a refused or unreachable server until its timeout and then says
            // only that; one more direct attempt tells why.
            let cause = match error {
                sqlx::Error::PoolTimedOut => {
                    use sqlx::ConnectOptions as _;
                    match tokio::time::timeout(Duration::from_secs(3), options.connect()).await {
                        Ok(Err(direct)) => connect_failure(&direct),
                        _ => connect_failure(&error),
                    }
                }
                other => connect_failure(&other),
            };
            return Err(ConnectFailed(format!("could not connect to PostgreSQL at {place}: {cause}")).into());
        }
    };
    let version: String = sqlx::query_scalar("SHOW server_version_num")
        .fetch_one(&pool)
        .await
        .with_context(|| format!("could not ask PostgreSQL at {place} its version"))?;
    let number: i64 = version.trim().parse().with_context(|| format!("PostgreSQL says its version is {version:?}"))?;
    if number < OLDEST_POSTGRES {
        let shown: String = sqlx::query_scalar("SHOW server_version").fetch_one(&pool).await.unwrap_or(version);
        return Err(ConnectFailed(format!(
            "PostgreSQL at {place} is version {shown}; Jarvis needs PostgreSQL 15 or newer"
        ))
        .into());
    }
    Ok(Store { pool: Pool::Postgres(pool), writers: Default::default() })
}

/// The database named in the configuration could not be reached or refused Jarvis (a wrong
/// host, port, password or database name): one line that says where, never the password.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectFailed(String);

/// Why a connection failed, in a few words and without the URL (which may hold a password).
fn connect_failure(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::PoolTimedOut => "no answer in time (is the host and port right, and the server up?)".to_string(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Tls(tls) => format!("TLS: {tls}"),
        other => other.to_string(),
    }
}

/// An open transaction. Dropping it without [`Tx::commit`] rolls everything back.
pub struct Tx {
    conn: Conn,
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
    /// SQLite: this process's write turn, given up once the transaction is over (declared after
    /// `conn`, so dropped after it).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    fn new(conn: Conn, writes: bool) -> Tx {
        Tx {
            conn,
            commits: None,
            request_key: None,
            key_recorded: false,
            changes: Default::default(),
            writes,
            _turn: None,
        }
    }

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
        match self.conn {
            Conn::Sqlite(tx) => tx.commit().await,
            Conn::Postgres(tx) => tx.commit().await,
        }
        .context("could not commit the transaction")?;
        if let Some(slot) = recorded_key {
            slot.lock().expect("the key lock is never poisoned").take();
        }
        if let Some(counter) = self.commits {
            counter.fetch_add(1, std::sync::atomic::Ordering::Release);
        }
        Ok(())
    }
}

/// A new public id for a row made at `at`: a UUID v7 (time-ordered by `at`, random otherwise).
fn public_id(at: DateTime<Utc>) -> uuid::Uuid {
    let seconds = u64::try_from(at.timestamp()).unwrap_or_default();
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, seconds, at.timestamp_subsec_nanos()))
}

/// Checks that a write touched exactly one row; anything else means the row changed under us.
fn exactly_one(changed: u64, what: impl FnOnce() -> String) -> Result<()> {
    match changed {
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

/// Decimals are stored as text, exactly.
fn decimal(d: Decimal) -> String {
    d.normalize().to_string()
}

fn parse_decimal(text: &str) -> anyhow::Result<Decimal> {
    Decimal::from_str(text).with_context(|| format!("bad stored decimal {text:?}"))
}
