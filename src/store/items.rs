//! Items: insert, update, soft delete and reads, always within one workspace.

use anyhow::Context as _;
use chrono::{DateTime, Datelike as _, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::sql::{Arg, Backend, Columns, args};
use super::{Result, Store, Tx, exactly_one};
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::DateRange;
use crate::domain::item::{CycleReading, Details, Item, Kind, Renewal, Usage};
use crate::domain::money::{Currency, Money};
use crate::domain::text::{ItemName, Label, MAX_NAME_CHARS, Notes, name_key};
use crate::domain::workspace::{LeadTimes, WorkspaceId};

const COLUMNS: &str = "id, kind, name, provider, cost_amount, currency, billing_period, renewal_date,
    renewal_anchor_day, auto_renew, status, notes, usage_unit, unit_price, included_units, used_units,
    usage_limit, billed_units, usage_read_on, details, lead_days, yearly_price, plan_price, billed_from, created_at,
    updated_at, deleted_at, usage_last_cycle, uuid";

/// Which items a read returns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Removed {
    Excluded,
    Included,
}

impl Tx {
    /// The workspace's items, oldest first.
    pub async fn items(&mut self, workspace: &WorkspaceId, removed: Removed) -> Result<Vec<Item>> {
        let sql =
            format!("SELECT {COLUMNS} FROM items WHERE workspace_id = ?1 AND (?2 OR deleted_at IS NULL) ORDER BY id");
        self.fetch(&sql, args![workspace.as_str(), removed == Removed::Included], item_from_row).await
    }

    /// The items whose name has `key` (see [`ItemName::key`]) or whose id is `id`, by id.
    pub async fn items_named(
        &mut self,
        workspace: &WorkspaceId,
        key: &str,
        id: Option<i64>,
        removed: Removed,
    ) -> Result<Vec<Item>> {
        let included = removed == Removed::Included;
        let mut items = self
            .fetch(
                &format!("SELECT {COLUMNS} FROM items WHERE workspace_id = ?1 AND name_key = ?2 AND (?3 OR deleted_at IS NULL)"),
                args![workspace.as_str(), key, included],
                item_from_row,
            )
            .await?;
        if let Some(id) = id {
            items.extend(
                self.fetch(
                    &format!(
                        "SELECT {COLUMNS} FROM items WHERE workspace_id = ?1 AND id = ?2 AND (?3 OR deleted_at IS NULL)"
                    ),
                    args![workspace.as_str(), id, included],
                    item_from_row,
                )
                .await?,
            );
        }
        items.sort_by_key(|i| i.id);
        items.dedup_by_key(|i| i.id);
        Ok(items)
    }

