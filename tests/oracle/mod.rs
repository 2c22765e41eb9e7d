//! The test oracle: analysis as it was computed before the read model, from every cost record of
//! the workspace read straight from the store (no roll-ups, no in-memory copy). Records are
//! spread over their days and converted at their first day's rate, month by month; the days
//! records deal with (removed ones included) come from the records themselves; then the same pure
//! builders the app uses (`analysis::dashboard`, `alerts`, `report`, budget checks) assemble the
//! pages. The read model must give exactly these figures.
//!
//! Kept as small as being faithful allows: everything that does not depend on how spend is read
//! (settling, run-rates, the builders, rates) is the production code itself; what is re-done here
//! is reading the records and turning them into [`Spend`].
//!
//! Two rules make "the same numbers" a matter of exact equality rather than of rounding luck, and
//! the oracle keeps them as the app does: records of one item with the same currency and the same
//! days count as one amount (summed exactly in the order written, then converted), and sums are
//! exact ([`ExactSum`]), rounded once when read. Without them, 28-digit decimals round
//! differently with the order and grouping of their terms.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use jarvis::analysis::alerts::{Alert, BudgetCheck, alerts, check_budgets};
use jarvis::analysis::dashboard::{AlertCounts, Dashboard, RENEWAL_DAYS, TREND_MONTHS, Trends, dashboard, trends};
use jarvis::analysis::report::{Report, report};
use jarvis::analysis::spend::{CurrentMonth, MonthSpend, Spend};
use jarvis::analysis::website::Web;
use jarvis::analysis::{CostLine, Ledger, Settled, settle_all};
use jarvis::app::Clock;
use jarvis::domain::budget::Budget;
use jarvis::domain::calendar::{DateRange, Month};
use jarvis::domain::cost::{CostSource, accrued};
use jarvis::domain::exact::ExactSum;
use jarvis::domain::item::{BillingPeriod, Category, Item, Usage};
use jarvis::domain::money::Money;
use jarvis::domain::rates::{MissingRate, RateBook, dedup_missing};
use jarvis::domain::rollup::ItemRollups;
use jarvis::domain::summary::{RunRate, RunRateBasis, RunRates, paced};
use jarvis::domain::workspace::{Settings, WorkspaceId};
use jarvis::store::{Removed, Store};

/// Months of history alerts, the dashboard and the report look at (`app::analysis`).
pub const ALERT_MONTHS: u32 = 13;
/// Months run-rates need at least: a usage-billed item's previous cycle (`app::analysis`).
const RUN_RATE_MONTHS: u32 = 2;

/// A workspace's ledger as the whole-ledger computation loaded it.
pub struct Loaded {
    pub settings: Settings,
    pub today: NaiveDate,
    /// Items as the jobs would leave them today, and what they would record.
    pub settled: Settled,
    /// Live records reaching the window (any that start after today too: a change of timezone
    /// can move today back past a record's first day); records of an item with the same currency
    /// and days as one line, their amounts summed in the order written.
    pub history: Vec<CostLine>,
    /// Days each item's records deal with, removed records included.
    pub covered: HashMap<i64, Vec<DateRange>>,
    pub rates: RateBook,
    pub budgets: Vec<Budget>,
    pub web: Web,
    pub run_rates: RunRates,
    /// The builders' ledger has a place for roll-ups; the oracle never fills it, and nothing but
    /// `analysis::spend` (which the oracle does not call) reads it.
    no_rollups: HashMap<i64, ItemRollups>,
}

impl Loaded {
    pub fn ledger(&self) -> Ledger<'_> {
        Ledger {
            today: self.today,
            settings: &self.settings,
            items: &self.settled.items,
            rollups: &self.no_rollups,
            pending: &self.settled.pending,
            rates: &self.rates,
            budgets: &self.budgets,
            web: &self.web,
            run_rates: &self.run_rates,
        }
    }
}

