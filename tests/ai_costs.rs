//! AI provider costs by themselves, through the app layer on both backends: connections to local
//! fakes of OpenAI's and Anthropic's cost APIs (backfill, pagination, exact amounts, pulls that
//! replace their days, a pull cut short, refused keys, rate limits, outages, answers Jarvis
//! cannot use), and the usage push (pricing, idempotency, refusals).

mod common;
mod fake_providers;

use std::sync::Arc;

use chrono::NaiveDate;
use common::{ManualClock, dec, ws};
use fake_providers::{ANTHROPIC_KEY, Failure, FakeProviders, OPENAI_KEY, Usage};
use jarvis::app::{AiNet, App, AppError, Clock, ItemRef, PullReport, SecretKey, UsageEvent};
use jarvis::domain::audit::Actor;
use jarvis::domain::connection::{ApiSecret, Vendor};
use jarvis::domain::item::{ApiKeyStatus, BillingPeriod, ItemChanges, Kind};
use jarvis::domain::page::PageRequest;
use jarvis::domain::text::{ItemName, Label};
use jarvis::domain::workspace::WorkspaceId;
use rust_decimal::Decimal;

const NOW: &str = "2026-12-06T09:00:00Z";
const SECRET: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn secret() -> SecretKey {
    SecretKey::parse(SECRET).unwrap()
}

fn app(db: &common::TestDb, clock: &ManualClock, fake: &FakeProviders) -> App {
    App::new(db.store.clone(), Arc::new(clock.clone())).with_ai(AiNet::new(fake.endpoints(), Some(secret())))
}

/// A usage-billed AI provider item with a meter counted in requests.
async fn ai_item(app: &App, workspace: &WorkspaceId, name: &str) -> i64 {
    let changes = ItemChanges {
        name: Some(ItemName::parse(name).unwrap()),
        cost: Some(Decimal::ZERO),
        period: Some(BillingPeriod::UsageBased),
        unit: Some(Label::parse("unit", "request").unwrap()),
        unit_price: Some(Some(dec("0.002"))),
        free_tier: Some(Some(dec("100"))),
        renewal_date: Some(Some(day("2026-12-01"))),
        auto_renew: Some(true),
        ..Default::default()
    };
    app.add_item(workspace, &Actor::Cli, Kind::AiProvider, &changes).await.unwrap().item.id
}

/// The item's live records of `day`: (note, amount).
async fn records_of(app: &App, workspace: &WorkspaceId, item: i64, on: &str) -> Vec<(String, Decimal)> {
    let history = app
        .cost_history(
            workspace,
            Some(&ItemRef::new(format!("#{item}"))),
            Some(day(on)),
            Some(day(on)),
            PageRequest::first(1000).unwrap(),
        )
        .await
        .unwrap();
    let mut lines: Vec<(String, Decimal)> =
        history.records.iter().map(|r| (r.note.clone().unwrap_or_default(), r.amount.amount)).collect();
    lines.sort();
    lines
}

async fn month_total(app: &App, workspace: &WorkspaceId, item: i64, from: &str, to: &str) -> Decimal {
    app.cost_history(
        workspace,
        Some(&ItemRef::new(format!("#{item}"))),
        Some(day(from)),
        Some(day(to)),
        PageRequest::first(1).unwrap(),
    )
    .await
    .unwrap()
    .total
    .amount
}

fn openai_key() -> ApiSecret {
    ApiSecret::parse(OPENAI_KEY).unwrap()
}

async fn connect(app: &App, workspace: &WorkspaceId, item: i64) -> PullReport {
    app.connect_ai(workspace, &Actor::Cli, &ItemRef::new(format!("#{item}")), Vendor::OpenAi, &openai_key())
        .await
        .unwrap()
}

