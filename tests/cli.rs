//! The `jarvis` binary, run as a user would, against a real SQLite file in a temp dir.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

/// A scratch directory with its own database; commands run there with today fixed.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox { dir: tempfile::tempdir().unwrap() }
    }

    fn jarvis(&self) -> Command {
        let mut cmd = Command::cargo_bin("jarvis").unwrap();
        cmd.current_dir(self.dir.path())
            .env("DATABASE_URL", format!("sqlite://{}", self.dir.path().join("test.db").display()))
            .env("JARVIS_FAKE_NOW", "2026-11-30T12:00:00Z")
            // No registry lookups (this machine reaches no registry); tested with a fake one.
            .env("JARVIS_RDAP", "off")
            .env_remove("JARVIS_RDAP_BOOTSTRAP")
            .env_remove("JARVIS_PROBE_ALLOW_PRIVATE")
            .env_remove("JARVIS_TODAY")
            .env_remove("JARVIS_WORKSPACE")
            .env_remove("JARVIS_LANG")
            .env_remove("RUST_LOG");
        cmd
    }

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.jarvis().args(args).output().unwrap();
        assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a command with `--json` and parses its output.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).unwrap()
    }
}

#[test]
fn help_explains_the_commands() {
    let sandbox = Sandbox::new();
    sandbox.jarvis().arg("--help").assert().success().stdout(
        predicate::str::contains("item")
            .and(predicate::str::contains("demo"))
            .and(predicate::str::contains("DATABASE_URL")),
    );
    sandbox
        .jarvis()
        .args(["item", "add", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--renews").and(predicate::str::contains("jarvis item add domain acme.com")));
}

#[test]
fn demo_then_list_shows_totals_in_json() {
    let sandbox = Sandbox::new();
    let printed = sandbox.ok(&["demo"]);
    assert!(printed.contains("Monthly run-rate: 842.64 USD"), "{printed}");
    assert!(printed.contains("acme.com"));

    let list = sandbox.json(&["item", "list"]);
    assert_eq!(list["workspace"], "local");
    assert_eq!(list["today"], "2026-11-30");
    assert_eq!(list["totals"]["total_monthly_cost"]["amount"], "842.64");
    assert_eq!(list["totals"]["by_category"]["ai_services"]["amount"], "421.20");
    assert_eq!(list["items"].as_array().unwrap().len(), 15);

    let ai = sandbox.json(&["item", "list", "--kind", "ai-provider"]);
    let names: Vec<&str> = ai["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Anthropic", "OpenAI", "Stability AI"]);

    // Only what will lapse is expiring: acme.dev ends in 6 days without auto-renew; the
    // auto-renewing items due soon are active.
    let expiring = sandbox.json(&["item", "list", "--status", "expiring"]);
    let names: Vec<&str> = expiring["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["acme.dev"]);
}

#[test]
fn add_edit_show_remove() {
    let sandbox = Sandbox::new();
    let added = sandbox.json(&[
        "item",
        "add",
        "domain",
        "acme.com",
        "--cost",
        "12.98",
        "--renews",
        "2027-01-31",
        "--auto-renew",
        "--registrar",
        "Namecheap",
    ]);
    assert_eq!(added["item"]["registrar"], "Namecheap");
    assert_eq!(added["item"]["billing_period"], "yearly");
    assert_eq!(added["item"]["monthly_cost"]["amount"], "1.08");

    let shown = sandbox.ok(&["item", "show", "acme.com"]);
    assert!(shown.contains("12.98 USD / year") && shown.contains("Namecheap"), "{shown}");

    let edited =
        sandbox.json(&["item", "edit", "ACME.COM", "--cost", "14.98", "--notes", "main site", "--clear", "registrar"]);
    assert_eq!(edited["item"]["cost"]["amount"], "14.98");
    assert_eq!(edited["item"]["notes"], "main site");
    assert!(edited["item"]["registrar"].is_null());

    let removed = sandbox.ok(&["item", "remove", "acme.com"]);
    assert!(removed.contains("Removed domain `acme.com`"), "{removed}");
    let list = sandbox.json(&["item", "list"]);
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[test]
fn a_past_renewal_date_is_moved_forward_with_a_note() {
    let sandbox = Sandbox::new();
    let output =
        sandbox.ok(&["item", "add", "hosting", "api", "--cost", "30", "--renews", "2026-06-15", "--auto-renew"]);
    assert!(
        output.contains(
            "note: The renewal date 2026-06-15 has passed; it auto-renews, so the next renewal is 2026-12-15"
        ),
        "{output}"
    );
}

#[test]
fn costs_rates_settings_and_history() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["item", "add", "other", "Office internet", "--cost", "1290", "--currency", "thb"]);
    let list = sandbox.jarvis().args(["item", "list"]).output().unwrap();
    let printed = String::from_utf8(list.stdout).unwrap();
    assert!(
        printed.contains("warning: THB amounts for 2026-11-30 are left out of USD totals: no rate between THB and USD is set. Run `jarvis rate set THB USD <rate> --date 2026-11-30`"),
        "{printed}"
    );

    let rate = sandbox.ok(&["rate", "set", "USD", "THB", "35.2", "--date", "2026-01-01"]);
    assert_eq!(rate, "1 USD = 35.2 THB from 2026-01-01.\n");
    let rates = sandbox.json(&["rate", "list"]);
    assert_eq!(rates[0]["rate"], "35.2");

    let record =
        sandbox.json(&["cost", "record", "Office internet", "1290", "--month", "2026-10", "--note", "invoice 1042"]);
    assert_eq!(record["amount"]["amount"], "1290.00");
    assert_eq!(record["amount_base"]["amount"], "36.65");
    assert_eq!(record["period_start"], "2026-10-01");
    assert_eq!(record["period_end"], "2026-10-31");

    let history = sandbox.json(&["cost", "history", "office internet"]);
    assert_eq!(history["total"]["amount"], "36.65");
    assert_eq!(history["records"][0]["note"], "invoice 1042");

    let settings = sandbox.json(&["settings", "set", "currency", "THB"]);
    assert_eq!(settings["base_currency"], "THB");
    let shown = sandbox.ok(&["settings", "show"]);
    assert!(shown.contains("Thai baht"), "{shown}");
    let settings = sandbox.json(&["settings", "set", "expiring-window", "14"]);
    assert_eq!(settings["expiring_window_days"], 14);
}

#[test]
fn jobs_run_is_idempotent_from_the_command_line() {
    let sandbox = Sandbox::new();
    sandbox
        .jarvis()
        .env("JARVIS_FAKE_NOW", "2026-11-01T12:00:00Z")
        .args(["item", "add", "hosting", "api", "--cost", "30", "--renews", "2026-11-15", "--auto-renew"])
        .assert()
        .success();
    let first = sandbox.json(&["jobs", "run"]);
    assert_eq!(first[0]["renewals"].as_array().unwrap().len(), 1);
    assert_eq!(first[0]["renewals"][0]["period_start"], "2026-11-15");
    let second = sandbox.json(&["jobs", "run"]);
    assert!(second[0]["renewals"].as_array().unwrap().is_empty());
    let shown = sandbox.json(&["item", "show", "api"]);
    assert_eq!(shown["item"]["renewal_date"], "2026-12-15");
}

#[test]
fn demo_with_a_size_seeds_a_generated_workspace_and_shows_no_progress_off_a_terminal() {
    let sandbox = Sandbox::new();
    let seeded = sandbox
        .jarvis()
        .args(["--workspace", "bench", "demo", "--size", "small", "--seed", "7", "--json"])
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    assert_eq!(String::from_utf8_lossy(&seeded.stderr), "", "progress is for terminals only");
    let summary: Value = serde_json::from_slice(&seeded.stdout).unwrap();
    assert_eq!((&summary["size"], &summary["seed"]), (&"small".into(), &7.into()));
    assert_eq!((&summary["items"], &summary["records"], &summary["sites"]), (&100.into(), &10_000.into(), &20.into()));
    assert_eq!(summary["by_kind"].as_array().unwrap().len(), 8);

    // Without --json: the summary as a table, still without progress when piped.
    let table = sandbox
        .jarvis()
        .args(["--workspace", "bench", "demo", "--size", "small", "--allow-existing"])
        .output()
        .unwrap();
    let printed = String::from_utf8(table.stdout).unwrap();
    assert!(
        printed.contains("Seeded workspace `bench` (small size, seed 42)") && printed.contains("10,000"),
        "{printed}"
    );
    assert_eq!(String::from_utf8_lossy(&table.stderr), "");

    // A used workspace is refused; --seed and --allow-existing need --size.
    sandbox
        .jarvis()
        .args(["--workspace", "bench", "demo", "--size", "small"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already has").and(predicate::str::contains("--allow-existing")));
    sandbox.jarvis().args(["demo", "--seed", "7"]).assert().code(2).stderr(predicate::str::contains("--size"));
    sandbox.jarvis().args(["demo", "--allow-existing"]).assert().code(2);
}

#[test]
fn export_writes_json_and_csv() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["demo"]);
    let all: Value = serde_json::from_str(&sandbox.ok(&["export"])).unwrap();
    assert_eq!((&all["format"], &all["version"]), (&"jarvis-backup".into(), &1.into()));
    assert_eq!(all["items"].as_array().unwrap().len(), 15);
    assert!(all["cost_records"].as_array().unwrap().len() >= 12 * 14);

    let csv = sandbox.ok(&["export", "items", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[3], "name");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 15);
    assert!(rows.iter().any(|r| &r[3] == "acme.com" && &r[5] == "12.98" && &r[6] == "USD"));

    let path = sandbox.dir.path().join("history.csv");
    let message = sandbox.ok(&["export", "history", "--format", "csv", "--output", path.to_str().unwrap()]);
    assert!(message.starts_with("Exported 180 cost records to "), "{message}");
    let history = std::fs::read_to_string(&path).unwrap();
    assert!(history.starts_with("id,item_id,item,kind,amount,currency"), "{history}");

    sandbox
        .jarvis()
        .args(["export", "all", "--format", "csv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("A CSV file holds one table"));
}

#[test]
fn exports_carry_stored_amounts_exactly() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "item",
        "add",
        "ai-provider",
        "=Embedder",
        "--pricing",
        "pay-per-use",
        "--unit",
        "token",
        "--unit-price",
        "0.00000015",
        "--plan-price",
        "19.995",
    ]);
    let recorded = sandbox.json(&["cost", "record", "=Embedder", "0.0000008", "--month", "2026-10"]);
    assert_eq!(recorded["amount"]["amount"], "0.0000008");
    assert_eq!(sandbox.json(&["cost", "history"])["records"][0]["amount"]["amount"], "0.0000008");
    // Tables round for people.
    assert!(sandbox.ok(&["cost", "history"]).contains("0.00 USD"));

    let history: Value = serde_json::from_str(&sandbox.ok(&["export", "history"])).unwrap();
    assert_eq!(history[0]["amount"]["amount"], "0.0000008");
    let csv = sandbox.ok(&["export", "history", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!((&row[2], &row[4], &row[5], &row[6]), ("'=Embedder", "0.0000008", "USD", "0.00"));
    // One format for instants in every export: RFC 3339 in UTC with `Z`, as JSON has it.
    let created_at = &row[headers.iter().position(|h| h == "created_at").unwrap()];
    assert_eq!((created_at, &history[0]["created_at"]), ("2026-11-30T12:00:00Z", &"2026-11-30T12:00:00Z".into()));

    let csv = sandbox.ok(&["export", "items", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let column = |name: &str| row[headers.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(column("name"), "'=Embedder", "formulas stay text");
    assert_eq!((column("unit_price"), column("plan_price")), ("0.00000015".into(), "19.995".into()));
    assert_eq!(
        (column("created_at"), column("updated_at")),
        ("2026-11-30T12:00:00Z".into(), "2026-11-30T12:00:00Z".into())
    );

    let all: Value = serde_json::from_str(&sandbox.ok(&["export", "all"])).unwrap();
    assert_eq!(all["cost_records"][0]["amount"], "0.0000008");
    assert_eq!(all["items"][0]["usage"]["unit_price"], "0.00000015");

    // Confirmations say what was stored, exactly: never `0.00` for 0.0000008.
    let said = sandbox.ok(&["cost", "record", "=Embedder", "0.0000008", "--month", "2026-09"]);
    assert!(said.starts_with("Recorded 0.0000008 USD for `=Embedder` (2026-09-01 → 2026-09-30, manual)"), "{said}");
    let said = sandbox.ok(&["cost", "remove", "#2"]);
    assert!(said.starts_with("Removed cost record #2 (0.0000008 USD for `=Embedder`"), "{said}");
    // Removing it again (a retry) says it is gone already and nothing changed.
    sandbox.jarvis().args(["cost", "remove", "#2"]).assert().code(1).stderr(predicate::str::contains(
        "Cost record #2 was already removed on 2026-11-30 12:00 UTC from the command line, so nothing changed",
    ));
}

#[test]
fn import_restores_a_backup_into_an_empty_workspace() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["demo"]);
    let path = sandbox.dir.path().join("backup.json");
    sandbox.ok(&["export", "all", "-o", path.to_str().unwrap()]);
    let backup = std::fs::read_to_string(&path).unwrap();

    // Into another workspace of the same database: the ids are taken, so they are renumbered.
    let printed = sandbox.ok(&["--workspace", "copy", "import", "jarvis", "backup.json"]);
    assert!(
        printed.starts_with(
            "Restored the export of `local` taken at 2026-11-30 12:00:00 UTC into workspace `copy`: 15 items, 180 cost records, 2 exchange rates, 0 budgets, 3 sites, 3 domain lookups and the settings.\nNew ids for the items, cost records and sites"
        ),
        "{printed}"
    );
    assert_eq!(sandbox.json(&["--workspace", "copy", "item", "list"])["items"].as_array().unwrap().len(), 15);

    // From standard input into a new database: the same file comes back out.
    let other_db = format!("sqlite://{}", sandbox.dir.path().join("other.db").display());
    let restored = sandbox
        .jarvis()
        .env("DATABASE_URL", &other_db)
        .args(["--workspace", "other", "import", "jarvis", "-", "--json"])
        .write_stdin(backup.clone())
        .output()
        .unwrap();
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    let restored: Value = serde_json::from_slice(&restored.stdout).unwrap();
    assert_eq!((&restored["cost_records"], &restored["renumbered"]), (&180.into(), &serde_json::json!([])));
    let again =
        sandbox.jarvis().env("DATABASE_URL", &other_db).args(["--workspace", "other", "export"]).output().unwrap();
    let again = String::from_utf8(again.stdout).unwrap();
    assert_eq!(again.replacen("\"workspace\": \"other\"", "\"workspace\": \"local\"", 1), backup);

    // A workspace with data, a broken file, a missing file and --today are refused.
    sandbox
        .jarvis()
        .args(["import", "jarvis", "backup.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Workspace `local` already holds 15 items, 180 cost records"));
    std::fs::write(sandbox.dir.path().join("cut.json"), &backup[..backup.len() / 3]).unwrap();
    sandbox
        .jarvis()
        .args(["--workspace", "fresh", "import", "jarvis", "cut.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("The backup `cut.json` is not valid: it is not valid JSON (line "));
    sandbox
        .jarvis()
        .args(["--workspace", "fresh", "import", "jarvis", "nowhere.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("The file `nowhere.json` is not valid: it cannot be read"));
    sandbox
        .jarvis()
        .env_remove("JARVIS_FAKE_NOW")
        .args(["--workspace", "fresh", "--today", "2026-12-01", "import", "jarvis", "backup.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--today (or JARVIS_TODAY) only works with commands that read"));
    assert_eq!(sandbox.json(&["--workspace", "fresh", "item", "list"])["items"], serde_json::json!([]));
    assert!(sandbox.json(&["--workspace", "fresh", "audit"])["entries"].as_array().unwrap().is_empty());
    sandbox
        .jarvis()
        .args(["import", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("jarvis").and(predicate::str::contains("Restore a backup")));
}

#[test]
fn workspaces_are_separate_on_the_command_line() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["--workspace", "111", "item", "add", "package", "GitHub Team", "--cost", "20"]);
    let other = sandbox.json(&["--workspace", "222", "item", "list"]);
    assert!(other["items"].as_array().unwrap().is_empty());
    sandbox
        .jarvis()
        .args(["--workspace", "222", "item", "remove", "#1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("No item `#1` in this workspace"));
    let mine = sandbox.json(&["--workspace", "111", "item", "list"]);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
}

/// Every kind of bad input is refused with a clear message, and nothing is written.
#[test]
fn bad_input_is_refused_and_writes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["item", "add", "domain", "acme.com", "--cost", "12"]);
    sandbox.ok(&["--workspace", "other", "item", "add", "domain", "secret.com", "--cost", "12"]);
    let long_name = "x".repeat(101);
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["item", "add", "other", "", "--cost", "1"], 2, "The name `` is not valid: it is empty"),
        (vec!["item", "add", "other", "   ", "--cost", "1"], 2, "it is empty"),
        (vec!["item", "add", "other", &long_name, "--cost", "1"], 2, "101 characters long; the limit is 100"),
        (vec!["item", "add", "other", "bad\u{7}name", "--cost", "1"], 2, "control character"),
        (vec!["item", "add", "other", "x", "--cost", "-5"], 2, "it cannot be negative"),
        (vec!["item", "add", "other", "x", "--cost", "NaN"], 2, "it is not a number"),
        (
            vec!["item", "add", "other", "x", "--cost", "1000000000001"],
            2,
            "larger than the maximum of 1,000,000,000,000",
        ),
        (vec!["item", "add", "other", "x", "--cost", "1.123456789"], 2, "more than 8 decimal places"),
        (vec!["item", "add", "other", "x", "--cost", "1", "--currency", "XYZ"], 2, "ISO 4217"),
        (vec!["item", "add", "other", "x", "--cost", "1", "--renews", "2026-02-30"], 2, "February 2026 has 28 days"),
        (vec!["item", "add", "gadget", "x", "--cost", "1"], 2, "invalid value 'gadget'"),
        (vec!["item", "add", "other", "x", "--cost", "1", "--period", "weekly"], 2, "invalid value 'weekly'"),
        (vec!["item", "add", "other", "x", "--cost", "1", "--status", "paused"], 2, "invalid value 'paused'"),
        (
            vec!["item", "add", "domain", "ACME.com", "--cost", "1"],
            1,
            "There is already a domain named `acme.com` (#1)",
        ),
        (vec!["item", "edit", "acme.con", "--cost", "1"], 1, "did you mean `acme.com`?"),
        (vec!["item", "show", "#99"], 1, "No item `#99` in this workspace"),
        (vec!["item", "edit", "secret.com", "--cost", "1"], 1, "No item `secret.com` in this workspace"),
        (vec!["item", "edit", "#2", "--cost", "1"], 1, "No item `#2` in this workspace"),
        (vec!["item", "edit", "acme.com"], 2, "Nothing to change"),
        (
            vec!["item", "add", "hosting", "x", "--cost", "1", "--registrar", "Namecheap"],
            1,
            "`registrar` applies to domains only",
        ),
        (vec!["item", "add", "other", "x"], 1, "with --cost"),
        (vec!["rate", "set", "USD", "THB", "0"], 2, "greater than zero"),
        (vec!["rate", "set", "USD", "USD", "1"], 2, "always 1"),
        (vec!["settings", "set", "timezone", "Mars/Base"], 2, "IANA name"),
        (vec!["settings", "set", "language", "fr"], 2, "choose one of: en, th"),
        (vec!["settings", "set", "lead-times", "30,400"], 2, "between 0 and 366"),
        (vec!["budget", "set", "food", "100"], 2, "not a known budget scope"),
        (vec!["budget", "set", "total", "-5"], 2, "budget"),
        (vec!["budget", "set", "total", "100", "--thresholds", "0"], 2, "between 1 and 1000"),
        (vec!["budget", "remove", "total"], 1, "no total budget"),
        (vec!["trends", "--months", "0"], 2, "0"),
        (vec!["cost", "record", "acme.com", "5", "--month", "2026-13"], 2, "use YYYY-MM"),
        (vec!["cost", "record", "acme.com", "5", "--date", "2027-01-01"], 1, "it starts after today"),
        (vec!["cost", "record", "acme.com", "5", "--source", "renewal"], 2, "written by Jarvis's jobs"),
        (vec!["--workspace", "no spaces", "item", "list"], 2, "1-64 letters"),
    ];
    for (args, code, fragment) in &cases {
        let output = sandbox.jarvis().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(stderr.contains(fragment), "{args:?}: expected {fragment:?} in {stderr}");
    }
    let list = sandbox.json(&["item", "list"]);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["cost"]["amount"], "12.00");
    assert!(sandbox.json(&["cost", "history"])["records"].as_array().unwrap().is_empty());
    assert!(sandbox.json(&["rate", "list"]).as_array().unwrap().is_empty());
    let audit = sandbox.json(&["audit"]);
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "only the one successful add: {audit}");
    let other = sandbox.json(&["--workspace", "other", "item", "list"]);
    assert_eq!(other["items"][0]["cost"]["amount"], "12.00");
}

#[test]
fn today_is_for_what_ifs_that_only_read() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["item", "add", "domain", "acme.dev", "--cost", "10", "--renews", "2026-12-06"]);
    let later = sandbox
        .jarvis()
        .env_remove("JARVIS_FAKE_NOW")
        .args(["item", "show", "acme.dev", "--today", "2026-12-07", "--json"])
        .output()
        .unwrap();
    let later: Value = serde_json::from_slice(&later.stdout).unwrap();
    assert_eq!(later["item"]["status"], "expired");
    sandbox
        .jarvis()
        .env_remove("JARVIS_FAKE_NOW")
        .args(["item", "edit", "acme.dev", "--cost", "12", "--today", "2026-12-07"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--today (or JARVIS_TODAY) only works with commands that read"));
    sandbox
        .jarvis()
        .env_remove("JARVIS_FAKE_NOW")
        .env("JARVIS_TODAY", "2030-01-01")
        .args(["jobs", "run"])
        .assert()
        .code(2);
    assert!(sandbox.json(&["cost", "history"])["records"].as_array().unwrap().is_empty());
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let sandbox = Sandbox::new();
    sandbox
        .jarvis()
        .env("DATABASE_URL", "sqlite:///nonexistent-dir/for/sure/jarvis.db")
        .args(["item", "list"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("could not open the database"));
}

/// The human renderings, reviewed once and kept stable.
#[test]
fn rendered_tables_match_their_snapshots() {
    let sandbox = Sandbox::new();
    insta::assert_snapshot!("demo", sandbox.ok(&["demo"]));
    insta::assert_snapshot!("show_openai", sandbox.ok(&["item", "show", "OpenAI"]));
    insta::assert_snapshot!("show_supabase", sandbox.ok(&["item", "show", "Supabase"]));
    insta::assert_snapshot!("settings", sandbox.ok(&["settings", "show"]));
    insta::assert_snapshot!(
        "history_october",
        sandbox.ok(&["cost", "history", "acme.com", "--from", "2026-10-01", "--to", "2026-10-31"])
    );
    let december = || {
        let output =
            sandbox.jarvis().env("JARVIS_FAKE_NOW", "2026-12-02T08:00:00Z").args(["jobs", "run"]).output().unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    insta::assert_snapshot!("jobs_first_run", december());
    insta::assert_snapshot!("jobs_second_run", december());
}

#[test]
fn an_unknown_workspace_is_pointed_out() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["item", "add", "other", "x", "--cost", "1"]);
    let printed = sandbox.ok(&["--workspace", "locla", "item", "list"]);
    assert!(printed.contains("warning: There is no workspace `locla` yet; the ones with data are: local"), "{printed}");
}

#[test]
fn remove_and_restore_from_the_command_line() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["item", "add", "cdn", "Cloudflare", "--cost", "20"]);
    let removed = sandbox.ok(&["item", "remove", "Cloudflare"]);
    assert!(removed.contains("jarvis item restore '#1'"), "{removed}");
    let restored = sandbox.ok(&["item", "restore", "#1"]);
    assert!(restored.starts_with("Restored cdn `Cloudflare` (#1)"), "{restored}");
    assert_eq!(sandbox.json(&["item", "list"])["items"].as_array().unwrap().len(), 1);
}

#[test]
fn the_analysis_commands_on_the_demo() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["demo"]);

    // The dashboard's core JSON shape: bare decimal strings in the base currency.
    let dashboard = sandbox.json(&["dashboard"]);
    assert_eq!(dashboard["base_currency"], "USD");
    assert_eq!(dashboard["total_monthly_cost"], "842.64");
    assert_eq!(dashboard["by_category"]["ai_services"], "421.20");
    let categories: Vec<&str> = dashboard["by_category"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(categories, ["infrastructure", "ai_services", "third_party", "packages", "other"]);
    assert_eq!(dashboard["trends"].as_array().unwrap().len(), 12);
    assert_eq!(dashboard["trends"][11], serde_json::json!({"month": "2026-10", "cost": "820.82"}));
    let renewal = &dashboard["upcoming_renewals"][0];
    assert_eq!(
        (renewal["item"].as_str(), renewal["date"].as_str(), renewal["cost"].as_str()),
        (Some("api-prod"), Some("2026-12-01"), Some("74.88"))
    );

    // Budgets: set, listed with this month against them, raised as alerts, removed.
    sandbox.ok(&["budget", "set", "ai-services", "400"]);
    let budgets = sandbox.json(&["budget", "list"]);
    assert_eq!(budgets["checks"][0]["spent"]["amount"], "421.20");
    assert_eq!(budgets["checks"][0]["spent_percent"], "105.3");
    // Percentages in JSON are rounded as the pages show them (843.28 of 300: 281.09...%).
    sandbox.ok(&["budget", "set", "total", "300"]);
    let budgets = sandbox.json(&["budget", "list"]);
    let total = budgets["checks"].as_array().unwrap().iter().find(|c| c["scope"] == "total").unwrap();
    assert_eq!((&total["spent_percent"], &total["forecast_percent"]), (&"281.1".into(), &"281.1".into()));
    sandbox.ok(&["budget", "remove", "total"]);
    let alerts = sandbox.json(&["alerts"]);
    let keys: Vec<&str> = alerts["alerts"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"budget:ai_services:2026-11:spent:100"), "{keys:?}");
    assert!(keys.contains(&"renewal:3:2026-12-06:7"), "{keys:?}");
    assert_eq!(alerts["alerts"][0]["severity"], "critical");
    assert!(alerts["alerts"][0]["title"].as_str().unwrap().contains("AI services budget"));
    sandbox.ok(&["budget", "remove", "ai-services"]);
    assert!(sandbox.json(&["budget", "list"])["budgets"].as_array().unwrap().is_empty());

    // The report in words, in both languages.
    let report = sandbox.ok(&["report"]);
    assert!(report.starts_with("## 🧭 Jarvis report · 2026-11-30"), "{report}");
    assert!(report.contains("**Health: ") && report.contains("### Recommendations"), "{report}");
    let thai = sandbox.ok(&["--lang", "th", "report"]);
    assert!(thai.contains("รายงาน Jarvis"), "{thai}");
    let json = sandbox.json(&["report"]);
    assert!(json["health"]["score"].as_u64().is_some());
    assert_eq!(json["health"]["components"].as_array().unwrap().len(), 5);

    // Trends with a forecast (12 months of history) and for one category.
    let trends = sandbox.json(&["trends", "--months", "6", "--category", "ai-services"]);
    assert_eq!(trends["months"].as_array().unwrap().len(), 6);
    assert_eq!(trends["forecast"].as_array().unwrap().len(), 3);
    let page = sandbox.ok(&["trends"]);
    let forecast = page.split("### Forecast (80% interval)\n").nth(1).unwrap();
    assert!(forecast.starts_with("`2026-12` **"), "{page}");
    assert_eq!(forecast.lines().count(), 3, "{page}");

    // The chart is a PNG file.
    sandbox.jarvis().args(["dashboard", "--chart", "dash.png"]).assert().success();
    let png = std::fs::read(sandbox.dir.path().join("dash.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    sandbox.jarvis().args(["trends", "--chart", "trends.png", "--lang", "th"]).assert().success();
    assert!(sandbox.dir.path().join("trends.png").exists());
    // A chart that cannot be written is a clear error.
    sandbox
        .jarvis()
        .args(["dashboard", "--chart", "no/such/dir/x.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("could not write the chart to no/such/dir/x.png"));
}

#[test]
fn lead_times_and_alternative_prices_from_the_command_line() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["settings", "set", "lead-times", "14,3"]);
    assert_eq!(sandbox.json(&["settings", "show"])["lead_times"], serde_json::json!([14, 3]));
    sandbox.ok(&["item", "add", "domain", "acme.com", "--cost", "12", "--renews", "2026-12-10"]);
    let keys = |s: &Sandbox| -> Vec<String> {
        s.json(&["alerts"])["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&sandbox), ["renewal:1:2026-12-10:14"]);
    sandbox.ok(&["item", "edit", "acme.com", "--lead-times", "30"]);
    assert_eq!(keys(&sandbox), ["renewal:1:2026-12-10:30"]);
    sandbox.ok(&["item", "edit", "acme.com", "--clear", "lead-times"]);
    assert_eq!(keys(&sandbox), ["renewal:1:2026-12-10:14"]);

    sandbox.ok(&["item", "add", "package", "GitHub", "--cost", "30", "--yearly-price", "300"]);
    let shown = sandbox.ok(&["item", "show", "GitHub"]);
    assert!(shown.contains("Yearly price") && shown.contains("300.00 USD"), "{shown}");
    let report = sandbox.json(&["report"]);
    let rec = report["recommendations"].as_array().unwrap().iter().find(|r| r["kind"] == "switch_to_yearly").unwrap();
    assert_eq!(rec["monthly_savings"]["amount"], "5.00");
    assert_eq!(
        rec["arithmetic"],
        "12 x 30.00 USD = 360.00 USD a year, against 300.00 USD billed yearly: 60.00 USD a year, 5.00 USD a month."
    );
    // A yearly price on a yearly item makes no sense, and says so.
    sandbox
        .jarvis()
        .args(["item", "add", "domain", "acme.io", "--cost", "40", "--yearly-price", "30"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("leave --yearly-price out"));
}

/// A write retried because its answer was lost (the terminal killed, say) does not count twice;
/// `--again` records a genuine second charge.
#[test]
fn a_retried_cost_record_is_refused_and_again_records_it() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["item", "add", "package", "Target", "--cost", "20"]);
    let args = ["cost", "record", "Target", "5", "--month", "2026-10"];
    let first = sandbox.json(&args);
    let retry = sandbox.jarvis().args(args).output().unwrap();
    assert_eq!(retry.status.code(), Some(1));
    let error = String::from_utf8_lossy(&retry.stderr);
    assert!(error.contains(&format!("Cost record #{} already holds 5.00 USD for `Target`", first["id"])), "{error}");
    assert!(error.contains("add --again"), "{error}");
    let mut again = args.to_vec();
    again.push("--again");
    sandbox.ok(&again);
    let history = sandbox.json(&["cost", "history", "Target"]);
    assert_eq!(history["records"].as_array().unwrap().len(), 2);
}

/// USD records from October, USD->THB rates only from November, in a THB workspace: the pages say
/// the history is there and which days lack a rate, and `cost history` totals what converts and
/// says what it leaves out, with the command that fixes it.
#[test]
fn records_older_than_every_rate_are_explained_with_the_fix() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["settings", "set", "currency", "THB"]);
    sandbox.ok(&["item", "add", "hosting", "web", "--cost", "100", "--currency", "USD"]);
    sandbox.ok(&["cost", "record", "web", "100", "--month", "2026-10"]);
    sandbox.ok(&["rate", "set", "USD", "THB", "35", "--date", "2026-11-01"]);
    let why = "USD amounts for 2026-10-01 to 2026-10-31 are left out of THB totals: the earliest rate between USD and THB is dated 2026-11-01, after they start. Run `jarvis rate set USD THB <rate> --date 2026-10-01`";

    let history = sandbox.ok(&["cost", "history"]);
    assert!(history.contains("Total: 0.00 THB (1 record)\nNot in the total: 100.00 USD (1 record). "), "{history}");
    assert!(history.contains(why), "{history}");
    let json = sandbox.json(&["cost", "history"]);
    assert_eq!(json["left_out"][0]["amount"]["amount"], "100.00");
    assert_eq!(json["left_out"][0]["missing"]["first"], "2026-10-01");
    assert_eq!(json["left_out"][0]["missing"]["last"], "2026-10-31");
    assert_eq!(json["left_out"][0]["missing"]["earliest_rate"], "2026-11-01");

    for page in ["dashboard", "trends"] {
        let shown = sandbox.ok(&[page]);
        assert!(!shown.contains("No cost history yet"), "{shown}");
        assert!(shown.contains("`2026-10` 0.00 THB ⚠️ some amounts left out: no exchange rate"), "{shown}");
        assert!(shown.contains(why), "{shown}");
    }
    let thai = sandbox.ok(&["--lang", "th", "dashboard"]);
    assert!(thai.contains("ใช้คำสั่ง `jarvis rate set USD THB <อัตรา> --date 2026-10-01`"), "{thai}");
}

