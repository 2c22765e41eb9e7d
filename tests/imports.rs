//! FOCUS bills into the ledger through the app layer, on both backends: every version and quirk,
//! exact reconciliation, idempotent re-imports, dry runs, bad rows, mapping and removal.

mod common;

use common::{dec, named, ws};
use jarvis::app::focus_sample::{SampleOptions, SampleVersion, write_sample};
use jarvis::app::{App, AppError, CostInput, CostPeriod, ImportOptions, ImportSummary, ItemRef, ServiceMap};
use jarvis::domain::UserError;
use jarvis::domain::audit::Actor;
use jarvis::domain::calendar::Month;
use jarvis::domain::cost::CostSource;
use jarvis::domain::item::{BillingPeriod, ItemChanges, Kind};
use jarvis::domain::money::Currency;
use jarvis::domain::page::PageRequest;
use jarvis::domain::workspace::WorkspaceId;

const NOW: &str = "2026-12-06T09:00:00Z";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/focus/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn options(name: &str) -> ImportOptions {
    ImportOptions { file_name: name.to_string(), ..ImportOptions::default() }
}

async fn import(app: &App, workspace: &WorkspaceId, bytes: Vec<u8>, options: &ImportOptions) -> ImportSummary {
    app.import_focus(workspace, &Actor::Cli, std::io::Cursor::new(bytes), options, |_| {}).await.unwrap()
}

fn sample(
    rows: u64,
    seed: u64,
    version: SampleVersion,
    month: &str,
) -> (Vec<u8>, std::collections::BTreeMap<&'static str, rust_decimal::Decimal>) {
    let mut bytes = Vec::new();
    let totals =
        write_sample(&mut bytes, SampleOptions { rows, seed, version, month: month.parse().unwrap() }).unwrap();
    (bytes, totals)
}

/// The live records' sum per currency, from the cost history (every page), by item kind left
/// aside: what the ledger holds.
async fn history_total(app: &App, workspace: &WorkspaceId, currency: &str) -> rust_decimal::Decimal {
    let history = app.cost_history(workspace, None, None, None, PageRequest::first(1000).unwrap()).await.unwrap();
    let currency = Currency::parse(currency).unwrap();
    if history.base_currency == currency {
        history.total.amount
    } else {
        history.left_out.iter().filter(|l| l.amount.currency == currency).map(|l| l.amount.amount).sum()
    }
}

/// A cost typed by hand for October 2026, in USD.
fn typed_in_october(item: &str, amount: &str) -> CostInput {
    CostInput {
        item: ItemRef::new(item),
        amount: dec(amount),
        currency: Some(Currency::USD),
        period: CostPeriod::Month(Month::new(2026, 10).unwrap()),
        source: CostSource::Manual,
        usage: None,
        note: None,
        replace: false,
        again: false,
    }
}

fn user_error(result: Result<impl std::fmt::Debug, AppError>) -> UserError {
    match result {
        Err(AppError::User(error)) => error,
        other => panic!("expected a user error, got {other:?}"),
    }
}

on_both_backends! {
    /// A hand-made file per FOCUS version, each with the quirks real exports have (a BOM, CRLF,
    /// columns in any order and case, quoted numbers, exponents, NULL and empty cells, enum values
    /// in any case, spaced datetimes without a zone, `x_` columns), imports with its version
    /// recognised and the ledger equal to the file to the last digit.
    async fn every_focus_version_and_quirk_imports_exactly(db) {
        let app = db.app_at(NOW);
        let cases = [
            ("focus-1.0-quirks.csv", "1.0", "USD", "11.47300015", 4, 1),
            ("focus-1.1-quirks.csv", "1.1", "EUR", "103.251", 3, 1),
            ("focus-1.2-quirks.csv", "1.2", "USD", "10.45", 3, 2),
            ("focus-1.3-quirks.csv", "1.3", "USD", "25.0000000001", 2, 1),
        ];
        for (n, (file, version, currency, total, records, scopes)) in cases.into_iter().enumerate() {
            let workspace = ws(&format!("v{n}"));
            let summary = import(&app, &workspace, fixture(file), &options(file)).await;
            assert_eq!(summary.focus_version, version, "{file}");
            assert_eq!((summary.records, summary.scopes.len()), (records, scopes), "{file}");
            assert_eq!(summary.totals.len(), 1, "{file}");
            let reconciled = &summary.totals[0];
            assert_eq!(reconciled.currency.code(), currency);
            assert_eq!(reconciled.file.0.amount, dec(total), "{file}");
            assert_eq!(reconciled.ledger.0.amount, dec(total), "{file}");
            assert!(reconciled.equal);
            assert_eq!(history_total(&app, &workspace, currency).await, dec(total), "{file}");
        }
        // Items get their kind from ServiceCategory; a row with none becomes `other`.
        let items = app.list_items(&ws("v0"), Default::default(), PageRequest::first(50).unwrap()).await.unwrap();
        let kinds: Vec<(String, Kind)> = items.items.iter().map(|i| (i.name.clone(), i.kind)).collect();
        assert!(kinds.contains(&("Amazon Elastic Compute Cloud".into(), Kind::Hosting)), "{kinds:?}");
        assert!(kinds.contains(&("Amazon Simple Storage Service".into(), Kind::Storage)), "{kinds:?}");
        assert!(kinds.contains(&("Tax".into(), Kind::Other)), "{kinds:?}");
        let ai = app.list_items(&ws("v1"), Default::default(), PageRequest::first(50).unwrap()).await.unwrap();
        assert!(ai.items.iter().any(|i| i.name == "Azure OpenAI Service" && i.kind == Kind::AiProvider));
    }
}

