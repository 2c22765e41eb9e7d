//! The HTTP API under load, on loopback: `cargo bench --bench api`.
//!
//! A large workspace (`jarvis demo --size large`: 10,000 items, 1,000,000 records) is seeded into
//! a fresh SQLite file (and, with a PostgreSQL server in `JARVIS_BENCH_DATABASE_URL`, else
//! `TEST_DATABASE_URL`, copied there too), and the API is served on 127.0.0.1 with no rate limit.
//! Then, on each backend:
//!
//! - **reads**: 64 clients, each sending its next request when the last is answered, for
//!   `JARVIS_BENCH_API_SECS` seconds (default 20) per route: `GET /api/cost/dashboard`, then the
//!   alerts, an item list page and an item;
//! - **reads while writing**: the dashboard again, at 64 clients, while one client records a cost
//!   every 100 ms (each write moves the workspace's version, so the next dashboard is worked out
//!   afresh);
//! - **writes**: one client, one request at a time: `POST /api/cost/records` and
//!   `PUT /api/cost/infrastructure/{id}` with `If-Match` (200 each); then 8 clients recording
//!   costs at once for 10 s.
//!
//! The clients run in the same process as the server, on the same two cores: what they cost is
//! taken from the server. Latency is measured from sending a request to reading its whole body.
//! `JARVIS_BENCH_SIZE` picks another size (`small`, `medium`). Results print as Markdown tables for
//! docs/PERFORMANCE.md.

#[path = "common/figures.rs"]
mod figures;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jarvis::app::{App, FixedClock, TokenScope};
use jarvis::domain::audit::Actor;
use jarvis::domain::workspace::WorkspaceId;
use jarvis::store::Store;
use serde_json::{Value, json};

use figures::{env, ms, percentile};

const NOW: &str = "2026-11-30T12:00:00Z";
const CLIENTS: usize = 64;

/// Latencies of one run, and how long it took.
struct Run {
    times: Vec<Duration>,
    took: Duration,
    failures: usize,
}

impl Run {
    fn row(mut self, backend: &str, what: &str, clients: usize) -> String {
        self.times.sort();
        let count = self.times.len();
        format!(
            "| {backend} | {what} | {clients} | {count} | {:.0} | {} | {} | {} | {} |",
            count as f64 / self.took.as_secs_f64(),
            ms(percentile(&self.times, 0.5)),
            ms(percentile(&self.times, 0.99)),
            ms(*self.times.last().expect("at least one request")),
            self.failures
        )
    }
}

/// A client of the API with a write token.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    /// Sends `request` and reads the whole answer (not parsed: what a client does with it is
    /// not the server's time): its latency and body, or `None` if it failed.
    async fn timed(&self, request: reqwest::RequestBuilder, expect: u16) -> Option<(Duration, axum::body::Bytes)> {
        let started = Instant::now();
        let answer = request.bearer_auth(&self.token).send().await.ok()?;
        let status = answer.status().as_u16();
        let body = answer.bytes().await.ok()?;
        let took = started.elapsed();
        if status != expect {
            eprintln!("unexpected {status}: {}", String::from_utf8_lossy(&body));
            return None;
        }
        Some((took, body))
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    fn record(&self, n: u64) -> reqwest::RequestBuilder {
        // Distinct amounts, so that none is refused as the same record twice.
        let amount = format!("{}.{:02}", 10 + n / 100, n % 100);
        self.http
            .post(format!("{}/api/cost/records", self.base))
            .json(&json!({ "item": "bench-load", "amount": amount, "date": "2026-11-30", "note": "load" }))
    }
}

/// `clients` clients sending `request(n)` one after the other for `duration`.
async fn load<F>(client: &Client, clients: usize, duration: Duration, expect: u16, request: F) -> Run
where
    F: Fn(&Client, u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, request, counter) = (client.clone(), Arc::clone(&request), Arc::clone(&counter));
        tasks.push(tokio::spawn(async move {
            let (mut times, mut failures) = (Vec::new(), 0);
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                match client.timed(request(&client, n), expect).await {
                    Some((took, _)) => times.push(took),
                    None => failures += 1,
                }
            }
            (times, failures)
        }));
    }
    let mut run = Run { times: Vec::new(), took: Duration::ZERO, failures: 0 };
    for task in tasks {
        let (times, failures) = task.await.expect("a client");
        run.times.extend(times);
        run.failures += failures;
    }
    run.took = started.elapsed();
    run
}

/// `count` requests, one at a time.
async fn one_at_a_time<F>(client: &Client, count: u64, expect: u16, mut request: F) -> Run
where
    F: AsyncFnMut(&Client, u64) -> reqwest::RequestBuilder,
{
    let started = Instant::now();
    let mut run = Run { times: Vec::new(), took: Duration::ZERO, failures: 0 };
    for n in 0..count {
        let built = request(client, n).await;
        match client.timed(built, expect).await {
            Some((took, _)) => run.times.push(took),
            None => run.failures += 1,
        }
    }
    run.took = started.elapsed();
    run
}

async fn open(url: &str) -> anyhow::Result<(Store, App)> {
    let store = Store::open(url).await?;
    let app = App::new(store.clone(), Arc::new(FixedClock(NOW.parse()?)));
    Ok((store, app))
}

