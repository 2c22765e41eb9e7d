//! The generated workload, pure: items of every kind, billing period and currency, with three
//! years of cost history, exchange rates, budgets and sites, all made from a seed.
//!
//! Histories are not invented record by record: each item lives its life through the ledger's
//! own rules in `domain::cost`. From the day it was added, renewal advancement and month close run
//! as the jobs would (`due_renewals`, `month_close`), usage meters are read each cycle and billed in
//! arrears, a price change or a status change settles the past first (`settle`, then
//! `Item::apply`), as an edit does. So the records are what Jarvis itself would have written, day
//! for day; on top of that some cycles were paid by hand (manual invoices), some items' early
//! history came from a spreadsheet (import), some usage was imported day by day from a provider
//! (usage records of one day), and a few hand-entered records were removed and entered again.
//!
//! To write exactly the number of records asked for, the history is then shaped: with too many,
//! the oldest records of every item are left out (as if Jarvis was adopted later for it, which
//! moves `billed_from` up); with too few, some pay-per-use items' usage is imported day by day
//! instead of in monthly bills, from a day chosen to make the count exact.

use std::collections::HashSet;

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, Utc};
use fastrand::Rng;
use rust_decimal::Decimal;

use super::catalog::{
    BRAND_HEADS, BRAND_TAILS, FEATURES, KEYWORDS, Meter, NOTES, PLACES, REGISTRARS, SERVERS, TEAMS, TEMPLATES, Template,
};
use crate::domain::budget::{Budget, BudgetScope, Thresholds};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::cost::{CostSource, NewCostRecord, UsageSnapshot, due_renewals, month_close, settle};
use crate::domain::item::{ApiKeyStatus, BillingPeriod, Category, Item, ItemChanges, Kind, ManualStatus};
use crate::domain::money::{Currency, Money};
use crate::domain::rates::{ExchangeRate, RateBook};
use crate::domain::text::{ItemName, Label, Notes};
use crate::domain::workspace::LeadTimes;

/// Months of history before today's month.
pub const HISTORY_MONTHS: i32 = 36;

/// The currencies items are priced in, with what one unit was worth in USD when the history
/// starts (the rates then wander a little each month).
const CURRENCIES: [(&str, &str); 6] =
    [("USD", "1"), ("EUR", "1.08"), ("THB", "0.0285"), ("GBP", "1.27"), ("JPY", "0.0067"), ("SGD", "0.74")];

/// How the company's items are spread over kinds, in percent.
const KIND_WEIGHTS: [(Kind, u32); 8] = [
    (Kind::Domain, 12),
    (Kind::Hosting, 14),
    (Kind::Cdn, 8),
    (Kind::Storage, 10),
    (Kind::AiProvider, 18),
    (Kind::Integration, 16),
    (Kind::Package, 15),
    (Kind::Other, 7),
];

/// The first items are fixed in kind, period and currency, so that even a small workload has
/// every kind, every billing period and every currency.
const FIRST: [(Kind, BillingPeriod, usize); 8] = [
    (Kind::Domain, BillingPeriod::Yearly, 0),
    (Kind::Hosting, BillingPeriod::Monthly, 1),
    (Kind::Cdn, BillingPeriod::Quarterly, 2),
    (Kind::Storage, BillingPeriod::UsageBased, 3),
    (Kind::AiProvider, BillingPeriod::UsageBased, 4),
    (Kind::Integration, BillingPeriod::Monthly, 5),
    (Kind::Package, BillingPeriod::OneTime, 0),
    (Kind::Other, BillingPeriod::Quarterly, 1),
];

/// What to generate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Target {
    pub items: usize,
    /// Cost records to write, removed ones included.
    pub records: usize,
    pub sites: usize,
}

/// Names and addresses already used in the workspace, which generated ones must avoid.
#[derive(Clone, Default, Debug)]
pub struct Taken {
    /// `(kind, name key)` of live items.
    pub names: HashSet<(Kind, String)>,
    pub urls: HashSet<String>,
    /// `(base, quote, date)` of rates already set: they are kept as they are.
    pub rates: HashSet<(Currency, Currency, NaiveDate)>,
    pub budgets: HashSet<BudgetScope>,
}

/// The fixed facts generation works from.
#[derive(Clone, Debug)]
pub struct Context {
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    /// The first day of the history: the 1st of the month [`HISTORY_MONTHS`] before today's.
    pub from: NaiveDate,
    pub base: Currency,
    /// What one unit of each currency was worth in USD when the history starts.
    worth: Vec<(Currency, Decimal)>,
}

impl Context {
    pub fn new(today: NaiveDate, now: DateTime<Utc>, base: Currency) -> Context {
        let worth = CURRENCIES
            .iter()
            .map(|(code, usd)| (Currency::parse(code).expect("known currency"), usd.parse().expect("valid decimal")))
            .collect();
        Context { today, now, from: Month::of(today).plus(-HISTORY_MONTHS).first_day(), base, worth }
    }

    /// `minutes` past midnight UTC on `day`, but never later than now.
    fn at(&self, day: NaiveDate, minutes: u32) -> DateTime<Utc> {
        let at = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::minutes(i64::from(minutes));
        at.min(self.now)
    }

    fn currency(&self, index: usize) -> Currency {
        self.worth[index].0
    }

    /// What one unit of `currency` was worth in USD when the history starts (a currency outside
    /// the six counts as one USD: the workload is made up).
    fn usd_worth(&self, currency: Currency) -> Decimal {
        self.worth.iter().find(|(c, _)| *c == currency).map_or(Decimal::ONE, |(_, w)| *w)
    }

    /// `usd` in `currency` at the history's start, rounded as a price list would be: to the
    /// currency's minor unit, and to whole units from 100 up.
    fn price(&self, usd: Decimal, currency: Currency) -> Decimal {
        list_price(usd / self.usd_worth(currency), currency)
    }

    /// A price per unit in USD, in `currency`, to at most 8 decimal places.
    fn unit_price(&self, usd: Decimal, currency: Currency) -> Decimal {
        (usd / self.usd_worth(currency)).round_dp(8).max(Decimal::new(1, 8))
    }

