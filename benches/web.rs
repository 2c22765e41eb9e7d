//! The web pages on the large workspace: `cargo bench --bench web`.
//!
//! A large workspace (`jarvis demo --size large`: 10,000 items, 1,000,000 records) is seeded into
//! a fresh SQLite file (and, with a PostgreSQL server in `JARVIS_BENCH_DATABASE_URL`, else
//! `TEST_DATABASE_URL`, copied there too). The pages are served on 127.0.0.1 and read by one
//! signed-in client, one request at a time, so each latency is the server's time to make the page
//! (plus loopback): every page `JARVIS_BENCH_WEB_REQUESTS` times (default 100) after 5 to warm
//! up, in English and in Thai. Page weight is the HTML plus what it loads (the stylesheet; the
//! Thai font on Thai pages), without images (the pages have none). Results print as Markdown
//! tables for docs/PERFORMANCE.md. `JARVIS_BENCH_SIZE` picks another size (`small`, `medium`).

#[path = "common/figures.rs"]
mod figures;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jarvis::app::{App, FixedClock};
use jarvis::domain::audit::Actor;
use jarvis::domain::workspace::{Language, WorkspaceId};
use jarvis::store::Store;

use figures::{env, ms, percentile};

const NOW: &str = "2026-11-30T12:00:00Z";
const WORKSPACE: &str = "1";

/// The pages measured, by name and path under the workspace.
const PAGES: &[(&str, &str)] = &[
    ("Dashboard", "/"),
    ("Items, page 1", "/items"),
    ("Items by monthly cost", "/items?sort=cost"),
    ("Items, search", "/items?q=api&sort=renewal"),
    ("Item", "/items/5000"),
    ("Add form", "/items/new?kind=ai_provider"),
    ("Calendar", "/calendar"),
    ("AI providers", "/ai"),
    ("Analysis", "/analysis"),
    ("History, this month", "/history"),
    ("Budgets", "/budgets"),
    ("Websites", "/sites"),
    ("Settings", "/settings"),
];

/// A signed-in client of the pages at `base`, in `language`; its cookie.
async fn sign_in(app: &App, http: &reqwest::Client, base: &str, language: Language) -> anyhow::Result<String> {
    let workspace = WorkspaceId::parse(WORKSPACE)?;
    let link = app.create_web_link(&workspace, &Actor::Cli, "Bench", true, Some(language)).await?;
    let answer = http.post(format!("{base}/signin/{}", link.secret)).send().await?;
    let cookie = answer.headers().get("set-cookie").ok_or_else(|| anyhow::anyhow!("no cookie"))?.to_str()?;
    Ok(cookie.split(';').next().unwrap_or_default().to_string())
}

/// Rows of the table for one backend.
async fn measure(url: &str, backend: &str, requests: usize) -> anyhow::Result<Vec<String>> {
    let store = Store::open(url).await?;
    let app = App::new(store.clone(), Arc::new(FixedClock(NOW.parse()?)));
    let server = jarvis::http::Server::bind(app.clone(), jarvis::http::Options::new("127.0.0.1:0".parse()?)).await?;
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let asset = |path: &str| {
        let (http, url) = (http.clone(), format!("{base}{path}"));
        async move { Ok::<_, anyhow::Error>(http.get(url).send().await?.bytes().await?.len()) }
    };
    let (css, font) = (asset("/assets/app.css").await?, asset("/assets/noto-sans-thai.ttf").await?);
    let mut rows = Vec::new();
    for language in [Language::English, Language::Thai] {
        let cookie = sign_in(&app, &http, &base, language).await?;
        for (name, path) in PAGES {
            let url = format!("{base}/w/{WORKSPACE}{path}");
            let get = || http.get(&url).header("cookie", &cookie).send();
            for _ in 0..5 {
                get().await?.bytes().await?;
            }
            let mut times: Vec<Duration> = Vec::with_capacity(requests);
            let mut size = 0;
            for _ in 0..requests {
                let started = Instant::now();
                let answer = get().await?;
                anyhow::ensure!(answer.status().is_success(), "{path}: {}", answer.status());
                size = answer.bytes().await?.len();
                times.push(started.elapsed());
            }
            times.sort();
            eprintln!("{backend} {name} ({}): p99 {}", language.as_str(), ms(percentile(&times, 0.99)));
            let weight = size + css + if language == Language::Thai { font } else { 0 };
            rows.push(format!(
                "| {backend} | {name} | {} | {} | {} | {} | {:.1} | {:.1} |",
                language.as_str(),
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.99)),
                ms(*times.last().expect("requests")),
                size as f64 / 1024.0,
                weight as f64 / 1024.0,
            ));
        }
    }
    let _ = stop.send(());
    serving.await??;
    store.close().await;
    Ok(rows)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let size = std::env::var("JARVIS_BENCH_SIZE").unwrap_or_else(|_| "large".into());
    let requests = env("JARVIS_BENCH_WEB_REQUESTS", 100);
    let dir = tempfile::tempdir()?;
    let sqlite = figures::seed(dir.path(), "bench.db", &size, WORKSPACE, NOW).await?;
    let mut rows = measure(&sqlite, "SQLite", requests).await?;
    match std::env::var("JARVIS_BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")) {
        Ok(admin) => {
            let url = figures::onto_postgres(&admin, &sqlite, &format!("jarvis_bench_web_{size}"), NOW).await?;
            rows.extend(measure(&url, "PostgreSQL", requests).await?);
        }
        Err(_) => eprintln!("no PostgreSQL (JARVIS_BENCH_DATABASE_URL or TEST_DATABASE_URL): its part is skipped"),
    }
    println!("\nThe web pages, workspace size {size}, one client, {requests} requests a page:\n");
    println!("| Backend | Page | Language | p50 | p99 | Max | HTML KiB | Weight KiB |");
    println!("|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}
