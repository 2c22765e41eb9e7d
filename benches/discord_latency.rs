//! Latency of the bot's read commands, dispatch to callback and to the final answer, against the
//! fake Discord on 127.0.0.1: the demo workspace and a large one (10,000 items, 1,000,000 cost
//! records by default). A benchmark, not a test: `cargo bench --bench discord_latency`.
//!
//! `JARVIS_BENCH_ITEMS`, `JARVIS_BENCH_RECORDS` and `JARVIS_BENCH_RUNS` change the sizes.

#[path = "../tests/fake_discord/mod.rs"]
mod fake_discord;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Member};
use jarvis::app::{App, DEFAULT_SEED, FixedClock, SeedOptions, SeedSize};
use jarvis::domain::audit::Actor;
use jarvis::domain::workspace::WorkspaceId;
use jarvis::store::Store;
use serde_json::{Value, json};

const DEMO: u64 = 1001;
const LARGE: u64 = 2002;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let items = env("JARVIS_BENCH_ITEMS", 10_000);
    let records = env("JARVIS_BENCH_RECORDS", 1_000_000);
    let runs = env("JARVIS_BENCH_RUNS", 20);
    let dir = tempfile::tempdir()?;
    let store = Store::open(&format!("sqlite://{}", dir.path().join("bench.db").display())).await?;
    let app = App::new(store, Arc::new(FixedClock("2026-11-30T12:00:00Z".parse()?)));
    let demo = WorkspaceId::parse(&DEMO.to_string())?;
    let large = WorkspaceId::parse(&LARGE.to_string())?;
    app.load_demo(&demo, &Actor::Cli).await?;
    let started = Instant::now();
    let options = SeedOptions { size: SeedSize::Custom { items, records }, seed: DEFAULT_SEED, allow_existing: false };
    let seeded = app.seed_workspace(&large, &Actor::Cli, options, |_| {}).await?;
    eprintln!(
        "large workspace: {} items, {} records, seeded in {:.1} s",
        seeded.items,
        seeded.records,
        started.elapsed().as_secs_f64()
    );

    let fake = FakeDiscord::start().await;
    let config = jarvis::discord::Config {
        token: "bench-token".into(),
        guild_id: None,
        api_proxy: Some(fake.url()),
        tick: jarvis::discord::Config::TICK,
        alert_every: jarvis::discord::Config::ALERT_EVERY,
        jobs_every: jarvis::discord::Config::JOBS_EVERY,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let bot = tokio::spawn(jarvis::discord::run(app.clone(), config, async move {
        let _ = stopped.await;
    }));
    fake.wait_ready().await;
    fake.wait_commands(None).await;

    let who = Member::new(42, "bench", 0);
    let commands: [(&str, Value); 4] = [
        ("dashboard", json!([])),
        ("trends", json!([])),
        ("alerts", json!([])),
        ("jarvis", json!([{"name": "report", "options": []}])),
    ];
    println!("| Workspace | Command | Callback p50 | Callback p99 | Answer p50 | Answer p99 |");
    println!("|---|---|---|---|---|---|");
    for (label, guild, rounds) in [("demo", DEMO, runs), ("large", LARGE, runs.div_ceil(4).max(3))] {
        for (name, options) in &commands {
            let mut callback = Vec::with_capacity(rounds);
            let mut answer = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let outcome = fake.command(&who, Some(guild), name, options.clone(), "en-US").await;
                callback.push(outcome.latency);
                answer.push(outcome.answered);
            }
            callback.sort();
            answer.sort();
            println!(
                "| {label} | /{name} | {} | {} | {} | {} |",
                ms(percentile(&callback, 0.5)),
                ms(percentile(&callback, 0.99)),
                ms(percentile(&answer, 0.5)),
                ms(percentile(&answer, 0.99)),
            );
        }
    }
    let violations = fake.violations();
    if !violations.is_empty() {
        eprintln!("violations: {violations:#?}");
    }
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), bot).await;
    fake.shutdown().await;
    Ok(())
}