    fn history_days(&self) -> i64 {
        (self.today - self.from).num_days()
    }
}

/// `amount` rounded as a price list would be: to the currency's minor unit, and to whole units
/// from 100 up.
fn list_price(amount: Decimal, currency: Currency) -> Decimal {
    let dp = if amount >= Decimal::ONE_HUNDRED { 0 } else { currency.minor_units() };
    amount.round_dp(dp).max(Decimal::new(1, currency.minor_units()))
}

/// A random generator derived from `seed` and `salt` (splitmix64), so that a value depends only
/// on what it is about and not on how many values were drawn before it.
fn rng_for(seed: u64, salt: u64) -> Rng {
    let mut z = seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Rng::with_seed(z ^ (z >> 31))
}

fn day_number(day: NaiveDate) -> u64 {
    u64::try_from(day.num_days_from_ce()).unwrap_or_default()
}

fn percent(rng: &mut Rng, chance: u32) -> bool {
    rng.u32(0..100) < chance
}

fn weighted<T: Copy>(rng: &mut Rng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut pick = rng.u32(0..total);
    for (choice, weight) in choices {
        if pick < *weight {
            return *choice;
        }
        pick -= weight;
    }
    choices[choices.len() - 1].0
}

fn pick<T: Copy>(rng: &mut Rng, choices: &[T]) -> T {
    choices[rng.usize(0..choices.len())]
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn note(text: &str) -> Notes {
    Notes::parse(text).expect("generated notes are valid")
}

fn label(field: &'static str, text: &str) -> Label {
    Label::parse(field, text).expect("generated labels are valid")
}

/// How an item's life ends before today, if it does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ending {
    Active,
    /// Set suspended, cancelled or expired on that day.
    Status(ManualStatus, NaiveDate),
    /// Removed on that day.
    Removed(NaiveDate),
}

/// How an item's history is cut to make the record count exact (see the module docs).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Shape {
    /// The oldest records left out.
    pub drop: usize,
    /// From this day on, closed usage cycles are imported day by day.
    pub daily_from: Option<NaiveDate>,
    /// One hand-entered record is entered wrong, removed and entered again.
    pub mistake: bool,
}

/// An item's usage: units a month when the history starts, how that grows, and for quota meters
/// nothing is billed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Consumption {
    monthly_units: Decimal,
    /// Growth a month, in tenths of a percent (may be negative).
    growth_permille: i64,
}

/// One generated item and the facts its history follows from.
#[derive(Clone, Debug)]
pub struct ItemLife {
    pub kind: Kind,
    changes: ItemChanges,
    /// The day it was added to the ledger (its history starts then).
    start: NaiveDate,
    /// A new price from a day on (subscriptions).
    price_change: Option<(NaiveDate, Decimal)>,
    pub ending: Ending,
    consumption: Option<Consumption>,
    /// Whether its early history was imported from a spreadsheet.
    imported: bool,
    /// Whether its usage could be imported day by day: pay per use, no base fee, no free tier.
    daily_capable: bool,
    seed: u64,
    pub shape: Shape,
}

/// A record to write, with when and by whom.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Entry {
    /// The record; its `item_id` is 0 until the item is stored.
    pub record: NewCostRecord,
    pub at: DateTime<Utc>,
    /// Written by Jarvis's jobs (else by whoever seeds).
    pub by_jobs: bool,
    /// A wrong amount entered by hand for the same days before this record, then removed.
    pub mistake: Option<Mistake>,
}

/// A record entered wrong and removed, which the entry after it replaces.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mistake {
    pub amount: Money,
    pub entered: DateTime<Utc>,
    pub removed: DateTime<Utc>,
}

/// An item as its life left it, with its records.
#[derive(Clone, Debug)]
pub struct Lived {
    pub item: Item,
    pub entries: Vec<Entry>,
    pub removed_at: Option<DateTime<Utc>>,
}

impl Lived {
    /// Rows this item's records take: each record, and each mistaken one removed.
    pub fn rows(&self) -> usize {
        self.entries.len() + self.entries.iter().filter(|e| e.mistake.is_some()).count()
    }
}

/// Records being written for one item, and the days they deal with.
#[derive(Default)]
struct Book {
    entries: Vec<Entry>,
    covered: Vec<DateRange>,
}

impl Book {
    fn add(&mut self, record: NewCostRecord, at: DateTime<Utc>, by_jobs: bool) {
        self.covered.push(record.period);
        self.entries.push(Entry { record, at, by_jobs, mistake: None });
    }
}

impl ItemLife {
    /// The day its life ends (today for items still active).
    fn end(&self, ctx: &Context) -> NaiveDate {
        match self.ending {
            Ending::Active => ctx.today,
            Ending::Status(_, day) | Ending::Removed(day) => day,
        }
    }

    /// Lives the item's life through the ledger's rules up to today (see the module docs).
    pub fn live(&self, ctx: &Context) -> Lived {
        let created = ctx.at(self.start, 9 * 60);
        let (mut item, _) =
            Item::create(self.kind, &self.changes, ctx.base, self.start, created).expect("generated items are valid");
        let mut book = Book::default();
        let end = self.end(ctx);
        if item.period == BillingPeriod::OneTime {
            // What `item add` records for a one-time purchase.
            if !item.cost.amount.is_zero() {
                let record = NewCostRecord {
                    item_id: 0,
                    amount: item.cost,
                    period: DateRange { start: self.start, end: self.start },
                    source: CostSource::Manual,
                    usage: None,
                    note: Some(note("one-time purchase")),
                };
                book.add(record, created, false);
            }
        } else if item.period.bills_in_arrears() {
            item = self.bill_usage(item, end, ctx, &mut book);
        } else {
            if let Some((day, cost)) = self.price_change.filter(|(day, _)| *day < end) {
                item = run_jobs(item, day, ctx, &mut book);
                item = settle_on(item, day, ctx, &mut book);
                let change = ItemChanges { cost: Some(cost), ..Default::default() };
                item = item.apply(&change, day, ctx.at(day, 10 * 60)).expect("a new price is valid").0;
            }
            item = run_jobs(item, end, ctx, &mut book);
            if self.ending == Ending::Active
                && let Some(consumption) = self.consumption
            {
                let read_on = (ctx.today - days(rng_for(self.seed, 1).i64(0..10))).max(item.billed_from);
                item = read(item, consumption.quota_reading(read_on, self.seed), read_on, ctx);
            }
        }
        let mut removed_at = None;
        match self.ending {
            Ending::Active => {}
            Ending::Status(status, day) => {
                item = settle_on(item, day, ctx, &mut book);
                let change = ItemChanges { status: Some(status), ..Default::default() };
                item = item.apply(&change, day, ctx.at(day, 11 * 60)).expect("a status is valid").0;
            }
            Ending::Removed(day) => {
                item = settle_on(item, day, ctx, &mut book);
                removed_at = Some(ctx.at(day, 11 * 60));
            }
        }
        self.shaped(item, book.entries, removed_at, ctx)
    }

