//! The ledger through the app layer, against real SQLite files with real migrations.

mod common;

use chrono::NaiveDate;
use common::{dec, named, ws};
use jarvis::app::{AppError, CostInput, CostPeriod, ItemFilter, ItemForm, ItemRef, RequestKey};
use jarvis::domain::UserError;
use jarvis::domain::audit::Actor;
use jarvis::domain::calendar::Month;
use jarvis::domain::cost::CostSource;
use jarvis::domain::item::{BillingPeriod, ItemChanges, Kind, Status};
use jarvis::domain::money::Currency;
use jarvis::domain::page::PageRequest;
use jarvis::domain::text::ItemName;
use jarvis::domain::workspace::Language;
use jarvis::domain::workspace::SettingKey;
use jarvis::render::{Flavor, Renderer};

const NOW: &str = "2026-11-30T09:00:00Z";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn user_error(result: Result<impl std::fmt::Debug, AppError>) -> UserError {
    match result {
        Err(AppError::User(error)) => error,
        other => panic!("expected a user error, got {other:?}"),
    }
}

fn cost_input(item: &str, amount: &str) -> CostInput {
    CostInput {
        item: ItemRef::new(item),
        amount: dec(amount),
        currency: None,
        period: CostPeriod::Month(Month::new(2026, 10).unwrap()),
        source: CostSource::Manual,
        usage: None,
        note: None,
        replace: false,
        again: false,
    }
}

on_both_backends! {
    async fn items_round_trip_through_the_database(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        let changes = ItemChanges {
            renewal_date: Some(Some(d("2027-01-31"))),
            auto_renew: Some(true),
            registrar: Some(Some(jarvis::domain::text::Label::parse("registrar", "Namecheap").unwrap())),
            ..named("acme.com", "12.98")
        };
        let added = app.add_item(&local, &Actor::Cli, Kind::Domain, &changes).await.unwrap();
        assert_eq!(added.item.billing_period, BillingPeriod::Yearly, "domains default to yearly");

        let shown = app.show_item(&local, &ItemRef::new("ACME.COM")).await.unwrap();
        assert_eq!(shown.item.id, added.item.id);
        assert_eq!(shown.item.registrar.as_deref(), Some("Namecheap"));
        assert_eq!(shown.item.cost.0.amount, dec("12.98"));
        assert_eq!(shown.item.next_renewal, Some(d("2027-01-31")));
        assert_eq!(shown.item.monthly_cost.rounded(), dec("1.08"));

        let edit = ItemChanges { cost: Some(dec("14.98")), ..Default::default() };
        let by_id = ItemRef::new(format!("#{}", added.item.id));
        let edited = app.edit_item(&local, &Actor::Cli, &by_id, &edit).await.unwrap();
        assert_eq!(edited.item.cost.0.amount, dec("14.98"));
        assert_eq!(edited.item.registrar.as_deref(), Some("Namecheap"), "untouched fields stay");

        // A new connection (a restart) sees the same thing.
        let reopened = jarvis::store::Store::open(&db.url).await.unwrap();
        let app2 = jarvis::app::App::new(reopened, std::sync::Arc::new(jarvis::app::FixedClock(NOW.parse().unwrap())));
        let list = app2.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap();
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.items[0].cost.0.amount, dec("14.98"));
    }
}

on_both_backends! {
    async fn names_are_unique_per_kind_case_insensitively(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        let first = app.add_item(&local, &Actor::Cli, Kind::Cdn, &named("Cloudflare", "20")).await.unwrap();
        let error = user_error(app.add_item(&local, &Actor::Cli, Kind::Cdn, &named("cloudFLARE", "25")).await);
        assert_eq!(
            error.to_string(),
            format!("There is already a CDN named `Cloudflare` (#{}); choose another name or edit that one", first.item.id)
        );
        // Another kind may use the name...
        app.add_item(&local, &Actor::Cli, Kind::Domain, &named("cloudflare", "10")).await.unwrap();
        // ...but then the bare name is ambiguous, and --kind settles it.
        let error = user_error(app.show_item(&local, &ItemRef::new("Cloudflare")).await);
        assert!(error.to_string().contains("matches several items"), "{error}");
        let cdn = app.show_item(&local, &ItemRef::new("Cloudflare").with_kind(Some(Kind::Cdn))).await.unwrap();
        assert_eq!(cdn.item.id, first.item.id);
        // Renaming onto a taken name is refused too.
        let other = app.add_item(&local, &Actor::Cli, Kind::Cdn, &named("Fastly", "50")).await.unwrap();
        let rename =
            ItemChanges { name: Some(jarvis::domain::text::ItemName::parse("CLOUDFLARE").unwrap()), ..Default::default() };
        let error = user_error(app.edit_item(&local, &Actor::Cli, &ItemRef::new(other.item.id.to_string()), &rename).await);
        assert!(matches!(error, UserError::Duplicate { .. }), "{error}");
    }
}

on_both_backends! {
    async fn names_that_cannot_be_told_apart_are_refused_or_are_one_name(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        // Typed with an invisible joiner: refused before anything is written, saying where it is.
        let form = ItemForm { name: Some("Tar\u{200D}get".into()), cost: Some("5".into()), ..Default::default() };
        let error = form.changes().unwrap_err().to_string();
        assert!(error.contains("invisible character (U+200D ZERO WIDTH JOINER) at position 4"), "{error}");
        let form = ItemForm { provider: Some("Cloud\u{00A0}Run".into()), ..Default::default() };
        assert!(form.changes().unwrap_err().to_string().contains("U+00A0 NO-BREAK SPACE"));

        let target = app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("Target", "20")).await.unwrap();
        // Fullwidth capitals are the same name, for the same kind...
        let error = user_error(app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("ＴＡＲＧＥＴ", "25")).await);
        assert_eq!(
            error,
            UserError::Duplicate { kind: "a hosting service".into(), name: "Target".into(), id: target.item.id }
        );
        let other = app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("Other", "5")).await.unwrap();
        let rename = ItemChanges { name: Some(ItemName::parse("ｔａｒｇｅｔ").unwrap()), ..Default::default() };
        let by_id = ItemRef::new(format!("#{}", other.item.id));
        assert!(matches!(
            user_error(app.edit_item(&local, &Actor::Cli, &by_id, &rename).await),
            UserError::Duplicate { .. }
        ));
        // ...while another kind may have it.
        app.add_item(&local, &Actor::Cli, Kind::Cdn, &named("ＴＡＲＧＥＴ", "1")).await.unwrap();

        // Every spelling that looks like it finds it.
        for typed in ["Target", "TARGET", "ＴＡＲＧＥＴ", "Ｔａｒｇｅｔ", "Tar\u{200D}get", " target "] {
            let found = app.show_item(&local, &ItemRef::new(typed).with_kind(Some(Kind::Hosting))).await.unwrap();
            assert_eq!(found.item.id, target.item.id, "{typed:?}");
        }
        let choices = app.item_choices(&local, &[Kind::Hosting], "ｔａｒ", 25).await.unwrap();
        assert_eq!(choices.iter().map(|c| c.id).collect::<Vec<_>>(), [target.item.id]);
    }
}

