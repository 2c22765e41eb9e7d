//! Items: insert, update, soft delete and reads, always within one workspace.

use anyhow::Context as _;
use chrono::{DateTime, Datelike as _, Utc};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use super::raw::{Columns, Param};
use super::{Result, Store, Tx, date, decimal, exactly_one, parse_date, parse_decimal, parse_timestamp, timestamp};
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::DateRange;
use crate::domain::item::{CycleReading, Details, Item, Kind, Renewal, Usage};
use crate::domain::money::{Currency, Money};
use crate::domain::text::{ItemName, Label, MAX_NAME_CHARS, Notes, name_key};
use crate::domain::workspace::{LeadTimes, WorkspaceId};

const COLUMNS: &str = "id, kind, name, provider, cost_amount, currency, billing_period, renewal_date,
    renewal_anchor_day, auto_renew, status, notes, usage_unit, unit_price, included_units, used_units,
    usage_limit, billed_units, usage_read_on, details, lead_days, yearly_price, plan_price, billed_from, created_at,
    updated_at, deleted_at, usage_last_cycle";

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
        let included = i64::from(removed == Removed::Included);
        self.raw_rows(&sql, &[Param::Text(workspace.as_str()), Param::Int(included)], |row| item_from_row(row)).await
    }

    /// The items whose name has `key` (see [`ItemName::key`]) or whose id is `id`, by id.
    pub async fn items_named(
        &mut self,
        workspace: &WorkspaceId,
        key: &str,
        id: Option<i64>,
        removed: Removed,
    ) -> Result<Vec<Item>> {
        let included = i64::from(removed == Removed::Included);
        let mut items = self
            .raw_rows(
                &format!("SELECT {COLUMNS} FROM items WHERE workspace_id = ?1 AND name_key = ?2 AND (?3 OR deleted_at IS NULL)"),
                &[Param::Text(workspace.as_str()), Param::Text(key), Param::Int(included)],
                |row| item_from_row(row),
            )
            .await?;
        if let Some(id) = id {
            items.extend(
                self.raw_rows(
                    &format!(
                        "SELECT {COLUMNS} FROM items WHERE workspace_id = ?1 AND id = ?2 AND (?3 OR deleted_at IS NULL)"
                    ),
                    &[Param::Text(workspace.as_str()), Param::Int(id), Param::Int(included)],
                    |row| item_from_row(row),
                )
                .await?,
            );
        }
        items.sort_by_key(|i| i.id);
        items.dedup_by_key(|i| i.id);
        Ok(items)
    }

    /// The items (removed ones included) written after `version` (see `read_model_version`).
    pub async fn items_since(&mut self, workspace: &WorkspaceId, version: i64) -> Result<Vec<Item>> {
        let sql = format!("SELECT {COLUMNS} FROM items WHERE workspace_id = ?1 AND version > ?2 ORDER BY id");
        self.raw_rows(&sql, &[Param::Text(workspace.as_str()), Param::Int(version)], |row| item_from_row(row)).await
    }

    /// Stores a new item and returns its id.
    pub async fn insert_item(&mut self, workspace: &WorkspaceId, item: &Item) -> Result<i64> {
        let fields = ItemFields::of(item);
        let query = sqlx::query(
            "INSERT INTO items (workspace_id, kind, name, name_key, provider, cost_amount, currency, billing_period,
                 renewal_date, renewal_anchor_day, auto_renew, status, notes, usage_unit, unit_price, included_units,
                 used_units, usage_limit, billed_units, usage_read_on, details, lead_days, yearly_price, plan_price,
                 billed_from, updated_at, usage_last_cycle, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
                 ?23, ?24, ?25, ?26, ?27, ?28)",
        )
        .bind(workspace.as_str())
        .bind(item.kind().as_str());
        let done = fields.bind_to(query).bind(timestamp(item.created_at)).execute(&mut *self.tx).await?;
        let id = done.last_insert_rowid();
        self.item_changed(workspace, id);
        Ok(id)
    }

    /// Overwrites a live item's fields (its id, kind and creation time stay).
    pub async fn update_item(&mut self, workspace: &WorkspaceId, item: &Item) -> Result<()> {
        let fields = ItemFields::of(item);
        let query = sqlx::query(
            "UPDATE items SET name = ?3, name_key = ?4, provider = ?5, cost_amount = ?6, currency = ?7,
                 billing_period = ?8, renewal_date = ?9, renewal_anchor_day = ?10, auto_renew = ?11, status = ?12,
                 notes = ?13, usage_unit = ?14, unit_price = ?15, included_units = ?16, used_units = ?17,
                 usage_limit = ?18, billed_units = ?19, usage_read_on = ?20, details = ?21, lead_days = ?22,
                 yearly_price = ?23, plan_price = ?24, billed_from = ?25, updated_at = ?26, usage_last_cycle = ?27
             WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL",
        )
        .bind(workspace.as_str())
        .bind(item.id);
        let updated = fields.bind_to(query).execute(&mut *self.tx).await?;
        self.item_changed(workspace, item.id);
        exactly_one(updated, || format!("item #{}", item.id))
    }

    /// Marks an item removed; its cost history stays.
    pub async fn remove_item(&mut self, workspace: &WorkspaceId, id: i64, now: DateTime<Utc>) -> Result<()> {
        let removed = sqlx::query(
            "UPDATE items SET deleted_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL",
        )
        .bind(workspace.as_str())
        .bind(id)
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        self.item_changed(workspace, id);
        exactly_one(removed, || format!("item #{id}"))
    }
}