    /// Usage items, cycle by cycle: the meter is read on each cycle's last day and the jobs bill
    /// the cycle the day after its billing date (or it was imported day by day); the open cycle
    /// gets a reading of its usage so far.
    fn bill_usage(&self, mut item: Item, end: NaiveDate, ctx: &Context, book: &mut Book) -> Item {
        let consumption = self.consumption.expect("usage items have a consumption");
        loop {
            let bill = item.renewal.expect("usage items have a billing date").date;
            if bill >= end {
                break;
            }
            let last = bill.pred_opt().expect("not the first day of time");
            let cycle = DateRange::new(item.billed_from, last).expect("a cycle ends after it starts");
            let mut units = consumption.units(ctx, cycle.start, cycle.days(), self.seed);
            if let Some(from) = self.shape.daily_from.filter(|from| cycle.end >= *from) {
                let daily = DateRange::new(from.max(cycle.start), cycle.end).expect("within the cycle");
                let imported = self.import_days(&item, daily, units / Decimal::from(cycle.days()), ctx, book);
                if daily == cycle {
                    units = imported;
                }
            }
            item = read(item, units, last, ctx);
            item = run_jobs(item, bill.succ_opt().expect("not the last day of time"), ctx, book);
        }
        let elapsed = (end - item.billed_from).num_days();
        if elapsed > 0 {
            let read_on = end.pred_opt().expect("not the first day of time");
            let units = consumption.units(ctx, item.billed_from, elapsed, self.seed);
            item = read(item, units, read_on, ctx);
        }
        item
    }

    /// Usage of `span`'s days imported one record a day (about `per_day` units each); returns the
    /// units imported.
    fn import_days(&self, item: &Item, span: DateRange, per_day: Decimal, ctx: &Context, book: &mut Book) -> Decimal {
        let usage = item.usage.as_ref().expect("usage items have a meter");
        let price = usage.unit_price.expect("usage items have a unit price");
        let mut total = Decimal::ZERO;
        let mut day = span.start;
        while day <= span.end {
            let mut rng = rng_for(self.seed, day_number(day));
            let units = (per_day * Decimal::from(rng.u32(60..=140)) / Decimal::ONE_HUNDRED).round().max(Decimal::ONE);
            total += units;
            let record = NewCostRecord {
                item_id: 0,
                amount: Money::new((units * price).round_dp(8), item.cost.currency),
                period: DateRange { start: day, end: day },
                source: CostSource::Usage,
                usage: Some(UsageSnapshot {
                    unit: usage.unit.as_str().to_string(),
                    used: units,
                    included: None,
                    unit_price: Some(price),
                }),
                note: None,
            };
            let next = day.succ_opt().expect("not the last day of time");
            book.add(record, ctx.at(next, 6 * 60), false);
            day = next;
        }
        total
    }

    /// The history cut as [`Shape`] says, the sources of hand-entered and imported records set,
    /// and the item's creation and `billed_from` made to agree with what is kept.
    fn shaped(
        &self,
        mut item: Item,
        mut entries: Vec<Entry>,
        removed_at: Option<DateTime<Utc>>,
        ctx: &Context,
    ) -> Lived {
        entries.sort_by_key(|e| (e.record.period.start, e.record.period.end));
        let dropped = self.shape.drop.min(entries.len());
        entries.drain(..dropped);
        let end = self.end(ctx);
        let mut created_day = self.start;
        if dropped > 0 {
            // Tracked from its first record kept; nothing before it is billed.
            let first = entries.first().map(|e| e.record.period.start);
            if !item.period.bills_in_arrears() {
                item.billed_from = first.unwrap_or(ctx.today).min(end).max(item.billed_from);
            }
            created_day = first.unwrap_or(item.billed_from).min(end);
        }
        let mut rng = rng_for(self.seed, 2);
        let mut cut = 0;
        if self.imported && entries.len() >= 4 {
            cut = entries.len() / 4 + rng.usize(0..entries.len() / 2);
            created_day = entries[cut].record.period.start;
        }
        let created = ctx.at(created_day, 9 * 60 + rng.u32(0..480));
        let invoice_chance = match item.period {
            BillingPeriod::Quarterly | BillingPeriod::Yearly => 8,
            _ => 2,
        };
        for (index, entry) in entries.iter_mut().enumerate() {
            if item.period == BillingPeriod::OneTime {
                // Recorded as the purchase was added.
                entry.at = created;
            } else if index < cut && entry.record.source == CostSource::Usage {
                // Usage imported day by day before the item was added stays usage.
                entry.at = created;
                entry.by_jobs = false;
            } else if index < cut {
                entry.record.source = CostSource::Import;
                entry.record.note = Some(note("imported from the finance spreadsheet"));
                entry.at = created;
                entry.by_jobs = false;
            } else if entry.record.source == CostSource::Renewal
                && entry.record.usage.is_none()
                && percent(&mut rng, invoice_chance)
            {
                // The invoice was entered by hand before the jobs got to it.
                let start = entry.record.period.start;
                entry.record.source = CostSource::Manual;
                entry.record.note = Some(note(&format!("Invoice INV-{}-{:04}", start.year(), rng.u32(1..10_000))));
                entry.at = ctx.at(start, 8 * 60);
                entry.by_jobs = false;
            }
        }
        if self.shape.mistake && !entries.is_empty() {
            let index = cut.max(rng.usize(0..entries.len()));
            let entry = &mut entries[index];
            let wrong = Money::new(entry.record.amount.amount * Decimal::TEN, entry.record.amount.currency);
            let entered = ctx.at(entry.record.period.start.max(created_day), 8 * 60);
            let corrected = (entered + days(1)).min(ctx.now);
            entry.mistake = Some(Mistake { amount: wrong, entered, removed: corrected });
            entry.record.source = CostSource::Manual;
            entry.record.note = Some(note("Re-entered: the first entry had an extra zero"));
            entry.at = corrected;
            entry.by_jobs = false;
        }
        item.created_at = created;
        item.updated_at = item.updated_at.max(created);
        Lived { item, entries, removed_at }
    }
}

