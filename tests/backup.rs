//! Backups: `export all` and `import jarvis` through the app layer, on real SQLite files. A
//! workspace using every feature goes out and comes back identical; broken files and busy
//! workspaces are refused without writing anything.

mod common;

use common::{TestDb, dec, named, ws};
use jarvis::app::{App, AppError, CostInput, CostPeriod, ExportFormat, ExportWhat, ItemFilter, ItemRef};
use jarvis::domain::UserError;
use jarvis::domain::audit::Actor;
use jarvis::domain::budget::{BudgetScope, Thresholds};
use jarvis::domain::calendar::Month;
use jarvis::domain::cost::CostSource;
use jarvis::domain::item::{BillingPeriod, Category, ItemChanges, Kind, PricingModel};
use jarvis::domain::money::Currency;
use jarvis::domain::page::PageRequest;
use jarvis::domain::text::{Label, Notes};
use jarvis::domain::workspace::{LeadTimes, SettingKey, WorkspaceId};
use serde_json::Value;

/// The workspace is built on the 30th of November...
const BUILT: &str = "2026-11-30T09:00:00Z";
/// ...and exported once the jobs caught up in February (renewals, closed months with long
/// decimals, a renewal anchored to the 31st now on the 28th).
const LATER: &str = "2027-02-10T09:00:00Z";

const ME: &Actor = &Actor::Cli;

fn cost(item: &str, amount: &str, month: u32, note: &str) -> CostInput {
    CostInput {
        item: ItemRef::new(item),
        amount: dec(amount),
        currency: Some(Currency::USD),
        period: CostPeriod::Month(Month::new(2026, month).unwrap()),
        source: CostSource::Manual,
        usage: None,
        note: Some(Notes::parse(note).unwrap()),
        replace: false,
        again: false,
    }
}

fn label(text: &str) -> Option<Option<Label>> {
    Some(Some(Label::parse("label", text).unwrap()))
}

/// The demo plus everything else a workspace can hold: tiny and 12-decimal amounts, a removed
/// item and a removed record, rates, budgets, changed settings, a report schedule, an item with
/// a usage meter, lead times and alternative prices, and the jobs' own records.
async fn full_workspace(db: &TestDb, workspace: &WorkspaceId) {
    let app = db.app_at(BUILT);
    app.load_demo(workspace, ME).await.unwrap();
    let embedder = ItemChanges {
        provider: label("Embed Co"),
        pricing_model: Some(PricingModel::PayPerUse),
        unit: Some(Label::parse("unit", "1K tokens").unwrap()),
        unit_price: Some(Some(dec("0.00000015"))),
        free_tier: Some(Some(dec("1000"))),
        usage: Some(dec("2500.5")),
        usage_limit: Some(Some(dec("1000000"))),
        plan_price: Some(Some(dec("19.99"))),
        lead_times: Some(Some(LeadTimes::parse("14,3").unwrap())),
        notes: Some(Some(Notes::parse("=cmd|' /C calc'!A0").unwrap())),
        ..named("Embedder", "0")
    };
    app.add_item(workspace, ME, Kind::AiProvider, &embedder).await.unwrap();
    let month_end = ItemChanges {
        period: Some(BillingPeriod::Monthly),
        renewal_date: Some(Some("2026-12-31".parse().unwrap())),
        auto_renew: Some(true),
        yearly_price: Some(Some(dec("99.5"))),
        server_type: label("vps"),
        ..named("db-replica", "9.99")
    };
    app.add_item(workspace, ME, Kind::Hosting, &month_end).await.unwrap();
    app.record_cost(workspace, ME, &cost("OpenAI", "0.0000008", 11, "one tiny call")).await.unwrap();
    app.record_cost(workspace, ME, &cost("Anthropic", "0.000000000012", 11, "twelve decimals")).await.unwrap();
    let wrong = app.record_cost(workspace, ME, &cost("Stripe", "3.5", 11, "typed by mistake")).await.unwrap();
    app.remove_cost(workspace, ME, wrong.id).await.unwrap();
    app.remove_item(workspace, ME, &ItemRef::new("acme.dev")).await.unwrap();
    let eur = Currency::parse("EUR").unwrap();
    app.set_rate(workspace, ME, eur, Currency::USD, dec("1.0831234567"), Some("2026-06-01".parse().unwrap()))
        .await
        .unwrap();
    app.set_budget(workspace, ME, BudgetScope::Total, dec("900"), None, Some(Thresholds::parse("50,80,100").unwrap()))
        .await
        .unwrap();
    app.set_budget(workspace, ME, BudgetScope::Category(Category::Ai), dec("400.5"), None, None).await.unwrap();
    for (key, value) in [
        (SettingKey::Timezone, "Asia/Bangkok"),
        (SettingKey::LeadTimes, "45,10,2"),
        (SettingKey::ExpiringWindow, "21"),
        (SettingKey::AlertChannel, "123456789012345678"),
        (SettingKey::RemindHours, "12"),
        (SettingKey::SiteDownAfter, "4"),
    ] {
        app.set_setting(workspace, ME, key, value).await.unwrap();
    }
    app.set_schedule(workspace, ME, 987654321098765432, "weekly monday", "09:00").await.unwrap();
    db.app_at(LATER).run_jobs(workspace).await.unwrap();
}

