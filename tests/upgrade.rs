//! A ledger made by the release of 2026-12-06 (tests/fixtures/ledger) opened by today's Jarvis:
//! migrated in place, every nameable row gets a public id, and nothing else changes: the same
//! dashboards and exports (the public ids aside), then the same on PostgreSQL after `db copy`.

mod common;

use std::collections::BTreeSet;

use assert_cmd::Command;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ledger");
const RELEASE: &str = "release-2026-12-06";

fn jarvis(url: &str) -> Command {
    common::jarvis_on(url, "2026-11-30T12:00:00Z")
}

fn stdout(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn expected(workspace: &str, what: &str) -> Value {
    let path = format!("{FIXTURES}/{RELEASE}.{workspace}.{what}.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `value` without its `uuid` fields, and the public ids it held.
fn without_public_ids(value: &mut Value, ids: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.remove("uuid") {
                // Made from the instant the row was created (not from the day it was migrated).
                let created: chrono::DateTime<chrono::Utc> = map["created_at"].as_str().unwrap().parse().unwrap();
                let (seconds, nanos) = uuid::Uuid::parse_str(&id).unwrap().get_timestamp().unwrap().to_unix();
                assert_eq!(
                    i128::from(seconds) * 1000 + i128::from(nanos / 1_000_000),
                    i128::from(created.timestamp_millis()),
                    "{id} of a row created at {created}"
                );
                ids.push(id);
            }
            map.values_mut().for_each(|v| without_public_ids(v, ids));
        }
        Value::Array(list) => list.iter_mut().for_each(|v| without_public_ids(v, ids)),
        _ => {}
    }
}

/// The ledger at `url` shows what the release showed; returns the public ids of its exports.
fn same_as_the_release(url: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for workspace in ["local", "second"] {
        let dashboard: Value =
            serde_json::from_str(&stdout(jarvis(url).args(["-w", workspace, "--json", "dashboard"]))).unwrap();
        assert_eq!(dashboard, expected(workspace, "dashboard"), "{workspace}'s dashboard");
        let mut export: Value =
            serde_json::from_str(&stdout(jarvis(url).args(["-w", workspace, "export", "all"]))).unwrap();
        let before = ids.len();
        without_public_ids(&mut export, &mut ids);
        assert_eq!(export, expected(workspace, "export"), "{workspace}'s export, public ids aside");
        let items = export["items"].as_array().unwrap().len();
        let records = export["cost_records"].as_array().unwrap().len();
        let sites = export["sites"].as_array().unwrap().len();
        assert_eq!(ids.len() - before, items + records + sites, "every item, record and site has a public id");
    }
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_of_the_last_release_migrates_in_place_and_shows_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jarvis.db");
    std::fs::copy(format!("{FIXTURES}/{RELEASE}.db"), &path).unwrap();
    let url = format!("sqlite://{}", path.display());

    let ids = same_as_the_release(&url);
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "public ids are unique");
    for id in &ids {
        let id = uuid::Uuid::parse_str(id).unwrap();
        assert_eq!(id.get_version_num(), 7, "{id}");
    }
    // Opening it again changes nothing: the same ids.
    assert_eq!(same_as_the_release(&url), ids);
    // An item is found by its public id.
    let item = &ids[0];
    let shown = stdout(jarvis(&url).args(["--json", "item", "show", item]));
    assert!(shown.contains(item.as_str()), "{shown}");

    // The same ledger on PostgreSQL, public ids included.
    let Some(postgres) = common::PostgresDb::create().await else { return };
    stdout(jarvis(&url).args(["db", "copy", "--to", &postgres.url]));
    assert_eq!(same_as_the_release(&postgres.url), ids);
}
