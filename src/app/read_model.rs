//! The read model in memory: each workspace's items and month roll-ups as last read, brought up
//! to date on every read with what changed since (rows carry the workspace version that wrote
//! them). A read of an unchanged workspace costs one query; after a write, the rows that write
//! touched. Several processes sharing a database each keep their own copy, checked the same way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Result;
use crate::domain::item::Item;
use crate::domain::rollup::ItemRollups;
use crate::domain::workspace::WorkspaceId;
use crate::store::{Detail, Tx};

/// A workspace's items and roll-ups at one version.
#[derive(Clone, Debug)]
pub(super) struct Snapshot {
    /// Bumped when the roll-ups were rebuilt: a copy of another epoch is read again whole.
    epoch: i64,
    version: i64,
    /// Every item, removed ones included, by id.
    pub items: Vec<Item>,
    /// The roll-ups of the years `years`, by item, read with `detail`.
    pub rollups: HashMap<i64, ItemRollups>,
    years: (i32, i32),
    detail: Detail,
}

impl Snapshot {
    fn holds(&self, years: (i32, i32)) -> bool {
        self.years.0 <= years.0 && years.1 <= self.years.1
    }

    fn size(&self) -> usize {
        self.items.len()
    }
}

/// At most this many items are held in memory across workspaces (the least recently read go
/// first); a workspace larger than that is read afresh each time.
const MAX_ITEMS_HELD: usize = 50_000;

/// The copies, least recently read first.
#[derive(Default)]
pub(super) struct ReadModelCache {
    held: Mutex<Vec<(WorkspaceId, Arc<Snapshot>)>>,
}

impl ReadModelCache {
    fn get(&self, workspace: &WorkspaceId) -> Option<Arc<Snapshot>> {
        let held = self.held.lock().expect("the read model lock is never poisoned");
        held.iter().find(|(w, _)| w == workspace).map(|(_, s)| Arc::clone(s))
    }

    /// Lets go of the workspace's copy if it is `snapshot`, so that whoever brings it up to date
    /// holds the only reference and changes it in place (unless a reader still holds it).
    fn forget(&self, workspace: &WorkspaceId, snapshot: &Arc<Snapshot>) {
        let mut held = self.held.lock().expect("the read model lock is never poisoned");
        held.retain(|(w, s)| !(w == workspace && Arc::ptr_eq(s, snapshot)));
    }

    fn put(&self, workspace: &WorkspaceId, snapshot: Arc<Snapshot>) {
        let mut held = self.held.lock().expect("the read model lock is never poisoned");
        held.retain(|(w, _)| w != workspace);
        if snapshot.size() > MAX_ITEMS_HELD {
            return;
        }
        held.push((workspace.clone(), snapshot));
        while held.iter().map(|(_, s)| s.size()).sum::<usize>() > MAX_ITEMS_HELD {
            held.remove(0);
        }
    }
}

impl super::App {
    /// The workspace's items and its roll-ups over the years `years` names for those items (at
    /// least), read with `detail` (at least), as `tx` sees them. Inside a write, the workspace is
    /// read afresh and the copy is not kept (it may hold what the write has not committed).
    pub(super) async fn snapshot(
        &self,
        tx: &mut Tx,
        workspace: &WorkspaceId,
        years: &(dyn Fn(&[Item]) -> (i32, i32) + Sync),
        detail: Detail,
    ) -> Result<Arc<Snapshot>> {
        let (epoch, version) = tx.read_model_version(workspace).await?;
        if tx.writes() {
            tx.flush_read_model().await?;
            let items = tx.items(workspace, crate::store::Removed::Included).await?;
            let years = years(&items);
            return Ok(Arc::new(Snapshot {
                epoch,
                version,
                items,
                rollups: tx.rollups(workspace, years, detail).await?,
                years,
                detail,
            }));
        }
        // A copy read with less detail than wanted (the month moved on) is read again whole.
        let cached = self
            .read_model
            .get(workspace)
            .filter(|s| s.epoch == epoch && s.version <= version && s.detail.holds(detail));
        let snapshot = match cached {
            Some(held) if held.version == version && held.holds(years(&held.items)) => return Ok(held),
            Some(held) => {
                self.read_model.forget(workspace, &held);
                let mut snapshot = Arc::unwrap_or_clone(held);
                if snapshot.version < version {
                    let changed = tx.items_since(workspace, snapshot.version).await?;
                    merge_items(&mut snapshot.items, changed);
                    let rows =
                        tx.rollup_rows(workspace, snapshot.years, Some(snapshot.version), snapshot.detail).await?;
                    merge_rollups(&mut snapshot.rollups, rows);
                    snapshot.version = version;
                }
                let years = years(&snapshot.items);
                if !snapshot.holds(years) {
                    let wider = (snapshot.years.0.min(years.0), snapshot.years.1.max(years.1));
                    for span in [(wider.0, snapshot.years.0 - 1), (snapshot.years.1 + 1, wider.1)] {
                        if span.0 <= span.1 {
                            let rows = tx.rollup_rows(workspace, span, None, snapshot.detail).await?;
                            merge_rollups(&mut snapshot.rollups, rows);
                        }
                    }
                    snapshot.years = wider;
                }
                snapshot
            }
            None => {
                let items = tx.items(workspace, crate::store::Removed::Included).await?;
                let years = years(&items);
                Snapshot { epoch, version, items, rollups: tx.rollups(workspace, years, detail).await?, years, detail }
            }
        };
        let snapshot = Arc::new(snapshot);
        self.read_model.put(workspace, Arc::clone(&snapshot));
        Ok(snapshot)
    }
}

/// `items` (by id) with `changed` in place of their older selves.
fn merge_items(items: &mut Vec<Item>, changed: Vec<Item>) {
    for item in changed {
        match items.binary_search_by_key(&item.id, |i| i.id) {
            Ok(at) => items[at] = item,
            Err(at) => items.insert(at, item),
        }
    }
}

/// `held` with each row of `rows` (an item's year, every month of it with records) in place of
/// that year's older months.
fn merge_rollups(held: &mut HashMap<i64, ItemRollups>, rows: Vec<(i64, i32, Vec<crate::domain::rollup::MonthRollup>)>) {
    for (item, year, months) in rows {
        let entry = held.entry(item).or_default();
        entry.replace_year(year, months);
    }
}
