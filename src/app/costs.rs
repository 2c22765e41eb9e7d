//! Use cases on cost history: recording a cost by hand, and reading history.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::items::{ItemRef, audit_json, resolve_any};
use super::views::{CostHistory, CostView, LeftOut, TypedMoney};
use super::{App, Result};
use crate::domain::UserError;
use crate::domain::audit::{Actor, Change};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::cost::{CostRecord, CostSource, NewCostRecord, UsageSnapshot, recorded_period};
use crate::domain::item::{Item, Renewal};
use crate::domain::money::{Currency, Money};
use crate::domain::page::{Noun, PageRequest};
use crate::domain::rates::{RateBook, dedup_missing};
use crate::domain::text::Notes;
use crate::domain::workspace::WorkspaceId;
use crate::store::{CostFilter, Removed, Tx};

/// The days a hand-recorded cost pays for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum CostPeriod {
    /// The current month (the default).
    #[default]
    CurrentMonth,
    Month(Month),
    /// A payment made on this day for a billing cycle: a subscription's cycle that starts then,
    /// a usage bill's cycle that ended the day before, just that day for one-time purchases.
    PaidOn(NaiveDate),
    Range(DateRange),
}

impl CostPeriod {
    /// The days this period means for `item` as of `today`.
    fn days(self, item: &Item, today: NaiveDate) -> DateRange {
        match self {
            CostPeriod::CurrentMonth => Month::of(today).range(),
            CostPeriod::Month(month) => month.range(),
            CostPeriod::Range(range) => range,
            CostPeriod::PaidOn(day) => {
                let anchor = item.renewal.map_or(Renewal::on(day), |r| Renewal { date: day, ..r });
                let cycle = if item.period.bills_in_arrears() {
                    anchor.preceding(item.period).and_then(|start| DateRange::new(start.date, day.pred_opt()?))
                } else {
                    anchor.following(item.period).and_then(|next| DateRange::new(day, next.date.pred_opt()?))
                };
                cycle.unwrap_or(DateRange { start: day, end: day })
            }
        }
    }
}

/// A cost an admin records by hand.
#[derive(Clone, Debug)]
pub struct CostInput {
    pub item: ItemRef,
    pub amount: Decimal,
    /// Defaults to the item's currency.
    pub currency: Option<Currency>,
    pub period: CostPeriod,
    /// `manual` (the default), `usage` or `import`; the others are written by jobs.
    pub source: CostSource,
    /// Units used, for usage bills; stored with the item's unit.
    pub usage: Option<Decimal>,
    pub note: Option<Notes>,
    /// Replace what Jarvis recorded for the same days (its renewal charges and month-close
    /// estimates) with this figure. Without it, such an overlap is refused.
    pub replace: bool,
    /// Record it even when a hand-recorded record with the same amount and days exists (a second,
    /// separate charge). Without it, such a record is refused, so a retried write never counts
    /// twice.
    pub again: bool,
}