/// Loads the workspace with history from `months_back` months before the current one: every cost
/// record, removed ones included, read from the store in one read transaction.
pub async fn load(store: &Store, workspace: &WorkspaceId, clock: &dyn Clock, months_back: u32) -> Loaded {
    let mut tx = store.read().await.expect("a read transaction");
    let settings = tx.settings(workspace).await.expect("settings");
    let today = clock.today(settings.timezone);
    let items = tx.items(workspace, Removed::Included).await.expect("items");
    let from = Month::of(today).plus(-(months_back.max(RUN_RATE_MONTHS) as i32)).first_day();
    let mut history: Vec<CostLine> = Vec::new();
    let mut lines_by_days = HashMap::new();
    let mut covered: HashMap<i64, Vec<DateRange>> = HashMap::new();
    // By id: the order they were written.
    for (record, removed) in tx.every_cost_record(workspace).await.expect("cost records") {
        covered.entry(record.item_id).or_default().push(record.period);
        if removed.is_none() && record.period.end >= from {
            let key = (record.item_id, record.amount.currency, record.period);
            match lines_by_days.get(&key) {
                Some(&at) => {
                    let line: &mut CostLine = &mut history[at];
                    line.amount.amount += record.amount.amount;
                }
                None => {
                    lines_by_days.insert(key, history.len());
                    history.push(CostLine {
                        item_id: record.item_id,
                        amount: record.amount,
                        period: record.period,
                        source: record.source,
                    });
                }
            }
        }
    }
    let settled = settle_all(items, today, &covered, from);
    let rates = RateBook::new(tx.rates(workspace).await.expect("rates"));
    let lines = history.iter().chain(&settled.pending).map(|l| (l.item_id, l.amount, l.period, l.period.start));
    let run_rates = RunRates::new(settled.items.iter().filter(|i| i.removed_at.is_none()), today, lines, &rates);
    let web = Web {
        sites: Vec::new(),
        lookups: tx.domain_lookups(workspace).await.expect("lookups"),
        failing_pulls: Vec::new(),
    };
    assert!(tx.sites(workspace).await.expect("sites").is_empty(), "the oracle knows no sites");
    Loaded {
        budgets: tx.budgets(workspace).await.expect("budgets"),
        settings,
        today,
        settled,
        history,
        covered,
        rates,
        web,
        run_rates,
        no_rollups: HashMap::new(),
    }
}

/// The pages the app shows, as the oracle computes them.
pub struct Pages {
    pub dashboard: Dashboard,
    /// The dashboard's own trends (12 months, every category).
    pub trends: Trends,
    pub alerts: Vec<Alert>,
    pub alert_counts: AlertCounts,
    pub report: Report,
    pub budget_checks: Vec<BudgetCheck>,
}

/// Dashboard (with its trends), alerts, report and budget checks, each from its own load, as the
/// app's use cases do.
pub async fn pages(store: &Store, workspace: &WorkspaceId, clock: &dyn Clock) -> Pages {
    let loaded = load(store, workspace, clock, ALERT_MONTHS).await;
    let ledger = loaded.ledger();
    let spent = spend(&loaded, ALERT_MONTHS);
    let found = alerts(&ledger, &spent);
    let report = report(&ledger, &spent, &found);
    let trends = trends(&ledger, &spent, TREND_MONTHS as usize, None);
    let alert_counts = AlertCounts::of(&found);
    let dashboard = dashboard(&ledger, &spent, found.clone(), RENEWAL_DAYS);
    // Budgets look at last month (an unread meter is projected from it) and this one.
    let budget_ledger = load(store, workspace, clock, 1).await;
    let budget_spend = spend(&budget_ledger, 1);
    let budget_checks =
        check_budgets(&budget_ledger.ledger(), &budget_spend).into_iter().filter_map(Result::ok).collect();
    Pages { dashboard, trends, alerts: found, alert_counts, report, budget_checks }
}

/// Trends over `months` (the forecast is fitted on a year at least), as `App::trends`.
pub async fn trends_of(
    store: &Store,
    workspace: &WorkspaceId,
    clock: &dyn Clock,
    months: u32,
    category: Option<Category>,
) -> Trends {
    let window = months.max(TREND_MONTHS);
    let loaded = load(store, workspace, clock, window).await;
    let spent = spend(&loaded, window);
    trends(&loaded.ledger(), &spent, months as usize, category)
}

/// A month being summed: every term kept (exact sums), read once at the end.
#[derive(Clone)]
struct Tally {
    month: Month,
    total: ExactSum,
    by_category: BTreeMap<Category, ExactSum>,
    by_item: HashMap<i64, ExactSum>,
    first_day: Option<NaiveDate>,
    has_data: bool,
    incomplete: bool,
}

fn empty_month(month: Month) -> Tally {
    Tally {
        month,
        total: ExactSum::default(),
        by_category: Category::ALL.iter().map(|c| (*c, ExactSum::default())).collect(),
        by_item: HashMap::new(),
        first_day: None,
        has_data: false,
        incomplete: false,
    }
}