on_both_backends! {
    async fn stored_names_get_the_new_keys_and_look_alikes_are_kept_apart(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        let target = app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("Target", "20")).await.unwrap().item.id;
        let joined = app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("x", "5")).await.unwrap().item.id;
        let cloud = app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("y", "7")).await.unwrap().item.id;
        // Rows as an older Jarvis saved them: names its rules let through, keys only lower-cased.
        let quoted = |text: Option<&str>| text.map_or("NULL".to_string(), |t| format!("'{}'", t.replace('\'', "''")));
        for (id, name, key, provider) in [
            (joined, "Tar\u{200D}get", "tar\u{200D}get", Some("Name\u{200D}cheap")),
            (cloud, "Ｃｌｏｕｄ", "ｃｌｏｕｄ", None),
        ] {
            db.raw_execute(&format!(
                "UPDATE items SET name = {}, name_key = {}, provider = {} WHERE id = {id}",
                quoted(Some(name)),
                quoted(Some(key)),
                quoted(provider)
            ))
            .await;
        }
        // An older Jarvis never noted which rules made its keys.
        db.raw_execute("DELETE FROM store_state WHERE key = 'name_key_rules'").await;
        let keys = || async {
            let rows: Vec<(i64, String, String)> = db.raw_fetch("SELECT id, name, name_key FROM items ORDER BY id").await;
            rows
        };
        let renamed = format!("Tar\u{200D}get (#{joined})");

        // Opening the database brings the keys up to date, keeping both look-alikes.
        let app = jarvis::app::App::new(
            jarvis::store::Store::open(&db.url).await.unwrap(),
            std::sync::Arc::new(jarvis::app::FixedClock(NOW.parse().unwrap())),
        );
        let expected = vec![
            (target, "Target".to_string(), "target".to_string()),
            (joined, renamed.clone(), format!("target (#{joined})")),
            (cloud, "Ｃｌｏｕｄ".to_string(), "cloud".to_string()),
        ];
        assert_eq!(keys().await, expected);
        let log = app.audit_log(&local, PageRequest::first(100).unwrap()).await.unwrap().entries;
        let renames: Vec<_> = log.iter().filter(|e| e.action == "item.rename").collect();
        assert_eq!(renames.len(), 1, "{log:?}");
        assert_eq!(renames[0].actor, "jarvis");
        assert_eq!(renames[0].entity_id.as_deref(), Some(joined.to_string().as_str()));
        assert_eq!(renames[0].before.as_ref().unwrap()["name"], "Tar\u{200D}get");
        assert_eq!(renames[0].after.as_ref().unwrap()["name"], renamed.as_str());

        // Old names and labels still read and work; the new keys count for duplicates and lookups.
        let shown = app.show_item(&local, &ItemRef::new("target")).await.unwrap();
        assert_eq!(shown.item.id, target);
        let old = app.show_item(&local, &ItemRef::new(format!("#{joined}"))).await.unwrap();
        assert_eq!(old.item.provider.as_deref(), Some("Name\u{200D}cheap"));
        let edit = ItemChanges { cost: Some(dec("6")), ..Default::default() };
        app.edit_item(&local, &Actor::Cli, &ItemRef::new(format!("#{joined}")), &edit).await.unwrap();
        let error = user_error(app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("cloud", "1")).await);
        assert!(matches!(error, UserError::Duplicate { id, .. } if id == cloud), "{error}");

        // Opening it again changes nothing.
        let entries = log.len();
        let again = jarvis::store::Store::open(&db.url).await.unwrap();
        again.close().await;
        assert_eq!(keys().await, expected);
        assert_eq!(
            app.audit_log(&local, PageRequest::first(100).unwrap()).await.unwrap().entries.len(),
            entries + 1,
            "only the edit was added"
        );
    }
}

on_both_backends! {
    async fn removing_keeps_history_and_frees_the_name(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        let item = app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("api", "50")).await.unwrap();
        app.record_cost(&local, &Actor::Cli, &cost_input("api", "50")).await.unwrap();
        app.remove_item(&local, &Actor::Cli, &ItemRef::new("api")).await.unwrap();

        assert!(app.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap().items.is_empty());
        let history = app.cost_history(&local, None, None, None, PageRequest::default()).await.unwrap();
        assert_eq!(history.records.len(), 1);
        assert_eq!(history.records[0].item, "api");
        let export = app.export_data(&local).await.unwrap();
        assert!(export.items[0].removed_at.is_some());

        let again = app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("api", "60")).await.unwrap();
        assert_ne!(again.item.id, item.item.id);
        let error = user_error(app.remove_item(&local, &Actor::Cli, &ItemRef::new(item.item.id.to_string())).await);
        assert!(error.to_string().starts_with(&format!("No item `{}`", item.item.id)), "{error}");
    }
}

on_both_backends! {
    async fn one_workspace_can_neither_see_nor_change_another_workspaces_items(db) {
        let app = db.app_at(NOW);
        let (alpha, beta) = (ws("111111111111111111"), ws("222222222222222222"));
        let secret =
            app.add_item(&alpha, &Actor::User("1".into()), Kind::AiProvider, &named("OpenAI", "20")).await.unwrap();
        app.set_rate(&alpha, &Actor::Cli, Currency::USD, Currency::parse("THB").unwrap(), dec("35"), None).await.unwrap();
        let by_id = ItemRef::new(format!("#{}", secret.item.id));
        let by_name = ItemRef::new("OpenAI");

        assert!(app.list_items(&beta, ItemFilter::default(), PageRequest::default()).await.unwrap().items.is_empty());
        for reference in [&by_id, &by_name] {
            assert!(matches!(user_error(app.show_item(&beta, reference).await), UserError::NotFound { .. }));
            let edit = ItemChanges { cost: Some(dec("0")), ..Default::default() };
            assert!(matches!(
                user_error(app.edit_item(&beta, &Actor::Cli, reference, &edit).await),
                UserError::NotFound { .. }
            ));
            assert!(matches!(user_error(app.remove_item(&beta, &Actor::Cli, reference).await), UserError::NotFound { .. }));
            let mut input = cost_input("", "5");
            input.item = reference.clone();
            assert!(matches!(user_error(app.record_cost(&beta, &Actor::Cli, &input).await), UserError::NotFound { .. }));
        }
        // Suggestions never leak the other workspace's names.
        let error = user_error(app.show_item(&beta, &ItemRef::new("OpenAl")).await);
        assert_eq!(error.to_string(), "No item `OpenAl` in this workspace; list them with `item list`");
        assert!(app.cost_history(&beta, None, None, None, PageRequest::default()).await.unwrap().records.is_empty());
        assert!(app.list_rates(&beta).await.unwrap().is_empty());
        assert!(app.audit_log(&beta, PageRequest::first(100).unwrap()).await.unwrap().entries.is_empty());

        // And alpha's item is untouched.
        let shown = app.show_item(&alpha, &by_id).await.unwrap();
        assert_eq!(shown.item.cost.0.amount, dec("20"));
    }
}

on_both_backends! {
    async fn every_change_is_audited_with_before_and_after(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        let admin = Actor::User("424242".into());
        app.add_item(&local, &admin, Kind::Package, &named("GitHub Team", "20")).await.unwrap();
        let edit = ItemChanges { cost: Some(dec("25")), ..Default::default() };
        app.edit_item(&local, &Actor::Cli, &ItemRef::new("GitHub Team"), &edit).await.unwrap();
        app.record_cost(&local, &Actor::Cli, &cost_input("GitHub Team", "25")).await.unwrap();
        app.set_rate(&local, &Actor::Cli, Currency::USD, Currency::parse("EUR").unwrap(), dec("0.92"), None).await.unwrap();
        app.set_setting(&local, &Actor::Cli, SettingKey::Timezone, "Asia/Bangkok").await.unwrap();
        app.remove_item(&local, &Actor::Cli, &ItemRef::new("GitHub Team")).await.unwrap();

        let log = app.audit_log(&local, PageRequest::first(100).unwrap()).await.unwrap().entries;
        let actions: Vec<(&str, &str)> = log.iter().rev().map(|e| (e.action.as_str(), e.actor.as_str())).collect();
        assert_eq!(
            actions,
            [
                ("item.add", "424242"),
                ("item.edit", "cli"),
                ("cost.record", "cli"),
                ("rate.set", "cli"),
                ("settings.set", "cli"),
                ("item.remove", "cli")
            ]
        );
        let edit_entry = log.iter().find(|e| e.action == "item.edit").unwrap();
        assert_eq!(edit_entry.before.as_ref().unwrap()["cost"]["amount"], "20.00");
        assert_eq!(edit_entry.after.as_ref().unwrap()["cost"]["amount"], "25.00");
        let settings_entry = log.iter().find(|e| e.action == "settings.set").unwrap();
        assert_eq!(settings_entry.before.as_ref().unwrap()["timezone"], "UTC");
        assert_eq!(settings_entry.after.as_ref().unwrap()["timezone"], "Asia/Bangkok");
    }
}