impl App {
    /// Records a cost against an item. Days it pays for are not charged again by renewals or
    /// month close.
    pub async fn record_cost(&self, workspace: &WorkspaceId, actor: &Actor, input: &CostInput) -> Result<CostView> {
        input.source.for_hand_records()?;
        if let CostPeriod::Range(range) = input.period {
            recorded_period(range.start, range.end)?;
        }
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let today = self.today(&settings);
        let item = resolve_any(&mut tx, workspace, &input.item).await?;
        let period = input.period.days(&item, today);
        if period.start > today {
            return Err(UserError::invalid(
                "period",
                format!("{} to {}", period.start, period.end),
                format!("it starts after today ({today}); record costs once they are incurred"),
            )
            .into());
        }
        let amount = Money::new(input.amount, input.currency.unwrap_or(item.cost.currency));
        let (overlapping, by_hand): (Vec<CostRecord>, Vec<CostRecord>) = tx
            .cost_records(
                workspace,
                CostFilter { item_id: Some(item.id), from: Some(period.start), to: Some(period.end) },
            )
            .await?
            .into_iter()
            .partition(|r| r.created_by == Actor::Jarvis.as_str());
        // The same figure for the same days, recorded by hand already: most likely this very
        // write, retried after its answer was lost. Refused unless it is meant as another charge.
        if !input.again
            && let Some(same) = by_hand.iter().find(|r| r.period == period && r.amount == amount)
        {
            let at = same.created_at.with_timezone(&settings.timezone.0);
            return Err(UserError::Conflict(format!(
                "Cost record #{} already holds {} for `{}` from {} to {} (recorded {} by {}), so nothing was written; if this is another charge for the same days, add --again",
                same.id,
                TypedMoney(same.amount),
                item.name,
                period.start,
                period.end,
                at.format("%Y-%m-%d %H:%M %Z"),
                same.created_by,
            ))
            .into());
        }
        // Jarvis's own records for these days would count them twice: replace them, or refuse.
        if !overlapping.is_empty() && !input.replace {
            let listed: Vec<String> = overlapping
                .iter()
                .map(|r| format!("#{} {} for {} → {}", r.id, r.amount, r.period.start, r.period.end))
                .collect();
            return Err(UserError::Conflict(format!(
                "Jarvis already recorded costs for these days of `{}` ({}); add --replace to put your figure in their place, or record only other days",
                item.name,
                listed.join("; ")
            ))
            .into());
        }
        give_way_records(&mut tx, workspace, actor, &item, &overlapping, period, settings.base_currency, now).await?;
        let usage = input.usage.map(|used| UsageSnapshot::of(&item, used));
        let record =
            NewCostRecord { item_id: item.id, amount, period, source: input.source, usage, note: input.note.clone() };
        let id = tx
            .insert_cost(workspace, &record, actor, now)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a hand-recorded cost collided with a job's record"))?;
        let stored =
            tx.cost_record(workspace, id).await?.ok_or_else(|| anyhow::anyhow!("cost record #{id} vanished"))?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let view = CostView::new(&stored, Some(&item), settings.base_currency, &rates);
        let change = Change {
            action: "cost.record",
            entity: "cost_record",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(audit_json(&view)),
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Removes a cost record from history (kept, marked removed, and audited). Its days stay dealt
    /// with: renewals and month close do not charge them again.
    pub async fn remove_cost(&self, workspace: &WorkspaceId, actor: &Actor, id: i64) -> Result<CostView> {
        let now = self.now();
        let mut tx = self.write(workspace).await?;
        let settings = tx.settings(workspace).await?;
        let Some(record) = tx.cost_record(workspace, id).await? else {
            // Removed already (a retried remove, most likely): say so, rather than "no such record".
            if let Some((at, actor)) = tx.cost_record_removal(workspace, id).await? {
                let at = at.with_timezone(&settings.timezone.0).format("%Y-%m-%d %H:%M %Z");
                let by = match actor.as_deref() {
                    Some("cli") => " from the command line".to_string(),
                    Some("jarvis") => " by Jarvis".to_string(),
                    Some(token) if token.starts_with("token:") => format!(" through the API ({token})"),
                    Some(user) => format!(" by Discord user {user}"),
                    None => String::new(),
                };
                return Err(UserError::Conflict(format!(
                    "Cost record #{id} was already removed on {at}{by}, so nothing changed"
                ))
                .into());
            }
            return Err(
                UserError::NotFound { what: "cost record", query: format!("#{id}"), suggestions: Vec::new() }.into()
            );
        };
        // An imported record stands for its bill: taken out alone, the import would no longer add
        // up to its file.
        if let Some(import) = tx.import_of_record(workspace, id).await? {
            return Err(UserError::Conflict(format!(
                "Cost record #{id} came from FOCUS import #{import}; take the whole import out with `import remove {import}`, or import a corrected file for its billing period"
            ))
            .into());
        }
        tx.remove_cost(workspace, id, now).await?;
        let items = tx.items(workspace, Removed::Included).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let view =
            CostView::new(&record, items.iter().find(|i| i.id == record.item_id), settings.base_currency, &rates);
        let change = Change {
            action: "cost.remove",
            entity: "cost_record",
            entity_id: Some(id.to_string()),
            before: Some(audit_json(&view)),
            after: None,
        };
        tx.audit(workspace, actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// A page of cost records (oldest first: by period start, then id), optionally for one item
    /// and the days `from`..=`to`, with the total of every matching record, on every page, in the
    /// base currency. Records reaching outside the days count only for their share inside them.
    ///
    /// The total adds up the amount and days of every matching record, one by one in history
    /// order, as it always has, so it stays exact to the last digit; only the page's records are
    /// read whole. (Month roll-ups would sum the same shares grouped by month and converted per
    /// group, which is not always the same to the last decimal digit.)
    pub async fn cost_history(
        &self,
        workspace: &WorkspaceId,
        item: Option<&ItemRef>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        page: PageRequest,
    ) -> Result<CostHistory> {
        let window = DateRange::between(from.unwrap_or(NaiveDate::MIN), to.unwrap_or(NaiveDate::MAX))?;
        let mut tx = self.store.read().await?;
        let settings = tx.settings(workspace).await?;
        let (item_id, item_uuid) = match item {
            Some(reference) => {
                let item = resolve_any(&mut tx, workspace, reference).await?;
                (Some(item.id), Some(item.uuid))
            }
            None => (None, None),
        };
        let lines = tx.cost_lines(workspace, CostFilter { item_id, from, to }).await?;
        let rates = RateBook::new(tx.rates(workspace).await?);
        let base = settings.base_currency;
        let mut total = HistoryTotal::new(base);
        for line in &lines {
            total.add(line.amount, line.period, window, &rates);
        }
        let (shown, paging) = page.take(lines, Noun::COST_RECORDS)?;
        let shown: Vec<i64> = shown.iter().map(|line| line.id).collect();
        let records = tx.cost_records_by_id(workspace, &shown).await?;
        let ids: Vec<i64> = records.iter().map(|r| r.item_id).collect();
        let items: HashMap<i64, _> = tx.items_by_id(workspace, &ids).await?.into_iter().map(|i| (i.id, i)).collect();
        Ok(CostHistory {
            base_currency: base,
            item_id,
            item_uuid,
            from,
            to,
            records: records.iter().map(|r| CostView::new(r, items.get(&r.item_id), base, &rates)).collect(),
            paging,
            total: total.total,
            left_out: total.left_out,
        })
    }
}

/// Jarvis's own records of `item` over `period` (renewal charges, month-close estimates) give
/// way: each is removed, what it billed outside `period` is recorded again, and the replacement
/// is audited (`cost.replace`). Records written by people are left alone.
pub(super) async fn give_way(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    actor: &Actor,
    item: &Item,
    period: DateRange,
    base: Currency,
    now: DateTime<Utc>,
) -> Result<()> {
    let jarvis: Vec<CostRecord> = tx
        .cost_records(workspace, CostFilter { item_id: Some(item.id), from: Some(period.start), to: Some(period.end) })
        .await?
        .into_iter()
        .filter(|r| r.created_by == Actor::Jarvis.as_str())
        .collect();
    give_way_records(tx, workspace, actor, item, &jarvis, period, base, now).await
}

/// [`give_way`] for these records (Jarvis's, overlapping `period`).
#[allow(clippy::too_many_arguments)]
async fn give_way_records(
    tx: &mut Tx,
    workspace: &WorkspaceId,
    actor: &Actor,
    item: &Item,
    records: &[CostRecord],
    period: DateRange,
    base: Currency,
    now: DateTime<Utc>,
) -> Result<()> {
    for record in records {
        tx.remove_cost(workspace, record.id, now).await?;
        let mut kept = Vec::new();
        for part in record.period.minus(period) {
            let rest = NewCostRecord {
                item_id: item.id,
                amount: Money::new(record.amount_within(part), record.amount.currency),
                period: part,
                source: record.source,
                usage: record.usage.clone(),
                note: record.note.clone(),
            };
            if let Some(id) = tx.insert_cost(workspace, &rest, &Actor::Jarvis, now).await? {
                kept.push(serde_json::json!({ "id": id, "amount": rest.amount, "period": part }));
            }
        }
        let removed = CostView::new(record, Some(item), base, &RateBook::default());
        let change = Change {
            action: "cost.replace",
            entity: "cost_record",
            entity_id: Some(record.id.to_string()),
            before: Some(audit_json(&removed)),
            after: Some(serde_json::json!({ "kept": kept })),
        };
        tx.audit(workspace, actor, now, &change).await?;
    }
    Ok(())
}

/// The total of cost records within a window, in the base currency, added up record by record
/// in history order; what no rate converts is set aside per currency.
pub(super) struct HistoryTotal {
    base: Currency,
    pub(super) total: Money,
    pub(super) left_out: Vec<LeftOut>,
}

impl HistoryTotal {
    pub(super) fn new(base: Currency) -> HistoryTotal {
        HistoryTotal { base, total: Money::zero(base), left_out: Vec::new() }
    }

    /// Adds the share within `window` of a record of `amount` paying for `period`, converted at
    /// the rate of the period's first day.
    pub(super) fn add(&mut self, amount: Money, period: DateRange, window: DateRange, rates: &RateBook) {
        let share = Money::new(period.share(amount.amount, window), amount.currency);
        match rates.convert(share, self.base, period.start) {
            Ok(converted) => self.total = self.total.plus(converted),
            Err(gap) => {
                let gap = gap.for_days(period);
                match self.left_out.iter_mut().find(|l| l.amount.currency == share.currency) {
                    Some(l) => {
                        l.amount = l.amount.plus(share);
                        l.records += 1;
                        l.missing = dedup_missing([l.missing, gap])[0];
                    }
                    None => self.left_out.push(LeftOut { amount: share, records: 1, missing: gap }),
                }
            }
        }
    }
}