    /// The items of `workspace` (removed ones included) among `ids`, by id; ids of no item there
    /// are passed over.
    pub async fn items_by_id(&mut self, workspace: &WorkspaceId, ids: &[i64]) -> Result<Vec<Item>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql =
            format!("SELECT {COLUMNS} FROM items WHERE workspace_id = ?1 AND {} ORDER BY id", self.in_ids("id", 2));
        self.fetch(&sql, &[Arg::from(workspace.as_str()), Arg::Ids(&ids)], item_from_row).await
    }

    /// The id of the item of `workspace` whose public id is `uuid`, if there is one.
    pub async fn item_id_by_uuid(&mut self, workspace: &WorkspaceId, uuid: uuid::Uuid) -> Result<Option<i64>> {
        self.fetch_optional(
            "SELECT id FROM items WHERE workspace_id = ?1 AND uuid = ?2",
            args![workspace.as_str(), uuid],
            |row| row.required_int(0),
        )
        .await
    }

    /// The items (removed ones included) written after `version` (see `read_model_version`).
    pub async fn items_since(&mut self, workspace: &WorkspaceId, version: i64) -> Result<Vec<Item>> {
        let sql = format!("SELECT {COLUMNS} FROM items WHERE workspace_id = ?1 AND version > ?2 ORDER BY id");
        self.fetch(&sql, args![workspace.as_str(), version], item_from_row).await
    }

    /// Stores a new item, giving it its id and (unless it has one) its public id.
    pub async fn insert_item(&mut self, workspace: &WorkspaceId, item: &mut Item) -> Result<()> {
        if item.uuid.is_nil() {
            item.uuid = super::public_id(item.created_at);
        }
        let fields = ItemFields::of(item);
        let mut args = vec![Arg::from(workspace.as_str()), Arg::from(item.kind().as_str())];
        args.extend(fields.args());
        args.push(Arg::from(item.created_at));
        args.push(Arg::from(item.uuid));
        let id = self
            .fetch_one(
                "INSERT INTO items (workspace_id, kind, name, name_key, provider, cost_amount, currency, billing_period,
                     renewal_date, renewal_anchor_day, auto_renew, status, notes, usage_unit, unit_price, included_units,
                     used_units, usage_limit, billed_units, usage_read_on, details, lead_days, yearly_price, plan_price,
                     billed_from, updated_at, usage_last_cycle, created_at, uuid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
                     ?23, ?24, ?25, ?26, ?27, ?28, ?29)
                 RETURNING id",
                &args,
                |row| row.required_int(0),
            )
            .await?;
        item.id = id;
        self.item_changed(workspace, id);
        Ok(())
    }

    /// Overwrites a live item's fields (its id, kind and creation time stay).
    pub async fn update_item(&mut self, workspace: &WorkspaceId, item: &Item) -> Result<()> {
        let fields = ItemFields::of(item);
        let mut args = vec![Arg::from(workspace.as_str()), Arg::from(item.id)];
        args.extend(fields.args());
        let updated = self
            .execute(
                "UPDATE items SET name = ?3, name_key = ?4, provider = ?5, cost_amount = ?6, currency = ?7,
                     billing_period = ?8, renewal_date = ?9, renewal_anchor_day = ?10, auto_renew = ?11, status = ?12,
                     notes = ?13, usage_unit = ?14, unit_price = ?15, included_units = ?16, used_units = ?17,
                     usage_limit = ?18, billed_units = ?19, usage_read_on = ?20, details = ?21, lead_days = ?22,
                     yearly_price = ?23, plan_price = ?24, billed_from = ?25, updated_at = ?26, usage_last_cycle = ?27
                 WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL",
                &args,
            )
            .await?;
        self.item_changed(workspace, item.id);
        exactly_one(updated, || format!("item #{}", item.id))
    }

    /// Marks an item removed; its cost history stays.
    pub async fn remove_item(&mut self, workspace: &WorkspaceId, id: i64, now: DateTime<Utc>) -> Result<()> {
        let removed = self
            .execute(
                "UPDATE items SET deleted_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL",
                args![workspace.as_str(), id, now],
            )
            .await?;
        self.item_changed(workspace, id);
        exactly_one(removed, || format!("item #{id}"))
    }
}

impl Tx {
    /// Brings a removed item back (its fields are then written with `update_item`).
    pub async fn restore_item(&mut self, workspace: &WorkspaceId, id: i64) -> Result<()> {
        let restored = self
            .execute(
                "UPDATE items SET deleted_at = NULL WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NOT NULL",
                args![workspace.as_str(), id],
            )
            .await?;
        self.item_changed(workspace, id);
        exactly_one(restored, || format!("removed item #{id}"))
    }
}

impl Tx {
    /// Stores an item read from a backup as it was: its creation, last change and removal
    /// times, and its id when `keep_id` (the caller checked the id is free, and calls [`Tx::ids_kept`] once all are in);
    /// returns its id.
    pub async fn insert_item_from_backup(
        &mut self,
        workspace: &WorkspaceId,
        item: &Item,
        keep_id: bool,
    ) -> Result<i64> {
        let fields = ItemFields::of(item);
        let mut args = vec![Arg::from(workspace.as_str()), Arg::from(item.kind().as_str())];
        args.extend(fields.args());
        args.push(Arg::from(item.created_at));
        args.push(Arg::from(item.removed_at));
        // A backup from before public ids gives none: the item gets one now.
        args.push(Arg::from(if keep_id && !item.uuid.is_nil() {
            item.uuid
        } else {
            super::public_id(item.created_at)
        }));
        // Without the id the database gives the next one. (`OVERRIDING SYSTEM VALUE` says on
        // PostgreSQL that the given id is meant; its identity columns take one anyway.)
        let (id_column, overriding, id_value) = match (keep_id, self.backend()) {
            (false, _) => ("", "", ""),
            (true, Backend::Sqlite) => (", id", "", ", ?31"),
            (true, Backend::Postgres) => (", id", "OVERRIDING SYSTEM VALUE", ", ?31"),
        };
        if keep_id {
            args.push(Arg::from(item.id));
        }
        let sql = format!(
            "INSERT INTO items (workspace_id, kind, name, name_key, provider, cost_amount, currency, billing_period,
                 renewal_date, renewal_anchor_day, auto_renew, status, notes, usage_unit, unit_price, included_units,
                 used_units, usage_limit, billed_units, usage_read_on, details, lead_days, yearly_price, plan_price,
                 billed_from, updated_at, usage_last_cycle, created_at, deleted_at, uuid{id_column})
             {overriding}
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
                 ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30{id_value})
             RETURNING id"
        );
        let id = self.fetch_one(&sql, &args, |row| row.required_int(0)).await?;
        self.item_changed(workspace, id);
        Ok(id)
    }
}

