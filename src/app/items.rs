//! Use cases on items: add, edit, remove, list, show.

use std::str::FromStr;

use serde_json::json;

use super::views::{CostView, ItemChanged, ItemDetail, ItemList, ItemView, TotalsView};
use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::error::close_matches;
use crate::domain::item::{Category, Item, ItemChanges, Kind, Status};
use crate::domain::rates::RateBook;
use crate::domain::summary::monthly_totals;
use crate::domain::workspace::WorkspaceId;
use crate::store::{CostFilter, Removed, Tx};

/// How users point at an item: `#12`, `12`, or its name (case-insensitive), optionally narrowed
/// to a kind when two kinds share a name.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ItemRef {
    pub query: String,
    pub kind: Option<Kind>,
}

impl ItemRef {
    pub fn new(query: impl Into<String>) -> ItemRef {
        ItemRef { query: query.into().trim().to_string(), kind: None }
    }

    pub fn with_kind(self, kind: Option<Kind>) -> ItemRef {
        ItemRef { kind, ..self }
    }

    fn id(&self) -> Option<i64> {
        let digits = self.query.strip_prefix('#').unwrap_or(&self.query);
        (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
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

/// Which items `list` shows.
#[derive(Clone, Copy, Default, Debug)]
pub struct ItemFilter {
    pub kind: Option<Kind>,
    pub category: Option<Category>,
    pub status: Option<Status>,
}

/// Finds the live item `reference` points at, in `workspace` only.
pub(super) async fn resolve(tx: &mut Tx, workspace: &WorkspaceId, reference: &ItemRef) -> Result<Item> {
    let items = tx.items(workspace, Removed::Excluded).await?;
    let in_kind = |item: &&Item| reference.kind.is_none_or(|k| item.kind() == k);
    if let Some(id) = reference.id()
        && let Some(item) = items.iter().filter(in_kind).find(|i| i.id == id)
    {
        return Ok(item.clone());
    }
    let key = reference.query.to_lowercase();
    let matches: Vec<&Item> = items.iter().filter(in_kind).filter(|i| i.name.key() == key).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(UserError::NotFound {
            what: reference.kind.map_or("item", Kind::label),
            query: reference.query.clone(),
            suggestions: close_matches(&reference.query, items.iter().filter(in_kind).map(|i| i.name.as_str())),
        }
        .into()),
        many => Err(UserError::Ambiguous {
            query: reference.query.clone(),
            matches: many.iter().map(|i| format!("#{} ({})", i.id, i.kind())).collect(),
            first_id: many[0].id,
        }
        .into()),
    }
}

/// Refuses a name another live item of the same kind already has.
async fn check_name_free(tx: &mut Tx, workspace: &WorkspaceId, item: &Item) -> Result<()> {
    let items = tx.items(workspace, Removed::Excluded).await?;
    if let Some(other) =
        items.iter().find(|i| i.id != item.id && i.kind() == item.kind() && i.name.key() == item.name.key())
    {
        return Err(UserError::Duplicate {
            kind: item.kind().label().to_string(),
            name: other.name.as_str().to_string(),
            id: other.id,
        }
        .into());
    }
    Ok(())
}

/// The item as JSON for the audit trail.
pub(super) fn audit_json(view: &ItemView) -> serde_json::Value {
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
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let (mut item, adjustments) = Item::create(kind, changes, settings.base_currency, today, now)?;
        check_name_free(&mut tx, workspace, &item).await?;
        item.id = tx.insert_item(workspace, &item).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let view = ItemView::new(&item, &settings, &rates, today);
        let change = Change {
            action: "item.add",
            entity: "item",
            entity_id: Some(item.id.to_string()),
            before: None,
            after: Some(audit_json(&view)),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(ItemChanged { item: view, notices: adjustments.into_iter().map(|a| a.0).collect() })
    }

    /// Changes an item's fields.
    pub async fn edit_item(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        reference: &ItemRef,
        changes: &ItemChanges,
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
        let (after, adjustments) = before.apply(changes, today, now)?;
        check_name_free(&mut tx, workspace, &after).await?;
        tx.update_item(workspace, &after).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let before_view = ItemView::new(&before, &settings, &rates, today);
        let view = ItemView::new(&after, &settings, &rates, today);
        let change = Change {
            action: "item.edit",
            entity: "item",
            entity_id: Some(after.id.to_string()),
            before: Some(audit_json(&before_view)),
            after: Some(audit_json(&view)),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(ItemChanged { item: view, notices: adjustments.into_iter().map(|a| a.0).collect() })
    }

    /// Removes an item. Its cost history is kept (and still shows in history and exports).
    pub async fn remove_item(&self, workspace: &WorkspaceId, actor: &Actor, reference: &ItemRef) -> Result<ItemView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let item = resolve(&mut tx, workspace, reference).await?;
        tx.remove_item(workspace, item.id, now).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let view = ItemView::new(&item, &settings, &rates, today);
        let change = Change {
            action: "item.remove",
            entity: "item",
            entity_id: Some(item.id.to_string()),
            before: Some(audit_json(&view)),
            after: None,
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The workspace's live items, by category then name, with monthly totals.
    pub async fn list_items(&self, workspace: &WorkspaceId, filter: ItemFilter) -> Result<ItemList> {
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let items = tx.items(workspace, Removed::Excluded).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let totals = monthly_totals(&items, settings.base_currency, &rates, today, settings.expiring_window_days);
        let mut views: Vec<ItemView> = items
            .iter()
            .map(|item| ItemView::new(item, &settings, &rates, today))
            .filter(|v| filter.kind.is_none_or(|k| v.kind == k))
            .filter(|v| filter.category.is_none_or(|c| v.category == c))
            .filter(|v| filter.status.is_none_or(|s| v.status == s))
            .collect();
        views.sort_by(|a, b| {
            (a.category, a.kind, a.name.to_lowercase()).cmp(&(b.category, b.kind, b.name.to_lowercase()))
        });
        Ok(ItemList {
            workspace: workspace.clone(),
            today,
            base_currency: settings.base_currency,
            items: views,
            totals: TotalsView::from(&totals),
            warnings: totals.missing_rates.iter().map(ToString::to_string).collect(),
        })
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
        let view = ItemView::new(&item, &settings, &rates, today);
        let warnings = rates
            .convert(item.monthly_cost(), settings.base_currency, today)
            .err()
            .map(|missing| missing.to_string())
            .into_iter()
            .collect();
        Ok(ItemDetail { item: view, history, warnings })
    }
}
