//! The read model gives the same numbers as the whole-ledger computation: a property test drives
//! random writes through one `App` (so its in-memory copy is brought up to date write by write)
//! and compares its pages with the oracle's (`oracle/`), which computes them from every cost
//! record; plus databases from before the read model, `doctor`, and failures while keeping it.

mod common;
mod oracle;

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError};
use rust_decimal::Decimal;

use common::{ManualClock, TestDb, dec, ws};
use jarvis::app::{App, AppError, Clock, CostInput, CostPeriod, ItemRef};
use jarvis::domain::audit::Actor;
use jarvis::domain::budget::BudgetScope;
use jarvis::domain::calendar::{DateRange, Month};
use jarvis::domain::cost::CostSource;
use jarvis::domain::item::{BillingPeriod, Category, ItemChanges, Kind, ManualStatus};
use jarvis::domain::money::Currency;
use jarvis::domain::text::ItemName;
use jarvis::domain::workspace::{SettingKey, WorkspaceId};
use jarvis::store::Backend;

// ---------------------------------------------------------------------------------------------
// What a case does

/// An item to add.
#[derive(Clone, Debug)]
struct NewItem {
    kind: Kind,
    period: BillingPeriod,
    price: &'static str,
    currency: &'static str,
    /// Days from today to its renewal date, if it has one.
    renews_in: Option<i64>,
    auto_renew: bool,
    /// Usage-billed items: price per unit, free tier, first reading.
    unit_price: &'static str,
    free_tier: Option<&'static str>,
    used: Option<&'static str>,
}