on_both_backends! {
    async fn refused_changes_write_nothing(db) {
        let app = db.app_at(NOW);
        let local = ws("local");
        app.add_item(&local, &Actor::Cli, Kind::Other, &named("thing", "10")).await.unwrap();
        let before = app.export_data(&local).await.unwrap();
        let audit_before = app.audit_log(&local, PageRequest::first(100).unwrap()).await.unwrap().entries.len();

        let bad_edits = [
            ItemChanges { period: Some(BillingPeriod::OneTime), auto_renew: Some(true), ..Default::default() },
            ItemChanges { registrar: Some(None), ..Default::default() },
            ItemChanges::default(),
        ];
        for edit in &bad_edits {
            user_error(app.edit_item(&local, &Actor::Cli, &ItemRef::new("thing"), edit).await);
        }
        user_error(app.set_setting(&local, &Actor::Cli, SettingKey::Currency, "DOGE").await);
        let mut future = cost_input("thing", "10");
        future.period = CostPeriod::PaidOn(d("2027-01-01"));
        user_error(app.record_cost(&local, &Actor::Cli, &future).await);
        let mut job_source = cost_input("thing", "10");
        job_source.source = CostSource::Renewal;
        user_error(app.record_cost(&local, &Actor::Cli, &job_source).await);

        let after = app.export_data(&local).await.unwrap();
        assert_eq!(serde_json::to_value(&after.items).unwrap(), serde_json::to_value(&before.items).unwrap());
        assert!(after.history.is_empty());
        assert_eq!(app.audit_log(&local, PageRequest::first(100).unwrap()).await.unwrap().entries.len(), audit_before);
        assert_eq!(app.settings(&local).await.unwrap().settings.base_currency, Currency::USD);
    }
}

on_both_backends! {
    async fn totals_convert_with_dated_rates_and_name_missing_pairs(db) {
        let local = ws("local");
        let app = db.app_at(NOW);
        let thb = Currency::parse("THB").unwrap();
        let internet = ItemChanges { currency: Some(thb), ..named("Office internet", "1290") };
        app.add_item(&local, &Actor::Cli, Kind::Other, &internet).await.unwrap();
        app.add_item(&local, &Actor::Cli, Kind::Hosting, &named("api", "100")).await.unwrap();

        let list = app.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap();
        assert_eq!(list.totals.total_monthly_cost.to_string(), "100.00 USD");
        assert_eq!(list.totals.items_left_out, 1);
        assert_eq!(list.warnings.len(), 1);
        let warning = english(&list.warnings[0]);
        assert!(warning.starts_with("THB amounts for 2026-11-30 are left out of USD totals: no rate between THB and USD is set. Run `jarvis rate set THB USD <rate> --date 2026-11-30`"), "{warning}");
        let internet_view = list.items.iter().find(|i| i.name == "Office internet").unwrap();
        assert_eq!(internet_view.monthly_cost_base, None, "never a silent 1:1");

        app.set_rate(&local, &Actor::Cli, Currency::USD, thb, dec("34.4"), Some(d("2026-01-01"))).await.unwrap();
        app.set_rate(&local, &Actor::Cli, Currency::USD, thb, dec("35.2"), Some(d("2026-11-01"))).await.unwrap();
        let list = app.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap();
        assert!(list.warnings.is_empty());
        assert_eq!(list.totals.total_monthly_cost.to_string(), "136.65 USD"); // 100 + 1290 / 35.2
        assert_eq!(list.totals.by_category["other"]["amount"], "36.65");

        // History converts at the rate in force when the cost was incurred.
        let mut october = cost_input("Office internet", "1290");
        october.period = CostPeriod::Month(Month::new(2026, 10).unwrap());
        let record = app.record_cost(&local, &Actor::Cli, &october).await.unwrap();
        assert_eq!(record.amount_base.unwrap().to_string(), "37.50 USD"); // 1290 / 34.4

        // Changing the base currency converts the other way.
        app.set_setting(&local, &Actor::Cli, SettingKey::Currency, "THB").await.unwrap();
        let list = app.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap();
        assert_eq!(list.totals.total_monthly_cost.to_string(), "4,810.00 THB"); // 100 * 35.2 + 1290
    }
}

on_both_backends! {
    async fn renewal_job_charges_each_passed_renewal_exactly_once(db) {
        let local = ws("local");
        let setup = db.app_at("2026-01-10T09:00:00Z");
        let changes =
            ItemChanges { renewal_date: Some(Some(d("2026-01-31"))), auto_renew: Some(true), ..named("api", "30") };
        setup.add_item(&local, &Actor::Cli, Kind::Hosting, &changes).await.unwrap();
        let yearly =
            ItemChanges { renewal_date: Some(Some(d("2026-02-28"))), auto_renew: Some(true), ..named("acme.com", "12") };
        setup.add_item(&local, &Actor::Cli, Kind::Domain, &yearly).await.unwrap();

        // Nothing is due before the date passes.
        let report = db.app_at("2026-01-31T09:00:00Z").run_jobs(&local).await.unwrap();
        assert!(report.renewals.is_empty());

        // Two months of downtime: Jan 31 and Feb 28 renewals of the monthly item, Feb 28 of the domain.
        let later = db.app_at("2026-03-05T09:00:00Z");
        let report = later.run_jobs(&local).await.unwrap();
        let charged: Vec<(String, NaiveDate, String)> =
            report.renewals.iter().map(|c| (c.item.clone(), c.period_start, c.amount.to_string())).collect();
        assert_eq!(
            charged,
            [
                ("api".to_string(), d("2026-01-31"), "30.00 USD".to_string()),
                ("api".to_string(), d("2026-02-28"), "30.00 USD".to_string()),
                ("acme.com".to_string(), d("2026-02-28"), "12.00 USD".to_string()),
            ]
        );
        let api = later.show_item(&local, &ItemRef::new("api")).await.unwrap();
        assert_eq!(api.item.renewal_date, Some(d("2026-03-31")), "anchored to the 31st again");
        let domain = later.show_item(&local, &ItemRef::new("acme.com")).await.unwrap();
        assert_eq!(domain.item.renewal_date, Some(d("2027-02-28")));

        // Running again, the same day or a week later, charges nothing new.
        assert!(later.run_jobs(&local).await.unwrap().renewals.is_empty());
        assert!(db.app_at("2026-03-12T09:00:00Z").run_jobs(&local).await.unwrap().renewals.is_empty());
        let renewals: Vec<_> = later
            .cost_history(&local, None, None, None, PageRequest::default())
            .await
            .unwrap()
            .records
            .into_iter()
            .filter(|r| r.source == CostSource::Renewal)
            .collect();
        assert_eq!(renewals.len(), 3);
        let log = later.audit_log(&local, PageRequest::first(100).unwrap()).await.unwrap().entries;
        assert_eq!(log.iter().filter(|e| e.action == "renewal.charge" && e.actor == "jarvis").count(), 2);
    }
}

on_both_backends! {
    async fn renewal_of_a_metered_item_charges_its_usage_and_restarts_the_meter(db) {
        let local = ws("local");
        let app = db.app_at("2026-10-20T09:00:00Z");
        let changes = ItemChanges {
            period: Some(BillingPeriod::UsageBased),
            unit_price: Some(Some(dec("0.002"))),
            free_tier: Some(Some(dec("1000"))),
            usage: Some(dec("6000")),
            renewal_date: Some(Some(d("2026-11-01"))),
            auto_renew: Some(true),
            ..named("OpenAI", "0")
        };
        app.add_item(&local, &Actor::Cli, Kind::AiProvider, &changes).await.unwrap();
        let later = db.app_at("2026-11-02T09:00:00Z");
        let report = later.run_jobs(&local).await.unwrap();
        assert_eq!(report.renewals.len(), 1);
        assert_eq!(report.renewals[0].amount.to_string(), "10.00 USD"); // (6000 - 1000) x 0.002
        let shown = later.show_item(&local, &ItemRef::new("OpenAI")).await.unwrap();
        assert_eq!(shown.item.usage.as_ref().unwrap().used, dec("0"));
        assert_eq!(shown.history[0].usage.as_ref().unwrap().used, dec("6000"));
    }
}