/// A filter that matches nothing says so (not "no items yet"), and a filtered list totals the
/// items it shows, worked out as the workspace's run-rate is.
#[test]
fn a_filtered_item_list_says_what_matched_and_totals_only_that() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["item", "add", "domain", "acme.com", "--cost", "12", "--renews", "2027-06-01", "--auto-renew"]);
    sandbox.ok(&["item", "add", "hosting", "api", "--cost", "70"]);
    let none = sandbox.ok(&["item", "list", "--status", "expiring"]);
    assert!(none.contains("No item matches --status expiring; `jarvis item list` lists every item."), "{none}");
    assert!(!none.contains("No items yet"), "{none}");
    assert_eq!(
        sandbox.json(&["item", "list", "--status", "expiring"])["totals"]["total_monthly_cost"]["amount"],
        "0.00"
    );

    let domains = sandbox.ok(&["item", "list", "--kind", "domain"]);
    assert!(domains.contains("Monthly run-rate of the items listed (--kind domain): 1.00 USD"), "{domains}");
    let json = sandbox.json(&["item", "list", "--kind", "domain"]);
    assert_eq!(json["totals"]["total_monthly_cost"]["amount"], "1.00");
    assert_eq!(json["totals"]["by_category"]["infrastructure"]["amount"], "1.00");
    let all = sandbox.json(&["item", "list"]);
    assert_eq!(all["totals"]["total_monthly_cost"]["amount"], "71.00");
    let empty = Sandbox::new();
    assert!(empty.ok(&["item", "list"]).contains("No items yet."));
}