/// An item's column values from `name` to `usage_last_cycle`, bound in that order by
/// [`ItemFields::args`].
struct ItemFields {
    name: String,
    name_key: String,
    provider: Option<String>,
    cost_amount: Decimal,
    currency: &'static str,
    period: &'static str,
    renewal_date: Option<NaiveDate>,
    anchor_day: Option<i64>,
    auto_renew: bool,
    status: &'static str,
    notes: Option<String>,
    usage_unit: Option<String>,
    unit_price: Option<Decimal>,
    included: Option<Decimal>,
    used: Option<Decimal>,
    limit: Option<Decimal>,
    billed_units: Option<Decimal>,
    read_on: Option<NaiveDate>,
    last_cycle: Option<String>,
    details: String,
    lead_days: Option<String>,
    yearly_price: Option<Decimal>,
    plan_price: Option<Decimal>,
    billed_from: NaiveDate,
    updated_at: DateTime<Utc>,
}

impl ItemFields {
    fn of(item: &Item) -> ItemFields {
        let usage = item.usage.as_ref();
        ItemFields {
            name: item.name.as_str().to_string(),
            name_key: item.name.key(),
            provider: item.provider.as_ref().map(|p| p.as_str().to_string()),
            cost_amount: item.cost.amount,
            currency: item.cost.currency.code(),
            period: item.period.as_str(),
            renewal_date: item.renewal.map(|r| r.date),
            anchor_day: item.renewal.map(|r| i64::from(r.anchor_day)),
            auto_renew: item.auto_renew,
            status: item.status.as_str(),
            notes: item.notes.as_ref().map(|n| n.as_str().to_string()),
            usage_unit: usage.map(|u| u.unit.as_str().to_string()),
            unit_price: usage.and_then(|u| u.unit_price),
            included: usage.and_then(|u| u.included),
            used: usage.map(|u| u.used),
            limit: usage.and_then(|u| u.limit),
            billed_units: usage.map(|u| u.billed),
            read_on: usage.and_then(|u| u.read_on),
            last_cycle: usage.and_then(|u| u.last_cycle).map(|r| cycle_reading_json(&r)),
            details: item.details.to_json(),
            lead_days: item.lead_times.as_ref().map(ToString::to_string),
            yearly_price: item.yearly_price,
            plan_price: item.plan_price,
            billed_from: item.billed_from,
            updated_at: item.updated_at,
        }
    }

    /// name, name_key, provider, cost_amount, currency, billing_period, renewal_date,
    /// renewal_anchor_day, auto_renew, status, notes, the six usage columns and usage_read_on,
    /// details, lead_days, yearly_price, plan_price, billed_from, updated_at and usage_last_cycle,
    /// in that order.
    fn args(&self) -> [Arg<'_>; 25] {
        [
            Arg::from(self.name.as_str()),
            Arg::from(self.name_key.as_str()),
            Arg::from(self.provider.as_deref()),
            Arg::from(self.cost_amount),
            Arg::from(self.currency),
            Arg::from(self.period),
            Arg::from(self.renewal_date),
            Arg::from(self.anchor_day),
            Arg::from(self.auto_renew),
            Arg::from(self.status),
            Arg::from(self.notes.as_deref()),
            Arg::from(self.usage_unit.as_deref()),
            Arg::from(self.unit_price),
            Arg::from(self.included),
            Arg::from(self.used),
            Arg::from(self.limit),
            Arg::from(self.billed_units),
            Arg::from(self.read_on),
            Arg::json(Some(self.details.as_str())),
            Arg::from(self.lead_days.as_deref()),
            Arg::from(self.yearly_price),
            Arg::from(self.plan_price),
            Arg::from(self.billed_from),
            Arg::from(self.updated_at),
            Arg::json(self.last_cycle.as_deref()),
        ]
    }
}