/// A change to an item's terms (settles it first) or fields.
#[derive(Clone, Debug)]
enum Edit {
    Cost(&'static str),
    Period(BillingPeriod),
    Currency(&'static str),
    Status(ManualStatus),
    Renews(i64),
    AutoRenew(bool),
    UnitPrice(&'static str),
    FreeTier(Option<&'static str>),
}

/// The days a hand-recorded cost pays for.
#[derive(Clone, Debug)]
enum Days {
    ThisMonth,
    MonthsBack(i32),
    PaidDaysAgo(i64),
    Range { from_days_ago: i64, days: i64 },
}

#[derive(Clone, Debug)]
enum Op {
    Add(NewItem),
    /// Items are named by the order they were added in (modulo how many there are).
    Edit {
        item: usize,
        edit: Edit,
    },
    Remove {
        item: usize,
    },
    Restore {
        item: usize,
    },
    Record {
        item: usize,
        amount: &'static str,
        currency: Option<&'static str>,
        days: Days,
        source: CostSource,
        replace: bool,
        again: bool,
    },
    /// Removes the `nth` live cost record (modulo how many there are).
    Unrecord {
        nth: usize,
    },
    /// A usage meter reading.
    Reading {
        item: usize,
        used: &'static str,
    },
    Rate {
        base: &'static str,
        quote: &'static str,
        rate: &'static str,
        days_ago: i64,
    },
    Budget {
        scope: BudgetScope,
        amount: &'static str,
        currency: Option<&'static str>,
    },
    Unbudget {
        scope: BudgetScope,
    },
    Setting {
        key: SettingKey,
        value: &'static str,
    },
    /// The housekeeping jobs: renewal charges and month close.
    Jobs,
    Wait {
        days: i64,
    },
    /// Compare with the oracle here too.
    Check,
}

#[derive(Clone, Debug)]
struct Case {
    /// Days after 2026-01-01 the clock starts on, and the hour (UTC).
    start: i64,
    hour: u32,
    ops: Vec<Op>,
}

const CURRENCIES: &[&str] = &["USD", "THB", "EUR", "JPY"];
/// Amounts that do not divide evenly by days or rates, small and large.
const AMOUNTS: &[&str] = &["9.99", "10", "12.34", "100", "0.07", "1234.5678", "3100", "49.995", "0", "7", "365.25"];
const UNIT_PRICES: &[&str] = &["0.002", "0.125", "1", "0.000015", "3.3"];
const READINGS: &[&str] = &["0", "5", "48", "1000", "123456.789", "7.5"];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(list)
}

fn kind() -> impl Strategy<Value = Kind> {
    proptest::sample::select(Kind::ALL.to_vec())
}

fn period() -> impl Strategy<Value = BillingPeriod> {
    prop_oneof![
        3 => Just(BillingPeriod::Monthly),
        2 => Just(BillingPeriod::Yearly),
        1 => Just(BillingPeriod::Quarterly),
        1 => Just(BillingPeriod::OneTime),
        3 => Just(BillingPeriod::UsageBased),
    ]
}

fn new_item() -> impl Strategy<Value = NewItem> {
    (
        kind(),
        period(),
        pick(AMOUNTS),
        pick(CURRENCIES),
        proptest::option::weighted(0.8, -40i64..400),
        any::<bool>(),
        pick(UNIT_PRICES),
        proptest::option::of(pick(READINGS)),
        proptest::option::of(pick(READINGS)),
    )
        .prop_map(|(kind, period, price, currency, renews_in, auto_renew, unit_price, free_tier, used)| NewItem {
            kind,
            period,
            price,
            currency,
            renews_in,
            auto_renew,
            unit_price,
            free_tier,
            used,
        })
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        pick(AMOUNTS).prop_map(Edit::Cost),
        period().prop_map(Edit::Period),
        pick(CURRENCIES).prop_map(Edit::Currency),
        proptest::sample::select(ManualStatus::ALL.to_vec()).prop_map(Edit::Status),
        (-40i64..400).prop_map(Edit::Renews),
        any::<bool>().prop_map(Edit::AutoRenew),
        pick(UNIT_PRICES).prop_map(Edit::UnitPrice),
        proptest::option::of(pick(READINGS)).prop_map(Edit::FreeTier),
    ]
}

fn days() -> impl Strategy<Value = Days> {
    prop_oneof![
        Just(Days::ThisMonth),
        (0i32..4).prop_map(Days::MonthsBack),
        (0i64..90).prop_map(Days::PaidDaysAgo),
        (0i64..420, 0i64..400).prop_map(|(from_days_ago, days)| Days::Range { from_days_ago, days }),
    ]
}

fn scope() -> impl Strategy<Value = BudgetScope> {
    prop_oneof![
        2 => Just(BudgetScope::Total),
        1 => proptest::sample::select(Category::ALL.to_vec()).prop_map(BudgetScope::Category),
    ]
}

fn rate() -> impl Strategy<Value = Op> {
    let pairs: &[(&str, &str, &[&str])] = &[
        ("USD", "THB", &["35.7", "36.25", "34.9", "33"]),
        ("EUR", "USD", &["1.08", "1.0925", "1.1"]),
        ("USD", "JPY", &["151.3", "149.87", "150"]),
        ("EUR", "THB", &["38.5", "39.125"]),
    ];
    // Rates from long ago, and recent ones (a rate newer than a record's first day leaves it
    // without one).
    let days_ago = prop_oneof![0i64..500, 0i64..40];
    (proptest::sample::select(pairs.to_vec()), any::<proptest::sample::Index>(), days_ago).prop_map(
        |((base, quote, rates), which, days_ago)| Op::Rate {
            base,
            quote,
            rate: rates[which.index(rates.len())],
            days_ago,
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => new_item().prop_map(Op::Add),
        3 => (any::<usize>(), edit()).prop_map(|(item, edit)| Op::Edit { item, edit }),
        1 => any::<usize>().prop_map(|item| Op::Remove { item }),
        1 => any::<usize>().prop_map(|item| Op::Restore { item }),
        4 => (
            any::<usize>(),
            pick(AMOUNTS),
            proptest::option::weighted(0.2, pick(CURRENCIES)),
            days(),
            proptest::sample::select(vec![CostSource::Manual, CostSource::Usage, CostSource::Import]),
            proptest::bool::weighted(0.4),
            proptest::bool::weighted(0.2),
        )
            .prop_map(|(item, amount, currency, days, source, replace, again)| Op::Record {
                item,
                amount,
                currency,
                days,
                source,
                replace,
                again,
            }),
        1 => any::<usize>().prop_map(|nth| Op::Unrecord { nth }),
        2 => (any::<usize>(), pick(READINGS)).prop_map(|(item, used)| Op::Reading { item, used }),
        2 => rate(),
        1 => (scope(), pick(AMOUNTS), proptest::option::weighted(0.3, pick(CURRENCIES)))
            .prop_map(|(scope, amount, currency)| Op::Budget { scope, amount, currency }),
        1 => scope().prop_map(|scope| Op::Unbudget { scope }),
        1 => prop_oneof![
            pick(CURRENCIES).prop_map(|value| Op::Setting { key: SettingKey::Currency, value }),
            pick(&["UTC", "Asia/Bangkok", "America/Los_Angeles"])
                .prop_map(|value| Op::Setting { key: SettingKey::Timezone, value }),
        ],
        3 => Just(Op::Jobs),
        4 => prop_oneof![3 => 1i64..40, 1 => 40i64..200].prop_map(|days| Op::Wait { days }),
        1 => Just(Op::Check),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let ledger =
        (proptest::collection::vec(new_item().prop_map(Op::Add), 1..4), proptest::collection::vec(rate(), 0..4));
    (0i64..1100, 0u32..24, ledger, proptest::collection::vec(op(), 0..22)).prop_map(
        |(start, hour, (items, rates), body)| {
            let mut ops = items;
            ops.extend(rates);
            ops.extend(body);
            Case { start, hour, ops }
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Running a case

fn c(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

/// A case running against one database and one app.
struct Run {
    db: TestDb,
    clock: ManualClock,
    app: App,
    workspace: WorkspaceId,
    /// Item ids in the order they were added.
    items: Vec<i64>,
    /// Checks made so far (for messages).
    checks: usize,
}

impl Run {
    fn today(&self) -> NaiveDate {
        // The oracle reads the timezone the same way; for the ops, UTC's date is near enough.
        self.clock.now().date_naive()
    }

    fn item(&self, n: usize) -> Option<ItemRef> {
        (!self.items.is_empty()).then(|| ItemRef::new(format!("#{}", self.items[n % self.items.len()])))
    }

    async fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let (app, ws, actor) = (&self.app, &self.workspace, &Actor::Cli);
        let today = self.today();
        let outcome: Result<(), AppError> = match op {
            Op::Add(new) => {
                let n = self.items.len();
                let usage = new.period == BillingPeriod::UsageBased;
                let changes = ItemChanges {
                    name: Some(ItemName::parse(&format!("item-{n}")).unwrap()),
                    cost: Some(dec(new.price)),
                    currency: Some(c(new.currency)),
                    period: Some(new.period),
                    renewal_date: Some(new.renews_in.map(|days| today + Duration::days(days))),
                    // Usage is billed every cycle (renewing by itself); a one-time purchase never
                    // renews; auto-renew needs a date.
                    auto_renew: Some(
                        usage || (new.auto_renew && new.period != BillingPeriod::OneTime && new.renews_in.is_some()),
                    ),
                    unit_price: usage.then(|| Some(dec(new.unit_price))),
                    free_tier: usage.then(|| new.free_tier.map(dec)),
                    usage: new.used.filter(|_| usage).map(dec),
                    ..Default::default()
                };
                match app.add_item(ws, actor, new.kind, &changes).await {
                    Ok(added) => {
                        self.items.push(added.item.id);
                        Ok(())
                    }
                    Err(error) => Err(error),
                }
            }
            Op::Edit { item, edit } => {
                let Some(item) = self.item(*item) else { return Ok(()) };
                let changes = match edit {
                    Edit::Cost(cost) => ItemChanges { cost: Some(dec(cost)), ..Default::default() },
                    Edit::Period(period) => ItemChanges { period: Some(*period), ..Default::default() },
                    Edit::Currency(code) => ItemChanges { currency: Some(c(code)), ..Default::default() },
                    Edit::Status(status) => ItemChanges { status: Some(*status), ..Default::default() },
                    Edit::Renews(days) => {
                        ItemChanges { renewal_date: Some(Some(today + Duration::days(*days))), ..Default::default() }
                    }
                    Edit::AutoRenew(on) => ItemChanges { auto_renew: Some(*on), ..Default::default() },
                    Edit::UnitPrice(price) => ItemChanges { unit_price: Some(Some(dec(price))), ..Default::default() },
                    Edit::FreeTier(free) => ItemChanges { free_tier: Some(free.map(dec)), ..Default::default() },
                };
                app.edit_item(ws, actor, &item, &changes).await.map(drop)
            }
            Op::Remove { item } => {
                let Some(item) = self.item(*item) else { return Ok(()) };
                app.remove_item(ws, actor, &item).await.map(drop)
            }
            Op::Restore { item } => {
                let Some(item) = self.item(*item) else { return Ok(()) };
                app.restore_item(ws, actor, &item).await.map(drop)
            }
            Op::Record { item, amount, currency, days, source, replace, again } => {
                let Some(item) = self.item(*item) else { return Ok(()) };
                let period = match days {
                    Days::ThisMonth => CostPeriod::CurrentMonth,
                    Days::MonthsBack(back) => CostPeriod::Month(Month::of(today).plus(-back)),
                    Days::PaidDaysAgo(ago) => CostPeriod::PaidOn(today - Duration::days(*ago)),
                    Days::Range { from_days_ago, days } => {
                        let start = today - Duration::days(*from_days_ago);
                        CostPeriod::Range(DateRange::new(start, start + Duration::days(*days)).unwrap())
                    }
                };
                let input = CostInput {
                    item,
                    amount: dec(amount),
                    currency: currency.map(c),
                    period,
                    source: *source,
                    usage: None,
                    note: None,
                    replace: *replace,
                    again: *again,
                };
                app.record_cost(ws, actor, &input).await.map(drop)
            }
            Op::Unrecord { nth } => {
                let live: Vec<i64> = {
                    let mut tx = self.db.store.read().await.unwrap();
                    let records = tx.every_cost_record(ws).await.unwrap();
                    records.into_iter().filter(|(_, removed)| removed.is_none()).map(|(r, _)| r.id).collect()
                };
                if live.is_empty() {
                    return Ok(());
                }
                app.remove_cost(ws, actor, live[nth % live.len()]).await.map(drop)
            }
            Op::Reading { item, used } => {
                let Some(item) = self.item(*item) else { return Ok(()) };
                let changes = ItemChanges { usage: Some(dec(used)), ..Default::default() };
                app.edit_item(ws, actor, &item, &changes).await.map(drop)
            }
            Op::Rate { base, quote, rate, days_ago } => app
                .set_rate(ws, actor, c(base), c(quote), dec(rate), Some(today - Duration::days(*days_ago)))
                .await
                .map(drop),
            Op::Budget { scope, amount, currency } => {
                app.set_budget(ws, actor, *scope, dec(amount), currency.map(c), None).await.map(drop)
            }
            Op::Unbudget { scope } => app.remove_budget(ws, actor, *scope).await.map(drop),
            Op::Setting { key, value } => app.set_setting(ws, actor, *key, value).await.map(drop),
            Op::Jobs => app.run_jobs(ws).await.map(drop),
            Op::Wait { days } => {
                self.clock.advance(Duration::days(*days));
                Ok(())
            }
            Op::Check => return self.check().await,
        };
        match outcome {
            // Refusals are part of the game (an overlap, a name, a rule); nothing was written.
            Ok(()) | Err(AppError::User(_)) => Ok(()),
            Err(error) => Err(TestCaseError::fail(format!("{op:?} failed inside: {error:?}"))),
        }
    }

    async fn check(&mut self) -> Result<(), TestCaseError> {
        self.checks += 1;
        let at = format!("check {} on {}", self.checks, self.clock.now());
        let category = Category::ALL[self.checks % Category::ALL.len()];
        same_as_oracle(&self.db, &self.app, &self.clock, &self.workspace, category)
            .await
            .map_err(|e| TestCaseError::fail(format!("{at}: {e}")))
    }
}

/// The app's pages (`app`, which may have followed every write, and a fresh one over the same
/// database) equal the oracle's, to the last digit; and `doctor` finds the read model clean.
async fn same_as_oracle(
    db: &TestDb,
    app: &App,
    clock: &ManualClock,
    workspace: &WorkspaceId,
    category: Category,
) -> Result<(), String> {
    let fresh = App::new(db.store.clone(), Arc::new(clock.clone()));
    let want = oracle::pages(&db.store, workspace, clock).await;
    let want_long = oracle::trends_of(&db.store, workspace, clock, 24, None).await;
    let want_category = oracle::trends_of(&db.store, workspace, clock, 3, Some(category)).await;
    for (which, app) in [("the app", app), ("a fresh app", &fresh)] {
        let (dashboard, trends) = app.dashboard_and_trends(workspace, None).await.map_err(fail)?;
        same(which, "dashboard", &dashboard, &want.dashboard)?;
        same(which, "trends", &trends, &want.trends)?;
        let alerts = app.alerts(workspace).await.map_err(fail)?;
        same(which, "alerts", &alerts.alerts, &want.alerts)?;
        same(which, "alert counts", &alerts.counts, &want.alert_counts)?;
        same(which, "report", &app.report(workspace).await.map_err(fail)?, &want.report)?;
        same(which, "budgets", &app.budgets(workspace).await.map_err(fail)?.checks, &want.budget_checks)?;
        let long = app.trends(workspace, Some(24), None).await.map_err(fail)?;
        same(which, "trends over 24 months", &long, &want_long)?;
        let of_category = app.trends(workspace, Some(3), Some(category)).await.map_err(fail)?;
        same(which, "trends of a category", &of_category, &want_category)?;
    }
    for report in app.doctor(None, false).await.map_err(fail)? {
        if !report.mismatches.is_empty() {
            return Err(format!("doctor found {:?}", report.mismatches));
        }
    }
    Ok(())
}

fn fail(error: AppError) -> String {
    format!("a read failed: {error:?}")
}

/// `got` equals `want` to the last digit and scale (their debug forms are the same; no page holds
/// a hash map), and so does their JSON.
fn same<T: Debug + serde::Serialize>(which: &str, what: &str, got: &T, want: &T) -> Result<(), String> {
    let (got_text, want_text) = (format!("{got:#?}"), format!("{want:#?}"));
    if got_text == want_text && serde_json::to_value(got).unwrap() == serde_json::to_value(want).unwrap() {
        return Ok(());
    }
    let (got_lines, want_lines): (Vec<&str>, Vec<&str>) = (got_text.lines().collect(), want_text.lines().collect());
    let first =
        got_lines.iter().zip(&want_lines).position(|(a, b)| a != b).unwrap_or(got_lines.len().min(want_lines.len()));
    let around = |lines: &[&str]| lines[first.saturating_sub(6)..(first + 3).min(lines.len())].join("\n");
    Err(format!(
        "{which}'s {what} differs from the oracle's at line {first}\n--- {which}:\n{}\n--- oracle:\n{}",
        around(&got_lines),
        around(&want_lines)
    ))
}

/// Runs `case` on a new database through one app, comparing with the oracle at its checks and at
/// the end.
async fn run(case: &Case) -> Result<Run, TestCaseError> {
    Ok(run_on(case, Backend::Sqlite).await?.expect("SQLite is always there"))
}

/// [`run`] on `backend` (`None`: PostgreSQL is not configured, see `common`).
async fn run_on(case: &Case, backend: Backend) -> Result<Option<Run>, TestCaseError> {
    let Some(db) = TestDb::on(backend).await else { return Ok(None) };
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(case.start);
    let clock = ManualClock::at(&format!("{start}T{:02}:30:00Z", case.hour));
    let app = App::new(db.store.clone(), Arc::new(clock.clone()));
    let mut run = Run { db, clock, app, workspace: ws("g1"), items: Vec::new(), checks: 0 };
    for op in &case.ops {
        run.apply(op).await?;
    }
    run.check().await?;
    Ok(Some(run))
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(48)
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    })]

    /// Random ledgers and writes: the app's dashboard, trends, alerts, report and budgets equal
    /// the oracle's exactly, through one app's in-memory copy and a fresh one, and `doctor`
    /// finds nothing.
    #[test]
    fn the_read_model_gives_the_whole_ledgers_numbers(case in case()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run(&case))?;
    }
}

proptest! {
    #![proptest_config(Config {
        // A database is made for each case: a third as many.
        cases: cases().div_ceil(3),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    })]