on_both_backends! {
    /// Connecting backfills the previous and current month through every page, amounts exact to
    /// the last of 12 decimals; a later pull replaces the days it covers (never doubled), an
    /// unchanged day is left alone, and the meter and the dashboard's AI line follow.
    multi_thread async fn connecting_backfills_and_pulls_replace_their_days(db) {
        let fake = FakeProviders::start().await;
        let clock = ManualClock::at(NOW);
        let app = app(&db, &clock, &fake);
        let w = ws("900");
        let item = ai_item(&app, &w, "OpenAI API").await;
        fake.set_page_size(Vendor::OpenAi, 3);
        fake.cost(Vendor::OpenAi, day("2026-11-01"), Some("gpt-4o, input"), "0.000000000001", "usd");
        fake.cost(Vendor::OpenAi, day("2026-11-30"), Some("gpt-4o, input"), "1.123456789012", "usd");
        fake.cost(Vendor::OpenAi, day("2026-11-30"), Some("gpt-4o, output"), "1e-7", "usd");
        fake.cost(Vendor::OpenAi, day("2026-12-02"), Some("gpt-4o, input"), "0.06", "usd");
        fake.cost(Vendor::OpenAi, day("2026-12-05"), Some("gpt-4o, output"), "2.50", "usd");
        fake.usage(Vendor::OpenAi, day("2026-12-02"), Usage { requests: 30, input_tokens: 1000, output_tokens: 200, ..Default::default() });
        fake.usage(Vendor::OpenAi, day("2026-12-05"), Usage { requests: 90, input_tokens: 5000, output_tokens: 900, ..Default::default() });

        let report = connect(&app, &w, item).await;
        assert_eq!(report.error, None);
        let days = report.days.unwrap();
        assert_eq!((days.start, days.end), (day("2026-11-01"), day("2026-12-06")));
        assert_eq!(report.total.len(), 1);
        assert_eq!(report.total[0].0.amount, dec("3.683456889013"));
        assert_eq!(report.days_changed, 4);
        assert!(fake.requests(fake_providers::OPENAI_COSTS) >= 12, "36 days at 3 a page");
        assert_eq!(month_total(&app, &w, item, "2026-11-01", "2026-11-30").await, dec("1.123456889013"));
        assert_eq!(month_total(&app, &w, item, "2026-12-01", "2026-12-06").await, dec("2.56"));
        assert_eq!(
            records_of(&app, &w, item, "2026-11-30").await,
            vec![("gpt-4o, input".into(), dec("1.123456789012")), ("gpt-4o, output".into(), dec("0.0000001"))]
        );

        // The meter counts the cycle's requests (120 of a free tier of 100) as billed: the cycle's
        // bill adds nothing to what the provider billed.
        let shown = app.show_item(&w, &ItemRef::new(format!("#{item}"))).await.unwrap().item;
        let usage = shown.usage.unwrap();
        assert_eq!(usage.used, dec("120"));
        assert_eq!(shown.api_key_status, Some(ApiKeyStatus::Active));
        let lines = app.dashboard(&w, None).await.unwrap().ai_providers;
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].this_month.unwrap().amount, dec("2.56"));
        assert_eq!(lines[0].requests, Some(120));
        assert_eq!(lines[0].cost_per_request.unwrap().amount, dec("0.021333"));
        assert_eq!(lines[0].free_tier_used_percent, Some(dec("120.0")));
        assert!(lines[0].last_pull.is_some());

        // A day later the provider corrected Dec 5 and billed Dec 6: the pull covers the last
        // days again and replaces them; nothing is doubled.
        clock.set("2026-12-07T09:00:00Z");
        fake.cost(Vendor::OpenAi, day("2026-12-05"), Some("gpt-4o, input"), "0.40", "usd");
        fake.cost(Vendor::OpenAi, day("2026-12-06"), Some("gpt-4o, input"), "1.00", "usd");
        let due = app.pull_due_ai().await.unwrap();
        assert_eq!(due, 1);
        assert_eq!(
            records_of(&app, &w, item, "2026-12-05").await,
            vec![("gpt-4o, input".into(), dec("0.40")), ("gpt-4o, output".into(), dec("2.50"))]
        );
        assert_eq!(month_total(&app, &w, item, "2026-12-01", "2026-12-07").await, dec("3.96"));
        // Nothing changed since: nothing is written, and nothing is due for a day.
        clock.set("2026-12-08T09:00:01Z");
        let again = app.pull_ai(&w, None).await.unwrap();
        assert_eq!(again[0].days_changed, 0);
        assert_eq!(month_total(&app, &w, item, "2026-12-01", "2026-12-08").await, dec("3.96"));
        assert_eq!(app.pull_due_ai().await.unwrap(), 0);

        // The cycle ends: the jobs charge nothing of their own for a connected item (its meter
        // would otherwise bill 20 requests beyond the free tier), and its meter starts again.
        clock.set("2027-01-02T09:00:00Z");
        let jobs = app.run_jobs(&w).await.unwrap();
        assert!(jobs.renewals.iter().all(|c| c.item_id != item), "{:?}", jobs.renewals);
        assert_eq!(month_total(&app, &w, item, "2026-12-01", "2026-12-31").await, dec("3.96"));
        let shown = app.show_item(&w, &ItemRef::new(format!("#{item}"))).await.unwrap().item;
        assert_eq!(shown.usage.unwrap().used, Decimal::ZERO);
        clock.set("2026-12-08T09:00:01Z");

        // The report carries the same line; another workspace sees none of it.
        assert_eq!(app.report(&w).await.unwrap().ai_providers.len(), 1);
        assert!(app.dashboard(&ws("901"), None).await.unwrap().ai_providers.is_empty());
        assert!(app.pull_ai(&ws("901"), Some(&ItemRef::new("OpenAI API"))).await.is_err());
    }
}