async fn backup(app: &App, workspace: &WorkspaceId) -> String {
    app.export(workspace, ExportWhat::All, ExportFormat::Json).await.unwrap().content
}

fn user_error<T: std::fmt::Debug>(result: Result<T, AppError>) -> UserError {
    match result {
        Err(AppError::User(error)) => error,
        other => panic!("expected a user error, got {other:?}"),
    }
}

/// The workspace holds nothing and nothing was audited.
async fn assert_untouched(app: &App, workspace: &WorkspaceId) {
    let all: Value = serde_json::from_str(&backup(app, workspace).await).unwrap();
    for list in ["items", "cost_records", "exchange_rates", "budgets", "sites", "domain_lookups"] {
        assert_eq!(all[list], serde_json::json!([]), "{list} were written");
    }
    assert!(all["report_schedule"].is_null());
    assert_eq!(all["settings"]["timezone"], "UTC");
    assert!(app.audit_log(workspace, PageRequest::first(10).unwrap()).await.unwrap().entries.is_empty());
}

on_both_backends! {
    async fn a_backup_restored_into_a_new_database_exports_identically(copy) {
        let original = TestDb::new().await;
        let local = ws("local");
        full_workspace(&original, &local).await;
        let app = original.app_at(LATER);
        let exported = backup(&app, &local).await;

        let restored_ws = ws("restored");
        let restored_app = copy.app_at(LATER);
        let restored = restored_app.restore(&restored_ws, ME, "backup.json", &exported).await.unwrap();
        assert_eq!(
            (restored.items, restored.removed_items, restored.exchange_rates, restored.budgets, restored.sites),
            (17, 1, 3, 2, 3)
        );
        assert_eq!(restored.removed_cost_records, 1, "the mistake");
        assert!(restored.report_schedule);
        assert!(restored.renumbered.is_empty(), "a new database keeps every id");

        let again = backup(&restored_app, &restored_ws).await;
        let as_if_local = again.replacen("\"workspace\": \"restored\"", "\"workspace\": \"local\"", 1);
        assert!(as_if_local == exported, "the second export differs:\n{}", first_difference(&exported, &as_if_local));

        // Stored amounts travel exactly, never rounded.
        for amount in ["\"amount\": \"0.0000008\"", "\"amount\": \"0.000000000012\"", "\"unit_price\": \"0.00000015\""] {
            assert!(exported.contains(amount), "{amount} is not in the backup");
        }
        assert!(exported.contains("\"rate\": \"1.0831234567\""));
        let all: Value = serde_json::from_str(&exported).unwrap();
        let long = all["cost_records"].as_array().unwrap().iter().filter_map(|r| r["amount"].as_str());
        assert!(long.clone().any(|a| a.len() > 20), "month close writes long decimals: {:?}", long.collect::<Vec<_>>());
        let replica = all["items"].as_array().unwrap().iter().find(|i| i["name"] == "db-replica").unwrap();
        assert_eq!((&replica["renewal_date"], &replica["renewal_anchor_day"]), (&"2027-02-28".into(), &31.into()));

        // What people see is the same.
        let dashboard = |app: App, workspace: WorkspaceId| async move {
            serde_json::to_value(app.dashboard(&workspace, None).await.unwrap()).unwrap()
        };
        assert_eq!(dashboard(app.clone(), local.clone()).await, dashboard(restored_app.clone(), restored_ws.clone()).await);
        let history = |app: App, workspace: WorkspaceId| async move {
            serde_json::to_value(app.cost_history(&workspace, None, None, None, PageRequest::default()).await.unwrap())
                .unwrap()
        };
        assert_eq!(history(app.clone(), local.clone()).await, history(restored_app.clone(), restored_ws.clone()).await);
        let items = |app: App, workspace: WorkspaceId| async move {
            serde_json::to_value(
                app.list_items(&workspace, ItemFilter::default(), PageRequest::default()).await.unwrap().items,
            )
            .unwrap()
        };
        assert_eq!(items(app, local).await, items(restored_app.clone(), restored_ws.clone()).await);

        // One audit entry says where it came from.
        let audit = restored_app.audit_log(&restored_ws, PageRequest::first(10).unwrap()).await.unwrap().entries;
        assert_eq!(audit.len(), 1);
        assert_eq!((audit[0].action.as_str(), audit[0].entity_id.as_deref()), ("workspace.restore", Some("restored")));
        let after = audit[0].after.as_ref().unwrap();
        assert_eq!(after["summary"], "restored from export of local at 2027-02-10T09:00:00Z");
        assert_eq!(after["items"], 17);

        // The ids the backup kept stay taken: new rows get new ones (PostgreSQL's sequences moved on).
        let added = restored_app.add_item(&restored_ws, ME, Kind::Cdn, &named("after-restore", "5")).await.unwrap();
        let restored_ids: Vec<i64> =
            all["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
        assert!(restored_ids.iter().all(|id| *id < added.item.id), "{} after {restored_ids:?}", added.item.id);
    }
}

/// Where two texts first differ, with a little context.
fn first_difference(a: &str, b: &str) -> String {
    let line = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(a.lines().count().min(b.lines().count()));
    let context = |text: &str| text.lines().skip(line.saturating_sub(3)).take(6).collect::<Vec<_>>().join("\n");
    format!("at line {}:\n--- first\n{}\n--- second\n{}", line + 1, context(a), context(b))
}

on_both_backends! {
    async fn ids_taken_in_the_database_are_renumbered_and_records_follow_their_items(db) {
        let local = ws("local");
        full_workspace(&db, &local).await;
        let app = db.app_at(LATER);
        let exported = backup(&app, &local).await;

        let twin = ws("twin");
        let restored = app.restore(&twin, ME, "backup.json", &exported).await.unwrap();
        assert_eq!(restored.renumbered, ["items", "cost records", "sites"]);

        // Same backup once ids are read as the names they stand for.
        let by_name = |text: &str| {
            let mut all: Value = serde_json::from_str(text).unwrap();
            let names: std::collections::HashMap<i64, Value> =
                all["items"].as_array().unwrap().iter().map(|i| (i["id"].as_i64().unwrap(), i["name"].clone())).collect();
            for list in ["items", "cost_records", "sites"] {
                for entry in all[list].as_array_mut().unwrap() {
                    entry.as_object_mut().unwrap().remove("id");
                    entry.as_object_mut().unwrap().remove("uuid");
                    if let Some(item) = entry.get("item_id").and_then(Value::as_i64) {
                        entry["item_id"] = names[&item].clone();
                    }
                }
            }
            all["workspace"] = Value::Null;
            all
        };
        let twin_backup = backup(&app, &twin).await;
        assert_eq!(by_name(&twin_backup), by_name(&exported));
        let first_id = |text: &str| serde_json::from_str::<Value>(text).unwrap()["items"][0]["id"].as_i64().unwrap();
        assert!(first_id(&twin_backup) > first_id(&exported));
        // Renumbered rows get new public ids too: the two workspaces share none.
        let public_ids = |text: &str| -> std::collections::BTreeSet<String> {
            let all: Value = serde_json::from_str(text).unwrap();
            ["items", "cost_records", "sites"]
                .iter()
                .flat_map(|list| all[*list].as_array().unwrap().iter().map(|e| e["uuid"].as_str().unwrap().to_string()))
                .collect()
        };
        let (theirs, ours) = (public_ids(&exported), public_ids(&twin_backup));
        assert_eq!(theirs.len(), ours.len());
        assert!(theirs.is_disjoint(&ours));

        // Both workspaces live on side by side.
        let history =
            app.cost_history(&twin, Some(&ItemRef::new("OpenAI")), None, None, PageRequest::default()).await.unwrap();
        assert!(history.records.iter().all(|r| r.item == "OpenAI"));
        assert!(history.records.iter().any(|r| r.note.as_deref() == Some("one tiny call")));
        assert_eq!(app.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap().items.len(), 16);
    }
}

on_both_backends! {
    async fn a_workspace_that_holds_anything_is_refused_and_kept_as_it_was(db) {
        let local = ws("local");
        full_workspace(&db, &local).await;
        let app = db.app_at(LATER);
        let exported = backup(&app, &local).await;
        let audited = app.audit_log(&local, PageRequest::first(1000).unwrap()).await.unwrap().entries.len();

        let error = user_error(app.restore(&local, ME, "backup.json", &exported).await).to_string();
        assert!(
            error.starts_with("Workspace `local` already holds 17 items, 2")
                && error.contains("3 exchange rates, 2 budgets, 3 sites, a report schedule and changed settings")
                && error.ends_with("choose a new one with --workspace NAME (or use another database)"),
            "{error}"
        );
        assert_eq!(backup(&app, &local).await, exported);
        assert_eq!(app.audit_log(&local, PageRequest::first(1000).unwrap()).await.unwrap().entries.len(), audited);

        // Changed settings alone are something to lose.
        let tuned = ws("tuned");
        app.set_setting(&tuned, ME, SettingKey::Language, "th").await.unwrap();
        let error = user_error(app.restore(&tuned, ME, "backup.json", &exported).await).to_string();
        assert!(error.starts_with("Workspace `tuned` already holds changed settings"), "{error}");

        // Removed items still count: their history is there.
        let removed = ws("removed");
        app.add_item(&removed, ME, Kind::Other, &named("thing", "1")).await.unwrap();
        app.remove_item(&removed, ME, &ItemRef::new("thing")).await.unwrap();
        let error = user_error(app.restore(&removed, ME, "backup.json", &exported).await).to_string();
        assert!(error.starts_with("Workspace `removed` already holds 1 item, and"), "{error}");
    }
}

/// The backup's text with one change, made on its JSON.
fn edited(text: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(text).unwrap();
    change(&mut value);
    serde_json::to_string_pretty(&value).unwrap()
}

/// The 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} not in the text")) + 1
}