on_both_backends! {
    /// Importing the same file again, or a later export of the same billing account and period,
    /// replaces what was imported for it: never doubled. Another account's records, and records
    /// typed by hand, stay.
    async fn reimports_replace_the_same_account_and_period_and_never_double(db) {
        let app = db.app_at(NOW);
        let workspace = ws("again");
        let (file, written) = sample(5_000, 1, SampleVersion::V1_2, "2026-10-01");
        let first = import(&app, &workspace, file.clone(), &options("october.csv")).await;
        let usd = written["USD"];
        assert_eq!(history_total(&app, &workspace, "USD").await, usd);
        // A cost typed by hand against one of the imported items, for the same days.
        let ec2 = first.services.iter().find(|s| s.service == "Amazon Elastic Compute Cloud").unwrap();
        app.record_cost(&workspace, &Actor::Cli, &typed_in_october(&format!("#{}", ec2.item_id), "7.77")).await.unwrap();

        let again = import(&app, &workspace, file.clone(), &options("october.csv")).await;
        assert_eq!(again.replaced, first.records);
        assert_eq!(again.replaced_imports, vec![first.id.unwrap()]);
        assert!(again.notices.iter().any(|n| n.contains("This file was imported before, as import #")), "{:?}", again.notices);
        assert!(again.services.iter().all(|s| !s.created));
        assert_eq!(history_total(&app, &workspace, "USD").await, usd + dec("7.77"));

        // A later export of one of the accounts, with other figures, replaces only that account.
        let text = String::from_utf8(file).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let account_column = header.split(',').position(|c| c == "BillingAccountId").unwrap();
        let account = |line: &str| line.split(',').nth(account_column).unwrap().to_string();
        let first_account = account(text.lines().nth(1).unwrap());
        let one_account: Vec<&str> = text.lines().skip(1).filter(|l| account(l) == first_account).collect();
        let billed_column = header.split(',').position(|c| c == "BilledCost").unwrap();
        let mut kept_total = rust_decimal::Decimal::ZERO;
        let mut revised = String::from(header);
        for line in &one_account {
            let mut fields: Vec<&str> = line.split(',').collect();
            if fields[header.split(',').position(|c| c == "BillingCurrency").unwrap()] != "USD" {
                continue;
            }
            fields[billed_column] = "1";
            kept_total += dec("1");
            revised.push('\n');
            revised.push_str(&fields.join(","));
        }
        // It bills only the account's USD services: refused as a likely part, unless meant.
        let refused = user_error(
            app.import_focus(&workspace, &Actor::Cli, std::io::Cursor::new(revised.clone().into_bytes()), &options("october-revised.csv"), |_| {}).await,
        );
        assert!(refused.to_string().contains("looks like one part of a split export"), "{refused}");
        let meant = ImportOptions { replace_partial: true, ..options("october-revised.csv") };
        let later = import(&app, &workspace, revised.into_bytes(), &meant).await;
        assert_eq!(later.scopes.len(), 1);
        let list = app.list_imports(&workspace).await.unwrap().imports;
        assert_eq!(list.len(), 3);
        assert_eq!(list[1].state, "partly_replaced", "{:?}", list[1]);
        assert_eq!(list[1].replaced_by, vec![later.id.unwrap()]);
        assert_eq!(list[2].state, "replaced");
        // The ledger: the second import's other accounts, the revised account, the typed cost.
        let second_now = list[1].totals.iter().find(|t| t.currency == Currency::USD).unwrap();
        assert!(second_now.equal, "what it wrote still adds up to its file: {second_now:?}");
        assert_eq!(second_now.ledger.0.amount + second_now.replaced.0.amount, usd);
        assert_eq!(
            history_total(&app, &workspace, "USD").await,
            second_now.ledger.0.amount + kept_total + dec("7.77")
        );
    }
}

