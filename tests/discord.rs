//! The real bot (serenity + poise) end to end against the fake Discord on 127.0.0.1, through
//! DISCORD_API_PROXY, on a real SQLite file: registration, admins and members, items, the
//! dashboard's figures, autocomplete per guild, removal confirmed with a button, and Discord's
//! rules (limits, no stray pings) never broken.

mod common;
mod fake_discord;
mod fake_providers;
mod probe_support;

use std::time::Duration;

use common::{ManualClock, TestDb, ws};
use fake_discord::{FakeDiscord, MANAGE_GUILD, Member, Outcome};
use jarvis::app::ItemFilter;
use jarvis::domain::page::PageRequest;
use serde_json::{Value, json};
use tokio::sync::oneshot;

const GUILD: u64 = 4242;
const OTHER_GUILD: u64 = 5151;
const NOW: &str = "2026-11-30T12:00:00Z";

fn admin() -> Member {
    Member::new(1001, "alice", MANAGE_GUILD)
}

fn member() -> Member {
    Member::new(1002, "bob", 0)
}

/// The bot on a spawned task, stopped by `stop`.
struct Bot {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for Bot {
    /// A test that fails leaves the bot as it is: the runtime drops it with everything else.
    /// (Stopping it then would close its gateway connection while the fake Discord is being torn
    /// down, and serenity's wait for the close frame spins on a connection already gone.)
    fn drop(&mut self) {
        if std::thread::panicking() {
            std::mem::forget(self.stop.take());
        }
    }
}

impl Bot {
    /// Starts the bot, registering its commands in `guild` (or globally).
    async fn start(fake: &FakeDiscord, db: &TestDb, guild: Option<u64>) -> Bot {
        Bot::start_with(fake, db.app_at(NOW), guild).await
    }

    /// Starts the bot on `app` (and its clock).
    async fn start_with(fake: &FakeDiscord, app: jarvis::app::App, guild: Option<u64>) -> Bot {
        Bot::start_every(fake, app, guild, Duration::from_millis(100), Duration::from_secs(3600)).await
    }

    /// Starts the bot with its alert and housekeeping cadences.
    async fn start_every(
        fake: &FakeDiscord,
        app: jarvis::app::App,
        guild: Option<u64>,
        alert_every: Duration,
        jobs_every: Duration,
    ) -> Bot {
        Bot::start_ticking(fake, app, guild, Duration::from_millis(100), alert_every, jobs_every).await
    }