impl Tx {
    /// Brings a removed item back (its fields are then written with `update_item`).
    pub async fn restore_item(&mut self, workspace: &WorkspaceId, id: i64) -> Result<()> {
        let restored = sqlx::query(
            "UPDATE items SET deleted_at = NULL WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NOT NULL",
        )
        .bind(workspace.as_str())
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        self.item_changed(workspace, id);
        exactly_one(restored, || format!("removed item #{id}"))
    }
}

impl Tx {
    /// Stores an item read from a backup as it was: its creation, last change and removal
    /// times, and its id when `keep_id` (the caller checked the id is free); returns its id.
    pub async fn insert_item_from_backup(
        &mut self,
        workspace: &WorkspaceId,
        item: &Item,
        keep_id: bool,
    ) -> Result<i64> {
        let fields = ItemFields::of(item);
        let query = sqlx::query(
            "INSERT INTO items (workspace_id, kind, name, name_key, provider, cost_amount, currency, billing_period,
                 renewal_date, renewal_anchor_day, auto_renew, status, notes, usage_unit, unit_price, included_units,
                 used_units, usage_limit, billed_units, usage_read_on, details, lead_days, yearly_price, plan_price,
                 billed_from, updated_at, usage_last_cycle, created_at, deleted_at, id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
                 ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
        )
        .bind(workspace.as_str())
        .bind(item.kind().as_str());
        let done = fields
            .bind_to(query)
            .bind(timestamp(item.created_at))
            .bind(item.removed_at.map(timestamp))
            // NULL lets SQLite give the next id.
            .bind(keep_id.then_some(item.id))
            .execute(&mut *self.tx)
            .await?;
        self.item_changed(workspace, done.last_insert_rowid());
        Ok(done.last_insert_rowid())
    }
}

/// An item's column values from `name` to `updated_at`, bound in that order by [`ItemFields::bind_to`].
struct ItemFields {
    name: String,
    name_key: String,
    provider: Option<String>,
    cost_amount: String,
    currency: &'static str,
    period: &'static str,
    renewal_date: Option<String>,
    anchor_day: Option<i64>,
    auto_renew: bool,
    status: &'static str,
    notes: Option<String>,
    usage_unit: Option<String>,
    unit_price: Option<String>,
    included: Option<String>,
    used: Option<String>,
    limit: Option<String>,
    billed_units: Option<String>,
    read_on: Option<String>,
    last_cycle: Option<String>,
    details: String,
    lead_days: Option<String>,
    yearly_price: Option<String>,
    plan_price: Option<String>,
    billed_from: String,
    updated_at: String,
}