on_both_backends! {
    /// A dry run says what would change, per provider, service and month, and writes nothing:
    /// no items, no records, no import.
    async fn a_dry_run_writes_nothing(db) {
        let app = db.app_at(NOW);
        let workspace = ws("dry");
        let (file, written) = sample(2_000, 2, SampleVersion::V1_0, "2026-11-01");
        let dry = import(&app, &workspace, file.clone(), &ImportOptions { dry_run: true, ..options("nov.csv") }).await;
        assert!(dry.dry_run && dry.id.is_none());
        assert!(dry.services.iter().all(|s| s.created));
        let after: rust_decimal::Decimal =
            dry.changes.iter().filter(|c| c.after.0.currency == Currency::USD).map(|c| c.after.0.amount).sum();
        assert_eq!(after, written["USD"]);
        assert!(dry.changes.iter().all(|c| c.before.0.amount.is_zero() && c.month == Month::new(2026, 11).unwrap()));
        assert!(app.list_imports(&workspace).await.unwrap().imports.is_empty());
        let items = app.list_items(&workspace, Default::default(), PageRequest::first(50).unwrap()).await.unwrap();
        assert_eq!(items.paging.total, 0);
        // After a real import, a dry run of the same file changes nothing.
        import(&app, &workspace, file.clone(), &options("nov.csv")).await;
        let again = import(&app, &workspace, file, &ImportOptions { dry_run: true, ..options("nov.csv") }).await;
        assert!(again.changes.is_empty(), "{:?}", again.changes);
        assert_eq!(app.list_imports(&workspace).await.unwrap().imports.len(), 1);
    }
}

on_both_backends! {
    /// A row that cannot be read refuses the file with its line, column and value, and writes
    /// nothing; with skip_bad the rest is imported and the row listed. A file that is not FOCUS
    /// names the missing columns.
    async fn bad_rows_refuse_the_file_unless_skipped(db) {
        let app = db.app_at(NOW);
        let workspace = ws("bad");
        let file = "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargePeriodEnd,ChargePeriodStart,ProviderName,ServiceCategory,ServiceName\n\
                    12.5,a,USD,2026-11-01,2026-10-01,Usage,2026-10-02,2026-10-01,AWS,Compute,EC2\n\
                    3,a,USD,2026-11-01,2026-10-01,Refund,2026-10-02,2026-10-01,AWS,Compute,EC2\n\
                    1.25,a,USD,2026-11-01,2026-10-01,Usage,2026-10-02,2026-10-01,AWS,Compute,EC2\n";
        let refused = user_error(
            app.import_focus(&workspace, &Actor::Cli, std::io::Cursor::new(file.as_bytes().to_vec()), &options("bad.csv"), |_| {}).await,
        );
        let text = refused.to_string();
        assert!(text.starts_with("line 3: column ChargeCategory, value `Refund`"), "{text}");
        assert!(text.contains("nothing was imported"), "{text}");
        assert!(app.list_imports(&workspace).await.unwrap().imports.is_empty());
        let items = app.list_items(&workspace, Default::default(), PageRequest::first(5).unwrap()).await.unwrap();
        assert_eq!(items.paging.total, 0, "not even the items are made");

        let skipped =
            import(&app, &workspace, file.as_bytes().to_vec(), &ImportOptions { skip_bad: true, ..options("bad.csv") }).await;
        assert_eq!((skipped.rows, skipped.skipped), (3, 1));
        assert!(skipped.skipped_rows[0].starts_with("line 3: column ChargeCategory"), "{:?}", skipped.skipped_rows);
        assert_eq!(skipped.totals[0].ledger.0.amount, dec("13.75"));

        let not_focus = user_error(
            app.import_focus(&workspace, &Actor::Cli, std::io::Cursor::new(b"date,amount\n2026-10-01,3\n".to_vec()), &options("x.csv"), |_| {}).await,
        );
        assert!(not_focus.to_string().contains("it has no BilledCost"), "{not_focus}");
        let empty = user_error(
            app.import_focus(&workspace, &Actor::Cli, std::io::Cursor::new(file.lines().next().unwrap().as_bytes().to_vec()), &options("head.csv"), |_| {}).await,
        );
        assert!(empty.to_string().contains("it has no rows after its header"), "{empty}");
    }
}