on_both_backends! {
    /// A pull cut short (the process stopped while pages were still coming) writes nothing; the
    /// next pull leaves exactly one copy of each day.
    multi_thread async fn a_pull_cut_short_and_run_again_leaves_one_copy_of_each_day(db) {
        let fake = FakeProviders::start().await;
        let clock = ManualClock::at(NOW);
        let app = app(&db, &clock, &fake);
        let w = ws("910");
        let item = ai_item(&app, &w, "OpenAI API").await;
        for d in 1..=6 {
            fake.cost(Vendor::OpenAi, day(&format!("2026-12-0{d}")), Some("gpt-4o, input"), "1.25", "usd");
        }
        connect(&app, &w, item).await;
        fake.cost(Vendor::OpenAi, day("2026-12-06"), Some("gpt-4o, output"), "0.75", "usd");
        fake.set_page_size(Vendor::OpenAi, 2);
        // The second page takes long: the pull is dropped midway, as a stopped process would.
        fake.fail_next(Failure::Delay(std::time::Duration::ZERO));
        fake.fail_next(Failure::Delay(std::time::Duration::from_secs(5)));
        let cut = tokio::time::timeout(std::time::Duration::from_millis(500), app.pull_ai(&w, None)).await;
        assert!(cut.is_err(), "the pull was cut short");
        assert_eq!(records_of(&app, &w, item, "2026-12-06").await, vec![("gpt-4o, input".into(), dec("1.25"))]);
        let report = app.pull_ai(&w, None).await.unwrap();
        assert_eq!(report[0].error, None);
        for d in 1..=5 {
            assert_eq!(records_of(&app, &w, item, &format!("2026-12-0{d}")).await, vec![("gpt-4o, input".into(), dec("1.25"))]);
        }
        assert_eq!(
            records_of(&app, &w, item, "2026-12-06").await,
            vec![("gpt-4o, input".into(), dec("1.25")), ("gpt-4o, output".into(), dec("0.75"))]
        );
        assert_eq!(month_total(&app, &w, item, "2026-12-01", "2026-12-06").await, dec("8.25"));
    }
}

