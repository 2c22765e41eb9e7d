//! Reading FOCUS files at size (issue 14): `cargo bench --bench import`.
//!
//! Writes a seeded FOCUS 1.2 file of `JARVIS_BENCH_IMPORT_ROWS` rows (default 1,000,000) with
//! `app::focus_sample`, and its gzip-compressed copy, then times Jarvis reading each one
//! (`app::focus_file::read_focus`: parse, check every value, add up per service and day, exactly)
//! with the peak memory of the reading alone; and, side by side, DuckDB (the `duckdb` Python
//! package, not a project dependency: installed with pip when missing, skipped with a message when
//! it cannot be) summing BilledCost per service and day from the same file. The totals per
//! currency must be equal to the last digit. Then the whole import (`App::import_focus`: read,
//! map services to items, aggregate, replace, write, reconcile, commit) into a new SQLite ledger,
//! and into PostgreSQL when `JARVIS_BENCH_DATABASE_URL` (or `TEST_DATABASE_URL`) names a server,
//! with the dashboard's time after it. Results print as Markdown for docs/PERFORMANCE.md.

#[path = "common/figures.rs"]
mod figures;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use jarvis::app::focus_file::read_focus;
use jarvis::app::focus_sample::{SampleOptions, SampleVersion, write_sample};
use rust_decimal::Decimal;

/// The process's peak resident memory since the last reset, in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// Starts counting the peak again from what is resident now (Linux).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Reads `path` with Jarvis: seconds, peak MiB, totals per currency.
fn jarvis_read(path: &std::path::Path) -> anyhow::Result<(f64, f64, BTreeMap<String, Decimal>, usize)> {
    reset_peak();
    let started = Instant::now();
    let file = read_focus(std::fs::File::open(path)?, false, |_| {})?;
    let took = started.elapsed().as_secs_f64();
    let peak = peak_mib();
    let totals = file.totals.iter().map(|(c, s)| (c.code().to_string(), s.value())).collect();
    Ok((took, peak, totals, file.charges.len()))
}

const DUCKDB: &str = r#"
import sys, time, duckdb
path = sys.argv[1]
started = time.perf_counter()
rows = duckdb.sql(f"""
    SELECT ServiceName, BillingCurrency, substr(ChargePeriodStart, 1, 10) AS day, sum(BilledCost) AS cost
    FROM read_csv('{path}', header = true, all_varchar = false,
                  types = {{'BilledCost': 'DECIMAL(38,10)', 'ChargePeriodStart': 'VARCHAR', 'ChargePeriodEnd': 'VARCHAR',
                           'BillingPeriodStart': 'VARCHAR', 'BillingPeriodEnd': 'VARCHAR'}})
    GROUP BY ALL
""").fetchall()
took = time.perf_counter() - started
totals = {}
for _, currency, _, cost in rows:
    totals[currency] = totals.get(currency, 0) + cost
print(f"{took:.3f} {len(rows)}")
for currency, total in sorted(totals.items()):
    print(currency, format(total.normalize(), 'f'))
"#;

