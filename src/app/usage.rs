//! The usage push: an application reports what it used, one event or a batch at a time, and
//! Jarvis adds it up per item and day into the usage meter and the cost records.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use super::items::{ItemRef, resolve};
use super::views::TypedMoney;
use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::DateRange;
use crate::domain::connection::price_pushed;
use crate::domain::cost::{CostSource, NewCostRecord, UsageSnapshot};
use crate::domain::item::{Item, Kind};
use crate::domain::money::{MAX_AMOUNT, Money};
use crate::domain::text::Notes;
use crate::domain::workspace::WorkspaceId;
use crate::store::PUSHED_BY;

/// The most events one push may carry.
pub const MAX_EVENTS: usize = 1000;
/// How long an idempotency key is remembered: a retry within this counts once.
pub const KEYS_KEPT: chrono::Duration = chrono::Duration::days(30);
/// The longest idempotency key.
pub const MAX_KEY_LEN: usize = 200;

/// One usage event: `quantity` units of `item` used at `at`.
#[derive(Clone, Debug)]
pub struct UsageEvent {
    pub item: ItemRef,
    pub quantity: Decimal,
    /// The unit, when given: it must be the item's meter's.
    pub unit: Option<String>,
    /// When it happened; now when not given.
    pub at: Option<DateTime<Utc>>,
    /// What it cost, in the item's currency; worked out from the item's pricing when not given.
    pub cost: Option<Decimal>,
    /// A key the sender gives the event so that sending it again counts it once.
    pub key: Option<String>,
}

/// What a push added.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PushSummary {
    /// Events counted now.
    pub accepted: usize,
    /// Events whose idempotency key was counted before (or earlier in this batch): not counted again.
    pub repeated: usize,
    /// Each item and day the counted events went to, with what they added and the day's totals.
    pub days: Vec<PushedDay>,
}

/// What a push added to one item's day.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PushedDay {
    pub item_id: i64,
    pub item_uuid: uuid::Uuid,
    pub item: String,
    pub day: NaiveDate,
    pub events: i64,
    pub quantity: Decimal,
    pub cost: TypedMoney,
    /// The day's record: everything pushed for the day so far.
    pub cost_record_id: i64,
    pub day_cost: TypedMoney,
}

/// An event's refusal, naming it by its place in the batch.
fn event_error(index: usize, error: impl std::fmt::Display) -> UserError {
    UserError::invalid("event", format!("#{index}"), error.to_string())
}

impl App {
    /// Counts usage events: each is priced against its item and added to the item's day (one
    /// cost record per item and day, the usage meter of the open cycle), all in one transaction.
    /// A batch with any event that cannot be counted is refused whole, naming the event.
    pub async fn push_usage(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        events: &[UsageEvent],
    ) -> Result<PushSummary> {
        if events.is_empty() {
            return Err(
                UserError::Missing("Send at least one event: {\"item\": \"OpenAI\", \"quantity\": 1}".into()).into()
            );
        }
        if events.len() > MAX_EVENTS {
            return Err(UserError::invalid(
                "events",
                events.len().to_string(),
                format!("a push holds at most {MAX_EVENTS} events; send them in batches"),
            )
            .into());
        }
        for (index, event) in events.iter().enumerate() {
            if let Some(key) = &event.key
                && (key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(char::is_control))
            {
                return Err(event_error(
                    index,
                    format!("its idempotency_key must be 1 to {MAX_KEY_LEN} characters, without control characters"),
                )
                .into());
            }
        }
        if let Some(summary) = self.push_once(workspace, actor, events).await? {
            return Ok(summary);
        }
        self.run_jobs(workspace).await?;
        self.push_once(workspace, actor, events)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a renewal still passed after the jobs ran").into())
    }