impl Consumption {
    /// A quota meter's reading on `day`: about its level (a database's size does not add up
    /// over a month), now and then over a limit.
    fn quota_reading(&self, day: NaiveDate, seed: u64) -> Decimal {
        let mut rng = rng_for(seed, day_number(day) ^ 0xC0FFEE);
        (self.monthly_units * Decimal::from(rng.u32(75..=125)) / Decimal::ONE_HUNDRED).round_dp(2)
    }

    /// The monthly level `months` months after the history starts.
    fn level_after(&self, months: i32) -> Decimal {
        let factor = Decimal::from(1000 + self.growth_permille) / Decimal::from(1000);
        (0..months.max(0)).fold(self.monthly_units, |level, _| (level * factor).round_dp(6))
    }

    /// Units used over `span_days` days from `from`: the monthly level grown to then, with noise
    /// and the odd spike; at least one a day.
    fn units(&self, ctx: &Context, from: NaiveDate, span_days: i64, seed: u64) -> Decimal {
        let mut rng = rng_for(seed, day_number(from) ^ 0xC0FFEE);
        let months = (Month::of(from).year() - Month::of(ctx.from).year()) * 12 + Month::of(from).month() as i32
            - Month::of(ctx.from).month() as i32;
        let level = self.level_after(months);
        let noise = Decimal::from(rng.u32(75..=125)) / Decimal::ONE_HUNDRED;
        let spike = if percent(&mut rng, 3) { Decimal::from(rng.u32(2..=3)) } else { Decimal::ONE };
        let span = Decimal::from(span_days.max(1));
        (level * noise * spike * span / Decimal::from(30)).round().max(span)
    }
}

/// The meter read on `day` (as an admin typing the provider's count would).
fn read(item: Item, units: Decimal, day: NaiveDate, ctx: &Context) -> Item {
    let change = ItemChanges { usage: Some(units), ..Default::default() };
    item.apply(&change, day, ctx.at(day, 18 * 60)).expect("a reading is valid").0
}

/// The jobs run on `day`: renewal advancement, then month close.
fn run_jobs(item: Item, day: NaiveDate, ctx: &Context, book: &mut Book) -> Item {
    let mut current = item;
    if let Some(run) = due_renewals(&current, day, &book.covered) {
        current = run.applied_to(&current);
        for charge in run.charges {
            let written = charge.period.start.succ_opt().expect("not the last day of time");
            book.add(rounded(charge), ctx.at(written, 5), true);
        }
    }
    for record in month_close(&current, day, &book.covered) {
        let written = Month::of(record.period.end).next().first_day();
        book.add(rounded(record), ctx.at(written, 5), true);
    }
    current
}

/// What an edit or a removal on `day` records first.
fn settle_on(item: Item, day: NaiveDate, ctx: &Context, book: &mut Book) -> Item {
    let (current, records) = settle(&item, day, &book.covered, None);
    for record in records {
        book.add(rounded(record), ctx.at(day, 10 * 60), true);
    }
    current
}

/// Shares the jobs work out (a month's part of a yearly price, a prorated bill) can run to 28
/// decimal places; the workload keeps 8, what a typed amount may have.
fn rounded(mut record: NewCostRecord) -> NewCostRecord {
    record.amount.amount = record.amount.amount.round_dp(8);
    record
}

/// Generated item names, unique per kind among themselves and the workspace's live items.
struct Names {
    taken: HashSet<(Kind, String)>,
}

impl Names {
    /// `name`, or the first of `name 2`, `name 3`... that is free (`stem2.rest` for domains).
    fn unique(&mut self, kind: Kind, name: &str) -> ItemName {
        for n in 1.. {
            let candidate = match (n, name.split_once('.')) {
                (1, _) => name.to_string(),
                (_, Some((stem, rest))) if kind == Kind::Domain => format!("{stem}{n}.{rest}"),
                _ => format!("{name} {n}"),
            };
            let parsed = ItemName::parse(&candidate).expect("generated names are valid");
            if self.taken.insert((kind, parsed.key())) {
                return parsed;
            }
        }
        unreachable!("some number is free")
    }
}

/// The whole workload, with item histories shaped to the target's record count.
#[derive(Clone, Debug)]
pub struct Plan {
    pub rates: Vec<ExchangeRate>,
    pub budgets: Vec<Budget>,
    pub sites: Vec<SiteSeed>,
    pub items: Vec<ItemLife>,
}

/// A monitored site to add (never checked by the seed; `.example` hosts resolve nowhere).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SiteSeed {
    pub url: String,
    pub keyword: Option<&'static str>,
    pub interval_minutes: u32,
    pub created_at: DateTime<Utc>,
}

/// Plans the workload for `target` from `seed`.
pub fn plan(seed: u64, target: Target, ctx: &Context, taken: &Taken) -> Plan {
    let mut rng = Rng::with_seed(seed);
    let rates = exchange_rates(&mut rng.fork(), ctx, taken);
    let mut names = Names { taken: taken.names.clone() };
    let mut items: Vec<ItemLife> =
        (0..target.items).map(|index| item_life(index, &mut rng.fork(), ctx, &mut names)).collect();
    let natural: Vec<Lived> = items.iter().map(|life| life.live(ctx)).collect();
    allocate(&mut items, &natural, target.records, &mut rng.fork());
    let book = RateBook::new(rates.clone());
    let budgets = budgets(&natural, ctx, &book, &mut rng.fork(), taken);
    let sites = sites(target.sites, ctx, &mut rng.fork(), taken);
    Plan { rates, budgets, sites, items }
}