    /// The same on PostgreSQL: its NUMERIC, DATE and TIMESTAMPTZ columns give the oracle's
    /// figures to the last digit.
    #[test]
    fn the_read_model_gives_the_whole_ledgers_numbers_on_postgresql(case in case()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run_on(&case, Backend::Postgres))?;
    }
}

// ---------------------------------------------------------------------------------------------
// Where the read model and the whole-ledger computation differed, as plain cases (each compared
// with the oracle too)

fn item(kind: Kind, period: BillingPeriod, price: &'static str, currency: &'static str, renews_in: Option<i64>) -> Op {
    Op::Add(NewItem {
        kind,
        period,
        price,
        currency,
        renews_in,
        auto_renew: true,
        unit_price: "0.002",
        free_tier: None,
        used: None,
    })
}

fn record(amount: &'static str, days: Days) -> Op {
    Op::Record { item: 0, amount, currency: None, days, source: CostSource::Manual, replace: false, again: false }
}

/// Runs `ops` from 2026-01-01 plus `start` days, at 00:30 UTC, comparing with the oracle.
async fn replay(start: i64, ops: Vec<Op>) -> (TestDb, ManualClock) {
    let run = run(&Case { start, hour: 0, ops }).await.unwrap();
    (run.db, run.clock)
}