fn item_from_row(row: &dyn Columns) -> anyhow::Result<Item> {
    // The columns in the order of `COLUMNS`.
    let id = row.required_int(0)?;
    let read = || -> anyhow::Result<Item> {
        let kind: Kind = row.required_text(1)?.parse()?;
        let currency = Currency::parse(row.required_text(5)?)?;
        let renewal = match row.date(7)? {
            Some(date) => {
                let anchor_day = row.int(8)?;
                Some(Renewal { date, anchor_day: anchor_day.map(u32::try_from).transpose()?.unwrap_or(date.day()) })
            }
            None => None,
        };
        let usage = match row.text(12)? {
            Some(unit) => Some(Usage {
                unit: Label::from_stored("unit", unit)?,
                unit_price: row.decimal(13)?,
                included: row.decimal(14)?,
                used: row.decimal(15)?.unwrap_or_default(),
                limit: row.decimal(16)?,
                billed: row.decimal(17)?.unwrap_or_default(),
                read_on: row.date(18)?,
                last_cycle: row.json(27)?.as_deref().map(parse_cycle_reading).transpose()?,
            }),
            None => None,
        };
        let label = |index: usize| -> anyhow::Result<Option<Label>> {
            Ok(row.text(index)?.map(|t| Label::from_stored("label", t)).transpose()?)
        };
        Ok(Item {
            id,
            uuid: row.required_uuid(28)?,
            name: ItemName::from_stored(row.required_text(2)?)?,
            provider: label(3)?,
            cost: Money::new(row.required_decimal(4)?, currency),
            period: row.required_text(6)?.parse()?,
            renewal,
            auto_renew: row.required_bool(9)?,
            status: row.required_text(10)?.parse()?,
            notes: row.text(11)?.map(Notes::from_stored).transpose()?,
            usage,
            details: Details::from_json(kind, &row.required_json(19)?)?,
            lead_times: row.text(20)?.map(LeadTimes::parse).transpose()?,
            yearly_price: row.decimal(21)?,
            plan_price: row.decimal(22)?,
            billed_from: row.required_date(23)?,
            created_at: row.required_time(24)?,
            updated_at: row.required_time(25)?,
            removed_at: row.time(26)?,
        })
    };
    read().with_context(|| format!("item #{id} in the database is damaged"))
}

/// A usage meter's `usage_last_cycle` column: a JSON object of text fields, the amount an exact
/// decimal and the days `YYYY-MM-DD` (the same on both backends).
fn cycle_reading_json(reading: &CycleReading) -> String {
    serde_json::json!({
        "used": reading.used.normalize().to_string(),
        "read_on": json_date(reading.read_on),
        "cycle_start": json_date(reading.cycle.start),
        "cycle_end": json_date(reading.cycle.end),
    })
    .to_string()
}

fn json_date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Reads what [`cycle_reading_json`] wrote.
fn parse_cycle_reading(text: &str) -> anyhow::Result<CycleReading> {
    let value: serde_json::Value = serde_json::from_str(text).context("usage_last_cycle is not JSON")?;
    let field = |name: &str| value[name].as_str().with_context(|| format!("usage_last_cycle has no {name}"));
    let day = |name: &str| -> anyhow::Result<NaiveDate> {
        let text = field(name)?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .with_context(|| format!("usage_last_cycle's {name} {text:?} is not a day"))
    };
    let used = field("used")?;
    Ok(CycleReading {
        used: used.parse::<Decimal>().with_context(|| format!("usage_last_cycle's used {used:?} is not a number"))?,
        read_on: day("read_on")?,
        cycle: DateRange::new(day("cycle_start")?, day("cycle_end")?)
            .context("usage_last_cycle's cycle ends before it starts")?,
    })
}

/// One stored item, as far as its name key is concerned.
#[derive(Clone, Debug)]
struct KeyRow {
    id: i64,
    workspace: String,
    kind: String,
    name: String,
    /// The `name_key` column as stored (by an older Jarvis, maybe with older rules).
    key: String,
    live: bool,
}

/// What bringing one item's name key up to date changes.
#[derive(Clone, PartialEq, Eq, Debug)]
struct KeyFix {
    id: i64,
    workspace: String,
    key: String,
    /// `(old, new)` when the item had to be renamed to stay unique.
    rename: Option<(String, String)>,
}