/// Removing a record twice says it was removed already; a record that never was points at the
/// command that lists records.
#[test]
fn a_cost_record_that_is_gone_points_at_cost_history() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["item", "add", "hosting", "api", "--cost", "70"]);
    sandbox.ok(&["cost", "record", "api", "70", "--month", "2026-10"]);
    sandbox.ok(&["cost", "remove", "1"]);
    let output = sandbox.jarvis().args(["cost", "remove", "1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Cost record #1 was already removed on 2026-11-30 12:00 UTC"), "{stderr}");
    let output = sandbox.jarvis().args(["cost", "remove", "7"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("No cost record `#7` in this workspace; list them with `cost history`"), "{stderr}");
}

/// Quantities are grouped and counts agree with their nouns in the tables and cards.
#[test]
fn quantities_are_grouped_and_counts_agree_with_their_nouns() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "item",
        "add",
        "ai_provider",
        "API",
        "--period",
        "usage-based",
        "--unit",
        "request",
        "--unit-price",
        "0.001",
        "--usage",
        "51000",
        "--free-tier",
        "60000",
        "--usage-limit",
        "100000",
    ]);
    let card = sandbox.ok(&["item", "show", "API"]);
    assert!(card.contains("51,000 × request of 60,000 free (85%), limit 100,000 (51%)"), "{card}");
    let settings = sandbox.ok(&["settings", "set", "expiring-window", "1"]);
    assert!(settings.contains("Expiring window  1 day\n"), "{settings}");
    let settings = sandbox.ok(&["settings", "set", "lead-times", "1"]);
    assert!(settings.contains("Lead times       1 day before renewals"), "{settings}");
    let exported = sandbox.ok(&["export", "items", "-o", "items.json"]);
    assert_eq!(exported, "Exported 1 item to items.json.\n");
}

