//! Several `jarvis run` processes on one ledger against the fake Discord, which answers posts
//! slowly (1-2 s) and does NOT deduplicate by nonce, so only Jarvis's claims keep a message from
//! going out twice. One instance is killed (SIGKILL) after its post left and before it could
//! record it, and restarted: every report and alert ping is posted exactly once, the message it
//! posted is found in its channel by the instance that takes it over, and every shard is served
//! again within one lease; then every instance is restarted in turn (a rolling restart) while
//! messages are still going out. Three instances on PostgreSQL, two processes on one SQLite file.

mod common;
mod fake_discord;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::ws;
use fake_discord::FakeDiscord;
use jarvis::domain::audit::Actor;
use jarvis::domain::workspace::SettingKey;
use jarvis::store::Backend;

/// Workspaces (Discord servers), each with a daily report and its own alert channel.
const WORKSPACES: u64 = 50;
/// How long an instance's claims last without renewal.
const LEASE_SECONDS: u64 = 6;
/// The instances' clock runs this many times as fast as real time: a minute a second, so the
/// 50 reports (five a minute from 09:00) fall due over ten seconds.
const SPEED: u32 = 60;
/// What the instances' clock reads when the test starts them.
const START: &str = "2026-11-30T08:59:30Z";

/// A guild id on shard `k % count` (Discord's rule: `(id >> 22) % count`).
fn guild(k: u64, count: u64) -> u64 {
    let high = 1_000_000 * count + k % count;
    (high << 22) | (k + 1)
}

fn report_channel(k: u64) -> u64 {
    10_000 + k
}

fn alert_channel(k: u64) -> u64 {
    20_000 + k
}

/// `jarvis run` processes, killed when the test ends (also when it fails).
struct Instances {
    children: Vec<(u32, Child)>,
    env: Vec<(String, String)>,
    logs: std::path::PathBuf,
    started: usize,
}

impl Instances {
    /// Starts the instance serving `shard` of `count`.
    fn start(&mut self, shard: u32, count: u32) {
        self.started += 1;
        let log =
            std::fs::File::create(self.logs.join(format!("instance-{}-shard-{shard}.log", self.started))).unwrap();
        let child = Command::new(assert_cmd::cargo::cargo_bin("jarvis"))
            .arg("run")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("JARVIS_SHARDS", shard.to_string())
            .env("JARVIS_SHARD_COUNT", count.to_string())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start jarvis run");
        self.children.push((shard, child));
    }

    /// Kills (SIGKILL) the instance with process id `pid`; the shard it served.
    fn kill(&mut self, pid: u32) -> u32 {
        let at = self.children.iter().position(|(_, c)| c.id() == pid).expect("one of ours");
        let (shard, mut child) = self.children.remove(at);
        child.kill().unwrap();
        child.wait().unwrap();
        shard
    }

    /// Stops the instance serving `shard` with SIGTERM and starts another for it: how long the
    /// stop took.
    fn restart(&mut self, shard: u32, count: u32) -> Duration {
        let at = self.children.iter().position(|(s, _)| *s == shard).expect("an instance for the shard");
        let (_, mut child) = self.children.remove(at);
        let asked = Instant::now();
        terminate(&child);
        let took = stopped(&mut child, asked).unwrap_or_else(|why| panic!("{why}; the logs:\n{}", self.logs()));
        self.start(shard, count);
        took
    }

    /// Asks every instance to stop (SIGTERM); how long the slowest took.
    fn stop_all(&mut self) -> Duration {
        let asked = Instant::now();
        self.children.iter().for_each(|(_, child)| terminate(child));
        // Every one waited for, before any failure is told.
        let stops: Vec<Result<Duration, String>> =
            self.children.drain(..).map(|(_, mut child)| stopped(&mut child, asked)).collect();
        let stops: Result<Vec<Duration>, String> = stops.into_iter().collect();
        stops.unwrap_or_else(|why| panic!("{why}; the logs:\n{}", self.logs())).into_iter().max().unwrap_or_default()
    }

    fn logs(&self) -> String {
        let mut all = String::new();
        for entry in std::fs::read_dir(&self.logs).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            all.push_str(&format!("--- {}\n{}\n", entry.path().display(), text));
        }
        all
    }
}