on_both_backends! {
    /// `--map` sends a service into an item the admin names (its hand-typed records stay);
    /// mapping it elsewhere later moves its imported history along. Removing an import takes its
    /// records out. Another workspace sees none of it.
    async fn services_map_to_items_and_imports_are_removed(db) {
        let app = db.app_at(NOW);
        let workspace = ws("map");
        let aws = ItemChanges { period: Some(BillingPeriod::Monthly), ..named("aws-prod", "300") };
        let added = app.add_item(&workspace, &Actor::Cli, Kind::Hosting, &aws).await.unwrap();
        app.record_cost(&workspace, &Actor::Cli, &typed_in_october("aws-prod", "300")).await.unwrap();
        let file = fixture("focus-1.0-quirks.csv");
        let mapped = ImportOptions {
            maps: vec![ServiceMap::parse("Amazon Web Services / Amazon Elastic Compute Cloud=aws-prod").unwrap()],
            ..options("aws.csv")
        };
        let summary = import(&app, &workspace, file.clone(), &mapped).await;
        let ec2 = summary.services.iter().find(|s| s.service == "Amazon Elastic Compute Cloud").unwrap();
        assert_eq!((ec2.item_id, ec2.created), (added.item.id, false));
        let history = |item: &str| {
            let app = app.clone();
            let workspace = workspace.clone();
            let item = ItemRef::new(item);
            async move { app.cost_history(&workspace, Some(&item), None, None, PageRequest::first(100).unwrap()).await.unwrap() }
        };
        let on_aws = history("aws-prod").await;
        assert_eq!(on_aws.total.amount, dec("300") + dec("12.50") + dec("0.00000015") - dec("2.25"));

        // A service not in the file is named as such.
        let wrong = ImportOptions { maps: vec![ServiceMap::parse("Lambda=aws-prod").unwrap()], ..options("aws.csv") };
        let error = user_error(app.import_focus(&workspace, &Actor::Cli, std::io::Cursor::new(file.clone()), &wrong, |_| {}).await);
        assert!(error.to_string().contains("the file bills no service named `Lambda`"), "{error}");

        // Moving EC2 to its own item moves its imported history; the typed record stays.
        let own = app.add_item(&workspace, &Actor::Cli, Kind::Hosting, &named("ec2", "0")).await.unwrap();
        let moved = app
            .map_import_service(&workspace, &Actor::Cli, &ServiceMap::parse("Amazon Elastic Compute Cloud=ec2").unwrap())
            .await
            .unwrap();
        assert_eq!((moved.moved, moved.service.item_id), (2, own.item.id));
        assert_eq!(history("aws-prod").await.total.amount, dec("300"));
        assert_eq!(history("ec2").await.total.amount, dec("12.50") + dec("0.00000015") - dec("2.25"));
        // The next import of the same service goes there too.
        let again = import(&app, &workspace, file, &options("aws.csv")).await;
        assert!(again.services.iter().any(|s| s.service == "Amazon Elastic Compute Cloud" && s.item == "ec2"));

        // Another workspace sees no import, and cannot remove one.
        let other = ws("elsewhere");
        assert!(app.list_imports(&other).await.unwrap().imports.is_empty());
        let id = again.id.unwrap().to_string();
        assert!(matches!(user_error(app.remove_import(&other, &Actor::Cli, &id).await), UserError::NotFound { .. }));

        let removed = app.remove_import(&workspace, &Actor::Cli, &id).await.unwrap();
        assert_eq!((removed.state.as_str(), removed.live_records), ("removed", 0));
        assert_eq!(removed.totals[0].removed.0.amount, dec("11.47300015"));
        assert!(removed.totals[0].equal);
        assert_eq!(history("ec2").await.total.amount, dec("0"));
        assert_eq!(history("aws-prod").await.total.amount, dec("300"));
        let twice = user_error(app.remove_import(&workspace, &Actor::Cli, &id).await);
        assert!(twice.to_string().contains("was already removed"), "{twice}");
        let audit = app.audit_log(&workspace, PageRequest::first(100).unwrap()).await.unwrap();
        let actions: Vec<&str> = audit.entries.iter().map(|e| e.action.as_str()).collect();
        for action in ["import.add", "import.map", "import.remove"] {
            assert!(actions.contains(&action), "{actions:?}");
        }
    }
}