impl ItemFields {
    fn of(item: &Item) -> ItemFields {
        let usage = item.usage.as_ref();
        ItemFields {
            name: item.name.as_str().to_string(),
            name_key: item.name.key(),
            provider: item.provider.as_ref().map(|p| p.as_str().to_string()),
            cost_amount: decimal(item.cost.amount),
            currency: item.cost.currency.code(),
            period: item.period.as_str(),
            renewal_date: item.renewal.map(|r| date(r.date)),
            anchor_day: item.renewal.map(|r| i64::from(r.anchor_day)),
            auto_renew: item.auto_renew,
            status: item.status.as_str(),
            notes: item.notes.as_ref().map(|n| n.as_str().to_string()),
            usage_unit: usage.map(|u| u.unit.as_str().to_string()),
            unit_price: usage.and_then(|u| u.unit_price).map(decimal),
            included: usage.and_then(|u| u.included).map(decimal),
            used: usage.map(|u| decimal(u.used)),
            limit: usage.and_then(|u| u.limit).map(decimal),
            billed_units: usage.map(|u| decimal(u.billed)),
            read_on: usage.and_then(|u| u.read_on).map(date),
            last_cycle: usage.and_then(|u| u.last_cycle).map(|r| {
                serde_json::json!({
                    "used": decimal(r.used), "read_on": date(r.read_on),
                    "cycle_start": date(r.cycle.start), "cycle_end": date(r.cycle.end),
                })
                .to_string()
            }),
            details: item.details.to_json(),
            lead_days: item.lead_times.as_ref().map(ToString::to_string),
            yearly_price: item.yearly_price.map(decimal),
            plan_price: item.plan_price.map(decimal),
            billed_from: date(item.billed_from),
            updated_at: timestamp(item.updated_at),
        }
    }