async fn dashboard_of(db: &TestDb, clock: &ManualClock) -> jarvis::analysis::dashboard::Dashboard {
    App::new(db.store.clone(), Arc::new(clock.clone())).dashboard(&ws("g1"), None).await.unwrap()
}

#[tokio::test]
async fn a_record_over_many_months_in_another_currency_gives_the_records_digits() {
    // 9.99 EUR for 206 days at 1.08 USD: the month's share of the converted whole, not the
    // converted sum of month shares (which differed in the 28th digit of the projection).
    let (db, clock) = replay(
        0,
        vec![
            item(Kind::Domain, BillingPeriod::Monthly, "9.99", "EUR", None),
            Op::Rate { base: "EUR", quote: "USD", rate: "1.08", days_ago: 356 },
            record("9.99", Days::Range { from_days_ago: 0, days: 205 }),
        ],
    )
    .await;
    let dashboard = dashboard_of(&db, &clock).await;
    // 10.7892 USD over 206 days, 31 of them in January.
    let whole = dec("9.99") * dec("1.08");
    let january = whole * Decimal::from(31) / Decimal::from(206);
    assert_eq!(dashboard.this_month.projected.amount, january);
}

#[tokio::test]
async fn completed_months_convert_again_when_a_rate_or_the_base_currency_changes() {
    // 31 EUR for January, read in April: a completed month before those run-rates read, read as
    // its converted total alone.
    let january = |dashboard: &jarvis::analysis::dashboard::Dashboard| {
        let month = dashboard.trends.iter().find(|m| m.month.to_string() == "2026-01").expect("January's trend");
        (month.cost.0.to_string(), month.incomplete)
    };
    let mut ops =
        vec![item(Kind::Hosting, BillingPeriod::Monthly, "31", "EUR", None), record("31", Days::MonthsBack(3))];
    let (db, clock) = replay(100, ops.clone()).await;
    assert_eq!(january(&dashboard_of(&db, &clock).await), ("0.00 USD".into(), true), "no rate yet");
    // A rate dated before January's record; then a newer one, still before it: the newest wins.
    ops.push(Op::Rate { base: "EUR", quote: "USD", rate: "1.1", days_ago: 120 });
    let (db, clock) = replay(100, ops.clone()).await;
    assert_eq!(january(&dashboard_of(&db, &clock).await), ("34.10 USD".into(), false));
    ops.push(Op::Rate { base: "EUR", quote: "USD", rate: "1.2", days_ago: 105 });
    let (db, clock) = replay(100, ops.clone()).await;
    assert_eq!(january(&dashboard_of(&db, &clock).await), ("37.20 USD".into(), false));
    // A rate dated after the record's first day changes nothing of it.
    ops.push(Op::Rate { base: "EUR", quote: "USD", rate: "2", days_ago: 30 });
    let (db, clock) = replay(100, ops.clone()).await;
    assert_eq!(january(&dashboard_of(&db, &clock).await), ("37.20 USD".into(), false));
    // Another base currency: every month's total is in it.
    ops.push(Op::Setting { key: SettingKey::Currency, value: "EUR" });
    let (db, clock) = replay(100, ops.clone()).await;
    assert_eq!(january(&dashboard_of(&db, &clock).await), ("31.00 EUR".into(), false));
}