on_both_backends! {
    async fn month_close_fills_elapsed_months_once(db) {
        let local = ws("local");
        let setup = db.app_at("2026-08-11T09:00:00Z");
        setup.add_item(&local, &Actor::Cli, Kind::Hosting, &named("api", "31")).await.unwrap();
        setup
            .add_item(
                &local,
                &Actor::Cli,
                Kind::Package,
                &ItemChanges { period: Some(BillingPeriod::Yearly), ..named("notion", "120") },
            )
            .await
            .unwrap();
        // September was recorded by hand; month close must not add to it.
        let mut september = cost_input("api", "29");
        september.period = CostPeriod::Month(Month::new(2026, 9).unwrap());
        db.app_at("2026-10-02T09:00:00Z").record_cost(&local, &Actor::Cli, &september).await.unwrap();

        let app = db.app_at("2026-11-30T23:00:00Z");
        let report = app.run_jobs(&local).await.unwrap();
        let written: Vec<(String, NaiveDate, NaiveDate, String)> = report
            .month_close
            .iter()
            .map(|c| (c.item.clone(), c.period_start, c.period_end, c.amount.to_string()))
            .collect();
        assert_eq!(
            written,
            [
                ("api".to_string(), d("2026-08-11"), d("2026-08-31"), "21.00 USD".to_string()), // 21 of 31 days
                ("api".to_string(), d("2026-10-01"), d("2026-10-31"), "31.00 USD".to_string()),
                ("notion".to_string(), d("2026-08-11"), d("2026-08-31"), "6.77 USD".to_string()),
                ("notion".to_string(), d("2026-09-01"), d("2026-09-30"), "10.00 USD".to_string()),
                ("notion".to_string(), d("2026-10-01"), d("2026-10-31"), "10.00 USD".to_string()),
            ]
        );
        assert!(app.run_jobs(&local).await.unwrap().month_close.is_empty(), "second run writes nothing");
        // The next month closes once it has elapsed.
        let december = db.app_at("2026-12-01T00:30:00Z").run_jobs(&local).await.unwrap();
        assert_eq!(december.month_close.len(), 2);
        assert!(december.month_close.iter().all(|c| c.period_start == d("2026-11-01")));
    }
}

on_both_backends! {
    async fn today_follows_the_workspace_timezone(db) {
        let local = ws("local");
        // 20:00 UTC on Nov 30 is already Dec 1 in Bangkok.
        let app = db.app_at("2026-11-30T20:00:00Z");
        let changes = ItemChanges { renewal_date: Some(Some(d("2026-11-30"))), ..named("acme.dev", "10") };
        app.add_item(&local, &Actor::Cli, Kind::Domain, &changes).await.unwrap();
        let utc = app.show_item(&local, &ItemRef::new("acme.dev")).await.unwrap();
        assert_eq!(utc.item.status, Status::Expiring);
        app.set_setting(&local, &Actor::Cli, SettingKey::Timezone, "Asia/Bangkok").await.unwrap();
        let bangkok = app.show_item(&local, &ItemRef::new("acme.dev")).await.unwrap();
        assert_eq!(bangkok.item.status, Status::Expired);
        assert_eq!(bangkok.item.days_until_renewal, Some(-1));
    }
}

on_both_backends! {
    async fn not_found_suggests_close_names(db) {
        let local = ws("local");
        let app = db.app_at(NOW);
        app.add_item(&local, &Actor::Cli, Kind::Domain, &named("acme.com", "12")).await.unwrap();
        app.add_item(&local, &Actor::Cli, Kind::AiProvider, &named("Anthropic", "20")).await.unwrap();
        let error = user_error(app.show_item(&local, &ItemRef::new("acme.con")).await);
        assert_eq!(error.to_string(), "No item `acme.con` in this workspace; did you mean `acme.com`?");
        let error = user_error(app.show_item(&local, &ItemRef::new("#999")).await);
        assert!(error.to_string().starts_with("No item `#999` in this workspace"), "{error}");
    }
}

on_both_backends! {
    async fn the_demo_fills_a_realistic_year_and_refuses_a_used_workspace(db) {
        let demo = ws("demo");
        let app = db.app_at(NOW);
        let list = app.load_demo(&demo, &Actor::Cli).await.unwrap();
        assert!(list.items.len() >= 14);
        let kinds: std::collections::BTreeSet<Kind> = list.items.iter().map(|i| i.kind).collect();
        assert_eq!(kinds.len(), Kind::ALL.len(), "every kind is represented");
        let registrars: std::collections::BTreeSet<_> = list.items.iter().filter_map(|i| i.registrar.clone()).collect();
        assert_eq!(registrars.len(), 2);
        assert!(list.warnings.is_empty(), "the demo sets the rates it needs");

        let everything = PageRequest::first(PageRequest::MAX_SIZE).unwrap();
        let history = app.cost_history(&demo, None, None, None, everything).await.unwrap();
        assert_eq!(history.records.len() as u64, history.paging.total, "all on one page");
        let months: std::collections::BTreeSet<Month> = history.records.iter().map(|r| Month::of(r.period_start)).collect();
        assert_eq!(months.len(), 12);
        let monthly_totals: Vec<rust_decimal::Decimal> = months
            .iter()
            .map(|m| {
                history
                    .records
                    .iter()
                    .filter(|r| Month::of(r.period_start) == *m)
                    .map(|r| r.amount_base.unwrap().amount)
                    .sum()
            })
            .collect();
        assert!(monthly_totals.last() > monthly_totals.first(), "costs grow: {monthly_totals:?}");
        let max = monthly_totals.iter().max().unwrap();
        assert_ne!(Some(max), monthly_totals.last(), "one month spikes above the latest: {monthly_totals:?}");

        let error = user_error(app.load_demo(&demo, &Actor::Cli).await);
        assert!(error.to_string().contains("already has 15 items,"), "{error}");
        // One item is one item.
        let one = ws("one");
        app.add_item(&one, &Actor::Cli, Kind::Hosting, &named("api", "10")).await.unwrap();
        let error = user_error(app.load_demo(&one, &Actor::Cli).await);
        assert!(error.to_string().contains("Workspace `one` already has 1 item,"), "{error}");
    }
}

#[tokio::test]
async fn the_database_file_is_created_on_first_use_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    let store = jarvis::store::Store::open(path.to_str().unwrap()).await.unwrap();
    assert!(path.exists());
    let app = jarvis::app::App::new(store.clone(), std::sync::Arc::new(jarvis::app::FixedClock(NOW.parse().unwrap())));
    app.add_item(&ws("local"), &Actor::Cli, Kind::Other, &named("x", "1")).await.unwrap();
    assert!(dir.path().join("nested-name.db-wal").exists(), "journal_mode=WAL");
    store.close().await;
    // Opening it again applies no migration twice and keeps the data.
    let store = jarvis::store::Store::open(path.to_str().unwrap()).await.unwrap();
    let app = jarvis::app::App::new(store, std::sync::Arc::new(jarvis::app::FixedClock(NOW.parse().unwrap())));
    assert_eq!(
        app.list_items(&ws("local"), ItemFilter::default(), PageRequest::default()).await.unwrap().items.len(),
        1
    );
}

/// (start, end, amount) of every record of the workspace, by period.
async fn history_rows(
    app: &jarvis::app::App,
    workspace: &jarvis::domain::workspace::WorkspaceId,
) -> Vec<(String, String, String)> {
    let history = app.cost_history(workspace, None, None, None, PageRequest::default()).await.unwrap();
    history
        .records
        .iter()
        .map(|r| (r.period_start.to_string(), r.period_end.to_string(), r.amount.to_string()))
        .collect()
}

fn rows(expected: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
}

on_both_backends! {
    async fn a_suspension_is_not_billed_and_what_came_before_is(db) {
        let local = ws("local");
        db.app_at("2026-10-01T09:00:00Z").add_item(&local, &Actor::Cli, Kind::Hosting, &named("box", "31")).await.unwrap();
        let suspend = ItemChanges { status: Some(jarvis::domain::item::ManualStatus::Suspended), ..Default::default() };
        db.app_at("2026-10-05T09:00:00Z").edit_item(&local, &Actor::Cli, &ItemRef::new("box"), &suspend).await.unwrap();
        let resume = ItemChanges { status: Some(jarvis::domain::item::ManualStatus::Active), ..Default::default() };
        db.app_at("2026-12-15T09:00:00Z").edit_item(&local, &Actor::Cli, &ItemRef::new("box"), &resume).await.unwrap();
        db.app_at("2026-12-16T09:00:00Z").run_jobs(&local).await.unwrap();
        let app = db.app_at("2027-01-02T09:00:00Z");
        app.run_jobs(&local).await.unwrap();
        assert_eq!(
            history_rows(&app, &local).await,
            rows(&[("2026-10-01", "2026-10-04", "4.00 USD"), ("2026-12-15", "2026-12-31", "17.00 USD")])
        );
    }
}