/// Exit code 2 is one rule: the command line was not understood, including any value not valid
/// for its flag or argument, whatever the flag (numbers, dates, text, intervals), with the reason;
/// nothing is written.
#[test]
fn every_bad_value_on_the_command_line_exits_2_with_its_reason() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["item", "add", "domain", "acme.com", "--cost", "12"]);
    let interval = "The check interval";
    let dates = "Jarvis takes dates from 2000-01-01 to 2100-12-31";
    let cases: &[(&[&str], &str)] = &[
        (&["site", "add", "https://acme.dev", "--interval", "0"], interval),
        (&["site", "add", "https://acme.dev", "--interval", "1441"], "give minutes from 1 to 1440"),
        (&["site", "add", "https://acme.dev", "--interval", "five"], "give whole minutes from 1 to 1440"),
        (&["item", "add", "other", "x", "--cost", "1", "--provider", "bad\u{7}"], "it contains the control character"),
        (&["item", "add", "other", "x", "--cost", "1", "--unit", "\u{200B}GB"], "The unit"),
        (&["item", "add", "other", "x", "--cost", "1", "--notes", "a\u{202E}b"], "invisible character"),
        (&["item", "add", "package", "x", "--cost", "1", "--feature", ""], "The feature `` is not valid"),
        (&["item", "edit", "acme.com", "--name", ""], "The name `` is not valid"),
        (&["item", "edit", "acme.com", "--registrar", " "], "The registrar"),
        (&["item", "add", "other", "x", "--cost", "1", "--renews", "2101-01-01"], dates),
        (&["cost", "record", "acme.com", "5", "--note", "\u{200B}"], "The notes"),
        (&["cost", "record", "acme.com", "5", "--date", "9999-12-31"], dates),
        (&["cost", "record", "acme.com", "5", "--from", "1999-12-31", "--to", "2026-01-31"], dates),
        (&["cost", "record", "acme.com", "5", "--from", "2026-01-01", "--to", "2101-01-01"], dates),
        (&["cost", "record", "acme.com", "5", "--month", "9999-12"], "Jarvis takes months from 2000-01 to 2100-12"),
        (&["cost", "history", "--from", "1999-12-31"], dates),
        (&["cost", "history", "--to", "2101-01-01"], dates),
        (&["rate", "set", "USD", "THB", "35", "--date", "9999-12-31"], dates),
        (&["rate", "set", "USD", "THB", "0.0000000001"], "more than 8 decimal places"),
        (&["rate", "set", "USD", "THB", "2000000000"], "larger than the maximum of 1,000,000,000"),
        (&["rate", "set", "USD", "THB", "0"], "greater than zero"),
        (&["--today", "1999-12-31", "item", "list"], dates),
        (&["dashboard", "--days", "0"], "0"),
        (&["trends", "--months", "61"], "61"),
        (&["audit", "--limit", "0"], "0"),
        // Values only the adapter can judge: a setting's value for its key, flags that contradict
        // each other, a URL that is not http(s), a flag a writing command does not take.
        (&["settings", "set", "currency", "XYZ"], "`XYZ`"),
        (
            &["settings", "set", "remind_hours", "0"],
            "The reminder interval `0` is not valid: it must be between 1 and 720",
        ),
        (&["settings", "set", "timezone", "Mars/Olympus"], "The timezone `Mars/Olympus` is not valid"),
        (
            &["cost", "history", "--from", "2026-12-01", "--to", "2026-11-01"],
            "The dates run backwards: 2026-12-01 is after 2026-11-01; swap them",
        ),
        (&["cost", "record", "acme.com", "5", "--from", "2026-11-02", "--to", "2026-11-01"], "The dates run backwards"),
        (
            &["cost", "record", "acme.com", "5", "--from", "2000-01-01", "--to", "2100-12-31"],
            "it is more than 10 years long",
        ),
        (&["site", "add", "ftp://x"], "The site URL `ftp://x` is not valid"),
        (&["site", "add", "https://acme.dev", "--keyword", "two\nlines"], "The keyword"),
        (
            &["--today", "2026-12-01", "item", "add", "other", "y", "--cost", "1"],
            "--today (or JARVIS_TODAY) only works with commands that read",
        ),
        (&["--today", "2026-12-01", "cost", "remove", "1"], "--today (or JARVIS_TODAY) only works"),
        (&["item", "show", " "], "Say which item: its name or its #id"),
        (&["rate", "set", "USD", "usd", "1"], "A rate from USD to itself is always 1"),
        (&["budget", "set", "total", "10", "--thresholds", "80,80"], "it gives 80 twice"),
        (&["settings", "set", "lead-times", "30,7,7"], "it gives 7 twice"),
    ];
    for (args, fragment) in cases {
        let output = sandbox.jarvis().args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(fragment), "{args:?}: expected {fragment:?} in {stderr}");
    }
    assert!(sandbox.json(&["rate", "list"]).as_array().unwrap().is_empty());
    assert!(sandbox.json(&["site", "list"])["sites"].as_array().unwrap().is_empty());
    assert!(sandbox.json(&["cost", "history"])["records"].as_array().unwrap().is_empty());
    assert!(sandbox.json(&["budget", "list"])["budgets"].as_array().unwrap().is_empty());
    assert_eq!(sandbox.json(&["item", "list"])["items"].as_array().unwrap().len(), 1);
    let settings = sandbox.json(&["settings", "show"]);
    assert_eq!((&settings["base_currency"], &settings["remind_hours"]), (&"USD".into(), &24.into()));
}