on_both_backends! {
    /// A key the provider refuses is not stored; one refused later marks the item's key invalid
    /// (the API key alert); 429 and 5xx wait (Retry-After) and try again without duplicates; an
    /// outage is one alert, not one a minute; an answer Jarvis cannot use is reported at once.
    multi_thread async fn failures_are_recorded_backed_off_and_reported_once(db) {
        let fake = FakeProviders::start().await;
        let clock = ManualClock::at(NOW);
        let app = app(&db, &clock, &fake);
        let w = ws("920");
        let item = ai_item(&app, &w, "Claude").await;
        let reference = ItemRef::new("Claude");
        let wrong = ApiSecret::parse("sk-ant-admin01-NotTheKey0123456789").unwrap();
        let refused = app.connect_ai(&w, &Actor::Cli, &reference, Vendor::Anthropic, &wrong).await.unwrap_err();
        assert!(refused.to_string().contains("refused the key"), "{refused}");
        assert!(!refused.to_string().contains(wrong.expose()), "{refused}");
        assert!(app.connections(&w).await.unwrap().is_empty());

        fake.cost(Vendor::Anthropic, day("2026-12-01"), Some("Claude Sonnet, input"), "\"150\"", "USD");
        let key = ApiSecret::parse(ANTHROPIC_KEY).unwrap();
        let report = app.connect_ai(&w, &Actor::Cli, &reference, Vendor::Anthropic, &key).await.unwrap();
        assert_eq!(report.total[0].0.amount, dec("1.50"), "Anthropic bills in cents");

        // Rate limited: the next try waits for Retry-After.
        clock.set("2026-12-07T09:00:00Z");
        fake.fail_next(Failure::Status { status: 429, retry_after: Some("600".into()) });
        let limited = app.pull_ai(&w, None).await.unwrap().remove(0);
        assert!(limited.error.as_deref().unwrap().contains("429"), "{limited:?}");
        assert_eq!(limited.connection.next_pull_at, clock_at("2026-12-07T09:10:00Z"));
        clock.set("2026-12-07T09:05:00Z");
        assert_eq!(app.pull_due_ai().await.unwrap(), 0);
        // A server fault, then a good answer: one copy of the day.
        clock.set("2026-12-07T09:10:00Z");
        fake.fail_next(Failure::Status { status: 503, retry_after: None });
        assert_eq!(app.pull_due_ai().await.unwrap(), 1);
        clock.set("2026-12-07T10:00:00Z");
        assert_eq!(app.pull_due_ai().await.unwrap(), 1);
        assert_eq!(records_of(&app, &w, item, "2026-12-01").await, vec![("Claude Sonnet, input".into(), dec("1.50"))]);
        assert!(app.alerts(&w).await.unwrap().alerts.iter().all(|a| !a.key.starts_with("ai_pull:")));

        // An outage: failures for two hours give one alert, which clears when a pull gets through.
        for (n, at) in ["2026-12-08T10:00:00Z", "2026-12-08T10:30:00Z", "2026-12-08T12:30:00Z"].into_iter().enumerate() {
            clock.set(at);
            fake.fail_next(Failure::Status { status: 500, retry_after: None });
            app.pull_ai(&w, None).await.unwrap();
            let alerts = app.alerts(&w).await.unwrap().alerts;
            let pulls: Vec<_> = alerts.iter().filter(|a| a.key.starts_with("ai_pull:")).collect();
            assert_eq!(pulls.len(), usize::from(n == 2), "{n}: {pulls:?}");
        }
        app.pull_ai(&w, None).await.unwrap();
        assert!(app.alerts(&w).await.unwrap().alerts.iter().all(|a| !a.key.starts_with("ai_pull:")));

        // Malformed JSON, and an amount past what Jarvis holds: reported at once, nothing written.
        fake.fail_next(Failure::Body("{\"data\": [".into()));
        let bad = app.pull_ai(&w, None).await.unwrap().remove(0);
        assert!(bad.error.as_deref().unwrap().contains("not what its API documents"), "{bad:?}");
        assert!(app.alerts(&w).await.unwrap().alerts.iter().any(|a| a.key == format!("ai_pull:{item}")));
        fake.cost(Vendor::Anthropic, day("2026-12-07"), Some("Claude Sonnet, output"), "\"900000000000000000000\"", "USD");
        let huge = app.pull_ai(&w, None).await.unwrap().remove(0);
        assert!(huge.error.as_deref().unwrap().contains("maximum"), "{huge:?}");
        assert!(records_of(&app, &w, item, "2026-12-07").await.is_empty());

        // The key is revoked: the item's key status turns invalid, and the API key alert fires.
        fake.set_keys(Vendor::Anthropic, &["sk-ant-admin01-SomeOtherKey0123456789"]);
        let revoked = app.pull_ai(&w, None).await.unwrap().remove(0);
        assert!(revoked.error.as_deref().unwrap().contains("refused the key"), "{revoked:?}");
        assert!(!format!("{revoked:?}").contains(ANTHROPIC_KEY));
        let shown = app.show_item(&w, &reference).await.unwrap().item;
        assert_eq!(shown.api_key_status, Some(ApiKeyStatus::Invalid));
        let alerts = app.alerts(&w).await.unwrap().alerts;
        assert!(alerts.iter().any(|a| a.key == format!("api_key:{item}:invalid")), "{alerts:?}");
        assert_eq!(records_of(&app, &w, item, "2026-12-01").await, vec![("Claude Sonnet, input".into(), dec("1.50"))]);

        // Disconnecting deletes the key; the history stays.
        app.disconnect_ai(&w, &Actor::Cli, &reference).await.unwrap();
        assert!(app.connections(&w).await.unwrap().is_empty());
        let sealed: Vec<(i64,)> = db.raw_fetch("SELECT COUNT(*) FROM ai_connections").await;
        assert_eq!(sealed, vec![(0,)]);
        assert_eq!(records_of(&app, &w, item, "2026-12-01").await.len(), 1);
    }
}

fn clock_at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