fn add(slot: &mut Tally, item_id: i64, category: Category, amount: Decimal) {
    slot.total += amount;
    *slot.by_category.entry(category).or_default() += amount;
    *slot.by_item.entry(item_id).or_default() += amount;
}

fn read(slot: &Tally) -> MonthSpend {
    MonthSpend {
        month: slot.month,
        total: slot.total.value(),
        by_category: slot.by_category.iter().map(|(c, sum)| (*c, sum.value())).collect(),
        by_item: slot.by_item.iter().map(|(id, sum)| (*id, sum.value())).collect(),
        first_day: slot.first_day,
        has_data: slot.has_data,
        incomplete: slot.incomplete,
    }
}

fn month_index(first: Month, month: Month) -> usize {
    ((month.year() - first.year()) * 12 + month.month() as i32 - first.month() as i32) as usize
}

/// What the lines say about the rest of the month, per item (amounts in the base currency).
#[derive(Default)]
struct Flow {
    pending: HashMap<i64, Vec<DateRange>>,
    /// Kept term by term: each share is added to the projection on its own.
    paid_ahead: Vec<(i64, Decimal)>,
    usage_so_far: HashMap<i64, ExactSum>,
}

/// Spend for the `months_back` completed months before the current one and the current month,
/// from the records: each line's amount converted at its first day's rate and spread evenly over
/// its days.
pub fn spend(loaded: &Loaded, months_back: u32) -> Spend {
    let ledger = loaded.ledger();
    let today = loaded.today;
    let base = loaded.settings.base_currency;
    let current = Month::of(today);
    let first = current.plus(-(months_back as i32));
    let window = DateRange { start: first.first_day(), end: today };
    let rest = today.succ_opt().and_then(|tomorrow| DateRange::new(tomorrow, current.last_day()));
    let mut months: Vec<Tally> = (0..=months_back as i32).map(|i| empty_month(first.plus(i))).collect();
    let categories: HashMap<i64, Category> = ledger.items.iter().map(|i| (i.id, i.category())).collect();
    let mut missing = Vec::new();
    let mut flow = Flow::default();

    // Days of what the jobs would record are dealt with, rate or no rate (the computation before
    // the read model skipped those without one, and projected month close over days a renewal
    // pays for); lines count when they pay for a day of these months (through the end of this
    // one).
    for line in &loaded.settled.pending {
        flow.pending.entry(line.item_id).or_default().push(line.period);
    }
    let months_shown = DateRange { start: first.first_day(), end: current.last_day() };
    let lines = loaded.history.iter().map(|l| (l, false)).chain(loaded.settled.pending.iter().map(|l| (l, true)));
    for (line, pending) in lines.filter(|(l, _)| l.period.intersect(months_shown).is_some()) {
        let amount = match loaded.rates.convert(line.amount, base, line.period.start) {
            Ok(converted) => converted.amount,
            Err(gap) => {
                missing.push(gap.for_days(line.period));
                // The months it touches have history, short of this amount.
                if let Some(period) = line.period.intersect(window) {
                    let mut month = Month::of(period.start);
                    while month <= Month::of(period.end) {
                        let slot = &mut months[month_index(first, month)];
                        let days = month.range().intersect(period).expect("the month overlaps the period");
                        slot.has_data = true;
                        slot.incomplete = true;
                        slot.first_day = Some(slot.first_day.map_or(days.start, |d| d.min(days.start)));
                        month = month.next();
                    }
                }
                continue;
            }
        };
        if let Some(ahead) = rest.and_then(|r| line.period.intersect(r)) {
            flow.paid_ahead.push((line.item_id, line.period.share(amount, ahead)));
        }
        let Some(period) = line.period.intersect(window) else { continue };
        let category = categories.get(&line.item_id).copied().unwrap_or(Category::Other);
        let mut month = Month::of(period.start);
        while month <= Month::of(period.end) {
            let slot = &mut months[month_index(first, month)];
            let days = month.range().intersect(period).expect("the month overlaps the period");
            slot.has_data = true;
            slot.first_day = Some(slot.first_day.map_or(days.start, |d| d.min(days.start)));
            let part = line.period.share(amount, days);
            add(slot, line.item_id, category, part);
            if pending && line.source == CostSource::Usage && month == current {
                *flow.usage_so_far.entry(line.item_id).or_default() += part;
            }
            month = month.next();
        }
    }

    let to_date = months.pop().expect("the current month");
    let projected = project(loaded, &to_date, &flow, rest, &mut missing);
    Spend {
        base,
        completed: months.iter().map(read).collect(),
        current: CurrentMonth {
            elapsed_days: today.day(),
            days_in_month: current.days(),
            to_date: read(&to_date),
            projected: read(&projected),
        },
        missing: dedup_missing(missing),
    }
}