#[tokio::test]
async fn a_month_of_an_earlier_year_without_a_rate_is_read_with_its_records() {
    // Read on 2027-05-16: the years before 2027 are read without their segments, but May 2026's
    // EUR has no rate, so it has no converted total: that year is read again with its segments,
    // and the month shows as short of a rate, as the records say (the replay compares with the
    // oracle).
    let ops = vec![
        item(Kind::Hosting, BillingPeriod::Monthly, "31", "EUR", None),
        record("20", Days::Range { from_days_ago: 380, days: 20 }),
    ];
    let (db, clock) = replay(500, ops).await;
    let dashboard = dashboard_of(&db, &clock).await;
    let may = dashboard.trends.iter().find(|m| m.month.to_string() == "2026-05").expect("May 2026's trend");
    assert!(may.incomplete, "{may:?}");
    let missing: Vec<(NaiveDate, NaiveDate)> = dashboard.missing_rates.iter().map(|m| (m.first, m.last)).collect();
    assert!(missing.iter().any(|(first, last)| *first <= d("2026-05-01") && *last >= d("2026-05-20")), "{missing:?}");
}

#[tokio::test]
async fn a_missing_rate_names_all_the_days_of_the_amount_it_leaves_out() {
    // A usage plan in EUR without a rate: what it accrues pays for its open cycle, to 2026-02-01.
    let (db, clock) = replay(0, vec![item(Kind::Domain, BillingPeriod::UsageBased, "9.99", "EUR", Some(32))]).await;
    let missing = dashboard_of(&db, &clock).await.missing_rates;
    let days: Vec<(String, NaiveDate, NaiveDate)> =
        missing.iter().map(|m| (format!("{}->{}", m.from, m.to), m.first, m.last)).collect();
    assert_eq!(days, [("EUR->USD".into(), d("2026-01-01"), d("2026-02-01"))]);
}

