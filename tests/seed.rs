//! `demo --size`: the generated workload through the app layer, on real SQLite files.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{TestDb, named, ws};
use jarvis::app::{AppError, ExportFormat, ExportWhat, ItemFilter, SeedOptions, SeedProgress, SeedSize};
use jarvis::domain::UserError;
use jarvis::domain::audit::Actor;
use jarvis::domain::calendar::DateRange;
use jarvis::domain::item::{BillingPeriod, Kind};
use jarvis::domain::page::PageRequest;
use jarvis::store::Removed;

const NOW: &str = "2026-11-30T09:00:00Z";

fn options(size: SeedSize, seed: u64) -> SeedOptions {
    SeedOptions { size, seed, allow_existing: false }
}

const TINY: SeedSize = SeedSize::Custom { items: 30, records: 1_500 };

/// The whole workspace as a backup file: items, records (removed ones too), rates, budgets,
/// sites, settings; without the public ids (random, not drawn from the seed).
async fn seeded_backup(seed: u64) -> String {
    let db = TestDb::new().await;
    let app = db.app_at(NOW);
    let bench = ws("bench");
    app.seed_workspace(&bench, &Actor::Cli, options(TINY, seed), |_| {}).await.unwrap();
    let backup = app.export(&bench, ExportWhat::All, ExportFormat::Json).await.unwrap().content;
    let kept: Vec<&str> = backup.lines().filter(|line| !line.trim_start().starts_with("\"uuid\": ")).collect();
    assert!(kept.len() < backup.lines().count(), "the backup has public ids");
    kept.join("\n")
}

#[tokio::test]
async fn the_same_seed_gives_the_same_workspace_and_another_seed_another() {
    let first = seeded_backup(42).await;
    assert!(first.contains("\"cost_records\""), "{}", &first[..500.min(first.len())]);
    assert_eq!(first, seeded_backup(42).await, "seed 42 twice");
    assert_ne!(first, seeded_backup(43).await, "seeds 42 and 43");
}

