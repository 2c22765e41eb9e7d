//! Use cases on items: add, edit, remove, restore, list, show.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::NaiveDate;
use serde_json::json;

use super::jobs::record_charges;
use super::views::{CostView, ItemChanged, ItemDetail, ItemList, ItemView, TotalsView};
use super::{App, Result};
use crate::analysis::alerts::missing_rate_text;
use crate::analysis::{Text, settle_all, text};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::DateRange;
use crate::domain::cost::{CostSource, NewCostRecord, settle};
use crate::domain::error::{close_matches, rank_matches};
use crate::domain::item::{BillingPeriod, Category, Item, ItemChanges, Kind, Status};
use crate::domain::page::{Noun, PageRequest};
use crate::domain::rates::RateBook;
use crate::domain::summary::{RunRates, monthly_totals};
use crate::domain::text::{Notes, name_key};
use crate::domain::workspace::{Settings, WorkspaceId};
use crate::store::{CostFilter, Removed, Tx};

/// How users point at an item: `#12` (an id), its name (compared on [`name_key`], so `TARGET` and
/// fullwidth `Ｔａｒｇｅｔ` find `Target`), or a bare number,
/// which is an id unless an item is also named that (then it is ambiguous). Optionally narrowed
/// to a kind when two kinds share a name.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ItemRef {
    pub query: String,
    pub kind: Option<Kind>,
    /// Only items of these kinds (empty: any), e.g. the four that `/infra` manages.
    pub kinds: Vec<Kind>,
}

impl ItemRef {
    pub fn new(query: impl Into<String>) -> ItemRef {
        ItemRef { query: query.into().trim().to_string(), kind: None, kinds: Vec::new() }
    }

    pub fn with_kind(self, kind: Option<Kind>) -> ItemRef {
        ItemRef { kind, ..self }
    }

    /// Narrowed to items of `kinds`.
    pub fn with_kinds(self, kinds: &[Kind]) -> ItemRef {
        ItemRef { kinds: kinds.to_vec(), ..self }
    }

    /// The public id this reference names, when it is one (a UUID).
    fn public_id(&self) -> Option<uuid::Uuid> {
        uuid::Uuid::try_parse(&self.query).ok()
    }

    /// The id this reference names, and whether it was explicit (`#12`).
    fn id(&self) -> Option<(i64, bool)> {
        let (digits, explicit) = match self.query.strip_prefix('#') {
            Some(rest) => (rest, true),
            None => (self.query.as_str(), false),
        };
        let all_digits = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
        all_digits.then(|| digits.parse().ok().map(|id| (id, explicit))).flatten()
    }

    /// The one item among `items` this reference points at.
    pub(super) fn find_in<'a>(&self, items: &'a [Item], what: &'static str) -> Result<&'a Item, UserError> {
        let candidates: Vec<&Item> = items
            .iter()
            .filter(|i| self.kind.is_none_or(|k| i.kind() == k))
            .filter(|i| self.kinds.is_empty() || self.kinds.contains(&i.kind()))
            .collect();
        if let Some(uuid) = self.public_id() {
            return candidates.into_iter().find(|i| i.uuid == uuid).ok_or_else(|| UserError::NotFound {
                what: self.kind.map_or(what, Kind::label),
                query: self.query.clone(),
                suggestions: Vec::new(),
            });
        }
        let by_id = self.id().and_then(|(id, explicit)| candidates.iter().find(|i| i.id == id).map(|i| (*i, explicit)));
        let key = name_key(&self.query);
        let by_name: Vec<&Item> = candidates.iter().copied().filter(|i| i.name.key() == key).collect();
        match (by_id, by_name.as_slice()) {
            (Some((item, true)), _) | (Some((item, false)), []) => Ok(item),
            (Some((item, false)), named) if named.iter().all(|n| n.id == item.id) => Ok(item),
            (None, [one]) => Ok(one),
            (Some((item, false)), named) => Err(UserError::Ambiguous {
                query: self.query.clone(),
                matches: std::iter::once(item)
                    .chain(named.iter().copied())
                    .map(|i| format!("#{} {} `{}`", i.id, i.kind(), i.name))
                    .collect(),
                first_id: item.id,
            }),
            (None, []) => Err(UserError::NotFound {
                what: self.kind.map_or(what, Kind::label),
                query: self.query.clone(),
                suggestions: close_matches(&self.query, candidates.iter().map(|i| i.name.as_str())),
            }),
            (None, many) => Err(UserError::Ambiguous {
                query: self.query.clone(),
                matches: many.iter().map(|i| format!("#{} {} `{}`", i.id, i.kind(), i.name)).collect(),
                first_id: many[0].id,
            }),
        }
    }
}