#[tokio::test]
async fn a_renewals_remainder_after_this_month_is_not_reported_short_of_a_rate() {
    // A yearly EUR item renewing on 2026-02-19, paid by hand from 2026-01-01 to 2027-01-18: the
    // renewal due today charges only 2027-01-19..2027-02-18, which no month shown holds. The
    // missing rate names the record's days (the whole-ledger computation named the remainder's
    // too; it leaves nothing shown out).
    let (db, clock) = replay(
        0,
        vec![
            item(Kind::Domain, BillingPeriod::Yearly, "9.99", "EUR", Some(49)),
            record("9.99", Days::PaidDaysAgo(0)),
            Op::Wait { days: 49 },
        ],
    )
    .await;
    let missing = dashboard_of(&db, &clock).await.missing_rates;
    assert_eq!(missing.len(), 1);
    assert_eq!((missing[0].first, missing[0].last), (d("2026-01-01"), d("2027-01-18")));
}

#[tokio::test]
async fn a_record_that_starts_after_today_counts_in_the_projection() {
    // A one-time purchase added at 00:30 UTC on 2026-01-02 is recorded for that day; the
    // workspace then moves to Los Angeles, where it is still 2026-01-01. The purchase is spent
    // tomorrow: this month's projection holds it (the whole-ledger computation read only records
    // that had started, so it was in neither the month nor its projection).
    let (db, clock) = replay(
        1,
        vec![
            item(Kind::Other, BillingPeriod::OneTime, "9.99", "USD", None),
            Op::Setting { key: SettingKey::Timezone, value: "America/Los_Angeles" },
        ],
    )
    .await;
    let dashboard = dashboard_of(&db, &clock).await;
    assert_eq!(dashboard.today, d("2026-01-01"));
    assert_eq!(dashboard.this_month.to_date.amount, dec("0"));
    assert_eq!(dashboard.this_month.projected.amount, dec("9.99"));
}

#[tokio::test]
async fn the_same_charge_recorded_twice_converts_as_one_sum() {
    // Two records of 100 THB for the same days (the second with --again) at 35.7 THB a dollar:
    // the month holds (100 + 100) / 35.7, once, whatever the order the records are read in.
    let (db, clock) = replay(
        40,
        vec![
            item(Kind::Hosting, BillingPeriod::Monthly, "100", "THB", None),
            Op::Rate { base: "USD", quote: "THB", rate: "35.7", days_ago: 100 },
            record("100", Days::MonthsBack(1)),
            Op::Record {
                item: 0,
                amount: "100",
                currency: None,
                days: Days::MonthsBack(1),
                source: CostSource::Manual,
                replace: false,
                again: true,
            },
        ],
    )
    .await;
    let dashboard = dashboard_of(&db, &clock).await;
    let january = dashboard.trends.last().unwrap();
    assert_eq!((january.month.to_string(), january.cost.amount), ("2026-01".into(), dec("200") / dec("35.7")));
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Databases from before the read model, doctor, and failures while keeping the read model

/// A database file at `path` as Jarvis left it before the read model: every migration before
/// `20261207000001_read_model.sql` applied (by sqlx, as the older Jarvis did, so their checksums
/// are the real ones).
async fn database_before_the_read_model(path: &std::path::Path) -> sqlx::SqlitePool {
    let older = tempfile::tempdir().unwrap();
    let mut copied = 0;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < "20261207000001" {
            std::fs::copy(entry.path(), older.path().join(&name)).unwrap();
            copied += 1;
        }
    }
    assert_eq!(copied, 8, "the migrations before the read model");
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(true).foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(older.path()).await.unwrap().run(&pool).await.unwrap();
    pool
}

/// Fills an older database by SQL: workspace `local`, `items` monthly USD items, and for each
/// item one record a day for `days` days from 2025-01-01 (item 2 pays 2.00, 2.01, ... 2.99, 2.00,
/// ...), every seventh removed.
async fn fill_the_old_way(pool: &sqlx::SqlitePool, items: i64, days: i64) {
    let at = "2025-01-01T00:00:00.000000Z";
    sqlx::query("INSERT INTO workspaces (id, created_at, updated_at) VALUES ('local', ?1, ?1)")
        .bind(at)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO items (workspace_id, kind, name, name_key, cost_amount, currency, billing_period, billed_from,
                            created_at, updated_at)
         SELECT 'local', 'hosting', 'server ' || i, 'server ' || i, '31', 'USD', 'monthly', '2025-01-01', ?2, ?2 FROM n",
    )
    .bind(items)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
         INSERT INTO cost_records (workspace_id, item_id, amount, currency, period_start, period_end, source,
                                   created_at, created_by, deleted_at)
         SELECT 'local', items.id, printf('%d.%02d', items.id, n.i % 100), 'USD', date('2025-01-01', '+' || n.i || ' days'),
                date('2025-01-01', '+' || n.i || ' days'), 'manual', ?2, 'cli',
                CASE WHEN n.i % 7 = 3 THEN ?2 END
         FROM items, n",
    )
    .bind(days)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_database_from_before_the_read_model_gets_its_roll_ups_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let pool = database_before_the_read_model(&path).await;
    // 120 items x 500 days: 60,000 records, more than the 50,000 between progress reports. (The
    // figures of an older database are compared with the oracle's on a smaller one, below.)
    fill_the_old_way(&pool, 120, 500).await;
    pool.close().await;

    let mut heard = Vec::new();
    let store = jarvis::store::Store::open_with(path.to_str().unwrap(), &mut |p| {
        heard.push((p.workspace.to_string(), p.records, p.of));
    })
    .await
    .unwrap();
    assert_eq!(heard, [("local".into(), 50_000, 60_000), ("local".into(), 60_000, 60_000)]);

    let clock = ManualClock::at("2026-05-20T12:00:00Z");
    let app = App::new(store.clone(), Arc::new(clock.clone()));
    let report = app.doctor(None, false).await.unwrap();
    assert_eq!(report.len(), 1);
    assert!(report[0].mismatches.is_empty(), "{:?}", report[0].mismatches);
    // 120 items x 17 months (2025-01 to 2026-05).
    assert_eq!(report[0].checked, 120 * 17);
    // Opened again, nothing is built twice.
    let mut again = 0;
    jarvis::store::Store::open_with(path.to_str().unwrap(), &mut |_| again += 1).await.unwrap();
    assert_eq!(again, 0);
}

