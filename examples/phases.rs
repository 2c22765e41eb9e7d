use chrono::Datelike;
use jarvis::analysis::*;
use jarvis::domain::calendar::{DateRange, Month};
use jarvis::domain::rates::RateBook;
use jarvis::domain::workspace::WorkspaceId;
use jarvis::store::{Removed, Store};
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).unwrap();
    let t = Instant::now();
    let store = Store::open(&format!("sqlite://{path}")).await?;
    eprintln!("open {:?}", t.elapsed());
    let ws = WorkspaceId::parse("large")?;
    let today: chrono::NaiveDate = "2026-11-30".parse()?;
    for _ in 0..2 {
        let t = Instant::now();
        let mut tx = store.read().await?;
        let settings = tx.settings(&ws).await?;
        let items = tx.items(&ws, Removed::Included).await?;
        let a = t.elapsed();
        let rollups = tx.rollups(&ws, (2025, 2027)).await?;
        let b = t.elapsed();
        let from = Month::of(today).plus(-13).first_day();
        let covered = covered_days(&rollups, DateRange { start: from, end: today + chrono::Duration::days(367) });
        let c = t.elapsed();
        let settled = settle_all(items, today, &covered, from);
        let d = t.elapsed();
        let rates = RateBook::new(tx.rates(&ws).await?);
        let budgets = tx.budgets(&ws).await?;
        let run_rates = run_rates(&settled.items, &rollups, &settled.pending, &rates, today);
        let e = t.elapsed();
        let web = website::Web::default();
        let ledger = Ledger {
            today,
            settings: &settings,
            items: &settled.items,
            rollups: &rollups,
            pending: &settled.pending,
            rates: &rates,
            budgets: &budgets,
            web: &web,
            run_rates: &run_rates,
        };
        let spend = spend::spend(&ledger, 13);
        let f = t.elapsed();
        let found = alerts::alerts(&ledger, &spend);
        let g = t.elapsed();
        let dash = dashboard::dashboard(&ledger, &spend, found, 30);
        let h = t.elapsed();
        let json = serde_json::to_string(&dash)?;
        let i = t.elapsed();
        eprintln!(
            "items {:?} rollups {:?} covered {:?} settle {:?} runrates {:?} spend {:?} alerts {:?} dash {:?} json {:?} ({} bytes, {} item rollups, {} pending)",
            a,
            b - a,
            c - b,
            d - c,
            e - d,
            f - e,
            g - f,
            h - g,
            i - h,
            json.len(),
            rollups.len(),
            settled.pending.len()
        );
        let _ = today.year();
    }
    Ok(())
}