/// A FOCUS 1.2 file of `rows` (billed, account, sub-account, service) for October 2026.
fn october(rows: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let mut text = String::from(
        "BilledCost,BillingAccountId,SubAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ProviderName,ServiceCategory,ServiceName\n",
    );
    for (billed, account, sub, service) in rows {
        text.push_str(&format!(
            "{billed},{account},{sub},USD,2026-10-01,2026-11-01,Usage,2026-10-05,2026-10-06,AWS,Compute,{service}\n"
        ));
    }
    text.into_bytes()
}

on_both_backends! {
    /// A file that bills nothing of a service the ledger holds for the same account and period
    /// is refused (most likely one part of a split export) unless meant; the parts imported
    /// together are one import; sub-accounts are replaced on their own.
    async fn part_of_a_split_export_is_not_taken_for_the_whole(db) {
        let app = db.app_at(NOW);
        let workspace = ws("parts");
        let part1 = october(&[("10", "payer", "", "EC2"), ("1", "payer", "", "S3")]);
        let part2 = october(&[("5", "payer", "", "Lambda")]);
        import(&app, &workspace, part1.clone(), &options("part-1.csv")).await;
        let refused = user_error(
            app.import_focus(&workspace, &Actor::Cli, std::io::Cursor::new(part2.clone()), &options("part-2.csv"), |_| {}).await,
        );
        let text = refused.to_string();
        assert!(text.contains("`part-2.csv` bills nothing of EC2, S3 for billing account payer") && text.contains("--replace-partial"), "{text}");
        assert_eq!(history_total(&app, &workspace, "USD").await, dec("11"));
        // Both parts at once, joined as `cat` would (each with its header row): one import.
        let parts: Vec<(String, Box<dyn std::io::Read + Send>)> = vec![
            ("part-1.csv".into(), Box::new(std::io::Cursor::new(part1))),
            ("part-2.csv".into(), Box::new(std::io::Cursor::new(part2.clone()))),
        ];
        let joined = jarvis::app::focus_file::joined(parts).unwrap();
        let whole = app.import_focus(&workspace, &Actor::Cli, joined, &options("part-1.csv + part-2.csv"), |_| {}).await.unwrap();
        assert_eq!((whole.rows, whole.records, whole.replaced), (3, 3, 2));
        assert_eq!(history_total(&app, &workspace, "USD").await, dec("16"));
        // Meant: the file is complete and the other services' costs are gone.
        let complete = import(&app, &workspace, part2, &ImportOptions { replace_partial: true, ..options("final.csv") }).await;
        assert_eq!(complete.replaced, 3);
        assert_eq!(history_total(&app, &workspace, "USD").await, dec("5"));

        // Sub-accounts (member accounts, subscriptions, projects) are replaced each on its own.
        let other = ws("subs");
        import(&app, &other, october(&[("7", "payer", "111", "EC2"), ("3", "payer", "222", "EC2")]), &options("all.csv")).await;
        let one = import(&app, &other, october(&[("8", "payer", "111", "EC2")]), &options("111.csv")).await;
        assert_eq!((one.replaced, one.scopes[0].account.as_str()), (1, "payer / 111"));
        assert_eq!(history_total(&app, &other, "USD").await, dec("11"));

        // The same account and period first imported without sub-accounts, then with them: the
        // same bill seen otherwise, refused unless meant, then replaced whole.
        let mixed = ws("mixed");
        import(&app, &mixed, october(&[("10", "payer", "", "EC2")]), &options("flat.csv")).await;
        let split = october(&[("6", "payer", "111", "EC2"), ("4.5", "payer", "222", "EC2")]);
        let refused = user_error(
            app.import_focus(&mixed, &Actor::Cli, std::io::Cursor::new(split.clone()), &options("split.csv"), |_| {}).await,
        );
        assert!(refused.to_string().contains("without `payer`"), "{refused}");
        assert_eq!(history_total(&app, &mixed, "USD").await, dec("10"));
        let meant = import(&app, &mixed, split, &ImportOptions { replace_partial: true, ..options("split.csv") }).await;
        assert_eq!(meant.replaced, 1);
        assert_eq!(history_total(&app, &mixed, "USD").await, dec("10.5"));
    }
}