/// The `jarvis` binary on the database at `path`, with today fixed.
fn jarvis(path: &std::path::Path) -> assert_cmd::Command {
    common::jarvis_on(&format!("sqlite://{}", path.display()), "2026-05-20T12:00:00Z")
}

/// Runs a statement on the database file behind Jarvis's back.
async fn behind_jarviss_back(path: &std::path::Path, sql: &str) {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
    pool.close().await;
}

fn output_of(output: &std::process::Output) -> (Option<i32>, String, String) {
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn doctor_finds_roll_ups_edited_outside_jarvis_and_rebuild_mends_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jarvis.db");
    let pool = database_before_the_read_model(&path).await;
    fill_the_old_way(&pool, 3, 90).await;
    pool.close().await;
    // Opened by today's Jarvis: built, and clean.
    let (code, stdout, _) = output_of(&jarvis(&path).arg("doctor").output().unwrap());
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("Workspace local: the read model matches the records (9 item-months checked)."),
        "{stdout}"
    );

    // Its figures are the records'.
    let clock = ManualClock::at("2026-05-20T12:00:00Z");
    let db = TestDb::sqlite_at(dir, &path).await;
    let app = App::new(db.store.clone(), Arc::new(clock.clone()));
    same_as_oracle(&db, &app, &clock, &ws("local"), Category::Infrastructure).await.unwrap();

    // Item 1's year is copied over item 2's, and item 3's deleted.
    behind_jarviss_back(
        &path,
        "UPDATE spend_rollups SET (days, segments) = (SELECT days, segments FROM spend_rollups WHERE item_id = 1 AND year = 2025)
         WHERE item_id = 2 AND year = 2025;
         DELETE FROM spend_rollups WHERE item_id = 3;",
    )
    .await;
    // An app reading them now has figures that are not the records'.
    let fresh = App::new(db.store.clone(), Arc::new(clock.clone()));
    let wrong = same_as_oracle(&db, &fresh, &clock, &ws("local"), Category::Infrastructure).await.unwrap_err();
    assert!(wrong.contains("differs from the oracle's"), "{wrong}");
    let (code, stdout, stderr) = output_of(&jarvis(&path).arg("doctor").output().unwrap());
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("Workspace local: 6 months of the read model differ from the records:"), "{stdout}");
    for line in ["item #2 2025-01: stale", "item #2 2025-03: stale", "item #3 2025-02: missing"] {
        assert!(stdout.contains(line), "{line} in {stdout}");
    }
    assert!(
        stderr.contains(
            "The read model of local does not match the records; run `jarvis doctor --rebuild` to build it again"
        ),
        "{stderr}"
    );

    let (code, stdout, stderr) = output_of(&jarvis(&path).args(["doctor", "--rebuild"]).output().unwrap());
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("Workspace local: the read model was rebuilt from the records (3 item-years written; 6 months had differed)."),
        "{stdout}"
    );
    let (code, stdout, _) = output_of(&jarvis(&path).arg("doctor").output().unwrap());
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("the read model matches the records (9 item-months checked)"), "{stdout}");
    // Apps that had read the roll-ups, damaged or not, see the rebuild (a new epoch): the records'
    // figures again.
    same_as_oracle(&db, &fresh, &clock, &ws("local"), Category::Infrastructure).await.unwrap();
    same_as_oracle(&db, &app, &clock, &ws("local"), Category::Infrastructure).await.unwrap();
    // The rebuild is audited.
    let audit = jarvis(&path).args(["audit", "--json"]).output().unwrap();
    assert!(String::from_utf8_lossy(&audit.stdout).contains("read_model.rebuild"));
}

/// What a failed write must leave as it was.
#[derive(Debug, PartialEq)]
struct Footprint {
    records: i64,
    audit: i64,
    version: i64,
    item: (String, String),
}

async fn footprint(store: &jarvis::store::Store, path: &std::path::Path) -> Footprint {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let one = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool);
    let printed = Footprint {
        records: one("SELECT count(*) FROM cost_records").await.unwrap(),
        audit: one("SELECT count(*) FROM audit_log").await.unwrap(),
        version: one("SELECT version FROM workspaces WHERE id = 'local'").await.unwrap(),
        item: sqlx::query_as("SELECT cost_amount, coalesce(deleted_at, '') FROM items WHERE id = 1")
            .fetch_one(&pool)
            .await
            .unwrap(),
    };
    pool.close().await;
    // And the read model matches the records still.
    assert!(store.read().await.unwrap().check_rollups(&ws("local")).await.unwrap().is_empty());
    printed
}