/// Monthly rates between the base currency and each other one, from the history's first day to
/// this month, wandering up to 1.5% a month. Each pair is stored the way it is usually quoted,
/// so that the rate is above 1: EUR and GBP against USD (1 EUR = 1.08 USD), USD against THB, JPY
/// and SGD (1 USD = 35.09 THB): both directions occur.
fn exchange_rates(rng: &mut Rng, ctx: &Context, taken: &Taken) -> Vec<ExchangeRate> {
    let mut worth: Vec<(Currency, Decimal)> = ctx.worth.clone();
    if !worth.iter().any(|(c, _)| *c == ctx.base) {
        worth.push((ctx.base, Decimal::ONE));
    }
    let mut rates = Vec::new();
    let mut month = Month::of(ctx.from);
    while month <= Month::of(ctx.today) {
        let base_worth = worth.iter().find(|(c, _)| *c == ctx.base).expect("the base is there").1;
        for (currency, value) in &worth {
            if *currency == ctx.base {
                continue;
            }
            let (base, quote, rate) = if *value > base_worth {
                (*currency, ctx.base, *value / base_worth)
            } else {
                (ctx.base, *currency, base_worth / *value)
            };
            let rate = ExchangeRate { base, quote, rate: rate.round_dp(8), date: month.first_day() };
            if !taken.rates.contains(&(rate.base, rate.quote, rate.date)) {
                rates.push(rate);
            }
        }
        for (currency, value) in &mut worth {
            if *currency != Currency::USD {
                let step = Decimal::from(10_000 + rng.i32(-150..=150)) / Decimal::from(10_000);
                *value = (*value * step).round_dp(10);
            }
        }
        month = month.next();
    }
    rates
}

/// One item: its template, terms, start, ending and usage.
fn item_life(index: usize, rng: &mut Rng, ctx: &Context, names: &mut Names) -> ItemLife {
    let first = FIRST.get(index).copied();
    let kind = first.map_or_else(|| weighted(rng, &KIND_WEIGHTS), |f| f.0);
    let seed = rng.u64(..);
    let mut changes = ItemChanges::default();
    let (period, currency, monthly_usd, meter, template) = if kind == Kind::Domain {
        let registrar = pick(rng, REGISTRARS);
        let name = format!("{}{}.{}.example", pick(rng, BRAND_HEADS), pick(rng, BRAND_TAILS), registrar.tld);
        changes.name = Some(names.unique(kind, &name));
        changes.provider = Some(Some(label("provider", registrar.provider)));
        changes.registrar = Some(Some(label("registrar", registrar.provider)));
        let currency =
            first.map(|f| ctx.currency(f.2)).or(registrar.currency.map(|c| Currency::parse(c).expect("known")));
        let (low, high) = registrar.yearly_cents;
        let yearly = Decimal::from(rng.u64(low..=high)) / Decimal::ONE_HUNDRED;
        (BillingPeriod::Yearly, currency, yearly / Decimal::from(12), Meter::None, None)
    } else {
        let fits = |t: &&Template| t.kind == kind && first.is_none_or(|f| t.periods.iter().any(|(p, _)| *p == f.1));
        let candidates: Vec<&Template> = TEMPLATES.iter().filter(fits).collect();
        let template = pick(rng, &candidates);
        let period = first.map_or_else(|| weighted(rng, template.periods), |f| f.1);
        let team = format!("{}-{}", pick(rng, TEAMS), pick(rng, PLACES));
        changes.name = Some(names.unique(kind, &format!("{} {team}", template.product)));
        changes.provider = Some(Some(label("provider", template.provider)));
        let currency = first
            .map(|f| ctx.currency(f.2))
            .or(template.currency.filter(|_| percent(rng, 90)).map(|c| Currency::parse(c).expect("known")));
        let cents = rng.u64(template.monthly_cents.0..=template.monthly_cents.1);
        (period, currency, Decimal::from(cents) / Decimal::ONE_HUNDRED, template.meter, Some(template))
    };
    let currency = currency.unwrap_or_else(|| {
        let mix = [(0, 60), (1, 9), (2, 10), (3, 8), (4, 6), (5, 7)];
        ctx.currency(weighted(rng, &mix))
    });
    changes.currency = Some(currency);
    changes.period = Some(period);
    let free = matches!(kind, Kind::AiProvider | Kind::Integration)
        && period == BillingPeriod::Monthly
        && first.is_none()
        && percent(rng, 5);
    let cost_usd = match period {
        BillingPeriod::Monthly => monthly_usd,
        BillingPeriod::Quarterly => monthly_usd * Decimal::from(3),
        // Paying yearly usually saves two months (domains are priced by the year already).
        BillingPeriod::Yearly if kind == Kind::Domain => monthly_usd * Decimal::from(12),
        BillingPeriod::Yearly => monthly_usd * Decimal::TEN,
        BillingPeriod::OneTime => monthly_usd,
        BillingPeriod::UsageBased => monthly_usd,
    };
    let cost = if free || cost_usd.is_zero() { Decimal::ZERO } else { ctx.price(cost_usd, currency) };
    changes.cost = Some(cost);
    describe(&mut changes, kind, template, rng);

    // When it was added, and its renewal.
    let span = ctx.history_days();
    let early = percent(rng, 70);
    let cycle_days = i64::from(period.months().unwrap_or(1)) * 30;
    let mut start = if early { ctx.from } else { ctx.from + days(rng.i64(0..span)) };
    match period {
        BillingPeriod::OneTime => start = ctx.from + days(rng.i64(0..span)),
        BillingPeriod::UsageBased => {
            if percent(rng, 40) {
                // Billed on another day of the month than the 1st.
                let day = rng.u32(2..=28);
                let next = Month::of(start).next();
                changes.renewal_date =
                    Some(Some(NaiveDate::from_ymd_opt(next.year(), next.month(), day).expect("day 2-28 exists")));
                changes.auto_renew = Some(true);
            }
        }
        _ if first.is_some() || percent(rng, 80) => {
            if early {
                // It renews on the day it was added.
                start += days(rng.i64(0..cycle_days.min(span)));
                changes.renewal_date = Some(Some(start));
            } else {
                changes.renewal_date = Some(Some((start + days(rng.i64(0..cycle_days))).min(ctx.today)));
            }
            changes.auto_renew = Some(true);
        }
        _ => {
            changes.auto_renew = Some(false);
            if percent(rng, 70) {
                // Paid up to a date, when it expires (passed for some: those are expired).
                changes.renewal_date = Some(Some(start + days(rng.i64(60..=1300))));
            }
        }
    }
    start = start.min(ctx.today);

    let consumption = match meter {
        Meter::None => None,
        Meter::PerUnit { unit, price_usd, monthly_units, free: free_tier } => {
            changes.unit = Some(label("unit", unit));
            let price = ctx.unit_price(price_usd.parse().expect("valid price"), currency);
            changes.unit_price = Some(Some(price));
            changes.free_tier = Some(free_tier.map(Decimal::from));
            let level = Decimal::from(rng.u64(monthly_units.0..=monthly_units.1));
            let consumption = Consumption { monthly_units: level, growth_permille: rng.i64(-10..=50) };
            let now = consumption.level_after(HISTORY_MONTHS);
            if percent(rng, 15) {
                // A cap set with some room over today's usage (a spike can still pass it).
                let room = Decimal::from(rng.u32(150..=300)) / Decimal::ONE_HUNDRED;
                changes.usage_limit = Some(Some((now * room).round()));
            }
            if percent(rng, 10) {
                changes.plan_price = Some(Some(ctx.price(now * price * Decimal::from(7) / Decimal::TEN, currency)));
            }
            Some(consumption)
        }
        Meter::Quota { unit, limit, included, monthly_units } => {
            changes.unit = Some(label("unit", unit));
            changes.usage_limit = Some(limit.map(Decimal::from));
            changes.free_tier = Some(included.map(Decimal::from));
            let level = Decimal::from(rng.u64(monthly_units.0..=monthly_units.1));
            changes.usage = Some(level);
            Some(Consumption { monthly_units: level, growth_permille: 0 })
        }
    };
    let daily_capable = matches!(meter, Meter::PerUnit { free: None, .. }) && cost.is_zero();

    // How its life ends: the first items after the fixed ones end each way once.
    let room = (ctx.today - start).num_days();
    let ending = match (index.checked_sub(FIRST.len()), room > 2) {
        (None, _) | (_, false) => Ending::Active,
        (Some(0), _) => Ending::Status(ManualStatus::Suspended, start + days(rng.i64(1..room))),
        (Some(1), _) => Ending::Status(ManualStatus::Cancelled, start + days(rng.i64(1..room))),
        (Some(2), _) => Ending::Status(ManualStatus::Expired, start + days(rng.i64(1..room))),
        (Some(3), _) => Ending::Removed(start + days(rng.i64(1..room))),
        _ => {
            let day = start + days(rng.i64(1..room));
            match rng.u32(0..1000) {
                0..20 => Ending::Status(ManualStatus::Suspended, day),
                20..50 => Ending::Status(ManualStatus::Cancelled, day),
                50..60 => Ending::Status(ManualStatus::Expired, day),
                60..90 => Ending::Removed(day),
                _ => Ending::Active,
            }
        }
    };
    let end = match ending {
        Ending::Active => ctx.today,
        Ending::Status(_, day) | Ending::Removed(day) => day,
    };
    let price_change = (period.is_recurring()
        && !period.bills_in_arrears()
        && !cost.is_zero()
        && (end - start).num_days() > 60
        && percent(rng, 15))
    .then(|| {
        let day = start + days(rng.i64(30..(end - start).num_days()));
        let raised = cost * Decimal::from(rng.u32(105..=125)) / Decimal::ONE_HUNDRED;
        (day, list_price(raised, currency))
    });
    ItemLife {
        kind,
        changes,
        start,
        price_change,
        ending,
        consumption,
        imported: percent(rng, 25),
        daily_capable: daily_capable && ending == Ending::Active,
        seed,
        shape: Shape::default(),
    }
}