impl FromStr for ItemRef {
    type Err = UserError;
    fn from_str(s: &str) -> Result<Self, UserError> {
        if s.trim().is_empty() {
            return Err(UserError::Missing("Say which item: its name or its #id".into()));
        }
        Ok(ItemRef::new(s))
    }
}

/// An item offered while someone types its name.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ItemChoice {
    pub id: i64,
    pub name: String,
    pub kind: Kind,
}

/// Which items `list` shows, and in what order.
#[derive(Clone, Default, Debug)]
pub struct ItemFilter {
    pub kind: Option<Kind>,
    pub category: Option<Category>,
    pub status: Option<Status>,
    /// Words the name or provider contains (compared as names are: case and width folded).
    pub search: Option<String>,
    pub sort: ItemSort,
    /// Removed items (to restore) instead of live ones.
    pub removed: bool,
}

crate::domain::choice::choice_enum! {
    /// The orders an item list can take; ties are broken by name, then id, so pages never
    /// repeat or skip an item.
    #[derive(Default)]
    pub enum ItemSort as "sort" {
        /// By category, kind and name (the default).
        #[default]
        Category = "category",
        Name = "name",
        /// By monthly cost (in the base currency), dearest first.
        Cost = "cost",
        /// By next renewal, soonest first (items that do not renew last).
        Renewal = "renewal",
        Status = "status",
    }
}

/// Finds the live item `reference` points at, in `workspace` only.
pub(super) async fn resolve(tx: &mut Tx, workspace: &WorkspaceId, reference: &ItemRef) -> Result<Item> {
    // The items the reference could name (its id, its name's key), so a workspace of thousands is
    // not read for one; all of them only for suggestions when nothing matches.
    let id = reference_id(tx, workspace, reference).await?;
    let candidates = tx.items_named(workspace, &name_key(&reference.query), id, Removed::Excluded).await?;
    match reference.find_in(&candidates, "item") {
        Err(UserError::NotFound { .. }) => {
            let items = tx.items(workspace, Removed::Excluded).await?;
            Ok(reference.find_in(&items, "item")?.clone())
        }
        found => Ok(found?.clone()),
    }
}

/// The id of the item `reference` names by id or public id, if it names one that way.
async fn reference_id(tx: &mut Tx, workspace: &WorkspaceId, reference: &ItemRef) -> Result<Option<i64>> {
    Ok(match reference.public_id() {
        Some(uuid) => tx.item_id_by_uuid(workspace, uuid).await?,
        None => reference.id().map(|(id, _)| id),
    })
}

/// Like [`resolve`], but when no live item matches, a removed one may (history outlives items).
pub(super) async fn resolve_any(tx: &mut Tx, workspace: &WorkspaceId, reference: &ItemRef) -> Result<Item> {
    let id = reference_id(tx, workspace, reference).await?;
    let candidates = tx.items_named(workspace, &name_key(&reference.query), id, Removed::Included).await?;
    let all = if candidates.is_empty() { tx.items(workspace, Removed::Included).await? } else { candidates };
    let (live, removed): (Vec<Item>, Vec<Item>) = all.into_iter().partition(|i| i.removed_at.is_none());
    match reference.find_in(&live, "item") {
        Ok(item) => Ok(item.clone()),
        Err(not_live @ UserError::NotFound { .. }) => match reference.find_in(&removed, "item") {
            Ok(item) => Ok(item.clone()),
            Err(_) => Err(not_live.into()),
        },
        Err(other) => Err(other.into()),
    }
}