    /// Starts the bot with its scheduler's tick and its alert and housekeeping cadences.
    async fn start_ticking(
        fake: &FakeDiscord,
        app: jarvis::app::App,
        guild: Option<u64>,
        tick: Duration,
        alert_every: Duration,
        jobs_every: Duration,
    ) -> Bot {
        let config = jarvis::discord::Config {
            guild_id: guild,
            api_proxy: Some(fake.url()),
            tick,
            alert_every,
            jobs_every,
            web_url: Some(WEB_URL.into()),
            ..jarvis::discord::Config::new("fake-bot-token".into())
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let mut task = tokio::spawn(jarvis::discord::run(app, config, async move {
            let _ = stopped.await;
        }));
        // A bot that gives up before it connects says why, rather than leaving the wait to time out.
        tokio::select! {
            () = fake.wait_ready() => {}
            ended = &mut task => panic!("the bot ended before it connected: {ended:?}; requests: {:?}", fake.requests()),
        }
        fake.wait_commands(guild).await;
        Bot { stop: Some(stop), task }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().expect("not stopped yet").send(());
        let task = std::mem::replace(&mut self.task, tokio::spawn(async { Ok(()) }));
        let result = tokio::time::timeout(Duration::from_secs(10), task).await.expect("the bot stops");
        result.expect("bot task").expect("the bot stops cleanly");
    }
}

/// `/group sub option=value...` as interaction options (choices by index, as Discord sends them).
fn sub(name: &str, options: Value) -> Value {
    let options: Vec<Value> = options
        .as_object()
        .map(|o| o.iter().map(|(k, v)| json!({"name": k, "value": v})).collect())
        .unwrap_or_default();
    json!([{ "name": name, "options": options }])
}

fn assert_clean(fake: &FakeDiscord) {
    let violations = fake.violations();
    assert!(violations.is_empty(), "the bot broke Discord's rules: {violations:#?}");
}

fn embed_text(outcome: &Outcome) -> String {
    outcome.text()
}

on_both_backends! {
    four_threads async fn the_bot_works_end_to_end(db) {
        let fake = FakeDiscord::start().await;
        let bot = Bot::start(&fake, &db, Some(GUILD)).await;

        // Registration: every top-level command, every option described (the fake rejects less).
        let commands = fake.wait_commands(Some(GUILD)).await;
        let names: Vec<&str> = commands.iter().map(|c| c["name"].as_str().unwrap()).collect();
        for expected in [
            "dashboard",
            "trends",
            "alerts",
            "renewals",
            "jarvis",
            "infra",
            "ai",
            "integration",
            "package",
            "cost",
            "budget",
            "settings",
            "site",
        ] {
            assert!(names.contains(&expected), "/{expected} is not registered: {names:?}");
        }

        // An admin adds a domain (kind choice 0 = domain), an AI provider and a package.
        let added = fake
            .command(
                &admin(),
                Some(GUILD),
                "infra",
                sub(
                    "add",
                    json!({"kind": 0, "name": "acme.com", "cost": "12", "renews": "2027-03-01", "auto_renew": true}),
                ),
                "en-US",
            )
            .await;
        assert!(!added.ephemeral() && embed_text(&added).contains("acme.com"), "{}", embed_text(&added));
        let ai = fake
            .command(
                &admin(),
                Some(GUILD),
                "ai",
                sub("add", json!({"name": "OpenAI", "service": 0, "pricing": 1, "cost": "20"})),
                "en-US",
            )
            .await;
        assert!(embed_text(&ai).contains("OpenAI"), "{}", embed_text(&ai));
        let package = fake
            .command(
                &admin(),
                Some(GUILD),
                "package",
                sub("add", json!({"name": "@everyone GitHub", "cost": "30"})),
                "en-US",
            )
            .await;
        assert!(
            embed_text(&package).contains("@\u{200B}everyone GitHub"),
            "a typed name is shown, escaped: {}",
            embed_text(&package)
        );
        let workspace = ws(&GUILD.to_string());
        let items = db.app_at(NOW).list_items(&workspace, ItemFilter::default(), PageRequest::default()).await.unwrap();
        assert_eq!(items.items.len(), 3);

        // A member without rights is refused, privately, and nothing is written.
        let refused = fake
            .command(&member(), Some(GUILD), "package", sub("add", json!({"name": "Notion", "cost": "10"})), "en-US")
            .await;
        assert!(refused.ephemeral(), "{:?}", refused.callback);
        assert!(refused.text().contains("Manage Server"), "{}", refused.text());
        assert_eq!(
            db.app_at(NOW).list_items(&workspace, ItemFilter::default(), PageRequest::default()).await.unwrap().items.len(),
            3
        );

        // The server's admin role (set by someone with Manage Server) is enough to change things.
        let set = fake
            .command(&admin(), Some(GUILD), "settings", sub("set", json!({"setting": 5, "value": "<@&777>"})), "en-US")
            .await;
        assert!(!set.ephemeral(), "{}", set.text());
        let mut finance = Member::new(1003, "carol", 0);
        finance.roles = vec![777];
        let by_role = fake
            .command(&finance, Some(GUILD), "package", sub("add", json!({"name": "Notion", "cost": "10"})), "en-US")
            .await;
        assert!(!by_role.ephemeral() && by_role.text().contains("Notion"), "{}", by_role.text());
        db.app_at(NOW)
            .remove_item(&workspace, &jarvis::domain::audit::Actor::Cli, &"Notion".parse().unwrap())
            .await
            .unwrap();

        // Bad input gets the CLI's message, privately.
        let bad = fake
            .command(&admin(), Some(GUILD), "package", sub("add", json!({"name": "Linear", "cost": "-5"})), "en-US")
            .await;
        assert!(
            bad.ephemeral() && bad.text().contains("-5") && bad.text().contains("is not valid: it cannot be negative"),
            "{}",
            bad.text()
        );

        // Everyone reads the dashboard: 1.00 (12 a year) + 20.00 + 30.00 = 51.00 a month, with a chart.
        let dashboard = fake.command(&member(), Some(GUILD), "dashboard", json!([]), "en-US").await;
        assert!(dashboard.text().contains("Monthly run-rate: 51.00 USD"), "{}", dashboard.text());
        assert_eq!(dashboard.files.len(), 1, "the chart is attached");
        assert_eq!(&dashboard.files[0].1[..4], b"\x89PNG");

        // Thai readers get Thai.
        let thai = fake.command(&member(), Some(GUILD), "jarvis", sub("report", json!({})), "th").await;
        assert!(thai.text().contains("รายงาน Jarvis"), "{}", thai.text());

        // Autocomplete offers this guild's items only (another server's are in the same database).
        let other = ws(&OTHER_GUILD.to_string());
        let mut other_ai = common::named("OpenAI Other", "5");
        other_ai.pricing_model = Some(jarvis::domain::item::PricingModel::Subscription);
        db.app_at(NOW)
            .add_item(&other, &jarvis::domain::audit::Actor::Cli, jarvis::domain::item::Kind::AiProvider, &other_ai)
            .await
            .unwrap();
        let offered = fake
            .autocomplete(
                &admin(),
                Some(GUILD),
                "ai",
                json!([{ "name": "show", "options": [{ "name": "item", "value": "open", "focused": true }] }]),
            )
            .await;
        let choices: Vec<&str> =
            offered.callback["data"]["choices"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(choices, ["OpenAI"]);

        // Removal asks first; only the member who asked can answer; the button does it.
        let ask = fake.command(&admin(), Some(GUILD), "infra", sub("remove", json!({"item": "acme.com"})), "en-US").await;
        let yes = ask.custom_ids().into_iter().find(|id| id.ends_with(":yes")).expect("a remove button");
        let other = fake.component(&member(), Some(GUILD), &ask.message(), &yes).await;
        assert!(other.ephemeral() && other.text().contains("Only alice"), "{}", other.text());
        assert_eq!(
            db.app_at(NOW).list_items(&workspace, ItemFilter::default(), PageRequest::default()).await.unwrap().items.len(),
            3
        );
        let done = fake.component(&admin(), Some(GUILD), &ask.message(), &yes).await;
        assert!(done.text().contains("Removed"), "{}", done.text());
        assert!(done.custom_ids().is_empty(), "the buttons are gone");
        assert_eq!(
            db.app_at(NOW).list_items(&workspace, ItemFilter::default(), PageRequest::default()).await.unwrap().items.len(),
            2
        );
        // "Keep" keeps.
        let ask = fake.command(&admin(), Some(GUILD), "ai", sub("remove", json!({"item": "OpenAI"})), "en-US").await;
        let keep = ask.custom_ids().into_iter().find(|id| id.ends_with(":no")).expect("a keep button");
        let kept = fake.component(&admin(), Some(GUILD), &ask.message(), &keep).await;
        assert!(kept.text().contains("Kept"), "{}", kept.text());
        assert_eq!(
            db.app_at(NOW).list_items(&workspace, ItemFilter::default(), PageRequest::default()).await.unwrap().items.len(),
            2
        );
        // /infra only reaches infrastructure.
        let wrong = fake.command(&admin(), Some(GUILD), "infra", sub("show", json!({"item": "OpenAI"})), "en-US").await;
        assert!(wrong.ephemeral() && wrong.text().contains("No item `OpenAI`"), "{}", wrong.text());

        // The item form: a modal, prefilled to edit; its submit changes the item.
        let opened = fake.command(&admin(), Some(GUILD), "ai", sub("form", json!({"item": "OpenAI"})), "en-US").await;
        assert_eq!(opened.callback["type"], 9, "a modal opens: {:?}", opened.callback);
        let modal = &opened.callback["data"];
        let prefilled: Vec<&str> = modal["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|row| row["components"][0]["value"].as_str())
            .collect();
        assert!(prefilled.contains(&"OpenAI") && prefilled.contains(&"20.00"), "{modal}");
        let custom_id = modal["custom_id"].as_str().unwrap();
        let submitted = fake
            .modal_submit(
                &admin(),
                Some(GUILD),
                custom_id,
                &[("name", "OpenAI"), ("cost", "25"), ("period", "monthly"), ("renews", ""), ("provider", "OpenAI LLC")],
            )
            .await;
        assert!(submitted.text().contains("Updated"), "{}", submitted.text());
        let openai = db.app_at(NOW).show_item(&workspace, &"OpenAI".parse().unwrap()).await.unwrap().item;
        assert_eq!((openai.cost.0.amount.to_string(), openai.provider.as_deref()), ("25".to_string(), Some("OpenAI LLC")));
        // An empty form adds an item.
        let blank = fake.command(&admin(), Some(GUILD), "package", sub("form", json!({})), "en-US").await;
        let custom_id = blank.callback["data"]["custom_id"].as_str().unwrap().to_string();
        let added = fake
            .modal_submit(
                &admin(),
                Some(GUILD),
                &custom_id,
                &[("name", "Figma"), ("cost", "15"), ("period", ""), ("renews", ""), ("provider", "")],
            )
            .await;
        assert!(added.text().contains("Figma"), "{}", added.text());

        // Long lists page with buttons.
        for i in 0..10 {
            let changes = common::named(&format!("Tool {i:02}"), "1");
            db.app_at(NOW)
                .add_item(&workspace, &jarvis::domain::audit::Actor::Cli, jarvis::domain::item::Kind::Package, &changes)
                .await
                .unwrap();
        }
        let list = fake.command(&member(), Some(GUILD), "package", sub("list", json!({})), "en-US").await;
        assert!(list.text().contains("Page 1 of 2"), "{}", list.text());
        assert_eq!(list.custom_ids(), ["page:items:packages:0", "page:items:packages:2"], "◀ (disabled) and ▶");
        let second = fake.component(&member(), Some(GUILD), &list.message(), "page:items:packages:2").await;
        assert!(second.text().contains("Page 2 of 2") && second.text().contains("Tool 09"), "{}", second.text());

        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

/// A Thai client sees Thai commands: every command, subcommand and option is registered with a
/// Thai name and description, and every choice with a Thai name, within Discord's rules for them (the fake refuses a name that is
/// not one word, a description over 100 characters, two options showing the same Thai name, or
/// a command too large counting each field at its longest localization).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_command_and_option_has_a_thai_name_and_description() {
    fn walk(node: &Value, path: String, missing: &mut Vec<String>, seen: &mut usize) {
        *seen += 1;
        for field in ["name_localizations", "description_localizations"] {
            if node.pointer(&format!("/{field}/th")).and_then(Value::as_str).is_none_or(str::is_empty) {
                missing.push(format!("{path}: {field}.th"));
            }
        }
        for option in node["options"].as_array().into_iter().flatten() {
            walk(option, format!("{path} {}", option["name"].as_str().unwrap()), missing, seen);
        }
        for choice in node["choices"].as_array().into_iter().flatten() {
            if choice.pointer("/name_localizations/th").and_then(Value::as_str).is_none_or(str::is_empty) {
                missing.push(format!("{path}: choice {}", choice["name"]));
            }
        }
    }
    let db = TestDb::new().await;
    let fake = FakeDiscord::start().await;
    let bot = Bot::start(&fake, &db, None).await;
    let commands = fake.wait_commands(None).await;
    let (mut missing, mut seen) = (Vec::new(), 0);
    for command in &commands {
        walk(command, format!("/{}", command["name"].as_str().unwrap()), &mut missing, &mut seen);
    }
    assert!(missing.is_empty(), "not in Thai: {missing:#?}");
    assert!(commands.len() == 13 && seen > 200, "every command was walked: {} commands, {seen} nodes", commands.len());
    let thai = |name: &str| {
        let command = commands.iter().find(|c| c["name"] == name).unwrap();
        command["name_localizations"]["th"].as_str().unwrap().to_string()
    };
    assert_eq!(
        (thai("dashboard"), thai("cost"), thai("settings")),
        ("แดชบอร์ด".into(), "ค่าใช้จ่าย".into(), "ตั้งค่า".into())
    );
    // Discord allows 8,000 characters a command; Jarvis's largest stays within the 4,000 Discord
    // allowed before, so there is room to grow.
    for command in &commands {
        let size = fake_discord::limits::command_size(command);
        assert!(size <= 4000, "/{} is {size} characters as Discord counts them", command["name"]);
    }
    assert_clean(&fake);
    bot.stop().await;
    fake.shutdown().await;
}

on_both_backends! {
    four_threads async fn global_commands_refuse_direct_messages_politely(db) {
        let fake = FakeDiscord::start().await;
        let bot = Bot::start(&fake, &db, None).await;
        let dm = fake.command(&admin(), None, "dashboard", json!([]), "en-US").await;
        assert!(dm.ephemeral() && dm.text().contains("servers only"), "{}", dm.text());
        assert!(db.store.read().await.unwrap().workspace_ids().await.unwrap().is_empty(), "nothing was written");
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// Each kind of bad input gets the command line's message, privately, and writes nothing.
    four_threads async fn bad_input_through_discord_gets_the_clis_messages(db) {
        let fake = FakeDiscord::start().await;
        let bot = Bot::start(&fake, &db, Some(GUILD)).await;
        let workspace = ws(&GUILD.to_string());
        fake.command(&admin(), Some(GUILD), "package", sub("add", json!({"name": "GitHub", "cost": "20"})), "en-US").await;

        // (command, subcommand options, words the message must contain)
        let cases: &[(&str, Value, &str)] = &[
            ("package", sub("add", json!({"name": "Linear", "cost": "12,50"})), "is not valid"),
            ("package", sub("add", json!({"name": "Linear", "cost": "abc"})), "is not valid"),
            (
                "package",
                sub("add", json!({"name": "Linear", "cost": "10", "renews": "2026-02-30"})),
                "February 2026 has 28 days",
            ),
            ("package", sub("add", json!({"name": "Linear", "cost": "10", "currency": "XYZ"})), "ISO 4217"),
            ("package", sub("add", json!({"name": "github", "cost": "10"})), "There is already a package named"),
            ("package", sub("add", json!({"name": "   ", "cost": "10"})), "Give the item a name"),
            ("package", sub("add", json!({"name": "a\u{202E}b", "cost": "10"})), "invisible"),
            (
                "package",
                sub("add", json!({"name": "Linear", "cost": "10", "auto_renew": true})),
                "Auto-renew needs the renewal date",
            ),
            (
                "package",
                sub("add", json!({"name": "Linear", "cost": "10", "period": 3, "yearly_price": "100"})),
                "yearly price",
            ),
            ("package", sub("edit", json!({"item": "githb", "cost": "25"})), "did you mean `GitHub`?"),
            ("package", sub("edit", json!({"item": "GitHub"})), "at least one field"),
            ("package", sub("edit", json!({"item": "GitHub", "clear": "colour"})), "field to clear"),
            ("cost", sub("record", json!({"item": "GitHub", "amount": "5", "month": "2026-13"})), "YYYY-MM"),
            (
                "cost",
                sub("record", json!({"item": "GitHub", "amount": "5", "month": "2026-11", "date": "2026-11-01"})),
                "not both",
            ),
            ("budget", sub("set", json!({"scope": 0, "amount": "100", "thresholds": "0"})), "between 1 and 1000"),
            ("settings", sub("set", json!({"setting": 1, "value": "Mars/Base"})), "IANA name"),
            ("settings", sub("rate", json!({"base": "USD", "quote": "THB", "rate": "0"})), "greater than zero"),
        ];
        for (command, options, words) in cases {
            let outcome = fake.command(&admin(), Some(GUILD), command, options.clone(), "en-US").await;
            let text = outcome.text();
            assert!(outcome.ephemeral(), "/{command} {options}: not private: {text}");
            assert!(text.contains(words), "/{command} {options}: expected {words:?} in {text}");
        }
        let items = db.app_at(NOW).list_items(&workspace, ItemFilter::default(), PageRequest::default()).await.unwrap();
        assert_eq!(items.items.len(), 1, "nothing but GitHub was written");
        assert!(db.app_at(NOW).budgets(&workspace).await.unwrap().budgets.is_empty());
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// Every change needs Manage Server or the admin role: a member is refused, privately, and the
    /// audit log shows nothing written.
    four_threads async fn members_cannot_change_anything(db) {
        let fake = FakeDiscord::start().await;
        let bot = Bot::start(&fake, &db, Some(GUILD)).await;
        let workspace = ws(&GUILD.to_string());
        fake.command(
            &admin(),
            Some(GUILD),
            "ai",
            sub("add", json!({"name": "OpenAI", "service": 0, "pricing": 1, "cost": "20"})),
            "en-US",
        )
        .await;
        let before = db.app_at(NOW).audit_log(&workspace, PageRequest::first(1000).unwrap()).await.unwrap().entries.len();
        let cases: &[(&str, Value)] = &[
            ("ai", sub("add", json!({"name": "Claude", "service": 0, "pricing": 1, "cost": "20"}))),
            ("ai", sub("edit", json!({"item": "OpenAI", "cost": "25"}))),
            ("ai", sub("remove", json!({"item": "OpenAI"}))),
            ("ai", sub("usage", json!({"item": "OpenAI", "used": "10"}))),
            ("ai", sub("form", json!({"item": "OpenAI"}))),
            ("cost", sub("record", json!({"item": "OpenAI", "amount": "5"}))),
            ("budget", sub("set", json!({"scope": 0, "amount": "100"}))),
            ("budget", sub("remove", json!({"scope": 0}))),
            ("settings", sub("set", json!({"setting": 0, "value": "THB"}))),
            ("settings", sub("rate", json!({"base": "USD", "quote": "THB", "rate": "35"}))),
        ];
        for (command, options) in cases {
            let outcome = fake.command(&member(), Some(GUILD), command, options.clone(), "en-US").await;
            assert!(
                outcome.ephemeral() && outcome.text().contains("Manage Server"),
                "/{command} {options}: {}",
                outcome.text()
            );
        }
        assert_eq!(
            db.app_at(NOW).audit_log(&workspace, PageRequest::first(1000).unwrap()).await.unwrap().entries.len(),
            before,
            "nothing was written"
        );
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// The weekly report posts at 09:00 New York time before and after the clocks go back, once
    /// across a restart, and once (late) after downtime over two slots; `/jarvis report post` posts
    /// now.
    four_threads async fn scheduled_reports_post_once_on_time_and_late_after_downtime(db) {
        let fake = FakeDiscord::start().await;
        const CHANNEL: u64 = 555;
        fake.add_channel(GUILD, CHANNEL);
        let clock = ManualClock::at("2026-10-26T12:00:00Z");
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let workspace = ws(&GUILD.to_string());
        app.set_setting(
            &workspace,
            &jarvis::domain::audit::Actor::Cli,
            jarvis::domain::workspace::SettingKey::Timezone,
            "America/New_York",
        )
        .await
        .unwrap();
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;

        let set = fake
            .command(
                &admin(),
                Some(GUILD),
                "jarvis",
                json!([{ "name": "schedule", "options": [{ "name": "set", "options": [
                    { "name": "channel", "value": CHANNEL.to_string() },
                    { "name": "cadence", "value": "weekly monday" },
                    { "name": "time", "value": "09:00" },
                ]}]}]),
                "en-US",
            )
            .await;
        // 2026-10-26 is a Monday, 08:00 in New York (EDT): today's 09:00 is next.
        assert!(set.text().contains("2026-10-26 09:00 EDT"), "{}", set.text());
        let refused = fake
            .command(
                &member(),
                Some(GUILD),
                "jarvis",
                json!([{ "name": "schedule", "options": [{ "name": "off", "options": [] }]}]),
                "en-US",
            )
            .await;
        assert!(refused.ephemeral(), "{}", refused.text());

        // 09:00 EDT is 13:00 UTC: one report in the channel.
        clock.set("2026-10-26T12:59:00Z");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(fake.channel_messages().is_empty(), "too early");
        clock.set("2026-10-26T13:00:05Z");
        let posted = fake.wait_channel_messages(1).await;
        assert_eq!(posted[0]["channel_id"], CHANNEL.to_string());
        assert!(fake_discord::message_text(&posted[0]).contains("Jarvis report"), "{}", posted[0]);

        // A restart a minute later posts nothing more.
        bot.stop().await;
        clock.set("2026-10-26T13:01:00Z");
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(fake.channel_messages().len(), 1);

        // The clocks went back on 2026-11-01: Monday 09:00 EST is 14:00 UTC, not 13:00.
        clock.set("2026-11-02T13:30:00Z");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(fake.channel_messages().len(), 1, "not at the summer time");
        clock.set("2026-11-02T14:00:05Z");
        fake.wait_channel_messages(2).await;

        // Down over the 9th and the 16th: back on the 17th, one report, marked late.
        bot.stop().await;
        clock.set("2026-11-17T12:00:00Z");
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        let posted = fake.wait_channel_messages(3).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(fake.channel_messages().len(), 3, "one late report, not one per missed slot");
        assert!(fake_discord::message_text(&posted[2]).contains("Late"), "{}", posted[2]);

        // An admin posts the report now, to the report channel.
        let now = fake
            .command(
                &admin(),
                Some(GUILD),
                "jarvis",
                json!([{ "name": "report", "options": [{ "name": "post", "value": true }]}]),
                "en-US",
            )
            .await;
        assert!(now.ephemeral() && now.text().contains("queued for <#555>"), "{}", now.text());
        assert_eq!(fake.wait_channel_messages(4).await.len(), 4);

        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// `/jarvis report post:True` goes through the outbox like a scheduled report: the admin is told
    /// privately where it will appear; a first post answered 500 and a second whose answer is lost
    /// are retried with the same nonce, and exactly one message appears. The same interaction
    /// delivered again queues and answers nothing; a member may not post; the delivery loop wakes
    /// for a post at once, not at its next tick.
    four_threads async fn posting_the_report_now_goes_through_the_outbox_once(db) {
        let fake = FakeDiscord::start().await;
        const CHANNEL: u64 = 555;
        fake.add_channel(GUILD, CHANNEL);
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let workspace = ws(&GUILD.to_string());
        app.set_schedule(&workspace, &jarvis::domain::audit::Actor::Cli, CHANNEL, "daily", "09:00").await.unwrap();
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        let post = json!([{ "name": "report", "options": [{ "name": "post", "value": true }]}]);
        let settle = || tokio::time::sleep(Duration::from_millis(400));

        fake.fail_channel_posts(&[(500, None)]);
        fake.lose_channel_post_answers(1);
        let asked = fake.command(&admin(), Some(GUILD), "jarvis", post.clone(), "en-US").await;
        assert!(asked.ephemeral(), "only the admin sees the answer: {:?}", asked.callback);
        assert!(asked.text().contains("queued for <#555>"), "{}", asked.text());
        settle().await;
        assert_eq!((fake.channel_post_attempts(), fake.channel_messages().len()), (1, 0), "Discord answered 500");
        // Retried after 2 s: Discord takes it but the answer is lost. Retried after 4 s more, the
        // post's outcome unknown: Jarvis finds it in the channel by its marker and records it.
        let lookups = |fake: &FakeDiscord| {
            fake.requests().iter().filter(|(method, path)| method == "GET" && path.contains("/channels/555/messages")).count()
        };
        clock.set("2026-11-30T12:00:03Z");
        settle().await;
        assert_eq!((fake.channel_post_attempts(), fake.channel_messages().len()), (2, 1), "taken, answer lost");
        clock.set("2026-11-30T12:00:08Z");
        settle().await;
        assert_eq!((fake.channel_post_attempts(), fake.channel_messages().len()), (2, 1), "found, not posted again");
        assert_eq!(lookups(&fake), 2, "looked for after the 500 and after the lost answer");
        let posted = fake.channel_messages();
        assert_eq!(posted[0]["channel_id"], CHANNEL.to_string());
        assert!(fake_discord::message_text(&posted[0]).contains("Jarvis report"), "{}", posted[0]);
        assert!(app.deliverable(10).await.unwrap().is_empty(), "and it counts as delivered");

        // The same interaction again: nothing is queued, nothing answered twice.
        let again = fake.redeliver(&asked).await;
        assert!(again.is_empty(), "the repeat was answered: {again:?}");
        clock.set("2026-11-30T12:01:00Z");
        settle().await;
        assert_eq!((fake.channel_post_attempts(), fake.channel_messages().len()), (2, 1), "still one message");
        assert!(app.deliverable(10).await.unwrap().is_empty());

        // A member may read the report but not post it.
        let refused = fake.command(&member(), Some(GUILD), "jarvis", post.clone(), "en-US").await;
        assert!(refused.ephemeral() && refused.text().contains("Manage Server"), "{}", refused.text());

        // The loop wakes for a post: with an hour between ticks, it still appears now. A Thai
        // admin is told in Thai.
        bot.stop().await;
        let hour = Duration::from_secs(3600);
        let bot = Bot::start_ticking(&fake, app.clone(), Some(GUILD), hour, hour, hour).await;
        settle().await;
        let thai = fake.command(&admin(), Some(GUILD), "jarvis", post.clone(), "th").await;
        assert!(thai.ephemeral() && thai.text().contains("คิว"), "{}", thai.text());
        assert_eq!(fake.wait_channel_messages(2).await.len(), 2);
        assert_eq!(fake.channel_post_attempts(), 3);

        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// Reports go through the outbox: a 500, then a 429 (its Retry-After honoured), then success
    /// posts exactly one message; a channel that is gone stops the retries after one try; a post
    /// whose answer was lost is not doubled by its retry.
    four_threads async fn the_outbox_retries_server_errors_and_rate_limits_and_stops_on_a_gone_channel(db) {
        let fake = FakeDiscord::start().await;
        const CHANNEL: u64 = 555;
        const GONE: u64 = 666;
        fake.add_channel(GUILD, CHANNEL);
        fake.add_channel(GUILD, GONE);
        let clock = ManualClock::at("2026-11-30T00:00:00Z");
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let workspace = ws(&GUILD.to_string());
        let actor = jarvis::domain::audit::Actor::Cli;
        app.set_schedule(&workspace, &actor, CHANNEL, "daily", "09:00").await.unwrap();
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;

        fake.fail_channel_posts(&[(500, None), (429, Some(0.5))]);
        clock.set("2026-11-30T09:00:01Z");
        let settle = || tokio::time::sleep(Duration::from_millis(400));
        settle().await;
        assert_eq!((fake.channel_post_attempts(), fake.channel_messages().len()), (1, 0), "a 500 first");
        // The first retry waits 2 s (backoff).
        clock.set("2026-11-30T09:00:02Z");
        settle().await;
        assert_eq!(fake.channel_post_attempts(), 1, "not before its time");
        clock.set("2026-11-30T09:00:04Z");
        settle().await;
        assert_eq!((fake.channel_post_attempts(), fake.channel_messages().len()), (2, 0), "then a 429");
        // Retry-After 0.5 s, honoured.
        clock.set("2026-11-30T09:00:05Z");
        fake.wait_channel_messages(1).await;
        settle().await;
        assert_eq!((fake.channel_post_attempts(), fake.channel_messages().len()), (3, 1), "then exactly one message");

        // The channel is deleted: one try, then Jarvis gives up and tells the admins once, in the
        // alert channel.
        app.set_setting(&workspace, &actor, jarvis::domain::workspace::SettingKey::AlertChannel, &CHANNEL.to_string())
            .await
            .unwrap();
        app.set_schedule(&workspace, &actor, GONE, "daily", "10:00").await.unwrap();
        fake.close_channel(GONE, 404);
        clock.set("2026-11-30T10:00:01Z");
        settle().await;
        for minutes in [1, 10, 120] {
            clock.set(&format!("2026-11-30T{:02}:{:02}:01Z", 10 + minutes / 60, minutes % 60));
            settle().await;
        }
        assert_eq!(fake.channel_post_attempts(), 5, "one try at the gone channel, one notice, no endless retries");
        let messages = fake.channel_messages();
        assert_eq!(messages.len(), 2);
        assert!(
            fake_discord::message_text(&messages[1]).contains("could not post its report in <#666>"),
            "{}",
            messages[1]
        );

        // Discord takes a post but its answer is lost (a 502): before trying again Jarvis looks in
        // the channel, finds the report by its marker, and there is still one report.
        app.set_schedule(&workspace, &actor, CHANNEL, "daily", "11:00").await.unwrap();
        fake.lose_channel_post_answers(1);
        clock.set("2026-12-01T11:00:01Z");
        settle().await;
        assert_eq!((fake.channel_post_attempts(), fake.channel_messages().len()), (6, 3), "taken, answer lost");
        clock.set("2026-12-01T11:00:04Z");
        settle().await;
        assert_eq!((fake.channel_post_attempts(), fake.channel_messages().len()), (6, 3), "the retry is not a second post");
        assert!(app.deliverable(10).await.unwrap().is_empty(), "and it counts as delivered");

        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// A new alert is posted once, pinging only the alert role; it is reminded after a day without
    /// acknowledgement, posted again when it escalates (7 days -> 1 day), and its message is edited
    /// to show it resolved once its condition clears. A restart posts nothing twice.
    four_threads async fn alerts_ping_the_role_remind_escalate_and_resolve(db) {
        let fake = FakeDiscord::start().await;
        const ALERTS: u64 = 700;
        fake.add_channel(GUILD, ALERTS);
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let workspace = ws(&GUILD.to_string());
        let actor = jarvis::domain::audit::Actor::Cli;
        use jarvis::domain::workspace::SettingKey;
        app.set_setting(&workspace, &actor, SettingKey::AlertChannel, "<#700>").await.unwrap();
        app.set_setting(&workspace, &actor, SettingKey::AlertRole, "<@&77>").await.unwrap();
        let mut domain = common::named("@everyone.example", "12");
        domain.period = Some(jarvis::domain::item::BillingPeriod::Yearly);
        domain.renewal_date = Some(Some("2026-12-06".parse().unwrap()));
        app.add_item(&workspace, &actor, jarvis::domain::item::Kind::Domain, &domain).await.unwrap();
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;

        // Posted once, pinging the role and nothing else.
        let posted = fake.wait_channel_messages(1).await;
        let first = &posted[0];
        assert_eq!(first["channel_id"], ALERTS.to_string());
        assert!(first["content"].as_str().unwrap().starts_with("<@&77>"), "{first}");
        assert!(fake_discord::message_text(first).contains("expires in 6 days"), "{first}");
        bot.stop().await;
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(fake.channel_messages().len(), 1, "a restart posts nothing twice");

        // A day later, nobody acknowledged it: a reminder.
        clock.set("2026-12-01T12:00:00Z");
        let posted = fake.wait_channel_messages(2).await;
        assert!(posted[1]["content"].as_str().unwrap().contains("Reminder"), "{}", posted[1]);

        // One day before: escalated (the 1-day alert), posted again.
        clock.set("2026-12-05T12:00:00Z");
        let posted = fake.wait_channel_messages(3).await;
        assert!(fake_discord::message_text(&posted[2]).contains("expires tomorrow"), "{}", posted[2]);

        // Removed: the alert clears and its message says so.
        app.remove_item(&workspace, &actor, &"@everyone.example".parse().unwrap()).await.unwrap();
        let id: u64 = posted[2]["id"].as_str().unwrap().parse().unwrap();
        let mut resolved = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if fake.message(id).is_some_and(|m| fake_discord::message_text(&m).contains("Resolved")) {
                resolved = true;
                break;
            }
        }
        assert!(resolved, "{:?}", fake.message(id));
        assert_eq!(fake.channel_messages().len(), 3);

        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// Acting on an alert from its message: a member without rights is told no and nothing changes;
    /// an admin's acknowledgement stops reminders and shows who did it; "renewed" moves the date on a
    /// period, records the charge, and the alert resolves.
    four_threads async fn alert_buttons_acknowledge_and_renew(db) {
        let fake = FakeDiscord::start().await;
        fake.add_channel(GUILD, 700);
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let workspace = ws(&GUILD.to_string());
        let actor = jarvis::domain::audit::Actor::Cli;
        use jarvis::domain::workspace::SettingKey;
        app.set_setting(&workspace, &actor, SettingKey::AlertChannel, "700").await.unwrap();
        let mut domain = common::named("acme.dev", "12");
        domain.period = Some(jarvis::domain::item::BillingPeriod::Yearly);
        domain.renewal_date = Some(Some("2026-12-06".parse().unwrap()));
        app.add_item(&workspace, &actor, jarvis::domain::item::Kind::Domain, &domain).await.unwrap();
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        let posted = fake.wait_channel_messages(1).await;
        let message = posted[0].clone();
        assert!(!message["content"].as_str().unwrap().contains("<@&"), "no role set: no role ping: {message}");

        let ack = "alert:ack:renewal:1:2026-12-06";
        let refused = fake.component(&member(), Some(GUILD), &message, ack).await;
        assert!(refused.ephemeral() && refused.text().contains("Manage Server"), "{}", refused.text());
        let acked = fake.component(&admin(), Some(GUILD), &message, ack).await;
        assert!(acked.message()["content"].as_str().unwrap().contains("Acknowledged by <@1001>"), "{:?}", acked.message());

        // Acknowledged: no reminder a day later.
        clock.set("2026-12-01T12:00:00Z");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(fake.channel_messages().len(), 1);

        // Renewed by hand: next year, the charge recorded, and the alert resolves.
        let current = fake.message(message["id"].as_str().unwrap().parse().unwrap()).unwrap();
        let renewed = fake.component(&admin(), Some(GUILD), &current, "alert:renewed:renewal:1:2026-12-06").await;
        assert!(
            renewed.message()["content"].as_str().unwrap().contains("next renewal 2027-12-06"),
            "{:?}",
            renewed.message()
        );
        let item = app.show_item(&workspace, &"acme.dev".parse().unwrap()).await.unwrap();
        assert_eq!(item.item.renewal_date, Some("2027-12-06".parse().unwrap()));
        let history = app.cost_history(&workspace, None, None, None, PageRequest::default()).await.unwrap();
        assert!(
            history
                .records
                .iter()
                .any(|r| r.period_start.to_string() == "2026-12-06" && r.amount.to_string() == "12.00 USD")
        );
        // A second press (a double click, another admin before the buttons went) moves nothing twice.
        let again = app
            .act_on_alert(&workspace, &actor, "renewal:1:2026-12-06", jarvis::app::AlertAction::Renewed)
            .await
            .unwrap_err();
        assert!(again.to_string().contains("no longer renews on 2026-12-06"), "{again}");
        let item = app.show_item(&workspace, &"acme.dev".parse().unwrap()).await.unwrap();
        assert_eq!(item.item.renewal_date, Some("2027-12-06".parse().unwrap()));
        let history = app.cost_history(&workspace, None, None, None, PageRequest::default()).await.unwrap();
        assert_eq!(history.records.iter().filter(|r| r.note.as_deref() == Some("renewed by hand")).count(), 1);
        let id: u64 = message["id"].as_str().unwrap().parse().unwrap();
        let mut resolved = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if fake.message(id).is_some_and(|m| fake_discord::message_text(&m).contains("Resolved")) {
                resolved = true;
                break;
            }
        }
        assert!(resolved, "{:?}", fake.message(id));
        // Nothing left to act on: the buttons are gone.
        assert_eq!(fake.message(id).unwrap()["components"], json!([]), "{:?}", fake.message(id));
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// Reactions do what the buttons do, for members who may change the ledger; others' reactions
    /// change nothing.
    four_threads async fn alert_reactions_act_only_for_members_who_may_change_the_ledger(db) {
        let fake = FakeDiscord::start().await;
        fake.add_channel(GUILD, 700);
        fake.add_role(GUILD, 900, "Finance", MANAGE_GUILD);
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let workspace = ws(&GUILD.to_string());
        let actor = jarvis::domain::audit::Actor::Cli;
        app.set_setting(&workspace, &actor, jarvis::domain::workspace::SettingKey::AlertChannel, "700").await.unwrap();
        let mut domain = common::named("acme.dev", "12");
        domain.period = Some(jarvis::domain::item::BillingPeriod::Yearly);
        domain.renewal_date = Some(Some("2026-12-06".parse().unwrap()));
        app.add_item(&workspace, &actor, jarvis::domain::item::Kind::Domain, &domain).await.unwrap();
        let mut second = common::named("beta.dev", "15");
        second.period = Some(jarvis::domain::item::BillingPeriod::Yearly);
        second.renewal_date = Some(Some("2026-12-05".parse().unwrap()));
        app.add_item(&workspace, &actor, jarvis::domain::item::Kind::Domain, &second).await.unwrap();
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        let posted = fake.wait_channel_messages(1).await;
        let id = posted[0]["id"].as_str().unwrap().to_string();
        let react_with = |user: &Member, emoji: &str| {
            json!({
                "user_id": user.user_id.to_string(),
                "channel_id": "700",
                "message_id": id,
                "guild_id": GUILD.to_string(),
                "member": fake_discord::payload::member(user),
                "emoji": { "id": null, "name": emoji },
                "burst": false,
                "type": 0,
            })
        };
        let react = |user: &Member| react_with(user, "✅");
        let content =
            |fake: &FakeDiscord| fake.message(id.parse().unwrap()).unwrap()["content"].as_str().unwrap().to_string();

        // Without Manage Server or the admin role: ignored.
        fake.dispatch_event("MESSAGE_REACTION_ADD", react(&member())).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!content(&fake).contains("Acknowledged"), "{}", content(&fake));

        // With a role that has Manage Server: 🔁 on a message about two renewals is ambiguous and
        // changes nothing; ✅ acknowledges both, shown on the message.
        let mut finance = Member::new(1004, "dave", 0);
        finance.roles = vec![900];
        fake.dispatch_event("MESSAGE_REACTION_ADD", react_with(&finance, "🔁")).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        for (name, date) in [("acme.dev", "2026-12-06"), ("beta.dev", "2026-12-05")] {
            let item = app.show_item(&workspace, &name.parse().unwrap()).await.unwrap();
            assert_eq!(item.item.renewal_date, Some(date.parse().unwrap()), "{name}");
        }
        fake.dispatch_event("MESSAGE_REACTION_ADD", react(&finance)).await;
        let mut acknowledged = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if content(&fake).contains("Acknowledged by <@1004>") {
                acknowledged = true;
                break;
            }
        }
        assert!(acknowledged, "{}", content(&fake));
        // So no reminder a day later.
        clock.set("2026-12-01T12:00:00Z");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(fake.channel_messages().len(), 1);
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// The bot runs the housekeeping jobs on their own cadence, and evaluates alerts right after a
    /// change to the ledger, not only every 15 minutes.
    four_threads async fn housekeeping_runs_and_alerts_follow_changes(db) {
        let fake = FakeDiscord::start().await;
        fake.add_channel(GUILD, 700);
        let clock = ManualClock::at("2026-11-30T12:00:00Z");
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let workspace = ws(&GUILD.to_string());
        let actor = jarvis::domain::audit::Actor::Cli;
        app.set_setting(&workspace, &actor, jarvis::domain::workspace::SettingKey::AlertChannel, "700").await.unwrap();
        let mut hosting = common::named("api-prod", "50");
        hosting.renewal_date = Some(Some("2026-12-01".parse().unwrap()));
        hosting.auto_renew = Some(true);
        app.add_item(&workspace, &actor, jarvis::domain::item::Kind::Hosting, &hosting).await.unwrap();
        // Alerts every hour only, jobs every 200 ms.
        let bot =
            Bot::start_every(&fake, app.clone(), Some(GUILD), Duration::from_secs(3600), Duration::from_millis(200)).await;

        // The renewal date passes: the jobs charge it without anyone asking.
        clock.set("2026-12-02T09:00:00Z");
        let mut charged = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let history = app.cost_history(&workspace, None, None, None, PageRequest::default()).await.unwrap();
            if history.records.iter().any(|r| r.period_start.to_string() == "2026-12-01") {
                charged = true;
                break;
            }
        }
        assert!(charged, "the renewal was charged by the bot's housekeeping");

        // An admin adds a domain to renew by hand in 3 days: its alert is posted right away.
        fake.command(
            &admin(),
            Some(GUILD),
            "infra",
            sub("add", json!({"kind": 0, "name": "acme.dev", "cost": "12", "renews": "2026-12-05"})),
            "en-US",
        )
        .await;
        let posted = fake.wait_channel_messages(1).await;
        assert!(fake_discord::message_text(&posted[0]).contains("acme.dev"), "{}", posted[0]);
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// Websites and registries through Discord: an admin monitors a local site (checked at once,
    /// shown with its state), a member may list but not add, `/site check` re-checks, autocomplete
    /// offers the site, and `/infra add` of a domain without a date fills it in from the registry
    /// and says so.
    four_threads async fn sites_and_registry_lookups_through_discord(db) {
        let fake = FakeDiscord::start().await;
        let probe_support::FakeRdap { bootstrap, lookups, .. } = probe_support::fake_rdap().await;
        let config = jarvis::probe::site::ProbeConfig { allow_private: true, ..Default::default() };
        let app = db.app_at(NOW).with_net(jarvis::app::Net::new(config, Some(bootstrap)));
        let bot = Bot::start_with(&fake, app, Some(GUILD)).await;
        let web = probe_support::switchable("<h1>Welcome to Acme</h1>").await;
        let url = web.site.url("/").to_string();

        let refused = fake.command(&member(), Some(GUILD), "site", sub("add", json!({"url": url.clone()})), "en-US").await;
        assert!(refused.ephemeral() && refused.text().contains("Manage Server"), "{}", refused.text());
        assert_eq!(web.requests.load(std::sync::atomic::Ordering::SeqCst), 0);
        let added = fake
            .command(&admin(), Some(GUILD), "site", sub("add", json!({"url": url.clone(), "keyword": "welcome"})), "en-US")
            .await;
        let text = added.text();
        assert!(text.contains("Now monitoring") && text.contains("🟢") && text.contains("HTTP 200"), "{text}");
        let listed = fake.command(&member(), Some(GUILD), "site", sub("list", json!({})), "en-US").await;
        assert!(!listed.ephemeral() && listed.text().contains(&url), "{}", listed.text());
        let offered = fake
            .autocomplete(
                &admin(),
                Some(GUILD),
                "site",
                json!([{ "name": "check", "options": [{ "name": "site", "value": "127.0", "focused": true }] }]),
            )
            .await;
        assert_eq!(offered.callback["data"]["choices"][0]["value"], "#1", "{:?}", offered.callback);
        web.status.store(503, std::sync::atomic::Ordering::SeqCst);
        let checked = fake.command(&admin(), Some(GUILD), "site", sub("check", json!({"site": "#1"})), "en-US").await;
        assert!(checked.text().contains("an HTTP error status (503)"), "{}", checked.text());

        // The registry fills in what the admin left out, and the reply says so.
        let domain = fake
            .command(
                &admin(),
                Some(GUILD),
                "infra",
                sub("add", json!({"kind": 0, "name": "google.com", "cost": "12"})),
                "en-US",
            )
            .await;
        let text = domain.text();
        assert!(text.contains("Renewal date 2028-09-14 filled in from the registry"), "{text}");
        assert!(text.contains("Registrar MarkMonitor Inc. filled in from the registry"), "{text}");
        assert_eq!(lookups.load(std::sync::atomic::Ordering::SeqCst), 1);

        let removed = fake.command(&admin(), Some(GUILD), "site", sub("remove", json!({"site": "#1"})), "en-US").await;
        assert!(removed.text().contains("Stopped monitoring"), "{}", removed.text());
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// A cost recorded through Discord is written once: the same interaction delivered again (a
    /// resumed session, a second instance) is skipped without a second answer, and a new request
    /// with the same figure for the same days is refused unless `again`.
    four_threads async fn a_repeated_interaction_writes_once(db) {
        let fake = FakeDiscord::start().await;
        let bot = Bot::start(&fake, &db, Some(GUILD)).await;
        let workspace = ws(&GUILD.to_string());
        fake.command(&admin(), Some(GUILD), "package", sub("add", json!({"name": "GitHub", "cost": "20"})), "en-US").await;
        let record = sub("record", json!({"item": "GitHub", "amount": "5", "month": "2026-10"}));
        let first = fake.command(&admin(), Some(GUILD), "cost", record.clone(), "en-US").await;
        assert!(first.text().contains("5.00 USD"), "{}", first.text());
        let records = || async {
            db.app_at(NOW).cost_history(&workspace, None, None, None, PageRequest::default()).await.unwrap().records.len()
        };
        assert_eq!(records().await, 1);

        let again = fake.redeliver(&first).await;
        assert!(again.is_empty(), "the repeat was answered: {again:?}");
        assert_eq!(records().await, 1, "the repeat wrote nothing");

        let retried = fake.command(&admin(), Some(GUILD), "cost", record, "en-US").await;
        assert!(retried.ephemeral(), "{}", retried.text());
        assert!(
            retried.text().contains("already holds 5.00 USD") && retried.text().contains("again: True"),
            "{}",
            retried.text()
        );
        assert_eq!(records().await, 1);
        let meant = sub("record", json!({"item": "GitHub", "amount": "5", "month": "2026-10", "again": true}));
        fake.command(&admin(), Some(GUILD), "cost", meant, "en-US").await;
        assert_eq!(records().await, 2);
        // The confirmation says what was stored, exactly: never `0.00` for 0.0000008.
        let tiny = sub("record", json!({"item": "GitHub", "amount": "0.0000008", "month": "2026-09"}));
        let tiny = fake.command(&admin(), Some(GUILD), "cost", tiny, "en-US").await;
        assert!(tiny.text().contains("Recorded 0.0000008 USD for **GitHub**"), "{}", tiny.text());
        assert_eq!(records().await, 3);
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// A failed post is retried at its backoff (2 s after the first failure), not at the
    /// scheduler's next tick: with an hour between ticks, the report still goes out seconds later.
    four_threads async fn a_retry_goes_out_at_its_backoff_not_at_the_next_tick(db) {
        let fake = FakeDiscord::start().await;
        const CHANNEL: u64 = 555;
        fake.add_channel(GUILD, CHANNEL);
        let clock = ManualClock::at("2026-11-30T08:00:00Z");
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()));
        let workspace = ws(&GUILD.to_string());
        app.set_schedule(&workspace, &jarvis::domain::audit::Actor::Cli, CHANNEL, "daily", "09:00").await.unwrap();
        fake.fail_channel_posts(&[(500, None)]);
        clock.set("2026-11-30T09:00:01Z");
        let hour = Duration::from_secs(3600);
        // The first tick, at start, claims the report and posts it: a 500.
        let bot = Bot::start_ticking(&fake, app.clone(), Some(GUILD), hour, hour, hour).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while fake.channel_post_attempts() < 1 {
            assert!(tokio::time::Instant::now() < deadline, "the report was never tried");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(fake.channel_messages().len(), 0, "a 500 first");
        // Once the failure is recorded (its retry set 2 s after the failure, by this clock), the
        // clock moves on: moved earlier, the retry would be set 2 s after the new time.
        while app.status(None).await.unwrap().oldest_owed.is_none_or(|owed| owed.attempts < 1) {
            assert!(tokio::time::Instant::now() < deadline, "the failure was never recorded");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Its retry is due 2 s later; the next tick is an hour away.
        clock.set("2026-11-30T09:00:03Z");
        let messages = fake.wait_channel_messages(1).await;
        assert_eq!((fake.channel_post_attempts(), messages.len()), (2, 1), "retried once, posted once");
        // Recorded as delivered right after Discord's answer.
        while !app.deliverable(10).await.unwrap().is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "the delivery was never recorded");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// Long lists page with ◀ ▶ buttons whose ids carry the list and the page (never the
    /// workspace): a press shows that page of the list of the server it was pressed in, in place of
    /// the page shown; `/cost history` opens on its newest records; a page after the last is refused
    /// privately, saying how many there are.
    four_threads async fn long_lists_turn_pages_with_buttons(db) {
        let fake = FakeDiscord::start().await;
        let workspace = ws(&GUILD.to_string());
        let app = db.app_at(NOW);
        let cli = jarvis::domain::audit::Actor::Cli;
        for i in 0..20 {
            let changes = common::named(&format!("Service {i:02}"), "1");
            app.add_item(&workspace, &cli, jarvis::domain::item::Kind::AiProvider, &changes).await.unwrap();
        }
        for month in 1..=11u32 {
            let mut input = jarvis::app::CostInput {
                item: "Service 00".parse().unwrap(),
                amount: common::dec("10"),
                currency: None,
                period: jarvis::app::CostPeriod::Month(jarvis::domain::calendar::Month::new(2026, month).unwrap()),
                source: jarvis::domain::cost::CostSource::Import,
                usage: None,
                note: None,
                replace: false,
                again: true,
            };
            app.record_cost(&workspace, &cli, &input).await.unwrap();
            input.item = "Service 01".parse().unwrap();
            app.record_cost(&workspace, &cli, &input).await.unwrap();
        }
        let bot = Bot::start(&fake, &db, Some(GUILD)).await;

        let first = fake.command(&member(), Some(GUILD), "ai", sub("list", json!({})), "en-US").await;
        assert!(first.text().contains("Page 1 of 3") && first.text().contains("Service 00"), "{}", first.text());
        assert!(first.text().contains("Monthly run-rate of all 20 items (every page): 20.00 USD"), "{}", first.text());
        assert_eq!(first.custom_ids(), ["page:items:ai_services:0", "page:items:ai_services:2"]);
        let second = fake.component(&member(), Some(GUILD), &first.message(), "page:items:ai_services:2").await;
        assert!(!second.ephemeral(), "the list's own message turns its page");
        assert_eq!(second.message()["id"], first.message()["id"], "the same message");
        let text = second.text();
        assert!(text.contains("Page 2 of 3") && text.contains("Service 08") && !text.contains("Service 07"), "{text}");
        assert_eq!(second.custom_ids(), ["page:items:ai_services:1", "page:items:ai_services:3"]);
        let back = fake.component(&member(), Some(GUILD), &second.message(), "page:items:ai_services:1").await;
        assert!(back.text().contains("Page 1 of 3") && back.text().contains("Service 00"), "{}", back.text());
        // The option opens any page; the last has ▶ disabled.
        let third = fake.command(&member(), Some(GUILD), "ai", sub("list", json!({"page": 3})), "en-US").await;
        assert!(third.text().contains("Page 3 of 3") && third.text().contains("Service 19"), "{}", third.text());
        let shown = third.message();
        let next = &shown["components"][0]["components"][1];
        assert_eq!(
            (next["custom_id"].as_str(), next["disabled"].as_bool()),
            (Some("page:items:ai_services:4"), Some(true))
        );
        // Thai members read Thai buttons.
        let thai = fake.command(&member(), Some(GUILD), "ai", sub("list", json!({})), "th").await;
        assert!(thai.text().contains("หน้า 1 จาก 3"), "{}", thai.text());
        assert_eq!(thai.message()["components"][0]["components"][1]["label"], "ถัดไป ▶");

        // History opens on its newest records; ◀ goes back.
        let history = fake.command(&member(), Some(GUILD), "cost", sub("history", json!({})), "en-US").await;
        let text = history.text();
        assert!(text.contains("Page 2 of 2") && text.contains("2026-11-01") && !text.contains("`2026-01-01`"), "{text}");
        assert!(text.contains("Total of all 22 records (every page): 220.00 USD"), "{text}");
        assert_eq!(history.custom_ids(), ["page:history:-:-:-:1", "page:history:-:-:-:3"]);
        let older = fake.component(&member(), Some(GUILD), &history.message(), "page:history:-:-:-:1").await;
        assert!(older.text().contains("Page 1 of 2") && older.text().contains("2026-01-01"), "{}", older.text());
        // One item's history, named by the member, pages by the item's id.
        let one = fake
            .command(&member(), Some(GUILD), "cost", sub("history", json!({"item": "Service 01", "page": 1})), "en-US")
            .await;
        assert!(one.custom_ids().is_empty(), "11 records fit on one page: {:?}", one.custom_ids());
        let windowed = fake
            .command(
                &member(),
                Some(GUILD),
                "cost",
                sub("history", json!({"from": "2026-01-15", "to": "2026-11-30", "page": 1})),
                "en-US",
            )
            .await;
        assert_eq!(
            windowed.custom_ids(),
            ["page:history:-:2026-01-15:2026-11-30:0", "page:history:-:2026-01-15:2026-11-30:2"]
        );

        // A press is answered from the server it is pressed in: another server's list of AI
        // providers is empty, so there is no page 2 there.
        let elsewhere = fake.component(&member(), Some(OTHER_GUILD), &first.message(), "page:items:ai_services:2").await;
        assert!(elsewhere.ephemeral(), "{:?}", elsewhere.callback);
        assert!(elsewhere.text().contains("Page 2 is past the end: there are no items"), "{}", elsewhere.text());
        // A page after the last, asked for by option, is refused privately with the count: the
        // list deferred at once, in public, and the "is thinking..." placeholder gives way to a
        // message only the member sees.
        let privately = |outcome: &fake_discord::Outcome| outcome.message()["flags"].as_u64().unwrap_or(0) & 64 != 0;
        let past = fake.command(&member(), Some(GUILD), "renewals", json!([{"name": "page", "value": 2}]), "en-US").await;
        assert_eq!(past.callback["type"], 5, "deferred at once: {:?}", past.callback);
        assert!(privately(&past), "{:?}", past.message());
        assert!(past.text().contains("Page 2 is past the end"), "{}", past.text());
        let past = fake.command(&member(), Some(GUILD), "ai", sub("list", json!({"page": 9})), "en-US").await;
        assert!(privately(&past), "{:?}", past.message());
        assert!(
            past.text().contains("Page 9 is past the end: the 20 items fill 3 pages of 8; ask for a page from 1 to 3"),
            "{}",
            past.text()
        );

        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}

on_both_backends! {
    /// Commands are registered once per deployment: a second instance (or a restart) of the same
    /// release finds them registered and leaves them be, and answers them.
    four_threads async fn commands_are_registered_once_per_deployment(db) {
        let fake = FakeDiscord::start().await;
        let registrations = |fake: &FakeDiscord| {
            fake.requests().iter().filter(|(method, path)| method == "PUT" && path.ends_with("/commands")).count()
        };
        let first = Bot::start(&fake, &db, Some(GUILD)).await;
        fake.wait_commands(Some(GUILD)).await;
        assert_eq!(registrations(&fake), 1);
        first.stop().await;
        let second = Bot::start(&fake, &db, Some(GUILD)).await;
        // It answers (so it is up), without registering again.
        let answered = fake.command(&admin(), Some(GUILD), "dashboard", json!([]), "en-US").await;
        assert!(answered.text().contains("Monthly run-rate"), "{}", answered.text());
        assert_eq!(registrations(&fake), 1, "{:?}", fake.requests());
        second.stop().await;
    }
}

on_both_backends! {
    /// `/jarvis status` shows admins the instances, their shards and what is owed to their own
    /// server, privately, in their language; members are refused.
    four_threads async fn admins_see_the_instances_and_shards_in_discord(db) {
        let fake = FakeDiscord::start().await;
        let app = db.app_at(NOW);
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        let status = json!([{ "name": "status", "options": [] }]);
        // The heartbeat says the instance is alive, and which shards it serves.
        let mut shown = String::new();
        for _ in 0..50 {
            let outcome = fake.command(&admin(), Some(GUILD), "jarvis", status.clone(), "en-US").await;
            assert!(outcome.ephemeral(), "{:?}", outcome.callback);
            shown = outcome.text();
            if shown.contains(app.instance()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(shown.contains(&format!("`{}` · shards 0/1 · seen", app.instance())), "{shown}");
        assert!(shown.contains("All 1 shard(s) are served"), "{shown}");
        assert!(shown.contains("Nothing is owed to this server"), "{shown}");
        let thai = fake.command(&admin(), Some(GUILD), "jarvis", status.clone(), "th").await.text();
        assert!(thai.contains("อินสแตนซ์ของ Jarvis") && thai.contains("ชาร์ด 0/1"), "{thai}");
        let refused = fake.command(&member(), Some(GUILD), "jarvis", status, "en-US").await;
        assert!(refused.ephemeral() && !refused.text().contains(app.instance()), "{}", refused.text());
        assert_clean(&fake);
        bot.stop().await;
    }
}

on_both_backends! {
    /// `jarvis commands register` registers once per deployment (again with --force), and an
    /// instance that does not serve shard 0 never registers: with `--shard-count auto` it asks
    /// Discord how many shards there are and connects only its own.
    four_threads async fn commands_are_registered_apart_and_shards_follow_discords_count(db) {
        let fake = FakeDiscord::start().await;
        let registrations = |fake: &FakeDiscord| {
            fake.requests().iter().filter(|(method, path)| method == "PUT" && path.ends_with("/commands")).count()
        };
        let app = db.app_at(NOW);
        let config = jarvis::discord::Config {
            api_proxy: Some(fake.url()),
            tick: Duration::from_millis(100),
            ..jarvis::discord::Config::new("fake-bot-token".into())
        };
        assert!(jarvis::discord::register(&app, &config, false).await.unwrap(), "registered");
        assert!(fake.wait_commands(None).await.iter().any(|c| c["name"] == "jarvis"));
        assert!(!jarvis::discord::register(&app, &config, false).await.unwrap(), "registered already");
        assert!(jarvis::discord::register(&app, &config, true).await.unwrap(), "forced");
        assert_eq!(registrations(&fake), 2);

        // As after an upgrade that changed the commands: an instance serving shard 0 would
        // register them now.
        app.record_commands_registered("an older release's").await.unwrap();
        fake.set_recommended_shards(2);
        let config = jarvis::discord::Config {
            shards: Some(jarvis::app::ShardRange::parse("1").unwrap()),
            shard_count: Some(jarvis::app::ShardCount::Auto),
            ..config
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(jarvis::discord::run(app.clone(), config, async move {
            let _ = stopped.await;
        }));
        assert!(fake.wait_shards(&[1], 2, Duration::from_secs(20)).await, "{:?}", fake.identified_shards());
        assert_eq!(fake.identified_shards(), [(1, 2)], "only its own shard");
        // Set up (past where it would have registered): its scheduler claims the report slots.
        let mut set_up = false;
        for _ in 0..100 {
            let owners = db.raw_fetch::<(String,)>("SELECT owner FROM job_claims WHERE job = 'report slots'").await;
            if owners.iter().any(|(owner,)| owner == app.instance()) {
                set_up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(set_up, "the bot's scheduler never ran");
        let status = app.status(None).await.unwrap();
        assert_eq!(status.shard_count, Some(2));
        assert_eq!(status.unserved_shards, [0], "nobody serves shard 0 yet");
        assert_eq!(registrations(&fake), 2, "an instance without shard 0 registers nothing");
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap().unwrap();
        let after = app.status(None).await.unwrap();
        assert!(after.instances.is_empty(), "a clean stop says so: {:?}", after.instances);
    }
}

/// Where the tests' bot says its web pages are.
const WEB_URL: &str = "https://jarvis.example.com";

on_both_backends! {
    /// `/jarvis web` answers the member alone with a one-time sign-in link to this server's
    /// pages: an admin's may change the ledger, a member's only read, in the member's language.
    four_threads async fn jarvis_web_gives_a_private_one_time_link(db) {
        let fake = FakeDiscord::start().await;
        let app = db.app_at(NOW);
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        let web = json!([{ "name": "web", "options": [] }]);
        for (who, locale, can_edit) in [(admin(), "en-US", true), (member(), "th", false)] {
            let answer = fake.command(&who, Some(GUILD), "jarvis", web.clone(), locale).await;
            assert!(answer.ephemeral(), "{:?}", answer.callback);
            let text = answer.text();
            let start = text.find(&format!("{WEB_URL}/signin/")).unwrap_or_else(|| panic!("a link: {text}"));
            let secret: String = text[start + WEB_URL.len() + 8..].chars().take_while(char::is_ascii_hexdigit).collect();
            assert_eq!(secret.len(), 64, "{text}");
            let session = app.peek_web_link(&secret).await.unwrap().expect("the link is good");
            assert_eq!(session.workspace.as_str(), GUILD.to_string());
            assert_eq!(session.can_edit, can_edit);
            let language = if locale == "th" { Some(jarvis::domain::workspace::Language::Thai) } else { Some(jarvis::domain::workspace::Language::English) };
            assert_eq!(session.language, language);
            if locale == "th" {
                assert!(text.contains("ลิงก์"), "{text}");
            }
            assert!(app.sign_in(&secret).await.unwrap().is_some());
            assert!(app.sign_in(&secret).await.unwrap().is_none(), "once");
        }
        assert_clean(&fake);
        bot.stop().await;
    }
}

on_both_backends! {
    /// `/jarvis token create` shows the token once, privately, to an admin; it reaches this
    /// server's ledger over HTTP; `/jarvis token list` shows it without the token, and
    /// `/jarvis token revoke` ends it. Members are refused.
    four_threads async fn admins_make_api_tokens_in_discord(db) {
        let fake = FakeDiscord::start().await;
        let app = db.app_at(NOW);
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        let create = json!([{ "name": "token", "options": [{ "name": "create", "options": [
            { "name": "name", "value": "grafana" },
            { "name": "scope", "value": 0 },
        ]}]}]);
        let made = fake.command(&admin(), Some(GUILD), "jarvis", create.clone(), "en-US").await;
        assert!(made.ephemeral(), "{:?}", made.callback);
        let shown = made.text();
        let token = shown.split_whitespace().find(|w| w.starts_with("jarvis_")).unwrap_or_else(|| panic!("the token is shown: {shown}")).to_string();
        assert!(shown.contains("will not show it again"), "{shown}");
        let auth = app.authenticate(&token).await.unwrap().expect("the token works");
        assert_eq!((auth.workspace.as_str(), auth.scope), (GUILD.to_string().as_str(), jarvis::app::TokenScope::Read));
        let log = app.audit_log(&auth.workspace, Default::default()).await.unwrap();
        assert!(!serde_json::to_string(&log).unwrap().contains(&token), "the audit log never holds the token");

        let list = json!([{ "name": "token", "options": [{ "name": "list", "options": [] }]}]);
        let listed = fake.command(&admin(), Some(GUILD), "jarvis", list.clone(), "th").await;
        assert!(listed.ephemeral() && listed.text().contains("grafana") && listed.text().contains("อ่านอย่างเดียว"), "{}", listed.text());
        assert!(!listed.text().contains(&token));

        let refused = fake.command(&member(), Some(GUILD), "jarvis", create, "en-US").await;
        assert!(refused.ephemeral() && !refused.text().contains("jarvis_"), "{}", refused.text());
        assert_eq!(app.tokens(&auth.workspace).await.unwrap().len(), 1);

        let revoke = json!([{ "name": "token", "options": [{ "name": "revoke", "options": [{ "name": "name", "value": "grafana" }] }]}]);
        let revoked = fake.command(&admin(), Some(GUILD), "jarvis", revoke, "en-US").await;
        assert!(revoked.text().contains("Revoked the token **grafana**"), "{}", revoked.text());
        assert!(app.authenticate(&token).await.unwrap().is_none());
        assert_clean(&fake);
        bot.stop().await;
    }
}

on_both_backends! {
    /// `/cost import` takes a FOCUS file attached to the command: admins see a dry run, then the
    /// import with the file's totals beside the ledger's (in their language); a file that cannot
    /// be read says which line and column, and writes nothing; members are refused.
    four_threads async fn admins_import_a_focus_bill_attached_to_the_command(db) {
        use jarvis::app::focus_sample::{SampleOptions, SampleVersion, write_sample};
        let fake = FakeDiscord::start().await;
        let app = db.app_at(NOW);
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;
        let mut file = Vec::new();
        let written = write_sample(
            &mut file,
            SampleOptions {
                rows: 3000,
                seed: 7,
                version: SampleVersion::V1_3,
                month: chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            },
        )
        .unwrap();
        let id = fake.add_attachment("aws-2026-10.csv", file);
        let import = |options: Value| sub("import", options);
        let usd = jarvis::domain::money::format_exact(written["USD"], jarvis::domain::money::Currency::USD);

        let dry = fake.command(&admin(), Some(GUILD), "cost", import(json!({"file": id, "dry_run": true})), "en-US").await;
        let dry = fake.wait_followups(&dry, 2).await;
        let text = dry.text();
        assert!(text.contains("Dry run: nothing was written") && text.contains("`aws-2026-10.csv` · FOCUS 1.3"), "{text}");
        assert!(text.contains(&format!("file {usd} USD · ledger {usd} USD ✅")), "{text}");
        assert!(app.list_imports(&common::ws(&GUILD.to_string())).await.unwrap().imports.is_empty());

        let done = fake.command(&admin(), Some(GUILD), "cost", import(json!({"file": id})), "th").await;
        let done = fake.wait_followups(&done, 2).await;
        let text = done.text();
        assert!(text.contains("นำเข้าบิลแล้ว (การนำเข้า #1)") && text.contains(&format!("{usd} USD ✅")), "{text}");
        let imports = app.list_imports(&common::ws(&GUILD.to_string())).await.unwrap().imports;
        assert_eq!(imports.len(), 1);
        assert!(imports[0].totals.iter().all(|t| t.equal && t.file == t.ledger), "{:?}", imports[0].totals);
        assert_eq!(imports[0].created_by, admin().user_id.to_string());

        let bad = "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargePeriodEnd,ChargePeriodStart,ProviderName,ServiceCategory,ServiceName\n\
                   12.5,a,USD,2026-11-01,2026-10-01,Usage,2026-10-02,2026-10-01,AWS,Compute,EC2\n\
                   twelve,a,USD,2026-11-01,2026-10-01,Usage,2026-10-02,2026-10-01,AWS,Compute,EC2\n";
        let bad_id = fake.add_attachment("bad.csv", bad.as_bytes().to_vec());
        let refused = fake.command(&admin(), Some(GUILD), "cost", import(json!({"file": bad_id})), "en-US").await;
        let refused = fake.wait_followups(&refused, 2).await;
        let text = refused.text();
        assert!(text.contains("line 3: column BilledCost, value `twelve`") && text.contains("skip_bad"), "{text}");
        assert_eq!(app.list_imports(&common::ws(&GUILD.to_string())).await.unwrap().imports.len(), 1);

        let member = fake.command(&member(), Some(GUILD), "cost", import(json!({"file": id})), "en-US").await;
        assert!(member.ephemeral() && !member.text().contains("imported"), "{}", member.text());
        assert_clean(&fake);
        bot.stop().await;
    }
}

on_both_backends! {
    /// `/ai connect` takes the key in a form and answers with its prefix alone; members cannot;
    /// a key revoked later turns the item's key status invalid and the API key alert is posted;
    /// and no message the bot ever made holds the key.
    four_threads async fn ai_connect_takes_the_key_in_a_form_and_never_shows_it(db) {
        use fake_providers::{FakeProviders, OPENAI_KEY};
        use jarvis::domain::connection::Vendor;
        let fake = FakeDiscord::start().await;
        let providers = FakeProviders::start().await;
        const CHANNEL: u64 = 777;
        fake.add_channel(GUILD, CHANNEL);
        let clock = ManualClock::at(NOW);
        let secret = jarvis::app::SecretKey::parse(&"5a".repeat(32)).unwrap();
        let app = jarvis::app::App::new(db.store.clone(), std::sync::Arc::new(clock.clone()))
            .with_ai(jarvis::app::AiNet::new(providers.endpoints(), Some(secret)));
        let workspace = ws(&GUILD.to_string());
        let actor = jarvis::domain::audit::Actor::Cli;
        let changes = jarvis::domain::item::ItemChanges {
            name: Some(jarvis::domain::text::ItemName::parse("OpenAI API").unwrap()),
            cost: Some(rust_decimal::Decimal::ZERO),
            period: Some(jarvis::domain::item::BillingPeriod::UsageBased),
            billed_by_bills: true,
            ..Default::default()
        };
        app.add_item(&workspace, &actor, jarvis::domain::item::Kind::AiProvider, &changes).await.unwrap();
        app.set_setting(&workspace, &actor, jarvis::domain::workspace::SettingKey::AlertChannel, &CHANNEL.to_string())
            .await
            .unwrap();
        providers.cost(Vendor::OpenAi, "2026-11-29".parse().unwrap(), Some("gpt-4o, input"), "4.20", "usd");
        let bot = Bot::start_with(&fake, app.clone(), Some(GUILD)).await;

        let refused = fake.command(&member(), Some(GUILD), "ai", sub("connect", json!({"item": "OpenAI API", "provider": 0})), "en-US").await;
        assert!(refused.ephemeral() && refused.callback["type"] != 9, "{:?}", refused.callback);
        let opened = fake.command(&admin(), Some(GUILD), "ai", sub("connect", json!({"item": "OpenAI API", "provider": 0})), "en-US").await;
        assert_eq!(opened.callback["type"], 9, "a form opens: {:?}", opened.callback);
        let custom_id = opened.callback["data"]["custom_id"].as_str().unwrap().to_string();
        let submitted = fake.modal_submit(&admin(), Some(GUILD), &custom_id, &[("key", OPENAI_KEY)]).await;
        // The key is tried on two months first: the answer follows the form's acknowledgement.
        let connected = fake.wait_followups(&submitted, 1).await;
        let text = connected.text();
        // The form's answer is a follow-up only the admin sees.
        let private = |o: &Outcome| o.ephemeral() || o.followups.iter().any(|f| f["flags"].as_u64().unwrap_or(0) & 64 != 0);
        assert!(private(&connected), "{text}: {:?}", connected.followups);
        assert!(text.contains("sk-admin-Fa…") && text.contains("4.20 USD"), "{text}");
        assert_eq!(app.connections(&workspace).await.unwrap().len(), 1);

        // Revoked at the provider: the pull says so, and the API key alert is posted.
        providers.set_keys(Vendor::OpenAi, &["sk-admin-AnotherKey0123456789abcdef"]);
        let pulled = fake.command(&admin(), Some(GUILD), "ai", sub("pull", json!({})), "en-US").await;
        assert!(pulled.text().contains("refused the key"), "{}", pulled.text());
        fake.wait_channel_messages(1).await;
        let posted: Vec<String> = fake.channel_messages().iter().map(fake_discord::message_text).collect();
        assert!(posted.iter().any(|m| m.contains("API key") && m.contains("invalid")), "{posted:?}");
        let thai = fake.command(&admin(), Some(GUILD), "ai", sub("disconnect", json!({"item": "OpenAI API"})), "th").await;
        assert!(thai.text().contains("ยกเลิกการเชื่อม"), "{}", thai.text());

        let everything = serde_json::to_string(&fake.every_message()).unwrap()
            + &serde_json::to_string(&[&opened.callback, &connected.callback, &pulled.callback]).unwrap()
            + &serde_json::to_string(&[&connected.followups, &pulled.followups]).unwrap();
        assert!(!everything.contains(OPENAI_KEY), "the key reached Discord");
        assert!(!everything.contains(&OPENAI_KEY[..20]), "a long part of the key reached Discord");
        assert_clean(&fake);
        bot.stop().await;
        fake.shutdown().await;
    }
}