on_both_backends! {
    /// Jarvis's own estimates for imported days (a subscription's month close) give way to the
    /// bill; an imported record cannot be removed alone; a backup carries the imports, so a
    /// restored workspace replaces rather than doubles when the same bill comes again.
    async fn estimates_give_way_records_stay_whole_and_backups_keep_imports(db) {
        let workspace = ws("estimates");
        let early = db.app_at("2026-09-01T09:00:00Z");
        let aws = ItemChanges { period: Some(BillingPeriod::Monthly), ..named("aws-prod", "300") };
        early.add_item(&workspace, &Actor::Cli, Kind::Hosting, &aws).await.unwrap();
        let app = db.app_at(NOW);
        app.run_jobs(&workspace).await.unwrap();
        let item = ItemRef::new("aws-prod");
        let history = |app: App, workspace: WorkspaceId| {
            let item = item.clone();
            async move { app.cost_history(&workspace, Some(&item), None, None, PageRequest::first(100).unwrap()).await.unwrap() }
        };
        // September, October and November closed at 300 each.
        assert_eq!(history(app.clone(), workspace.clone()).await.total.amount, dec("900"));
        let bill = october(&[("120.5", "payer", "", "EC2")]);
        let mapped = ImportOptions { maps: vec![ServiceMap::parse("EC2=aws-prod").unwrap()], ..options("oct.csv") };
        let summary = import(&app, &workspace, bill.clone(), &mapped).await;
        // October's estimate gave way to the bill (for the billed period); the other months stay.
        assert_eq!(history(app.clone(), workspace.clone()).await.total.amount, dec("600") + dec("120.5"));

        let record = app
            .cost_history(&workspace, Some(&item), Some("2026-10-05".parse().unwrap()), Some("2026-10-05".parse().unwrap()), PageRequest::first(10).unwrap())
            .await
            .unwrap()
            .records
            .into_iter()
            .find(|r| r.source == CostSource::Import)
            .unwrap();
        let refused = user_error(app.remove_cost(&workspace, &Actor::Cli, record.id).await);
        assert!(refused.to_string().contains(&format!("came from FOCUS import #{}", summary.id.unwrap())), "{refused}");

        // Another bill, with a credit (a negative record) and EffectiveCost/ListCost.
        import(&app, &workspace, fixture("focus-1.0-quirks.csv"), &options("aws.csv")).await;
        let backup = app.export(&workspace, jarvis::app::ExportWhat::All, jarvis::app::ExportFormat::Json).await.unwrap();
        assert!(backup.content.contains("\"amount\": \"-2.25\""), "the credit is in the backup");
        let restored_into = ws("restored");
        let restored = app.restore(&restored_into, &Actor::Cli, "backup.json", &backup.content).await.unwrap();
        assert_eq!(restored.imports, 2);
        let list = app.list_imports(&restored_into).await.unwrap().imports;
        let totals: Vec<(String, rust_decimal::Decimal, bool)> =
            list.iter().map(|i| (i.file_name.clone(), i.totals[0].ledger.0.amount, i.totals[0].equal)).collect();
        assert_eq!(
            totals,
            [("aws.csv".to_string(), dec("11.47300015"), true), ("oct.csv".to_string(), dec("120.5"), true)]
        );
        let again = import(&app, &restored_into, bill, &options("oct.csv")).await;
        assert_eq!(again.replaced, 1);
        assert!(again.services.iter().all(|s| s.item == "aws-prod" && !s.created), "{:?}", again.services);
        assert_eq!(history(app.clone(), restored_into.clone()).await.total.amount, dec("600") + dec("120.5"));
    }
}