on_both_backends! {
    async fn removing_an_item_records_its_last_partial_month(db) {
        let local = ws("local");
        db.app_at("2026-10-01T09:00:00Z").add_item(&local, &Actor::Cli, Kind::Hosting, &named("box", "30")).await.unwrap();
        db.app_at("2026-11-02T09:00:00Z").run_jobs(&local).await.unwrap();
        let app = db.app_at("2026-11-20T09:00:00Z");
        app.remove_item(&local, &Actor::Cli, &ItemRef::new("box")).await.unwrap();
        db.app_at("2026-12-02T09:00:00Z").run_jobs(&local).await.unwrap();
        assert_eq!(
            history_rows(&app, &local).await,
            rows(&[("2026-10-01", "2026-10-31", "30.00 USD"), ("2026-11-01", "2026-11-19", "19.00 USD")])
        );
    }
}

on_both_backends! {
    async fn a_price_change_bills_each_part_of_the_month_at_its_price(db) {
        let local = ws("local");
        db.app_at("2026-11-01T09:00:00Z")
            .add_item(&local, &Actor::Cli, Kind::Package, &named("seats", "30"))
            .await
            .unwrap();
        let raise = ItemChanges { cost: Some(dec("60")), ..Default::default() };
        db.app_at("2026-11-16T09:00:00Z").edit_item(&local, &Actor::Cli, &ItemRef::new("seats"), &raise).await.unwrap();
        let app = db.app_at("2026-12-01T09:00:00Z");
        app.run_jobs(&local).await.unwrap();
        assert_eq!(
            history_rows(&app, &local).await,
            rows(&[("2026-11-01", "2026-11-15", "15.00 USD"), ("2026-11-16", "2026-11-30", "30.00 USD")])
        );
        // A usage reading is not a change of terms: nothing is closed early.
        let reading = ItemChanges { usage: Some(dec("5")), ..Default::default() };
        app.edit_item(&local, &Actor::Cli, &ItemRef::new("seats"), &reading).await.unwrap();
        assert_eq!(history_rows(&app, &local).await.len(), 2);
    }
}

on_both_backends! {
    async fn a_cycle_recorded_by_hand_is_not_charged_again(db) {
        let local = ws("local");
        let setup = db.app_at("2026-10-01T09:00:00Z");
        let changes =
            ItemChanges { renewal_date: Some(Some(d("2026-10-12"))), auto_renew: Some(true), ..named("GH", "20") };
        setup.add_item(&local, &Actor::Cli, Kind::Package, &changes).await.unwrap();
        let mut invoice = cost_input("GH", "20");
        invoice.period = CostPeriod::PaidOn(d("2026-10-12"));
        let recorded = db.app_at("2026-10-20T09:00:00Z").record_cost(&local, &Actor::Cli, &invoice).await.unwrap();
        assert_eq!((recorded.period_start, recorded.period_end), (d("2026-10-12"), d("2026-11-11")), "the cycle it paid");
        let app = db.app_at("2026-11-02T09:00:00Z");
        let report = app.run_jobs(&local).await.unwrap();
        assert!(report.renewals.is_empty(), "{:?}", report.renewals);
        assert_eq!(app.show_item(&local, &ItemRef::new("GH")).await.unwrap().item.renewal_date, Some(d("2026-11-12")));
        // October: Oct 1-11 by month close, then the invoice. Nothing is counted twice.
        assert_eq!(
            history_rows(&app, &local).await,
            rows(&[("2026-10-01", "2026-10-11", "7.10 USD"), ("2026-10-12", "2026-11-11", "20.00 USD")])
        );
    }
}

on_both_backends! {
    async fn a_bare_number_that_is_also_a_name_is_ambiguous(db) {
        let local = ws("local");
        let app = db.app_at(NOW);
        let first = app.add_item(&local, &Actor::Cli, Kind::Domain, &named("acme.com", "12")).await.unwrap();
        let named_one =
            app.add_item(&local, &Actor::Cli, Kind::Other, &named(&first.item.id.to_string(), "1")).await.unwrap();
        let error = user_error(app.remove_item(&local, &Actor::Cli, &ItemRef::new(first.item.id.to_string())).await);
        assert!(error.to_string().contains("matches several items"), "{error}");
        // `#N` is always the id; the name alone finds the other.
        let by_id = app.show_item(&local, &ItemRef::new(format!("#{}", first.item.id))).await.unwrap();
        assert_eq!(by_id.item.name, "acme.com");
        let by_kind =
            app.show_item(&local, &ItemRef::new(first.item.id.to_string()).with_kind(Some(Kind::Other))).await.unwrap();
        assert_eq!(by_kind.item.id, named_one.item.id);
    }
}

on_both_backends! {
    async fn a_removed_item_can_be_restored(db) {
        let local = ws("local");
        let app = db.app_at(NOW);
        let added = app.add_item(&local, &Actor::Cli, Kind::Cdn, &named("Cloudflare", "20")).await.unwrap();
        app.remove_item(&local, &Actor::Cli, &ItemRef::new("cloudflare")).await.unwrap();
        let restored = app.restore_item(&local, &Actor::Cli, &ItemRef::new("Cloudflare")).await.unwrap();
        assert_eq!(restored.id, added.item.id);
        assert!(restored.removed_at.is_none());
        assert_eq!(app.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap().items.len(), 1);
        // Restoring again finds nothing removed; a live item of the same name blocks a restore.
        assert!(matches!(
            user_error(app.restore_item(&local, &Actor::Cli, &ItemRef::new("Cloudflare")).await),
            UserError::NotFound { .. }
        ));
        app.remove_item(&local, &Actor::Cli, &ItemRef::new("Cloudflare")).await.unwrap();
        app.add_item(&local, &Actor::Cli, Kind::Cdn, &named("cloudflare", "25")).await.unwrap();
        let error = user_error(app.restore_item(&local, &Actor::Cli, &ItemRef::new(format!("#{}", added.item.id))).await);
        assert!(matches!(error, UserError::Duplicate { .. }), "{error}");
    }
}

on_both_backends! {
    async fn a_rate_set_for_a_later_day_is_not_used_earlier(db) {
        let local = ws("local");
        let app = db.app_at(NOW);
        let thb = Currency::parse("THB").unwrap();
        app.add_item(&local, &Actor::Cli, Kind::Other, &ItemChanges { currency: Some(thb), ..named("internet", "1290") })
            .await
            .unwrap();
        app.set_rate(&local, &Actor::Cli, Currency::USD, thb, dec("35"), Some(d("2027-06-01"))).await.unwrap();
        let list = app.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap();
        assert_eq!(list.totals.items_left_out, 1);
        let warning = english(&list.warnings[0]);
        assert!(warning.contains("the earliest rate between THB and USD is dated 2027-06-01"), "{warning}");
        assert!(warning.contains("`jarvis rate set THB USD <rate> --date 2026-11-30`"), "{warning}");
    }
}

on_both_backends! {
    async fn jobs_in_every_workspace_carry_on_past_a_broken_one(db) {
        let app = db.app_at("2026-10-01T09:00:00Z");
        for workspace in ["a", "broken", "c"] {
            app.add_item(&ws(workspace), &Actor::Cli, Kind::Hosting, &named("box", "31")).await.unwrap();
        }
        // Damage one workspace behind Jarvis's back.
        db.raw_execute("UPDATE workspaces SET timezone = 'Mars/Olympus' WHERE id = 'broken'").await;

        let reports = db.app_at("2026-11-02T09:00:00Z").run_jobs_everywhere().await.unwrap();
        let outcome: Vec<(&str, usize, bool)> =
            reports.iter().map(|r| (r.workspace.as_str(), r.month_close.len(), r.error.is_some())).collect();
        assert_eq!(outcome, [("a", 1, false), ("broken", 0, true), ("c", 1, false)]);
    }
}