    /// [`App::push_usage`] once; `None` (nothing written) when an item's renewal passed and the
    /// jobs must run first.
    async fn push_once(
        &self,
        workspace: &WorkspaceId,
        actor: &Actor,
        events: &[UsageEvent],
    ) -> Result<Option<PushSummary>> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let mut items: BTreeMap<i64, Item> = BTreeMap::new();
        let mut by_query: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        let connected: Vec<i64> = tx.connections(workspace).await?.iter().map(|c| c.item_id).collect();
        let mut days: BTreeMap<(i64, NaiveDate), PushedDay> = BTreeMap::new();
        let mut repeated = 0;
        // Every key of the batch claimed in one statement; a key repeated within the batch counts
        // once too. (A refusal below rolls the claims back with the rest.)
        let keys: Vec<&str> = events.iter().filter_map(|e| e.key.as_deref()).collect();
        let mut fresh =
            if keys.is_empty() { Default::default() } else { tx.claim_usage_keys(workspace, &keys, now).await? };
        for (index, event) in events.iter().enumerate() {
            let id = match by_query.get(&event.item.query) {
                Some(id) => *id,
                None => {
                    let item = resolve(&mut tx, workspace, &event.item).await.map_err(|e| match e {
                        super::AppError::User(user) => event_error(index, user).into(),
                        other => other,
                    })?;
                    if item.kind() != Kind::AiProvider && item.usage.is_none() {
                        return Err(event_error(
                            index,
                            format!(
                                "`{}` is {} without a usage meter; push usage to AI providers or to items with a meter (set one with --unit)",
                                item.name,
                                item.kind().with_article()
                            ),
                        )
                        .into());
                    }
                    if connected.contains(&item.id) {
                        return Err(event_error(
                            index,
                            format!(
                                "`{}` is connected to its provider's cost API, which records its costs; pushing usage as well would count them twice (disconnect it, or push to another item)",
                                item.name
                            ),
                        )
                        .into());
                    }
                    // A renewal that passed restarts the meter: the jobs do that first, so
                    // these units go to the cycle they belong to.
                    if item.usage.is_some() && crate::domain::cost::due_renewals(&item, today, &[]).is_some() {
                        return Ok(None);
                    }
                    by_query.insert(event.item.query.clone(), item.id);
                    let id = item.id;
                    items.entry(id).or_insert(item);
                    id
                }
            };
            if let Some(key) = &event.key
                && !fresh.remove(key)
            {
                repeated += 1;
                continue;
            }
            let item = &items[&id];
            let day = settings.timezone.today(event.at.unwrap_or(now));
            let pushed = price_pushed(item, day, today, event.quantity, event.unit.as_deref(), event.cost)
                .map_err(|e| event_error(index, e))?;
            let entry = days.entry((id, day)).or_insert_with(|| PushedDay {
                item_id: id,
                item_uuid: item.uuid,
                item: item.name.as_str().to_string(),
                day,
                events: 0,
                quantity: Decimal::ZERO,
                cost: TypedMoney(Money::zero(item.cost.currency)),
                cost_record_id: 0,
                day_cost: TypedMoney(Money::zero(item.cost.currency)),
            });
            entry.events += 1;
            entry.quantity += event.quantity;
            entry.cost = TypedMoney(Money::new(entry.cost.0.amount + pushed.cost, entry.cost.0.currency));
            let item = items.get_mut(&id).expect("read above");
            item.usage = pushed.usage;
        }