/// Long lists come a page at a time: `--limit` and `--page`, a footer with the command for the
/// next page, page info in JSON, and bad values refused like any command-line mistake (exit 2).
#[test]
fn long_lists_come_a_page_at_a_time() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["demo"]);

    let first = sandbox.ok(&["item", "list", "--limit", "4"]);
    assert!(first.contains("Page 1 of 4 (15 items) — next: jarvis item list --limit 4 --page 2\n"), "{first}");
    assert!(first.contains("Monthly run-rate of all 15 items (every page): 842.64 USD"), "{first}");
    assert!(first.contains("acme.com") && !first.contains("Office internet"), "{first}");
    let last = sandbox.ok(&["item", "list", "--limit", "4", "--page", "last"]);
    assert!(last.contains("Page 4 of 4 (15 items) — previous: jarvis item list --limit 4 --page 3\n"), "{last}");
    assert!(last.contains("Office internet") && !last.contains("acme.com"), "{last}");
    // Filters, the workspace and words with spaces come back in the command, ready to paste.
    let filtered = sandbox.ok(&["item", "list", "--category", "infrastructure", "--limit", "2"]);
    assert!(filtered.contains("— next: jarvis item list --category infrastructure --limit 2 --page 2"), "{filtered}");
    let history = sandbox.ok(&["cost", "history", "Office internet", "--from", "2026-01-01", "--limit", "3"]);
    assert!(
        history.contains("— next: jarvis cost history 'Office internet' --from 2026-01-01 --limit 3 --page 2"),
        "{history}"
    );
    assert!(history.contains(": 372.83 USD (10 records on all 4 pages; those reaching outside"), "{history}");
    sandbox.ok(&["--workspace", "second", "demo"]);
    let second = sandbox.ok(&["--workspace", "second", "item", "list", "--limit", "10"]);
    assert!(second.contains("— next: jarvis --workspace second item list --limit 10 --page 2"), "{second}");
    let audit = sandbox.ok(&["audit", "--limit", "5", "--page", "2"]);
    assert!(audit.contains("Page 2 of ") && audit.contains("— next: jarvis audit --limit 5 --page 3"), "{audit}");
    // One page: no footer, as before.
    let whole = sandbox.ok(&["item", "list"]);
    assert!(!whole.contains("Page 1") && whole.contains("Monthly run-rate: 842.64 USD"), "{whole}");

    let json = sandbox.json(&["item", "list", "--limit", "4", "--page", "2"]);
    assert_eq!(json["paging"], serde_json::json!({"page": 2, "pages": 4, "per_page": 4, "total": 15}));
    assert_eq!(json["items"].as_array().unwrap().len(), 4);
    assert_eq!(json["totals"]["total_monthly_cost"]["amount"], "842.64", "totals of every item");
    let all = sandbox.json(&["cost", "history", "--limit", "1000"]);
    let history = sandbox.json(&["cost", "history", "--limit", "10", "--page", "last"]);
    let total = all["paging"]["total"].as_u64().unwrap();
    assert!(total > 10, "{}", all["paging"]);
    assert_eq!(history["paging"]["page"], history["paging"]["pages"]);
    assert_eq!(history["total"], all["total"], "the total covers every page");
    let newest = &all["records"].as_array().unwrap()[(total - 1) as usize];
    assert_eq!(history["records"].as_array().unwrap().last().unwrap()["id"], newest["id"]);
    let audit = sandbox.json(&["audit", "--limit", "3"]);
    assert_eq!(audit["paging"]["per_page"], 3);
    assert_eq!(audit["entries"].as_array().unwrap().len(), 3);
    let renewals = sandbox.json(&["renewals", "--days", "60", "--limit", "2"]);
    assert_eq!(renewals["paging"]["per_page"], 2);
    assert!(renewals["paging"]["total"].as_u64().unwrap() > 2, "{renewals}");
    let text = sandbox.ok(&["renewals", "--days", "60", "--limit", "2"]);
    assert!(text.contains("— next: jarvis renewals --days 60 --limit 2 --page 2"), "{text}");

    let cases = [
        (vec!["item", "list", "--page", "0"], "The page `0` is not valid: give a whole number from 1, or `last`"),
        (vec!["item", "list", "--page", "two"], "The page `two` is not valid"),
        (vec!["cost", "history", "--page", "-1"], "The page `-1` is not valid"),
        (
            vec!["item", "list", "--limit", "0"],
            "The limit `0` is not valid: give how many to show on a page, a whole number from 1 to 1000",
        ),
        (vec!["renewals", "--limit", "1001"], "The limit `1001` is not valid"),
        (vec!["audit", "--limit", "2.5"], "The limit `2.5` is not valid"),
        (
            vec!["item", "list", "--page", "7", "--limit", "5"],
            "Page 7 is past the end: the 15 items fill 3 pages of 5; ask for a page from 1 to 3",
        ),
        (vec!["cost", "history", "acme.com", "--page", "9"], "Page 9 is past the end: the"),
        (vec!["renewals", "--page", "3"], "Page 3 is past the end: the"),
        (vec!["audit", "--page", "99"], "Page 99 is past the end: the"),
    ];
    for (args, fragment) in &cases {
        let output = sandbox.jarvis().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(fragment), "{args:?}: expected {fragment:?} in {stderr}");
    }
}

