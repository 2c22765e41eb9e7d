//! Items: insert, update, soft delete and reads, always within one workspace.

use anyhow::Context as _;
use chrono::{DateTime, Datelike as _, Utc};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use super::{
    Result, Tx, date, decimal, exactly_one, parse_date, parse_decimal, parse_opt_decimal, parse_timestamp, timestamp,
};
use crate::domain::item::{Details, Item, Kind, Renewal, Usage};
use crate::domain::money::{Currency, Money};
use crate::domain::text::{ItemName, Label, Notes};
use crate::domain::workspace::{LeadTimes, WorkspaceId};

const COLUMNS: &str = "id, kind, name, provider, cost_amount, currency, billing_period, renewal_date,
    renewal_anchor_day, auto_renew, status, notes, usage_unit, unit_price, included_units, used_units,
    usage_limit, billed_units, usage_read_on, details, lead_days, yearly_price, plan_price, billed_from, created_at,
    updated_at, deleted_at";

/// Which items a read returns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Removed {
    Excluded,
    Included,
}

impl Tx {
    /// The workspace's items, oldest first.
    pub async fn items(&mut self, workspace: &WorkspaceId, removed: Removed) -> Result<Vec<Item>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM items WHERE workspace_id = ?1 AND (?2 OR deleted_at IS NULL) ORDER BY id"
        )))
        .bind(workspace.as_str())
        .bind(removed == Removed::Included)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(rows.iter().map(item_from_row).collect::<anyhow::Result<_>>()?)
    }

    /// Stores a new item and returns its id.
    pub async fn insert_item(&mut self, workspace: &WorkspaceId, item: &Item) -> Result<i64> {
        let fields = ItemFields::of(item);
        let query = sqlx::query(
            "INSERT INTO items (workspace_id, kind, name, name_key, provider, cost_amount, currency, billing_period,
                 renewal_date, renewal_anchor_day, auto_renew, status, notes, usage_unit, unit_price, included_units,
                 used_units, usage_limit, billed_units, usage_read_on, details, lead_days, yearly_price, plan_price,
                 billed_from, updated_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
                 ?23, ?24, ?25, ?26, ?27)",
        )
        .bind(workspace.as_str())
        .bind(item.kind().as_str());
        let done = fields.bind_to(query).bind(timestamp(item.created_at)).execute(&mut *self.tx).await?;
        let id = done.last_insert_rowid();
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
                 yearly_price = ?23, plan_price = ?24, billed_from = ?25, updated_at = ?26
             WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL",
        )
        .bind(workspace.as_str())
        .bind(item.id);
        let updated = fields.bind_to(query).execute(&mut *self.tx).await?;
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
                 billed_from, updated_at, created_at, deleted_at, id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
                 ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
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
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn item_from_row(row: &SqliteRow) -> anyhow::Result<Item> {
    let id: i64 = row.try_get("id")?;
    let read = || -> anyhow::Result<Item> {
        let kind: Kind = row.try_get::<&str, _>("kind")?.parse()?;
        let currency = Currency::parse(row.try_get("currency")?)?;
        let renewal = match row.try_get::<Option<&str>, _>("renewal_date")? {
            Some(text) => {
                let date = parse_date(text)?;
                let anchor_day: Option<i64> = row.try_get("renewal_anchor_day")?;
                Some(Renewal { date, anchor_day: anchor_day.map(u32::try_from).transpose()?.unwrap_or(date.day()) })
            }
            None => None,
        };
        let usage = match row.try_get::<Option<&str>, _>("usage_unit")? {
            Some(unit) => Some(Usage {
                unit: Label::parse("unit", unit)?,
                unit_price: parse_opt_decimal(row.try_get("unit_price")?)?,
                included: parse_opt_decimal(row.try_get("included_units")?)?,
                used: parse_opt_decimal(row.try_get("used_units")?)?.unwrap_or_default(),
                limit: parse_opt_decimal(row.try_get("usage_limit")?)?,
                billed: parse_opt_decimal(row.try_get("billed_units")?)?.unwrap_or_default(),
                read_on: row.try_get::<Option<&str>, _>("usage_read_on")?.map(parse_date).transpose()?,
            }),
            None => None,
        };
        let label = |column: &str| -> anyhow::Result<Option<Label>> {
            Ok(row.try_get::<Option<&str>, _>(column)?.map(|t| Label::parse("label", t)).transpose()?)
        };
        Ok(Item {
            id,
            name: ItemName::parse(row.try_get("name")?)?,
            provider: label("provider")?,
            cost: Money::new(parse_decimal(row.try_get("cost_amount")?)?, currency),
            period: row.try_get::<&str, _>("billing_period")?.parse()?,
            renewal,
            auto_renew: row.try_get("auto_renew")?,
            status: row.try_get::<&str, _>("status")?.parse()?,
            notes: row.try_get::<Option<&str>, _>("notes")?.map(Notes::parse).transpose()?,
            usage,
            details: Details::from_json(kind, row.try_get("details")?)?,
            lead_times: row.try_get::<Option<&str>, _>("lead_days")?.map(LeadTimes::parse).transpose()?,
            yearly_price: parse_opt_decimal(row.try_get("yearly_price")?)?,
            plan_price: parse_opt_decimal(row.try_get("plan_price")?)?,
            billed_from: parse_date(row.try_get("billed_from")?)?,
            created_at: parse_timestamp(row.try_get("created_at")?)?,
            updated_at: parse_timestamp(row.try_get("updated_at")?)?,
            removed_at: row.try_get::<Option<&str>, _>("deleted_at")?.map(parse_timestamp).transpose()?,
        })
    };
    read().with_context(|| format!("item #{id} in the database is damaged"))
}