/// Serves the ledger at `url` and measures it; the table's rows.
async fn measure(url: &str, backend: &str, secs: u64) -> anyhow::Result<Vec<String>> {
    let (store, app) = open(url).await?;
    let ws = WorkspaceId::parse("1")?;
    let token = app.create_token(&ws, &Actor::Cli, &format!("bench-{backend}"), TokenScope::Write).await?.token;
    let options = jarvis::http::Options { rate: None, ..jarvis::http::Options::new("127.0.0.1:0".parse()?) };
    let server = jarvis::http::Server::bind(app.clone(), options).await?;
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build()?;
    let client = Client { http, base, token };

    // An item for the writes, and one to read and edit.
    let added = client
        .timed(
            client.http.post(format!("{}/api/cost/infrastructure", client.base)).json(&json!({
                "kind": "hosting", "name": "bench-load", "cost": "10", "currency": "USD", "billing_period": "monthly"
            })),
            201,
        )
        .await
        .ok_or_else(|| anyhow::anyhow!("could not add the benchmark's item"))?;
    let added: Value = serde_json::from_slice(&added.1)?;
    let id = added["item"]["id"].as_i64().ok_or_else(|| anyhow::anyhow!("no id in {added}"))?;
    let item_path = format!("/api/cost/infrastructure/{id}");

    // Warm: the first dashboard works the workspace out.
    let first = one_at_a_time(&client, 1, 200, async |c, _| c.get("/api/cost/dashboard")).await;
    eprintln!("{backend}: first dashboard in {}", ms(first.times[0]));
    for path in ["/api/cost/dashboard", "/api/cost/alerts", "/api/cost/infrastructure", &item_path] {
        one_at_a_time(&client, 20, 200, async |c, _| c.get(path)).await;
    }

    let mut rows = Vec::new();
    let duration = Duration::from_secs(secs);
    let mut sizes = Vec::new();
    for path in ["/api/cost/dashboard", "/api/cost/alerts", "/api/cost/infrastructure", item_path.as_str()] {
        let (_, body) = client.timed(client.get(path), 200).await.ok_or_else(|| anyhow::anyhow!("{path} failed"))?;
        sizes.push(format!("{path} {} KiB", body.len() / 1024));
    }
    eprintln!("{backend}: answer sizes: {}", sizes.join(", "));
    for (what, path) in [
        ("GET /api/cost/dashboard", "/api/cost/dashboard".to_string()),
        ("GET /api/cost/alerts", "/api/cost/alerts".to_string()),
        ("GET /api/cost/infrastructure (page 1 of 50)", "/api/cost/infrastructure".to_string()),
        ("GET /api/cost/infrastructure/{id}", item_path.clone()),
    ] {
        let run = load(&client, CLIENTS, duration, 200, move |c, _| c.get(&path)).await;
        eprintln!("{backend}: {what} done");
        rows.push(run.row(backend, what, CLIENTS));
    }

    // Reads while one client writes every 100 ms.
    let writer = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut written = 0;
            let deadline = Instant::now() + duration;
            let mut n = 1_000_000;
            while Instant::now() < deadline {
                n += 1;
                if client.timed(client.record(n), 201).await.is_some() {
                    written += 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            written
        })
    };
    let run = load(&client, CLIENTS, duration, 200, |c, _| c.get("/api/cost/dashboard")).await;
    let written = writer.await?;
    rows.push(run.row(
        backend,
        &format!("GET /api/cost/dashboard while {written} costs are recorded (one per 100 ms)"),
        CLIENTS,
    ));

    // Writes, one at a time.
    let run = one_at_a_time(&client, 200, 201, async |c, n| c.record(2_000_000 + n)).await;
    rows.push(run.row(backend, "POST /api/cost/records", 1));
    let run = one_at_a_time(&client, 200, 200, async |c, n| {
        let etag = c
            .get(&item_path)
            .bearer_auth(&c.token)
            .send()
            .await
            .ok()
            .and_then(|a| a.headers().get("etag").and_then(|e| e.to_str().ok()).map(str::to_string))
            .unwrap_or_default();
        c.http
            .put(format!("{}{item_path}", c.base))
            .header("if-match", etag)
            .json(&json!({ "notes": format!("edit {n}") }))
    })
    .await;
    rows.push(run.row(backend, "PUT /api/cost/infrastructure/{id} with If-Match (the GET for its ETag not timed)", 1));
    let run = load(&client, 8, Duration::from_secs(10), 201, |c, n| c.record(3_000_000 + n)).await;
    rows.push(run.row(backend, "POST /api/cost/records", 8));

    let _ = stop.send(());
    serving.await??;
    store.close().await;
    Ok(rows)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let size = std::env::var("JARVIS_BENCH_SIZE").unwrap_or_else(|_| "large".into());
    let secs = env("JARVIS_BENCH_API_SECS", 20) as u64;
    let dir = tempfile::tempdir()?;
    let sqlite = figures::seed(dir.path(), &format!("{size}.db"), &size, "1", NOW).await?;
    // Copied before anything is measured, so that both backends start from the same ledger.
    let postgres = match std::env::var("JARVIS_BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")) {
        Ok(admin) => Some(figures::onto_postgres(&admin, &sqlite, &format!("jarvis_bench_api_{size}"), NOW).await?),
        Err(_) => {
            eprintln!("no PostgreSQL (JARVIS_BENCH_DATABASE_URL or TEST_DATABASE_URL): its part is skipped");
            None
        }
    };
    let mut rows = measure(&sqlite, "SQLite", secs).await?;
    if let Some(url) = postgres {
        rows.extend(measure(&url, "PostgreSQL", secs).await?);
    }
    println!("\nThe API on loopback, workspace size {size}:\n");
    println!("| Backend | Request | Clients | Requests | Per second | p50 | p99 | Max | Failed |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}