/// A bad shard plan is refused before anything connects, saying what to write instead.
#[test]
fn bad_shard_ranges_are_refused_at_start() {
    let sandbox = Sandbox::new();
    let run = |args: &[&str]| {
        let output = sandbox
            .jarvis()
            .env("DISCORD_TOKEN", "t")
            // Nothing listens there: a plan refused never gets that far.
            .env("DISCORD_API_PROXY", "http://127.0.0.1:9")
            .env_remove("JARVIS_SHARDS")
            .env_remove("JARVIS_SHARD_COUNT")
            .arg("run")
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?} was accepted");
        String::from_utf8(output.stderr).unwrap()
    };
    let backwards = run(&["--shards", "2-1", "--shard-count", "4"]);
    assert!(backwards.contains("runs backwards; write 1-2"), "{backwards}");
    let outside = run(&["--shards", "3-4", "--shard-count", "4"]);
    assert!(outside.contains("with a shard count of 4 the shards are 0 to 3"), "{outside}");
    let lists = run(&["--shards", "0-1,3", "--shard-count", "4"]);
    assert!(lists.contains("FIRST-LAST"), "{lists}");
    let no_count = run(&["--shards", "1"]);
    assert!(no_count.contains("--shard-count"), "{no_count}");
    let zero = run(&["--shard-count", "0"]);
    assert!(zero.contains("from 1 to 1024"), "{zero}");
    let lease = sandbox.jarvis().env("JARVIS_LEASE", "1").arg("status").output().unwrap();
    assert!(String::from_utf8_lossy(&lease.stderr).contains("from 3 to 3600"), "{lease:?}");
}