/// The changes that make every stored `name_key` equal [`ItemName::key`] of its name, as the
/// unique index needs. Live items of one workspace and kind that now share a key (`Target` and an
/// older `Tar\u{200D}get`) are all kept: one keeps its name, the first (by id) whose name passes
/// today's rules, else the first; each other one gets ` (#id)` appended (its name shortened to fit
/// the length limit), so they can be told apart and nothing is lost.
fn plan_name_keys(rows: &[KeyRow]) -> Vec<KeyFix> {
    use std::collections::{BTreeMap, HashSet};
    let mut groups: BTreeMap<(&str, &str, String), Vec<&KeyRow>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.live) {
        groups.entry((&row.workspace, &row.kind, name_key(&row.name))).or_default().push(row);
    }
    let mut taken: HashSet<(&str, &str, String)> = groups.keys().cloned().collect();
    let mut renames: BTreeMap<i64, (String, String)> = BTreeMap::new();
    for ((workspace, kind, _), members) in &mut groups {
        if members.len() < 2 {
            continue;
        }
        members.sort_by_key(|r| (ItemName::parse(&r.name).is_err(), r.id));
        for row in &members[1..] {
            let (name, key) = (1..)
                .map(|n| {
                    let suffix = if n == 1 { format!(" (#{})", row.id) } else { format!(" (#{}-{n})", row.id) };
                    let room = MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
                    let base: String = row.name.chars().take(room).collect();
                    let name = format!("{}{suffix}", base.trim_end());
                    let key = name_key(&name);
                    (name, key)
                })
                .find(|(_, key)| !taken.contains(&(*workspace, *kind, key.clone())))
                .expect("some suffix is free");
            taken.insert((workspace, kind, key.clone()));
            renames.insert(row.id, (name, key));
        }
    }
    rows.iter()
        .filter_map(|row| match renames.remove(&row.id) {
            Some((name, key)) => Some(KeyFix {
                id: row.id,
                workspace: row.workspace.clone(),
                key,
                rename: Some((row.name.clone(), name)),
            }),
            None => {
                let key = name_key(&row.name);
                (key != row.key).then(|| KeyFix { id: row.id, workspace: row.workspace.clone(), key, rename: None })
            }
        })
        .collect()
}