on_both_backends! {
    async fn broken_backups_are_refused_naming_the_place_and_write_nothing(db) {
        let local = ws("local");
        full_workspace(&db, &local).await;
        let app = db.app_at(LATER);
        let good = backup(&app, &local).await;
        let target = ws("target");

        let check = async |text: String, expected: &[&str]| {
            let error = user_error(app.restore(&target, ME, "backup.json", &text).await).to_string();
            assert!(error.starts_with("The backup `backup.json` is not valid: "), "{error}");
            for fragment in expected {
                assert!(error.contains(fragment), "{fragment:?} is not in: {error}");
            }
            assert_untouched(&app, &target).await;
        };

        let cut = good[..good.len() / 2].to_string();
        let cut_line = cut.lines().count();
        check(cut, &["it is not valid JSON (line ", &format!("line {cut_line}, column"), "cut short"]).await;
        check(edited(&good, |v| v["version"] = 2.into()), &["version 2, written by a newer Jarvis", "update Jarvis"]).await;
        check(edited(&good, |v| v["version"] = 0.into()), &["its `version` is `0`"]).await;
        check(edited(&good, |v| v["format"] = "csv".into()), &["it is not a Jarvis backup"]).await;

        let comma = edited(&good, |v| v["items"][0]["cost"] = "12,98".into());
        let line = line_of(&comma, "\"12,98\"");
        check(comma, &[&format!("items[0].cost (line {line}, column "), "The price `12,98` is not valid", "separators"])
            .await;
        check(
            edited(&good, |v| v["items"][2]["kind"] = "spaceship".into()),
            &["items[2].kind (line ", "`spaceship` is not a known kind"],
        )
        .await;
        check(edited(&good, |v| v["items"][0]["colour"] = "red".into()), &["items[0].colour", "unknown field `colour`"])
            .await;
        check(
            edited(&good, |v| v["settings"]["timezone"] = "Mars/Olympus".into()),
            &["settings.timezone (line ", "The timezone `Mars/Olympus` is not valid"],
        )
        .await;
        check(
            edited(&good, |v| v["exchange_rates"][0]["rate"] = "0".into()),
            &["exchange_rates[0].rate", "greater than zero"],
        )
        .await;
        check(
            edited(&good, |v| v["cost_records"][0]["amount"] = "-5".into()),
            &["cost_records[0] (#", "The amount `-5` is not valid: it cannot be negative"],
        )
        .await;
        let nameless = edited(&good, |v| {
            v["items"][0].as_object_mut().unwrap().remove("name");
        });
        check(nameless, &["items[0] (line ", "missing field `name`"]).await;

        // Names, labels and notes are held to the rules of text typed today (older versions of Jarvis
        // stored some names these refuse), naming the place, the character and what to do.
        let fix = "Jarvis no longer accepts this; change it in the workspace the backup came from and export again, or \
                   edit it in the file";
        let joined = edited(&good, |v| v["items"][0]["name"] = "Tar\u{200D}get".into());
        let line = line_of(&joined, "Tar\u{200D}get");
        check(
            joined,
            &[
                &format!("items[0].name (line {line}, column "),
                "The name `Tar\\u{200D}get` is not valid: it contains an invisible character (U+200D ZERO WIDTH JOINER) \
                 at position 4, which makes it look like other text; ",
                fix,
            ],
        )
        .await;
        check(
            edited(&good, |v| v["items"][1]["provider"] = "Name\u{3164}cheap".into()),
            &["items[1].provider (line ", "The provider `Name\\u{3164}cheap` is not valid", "(U+3164 HANGUL FILLER)", fix],
        )
        .await;
        check(
            edited(&good, |v| v["items"][0]["details"]["registrar"] = "a \u{0301}b".into()),
            &["items[0] (#1 `acme.com`): The registrar `a \\u{0301}b` is not valid: it has a combining mark", fix],
        )
        .await;
        check(
            edited(&good, |v| v["items"][0]["name"] = "x\u{1CBB}".into()),
            &["items[0].name (line ", "U+1CBB, which Unicode has not assigned", fix],
        )
        .await;
        check(
            edited(&good, |v| v["cost_records"][0]["note"] = "paid\u{202E}txt".into()),
            &[
                "cost_records[0].note (line ",
                "The notes `paid\\u{202E}txt` is not valid",
                "(U+202E RIGHT-TO-LEFT OVERRIDE)",
            ],
        )
        .await;

        // Rules between fields and between records.
        check(
            edited(&good, |v| v["cost_records"][0]["item_id"] = 999.into()),
            &["cost_records[0] (#1): it is for item #999, which is not in the file"],
        )
        .await;
        check(
            edited(&good, |v| {
                v["cost_records"][0]["period_end"] = "2020-01-01".into();
            }),
            &["cost_records[0] (#1): The dates run backwards"],
        )
        .await;
        check(
            edited(&good, |v| v["items"][1]["id"] = v["items"][0]["id"].clone()),
            &["items[1] (#1 `acme.io`): its id is 1"],
        )
        .await;
        check(
            edited(&good, |v| v["items"][1]["name"] = "ACME.COM".into()),
            &["items[1] (#2 `ACME.COM`): item #1 has the same name and kind"],
        )
        .await;
        check(
            edited(&good, |v| {
                v["items"][0]["billing_period"] = "one_time".into();
            }),
            &["items[0] (#1 `acme.com`): A one-time purchase does not renew"],
        )
        .await;
        check(
            edited(&good, |v| v["items"][0]["details"]["server_type"] = "vps".into()),
            &["items[0] (#1 `acme.com`): Its details hold `server_type`, which a domain does not have"],
        )
        .await;
        check(
            edited(&good, |v| v["items"][0]["details"]["colour"] = "red".into()),
            &["items[0] (#1 `acme.com`): Its details are not valid (unknown field `colour`"],
        )
        .await;
        check(
            edited(&good, |v| v["sites"][0]["url"] = "ftp://acme.example".into()),
            &["sites[0] (#1 ftp://acme.example)", "cannot be checked"],
        )
        .await;
        check(
            edited(&good, |v| v["sites"][1]["url"] = v["sites"][0]["url"].clone()),
            &["sites[1] (#2 https://acme.example/): the site is in the file twice"],
        )
        .await;
        check(
            edited(&good, |v| v["budgets"][1]["scope"] = "total".into()),
            &["budgets[1] (total): there is another total budget"],
        )
        .await;
        check(
            edited(&good, |v| v["report_schedule"]["cadence"] = "hourly".into()),
            &["report_schedule.cadence (line ", "use daily, weekly <weekday> or monthly <day>"],
        )
        .await;
    }
}