/// A token is printed once when made, and never again: the list shows its prefix only.
#[test]
fn api_tokens_are_shown_once_and_listed_by_prefix() {
    let sandbox = Sandbox::new();
    let made = sandbox.json(&["token", "create", "grafana", "--scope", "read"]);
    let token = made["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("jarvis_") && token.starts_with(made["prefix"].as_str().unwrap()), "{made}");
    let shown = sandbox.ok(&["token", "create", "sync", "--scope", "write"]);
    assert!(shown.contains("shown this once") && shown.contains("jarvis_"), "{shown}");
    let listed = sandbox.ok(&["token", "list"]);
    assert!(listed.contains("grafana") && listed.contains("sync") && !listed.contains(&token), "{listed}");
    assert!(!sandbox.ok(&["token", "list", "--json"]).contains(&token));
    let revoked = sandbox.ok(&["token", "revoke", "grafana"]);
    assert!(revoked.contains("refused from now on"), "{revoked}");
    let again = sandbox.jarvis().args(["token", "revoke", "grafana"]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("No token `grafana`"), "{again:?}");
}

/// `jarvis serve` listens where JARVIS_HTTP_ADDR says (port 0: one the system picks, logged),
/// answers with the ledger's figures for a token, and stops cleanly on SIGTERM; an address in
/// use is refused with what to change.
#[test]
fn serve_answers_over_http_and_stops_on_sigterm() {
    use std::io::BufRead as _;
    let sandbox = Sandbox::new();
    sandbox.ok(&["demo"]);
    let token = sandbox.json(&["token", "create", "script", "--scope", "read"])["token"].as_str().unwrap().to_string();
    let expected = sandbox.json(&["dashboard"]);
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("jarvis"));
    command.envs(sandbox.jarvis().get_envs().filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))));
    command.current_dir(sandbox.jarvis().get_current_dir().unwrap_or(std::path::Path::new(".")));
    let mut child = command
        .args(["serve"])
        .env("JARVIS_HTTP_ADDR", "127.0.0.1:0")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.split("listens on http://").nth(1).map(|a| a.trim().to_string()))
        .expect("the address is logged");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (status, dashboard) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(format!("http://{addr}/api/cost/dashboard?lang=en"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    });
    assert_eq!((status.as_u16(), &dashboard), (200, &expected));

    // The address is taken now: a second server says so.
    let taken = sandbox.jarvis().args(["serve"]).env("JARVIS_HTTP_ADDR", &addr).output().unwrap();
    assert_eq!(taken.status.code(), Some(3));
    let said = String::from_utf8_lossy(&taken.stderr);
    assert!(said.contains(&format!("could not listen on {addr}")) && said.contains("JARVIS_HTTP_ADDR"), "{said}");

    let started = std::time::Instant::now();
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