on_both_backends! {
    async fn history_totals_count_only_the_days_asked_about(db) {
        let local = ws("local");
        let app = db.app_at(NOW);
        app.add_item(&local, &Actor::Cli, Kind::Domain, &named("acme.com", "365")).await.unwrap();
        let mut yearly = cost_input("acme.com", "365");
        yearly.period = CostPeriod::PaidOn(d("2026-01-01"));
        app.record_cost(&local, &Actor::Cli, &yearly).await.unwrap();
        let november = app
            .cost_history(&local, None, Some(d("2026-11-01")), Some(d("2026-11-30")), PageRequest::default())
            .await
            .unwrap();
        assert_eq!(november.records.len(), 1);
        assert_eq!(november.total.to_string(), "30.00 USD");
        let error = user_error(
            app.cost_history(&local, None, Some(d("2026-12-01")), Some(d("2026-11-01")), PageRequest::default()).await,
        );
        assert!(error.to_string().contains("swap them"), "{error}");
    }
}

fn usage_item(name: &str) -> ItemChanges {
    ItemChanges {
        pricing_model: Some(jarvis::domain::item::PricingModel::PayPerUse),
        unit_price: Some(Some(dec("1"))),
        ..ItemChanges { name: Some(jarvis::domain::text::ItemName::parse(name).unwrap()), ..Default::default() }
    }
}

fn set_usage(units: &str) -> ItemChanges {
    ItemChanges { usage: Some(dec(units)), ..Default::default() }
}

fn total(history: &jarvis::app::views::CostHistory) -> String {
    history.total.to_string()
}

on_both_backends! {
    async fn restoring_does_not_charge_renewals_that_passed_while_removed(db) {
        let local = ws("local");
        let sub = ItemChanges { renewal_date: Some(Some(d("2026-11-20"))), auto_renew: Some(true), ..named("Sub", "30") };
        db.app_at("2026-11-05T09:00:00Z").add_item(&local, &Actor::Cli, Kind::Other, &sub).await.unwrap();
        db.app_at("2026-11-10T09:00:00Z").remove_item(&local, &Actor::Cli, &ItemRef::new("Sub")).await.unwrap();
        let app = db.app_at("2027-02-10T09:00:00Z");
        let restored = app.restore_item(&local, &Actor::Cli, &ItemRef::new("Sub")).await.unwrap();
        assert_eq!(restored.renewal_date, Some(d("2027-02-20")));
        let report = app.run_jobs(&local).await.unwrap();
        assert!(report.renewals.is_empty(), "{:?}", report.renewals);
        // Only Nov 5-9, billed when it was removed.
        assert_eq!(history_rows(&app, &local).await, rows(&[("2026-11-05", "2026-11-09", "5.00 USD")]));
    }
}

on_both_backends! {
    async fn recording_over_jarvis_charges_needs_replace_and_never_double_counts(db) {
        let local = ws("local");
        let vps = ItemChanges { renewal_date: Some(Some(d("2026-10-12"))), auto_renew: Some(true), ..named("VPS", "20") };
        db.app_at("2026-10-01T09:00:00Z").add_item(&local, &Actor::Cli, Kind::Hosting, &vps).await.unwrap();
        db.app_at("2026-10-13T09:00:00Z").run_jobs(&local).await.unwrap(); // charges Oct 12 - Nov 11
        let app = db.app_at("2026-11-05T09:00:00Z");
        let mut november = cost_input("VPS", "20");
        november.period = CostPeriod::Month(Month::new(2026, 11).unwrap());
        let error = user_error(app.record_cost(&local, &Actor::Cli, &november).await);
        assert!(error.to_string().contains("add --replace"), "{error}");
        november.replace = true;
        app.record_cost(&local, &Actor::Cli, &november).await.unwrap();
        let later = db.app_at("2026-12-02T09:00:00Z");
        later.run_jobs(&local).await.unwrap();
        let nov = later
            .cost_history(&local, None, Some(d("2026-11-01")), Some(d("2026-11-30")), PageRequest::default())
            .await
            .unwrap();
        assert_eq!(total(&nov), "20.00 USD");
        // October keeps its share of the replaced charge (Oct 12-31: 20 x 20/31), plus Oct 1-11.
        let oct = later
            .cost_history(&local, None, Some(d("2026-10-01")), Some(d("2026-10-31")), PageRequest::default())
            .await
            .unwrap();
        assert_eq!(total(&oct), "20.00 USD");
        assert_eq!(
            history_rows(&later, &local).await,
            rows(&[
                ("2026-10-01", "2026-10-11", "7.10 USD"),
                ("2026-10-12", "2026-10-31", "12.90 USD"),
                ("2026-11-01", "2026-11-30", "20.00 USD"),
                ("2026-12-01", "2026-12-11", "7.33 USD"),
            ])
        );
        // The replaced charge is gone from history, and its days are not charged again.
        let log = later.audit_log(&local, PageRequest::first(100).unwrap()).await.unwrap().entries;
        assert_eq!(log.iter().filter(|e| e.action == "cost.replace").count(), 1);
    }
}

on_both_backends! {
    async fn a_suspended_usage_item_is_billed_exactly_its_final_reading(db) {
        let local = ws("local");
        let at = |day: &str| db.app_at(&format!("{day}T09:00:00Z"));
        at("2026-11-10").add_item(&local, &Actor::Cli, Kind::AiProvider, &usage_item("AI")).await.unwrap();
        at("2026-11-14").edit_item(&local, &Actor::Cli, &ItemRef::new("AI"), &set_usage("5")).await.unwrap();
        let suspend = ItemChanges { status: Some(jarvis::domain::item::ManualStatus::Suspended), ..Default::default() };
        at("2026-11-15").edit_item(&local, &Actor::Cli, &ItemRef::new("AI"), &suspend).await.unwrap();
        let resume = ItemChanges { status: Some(jarvis::domain::item::ManualStatus::Active), ..Default::default() };
        at("2026-11-20").edit_item(&local, &Actor::Cli, &ItemRef::new("AI"), &resume).await.unwrap();
        // The meter is the provider's count for the cycle: 7 in all.
        at("2026-11-28").edit_item(&local, &Actor::Cli, &ItemRef::new("AI"), &set_usage("7")).await.unwrap();
        let app = at("2026-12-02");
        app.run_jobs(&local).await.unwrap();
        assert_eq!(
            history_rows(&app, &local).await,
            rows(&[("2026-11-10", "2026-11-14", "5.00 USD"), ("2026-11-20", "2026-11-30", "2.00 USD")])
        );
    }
}

on_both_backends! {
    async fn changing_a_usage_items_terms_bills_its_usage_so_far_once(db) {
        let local = ws("local");
        let at = |day: &str| db.app_at(&format!("{day}T09:00:00Z"));
        at("2026-10-01").add_item(&local, &Actor::Cli, Kind::AiProvider, &usage_item("AI")).await.unwrap();
        at("2026-11-02").run_jobs(&local).await.unwrap();
        at("2026-11-20").edit_item(&local, &Actor::Cli, &ItemRef::new("AI"), &set_usage("30")).await.unwrap();
        // A new billing date mid-cycle: Nov 1-20's 30 units are billed now, the rest at the new date.
        let moved = ItemChanges { renewal_date: Some(Some(d("2026-12-15"))), ..Default::default() };
        at("2026-11-21").edit_item(&local, &Actor::Cli, &ItemRef::new("AI"), &moved).await.unwrap();
        at("2026-12-02").run_jobs(&local).await.unwrap();
        at("2026-12-14").edit_item(&local, &Actor::Cli, &ItemRef::new("AI"), &set_usage("60")).await.unwrap();
        let app = at("2026-12-16");
        app.run_jobs(&local).await.unwrap();
        // 60 units in all over the provider's cycle, 60 USD: never the 30 twice.
        let all = app.cost_history(&local, None, None, None, PageRequest::default()).await.unwrap();
        assert_eq!(total(&all), "60.00 USD");
        assert_eq!(
            history_rows(&app, &local).await,
            rows(&[("2026-11-01", "2026-11-20", "30.00 USD"), ("2026-11-21", "2026-12-14", "30.00 USD")])
        );
    }
}

