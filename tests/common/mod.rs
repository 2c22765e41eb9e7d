//! Shared test helpers: a real database (a SQLite file in a temp dir, or a PostgreSQL database
//! made for the test) with real migrations, and an app whose clock the test sets.
//!
//! `on_both_backends!` runs one test body once per backend. The PostgreSQL half needs
//! `TEST_DATABASE_URL` (a database on a server where the role may create databases; `.ci/run`
//! starts one); without it that half is skipped, and says so on the terminal.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use jarvis::app::{App, Clock, FixedClock};
use jarvis::domain::item::ItemChanges;
use jarvis::domain::text::ItemName;
use jarvis::domain::workspace::WorkspaceId;
use jarvis::store::{Backend, Store};
use rust_decimal::Decimal;
use tempfile::TempDir;

pub struct TestDb {
    pub dir: TempDir,
    pub url: String,
    pub store: Store,
    /// The PostgreSQL database made for this test, dropped with it.
    postgres: Option<PostgresDb>,
}

impl TestDb {
    /// A SQLite ledger.
    pub async fn new() -> TestDb {
        TestDb::sqlite().await
    }

    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("jarvis.db").display());
        let store = Store::open(&url).await.expect("open store");
        TestDb { dir, url, store, postgres: None }
    }

    /// The SQLite ledger at `path` in `dir` (kept with it), as Jarvis opens it.
    pub async fn sqlite_at(dir: TempDir, path: &std::path::Path) -> TestDb {
        let url = format!("sqlite://{}", path.display());
        let store = Store::open(&url).await.expect("open store");
        TestDb { dir, url, store, postgres: None }
    }

    /// A ledger in a new PostgreSQL database, or `None` (said on the terminal) when
    /// `TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Option<TestDb> {
        let database = PostgresDb::create().await?;
        let store = Store::open(&database.url).await.expect("open the PostgreSQL store");
        Some(TestDb {
            dir: tempfile::tempdir().expect("temp dir"),
            url: database.url.clone(),
            store,
            postgres: Some(database),
        })
    }

    /// A ledger on `backend` (see [`TestDb::postgres`] for `None`).
    pub async fn on(backend: Backend) -> Option<TestDb> {
        logs();
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite().await),
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Runs `sql` (statements with their values written in, no parameters) behind Jarvis's back,
    /// on its own connection.
    pub async fn raw_execute(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self.backend() {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }

    /// Rows of `sql` read behind Jarvis's back.
    pub async fn raw_fetch<T>(&self, sql: &str) -> Vec<T>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
        T: Send + Unpin,
    {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self.backend() {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                rows
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                rows
            }
        }
    }

    /// The app as seen at `now` (RFC 3339).
    pub fn app_at(&self, now: &str) -> App {
        let now: DateTime<Utc> = now.parse().expect("RFC 3339 instant");
        App::new(self.store.clone(), Arc::new(FixedClock(now)))
    }
}

/// Jarvis's log lines in the test's captured output (shown when it fails), once per test binary;
/// `RUST_LOG` picks what is logged (default: Jarvis at info).
pub fn logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,jarvis=info"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false).with_test_writer().try_init();
    });
}

pub fn ws(id: &str) -> WorkspaceId {
    WorkspaceId::parse(id).unwrap()
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Changes naming an item with a cost.
pub fn named(name: &str, cost: &str) -> ItemChanges {
    ItemChanges { name: Some(ItemName::parse(name).unwrap()), cost: Some(dec(cost)), ..Default::default() }
}

/// A clock the test moves.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A fixed instant (RFC 3339).
    pub fn at(now: &str) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(now.parse().unwrap())))
    }

    /// The real time (certificates made for a test are dated from it).
    pub fn now() -> ManualClock {
        ManualClock(Arc::new(Mutex::new(Utc::now())))
    }

    pub fn set(&self, now: &str) {
        *self.0.lock().unwrap() = now.parse().unwrap();
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Runs one test body once per backend: `on_both_backends! { async fn name(db) { ... } }` makes
/// `name::sqlite` and `name::postgres` (tokio tests; `multi_thread` or `four_threads` before
/// `async` picks that runtime), each calling the body with a fresh [`TestDb`].
#[macro_export]
macro_rules! on_both_backends {
    ($(#[doc = $doc:literal])* four_threads async fn $name:ident($db:ident) $body:block) => {
        $crate::on_both_backends!(@tests (flavor = "multi_thread", worker_threads = 4), $name, $db, $body, $($doc)*);
    };
    ($(#[doc = $doc:literal])* multi_thread async fn $name:ident($db:ident) $body:block) => {
        $crate::on_both_backends!(@tests (flavor = "multi_thread"), $name, $db, $body, $($doc)*);
    };
    ($(#[doc = $doc:literal])* async fn $name:ident($db:ident) $body:block) => {
        $crate::on_both_backends!(@tests (), $name, $db, $body, $($doc)*);
    };
    (@tests $flavor:tt, $name:ident, $db:ident, $body:block, $($doc:literal)*) => {
        $(#[doc = $doc])*
        async fn $name($db: $crate::common::TestDb) $body

        mod $name {
            #[tokio::test$flavor]
            async fn sqlite() {
                if let Some(db) = $crate::common::TestDb::on(jarvis::store::Backend::Sqlite).await {
                    super::$name(db).await
                }
            }

            #[tokio::test$flavor]
            async fn postgres() {
                if let Some(db) = $crate::common::TestDb::on(jarvis::store::Backend::Postgres).await {
                    super::$name(db).await
                }
            }
        }
    };
}

/// A PostgreSQL database made for one test from `TEST_DATABASE_URL`, dropped when the test ends.
pub struct PostgresDb {
    pub url: String,
    admin: String,
    name: String,
}

impl PostgresDb {
    /// A new empty database, or `None` when `TEST_DATABASE_URL` is not set (said once per test
    /// binary, on the terminal itself: cargo's capture of test output does not hide it).
    pub async fn create() -> Option<PostgresDb> {
        let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** PostgreSQL half SKIPPED: TEST_DATABASE_URL is not set (see README.md, Tests; .ci/run sets it) ***\n"
                );
            });
            return None;
        };
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "jarvis_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            fastrand_suffix()
        );
        let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        let connection = admin_connection(&admin).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&connection)
            .await
            .expect("create the test database");
        connection.close().await;
        Some(PostgresDb { url: url.to_string(), admin, name })
    }
}

fn fastrand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or_default()
}

async fn admin_connection(admin: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(admin)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {e}"))
}

impl Drop for PostgresDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // A runtime of its own: the test's may be shutting down.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let connection = admin_connection(&admin).await;
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&connection)
                    .await;
                connection.close().await;
            });
        })
        .join();
    }
}

/// The `jarvis` binary on the ledger at `url`, its clock fixed at `now` (RFC 3339), no registry
/// lookups, and none of the caller's `JARVIS_*` settings.
pub fn jarvis_on(url: &str, now: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("jarvis").unwrap();
    cmd.env("DATABASE_URL", url)
        .env("JARVIS_FAKE_NOW", now)
        .env("JARVIS_RDAP", "off")
        .env_remove("JARVIS_TODAY")
        .env_remove("JARVIS_WORKSPACE")
        .env_remove("JARVIS_LANG")
        .env_remove("RUST_LOG");
    cmd
}
