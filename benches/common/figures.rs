//! What the benchmarks share: settings from the environment, percentiles and durations as the
//! tables print them, fresh PostgreSQL databases, and a seeded workspace.

// Each benchmark uses what it needs of these.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The number in the environment variable `name`, or `default`.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `p` percentile (0 to 1) of durations sorted in ascending order.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// `3.25 ms`, or `42 ms` from 10 ms on.
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.2} ms") } else { format!("{ms:.0} ms") }
}

/// A new, empty database `name` on the PostgreSQL server at `admin` (dropped first if there);
/// its URL. `name` is the benchmark's own, made of letters and underscores.
pub async fn postgres_database(admin: &str, name: &str) -> anyhow::Result<String> {
    let pool = sqlx::PgPool::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&pool).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await?;
    pool.close().await;
    let mut url = url::Url::parse(admin)?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

/// Seeds workspace `workspace` of the size named `size` (`small`, `medium`, else large) into a new
/// SQLite file `file` in `dir`, on a clock fixed at `now`; its URL.
pub async fn seed(dir: &Path, file: &str, size: &str, workspace: &str, now: &str) -> anyhow::Result<String> {
    use jarvis::app::{App, DEFAULT_SEED, FixedClock, SeedOptions, SeedSize};
    let url = format!("sqlite://{}", dir.join(file).display());
    let store = jarvis::store::Store::open(&url).await?;
    let app = App::new(store.clone(), Arc::new(FixedClock(now.parse()?)));
    let size = match size {
        "small" => SeedSize::Small,
        "medium" => SeedSize::Medium,
        _ => SeedSize::Large,
    };
    let started = Instant::now();
    let options = SeedOptions { size, seed: DEFAULT_SEED, allow_existing: false };
    let workspace = jarvis::domain::workspace::WorkspaceId::parse(workspace)?;
    let seeded = app.seed_workspace(&workspace, &jarvis::domain::audit::Actor::Cli, options, |_| {}).await?;
    eprintln!("seeded {} items, {} records in {:.0} s", seeded.items, seeded.records, started.elapsed().as_secs_f64());
    store.close().await;
    Ok(url)
}

/// A new database `name` on the PostgreSQL server at `admin` holding a copy of the ledger at
/// `from` (checked: every workspace's dashboard the same on both sides, at `now`); its URL.
pub async fn onto_postgres(admin: &str, from: &str, name: &str, now: &str) -> anyhow::Result<String> {
    use jarvis::app::{App, FixedClock};
    let url = postgres_database(admin, name).await?;
    let store = jarvis::store::Store::open(from).await?;
    let app = App::new(store.clone(), Arc::new(FixedClock(now.parse()?)));
    let started = Instant::now();
    let report = app.copy_ledger(from, &url, false, &mut |_| {}).await?;
    anyhow::ensure!(report.differences.is_empty(), "db copy: dashboards differ in {:?}", report.differences);
    eprintln!("copied to PostgreSQL in {:.0} s", started.elapsed().as_secs_f64());
    store.close().await;
    Ok(url)
}