/// A file of `version`'s columns (in reverse order, with an `x_` column) holding every quirk
/// real exports have: a byte-order mark, CRLF, a quoted number, an exponent, NULL and empty
/// cells, enum values in other cases, datetimes with a space and no zone.
fn every_quirk(version: &str) -> Vec<u8> {
    let mut columns = vec![
        "BilledCost",
        "BillingAccountId",
        "BillingCurrency",
        "BillingPeriodEnd",
        "BillingPeriodStart",
        "ChargeCategory",
        "ChargePeriodEnd",
        "ChargePeriodStart",
        "EffectiveCost",
        "ListCost",
        "ServiceCategory",
        "ServiceName",
        "x_Team",
    ];
    match version {
        "1.0" => columns.extend(["ProviderName", "PublisherName"]),
        "1.1" => columns.extend(["ProviderName", "PublisherName", "ServiceSubcategory"]),
        "1.2" => {
            columns.extend(["ProviderName", "PublisherName", "ServiceSubcategory", "InvoiceId", "PricingCurrency"])
        }
        _ => columns.extend([
            "ServiceProviderName",
            "HostProviderName",
            "ProviderName",
            "PublisherName",
            "ServiceSubcategory",
            "InvoiceId",
        ]),
    }
    let value = |column: &str, row: usize| -> String {
        let rows: [[&str; 8]; 4] = [
            // billed, category, charge start, charge end, effective, list, service category, service
            [
                "\"12.50\"",
                "usage",
                "2026-10-01 00:00:00",
                "2026-10-01 01:00:00",
                "\"10.00\"",
                "15",
                "Compute",
                "Compute Engine",
            ],
            ["1.5E-7", "USAGE", "2026-10-02T00:00:00Z", "2026-10-03T00:00:00Z", "", "NULL", "storage", "Cloud Storage"],
            [
                "-2.25",
                "CREDIT",
                "2026-10-01T00:00:00Z",
                "2026-11-01T00:00:00Z",
                "-2.25",
                "0",
                "Compute",
                "Compute Engine",
            ],
            ["1.2", "Tax", "2026-10-01 00:00:00", "2026-11-01 00:00:00", "1.2", "1.2", "NULL", "Tax"],
        ];
        let r = rows[row];
        match column {
            "BilledCost" => r[0].into(),
            "ChargeCategory" => r[1].into(),
            "ChargePeriodStart" => r[2].into(),
            "ChargePeriodEnd" => r[3].into(),
            "EffectiveCost" => r[4].into(),
            "ListCost" => r[5].into(),
            "ServiceCategory" => r[6].into(),
            "ServiceName" => r[7].into(),
            "BillingAccountId" => "billing-1".into(),
            "BillingCurrency" => "usd".into(),
            "BillingPeriodStart" => "2026-10-01 00:00:00".into(),
            "BillingPeriodEnd" => "2026-11-01T00:00:00Z".into(),
            "ServiceProviderName" | "HostProviderName" | "ProviderName" | "PublisherName" => "Google Cloud".into(),
            "InvoiceId" => "NULL".into(),
            "PricingCurrency" => "USD".into(),
            _ => String::new(),
        }
    };
    columns.reverse();
    let mut text = String::from("\u{feff}");
    text.push_str(&columns.join(","));
    text.push_str("\r\n");
    for row in 0..4 {
        let fields: Vec<String> = columns.iter().map(|c| value(c, row)).collect();
        text.push_str(&fields.join(","));
        text.push_str("\r\n");
    }
    text.into_bytes()
}

on_both_backends! {
    /// Every quirk, in the columns of every FOCUS version: each version is recognised, and the
    /// ledger holds the file's total to the last digit.
    async fn every_quirk_imports_in_every_version(db) {
        let app = db.app_at(NOW);
        for version in ["1.0", "1.1", "1.2", "1.3"] {
            let workspace = ws(&format!("quirks-{}", version.replace('.', "-")));
            let summary = import(&app, &workspace, every_quirk(version), &options("quirks.csv")).await;
            assert_eq!(summary.focus_version, version);
            assert_eq!((summary.rows, summary.skipped, summary.records), (4, 0, 4), "{version}");
            let usd = &summary.totals[0];
            assert_eq!((usd.file.0.amount, usd.ledger.0.amount), (dec("11.45000015"), dec("11.45000015")), "{version}");
            assert!(usd.equal && usd.effective.is_none() && usd.list.is_none(), "{version}: {usd:?}");
            assert_eq!(history_total(&app, &workspace, "USD").await, dec("11.45000015"), "{version}");
            let kinds: Vec<(String, Kind)> = summary.services.iter().map(|s| (s.item.clone(), s.kind)).collect();
            assert_eq!(
                kinds,
                [("Compute Engine".to_string(), Kind::Hosting), ("Cloud Storage".into(), Kind::Storage), ("Tax".into(), Kind::Other)],
                "{version}"
            );
        }
    }
}