impl Store {
    /// Brings every item's `name_key` up to date with [`ItemName::key`] (run at start-up, after
    /// the migrations: keys are computed in Rust, and older versions of Jarvis computed them
    /// differently). Idempotent: when every key is current, nothing is written. Live items that
    /// now collide are renamed as [`plan_name_keys`] says, with a warning in the log and an
    /// `item.rename` entry by `jarvis` in the workspace's audit trail.
    pub(super) async fn refresh_name_keys(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        // Once every key was made by today's rules, items are only ever written with them: the
        // check runs again when the rules change (`NAME_KEY_RULES`).
        let mut tx = self.read().await?;
        if tx.state(NAME_KEY_STATE).await?.as_deref() == Some(NAME_KEY_RULES) {
            return Ok(());
        }
        let nothing_to_fix = plan_name_keys(&tx.name_key_rows().await?).is_empty();
        drop(tx);
        let mut tx = self.write().await?;
        if nothing_to_fix {
            tx.set_state(NAME_KEY_STATE, NAME_KEY_RULES).await?;
            tx.commit().await?;
            return Ok(());
        }
        let fixes = plan_name_keys(&tx.name_key_rows().await?);
        // Out of the way first, so no key is briefly held by two rows while others move: no key
        // contains U+200B, as keys drop default-ignorable characters.
        for fix in &fixes {
            tx.execute(
                "UPDATE items SET name_key = ?3 WHERE workspace_id = ?1 AND id = ?2",
                args![fix.workspace.as_str(), fix.id, format!("\u{200B}{}", fix.id)],
            )
            .await?;
        }
        for fix in &fixes {
            let (old, new) = match &fix.rename {
                Some((old, new)) => (Some(old.as_str()), Some(new.as_str())),
                None => (None, None),
            };
            tx.execute(
                "UPDATE items SET name_key = ?3, name = coalesce(?4, name),
                     updated_at = CASE WHEN ?4 IS NULL THEN updated_at ELSE ?5 END
                 WHERE workspace_id = ?1 AND id = ?2",
                args![fix.workspace.as_str(), fix.id, fix.key.as_str(), new, now],
            )
            .await?;
            if let (Some(old), Some(new)) = (old, new) {
                tracing::warn!(
                    workspace = %fix.workspace,
                    item = fix.id,
                    "item #{} `{}` is renamed `{}`: under the name rules it can no longer be told apart from another item of its kind; rename either as you like",
                    fix.id,
                    old.escape_debug(),
                    new.escape_debug(),
                );
                let workspace = WorkspaceId::parse(&fix.workspace)?;
                let change = Change {
                    action: "item.rename",
                    entity: "item",
                    entity_id: Some(fix.id.to_string()),
                    before: Some(serde_json::json!({ "name": old })),
                    after: Some(serde_json::json!({ "name": new })),
                };
                tx.audit(&workspace, &Actor::Jarvis, now, &change).await?;
            }
        }
        tx.set_state(NAME_KEY_STATE, NAME_KEY_RULES).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The `store_state` key recording which rules made the stored name keys.
const NAME_KEY_STATE: &str = "name_key_rules";
/// The rules of [`ItemName::key`]: bump when they change, so stored keys are made again.
const NAME_KEY_RULES: &str = "2";

impl Tx {
    /// Every item of every workspace with its stored name key: for [`Store::refresh_name_keys`]
    /// only, the one read that is not about a single workspace.
    async fn name_key_rows(&mut self) -> Result<Vec<KeyRow>> {
        self.fetch(
            "SELECT id, workspace_id, kind, name, name_key, deleted_at IS NULL AS live FROM items ORDER BY id",
            args![],
            |row| {
                Ok(KeyRow {
                    id: row.required_int(0)?,
                    workspace: row.required_text(1)?.to_string(),
                    kind: row.required_text(2)?.to_string(),
                    name: row.required_text(3)?.to_string(),
                    key: row.required_text(4)?.to_string(),
                    live: row.required_bool(5)?,
                })
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, kind: &str, name: &str, key: &str, live: bool) -> KeyRow {
        KeyRow { id, workspace: "w".into(), kind: kind.into(), name: name.into(), key: key.into(), live }
    }

    /// `(id, new key, new name)` for each change.
    #[track_caller]
    fn check(rows: &[KeyRow], expected: &[(i64, &str, Option<&str>)]) {
        let fixes: Vec<(i64, String, Option<String>)> =
            plan_name_keys(rows).into_iter().map(|f| (f.id, f.key, f.rename.map(|(_, new)| new))).collect();
        let expected: Vec<(i64, String, Option<String>)> =
            expected.iter().map(|(id, key, name)| (*id, key.to_string(), name.map(str::to_string))).collect();
        assert_eq!(fixes, expected);
    }

    #[test]
    fn stale_keys_are_recomputed_and_collisions_renamed() {
        // Up to date: nothing to do.
        check(&[row(1, "other", "Target", "target", true)], &[]);
        // An old key (lower-cased only) is recomputed, live or removed.
        check(&[row(1, "other", "ＴＡＲＧＥＴ", "ｔａｒｇｅｔ", true)], &[(1, "target", None)]);
        check(&[row(1, "other", "Tar\u{200D}get", "tar\u{200D}get", false)], &[(1, "target", None)]);
        // The name that passes today's rules keeps it, even when it is the newer one.
        check(
            &[row(1, "other", "Tar\u{200D}get", "tar\u{200D}get", true), row(2, "other", "Target", "target", true)],
            &[(1, "target (#1)", Some("Tar\u{200D}get (#1)"))],
        );
        // Both pass: the older keeps its name.
        check(
            &[row(3, "other", "Target", "target", true), row(4, "other", "ＴＡＲＧＥＴ", "ｔａｒｇｅｔ", true)],
            &[(4, "target (#4)", Some("ＴＡＲＧＥＴ (#4)"))],
        );
        // Other kinds, and removed items, do not collide.
        check(
            &[
                row(1, "other", "Target", "target", true),
                row(2, "cdn", "ＴＡＲＧＥＴ", "ｔａｒｇｅｔ", true),
                row(3, "other", "ＴＡＲＧＥＴ", "ｔａｒｇｅｔ", false),
            ],
            &[(2, "target", None), (3, "target", None)],
        );
        // A suffix that is itself taken gets another; a long name is shortened to fit.
        check(
            &[
                row(1, "other", "Target", "target", true),
                row(2, "other", "Target (#3)", "target (#3)", true),
                row(3, "other", "ＴＡＲＧＥＴ", "ｔａｒｇｅｔ", true),
            ],
            &[(3, "target (#3-2)", Some("ＴＡＲＧＥＴ (#3-2)"))],
        );
        let long = format!("{}\u{200D}", "a".repeat(99));
        let fixes = plan_name_keys(&[row(1, "other", &"a".repeat(99), "x", true), row(2, "other", &long, "x", true)]);
        let renamed = fixes.iter().find_map(|f| f.rename.clone()).unwrap().1;
        assert_eq!(renamed, format!("{} (#2)", "a".repeat(95)));
        assert_eq!(renamed.chars().count(), MAX_NAME_CHARS);
    }
}