/// SQLite only: the failure is made with a SQLite trigger on the database file.
#[tokio::test]
async fn a_failure_keeping_the_read_model_rolls_back_the_write_that_caused_it() {
    let db = TestDb::new().await;
    let path = db.dir.path().join("jarvis.db");
    let local = ws("local");
    let clock = ManualClock::at("2026-03-10T12:00:00Z");
    let app = App::new(db.store.clone(), Arc::new(clock.clone()));
    let added = app.add_item(&local, &Actor::Cli, Kind::Hosting, &common::named("web", "31")).await.unwrap();
    let web = ItemRef::new(format!("#{}", added.item.id));
    // Ten days on, an edit or a removal first records the days since it was added.
    clock.set("2026-03-20T12:00:00Z");
    let cost = CostInput {
        item: web.clone(),
        amount: dec("12.50"),
        currency: None,
        period: CostPeriod::Month(Month::new(2026, 1).unwrap()),
        source: CostSource::Manual,
        usage: None,
        note: None,
        replace: false,
        again: false,
    };
    let edit = ItemChanges { cost: Some(dec("40")), ..Default::default() };

    // Roll-ups refused when a year's row is first written (nothing is recorded yet), then, once
    // January's record wrote 2026's row, when it is rewritten.
    for trigger in ["INSERT", "UPDATE"] {
        behind_jarviss_back(
            &path,
            &format!(
                "CREATE TRIGGER refuse_rollups BEFORE {trigger} ON spend_rollups
                 BEGIN SELECT RAISE(ABORT, 'roll-ups refused'); END;"
            ),
        )
        .await;
        let before = footprint(&db.store, &path).await;
        let record = if trigger == "INSERT" {
            cost.clone()
        } else {
            CostInput { period: CostPeriod::CurrentMonth, ..cost.clone() }
        };
        let failures = [
            ("cost record", app.record_cost(&local, &Actor::Cli, &record).await.map(drop)),
            ("item edit", app.edit_item(&local, &Actor::Cli, &web, &edit).await.map(drop)),
            ("item remove", app.remove_item(&local, &Actor::Cli, &web).await.map(drop)),
        ];
        for (what, result) in failures {
            let Err(AppError::Internal(error)) = result else { panic!("{what} on {trigger}: {result:?}") };
            let chain = format!("{error:#}");
            assert!(chain.starts_with("could not update the read model"), "{what}: {chain}");
            assert!(chain.contains("roll-ups refused"), "{what}: {chain}");
            assert_eq!(footprint(&db.store, &path).await, before, "{what} on {trigger} wrote something");
        }
        // The app's copy was not taken in either: its pages are still the records'.
        same_as_oracle(&db, &app, &clock, &local, Category::Infrastructure).await.unwrap();
        behind_jarviss_back(&path, "DROP TRIGGER refuse_rollups").await;
        // Once the roll-ups can be written again, the same write goes through.
        app.record_cost(&local, &Actor::Cli, &record).await.unwrap();
    }
    same_as_oracle(&db, &app, &clock, &local, Category::Infrastructure).await.unwrap();

    // On the command line: an internal error (exit 3) saying what failed, nothing written.
    behind_jarviss_back(
        &path,
        "CREATE TRIGGER refuse_rollups BEFORE UPDATE ON spend_rollups BEGIN SELECT RAISE(ABORT, 'roll-ups refused'); END;",
    )
    .await;
    let before = footprint(&db.store, &path).await;
    let output = jarvis(&path)
        .env("JARVIS_FAKE_NOW", "2026-03-20T12:00:00Z")
        .args(["cost", "record", "web", "7"])
        .output()
        .unwrap();
    let (code, _, stderr) = output_of(&output);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("error: could not update the read model (error id"), "{stderr}");
    assert!(stderr.contains("roll-ups refused"), "the log line has the cause: {stderr}");
    assert_eq!(footprint(&db.store, &path).await, before);
}

#[tokio::test]
async fn a_renewal_without_a_rate_still_pays_for_its_days() {
    // A yearly EUR package renewed on 2026-01-11 (the jobs have not run yet); the first EUR rate
    // is dated 2026-01-13, after the renewal's first day. The renewal's amount is left out of this
    // month for want of a rate, but its days are paid for: the projection does not add month
    // close over them (the whole-ledger computation did: 15 days at 10 EUR a month).
    let (db, clock) = replay(
        0,
        vec![
            item(Kind::Package, BillingPeriod::Yearly, "120", "EUR", Some(10)),
            Op::Wait { days: 15 },
            Op::Rate { base: "EUR", quote: "USD", rate: "1.08", days_ago: 3 },
        ],
    )
    .await;
    let dashboard = dashboard_of(&db, &clock).await;
    assert_eq!(dashboard.this_month.projected.amount, dec("0"));
    assert!(dashboard.this_month.incomplete);
    let missing: Vec<(NaiveDate, NaiveDate)> = dashboard.missing_rates.iter().map(|m| (m.first, m.last)).collect();
    assert_eq!(missing, [(d("2026-01-01"), d("2027-01-10"))]);
}