on_both_backends! {
    async fn seeding_refuses_a_workspace_with_items_unless_told_to_add(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        let mine = app.add_item(&local, &Actor::Cli, Kind::Other, &named("Office rent", "900")).await.unwrap().item;

        let refused = app.seed_workspace(&local, &Actor::Cli, options(TINY, 42), |_| {}).await;
        match refused {
            Err(AppError::User(UserError::Conflict(message))) => {
                assert!(message.contains("already has 1 item") && message.contains("--allow-existing"), "{message}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(app.list_rates(&local).await.unwrap().is_empty(), "nothing is written when refused");
        assert_eq!(app.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap().items.len(), 1);

        // Told to add: twice, with the same seed, beside the item that was there.
        let adding = SeedOptions { allow_existing: true, ..options(TINY, 42) };
        app.seed_workspace(&local, &Actor::Cli, adding, |_| {}).await.unwrap();
        let again = app.seed_workspace(&local, &Actor::Cli, adding, |_| {}).await.unwrap();
        assert_eq!(again.items, 30, "the same names get another number, nothing collides");
        let items = db.store.read().await.unwrap().items(&local, Removed::Included).await.unwrap();
        assert_eq!(items.len(), 61);
        let kept = items.iter().find(|i| i.id == mine.id).unwrap();
        assert_eq!((kept.name.as_str(), kept.cost.amount), ("Office rent", common::dec("900")), "theirs is untouched");
        let names: BTreeSet<(Kind, String)> =
            items.iter().filter(|i| i.removed_at.is_none()).map(|i| (i.kind(), i.name.key())).collect();
        assert_eq!(names.len(), items.iter().filter(|i| i.removed_at.is_none()).count(), "live names are unique");
    }
}

on_both_backends! {
    /// The small size, as `jarvis demo --size small` writes it.
    async fn the_small_workload_is_varied_consistent_and_leaves_the_jobs_nothing_to_charge(db) {
        let app = db.app_at(NOW);
        let bench = ws("bench");
        let mut heard: Vec<SeedProgress> = Vec::new();
        let summary =
            app.seed_workspace(&bench, &Actor::Cli, options(SeedSize::Small, 42), |p| heard.push(p)).await.unwrap();
        assert_eq!((summary.items, summary.records, summary.sites), (100, 10_000, 20));
        assert_eq!(summary.removed_records, 10, "one in a thousand entered wrong, removed and entered again");
        assert_eq!(summary.history_from.to_string(), "2023-11-01");

        // Progress after every item, ending at the totals.
        assert_eq!(heard.len(), 101);
        assert!(heard.windows(2).all(|w| w[0].items < w[1].items && w[0].records <= w[1].records));
        let last = heard.last().unwrap();
        assert_eq!((last.items, last.records, last.percent()), (100, 10_000, 100));

        let mut tx = db.store.read().await.unwrap();
        let items = tx.items(&bench, Removed::Included).await.unwrap();
        let records = tx.every_cost_record(&bench).await.unwrap();
        assert_eq!(items.len(), 100);
        assert_eq!(records.len(), 10_000);
        assert_eq!(records.iter().filter(|(_, removed)| removed.is_some()).count(), 10);
        for kind in Kind::ALL {
            assert!(items.iter().any(|i| i.kind() == *kind), "no {kind}");
        }
        for period in BillingPeriod::ALL {
            assert!(items.iter().any(|i| i.period == *period), "no {period}");
        }
        let currencies: BTreeSet<&str> = items.iter().map(|i| i.cost.currency.code()).collect();
        assert_eq!(currencies, BTreeSet::from(["EUR", "GBP", "JPY", "SGD", "THB", "USD"]));
        let rates = tx.rates(&bench).await.unwrap();
        assert!(rates.iter().any(|r| r.base.code() == "USD") && rates.iter().any(|r| r.quote.code() == "USD"));
        assert_eq!(tx.budgets(&bench).await.unwrap().len(), 6, "the total and each category");
        assert!(tx.sites(&bench).await.unwrap().iter().all(|s| s.url.contains(".example/")));

        // No two live records of an item pay for the same day; a removed one is replaced.
        let mut live: HashMap<i64, Vec<DateRange>> = HashMap::new();
        for (record, removed) in &records {
            if removed.is_none() {
                live.entry(record.item_id).or_default().push(record.period);
            }
        }
        for (item, periods) in &mut live {
            periods.sort();
            for pair in periods.windows(2) {
                assert!(pair[0].end < pair[1].start, "item #{item} pays twice for {pair:?}");
            }
        }
        for (wrong, _) in records.iter().filter(|(_, removed)| removed.is_some()) {
            assert!(live[&wrong.item_id].contains(&wrong.period), "removed record #{} is replaced", wrong.id);
        }
        drop(tx);

        // One audit entry per transaction.
        let audit = app.audit_log(&bench, PageRequest::first(100).unwrap()).await.unwrap().entries;
        assert_eq!(audit.iter().filter(|a| a.action == "demo.seed").count(), summary.transactions);
        // Every amount converts: the rates reach back to the first record.
        let warnings = app.list_items(&bench, ItemFilter::default(), PageRequest::default()).await.unwrap().warnings;
        assert!(warnings.is_empty(), "{warnings:?}");

        // The history is what the jobs would have written: running them now charges nothing.
        let report = app.run_jobs(&bench).await.unwrap();
        assert_eq!(report.renewals.len() + report.month_close.len() + report.skipped.len(), 0, "{report:?}");
    }
}

on_both_backends! {
    async fn a_record_target_smaller_than_the_history_keeps_the_newest_records(db) {
        let app = db.app_at(NOW);
        let bench = ws("bench");
        let size = SeedSize::Custom { items: 40, records: 120 };
        let summary = app.seed_workspace(&bench, &Actor::Cli, options(size, 9), |_| {}).await.unwrap();
        assert_eq!(summary.records, 120);
        let report = app.run_jobs(&bench).await.unwrap();
        assert_eq!(report.renewals.len() + report.month_close.len(), 0, "{report:?}");
    }
}