/// The month-end forecast from the month to date, with the days records deal with taken from
/// the records.
fn project(
    loaded: &Loaded,
    to_date: &Tally,
    flow: &Flow,
    rest: Option<DateRange>,
    missing: &mut Vec<MissingRate>,
) -> Tally {
    let ledger = loaded.ledger();
    let mut projected = to_date.clone();
    let today = loaded.today;
    let days_left = rest.unwrap_or(DateRange { start: today, end: today });
    let base = loaded.settings.base_currency;
    let mut incomplete = false;
    let mut to_base = |money: Money| match loaded.rates.convert(money, base, today) {
        Ok(converted) => converted.amount,
        Err(gap) => {
            missing.push(gap.for_days(days_left));
            incomplete = true;
            Decimal::ZERO
        }
    };
    for (id, amount) in &flow.paid_ahead {
        let category = ledger.item(*id).map_or(Category::Other, Item::category);
        add(&mut projected, *id, category, *amount);
    }
    for item in ledger.live_items().filter(|i| i.status(today, 0).is_billable()) {
        let more = if item.period == BillingPeriod::UsageBased {
            let rate = loaded.run_rates.of(item);
            match usage_in_month(item, &rate, today) {
                Some(month) => {
                    let so_far = flow.usage_so_far.get(&item.id).map(ExactSum::value).unwrap_or_default();
                    (to_base(month) - so_far).max(Decimal::ZERO)
                }
                None => rest.map_or(Decimal::ZERO, |rest| to_base(usage_ahead(item, &rate, today, rest))),
            }
        } else if let Some(rest) = rest {
            let mut covered = loaded.covered.get(&item.id).cloned().unwrap_or_default();
            covered.extend(flow.pending.get(&item.id).into_iter().flatten());
            let from_tomorrow = Item { billed_from: item.billed_from.max(rest.start), ..item.clone() };
            let records = accrued(&from_tomorrow, rest.end, &covered).1;
            records.iter().map(|r| r.period.share(to_base(r.amount), rest)).sum::<ExactSum>().value()
        } else {
            Decimal::ZERO
        };
        if !more.is_zero() {
            add(&mut projected, item.id, item.category(), more);
        }
    }
    projected.incomplete |= incomplete;
    projected
}

/// A usage-based item's usage cost for the whole of this month from the reading's pace (as
/// `analysis::spend` has it).
fn usage_in_month(item: &Item, rate: &RunRate, today: NaiveDate) -> Option<Money> {
    let RunRateBasis::Pace { .. } = rate.basis else { return None };
    let usage = item.usage.as_ref()?;
    let pace = paced(item, usage, today)?;
    let cycle = item.cycle(today);
    let month = Month::of(today).range();
    let cycle_days = Decimal::from(cycle.days());
    let at_end = Usage { used: pace.units, ..usage.clone() };
    let open = DateRange::new(item.billed_from.max(cycle.start), cycle.end)?;
    let mut amount = open.share(at_end.unbilled_cost(1), month);
    if let Some(next) = cycle.end.succ_opt().and_then(|start| DateRange::new(start, month.end)) {
        let daily = (at_end.cost_of(pace.units, 1) + item.cost.amount) / cycle_days;
        amount += daily * Decimal::from(next.days());
    }
    Some(Money::new(amount, item.cost.currency))
}

/// Usage for the `rest` of the month at the run-rate's estimate of a cycle's usage.
fn usage_ahead(item: &Item, rate: &RunRate, today: NaiveDate, rest: DateRange) -> Money {
    let cycle = item.cycle(today);
    let usage = rate.cycle_usage.unwrap_or_default();
    let daily = usage / Decimal::from(cycle.days());
    let within = rest.intersect(cycle).map_or(0, DateRange::days);
    let after = cycle.end.succ_opt().and_then(|start| DateRange::new(start.max(rest.start), rest.end));
    let next = after.map_or(Decimal::ZERO, |days| {
        (usage + item.cost.amount) * Decimal::from(days.days()) / Decimal::from(cycle.days())
    });
    Money::new(daily * Decimal::from(within) + next, item.cost.currency)
}