/// A one-time purchase is spent the day it is added: its cost goes into history then.
fn one_time_purchase(item: &Item, today: NaiveDate) -> Option<NewCostRecord> {
    (item.period == BillingPeriod::OneTime && !item.cost.amount.is_zero()).then(|| NewCostRecord {
        item_id: item.id,
        amount: item.cost,
        period: DateRange { start: today, end: today },
        source: CostSource::Manual,
        usage: None,
        note: Notes::parse("one-time purchase").ok(),
    })
}

/// Refuses a name another live item of the same kind already has.
fn check_name_free(items: &[Item], item: &Item) -> Result<(), UserError> {
    match items.iter().find(|i| i.id != item.id && i.kind() == item.kind() && i.name.key() == item.name.key()) {
        Some(other) => Err(UserError::Duplicate {
            kind: item.kind().with_article(),
            name: other.name.as_str().to_string(),
            id: other.id,
        }),
        None => Ok(()),
    }
}

/// The audit entry for a change to an item, with its views before and after.
pub(super) fn item_change(
    action: &'static str,
    id: i64,
    before: Option<&ItemView>,
    after: Option<&ItemView>,
) -> Change {
    Change {
        action,
        entity: "item",
        entity_id: Some(id.to_string()),
        before: before.map(audit_json),
        after: after.map(audit_json),
    }
}

/// The item as JSON for the audit trail.
pub(super) fn audit_json(view: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(view).unwrap_or_else(|error| json!({ "unserializable": error.to_string() }))
}

impl App {
    /// Adds an item of `kind` to the workspace.
    pub async fn add_item(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        kind: Kind,
        changes: &ItemChanges,
    ) -> Result<ItemChanged> {
        // A domain's missing renewal date and registrar come from its registry (before the
        // transaction: it asks the network).
        let (changes, filled) = self.fill_from_registry(workspace, kind, changes).await?;
        let changes = &changes;
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let (mut item, adjustments) = Item::create(kind, changes, settings.base_currency, today, now)?;
        check_name_free(&tx.items_named(workspace, &item.name.key(), None, Removed::Excluded).await?, &item)?;
        tx.insert_item(workspace, &mut item).await?;
        let mut notices: Vec<String> = filled;
        notices.extend(adjustments.into_iter().map(|a| a.0));
        if let Some(purchase) = one_time_purchase(&item, today) {
            let id = tx.insert_cost(workspace, &purchase, actor, now).await?.expect("manual records never collide");
            notices.push(format!(
                "Recorded the one-time cost of {} on {today} as cost record #{id}; if it was paid on another day, `cost remove {id}` and record it with `cost record` --date",
                purchase.amount
            ));
        }
        let rates = RateBook::new(tx.rates(workspace).await?);
        let mut view = item_view(&mut tx, workspace, &item, &settings, &rates, today).await?;
        view.etag = stored_etag(&mut tx, workspace, item.id).await?;
        let change = item_change("item.add", item.id, None, Some(&view));
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(ItemChanged { item: view, notices })
    }

    /// Changes an item's fields. When its terms change (price, period, dates, status), the days
    /// up to yesterday are first recorded at the old terms.
    pub async fn edit_item(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        reference: &ItemRef,
        changes: &ItemChanges,
    ) -> Result<ItemChanged> {
        self.edit_item_if(workspace, actor, reference, changes, None).await
    }

    /// [`App::edit_item`], only when the item's version tag is still `if_match` (when given):
    /// a change someone else made since the caller read the item is refused with
    /// [`UserError::Outdated`], not overwritten.
    pub async fn edit_item_if(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        reference: &ItemRef,
        changes: &ItemChanges,
        if_match: Option<&str>,
    ) -> Result<ItemChanged> {
        if changes.is_empty() {
            return Err(UserError::Missing(
                "Nothing to change: give at least one field to set, e.g. --cost 14.99".into(),
            )
            .into());
        }
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let before = resolve(&mut tx, workspace, reference).await?;
        if let Some(expected) = if_match
            && expected != etag(&before)
        {
            return Err(UserError::Outdated(format!(
                "`{}` (#{}) changed since it was read (its version is now \"{}\"); read it again and make the change on what it is now",
                before.name,
                before.id,
                etag(&before)
            ))
            .into());
        }
        // Bill the past at the old terms first. (On a refusal below, the transaction is dropped
        // and nothing of this is written.)
        let current = if changes.touches_terms() {
            let stays_auto = changes.auto_renew.unwrap_or(before.auto_renew);
            let expires = changes.renewal_date.flatten().filter(|_| !stays_auto);
            self.settle(&mut tx, workspace, &before, today, expires).await?
        } else {
            before.clone()
        };
        let (after, adjustments) = current.apply(changes, today, now)?;
        if after.name.key() != before.name.key() {
            check_name_free(&tx.items_named(workspace, &after.name.key(), None, Removed::Excluded).await?, &after)?;
        }
        tx.update_item(workspace, &after).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let mut view = item_view(&mut tx, workspace, &after, &settings, &rates, today).await?;
        view.etag = stored_etag(&mut tx, workspace, after.id).await?;
        let before_view = item_view(&mut tx, workspace, &before, &settings, &rates, today).await?;
        let change = item_change("item.edit", after.id, Some(&before_view), Some(&view));
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(ItemChanged { item: view, notices: adjustments.into_iter().map(|a| a.0).collect() })
    }