    /// Binds name, name_key, provider, cost_amount, currency, billing_period, renewal_date,
    /// renewal_anchor_day, auto_renew, status, notes, the seven usage columns, details, lead_days,
    /// yearly_price, plan_price, billed_from and updated_at, in that order.
    fn bind_to(self, query: SqliteQuery<'_>) -> SqliteQuery<'_> {
        query
            .bind(self.name)
            .bind(self.name_key)
            .bind(self.provider)
            .bind(self.cost_amount)
            .bind(self.currency)
            .bind(self.period)
            .bind(self.renewal_date)
            .bind(self.anchor_day)
            .bind(self.auto_renew)
            .bind(self.status)
            .bind(self.notes)
            .bind(self.usage_unit)
            .bind(self.unit_price)
            .bind(self.included)
            .bind(self.used)
            .bind(self.limit)
            .bind(self.billed_units)
            .bind(self.read_on)
            .bind(self.details)
            .bind(self.lead_days)
            .bind(self.yearly_price)
            .bind(self.plan_price)
            .bind(self.billed_from)
            .bind(self.updated_at)
            .bind(self.last_cycle)
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn item_from_row(row: &impl Columns) -> anyhow::Result<Item> {
    // The columns in the order of `COLUMNS`.
    let id = row.required_int(0)?;
    let read = || -> anyhow::Result<Item> {
        let kind: Kind = row.required_text(1)?.parse()?;
        let currency = Currency::parse(row.required_text(5)?)?;
        let renewal = match row.text(7)? {
            Some(text) => {
                let date = parse_date(text)?;
                let anchor_day = row.int(8)?;
                Some(Renewal { date, anchor_day: anchor_day.map(u32::try_from).transpose()?.unwrap_or(date.day()) })
            }
            None => None,
        };
        let decimal = |index: usize| row.text(index)?.map(parse_decimal).transpose();
        let usage = match row.text(12)? {
            Some(unit) => Some(Usage {
                unit: Label::from_stored("unit", unit)?,
                unit_price: decimal(13)?,
                included: decimal(14)?,
                used: decimal(15)?.unwrap_or_default(),
                limit: decimal(16)?,
                billed: decimal(17)?.unwrap_or_default(),
                read_on: row.text(18)?.map(parse_date).transpose()?,
                last_cycle: row.text(27)?.map(parse_cycle_reading).transpose()?,
            }),
            None => None,
        };
        let label = |index: usize| -> anyhow::Result<Option<Label>> {
            Ok(row.text(index)?.map(|t| Label::from_stored("label", t)).transpose()?)
        };
        Ok(Item {
            id,
            name: ItemName::from_stored(row.required_text(2)?)?,
            provider: label(3)?,
            cost: Money::new(parse_decimal(row.required_text(4)?)?, currency),
            period: row.required_text(6)?.parse()?,
            renewal,
            auto_renew: row.required_int(9)? != 0,
            status: row.required_text(10)?.parse()?,
            notes: row.text(11)?.map(Notes::from_stored).transpose()?,
            usage,
            details: Details::from_json(kind, row.required_text(19)?)?,
            lead_times: row.text(20)?.map(LeadTimes::parse).transpose()?,
            yearly_price: decimal(21)?,
            plan_price: decimal(22)?,
            billed_from: parse_date(row.required_text(23)?)?,
            created_at: parse_timestamp(row.required_text(24)?)?,
            updated_at: parse_timestamp(row.required_text(25)?)?,
            removed_at: row.text(26)?.map(parse_timestamp).transpose()?,
        })
    };
    read().with_context(|| format!("item #{id} in the database is damaged"))
}

/// A usage meter's `usage_last_cycle` column.
fn parse_cycle_reading(text: &str) -> anyhow::Result<CycleReading> {
    let value: serde_json::Value = serde_json::from_str(text).context("usage_last_cycle is not JSON")?;
    let field = |name: &str| value[name].as_str().with_context(|| format!("usage_last_cycle has no {name}"));
    Ok(CycleReading {
        used: parse_decimal(field("used")?)?,
        read_on: parse_date(field("read_on")?)?,
        cycle: DateRange::new(parse_date(field("cycle_start")?)?, parse_date(field("cycle_end")?)?)
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
            sqlx::query("UPDATE items SET name_key = ?3 WHERE workspace_id = ?1 AND id = ?2")
                .bind(&fix.workspace)
                .bind(fix.id)
                .bind(format!("\u{200B}{}", fix.id))
                .execute(&mut *tx.tx)
                .await?;
        }
        for fix in &fixes {
            let (old, new) = match &fix.rename {
                Some((old, new)) => (Some(old.as_str()), Some(new.as_str())),
                None => (None, None),
            };
            sqlx::query(
                "UPDATE items SET name_key = ?3, name = coalesce(?4, name),
                     updated_at = CASE WHEN ?4 IS NULL THEN updated_at ELSE ?5 END
                 WHERE workspace_id = ?1 AND id = ?2",
            )
            .bind(&fix.workspace)
            .bind(fix.id)
            .bind(&fix.key)
            .bind(new)
            .bind(timestamp(now))
            .execute(&mut *tx.tx)
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
        let rows = sqlx::query(
            "SELECT id, workspace_id, kind, name, name_key, deleted_at IS NULL AS live FROM items ORDER BY id",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        let row = |row: &SqliteRow| -> anyhow::Result<KeyRow> {
            Ok(KeyRow {
                id: row.try_get("id")?,
                workspace: row.try_get("workspace_id")?,
                kind: row.try_get("kind")?,
                name: row.try_get("name")?,
                key: row.try_get("name_key")?,
                live: row.try_get("live")?,
            })
        };
        Ok(rows.iter().map(row).collect::<anyhow::Result<_>>()?)
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