/// `jarvis import focus` reads a bill from a file (plain or gzip) or standard input, says what a
/// dry run would change, imports once however often it is run, and lists, shows and removes
/// imports; a bad row is refused with its line and nothing written.
#[test]
fn bills_are_imported_from_the_command_line() {
    use std::io::Write as _;
    let sandbox = Sandbox::new();
    let fixture = format!("{}/tests/fixtures/focus/focus-1.0-quirks.csv", env!("CARGO_MANIFEST_DIR"));
    let dry = sandbox.ok(&["import", "focus", &fixture, "--dry-run"]);
    assert!(dry.contains("Dry run of `focus-1.0-quirks.csv` (FOCUS 1.0): 5 rows would become 4 cost records"), "{dry}");
    assert!(dry.contains("11.47300015 USD") && dry.contains("yes, exactly"), "{dry}");
    assert!(sandbox.ok(&["import", "list"]).contains("No bills imported yet"));

    let done = sandbox.ok(&["import", "focus", &fixture]);
    assert!(done.contains("as import #1: 5 rows into 4 cost records"), "{done}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(&fixture).unwrap()).unwrap();
    let output =
        sandbox.jarvis().args(["--json", "import", "focus", "-"]).write_stdin(gz.finish().unwrap()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let again: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((again["id"].as_i64(), again["replaced"].as_u64()), (Some(2), Some(4)));
    assert_eq!(again["file_name"], "standard input");
    assert_eq!(again["totals"][0]["ledger"]["amount"], "11.47300015");

    let list: Value = serde_json::from_str(&sandbox.ok(&["--json", "import", "list"])).unwrap();
    let states: Vec<&str> = list["imports"].as_array().unwrap().iter().map(|i| i["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["live", "replaced"]);
    let shown = sandbox.ok(&["import", "show", "#2"]);
    assert!(shown.contains("Amazon Elastic Compute Cloud") && shown.contains("yes, exactly"), "{shown}");
    let removed = sandbox.ok(&["import", "remove", "2"]);
    assert!(removed.contains("Removed import #2") && removed.contains("11.47300015 USD"), "{removed}");

    let bad = sandbox.dir.path().join("bad.csv");
    let mut text = std::fs::read_to_string(&fixture).unwrap();
    text.push_str(",Tax,one,tax,USD,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,Amazon Web Services,Amazon Web Services,111,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,NULL,1,1,Tax\r\n");
    std::fs::write(&bad, text).unwrap();
    sandbox.jarvis().args(["import", "focus", bad.to_str().unwrap()]).assert().failure().stderr(
        predicate::str::contains("line 7: column BilledCost, value `one`: it is not a number; nothing was imported"),
    );
    sandbox
        .jarvis()
        .args(["import", "focus", "missing.csv"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("The file `missing.csv` is not valid: it cannot be opened"));
    let list: Value = serde_json::from_str(&sandbox.ok(&["--json", "import", "list"])).unwrap();
    assert_eq!(list["imports"].as_array().unwrap().len(), 2);
}

/// `jarvis web link` prints a one-time link to the pages at the address they are reached at;
/// `jarvis web sign-out-all` ends the sessions; a bad public address is refused.
#[test]
fn web_links_from_the_command_line() {
    let sandbox = Sandbox::new();
    let text = sandbox.ok(&["web", "link", "--name", "Ops"]);
    assert!(text.contains("http://127.0.0.1:8080/signin/") && text.contains("works once"), "{text}");
    let shown = sandbox.json(&["web", "link", "--read-only", "--public-url", "https://jarvis.example.com/"]);
    let url = shown["url"].as_str().unwrap();
    let secret = url.strip_prefix("https://jarvis.example.com/signin/").unwrap_or_else(|| panic!("{url}"));
    assert_eq!(secret.len(), 64);
    assert_eq!(shown["expires_at"], "2026-11-30T12:10:00Z");
    let refused = sandbox.jarvis().args(["web", "link", "--public-url", "ftp://x"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("http or https"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(sandbox.json(&["web", "sign-out-all"])["ended"], 0, "links are not sessions until followed");
    let audit = sandbox.ok(&["audit"]);
    assert!(!audit.contains(secret), "a link's secret is never in the audit log");
}