    /// Removes an item: what it cost up to yesterday is recorded, then it stops counting. Its cost
    /// history is kept, and `restore_item` brings it back.
    pub async fn remove_item(&self, workspace: &WorkspaceId, actor: &Actor, reference: &ItemRef) -> Result<ItemView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let item = resolve(&mut tx, workspace, reference).await?;
        let current = self.settle(&mut tx, workspace, &item, today, None).await?;
        if current != item {
            tx.update_item(workspace, &current).await?;
        }
        let rates = RateBook::new(tx.rates(workspace).await?);
        let view = item_view(&mut tx, workspace, &item, &settings, &rates, today).await?;
        tx.remove_item(workspace, item.id, now).await?;
        let change = item_change("item.remove", item.id, Some(&view), None);
        tx.audit(workspace, actor, now, &change).await?;
        // A removed item is not pulled: its provider key goes with it (restored, it is connected
        // again by an admin).
        if tx.disconnect_item(workspace, item.id).await? {
            let change = Change {
                action: "ai.disconnect",
                entity: "item",
                entity_id: Some(item.id.to_string()),
                before: None,
                after: Some(json!({ "reason": "item removed" })),
            };
            tx.audit(workspace, actor, now, &change).await?;
        }
        tx.commit().await?;
        Ok(view)
    }

    /// Brings back a removed item (by #id, or by name: the most recently removed one). It is
    /// billed again from today.
    pub async fn restore_item(&self, workspace: &WorkspaceId, actor: &Actor, reference: &ItemRef) -> Result<ItemView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let all = tx.items(workspace, Removed::Included).await?;
        let mut removed: Vec<Item> = all.iter().filter(|i| i.removed_at.is_some()).cloned().collect();
        // The most recently removed first, so a name picks the latest removal.
        removed.sort_by_key(|i| std::cmp::Reverse(i.removed_at));
        removed.dedup_by(|a, b| a.kind() == b.kind() && a.name.key() == b.name.key());
        let removed_item = reference.find_in(&removed, "removed item")?.clone();
        let live: Vec<Item> = all.into_iter().filter(|i| i.removed_at.is_none()).collect();
        check_name_free(&live, &removed_item)?;
        // It counts again from today: renewals that passed while it was removed are not charged.
        let mut item = removed_item.clone();
        item.removed_at = None;
        item.billed_from = today;
        if item.auto_renew
            && let (Some(renewal), Some(next)) = (item.renewal, item.next_renewal(today))
        {
            item.renewal = Some(crate::domain::item::Renewal { date: next, ..renewal });
        }
        item.updated_at = now;
        tx.restore_item(workspace, item.id).await?;
        tx.update_item(workspace, &item).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let view = item_view(&mut tx, workspace, &item, &settings, &rates, today).await?;
        let before_view = item_view(&mut tx, workspace, &removed_item, &settings, &rates, today).await?;
        let change = item_change("item.restore", item.id, Some(&before_view), Some(&view));
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Records what `item` owes before its terms change (see [`settle`]) and returns it brought
    /// up to date.
    async fn settle(
        &self,
        tx: &mut Tx,
        workspace: &WorkspaceId,
        item: &Item,
        today: NaiveDate,
        expires: Option<NaiveDate>,
    ) -> Result<Item> {
        let covered = covered_by_records(tx, workspace, std::slice::from_ref(item), today)
            .await?
            .remove(&item.id)
            .unwrap_or_default();
        let (current, records) = settle(item, today, &covered, expires);
        record_charges(tx, workspace, item, &records, "cost.settle", self.now()).await?;
        Ok(current)
    }

    /// A page of the workspace's live items matching `filter` (by category, kind and name, ties
    /// by id), with the monthly totals of every item matching it, on every page.
    pub async fn list_items(&self, workspace: &WorkspaceId, filter: ItemFilter, page: PageRequest) -> Result<ItemList> {
        let _turn = self.prepared.turn(workspace).await;
        let mut tx = self.store.read().await?;
        let prepared = self.prepare(&mut tx, workspace, 0).await?;
        let (settings, today, rates, run_rates) =
            (&prepared.settings, prepared.today, &prepared.rates, &prepared.run_rates);
        let items: Vec<&Item> =
            prepared.snapshot.items.iter().filter(|i| i.removed_at.is_some() == filter.removed).collect();
        let window = settings.expiring_window_days;
        let search = filter.search.as_deref().map(name_key).filter(|s| !s.is_empty());
        let mut shown: Vec<&Item> = items
            .iter()
            .copied()
            .filter(|i| filter.kind.is_none_or(|k| i.kind() == k))
            .filter(|i| filter.category.is_none_or(|c| i.category() == c))
            .filter(|i| filter.status.is_none_or(|s| i.status(today, window) == s))
            .filter(|i| {
                search.as_deref().is_none_or(|words| {
                    i.name.key().contains(words)
                        || i.provider.as_ref().is_some_and(|p| name_key(p.as_str()).contains(words))
                })
            })
            .collect();
        // The totals of every item matching, worked out as the workspace's are.
        let totals = monthly_totals(shown.iter().copied(), run_rates, settings.base_currency, rates, today, window);
        // Sorted on the keys alone (the run-rate, the next renewal, the status as of today);
        // only the page's items are worked out into views.
        let base = settings.base_currency;
        // Lower case is enough to order by (and cheap for ten thousand names); ties by id.
        let name = |i: &Item| (i.name.as_str().to_lowercase(), i.id);
        match filter.sort {
            ItemSort::Category => shown.sort_by_cached_key(|i| (i.category(), i.kind(), name(i))),
            ItemSort::Name => shown.sort_by_cached_key(|i| name(i)),
            // Dearest first; an item whose cost cannot be converted last.
            ItemSort::Cost => shown.sort_by_cached_key(|i| {
                let monthly = crate::domain::summary::item_monthly(i, run_rates, base, rates, today).monthly_base;
                (monthly.is_none(), monthly.map(|m| std::cmp::Reverse(m.amount)), name(i))
            }),
            ItemSort::Renewal => shown.sort_by_cached_key(|i| {
                let next = i.next_renewal(today);
                (next.is_none(), next, name(i))
            }),
            ItemSort::Status => shown.sort_by_cached_key(|i| (i.status(today, window), name(i))),
        }
        let (shown, paging) = page.take(shown, Noun::ITEMS)?;
        let views: Vec<ItemView> =
            shown.iter().map(|item| ItemView::new(item, settings, rates, today, run_rates)).collect();
        let mut warnings: Vec<Text> = totals.missing_rates.iter().map(missing_rate_text).collect();
        if items.is_empty() {
            let known = tx.workspace_ids().await?;
            if !known.contains(workspace) && !known.is_empty() {
                let names: Vec<&str> = known.iter().map(WorkspaceId::as_str).collect();
                warnings.push(text!("warning.no_workspace", workspace = workspace, names = names.join(", ")));
            }
        }
        Ok(ItemList {
            workspace: workspace.clone(),
            today,
            base_currency: settings.base_currency,
            items: views,
            paging,
            totals: TotalsView::from(&totals),
            warnings,
        })
    }

    /// Live items of `kinds` (all kinds when empty) matching what someone is typing, best first,
    /// at most `limit`: for autocomplete. Only this workspace's items, ever.
    pub async fn item_choices(
        &self,
        workspace: &WorkspaceId,
        kinds: &[Kind],
        query: &str,
        limit: usize,
    ) -> Result<Vec<ItemChoice>> {
        let mut tx = self.store.read().await?;
        let items: Vec<Item> = tx
            .items(workspace, Removed::Excluded)
            .await?
            .into_iter()
            .filter(|i| kinds.is_empty() || kinds.contains(&i.kind()))
            .collect();
        let ranked = rank_matches(query, items.iter().map(|i| i.name.as_str()), limit);
        Ok(ranked
            .into_iter()
            .map(|index| ItemChoice {
                id: items[index].id,
                name: items[index].name.as_str().to_string(),
                kind: items[index].kind(),
            })
            .collect())
    }

    /// One item in full with its last 12 cost records.
    pub async fn show_item(&self, workspace: &WorkspaceId, reference: &ItemRef) -> Result<ItemDetail> {
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let item = resolve(&mut tx, workspace, reference).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let records = tx.cost_records(workspace, CostFilter { item_id: Some(item.id), ..Default::default() }).await?;
        let skip = records.len().saturating_sub(12);
        let history =
            records[skip..].iter().map(|r| CostView::new(r, Some(&item), settings.base_currency, &rates)).collect();
        let item = item_view(&mut tx, workspace, &item, &settings, &rates, today).await?;
        Ok(ItemDetail { warnings: item_warnings(&item, &settings, &rates, today), item, history })
    }
}

