//! `demo --size`: fills a workspace with a large generated workload (`workload.rs`) through the
//! store's own typed writes, in batches of whole items, reporting progress as it goes.
//!
//! What it leaves to the jobs: nothing that is due. Every item's history is what renewal
//! advancement and month close would have written up to today (see `workload.rs`), so `jarvis
//! jobs run` right after seeding charges nothing; the open usage cycles (billed when they end)
//! and the current month's subscription days that no renewal paid in advance (closed when the
//! month ends) are left to the jobs' later runs, as for any workspace.

mod catalog;
mod workload;

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::cost::NewCostRecord;
use crate::domain::item::Kind;
use crate::domain::workspace::WorkspaceId;
use crate::store::{Removed, Tx};

use workload::{Context, Lived, Taken, Target};

/// The seed `demo --size` uses unless given another.
pub const DEFAULT_SEED: u64 = 42;

/// A transaction is committed once it holds this many items...
const BATCH_ITEMS: usize = 1_000;
/// ...or this many cost records (an item always goes with all of its records).
const BATCH_RECORDS: usize = 50_000;

/// How much to generate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SeedSize {
    /// 100 items, 10,000 cost records.
    Small,
    /// 1,000 items, 100,000 cost records.
    Medium,
    /// 10,000 items, 1,000,000 cost records.
    Large,
    /// Any size (for tests and benchmarks).
    Custom { items: usize, records: usize },
}

impl SeedSize {
    pub fn items(self) -> usize {
        match self {
            SeedSize::Small => 100,
            SeedSize::Medium => 1_000,
            SeedSize::Large => 10_000,
            SeedSize::Custom { items, .. } => items,
        }
    }

    /// Cost records, removed ones included.
    pub fn records(self) -> usize {
        match self {
            SeedSize::Custom { records, .. } => records,
            other => other.items() * 100,
        }
    }

    /// Monitored sites: one per five items, up to 20.
    pub fn sites(self) -> usize {
        self.items().div_ceil(5).min(20)
    }

    pub fn name(self) -> &'static str {
        match self {
            SeedSize::Small => "small",
            SeedSize::Medium => "medium",
            SeedSize::Large => "large",
            SeedSize::Custom { .. } => "custom",
        }
    }
}

/// What to seed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SeedOptions {
    pub size: SeedSize,
    /// The same seed gives the same workspace (on the same day, in an empty workspace).
    pub seed: u64,
    /// Add to a workspace that already has items (nothing of theirs is changed or deleted).
    pub allow_existing: bool,
}

/// How far seeding is, reported after every item.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SeedProgress {
    pub items: usize,
    pub items_total: usize,
    pub records: usize,
    pub records_total: usize,
    pub elapsed: Duration,
}

impl SeedProgress {
    /// Rows written of those to write, in percent.
    pub fn percent(&self) -> u32 {
        let total = (self.items_total + self.records_total).max(1);
        let done = (self.items + self.records).min(total);
        u32::try_from(done * 100 / total).unwrap_or(100)
    }
}

/// Items of one kind that seeding added.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct KindCount {
    pub kind: Kind,
    pub items: usize,
    /// Of them, removed (they keep their history).
    pub removed: usize,
    /// Cost records of these items, removed ones included.
    pub records: usize,
}

/// What seeding added.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct SeedSummary {
    pub workspace: WorkspaceId,
    pub size: &'static str,
    pub seed: u64,
    pub today: chrono::NaiveDate,
    /// The first day of the history.
    pub history_from: chrono::NaiveDate,
    pub items: usize,
    pub removed_items: usize,
    pub by_kind: Vec<KindCount>,
    /// Cost records, removed ones included.
    pub records: usize,
    pub removed_records: usize,
    pub rates: usize,
    pub budgets: usize,
    pub sites: usize,
    /// Transactions committed.
    pub transactions: usize,
    pub elapsed_ms: u64,
}

/// What one transaction added, for its audit entry and the summary.
#[derive(Default)]
struct Batch {
    items: usize,
    removed_items: usize,
    records: usize,
    removed_records: usize,
    by_kind: Vec<(Kind, usize)>,
    ids: Option<(i64, i64)>,
}