on_both_backends! {
    /// Without JARVIS_SECRET_KEY nothing is stored; under another one the stored key does not
    /// open (said, not retried every minute); only connectable items connect.
    multi_thread async fn keys_need_the_secret_key_they_were_sealed_with(db) {
        let fake = FakeProviders::start().await;
        let clock = ManualClock::at(NOW);
        let w = ws("930");
        let unkeyed = App::new(db.store.clone(), Arc::new(clock.clone())).with_ai(AiNet::new(fake.endpoints(), None));
        let item = ai_item(&unkeyed, &w, "OpenAI API").await;
        let error = unkeyed.connect_ai(&w, &Actor::Cli, &ItemRef::new("OpenAI API"), Vendor::OpenAi, &openai_key()).await.unwrap_err();
        assert!(error.to_string().contains("JARVIS_SECRET_KEY"), "{error}");
        assert!(unkeyed.connections(&w).await.unwrap().is_empty());

        let app = app(&db, &clock, &fake);
        connect(&app, &w, item).await;
        let sealed: Vec<(Vec<u8>,)> = db.raw_fetch("SELECT key_sealed FROM ai_connections").await;
        assert!(!sealed[0].0.windows(16).any(|w| OPENAI_KEY.as_bytes().windows(16).any(|k| k == w)));
        let other = SecretKey::parse(&"ab".repeat(32)).unwrap();
        let rekeyed = App::new(db.store.clone(), Arc::new(clock.clone())).with_ai(AiNet::new(fake.endpoints(), Some(other)));
        let report = rekeyed.pull_ai(&w, None).await.unwrap().remove(0);
        assert!(report.error.as_deref().unwrap().contains("another JARVIS_SECRET_KEY"), "{report:?}");
        assert_eq!(report.connection.next_pull_at, clock_at(NOW) + chrono::Duration::days(1));

        // A subscription is not connected: its plan and the provider's bill would both count.
        let plan = ItemChanges { name: Some(ItemName::parse("ChatGPT Team").unwrap()), cost: Some(dec("30")), ..Default::default() };
        app.add_item(&w, &Actor::Cli, Kind::AiProvider, &plan).await.unwrap();
        let refused = app.connect_ai(&w, &Actor::Cli, &ItemRef::new("ChatGPT Team"), Vendor::OpenAi, &openai_key()).await.unwrap_err();
        assert!(refused.to_string().contains("usage-based"), "{refused}");
    }
}

fn event(item: &str, quantity: &str, key: Option<&str>) -> UsageEvent {
    UsageEvent {
        item: ItemRef::new(item),
        quantity: dec(quantity),
        unit: None,
        at: None,
        cost: None,
        key: key.map(str::to_string),
    }
}

on_both_backends! {
    /// Pushed events add up per item and day: priced from the meter (the free tier first), or at
    /// the cost given; a retried event counts once; a batch with a bad event writes nothing.
    multi_thread async fn pushed_usage_adds_up_per_day_and_counts_once(db) {
        let fake = FakeProviders::start().await;
        let clock = ManualClock::at(NOW);
        let app = app(&db, &clock, &fake);
        let w = ws("940");
        let item = ai_item(&app, &w, "Gemini").await;
        let batch: Vec<UsageEvent> = (0..150).map(|n| event("Gemini", "1", Some(&format!("call-{n}")))).collect();
        let summary = app.push_usage(&w, &Actor::Cli, &batch).await.unwrap();
        assert_eq!((summary.accepted, summary.repeated), (150, 0));
        assert_eq!(summary.days.len(), 1);
        // 100 free, then 50 at 0.002.
        assert_eq!(summary.days[0].cost.0.amount, dec("0.1"));
        let again = app.push_usage(&w, &Actor::Cli, &batch).await.unwrap();
        assert_eq!((again.accepted, again.repeated), (0, 150));
        assert_eq!(records_of(&app, &w, item, "2026-12-06").await, vec![("pushed usage".into(), dec("0.1"))]);
        // A cost given is taken as is, and the same day's record grows.
        let mut given = event("#".to_string().as_str(), "10", None);
        given.item = ItemRef::new(format!("#{item}"));
        given.cost = Some(dec("0.000000000012"));
        given.at = Some(clock_at("2026-12-06T01:00:00Z"));
        app.push_usage(&w, &Actor::Cli, &[given]).await.unwrap();
        assert_eq!(records_of(&app, &w, item, "2026-12-06").await, vec![("pushed usage".into(), dec("0.100000000012"))]);
        let shown = app.show_item(&w, &ItemRef::new("Gemini")).await.unwrap().item;
        assert_eq!(shown.usage.unwrap().used, dec("160"));
        let line = app.dashboard(&w, None).await.unwrap().ai_providers.remove(0);
        assert_eq!(line.requests, Some(151));

        // Refusals, each naming the event; nothing of the batch is written.
        let mut late = event("Gemini", "5", None);
        late.at = Some(clock_at("2026-11-15T10:00:00Z"));
        let mut wrong_unit = event("Gemini", "5", None);
        wrong_unit.unit = Some("tokens".into());
        let mut future = event("Gemini", "5", None);
        future.at = Some(clock_at("2026-12-09T10:00:00Z"));
        for (bad, says) in [
            (late, "closed"),
            (wrong_unit, "request"),
            (future, "after today"),
            (event("No such thing", "1", None), "No such thing"),
        ] {
            let error = app.push_usage(&w, &Actor::Cli, &[event("Gemini", "1", Some("fresh")), bad]).await.unwrap_err();
            let text = error.to_string();
            assert!(text.contains("#1") && text.contains(says), "{text}");
            assert!(matches!(error, AppError::User(_)));
        }
        assert_eq!(records_of(&app, &w, item, "2026-12-06").await, vec![("pushed usage".into(), dec("0.100000000012"))]);
        // The key of a refused batch was not used up.
        let fresh = app.push_usage(&w, &Actor::Cli, &[event("Gemini", "1", Some("fresh"))]).await.unwrap();
        assert_eq!(fresh.accepted, 1);
        // Another workspace cannot reach the item, and a connected item takes no pushes.
        assert!(app.push_usage(&ws("941"), &Actor::Cli, &[event("Gemini", "1", None)]).await.is_err());
        let openai = ai_item(&app, &w, "OpenAI API").await;
        connect(&app, &w, openai).await;
        let error = app.push_usage(&w, &Actor::Cli, &[event("OpenAI API", "1", None)]).await.unwrap_err();
        assert!(error.to_string().contains("count them twice"), "{error}");
    }
}