fn item_warnings(view: &ItemView, settings: &Settings, rates: &RateBook, today: NaiveDate) -> Vec<Text> {
    rates
        .convert(view.monthly_cost, settings.base_currency, today)
        .err()
        .map(|m| missing_rate_text(&m))
        .into_iter()
        .collect()
}

/// Run-rates of `items` as the analysis works them out (see [`crate::analysis::run_rates`]):
/// usage-billed items settled as the jobs would leave them today, from their roll-ups and what
/// the jobs would record now. For views written inside a change: the change's records are
/// brought into the roll-ups first, and nothing is taken from or given to the in-memory copy.
pub(super) async fn run_rates(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    items: &[Item],
    rates: &RateBook,
    today: NaiveDate,
) -> Result<RunRates> {
    use chrono::Datelike as _;
    let usage: Vec<Item> =
        items.iter().filter(|i| i.removed_at.is_none() && i.period.bills_in_arrears()).cloned().collect();
    if usage.is_empty() {
        return Ok(RunRates::new(items, today, [], rates));
    }
    tx.flush_read_model().await?;
    let from = super::analysis::window_start(today, super::analysis::RUN_RATE_MONTHS);
    let covered_from = usage.iter().map(|i| i.billed_from).fold(from, NaiveDate::min);
    let until = today + chrono::Duration::days(crate::analysis::spend::CYCLE_AHEAD_DAYS);
    let years = (covered_from.year(), until.year());
    // Run-rates read the segments of their months; the days, of every month.
    let detail = crate::store::Detail::Recent(crate::domain::calendar::Month::of(from));
    let rollups: HashMap<i64, crate::domain::rollup::ItemRollups> = match usage.as_slice() {
        [one] => HashMap::from([(one.id, tx.item_rollups(workspace, one.id, years, detail).await?)]),
        _ => tx.rollups(workspace, years, detail).await?,
    };
    let covered = crate::analysis::covered_days(&rollups, DateRange { start: covered_from, end: until });
    let settled = settle_all(usage, today, &covered, from);
    let all: Vec<Item> =
        settled.items.iter().cloned().chain(items.iter().filter(|i| !i.period.bills_in_arrears()).cloned()).collect();
    Ok(crate::analysis::run_rates(&all, &rollups, &settled.pending, rates, today))
}

