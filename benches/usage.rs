//! The usage push under load, on loopback: `cargo bench --bench usage`.
//!
//! A large workspace (`jarvis demo --size large`: 10,000 items, 1,000,000 records) is seeded into
//! a fresh SQLite file (and, with a PostgreSQL server in `JARVIS_BENCH_DATABASE_URL`, else
//! `TEST_DATABASE_URL`, copied there too), 20 usage-billed AI providers with a meter (a price per
//! request and a free tier) are added, and the API is served on 127.0.0.1 with no rate limit.
//! Then, on each backend, for `JARVIS_BENCH_USAGE_SECS` seconds (default 20) each:
//!
//! - batches of 100 events (each with its own idempotency key, items named in turn, a tenth of
//!   them with their cost given), sent by 1, 2 and 4 clients, each sending its next batch when
//!   the last is answered;
//! - batches of 1,000 events from one client;
//! - one event at a time from 4 clients.
//!
//! It prints events per second and each batch's latency (from sending it to reading the whole
//! answer), as Markdown rows for docs/PERFORMANCE.md. The clients run in the same process as the
//! server, on the same two cores. `JARVIS_BENCH_SIZE` picks another size (`small`, `medium`).

#[path = "common/figures.rs"]
mod figures;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jarvis::app::{App, FixedClock, TokenScope};
use jarvis::domain::audit::Actor;
use jarvis::domain::workspace::WorkspaceId;
use jarvis::store::Store;
use serde_json::{Value, json};

use figures::{env, ms, percentile};

const NOW: &str = "2026-11-30T12:00:00Z";
const ITEMS: usize = 20;

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
}

/// `clients` clients sending batches of `batch` events one after the other for `duration`; the
/// table row.
async fn load(client: &Client, backend: &str, clients: usize, batch: usize, duration: Duration) -> String {
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, counter) = (client.clone(), Arc::clone(&counter));
        tasks.push(tokio::spawn(async move {
            let (mut times, mut failures, mut events) = (Vec::new(), 0_usize, 0_usize);
            while Instant::now() < deadline {
                let first = counter.fetch_add(batch as u64, Ordering::Relaxed);
                let body: Vec<Value> = (first..first + batch as u64)
                    .map(|n| {
                        let mut event = json!({
                            "item": format!("bench-ai-{:02}", n % ITEMS as u64),
                            "quantity": 1 + n % 3,
                            "idempotency_key": format!("bench-{n}"),
                        });
                        if n % 10 == 0 {
                            event["cost"] = json!("0.000125");
                        }
                        event
                    })
                    .collect();
                let body = if batch == 1 { body[0].clone() } else { json!({ "events": body }) };
                let sent = Instant::now();
                let answer = client.http.post(&client.url).bearer_auth(&client.token).json(&body).send().await;
                match answer {
                    Ok(answer) if answer.status().is_success() => {
                        let _ = answer.bytes().await;
                        times.push(sent.elapsed());
                        events += batch;
                    }
                    Ok(answer) => {
                        let status = answer.status();
                        eprintln!("unexpected {status}: {}", answer.text().await.unwrap_or_default());
                        failures += 1;
                    }
                    Err(error) => {
                        eprintln!("failed: {error}");
                        failures += 1;
                    }
                }
            }
            (times, failures, events)
        }));
    }
    let (mut times, mut failures, mut events) = (Vec::new(), 0, 0);
    for task in tasks {
        let (t, f, e) = task.await.expect("a client");
        times.extend(t);
        failures += f;
        events += e;
    }
    let took = started.elapsed();
    times.sort();
    format!(
        "| {backend} | {batch} | {clients} | {} | {:.0} | {} | {} | {} | {failures} |",
        times.len(),
        events as f64 / took.as_secs_f64(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().expect("at least one batch")),
    )
}

async fn open(url: &str) -> anyhow::Result<(Store, App)> {
    let store = Store::open(url).await?;
    let app = App::new(store.clone(), Arc::new(FixedClock(NOW.parse()?)));
    Ok((store, app))
}

/// Serves the ledger at `url` and measures the push on it; the table's rows.
async fn measure(url: &str, backend: &str, secs: u64) -> anyhow::Result<Vec<String>> {
    let (store, app) = open(url).await?;
    let ws = WorkspaceId::parse("1")?;
    let token = app.create_token(&ws, &Actor::Cli, &format!("bench-{backend}"), TokenScope::Write).await?.token;
    for n in 0..ITEMS {
        let changes = jarvis::domain::item::ItemChanges {
            name: Some(jarvis::domain::text::ItemName::parse(&format!("bench-ai-{n:02}"))?),
            cost: Some(rust_decimal::Decimal::ZERO),
            period: Some(jarvis::domain::item::BillingPeriod::UsageBased),
            unit: Some(jarvis::domain::text::Label::parse("unit", "request")?),
            unit_price: Some(Some("0.002".parse()?)),
            free_tier: Some(Some("1000".parse()?)),
            ..Default::default()
        };
        app.add_item(&ws, &Actor::Cli, jarvis::domain::item::Kind::AiProvider, &changes).await?;
    }
    let options = jarvis::http::Options { rate: None, ..jarvis::http::Options::new("127.0.0.1:0".parse()?) };
    let server = jarvis::http::Server::bind(app.clone(), options).await?;
    let url = format!("http://{}/api/cost/usage", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder().pool_max_idle_per_host(8).build()?;
    let client = Client { http, url, token };
    // Warm: the first push reads the workspace's items by name.
    load(&client, backend, 1, 100, Duration::from_secs(2)).await;
    let duration = Duration::from_secs(secs);
    let mut rows = Vec::new();
    for (clients, batch) in [(1, 100), (2, 100), (4, 100), (1, 1000), (4, 1)] {
        let row = load(&client, backend, clients, batch, duration).await;
        eprintln!("{row}");
        rows.push(row);
    }
    let _ = stop.send(());
    serving.await??;
    store.close().await;
    Ok(rows)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let secs = env("JARVIS_BENCH_USAGE_SECS", 20) as u64;
    let size = std::env::var("JARVIS_BENCH_SIZE").unwrap_or_else(|_| "large".into());
    let dir = tempfile::tempdir()?;
    let sqlite = figures::seed(dir.path(), "usage.db", &size, "1", NOW).await?;
    // The copy first: each backend then gets its benchmark items and pushes on the same ledger.
    let admin = std::env::var("JARVIS_BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
    let postgres = match admin {
        Some(admin) => Some(figures::onto_postgres(&admin, &sqlite, "jarvis_bench_usage", NOW).await?),
        None => {
            eprintln!("PostgreSQL skipped: set JARVIS_BENCH_DATABASE_URL or TEST_DATABASE_URL");
            None
        }
    };
    let mut rows = measure(&sqlite, "SQLite", secs).await?;
    if let Some(url) = postgres {
        rows.extend(measure(&url, "PostgreSQL", secs).await?);
    }
    println!(
        "| Backend | Events a batch | Clients | Batches | Events/s | p50 a batch | p99 a batch | Slowest | Failed |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}