/// The descriptive fields: details by kind, notes, lead times, alternative prices.
fn describe(changes: &mut ItemChanges, kind: Kind, template: Option<&Template>, rng: &mut Rng) {
    match kind {
        Kind::Hosting if percent(rng, 60) => {
            let (server, specs) = pick(rng, SERVERS);
            changes.server_type = Some(Some(label("server type", server)));
            changes.specs = Some(Some(label("specs", specs)));
        }
        Kind::AiProvider => {
            changes.service_type = template.and_then(|t| t.service);
            changes.api_key_status = Some(weighted(
                rng,
                &[
                    (ApiKeyStatus::Active, 85),
                    (ApiKeyStatus::Expired, 5),
                    (ApiKeyStatus::Invalid, 3),
                    (ApiKeyStatus::Unknown, 7),
                ],
            ));
        }
        Kind::Integration => changes.integration_type = template.and_then(|t| t.integration),
        Kind::Package => {
            let count = rng.usize(1..=3);
            let start = rng.usize(0..FEATURES.len());
            changes.features =
                Some((0..count).map(|k| label("feature", FEATURES[(start + k) % FEATURES.len()])).collect());
        }
        _ => {}
    }
    if percent(rng, 10) {
        changes.notes = Some(Some(note(pick(rng, NOTES))));
    }
    if percent(rng, 8) {
        let lead = pick(rng, &["60,14", "14,3,1", "45,7"]);
        changes.lead_times = Some(Some(LeadTimes::parse(lead).expect("valid lead times")));
    }
    if matches!(changes.period, Some(BillingPeriod::Monthly | BillingPeriod::Quarterly))
        && let Some(cost) = changes.cost.filter(|c| !c.is_zero())
        && percent(rng, 10)
    {
        let months = if changes.period == Some(BillingPeriod::Monthly) { 10 } else { 3 };
        changes.yearly_price = Some(Some(cost * Decimal::from(months)));
    }
}