/// Sends SIGTERM to `child`.
fn terminate(child: &Child) {
    let sent = Command::new("sh").args(["-c", &format!("kill -TERM {}", child.id())]).status().unwrap();
    assert!(sent.success());
}

/// Waits for `child`, asked to stop at `asked`, to exit: how long after `asked` it did, or why
/// it did not stop cleanly (within 20 s).
fn stopped(child: &mut Child, asked: Instant) -> Result<Duration, String> {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return if status.success() {
                Ok(asked.elapsed())
            } else {
                Err(format!("instance {} stopped with {status}", child.id()))
            };
        }
        if asked.elapsed() > Duration::from_secs(20) {
            return Err(format!("instance {} did not stop within 20 s", child.id()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Instances {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits until a new gateway session (one more IDENTIFY than `identified_before`) serves `shard`,
/// at most a lease and a bit after `since`; how long after `since` it did.
async fn served_again(
    fake: &FakeDiscord,
    shard: u32,
    count: u32,
    identified_before: usize,
    since: Instant,
    instances: &Instances,
) -> Duration {
    loop {
        if fake.identify_count(shard) > identified_before && fake.identified_shards().contains(&(shard, count)) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < Duration::from_secs(LEASE_SECONDS + 3),
            "shard {shard} is not served again: {:?}\n{}",
            fake.identified_shards(),
            instances.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Counts rows of `sql` (one integer column).
async fn count(db: &common::TestDb, sql: &str) -> i64 {
    db.raw_fetch::<(i64,)>(sql).await[0].0
}

on_both_backends! {
    multi_thread async fn no_report_or_ping_is_lost_or_doubled_when_an_instance_dies_mid_delivery(db) {
        let count_of_instances: u32 = match db.backend() {
            Backend::Postgres => 3,
            Backend::Sqlite => 2,
        };
        let fake = FakeDiscord::start().await;
        fake.set_post_delay(Duration::from_secs(1), Duration::from_secs(2));
        fake.set_nonce_dedup(false);

        // 50 servers: a report each (five a minute from 09:00), and in every fifth an expiring
        // domain that pings its alert channel.
        let app = db.app_at("2026-11-30T08:59:00Z");
        let mut alerting = Vec::new();
        for k in 0..WORKSPACES {
            let g = guild(k, u64::from(count_of_instances));
            let workspace = ws(&g.to_string());
            fake.add_channel(g, report_channel(k));
            fake.add_channel(g, alert_channel(k));
            let at = format!("09:{:02}", k / 5);
            app.set_schedule(&workspace, &Actor::Cli, report_channel(k), "daily", &at).await.unwrap();
            app.set_setting(&workspace, &Actor::Cli, SettingKey::AlertChannel, &format!("<#{}>", alert_channel(k)))
                .await
                .unwrap();
            if k % 5 == 0 {
                let mut domain = common::named(&format!("site{k}.example"), "12");
                domain.period = Some(jarvis::domain::item::BillingPeriod::Yearly);
                domain.renewal_date = Some(Some("2026-12-04".parse().unwrap()));
                app.add_item(&workspace, &Actor::Cli, jarvis::domain::item::Kind::Domain, &domain).await.unwrap();
                alerting.push(k);
            }
        }

        let held = fake.hold_next_post();
        let anchor = chrono::Utc::now().timestamp_millis();
        let logs = tempfile::tempdir().unwrap();
        let mut instances = Instances {
            children: Vec::new(),
            env: vec![
                ("DATABASE_URL".into(), db.url.clone()),
                ("DISCORD_TOKEN".into(), "fake-bot-token".into()),
                ("DISCORD_API_PROXY".into(), fake.url()),
                ("JARVIS_FAKE_NOW".into(), format!("{START} x{SPEED} @{anchor}")),
                ("JARVIS_LEASE".into(), LEASE_SECONDS.to_string()),
                ("JARVIS_TICK_MS".into(), "250".into()),
                ("JARVIS_ALERT_EVERY_MS".into(), "1000".into()),
                ("JARVIS_RDAP".into(), "off".into()),
                ("RUST_LOG".into(), "jarvis=info".into()),
            ],
            logs: logs.path().to_path_buf(),
            started: 0,
        };
        for shard in 0..count_of_instances {
            instances.start(shard, count_of_instances);
        }
        let shards: Vec<u32> = (0..count_of_instances).collect();
        assert!(fake.wait_shards(&shards, count_of_instances, Duration::from_secs(30)).await, "{}", instances.logs());
        fake.wait_commands(None).await;

        // The first post leaves and is never answered: its instance dies before it can record it.
        let held = tokio::time::timeout(Duration::from_secs(60), held).await.expect("a post").expect("held");
        let outbox_id: i64 = held.nonce.as_deref().and_then(|n| n.strip_prefix("jarvis-")).unwrap().parse().unwrap();
        let holder = db
            .raw_fetch::<(Option<String>,)>(&format!("SELECT claimed_by FROM outbox WHERE id = {outbox_id}"))
            .await
            .remove(0)
            .0
            .expect("the message is claimed while it is posted");
        let pid: u32 = holder.split('/').nth(1).unwrap().parse().unwrap();
        let killed_at = Instant::now();
        let shard = instances.kill(pid);
        let identified_before = fake.identify_count(shard);
        instances.start(shard, count_of_instances);
        // Its shard is served again, by the new process, within one lease (the restart waits out
        // the dead claim).
        let served_again_in = served_again(&fake, shard, count_of_instances, identified_before, killed_at, &instances).await;
        assert!(fake.wait_shards(&shards, count_of_instances, Duration::from_secs(1)).await);

        // Alerts keep changing meanwhile: five more servers get an expiring domain.
        let app = db.app_at("2026-11-30T09:00:00Z");
        for k in (1..WORKSPACES).step_by(10) {
            let workspace = ws(&guild(k, u64::from(count_of_instances)).to_string());
            let mut domain = common::named(&format!("late{k}.example"), "30");
            domain.period = Some(jarvis::domain::item::BillingPeriod::Yearly);
            domain.renewal_date = Some(Some("2026-12-03".parse().unwrap()));
            app.add_item(&workspace, &Actor::Cli, jarvis::domain::item::Kind::Domain, &domain).await.unwrap();
            alerting.push(k);
        }

        // A rolling restart meanwhile: each instance stopped (SIGTERM) and started again in turn.
        let mut slowest_stop = Duration::ZERO;
        for shard in 0..count_of_instances {
            let identified_before = fake.identify_count(shard);
            slowest_stop = slowest_stop.max(instances.restart(shard, count_of_instances));
            let started = Instant::now();
            served_again(&fake, shard, count_of_instances, identified_before, started, &instances).await;
        }
        assert!(slowest_stop < Duration::from_secs(10), "a stop took {slowest_stop:?}");

        // Everything is delivered: 50 reports, one ping per alerting server.
        let expected = WORKSPACES as usize + alerting.len();
        let deadline = Instant::now() + Duration::from_secs(150);
        loop {
            let pending = count(&db, "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").await;
            let sent = count(&db, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await;
            if pending == 0 && sent as usize >= expected {
                break;
            }
            assert!(Instant::now() < deadline, "{sent} sent, {pending} not yet\n{}", instances.logs());
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let stop_took = instances.stop_all();
        eprintln!(
            "failover on {:?}: {count_of_instances} instances, {expected} messages, shard served again {served_again_in:?} after the kill, rolling restart's slowest stop {slowest_stop:?}, final SIGTERM to exit {stop_took:?}",
            db.backend()
        );
        assert!(stop_took < Duration::from_secs(10), "a stop took {stop_took:?}");

        // Exactly once: each outbox message posted once (the nonces are not deduplicated), every
        // report channel holds one message and every alert channel one ping.
        let posts = fake.posts_by_nonce();
        let doubled: Vec<_> = posts.iter().filter(|(_, n)| **n != 1).collect();
        assert!(doubled.is_empty(), "posted more than once: {doubled:?}\n{}", instances.logs());
        assert_eq!(posts.len(), expected, "{posts:?}");
        let messages = fake.channel_messages();
        let in_channel = |channel: u64| messages.iter().filter(|m| m["channel_id"].as_str() == Some(channel.to_string().as_str())).count();
        for k in 0..WORKSPACES {
            assert_eq!(in_channel(report_channel(k)), 1, "reports in server {k}");
            let pings = usize::from(alerting.contains(&k));
            assert_eq!(in_channel(alert_channel(k)), pings, "pings in server {k}");
        }
        // The message the dead instance posted was found in its channel and recorded as sent.
        let recorded = db
            .raw_fetch::<(String, Option<String>)>(&format!("SELECT status, message_id FROM outbox WHERE id = {outbox_id}"))
            .await
            .remove(0);
        assert_eq!(recorded, ("sent".to_string(), Some(held.message_id.to_string())));
        // It was looked for and found; hardly any other was: the claims kept each message with
        // one instance. (Without them every instance takes the same message and all but the
        // first find it in the channel, or post it twice. On a starved machine a lease may lapse
        // mid-post now and then: that message is found too, never posted twice.)
        let logs = instances.logs();
        let found: Vec<&str> = logs.lines().filter(|line| line.contains("found in its channel")).collect();
        assert!(found.iter().any(|line| line.contains(&format!("outbox={outbox_id} "))), "{found:#?}");
        assert!(found.len() <= 3, "{} messages were found in their channels: {found:#?}", found.len());
        // A clean stop leaves nothing claimed and no instance behind: only the jobs the killed
        // instance did last are still named after it (kept for whoever does them next).
        let owners = db.raw_fetch::<(String,)>("SELECT owner FROM job_claims").await;
        assert!(owners.iter().all(|(owner, )| owner.contains(&format!("/{pid}/"))), "{owners:?}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM outbox WHERE claimed_by IS NOT NULL").await, 0);
        let left = db.raw_fetch::<(String,)>("SELECT id FROM instances").await;
        assert_eq!(left.len(), 1, "only the killed instance's heartbeat is left: {left:?}");
        assert!(left[0].0.contains(&format!("/{pid}/")), "{left:?}");
        assert!(fake.violations().is_empty(), "{:?}", fake.violations());
        assert!(fake.shard_overlaps().is_empty(), "{:?}", fake.shard_overlaps());
    }
}

/// `jarvis run` with JARVIS_HTTP_ADDR serves the HTTP API beside the bot, and SIGTERM stops both.
#[tokio::test(flavor = "multi_thread")]
async fn run_serves_the_api_beside_the_bot_and_stops_both() {
    let fake = FakeDiscord::start().await;
    let db = common::TestDb::new().await;
    let app = db.app_at("2026-12-06T12:00:00Z");
    let token = app.create_token(&ws("4242"), &Actor::Cli, "probe", jarvis::app::TokenScope::Read).await.unwrap().token;
    let logs = tempfile::tempdir().unwrap();
    let log_path = logs.path().join("run.log");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("jarvis"))
        .arg("run")
        .env("DATABASE_URL", &db.url)
        .env("DISCORD_TOKEN", "fake-bot-token")
        .env("DISCORD_API_PROXY", fake.url())
        .env("JARVIS_HTTP_ADDR", "127.0.0.1:0")
        .env("JARVIS_RDAP", "off")
        .env("RUST_LOG", "jarvis=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let mut addr = None;
    for _ in 0..200 {
        addr = log()
            .split("listens on http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string);
        if addr.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let addr = addr.unwrap_or_else(|| panic!("the API address is logged:\n{}", log()));
    assert!(fake.wait_shards(&[0], 1, Duration::from_secs(30)).await, "{}", log());
    let response = reqwest::Client::new()
        .get(format!("http://{addr}/api/cost/settings"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["workspace"], "4242");

    let asked = Instant::now();
    terminate(&child);
    let took = stopped(&mut child, asked).unwrap_or_else(|why| panic!("{why}: {}", log()));
    assert!(took < Duration::from_secs(10), "{took:?}");
    let said = log();
    assert!(said.contains(&format!("the API on http://{addr} stopped")), "{said}");
    assert!(reqwest::get(format!("http://{addr}/healthz")).await.is_err(), "nothing listens any more");
}