/// The `jarvis` binary with the secret key and the fake providers, logging everything.
fn jarvis(db: &common::TestDb, fake: &FakeProviders) -> assert_cmd::Command {
    let mut cmd = common::jarvis_on(&db.url, NOW);
    cmd.env("JARVIS_SECRET_KEY", SECRET)
        .env("JARVIS_OPENAI_URL", fake.url().as_str())
        .env("JARVIS_ANTHROPIC_URL", fake.url().as_str())
        .env("RUST_LOG", "trace");
    cmd
}

/// Runs `args`, returning what it printed on both streams (and whether it succeeded).
fn run(cmd: &mut assert_cmd::Command, args: &[&str], stdin: &str) -> (bool, String) {
    let output = cmd.args(args).write_stdin(stdin).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

/// A secret never appears in logs (at trace level), error messages, exports, backups, audit
/// entries or the database file: every one of them is searched for the key, in part too.
#[tokio::test(flavor = "multi_thread")]
async fn the_key_never_appears_in_logs_errors_exports_audit_or_the_database() {
    let db = common::TestDb::sqlite().await;
    let fake = FakeProviders::start().await;
    fake.cost(Vendor::OpenAi, day("2026-12-01"), Some("gpt-4o, input"), "0.06", "usd");
    let leaks = |what: &str, text: &str| {
        assert!(!text.contains(OPENAI_KEY), "{what} holds the key:\n{text}");
        assert!(!text.contains(&OPENAI_KEY[12..32]), "{what} holds part of the key:\n{text}");
    };
    let add = [
        "item",
        "add",
        "ai_provider",
        "OpenAI API",
        "--cost",
        "0",
        "--period",
        "usage-based",
        "--unit",
        "request",
        "--unit-price",
        "0.002",
    ];
    let (ok, out) = run(&mut jarvis(&db, &fake), &add, "");
    assert!(ok, "{out}");

    // Without the secret key: refused, nothing stored, the key not echoed.
    let (ok, out) = run(
        jarvis(&db, &fake).env_remove("JARVIS_SECRET_KEY"),
        &["ai", "connect", "OpenAI API", "--provider", "openai"],
        &format!("{OPENAI_KEY}\n"),
    );
    assert!(!ok && out.contains("JARVIS_SECRET_KEY"), "{out}");
    leaks("a refusal", &out);
    // A wrong key: the provider's error quotes it whole; Jarvis's message does not.
    let (ok, out) = run(
        &mut jarvis(&db, &fake),
        &["ai", "connect", "OpenAI API", "--provider", "openai"],
        "sk-admin-Wrong0123456789abcdefghijklmnop\n",
    );
    assert!(!ok && out.contains("refused the key"), "{out}");
    assert!(!out.contains("sk-admin-Wrong0123456789abcdefghijklmnop"), "{out}");

    let mut logs = String::new();
    for (args, stdin) in [
        (vec!["ai", "connect", "OpenAI API", "--provider", "openai"], format!("{OPENAI_KEY}\n")),
        (vec!["ai", "connections"], String::new()),
        (vec!["--json", "ai", "connections"], String::new()),
        (vec!["ai", "pull"], String::new()),
        (vec!["--json", "audit", "--limit", "100"], String::new()),
        (vec!["--json", "export", "all"], String::new()),
        (vec!["--json", "item", "show", "OpenAI API"], String::new()),
        (vec!["dashboard"], String::new()),
        (vec!["report"], String::new()),
    ] {
        let (ok, out) = run(&mut jarvis(&db, &fake), &args, &stdin);
        assert!(ok, "{args:?}: {out}");
        logs.push_str(&out);
    }
    assert!(logs.contains("sk-admin-Fa…"), "the prefix is what is shown:\n{logs}");
    assert!(logs.contains("TRACE") || logs.contains("DEBUG"), "logging was on:\n{logs}");
    // The key revoked: errors and logs of the failed pull.
    fake.set_keys(Vendor::OpenAi, &["sk-admin-SomeOtherKey0123456789abcdef"]);
    let (_, out) = run(&mut jarvis(&db, &fake), &["ai", "pull"], "");
    assert!(out.contains("refused the key"), "{out}");
    logs.push_str(&out);
    leaks("the output and logs", &logs);
    // The database file itself (and its write-ahead log) holds it sealed only.
    db.store.close().await;
    for file in std::fs::read_dir(db.dir.path()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        leaks("the database", &String::from_utf8_lossy(&bytes));
    }
}

on_both_backends! {
    /// What was there before a connection stays counted once: a first pull that fails still
    /// connects (and is tried again, backing off through a storm of 429s); pulls start after
    /// records that were pushed or typed; a provider that counts no requests leaves a request
    /// meter as it was; a base fee is refused; a removed item is not pulled and loses its key.
    multi_thread async fn connections_start_after_what_is_there_and_stop_with_their_item(db) {
        let fake = FakeProviders::start().await;
        let clock = ManualClock::at(NOW);
        let app = app(&db, &clock, &fake);
        let w = ws("950");

        // An outage while connecting: connected all the same, pulled later; 429s in a row wait
        // longer each time and write nothing twice.
        let claude = ai_item(&app, &w, "Claude").await;
        fake.cost(Vendor::Anthropic, day("2026-12-03"), Some("Claude Haiku, output"), "\"25\"", "USD");
        fake.fail_next(Failure::Status { status: 503, retry_after: None });
        let key = ApiSecret::parse(ANTHROPIC_KEY).unwrap();
        let first = app.connect_ai(&w, &Actor::Cli, &ItemRef::new("Claude"), Vendor::Anthropic, &key).await.unwrap();
        assert!(first.error.as_deref().unwrap().contains("503"), "{first:?}");
        assert_eq!(app.connections(&w).await.unwrap().len(), 1);
        let mut waits = Vec::new();
        for _ in 0..4 {
            let next = app.connections(&w).await.unwrap()[0].next_pull_at;
            waits.push((next - clock.now()).num_seconds());
            clock.set(&next.to_rfc3339());
            fake.fail_next(Failure::Status { status: 429, retry_after: None });
            assert_eq!(app.pull_due_ai().await.unwrap(), 1);
        }
        assert!(waits.windows(2).all(|w| w[1] > w[0]), "backing off: {waits:?}");
        let next = app.connections(&w).await.unwrap()[0].next_pull_at;
        clock.set(&next.to_rfc3339());
        assert_eq!(app.pull_due_ai().await.unwrap(), 1);
        assert_eq!(records_of(&app, &w, claude, "2026-12-03").await, vec![("Claude Haiku, output".into(), dec("0.25"))]);
        // Anthropic counts no requests: the request meter keeps what was typed.
        let typed = ItemChanges { usage: Some(dec("40")), ..Default::default() };
        app.edit_item(&w, &Actor::Cli, &ItemRef::new("Claude"), &typed).await.unwrap();
        clock.set(&(clock.now() + chrono::Duration::days(1)).to_rfc3339());
        app.pull_ai(&w, None).await.unwrap();
        let meter = app.show_item(&w, &ItemRef::new("Claude")).await.unwrap().item.usage.unwrap();
        assert_eq!(meter.used, dec("40"));

        // Usage pushed up to Dec 4: the backfill starts on Dec 5, so nothing counts twice.
        clock.set(NOW);
        let openai = ai_item(&app, &w, "OpenAI API").await;
        let mut pushed = event("OpenAI API", "10", None);
        pushed.at = Some(clock_at("2026-12-04T10:00:00Z"));
        app.push_usage(&w, &Actor::Cli, &[pushed]).await.unwrap();
        fake.cost(Vendor::OpenAi, day("2026-12-04"), Some("gpt-4o, input"), "9.00", "usd");
        fake.cost(Vendor::OpenAi, day("2026-12-05"), Some("gpt-4o, input"), "1.00", "usd");
        let report = connect(&app, &w, openai).await;
        assert_eq!(report.connection.pull_from, day("2026-12-05"));
        assert_eq!(report.total[0].0.amount, dec("1.00"));
        assert_eq!(records_of(&app, &w, openai, "2026-12-04").await, vec![("pushed usage".into(), dec("0"))]);

        // A base fee is the plan's, not the provider's report: refused.
        let fee = ItemChanges {
            name: Some(ItemName::parse("Mistral").unwrap()),
            cost: Some(dec("10")),
            period: Some(BillingPeriod::UsageBased),
            unit: Some(Label::parse("unit", "request").unwrap()),
            unit_price: Some(Some(dec("0.001"))),
            ..Default::default()
        };
        app.add_item(&w, &Actor::Cli, Kind::AiProvider, &fee).await.unwrap();
        let refused = app.connect_ai(&w, &Actor::Cli, &ItemRef::new("Mistral"), Vendor::OpenAi, &openai_key()).await.unwrap_err();
        assert!(refused.to_string().contains("base fee"), "{refused}");

        // A removed item: its connection and key go; nothing is pulled for it.
        app.remove_item(&w, &Actor::Cli, &ItemRef::new("OpenAI API")).await.unwrap();
        assert!(app.connections(&w).await.unwrap().iter().all(|c| c.item_id != openai));
        let before = fake.requests(fake_providers::OPENAI_COSTS);
        clock.set("2026-12-20T09:00:00Z");
        app.pull_due_ai().await.unwrap();
        assert_eq!(fake.requests(fake_providers::OPENAI_COSTS), before);
    }
}

on_both_backends! {
    /// A late event for a closed cycle is added beside that cycle's bill, which stays whole; a
    /// cancelled item still takes its usage.
    multi_thread async fn late_pushes_add_to_a_billed_cycle(db) {
        let fake = FakeProviders::start().await;
        let clock = ManualClock::at("2026-11-20T09:00:00Z");
        let app = app(&db, &clock, &fake);
        let w = ws("960");
        let item = ai_item(&app, &w, "Gemini").await;
        // 300 requests typed in November's cycle: 200 beyond the free tier, 0.40 at the cycle's end.
        let typed = ItemChanges { usage: Some(dec("300")), ..Default::default() };
        app.edit_item(&w, &Actor::Cli, &ItemRef::new("Gemini"), &typed).await.unwrap();
        clock.set("2026-12-02T09:00:00Z");
        app.run_jobs(&w).await.unwrap();
        let november = month_total(&app, &w, item, "2026-11-01", "2026-11-30").await;
        assert_eq!(november, dec("0.40"));
        let mut late = event("Gemini", "5", Some("late-1"));
        late.at = Some(clock_at("2026-11-25T10:00:00Z"));
        late.cost = Some(dec("0.01"));
        app.push_usage(&w, &Actor::Cli, &[late]).await.unwrap();
        assert_eq!(month_total(&app, &w, item, "2026-11-01", "2026-11-30").await, dec("0.41"));
        // Cancelled, still renewing by itself: its usage is taken (no renewal to run first).
        let cancelled = ItemChanges { status: Some(jarvis::domain::item::ManualStatus::Cancelled), ..Default::default() };
        app.edit_item(&w, &Actor::Cli, &ItemRef::new("Gemini"), &cancelled).await.unwrap();
        clock.set("2027-01-05T09:00:00Z");
        let mut after = event("Gemini", "1", None);
        after.cost = Some(dec("0.002"));
        let summary = app.push_usage(&w, &Actor::Cli, &[after]).await.unwrap();
        assert_eq!(summary.accepted, 1);
    }
}