impl Batch {
    fn audit(&self, options: &SeedOptions) -> Change {
        let by_kind: serde_json::Map<String, serde_json::Value> =
            self.by_kind.iter().map(|(kind, n)| (kind.as_str().to_string(), json!(n))).collect();
        Change {
            action: "demo.seed",
            entity: "item",
            entity_id: self.ids.map(|(first, last)| format!("{first}-{last}")),
            before: None,
            after: Some(json!({
                "seed": options.seed,
                "size": options.size.name(),
                "items": self.items,
                "by_kind": by_kind,
                "removed_items": self.removed_items,
                "records": self.records,
                "removed_records": self.removed_records,
            })),
        }
    }
}

impl App {
    /// Fills `workspace` with a generated workload of `options.size` (items of every kind, period
    /// and currency with three years of cost history, exchange rates, budgets and sites), the same
    /// for the same seed. Refuses a workspace with items unless `options.allow_existing`, and then
    /// only adds. Writes go through the store's typed writes in transactions of up to
    /// [`BATCH_ITEMS`] items or [`BATCH_RECORDS`] records, each with one audit entry saying what it
    /// added; `progress` hears after every item. Stopped half-way, the batches committed stay, each
    /// holding whole items with all their records.
    pub async fn seed_workspace(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        options: SeedOptions,
        mut progress: impl FnMut(SeedProgress),
    ) -> Result<SeedSummary> {
        let started = Instant::now();
        let now = self.now();
        let (ctx, taken) = {
            let mut tx = self.store.read().await?;
            refuse_used(&mut tx, workspace, &options).await?;
            let existing = tx.items(workspace, Removed::Excluded).await?;
            let settings = tx.settings(workspace).await?;
            let taken = Taken {
                names: existing.iter().map(|i| (i.kind(), i.name.key())).collect(),
                urls: tx.sites(workspace).await?.into_iter().map(|s| s.url).collect(),
                rates: tx.rates(workspace).await?.iter().map(|r| (r.base, r.quote, r.date)).collect(),
                budgets: tx.budgets(workspace).await?.iter().map(|b| b.scope).collect(),
            };
            (Context::new(self.today(&settings), now, settings.base_currency), taken)
        };
        let size = options.size;
        let target = Target { items: size.items(), records: size.records(), sites: size.sites() };
        let plan = workload::plan(options.seed, target, &ctx, &taken);
        let mut summary = SeedSummary {
            workspace: workspace.clone(),
            size: size.name(),
            seed: options.seed,
            today: ctx.today,
            history_from: ctx.from,
            items: 0,
            removed_items: 0,
            by_kind: Kind::ALL.iter().map(|&kind| KindCount { kind, items: 0, removed: 0, records: 0 }).collect(),
            records: 0,
            removed_records: 0,
            rates: plan.rates.len(),
            budgets: plan.budgets.len(),
            sites: plan.sites.len(),
            transactions: 0,
            elapsed_ms: 0,
        };
        let report = |summary: &SeedSummary| SeedProgress {
            items: summary.items,
            items_total: target.items,
            records: summary.records,
            records_total: target.records,
            elapsed: started.elapsed(),
        };
        progress(report(&summary));

        // Rates, budgets and sites first, in one transaction.
        let mut tx = self.write(workspace).await?;
        refuse_used(&mut tx, workspace, &options).await?;
        for rate in &plan.rates {
            tx.set_rate(workspace, rate, now).await?;
        }
        for budget in &plan.budgets {
            tx.set_budget(workspace, budget, now).await?;
        }
        for site in &plan.sites {
            tx.insert_site(workspace, &site.url, site.keyword, site.interval_minutes, site.created_at).await?;
        }
        let setup = Change {
            action: "demo.seed",
            entity: "workspace",
            entity_id: Some(workspace.to_string()),
            before: None,
            after: Some(json!({
                "seed": options.seed,
                "size": size.name(),
                "rates": plan.rates.len(),
                "budgets": plan.budgets.len(),
                "sites": plan.sites.len(),
            })),
        };
        tx.audit(workspace, actor, now, &setup).await?;
        tx.commit().await?;
        summary.transactions += 1;

        let mut tx = self.write(workspace).await?;
        let mut batch = Batch::default();
        for life in &plan.items {
            let lived = life.live(&ctx);
            let (id, rows, removed_records) = write_item(&mut tx, workspace, actor, &lived).await?;
            batch.items += 1;
            batch.records += rows;
            batch.removed_records += removed_records;
            batch.removed_items += usize::from(lived.removed_at.is_some());
            batch.ids = Some((batch.ids.map_or(id, |(first, _)| first), id));
            match batch.by_kind.iter_mut().find(|(kind, _)| *kind == life.kind) {
                Some((_, n)) => *n += 1,
                None => batch.by_kind.push((life.kind, 1)),
            }
            let kind = summary.by_kind.iter_mut().find(|k| k.kind == life.kind).expect("every kind is listed");
            kind.items += 1;
            kind.removed += usize::from(lived.removed_at.is_some());
            kind.records += rows;
            summary.items += 1;
            summary.removed_items += usize::from(lived.removed_at.is_some());
            summary.records += rows;
            summary.removed_records += removed_records;
            progress(report(&summary));
            if batch.items >= BATCH_ITEMS || batch.records >= BATCH_RECORDS {
                tx.audit(workspace, actor, now, &batch.audit(&options)).await?;
                tx.commit().await?;
                summary.transactions += 1;
                tx = self.write(workspace).await?;
                batch = Batch::default();
            }
        }
        if batch.items > 0 {
            tx.audit(workspace, actor, now, &batch.audit(&options)).await?;
            tx.commit().await?;
            summary.transactions += 1;
        }
        summary.by_kind.retain(|k| k.items > 0);
        summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(summary)
    }
}