/// Shapes every item's history so that the records add up to `records` rows: one in a thousand
/// is a mistaken entry removed and entered again; the rest is the items' own history, cut or
/// imported day by day (see the module docs). A target the items cannot reach (more than about
/// one record per day per pay-per-use item) gets as many as they can hold.
fn allocate(items: &mut [ItemLife], natural: &[Lived], records: usize, rng: &mut Rng) {
    let mistakes = records / 1000;
    let budget = records - mistakes;
    let counts: Vec<usize> = natural.iter().map(|lived| lived.entries.len()).collect();
    let total: usize = counts.iter().sum();
    let mut kept = counts.clone();
    if total >= budget {
        // Every item loses the same share of its oldest records; what rounding leaves over comes
        // off items in a random order.
        let excess = total - budget;
        for (index, count) in counts.iter().enumerate() {
            let drop = (count * excess).checked_div(total).unwrap_or(0);
            items[index].shape.drop = drop;
            kept[index] -= drop;
        }
        let mut left = excess - counts.iter().zip(&kept).map(|(c, k)| c - k).sum::<usize>();
        let mut order: Vec<usize> = (0..items.len()).collect();
        rng.shuffle(&mut order);
        while left > 0 {
            for &index in &order {
                if left > 0 && kept[index] > 0 {
                    items[index].shape.drop += 1;
                    kept[index] -= 1;
                    left -= 1;
                }
            }
        }
    } else {
        let mut need = budget - total;
        let mut order: Vec<usize> = (0..items.len()).filter(|&i| items[i].daily_capable).collect();
        rng.shuffle(&mut order);
        for index in order {
            if need == 0 {
                break;
            }
            let cycles: Vec<DateRange> = natural[index].entries.iter().map(|e| e.record.period).collect();
            let (from, extra) = daily_from(&cycles, need);
            items[index].shape.daily_from = from;
            kept[index] += extra;
            need -= extra;
        }
    }
    let mut order: Vec<usize> = (0..items.len()).filter(|&i| kept[i] > 0).collect();
    rng.shuffle(&mut order);
    for index in order.into_iter().take(mistakes) {
        items[index].shape.mistake = true;
    }
}

/// The day from which closed usage `cycles` (one bill each, oldest first) are imported day by day
/// so that they take `need` more records, or as many more as they can; and how many more that is.
/// A whole cycle imported is its days instead of one bill; a part of one is its last days beside
/// a bill for the rest.
fn daily_from(cycles: &[DateRange], need: usize) -> (Option<NaiveDate>, usize) {
    let mut extra = 0;
    let mut from = None;
    for cycle in cycles.iter().rev() {
        if extra == need {
            break;
        }
        let days = usize::try_from(cycle.days()).expect("positive");
        let wanted = need - extra;
        if wanted < days {
            from = Some(cycle.end - Duration::days(wanted as i64 - 1));
            extra = need;
        } else {
            from = Some(cycle.start);
            extra += days - 1;
        }
    }
    (from, extra)
}

/// A monthly budget for the total and each category with spending: the last three full months'
/// average, with 10% to spare or (for some) already too little.
fn budgets(natural: &[Lived], ctx: &Context, book: &RateBook, rng: &mut Rng, taken: &Taken) -> Vec<Budget> {
    let last = Month::of(ctx.today).prev();
    let window = DateRange { start: last.plus(-2).first_day(), end: last.last_day() };
    let mut spent: Vec<(Category, Decimal)> = Category::ALL.iter().map(|c| (*c, Decimal::ZERO)).collect();
    for lived in natural.iter().filter(|l| l.removed_at.is_none()) {
        let category = lived.item.category();
        for entry in &lived.entries {
            let share = entry.record.period.share(entry.record.amount.amount, window);
            if share.is_zero() {
                continue;
            }
            let money = Money::new(share, entry.record.amount.currency);
            if let Ok(converted) = book.convert(money, ctx.base, entry.record.period.start.max(window.start)) {
                let slot = spent.iter_mut().find(|(c, _)| *c == category).expect("every category");
                slot.1 += converted.amount / Decimal::from(3);
            }
        }
    }
    let round = |amount: Decimal| {
        let step = [Decimal::from(10_000), Decimal::from(1_000), Decimal::from(100), Decimal::TEN]
            .into_iter()
            .find(|step| amount >= *step * Decimal::TEN)
            .unwrap_or(Decimal::ONE);
        ((amount / step).round() * step).max(Decimal::ONE)
    };
    let mut budgets = Vec::new();
    let mut total = Decimal::ZERO;
    for (category, monthly) in spent.into_iter().filter(|(_, m)| !m.is_zero()) {
        let amount = round(monthly * Decimal::from(rng.u32(85..=130)) / Decimal::ONE_HUNDRED);
        total += amount;
        let thresholds = Thresholds::parse(pick(rng, &["80,100", "50,80,100", "90,100"])).expect("valid thresholds");
        budgets.push(Budget {
            scope: BudgetScope::Category(category),
            amount: Money::new(amount, ctx.base),
            thresholds,
        });
    }
    if !total.is_zero() {
        let amount = round(total * Decimal::from(95) / Decimal::ONE_HUNDRED);
        budgets.insert(
            0,
            Budget {
                scope: BudgetScope::Total,
                amount: Money::new(amount, ctx.base),
                thresholds: Thresholds::default(),
            },
        );
    }
    budgets.retain(|b| !taken.budgets.contains(&b.scope));
    budgets
}