/// The days the records of `items` deal with, removed ones included (the jobs do not charge them
/// again), from the earliest day any of them is billable on to a year after today: what the jobs
/// and settling need. Read from the roll-ups, with this transaction's own records brought in.
pub(super) async fn covered_by_records(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    items: &[Item],
    today: NaiveDate,
) -> Result<HashMap<i64, Vec<DateRange>>> {
    use chrono::Datelike as _;
    let Some(from) = items.iter().map(|i| i.billed_from).min() else { return Ok(HashMap::new()) };
    let until = today + chrono::Duration::days(crate::analysis::spend::CYCLE_AHEAD_DAYS);
    tx.flush_read_model().await?;
    let years = (from.year(), until.year());
    let detail = crate::store::Detail::DaysOnly;
    let rollups = match items {
        [one] => HashMap::from([(one.id, tx.item_rollups(workspace, one.id, years, detail).await?)]),
        _ => tx.rollups(workspace, years, detail).await?,
    };
    let mut covered = crate::analysis::covered_days(&rollups, DateRange { start: from.min(today), end: until });
    // An item connected to its provider's cost API is billed by what the pulls bring, day by
    // day: neither its renewals nor settling it charge anything of their own.
    for connection in tx.connections(workspace).await? {
        if let Some(item) = items.iter().find(|i| i.id == connection.item_id) {
            covered.entry(item.id).or_default().push(DateRange { start: item.billed_from.min(today), end: until });
        }
    }
    Ok(covered)
}