        // Each item's day: its record made or added to, its usage counted. What the days hold
        // already is read in two queries, whatever the batch's size.
        let ids: Vec<i64> = items.keys().copied().collect();
        let span = match (days.keys().map(|(_, d)| *d).min(), days.keys().map(|(_, d)| *d).max()) {
            (Some(start), Some(end)) => Some(DateRange { start, end }),
            _ => None,
        };
        let (mut records, mut usage_before) = match span {
            Some(span) => {
                (tx.pushed_records(workspace, &ids, span).await?, tx.pushed_usage(workspace, &ids, span).await?)
            }
            None => Default::default(),
        };
        let mut usage_after = Vec::with_capacity(days.len());
        for day in days.values_mut() {
            let item = &items[&day.item_id];
            let span = DateRange { start: day.day, end: day.day };
            let same = |r: &crate::domain::cost::CostRecord| r.item_id == day.item_id && r.period.start == day.day;
            match records.iter().position(same).map(|at| records.swap_remove(at)) {
                Some(record) => {
                    let total = record.amount.amount + day.cost.0.amount;
                    check_day_total(item, day.day, total)?;
                    let used = record.usage.as_ref().map_or(Decimal::ZERO, |u| u.used) + day.quantity;
                    let usage = UsageSnapshot::of(item, used);
                    tx.set_pushed_record(workspace, &record, Money::new(total, record.amount.currency), &usage).await?;
                    day.cost_record_id = record.id;
                    day.day_cost = TypedMoney(Money::new(total, record.amount.currency));
                }
                None => {
                    check_day_total(item, day.day, day.cost.0.amount)?;
                    // Added beside whatever else the day holds: pushed units were never on the meter
                    // a cycle's bill was made from (they count as billed), so nothing gives way.
                    let record = NewCostRecord {
                        item_id: day.item_id,
                        amount: day.cost.0,
                        period: span,
                        source: CostSource::Usage,
                        usage: Some(UsageSnapshot::of(item, day.quantity)),
                        note: Notes::parse("pushed usage").ok(),
                    };
                    // The record is written by the push itself (its `created_by`), whoever sent
                    // the events: the day's events from every sender add up in it.
                    let id = tx
                        .insert_cost(workspace, &record, &Actor::Token(PUSHED_BY.to_string()), now)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("a pushed usage record collided with a job's record"))?;
                    day.cost_record_id = id;
                    day.day_cost = day.cost;
                }
            }
            let before = usage_before
                .iter()
                .position(|(item, on, _)| *item == day.item_id && *on == day.day)
                .map(|at| usage_before.swap_remove(at).2)
                .unwrap_or_default();
            let after = crate::store::UsageDay {
                requests: Some(before.requests.unwrap_or(0) + day.events),
                quantity: before.quantity + day.quantity,
                ..before
            };
            usage_after.push((day.item_id, day.day, after));
        }
        tx.put_pushed_usage(workspace, &usage_after, now).await?;
        // The meters of the items that took events (an item whose events were all repeats is
        // left as it was).
        for item in items.values_mut().filter(|item| days.keys().any(|(id, _)| *id == item.id)) {
            item.updated_at = now;
            tx.update_item(workspace, item).await?;
        }
        let summary = PushSummary { accepted: events.len() - repeated, repeated, days: days.into_values().collect() };
        if summary.accepted > 0 {
            let change = Change {
                action: "usage.push",
                entity: "usage",
                entity_id: None,
                before: None,
                after: Some(json!({
                    "accepted": summary.accepted,
                    "repeated": summary.repeated,
                    "days": summary.days.iter().map(|d| json!({
                        "item_id": d.item_id, "day": d.day, "events": d.events,
                        "quantity": d.quantity, "cost": d.cost, "cost_record_id": d.cost_record_id,
                    })).collect::<Vec<_>>(),
                })),
            };
            tx.audit(workspace, actor, now, &change).await?;
        }
        tx.commit().await?;
        Ok(Some(summary))
    }

    /// Forgets the idempotency keys of events pushed more than [`KEYS_KEPT`] ago; how many.
    pub async fn prune_usage_keys(&self) -> Result<u64> {
        let mut tx = self.store.write().await?;
        let pruned = tx.prune_usage_keys(self.now() - KEYS_KEPT).await?;
        tx.commit().await?;
        Ok(pruned)
    }
}

/// Refuses a day whose pushed cost would pass what Jarvis stores.
fn check_day_total(item: &Item, day: NaiveDate, total: Decimal) -> Result<(), UserError> {
    if total > MAX_AMOUNT || total < Decimal::ZERO {
        return Err(UserError::invalid(
            "cost",
            total.to_string(),
            format!(
                "the usage pushed for `{}` on {day} would add up to more than Jarvis's maximum; check the costs sent",
                item.name
            ),
        ));
    }
    Ok(())
}