on_both_backends! {
    async fn switching_a_usage_item_to_a_subscription_keeps_its_usage(db) {
        let local = ws("local");
        let at = |day: &str| db.app_at(&format!("{day}T09:00:00Z"));
        let changes = ItemChanges { period: Some(BillingPeriod::UsageBased), pricing_model: None, ..usage_item("CR") };
        at("2026-10-01").add_item(&local, &Actor::Cli, Kind::Hosting, &changes).await.unwrap();
        at("2026-11-02").run_jobs(&local).await.unwrap();
        at("2026-11-20").edit_item(&local, &Actor::Cli, &ItemRef::new("CR"), &set_usage("30")).await.unwrap();
        let flat = ItemChanges {
            period: Some(BillingPeriod::Monthly),
            cost: Some(dec("30")),
            clear_usage: true,
            renewal_date: Some(None),
            auto_renew: Some(false),
            ..Default::default()
        };
        at("2026-11-21").edit_item(&local, &Actor::Cli, &ItemRef::new("CR"), &flat).await.unwrap();
        let app = at("2026-12-02");
        app.run_jobs(&local).await.unwrap();
        assert_eq!(
            history_rows(&app, &local).await,
            rows(&[("2026-11-01", "2026-11-20", "30.00 USD"), ("2026-11-21", "2026-11-30", "10.00 USD")])
        );
    }
}

on_both_backends! {
    async fn an_invoice_dated_on_a_usage_billing_day_pays_the_cycle_before(db) {
        let local = ws("local");
        let at = |day: &str| db.app_at(&format!("{day}T09:00:00Z"));
        at("2026-11-01").add_item(&local, &Actor::Cli, Kind::AiProvider, &usage_item("O")).await.unwrap();
        at("2026-11-30").edit_item(&local, &Actor::Cli, &ItemRef::new("O"), &set_usage("100")).await.unwrap();
        let mut invoice = cost_input("O", "100");
        invoice.period = CostPeriod::PaidOn(d("2026-12-01"));
        invoice.source = CostSource::Usage;
        let recorded = at("2026-12-01").record_cost(&local, &Actor::Cli, &invoice).await.unwrap();
        assert_eq!((recorded.period_start, recorded.period_end), (d("2026-11-01"), d("2026-11-30")));
        let report = at("2026-12-02").run_jobs(&local).await.unwrap();
        assert_eq!(report.skipped.len(), 1, "November was paid by hand");
        at("2026-12-31").edit_item(&local, &Actor::Cli, &ItemRef::new("O"), &set_usage("80")).await.unwrap();
        let app = at("2027-01-02");
        app.run_jobs(&local).await.unwrap();
        assert_eq!(
            history_rows(&app, &local).await,
            rows(&[("2026-11-01", "2026-11-30", "100.00 USD"), ("2026-12-01", "2026-12-31", "80.00 USD")])
        );
    }
}

on_both_backends! {
    async fn a_past_expiry_typed_today_is_respected(db) {
        let local = ws("local");
        db.app_at("2026-10-01T09:00:00Z").add_item(&local, &Actor::Cli, Kind::Other, &named("T", "30")).await.unwrap();
        let ended = ItemChanges { renewal_date: Some(Some(d("2026-11-10"))), ..Default::default() };
        let app = db.app_at("2026-11-30T09:00:00Z");
        let edited = app.edit_item(&local, &Actor::Cli, &ItemRef::new("T"), &ended).await.unwrap();
        assert_eq!(edited.item.status, Status::Expired);
        assert!(edited.notices[0].contains("counts as expired"), "{:?}", edited.notices);
        db.app_at("2026-12-02T09:00:00Z").run_jobs(&local).await.unwrap();
        assert_eq!(
            history_rows(&app, &local).await,
            rows(&[("2026-10-01", "2026-10-31", "30.00 USD"), ("2026-11-01", "2026-11-10", "10.00 USD")])
        );
    }
}

on_both_backends! {
    async fn a_removed_cost_record_leaves_history_and_is_not_charged_again(db) {
        let local = ws("local");
        db.app_at("2026-10-01T09:00:00Z").add_item(&local, &Actor::Cli, Kind::Other, &named("T", "31")).await.unwrap();
        let app = db.app_at("2026-11-02T09:00:00Z");
        let report = app.run_jobs(&local).await.unwrap();
        let id = app.cost_history(&local, None, None, None, PageRequest::default()).await.unwrap().records[0].id;
        assert_eq!(report.month_close.len(), 1);
        let someone = Actor::User("123456789012345678".into());
        app.remove_cost(&local, &someone, id).await.unwrap();
        assert!(app.cost_history(&local, None, None, None, PageRequest::default()).await.unwrap().records.is_empty());
        assert!(app.run_jobs(&local).await.unwrap().month_close.is_empty(), "October stays dealt with");
        // A retried remove says the record is gone already, when and by whom, and that nothing changed.
        assert_eq!(
            user_error(app.remove_cost(&local, &Actor::Cli, id).await).to_string(),
            format!(
                "Cost record #{id} was already removed on 2026-11-02 09:00 UTC by Discord user 123456789012345678, so \
                 nothing changed"
            )
        );
        assert!(matches!(user_error(app.remove_cost(&local, &Actor::Cli, 999).await), UserError::NotFound { .. }));
        // History outlives items: a removed item's history is still reachable by name.
        app.record_cost(&local, &Actor::Cli, &cost_input("T", "31")).await.unwrap();
        app.remove_item(&local, &Actor::Cli, &ItemRef::new("T")).await.unwrap();
        let history = app.cost_history(&local, Some(&ItemRef::new("T")), None, None, PageRequest::default()).await.unwrap();
        assert!(history.records.iter().any(|r| r.source == CostSource::Manual), "{:?}", history.records);
    }
}

on_both_backends! {
    async fn a_one_time_purchase_is_spent_the_day_it_is_added(db) {
        let local = ws("local");
        let app = db.app_at(NOW);
        let license = ItemChanges { period: Some(BillingPeriod::OneTime), ..named("Lifetime license", "499") };
        let added = app.add_item(&local, &Actor::Cli, Kind::Package, &license).await.unwrap();
        assert!(added.notices[0].contains("Recorded the one-time cost of 499.00 USD on 2026-11-30"), "{:?}", added.notices);
        assert_eq!(history_rows(&app, &local).await, rows(&[("2026-11-30", "2026-11-30", "499.00 USD")]));
        let list = app.list_items(&local, ItemFilter::default(), PageRequest::default()).await.unwrap();
        assert_eq!(list.totals.total_monthly_cost.to_string(), "0.00 USD", "not a monthly cost");
    }
}

on_both_backends! {
    async fn the_same_figure_for_the_same_days_is_refused_unless_meant_again(db) {
        let app = db.app_at(NOW);
        let ws = ws("retry");
        app.add_item(&ws, &Actor::Cli, Kind::Package, &named("Target", "20")).await.unwrap();
        let first = app.record_cost(&ws, &Actor::Cli, &cost_input("Target", "5")).await.unwrap();
        // A retry of the same write (its answer lost, say) is refused and names the record it found,
        // with or without --replace; nothing is written.
        for replace in [false, true] {
            let error =
                user_error(app.record_cost(&ws, &Actor::Cli, &CostInput { replace, ..cost_input("Target", "5.00") }).await);
            let text = error.to_string();
            assert!(text.contains(&format!("Cost record #{} already holds 5.00 USD for `Target`", first.id)), "{text}");
            assert!(text.contains("from 2026-10-01 to 2026-10-31") && text.contains("add --again"), "{text}");
        }
        // Another amount, other days, or --again: a record each.
        app.record_cost(&ws, &Actor::Cli, &cost_input("Target", "6")).await.unwrap();
        let september = CostInput { period: CostPeriod::Month(Month::new(2026, 9).unwrap()), ..cost_input("Target", "5") };
        app.record_cost(&ws, &Actor::Cli, &september).await.unwrap();
        app.record_cost(&ws, &Actor::Cli, &CostInput { again: true, ..cost_input("Target", "5") }).await.unwrap();
        let history =
            app.cost_history(&ws, Some(&ItemRef::new("Target")), None, None, PageRequest::default()).await.unwrap();
        let amounts: Vec<String> = history.records.iter().map(|r| r.amount.to_string()).collect();
        assert_eq!(amounts, ["5.00 USD", "5.00 USD", "6.00 USD", "5.00 USD"]);
    }
}