/// The view of one item with its run-rate worked out as everywhere else.
pub(super) async fn item_view(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    item: &Item,
    settings: &Settings,
    rates: &RateBook,
    today: NaiveDate,
) -> Result<ItemView> {
    let run_rates = run_rates(tx, workspace, std::slice::from_ref(item), rates, today).await?;
    Ok(ItemView { etag: etag(item), ..ItemView::new(item, settings, rates, today, &run_rates) })
}

/// The version tag of item `id` as it is now stored (read back, since storing may round what
/// was written, such as timestamps).
async fn stored_etag(tx: &mut Tx, workspace: &WorkspaceId, id: i64) -> Result<String> {
    Ok(etag(&resolve(tx, workspace, &ItemRef::new(format!("#{id}"))).await?))
}

/// The version tag of an item as stored: a digest of every stored field, so any change to it,
/// by anyone, gives another tag (two edits within the same instant included). Tags are
/// compared, never parsed; they may change when Jarvis is upgraded.
pub fn etag(item: &Item) -> String {
    let mut tag = super::sha256_hex(&[format!("{item:?}").as_bytes()]);
    tag.truncate(24);
    tag
}

impl App {
    /// Records that item `id`, due to renew on `expected`, was renewed by hand: the cycle starting
    /// at that date is charged and the date moves on a period. A renewal date that moved on
    /// already (a second press, another admin, the renewal job) is a conflict and changes nothing.
    /// Returns the new renewal date.
    pub async fn mark_renewed(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        id: i64,
        expected: NaiveDate,
    ) -> Result<NaiveDate> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let item = resolve(&mut tx, workspace, &ItemRef::new(format!("#{id}"))).await?;
        let renewal = item.renewal.ok_or_else(|| {
            UserError::Conflict(format!("`{}` has no renewal date to move on; set one first", item.name))
        })?;
        if expected != renewal.date {
            return Err(UserError::Conflict(format!(
                "`{}` no longer renews on {expected}: its renewal date is now {}, so nothing was changed",
                item.name, renewal.date
            ))
            .into());
        }
        let next = renewal
            .following(item.period)
            .ok_or_else(|| UserError::Conflict(format!("`{}` is a one-time purchase and does not renew", item.name)))?;
        let cycle = DateRange::new(renewal.date, next.date.pred_opt().unwrap_or(next.date))
            .ok_or_else(|| anyhow::anyhow!("a renewal cycle ends before it starts"))?;
        let record = NewCostRecord {
            item_id: item.id,
            amount: item.cost,
            period: cycle,
            source: CostSource::Renewal,
            usage: None,
            note: Some(Notes::parse("renewed by hand").expect("valid note")),
        };
        tx.insert_cost(workspace, &record, actor, now).await?;
        let mut updated = item.clone();
        updated.renewal = Some(next);
        updated.updated_at = now;
        tx.update_item(workspace, &updated).await?;
        let change = Change {
            action: "item.renewed",
            entity: "item",
            entity_id: Some(item.id.to_string()),
            before: Some(json!({ "renewal_date": renewal.date })),
            after: Some(
                json!({ "renewal_date": next.date, "charged": record.amount, "from": cycle.start, "to": cycle.end }),
            ),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(next.date)
    }
}
