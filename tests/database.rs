//! The ledger's database as an operator handles it: `jarvis db copy` from SQLite to PostgreSQL and
//! back (the same rows, ids and figures), its refusals, a copy stopped midway, `jarvis db status`,
//! and what a user sees when PostgreSQL cannot be reached.

mod common;

use std::sync::Arc;

use assert_cmd::Command;
use common::{PostgresDb, TestDb};
use jarvis::app::{App, FixedClock};

const NOW: &str = "2026-11-30T12:00:00Z";

fn jarvis(url: &str) -> Command {
    common::jarvis_on(url, NOW)
}

/// Runs `cmd`, expecting `code`; returns (stdout, stderr).
fn run(cmd: &mut Command, code: i32) -> (String, String) {
    let output = cmd.output().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned());
    assert_eq!(output.status.code(), Some(code), "stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

/// What a ledger shows of itself: every workspace's export (ids, amounts, history) and dashboard.
fn picture(url: &str) -> (String, String, String) {
    let export =
        run(jarvis(url).args(["export", "all"]), 0).0 + &run(jarvis(url).args(["-w", "second", "export", "all"]), 0).0;
    let dashboard = run(jarvis(url).args(["--json", "dashboard"]), 0).0;
    let other = run(jarvis(url).args(["-w", "second", "--json", "report"]), 0).0;
    (export, dashboard, other)
}

/// Row counts per table, from `db status --json`.
fn rows(url: &str) -> Vec<(String, i64)> {
    let status: serde_json::Value =
        serde_json::from_str(&run(jarvis(url).args(["--json", "db", "status"]), 0).0).unwrap();
    status["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["table"].as_str().unwrap().to_string(), t["rows"].as_i64().unwrap()))
        .collect()
}

/// A SQLite ledger with two workspaces (the demo and a few hand-typed items with odd amounts).
fn sqlite_ledger(dir: &std::path::Path) -> String {
    let url = format!("sqlite://{}", dir.join("source.db").display());
    run(jarvis(&url).arg("demo"), 0);
    for (kind, name, cost) in
        [("hosting", "tiny", "0.00000001"), ("other", "huge", "999999999999.99999999"), ("package", "npm", "7")]
    {
        // Added mid-October: month close records October's share of the price (long decimals).
        let add = ["-w", "second", "item", "add", kind, name, "--cost", cost, "--period", "monthly"];
        run(jarvis(&url).env("JARVIS_FAKE_NOW", "2026-10-10T12:00:00Z").args(add), 0);
    }
    run(jarvis(&url).args(["-w", "second", "budget", "set", "total", "100"]), 0);
    run(jarvis(&url).args(["-w", "second", "jobs", "run"]), 0);
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_goes_to_postgresql_and_back_with_the_same_rows_ids_and_figures() {
    let Some(postgres) = PostgresDb::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_ledger(dir.path());
    let before = picture(&source);
    assert!(before.0.contains("999999999999.99999999") && before.0.contains("0.00000001"), "{}", before.0);
    // Prorated records carry long decimals (a month's share of a price): kept to the last digit.
    let long = before
        .0
        .split(['"', ','])
        .filter(|t| t.split_once('.').is_some_and(|(_, f)| f.len() >= 12 && f.bytes().all(|b| b.is_ascii_digit())))
        .count();
    assert!(long > 0, "the ledger has amounts with 12 or more decimals");

    let (stdout, _) = run(jarvis(&source).args(["db", "copy", "--to", &postgres.url]), 0);
    assert!(stdout.contains("Every workspace's dashboard (2) is the same on both sides."), "{stdout}");
    assert!(stdout.contains("cost_records"), "{stdout}");
    assert_eq!(rows(&postgres.url), rows(&source), "the same rows in every table");
    assert_eq!(picture(&postgres.url), before, "PostgreSQL shows what SQLite showed");

    // New rows get new ids after the copied ones.
    let added = run(jarvis(&postgres.url).args(["--json", "item", "add", "cdn", "edge", "--cost", "5"]), 0).0;
    let added: serde_json::Value = serde_json::from_str(&added).unwrap();
    let largest = ["local", "second"]
        .into_iter()
        .flat_map(|w| {
            let list = run(jarvis(&source).args(["-w", w, "--json", "item", "list", "--limit", "1000"]), 0).0;
            let list: serde_json::Value = serde_json::from_str(&list).unwrap();
            list["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect::<Vec<_>>()
        })
        .max()
        .unwrap();
    assert_eq!(added["item"]["id"].as_i64(), Some(largest + 1), "{added}");

    // And back, into a new SQLite file.
    let back = format!("sqlite://{}", dir.path().join("back.db").display());
    run(jarvis(&postgres.url).args(["db", "copy", "--to", &back]), 0);
    assert_eq!(rows(&back), rows(&postgres.url));
    run(jarvis(&back).args(["item", "remove", "edge"]), 0);
    let (export, dashboard, report) = picture(&back);
    assert_eq!((dashboard, report), (before.1.clone(), before.2.clone()));
    // The export's items and records are the source's, the removed item aside.
    assert!(export.contains("\"edge\""), "the removed item is exported as removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_refuses_a_target_that_holds_data_or_itself() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_ledger(dir.path());
    let other = format!("sqlite://{}", dir.path().join("other.db").display());
    run(jarvis(&other).args(["item", "add", "cdn", "edge", "--cost", "5"]), 0);
    let (_, stderr) = run(jarvis(&source).args(["db", "copy", "--to", &other]), 1);
    assert!(stderr.contains("already holds a ledger") && stderr.contains("copy into an empty database"), "{stderr}");
    let (_, stderr) = run(jarvis(&source).args(["db", "copy", "--to", &source]), 1);
    assert!(stderr.contains("The target is the ledger itself"), "{stderr}");
    // Nothing was written into the other ledger.
    assert_eq!(rows(&other).iter().find(|(t, _)| t == "items").unwrap().1, 1);

    // A ledger of the last release is refused as it is: not migrated first (its release could not
    // open it any more).
    let older = dir.path().join("older.db");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ledger/release-2026-12-06.db"), &older).unwrap();
    let older = format!("sqlite://{}", older.display());
    let level = || {
        let status: serde_json::Value =
            serde_json::from_str(&run(jarvis(&older).args(["--json", "db", "status"]), 0).0).unwrap();
        (status["migration"]["version"].clone(), status["pending"].as_array().unwrap().len())
    };
    let before = level();
    assert_eq!(before.0, 20261210000001_i64, "the fixture is at the last release's level");
    let (_, stderr) = run(jarvis(&source).args(["db", "copy", "--to", &older]), 1);
    assert!(stderr.contains("already holds a ledger"), "{stderr}");
    assert_eq!(level(), before, "the refused target was not migrated");
}

/// A copy stopped midway (its future dropped after the first page of records, as a killed process
/// leaves it): the target says it is unfinished, Jarvis will not run on it, and `--restart` mends it.
async fn a_copy_stopped_midway_is_recognised_and_restarted(target: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let source_url = sqlite_ledger(dir.path());
    target.store.close().await;
    let target_url = target.url.clone();
    // Empty again: TestDb opened (and so stamped) it.
    {
        let store = jarvis::store::Store::connect(&target_url).await.unwrap();
        store.empty_all_tables().await.unwrap();
        store.close().await;
    }
    let source = jarvis::store::Store::open(&source_url).await.unwrap();
    let app = App::new(source.clone(), Arc::new(FixedClock(NOW.parse().unwrap())));
    let stop = Arc::new(tokio::sync::Notify::new());
    let signal = stop.clone();
    let mut progress = move |p: jarvis::store::CopyProgress| {
        if p.table == "cost_records" && p.copied > 0 {
            signal.notify_one();
        }
    };
    tokio::select! {
        result = app.copy_ledger(&source_url, &target_url, false, &mut progress) => panic!("the copy finished: {result:?}"),
        () = stop.notified() => {}
    }
    source.close().await;

    let (_, stderr) = run(jarvis(&source_url).args(["db", "copy", "--to", &target_url]), 1);
    assert!(stderr.contains("holds a copy that did not finish") && stderr.contains("--restart"), "{stderr}");
    let (_, stderr) = run(jarvis(&target_url).arg("dashboard"), 3);
    assert!(stderr.contains("did not finish") && stderr.contains("will not run on it"), "{stderr}");
    let (status, _) = run(jarvis(&target_url).args(["db", "status"]), 0);
    assert!(status.contains("UNFINISHED"), "{status}");

    let (stdout, _) = run(jarvis(&source_url).args(["db", "copy", "--to", &target_url, "--restart"]), 0);
    assert!(stdout.contains("is the same on both sides"), "{stdout}");
    assert_eq!(rows(&target_url), rows(&source_url));
    assert_eq!(picture(&target_url), picture(&source_url));
    let (status, _) = run(jarvis(&target_url).args(["db", "status"]), 0);
    assert!(!status.contains("UNFINISHED"), "{status}");
}

on_both_backends! {
    multi_thread async fn a_copy_stopped_midway_is_recognised_and_restarted_on_either_target(db) {
        a_copy_stopped_midway_is_recognised_and_restarted(db).await;
    }
}

#[test]
fn status_looks_without_changing_and_lists_pending_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("new.db").display());
    // A file that is not there is said so, not made.
    let (_, stderr) = run(jarvis(&url).args(["db", "status"]), 3);
    assert!(stderr.contains("there is no database at") && !dir.path().join("new.db").exists(), "{stderr}");
    // An empty database: no migrations yet, all of them pending.
    std::fs::File::create(dir.path().join("new.db")).unwrap();
    let (stdout, _) = run(jarvis(&url).args(["db", "status"]), 0);
    assert!(stdout.contains("Backend:    SQLite") && stdout.contains("new.db"), "{stdout}");
    assert!(stdout.contains("none yet") && stdout.contains("Pending:"), "{stdout}");
    // A ledger of the last release: its level, the one migration pending, and it stays so.
    let older = dir.path().join("older.db");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ledger/release-2026-12-06.db"), &older).unwrap();
    let before = std::fs::read(&older).unwrap();
    let (stdout, _) = run(jarvis(&format!("sqlite://{}", older.display())).args(["db", "status"]), 0);
    assert!(
        stdout.contains("Migrations: up to 20261210000001") && stdout.contains("20261211000001 public ids"),
        "{stdout}"
    );
    assert!(stdout.contains("spend_rollups") && stdout.contains("cost_records"), "{stdout}");
    assert!(std::fs::read(&older).unwrap() == before, "db status changed the file");
    run(jarvis(&url).args(["item", "list"]), 0);
    let (stdout, _) = run(jarvis(&url).args(["db", "status"]), 0);
    assert!(stdout.contains("Migrations: up to ") && !stdout.contains("Pending:"), "{stdout}");
}

#[tokio::test]
async fn no_url_shows_its_password_however_it_is_written() {
    let Some(postgres) = PostgresDb::create().await else { return };
    let mut parsed = url::Url::parse(&postgres.url).unwrap();
    parsed.set_password(Some("s3cret-pw")).unwrap();
    let with_password = parsed.to_string();
    // db status on PostgreSQL (the test cluster trusts the role: the password is not checked).
    let (stdout, stderr) = run(jarvis(&with_password).args(["db", "status"]), 0);
    assert!(stdout.contains("Backend:    PostgreSQL") && stdout.contains("database jarvis_test_"), "{stdout}");
    assert!(!stdout.contains("s3cret-pw") && !stderr.contains("s3cret-pw"), "{stdout}{stderr}");
    // A scheme in capitals is PostgreSQL's too; a misspelt one is refused by its scheme alone.
    let shouted = with_password.replacen("postgres://", "POSTGRES://", 1);
    let (stdout, _) = run(jarvis(&shouted).args(["db", "status"]), 0);
    assert!(stdout.contains("Backend:    PostgreSQL") && !stdout.contains("s3cret-pw"), "{stdout}");
    for wrong in ["postgress://jarvis:s3cret-pw@db.internal/jarvis", "pg://jarvis:s3cret-pw@db.internal/jarvis"] {
        let (stdout, stderr) = run(jarvis(wrong).arg("dashboard"), 3);
        assert!(stderr.contains("Jarvis opens sqlite://, postgres:// or postgresql://"), "{stderr}");
        assert!(!stdout.contains("s3cret-pw") && !stderr.contains("s3cret-pw"), "{stderr}");
    }
}

#[tokio::test]
async fn a_wrong_password_host_or_database_is_one_line_naming_where_never_the_password() {
    let Some(postgres) = PostgresDb::create().await else { return };
    let mut parsed = url::Url::parse(&postgres.url).unwrap();
    // A database that does not exist, with a password in the URL.
    parsed.set_path("/no_such_ledger");
    parsed.set_password(Some("s3cret-pw")).unwrap();
    let started = std::time::Instant::now();
    let (_, stderr) = run(jarvis(parsed.as_str()).arg("dashboard"), 3);
    assert!(stderr.contains("database no_such_ledger") && stderr.contains("no_such_ledger"), "{stderr}");
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    // A wrong password (the test cluster trusts everyone: a role that does not exist stands in).
    parsed.set_path(url::Url::parse(&postgres.url).unwrap().path());
    parsed.set_username("nobody_here").unwrap();
    let (_, stderr) = run(jarvis(parsed.as_str()).arg("dashboard"), 3);
    assert!(stderr.contains("nobody_here") && !stderr.contains("s3cret-pw"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    // Nobody listens on port 1: the connect timeout (2 s here) ends the wait.
    let refused = "postgres://jarvis:s3cret-pw@127.0.0.1:1/ledger";
    let (_, stderr) = run(jarvis(refused).env("JARVIS_DB_CONNECT_TIMEOUT", "2").arg("dashboard"), 3);
    assert!(stderr.contains("at 127.0.0.1:1 database ledger") && !stderr.contains("s3cret-pw"), "{stderr}");
    assert!(stderr.to_lowercase().contains("refused"), "says why: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "answered within the connect timeouts");
}

/// Several processes opening a new ledger at once apply its migrations once, in turn: none fails.
async fn instances_starting_together_migrate_once(url: &str) {
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("jarvis"));
            cmd.env("DATABASE_URL", url)
                .env("JARVIS_RDAP", "off")
                .env_remove("JARVIS_WORKSPACE")
                .env_remove("RUST_LOG")
                .args(["item", "list"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let status: serde_json::Value =
        serde_json::from_str(&run(jarvis(url).args(["--json", "db", "status"]), 0).0).unwrap();
    assert!(status["pending"].as_array().unwrap().is_empty(), "{status}");
}

on_both_backends! {
    multi_thread async fn instances_starting_together_on_a_new_ledger_migrate_it_once(db) {
        // A database nobody opened yet: a new file, or a new PostgreSQL database.
        let url = match db.backend() {
            jarvis::store::Backend::Sqlite => format!("sqlite://{}", db.dir.path().join("fresh.db").display()),
            jarvis::store::Backend::Postgres => {
                let fresh = PostgresDb::create().await.unwrap();
                let url = fresh.url.clone();
                instances_starting_together_migrate_once(&url).await;
                drop(fresh);
                return;
            }
        };
        instances_starting_together_migrate_once(&url).await;
    }
}