/// DuckDB summing per service and day, if it can run: seconds, groups, totals.
fn duckdb_read(path: &std::path::Path) -> Option<(f64, usize, BTreeMap<String, Decimal>)> {
    let has = |python: &str| Command::new(python).args(["-c", "import duckdb"]).status().is_ok_and(|s| s.success());
    if !has("python3") {
        eprintln!("installing the duckdb Python package for the comparison (pip)...");
        let _ = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--user", "--break-system-packages", "duckdb"])
            .status();
        if !has("python3") {
            eprintln!("no duckdb (python3 -m pip install duckdb): the comparison is skipped");
            return None;
        }
    }
    let output = Command::new("python3").args(["-c", DUCKDB]).arg(path).output().ok()?;
    if !output.status.success() {
        eprintln!("duckdb failed: {}", String::from_utf8_lossy(&output.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let mut lines = text.lines();
    let mut first = lines.next()?.split(' ');
    let took: f64 = first.next()?.parse().ok()?;
    let groups: usize = first.next()?.parse().ok()?;
    let totals = lines
        .filter_map(|l| l.split_once(' '))
        .map(|(c, t)| (c.to_string(), t.parse::<Decimal>().unwrap_or_default()))
        .collect();
    Some((took, groups, totals))
}

/// The whole import of `path` into the ledger at `url`: seconds, peak MiB, records written, and
/// the dashboard's time just after (the read model brought up to date) and once more.
async fn jarvis_import(path: &std::path::Path, url: &str) -> anyhow::Result<(f64, f64, u64, f64, f64)> {
    use jarvis::app::{App, FixedClock, ImportOptions};
    use jarvis::domain::audit::Actor;
    use jarvis::domain::workspace::WorkspaceId;
    let store = jarvis::store::Store::open(url).await?;
    let app = App::new(store.clone(), std::sync::Arc::new(FixedClock("2026-12-06T09:00:00Z".parse()?)));
    let workspace = WorkspaceId::parse("bench")?;
    let options = ImportOptions { file_name: "focus.csv".into(), ..ImportOptions::default() };
    reset_peak();
    let started = Instant::now();
    let summary = app.import_focus(&workspace, &Actor::Cli, std::fs::File::open(path)?, &options, |_| {}).await?;
    let took = started.elapsed().as_secs_f64();
    let peak = peak_mib();
    anyhow::ensure!(summary.totals.iter().all(|t| t.equal), "the import does not reconcile: {:?}", summary.totals);
    let timed = || async {
        let started = Instant::now();
        app.dashboard(&workspace, None).await.map(|_| started.elapsed().as_secs_f64() * 1000.0)
    };
    let first = timed().await?;
    let again = timed().await?;
    store.close().await;
    Ok((took, peak, summary.records, first, again))
}

/// What the time and peak memory of a child process are measured with (Python's `resource`).
const CHILD: &str = r#"
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
took = time.perf_counter() - started
if done.returncode != 0:
    sys.exit(done.stderr)
print(took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"#;

/// `jarvis import focus path` as a process of its own, into the ledger at `url`: seconds and
/// peak resident memory (MiB), or `None` when Python is missing.
fn jarvis_process(path: &std::path::Path, url: &str) -> anyhow::Result<Option<(f64, f64)>> {
    let output = match Command::new("python3")
        .args(["-c", CHILD, env!("CARGO_BIN_EXE_jarvis"), "--json", "import", "focus"])
        .arg(path)
        .env("DATABASE_URL", url)
        .env("JARVIS_FAKE_NOW", "2026-12-06T09:00:00Z")
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            eprintln!("no python3 to time the process with ({error})");
            return Ok(None);
        }
    };
    anyhow::ensure!(output.status.success(), "jarvis import focus failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout)?;
    let mut figures = text.split_whitespace().map(str::parse::<f64>);
    match (figures.next(), figures.next()) {
        (Some(Ok(took)), Some(Ok(peak))) => Ok(Some((took, peak))),
        _ => anyhow::bail!("unexpected timing output: {text}"),
    }
}

fn main() -> anyhow::Result<()> {
    let rows = figures::env("JARVIS_BENCH_IMPORT_ROWS", 1_000_000) as u64;
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("focus.csv");
    let started = Instant::now();
    let options = SampleOptions { rows, seed: 2026, version: SampleVersion::V1_2, month: "2026-11-01".parse()? };
    let written = write_sample(std::fs::File::create(&csv)?, options)?;
    let size = std::fs::metadata(&csv)?.len() as f64 / 1048576.0;
    eprintln!("wrote {rows} rows ({size:.0} MiB) in {:.1} s", started.elapsed().as_secs_f64());
    let gz = dir.path().join("focus.csv.gz");
    {
        let mut encoder = flate2::write::GzEncoder::new(std::fs::File::create(&gz)?, flate2::Compression::default());
        std::io::copy(&mut std::fs::File::open(&csv)?, &mut encoder)?;
        encoder.finish()?;
    }
    let written: BTreeMap<String, Decimal> = written.into_iter().map(|(c, t)| (c.to_string(), t)).collect();

    // The files just written are flushed first, so that no reader shares the disk with the
    // writeback; each reader then reads RUNS times, in turns, and the median counts.
    let _ = Command::new("sync").status();
    const RUNS: usize = 5;
    let median = |mut times: Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let mut table = vec![
        format!(
            "| Reader | File | Seconds (median of {RUNS}) | Rows/s | Peak memory | Groups | Totals equal to the written ones |"
        ),
        "|---|---|---|---|---|---|---|".to_string(),
    ];
    let mut jarvis: Vec<(Vec<f64>, f64, usize)> = vec![(Vec::new(), 0.0, 0), (Vec::new(), 0.0, 0)];
    let mut duckdb: Option<(Vec<f64>, usize, String)> = Some((Vec::new(), 0, String::new()));
    for _ in 0..RUNS {
        for (slot, path) in [&csv, &gz].into_iter().enumerate() {
            let (took, peak, totals, groups) = jarvis_read(path)?;
            anyhow::ensure!(totals == written, "Jarvis's totals {totals:?} differ from the written {written:?}");
            jarvis[slot].0.push(took);
            jarvis[slot].1 = jarvis[slot].1.max(peak);
            jarvis[slot].2 = groups;
        }
        if let Some((times, groups, equal)) = &mut duckdb {
            match duckdb_read(&csv) {
                Some((took, found, totals)) => {
                    times.push(took);
                    *groups = found;
                    *equal = if totals == written { "yes".to_string() } else { format!("no: {totals:?}") };
                }
                None => duckdb = None,
            }
        }
    }
    for ((times, peak, groups), what) in jarvis.into_iter().zip(["CSV", "CSV, gzip"]) {
        let took = median(times);
        table.push(format!(
            "| Jarvis (read_focus) | {what}, {rows} rows | {took:.2} | {:.0} | {peak:.0} MiB | {groups} | yes |",
            rows as f64 / took
        ));
    }
    if let Some((times, groups, equal)) = duckdb {
        let took = median(times);
        table.push(format!(
            "| DuckDB (Python), sum per service and day | CSV, {rows} rows | {took:.2} | {:.0} | | {groups} | {equal} |",
            rows as f64 / took
        ));
    }
    println!("\nFOCUS 1.2, {rows} rows, {size:.0} MiB:\n");
    for line in table {
        println!("{line}");
    }

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut ledgers = vec![("SQLite", format!("sqlite://{}", dir.path().join("ledger.db").display()))];
    let postgres = std::env::var("JARVIS_BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
    if let Some(admin) = &postgres {
        ledgers.push(("PostgreSQL", runtime.block_on(figures::postgres_database(admin, "jarvis_bench_import"))?));
    }

    // The command as an admin runs it: a process of its own, from start to exit.
    println!("\n`jarvis import focus FILE` as a process of its own, into an empty ledger:\n");
    println!("| Ledger | File | Seconds | Rows/s | Peak memory (max RSS) |");
    println!("|---|---|---|---|---|");
    let mut processes = vec![("SQLite", format!("sqlite://{}", dir.path().join("process.db").display()))];
    if let Some(admin) = &postgres {
        processes.push(("PostgreSQL", runtime.block_on(figures::postgres_database(admin, "jarvis_bench_process"))?));
    }
    for (name, url) in &processes {
        for (what, path) in [("CSV", &csv), ("CSV, gzip (a re-import)", &gz)] {
            if let Some((took, peak)) = jarvis_process(path, url)? {
                println!("| {name} | {what} | {took:.2} | {:.0} | {peak:.0} MiB |", rows as f64 / took);
            }
        }
    }
    println!("\nThe whole import (read, map, aggregate, write, reconcile), into an empty ledger:\n");
    println!("| Ledger | File | Seconds | Rows/s | Peak memory | Records written | Dashboard after, first / again |");
    println!("|---|---|---|---|---|---|---|");
    for (name, url) in ledgers {
        for (what, path) in [("CSV", &csv), ("CSV, gzip", &gz)] {
            let (took, peak, records, first, again) = runtime.block_on(jarvis_import(path, &url))?;
            println!(
                "| {name} | {what} | {took:.2} | {:.0} | {peak:.0} MiB | {records} | {first:.0} ms / {again:.1} ms |",
                rows as f64 / took
            );
        }
    }
    Ok(())
}