/// `count` monitored sites on `.example` hosts, a few per made-up brand.
fn sites(count: usize, ctx: &Context, rng: &mut Rng, taken: &Taken) -> Vec<SiteSeed> {
    let shapes = [
        "https://{}.example/",
        "https://shop.{}.example/",
        "https://status.{}.example/",
        "https://api.{}.example/health",
        "https://docs.{}.example/",
    ];
    let mut urls: HashSet<String> = taken.urls.clone();
    let mut sites = Vec::with_capacity(count);
    let mut brand = String::new();
    for n in 0.. {
        if sites.len() == count {
            break;
        }
        if n % shapes.len() == 0 || rng.u32(0..3) == 0 {
            brand = format!("{}{}", pick(rng, BRAND_HEADS), pick(rng, BRAND_TAILS));
        }
        let url = pick(rng, &shapes).replace("{}", &brand);
        let keyword = percent(rng, 40).then(|| pick(rng, KEYWORDS));
        let interval_minutes = pick(rng, &[1, 5, 5, 5, 10, 15, 30, 60]);
        let created_at = ctx.at(ctx.from + days(rng.i64(0..ctx.history_days().max(1))), rng.u32(0..1440));
        if urls.insert(url.clone()) {
            sites.push(SiteSeed { url, keyword, interval_minutes, created_at });
        } else if n > count * 50 + 1000 {
            // Every likely address is taken already: add fewer.
            break;
        }
    }
    sites
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::d;

    fn ctx() -> Context {
        Context::new(d("2026-11-30"), "2026-11-30T09:00:00Z".parse().unwrap(), Currency::USD)
    }

    fn lives(seed: u64, items: usize, records: usize) -> Vec<Lived> {
        let ctx = ctx();
        let plan = plan(seed, Target { items, records, sites: 3 }, &ctx, &Taken::default());
        plan.items.iter().map(|life| life.live(&ctx)).collect()
    }

    #[track_caller]
    fn check_daily_from(cycles: &[(&str, &str)], need: usize, expected: (Option<&str>, usize)) {
        let cycles: Vec<DateRange> = cycles.iter().map(|(a, b)| DateRange::new(d(a), d(b)).unwrap()).collect();
        assert_eq!(daily_from(&cycles, need), (expected.0.map(d), expected.1), "need {need}");
    }

    #[test]
    fn daily_imports_start_where_the_count_comes_out_exact() {
        let cycles = [("2026-09-01", "2026-09-30"), ("2026-10-01", "2026-10-31")];
        check_daily_from(&cycles, 0, (None, 0));
        // One more record: October's last day imported, its bill covering Oct 1-30.
        check_daily_from(&cycles, 1, (Some("2026-10-31"), 1));
        check_daily_from(&cycles, 30, (Some("2026-10-02"), 30));
        // All of October: 31 records instead of 1.
        check_daily_from(&cycles, 31, (Some("2026-09-30"), 31));
        check_daily_from(&cycles, 59, (Some("2026-09-02"), 59));
        // Both whole cycles hold 29 + 30 more at most.
        check_daily_from(&cycles, 60, (Some("2026-09-01"), 59));
        check_daily_from(&cycles, 1000, (Some("2026-09-01"), 59));
        check_daily_from(&[("2026-10-01", "2026-10-01")], 5, (Some("2026-10-01"), 0));
    }

    #[test]
    fn the_record_count_is_exact_whether_history_is_cut_or_imported_by_day() {
        for (items, records) in [(40, 300), (40, 1_000), (40, 6_000), (12, 0)] {
            let rows: usize = lives(7, items, records).iter().map(Lived::rows).sum();
            assert_eq!(rows, records, "{items} items, {records} records");
        }
    }

    #[test]
    fn the_same_seed_makes_the_same_workload_and_another_seed_another() {
        let show = |lived: &[Lived]| format!("{:?}", lived.iter().map(|l| (&l.item, &l.entries)).collect::<Vec<_>>());
        assert_eq!(show(&lives(42, 30, 2_000)), show(&lives(42, 30, 2_000)));
        assert_ne!(show(&lives(42, 30, 2_000)), show(&lives(43, 30, 2_000)));
    }

    #[test]
    fn every_kind_period_currency_and_ending_occurs() {
        let lived = lives(42, 100, 10_000);
        for kind in Kind::ALL {
            assert!(lived.iter().any(|l| l.item.kind() == *kind), "no {kind}");
        }
        for period in BillingPeriod::ALL {
            assert!(lived.iter().any(|l| l.item.period == *period), "no {period}");
        }
        for (code, _) in CURRENCIES {
            assert!(lived.iter().any(|l| l.item.cost.currency.code() == code), "no {code}");
        }
        for status in [ManualStatus::Active, ManualStatus::Suspended, ManualStatus::Cancelled, ManualStatus::Expired] {
            assert!(lived.iter().any(|l| l.item.status == status), "no {status}");
        }
        assert!(lived.iter().any(|l| l.removed_at.is_some()), "nothing removed");
        assert!(lived.iter().any(|l| l.item.auto_renew) && lived.iter().any(|l| !l.item.auto_renew));
        let entries = || lived.iter().flat_map(|l| &l.entries);
        for source in CostSource::ALL {
            assert!(entries().any(|e| e.record.source == *source), "no {source} record");
        }
        assert!(entries().any(|e| e.mistake.is_some()), "no removed record");
        assert!(entries().any(|e| e.record.usage.is_some()), "no usage record");
        assert!(entries().any(|e| e.record.amount.amount.scale() == 8), "no amount with 8 decimal places");
        assert!(lived.iter().any(|l| l.item.usage.as_ref().is_some_and(|u| u.included.is_some())), "no free tier");
        assert!(lived.iter().any(|l| l.item.usage.as_ref().is_some_and(|u| u.limit.is_some())), "no limit");
    }

    #[test]
    fn no_day_is_paid_twice_and_the_jobs_find_nothing_left_to_charge() {
        let ctx = ctx();
        for (records, lived) in [(300, lives(5, 60, 300)), (20_000, lives(5, 60, 20_000))] {
            for l in &lived {
                let mut periods: Vec<DateRange> = l.entries.iter().map(|e| e.record.period).collect();
                periods.sort();
                for pair in periods.windows(2) {
                    assert!(
                        pair[0].end < pair[1].start,
                        "{} pays twice for {:?} ({records} records)",
                        l.item.name,
                        pair
                    );
                }
                assert!(l.entries.iter().all(|e| e.record.period.start >= ctx.from), "{}", l.item.name);
                if l.removed_at.is_some() {
                    continue;
                }
                // What `jobs run` would write today.
                let renewals = due_renewals(&l.item, ctx.today, &periods);
                let charged = renewals.as_ref().map_or(0, |r| r.charges.len());
                assert_eq!(charged, 0, "{} would be charged {renewals:?}", l.item.name);
                assert_eq!(month_close(&l.item, ctx.today, &periods), [], "{} would be closed", l.item.name);
            }
        }
    }
}