/// Refuses a workspace that has items, unless told to add to it.
async fn refuse_used(tx: &mut Tx, workspace: &WorkspaceId, options: &SeedOptions) -> Result<()> {
    let existing = tx.items(workspace, Removed::Excluded).await?.len();
    if existing > 0 && !options.allow_existing {
        let existing = crate::render::plural(existing.into(), "item", "items");
        return Err(UserError::Conflict(format!(
            "Workspace `{workspace}` already has {existing}, and seeding fills an empty one; choose another workspace (e.g. `jarvis --workspace bench demo --size {}`) or add --allow-existing to add the generated items beside them (nothing is changed or deleted)",
            options.size.name()
        ))
        .into());
    }
    Ok(())
}

/// Stores one generated item with its records (a mistaken record is written and removed before
/// the one replacing it), and removes the item if its life ended so. Returns its id, the record
/// rows written, and how many of them were removed.
async fn write_item(tx: &mut Tx, workspace: &WorkspaceId, actor: &Actor, lived: &Lived) -> Result<(i64, usize, usize)> {
    let mut item = lived.item.clone();
    tx.insert_item(workspace, &mut item).await?;
    let id = item.id;
    let mut removed = 0;
    for entry in &lived.entries {
        let record = NewCostRecord { item_id: id, ..entry.record.clone() };
        if let Some(mistake) = entry.mistake {
            let wrong = NewCostRecord { amount: mistake.amount, ..record.clone() };
            let wrong_id = written(tx.insert_cost(workspace, &wrong, actor, mistake.entered).await?, id)?;
            tx.remove_cost(workspace, wrong_id, mistake.removed).await?;
            removed += 1;
        }
        let by = if entry.by_jobs { &Actor::Jarvis } else { actor };
        written(tx.insert_cost(workspace, &record, by, entry.at).await?, id)?;
    }
    if let Some(at) = lived.removed_at {
        tx.remove_item(workspace, id, at).await?;
    }
    Ok((id, lived.rows(), removed))
}

/// The id of a record just written; a record the store skipped as already there would mean the
/// generated history pays for a day twice.
fn written(id: Option<i64>, item: i64) -> Result<i64> {
    id.ok_or_else(|| anyhow::anyhow!("a generated cost record of item #{item} repeats another").into())
}