on_both_backends! {
    async fn a_request_key_makes_a_write_happen_once(db) {
        let app = db.app_at(NOW);
        let ws = ws("keys");
        app.add_item(&ws, &Actor::Cli, Kind::Package, &named("Target", "20")).await.unwrap();
        let again = CostInput { again: true, ..cost_input("Target", "5") };
        let key = RequestKey::discord(1_200_000_000_000_000_001);
        app.keyed(key.clone()).record_cost(&ws, &Actor::Cli, &again).await.unwrap();
        // The same request again (even one that would be allowed twice) writes nothing.
        match app.keyed(key.clone()).record_cost(&ws, &Actor::Cli, &again).await {
            Err(AppError::Repeated(done)) => {
                assert_eq!((done.action.as_str(), done.entity.as_str()), ("cost.record", "cost_record"))
            }
            other => panic!("expected a repeat, got {other:?}"),
        }
        // Whatever the request: the key was used.
        assert!(matches!(
            app.keyed(key.clone()).remove_item(&ws, &Actor::Cli, &ItemRef::new("Target")).await,
            Err(AppError::Repeated(_))
        ));
        let count = |app: &jarvis::app::App| {
            let app = app.clone();
            let ws = ws.clone();
            async move { app.cost_history(&ws, None, None, None, PageRequest::default()).await.unwrap().records.len() }
        };
        assert_eq!(count(&app).await, 1);
        // Another key writes; in another workspace the key means nothing.
        app.keyed(RequestKey::discord(2)).record_cost(&ws, &Actor::Cli, &again).await.unwrap();
        assert_eq!(count(&app).await, 2);
        let other = jarvis::domain::workspace::WorkspaceId::parse("keys-other").unwrap();
        app.keyed(key.clone()).add_item(&other, &Actor::Cli, Kind::Package, &named("Target", "20")).await.unwrap();
        // One request may write more than once: only its first change holds the key.
        let request = app.keyed(RequestKey::discord(3));
        request.add_item(&ws, &Actor::Cli, Kind::Package, &named("Second", "1")).await.unwrap();
        let edit = ItemChanges { cost: Some(dec("2")), ..Default::default() };
        request.edit_item(&ws, &Actor::Cli, &ItemRef::new("Second"), &edit).await.unwrap();
        // Two copies of one request at the same moment: one writes, the other is the repeat.
        let key = RequestKey::discord(4);
        let (first, second) = (app.keyed(key.clone()), app.keyed(key.clone()));
        let (a, b) =
            tokio::join!(first.record_cost(&ws, &Actor::Cli, &again), second.record_cost(&ws, &Actor::Cli, &again));
        assert_eq!([&a, &b].iter().filter(|r| r.is_ok()).count(), 1, "{a:?} {b:?}");
        assert!([a, b].into_iter().any(|r| matches!(r, Err(AppError::Repeated(_)))));
        assert_eq!(count(&app).await, 3);
        // A day later the key is forgotten (and pruned): it may be used again.
        let later = db.app_at("2026-12-01T09:00:01Z");
        assert_eq!(later.prune_request_keys().await.unwrap(), 5);
        later
            .keyed(RequestKey::discord(2))
            .record_cost(&ws, &Actor::Cli, &CostInput { again: true, ..cost_input("Target", "5") })
            .await
            .unwrap();
        assert_eq!(count(&later).await, 4);
    }
}

/// A sentence from the app, worded in English for the command line.
fn english(text: &jarvis::analysis::Text) -> String {
    Renderer::get(Language::English, Flavor::Plain).text(text)
}

on_both_backends! {
    /// The bot's long-lived App keeps what it worked out for a workspace until something it depends
    /// on changes: every kind of change shows at the next read, through the same App.
    async fn one_app_sees_every_change_at_its_next_read(db) {
        let clock = common::ManualClock::at(NOW);
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let local = ws("local");
        let euro = ItemChanges {
            currency: Some(Currency::parse("EUR").unwrap()),
            period: Some(BillingPeriod::Monthly),
            ..named("hetzner", "100")
        };
        app.add_item(&local, &Actor::Cli, Kind::Hosting, &euro).await.unwrap();
        let total = |d: &jarvis::analysis::dashboard::Dashboard| d.total_monthly_cost.to_string();

        let before = app.dashboard(&local, None).await.unwrap();
        assert_eq!(before.items_left_out, 1, "no EUR rate yet");
        assert_eq!(app.dashboard(&local, None).await.unwrap(), before, "an unchanged workspace reads the same");

        // A rate.
        let (eur, usd) = (Currency::parse("EUR").unwrap(), Currency::parse("USD").unwrap());
        app.set_rate(&local, &Actor::Cli, eur, usd, dec("1.1"), Some(d("2026-01-01"))).await.unwrap();
        let rated = app.dashboard(&local, None).await.unwrap();
        assert_eq!((rated.items_left_out, total(&rated)), (0, "110.00 USD".to_string()));

        // A setting: the base currency.
        app.set_setting(&local, &Actor::Cli, SettingKey::Currency, "EUR").await.unwrap();
        assert_eq!(total(&app.dashboard(&local, None).await.unwrap()), "100.00 EUR");

        // A budget.
        assert!(app.budgets(&local).await.unwrap().checks.is_empty());
        app.set_budget(&local, &Actor::Cli, jarvis::domain::budget::BudgetScope::Total, dec("1"), None, None)
            .await
            .unwrap();
        assert_eq!(app.budgets(&local).await.unwrap().checks.len(), 1);
        assert!(app.alerts(&local).await.unwrap().alerts.iter().any(|a| a.key.starts_with("budget")), "over budget");

        // An item's edit, and a new day.
        let cheaper = ItemChanges { cost: Some(dec("40")), ..Default::default() };
        app.edit_item(&local, &Actor::Cli, &ItemRef::new("hetzner"), &cheaper).await.unwrap();
        assert_eq!(total(&app.dashboard(&local, None).await.unwrap()), "40.00 EUR");
        let today = app.dashboard(&local, None).await.unwrap().today;
        clock.advance(chrono::Duration::days(1));
        assert_eq!(app.dashboard(&local, None).await.unwrap().today, today.succ_opt().unwrap());
    }
}

on_both_backends! {
    /// The bot's housekeeping over many servers looks again at a workspace only when it changed or
    /// the day turned; what falls due is charged all the same.
    async fn housekeeping_skips_a_workspace_until_it_changes_or_the_day_turns(db) {
        let clock = common::ManualClock::at("2026-11-29T09:00:00Z");
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let local = ws("local");
        let renewing = ItemChanges {
            period: Some(BillingPeriod::Monthly),
            renewal_date: Some(Some(d("2026-11-29"))),
            auto_renew: Some(true),
            ..named("vercel", "20")
        };
        app.add_item(&local, &Actor::Cli, Kind::Hosting, &renewing).await.unwrap();
        let looked_at = |reports: Vec<jarvis::app::JobReport>| -> Vec<(usize, usize)> {
            reports.iter().map(|r| (r.renewals.len(), r.month_close.len())).collect()
        };

        assert_eq!(looked_at(app.run_jobs_everywhere().await.unwrap()), [(0, 0)], "looked at, nothing due");
        assert_eq!(looked_at(app.run_jobs_everywhere().await.unwrap()), [], "unchanged: not looked at again");
        app.record_cost(&local, &Actor::Cli, &cost_input("vercel", "3")).await.unwrap();
        assert_eq!(looked_at(app.run_jobs_everywhere().await.unwrap()), [(0, 0)], "changed: looked at");

        clock.advance(chrono::Duration::days(1));
        let charged = app.run_jobs_everywhere().await.unwrap();
        assert_eq!(charged[0].today, d("2026-11-30"));
        assert_eq!(looked_at(charged), [(1, 0)], "a new day: the renewal is charged");
        assert_eq!(looked_at(app.run_jobs_everywhere().await.unwrap()), [(0, 0)], "after a charge: looked at once more");
        assert_eq!(looked_at(app.run_jobs_everywhere().await.unwrap()), []);
    }
}
